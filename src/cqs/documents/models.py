"""Official documents (văn bản), their registers, files, recipients, assignments and trace.

Field names follow Decree 30/2020/NĐ-CP Appendix VI, whose English names are the edXML element
names (``code_number`` = CodeNumber, ``code_notation`` = CodeNotation, ``organ_id`` = OrganId,
``arrival_number`` = ArrivalNumber…), so the exchange boundary maps one to one.

One ``Document`` row is one unit's record of one document: the issuing unit's outgoing record,
and, for each receiving unit, its own incoming record (with its own arrival number, handlers and
state). ``DocumentEvent`` rows are the processing history (TraceHeaderList), appended and never
edited. A file once stored is never changed: a signature adds a new file row.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cqs.accounts.permissions import RestrictedQuerySet
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

INCOMING_OPEN = (
    IncomingStatus.ARRIVED,
    IncomingStatus.REGISTERED,
    IncomingStatus.ASSIGNED,
    IncomingStatus.PROCESSING,
)


class RegisterBook(models.Model):
    """Sổ đăng ký văn bản: one per unit, year, direction and secrecy (Art. 15 and 22)."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    direction = models.CharField(_("loại sổ"), max_length=3, choices=Direction.choices)
    secret = models.BooleanField(_("sổ văn bản mật"), default=False)
    last_number = models.PositiveIntegerField(_("số đã cấp gần nhất"), default=0)
    created_at = models.DateTimeField(_("ngày mở sổ"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sổ đăng ký văn bản")
        verbose_name_plural = _("sổ đăng ký văn bản")
        ordering = ["unit", "-year", "direction", "secret"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "direction", "secret"], name="documents_register_one"
            ),
        ]

    def __str__(self) -> str:
        kind = _("văn bản mật") if self.secret else ""
        return f"{self.get_direction_display()} {kind} {self.year}".replace("  ", " ")


class DocumentQuerySet(RestrictedQuerySet):
    unit_field = "unit"

    def incoming(self):
        return self.filter(direction=Direction.INCOMING)

    def outgoing(self):
        return self.filter(direction=Direction.OUTGOING)

    def overdue(self, now=None):
        today = timezone.localdate(now)
        return self.filter(
            direction=Direction.INCOMING, status__in=INCOMING_OPEN, handling_due_date__lt=today
        )


class Document(models.Model):
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("loại"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("nguồn"), max_length=10, choices=Channel.choices, default=Channel.INTERNAL)
    register = models.ForeignKey(
        RegisterBook,
        verbose_name=_("sổ"),
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    # Outgoing: the number in the register is the CodeNumber; incoming: the ArrivalNumber.
    ordinal = models.PositiveIntegerField(_("số thứ tự trong sổ"), null=True, blank=True)

    # Appendix VI fields 1–11, common to both directions (the issuer's data).
    type_code = models.CharField(_("mã loại văn bản"), max_length=10)
    type_name = models.CharField(_("tên loại văn bản"), max_length=100)  # TypeName
    code_number = models.CharField(_("số văn bản"), max_length=11, blank=True)  # CodeNumber
    code_notation = models.CharField(_("ký hiệu"), max_length=30, blank=True)  # CodeNotation
    issued_date = models.DateField(_("ngày ban hành"), null=True, blank=True)  # IssuedDate
    organ_id = models.CharField(_("mã cơ quan ban hành"), max_length=13, blank=True)  # OrganId
    organ_name = models.CharField(_("cơ quan ban hành"), max_length=200)  # OrganName
    subject = models.CharField(_("trích yếu nội dung"), max_length=500)  # Subject
    language = models.CharField(_("ngôn ngữ"), max_length=10, default="vi")  # Language
    page_amount = models.PositiveIntegerField(_("số trang"), default=1)  # PageAmount
    description = models.TextField(_("ghi chú"), blank=True)  # Description
    signer_competence = models.CharField(_("thẩm quyền ký"), max_length=10, blank=True)  # TM., KT., TL.…
    signer_position = models.CharField(
        _("chức vụ người ký"), max_length=100, blank=True
    )  # SignerInfo/Position
    signer_name = models.CharField(_("họ tên người ký"), max_length=100, blank=True)  # SignerInfo/FullName
    urgency = models.PositiveSmallIntegerField(_("độ khẩn"), choices=Urgency.choices, default=Urgency.NORMAL)
    secrecy = models.PositiveSmallIntegerField(_("độ mật"), choices=Secrecy.choices, default=Secrecy.NONE)
    issued_amount = models.PositiveIntegerField(_("số lượng bản phát hành"), null=True, blank=True)
    due_date = models.DateField(_("hạn trả lời"), null=True, blank=True)  # DueDate set by the issuer
    to_places = models.TextField(_("nơi nhận"), blank=True)  # ToPlaces
    document_id = models.CharField(
        _("mã định danh văn bản (edXML)"), max_length=120, blank=True, db_index=True
    )

    # Outgoing.
    drafting_abbr = models.CharField(
        _("viết tắt đơn vị soạn thảo"),
        max_length=20,
        blank=True,
        help_text=_("Trong ký hiệu công văn: 05/UBND-VP."),
    )
    state = models.CharField(
        _("trạng thái văn bản đi"), max_length=10, choices=OutgoingState.choices, blank=True
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người soạn"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người có thẩm quyền ký"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    bussiness_doc_type = models.PositiveSmallIntegerField(
        _("nghiệp vụ"), choices=BussinessDocType.choices, default=BussinessDocType.NEW
    )
    bussiness_reason = models.CharField(_("lý do thu hồi, cập nhật, thay thế"), max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("thay thế, cập nhật cho văn bản"),
        on_delete=models.PROTECT,
        related_name="replaced_by",
        null=True,
        blank=True,
    )

    # Incoming (Appendix VI fields 12, 13, 17 and the handling).
    status = models.CharField(
        _("trạng thái văn bản đến"), max_length=2, choices=IncomingStatus.choices, blank=True
    )
    arrival_date = models.DateTimeField(_("ngày đến"), null=True, blank=True)  # ArrivalDate
    source = models.ForeignKey(
        "self",
        verbose_name=_("văn bản đi gốc trong nền tảng"),
        on_delete=models.PROTECT,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    lead_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người chủ trì xử lý"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    handling_due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    instruction = models.TextField(_("ý kiến chỉ đạo"), blank=True)
    completed_at = models.DateTimeField(_("ngày hoàn thành"), null=True, blank=True)
    # The result of verifying the signatures when the document arrived, shown to the clerk.
    signature_report = models.JSONField(_("kết quả kiểm tra chữ ký số"), default=list, blank=True)

    # Full-text search: subject, metadata and attachment text, with and without diacritics.
    search_text = models.TextField(_("nội dung tìm kiếm"), blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # The Idempotency-Key of the API request that created the draft, per creator.
    client_token = models.CharField(_("khóa chống gửi trùng"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("register_document", _("Vào sổ văn bản đến, phát hành văn bản đi (văn thư)")),
            ("draft_document", _("Soạn thảo văn bản đi")),
            ("sign_document", _("Ký văn bản đi (người có thẩm quyền)")),
            ("assign_document", _("Phân công xử lý văn bản đến (lãnh đạo)")),
            ("handle_document", _("Xử lý văn bản đến được giao")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~models.Q(client_token=""),
                name="documents_document_idempotency",
            ),
            models.UniqueConstraint(
                fields=["register", "ordinal"],
                condition=models.Q(register__isnull=False),
                name="documents_number_once",
            ),
            models.CheckConstraint(
                condition=(models.Q(direction="out") & ~models.Q(state=""))
                | (models.Q(direction="in") & ~models.Q(status="")),
                name="documents_state_by_direction",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "direction", "-created_at"], name="documents_unit_dir"),
            models.Index(fields=["organ_id", "code_number", "code_notation"], name="documents_number_symbol"),
            models.Index(fields=["status", "handling_due_date"], name="documents_status_due"),
            models.Index(fields=["lead_handler", "status"], name="documents_lead_status"),
        ]

    def __str__(self) -> str:
        return self.number_symbol or f"#{self.pk} {self.subject[:60]}"

    @property
    def number_symbol(self) -> str:
        if not self.code_number:
            return ""
        return f"{self.code_number}/{self.code_notation}" if self.code_notation else self.code_number

    @property
    def is_incoming(self) -> bool:
        return self.direction == Direction.INCOMING

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_incoming
            and self.status in INCOMING_OPEN
            and self.handling_due_date is not None
            and self.handling_due_date < timezone.localdate()
        )


class DocumentFile(models.Model):
    """A stored file; never changed. Signing stores the signed PDF as a new row."""

    document = models.ForeignKey(
        Document, verbose_name=_("văn bản"), on_delete=models.CASCADE, related_name="files"
    )
    role = models.CharField(_("loại tệp"), max_length=10, choices=FileRole.choices)
    file = models.FileField(_("tệp"), upload_to="documents/%Y/%m/")
    name = models.CharField(_("tên tệp"), max_length=150)
    content_type = models.CharField(_("kiểu tệp"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed = models.BooleanField(_("đã ký số"), default=False)
    # The newest version of a file is current; a signature supersedes the unsigned one.
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("thay cho tệp"),
        on_delete=models.PROTECT,
        related_name="superseded_by",
        null=True,
        blank=True,
    )
    current = models.BooleanField(_("bản hiện hành"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    uploaded_at = models.DateTimeField(_("thời điểm lưu"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp văn bản")
        verbose_name_plural = _("tệp văn bản")
        ordering = ["document", "pk"]

    def __str__(self) -> str:
        return self.name


class Recipient(models.Model):
    """One place an outgoing document goes to (To), with the latest status it reported back."""

    document = models.ForeignKey(
        Document, verbose_name=_("văn bản đi"), on_delete=models.CASCADE, related_name="recipients"
    )
    channel = models.CharField(_("hình thức gửi"), max_length=10, choices=Channel.choices)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị nhận trong nền tảng"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    organ_id = models.CharField(_("mã cơ quan nhận"), max_length=13, blank=True)
    organ_name = models.CharField(_("tên cơ quan nhận"), max_length=200)
    delivery = models.OneToOneField(
        Document,
        verbose_name=_("văn bản đến tương ứng"),
        on_delete=models.SET_NULL,
        related_name="delivered_from",
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(_("ngày gửi"), null=True, blank=True)
    status_code = models.CharField(_("trạng thái bên nhận"), max_length=2, blank=True)
    status_at = models.DateTimeField(_("cập nhật trạng thái lúc"), null=True, blank=True)
    status_description = models.CharField(_("mô tả trạng thái"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("nơi nhận")
        verbose_name_plural = _("nơi nhận")
        ordering = ["document", "pk"]

    def __str__(self) -> str:
        return self.organ_name


class Assignment(models.Model):
    """Who handles an incoming document: the lead, co-handlers, and those informed (Art. 23)."""

    document = models.ForeignKey(
        Document, verbose_name=_("văn bản đến"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("vai trò"), max_length=5, choices=AssignmentRole.choices)
    due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người phân công"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("ngày phân công"), auto_now_add=True)
    active = models.BooleanField(_("còn hiệu lực"), default=True)

    class Meta:
        verbose_name = _("phân công xử lý")
        verbose_name_plural = _("phân công xử lý")
        ordering = ["document", "pk"]
        indexes = [models.Index(fields=["user", "active"], name="documents_assignment_user")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class DocumentEvent(models.Model):
    """One step of a document's processing history (TraceHeaderList); appended, never edited."""

    document = models.ForeignKey(
        Document, verbose_name=_("văn bản"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    action = models.CharField(_("thao tác"), max_length=30)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, blank=True)
    note = models.TextField(_("ý kiến"), blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)

    class Meta:
        verbose_name = _("bước xử lý văn bản")
        verbose_name_plural = _("lịch sử xử lý văn bản")
        ordering = ["document", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%d/%m/%Y %H:%M}"


class AxisMessage(models.Model):
    """A package received from the national axis: kept raw, registered once (dedup by docId)."""

    axis_id = models.CharField(_("mã gói tin trên trục"), max_length=100, unique=True)
    kind = models.CharField(_("loại gói tin"), max_length=10)  # edoc | status
    package = models.BinaryField(_("gói tin edXML"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received_at = models.DateTimeField(_("nhận lúc"), auto_now_add=True)
    processed_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    error_code = models.CharField(_("mã lỗi"), max_length=40, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    documents = models.ManyToManyField(Document, verbose_name=_("văn bản"), related_name="+", blank=True)

    class Meta:
        verbose_name = _("gói tin nhận từ trục")
        verbose_name_plural = _("gói tin nhận từ trục")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.axis_id
