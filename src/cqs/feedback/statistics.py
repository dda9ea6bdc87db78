"""Statistics of citizen feedback per unit, category and period (docs/feedback.md#statistics).

The period is a *cohort*: the reports received (``submitted_at``) in ``[start, end)``, with their
state now (answered, on time, still open, overdue…). Each figure is a count of those reports
matching one condition (a *bucket*, ``bucket_conditions``); the same conditions build the
aggregate query of the tables and the queryset of one cell (the drill-down list), so a number and
the list behind it cannot disagree. The buckets of the outcome partition the reports received:
``received = open_now + answered + rejected + transferred + duplicates + closed_other``.

Satisfaction is the reporter's latest survey of a report (a report reopened and answered again
may have two): ``surveyed`` reports, ``satisfied`` (rated 4–5) and the average latest rating.

Speed: one aggregate query with a conditional ``COUNT … FILTER`` per bucket, grouped by the
handling unit (``unit_id``) or the category; the roll-up of units into their ancestor row is done
in Python over at most one entry per unit (the onestop pattern, ``cqs.onestop.statistics``).

Units: reports count where they are handled *now* (``Report.unit``, which a forward changes).
After the reorganisation of 1/7/2025 a report keeps the unit it was recorded with: a closed unit
appears as a row while it has figures in the period. There is no "as of" tree: rows follow the
current tree (``parent``), which keeps a merged unit's reports under its old parent.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import paths_under, stats_rows_of_units, top_granted_paths
from cqs.core.exceptions import Forbidden, ServiceError
from cqs.feedback.choices import OPEN_STATUSES, Status
from cqs.feedback.models import Category, Report, ReportEvent, SatisfactionResponse
from cqs.orgs.models import OrgUnit

STATS_PERMISSION = ("feedback", "view_feedback_statistics")
# The counts of a row, in table order; each is also a drill-down bucket.
COUNT_FIELDS = (
    "received",
    "acknowledged_on_time",
    "forwarded",
    "answered",
    "answered_on_time",
    "answered_late",
    "open_now",
    "overdue_now",
    "rejected",
    "transferred",
    "duplicates",
    "closed_other",
    "surveyed",
    "satisfied",
)
# Not a column of the tables: answered in the period whenever received (a flow, for the
# periodic reports of cqs.reporting).
FLOW_BUCKETS = ("answered_in_period",)
BUCKETS = (*COUNT_FIELDS, *FLOW_BUCKETS)
RATE_FIELDS = ("answered_rate", "on_time_rate", "acknowledged_rate", "satisfaction_rate", "rating_average")
MAX_PERIOD_DAYS = 3660
_HUNDREDTH = Decimal("0.01")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator × 100``, rounded half up to 2 decimals; None when nothing to divide."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass
class StatsRow:
    """The figures of one unit (its subtree) or category for one period. Rates are percentages."""

    key: int | str | None
    name: str
    # "unit": a unit with its subtree; "self": reports handled at the parent unit itself;
    # "category": one category; "total": the sum of the rows.
    kind: str = "unit"
    has_children: bool = False
    received: int = 0
    acknowledged_on_time: int = 0
    forwarded: int = 0
    answered: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    open_now: int = 0
    overdue_now: int = 0
    rejected: int = 0
    transferred: int = 0
    duplicates: int = 0
    closed_other: int = 0
    surveyed: int = 0
    satisfied: int = 0
    rating_sum: int = 0

    def add(self, counts: dict) -> None:
        for name in (*COUNT_FIELDS, "rating_sum"):
            setattr(self, name, getattr(self, name) + (counts.get(name) or 0))

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    @property
    def answered_rate(self) -> Decimal | None:
        return rate(self.answered, self.received)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.answered_on_time, self.answered)

    @property
    def acknowledged_rate(self) -> Decimal | None:
        return rate(self.acknowledged_on_time, self.received)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return rate(self.satisfied, self.surveyed)

    @property
    def rating_average(self) -> Decimal | None:
        if not self.surveyed:
            return None
        return (Decimal(self.rating_sum) / Decimal(self.surveyed)).quantize(
            _HUNDREDTH, rounding=ROUND_HALF_UP
        )

    def as_dict(self) -> dict:
        head = {"key": self.key, "name": self.name, "kind": self.kind, "has_children": self.has_children}
        return head | self.counts() | {name: getattr(self, name) for name in RATE_FIELDS}


@dataclass
class StatsReport:
    date_from: date
    date_to: date
    unit: OrgUnit | None
    category: Category | None
    # The moment "open now" and "overdue now" describe.
    as_at: datetime
    rows: list[StatsRow] = field(default_factory=list)
    total: StatsRow | None = None
    categories: list[StatsRow] = field(default_factory=list)
    # [(first day of the month, received, answered)] for the chart.
    months: list[tuple[date, int, int]] = field(default_factory=list)
    # Ancestors of ``unit`` the user may also view, top first (for breadcrumbs).
    trail: list[OrgUnit] = field(default_factory=list)


# --- the period ------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


def period_parse(text: str) -> tuple[date, date]:
    """``2026`` (a year), ``2026-03`` (a month) or ``2026-Q1`` (a quarter) as ``(first, last)`` days."""
    match = _PERIOD.match((text or "").strip())
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        raise ServiceError(
            "invalid_period",
            _("Kỳ thống kê phải có dạng năm (2026), tháng (2026-03) hoặc quý (2026-Q1)."),
            field="period",
        )
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise ServiceError("invalid_period", _("Tháng phải từ 1 đến 12."), field="period")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if match["quarter"]:
        first = (int(match["quarter"]) - 1) * 3 + 1
        last = first + 2
        return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])
    return date(year, 1, 1), date(year, 12, 31)


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The period as ``[start, end)``: midnight of ``date_from`` to the midnight after ``date_to``,
    Vietnam time."""
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


# --- the conditions --------------------------------------------------------------------------


def _with_rating(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """Reports with ``survey_rating``: the rating of the reporter's latest survey, if any."""
    latest = (
        SatisfactionResponse.objects.filter(report=OuterRef("pk")).order_by("-at", "-pk").values("rating")[:1]
    )
    return queryset.alias(survey_rating=Subquery(latest, output_field=IntegerField()))


def bucket_conditions(*, start: datetime, end: datetime, as_at: datetime) -> dict[str, Q]:
    """The condition of each bucket for the reports received in ``[start, end)``, their state at
    ``as_at`` (now). Needs the queryset of ``_with_rating`` for the survey buckets."""
    received = Q(submitted_at__gte=start, submitted_at__lt=end)
    is_open = Q(status__in=OPEN_STATUSES)
    # The ended reports fall in exactly one outcome: refused, transferred out, else a duplicate,
    # else answered (and not reopened since), else closed another way.
    ended = received & ~is_open
    refused_or_out = Q(status__in=[Status.REJECTED, Status.TRANSFERRED])
    kept = ended & ~refused_or_out
    answered = kept & Q(duplicate_of__isnull=True, answered_at__isnull=False)
    forward = ReportEvent.objects.filter(report=OuterRef("pk"), action="forward")
    return {
        "received": received,
        # Law 42/2013 Art. 28: the person was told (accepted, forwarded, refused) within 10 working days.
        "acknowledged_on_time": received
        & Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at")),
        # Decree 20/2008 Art. 9: forwarded to the competent unit inside the platform at least once.
        "forwarded": received & Q(Exists(forward)),
        "answered": answered,
        "answered_on_time": answered & Q(answered_at__lte=F("due_at")),
        "answered_late": answered & Q(answered_at__gt=F("due_at")),
        "open_now": received & is_open,
        "overdue_now": received & is_open & Q(due_at__lt=as_at),
        "rejected": ended & Q(status=Status.REJECTED),
        "transferred": ended & Q(status=Status.TRANSFERRED),
        "duplicates": kept & Q(duplicate_of__isnull=False),
        # Split into other reports, or closed while waiting for information from the reporter.
        "closed_other": kept & Q(duplicate_of__isnull=True, answered_at__isnull=True),
        "surveyed": received & Q(survey_rating__isnull=False),
        "satisfied": received & Q(survey_rating__gte=4),
        "answered_in_period": Q(answered_at__gte=start, answered_at__lt=end)
        & ~is_open
        & ~refused_or_out
        & Q(duplicate_of__isnull=True),
    }


def _aggregates(conditions: dict[str, Q]) -> dict:
    aggregates = {name: Count("pk", filter=conditions[name]) for name in COUNT_FIELDS}
    aggregates["rating_sum"] = Sum("survey_rating", filter=conditions["surveyed"])
    return aggregates


# --- scope -----------------------------------------------------------------------------------


def _top_paths(user) -> list[str] | None:
    """The paths of the highest units whose statistics the user may view; None means everything."""
    return top_granted_paths(user, *STATS_PERMISSION)


def may_view_statistics(user) -> bool:
    return _top_paths(user) != []


def _check_unit(user, unit: OrgUnit) -> None:
    tops = _top_paths(user)
    if tops is not None and not any(unit.path.startswith(p) for p in tops):
        raise Forbidden("stats_unit_forbidden", _("Bạn không có quyền xem số liệu phản ánh của đơn vị này."))


def _roots(user, unit: OrgUnit | None) -> list[str] | None:
    if unit is not None:
        _check_unit(user, unit)
        return [unit.path]
    return _top_paths(user)


def _under(roots: list[str]) -> Q:
    return paths_under(roots)


def _unit_ids(roots: list[str] | None) -> list[int] | None:
    # A list rather than a subquery: see cqs.onestop.statistics._received_under.
    if roots is None:
        return None
    return list(OrgUnit.objects.filter(_under(roots)).values_list("pk", flat=True))


def category_subtree_ids(category: Category) -> list[int]:
    """``category`` and every category below it (the tree is small: one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    ids, stack = [], [category.pk]
    while stack and len(ids) < 10000:
        pk = stack.pop()
        ids.append(pk)
        stack.extend(children.get(pk, []))
    return ids


def _overlaps(unit: dict, date_from: date, date_to: date) -> bool:
    return unit["valid_from"] <= date_to and (unit["valid_to"] is None or unit["valid_to"] > date_from)


def _scoped(
    queryset: QuerySet[Report], *, unit_ids: list[int] | None, category: Category | None
) -> QuerySet[Report]:
    if unit_ids is not None:
        queryset = queryset.filter(unit_id__in=unit_ids)
    if category is not None:
        queryset = queryset.filter(category_id__in=category_subtree_ids(category))
    return queryset


# --- the report ------------------------------------------------------------------------------


def feedback_statistics(
    *,
    user,
    date_from: date,
    date_to: date,
    unit: OrgUnit | None = None,
    category: Category | None = None,
    now: datetime | None = None,
) -> StatsReport:
    """Figures of the reports received in the period: one row per child of ``unit`` (plus a row
    for reports handled at ``unit`` itself), or with no ``unit`` per highest unit the user may
    view; a row per category; the total; and received/answered per month for the chart.

    Raises ``Forbidden`` for a unit outside the user's ``view_feedback_statistics`` grants,
    ``ServiceError("invalid_period")`` for a bad period."""
    period_check(date_from, date_to)
    start, end = period_bounds(date_from, date_to)
    as_at = now or timezone.now()
    report = StatsReport(date_from=date_from, date_to=date_to, unit=unit, category=category, as_at=as_at)
    report.total = StatsRow(key=None, name=_("Tổng cộng"), kind="total")
    roots = _roots(user, unit)
    if roots == []:
        return report

    units, row_units, row_key, parents = stats_rows_of_units(roots, unit)
    rows: dict = {
        u["pk"]: StatsRow(key=u["pk"], name=u["name"], has_children=u["pk"] in parents) for u in row_units
    }
    if unit is not None:
        rows["self"] = StatsRow(
            key=unit.pk, name=_("%(name)s (xử lý tại chính đơn vị)") % {"name": unit.name}, kind="self"
        )

    conditions = bucket_conditions(start=start, end=end, as_at=as_at)
    unit_ids = None if roots is None else [u["pk"] for u in units]
    reports = _with_rating(
        _scoped(Report.objects.filter(conditions["received"]), unit_ids=unit_ids, category=category)
    )
    aggregates = _aggregates(conditions)
    path_of = {u["pk"]: u["path"] for u in units}
    for counts in reports.order_by().values("unit_id").annotate(**aggregates):
        path = path_of.get(counts["unit_id"])
        key = row_key(path) if path else None
        if key in rows:
            rows[key].add(counts)
    for row in rows.values():
        report.total.add(row.counts() | {"rating_sum": row.rating_sum})
    unit_rows = {u["pk"]: u for u in row_units}
    report.rows = [
        row
        for key, row in rows.items()
        if not row.is_empty or (key != "self" and _overlaps(unit_rows[key], date_from, date_to))
    ]

    # By category: one row per category with reports in the scope.
    names = {
        c.pk: (f"{c.parent.name} › {c.name}" if c.parent_id else c.name)
        for c in Category.objects.select_related("parent")
    }
    by_category = []
    for counts in reports.order_by().values("category_id").annotate(**aggregates):
        row = StatsRow(key=counts["category_id"], name=names.get(counts["category_id"], "?"), kind="category")
        row.add(counts)
        by_category.append(row)
    report.categories = sorted(by_category, key=lambda r: (-r.received, r.name))

    months = (
        reports.order_by()
        .annotate(month=TruncMonth("submitted_at"))
        .values("month")
        .annotate(received=Count("pk"), answered=Count("pk", filter=conditions["answered"]))
        .order_by("month")
    )
    report.months = [(_as_date(m["month"]), m["received"], m["answered"]) for m in months]
    report.trail = _trail(user, unit) if unit is not None else []
    return report


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _trail(user, unit: OrgUnit) -> list[OrgUnit]:
    tops = _top_paths(user)
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth")
    return [a for a in ancestors if tops is None or any(a.path.startswith(p) for p in tops)] + [unit]


def feedback_statistics_reports(
    *,
    user,
    date_from: date,
    date_to: date,
    bucket: str,
    unit: OrgUnit | None = None,
    only_unit: bool = False,
    category: Category | None = None,
    now: datetime | None = None,
) -> QuerySet[Report]:
    """The reports counted in one cell of ``feedback_statistics``: bucket ``bucket`` of ``unit``'s
    subtree (everything the user may view when None; ``unit`` alone with ``only_unit``, the
    "self" row), of ``category``'s subtree when given, oldest received first."""
    if bucket not in COUNT_FIELDS:
        raise ServiceError("invalid_bucket", _("Chỉ tiêu thống kê không hợp lệ."), field="bucket")
    period_check(date_from, date_to)
    start, end = period_bounds(date_from, date_to)
    condition = bucket_conditions(start=start, end=end, as_at=now or timezone.now())[bucket]
    if unit is not None and only_unit:
        _check_unit(user, unit)
        unit_ids = [unit.pk]
    else:
        unit_ids = _unit_ids(_roots(user, unit))
    reports = _scoped(
        _with_rating(Report.objects.all()).filter(condition), unit_ids=unit_ids, category=category
    )
    return reports.select_related("category", "unit").order_by("submitted_at", "pk")


# --- for other modules (reporting, the IOC) --------------------------------------------------


def feedback_counts_by_unit(
    *, start: date, end: date, now: datetime | None = None, unit: OrgUnit | None = None
) -> dict[int, dict[str, int]]:
    """The figures of ``feedback_counts`` for each handling unit with reports (its own reports,
    not its subtree), under ``unit`` when given. No permission check: the caller has done it."""
    begin, finish = period_bounds(start, end)
    conditions = bucket_conditions(start=begin, end=finish, as_at=now or timezone.now())
    aggregates = _aggregates(conditions) | {
        "answered_in_period": Count("pk", filter=conditions["answered_in_period"])
    }
    reports = Report.objects.filter(conditions["received"] | conditions["answered_in_period"])
    if unit is not None:
        reports = reports.filter(unit__path__startswith=unit.path)
    # Grouped by unit: a plain aggregate() over the survey subquery and the forward EXISTS would
    # be wrapped in a subquery that loses the outer reference.
    rows = _with_rating(reports).order_by().values("unit_id").annotate(**aggregates)
    return {row.pop("unit_id"): {name: row[name] or 0 for name in aggregates} for row in rows}


def feedback_counts(*, unit: OrgUnit, start: date, end: date, now: datetime | None = None) -> dict[str, int]:
    """The figures of ``unit``'s subtree for the reports received from ``start`` to ``end``
    (dates, inclusive, Vietnam time), as in ``feedback_statistics``, plus ``answered_in_period``:
    answered between those dates whenever received. No permission check: the caller has done it."""
    per_unit = feedback_counts_by_unit(start=start, end=end, now=now, unit=unit)
    names = [*COUNT_FIELDS, "rating_sum", "answered_in_period"]
    return {name: sum(counts[name] for counts in per_unit.values()) for name in names}
