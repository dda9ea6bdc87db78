"""The catalogue of administrative procedures (thủ tục hành chính, TTHC).

A ``Procedure`` is the catalogue entry (national code, sector, levels, implementing units); what a
citizen must do under it lives in ``ProcedureVersion`` rows, one per published version, valid on
``[valid_from, valid_to)`` like the organisation tree. Versions are appended by
``services.procedure_version_publish`` and never edited: a dossier keeps the version it was filed
under.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.core.validity import ValidityQuerySet
from cqs.onestop.choices import FeeKind, Level, OnlineLevel, TimeUnit

PROCEDURE_CODE_PATTERN = r"^[0-9]\.[0-9]{6}$"

validate_procedure_code = RegexValidator(
    PROCEDURE_CODE_PATTERN,
    message=_("Mã thủ tục hành chính phải có dạng 1.001612."),
    code="invalid_procedure_code",
)


class Sector(models.Model):
    """Lĩnh vực: a sector of the national catalogue, e.g. "Hộ tịch"."""

    code = models.CharField(_("mã lĩnh vực"), max_length=40, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name", "code"]

    def __str__(self) -> str:
        return self.name


class ProcedureVersionQuerySet(ValidityQuerySet):
    pass


class Procedure(models.Model):
    code = models.CharField(
        _("mã thủ tục hành chính"),
        max_length=8,
        unique=True,
        validators=[validate_procedure_code],
        help_text=_("Mã trên Cơ sở dữ liệu quốc gia về thủ tục hành chính, ví dụ 1.001612."),
    )
    # The name of the latest version, kept here for admin lists and ordering; pages and the API
    # show the name of the version in force on the date asked.
    name = models.CharField(_("tên thủ tục"), max_length=500)
    sector = models.ForeignKey(
        Sector, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="procedures"
    )
    at_province = models.BooleanField(_("thực hiện ở cấp tỉnh"), default=False)
    at_district = models.BooleanField(
        _("thực hiện ở cấp huyện"),
        default=False,
        help_text=_("Cấp huyện không còn từ ngày 1/7/2025; giữ lại để tra cứu dữ liệu cũ."),
    )
    at_commune = models.BooleanField(_("thực hiện ở cấp xã"), default=False)
    units = models.ManyToManyField(
        "orgs.OrgUnit",
        verbose_name=_("cơ quan thực hiện"),
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def levels(self) -> list[str]:
        flags = {
            Level.PROVINCE: self.at_province,
            Level.DISTRICT: self.at_district,
            Level.COMMUNE: self.at_commune,
        }
        return [str(level) for level, on in flags.items() if on]


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục hành chính"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("phiên bản số"))
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    online_level = models.CharField(
        _("mức độ dịch vụ công trực tuyến"), max_length=12, choices=OnlineLevel.choices
    )
    legacy_level = models.PositiveSmallIntegerField(
        _("mức độ cũ (2–4)"),
        null=True,
        blank=True,
        help_text=_("Mức độ theo Nghị định 43/2011/NĐ-CP, chỉ để tra cứu."),
    )
    channels = models.JSONField(
        _("cách thức thực hiện"),
        default=list,
        blank=True,
        help_text=_("1 trực tiếp, 2 trực tuyến, 3 bưu chính."),
    )
    processing_time = models.DecimalField(_("thời hạn giải quyết"), max_digits=7, decimal_places=2)
    processing_time_unit = models.CharField(
        _("đơn vị thời hạn"), max_length=15, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    steps = models.TextField(_("trình tự thực hiện"), blank=True)
    requirements = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    result = models.TextField(_("kết quả thực hiện"), blank=True)
    target_audience = models.TextField(_("đối tượng thực hiện"), blank=True)
    implementing_agency = models.TextField(
        _("cơ quan thực hiện (theo văn bản)"), blank=True, help_text=_("Như Cơ sở dữ liệu quốc gia ghi.")
    )
    publishing_decision = models.TextField(_("quyết định công bố"), blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    form_fields = models.JSONField(
        _("trường của tờ khai điện tử"),
        default=list,
        blank=True,
        help_text=_("Danh sách trường của tờ khai trực tuyến, xem cqs/onestop/dynforms.py."),
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = ProcedureVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="onestop_version_unique_number"),
            models.UniqueConstraint(fields=["procedure", "valid_from"], name="onestop_version_unique_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="onestop_version_valid_range",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
            ),
            models.CheckConstraint(
                condition=models.Q(legacy_level__isnull=True)
                | models.Q(legacy_level__gte=2, legacy_level__lte=4),
                name="onestop_version_legacy_level",
            ),
            models.CheckConstraint(condition=models.Q(processing_time__gte=0), name="onestop_version_time"),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="onestop_version_validity")]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.valid_from:%d/%m/%Y})"

    def is_valid_on(self, on) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


class ProcedureFee(models.Model):
    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("phiên bản thủ tục"), on_delete=models.CASCADE, related_name="fees"
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    kind = models.CharField(_("loại"), max_length=10, choices=FeeKind.choices)
    code = models.CharField(_("mã phí, lệ phí"), max_length=50, blank=True)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="onestop_fee_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} đ"


class ProcedureDocument(models.Model):
    """Thành phần hồ sơ: one paper the citizen files, with its form template if there is one."""

    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("phiên bản thủ tục"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã giấy tờ"), max_length=50, blank=True)
    name = models.TextField(_("tên giấy tờ"))
    form_name = models.CharField(_("tên mẫu đơn, tờ khai"), max_length=500, blank=True)
    form_url = models.URLField(_("đường dẫn mẫu đơn"), max_length=1000, blank=True)
    original_count = models.PositiveSmallIntegerField(_("số bản chính"), default=0)
    copy_count = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    required = models.BooleanField(_("bắt buộc"), default=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="onestop_document_unique_order"),
        ]

    def __str__(self) -> str:
        return self.name
