from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    """The states of a report (workflow.py has the transitions; docs/feedback.md the Open311 mapping)."""

    RECEIVED = "received", _("Đã tiếp nhận")
    ACCEPTED = "accepted", _("Đã thụ lý")
    FORWARDED = "forwarded", _("Đã chuyển đơn vị có thẩm quyền")
    IN_PROGRESS = "in_progress", pgettext_lazy("feedback status", "Đang xử lý")
    INFO_REQUESTED = "info_requested", _("Chờ người phản ánh bổ sung thông tin")
    ANSWERED = "answered", _("Đã trả lời")
    PUBLISHED = "published", _("Đã công khai trả lời")
    CLOSED = "closed", pgettext_lazy("feedback status", "Đã đóng")
    REOPENED = "reopened", _("Mở lại")
    REJECTED = "rejected", _("Không thụ lý")
    TRANSFERRED = "transferred", _("Đã chuyển cơ quan ngoài hệ thống")


# Open311 has two statuses: a report is "open" until it is answered or ended.
OPEN_STATUSES = (
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.FORWARDED,
    Status.IN_PROGRESS,
    Status.INFO_REQUESTED,
    Status.REOPENED,
)
# Law 42/2013 Art. 28: the person is told whether the report was accepted, forwarded or refused;
# every step out of "received" does that (``Report.acknowledged_at`` records when).
ACKNOWLEDGED_STATUSES = tuple(s for s in Status if s != Status.RECEIVED)


class Urgency(models.TextChoices):
    # iHanoi (Decision 1207/QĐ-UBND of Hà Nội, 2025): three levels.
    NORMAL = "normal", _("Thông thường")
    URGENT = "urgent", _("Khẩn cấp")
    COMPLEX = "complex", _("Phức tạp")


class TimeUnit(models.TextChoices):
    # Values match cqs.core.deadlines.
    WORKING_DAYS = "working_days", _("ngày làm việc")
    HOURS = "hours", _("giờ làm việc")


class Datatype(models.TextChoices):
    # Open311 GeoReport v2 attribute datatypes.
    STRING = "string", _("Chuỗi ngắn")
    NUMBER = "number", _("Số")
    DATETIME = "datetime", _("Ngày giờ")
    TEXT = "text", _("Văn bản dài")
    SINGLE = "singlevaluelist", _("Chọn một")
    MULTI = "multivaluelist", _("Chọn nhiều")


class Channel(models.TextChoices):
    WEB = "web", _("Trang web")
    OPEN311 = "open311", _("Ứng dụng (Open311)")
    PHONE = "phone", _("Điện thoại")
    IN_PERSON = "in_person", _("Trực tiếp")


class Resolution(models.TextChoices):
    NONE = "", _("Chưa có")
    ANSWERED = "answered", _("Đã trả lời")
    DUPLICATE = "duplicate", _("Trùng với phản ánh khác")
    SPLIT = "split", _("Đã tách thành các phản ánh khác")
    NO_ANSWER = "no_answer", _("Người phản ánh không bổ sung thông tin")
