"""Registry reads of the LGSP: the catalogue, what a unit provides, what waits for an answer.

Pages, the API and the background tasks read through these functions so that "published",
"visible to this user", "waiting for this user" and "overdue" mean the same everywhere.
Permissions are unit-scoped (``cqs.accounts.permissions``): a grant on a unit covers its subtree.
A member outside the province (``unit`` empty) belongs to no unit, so only the operators who
manage the registry (``lgsp.manage_registry`` on any unit) act for it.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from cqs.accounts.permissions import granted_unit_paths, has_unit_permission, restrict_queryset
from cqs.lgsp.choices import GenerationStatus, RequestStatus, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    CodeList,
    ConnectionRequest,
    Credential,
    GatewayGeneration,
    Member,
    Service,
    Subsystem,
    UsageDaily,
)

SERVICE_RELATED = ("subsystem__member",)
REQUEST_RELATED = ("client__member", "service__subsystem__member", "submitted_by", "decided_by")
GRANT_RELATED = ("service__subsystem__member", "client__member", "group", "endpoint", "granted_by")


# --- permissions -------------------------------------------------------------------------------


def holds_anywhere(user, perm: str) -> bool:
    """Whether ``user`` holds the dotted permission ``perm`` on at least one unit."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    app_label, codename = perm.split(".", 1)
    return bool(granted_unit_paths(user, app_label, codename))


def may_act_for(user, unit, *perms: str, operator: bool = True) -> bool:
    """Whether ``user`` holds one of ``perms`` on ``unit`` (or on a unit above it).

    With ``operator`` the registry operator's ``lgsp.manage_registry`` counts too, and it alone
    counts for a member without a unit (a ministry, another province). Without it (answering a
    connection request is the provider's own decision) only ``perms`` count.
    """
    wanted = ("lgsp.manage_registry", *perms) if operator else perms
    if unit is None:
        return operator and holds_anywhere(user, "lgsp.manage_registry")
    return any(has_unit_permission(user, perm, unit) for perm in wanted)


def scoped(
    queryset: QuerySet, user, perms: tuple[str, ...], unit_field: str, *, operator: bool = True
) -> QuerySet:
    """Rows of ``queryset`` whose unit one of ``perms`` (or ``manage_registry``) covers; with
    ``operator``, the registry operator also gets the rows of members outside the tree."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    condition = Q(pk__in=[])
    for perm in ("lgsp.manage_registry", *perms) if operator else perms:
        condition |= Q(pk__in=restrict_queryset(queryset, user, perm, unit_field=unit_field).values("pk"))
    if operator and holds_anywhere(user, "lgsp.manage_registry"):
        condition |= Q(**{f"{unit_field}__isnull": True})
    return queryset.filter(condition)


# --- catalogue ---------------------------------------------------------------------------------


def members_catalogue() -> QuerySet[Member]:
    return Member.objects.select_related("unit").order_by("instance", "member_class", "code")


def subsystems_catalogue(*, member: int | None = None) -> QuerySet[Subsystem]:
    subsystems = Subsystem.objects.select_related("member").order_by("member__code", "code")
    if member is not None:
        subsystems = subsystems.filter(member_id=member)
    return subsystems


def services_published() -> QuerySet[Service]:
    """What the catalogue shows everyone: published services of active subsystems."""
    return Service.objects.filter(status=ServiceStatus.PUBLISHED, subsystem__active=True)


def services_visible(user) -> QuerySet[Service]:
    """The catalogue, plus the drafts and retired services of the providers ``user`` works for."""
    own = scoped(
        Service.objects.all(),
        user,
        ("lgsp.view_service", "lgsp.change_service"),
        "subsystem__member__unit",
    )
    return Service.objects.filter(Q(pk__in=services_published().values("pk")) | Q(pk__in=own.values("pk")))


def catalogue_search(
    *,
    user=None,
    q: str = "",
    member: int | None = None,
    subsystem: int | None = None,
    classification: str | None = None,
    status: str | None = None,
) -> QuerySet[Service]:
    """Services by words of their name, code or description, member, subsystem, data class."""
    services = services_visible(user) if user is not None else services_published()
    q = q.strip()
    if q:
        for word in q.split()[:10]:
            services = services.filter(
                Q(name__icontains=word)
                | Q(code__icontains=word)
                | Q(description__icontains=word)
                | Q(subsystem__name__icontains=word)
                | Q(subsystem__member__name__icontains=word)
            )
    if member is not None:
        services = services.filter(subsystem__member_id=member)
    if subsystem is not None:
        services = services.filter(subsystem_id=subsystem)
    if classification:
        services = services.filter(data_classification=classification)
    if status:
        services = services.filter(status=status)
    return services.select_related(*SERVICE_RELATED).order_by(
        "subsystem__member__code", "subsystem__code", "code"
    )


def services_of_unit(unit, *, include_subunits: bool = True) -> QuerySet[Service]:
    """Every service (any status) provided by members attached to ``unit`` (and its subtree)."""
    if include_subunits:
        condition = Q(subsystem__member__unit__path__startswith=unit.path)
    else:
        condition = Q(subsystem__member__unit=unit)
    return Service.objects.filter(condition).select_related(*SERVICE_RELATED)


def code_lists() -> QuerySet[CodeList]:
    return CodeList.objects.select_related("owner", "service").order_by("code")


# --- connection requests -----------------------------------------------------------------------


def requests_to_decide(user, *, pending_only: bool = True) -> QuerySet[ConnectionRequest]:
    """Requests for services of the providers ``user`` may answer for."""
    requests = scoped(
        ConnectionRequest.objects.all(),
        user,
        ("lgsp.decide_connectionrequest",),
        "service__subsystem__member__unit",
        operator=False,
    )
    if pending_only:
        requests = requests.filter(status=RequestStatus.PENDING)
    return requests.select_related(*REQUEST_RELATED).order_by("due_on", "submitted_at", "pk")


def requests_of_clients(user) -> QuerySet[ConnectionRequest]:
    """Requests made by the client subsystems of the units ``user`` may request access for."""
    return scoped(
        ConnectionRequest.objects.all(),
        user,
        ("lgsp.add_connectionrequest", "lgsp.view_connectionrequest"),
        "client__member__unit",
    ).select_related(*REQUEST_RELATED)


def requests_visible(user) -> QuerySet[ConnectionRequest]:
    """Requests ``user`` sees from either side: as the client's unit or as the provider's."""
    provider = scoped(
        ConnectionRequest.objects.all(),
        user,
        ("lgsp.decide_connectionrequest", "lgsp.view_connectionrequest"),
        "service__subsystem__member__unit",
    )
    client = requests_of_clients(user)
    return (
        ConnectionRequest.objects.filter(Q(pk__in=provider.values("pk")) | Q(pk__in=client.values("pk")))
        .select_related(*REQUEST_RELATED)
        .prefetch_related("endpoints")
    )


def requests_overdue(
    *, today: date | None = None, unescalated_only: bool = False
) -> QuerySet[ConnectionRequest]:
    """Pending requests whose last day to answer (``due_on``) has passed."""
    today = today or timezone.localdate()
    requests = ConnectionRequest.objects.filter(status=RequestStatus.PENDING, due_on__lt=today)
    if unescalated_only:
        requests = requests.filter(escalated_at__isnull=True)
    return requests.select_related(*REQUEST_RELATED).order_by("due_on", "pk")


# --- grants and credentials --------------------------------------------------------------------


def grants_visible(user, *, active_only: bool = False) -> QuerySet[AccessGrant]:
    """Grants on services of the user's providers, and grants held by the user's clients."""
    provider = scoped(
        AccessGrant.objects.all(),
        user,
        ("lgsp.view_accessgrant", "lgsp.add_accessgrant", "lgsp.change_accessgrant"),
        "service__subsystem__member__unit",
    )
    client = scoped(
        AccessGrant.objects.all(),
        user,
        ("lgsp.view_accessgrant", "lgsp.add_connectionrequest"),
        "client__member__unit",
    )
    grants = AccessGrant.objects.filter(Q(pk__in=provider.values("pk")) | Q(pk__in=client.values("pk")))
    if active_only:
        grants = grants.filter(revoked_at__isnull=True)
    return grants.select_related(*GRANT_RELATED).order_by("-granted_at", "-pk")


def grants_of_subsystem(subsystem: Subsystem, *, active_only: bool = True) -> QuerySet[AccessGrant]:
    """The grants a client subsystem holds, directly or through one of its groups."""
    grants = AccessGrant.objects.filter(Q(client=subsystem) | Q(group__subsystems=subsystem)).distinct()
    if active_only:
        grants = grants.filter(revoked_at__isnull=True)
    return grants.select_related(*GRANT_RELATED).order_by("service__code", "pk")


def credentials_visible(user) -> QuerySet[Credential]:
    return (
        scoped(
            Credential.objects.all(),
            user,
            ("lgsp.view_credential", "lgsp.add_credential", "lgsp.change_credential"),
            "subsystem__member__unit",
        )
        .select_related("subsystem__member", "created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def credential_is_live(credential: Credential, *, now=None) -> bool:
    now = now or timezone.now()
    return credential.revoked_at is None and (credential.expires_at is None or credential.expires_at > now)


# --- gateway -----------------------------------------------------------------------------------


def generation_active() -> GatewayGeneration | None:
    return GatewayGeneration.objects.filter(status=GenerationStatus.ACTIVE).order_by("-number").first()


def generation_last() -> GatewayGeneration | None:
    return GatewayGeneration.objects.order_by("-number").first()


def generation_failures_since(generation: GatewayGeneration | None) -> QuerySet[GatewayGeneration]:
    """Generations that failed or were rolled back after ``generation`` (all of them if None)."""
    failed = GatewayGeneration.objects.filter(
        status__in=[GenerationStatus.FAILED, GenerationStatus.ROLLED_BACK]
    ).order_by("-number")
    if generation is not None:
        failed = failed.filter(number__gt=generation.number)
    return failed


# --- for other modules (the IOC) -------------------------------------------------------------


def usage_counts_by_unit(*, date_from: date, date_to: date) -> dict[str, dict[int, int]]:
    """Calls through the gateway per providing unit (the unit of the service's member), dates
    inclusive: ``calls`` and ``errors`` (answers 5xx, the gateway's or the provider's)."""
    members = {
        f"{instance}/{member_class}/{code}": unit_id
        for instance, member_class, code, unit_id in Member.objects.filter(unit__isnull=False).values_list(
            "instance", "member_class", "code", "unit_id"
        )
    }
    rows = (
        UsageDaily.objects.filter(day__gte=date_from, day__lte=date_to)
        .order_by()
        .values("service")
        .annotate(all_calls=Sum("calls"), error_calls=Sum("calls", filter=Q(status__gte=500)))
    )
    result: dict[str, dict[int, int]] = {"calls": {}, "errors": {}}
    for row in rows:
        unit_id = members.get("/".join(row["service"].split("/")[:3]))
        if unit_id is None:
            continue
        for name, column in (("calls", "all_calls"), ("errors", "error_calls")):
            if row[column]:
                result[name][unit_id] = result[name].get(unit_id, 0) + row[column]
    return result


def services_published_by_unit() -> dict[int, int]:
    """Published services of active subsystems per providing unit, now (no history is kept)."""
    rows = (
        services_published()
        .filter(subsystem__member__unit__isnull=False)
        .order_by()
        .values("subsystem__member__unit_id")
        .annotate(n=Count("pk"))
    )
    return {row["subsystem__member__unit_id"]: row["n"] for row in rows}
