"""What the IOC can count from the platform's own records: the measures a KPI's numerator and
denominator name (``KpiDefinition.numerator``) and a computed DTI sub-indicator reads.

A measure belongs to a *family*: one call of the family's ``compute(start, end, tree_date)`` (dates
inclusive) asks the module's selector once and returns, for each of its measures, the value of each
unit **of its own records** (not its subtree). ``services.kpis.kpi_refresh`` places every unit in
the tree of ``tree_date`` (a merged unit counts for its successor) and sums up the tree. A *stock*
measure (procedures offered online, agencies) is counted on the window's last day.

The modules are read through their selectors only (``*_counts_by_unit``); a module that is not
installed simply has no family, and a KPI naming its measures shows where the figure will come
from instead of a number. ``drill`` gives the page listing the records behind a unit's figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

Values = dict[str, dict[int, Decimal]]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    module: str  # app label of the module whose records it counts
    family: str
    stock: bool = False
    # (unit id, start, end) → the URL of the records behind the figure, or None.
    drill: Callable[[int, date, date], str | None] | None = None

    @property
    def available(self) -> bool:
        return self.family in FAMILIES and apps.is_installed(f"cqs.{self.module}")

    def drill_url(self, unit_id: int, start: date, end: date) -> str | None:
        if self.drill is None:
            return None
        try:
            return self.drill(unit_id, start, end)
        except NoReverseMatch:
            return None


@dataclass(frozen=True)
class Family:
    key: str
    compute: Callable[[date, date, date], Values]


MEASURES: dict[str, Measure] = {}
FAMILIES: dict[str, Family] = {}


def _decimals(counts: dict[str, dict[int, int]], names: dict[str, str]) -> Values:
    """``{measure key: {unit: Decimal}}`` from a selector's ``{its name: {unit: count}}``."""
    return {
        key: {unit: Decimal(n) for unit, n in counts.get(name, {}).items()} for key, name in names.items()
    }


def _measure(key: str, label, module: str, family: str, **options) -> None:
    MEASURES[key] = Measure(key=key, label=label, module=module, family=family, **options)


# --- one-stop ------------------------------------------------------------------------------------

DOSSIER_BUCKETS = {
    "onestop.received": "received_new",
    "onestop.received_online": "received_online",
    "onestop.resolved": "processed",
    "onestop.resolved_early": "processed_early",
    "onestop.resolved_on_time_only": "processed_on_time",
    "onestop.resolved_late": "processed_late",
    "onestop.overdue": "in_progress_overdue",
    "onestop.fee_dossiers": "fee_dossiers",
    "onestop.paid_online": "paid_online",
}


def _dossiers(start: date, end: date, tree_date: date) -> Values:
    from cqs.onestop.statistics import dossier_counts_by_unit

    counts = dossier_counts_by_unit(
        date_from=start, date_to=end, buckets=tuple(set(DOSSIER_BUCKETS.values()))
    )
    values = _decimals(counts, DOSSIER_BUCKETS)
    # Early and on time: "trả trước và đúng hạn", the plan's own figure.
    on_time = dict(values.pop("onestop.resolved_early"))
    for unit, n in values.pop("onestop.resolved_on_time_only").items():
        on_time[unit] = on_time.get(unit, Decimal(0)) + n
    values["onestop.resolved_on_time"] = on_time
    # Due: processed plus still open past the appointment (the plan's denominator, Part I).
    due = dict(values["onestop.resolved"])
    for unit, n in values["onestop.overdue"].items():
        due[unit] = due.get(unit, Decimal(0)) + n
    values["onestop.due"] = due
    # Local authorities (districts, communes) handling dossiers on the shared one-stop system.
    local = _local_authorities(end)
    values["onestop.local_units_active"] = {
        unit: Decimal(1) for unit in set(counts["received_new"]) | set(counts["processed"]) if unit in local
    }
    return values


def _procedures(start: date, end: date, tree_date: date) -> Values:
    from cqs.onestop.statistics import procedure_counts_by_unit

    counts = procedure_counts_by_unit(on=end)
    return _decimals(counts, {"onestop.procedures": "all", "onestop.procedures_full_online": "full_online"})


def _dossier_drill(bucket: str):
    def url(unit_id: int, start: date, end: date) -> str:
        query = {"from": start.isoformat(), "to": end.isoformat(), "unit": unit_id, "bucket": bucket}
        return f"{reverse('onestop:stats-dossiers')}?{urlencode(query)}"

    return url


ONESTOP = "onestop"
FAMILIES["onestop.dossiers"] = Family("onestop.dossiers", _dossiers)
FAMILIES["onestop.procedures"] = Family("onestop.procedures", _procedures)
for _key, _label, _bucket in (
    ("onestop.received", _("Hồ sơ tiếp nhận mới"), "received_new"),
    ("onestop.received_online", _("Hồ sơ nộp trực tuyến"), "received_online"),
    ("onestop.resolved", _("Hồ sơ đã giải quyết"), "processed"),
    ("onestop.resolved_on_time", _("Hồ sơ giải quyết trước và đúng hạn"), "processed_on_time"),
    ("onestop.resolved_late", _("Hồ sơ giải quyết quá hạn"), "processed_late"),
    ("onestop.fee_dossiers", _("Hồ sơ có phí, lệ phí"), "fee_dossiers"),
    ("onestop.paid_online", _("Hồ sơ thanh toán trực tuyến"), "paid_online"),
):
    _measure(_key, _label, ONESTOP, "onestop.dossiers", drill=_dossier_drill(_bucket))
_measure(
    "onestop.overdue",
    _("Hồ sơ đang giải quyết đã quá hạn (cuối kỳ)"),
    ONESTOP,
    "onestop.dossiers",
    stock=True,
    drill=_dossier_drill("in_progress_overdue"),
)
_measure("onestop.due", _("Hồ sơ đến hạn (đã giải quyết và đang quá hạn)"), ONESTOP, "onestop.dossiers")
_measure(
    "onestop.local_units_active",
    _("UBND cấp huyện, xã có hồ sơ trên hệ thống một cửa"),
    ONESTOP,
    "onestop.dossiers",
)
_measure(
    "onestop.procedures",
    _("Thủ tục hành chính đang áp dụng (theo đơn vị)"),
    ONESTOP,
    "onestop.procedures",
    stock=True,
)
_measure(
    "onestop.procedures_full_online",
    _("Thủ tục cung cấp dịch vụ công trực tuyến toàn trình (theo đơn vị)"),
    ONESTOP,
    "onestop.procedures",
    stock=True,
)


# --- documents -----------------------------------------------------------------------------------


def _documents(start: date, end: date, tree_date: date) -> Values:
    from cqs.documents.selectors import DOCUMENT_COUNTS, document_counts_by_unit

    counts = document_counts_by_unit(date_from=start, date_to=end)
    values = _decimals(counts, {f"documents.{name}": name for name in DOCUMENT_COUNTS})
    agencies = _agencies(end)
    values["documents.in_use"] = {
        unit: n for unit, n in values["documents.in_use"].items() if unit in agencies
    }
    return values


FAMILIES["documents"] = Family("documents", _documents)
_measure("documents.outgoing_issued", _("Văn bản đi đã phát hành"), "documents", "documents")
_measure("documents.outgoing_signed", _("Văn bản đi có chữ ký số"), "documents", "documents")
_measure("documents.incoming_registered", _("Văn bản đến đã vào sổ"), "documents", "documents")
_measure("documents.incoming_electronic", _("Văn bản đến nhận bản điện tử"), "documents", "documents")
_measure("documents.in_use", _("Cơ quan có văn bản trên hệ thống"), "documents", "documents")


# --- reporting -----------------------------------------------------------------------------------


def _reports(start: date, end: date, tree_date: date) -> Values:
    from cqs.reporting.rates import report_counts_by_unit

    counts = report_counts_by_unit(date_from=start, date_to=end, as_of=tree_date)
    values = _decimals(counts, {f"reporting.{name}": name for name in ("expected", "sent", "sent_on_time")})
    sent = values["reporting.sent"]
    values["reporting.missing"] = {
        unit: n - sent.get(unit, Decimal(0))
        for unit, n in values["reporting.expected"].items()
        if n > sent.get(unit, 0)
    }
    return values


FAMILIES["reporting"] = Family("reporting", _reports)
_measure("reporting.expected", _("Báo cáo định kỳ phải gửi (đã đến hạn)"), "reporting", "reporting")
_measure("reporting.sent", _("Báo cáo định kỳ đã gửi qua hệ thống"), "reporting", "reporting")
_measure("reporting.sent_on_time", _("Báo cáo định kỳ gửi đúng hạn"), "reporting", "reporting")
_measure("reporting.missing", _("Báo cáo định kỳ quá hạn chưa gửi"), "reporting", "reporting")


# --- LGSP ----------------------------------------------------------------------------------------


def _lgsp(start: date, end: date, tree_date: date) -> Values:
    from cqs.lgsp.selectors import services_published_by_unit, usage_counts_by_unit

    values = _decimals(
        usage_counts_by_unit(date_from=start, date_to=end), {"lgsp.calls": "calls", "lgsp.errors": "errors"}
    )
    values["lgsp.services"] = {unit: Decimal(n) for unit, n in services_published_by_unit().items()}
    return values


FAMILIES["lgsp"] = Family("lgsp", _lgsp)
_measure("lgsp.calls", _("Lượt khai thác dịch vụ qua LGSP"), "lgsp", "lgsp")
_measure("lgsp.errors", _("Lượt khai thác lỗi (5xx)"), "lgsp", "lgsp")
_measure("lgsp.services", _("Dịch vụ chia sẻ dữ liệu đang cung cấp (hiện tại)"), "lgsp", "lgsp", stock=True)


# --- feedback ------------------------------------------------------------------------------------

FEEDBACK_FIGURES = {
    "feedback.received": "received",
    "feedback.answered": "answered",
    "feedback.answered_on_time": "answered_on_time",
    "feedback.overdue": "overdue_now",
}


def _feedback(start: date, end: date, tree_date: date) -> Values:
    from cqs.feedback.statistics import feedback_counts_by_unit

    per_unit = feedback_counts_by_unit(start=start, end=end)
    return {
        key: {unit: Decimal(counts[name]) for unit, counts in per_unit.items() if counts[name]}
        for key, name in FEEDBACK_FIGURES.items()
    }


def _feedback_drill(bucket: str):
    def url(unit_id: int, start: date, end: date) -> str:
        query = {"from": start.isoformat(), "to": end.isoformat(), "unit": unit_id, "bucket": bucket}
        return f"{reverse('feedback:stats')}?{urlencode(query)}"

    return url


FAMILIES["feedback"] = Family("feedback", _feedback)
for _key, _label in (
    ("feedback.received", _("Phản ánh, kiến nghị tiếp nhận")),
    ("feedback.answered", _("Phản ánh, kiến nghị đã trả lời")),
    ("feedback.answered_on_time", _("Phản ánh, kiến nghị trả lời đúng hạn")),
    ("feedback.overdue", _("Phản ánh, kiến nghị đang quá hạn")),
):
    _measure(_key, _label, "feedback", "feedback", drill=_feedback_drill(FEEDBACK_FIGURES[_key]))


# --- the organisation tree -----------------------------------------------------------------------

AGENCY_KINDS = ("ubnd-tinh", "so", "co-quan-tinh", "huyen", "xa")
LOCAL_KINDS = ("huyen", "xa")


def _units_of_kinds(on: date, kinds: tuple[str, ...]) -> set[int]:
    from cqs.orgs.models import OrgUnit

    return set(OrgUnit.objects.as_of(on).filter(kind__code__in=kinds).values_list("pk", flat=True))


def _agencies(on: date) -> set[int]:
    return _units_of_kinds(on, AGENCY_KINDS)


def _local_authorities(on: date) -> set[int]:
    return _units_of_kinds(on, LOCAL_KINDS)


def _orgs(start: date, end: date, tree_date: date) -> Values:
    return {
        "orgs.agencies": dict.fromkeys(_agencies(end), Decimal(1)),
        "orgs.local_authorities": dict.fromkeys(_local_authorities(end), Decimal(1)),
    }


FAMILIES["orgs"] = Family("orgs", _orgs)
_measure("orgs.agencies", _("Cơ quan nhà nước (sở, ngành, UBND các cấp)"), "orgs", "orgs", stock=True)
_measure("orgs.local_authorities", _("UBND cấp huyện, cấp xã"), "orgs", "orgs", stock=True)


def measure_get(key: str) -> Measure | None:
    return MEASURES.get(key)
