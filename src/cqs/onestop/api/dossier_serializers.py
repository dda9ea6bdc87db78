"""Serializers of the dossier API: input shapes (checked here only for type; every rule of the
domain is the services' job) and output shapes.

Personal data: list rows and the public lookup carry the applicant's name at most (the lookup
not even that); the full applicant block is only in the detail, which only the owner and
officials with a ``view_dossier`` grant on the dossier's unit can reach.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.core.api import absolute_url
from cqs.onestop.choices import (
    RATING_CRITERIA,
    DossierStatus,
    FileRole,
    PaymentStatus,
    RatingLevel,
    ReturnMethod,
)
from cqs.onestop.models import Dossier, DossierEvent, DossierFile, Payment, Rating
from cqs.onestop.templatetags.onestop_tags import action_label

# The roles a person may upload through the API; results and printed forms are made by services.
UPLOAD_ROLES = (FileRole.SUBMITTED, FileRole.SUPPLEMENT, FileRole.DRAFT_RESULT)


# --- input -------------------------------------------------------------------------------------


class DossierFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DossierStatus.choices, required=False)
    q = serializers.CharField(max_length=40, required=False, allow_blank=True)
    unit = serializers.IntegerField(min_value=1, required=False)
    overdue = serializers.BooleanField(required=False)
    mine = serializers.BooleanField(required=False, default=False)


class DossierCreateSerializer(serializers.Serializer):
    procedure = serializers.CharField(max_length=20, help_text="Mã TTHC quốc gia, ví dụ 1.001612.")
    unit = serializers.IntegerField(min_value=1, help_text="Mã số (id) cơ quan tiếp nhận.")
    form_data = serializers.DictField(
        required=False,
        default=dict,
        help_text="Nội dung tờ khai: tên trường → giá trị, theo `form_fields` của thủ tục.",
    )
    return_method = serializers.ChoiceField(choices=ReturnMethod.choices, default=ReturnMethod.ONLINE)
    postal_address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(
        default=True, help_text="true: nộp ngay (mặc định); false: chỉ lưu bản nháp."
    )


class DossierCreateMultipartSerializer(serializers.Serializer):
    """Only for the schema: the multipart form of a one-shot create. The file parts are named
    after the papers they stand for, so they cannot be listed here."""

    data = serializers.CharField(
        help_text=(
            "Đối tượng JSON như khi gửi application/json. Mỗi tệp là một phần riêng, tên "
            "`doc-<id thành phần hồ sơ>`, ví dụ `doc-12`."
        )
    )


class DossierActionSerializer(serializers.Serializer):
    action = serializers.CharField(
        max_length=40, help_text="Một thao tác trong `actions` của hồ sơ, ví dụ receive, assign."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    to_user = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Chuyên viên (id) khi phân công."
    )
    to_unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Đơn vị nhận (id) khi chuyển."
    )
    deadline = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Hạn xử lý của bước này."
    )
    new_due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Ngày hẹn mới (xin lỗi, hẹn lại)."
    )
    items = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        default=list,
        max_length=50,
        help_text="Giấy tờ cần bổ sung.",
    )


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPG hoặc PNG.")
    document = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Thành phần hồ sơ (id) mà tệp thay cho."
    )
    role = serializers.ChoiceField(
        choices=[(role.value, role.label) for role in UPLOAD_ROLES], default=FileRole.SUBMITTED
    )


class RatingInputSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.ChoiceField(choices=RatingLevel.choices),
        help_text="Mức đánh giá (1–3) cho từng tiêu chí: "
        + ", ".join(code for code, _label in RATING_CRITERIA)
        + ".",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class LookupQuerySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    secret = serializers.CharField(max_length=20)


# --- output ------------------------------------------------------------------------------------


class DossierUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DossierSummarySerializer(serializers.ModelSerializer):
    procedure = serializers.CharField(source="procedure.code", help_text="Mã TTHC quốc gia.")
    procedure_name = serializers.CharField(source="version.name")
    unit = DossierUnitSerializer(help_text="Cơ quan tiếp nhận.")
    handling_unit = DossierUnitSerializer(allow_null=True, help_text="Đơn vị đang giải quyết.")
    status_label = serializers.CharField(source="get_status_display")
    stage_label = serializers.CharField(source="get_stage_display")
    appointment_at = serializers.DateTimeField(
        allow_null=True, help_text="Ngày hẹn trả (ngày hẹn lại nếu đã xin lỗi)."
    )
    overdue = serializers.SerializerMethodField(help_text="Đã bị đánh dấu quá hạn.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id",
            "code",
            "procedure",
            "procedure_name",
            "unit",
            "handling_unit",
            "status",
            "status_label",
            "stage",
            "stage_label",
            "channel",
            "applicant_name",
            "created_at",
            "submitted_at",
            "received_at",
            "due_at",
            "appointment_at",
            "completed_at",
            "returned_at",
            "overdue",
            "url",
        ]

    def get_overdue(self, obj) -> bool:
        return obj.overdue_at is not None

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("onestop-api-dossier-detail", args=[obj.pk]))


class ApplicantSerializer(serializers.ModelSerializer):
    kind = serializers.IntegerField(source="applicant_kind")
    name = serializers.CharField(source="applicant_name")
    cccd = serializers.CharField(source="applicant_cccd")
    phone = serializers.CharField(source="applicant_phone")
    email = serializers.CharField(source="applicant_email")
    address = serializers.CharField(source="applicant_address")

    class Meta:
        model = Dossier
        fields = ["kind", "name", "cccd", "phone", "email", "address"]


class DossierFileSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display")
    document = serializers.IntegerField(source="document_id", allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DossierFile
        fields = [
            "id",
            "name",
            "role",
            "role_label",
            "document",
            "content_type",
            "size",
            "signed",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str:
        path = reverse("onestop-api-dossier-attachment", args=[obj.dossier_id, obj.pk])
        return absolute_url(self.context.get("request"), path)


class EventSerializer(serializers.ModelSerializer):
    """A history row as its owner sees it: what, when, which unit; no official's name."""

    # Plain integers: the codes are those of the dossier's ``status`` (one enum in the schema).
    from_status = serializers.IntegerField(help_text="Mã trạng thái trước bước này.")
    to_status = serializers.IntegerField(help_text="Mã trạng thái sau bước này.")
    label = serializers.SerializerMethodField()
    actor_unit = serializers.CharField(source="actor_unit.name", allow_null=True, default=None)
    to_unit = serializers.CharField(source="to_unit.name", allow_null=True, default=None)

    class Meta:
        model = DossierEvent
        fields = [
            "action",
            "label",
            "from_status",
            "to_status",
            "stage",
            "at",
            "deadline",
            "note",
            "actor_unit",
            "to_unit",
        ]

    def get_label(self, obj) -> str:
        return action_label(obj.action)


class OfficialEventSerializer(EventSerializer):
    """A history row as officials see it: also who did it and to whom, and non-public rows."""

    actor = serializers.SerializerMethodField()
    to_user = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "public", "actor", "to_user"]

    def get_actor(self, obj) -> str | None:
        return _person(obj.actor)

    def get_to_user(self, obj) -> str | None:
        return _person(obj.to_user)


def _person(user) -> str | None:
    return (user.full_name or user.get_username()) if user is not None else None


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    needs_note = serializers.BooleanField()


class DossierDetailSerializer(DossierSummarySerializer):
    applicant = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="Thao tác người gọi được thực hiện lúc này.")
    is_owner = serializers.SerializerMethodField(help_text="Người gọi là chủ hồ sơ.")

    class Meta(DossierSummarySerializer.Meta):
        fields = [
            *DossierSummarySerializer.Meta.fields,
            "applicant",
            "form_data",
            "return_method",
            "postal_address",
            "fee_total",
            "paid_online",
            "supplement_count",
            "result_summary",
            "stop_reason",
            "is_owner",
            "files",
            "events",
            "actions",
        ]

    @extend_schema_field(ApplicantSerializer)
    def get_applicant(self, obj) -> dict:
        return ApplicantSerializer(obj).data

    @extend_schema_field(DossierFileSerializer(many=True))
    def get_files(self, obj) -> list[dict]:
        return DossierFileSerializer(self.context["files"], many=True, context=self.context).data

    @extend_schema_field(OfficialEventSerializer(many=True))
    def get_events(self, obj) -> list[dict]:
        serializer = EventSerializer if self.context["is_owner"] else OfficialEventSerializer
        return serializer(self.context["events"], many=True).data

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, obj) -> list[dict]:
        return [
            {"action": t.action, "label": str(t.label), "needs_note": t.needs_note}
            for t in self.context["actions"]
        ]

    def get_is_owner(self, obj) -> bool:
        return self.context["is_owner"]


class PaymentSerializer(serializers.ModelSerializer):
    # A plain string in the schema: a second enum for a field named ``status`` would clash with
    # the dossier's (the schema names enums after their field).
    status = serializers.CharField(help_text="Một trong: " + ", ".join(PaymentStatus.values) + ".")
    status_label = serializers.CharField(source="get_status_display")
    amount = serializers.IntegerField(help_text="Đồng (VND).")

    class Meta:
        model = Payment
        fields = ["order_id", "amount", "status", "status_label", "transaction_no", "paid_at", "created_at"]


class PaymentStartSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    amount = serializers.IntegerField(help_text="Đồng (VND).")
    checkout_url = serializers.URLField(help_text="Trang thanh toán của cổng; chuyển người dùng tới đây.")


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["overall", "scores", "comment", "created_at"]


class PublicEventSerializer(serializers.Serializer):
    # Plain fields, no model introspection: the public lookup is a hot path.
    action = serializers.CharField()
    label = serializers.SerializerMethodField()
    to_status = serializers.IntegerField(help_text="Mã trạng thái sau bước này.")
    at = serializers.DateTimeField()
    actor_unit = serializers.CharField(source="actor_unit.name", allow_null=True, default=None)

    def get_label(self, obj) -> str:
        return action_label(obj.action)


class LookupSerializer(serializers.Serializer):
    """Tra cứu: what anyone holding the code and the 4 digits may know. No personal data, no
    notes (a note may name people), no official's name. Plain fields: a hot public path."""

    code = serializers.CharField()
    procedure = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="version.name")
    unit = serializers.CharField(source="unit.name")
    status = serializers.ChoiceField(choices=DossierStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    appointment_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    events = serializers.SerializerMethodField()

    @extend_schema_field(PublicEventSerializer(many=True))
    def get_events(self, obj) -> list[dict]:
        return PublicEventSerializer(self.context["events"], many=True).data


class CreatedFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    document = serializers.IntegerField(source="document_id", allow_null=True)


class DossierCreatedSerializer(serializers.Serializer):
    """The answer to a filing: what the citizen needs next (the code, the fee to pay, where the
    dossier lives). Plain fields, no model introspection: filing is the hot path. The full
    record is at ``url`` (also the ``Location`` header)."""

    id = serializers.IntegerField()
    code = serializers.CharField(allow_null=True)
    status = serializers.IntegerField()
    status_label = serializers.CharField(source="get_status_display")
    procedure = serializers.CharField(source="procedure.code")
    unit = DossierUnitSerializer()
    submitted_at = serializers.DateTimeField(allow_null=True)
    fee_total = serializers.IntegerField(help_text="Phí, lệ phí phải nộp (đồng).")
    files = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(CreatedFileSerializer(many=True))
    def get_files(self, obj) -> list[dict]:
        files = self.context.get("files")
        return CreatedFileSerializer(obj.files.order_by("pk") if files is None else files, many=True).data

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("onestop-api-dossier-detail", args=[obj.pk]))
