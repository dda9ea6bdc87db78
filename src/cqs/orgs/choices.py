from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentifierSource(models.TextChoices):
    OFFICIAL = "official", _("Văn bản chính thức")
    DERIVED = "derived", _("Suy ra, chưa đối chiếu văn bản")
    DEMO = "demo", _("Gán cho dữ liệu mẫu")


class SuccessionKind(models.TextChoices):
    MERGE = "merge", _("Hợp nhất, sáp nhập")
    SPLIT = "split", _("Chia, tách")
    MOVE = "move", _("Chuyển đơn vị cấp trên")
    RENAME = "rename", _("Đổi tên")
    DISSOLVE = "dissolve", _("Giải thể, chuyển giao nhiệm vụ")
