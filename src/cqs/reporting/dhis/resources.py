"""How CQS rows appear as DHIS2 metadata (docs/reporting-dhis2.md, "Mapping").

* ``organisationUnits``: ``OrgUnit`` versions in force on the query date (``asOf``, default today);
  id is our primary key as a string, code the electronic identifier (QĐ 20/2020/QĐ-TTg).
* ``dataElements``: ``Indicator``. ``dataSets``: a ``Regime`` through its version in force on the
  query date. ``categoryCombos``/``categories``/``categoryOptions``/``categoryOptionCombos``:
  the disaggregation rows, ids are their DHIS2 uids.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cqs.orgs.models import OrgUnit
from cqs.reporting.dhis.schema import (
    Context,
    Prop,
    Resource,
    dhis_datetime,
    register,
    to_bool,
    to_date,
    to_int,
)
from cqs.reporting.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    Indicator,
    RegimeIndicator,
    RegimeVersion,
)
from cqs.reporting.selectors import assigned_units
from cqs.reporting.uids import DEFAULT_COMBO_UID

AGGREGATE = "AGGREGATE"
DISAGGREGATION = "DISAGGREGATION"


def _identity(
    *, code: str = "code", name: str = "name", created: str | None = None, updated: str | None = None
) -> list[Prop]:
    props = [
        Prop("id", lambda row, ctx: row.uid, column="uid"),
        Prop("code", lambda row, ctx, a=code: getattr(row, a) or None, column=code, blank_is_null=True),
        Prop("name", lambda row, ctx, a=name: getattr(row, a), column=name),
        Prop("displayName", lambda row, ctx, a=name: getattr(row, a), column=name),
    ]
    if created:
        props.append(
            Prop(
                "created",
                lambda row, ctx, a=created: dhis_datetime(getattr(row, a)),
                column=created,
                parse=to_date,
                text=False,
            )
        )
    if updated:
        props.append(
            Prop(
                "lastUpdated",
                lambda row, ctx, a=updated: dhis_datetime(getattr(row, a)),
                column=updated,
                parse=to_date,
                text=False,
            )
        )
    return props


def _const(name: str, value) -> Prop:
    return Prop(name, lambda row, ctx, v=value: v, owner=False)


# --- organisation units ----------------------------------------------------------------------


def _orgunits(ctx: Context) -> QuerySet[OrgUnit]:
    if ctx.include_history:
        return OrgUnit.objects.all()
    return OrgUnit.objects.as_of(ctx.on)


def _path(row: OrgUnit) -> str:
    # Ours ends with "/" ("/1/7/42/"); DHIS2's does not ("/1/7/42").
    return row.path.rstrip("/")


def _path_q(operator: str, value: str) -> Q | None:
    if operator == "eq":
        return Q(path=value.rstrip("/") + "/")
    if operator in ("endsWith", "like$"):
        return Q(path__endswith=value.rstrip("/") + "/")
    return None


ORG_UNITS = register(
    Resource.of(
        "organisationUnits",
        [
            Prop("id", lambda row, ctx: str(row.pk), column="pk", parse=to_int, text=False),
            Prop("code", lambda row, ctx: row.identifier or None, column="identifier", blank_is_null=True),
            Prop("name", lambda row, ctx: row.name, column="name"),
            Prop("displayName", lambda row, ctx: row.name, column="name"),
            Prop("shortName", lambda row, ctx: row.short_name or row.name[:50], column="short_name"),
            Prop("displayShortName", lambda row, ctx: row.short_name or row.name[:50], column="short_name"),
            Prop(
                "level",
                lambda row, ctx: row.depth + 1,
                column="depth",
                parse=lambda v: int(v) - 1,
                text=False,
            ),
            Prop("path", lambda row, ctx: _path(row), column="path", q=_path_q),
            Prop(
                "parent",
                lambda row, ctx: row.parent,
                column="parent",
                ref="organisationUnits",
                ref_id=lambda row: str(row.parent_id) if row.parent_id else None,
                select="parent",
            ),
            Prop(
                "children",
                lambda row, ctx: list(row.children.all()),
                column="children",
                ref="organisationUnits",
                many=True,
                prefetch="children",
                prefetch_queryset=lambda ctx: _orgunits(ctx).order_by("name", "pk"),
                owner=False,
            ),
            Prop(
                "openingDate",
                lambda row, ctx: dhis_datetime(row.valid_from),
                column="valid_from",
                parse=to_date,
                text=False,
            ),
            Prop(
                "closedDate",
                lambda row, ctx: dhis_datetime(row.valid_to),
                column="valid_to",
                parse=to_date,
                text=False,
            ),
            Prop(
                "created",
                lambda row, ctx: dhis_datetime(row.created_at),
                column="created_at",
                parse=to_date,
                text=False,
            ),
            # A version is never edited (the tree is versioned), so it was last updated when created.
            Prop(
                "lastUpdated",
                lambda row, ctx: dhis_datetime(row.created_at),
                column="created_at",
                parse=to_date,
                text=False,
                owner=False,
            ),
        ],
        queryset=_orgunits,
        lookups=(("id", to_int), ("code", str)),
    )
)


# --- disaggregations --------------------------------------------------------------------------


CATEGORY_OPTIONS = register(
    Resource.of(
        "categoryOptions",
        [
            *_identity(),
            Prop("shortName", lambda row, ctx: row.name[:50], column="name"),
            Prop(
                "categories",
                lambda row, ctx: list(row.categories.all()),
                column="categories",
                ref="categories",
                many=True,
                prefetch="categories",
                owner=False,
            ),
            Prop(
                "categoryOptionCombos",
                lambda row, ctx: list(row.categoryoptioncombo_set.all()),
                column="categoryoptioncombo",
                ref="categoryOptionCombos",
                many=True,
                prefetch="categoryoptioncombo_set",
                owner=False,
            ),
        ],
        queryset=lambda ctx: CategoryOption.objects.all(),
    )
)

CATEGORIES = register(
    Resource.of(
        "categories",
        [
            *_identity(),
            Prop("shortName", lambda row, ctx: row.name[:50], column="name"),
            _const("dataDimensionType", DISAGGREGATION),
            _const("dataDimension", True),
            Prop(
                "categoryOptions",
                lambda row, ctx: list(row.options.all()),
                column="options",
                ref="categoryOptions",
                many=True,
                prefetch="options",
            ),
            Prop(
                "categoryCombos",
                lambda row, ctx: list(row.categorycombo_set.all()),
                column="categorycombo",
                ref="categoryCombos",
                many=True,
                prefetch="categorycombo_set",
                owner=False,
            ),
        ],
        queryset=lambda ctx: Category.objects.all(),
    )
)

CATEGORY_COMBOS = register(
    Resource.of(
        "categoryCombos",
        [
            *_identity(),
            _const("dataDimensionType", DISAGGREGATION),
            Prop("isDefault", lambda row, ctx: row.uid == DEFAULT_COMBO_UID, owner=False),
            _const("skipTotal", False),
            Prop(
                "categories",
                lambda row, ctx: list(row.categories.all()),
                column="categories",
                ref="categories",
                many=True,
                prefetch="categories",
            ),
            Prop(
                "categoryOptionCombos",
                lambda row, ctx: list(row.option_combos.all()),
                column="option_combos",
                ref="categoryOptionCombos",
                many=True,
                prefetch="option_combos",
                prefetch_queryset=lambda ctx: CategoryOptionCombo.objects.order_by("sort_order", "pk"),
                owner=False,
            ),
        ],
        queryset=lambda ctx: CategoryCombo.objects.all(),
    )
)

CATEGORY_OPTION_COMBOS = register(
    Resource.of(
        "categoryOptionCombos",
        [
            *_identity(),
            _const("ignoreApproval", False),
            Prop(
                "categoryCombo",
                lambda row, ctx: row.combo,
                column="combo",
                ref="categoryCombos",
                select="combo",
            ),
            Prop(
                "categoryOptions",
                lambda row, ctx: list(row.options.all()),
                column="options",
                ref="categoryOptions",
                many=True,
                prefetch="options",
            ),
        ],
        queryset=lambda ctx: CategoryOptionCombo.objects.all(),
    )
)


# --- data elements and data sets ------------------------------------------------------------------


DATA_ELEMENTS = register(
    Resource.of(
        "dataElements",
        [
            *_identity(created="created_at", updated="updated_at"),
            Prop("shortName", lambda row, ctx: row.short_name, column="short_name"),
            Prop("displayShortName", lambda row, ctx: row.short_name, column="short_name"),
            Prop("description", lambda row, ctx: row.description or None, column="description"),
            Prop("valueType", lambda row, ctx: row.value_type, column="value_type"),
            Prop("aggregationType", lambda row, ctx: row.aggregation, column="aggregation"),
            _const("domainType", AGGREGATE),
            _const("zeroIsSignificant", False),
            Prop("formName", lambda row, ctx: row.name, column="name"),
            Prop(
                "categoryCombo",
                lambda row, ctx: row.category_combo,
                column="category_combo",
                ref="categoryCombos",
                select="category_combo",
            ),
        ],
        queryset=lambda ctx: Indicator.objects.all(),
    )
)


def data_set_versions(ctx: Context) -> QuerySet[RegimeVersion]:
    """One version per regime: the one in force on the query date; with ``includeHistory``, a
    regime with none in force is shown through its latest version."""
    in_force = RegimeVersion.objects.as_of(ctx.on)
    if not ctx.include_history:
        return in_force.select_related("regime")
    latest: dict[int, int] = {}
    for regime_id, pk in RegimeVersion.objects.order_by("regime_id", "version").values_list(
        "regime_id", "pk"
    ):
        latest[regime_id] = pk
    in_force_ids = dict(in_force.values_list("regime_id", "pk"))
    pks = [in_force_ids.get(regime_id, pk) for regime_id, pk in latest.items()]
    return RegimeVersion.objects.filter(pk__in=pks).select_related("regime")


def _assigned(row: RegimeVersion, ctx: Context) -> list[OrgUnit]:
    return ctx.memo(
        ("assigned", row.pk),
        lambda: list(assigned_units(row, ctx.on).select_related("parent").order_by("name", "pk")),
    )


def _default_combo(ctx: Context):
    return ctx.memo("default_combo", lambda: CategoryCombo.objects.filter(uid=DEFAULT_COMBO_UID).first())


DATA_SET_ELEMENTS = register(
    Resource.of(
        "dataSetElements",
        [
            Prop(
                "dataElement",
                lambda row, ctx: row.indicator,
                column="indicator",
                ref="dataElements",
                select="indicator",
            ),
            Prop(
                "dataSet",
                lambda row, ctx: row.version,
                column="version",
                ref="dataSets",
                ref_id=lambda row: row.version.regime.uid,
            ),
            # Not in DHIS2 (it lists compulsory operands on the data set); useful to form builders.
            Prop(
                "compulsory", lambda row, ctx: row.compulsory, column="compulsory", parse=to_bool, text=False
            ),
            Prop("section", lambda row, ctx: row.section or None, column="section"),
        ],
        default_fields=("dataElement", "dataSet"),
        order=(),
        embedded=True,
    )
)


DATA_SETS = register(
    Resource.of(
        "dataSets",
        [
            Prop("id", lambda row, ctx: row.regime.uid, column="regime__uid"),
            Prop("code", lambda row, ctx: row.regime.code, column="regime__code"),
            Prop("name", lambda row, ctx: row.name, column="name"),
            Prop("displayName", lambda row, ctx: row.name, column="name"),
            Prop("shortName", lambda row, ctx: row.name[:50], column="name"),
            Prop("displayShortName", lambda row, ctx: row.name[:50], column="name"),
            Prop("description", lambda row, ctx: row.content or None, column="content"),
            Prop(
                "created",
                lambda row, ctx: dhis_datetime(row.regime.created_at),
                column="regime__created_at",
                parse=to_date,
                text=False,
            ),
            Prop(
                "lastUpdated",
                lambda row, ctx: dhis_datetime(row.created_at),
                column="created_at",
                parse=to_date,
                text=False,
            ),
            Prop("periodType", lambda row, ctx: row.period_type, column="period_type"),
            Prop("version", lambda row, ctx: row.version, column="version", parse=to_int, text=False),
            Prop(
                "expiryDays", lambda row, ctx: row.expiry_days, column="expiry_days", parse=to_int, text=False
            ),
            Prop(
                "timelyDays",
                lambda row, ctx: row.deadline_working_days,
                column="deadline_working_days",
                parse=to_int,
                text=False,
            ),
            _const("openFuturePeriods", 0),
            Prop(
                "categoryCombo",
                lambda row, ctx: _default_combo(ctx),
                ref="categoryCombos",
                ref_id=lambda row: DEFAULT_COMBO_UID,
            ),
            Prop(
                "dataSetElements",
                lambda row, ctx: list(row.rows.all()),
                column="rows",
                ref="dataSetElements",
                many=True,
                prefetch="rows",
                prefetch_queryset=lambda ctx: RegimeIndicator.objects.select_related(
                    "indicator", "version__regime"
                ).order_by("sort_order", "pk"),
            ),
            Prop(
                "organisationUnits",
                _assigned,
                ref="organisationUnits",
                many=True,
                also_prefetch=("assignments__within",),
            ),
            # CQS extensions: the validity of the version shown.
            Prop(
                "validFrom",
                lambda row, ctx: row.valid_from.isoformat(),
                column="valid_from",
                parse=to_date,
                text=False,
            ),
            Prop(
                "validTo",
                lambda row, ctx: row.valid_to.isoformat() if row.valid_to else None,
                column="valid_to",
                parse=to_date,
                text=False,
            ),
        ],
        queryset=data_set_versions,
    )
)

METADATA = (
    ORG_UNITS,
    DATA_ELEMENTS,
    DATA_SETS,
    CATEGORY_COMBOS,
    CATEGORIES,
    CATEGORY_OPTIONS,
    CATEGORY_OPTION_COMBOS,
)
