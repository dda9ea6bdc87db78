"""Reads of the reporting module: regimes in force, who reports, who reviews, reports to handle."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from cqs.orgs.models import OrgUnit
from cqs.reporting.models import Regime, RegimeIndicator, RegimeVersion, Report
from cqs.reporting.periods import PeriodSpec


def regime_get(*, code: str) -> Regime | None:
    return Regime.objects.filter(code=code).first()


def regime_version_on(regime: Regime, on: date) -> RegimeVersion | None:
    """The version of ``regime`` in force on ``on``."""
    return RegimeVersion.objects.filter(regime=regime).as_of(on).order_by("-valid_from").first()


def regime_version_for(regime: Regime, period: PeriodSpec) -> RegimeVersion | None:
    """The version a report of ``period`` uses: the one in force on the last day of the period."""
    return regime_version_on(regime, period.end)


def regime_rows(version: RegimeVersion) -> list[RegimeIndicator]:
    return list(version.rows.select_related("indicator__category_combo").order_by("sort_order", "id"))


def _assignment_q(version: RegimeVersion) -> Q | None:
    query = None
    for row in version.assignments.all():
        part = Q()
        if row.kind_id:
            part &= Q(kind_id=row.kind_id)
        if row.depth is not None:
            part &= Q(depth=row.depth)
        if row.unit_id:
            part &= Q(pk=row.unit_id)
        if row.within_id:
            part &= Q(path__startswith=row.within.path)
        query = part if query is None else query | part
    return query


def assigned_units(version: RegimeVersion, on: date) -> QuerySet[OrgUnit]:
    """The units that must report under ``version`` for a period ending on ``on``."""
    query = _assignment_q(version)
    if query is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.as_of(on).filter(query).select_related("kind")


def is_assigned(version: RegimeVersion, unit: OrgUnit, on: date) -> bool:
    return unit.is_valid_on(on) and assigned_units(version, on).filter(pk=unit.pk).exists()


def reviewer_for(version: RegimeVersion, unit: OrgUnit, on: date) -> OrgUnit:
    """Who reviews ``unit``'s report: its nearest ancestor that itself reports under the regime
    (a district consolidates its communes, Decree 09 Art. 8(9)); else the receiving agency."""
    ancestors = unit.ancestor_ids
    if ancestors:
        candidates = {u.pk: u for u in assigned_units(version, on).filter(pk__in=ancestors)}
        for ancestor_id in reversed(ancestors):
            if ancestor_id in candidates:
                return candidates[ancestor_id]
    return version.receiver


def report_get(*, pk: int) -> Report | None:
    return (
        Report.objects.select_related("regime", "version", "unit", "period", "reviewer_unit")
        .filter(pk=pk)
        .first()
    )
