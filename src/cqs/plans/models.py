"""Plan 326/KH-UBND as data: targets, 2021 figures, information systems, projects, and the notes
recorded where the plan's own figures do not add up.

Rows are loaded from the committed document (``data/plan_326_2021.json``) by
``services.plan_load``; nothing here is edited by hand. Amounts are integers in million VND
(the plan's own unit), figures are copied as written.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.plans.choices import COMPARATOR_SYMBOLS, Comparator, FundingSource, NoteKind, Qualifier, SubjectType


class Plan(models.Model):
    number = models.CharField(_("số ký hiệu"), max_length=50, unique=True)
    issued_on = models.DateField(_("ngày ban hành"))
    issuer = models.CharField(_("cơ quan ban hành"), max_length=200)
    issuer_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị ban hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("trích yếu"), max_length=500)
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    source_reference = models.CharField(_("nguồn văn bản"), max_length=500, blank=True)
    source_sha256 = models.CharField(_("mã băm SHA-256 của văn bản nguồn"), max_length=64, blank=True)
    stated_total_budget = models.PositiveBigIntegerField(_("tổng kinh phí ghi trong văn bản (triệu đồng)"))
    stated_total_allocation = models.PositiveBigIntegerField(
        _("tổng phân bổ năm kế hoạch ghi trong văn bản (triệu đồng)")
    )
    loaded_at = models.DateTimeField(_("lần nạp gần nhất"), auto_now=True)

    class Meta:
        verbose_name = _("kế hoạch")
        verbose_name_plural = _("kế hoạch")
        ordering = ["-issued_on", "number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.issued_on:%d/%m/%Y})"


class TargetArea(models.Model):
    """A subsection of "Mục tiêu cụ thể" (Part II §III), e.g. "3. Bảo đảm an toàn thông tin"."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="target_areas"
    )
    number = models.PositiveSmallIntegerField(_("số thứ tự"))
    title = models.CharField(_("lĩnh vực"), max_length=300)

    class Meta:
        verbose_name = _("lĩnh vực mục tiêu")
        verbose_name_plural = _("lĩnh vực mục tiêu")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_targetarea_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Target(models.Model):
    """A specific target, with its structured reading when the text states a number."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="targets"
    )
    area = models.ForeignKey(
        TargetArea, verbose_name=_("lĩnh vực"), on_delete=models.CASCADE, related_name="targets"
    )
    order = models.PositiveSmallIntegerField(_("thứ tự trong lĩnh vực"))
    # Stable identifier used by other modules to report progress against this target.
    code = models.SlugField(_("mã mục tiêu"), max_length=80)
    indicator = models.CharField(_("chỉ tiêu đo"), max_length=300)
    text = models.TextField(_("nội dung mục tiêu"))
    comparator = models.CharField(_("so sánh"), max_length=10, choices=Comparator.choices, blank=True)
    value = models.DecimalField(_("giá trị mục tiêu"), max_digits=14, decimal_places=2, null=True, blank=True)
    value_max = models.DecimalField(
        _("giá trị mục tiêu tối đa"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Chỉ dùng khi mục tiêu là một khoảng, ví dụ từ 4 đến 6."),
    )
    unit = models.CharField(_("đơn vị tính"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("mục tiêu")
        verbose_name_plural = _("mục tiêu")
        ordering = ["area__number", "order"]
        constraints = [
            # Not unique on (area, order): a reload that reorders targets would collide mid-update.
            models.UniqueConstraint(fields=["plan", "code"], name="plans_target_unique_code"),
            models.CheckConstraint(
                condition=(
                    models.Q(comparator="", value__isnull=True, value_max__isnull=True)
                    | models.Q(
                        comparator__in=["eq", "gte", "gt"], value__isnull=False, value_max__isnull=True
                    )
                    | models.Q(comparator="range", value__isnull=False, value_max__gt=models.F("value"))
                ),
                name="plans_target_structured_value",
                violation_error_message=_("Giá trị mục tiêu không khớp với phép so sánh."),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def comparator_symbol(self) -> str:
        return COMPARATOR_SYMBOLS.get(self.comparator, "")


class BaselineValue(models.Model):
    """A 2021 figure from Part I of the plan, with the sentence it comes from."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="baselines"
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.SlugField(_("mã số liệu"), max_length=80)
    section = models.CharField(_("mục trong Phần I"), max_length=10)
    label = models.CharField(_("chỉ tiêu"), max_length=300)
    value = models.DecimalField(_("giá trị"), max_digits=16, decimal_places=2)
    qualifier = models.CharField(
        _("mức độ chính xác"), max_length=5, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    unit = models.CharField(_("đơn vị tính"), max_length=50)
    as_of = models.DateField(_("số liệu tính đến ngày"), null=True, blank=True)
    scope = models.CharField(_("phạm vi"), max_length=200, blank=True)
    quote = models.TextField(_("trích dẫn văn bản"))
    stated_ratio = models.DecimalField(
        _("tỷ lệ ghi trong văn bản (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # What the stated ratio divides: the numerator is this figure unless another one is named.
    ratio_numerator = models.CharField(_("mã số liệu tử số"), max_length=80, blank=True)
    ratio_denominator = models.CharField(_("mã số liệu mẫu số"), max_length=80, blank=True)
    parts = models.JSONField(_("mã các số liệu thành phần"), default=list, blank=True)

    class Meta:
        verbose_name = _("số liệu năm 2021")
        verbose_name_plural = _("số liệu năm 2021")
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="plans_baselinevalue_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.scope}): {self.value} {self.unit}"


class InformationSystem(models.Model):
    """A row of Appendix 1: the information systems and databases run at the provincial centre."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="information_systems"
    )
    number = models.PositiveSmallIntegerField(_("số thứ tự"))
    name = models.CharField(_("tên hệ thống"), max_length=500)
    owner_name = models.CharField(_("đơn vị sở hữu (theo tên hệ thống)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hệ thống thông tin")
        verbose_name_plural = _("hệ thống thông tin")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_informationsystem_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Project(models.Model):
    """A row of Appendix 3: a project or task for the plan year, its lead unit and its budget."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="projects"
    )
    number = models.PositiveSmallIntegerField(_("số thứ tự"))
    name = models.CharField(_("tên nhiệm vụ, dự án"), max_length=500)
    lead_unit_name = models.CharField(_("đơn vị chủ trì (theo văn bản)"), max_length=300)
    lead_unit_carried = models.BooleanField(
        _("đơn vị chủ trì lấy từ dòng trên"),
        default=False,
        help_text=_("Bảng trong văn bản để trống ô đơn vị chủ trì ở các dòng tiếp theo của cùng đơn vị."),
    )
    lead_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị chủ trì"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_budget = models.PositiveBigIntegerField(_("kinh phí (triệu đồng)"))
    allocation = models.PositiveBigIntegerField(_("phân bổ năm kế hoạch (triệu đồng)"))
    funding_source = models.CharField(_("nguồn vốn"), max_length=20, choices=FundingSource.choices)

    class Meta:
        verbose_name = _("dự án, nhiệm vụ")
        verbose_name_plural = _("dự án, nhiệm vụ")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_project_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class DataNote(models.Model):
    """A discrepancy found in the plan's own figures, or a remark about them. The figures stay
    as written; the note says what was computed and what the text states."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="data_notes"
    )
    code = models.SlugField(_("mã ghi chú"), max_length=120)
    kind = models.CharField(_("loại"), max_length=30, choices=NoteKind.choices)
    subject_type = models.CharField(_("loại đối tượng"), max_length=30, choices=SubjectType.choices)
    subject_code = models.CharField(_("mã đối tượng"), max_length=80)
    message = models.TextField(_("nội dung"))
    computed = models.DecimalField(
        _("giá trị tính lại"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    stated = models.DecimalField(
        _("giá trị ghi trong văn bản"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ghi chú số liệu")
        verbose_name_plural = _("ghi chú số liệu")
        ordering = ["plan", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="plans_datanote_unique_code"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_discrepancy(self) -> bool:
        return self.kind != NoteKind.REMARK
