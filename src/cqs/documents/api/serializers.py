"""Serializers of the documents API.

Decree 30/2020 Appendix VI fields keep their standard English names, the edXML element names
(``CodeNumber``, ``OrganName``, ``SignerInfo``…), so what a client reads here is what crosses the
national exchange axis; the platform's own fields (state, handlers, files) are snake_case.

Input serializers check shape and type only; every rule of the domain is the services' job.
Output fields with value lists are plain strings or integers with the values in ``help_text``:
the schema names enums after their field, and ``status``, ``channel`` or ``role`` already name
other apps' enums.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.core.api import absolute_url, choices_text, person_ref
from cqs.documents import edxml
from cqs.documents.choices import (
    AssignmentRole,
    BussinessDocType,
    Channel,
    Direction,
    FileRole,
    IncomingStatus,
    OutgoingState,
    Secrecy,
    Urgency,
)

STATUS_VALUES = [*OutgoingState.values, *IncomingStatus.values]
ACTIONS = (
    "submit",
    "return",
    "sign",
    "issue",
    "recall",
    "supersede",
    "register",
    "reject",
    "assign",
    "opinion",
    "complete",
)


# --- input -------------------------------------------------------------------------------------


class DocumentFilterSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    status = serializers.ChoiceField(choices=STATUS_VALUES, required=False)
    type_code = serializers.CharField(max_length=10, required=False)
    unit = serializers.IntegerField(min_value=1, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    assigned_to_me = serializers.BooleanField(required=False, default=False)
    to_sign = serializers.BooleanField(required=False, default=False)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=100, required=False, default=20)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    status = serializers.ChoiceField(choices=STATUS_VALUES, required=False)
    type_code = serializers.CharField(max_length=10, required=False)
    organ = serializers.CharField(max_length=200, required=False)
    unit = serializers.IntegerField(min_value=1, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class DocumentRecipientInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="Đơn vị trong nền tảng (id)."
    )
    organ_id = serializers.CharField(
        max_length=13,
        required=False,
        allow_blank=True,
        default="",
        help_text="Mã định danh cơ quan ngoài nền tảng (gửi qua trục), ví dụ 000.00.00.H41.",
    )
    organ_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OutgoingCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Đơn vị ban hành (id); mặc định là đơn vị công tác của người gọi.",
    )
    type_code = serializers.CharField(
        max_length=10, help_text="Mã loại văn bản (Phụ lục III NĐ 30), ví dụ CV, QĐ."
    )
    subject = serializers.CharField(
        max_length=2000, allow_blank=True, help_text="Trích yếu nội dung (Subject)."
    )
    recipients = DocumentRecipientInputSerializer(many=True, required=False, default=list, max_length=500)
    urgency = serializers.IntegerField(
        required=False, default=Urgency.NORMAL, help_text=choices_text(Urgency)
    )
    secrecy = serializers.IntegerField(required=False, default=Secrecy.NONE, help_text=choices_text(Secrecy))
    due_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Hạn trả lời.")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    to_places = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="Nơi nhận, mỗi dòng một nơi."
    )
    drafting_abbr = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="Viết tắt đơn vị soạn thảo."
    )


class RegisterFilterSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, required=False)
    year = serializers.IntegerField(min_value=1900, max_value=2999, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp PDF.")
    role = serializers.ChoiceField(
        choices=[
            (FileRole.MAIN.value, FileRole.MAIN.label),
            (FileRole.APPENDIX.value, FileRole.APPENDIX.label),
        ],
        default=FileRole.MAIN,
        help_text="main: văn bản (thay bản trước); appendix: phụ lục.",
    )


class DocumentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[(a, a) for a in ACTIONS],
        help_text=(
            "Văn bản đi: submit (signer, note), return (note), sign (competence), issue, recall "
            "(reason), supersede (kind, reason). Văn bản đến: register (confirm_duplicate, "
            "handling_due_date), reject (reason), assign (lead, co, info, due_date, instruction), "
            "opinion (note), complete (note)."
        ),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    signer = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="Người ký (id) khi trình."
    )
    competence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10,
        help_text="Thẩm quyền ký: TM., KT., TL., TUQ.",
    )
    kind = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Khi supersede: 2 (cập nhật) hoặc 3 (thay thế), BussinessDocType.",
    )
    confirm_duplicate = serializers.BooleanField(
        required=False, default=False, help_text="Vào sổ dù trùng số, ký hiệu, cơ quan ban hành."
    )
    handling_due_date = serializers.DateField(required=False, allow_null=True, default=None)
    lead = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="Người chủ trì (id)."
    )
    co = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )
    info = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=200
    )
    due_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Hạn xử lý.")
    instruction = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class IncomingScanSerializer(serializers.Serializer):
    """A paper document: Appendix VI fields by their standard names, and the scanned PDF."""

    unit = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Đơn vị nhận (id); mặc định là đơn vị công tác của người gọi.",
    )
    file = serializers.FileField(help_text="Bản quét văn bản (PDF).")
    appendix = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=19, help_text="Phụ lục (PDF)."
    )
    type_code = serializers.CharField(
        max_length=10, required=False, default="CV", help_text="Mã loại văn bản (Phụ lục III NĐ 30)."
    )
    TypeName = serializers.CharField(source="type_name", max_length=100, required=False, default="")
    CodeNumber = serializers.CharField(source="code_number", max_length=11)
    CodeNotation = serializers.CharField(source="code_notation", max_length=30, required=False, default="")
    IssuedDate = serializers.DateField(source="issued_date", required=False, allow_null=True, default=None)
    OrganId = serializers.CharField(source="organ_id", max_length=13, required=False, default="")
    OrganName = serializers.CharField(source="organ_name", max_length=200)
    Subject = serializers.CharField(source="subject", max_length=500)
    Competence = serializers.CharField(source="signer_competence", max_length=10, required=False, default="")
    Position = serializers.CharField(source="signer_position", max_length=100, required=False, default="")
    FullName = serializers.CharField(source="signer_name", max_length=100, required=False, default="")
    Priority = serializers.IntegerField(
        source="urgency", required=False, default=Urgency.NORMAL, help_text=choices_text(Urgency)
    )
    secrecy = serializers.IntegerField(required=False, default=Secrecy.NONE, help_text=choices_text(Secrecy))
    DueDate = serializers.DateField(source="due_date", required=False, allow_null=True, default=None)
    ToPlaces = serializers.CharField(source="to_places", max_length=4000, required=False, default="")
    PageAmount = serializers.IntegerField(source="page_amount", min_value=1, required=False, default=1)
    Description = serializers.CharField(source="description", max_length=4000, required=False, default="")
    confirm_duplicate = serializers.BooleanField(required=False, default=False)


# --- output ------------------------------------------------------------------------------------


class DocumentUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DocumentPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SignerInfoSerializer(serializers.Serializer):
    Competence = serializers.CharField(source="signer_competence", help_text="Thẩm quyền ký: TM., KT., TL.…")
    Position = serializers.CharField(source="signer_position")
    FullName = serializers.CharField(source="signer_name")


class DocumentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    direction = serializers.CharField(help_text=choices_text(Direction))
    channel = serializers.CharField(help_text=choices_text(Channel))
    state = serializers.CharField(
        help_text="Văn bản đi: " + choices_text(OutgoingState) + "; rỗng với văn bản đến."
    )
    status = serializers.CharField(
        help_text="Văn bản đến, mã trạng thái edXML: "
        + choices_text(IncomingStatus)
        + "; rỗng với văn bản đi."
    )
    status_label = serializers.SerializerMethodField()
    unit = DocumentUnitSerializer(help_text="Đơn vị giữ bản ghi (ban hành hoặc nhận).")
    DocumentId = serializers.CharField(source="document_id")
    CodeNumber = serializers.CharField(source="code_number")
    CodeNotation = serializers.CharField(source="code_notation")
    number_symbol = serializers.CharField(help_text="Số và ký hiệu, ví dụ 05/QĐ-UBND.")
    OrganId = serializers.CharField(source="organ_id")
    OrganName = serializers.CharField(source="organ_name")
    type_code = serializers.CharField(help_text="Mã loại văn bản (Phụ lục III NĐ 30).")
    TypeName = serializers.CharField(source="type_name")
    Subject = serializers.CharField(source="subject")
    IssuedDate = serializers.DateField(source="issued_date", allow_null=True)
    ArrivalDate = serializers.DateTimeField(source="arrival_date", allow_null=True)
    ArrivalNumber = serializers.SerializerMethodField(help_text="Số đến (văn bản đến đã vào sổ).")
    Priority = serializers.IntegerField(source="urgency", help_text="Độ khẩn: " + choices_text(Urgency))
    DueDate = serializers.DateField(
        source="due_date", allow_null=True, help_text="Hạn trả lời do nơi gửi đặt."
    )
    handling_due_date = serializers.DateField(allow_null=True, help_text="Hạn xử lý trong đơn vị.")
    lead_handler = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(source="is_overdue")
    created_at = serializers.DateTimeField()

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("documents-api-detail", args=[obj.pk]))

    def get_status_label(self, obj) -> str:
        return str(obj.get_status_display() if obj.is_incoming else obj.get_state_display())

    def get_ArrivalNumber(self, obj) -> int | None:
        return obj.ordinal if obj.is_incoming else None

    @extend_schema_field(DocumentPersonSerializer(allow_null=True))
    def get_lead_handler(self, obj) -> dict | None:
        return person_ref(obj.lead_handler)


class DocumentFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(help_text=choices_text(FileRole))
    role_label = serializers.CharField(source="get_role_display")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    signed = serializers.BooleanField()
    current = serializers.BooleanField(help_text="Bản hiện hành (bản đã ký thay cho bản chưa ký).")
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        path = reverse("documents-api-file", args=[obj.document_id, obj.pk])
        return absolute_url(self.context.get("request"), path)


class DocumentRecipientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.CharField(help_text=choices_text(Channel))
    unit = serializers.IntegerField(
        source="unit_id", allow_null=True, help_text="Đơn vị trong nền tảng (id)."
    )
    OrganId = serializers.CharField(source="organ_id")
    OrganName = serializers.CharField(source="organ_name")
    sent_at = serializers.DateTimeField(allow_null=True)
    StatusCode = serializers.CharField(source="status_code", help_text="Trạng thái bên nhận báo lại (edXML).")
    status_label = serializers.SerializerMethodField()
    status_at = serializers.DateTimeField(allow_null=True)
    Description = serializers.CharField(source="status_description")

    def get_status_label(self, obj) -> str:
        return str(edxml.STATUS_CODES.get(obj.status_code, ""))


class DocumentAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.SerializerMethodField()
    role = serializers.CharField(help_text=choices_text(AssignmentRole))
    role_label = serializers.CharField(source="get_role_display")
    due_date = serializers.DateField(allow_null=True)
    assigned_by = serializers.SerializerMethodField()
    assigned_at = serializers.DateTimeField()
    active = serializers.BooleanField()

    @extend_schema_field(DocumentPersonSerializer)
    def get_user(self, obj) -> dict:
        return person_ref(obj.user)

    @extend_schema_field(DocumentPersonSerializer)
    def get_assigned_by(self, obj) -> dict:
        return person_ref(obj.assigned_by)


class DocumentTraceSerializer(serializers.Serializer):
    """One step of the processing history (edXML TraceHeaderList)."""

    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.SerializerMethodField()
    StatusCode = serializers.CharField(source="status_code")
    note = serializers.CharField()
    data = serializers.JSONField()

    @extend_schema_field(DocumentPersonSerializer(allow_null=True))
    def get_actor(self, obj) -> dict | None:
        return person_ref(obj.actor)


class SignatureCheckSerializer(serializers.Serializer):
    """The check of one signature of the main file, made when the document arrived."""

    signer = serializers.CharField(required=False)
    organization = serializers.CharField(required=False)
    kind = serializers.CharField(required=False, help_text="person | seal")
    signing_time = serializers.CharField(required=False, allow_null=True)
    timestamp_time = serializers.CharField(required=False, allow_null=True)
    intact = serializers.BooleanField(required=False)
    valid = serializers.BooleanField(required=False)
    trusted = serializers.BooleanField(required=False)
    whole_file = serializers.BooleanField(required=False)
    error = serializers.CharField(required=False, help_text="invalid_pdf khi không đọc được tệp.")


class DocumentDetailSerializer(DocumentSummarySerializer):
    Language = serializers.CharField(source="language")
    PageAmount = serializers.IntegerField(source="page_amount")
    PromulgationAmount = serializers.IntegerField(source="issued_amount", allow_null=True)
    Description = serializers.CharField(source="description")
    SignerInfo = SignerInfoSerializer(source="*")
    ToPlaces = serializers.SerializerMethodField()
    BussinessDocType = serializers.IntegerField(
        source="bussiness_doc_type", help_text=choices_text(BussinessDocType)
    )
    BussinessDocReason = serializers.CharField(source="bussiness_reason")
    secrecy = serializers.IntegerField(help_text="Độ mật: " + choices_text(Secrecy))
    register = serializers.IntegerField(source="register_id", allow_null=True, help_text="Sổ đăng ký (id).")
    drafting_abbr = serializers.CharField()
    drafter = serializers.SerializerMethodField()
    signer = serializers.SerializerMethodField(help_text="Người có thẩm quyền ký được trình.")
    replaces = serializers.IntegerField(source="replaces_id", allow_null=True)
    source = serializers.IntegerField(
        source="source_id", allow_null=True, help_text="Văn bản đi gốc trong nền tảng (id), nếu có."
    )
    instruction = serializers.CharField(help_text="Ý kiến chỉ đạo khi phân công.")
    completed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    files = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    trace = serializers.SerializerMethodField()
    signature_report = SignatureCheckSerializer(many=True)

    def get_ToPlaces(self, obj) -> list[str]:
        return [line.strip() for line in obj.to_places.splitlines() if line.strip()]

    @extend_schema_field(DocumentPersonSerializer(allow_null=True))
    def get_drafter(self, obj) -> dict | None:
        return person_ref(obj.drafter)

    @extend_schema_field(DocumentPersonSerializer(allow_null=True))
    def get_signer(self, obj) -> dict | None:
        return person_ref(obj.signer)

    @extend_schema_field(DocumentFileSerializer(many=True))
    def get_files(self, obj) -> list[dict]:
        return DocumentFileSerializer(self.context["files"], many=True, context=self.context).data

    @extend_schema_field(DocumentRecipientSerializer(many=True))
    def get_recipients(self, obj) -> list[dict]:
        return DocumentRecipientSerializer(obj.recipients.order_by("pk"), many=True).data

    @extend_schema_field(DocumentAssignmentSerializer(many=True))
    def get_assignments(self, obj) -> list[dict]:
        rows = obj.assignments.select_related("user", "assigned_by").order_by("pk")
        return DocumentAssignmentSerializer(rows, many=True).data

    @extend_schema_field(DocumentTraceSerializer(many=True))
    def get_trace(self, obj) -> list[dict]:
        return DocumentTraceSerializer(self.context["trace"], many=True).data


class SearchHitSerializer(DocumentSummarySerializer):
    rank = serializers.FloatField(help_text="Điểm phù hợp; cao hơn là gần hơn.")
    highlight = serializers.CharField(help_text="Đoạn trích HTML an toàn, từ khớp nằm trong <mark>.")


class SearchPageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Số văn bản khớp, đếm tới một mức trần.")
    total_capped = serializers.BooleanField(help_text="Có nhiều văn bản khớp hơn `total`.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    per_page = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


class RegisterBookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = DocumentUnitSerializer()
    year = serializers.IntegerField()
    direction = serializers.CharField(help_text=choices_text(Direction))
    secret = serializers.BooleanField(help_text="Sổ văn bản mật: số riêng.")
    last_number = serializers.IntegerField(help_text="Số đã cấp gần nhất.")
    name = serializers.CharField(source="__str__")
    entries_url = serializers.SerializerMethodField()

    def get_entries_url(self, obj) -> str:
        return absolute_url(
            self.context.get("request"), reverse("documents-api-register-entries", args=[obj.pk])
        )


class RegisterEntrySerializer(serializers.Serializer):
    """One line of the register (Appendix IV of Decree 30)."""

    number = serializers.IntegerField(source="ordinal", help_text="Số đi hoặc số đến trong sổ.")
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    ArrivalDate = serializers.DateTimeField(source="arrival_date", allow_null=True)
    CodeNumber = serializers.CharField(source="code_number")
    CodeNotation = serializers.CharField(source="code_notation")
    IssuedDate = serializers.DateField(source="issued_date", allow_null=True)
    OrganName = serializers.CharField(source="organ_name")
    TypeName = serializers.CharField(source="type_name")
    Subject = serializers.CharField(source="subject")
    SignerInfo = SignerInfoSerializer(source="*")
    PromulgationAmount = serializers.IntegerField(source="issued_amount", allow_null=True)
    recipients = serializers.SerializerMethodField(help_text="Nơi nhận (văn bản đi).")
    lead_handler = serializers.SerializerMethodField(help_text="Người chủ trì xử lý (văn bản đến).")
    status_label = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("documents-api-detail", args=[obj.pk]))

    def get_recipients(self, obj) -> list[str]:
        return [r.organ_name for r in obj.recipients.all()]

    @extend_schema_field(DocumentPersonSerializer(allow_null=True))
    def get_lead_handler(self, obj) -> dict | None:
        return person_ref(obj.lead_handler)

    def get_status_label(self, obj) -> str:
        return str(obj.get_status_display() if obj.is_incoming else obj.get_state_display())


class SigningPreparedSerializer(serializers.Serializer):
    """What the signer's USB token (the VGCA plug-in) must sign, and the token to send back."""

    token = serializers.CharField(help_text="Trả lại nguyên văn khi gửi chữ ký.")
    data_to_sign = serializers.CharField(help_text="Base64 của các thuộc tính ký CMS (DER) để thiết bị ký.")
    digest = serializers.CharField(
        help_text="Base64 của SHA-256(data_to_sign), cho thiết bị chỉ ký giá trị băm."
    )
    digest_algorithm = serializers.CharField()
    expires_at = serializers.DateTimeField()


class SigningFinishSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=2000)
    signature = serializers.CharField(max_length=20000, help_text="Base64 của chữ ký từ thiết bị.")
    certificate_pem = serializers.CharField(max_length=20000, help_text="Chứng thư số (PEM) trên thiết bị.")
    competence = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")

    def validate_signature(self, value: str) -> bytes:
        import base64
        import binascii

        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Chữ ký phải là chuỗi Base64.", code="invalid_base64") from None


class RegisterManySerializer(serializers.Serializer):
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=500
    )
    confirm_duplicate = serializers.BooleanField(required=False, default=False)


class RegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ArrivalNumber = serializers.IntegerField(source="ordinal")
    register = serializers.IntegerField(source="register.pk")
