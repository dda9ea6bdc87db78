"""Pages of the reporting module: my reports and the reviewer's inbox, the regimes.

Views hold no business logic: they read with selectors, write with services, and turn a
``ServiceError`` into a message. One report's page (entry, checks, review, Excel, PDF) is in
``views_report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.accounts.permissions import grant_paths_prime, granted_unit_paths, units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import ReportStatus
from cqs.reporting.forms import LockExceptionForm, OpenReportForm
from cqs.reporting.models import CategoryOptionCombo, Regime, RegimeVersion, Report
from cqs.reporting.periods import PeriodSpec, period_of, period_parse
from cqs.reporting.selectors import assigned_units, regime_rows
from cqs.reporting.services.reports import report_dates, report_is_locked, report_open, report_open_locked

RECENT_PERIODS = 3
INBOX_PER_PAGE = 50
HOME_INBOX_ROWS = 10


def require_reporting(request, codename: str = "view_report") -> None:
    """The reporting pages are for officials holding a reporting role somewhere (or the superuser)."""
    user = request.user
    if user.is_superuser:
        return
    grant_paths_prime(user, "reporting")
    if not granted_unit_paths(user, "reporting", codename):
        raise PermissionDenied


def recent_periods(version: RegimeVersion, today: date, count: int = RECENT_PERIODS) -> list[PeriodSpec]:
    """The latest ``count`` periods whose data window has begun by ``today``, newest first (the
    next label's window may already be open: March's data runs from 15 February)."""
    spec = period_of(version.period_type, today).next()
    found: list[PeriodSpec] = []
    for _step in range(count + 2):
        if spec.window(version.cutoff_day)[0] <= today:
            found.append(spec)
            if len(found) == count:
                break
        spec = spec.previous()
    return found


@dataclass
class PeriodRow:
    """One line of "my reports": a unit's report of a regime for a period, opened or not yet."""

    regime: Regime
    unit: OrgUnit
    spec: PeriodSpec
    report: Report | None
    window_start: date
    window_end: date
    deadline: date
    lock_date: date | None
    locked: bool
    overdue: bool

    @property
    def label(self) -> str:
        return self.spec.label()


def my_units(user, today: date) -> list[OrgUnit]:
    """The units the user reports for: those where a role granting ``submit_report`` is held.
    (The grant covers the subtree too; a district's officer opens a commune's report from the
    commune's row in the reviewer's lists, not from a list of every commune.)"""
    paths = granted_unit_paths(user, "reporting", "submit_report")
    if not paths:
        return []
    return list(OrgUnit.objects.as_of(today).filter(path__in=paths).order_by("path"))


def my_period_rows(user, today: date) -> list[PeriodRow]:
    units = my_units(user, today)
    if not units:
        return []
    versions = list(
        RegimeVersion.objects.as_of(today).select_related("regime").order_by("regime__code", "-valid_from")
    )
    pairs = []
    seen_regimes = set()
    for version in versions:
        if version.regime_id in seen_regimes:
            continue
        seen_regimes.add(version.regime_id)
        assigned = set(
            assigned_units(version, today).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True)
        )
        pairs += [(version, unit) for unit in units if unit.pk in assigned]
    if not pairs:
        return []
    specs = {version.pk: recent_periods(version, today) for version, _unit in pairs}
    isos = {spec.iso for found in specs.values() for spec in found}
    existing = {
        (r.regime_id, r.unit_id, r.period.iso): r
        for r in Report.objects.filter(
            regime__in=[v.regime_id for v, _u in pairs],
            unit__in=[u.pk for u in units],
            period__iso__in=isos,
        ).select_related("period")
    }
    rows = []
    for version, unit in pairs:
        for spec in specs[version.pk]:
            report = existing.get((version.regime_id, unit.pk, spec.iso))
            if report is not None:
                window = report.window_start, report.window_end
                deadline, lock_date = report.deadline, report.lock_date
                locked = report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED) and report_is_locked(
                    report, today
                )
                overdue = report.late or (report.submitted_at is None and today > deadline)
            else:
                dates = report_dates(version, spec)
                window = dates["window_start"], dates["window_end"]
                deadline, lock_date = dates["deadline"], dates["lock_date"]
                locked = lock_date is not None and today >= lock_date
                overdue = today > deadline
            rows.append(
                PeriodRow(
                    regime=version.regime,
                    unit=unit,
                    spec=spec,
                    report=report,
                    window_start=window[0],
                    window_end=window[1],
                    deadline=deadline,
                    lock_date=lock_date,
                    locked=locked,
                    overdue=overdue,
                )
            )
    return rows


def review_queue(user):
    """Submitted reports waiting for a unit the user may approve for, oldest period first."""
    reports = Report.objects.filter(status=ReportStatus.SUBMITTED)
    if not user.is_superuser:
        reports = reports.filter(
            reviewer_unit__in=units_in_scope(user, "reporting", "approve_report").values("pk")
        )
    return reports.select_related("regime", "unit", "period", "reviewer_unit").order_by(
        "period__start", "regime__code", "unit__name", "pk"
    )


def period_label(iso: str) -> str:
    try:
        return period_parse(iso).label()
    except ValueError:
        return iso


def labelled(reports) -> list[Report]:
    """The reports with ``period_label`` ("Tháng 3/2026") set for the lists."""
    reports = list(reports)
    for report in reports:
        report.period_label = period_label(report.period.iso)
    return reports


def may_review(user) -> bool:
    return user.is_superuser or bool(granted_unit_paths(user, "reporting", "approve_report"))


@login_required
@require_safe
def home(request):
    require_reporting(request)
    today = timezone.localdate()
    context = {"rows": my_period_rows(request.user, today), "today": today, "active": "home"}
    if may_review(request.user):
        queue = review_queue(request.user)
        context["review_counts"] = list(
            queue.order_by()
            .values("regime__code", "regime__name", "period__iso")
            .annotate(n=Count("pk"))
            .order_by("period__iso", "regime__code")
        )
        context["review_total"] = sum(row["n"] for row in context["review_counts"])
        context["review_rows"] = labelled(queue[:HOME_INBOX_ROWS])
        context["reviewer"] = True
    return render(request, "reporting/home.html", context)


@login_required
@require_safe
def inbox(request):
    """Chờ duyệt: every submitted report waiting for the user, filtered by regime and period."""
    require_reporting(request, "approve_report")
    queue = review_queue(request.user)
    regime = (request.GET.get("regime") or "").strip()
    period = (request.GET.get("period") or "").strip()
    if regime:
        queue = queue.filter(regime__code=regime)
    if period:
        queue = queue.filter(period__iso=period)
    page = Paginator(queue, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = labelled(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reporting/inbox.html",
        {
            "page": page,
            "regime": regime,
            "period": period,
            "regimes": Regime.objects.order_by("code").only("code", "name"),
            "query": query.urlencode(),
            "reviewer": True,
            "active": "inbox",
        },
    )


@login_required
@require_POST
def open_report(request):
    """ "Nhập báo cáo": the unit's report for the regime and period, created the first time."""
    require_reporting(request, "submit_report")
    form = OpenReportForm(request.POST)
    if not form.is_valid():
        raise Http404
    regime = get_object_or_404(Regime, code=form.cleaned_data["regime"])
    unit = get_object_or_404(OrgUnit, pk=form.cleaned_data["unit"])
    try:
        report = report_open(actor=request.user, regime=regime, unit=unit, period=form.cleaned_data["period"])
    except ServiceError as error:
        messages.error(request, error.detail)
        return redirect("reporting:home")
    return redirect("reporting:report", pk=report.pk)


# --- regimes ---------------------------------------------------------------------------------


def _in_force(versions: list[RegimeVersion], today: date) -> RegimeVersion | None:
    for version in versions:
        if version.valid_from <= today and (version.valid_to is None or today < version.valid_to):
            return version
    return None


@login_required
@require_safe
def regimes(request):
    require_reporting(request, "view_regime")
    today = timezone.localdate()
    versions = RegimeVersion.objects.select_related("receiver").order_by("-valid_from")
    items = []
    for regime in Regime.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by("code"):
        all_versions = list(regime.versions.all())
        items.append(
            {"regime": regime, "version": _in_force(all_versions, today), "count": len(all_versions)}
        )
    return render(
        request,
        "reporting/regimes.html",
        {"items": items, "reviewer": may_review(request.user), "active": "regimes"},
    )


@login_required
@require_safe
def regime_detail(request, code: str):
    require_reporting(request, "view_regime")
    regime = get_object_or_404(Regime, code=code)
    versions = list(regime.versions.select_related("receiver").order_by("-valid_from"))
    if not versions:
        raise Http404
    wanted = request.GET.get("version", "")
    today = timezone.localdate()
    current = _in_force(versions, today)
    chosen = next((v for v in versions if str(v.version) == wanted), None) or current or versions[0]
    rows = regime_rows(chosen)
    options: dict[int, list[CategoryOptionCombo]] = {}
    for option in CategoryOptionCombo.objects.filter(
        combo_id__in={row.indicator.category_combo_id for row in rows}
    ):
        options.setdefault(option.combo_id, []).append(option)
    indicator_rows = [
        {
            "row": row,
            "indicator": row.indicator,
            "options": [o for o in options.get(row.indicator.category_combo_id, []) if o.code != "default"],
        }
        for row in rows
    ]
    periods = []
    if chosen.period_type:
        periods = [
            {"spec": spec, **report_dates(chosen, spec)}
            for spec in recent_periods(chosen, min(today, chosen.valid_to or today), count=1)
        ]
    return render(
        request,
        "reporting/regime_detail.html",
        {
            "regime": regime,
            "version": chosen,
            "current": current,
            "versions": versions,
            "indicator_rows": indicator_rows,
            "assignments": list(chosen.assignments.select_related("kind", "unit", "within")),
            "rules": list(chosen.rules.all()),
            "example_periods": periods,
            "reviewer": may_review(request.user),
            "active": "regimes",
        },
    )


# --- a missing report after its lock date ----------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def unlock_missing(request):
    """The reviewer opens the report a unit never started, after its lock date, with a lock
    exception, so that the unit can still report (``report_open_locked``)."""
    require_reporting(request, "grant_lock_exception")
    source = request.POST if request.method == "POST" else request.GET
    regime = get_object_or_404(Regime, code=source.get("regime", ""))
    unit = get_object_or_404(OrgUnit, pk=source.get("unit") if str(source.get("unit", "")).isdigit() else 0)
    try:
        spec = period_parse(source.get("period", ""))
    except ValueError:
        raise Http404 from None
    existing = Report.objects.filter(regime=regime, unit=unit, period__iso=spec.iso).first()
    if existing is not None:
        return redirect("reporting:report", pk=existing.pk)
    form = LockExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_open_locked(
                actor=request.user,
                regime=regime,
                unit=unit,
                period=spec.iso,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            if error.status == 403:
                raise PermissionDenied(error.detail) from error
            form.add_error(error.field if error.field in form.fields else None, error.detail)
        else:
            messages.success(
                request,
                _("Đã mở khóa: %(unit)s có thể lập báo cáo kỳ %(period)s.")
                % {"unit": unit, "period": spec.label()},
            )
            return redirect("reporting:report", pk=report.pk)
    return render(
        request,
        "reporting/unlock_missing.html",
        {"regime": regime, "unit": unit, "spec": spec, "form": form},
    )
