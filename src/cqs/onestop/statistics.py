"""Statistics of dossiers per unit and period (QĐ 766/QĐ-TTg indicators; docs/onestop-statistics.md).

Every figure is a count of dossiers matching one condition (a *bucket*, ``bucket_conditions``)
over the dossiers received by a unit's subtree. The same conditions build the aggregate query of
the table and the queryset of one cell (drill-down), so a number and the list behind it cannot
disagree.

Speed: one aggregate query with a conditional ``COUNT … FILTER`` per bucket, grouped by the
receiving unit (``unit_id``); the roll-up of units into their ancestor row is done in Python over
at most one entry per unit, never per dossier. With the unit list and the grants that makes
three or four queries whatever the size of the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import paths_under, stats_rows_of_units, top_granted_paths
from cqs.core.exceptions import Forbidden, ServiceError
from cqs.onestop.choices import Channel, DossierStatus, OnlineLevel
from cqs.onestop.models import Dossier
from cqs.orgs.models import OrgUnit

# The counts of a row, in table order. Each is also a drill-down bucket.
COUNT_FIELDS = (
    "received_carried_over",
    "received_new",
    "received_in_person",
    "received_online",
    "received_postal",
    "processed",
    "processed_early",
    "processed_on_time",
    "processed_late",
    "in_progress",
    "in_progress_within",
    "in_progress_overdue",
    "refused",
    "withdrawn",
    "stopped",
    "received_new_eligible",
    "received_online_eligible",
    "fee_dossiers",
    "paid_online",
)
# Buckets that are sums of others (no column of their own in the table).
DERIVED_BUCKETS = {"to_process": ("received_carried_over", "received_new")}
BUCKETS = (*COUNT_FIELDS, *DERIVED_BUCKETS)
# Counts the aggregate query does not compute, because the others determine them: every dossier
# has one of the three channels; processed dossiers are early, on time or late (a partition, see
# ``bucket_conditions``); open ones are within the deadline or overdue. Each conditional count
# costs time on every row, and "on time" is the dearest (two time-zone conversions).
SUMMED_COUNTS = {
    "received_new": lambda c: c["received_in_person"] + c["received_online"] + c["received_postal"],
    "processed_on_time": lambda c: c["processed"] - c["processed_early"] - c["processed_late"],
    "in_progress": lambda c: c["in_progress_within"] + c["in_progress_overdue"],
}
QUERIED_COUNTS = tuple(name for name in COUNT_FIELDS if name not in SUMMED_COUNTS)
# Longest period one request may ask for: ten years keeps a mistyped year from scanning history.
MAX_PERIOD_DAYS = 3660

_HUNDREDTH = Decimal("0.01")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator × 100``, rounded half up to 2 decimals; None when nothing to divide."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass
class StatsRow:
    """The figures of one unit (its whole subtree) for one period. Rates are percentages."""

    unit_id: int | None
    unit_name: str
    # "unit": a child (or top) unit with its subtree; "self": dossiers received at the parent unit
    # itself, not by a child; "total": the sum of the rows.
    kind: str = "unit"
    has_children: bool = False
    received_carried_over: int = 0
    received_new: int = 0
    received_in_person: int = 0
    received_online: int = 0
    received_postal: int = 0
    processed: int = 0
    processed_early: int = 0
    processed_on_time: int = 0
    processed_late: int = 0
    in_progress: int = 0
    in_progress_within: int = 0
    in_progress_overdue: int = 0
    refused: int = 0
    withdrawn: int = 0
    stopped: int = 0
    received_new_eligible: int = 0
    received_online_eligible: int = 0
    fee_dossiers: int = 0
    paid_online: int = 0

    def add(self, counts: dict) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + (counts.get(name) or 0))

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    @property
    def to_process(self) -> int:
        """Tổng số hồ sơ phải giải quyết trong kỳ: carried over + new."""
        return self.received_carried_over + self.received_new

    @property
    def on_time_rate(self) -> Decimal | None:
        """QĐ 766 indicator 2.1: (early + on time) / processed × 100."""
        return rate(self.processed_early + self.processed_on_time, self.processed)

    @property
    def due(self) -> int:
        """Hồ sơ đến hạn giải quyết: processed, plus those still open after their appointment."""
        return self.processed + self.in_progress_overdue

    @property
    def on_time_rate_due(self) -> Decimal | None:
        """(early + on time) / dossiers due × 100: the denominator of plan 326/KH-UBND's figures."""
        return rate(self.processed_early + self.processed_on_time, self.due)

    @property
    def online_share(self) -> Decimal | None:
        """Received online / all received in the period × 100."""
        return rate(self.received_online, self.received_new)

    @property
    def online_share_eligible(self) -> Decimal | None:
        """QĐ 766 indicator 3.3: received online / received for procedures offered online × 100."""
        return rate(self.received_online_eligible, self.received_new_eligible)

    @property
    def online_payment_share(self) -> Decimal | None:
        """Paid online / dossiers with a fee or charge received in the period × 100."""
        return rate(self.paid_online, self.fee_dossiers)

    def as_dict(self) -> dict:
        rates = {
            name: getattr(self, name)
            for name in (
                "to_process",
                "due",
                "on_time_rate",
                "on_time_rate_due",
                "online_share",
                "online_share_eligible",
                "online_payment_share",
            )
        }
        head = {"unit_id": self.unit_id, "unit_name": self.unit_name, "kind": self.kind}
        return head | {"has_children": self.has_children} | self.counts() | rates


RATE_FIELDS = (
    "on_time_rate",
    "on_time_rate_due",
    "online_share",
    "online_share_eligible",
    "online_payment_share",
)


@dataclass
class StatsReport:
    date_from: date
    date_to: date
    unit: OrgUnit | None
    # The moment the "in progress" figures describe: the end of the period, or now if sooner.
    as_at: datetime
    rows: list[StatsRow] = field(default_factory=list)
    total: StatsRow | None = None
    # Ancestors of ``unit`` the user may also view, top first (for breadcrumbs).
    trail: list[OrgUnit] = field(default_factory=list)


# --- the period and the conditions -----------------------------------------------------------


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The period as ``[start, end)``: midnight of ``date_from`` to the midnight after
    ``date_to``, Vietnam time."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return start, end


def period_check(date_from: date | None, date_to: date | None) -> None:
    if date_from is None or date_to is None:
        raise ServiceError("invalid_period", _("Chọn ngày bắt đầu và ngày kết thúc của kỳ thống kê."))
    if date_from > date_to:
        raise ServiceError(
            "invalid_period", _("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."), field="from"
        )
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise ServiceError("invalid_period", _("Kỳ thống kê dài tối đa 10 năm."), field="to")


def _open_at(moment: datetime) -> Q:
    """Not yet processed (status 9) nor otherwise ended (3, 7, 8) at ``moment``."""
    return (Q(completed_at__isnull=True) | Q(completed_at__gte=moment)) & (
        Q(ended_at__isnull=True) | Q(ended_at__gte=moment)
    )


def bucket_conditions(*, start: datetime, end: datetime, as_at: datetime) -> dict[str, Q]:
    """The condition of each bucket for the period ``[start, end)``; docs/onestop-statistics.md
    gives each one with its source."""
    new = Q(received_at__gte=start, received_at__lt=end)
    processed = Q(completed_at__gte=start, completed_at__lt=end)
    ended = Q(ended_at__gte=start, ended_at__lt=end)
    # QĐ 766: more than one supplement request is late whatever the dates ("hướng dẫn một lần").
    one_request = Q(supplement_count__lte=1)
    # The calendar day of the appointment in Vietnam time (the __date lookups use TIME_ZONE).
    due_day = TruncDate("due_at")
    in_progress = Q(received_at__lt=end) & _open_at(end)
    eligible = Q(version__online_level__in=[OnlineLevel.FULL, OnlineLevel.PARTIAL])
    conditions = {
        "received_carried_over": Q(received_at__lt=start) & _open_at(start),
        "received_new": new,
        "received_in_person": new & Q(channel=Channel.IN_PERSON),
        "received_online": new & Q(channel=Channel.ONLINE),
        "received_postal": new & Q(channel=Channel.POSTAL),
        "processed": processed,
        "processed_early": processed
        & one_request
        & Q(completed_at__lte=F("due_at"), completed_at__date__lt=due_day),
        # The rest of the processed: written out rather than negated, so that a NULL appointment
        # (impossible through the workflow) still lands in exactly one of the three.
        "processed_on_time": processed
        & one_request
        & (Q(due_at__isnull=True) | Q(completed_at__lte=F("due_at"), completed_at__date__gte=due_day)),
        "processed_late": processed & (~one_request | Q(completed_at__gt=F("due_at"))),
        "in_progress": in_progress,
        "in_progress_within": in_progress & (Q(due_at__isnull=True) | Q(due_at__gte=as_at)),
        "in_progress_overdue": in_progress & Q(due_at__lt=as_at),
        "refused": ended & Q(status=DossierStatus.REFUSED),
        "withdrawn": ended & Q(status=DossierStatus.WITHDRAWN),
        "stopped": ended & Q(status=DossierStatus.STOPPED),
        "received_new_eligible": new & eligible,
        "received_online_eligible": new & eligible & Q(channel=Channel.ONLINE),
        "fee_dossiers": new & Q(fee_total__gt=0),
        "paid_online": new & Q(fee_total__gt=0, paid_online=True),
    }
    conditions["to_process"] = conditions["received_carried_over"] | conditions["received_new"]
    return conditions


def _relevant(*, start: datetime, end: datetime) -> Q:
    """Every dossier that can fall in some bucket (the WHERE of the aggregate query)."""
    return (Q(received_at__lt=end) & _open_at(start)) | Q(ended_at__gte=start, ended_at__lt=end)


def _as_at(end: datetime, now: datetime | None) -> datetime:
    return min(end, now or timezone.now())


# --- scope -----------------------------------------------------------------------------------


def _top_paths(user) -> list[str] | None:
    """The paths of the highest units the user may view dossiers of; None means everything."""
    return top_granted_paths(user, "onestop", "view_dossier")


def may_view_statistics(user) -> bool:
    """Whether ``user`` may see statistics of at least one unit."""
    return _top_paths(user) != []


def _check_unit(user, unit: OrgUnit) -> None:
    tops = _top_paths(user)
    if tops is not None and not any(unit.path.startswith(p) for p in tops):
        raise Forbidden("stats_unit_forbidden", _("Bạn không có quyền xem số liệu hồ sơ của đơn vị này."))


def _roots(user, unit: OrgUnit | None) -> list[str] | None:
    """The paths whose subtrees are counted: ``unit``'s (checked against the grants), else the
    user's highest granted units; None means the whole tree (a superuser), [] nothing."""
    if unit is not None:
        _check_unit(user, unit)
        return [unit.path]
    return _top_paths(user)


def _under(roots: list[str]) -> Q:
    return paths_under(roots)


def _received_under(roots: list[str] | None, unit_ids: list[int] | None = None) -> Q | None:
    """Condition on the receiving unit; None when there is none (the whole tree).

    The ids are given as a list, not a subquery: PostgreSQL cannot estimate how many units a
    ``path LIKE`` subquery yields, guesses one, and then visits the dossier table once per unit
    through the index, which on a large table is many times slower than one scan."""
    if roots is None:
        return None
    if unit_ids is None:
        unit_ids = list(OrgUnit.objects.filter(_under(roots)).values_list("pk", flat=True))
    return Q(unit_id__in=unit_ids)


def _overlaps(unit: dict, date_from: date, date_to: date) -> bool:
    return unit["valid_from"] <= date_to and (unit["valid_to"] is None or unit["valid_to"] > date_from)


# --- the report ------------------------------------------------------------------------------


def dossier_statistics(
    *, user, date_from: date, date_to: date, unit: OrgUnit | None = None, now: datetime | None = None
) -> StatsReport:
    """Figures for the period per row unit, each summed over its subtree, and their total.

    Rows are the children of ``unit`` (plus a row for dossiers received at ``unit`` itself, if
    any), or with no ``unit`` the highest units the user may view (for a superuser, the roots of
    the tree). A row unit appears when it was in force during part of the period or has any
    figure (a unit closed by a merger still carries its old dossiers). Units are counted where the
    dossier was *received* (``Dossier.unit``). Raises ``Forbidden`` for a unit outside the
    user's ``view_dossier`` grants, ``ServiceError("invalid_period")`` for a bad period."""
    period_check(date_from, date_to)
    start, end = period_bounds(date_from, date_to)
    as_at = _as_at(end, now)
    report = StatsReport(date_from=date_from, date_to=date_to, unit=unit, as_at=as_at)
    roots = _roots(user, unit)
    if roots == []:
        report.total = StatsRow(unit_id=None, unit_name=_("Tổng cộng"), kind="total")
        return report

    # Query 1: the units under the rows, with what the roll-up and the row labels need.
    units, row_units, row_key, parents = stats_rows_of_units(roots, unit)
    rows: dict = {
        u["pk"]: StatsRow(unit_id=u["pk"], unit_name=u["name"], has_children=u["pk"] in parents)
        for u in row_units
    }
    if unit is not None:
        rows["self"] = StatsRow(
            unit_id=unit.pk,
            unit_name=_("%(name)s (tiếp nhận tại chính đơn vị)") % {"name": unit.name},
            kind="self",
        )

    # Query 2: one conditional count per bucket, grouped by receiving unit.
    conditions = bucket_conditions(start=start, end=end, as_at=as_at)
    dossiers = Dossier.objects.filter(_relevant(start=start, end=end))
    scope = _received_under(roots, [u["pk"] for u in units])
    if scope is not None:
        dossiers = dossiers.filter(scope)
    aggregates = {name: Count("pk", filter=conditions[name]) for name in QUERIED_COUNTS}
    path_of = {u["pk"]: u["path"] for u in units}
    for counts in dossiers.order_by().values("unit_id").annotate(**aggregates):
        path = path_of.get(counts["unit_id"])
        key = row_key(path) if path else None
        if key in rows:
            rows[key].add(counts | {name: summed(counts) for name, summed in SUMMED_COUNTS.items()})

    total = StatsRow(unit_id=unit.pk if unit else None, unit_name=_("Tổng cộng"), kind="total")
    for row in rows.values():
        total.add(row.counts())
    unit_rows = {u["pk"]: u for u in row_units}
    report.rows = [
        row
        for key, row in rows.items()
        if not row.is_empty or (key != "self" and _overlaps(unit_rows[key], date_from, date_to))
    ]
    report.total = total
    report.trail = _trail(user, unit) if unit is not None else []
    return report


def _trail(user, unit: OrgUnit) -> list[OrgUnit]:
    tops = _top_paths(user)
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth")
    return [a for a in ancestors if tops is None or any(a.path.startswith(p) for p in tops)] + [unit]


# --- drill-down and register -----------------------------------------------------------------


def dossier_statistics_dossiers(
    *,
    user,
    unit: OrgUnit | None,
    date_from: date,
    date_to: date,
    bucket: str,
    only_unit: bool = False,
    now: datetime | None = None,
) -> QuerySet:
    """The dossiers counted in one cell of ``dossier_statistics``: bucket ``bucket`` of ``unit``'s
    subtree (or of everything the user may view when ``unit`` is None; of ``unit`` alone with
    ``only_unit``, the "self" row), in the order of the date that counts for the bucket."""
    if bucket not in BUCKETS:
        raise ServiceError("invalid_bucket", _("Chỉ tiêu thống kê không hợp lệ."), field="bucket")
    period_check(date_from, date_to)
    start, end = period_bounds(date_from, date_to)
    condition = bucket_conditions(start=start, end=end, as_at=_as_at(end, now))[bucket]
    dossiers = Dossier.objects.filter(condition)
    if unit is not None and only_unit:
        _check_unit(user, unit)
        dossiers = dossiers.filter(unit=unit)
    elif (scope := _received_under(_roots(user, unit))) is not None:
        dossiers = dossiers.filter(scope)
    return dossiers.select_related("procedure", "version", "unit").order_by(_bucket_order(bucket), "pk")


def _bucket_order(bucket: str) -> str:
    """A cell's dossiers in the order of the date that put them there (which also lets the
    database walk that date's index for the first page instead of sorting the whole cell)."""
    if bucket.startswith("processed"):
        return "completed_at"
    if bucket.startswith("in_progress"):
        return "due_at"
    if bucket in ("refused", "withdrawn", "stopped"):
        return "ended_at"
    return "received_at"


def dossier_register(*, user, date_from: date, date_to: date, unit: OrgUnit | None = None) -> QuerySet:
    """Sổ theo dõi hồ sơ (TT 01/2018/TT-VPCP, Mẫu 06): the dossiers received in the period by
    ``unit``'s subtree (or every unit the user may view), in order of receipt."""
    period_check(date_from, date_to)
    start, end = period_bounds(date_from, date_to)
    dossiers = Dossier.objects.filter(received_at__gte=start, received_at__lt=end)
    if (scope := _received_under(_roots(user, unit))) is not None:
        dossiers = dossiers.filter(scope)
    return dossiers.select_related("procedure", "version", "unit").order_by("received_at", "pk")


# --- for other modules (the IOC) -------------------------------------------------------------


def dossier_counts_by_unit(
    *, date_from: date, date_to: date, buckets: tuple[str, ...], now: datetime | None = None
) -> dict[str, dict[int, int]]:
    """Each bucket's count per receiving unit (its own dossiers, not its subtree) for the period,
    with the conditions of the statistics page. No permission check: the caller has done it."""
    start, end = period_bounds(date_from, date_to)
    conditions = bucket_conditions(start=start, end=end, as_at=_as_at(end, now))
    aggregates = {name: Count("pk", filter=conditions[name]) for name in buckets}
    rows = Dossier.objects.filter(_relevant(start=start, end=end)).order_by().values("unit_id")
    result: dict[str, dict[int, int]] = {name: {} for name in buckets}
    for row in rows.annotate(**aggregates):
        for name in buckets:
            if row[name]:
                result[name][row["unit_id"]] = row[name]
    return result


def procedure_counts_by_unit(*, on: date) -> dict[str, dict[int, int]]:
    """Per implementing unit, the procedures whose version in force on ``on`` exists (``all``) and
    is offered fully online (``full_online``, Decree 42/2022 Art. 11)."""
    from cqs.onestop.models import Procedure, ProcedureVersion

    levels = dict(ProcedureVersion.objects.as_of(on).order_by().values_list("procedure_id", "online_level"))
    result: dict[str, dict[int, int]] = {"all": {}, "full_online": {}}
    pairs = Procedure.units.through.objects.filter(procedure_id__in=levels).values_list(
        "procedure_id", "orgunit_id"
    )
    for procedure_id, unit_id in pairs:
        result["all"][unit_id] = result["all"].get(unit_id, 0) + 1
        if levels[procedure_id] == OnlineLevel.FULL:
            result["full_online"][unit_id] = result["full_online"].get(unit_id, 0) + 1
    return result
