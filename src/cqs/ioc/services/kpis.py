"""KPI definitions, manual values with evidence, and the refresh that computes the snapshots.

``kpi_refresh(year=…)`` computes every active definition for the year to date and for each month
of the year, for every unit of the tree in force at the end of that year (today for the current
year): one call per measure family and window, then Python sums each unit's own figures up the
tree (a unit that no longer exists counts for its successor, as in the reporting roll-up). The
rows replace the year's previous rows in one transaction, so the dashboard never sees half a
refresh; ``RefreshRun`` says when the figures were computed and how long it took.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time as clock
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.audit.services import audit_record
from cqs.core.exceptions import Forbidden, ServiceError
from cqs.ioc.choices import Breakdown, KpiKind, RunStatus, Window
from cqs.ioc.measures import FAMILIES, MEASURES
from cqs.ioc.models import KpiDefinition, KpiSnapshot, ManualValue, RefreshRun
from cqs.orgs.models import OrgUnit

log = logging.getLogger(__name__)

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
_PLACES = Decimal("0.0001")


# --- definitions -----------------------------------------------------------------------------


def kpi_definition_problems(definition: KpiDefinition) -> list[tuple[str, str]]:
    """What is wrong with a definition, as ``(code, message)``; empty when it can be computed."""
    problems = []
    if definition.kind == KpiKind.MANUAL:
        if definition.numerator or definition.denominator:
            problems.append(("manual_with_measures", _("Chỉ số nhập tay không dùng đại lượng tính.")))
        return problems
    if not definition.numerator:
        problems.append(("numerator_missing", _("Chưa chọn đại lượng tử số.")))
    elif definition.numerator not in MEASURES:
        problems.append(
            ("unknown_measure", _("Không có đại lượng “%(key)s”.") % {"key": definition.numerator})
        )
    if definition.kind == KpiKind.RATIO:
        if not definition.denominator:
            problems.append(("denominator_missing", _("Chỉ số tỷ lệ cần đại lượng mẫu số.")))
        elif definition.denominator not in MEASURES:
            problems.append(
                ("unknown_measure", _("Không có đại lượng “%(key)s”.") % {"key": definition.denominator})
            )
    elif definition.denominator:
        problems.append(("count_with_denominator", _("Chỉ số số đếm không có mẫu số.")))
    return problems


def kpi_definition_check(definition: KpiDefinition) -> None:
    problems = kpi_definition_problems(definition)
    if problems:
        code, message = problems[0]
        raise ServiceError(code, message, field="numerator" if "numerator" in code else "denominator")


@transaction.atomic
def kpi_definition_save(*, definition: KpiDefinition, actor=None) -> KpiDefinition:
    """Create or change a definition after checking its measures exist."""
    kpi_definition_check(definition)
    created = definition.pk is None
    definition.full_clean()
    definition.save()
    audit_record(
        action="ioc.kpi_created" if created else "ioc.kpi_changed",
        obj=definition,
        after={
            "code": definition.code,
            "kind": definition.kind,
            "numerator": definition.numerator,
            "denominator": definition.denominator,
            "target": definition.target_id,
        },
        actor=actor,
    )
    return definition


# --- manual values ---------------------------------------------------------------------------


@transaction.atomic
def manual_value_enter(
    *,
    kpi: KpiDefinition,
    unit: OrgUnit,
    year: int,
    value: Decimal,
    evidence: str,
    actor,
    evidence_file=None,
) -> ManualValue:
    """Record a figure for a manual KPI with its evidence (document number, date, summary). A
    figure without evidence, for a computed KPI, or a rate outside 0–100 is refused."""
    if not has_unit_permission(actor, "ioc.enter_manual_value", unit):
        raise Forbidden("forbidden", _("Bạn không có quyền nhập số liệu cho đơn vị này."))
    if kpi.kind != KpiKind.MANUAL:
        raise ServiceError(
            "kpi_not_manual",
            _("Chỉ số “%(name)s” được tính từ dữ liệu, không nhập tay.") % {"name": kpi.name},
        )
    evidence = (evidence or "").strip()
    if not evidence and evidence_file is None:
        raise ServiceError(
            "evidence_required",
            _("Số liệu nhập tay phải có minh chứng: số, ngày văn bản và trích yếu, hoặc tệp đính kèm."),
            field="evidence",
        )
    if value is None:
        raise ServiceError("value_required", _("Nhập giá trị."), field="value")
    value = Decimal(value)
    if value < 0:
        raise ServiceError("value_negative", _("Giá trị không được âm."), field="value")
    if kpi.unit == "%" and value > 100:
        raise ServiceError("rate_above_100", _("Tỷ lệ không được vượt quá 100%."), field="value")
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise ServiceError(
            "invalid_year", _("Năm phải từ 2000 đến %(year)s.") % {"year": this_year}, field="year"
        )
    row = ManualValue(
        kpi=kpi,
        unit=unit,
        year=year,
        value=value,
        evidence=evidence or _("Xem tệp đính kèm"),
        entered_by=actor,
    )
    if evidence_file is not None:
        if evidence_file.size > MAX_EVIDENCE_BYTES:
            raise ServiceError("file_too_large", _("Tệp minh chứng tối đa 20 MB."), field="evidence_file")
        digest = hashlib.sha256()
        for chunk in evidence_file.chunks():
            digest.update(chunk)
        row.evidence_sha256 = digest.hexdigest()
        row.evidence_file = evidence_file
    row.save()
    audit_record(
        action="ioc.manual_value_entered",
        obj=row,
        after={"kpi": kpi.code, "unit": unit.pk, "year": year, "value": str(value), "evidence": evidence},
        actor=actor,
    )
    return row


def manual_values_latest(kpi_ids: list[int], year: int) -> dict[tuple[int, int], ManualValue]:
    """The latest entry of each (KPI, unit) for ``year``."""
    latest: dict[tuple[int, int], ManualValue] = {}
    rows = ManualValue.objects.filter(kpi_id__in=kpi_ids, year=year).order_by("entered_at", "pk")
    for row in rows:
        latest[(row.kpi_id, row.unit_id)] = row
    return latest


# --- refresh ---------------------------------------------------------------------------------


@dataclass
class _TreeIndex:
    """Every unit in force on a date, and where each unit's own figures go up the tree."""

    on: date
    units: dict[int, OrgUnit]
    roots: list[int]
    _chains: dict[int, list[int] | None]

    @classmethod
    def of(cls, on: date) -> _TreeIndex:
        units = {
            u.pk: u for u in OrgUnit.objects.as_of(on).only("pk", "path", "parent_id", "depth", "kind_id")
        }
        roots = [pk for pk, u in units.items() if u.parent_id is None or u.parent_id not in units]
        return cls(on=on, units=units, roots=roots, _chains={})

    def chain(self, unit_id: int) -> list[int] | None:
        """The node a unit's figures count for and its ancestors; None: nowhere on this date."""
        if unit_id in self._chains:
            return self._chains[unit_id]
        node = unit_id if unit_id in self.units else self._successor(unit_id)
        chain = None
        if node is not None:
            path = self.units[node].path
            chain = [int(part) for part in path.strip("/").split("/") if part and int(part) in self.units]
        self._chains[unit_id] = chain
        return chain

    def _successor(self, unit_id: int) -> int | None:
        from cqs.orgs.selectors import orgunit_current_successor

        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            return None
        successors = orgunit_current_successor(unit, on=self.on)
        return successors[0].pk if successors and successors[0].pk in self.units else None


def _windows(year: int, today: date) -> list[tuple[str, date, date]]:
    last = min(date(year, 12, 31), today)
    windows = [(Window.YEAR, date(year, 1, 1), last)]
    month = 1
    while month <= 12 and date(year, month, 1) <= last:
        first = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        windows.append((Window.MONTH, first, min(end, last)))
        month += 1
    return windows


def _rolled(values: dict[int, Decimal], tree: _TreeIndex) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for unit_id, value in values.items():
        for node in tree.chain(unit_id) or ():
            totals[node] += value
    return totals


def kpi_value(
    numerator: Decimal | None, denominator: Decimal | None, definition: KpiDefinition
) -> Decimal | None:
    if definition.kind == KpiKind.RATIO:
        if not denominator:
            return None
        return (Decimal(numerator or 0) * definition.scale / denominator).quantize(_PLACES, ROUND_HALF_UP)
    return numerator


def kpi_refresh(*, year: int | None = None, today: date | None = None) -> RefreshRun:
    """Compute the year's snapshots of every active definition (see the module docstring)."""
    today = today or timezone.localdate()
    year = year or today.year
    if year > today.year:
        raise ServiceError("invalid_year", _("Chưa đến năm %(year)s.") % {"year": year}, field="year")
    started = clock.monotonic()
    run = RefreshRun.objects.create(started_at=timezone.now(), status=RunStatus.RUNNING, year=year)
    try:
        rows = _compute(year, today)
        with transaction.atomic():
            KpiSnapshot.objects.filter(start__gte=date(year, 1, 1), start__lte=date(year, 12, 31)).delete()
            KpiSnapshot.objects.bulk_create(rows, batch_size=2000)
    except Exception as error:
        run.status, run.error = RunStatus.FAILED, f"{type(error).__name__}: {error}"[:2000]
        run.finished_at, run.seconds = timezone.now(), clock.monotonic() - started
        run.save()
        log.exception("ioc refresh %s failed", year)
        raise
    run.status, run.rows = RunStatus.DONE, len(rows)
    run.finished_at, run.seconds = timezone.now(), clock.monotonic() - started
    run.save()
    return run


def _compute(year: int, today: date) -> list[KpiSnapshot]:
    definitions = list(KpiDefinition.objects.filter(active=True))
    tree_date = min(date(year, 12, 31), today)
    tree = _TreeIndex.of(tree_date)
    computed_at = timezone.now()
    manual = manual_values_latest([d.pk for d in definitions if d.kind == KpiKind.MANUAL], year)
    computable = [d for d in definitions if d.kind != KpiKind.MANUAL and not kpi_definition_problems(d)]
    families = {
        MEASURES[key].family
        for d in computable
        for key in (d.numerator, d.denominator)
        if key and MEASURES[key].available
    }
    rows: list[KpiSnapshot] = []
    for window, start, end in _windows(year, today):
        values: dict[str, dict[int, Decimal]] = {}
        for family in sorted(families):
            for key, per_unit in FAMILIES[family].compute(start, end, tree_date).items():
                values[key] = _rolled(per_unit, tree)
        for definition in computable:
            if not all(MEASURES[k].available for k in (definition.numerator, definition.denominator) if k):
                continue
            numerators = values.get(definition.numerator, {})
            denominators = values.get(definition.denominator, {}) if definition.denominator else {}
            units = set(numerators) | set(denominators)
            if definition.kind == KpiKind.COUNT:
                units |= set(tree.roots)  # a count of nothing is 0, not "no figure"
            if definition.breakdown == Breakdown.PROVINCE:
                units = {pk for pk in units if pk in tree.roots}
            for unit_id in units:
                numerator = numerators.get(unit_id, Decimal(0))
                denominator = denominators.get(unit_id) if definition.denominator else None
                rows.append(
                    KpiSnapshot(
                        kpi=definition,
                        unit_id=unit_id,
                        window=window,
                        start=start,
                        end=end,
                        numerator=numerator,
                        denominator=denominator,
                        value=kpi_value(numerator, denominator, definition),
                        tree_date=tree_date,
                        computed_at=computed_at,
                    )
                )
        if window == Window.YEAR:
            for (kpi_id, unit_id), entry in manual.items():
                rows.append(
                    KpiSnapshot(
                        kpi_id=kpi_id,
                        unit_id=unit_id,
                        window=window,
                        start=start,
                        end=end,
                        numerator=entry.value,
                        denominator=None,
                        value=entry.value,
                        tree_date=tree_date,
                        computed_at=computed_at,
                    )
                )
    return rows


# --- the shipped definitions -----------------------------------------------------------------

DEFINITIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "kpis.json"
_DEFAULTS = {"unit": "%", "scale": "100", "breakdown": Breakdown.UNITS, "higher_is_better": True}


@transaction.atomic
def kpi_definitions_load(*, document: dict | None = None, actor=None) -> int:
    """Create or update the definitions of ``data/kpis.json`` (or ``document``), by code, with
    their target and baseline from the current plan. Every definition is checked first: one bad
    row loads nothing."""
    from cqs.plans.selectors import plan_baseline, plan_current, plan_target

    document = document or json.loads(DEFINITIONS_FILE.read_text(encoding="utf-8"))
    plan = plan_current()
    if plan is None:
        raise ServiceError("no_plan", _("Chưa nạp kế hoạch (cqs plans_load hoặc cqs demo)."))
    loaded = 0
    for order, row in enumerate(document["kpis"], start=1):
        row = _DEFAULTS | row
        target = plan_target(plan, row["target"]) if row.get("target") else None
        if row.get("target") and target is None:
            raise ServiceError(
                "unknown_target", _("Kế hoạch không có mục tiêu “%(code)s”.") % {"code": row["target"]}
            )
        baseline = plan_baseline(plan, row["baseline"]) if row.get("baseline") else None
        if row.get("baseline") and baseline is None:
            raise ServiceError(
                "unknown_baseline", _("Kế hoạch không có số liệu “%(code)s”.") % {"code": row["baseline"]}
            )
        definition = KpiDefinition.objects.filter(code=row["code"]).first() or KpiDefinition(code=row["code"])
        definition.name = row["name"]
        definition.target, definition.baseline = target, baseline
        definition.baseline_value = _decimal(row.get("baseline_value"))
        definition.comparator = row.get("comparator", "")
        definition.target_value = _decimal(row.get("target_value"))
        definition.target_source = row.get("target_source", "")
        definition.kind = row["kind"]
        definition.numerator = row.get("numerator", "")
        definition.denominator = row.get("denominator", "")
        definition.scale = Decimal(row["scale"])
        definition.unit = row["unit"]
        definition.breakdown = row["breakdown"]
        definition.higher_is_better = row["higher_is_better"]
        definition.alert_above = _decimal(row.get("alert_above"))
        definition.formula = row.get("formula", "")
        definition.records = row.get("records", [])
        definition.headline = row.get("headline", False)
        definition.order = order
        kpi_definition_save(definition=definition, actor=actor)
        loaded += 1
    return loaded


def _decimal(text) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def measure_values(keys: list[str], *, unit: OrgUnit, start: date, end: date) -> dict[str, Decimal | None]:
    """The value of each measure for ``unit``'s subtree from ``start`` to ``end`` (inclusive), in
    the tree in force on ``end`` (merged units count for their successor); None for a measure
    unknown or of a module not installed. For a DTI sub-indicator computed by the platform."""
    tree = _TreeIndex.of(end)
    result: dict[str, Decimal | None] = dict.fromkeys(keys)
    wanted = [key for key in keys if key in MEASURES and MEASURES[key].available]
    for family in sorted({MEASURES[key].family for key in wanted}):
        values = FAMILIES[family].compute(start, end, end)
        for key in wanted:
            if MEASURES[key].family == family:
                result[key] = _rolled(values.get(key, {}), tree).get(unit.pk, Decimal(0))
    return result
