"""Value lists of the reporting module (Decree 09/2019/NĐ-CP; DHIS2 names where DHIS2 has one)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegimeKind(models.TextChoices):
    """Loại báo cáo (Decree 09, Art. 3): periodic, thematic, ad hoc."""

    PERIODIC = "periodic", _("Báo cáo định kỳ")
    THEMATIC = "thematic", _("Báo cáo chuyên đề")
    AD_HOC = "adhoc", _("Báo cáo đột xuất")


class Channel(models.TextChoices):
    """Phương thức gửi, nhận báo cáo (Decree 09, Art. 7(4))."""

    SOFTWARE = "software", _("Hệ thống phần mềm thông tin báo cáo chuyên dùng")
    EMAIL = "email", _("Thư điện tử")
    POST = "post", _("Dịch vụ bưu chính")
    FAX = "fax", _("Fax")
    IN_PERSON = "in_person", _("Gửi trực tiếp")


class PeriodType(models.TextChoices):
    """Tần suất báo cáo. The codes are DHIS2's, except NINE_MONTHLY, which DHIS2 lacks."""

    MONTHLY = "Monthly", _("Hằng tháng")
    QUARTERLY = "Quarterly", _("Hằng quý")
    SIX_MONTHLY = "SixMonthly", _("6 tháng")
    NINE_MONTHLY = "NineMonthly", _("9 tháng")
    YEARLY = "Yearly", _("Hằng năm")


class ValueType(models.TextChoices):
    """DHIS2 value types the forms support."""

    NUMBER = "NUMBER", _("Số")
    INTEGER = "INTEGER", _("Số nguyên")
    INTEGER_ZERO_OR_POSITIVE = "INTEGER_ZERO_OR_POSITIVE", _("Số nguyên không âm")
    PERCENTAGE = "PERCENTAGE", _("Tỷ lệ phần trăm")
    BOOLEAN = "BOOLEAN", _("Có/Không")
    TEXT = "TEXT", _("Văn bản ngắn")
    LONG_TEXT = "LONG_TEXT", _("Văn bản dài")


NUMERIC_TYPES = frozenset(
    {ValueType.NUMBER, ValueType.INTEGER, ValueType.INTEGER_ZERO_OR_POSITIVE, ValueType.PERCENTAGE}
)


class Aggregation(models.TextChoices):
    """How values of units and periods combine in a roll-up (DHIS2 aggregationType)."""

    SUM = "SUM", _("Cộng")
    AVERAGE = "AVERAGE", _("Trung bình")
    MAX = "MAX", _("Lớn nhất")
    MIN = "MIN", _("Nhỏ nhất")
    LAST = "LAST", _("Giá trị kỳ cuối")
    NONE = "NONE", _("Không tổng hợp")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Đang nhập")
    SUBMITTED = "submitted", _("Đã gửi, chờ duyệt")
    RETURNED = "returned", _("Bị trả lại")
    APPROVED = "approved", pgettext_lazy("report", "Đã duyệt")


class ValueSource(models.TextChoices):
    TYPED = "typed", _("Nhập tay")
    EXCEL = "excel", _("Tệp Excel")
    API = "api", _("API")
    PLATFORM = "platform", _("Tự động từ nền tảng")


class Operator(models.TextChoices):
    """Validation rule operators (DHIS2)."""

    EQUAL_TO = "equal_to", "="
    NOT_EQUAL_TO = "not_equal_to", "≠"
    GREATER_THAN = "greater_than", ">"
    GREATER_THAN_OR_EQUAL_TO = "greater_than_or_equal_to", "≥"
    LESS_THAN = "less_than", "<"
    LESS_THAN_OR_EQUAL_TO = "less_than_or_equal_to", "≤"
    COMPULSORY_PAIR = "compulsory_pair", _("Cặp bắt buộc")
    EXCLUSIVE_PAIR = "exclusive_pair", _("Cặp loại trừ")


class MissingValueStrategy(models.TextChoices):
    SKIP_IF_ANY_VALUE_MISSING = "SKIP_IF_ANY_VALUE_MISSING", _("Bỏ qua nếu thiếu bất kỳ giá trị nào")
    SKIP_IF_ALL_VALUES_MISSING = "SKIP_IF_ALL_VALUES_MISSING", _("Bỏ qua nếu thiếu mọi giá trị")
    NEVER_SKIP = "NEVER_SKIP", _("Luôn kiểm tra (giá trị thiếu tính là 0)")


class Importance(models.TextChoices):
    """An error blocks the submission; a warning is shown and must be confirmed."""

    ERROR = "error", _("Lỗi (chặn gửi)")
    WARNING = "warning", _("Cảnh báo")


class ReportAction(models.TextChoices):
    CREATED = "created", _("Tạo báo cáo")
    SAVED = "saved", _("Lưu nháp")
    FILLED = "filled", _("Lấy số liệu từ nền tảng")
    IMPORTED = "imported", _("Nhập từ tệp hoặc API")
    SUBMITTED = "submitted", _("Gửi báo cáo")
    RETURNED = "returned", _("Trả lại")
    APPROVED = "approved", pgettext_lazy("report action", "Duyệt")
    SIGNED = "signed", _("Ký số bản báo cáo")
    PUSHED = "pushed", _("Gửi lên Hệ thống thông tin báo cáo Chính phủ")
