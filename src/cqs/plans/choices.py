from django.db import models
from django.utils.translation import gettext_lazy as _


class FundingSource(models.TextChoices):
    PUBLIC_INVESTMENT = "public_investment", _("Đầu tư công")
    # "Sự nghiệp": recurrent expenditure from the annual budget, as opposed to capital investment.
    RECURRENT = "recurrent", _("Sự nghiệp")


class Comparator(models.TextChoices):
    EQ = "eq", _("bằng")
    GTE = "gte", _("tối thiểu")
    GT = "gt", _("trên")
    RANGE = "range", _("trong khoảng")


COMPARATOR_SYMBOLS = {Comparator.EQ: "=", Comparator.GTE: "≥", Comparator.GT: ">", Comparator.RANGE: "…"}


class Qualifier(models.TextChoices):
    EXACT = "eq", _("đúng bằng")
    # "hơn 7.000 hộp thư": the text gives a lower bound, not a count.
    MORE_THAN = "gt", _("hơn")


class NoteKind(models.TextChoices):
    RATIO_MISMATCH = "ratio_mismatch", _("Tỷ lệ không khớp")
    SUM_MISMATCH = "sum_mismatch", _("Tổng không khớp")
    COUNT_MISMATCH = "count_mismatch", _("Số lượng không khớp")
    TOTAL_MISMATCH = "total_mismatch", _("Tổng kinh phí không khớp")
    ALLOCATION_EXCEEDS_BUDGET = "allocation_exceeds_budget", _("Phân bổ vượt kinh phí")
    REMARK = "remark", _("Ghi chú")


class SubjectType(models.TextChoices):
    PLAN = "plan", _("Kế hoạch")
    TARGET = "target", _("Mục tiêu")
    BASELINE = "baseline", _("Số liệu năm 2021")
    PROJECT = "project", _("Dự án, nhiệm vụ")
    INFORMATION_SYSTEM = "information_system", _("Hệ thống thông tin")
