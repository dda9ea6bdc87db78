"""The operator's pages: usage statistics (with a chart and a CSV export), call evidence by
X-Road-Id, and the gateway engine's status with a "publish now" button.

Usage and evidence are also open to an agency's connection admin (``lgsp.view_usage``), narrowed
to the calls to its services and the calls made by its systems (``usage.scope_q``); the gateway
operator (``lgsp.operate_gateway``) and the registry operator see every call.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cqs.lgsp import publish, usage
from cqs.lgsp.choices import GenerationStatus
from cqs.lgsp.forms import EvidenceSearchForm, UsageFilterForm
from cqs.lgsp.models import GatewayGeneration, Service, Subsystem
from cqs.lgsp.selectors import generation_active, generation_failures_since
from cqs.lgsp.views import nav_context
from cqs.lgsp.views_common import is_gateway_operator, is_registry_operator, require

logger = logging.getLogger(__name__)

USAGE_DEFAULT_DAYS = 30
USAGE_MAX_DAYS = 366
USAGE_ROWS_SHOWN = 500
EVIDENCE_LIMIT = 100
GENERATIONS_SHOWN = 20


def usage_scope(user):
    """None (every call) for the operators, else the calls to the user's services or by its systems."""
    if is_gateway_operator(user) or is_registry_operator(user):
        return None
    services = Service.objects.restrict(user, "lgsp.view_usage").select_related("subsystem__member")
    clients = Subsystem.objects.restrict(user, "lgsp.view_usage").select_related("member")
    return usage.scope_q(
        services=[service.xroad_id for service in services], clients=[client.xroad_id for client in clients]
    )


def _usage_filters(request):
    """(form, start, end, services, clients) from the query string; the last 30 days by default."""
    today = timezone.localdate()
    start, end = today - timedelta(days=USAGE_DEFAULT_DAYS - 1), today
    form = UsageFilterForm(request.GET or None, initial={"start": start, "end": end})
    services = clients = None
    if form.is_bound and form.is_valid():
        end = form.cleaned_data["end"] or end
        start = form.cleaned_data["start"] or end - timedelta(days=USAGE_DEFAULT_DAYS - 1)
        start = max(start, end - timedelta(days=USAGE_MAX_DAYS - 1))
        if form.cleaned_data["service"].strip():
            services = [form.cleaned_data["service"].strip()]
        if form.cleaned_data["client"].strip():
            clients = [form.cleaned_data["client"].strip()]
    return form, start, end, services, clients


def _day_chart(days, start, end) -> dict:
    by_day = {total.key: total for total in days}
    labels, calls, errors = [], [], []
    day = start
    while day <= end:
        total = by_day.get(day)
        labels.append(day.strftime("%d/%m"))
        calls.append(total.calls if total else 0)
        errors.append(total.errors if total else 0)
        day += timedelta(days=1)
    return {
        "type": "line",
        "title": _("Số lượt gọi qua cổng kết nối theo ngày"),
        "labels": labels,
        "datasets": [
            {"key": "calls", "label": _("Số lượt gọi"), "data": calls},
            {"key": "errors", "label": _("Số lượt lỗi (4xx, 5xx)"), "data": errors},
        ],
        "unitLabel": _("lượt"),
    }


@login_required
@require_safe
def usage_page(request):
    require(request, "view_usage")
    form, start, end, services, clients = _usage_filters(request)
    scope = usage_scope(request.user)
    selection = {"start": start, "end": end, "services": services, "clients": clients, "scope": scope}
    days = usage.usage_totals(group_by="day", **selection)
    rows = usage.usage_rows(**selection)
    query = request.GET.copy()
    return render(
        request,
        "lgsp/usage.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "by_service": usage.usage_totals(group_by="service", **selection),
            "by_client": usage.usage_totals(group_by="client", **selection),
            "rows": rows[:USAGE_ROWS_SHOWN],
            "rows_total": len(rows),
            "rows_shown": USAGE_ROWS_SHOWN,
            "total_calls": sum(day.calls for day in days),
            "total_errors": sum(day.errors for day in days),
            "chart": _day_chart(days, start, end) if days else None,
            "csv_query": query.urlencode(),
            "active": "usage",
            **nav_context(request.user),
        },
    )


@login_required
@require_safe
def usage_export(request):
    require(request, "view_usage")
    _form, start, end, services, clients = _usage_filters(request)
    rows = usage.usage_rows(
        start=start, end=end, services=services, clients=clients, scope=usage_scope(request.user)
    )
    response = HttpResponse(usage.usage_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lgsp-thong-ke-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    return response


@login_required
@require_safe
def evidence(request):
    """Chứng cứ lượt gọi: who called what, when, with what outcome, and the hashes of both
    messages (never the messages: they carry personal data)."""
    require(request, "view_usage")
    form = EvidenceSearchForm(request.GET or None)
    calls = None
    if form.is_bound and form.is_valid() and form.cleaned_data["request_id"].strip():
        calls = usage.evidence_search(
            request_id=form.cleaned_data["request_id"].strip(),
            scope=usage_scope(request.user),
            limit=EVIDENCE_LIMIT,
        )
    return render(
        request,
        "lgsp/evidence.html",
        {"form": form, "calls": calls, "active": "evidence", **nav_context(request.user)},
    )


@login_required
@require_safe
def engine(request):
    """Cổng kết nối: which engine serves, its active generation, and the latest failures."""
    require(request, "operate_gateway")
    active = generation_active()
    return render(
        request,
        "lgsp/engine.html",
        {
            "engine_name": settings.CQS_LGSP_ENGINE,
            "gateway_url": settings.CQS_LGSP_GATEWAY_URL,
            "active_generation": active,
            "generations": list(GatewayGeneration.objects.order_by("-number")[:GENERATIONS_SHOWN]),
            "failures": list(generation_failures_since(active)[:GENERATIONS_SHOWN]),
            "failed_statuses": (GenerationStatus.FAILED, GenerationStatus.ROLLED_BACK),
            "active": "engine",
            **nav_context(request.user),
        },
    )


@login_required
@require_POST
def publish_now(request):
    """Compile the registry and apply it now (the minute task does the same on its own)."""
    require(request, "operate_gateway")
    force = request.POST.get("force") == "1"
    try:
        generation = publish.publish_now(reason=f"manual ({request.user.get_username()})", force=force)
    except Exception:  # the page says so; the details go to the log, not to the browser
        logger.exception("LGSP: manual publication failed")
        messages.error(request, _("Không biên dịch được cấu hình cổng kết nối; xem nhật ký máy chủ."))
        return redirect("lgsp:engine")
    if generation is None:
        messages.info(request, _("Cấu hình không thay đổi so với thế hệ đang chạy; không cần nạp lại."))
    elif generation.status == GenerationStatus.ACTIVE:
        messages.success(
            request,
            _("Đã áp dụng thế hệ cấu hình #%(number)s (nạp lại %(ms)s ms).")
            % {"number": generation.number, "ms": generation.reload_ms},
        )
    else:
        messages.error(
            request,
            _("Thế hệ #%(number)s không được áp dụng (%(status)s): %(error)s")
            % {
                "number": generation.number,
                "status": generation.get_status_display(),
                "error": generation.error,
            },
        )
    return redirect("lgsp:engine")
