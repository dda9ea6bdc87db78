"""X-Road metaservices (PR-MREST): who is on the platform, what a provider offers, what a client may
call, and a service's description. The gateways forward ``/r1/listClients`` and
``/r1/{provider}/{listMethods|allowedMethods|getOpenAPI}`` here (``views_meta``).

Answers use X-Road's JSON field names, so that X-Road clients and tools read them unchanged.
Endpoint paths are LGSP path prefixes (a path covers itself and everything below it); access to
a whole service is shown as X-Road shows its default endpoint, method ``*`` and path ``**``.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from cqs.lgsp.choices import ServiceKind, ServiceStatus
from cqs.lgsp.identifiers import SubsystemId
from cqs.lgsp.models import AccessGrant, Endpoint, Member, Service, Subsystem

WHOLE_SERVICE = {"method": "*", "path": "**"}


def subsystem_get(subsystem_id: SubsystemId, *, active_only: bool = True) -> Subsystem | None:
    queryset = Subsystem.objects.select_related("member").filter(
        member__instance=subsystem_id.instance,
        member__member_class=subsystem_id.member_class,
        member__code=subsystem_id.member,
        code=subsystem_id.subsystem,
    )
    if active_only:
        queryset = queryset.filter(active=True)
    return queryset.first()


def list_clients() -> dict:
    """Every member, and every active subsystem (X-Road ``listClients``)."""
    entries = []
    members = Member.objects.order_by("instance", "member_class", "code").prefetch_related(
        Prefetch("subsystems", queryset=Subsystem.objects.filter(active=True).order_by("code"))
    )
    for member in members:
        member_id = {
            "member_class": member.member_class,
            "member_code": member.code,
            "object_type": "MEMBER",
            "xroad_instance": member.instance,
        }
        entries.append({"id": member_id, "name": member.name})
        for subsystem in member.subsystems.all():
            entries.append(
                {
                    "id": {**member_id, "object_type": "SUBSYSTEM", "subsystem_code": subsystem.code},
                    "name": subsystem.name,
                }
            )
    return {"member": entries}


def service_type(service: Service) -> str:
    if service.kind == ServiceKind.SOAP:
        return "WSDL"
    return "OPENAPI" if service.openapi else "REST"


def _service_entry(provider: Subsystem, service: Service, endpoints: list[dict]) -> dict:
    return {
        "member_class": provider.member.member_class,
        "member_code": provider.member.code,
        "object_type": "SERVICE",
        "service_code": service.code,
        "service_type": service_type(service),
        "service_version": service.version,
        "subsystem_code": provider.code,
        "xroad_instance": provider.member.instance,
        "endpoint_list": endpoints,
    }


def _endpoint(endpoint: Endpoint) -> dict:
    return {"method": endpoint.method, "path": endpoint.path}


def _published(provider: Subsystem):
    return Service.objects.filter(subsystem=provider, status=ServiceStatus.PUBLISHED).order_by("code")


def list_methods(provider: Subsystem) -> dict:
    """The provider's published services and their endpoints (X-Road ``listMethods``)."""
    services = _published(provider).prefetch_related(
        Prefetch("endpoints", queryset=Endpoint.objects.order_by("path", "method"))
    )
    return {
        "service": [
            _service_entry(
                provider, service, [_endpoint(e) for e in service.endpoints.all()] or [WHOLE_SERVICE]
            )
            for service in services
        ]
    }


def allowed_methods(provider: Subsystem, client: Subsystem | None) -> dict:
    """The provider's published services ``client`` may call, directly or through one of its
    groups, by grants not revoked (X-Road ``allowedMethods``). An inactive client may call nothing."""
    if client is None or not client.active:
        return {"service": []}
    grants = (
        AccessGrant.objects.filter(
            revoked_at__isnull=True,
            service__subsystem=provider,
            service__status=ServiceStatus.PUBLISHED,
        )
        .filter(Q(client=client) | Q(group__subsystems=client))
        .select_related("service", "endpoint")
        .distinct()
    )
    allowed: dict[int, tuple[Service, list[dict] | None]] = {}
    for grant in grants:
        service, endpoints = allowed.get(grant.service_id, (grant.service, []))
        if grant.endpoint_id is None or endpoints is None:
            endpoints = None  # a whole-service grant covers every endpoint
        elif (entry := _endpoint(grant.endpoint)) not in endpoints:
            endpoints.append(entry)
        allowed[grant.service_id] = (service, endpoints)
    result = []
    for service, endpoints in sorted(allowed.values(), key=lambda item: item[0].code):
        listed = (
            [WHOLE_SERVICE]
            if endpoints is None
            else sorted(endpoints, key=lambda e: (e["path"], e["method"]))
        )
        result.append(_service_entry(provider, service, listed))
    return {"service": result}


def service_description(provider: Subsystem, service_code: str) -> tuple[str, bytes | dict] | None:
    """``("json", openapi dict)`` or ``("wsdl", text)`` of a published service of the provider
    (X-Road ``getOpenAPI``); None when there is no such service or it has no description."""
    service = _published(provider).filter(code=service_code).first()
    if service is None:
        return None
    if service.kind == ServiceKind.SOAP:
        return ("wsdl", service.wsdl.encode()) if service.wsdl else None
    return ("json", service.openapi) if service.openapi else None
