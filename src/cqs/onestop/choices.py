from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    """Cấp thực hiện. Since 1/7/2025 local government has two levels (province, commune); the
    district level is kept so that procedures and versions from before then stay readable."""

    PROVINCE = "tinh", _("Cấp tỉnh")
    DISTRICT = "huyen", _("Cấp huyện (trước 1/7/2025)")
    COMMUNE = "xa", _("Cấp xã")


class OnlineLevel(models.TextChoices):
    # ND 42/2022 Art. 11: toàn trình = every step online, result online or by post.
    FULL = "toan-trinh", _("Dịch vụ công trực tuyến toàn trình")
    PARTIAL = "mot-phan", _("Dịch vụ công trực tuyến một phần")
    NONE = "khong", _("Không cung cấp trực tuyến")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    # A context of its own: the bare word "ngày" is also the label of date fields ("date").
    DAYS = "days", pgettext_lazy("time unit", "ngày")
    HOURS = "hours", _("giờ")


class FeeKind(models.TextChoices):
    FEE = "phi", _("Phí")
    CHARGE = "le-phi", _("Lệ phí")


class Channel(models.IntegerChoices):
    # The national portal's channel codes (HinhThuc): 1 in person, 2 online, 3 public postal service.
    IN_PERSON = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POSTAL = 3, _("Dịch vụ bưu chính")
