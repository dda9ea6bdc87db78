from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.core.validity import ValidityQuerySet
from cqs.orgs.choices import IdentifierSource, SuccessionKind
from cqs.orgs.validators import validate_identifier


class OrgUnitKind(models.Model):
    """A kind of unit, as data: province People's Committee, department, district, commune…"""

    code = models.SlugField(_("mã loại"), max_length=40, unique=True)
    name = models.CharField(_("tên loại"), max_length=200)
    # Lower is higher in the hierarchy; used for ordering only, never for rules.
    rank = models.PositiveSmallIntegerField(_("thứ bậc"), default=50)

    class Meta:
        verbose_name = _("loại đơn vị")
        verbose_name_plural = _("loại đơn vị")
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class OrgUnitQuerySet(ValidityQuerySet, RestrictedQuerySet):
    # A unit's scope is the unit itself: a grant on a unit covers the rows of its subtree.
    unit_field = "pk"


class OrgUnit(models.Model):
    """One version of an organisation unit, valid on ``[valid_from, valid_to)``.

    A version is never edited in place when the tree changes: a merge, split, move or rename
    closes this row (``valid_to``) and opens new ones linked by ``Succession``. So ``path``,
    the chain of ancestor ids, never changes, and the tree of any date can be read back.
    """

    kind = models.ForeignKey(OrgUnitKind, verbose_name=_("loại đơn vị"), on_delete=models.PROTECT)
    name = models.CharField(_("tên đơn vị"), max_length=255)
    short_name = models.CharField(
        _("tên viết tắt"),
        max_length=40,
        blank=True,
        help_text=_("Dùng trong ký hiệu văn bản, ví dụ UBND, STTTT."),
    )
    identifier = models.CharField(
        _("mã định danh điện tử"),
        max_length=13,
        blank=True,
        db_index=True,
        validators=[validate_identifier],
        help_text=_("Theo Quyết định 20/2020/QĐ-TTg, ví dụ 000.00.00.H62."),
    )
    identifier_source = models.CharField(
        _("nguồn mã định danh"),
        max_length=20,
        choices=IdentifierSource.choices,
        default=IdentifierSource.OFFICIAL,
    )
    division_code = models.CharField(
        _("mã đơn vị hành chính"),
        max_length=10,
        blank=True,
        db_index=True,
        help_text=_("Mã của Tổng cục Thống kê cho tỉnh, huyện, xã (nếu có)."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/1/7/42/": ids from the root down to this row. Immutable (see class docstring).
    path = models.CharField(_("đường dẫn"), max_length=500, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("cấp"), default=0, editable=False)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        # "The tree as of a date" filters on both bounds of the validity on every page and API call.
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="orgs_orgunit_validity")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="orgs_orgunit_valid_range",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, on) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class ReorganisationEvent(models.Model):
    """A decision that changes the tree on one date (merge, split, move…)."""

    name = models.CharField(_("tên sự kiện"), max_length=255)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500, blank=True)
    effective_date = models.DateField(_("ngày hiệu lực"), db_index=True)
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sự kiện sắp xếp tổ chức")
        verbose_name_plural = _("sự kiện sắp xếp tổ chức")
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_date:%d/%m/%Y})"


class Succession(models.Model):
    """``predecessor`` was replaced (wholly or in part) by ``successor`` on the event's date."""

    event = models.ForeignKey(
        ReorganisationEvent, verbose_name=_("sự kiện"), on_delete=models.PROTECT, related_name="successions"
    )
    predecessor = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị cũ"), on_delete=models.PROTECT, related_name="successor_links"
    )
    successor = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị kế thừa"), on_delete=models.PROTECT, related_name="predecessor_links"
    )
    kind = models.CharField(_("hình thức"), max_length=20, choices=SuccessionKind.choices)

    class Meta:
        verbose_name = _("quan hệ kế thừa")
        verbose_name_plural = _("quan hệ kế thừa")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="orgs_succession_unique_pair",
                violation_error_message=_("Quan hệ kế thừa này đã có."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"
