"""Reads behind ``GET /api/dataValueSets`` and ``GET /api/completeDataSetRegistrations``.

Every query is narrowed with ``restrict(user, "view")``: a user sees the values and reports of
the units their grants cover, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import (
    CategoryCombo,
    CategoryOptionCombo,
    DataValue,
    Regime,
    Report,
)
from cqs.reporting.periods import PeriodError, period_parse
from cqs.reporting.uids import DEFAULT_COC_UID


@dataclass
class ExportQuery:
    data_sets: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None
    org_units: list[str] = field(default_factory=list)
    children: bool = False
    last_updated: datetime | None = None
    id_scheme: str = "UID"
    data_element_id_scheme: str = ""
    org_unit_id_scheme: str = ""


def _pick(scheme: str, uid: str, code: str, name: str = "") -> str:
    if scheme == "CODE":
        return code
    if scheme == "NAME":
        return name
    return uid


def regimes_find(idents: list[str], scheme: str = "UID") -> tuple[list[Regime], list[str]]:
    """The regimes named (UID with a code accepted too, CODE or NAME) and the names not found."""
    found, missing = [], []
    regimes = list(Regime.objects.all())
    for ident in idents:
        match = next(
            (
                r
                for r in regimes
                if (scheme == "UID" and ident in (r.uid, r.code))
                or (scheme == "CODE" and ident == r.code)
                or (scheme == "NAME" and ident == r.name)
            ),
            None,
        )
        (found if match else missing).append(match or ident)
    return found, missing


def units_find(idents: list[str], scheme: str = "UID") -> tuple[list[OrgUnit], list[str]]:
    """Units by primary key (their DHIS2 uid here) or electronic identifier (their code)."""
    found, missing = [], []
    for ident in idents:
        query = Q(name=ident) if scheme == "NAME" else Q(identifier=ident)
        if scheme == "UID" and ident.isdigit() and len(ident) < 18:
            query |= Q(pk=int(ident))
        unit = OrgUnit.objects.filter(query).order_by("-valid_from", "-pk").first()
        (found if unit else missing).append(unit or ident)
    return found, missing


def periods_find(idents: list[str]) -> tuple[list[str], list[str]]:
    found, missing = [], []
    for ident in idents:
        try:
            found.append(period_parse(ident).iso)
        except PeriodError:
            missing.append(ident)
    return found, missing


def _unit_q(units: list[OrgUnit], children: bool, prefix: str) -> Q:
    if children:
        query = Q()
        for unit in units:
            query |= Q(**{f"{prefix}path__startswith": unit.path})
        return query
    return Q(**{f"{prefix}pk__in": [u.pk for u in units]})


def coc_categories() -> dict[int, dict[str, str]]:
    """For each option combination: {category code: option code} (empty for the default)."""
    combo_categories: dict[int, set[int]] = {}
    category_code: dict[int, str] = {}
    for combo_id, category_id, code in CategoryCombo.categories.through.objects.values_list(
        "categorycombo_id", "category_id", "category__code"
    ):
        combo_categories.setdefault(combo_id, set()).add(category_id)
        category_code[category_id] = code
    option_categories: dict[int, set[int]] = {}
    from cqs.reporting.models import Category

    for category_id, option_id in Category.options.through.objects.values_list(
        "category_id", "categoryoption_id"
    ):
        option_categories.setdefault(option_id, set()).add(category_id)
    combo_of = dict(CategoryOptionCombo.objects.values_list("pk", "combo_id"))
    result: dict[int, dict[str, str]] = {pk: {} for pk in combo_of}
    for coc_id, option_id, option_code in CategoryOptionCombo.options.through.objects.values_list(
        "categoryoptioncombo_id", "categoryoption_id", "categoryoption__code"
    ):
        allowed = combo_categories.get(combo_of.get(coc_id), set())
        for category_id in option_categories.get(option_id, set()) & allowed:
            result[coc_id][category_code[category_id]] = option_code
    return result


def datavalue_rows(*, user, query: ExportQuery, regimes: list[Regime], units: list[OrgUnit]):
    """The values a user may see, as DHIS2 data value dicts, with the ids of their report."""
    values = (
        DataValue.objects.restrict(user, "view")
        .filter(report__regime__in=regimes)
        .filter(_unit_q(units, query.children, "unit__"))
    )
    if query.periods:
        values = values.filter(period__iso__in=query.periods)
    if query.start_date:
        values = values.filter(period__start__gte=query.start_date)
    if query.end_date:
        values = values.filter(period__end__lte=query.end_date)
    if query.last_updated:
        values = values.filter(updated_at__gte=query.last_updated)
    de_scheme = query.data_element_id_scheme or query.id_scheme
    ou_scheme = query.org_unit_id_scheme or query.id_scheme
    rows = values.order_by("report__regime_id", "period__start", "unit_id", "indicator_id", "option_combo_id")
    for item in rows.values_list(
        "indicator__uid",
        "indicator__code",
        "indicator__name",
        "indicator__value_type",
        "period__iso",
        "period__start",
        "unit_id",
        "unit__identifier",
        "unit__name",
        "option_combo_id",
        "option_combo__uid",
        "option_combo__code",
        "option_combo__name",
        "value",
        "stored_by",
        "updated_at",
        "comment",
        "report__regime__uid",
        "report__regime__code",
    ).iterator(chunk_size=5000):
        (de_uid, de_code, de_name, value_type, iso, _start, unit_id, identifier, unit_name,
         coc_id, coc_uid, coc_code, coc_name, value, stored_by, updated, comment,
         ds_uid, ds_code) = item  # fmt: skip
        stamp = timezone.localtime(updated).isoformat(timespec="milliseconds")
        yield (
            {
                "dataElement": _pick(de_scheme, de_uid, de_code, de_name),
                "period": iso,
                "orgUnit": _pick(ou_scheme, str(unit_id), identifier, unit_name),
                "categoryOptionCombo": _pick(query.id_scheme, coc_uid, coc_code, coc_name),
                "attributeOptionCombo": DEFAULT_COC_UID if query.id_scheme == "UID" else "default",
                "value": value,
                "storedBy": stored_by,
                "created": stamp,
                "lastUpdated": stamp,
                "comment": comment,
                "followup": False,
            },
            {
                "dataSet": _pick(query.id_scheme, ds_uid, ds_code),
                "dataSetCode": ds_code,
                "unitCode": identifier or str(unit_id),
                "dataElementCode": de_code,
                "valueType": value_type,
                "cocId": coc_id,
            },
        )


def registrations(*, user, regimes: list[Regime], periods: list[str], units: list[OrgUnit], children: bool,
                  id_scheme: str = "UID"):  # fmt: skip
    """Completed reports (submitted or approved) as DHIS2 complete data set registrations."""
    reports = (
        Report.objects.restrict(user, "view")
        .filter(regime__in=regimes, status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED))
        .filter(_unit_q(units, children, "unit__"))
        .select_related("regime", "period", "unit", "submitted_by")
        .order_by("period__start", "unit_id")
    )
    if periods:
        reports = reports.filter(period__iso__in=periods)
    return [
        {
            "dataSet": _pick(id_scheme, r.regime.uid, r.regime.code, r.regime.name),
            "period": r.period.iso,
            "organisationUnit": _pick(id_scheme, str(r.unit_id), r.unit.identifier, r.unit.name),
            "attributeOptionCombo": DEFAULT_COC_UID,
            "date": timezone.localtime(r.submitted_at).isoformat(timespec="milliseconds")
            if r.submitted_at
            else "",
            "storedBy": r.submitted_by.get_username() if r.submitted_by else "",
            "completed": True,
        }
        for r in reports
    ]
