"""The consumer's pages: my information systems, asking for access to a service, my requests, and
the credentials a system authenticates with at the gateway (the secret is shown once, never again).
The operator's list of consumers is here too: the same systems, all of them."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.accounts.permissions import restrict_queryset
from cqs.core.exceptions import ServiceError
from cqs.lgsp.choices import CredentialKind
from cqs.lgsp.forms import ConnectionRequestForm, CredentialForm, RequestFilterForm
from cqs.lgsp.models import AccessGrant, ConnectionRequest, Credential, Subsystem
from cqs.lgsp.services import access
from cqs.lgsp.views import gateway_root, gateway_url, nav_context, published_services
from cqs.lgsp.views_common import form_error, is_registry_operator, may, page_of, require, scoped


def _with_counts(subsystems):
    now = timezone.now()
    return (
        subsystems.select_related("member")
        .annotate(
            grant_count=Count("grants", filter=Q(grants__revoked_at__isnull=True), distinct=True),
            credential_count=Count(
                "credentials",
                filter=Q(credentials__revoked_at__isnull=True)
                & (Q(credentials__expires_at__isnull=True) | Q(credentials__expires_at__gt=now)),
                distinct=True,
            ),
            service_count=Count("services", distinct=True),
        )
        .order_by("member__code", "code")
    )


def _search(rows, q: str):
    if not q:
        return rows
    return rows.filter(
        Q(name__icontains=q)
        | Q(code__icontains=q)
        | Q(member__name__icontains=q)
        | Q(member__code__icontains=q)
    )


@login_required
@require_safe
def subsystem_list(request):
    """Hệ thống của tôi: the systems of my units, as clients of other agencies' services."""
    require(request, "view_subsystem")
    q = (request.GET.get("q") or "").strip()[:200]
    rows = _search(_with_counts(Subsystem.objects.restrict(request.user, "lgsp.view_subsystem")), q)
    page, query = page_of(request, rows)
    return render(
        request,
        "lgsp/subsystems.html",
        {
            "page": page,
            "query": query,
            "q": q,
            "operator": False,
            "active": "subsystems",
            **nav_context(request.user),
        },
    )


@login_required
@require_safe
def consumer_list(request):
    """Bên khai thác: every system of the registry with its grants and credentials (operator)."""
    if not is_registry_operator(request.user):
        raise PermissionDenied
    q = (request.GET.get("q") or "").strip()[:200]
    rows = _search(_with_counts(scoped(Subsystem.objects.all(), request.user, "lgsp.manage_registry")), q)
    with_grants = request.GET.get("with") == "grants"
    if with_grants:
        rows = rows.filter(grant_count__gt=0)
    page, query = page_of(request, rows)
    return render(
        request,
        "lgsp/subsystems.html",
        {
            "page": page,
            "query": query,
            "q": q,
            "operator": True,
            "with_grants": with_grants,
            "active": "consumers",
            **nav_context(request.user),
        },
    )


def _subsystem_or_404(pk: int) -> Subsystem:
    return get_object_or_404(Subsystem.objects.select_related("member__unit"), pk=pk)


def _subsystem_page(request, subsystem: Subsystem, *, credential_form=None, status=200):
    user = request.user
    unit = subsystem.member.unit
    if not may(user, "lgsp.view_subsystem", unit):
        raise PermissionDenied
    now = timezone.now()
    credentials = list(subsystem.credentials.select_related("created_by", "revoked_by"))
    for credential in credentials:
        credential.expired = credential.expires_at is not None and credential.expires_at <= now
    grants = (
        AccessGrant.objects.filter(
            Q(client=subsystem) | Q(group__subsystems=subsystem), revoked_at__isnull=True
        )
        .select_related("service__subsystem__member", "endpoint", "group")
        .distinct()
    )
    return render(
        request,
        "lgsp/subsystem.html",
        {
            "subsystem": subsystem,
            "credentials": credentials,
            "grants": [(grant, gateway_url(grant.service)) for grant in grants],
            "requests": list(subsystem.requests.select_related("service__subsystem__member")[:50]),
            "services": list(subsystem.services.all()),
            "can_issue": subsystem.active and may(user, "lgsp.add_credential", unit),
            "can_revoke": may(user, "lgsp.change_credential", unit),
            "credential_form": credential_form or CredentialForm(),
            "active": "consumers" if is_registry_operator(user) else "subsystems",
            **nav_context(user),
        },
        status=status,
    )


@login_required
@require_safe
def subsystem_detail(request, pk: int):
    return _subsystem_page(request, _subsystem_or_404(pk))


# --- credentials ------------------------------------------------------------------------------


@never_cache
@login_required
@require_POST
def credential_issue(request, pk: int):
    """Issue an API key or an OAuth2 client and show its secret on this one response.

    The secret is in no session, no message and no log: only its SHA-256 is kept. The response is
    marked no-store, so that neither the browser's cache nor a proxy keeps a copy. The form carries
    a one-time token: posting it again (reloading this page, a double click) is refused with a
    message instead of issuing a second credential or showing the first secret twice.
    """
    subsystem = _subsystem_or_404(pk)
    if not may(request.user, "lgsp.add_credential", subsystem.member.unit):
        raise PermissionDenied
    form = CredentialForm(request.POST)
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.combine(expires_on, time.min)) if expires_on is not None else None
        )
        issue = (
            access.api_key_issue
            if form.cleaned_data["kind"] == CredentialKind.API_KEY
            else access.oauth_client_issue
        )
        if expires_at is not None and expires_at <= timezone.now():
            form.add_error("expires_on", _("Ngày hết hạn phải sau hôm nay."))
        else:
            try:
                issued = issue(
                    subsystem=subsystem,
                    label=form.cleaned_data["label"],
                    expires_at=expires_at,
                    client_token=form.cleaned_data["token"],
                    actor=request.user,
                )
            except ServiceError as error:
                form_error(form, error)
            else:
                return render(
                    request,
                    "lgsp/credential_secret.html",
                    {
                        "subsystem": subsystem,
                        "credential": issued.credential,
                        "secret": issued.secret,
                        "gateway_root": gateway_root(),
                        "token_url": request.build_absolute_uri(reverse("lgsp-api-oauth-token")),
                        "active": "subsystems",
                        **nav_context(request.user),
                    },
                )
    return _subsystem_page(request, subsystem, credential_form=form, status=400)


@login_required
@require_POST
def credential_revoke(request, pk: int):
    credential = get_object_or_404(Credential.objects.select_related("subsystem__member__unit"), pk=pk)
    if not may(request.user, "lgsp.change_credential", credential.subsystem.member.unit):
        raise PermissionDenied
    try:
        access.credential_revoke(credential=credential, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            _("Đã thu hồi tài khoản kết nối %(prefix)s…; cổng kết nối từ chối nó sau vài giây.")
            % {"prefix": credential.prefix},
        )
    return redirect("lgsp:subsystem", pk=credential.subsystem_id)


# --- connection requests ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_create(request, pk: int):
    """Đề nghị kết nối, from the catalogue's page of a service."""
    require(request, "add_connectionrequest")
    service = get_object_or_404(published_services(), pk=pk)
    clients = scoped(
        Subsystem.objects.filter(active=True).exclude(pk=service.subsystem_id),
        request.user,
        "lgsp.add_connectionrequest",
    ).select_related("member")
    form = ConnectionRequestForm(request.POST or None, clients=clients, service=service)
    if request.method == "POST" and form.is_valid():
        try:
            created = access.request_submit(
                client=form.cleaned_data["client"],
                service=service,
                purpose=form.cleaned_data["purpose"],
                legal_basis=form.cleaned_data["legal_basis"],
                endpoints=list(form.cleaned_data["endpoints"]),
                rate_per_minute=form.cleaned_data["rate_per_minute"],
                actor=request.user,
            )
        except ServiceError as error:
            form_error(form, error, {"endpoints": "endpoints"})
        else:
            messages.success(
                request,
                _("Đã gửi đề nghị kết nối. Bên cung cấp trả lời chậm nhất ngày %(due)s (2 ngày làm việc).")
                % {"due": created.due_on.strftime("%d/%m/%Y")},
            )
            return redirect("lgsp:request", pk=created.pk)
    return render(
        request,
        "lgsp/request_form.html",
        {
            "form": form,
            "service": service,
            "has_clients": clients.exists(),
            "active": "catalogue",
            **nav_context(request.user),
        },
    )


@login_required
@require_safe
def my_requests(request):
    """Đề nghị của tôi: the requests my units' systems sent, newest first."""
    require(request, "add_connectionrequest", "view_connectionrequest")
    form = RequestFilterForm(request.GET)
    rows = restrict_queryset(
        ConnectionRequest.objects.all(),
        request.user,
        "lgsp.view_connectionrequest",
        unit_field="client__member__unit",
    ).select_related("client__member", "service__subsystem__member")
    if form.is_valid() and form.cleaned_data["status"]:
        rows = rows.filter(status=form.cleaned_data["status"])
    page, query = page_of(request, rows)
    return render(
        request,
        "lgsp/my_requests.html",
        {
            "page": page,
            "query": query,
            "form": form,
            "today": timezone.localdate(),
            "active": "my-requests",
            **nav_context(request.user),
        },
    )


@login_required
@require_POST
def request_withdraw(request, pk: int):
    connection_request = get_object_or_404(
        ConnectionRequest.objects.select_related("client__member__unit"), pk=pk
    )
    if not may(request.user, "lgsp.add_connectionrequest", connection_request.client.member.unit):
        raise PermissionDenied
    try:
        access.request_withdraw(request=connection_request, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Đã rút đề nghị kết nối."))
    return redirect("lgsp:request", pk=pk)
