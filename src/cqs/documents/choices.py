"""Value lists of the documents module (Decree 30/2020/NĐ-CP, QCVN 102:2016)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    INCOMING = "in", _("Văn bản đến")
    OUTGOING = "out", _("Văn bản đi")


class Urgency(models.IntegerChoices):
    """Mức độ khẩn (Art. 8, Appendix I of Decree 30); the value is edXML ``OtherInfo/Priority``.

    The numeric values follow the exchange samples (0 normal … 3 flash); the standard's own value
    list was not available to check (see docs/documents.md).
    """

    NORMAL = 0, _("Thường")
    URGENT = 1, _("Khẩn")
    VERY_URGENT = 2, _("Thượng khẩn")
    FLASH = 3, _("Hỏa tốc")


class Secrecy(models.IntegerChoices):
    """Độ mật (Law on Protection of State Secrets 2018): secret documents number in their own series."""

    NONE = 0, _("Không mật")
    CONFIDENTIAL = 1, _("Mật")
    SECRET = 2, _("Tối mật")
    TOP_SECRET = 3, _("Tuyệt mật")


class OutgoingState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    REVIEW = "review", _("Chờ ký")
    SIGNED = "signed", _("Đã ký, chờ phát hành")
    ISSUED = "issued", _("Đã phát hành")
    RECALLED = "recalled", _("Đã thu hồi")


class IncomingStatus(models.TextChoices):
    """The state of an incoming document is the edXML status code sent back to its sender."""

    ARRIVED = "01", _("Đã đến")
    REJECTED = "02", pgettext_lazy("incoming document", "Từ chối tiếp nhận")
    REGISTERED = "03", _("Đã vào sổ")
    ASSIGNED = "04", _("Đã phân công")
    PROCESSING = "05", pgettext_lazy("incoming document", "Đang xử lý")
    COMPLETED = "06", _("Hoàn thành")
    RECALLED = "15", _("Đã thu hồi")


class Channel(models.TextChoices):
    INTERNAL = "internal", _("Trong nền tảng")
    AXIS = "axis", _("Trục liên thông (edXML)")
    PAPER = "paper", _("Bản giấy (số hóa)")


class FileRole(models.TextChoices):
    MAIN = "main", _("Văn bản")
    APPENDIX = "appendix", _("Phụ lục, tài liệu kèm theo")
    DRAFT = "draft", _("Bản dự thảo")
    EDXML = "edxml", _("Gói tin edXML")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Chủ trì")
    CO = "co", _("Phối hợp")
    INFO = "info", _("Nhận để biết")


class BussinessDocType(models.IntegerChoices):
    """edXML ``Bussiness/BussinessDocType`` (spelled as in the standard)."""

    NEW = 0, _("Văn bản mới")
    RECALL = 1, _("Thu hồi")
    UPDATE = 2, _("Cập nhật")
    REPLACE = 3, _("Thay thế")
