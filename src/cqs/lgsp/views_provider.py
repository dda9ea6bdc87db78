"""The provider's pages: my services (create, edit, endpoints, publish, retire), the connection
requests to answer within two working days, and the access rights granted to my services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.core.exceptions import ServiceError
from cqs.lgsp.choices import RequestStatus, ServiceStatus
from cqs.lgsp.forms import (
    ApproveForm,
    EndpointForm,
    RefuseForm,
    RequestFilterForm,
    RevokeGrantForm,
    ServiceForm,
)
from cqs.lgsp.models import AccessGrant, ConnectionRequest, Service, Subsystem
from cqs.lgsp.services import access, registry
from cqs.lgsp.views import gateway_url, nav_context
from cqs.lgsp.views_common import form_error, holds, may, page_of, require, scoped

# A ServiceError's field (the model's name) → the form field that shows it.
DECISION_FIELDS = {"decision_legal_basis": "legal_basis", "decision_note": "reason"}


def _unit(service: Service):
    return service.subsystem.member.unit


def _service_or_404(pk: int) -> Service:
    return get_object_or_404(Service.objects.select_related("subsystem__member__unit"), pk=pk)


# --- services ---------------------------------------------------------------------------------


@login_required
@require_safe
def service_list(request):
    require(request, "add_service", "change_service")
    rows = (
        scoped(Service.objects.all(), request.user, "lgsp.change_service")
        .select_related("subsystem__member")
        .annotate(
            endpoint_count=Count("endpoints", distinct=True),
            pending_count=Count("requests", filter=Q(requests__status=RequestStatus.PENDING), distinct=True),
        )
        .order_by("subsystem__member__code", "subsystem__code", "code")
    )
    status = request.GET.get("status", "")
    if status in ServiceStatus.values:
        rows = rows.filter(status=status)
    page, query = page_of(request, rows)
    return render(
        request,
        "lgsp/services.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": ServiceStatus.choices,
            "can_add": holds(request.user, "add_service"),
            "active": "services",
            **nav_context(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def service_create(request):
    require(request, "add_service")
    subsystems = scoped(
        Subsystem.objects.filter(active=True), request.user, "lgsp.add_service"
    ).select_related("member")
    form = ServiceForm(request.POST or None, request.FILES or None, subsystems=subsystems)
    if request.method == "POST" and form.is_valid():
        openapi = form.openapi()
        try:
            service = registry.service_create(
                subsystem=form.cleaned_data["subsystem"],
                code=form.cleaned_data["code"],
                openapi=openapi or None,
                actor=request.user,
                **form.service_fields(),
            )
        except ServiceError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Đã tạo dịch vụ %(name)s (đang soạn). Thêm điểm cuối rồi bấm “Cung cấp” để đưa lên cổng.")
                % {"name": service.name},
            )
            return redirect("lgsp:service", pk=service.pk)
    return render(
        request,
        "lgsp/service_form.html",
        {"form": form, "creating": True, "active": "services", **nav_context(request.user)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def service_edit(request, pk: int):
    service = _service_or_404(pk)
    if not may(request.user, "lgsp.change_service", _unit(service)):
        raise PermissionDenied
    initial = {
        name: getattr(service, name) for name in registry.SERVICE_FIELDS if name not in ("openapi", "wsdl")
    }
    form = ServiceForm(request.POST or None, request.FILES or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        openapi = form.openapi()
        if openapi is not None:
            fields["openapi"] = openapi or None
        try:
            registry.service_update(service=service, actor=request.user, **fields)
        except ServiceError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Đã lưu dịch vụ."))
            return redirect("lgsp:service", pk=service.pk)
    return render(
        request,
        "lgsp/service_form.html",
        {
            "form": form,
            "creating": False,
            "service": service,
            "active": "services",
            **nav_context(request.user),
        },
    )


def _service_page(request, service: Service, *, endpoint_form=None, status=200):
    user = request.user
    unit = _unit(service)
    grants = (
        service.grants.filter(revoked_at__isnull=True)
        .select_related("client__member", "group", "endpoint")
        .order_by("-granted_at")
    )
    return render(
        request,
        "lgsp/service.html",
        {
            "service": service,
            "endpoints": list(service.endpoints.all()),
            "endpoint_form": endpoint_form or EndpointForm(),
            "grants": list(grants),
            "pending": list(
                service.requests.filter(status=RequestStatus.PENDING)
                .select_related("client__member")
                .order_by("due_on", "pk")
            ),
            "gateway_url": gateway_url(service),
            "today": timezone.localdate(),
            "can_change": may(user, "lgsp.change_service", unit),
            "can_add_endpoint": may(user, "lgsp.add_endpoint", unit),
            "can_revoke": may(user, "lgsp.change_accessgrant", unit),
            "revoke_form": RevokeGrantForm(),
            "active": "services",
            **nav_context(user),
        },
        status=status,
    )


@login_required
@require_safe
def service_detail(request, pk: int):
    service = _service_or_404(pk)
    if not may(request.user, "lgsp.view_service", _unit(service)):
        raise PermissionDenied
    return _service_page(request, service)


@login_required
@require_POST
def service_status(request, pk: int):
    """Cung cấp (publish), ngừng cung cấp (retire), or back to draft."""
    service = _service_or_404(pk)
    if not may(request.user, "lgsp.change_service", _unit(service)):
        raise PermissionDenied
    status = request.POST.get("status", "")
    try:
        registry.service_set_status(service=service, status=status, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        labels = {
            ServiceStatus.PUBLISHED: _("Dịch vụ đã được cung cấp qua cổng kết nối."),
            ServiceStatus.RETIRED: _("Dịch vụ đã ngừng cung cấp; cổng kết nối không chuyển tiếp nữa."),
            ServiceStatus.DRAFT: _("Dịch vụ đã trở về trạng thái đang soạn."),
        }
        messages.success(request, labels[status])
    return redirect("lgsp:service", pk=service.pk)


@login_required
@require_POST
def endpoint_create(request, pk: int):
    service = _service_or_404(pk)
    if not may(request.user, "lgsp.add_endpoint", _unit(service)):
        raise PermissionDenied
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = registry.endpoint_create(service=service, actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Đã thêm điểm cuối %(endpoint)s.") % {"endpoint": endpoint})
            return redirect("lgsp:service", pk=service.pk)
    return _service_page(request, service, endpoint_form=form, status=400)


# --- connection requests to answer ------------------------------------------------------------


def _deadline_filter(rows, deadline: str, today):
    if deadline == "overdue":
        return rows.filter(status=RequestStatus.PENDING, due_on__lt=today)
    if deadline == "today":
        return rows.filter(status=RequestStatus.PENDING, due_on=today)
    if deadline == "open":
        return rows.filter(status=RequestStatus.PENDING, due_on__gte=today)
    return rows


@login_required
@require_safe
def request_list(request):
    """Đề nghị kết nối tới dịch vụ của tôi (all of them for the registry operator), oldest deadline
    first; the filters pick a status and a deadline (overdue, due today, still open)."""
    require(request, "decide_connectionrequest", "manage_registry")
    today = timezone.localdate()
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = RequestStatus.PENDING
    form = RequestFilterForm(data)
    rows = scoped(
        ConnectionRequest.objects.all(), request.user, "lgsp.decide_connectionrequest"
    ).select_related("client__member", "service__subsystem__member")
    if form.is_valid():
        if form.cleaned_data["status"]:
            rows = rows.filter(status=form.cleaned_data["status"])
        rows = _deadline_filter(rows, form.cleaned_data["deadline"], today)
        q = form.cleaned_data["q"].strip()
        if q:
            rows = rows.filter(
                Q(service__name__icontains=q)
                | Q(service__code__icontains=q)
                | Q(client__name__icontains=q)
                | Q(client__code__icontains=q)
            )
    rows = (
        rows.order_by("due_on", "pk")
        if data["status"] == RequestStatus.PENDING
        else rows.order_by("-submitted_at")
    )
    page, query = page_of(request, rows)
    return render(
        request,
        "lgsp/requests.html",
        {
            "page": page,
            "query": query,
            "form": form,
            "today": today,
            "active": "requests",
            **nav_context(request.user),
        },
    )


def _request_or_404(pk: int) -> ConnectionRequest:
    return get_object_or_404(
        ConnectionRequest.objects.select_related(
            "client__member__unit", "service__subsystem__member__unit", "submitted_by", "decided_by"
        ),
        pk=pk,
    )


def request_page(
    request, connection_request: ConnectionRequest, *, approve_form=None, refuse_form=None, status=200
):
    """One request: what is asked, its deadline, and the answer forms (or the answer)."""
    user = request.user
    provider_unit = connection_request.service.subsystem.member.unit
    client_unit = connection_request.client.member.unit
    can_decide = may(user, "lgsp.decide_connectionrequest", provider_unit)
    can_withdraw = may(user, "lgsp.add_connectionrequest", client_unit)
    if not (
        can_decide
        or can_withdraw
        or may(user, "lgsp.view_connectionrequest", provider_unit)
        or may(user, "lgsp.view_connectionrequest", client_unit)
    ):
        raise PermissionDenied
    pending = connection_request.status == RequestStatus.PENDING
    return render(
        request,
        "lgsp/request.html",
        {
            "req": connection_request,
            "endpoints": list(connection_request.endpoints.all()),
            "grants": list(connection_request.grants.select_related("endpoint")),
            "today": timezone.localdate(),
            "can_decide": can_decide and pending,
            "can_withdraw": can_withdraw and pending,
            "approve_form": approve_form or ApproveForm(auto_id="approve-%s"),
            "refuse_form": refuse_form or RefuseForm(auto_id="refuse-%s"),
            "active": "requests" if can_decide else "my-requests",
            **nav_context(user),
        },
        status=status,
    )


@login_required
@require_safe
def request_detail(request, pk: int):
    return request_page(request, _request_or_404(pk))


def _decider(request, pk: int) -> ConnectionRequest:
    connection_request = _request_or_404(pk)
    if not may(
        request.user, "lgsp.decide_connectionrequest", connection_request.service.subsystem.member.unit
    ):
        raise PermissionDenied
    return connection_request


@login_required
@require_POST
def request_approve(request, pk: int):
    connection_request = _decider(request, pk)
    form = ApproveForm(request.POST, auto_id="approve-%s")
    if form.is_valid():
        try:
            _req, grants = access.request_approve(
                request=connection_request,
                legal_basis=form.cleaned_data["legal_basis"],
                rate_per_minute=form.cleaned_data["rate_per_minute"],
                daily_quota=form.cleaned_data["daily_quota"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ServiceError as error:
            form_error(form, error, {"decision_legal_basis": "legal_basis", "decision_note": "note"})
        else:
            messages.success(
                request,
                _(
                    "Đã chấp thuận đề nghị kết nối: %(n)s quyền truy cập được cấp, "
                    "có hiệu lực trên cổng sau vài giây."
                )
                % {"n": len(grants)},
            )
            return redirect("lgsp:request", pk=pk)
    return request_page(request, connection_request, approve_form=form, status=400)


@login_required
@require_POST
def request_refuse(request, pk: int):
    connection_request = _decider(request, pk)
    form = RefuseForm(request.POST, auto_id="refuse-%s")
    if form.is_valid():
        try:
            access.request_refuse(
                request=connection_request,
                legal_basis=form.cleaned_data["legal_basis"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ServiceError as error:
            form_error(form, error, DECISION_FIELDS)
        else:
            messages.success(request, _("Đã từ chối đề nghị kết nối, có nêu lý do và căn cứ pháp lý."))
            return redirect("lgsp:request", pk=pk)
    return request_page(request, connection_request, refuse_form=form, status=400)


# --- access rights ----------------------------------------------------------------------------


@login_required
@require_safe
def grant_list(request):
    """Quyền truy cập tới dịch vụ của tôi (every grant for the registry operator)."""
    require(request, "view_accessgrant", "manage_registry")
    rows = scoped(AccessGrant.objects.all(), request.user, "lgsp.view_accessgrant").select_related(
        "service__subsystem__member", "client__member", "group", "endpoint"
    )
    state = request.GET.get("state", "active")
    if state == "active":
        rows = rows.filter(revoked_at__isnull=True)
    elif state == "revoked":
        rows = rows.filter(revoked_at__isnull=False)
    q = (request.GET.get("q") or "").strip()[:200]
    if q:
        rows = rows.filter(
            Q(service__name__icontains=q)
            | Q(service__code__icontains=q)
            | Q(client__name__icontains=q)
            | Q(client__code__icontains=q)
            | Q(group__code__icontains=q)
        )
    page, query = page_of(request, rows)
    user = request.user
    for grant in page.object_list:
        grant.can_revoke = grant.revoked_at is None and may(
            user, "lgsp.change_accessgrant", grant.service.subsystem.member.unit
        )
    return render(
        request,
        "lgsp/grants.html",
        {
            "page": page,
            "query": query,
            "state": state,
            "q": q,
            "revoke_form": RevokeGrantForm(),
            "active": "grants",
            **nav_context(user),
        },
    )


@login_required
@require_POST
def grant_revoke(request, pk: int):
    grant = get_object_or_404(AccessGrant.objects.select_related("service__subsystem__member__unit"), pk=pk)
    if not may(request.user, "lgsp.change_accessgrant", grant.service.subsystem.member.unit):
        raise PermissionDenied
    form = RevokeGrantForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        access.grant_revoke(grant=grant, reason=reason, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request, _("Đã thu hồi quyền truy cập; cổng kết nối từ chối các lượt gọi sau vài giây.")
        )
    target = request.POST.get("next", "")
    if target == "service":
        return redirect("lgsp:service", pk=grant.service_id)
    return redirect("lgsp:grants")
