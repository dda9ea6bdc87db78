"""The operations centre (IOC, trung tâm điều hành), docs/ioc.md.

* ``KpiDefinition`` says how a target of the plan is measured: a ratio or a count of measures the
  platform computes from its own records (``measures.py``), or a value an official enters with its
  evidence (``ManualValue``); its 2021 baseline and whether it breaks down by unit.
* ``KpiSnapshot`` holds the computed figures per definition, unit and window (the year to date and
  each month), written by ``kpi_refresh`` (``RefreshRun`` records each run): the dashboard reads
  these rows and shows when they were computed, it never counts a million dossiers per request.
* ``ProjectUpdate`` and ``Disbursement`` follow the projects of Appendix 3 (``plans.Project``).
* The DTI engine: ``IndexSet`` → ``IndexGroup`` → ``MainIndex`` → ``SubIndicator`` (rule, maximum
  points, evidence, source); ``Assessment`` is one agency's year, moving from self-assessment to the
  council's review to final, with one ``AssessmentScore`` per sub-indicator and an append-only
  ``AssessmentEvent`` history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.ioc.choices import (
    AssessmentState,
    Breakdown,
    IndexLevel,
    KpiKind,
    Pillar,
    ProjectStatus,
    Rule,
    RunStatus,
    ScoreSource,
    Window,
)
from cqs.plans.choices import Comparator

validate_code = RegexValidator(
    r"^[a-z0-9][a-z0-9\-\.]{0,79}$",
    _("Mã chỉ gồm chữ thường không dấu, chữ số, dấu chấm và dấu gạch ngang."),
    code="invalid_code",
)
POINTS = {"max_digits": 8, "decimal_places": 2}


# --- KPIs ------------------------------------------------------------------------------------


class KpiDefinition(models.Model):
    code = models.CharField(_("mã chỉ số"), max_length=80, unique=True, validators=[validate_code])
    name = models.CharField(_("tên chỉ số"), max_length=300)
    target = models.ForeignKey(
        "plans.Target",
        verbose_name=_("mục tiêu kế hoạch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    baseline = models.ForeignKey(
        "plans.BaselineValue",
        verbose_name=_("số liệu năm 2021 (Phần I)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The 2021 figure in this KPI's terms (a rate, when the baseline row is a count with a ratio).
    baseline_value = models.DecimalField(
        _("giá trị năm 2021"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # A target of its own when no target of the plan fits (e.g. the on-time rate), with its source.
    comparator = models.CharField(_("so sánh"), max_length=10, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(_("chỉ tiêu"), max_digits=16, decimal_places=2, null=True, blank=True)
    target_source = models.CharField(_("nguồn chỉ tiêu"), max_length=500, blank=True)
    kind = models.CharField(_("cách tính"), max_length=10, choices=KpiKind.choices)
    numerator = models.CharField(_("đại lượng tử số"), max_length=80, blank=True)
    denominator = models.CharField(_("đại lượng mẫu số"), max_length=80, blank=True)
    scale = models.DecimalField(_("hệ số"), max_digits=8, decimal_places=2, default=Decimal(100))
    unit = models.CharField(_("đơn vị tính"), max_length=30, default="%")
    breakdown = models.CharField(
        _("chi tiết theo"), max_length=10, choices=Breakdown.choices, default=Breakdown.UNITS
    )
    higher_is_better = models.BooleanField(_("càng cao càng tốt"), default=True)
    formula = models.TextField(_("công thức, nguồn số liệu"), blank=True)
    # Measures whose records a unit's figure links to (e.g. the late dossiers behind an on-time rate).
    records = models.JSONField(_("danh sách hồ sơ, bản ghi liên kết"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    active = models.BooleanField(_("đang dùng"), default=True)
    # Shown on the dashboard's first screen.
    headline = models.BooleanField(_("hiện ở màn hình chính"), default=False)
    # An alert on the dashboard when the year's figure is above this (overdue dossiers: 0).
    alert_above = models.DecimalField(
        _("cảnh báo khi vượt"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("định nghĩa chỉ số")
        verbose_name_plural = _("định nghĩa chỉ số")
        ordering = ["order", "code"]
        permissions = [
            ("view_ioc_dashboard", _("Xem bảng điều hành IOC")),
            ("enter_manual_value", _("Nhập số liệu chỉ số có minh chứng")),
            ("refresh_kpis", _("Tính lại số liệu IOC")),
        ]

    def __str__(self) -> str:
        return self.name


class ManualValueQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class ManualValue(models.Model):
    """A figure entered by an official for a year, with its evidence; append-only: the latest
    entry of a KPI, unit and year counts, earlier ones stay as history."""

    kpi = models.ForeignKey(
        KpiDefinition, verbose_name=_("chỉ số"), on_delete=models.PROTECT, related_name="manual_values"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    value = models.DecimalField(_("giá trị"), max_digits=16, decimal_places=2)
    evidence = models.TextField(_("minh chứng (số, ngày văn bản, trích yếu)"))
    evidence_file = models.FileField(_("tệp minh chứng"), upload_to="ioc/evidence/%Y/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("thời điểm nhập"), auto_now_add=True)

    objects = ManualValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("số liệu nhập tay")
        verbose_name_plural = _("số liệu nhập tay")
        ordering = ["kpi", "unit", "year", "-entered_at", "-pk"]
        indexes = [models.Index(fields=["kpi", "year", "unit"], name="ioc_manual_kpi_year_unit")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(evidence=""), name="ioc_manual_evidence_required"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.unit_id} {self.year}: {self.value}"


class KpiSnapshot(models.Model):
    kpi = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="snapshots")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=5, choices=Window.choices)
    start = models.DateField()
    end = models.DateField()  # inclusive; the year to date ends on the refresh's day
    numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    # The tree the figures were rolled up in (units of merged units count for their successor).
    tree_date = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("số liệu chỉ số đã tính")
        verbose_name_plural = _("số liệu chỉ số đã tính")
        constraints = [
            models.UniqueConstraint(fields=["kpi", "unit", "window", "start"], name="ioc_snapshot_unique"),
        ]
        indexes = [models.Index(fields=["unit", "window", "start"], name="ioc_snapshot_unit_window")]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.unit_id} {self.window} {self.start}: {self.value}"


class RefreshRun(models.Model):
    started_at = models.DateTimeField(_("bắt đầu"))
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=RunStatus.choices)
    year = models.PositiveSmallIntegerField(_("năm"))
    rows = models.PositiveIntegerField(_("số dòng"), default=0)
    seconds = models.FloatField(_("thời gian (giây)"), default=0)
    error = models.TextField(_("lỗi"), blank=True)

    class Meta:
        verbose_name = _("lần tính số liệu")
        verbose_name_plural = _("lần tính số liệu")
        ordering = ["-started_at"]

    # --- projects and budget (Appendix 3) ---------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.year} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class ProjectUpdate(models.Model):
    """Progress reported by the lead unit; append-only, the latest is the project's state."""

    project = models.ForeignKey(
        "plans.Project", verbose_name=_("dự án"), on_delete=models.PROTECT, related_name="ioc_updates"
    )
    reported_on = models.DateField(_("ngày báo cáo"))
    progress = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    status = models.CharField(_("tình trạng"), max_length=20, choices=ProjectStatus.choices)
    note = models.TextField(_("nội dung"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("thời điểm nhập"), auto_now_add=True)

    class Meta:
        verbose_name = _("cập nhật tiến độ dự án")
        verbose_name_plural = _("cập nhật tiến độ dự án")
        ordering = ["project", "-reported_on", "-pk"]
        permissions = [("report_project_progress", _("Báo cáo tiến độ, giải ngân dự án"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="ioc_update_progress_max"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.reported_on}: {self.progress}%"


class Disbursement(models.Model):
    project = models.ForeignKey(
        "plans.Project", verbose_name=_("dự án"), on_delete=models.PROTECT, related_name="ioc_disbursements"
    )
    disbursed_on = models.DateField(_("ngày giải ngân"))
    # Million VND, as the plan's tables.
    amount = models.DecimalField(_("số tiền (triệu đồng)"), max_digits=14, decimal_places=3)
    reference = models.CharField(_("chứng từ"), max_length=200)
    note = models.TextField(_("ghi chú"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("thời điểm nhập"), auto_now_add=True)

    class Meta:
        verbose_name = _("giải ngân")
        verbose_name_plural = _("giải ngân")
        ordering = ["project", "disbursed_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ioc_disbursement_positive"),
        ]

    # --- DTI --------------------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.project_id} {self.disbursed_on}: {self.amount}"


class IndexSet(models.Model):
    code = models.CharField(_("mã bộ chỉ số"), max_length=80, unique=True, validators=[validate_code])
    name = models.CharField(_("tên bộ chỉ số"), max_length=300)
    level = models.CharField(_("cấp đánh giá"), max_length=10, choices=IndexLevel.choices)
    version = models.PositiveSmallIntegerField(_("phiên bản"), default=1)
    legal_basis = models.CharField(_("căn cứ"), max_length=500)
    year_from = models.PositiveSmallIntegerField(_("áp dụng từ năm"))
    year_to = models.PositiveSmallIntegerField(_("áp dụng đến năm"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("bộ chỉ số DTI")
        verbose_name_plural = _("bộ chỉ số DTI")
        ordering = ["level", "-year_from", "code"]
        permissions = [
            ("self_assess_dti", _("Tự đánh giá chỉ số chuyển đổi số")),
            ("review_dti", _("Thẩm định, công bố kết quả chỉ số chuyển đổi số")),
            ("view_dti_results", _("Xem kết quả chỉ số chuyển đổi số")),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class IndexGroup(models.Model):
    index_set = models.ForeignKey(IndexSet, on_delete=models.CASCADE, related_name="groups")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã"), max_length=80, validators=[validate_code])
    name = models.CharField(_("tên nhóm"), max_length=300)

    class Meta:
        verbose_name = _("nhóm chỉ số")
        verbose_name_plural = _("nhóm chỉ số")
        ordering = ["index_set", "order"]
        constraints = [
            models.UniqueConstraint(fields=["index_set", "code"], name="ioc_group_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class MainIndex(models.Model):
    group = models.ForeignKey(IndexGroup, on_delete=models.CASCADE, related_name="indices")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã"), max_length=80, validators=[validate_code])
    name = models.CharField(_("tên chỉ số chính"), max_length=300)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    scored = models.BooleanField(_("tính điểm"), default=True)
    pillar = models.CharField(_("trụ cột"), max_length=12, choices=Pillar.choices, blank=True)
    # How many sub-indices the decision lists, when the set does not encode them one by one.
    declared_sub_indices = models.PositiveSmallIntegerField(_("số chỉ số thành phần theo văn bản"), null=True)

    class Meta:
        verbose_name = _("chỉ số chính")
        verbose_name_plural = _("chỉ số chính")
        ordering = ["group", "order"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="ioc_mainindex_unique_code"),
            models.CheckConstraint(condition=models.Q(max_points__gte=0), name="ioc_mainindex_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class SubIndicator(models.Model):
    main_index = models.ForeignKey(MainIndex, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã"), max_length=80, validators=[validate_code])
    name = models.CharField(_("tên chỉ số thành phần"), max_length=500)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    rule = models.CharField(_("cách chấm"), max_length=10, choices=Rule.choices)
    # TIERED: [{"label": "...", "points": 10}, …], each at most the maximum.
    tiers = models.JSONField(_("các mức"), default=list, blank=True)
    # RATIO computed: two measure keys; FORMULA: an expression over measure keys giving 0–1.
    numerator = models.CharField(_("đại lượng tử số"), max_length=80, blank=True)
    denominator = models.CharField(_("đại lượng mẫu số"), max_length=80, blank=True)
    formula = models.CharField(_("công thức"), max_length=500, blank=True)
    source = models.CharField(_("nguồn điểm"), max_length=10, choices=ScoreSource.choices)
    evidence_required = models.BooleanField(_("bắt buộc minh chứng"), default=True)
    guidance = models.TextField(_("hướng dẫn chấm"), blank=True)

    class Meta:
        verbose_name = _("chỉ số thành phần")
        verbose_name_plural = _("chỉ số thành phần")
        ordering = ["main_index", "order"]
        constraints = [
            models.UniqueConstraint(fields=["main_index", "code"], name="ioc_subindicator_unique_code"),
            models.CheckConstraint(
                condition=models.Q(max_points__gte=0), name="ioc_subindicator_max_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class Assessment(models.Model):
    index_set = models.ForeignKey(
        IndexSet, verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="assessments"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan, địa phương"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm đánh giá"))
    state = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=AssessmentState.choices,
        default=AssessmentState.SELF_ASSESSMENT,
    )
    submitted_at = models.DateTimeField(_("gửi thẩm định lúc"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("công bố lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("kỳ đánh giá DTI")
        verbose_name_plural = _("kỳ đánh giá DTI")
        ordering = ["-year", "index_set", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["index_set", "unit", "year"], name="ioc_assessment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index_set.code} {self.year} {self.unit_id}"


class AssessmentScore(models.Model):
    """One sub-indicator of one assessment: the three scores (self, council, final), what they were
    computed from, and the evidence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(SubIndicator, on_delete=models.PROTECT, related_name="+")
    # The input: a tier index, a/b, yes (1) / no (0), a formula's share, or the points.
    input_numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    input_denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    self_score = models.DecimalField(_("điểm tự đánh giá"), null=True, blank=True, **POINTS)
    council_score = models.DecimalField(_("điểm thẩm định"), null=True, blank=True, **POINTS)
    final_score = models.DecimalField(_("điểm chính thức"), null=True, blank=True, **POINTS)
    evidence = models.TextField(_("minh chứng"), blank=True)
    note = models.TextField(_("ghi chú của hội đồng"), blank=True)
    computed_note = models.CharField(_("nguồn số liệu"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("điểm chỉ số thành phần")
        verbose_name_plural = _("điểm chỉ số thành phần")
        ordering = ["assessment", "indicator__main_index__group__order", "indicator__main_index__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="ioc_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.indicator_id}: {self.final_score}"


class AssessmentEvent(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("thao tác"), max_length=30)
    from_state = models.CharField(max_length=10, choices=AssessmentState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=AssessmentState.choices)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("lịch sử đánh giá DTI")
        verbose_name_plural = _("lịch sử đánh giá DTI")
        ordering = ["assessment", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.action}"


# --- the map ----------------------------------------------------------------------------------


class UnitLocation(models.Model):
    """Where a unit's marker goes on the dashboard map, until the GIS module loads boundaries."""

    unit = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="ioc_location"
    )
    lat = models.DecimalField(_("vĩ độ"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6)
    source = models.CharField(_("nguồn"), max_length=300)

    class Meta:
        verbose_name = _("vị trí đơn vị trên bản đồ")
        verbose_name_plural = _("vị trí đơn vị trên bản đồ")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.lat}, {self.lon}"
