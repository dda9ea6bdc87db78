"""Dossiers (hồ sơ thủ tục hành chính) and what happens to them.

A ``Dossier`` holds the current state, for fast lists and statistics; ``DossierEvent`` rows are
its history, appended by ``services.dossiers`` in the same transaction as every change and never
edited. Status codes are the national portal's 1–10 (``choices.DossierStatus``); the allowed
moves between them are in ``workflow.py``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.onestop.choices import (
    ApplicantKind,
    Channel,
    DossierStatus,
    FileRole,
    PaymentStatus,
    ReturnMethod,
    Stage,
)

OPEN_STATUSES = (
    DossierStatus.SUBMITTED,
    DossierStatus.RECEIVED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT,
    DossierStatus.FEES_DUE,
)
# The agency's clock runs in these statuses; in SUPPLEMENT it waits for the citizen.
CLOCK_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.FEES_DUE)
ENDED_STATUSES = (
    DossierStatus.REFUSED,
    DossierStatus.WITHDRAWN,
    DossierStatus.STOPPED,
    DossierStatus.RESOLVED,
    DossierStatus.RETURNED,
)


class DossierQuerySet(RestrictedQuerySet):
    unit_field = "unit"

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def of_applicant(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(applicant=user)


class Dossier(models.Model):
    code = models.CharField(
        _("mã hồ sơ"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Theo Điều 19 Thông tư 01/2018/TT-VPCP; cấp khi nộp hoặc tiếp nhận."),
    )
    procedure = models.ForeignKey(
        "onestop.Procedure", verbose_name=_("thủ tục hành chính"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        "onestop.ProcedureVersion",
        verbose_name=_("phiên bản thủ tục"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan tiếp nhận"), on_delete=models.PROTECT, related_name="+"
    )
    handling_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị đang giải quyết"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.PositiveSmallIntegerField(
        _("trạng thái"), choices=DossierStatus.choices, default=DossierStatus.DRAFT, db_index=True
    )
    stage = models.CharField(_("bước xử lý"), max_length=20, choices=Stage.choices, blank=True, default="")
    channel = models.PositiveSmallIntegerField(_("hình thức nộp"), choices=Channel.choices)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản người nộp"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        null=True,
        blank=True,
    )
    applicant_kind = models.PositiveSmallIntegerField(
        _("loại đối tượng"), choices=ApplicantKind.choices, default=ApplicantKind.CITIZEN
    )
    applicant_name = models.CharField(_("chủ hồ sơ"), max_length=200)
    applicant_cccd = models.CharField(_("số căn cước"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    form_data = models.JSONField(_("nội dung tờ khai"), default=dict, blank=True)
    return_method = models.CharField(
        _("hình thức nhận kết quả"), max_length=12, choices=ReturnMethod.choices, default=ReturnMethod.COUNTER
    )
    postal_address = models.CharField(_("địa chỉ nhận kết quả qua bưu chính"), max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), on_delete=models.PROTECT, related_name="+"
    )
    # The Idempotency-Key of the request that created the dossier, per creator.
    client_token = models.CharField(_("khóa chống gửi trùng"), max_length=64, blank=True, default="")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chuyên viên xử lý"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("ngày nộp"), null=True, blank=True)
    received_at = models.DateTimeField(_("ngày tiếp nhận"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(
        _("ngày hẹn trả"),
        null=True,
        blank=True,
        help_text=_("Theo thời hạn giải quyết, cộng thời gian chờ công dân bổ sung."),
    )
    promised_at = models.DateTimeField(
        _("ngày hẹn lại"), null=True, blank=True, help_text=_("Ngày hẹn mới trong phiếu xin lỗi.")
    )
    step_due_at = models.DateTimeField(
        _("hạn của bước đang xử lý"),
        null=True,
        blank=True,
        help_text=_("Hạn giao khi tiếp nhận, phân công hoặc chuyển đơn vị (phiếu kiểm soát)."),
    )
    completed_at = models.DateTimeField(_("ngày xử lý xong"), null=True, blank=True, db_index=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ngày kết thúc"), null=True, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng để bổ sung từ"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    overdue_at = models.DateTimeField(_("phát hiện quá hạn lúc"), null=True, blank=True)

    fee_total = models.PositiveBigIntegerField(_("tổng phí, lệ phí (đồng)"), default=0)
    paid_online = models.BooleanField(_("đã thanh toán trực tuyến"), default=False)
    result_summary = models.TextField(_("kết quả giải quyết"), blank=True)
    stop_reason = models.TextField(_("lý do"), blank=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-created_at"]
        permissions = [
            ("receive_dossier", _("Tiếp nhận, trả kết quả hồ sơ tại Bộ phận Một cửa")),
            ("process_dossier", _("Giải quyết hồ sơ (chuyên viên)")),
            ("approve_dossier", _("Phê duyệt kết quả giải quyết hồ sơ (lãnh đạo)")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~models.Q(client_token=""),
                name="onestop_dossier_idempotency",
            ),
            models.CheckConstraint(
                condition=models.Q(status=0) | models.Q(code__isnull=False),
                name="onestop_dossier_code_when_filed",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="onestop_dossier_unit_status"),
            models.Index(fields=["status", "due_at"], name="onestop_dossier_status_due"),
            models.Index(fields=["applicant", "-created_at"], name="onestop_dossier_applicant"),
        ]

    def __str__(self) -> str:
        return self.code or f"#{self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def step_overdue(self) -> bool:
        """The current step (a specialist's or a unit's share of the time) is past its deadline."""
        from django.utils import timezone

        return self.is_open and self.step_due_at is not None and self.step_due_at < timezone.now()

    @property
    def appointment_at(self):
        """The date the citizen was last promised: the apology's new date, else the due date."""
        return self.promised_at or self.due_at


class DossierEvent(models.Model):
    """One step in a dossier's history. Appended, never edited."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("thao tác"), max_length=40)
    from_status = models.PositiveSmallIntegerField(_("từ trạng thái"), choices=DossierStatus.choices)
    to_status = models.PositiveSmallIntegerField(_("sang trạng thái"), choices=DossierStatus.choices)
    stage = models.CharField(_("bước xử lý"), max_length=20, choices=Stage.choices, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    actor_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị thực hiện"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị nhận"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("thời điểm"), db_index=True)
    deadline = models.DateTimeField(_("hạn xử lý bước này"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    public = models.BooleanField(
        _("công khai"),
        default=True,
        help_text=_("Hiện trong tra cứu công khai (không có thông tin cá nhân)."),
    )
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)

    class Meta:
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("quá trình xử lý hồ sơ")
        ordering = ["dossier", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier} {self.action} {self.at:%d/%m/%Y %H:%M}"


class DossierFile(models.Model):
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="files"
    )
    role = models.CharField(_("loại tệp"), max_length=20, choices=FileRole.choices)
    document = models.ForeignKey(
        "onestop.ProcedureDocument",
        verbose_name=_("thành phần hồ sơ"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    file = models.FileField(_("tệp"), upload_to="onestop/%Y/%m/")
    name = models.CharField(_("tên tệp"), max_length=150)
    content_type = models.CharField(_("kiểu tệp"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed = models.BooleanField(_("đã ký số"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp của hồ sơ")
        verbose_name_plural = _("tệp của hồ sơ")
        ordering = ["dossier", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class SupplementRequest(models.Model):
    """Phiếu yêu cầu bổ sung: the clock stops from ``requested_at`` until ``completed_at``."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="supplements"
    )
    requested_at = models.DateTimeField(_("yêu cầu lúc"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("lý do"))
    items = models.JSONField(_("giấy tờ cần bổ sung"), default=list)
    resume_status = models.PositiveSmallIntegerField(
        _("trạng thái khi tiếp tục"), choices=DossierStatus.choices
    )
    due_at_before = models.DateTimeField(_("ngày hẹn trả trước"), null=True, blank=True)
    completed_at = models.DateTimeField(_("bổ sung xong lúc"), null=True, blank=True)
    due_at_after = models.DateTimeField(_("ngày hẹn trả mới"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu bổ sung hồ sơ")
        verbose_name_plural = _("yêu cầu bổ sung hồ sơ")
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier} {self.requested_at:%d/%m/%Y}"


class Payment(models.Model):
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="payments"
    )
    order_id = models.CharField(_("mã giao dịch của hồ sơ"), max_length=80, unique=True)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    transaction_no = models.CharField(_("mã giao dịch cổng thanh toán"), max_length=80, blank=True)
    error_code = models.CharField(_("mã lỗi cổng thanh toán"), max_length=20, blank=True)
    paid_at = models.DateTimeField(_("thanh toán lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    callbacks = models.PositiveIntegerField(_("số lần nhận kết quả"), default=0)

    class Meta:
        verbose_name = _("thanh toán trực tuyến")
        verbose_name_plural = _("thanh toán trực tuyến")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction_no"], condition=~models.Q(transaction_no=""), name="onestop_payment_txn"
            )
        ]

    def __str__(self) -> str:
        return self.order_id


class Rating(models.Model):
    """Đánh giá mức độ hài lòng after the result is returned (QĐ 766/QĐ-TTg, group 5)."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="rating"
    )
    scores = models.JSONField(_("điểm theo tiêu chí"))
    overall = models.PositiveSmallIntegerField(_("mức hài lòng chung"))
    comment = models.TextField(_("góp ý"), blank=True)
    created_at = models.DateTimeField(_("đánh giá lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("đánh giá hài lòng")
        verbose_name_plural = _("đánh giá hài lòng")

    def __str__(self) -> str:
        return f"{self.dossier}: {self.overall}"
