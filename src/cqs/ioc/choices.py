from django.db import models
from django.utils.translation import gettext_lazy as _


class KpiKind(models.TextChoices):
    # numerator ÷ denominator × scale, both measures computed from the platform's records.
    RATIO = "ratio", _("Tỷ lệ tính từ dữ liệu")
    # one measure, a count.
    COUNT = "count", _("Số đếm từ dữ liệu")
    # a value entered by an official, with its evidence.
    MANUAL = "manual", _("Nhập tay có minh chứng")


class Breakdown(models.TextChoices):
    UNITS = "units", _("Theo đơn vị, đến cấp xã")
    PROVINCE = "province", _("Chỉ cấp tỉnh")


class Window(models.TextChoices):
    YEAR = "year", _("Lũy kế năm")
    MONTH = "month", _("Tháng")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Đang tính")
    DONE = "done", _("Xong")
    FAILED = "failed", _("Lỗi")


class ProjectStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa triển khai")
    ON_TRACK = "on_track", _("Đúng tiến độ")
    DELAYED = "delayed", _("Chậm tiến độ")
    DONE = "done", _("Hoàn thành")
    SUSPENDED = "suspended", _("Tạm dừng")


class IndexLevel(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh (Bộ chỉ số quốc gia)")
    AGENCY = "agency", _("Cơ quan, địa phương trong tỉnh")


class Pillar(models.TextChoices):
    GOVERNMENT = "government", _("Chính quyền số")
    ECONOMY = "economy", _("Kinh tế số")
    SOCIETY = "society", _("Xã hội số")


class Rule(models.TextChoices):
    # full / part / none: the tiers list their points.
    TIERED = "tiered", _("Theo mức")
    # a ÷ b × maximum points, capped at the maximum.
    RATIO = "ratio", _("Theo tỷ lệ")
    # yes: maximum points, no: 0.
    BOOLEAN = "boolean", _("Có/Không")
    # an expression over the platform's measures giving a share 0–1 of the maximum.
    FORMULA = "formula", _("Theo công thức")
    # the points themselves, from 0 to the maximum (a published score).
    POINTS = "points", _("Điểm trực tiếp")


class ScoreSource(models.TextChoices):
    SELF = "self", _("Tự đánh giá")
    COMPUTED = "computed", _("Hệ thống tự tính")
    SURVEY = "survey", _("Khảo sát")


class AssessmentState(models.TextChoices):
    SELF_ASSESSMENT = "self", _("Đang tự đánh giá")
    COUNCIL_REVIEW = "council", _("Hội đồng đang thẩm định")
    FINAL = "final", _("Đã công bố kết quả")
