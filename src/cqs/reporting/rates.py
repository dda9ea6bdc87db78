"""Reporting rates (tỷ lệ gửi báo cáo): who had to report, who did, who did on time.

For one regime and a list of periods, per unit of the tree as of a date and per period, with
DHIS2's metric names:

* ``EXPECTED_REPORTS``: units assigned for the period (``assigned_units(version, period.end)``,
  the version in force on the period's last day);
* ``ACTUAL_REPORTS``: of those, the ones whose report is submitted or approved;
* ``ACTUAL_REPORTS_ON_TIME``: of those, the ones not sent late (``Report.late``, fixed at
  submission against the deadline);
* ``REPORTING_RATE`` and ``REPORTING_RATE_ON_TIME``: the two counts over the expected, in percent
  (two decimals; empty when nothing was expected).

Each unit also gets a state for the period: on time, late, missing (expected, no report sent, the
deadline passed: a returned or draft report is missing too) or not due yet (the deadline has not
passed). A unit's figures cover its subtree on ``as_of``, itself included when it reports (a
district's rate counts its communes and its own report; the province's, every unit). Units that
no longer exist on ``as_of`` count for their successor, as in ``rollup.py``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import Regime, Report
from cqs.reporting.periods import PeriodSpec
from cqs.reporting.rollup import Attribution, Tree, attribute, pk_of, tree_as_of
from cqs.reporting.selectors import assigned_units, regime_version_for
from cqs.reporting.services.reports import period_spec, report_dates

SENT = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
METRICS = (
    "EXPECTED_REPORTS",
    "ACTUAL_REPORTS",
    "ACTUAL_REPORTS_ON_TIME",
    "REPORTING_RATE",
    "REPORTING_RATE_ON_TIME",
)
METRIC_LABELS = {
    "EXPECTED_REPORTS": _("Số báo cáo phải gửi"),
    "ACTUAL_REPORTS": _("Số báo cáo đã gửi"),
    "ACTUAL_REPORTS_ON_TIME": _("Số báo cáo gửi đúng hạn"),
    "REPORTING_RATE": _("Tỷ lệ gửi báo cáo (%)"),
    "REPORTING_RATE_ON_TIME": _("Tỷ lệ gửi đúng hạn (%)"),
}
_CENT = Decimal("0.01")


class CellState(models.TextChoices):
    ON_TIME = "on_time", _("Gửi đúng hạn")
    LATE = "late", _("Gửi muộn")
    MISSING = "missing", _("Chưa gửi, đã quá hạn")
    NOT_DUE = "not_due", _("Chưa đến hạn")
    NONE = "none", _("Không phải báo cáo")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class RateRow:
    """Counts of one unit (its subtree, or its own report) for one period or several."""

    expected: int = 0
    actual: int = 0
    actual_on_time: int = 0
    not_due: int = 0  # expected, nothing sent, deadline not passed

    def add(self, other: RateRow) -> None:
        self.expected += other.expected
        self.actual += other.actual
        self.actual_on_time += other.actual_on_time
        self.not_due += other.not_due

    @property
    def late(self) -> int:
        return self.actual - self.actual_on_time

    @property
    def missing(self) -> int:
        return self.expected - self.actual - self.not_due

    @property
    def reporting_rate(self) -> Decimal | None:
        return _percent(self.actual, self.expected)

    @property
    def reporting_rate_on_time(self) -> Decimal | None:
        return _percent(self.actual_on_time, self.expected)

    @property
    def state(self) -> str:
        """The colour of a cell: the worst thing in it (missing, then late, then not yet due)."""
        if not self.expected:
            return CellState.NONE
        if self.missing:
            return CellState.MISSING
        if self.late:
            return CellState.LATE
        if self.not_due:
            return CellState.NOT_DUE
        return CellState.ON_TIME

    def metrics(self) -> dict[str, int | Decimal | None]:
        return {
            "EXPECTED_REPORTS": self.expected,
            "ACTUAL_REPORTS": self.actual,
            "ACTUAL_REPORTS_ON_TIME": self.actual_on_time,
            "REPORTING_RATE": self.reporting_rate,
            "REPORTING_RATE_ON_TIME": self.reporting_rate_on_time,
        }


@dataclass
class RatesResult:
    regime: Regime
    as_of: date
    today: date
    tree: Tree
    periods: list[PeriodSpec]
    deadlines: dict[str, date | None]
    attribution: Attribution
    _subtree: dict[tuple[int, str], RateRow] = field(default_factory=dict)
    _own: dict[tuple[int, str], RateRow] = field(default_factory=dict)
    _reports: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    @property
    def root(self) -> OrgUnit:
        return self.tree.root

    def children(self, unit) -> list[OrgUnit]:
        return self.tree.children(unit)

    def row(self, unit, period: str) -> RateRow:
        """``unit``'s subtree in ``period``."""
        return self._subtree.get((pk_of(unit), period)) or RateRow()

    def own(self, unit, period: str) -> RateRow:
        """``unit``'s own report (and those of the units it succeeded) in ``period``."""
        return self._own.get((pk_of(unit), period)) or RateRow()

    def reports(self, unit, period: str) -> list[int]:
        """Ids of the reports behind ``own``."""
        return self._reports.get((pk_of(unit), period), [])

    def total(self, unit) -> RateRow:
        row = RateRow()
        for spec in self.periods:
            row.add(self.row(unit, spec.iso))
        return row

    def own_total(self, unit) -> RateRow:
        row = RateRow()
        for spec in self.periods:
            row.add(self.own(unit, spec.iso))
        return row

    def period_total(self, period: str) -> RateRow:
        return self.row(self.root, period)


def reporting_rates(
    *,
    regime: Regime,
    periods: list[str],
    root: OrgUnit,
    as_of: date | None = None,
    today: date | None = None,
) -> RatesResult:
    """Expected, actual and on-time reports of ``regime`` for each unit of ``root``'s tree on
    ``as_of`` (default today) and each of ``periods`` (ISO); "not due yet" is judged on ``today``."""
    today = today or timezone.localdate()
    as_of = as_of or today
    specs = sorted((period_spec(iso) for iso in periods), key=lambda spec: (spec.start, spec.end))
    tree = tree_as_of(root, as_of)
    expected: dict[str, set[int]] = {}
    deadlines: dict[str, date | None] = {}
    for spec in specs:
        version = regime_version_for(regime, spec)
        if version is None or version.period_type != spec.period_type:
            expected[spec.iso], deadlines[spec.iso] = set(), None
            continue
        expected[spec.iso] = set(assigned_units(version, spec.end).values_list("pk", flat=True))
        deadlines[spec.iso] = report_dates(version, spec)["deadline"]
    everyone = set().union(*expected.values()) if expected else set()
    attribution = attribute(tree, everyone)
    sent = (
        Report.objects.filter(regime=regime, period__iso__in=list(expected), unit_id__in=everyone)
        .values_list("pk", "unit_id", "period__iso", "status", "late")
        .order_by("pk")
    )
    reports: dict[tuple[int, str], tuple[int, str, bool]] = {
        (unit, iso): (pk, status, late) for pk, unit, iso, status, late in sent
    }
    result = RatesResult(
        regime=regime,
        as_of=as_of,
        today=today,
        tree=tree,
        periods=specs,
        deadlines=deadlines,
        attribution=attribution,
    )
    subtree: dict[tuple[int, str], RateRow] = defaultdict(RateRow)
    own: dict[tuple[int, str], RateRow] = defaultdict(RateRow)
    for iso, units in expected.items():
        deadline = deadlines[iso]
        for unit in units:
            node = attribution.target.get(unit)
            if node is None:
                continue
            report = reports.get((unit, iso))
            done = report is not None and report[1] in SENT
            one = RateRow(
                expected=1,
                actual=int(done),
                actual_on_time=int(done and not report[2]),
                not_due=int(not done and deadline is not None and today <= deadline),
            )
            own[(node, iso)].add(one)
            if report is not None:
                result._reports.setdefault((node, iso), []).append(report[0])
            for ancestor in tree.chain(node):
                subtree[(ancestor, iso)].add(one)
    result._subtree, result._own = dict(subtree), dict(own)
    return result


# --- for other modules (the IOC) -------------------------------------------------------------


def report_counts_by_unit(*, date_from: date, date_to: date, as_of: date, today: date | None = None) -> dict:
    """Periodic reports of every regime whose period ends between ``date_from`` and ``date_to``
    and whose deadline has passed on ``today``, per unit of the tree on ``as_of`` (its own report
    and those of the units it succeeded): ``expected``, ``sent`` through the system and
    ``sent_on_time``. A report not due yet counts nowhere."""
    from cqs.reporting.periods import periods_between
    from cqs.reporting.selectors import regime_version_on

    today = today or timezone.localdate()
    roots = OrgUnit.objects.as_of(as_of).filter(parent__isnull=True)
    result: dict[str, dict[int, int]] = {"expected": {}, "sent": {}, "sent_on_time": {}}
    for regime in Regime.objects.order_by("pk"):
        version = regime_version_on(regime, date_to) or regime_version_on(regime, date_from)
        if version is None:
            continue
        periods = [spec.iso for spec in periods_between(version.period_type, date_from, date_to)]
        if not periods:
            continue
        for root in roots:
            rates = reporting_rates(regime=regime, periods=periods, root=root, as_of=as_of, today=today)
            for unit_id in rates.tree.units:
                row = rates.own_total(unit_id)
                for name, count in (
                    ("expected", row.expected - row.not_due),
                    ("sent", row.actual),
                    ("sent_on_time", row.actual_on_time),
                ):
                    if count:
                        result[name][unit_id] = result[name].get(unit_id, 0) + count
    return result
