"""LGSP pages: the public catalogue of data-sharing services and code lists, and the home page.

Views hold no business logic: they read, write through ``services``, and turn a ``ServiceError``
into a message. The provider's, the consumer's and the operator's pages are in ``views_provider``,
``views_consumer`` and ``views_operator``; who may open what is in ``views_common``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cqs.lgsp.choices import DataClassification, RequestStatus, ServiceKind, ServiceStatus
from cqs.lgsp.models import CodeList, ConnectionRequest, Member, Service, Subsystem
from cqs.lgsp.views_common import (
    fold,
    holds,
    holds_any_lgsp,
    is_gateway_operator,
    is_registry_operator,
    may,
    page_of,
    scoped,
)

CATALOGUE_PER_PAGE = 30
CODE_LIST_ITEMS_PER_PAGE = 200


def published_services():
    """What the catalogue lists: published services of active provider systems."""
    return Service.objects.filter(status=ServiceStatus.PUBLISHED, subsystem__active=True).select_related(
        "subsystem__member"
    )


def gateway_root() -> str:
    return settings.CQS_LGSP_GATEWAY_URL.rstrip("/")


def gateway_url(service: Service) -> str:
    """Where a client calls the service: the gateway's X-Road REST path (protocol r1)."""
    return f"{gateway_root()}/r1/{service.xroad_id}"


def nav_context(user) -> dict:
    """Which links of the LGSP menu the user sees (``lgsp/_nav.html``)."""
    if not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "provider": holds(user, "add_service") or holds(user, "change_service"),
            "decide": holds(user, "decide_connectionrequest"),
            "consumer": holds(user, "add_connectionrequest") or holds(user, "add_credential"),
            "grants": holds(user, "view_accessgrant"),
            "registry": is_registry_operator(user),
            "usage": holds(user, "view_usage"),
            "gateway": is_gateway_operator(user),
        }
    }


# --- public catalogue -------------------------------------------------------------------------


@require_safe
def catalogue(request):
    """Danh mục dịch vụ chia sẻ dữ liệu (Decree 47/2020 Art. 24): open to everyone."""
    services = published_services()
    member = request.GET.get("member", "")
    classification = request.GET.get("classification", "")
    kind = request.GET.get("kind", "")
    q = (request.GET.get("q") or "").strip()[:200]
    if member.isdigit():
        services = services.filter(subsystem__member_id=int(member))
    if classification in DataClassification.values:
        services = services.filter(data_classification=classification)
    if kind in ServiceKind.values:
        services = services.filter(kind=kind)
    if q:
        # Accent-insensitive on both engines: the catalogue holds hundreds of services, not millions.
        words = fold(q).split()
        rows = services.values_list("pk", "code", "name", "description")
        found = [
            pk
            for pk, code, name, description in rows
            if all(word in fold(f"{code} {name} {description}") for word in words)
        ]
        services = services.filter(pk__in=found)
    page, query = page_of(request, services, CATALOGUE_PER_PAGE)
    members = Member.objects.filter(
        subsystems__services__status=ServiceStatus.PUBLISHED, subsystems__active=True
    ).distinct()
    return render(
        request,
        "lgsp/catalogue.html",
        {
            "page": page,
            "query": query,
            "q": q,
            "member": member,
            "classification": classification,
            "kind": kind,
            "members": members,
            "classifications": DataClassification.choices,
            "kinds": ServiceKind.choices,
            "active": "catalogue",
            **nav_context(request.user),
        },
    )


@require_safe
def catalogue_service(request, pk: int):
    service = get_object_or_404(published_services(), pk=pk)
    can_request = holds(request.user, "add_connectionrequest")
    return render(
        request,
        "lgsp/catalogue_service.html",
        {
            "service": service,
            "endpoints": list(service.endpoints.all()),
            "gateway_url": gateway_url(service),
            "instance": settings.CQS_LGSP_INSTANCE,
            "can_request": can_request,
            "can_manage": request.user.is_authenticated
            and may(request.user, "lgsp.change_service", service.subsystem.member.unit),
            "code_lists": list(service.code_lists.all()),
            "active": "catalogue",
            **nav_context(request.user),
        },
    )


@require_safe
def catalogue_openapi(request, pk: int):
    """The OpenAPI document of a published service, as JSON (what the getOpenAPI metaservice gives)."""
    service = get_object_or_404(published_services(), pk=pk)
    if service.openapi is None:
        raise Http404
    response = JsonResponse(service.openapi, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'inline; filename="{service.code}-openapi.json"'
    return response


@require_safe
def code_lists(request):
    lists = CodeList.objects.select_related("owner", "service").annotate(item_count=Count("items"))
    return render(
        request,
        "lgsp/code_lists.html",
        {"code_lists": lists, "active": "code-lists", **nav_context(request.user)},
    )


@require_safe
def code_list(request, code: str):
    code_list = get_object_or_404(CodeList.objects.select_related("owner", "service"), code=code)
    items = code_list.items.all()
    q = (request.GET.get("q") or "").strip()[:200]
    if q:
        items = items.filter(Q(code__icontains=q) | Q(name__icontains=q))
    page, query = page_of(request, items, CODE_LIST_ITEMS_PER_PAGE)
    return render(
        request,
        "lgsp/code_list.html",
        {
            "code_list": code_list,
            "page": page,
            "query": query,
            "q": q,
            "active": "code-lists",
            **nav_context(request.user),
        },
    )


# --- home -------------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    """What the person can do here, with what waits for them."""
    user = request.user
    if not holds_any_lgsp(user):
        raise PermissionDenied
    today = timezone.localdate()
    context = {"today": today, "active": "home", **nav_context(user)}
    nav = context["nav"]
    if nav["decide"]:
        pending = scoped(
            ConnectionRequest.objects.filter(status=RequestStatus.PENDING),
            user,
            "lgsp.decide_connectionrequest",
        )
        counts = pending.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        context["pending_total"] = counts["total"]
        context["pending_overdue"] = counts["overdue"]
        context["pending_rows"] = list(
            pending.select_related("client__member", "service__subsystem__member").order_by("due_on", "pk")[
                :10
            ]
        )
    if nav["provider"]:
        context["service_count"] = scoped(Service.objects.all(), user, "lgsp.change_service").count()
    if nav["consumer"]:
        context["subsystem_count"] = scoped(
            Subsystem.objects.filter(active=True), user, "lgsp.add_connectionrequest"
        ).count()
    return render(request, "lgsp/home.html", context)
