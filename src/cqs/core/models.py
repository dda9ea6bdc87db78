from django.db import models
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
