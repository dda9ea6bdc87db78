from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """A day whose working status differs from the national calendar computed by ``holidays``.

    The Labour Code fixes the public holidays, but each year the Government (and sometimes the
    province) swaps days: a Saturday becomes a compensatory working day, a bridge day becomes a
    day off. Those decisions are data, so they live here with their legal basis.
    """

    date = models.DateField(_("ngày"), unique=True)
    is_working_day = models.BooleanField(
        _("là ngày làm việc"),
        help_text=_("Chọn nếu là ngày làm bù (ví dụ thứ Bảy đi làm); bỏ chọn nếu là ngày nghỉ thêm."),
    )
    reason = models.CharField(_("lý do"), max_length=255)
    legal_basis = models.CharField(
        _("căn cứ pháp lý"),
        max_length=255,
        help_text=_("Văn bản quyết định, ví dụ: Thông báo số 6150/TB-BLĐTBXH ngày 15/11/2024."),
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("ngày điều chỉnh lịch làm việc")
        verbose_name_plural = _("lịch làm việc: ngày điều chỉnh")
        ordering = ["-date"]

    def __str__(self) -> str:
        kind = _("làm việc") if self.is_working_day else _("nghỉ")
        return f"{self.date:%d/%m/%Y} ({kind}): {self.reason}"


class Counter(models.Model):
    """A named, gap-free sequence (for example the daily dossier number of one agency).

    One row per (scope, key), incremented by ``cqs.core.counters.counter_next`` with an upsert
    inside the caller's transaction: see docs/adr/0007-outbox-and-counters.md.
    """

    scope = models.CharField(_("phạm vi"), max_length=100)
    key = models.CharField(_("khóa"), max_length=100)
    value = models.BigIntegerField(_("giá trị hiện tại"), default=0)

    class Meta:
        verbose_name = _("bộ đếm số thứ tự")
        verbose_name_plural = _("bộ đếm số thứ tự")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_counter_scope_key_unique")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key} = {self.value}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("đang chờ gửi")
    DELIVERED = "delivered", _("đã gửi")
    FAILED = "failed", _("gửi thất bại (đã hết số lần thử)")


class OutboxMessage(models.Model):
    """A message to an outside system, written in the same transaction as the change it reports.

    A rolled-back change leaves no message; a committed one is delivered by
    ``cqs.core.outbox.outbox_dispatch`` at least once, with retries (ADR 0007).
    """

    topic = models.CharField(_("chủ đề"), max_length=100, db_index=True)
    payload = models.JSONField(_("nội dung"), encoder=DjangoJSONEncoder)
    dedup_key = models.CharField(
        _("khóa chống trùng"),
        max_length=200,
        unique=True,
        help_text=_("Định danh của thông điệp; bên nhận dùng khóa này để bỏ qua bản gửi lặp lại."),
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    available_at = models.DateTimeField(_("gửi từ thời điểm"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("số lần đã thử gửi"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    delivered_at = models.DateTimeField(_("thời điểm gửi thành công"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông điệp chờ gửi")
        verbose_name_plural = _("hộp thư đi (thông điệp chờ gửi)")
        ordering = ["-id"]
        indexes = [
            # The dispatcher's query: due pending messages, oldest first.
            models.Index(
                fields=["available_at", "id"],
                name="core_outbox_pending_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.get_status_display()})"


class PrintTemplate(models.Model):
    """An administrator's layout of a printed form, replacing the default file for its code.

    ``cqs.core.printing.pdf_render`` uses the row with the form's code when there is one, and the
    shipped ``templates/print/<code>.html`` otherwise; deleting the row restores the default.
    Saved only through ``cqs.core.services.print_template_save``, which checks that it renders.
    """

    code = models.SlugField(
        _("mã mẫu in"),
        max_length=100,
        unique=True,
        help_text=_(
            "Trùng với tên tệp bố cục mặc định, ví dụ onestop_receipt cho print/onestop_receipt.html."
        ),
    )
    name = models.CharField(_("tên mẫu in"), max_length=255)
    body = models.TextField(
        _("bố cục"),
        help_text=_(
            "Mẫu Django sinh ra HTML đơn giản (p, b, i, h1–h3, br, table, img); "
            "{{ qr_img }} chèn mã QR. Tải bộ lọc ngày tháng bằng {% load print_tags %}."
        ),
    )
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cập nhật"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mẫu in")
        verbose_name_plural = _("mẫu in (bố cục biểu mẫu PDF)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"
