"""Reporting regimes (chế độ báo cáo), indicators (chỉ tiêu), periods, reports and data values.

The model is DHIS2's, with the elements Decree 09/2019/NĐ-CP requires of a regime:

* ``Indicator`` is a DHIS2 data element; its disaggregation is a ``CategoryCombo`` whose
  ``CategoryOptionCombo`` rows are the cells of a form row (the default combo has one).
* ``Regime`` is the stable identity of a reporting regime (a DHIS2 data set); ``RegimeVersion``
  holds the ten elements of Decree 09 in force on ``[valid_from, valid_to)``, its indicators
  (``RegimeIndicator``), its reporting units (``RegimeAssignment``) and its validation rules.
  A report keeps the version in force when it was opened.
* ``Period`` is a label (DHIS2 ISO period) with its own data window (see ``periods.py``).
* ``Report`` is one unit's report for one regime and period: draft → submitted → approved or
  returned (DHIS2's complete registration and approval in one row). Its ``deadline`` and
  ``lock_date`` are fixed when it is opened.
* ``DataValue`` is one cell. ``unit`` and ``period`` are copied from the report so that roll-ups
  group one narrow table.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.core.validity import ValidityQuerySet
from cqs.reporting.choices import (
    Aggregation,
    Channel,
    Importance,
    MissingValueStrategy,
    Operator,
    PeriodType,
    RegimeKind,
    ReportAction,
    ReportStatus,
    ValueSource,
    ValueType,
)
from cqs.reporting.uids import uid_generate

# ADX carries codes as XML attribute values and category codes as attribute names: keep them
# XML-name-safe (letters, digits, "_", "-", ".", not starting with a digit or punctuation).
validate_code = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_.\-]{0,49}$",
    _("Mã chỉ gồm chữ cái không dấu, chữ số, dấu gạch dưới, gạch ngang hoặc chấm, bắt đầu bằng chữ cái."),
    code="invalid_code",
)


def _uid_field():
    return models.CharField(_("mã DHIS2 (uid)"), max_length=11, unique=True, default=uid_generate)


def _code_field(**kwargs):
    return models.CharField(_("mã"), max_length=50, unique=True, validators=[validate_code], **kwargs)


class CategoryOption(models.Model):
    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên"), max_length=230)

    class Meta:
        verbose_name = _("phương án phân tổ")
        verbose_name_plural = _("phương án phân tổ")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A disaggregation dimension, e.g. "Mức độ dịch vụ công" with options "Một phần", "Toàn trình"."""

    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên"), max_length=230)
    options = models.ManyToManyField(CategoryOption, verbose_name=_("phương án"), related_name="categories")

    class Meta:
        verbose_name = _("tiêu thức phân tổ")
        verbose_name_plural = _("tiêu thức phân tổ")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CategoryCombo(models.Model):
    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên"), max_length=230)
    categories = models.ManyToManyField(Category, verbose_name=_("tiêu thức"), blank=True)

    class Meta:
        verbose_name = _("tổ hợp phân tổ")
        verbose_name_plural = _("tổ hợp phân tổ")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CategoryOptionCombo(models.Model):
    """One cell of a disaggregated row: one option of each category of the combo."""

    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên"), max_length=230)
    combo = models.ForeignKey(
        CategoryCombo, verbose_name=_("tổ hợp"), on_delete=models.PROTECT, related_name="option_combos"
    )
    options = models.ManyToManyField(CategoryOption, verbose_name=_("phương án"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("ô phân tổ")
        verbose_name_plural = _("ô phân tổ")
        ordering = ["combo", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """Chỉ tiêu báo cáo (a DHIS2 data element)."""

    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên chỉ tiêu"), max_length=500)
    short_name = models.CharField(_("tên ngắn"), max_length=100)
    description = models.TextField(_("mô tả, cách tính"), blank=True)
    value_type = models.CharField(
        _("kiểu giá trị"),
        max_length=30,
        choices=ValueType.choices,
        default=ValueType.INTEGER_ZERO_OR_POSITIVE,
    )
    unit_label = models.CharField(_("đơn vị tính"), max_length=50, blank=True)
    aggregation = models.CharField(
        _("cách tổng hợp"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    category_combo = models.ForeignKey(
        CategoryCombo, verbose_name=_("phân tổ"), on_delete=models.PROTECT, related_name="indicators"
    )
    # A key of cqs.reporting.sources.SOURCES: the value is computed from another module's selector.
    source = models.CharField(_("nguồn dữ liệu trong nền tảng"), max_length=80, blank=True)
    min_value = models.DecimalField(
        _("giá trị nhỏ nhất hợp lý"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("giá trị lớn nhất hợp lý"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ngày cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Regime(models.Model):
    """Chế độ báo cáo: the identity that versions share (a DHIS2 data set)."""

    uid = _uid_field()
    code = _code_field()
    name = models.CharField(_("tên báo cáo"), max_length=500)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("chế độ báo cáo")
        verbose_name_plural = _("chế độ báo cáo")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RegimeVersion(models.Model):
    """The ten elements of Decree 09/2019 (Art. 7) in force on ``[valid_from, valid_to)``."""

    regime = models.ForeignKey(
        Regime, verbose_name=_("chế độ báo cáo"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveSmallIntegerField(_("phiên bản"), default=1)
    # 1. Tên báo cáo (the regime's code is on Regime).
    name = models.CharField(_("tên báo cáo"), max_length=500)
    kind = models.CharField(
        _("loại báo cáo"), max_length=10, choices=RegimeKind.choices, default=RegimeKind.PERIODIC
    )
    legal_basis = models.CharField(_("văn bản quy định"), max_length=500)
    # 2. Nội dung yêu cầu báo cáo.
    content = models.TextField(_("nội dung yêu cầu báo cáo"))
    # 3. Đối tượng thực hiện: RegimeAssignment rows. 4. Cơ quan nhận báo cáo:
    receiver = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan nhận báo cáo"), on_delete=models.PROTECT, related_name="+"
    )
    # 5. Phương thức gửi, nhận.
    channel = models.CharField(
        _("phương thức gửi, nhận"), max_length=12, choices=Channel.choices, default=Channel.SOFTWARE
    )
    # 6. Thời hạn gửi: working days after the data cut-off.
    deadline_working_days = models.PositiveSmallIntegerField(
        _("thời hạn gửi (ngày làm việc sau ngày chốt số liệu)"), default=2
    )
    # 7. Tần suất.
    period_type = models.CharField(_("tần suất"), max_length=12, choices=PeriodType.choices)
    # 8. Thời gian chốt số liệu: day of the month the window closes on (empty: the calendar period).
    cutoff_day = models.PositiveSmallIntegerField(
        _("ngày chốt số liệu"),
        null=True,
        blank=True,
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(27)],
    )
    # 9. Mẫu đề cương (text part) and biểu mẫu số liệu (RegimeIndicator rows).
    outline_template = models.TextField(_("mẫu đề cương báo cáo"), blank=True)
    # 10. Hướng dẫn quy trình.
    process_guide = models.TextField(_("hướng dẫn quy trình thực hiện"), blank=True)
    # Workflow: calendar days after the deadline before entry locks (DHIS2 expiryDays; 0: never).
    expiry_days = models.PositiveSmallIntegerField(_("khóa nhập sau hạn (ngày)"), default=10)
    signature_required = models.BooleanField(_("bản duyệt phải ký số"), default=True)
    push_to_ris = models.BooleanField(_("gửi lên Hệ thống thông tin báo cáo Chính phủ"), default=False)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiên bản chế độ báo cáo")
        verbose_name_plural = _("phiên bản chế độ báo cáo")
        ordering = ["regime", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "version"], name="reporting_regime_version_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="reporting_regimeversion_valid_range",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class RegimeIndicator(models.Model):
    """One row of the regime's data template, in a section, in order."""

    version = models.ForeignKey(RegimeVersion, on_delete=models.CASCADE, related_name="rows")
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("chỉ tiêu"), on_delete=models.PROTECT, related_name="+"
    )
    section = models.CharField(_("phần, mục"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    compulsory = models.BooleanField(_("bắt buộc"), default=False)

    class Meta:
        verbose_name = _("chỉ tiêu của biểu mẫu")
        verbose_name_plural = _("chỉ tiêu của biểu mẫu")
        ordering = ["version", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "indicator"], name="reporting_row_unique"),
        ]

    def __str__(self) -> str:
        return str(self.indicator)


class RegimeAssignment(models.Model):
    """Who reports: units of a kind, at a depth of the tree, or one named unit; optionally only
    inside one unit's subtree. A unit is assigned when any row of the version matches it."""

    version = models.ForeignKey(RegimeVersion, on_delete=models.CASCADE, related_name="assignments")
    kind = models.ForeignKey(
        "orgs.OrgUnitKind",
        verbose_name=_("loại đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    depth = models.PositiveSmallIntegerField(_("cấp trong cây"), null=True, blank=True)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    within = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("chỉ trong đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("đối tượng thực hiện báo cáo")
        verbose_name_plural = _("đối tượng thực hiện báo cáo")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__isnull=False)
                | models.Q(depth__isnull=False)
                | models.Q(unit__isnull=False),
                name="reporting_assignment_says_who",
                violation_error_message=_("Cần chọn loại đơn vị, cấp hoặc một đơn vị cụ thể."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.unit or self.kind or f"cấp {self.depth}")


class ValidationRule(models.Model):
    """Quy tắc kiểm tra: ``left operator right``; sides are expressions over ``#{CODE}`` or
    ``#{CODE.COC_CODE}`` (DHIS2 syntax, by code), numbers, + - * / and parentheses."""

    version = models.ForeignKey(RegimeVersion, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("tên quy tắc"), max_length=230)
    instruction = models.CharField(_("hướng dẫn khi vi phạm"), max_length=500)
    left = models.CharField(_("vế trái"), max_length=1000)
    operator = models.CharField(_("phép so sánh"), max_length=30, choices=Operator.choices)
    right = models.CharField(_("vế phải"), max_length=1000)
    missing_value_strategy = models.CharField(
        _("xử lý giá trị thiếu"),
        max_length=30,
        choices=MissingValueStrategy.choices,
        default=MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    )
    importance = models.CharField(
        _("mức độ"), max_length=10, choices=Importance.choices, default=Importance.ERROR
    )

    class Meta:
        verbose_name = _("quy tắc kiểm tra")
        verbose_name_plural = _("quy tắc kiểm tra")
        ordering = ["version", "id"]

    def __str__(self) -> str:
        return self.name


class Period(models.Model):
    """A reporting period as stored (``periods.PeriodSpec`` computes it)."""

    iso = models.CharField(_("kỳ (ISO)"), max_length=10, unique=True)
    period_type = models.CharField(_("loại kỳ"), max_length=12, choices=PeriodType.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), db_index=True)

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        ordering = ["start", "period_type"]

    def __str__(self) -> str:
        return self.iso


class ReportQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class Report(models.Model):
    uid = _uid_field()
    regime = models.ForeignKey(
        Regime, verbose_name=_("chế độ báo cáo"), on_delete=models.PROTECT, related_name="reports"
    )
    version = models.ForeignKey(
        RegimeVersion, verbose_name=_("phiên bản"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị báo cáo"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        Period, verbose_name=_("kỳ báo cáo"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    window_start = models.DateField(_("số liệu từ ngày"))
    window_end = models.DateField(_("số liệu đến ngày"))
    deadline = models.DateField(_("hạn gửi"))
    # The first day entry is refused (DHIS2 expiry); empty: never locks.
    lock_date = models.DateField(_("ngày khóa nhập"), null=True, blank=True)
    # Who reviews: the nearest assigned ancestor on the period's end, else the regime's receiver.
    reviewer_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị duyệt"), on_delete=models.PROTECT, related_name="+"
    )
    outline_text = models.TextField(_("phần thuyết minh"), blank=True)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gửi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    late = models.BooleanField(_("gửi muộn"), default=False)
    decided_at = models.DateTimeField(_("duyệt/trả lúc"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người duyệt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    signed_pdf = models.FileField(_("bản báo cáo đã ký"), upload_to="reporting/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ngày cập nhật"), auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-period__start", "regime", "unit"]
        permissions = [
            ("submit_report", _("Gửi báo cáo của đơn vị")),
            ("approve_report", _("Duyệt hoặc trả lại báo cáo của đơn vị cấp dưới")),
            ("grant_lock_exception", _("Mở khóa nhập số liệu quá hạn")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["regime", "unit", "period"], name="reporting_report_one"),
        ]
        indexes = [
            models.Index(fields=["regime", "period", "status"], name="reporting_report_rate"),
            models.Index(fields=["reviewer_unit", "status"], name="reporting_report_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.regime.code} {self.period.iso} — {self.unit}"


class DataValueQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class DataValue(models.Model):
    # The composite indexes in Meta cover every lookup: no single-column index per foreign key,
    # which would only slow the writes of a large import.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="values", db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", db_index=False)
    option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Copies of the report's unit and period (set by the services, never on their own) so that
    # roll-ups group this one table; the report's own keys guard them, and skipping two
    # per-row foreign-key checks keeps imports fast.
    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    period = models.ForeignKey(
        Period, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    # The value as entered (DHIS2 stores strings); ``number`` is set for numeric types.
    value = models.CharField(_("giá trị"), max_length=2000)
    number = models.DecimalField(_("giá trị số"), max_digits=24, decimal_places=6, null=True, blank=True)
    source = models.CharField(
        pgettext_lazy("data value", "nguồn"),
        max_length=10,
        choices=ValueSource.choices,
        default=ValueSource.TYPED,
    )
    # What a platform-filled value was computed from, shown next to it.
    source_note = models.CharField(_("ghi chú nguồn"), max_length=300, blank=True)
    comment = models.CharField(_("ghi chú"), max_length=500, blank=True)
    stored_by = models.CharField(_("người nhập"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"))

    objects = DataValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("giá trị số liệu")
        verbose_name_plural = _("giá trị số liệu")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator", "option_combo"], name="reporting_value_one"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "indicator"], name="reporting_value_rollup"),
            models.Index(fields=["unit", "period"], name="reporting_value_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.option_combo_id} = {self.value}"


class LockException(models.Model):
    """Mở khóa: lets one unit enter or submit a locked report until ``until``."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="lock_exceptions")
    until = models.DateField(_("mở đến hết ngày"))
    reason = models.CharField(_("lý do"), max_length=500)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("mở lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("mở khóa nhập số liệu")
        verbose_name_plural = _("mở khóa nhập số liệu")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.report} → {self.until}"


class ReportEvent(models.Model):
    """History of a report, appended and never edited."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("thao tác"), max_length=12, choices=ReportAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("lúc"), auto_now_add=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("lịch sử báo cáo")
        verbose_name_plural = _("lịch sử báo cáo")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at}"
