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


class DossierStatus(models.IntegerChoices):
    """The national portal's TrangThaiHoSo codes 1–10 are the canonical states (ADR 0008), plus 0
    for a draft the citizen has not submitted, which the portal never sees."""

    DRAFT = 0, _("Bản nháp")
    SUBMITTED = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung")
    FEES_DUE = 6, _("Yêu cầu nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    RESOLVED = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


class Stage(models.TextChoices):
    """Where a dossier in status 4 (Đang xử lý) stands inside the agency: the national status
    stays 4 while a specialist works on it and while a leader considers the proposal."""

    NONE = "", _("—")
    WAITING = "cho-phan-cong", _("Chờ phân công")
    HANDLING = "dang-giai-quyet", _("Chuyên viên đang giải quyết")
    PROPOSED = "cho-phe-duyet", _("Chờ lãnh đạo phê duyệt")


class ApplicantKind(models.IntegerChoices):
    # LoaiDoiTuong of the national portal.
    CITIZEN = 1, _("Công dân")
    ORGANISATION = 2, _("Tổ chức, doanh nghiệp")


class ReturnMethod(models.TextChoices):
    COUNTER = "truc-tiep", _("Nhận trực tiếp tại Bộ phận Một cửa")
    ONLINE = "truc-tuyen", _("Nhận kết quả điện tử trên Cổng dịch vụ công")
    POSTAL = "buu-chinh", _("Nhận qua dịch vụ bưu chính công ích")


class FileRole(models.TextChoices):
    SUBMITTED = "nop", _("Thành phần hồ sơ")
    SUPPLEMENT = "bo-sung", _("Bổ sung")
    DRAFT_RESULT = "du-thao-ket-qua", _("Dự thảo kết quả")
    RESULT = "ket-qua", _("Kết quả giải quyết")
    FORM = "phieu", _("Phiếu in")


class PaymentStatus(models.TextChoices):
    PENDING = "cho-thanh-toan", _("Chờ thanh toán")
    SUCCEEDED = "thanh-cong", _("Thành công")
    FAILED = "that-bai", _("Thất bại")
    EXPIRED = "het-han", _("Hết thời gian")


class Timeliness(models.TextChoices):
    EARLY = "truoc-han", _("Trước hạn")
    ON_TIME = "dung-han", _("Đúng hạn")
    LATE = "qua-han", _("Quá hạn")


class RatingLevel(models.IntegerChoices):
    # The national portal's three levels of satisfaction.
    VERY_SATISFIED = 3, _("Rất hài lòng")
    SATISFIED = 2, _("Hài lòng")
    DISSATISFIED = 1, _("Không hài lòng")


# Criteria of the satisfaction rating after the result is returned (QĐ 766/QĐ-TTg group 5; the
# wording follows the provincial rating forms, e.g. Thừa Thiên Huế's per-dossier criteria).
RATING_CRITERIA = (
    ("overall", _("Mức độ hài lòng chung về giải quyết hồ sơ")),
    ("timeliness", _("Thời gian giải quyết so với ngày hẹn")),
    ("attitude", _("Thái độ, trách nhiệm của cán bộ, công chức")),
    ("guidance", _("Hướng dẫn kê khai, bổ sung hồ sơ rõ ràng, một lần")),
    ("contacts", _("Số lần phải liên hệ, đi lại để giải quyết hồ sơ")),
    ("publicity", _("Công khai, minh bạch thông tin thủ tục, phí, lệ phí")),
    ("online", _("Sự thuận tiện của dịch vụ công trực tuyến")),
)
