"""Roll-up of reported values through the organisation tree of a chosen date (tổng hợp số liệu).

``rollup()`` answers "what is indicator X for this unit, in this period, counting everything its
units reported", for the root and every unit under it **in the tree as of a date**. The tree of
that date may differ from the tree the values were reported in (the 2025 mergers): a value of a
unit that no longer exists on ``as_of`` counts for its successor on that date
(``orgunit_current_successor``). When a unit was split, all its values go to the **first**
successor in that function's order (kind, then Vietnamese name), so that nothing is counted
twice; the others start from their own reports. A unit dissolved without a successor, or one
that did not exist yet on ``as_of``, has nowhere to go: its values are left out and listed in
``RollupResult.unattributed``.

A unit's value covers its whole subtree on ``as_of``, its own report included (DHIS2's rule: a
district that reports and whose communes report counts both).

Aggregation follows ``Indicator.aggregation`` (DHIS2 aggregationType):

=========  =====================================  ============================================
           over units (one period)                over the periods (e.g. a year of months)
=========  =====================================  ============================================
SUM        sum                                    sum
AVERAGE    mean of the values reported            mean of the periods' values
MAX, MIN   largest, smallest value                largest, smallest of the periods' values
LAST       sum                                    each reporting unit's last value, summed
NONE       the unit's own value only              the value when there is one period only
=========  =====================================  ============================================

Without an option combo the cells of a disaggregated indicator are merged by the same rule (sum
of the cells for SUM, mean of all cells for AVERAGE…).

Speed: one SQL ``GROUP BY`` does the work. A small mapping "reporting unit → each node of the
tree it counts for" (the unit's successor and that successor's ancestors up to the root; a few
hundred rows for a province) is joined to ``DataValue``, so the database returns one row per
indicator × option combo × node × period, already summed up the tree, with one figure (sum,
or the extreme for MAX/MIN) and a count; Python only files the rows in a dict and turns the few
it is asked for into ``Decimal``. LAST and NONE indicators need each unit's own values: a second,
narrower query fetches those (few indicators). ``depth=1`` (the root and its children: what a
page shows) cuts the rows returned by an order of magnitude on a province. See
``bench/bench_reporting_rollup.py`` for the figures at 5 million values.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import itemgetter

from django.db import connection, transaction
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.orgs.selectors import orgunit_current_successor, unit_sort_key
from cqs.reporting.choices import Aggregation, ReportStatus
from cqs.reporting.models import CategoryOptionCombo, DataValue, Indicator, Period, Regime, Report
from cqs.reporting.periods import PeriodError, period_parse

DEFAULT_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
_PLACES = Decimal("0.000001")  # DataValue.number keeps six decimals
WORK_MEM = "256MB"


def _dec(value) -> Decimal | None:
    """A number from the database as Decimal (SQLite returns int or float for sums)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value)).quantize(_PLACES)


def pk_of(obj) -> int | None:
    return obj if obj is None or isinstance(obj, int) else obj.pk


# --- the tree of a date ----------------------------------------------------------------------


@dataclass
class Tree:
    """``root`` and every unit under it in force on ``as_of``."""

    as_of: date
    root: OrgUnit
    units: dict[int, OrgUnit]
    children_ids: dict[int, list[int]]
    # Levels below the root that get figures (None: all); deeper units count for their ancestor.
    depth: int | None = None

    def in_scope(self, unit_id: int) -> bool:
        unit = self.units.get(unit_id)
        return unit is not None and (self.depth is None or unit.depth <= self.root.depth + self.depth)

    def children(self, unit) -> list[OrgUnit]:
        return [self.units[pk] for pk in self.children_ids.get(pk_of(unit), []) if self.in_scope(pk)]

    def chain(self, unit_id: int) -> list[int]:
        """The node and its ancestors in the tree that get figures, nearest first (up to the root)."""
        unit = self.units[unit_id]
        ids = [int(part) for part in unit.path.strip("/").split("/") if part]
        return [pk for pk in reversed(ids) if self.in_scope(pk)]

    def __contains__(self, unit) -> bool:
        return pk_of(unit) in self.units

    def is_leaf(self, unit) -> bool:
        return not self.children_ids.get(pk_of(unit))


def tree_as_of(root: OrgUnit, as_of: date, *, depth: int | None = None) -> Tree:
    """The subtree of ``root`` in force on ``as_of``, children in display order; figures for
    ``depth`` levels below the root (None: every level)."""
    if not root.is_valid_on(as_of):
        raise ServiceError(
            "unit_not_in_force",
            _("Đơn vị %(unit)s không có trong cây tổ chức ngày %(date)s.")
            % {"unit": root, "date": f"{as_of:%d/%m/%Y}"},
            field="unit",
        )
    units = {
        unit.pk: unit
        for unit in OrgUnit.objects.as_of(as_of).filter(path__startswith=root.path).select_related("kind")
    }
    children: dict[int, list[OrgUnit]] = defaultdict(list)
    for unit in units.values():
        if unit.pk != root.pk and unit.parent_id in units:
            children[unit.parent_id].append(unit)
    ordered = {pk: [u.pk for u in sorted(kids, key=unit_sort_key)] for pk, kids in children.items()}
    return Tree(as_of=as_of, root=root, units=units, children_ids=ordered, depth=depth)


@dataclass
class Attribution:
    """Where the values of each reporting unit go in a tree."""

    target: dict[int, int] = field(default_factory=dict)  # reporting unit id → node id
    moved: dict[int, int] = field(default_factory=dict)  # the part of target where unit ≠ node
    unattributed: list[int] = field(default_factory=list)  # no successor in force on as_of


def attribute(tree: Tree, unit_ids: Iterable[int]) -> Attribution:
    """Place each reporting unit in ``tree``: itself if in force on ``as_of``, else its first
    successor then. Units (or successors) outside the root's subtree are simply not there."""
    result = Attribution()
    wanted = set(unit_ids)
    for pk in wanted & tree.units.keys():
        result.target[pk] = pk
    others = OrgUnit.objects.filter(pk__in=wanted - tree.units.keys()).select_related("kind")
    for unit in others:
        if unit.is_valid_on(tree.as_of):
            continue  # in force, in another subtree
        successors = orgunit_current_successor(unit, on=tree.as_of)
        if not successors:
            result.unattributed.append(unit.pk)
        elif successors[0].pk in tree.units:
            result.target[unit.pk] = successors[0].pk
            result.moved[unit.pk] = successors[0].pk
    result.unattributed.sort()
    return result


def _merge(aggregation: str, left: tuple, right: tuple) -> tuple:
    """Two cells (figure, count) as one: MAX and MIN keep the extreme, the others add up."""
    if aggregation == Aggregation.MAX:
        return max(left[0], right[0]), left[1] + right[1]
    if aggregation == Aggregation.MIN:
        return min(left[0], right[0]), left[1] + right[1]
    return left[0] + right[0], left[1] + right[1]


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(_PLACES)


@dataclass
class RollupResult:
    as_of: date
    root: OrgUnit
    tree: Tree
    periods: list[str]  # ISO identifiers, oldest first
    indicators: dict[int, Indicator]
    attribution: Attribution
    statuses: tuple[str, ...]
    _period_ids: dict[str, int] = field(default_factory=dict)
    _reports: list[tuple[int, int]] = field(default_factory=list)  # (report, unit) counted
    # (indicator, option combo, node, period) → (figure, count of values); the figure is the
    # largest value for MAX, the smallest for MIN, the sum otherwise, as the database returned it
    # (float): turned into Decimal only when read.
    _cells: dict[tuple[int, int, int, int], tuple] = field(default_factory=dict)
    _last: dict[tuple[int, int, int], Decimal] = field(default_factory=dict)
    _own: dict[tuple[int, int, int, int], Decimal | None] = field(default_factory=dict)
    _combos: dict[int, list[CategoryOptionCombo]] = field(default_factory=dict)

    @property
    def units(self) -> dict[int, OrgUnit]:
        return self.tree.units

    @property
    def unattributed(self) -> list[int]:
        return self.attribution.unattributed

    def children(self, unit) -> list[OrgUnit]:
        return self.tree.children(unit)

    def option_combos(self, indicator) -> list[CategoryOptionCombo]:
        indicator = self._indicator(indicator)
        combos = self._combos.get(indicator.category_combo_id)
        if combos is None:
            combos = list(CategoryOptionCombo.objects.filter(combo_id=indicator.category_combo_id))
            self._combos[indicator.category_combo_id] = combos
        return combos

    def _indicator(self, indicator) -> Indicator:
        if isinstance(indicator, Indicator):
            return self.indicators.get(indicator.pk, indicator)
        return self.indicators[indicator]

    def _cell(self, indicator: Indicator, unit_id: int, period_id: int | None, coc) -> tuple | None:
        if period_id is None:
            return None
        if coc is not None:
            return self._cells.get((indicator.pk, pk_of(coc), unit_id, period_id))
        merged = None
        for combo in self.option_combos(indicator):
            cell = self._cells.get((indicator.pk, combo.pk, unit_id, period_id))
            if cell is not None:
                merged = cell if merged is None else _merge(indicator.aggregation, merged, cell)
        return merged

    def value(self, indicator, unit, period: str, option_combo=None) -> Decimal | None:
        """The value of ``unit``'s subtree in ``period`` (None: nothing reported)."""
        indicator = self._indicator(indicator)
        unit_id, period_id = pk_of(unit), self._period_ids.get(period)
        if indicator.aggregation == Aggregation.NONE:
            if option_combo is None:
                combos = self.option_combos(indicator)
                if len(combos) != 1:
                    return None
                option_combo = combos[0]
            return self._own.get((indicator.pk, pk_of(option_combo), unit_id, period_id))
        cell = self._cell(indicator, unit_id, period_id, option_combo)
        if cell is None:
            return None
        if indicator.aggregation == Aggregation.AVERAGE:
            return (_dec(cell[0]) / cell[1]).quantize(_PLACES)
        return _dec(cell[0])

    def series(self, indicator, unit, option_combo=None) -> list[Decimal | None]:
        """The values of each period, in ``periods`` order."""
        return [self.value(indicator, unit, period, option_combo) for period in self.periods]

    def total(self, indicator, unit, option_combo=None) -> Decimal | None:
        """The value over all the periods (see the module's table)."""
        indicator = self._indicator(indicator)
        if indicator.aggregation == Aggregation.LAST:
            combos = [option_combo] if option_combo is not None else self.option_combos(indicator)
            found = [self._last.get((indicator.pk, pk_of(c), pk_of(unit))) for c in combos]
            found = [v for v in found if v is not None]
            return sum(found, Decimal(0)) if found else None
        values = [v for v in self.series(indicator, unit, option_combo) if v is not None]
        if indicator.aggregation == Aggregation.NONE:
            return values[0] if len(self.periods) == 1 and values else None
        if not values:
            return None
        match indicator.aggregation:
            case Aggregation.AVERAGE:
                return _mean(values)
            case Aggregation.MAX:
                return max(values)
            case Aggregation.MIN:
                return min(values)
        return sum(values, Decimal(0))


# --- the queries -----------------------------------------------------------------------------


def _filters(*, period_ids: list[int], indicator_ids) -> tuple[str, list]:
    # The reports (regime, periods, statuses) are chosen beforehand and joined through the
    # mapping; the period test is repeated so that the database can use its index.
    where = [f"v.period_id IN ({', '.join(['%s'] * len(period_ids))})", "v.number IS NOT NULL"]
    params: list = list(period_ids)
    if indicator_ids is not None:
        where.append(f"v.indicator_id IN ({', '.join(['%s'] * len(indicator_ids))})")
        params.extend(indicator_ids)
    return " AND ".join(where), params


def _grouped(
    pairs: Sequence[tuple[int, int]], where: str, params: list, extremes: dict[str, list[int]] | None = None
) -> list[tuple]:
    """Rows (indicator, option combo, node, period, figure, count) for ``pairs`` (report id →
    node). The figure is the largest value of a MAX indicator, the smallest of a MIN one, the sum
    otherwise: one number per row keeps the transfer small. Computed in double precision, which
    is exact for sums of whole numbers below 2**53 and far below the six stored decimals
    otherwise, and much faster than ``numeric`` in PostgreSQL."""
    number = "CAST(v.number AS DOUBLE PRECISION)"
    figure = f"SUM({number})"
    if extremes:
        cases = "".join(
            f" WHEN v.indicator_id IN ({', '.join(str(int(pk)) for pk in ids)}) THEN {func}({number})"
            for func, ids in extremes.items()
            if ids
        )
        figure = f"CASE{cases} ELSE {figure} END" if cases else figure
    # Only the table name, integers (ids, the mapping) and placeholders are formatted in.
    mapping = ", ".join(f"({int(report)}, {int(node)})" for report, node in pairs)
    sql = (
        f"WITH m (report_id, node_id) AS (VALUES {mapping}) "  # noqa: S608
        f"SELECT v.indicator_id, v.option_combo_id, m.node_id, v.period_id, {figure}, COUNT(v.number) "
        f"FROM {DataValue._meta.db_table} v JOIN m ON m.report_id = v.report_id "
        f"WHERE {where} GROUP BY v.indicator_id, v.option_combo_id, m.node_id, v.period_id"
    )
    return _fetch(sql, params)


def _direct(reports: list[int], where: str, params: list) -> list[tuple]:
    """The values of reports of units alone in a leaf of the tree, as they are: nothing to group
    (one value per cell of a report, one report per unit and period in a regime), so the
    database only reads them out."""
    ids = ", ".join(str(int(pk)) for pk in reports)
    sql = (
        "SELECT v.indicator_id, v.option_combo_id, v.unit_id, v.period_id, "  # noqa: S608
        f"CAST(v.number AS DOUBLE PRECISION) FROM {DataValue._meta.db_table} v "
        f"WHERE {where} AND v.report_id IN ({ids})"
    )
    return _fetch(sql, params)


def _fetch(sql: str, params: list) -> list[tuple]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with transaction.atomic(), connection.cursor() as cursor:
        # A year of a province groups into a hundred thousand cells or more: with the default
        # 4 MB the hash aggregate spills to disk and takes several times longer. This query only.
        # The planner also misjudges the groups of the mapping (VALUES) and stays on one core;
        # the scan and joins of a year of values run about 1.4 times faster with parallel workers.
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('parallel_setup_cost', '0', true), "
            "set_config('parallel_tuple_cost', '0', true)",
            [WORK_MEM],
        )
        cursor.execute(sql, params)
        return cursor.fetchall()


def _direct_units(tree: Tree, attribution: Attribution) -> set[int]:
    """Reporting units that are a leaf of the tree (with figures) and the only unit counted there."""
    sources = Counter(attribution.target.values())
    return {
        unit
        for unit, target in attribution.target.items()
        if unit == target and sources[target] == 1 and tree.in_scope(unit) and not tree.children_ids.get(unit)
    }


def _reports(period_ids: list[int], statuses: Sequence[str], regime_id: int | None) -> list[tuple[int, int]]:
    """(report id, unit id) of the reports that count."""
    reports = Report.objects.filter(period_id__in=period_ids, status__in=statuses)
    if regime_id is not None:
        reports = reports.filter(regime_id=regime_id)
    return list(reports.values_list("pk", "unit_id"))


def rollup(
    *,
    regime: Regime | None = None,
    indicators: Iterable[Indicator] | None = None,
    periods: list[str],
    root: OrgUnit,
    as_of: date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    depth: int | None = None,
) -> RollupResult:
    """Values of ``indicators`` (default: every indicator reported; only ``regime``'s reports if
    given) for ``root`` and each unit under it in the tree of ``as_of``, in each of ``periods``
    (ISO identifiers), from reports in one of ``statuses``. ``depth`` limits the units that get
    figures to that many levels below the root (1: the root and its children), which a page
    showing one level needs and which is much faster on a large tree; the deeper units still
    count for their ancestors."""
    try:
        specs = sorted((period_parse(iso) for iso in periods), key=lambda spec: (spec.start, spec.end))
    except PeriodError as error:
        raise ServiceError("invalid_period", str(error), field="period") from None
    tree = tree_as_of(root, as_of, depth=depth)
    statuses = tuple(str(status) for status in statuses)
    period_ids = dict(Period.objects.filter(iso__in=[s.iso for s in specs]).values_list("iso", "pk"))
    chosen = None if indicators is None else {i.pk: i for i in indicators}
    regime_id = pk_of(regime)
    reports = _reports(list(period_ids.values()), statuses, regime_id) if period_ids and statuses else []
    attribution = attribute(tree, {unit for _report, unit in reports})
    result = RollupResult(
        as_of=as_of,
        root=root,
        tree=tree,
        periods=[s.iso for s in specs],
        indicators=dict(chosen or {}),
        attribution=attribution,
        statuses=statuses,
        _period_ids=period_ids,
        _reports=[(report, unit) for report, unit in reports if unit in attribution.target],
    )
    if not result._reports or (chosen is not None and not chosen):
        return result
    # Each report goes to one node in the database: the lowest that adds several things up
    # (its unit's node, or the parent when the unit is alone in a leaf); Python then adds each
    # node's sums to the node's ancestors, a few hundred thousand rows at most. The leaves' own
    # values are read as they are.
    direct = _direct_units(tree, attribution) if regime_id is not None else set()
    pairs, direct_reports = [], []
    for report, unit in result._reports:
        chain = tree.chain(attribution.target[unit])
        if unit in direct:
            direct_reports.append(report)
            chain = chain[1:]
        pairs.extend((report, node) for node in chain[:1])
    where, params = _filters(
        period_ids=list(period_ids.values()), indicator_ids=None if chosen is None else list(chosen)
    )
    known = chosen if chosen is not None else Indicator.objects.in_bulk()
    extremes = {
        func: [pk for pk, i in known.items() if i.aggregation == func]
        for func in (Aggregation.MAX, Aggregation.MIN)
    }
    base = _grouped(pairs, where, params, extremes) if pairs else []
    cells = dict(zip(map(itemgetter(0, 1, 2, 3), base), map(itemgetter(4, 5), base), strict=True))
    aggregation = {pk: i.aggregation for pk, i in known.items()}
    ancestors = {node: tree.chain(node)[1:] for node in {row[2] for row in base}}
    for ind, coc, node, period, figure, count in base:
        for ancestor in ancestors[node]:
            key = (ind, coc, ancestor, period)
            cell = cells.get(key)
            cells[key] = (figure, count) if cell is None else _merge(aggregation[ind], cell, (figure, count))
    if direct_reports:
        rows = _direct(direct_reports, where, params)
        cells.update(
            zip(map(itemgetter(0, 1, 2, 3), rows), zip(map(itemgetter(4), rows), repeat(1)), strict=False)
        )
    result._cells = cells
    if chosen is None:
        found = {key[0] for key in cells}
        result.indicators = {pk: i for pk, i in known.items() if pk in found}
    _unit_level(result, params=params, where=where)
    return result


def _unit_level(result: RollupResult, *, params: list, where: str) -> None:
    """LAST over periods and NONE need each reporting unit's own values."""
    special = {
        pk: i for pk, i in result.indicators.items() if i.aggregation in (Aggregation.LAST, Aggregation.NONE)
    }
    if not special:
        return
    target = result.attribution.target
    where += f" AND v.indicator_id IN ({', '.join(['%s'] * len(special))})"
    rows = _grouped(result._reports, where, [*params, *special])
    order = {
        result._period_ids[iso]: index
        for index, iso in enumerate(result.periods)
        if iso in result._period_ids
    }
    latest: dict[tuple[int, int, int], tuple[int, Decimal]] = {}
    own_count: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for ind, coc, unit, period, total, count in rows:
        indicator, node = special[ind], target[unit]
        if indicator.aggregation == Aggregation.LAST:
            key = (ind, coc, unit)
            if key not in latest or order[period] > latest[key][0]:
                latest[key] = (order[period], _dec(total))
        else:
            key = (ind, coc, node, period)
            own_count[key] += count
            # Two reports in one place (merged units) have no single value: leave it empty.
            result._own[key] = _dec(total) if own_count[key] == 1 else None
    for (ind, coc, unit), (_index, value) in latest.items():
        for node in result.tree.chain(target[unit]):
            key = (ind, coc, node)
            result._last[key] = result._last.get(key, Decimal(0)) + value
