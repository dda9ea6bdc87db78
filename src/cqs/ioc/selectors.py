"""Reads of the IOC: the figures of a unit for a year against their targets, from the snapshots.

``board(unit=…, year=…)`` is what the dashboard, the unit pages, the exports and the API show:
per active definition the year-to-date value, the target (the plan's, else the definition's own),
the gap, whether it is met, the 2021 baseline, the monthly trend, the children's values, and
where the figure comes from when it cannot be computed (a module not installed, a manual value
not entered yet). Nothing is computed here from the modules' records: ``kpi_refresh`` did that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission, top_granted_paths
from cqs.ioc.choices import KpiKind, RunStatus, Window
from cqs.ioc.measures import MEASURES
from cqs.ioc.models import KpiDefinition, KpiSnapshot, RefreshRun
from cqs.ioc.services.kpis import kpi_definition_problems
from cqs.orgs.models import OrgUnit
from cqs.orgs.selectors import unit_sort_key
from cqs.plans.choices import Comparator

PERMISSION = "ioc.view_ioc_dashboard"


# --- scope -----------------------------------------------------------------------------------


def may_view_dashboard(user) -> bool:
    paths = top_granted_paths(user, "ioc", "view_ioc_dashboard")
    return paths is None or bool(paths)


def may_view_unit(user, unit: OrgUnit) -> bool:
    return has_unit_permission(user, PERMISSION, unit)


def home_units(user, *, on: date) -> list[OrgUnit]:
    """The highest units the user may view, in force on ``on`` (a merged province's successor
    when the grant is on a unit that no longer exists)."""
    from cqs.orgs.selectors import orgunit_current_successor

    paths = top_granted_paths(user, "ioc", "view_ioc_dashboard")
    if paths is None:
        units = list(OrgUnit.objects.as_of(on).filter(parent__isnull=True))
    else:
        units = []
        for unit in OrgUnit.objects.filter(path__in=paths):
            if unit.is_valid_on(on):
                units.append(unit)
            else:
                units.extend(orgunit_current_successor(unit, on=on))
    units = {u.pk: u for u in units}
    # Successors may be inside an allowed subtree already; keep the highest.
    return sorted(
        (
            u
            for u in units.values()
            if not any(u.path.startswith(o.path) and o.pk != u.pk for o in units.values())
        ),
        key=unit_sort_key,
    )


# --- the board -------------------------------------------------------------------------------


@dataclass
class Figure:
    definition: KpiDefinition
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    comparator: str = ""
    target: Decimal | None = None
    target_max: Decimal | None = None
    target_text: str = ""
    target_source: str = ""
    baseline: Decimal | None = None
    trend: list[tuple[date, Decimal | None]] = field(default_factory=list)
    children: list[tuple[OrgUnit, Decimal | None]] = field(default_factory=list)
    # Why there is no value: a module not installed, a manual value not entered, a bad definition.
    missing: str = ""
    computed_at: datetime | None = None
    end: date | None = None  # the last day the year-to-date value covers

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def gap(self) -> Decimal | None:
        """How far the value is from the target, signed so that negative means short of it."""
        if self.value is None or self.target is None:
            return None
        if self.comparator == Comparator.RANGE and self.target_max is not None:
            if self.value > self.target_max:
                return self.target_max - self.value
            return min(self.value - self.target, Decimal(0))
        gap = self.value - self.target
        return gap if self.definition.higher_is_better else -gap

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        if self.comparator == Comparator.GT:
            return self.value > self.target
        if self.comparator == Comparator.RANGE and self.target_max is not None:
            return self.target <= self.value <= self.target_max
        if not self.definition.higher_is_better:
            return self.value <= self.target
        return self.value >= self.target

    @property
    def alert(self) -> bool:
        above = self.definition.alert_above
        return above is not None and self.value is not None and self.value > above


def _target(definition: KpiDefinition) -> dict:
    target = definition.target
    if target is not None and target.comparator:
        return {
            "comparator": target.comparator,
            "target": target.value,
            "target_max": target.value_max,
            "target_text": target.text,
            "target_source": _("Kế hoạch 326/KH-UBND, Phần II mục III"),
        }
    if definition.comparator and definition.target_value is not None:
        return {
            "comparator": definition.comparator,
            "target": definition.target_value,
            "target_text": "",
            "target_source": definition.target_source,
        }
    return {"target_text": target.text if target is not None else ""}


def _missing(definition: KpiDefinition) -> str:
    problems = kpi_definition_problems(definition)
    if problems:
        return problems[0][1]
    if definition.kind == KpiKind.MANUAL:
        return _("Chưa nhập số liệu (nhập tay có minh chứng).")
    for key in (definition.numerator, definition.denominator):
        if key and not MEASURES[key].available:
            return _("Số liệu sẽ lấy từ phân hệ %(module)s khi phân hệ này được triển khai.") % {
                "module": MEASURES[key].module
            }
    return _("Chưa có số liệu trong kỳ.")


def definitions_active() -> list[KpiDefinition]:
    return list(
        KpiDefinition.objects.filter(active=True)
        .select_related("target", "baseline")
        .order_by("order", "code")
    )


def last_refresh(year: int) -> RefreshRun | None:
    return RefreshRun.objects.filter(year=year, status=RunStatus.DONE).order_by("-started_at").first()


def board(*, unit: OrgUnit, year: int, headline_only: bool = False, children: bool = True) -> list[Figure]:
    """The figures of ``unit`` for ``year`` (see the module docstring)."""
    definitions = [d for d in definitions_active() if d.headline or not headline_only]
    ids = [d.pk for d in definitions]
    start, end = date(year, 1, 1), date(year, 12, 31)
    snapshots = KpiSnapshot.objects.filter(kpi_id__in=ids, start__gte=start, start__lte=end)
    own = {}
    trend: dict[int, dict[date, Decimal | None]] = {}
    for row in snapshots.filter(unit=unit).order_by("start"):
        if row.window == Window.YEAR:
            own[row.kpi_id] = row
        else:
            trend.setdefault(row.kpi_id, {})[row.start] = row.value
    kids: dict[int, dict[int, Decimal | None]] = {}
    child_units: list[OrgUnit] = []
    if children:
        tree_date = min(end, max((r.tree_date for r in own.values()), default=end))
        child_units = sorted(
            OrgUnit.objects.as_of(tree_date).filter(parent=unit).select_related("kind"), key=unit_sort_key
        )
        rows = snapshots.filter(window=Window.YEAR, unit__in=child_units).values_list(
            "kpi_id", "unit_id", "value"
        )
        for kpi_id, unit_id, value in rows:
            kids.setdefault(kpi_id, {})[unit_id] = value
    months = [date(year, m, 1) for m in range(1, 13)]
    figures = []
    for definition in definitions:
        snapshot = own.get(definition.pk)
        figure = Figure(definition=definition, **_target(definition))
        figure.baseline = definition.baseline_value
        if snapshot is not None:
            figure.value, figure.computed_at, figure.end = snapshot.value, snapshot.computed_at, snapshot.end
            figure.numerator, figure.denominator = snapshot.numerator, snapshot.denominator
        else:
            figure.missing = _missing(definition)
        series = trend.get(definition.pk, {})
        figure.trend = [(month, series.get(month)) for month in months if month in series or series]
        if kids.get(definition.pk) is not None or (children and snapshot is not None):
            values = kids.get(definition.pk, {})
            figure.children = [(child, values.get(child.pk)) for child in child_units if child.pk in values]
        figures.append(figure)
    return figures


def targets_without_definition(year: int | None = None) -> list:
    """The plan's targets no active definition measures: shown as a flagged inconsistency."""
    from cqs.plans.selectors import plan_current

    plan = plan_current()
    if plan is None:
        return []
    measured = set(
        KpiDefinition.objects.filter(active=True, target__isnull=False).values_list("target_id", flat=True)
    )
    return [
        target
        for target in plan.targets.select_related("area").order_by("area__number", "order")
        if target.pk not in measured
    ]


def alerts(*, unit: OrgUnit, year: int) -> list[Figure]:
    return [figure for figure in board(unit=unit, year=year, children=False) if figure.alert]


def records_links(figure: Figure, unit: OrgUnit, year: int) -> list[tuple[str, str]]:
    """(label, URL) of the record lists behind a unit's figure."""
    start = date(year, 1, 1)
    end = figure.end or date(year, 12, 31)
    links = []
    for key in figure.definition.records:
        measure = MEASURES.get(key)
        if measure is None or not measure.available:
            continue
        url = measure.drill_url(unit.pk, start, end)
        if url:
            links.append((str(measure.label), url))
    return links
