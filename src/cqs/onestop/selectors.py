"""Reads of the procedure catalogue, for pages, the API and (later) dossiers."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cqs.onestop.choices import Level
from cqs.onestop.models import Procedure, ProcedureVersion, Sector
from cqs.orgs.models import OrgUnit

_LEVEL_FIELDS = {Level.PROVINCE: "at_province", Level.DISTRICT: "at_district", Level.COMMUNE: "at_commune"}


def today() -> date:
    return timezone.localdate()


def procedure_unit_code(procedure: Procedure, unit: OrgUnit) -> str:
    """The TTHC code of ``procedure`` at ``unit`` (Decision 20/2020): national code, a dot, then
    the unit's electronic identifier, e.g. ``1.001612.000.00.00.H62``. Empty when the unit has
    no identifier."""
    if not unit.identifier:
        return ""
    return f"{procedure.code}.{unit.identifier}"


def procedure_version_on(procedure: Procedure, on: date) -> ProcedureVersion | None:
    """The version of ``procedure`` in force on ``on`` (the one a dossier filed that day keeps)."""
    return procedure.versions.as_of(on).first()


def procedure_get(code: str) -> Procedure | None:
    return Procedure.objects.select_related("sector").filter(code=code).first()


def sector_list() -> QuerySet[Sector]:
    return Sector.objects.order_by("name")


def procedure_version_list(
    *,
    as_of: date,
    sector: str = "",
    level: str = "",
    unit_id: int | None = None,
    online_level: str = "",
    q: str = "",
) -> QuerySet[ProcedureVersion]:
    """The versions in force on ``as_of``, one per procedure, filtered; ordered by code.

    ``q`` matches the code or the name (of that version). Units are prefetched for the
    unit-specific codes; fees and documents are not (the list does not show them)."""
    versions = ProcedureVersion.objects.as_of(as_of).select_related("procedure__sector")
    if sector:
        versions = versions.filter(procedure__sector__code=sector)
    if level in _LEVEL_FIELDS:
        versions = versions.filter(**{f"procedure__{_LEVEL_FIELDS[level]}": True})
    if unit_id is not None:
        versions = versions.filter(procedure__units__pk=unit_id)
    if online_level:
        versions = versions.filter(online_level=online_level)
    if q:
        versions = versions.filter(Q(name__icontains=q) | Q(procedure__code__icontains=q))
    units = OrgUnit.objects.select_related("kind").order_by("path")
    return versions.prefetch_related(Prefetch("procedure__units", queryset=units)).order_by("procedure__code")


def procedure_version_detail(code: str, *, as_of: date) -> ProcedureVersion | None:
    """The version of procedure ``code`` in force on ``as_of``, with its fees, documents and the
    procedure's units and version history loaded."""
    units = OrgUnit.objects.select_related("kind").order_by("path")
    return (
        ProcedureVersion.objects.as_of(as_of)
        .filter(procedure__code=code)
        .select_related("procedure__sector")
        .prefetch_related(
            "fees",
            "documents",
            Prefetch("procedure__units", queryset=units),
            Prefetch("procedure__versions", queryset=ProcedureVersion.objects.order_by("-valid_from")),
        )
        .first()
    )


def procedure_export_queryset() -> QuerySet[Procedure]:
    """Every procedure with all its versions, fees, documents and units, for export."""
    return (
        Procedure.objects.select_related("sector")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ProcedureVersion.objects.order_by("valid_from").prefetch_related(
                    "fees", "documents"
                ),
            ),
            Prefetch("units", queryset=OrgUnit.objects.order_by("path")),
        )
        .order_by("code")
    )


def unit_codes(version: ProcedureVersion, *, as_of: date) -> list[dict]:
    """The unit-specific codes of the procedure at its units in force on ``as_of``."""
    procedure = version.procedure
    return [
        {"unit_id": unit.pk, "unit_name": unit.name, "code": procedure_unit_code(procedure, unit)}
        for unit in procedure.units.all()
        if unit.is_valid_on(as_of)
    ]


# --- dossiers ----------------------------------------------------------------------------------


def dossiers_visible(user) -> QuerySet:
    """The dossiers ``user`` may read: their own as applicant, and those received by or handled
    at a unit in their ``view_dossier`` grants (a grant covers the subtree)."""
    from cqs.accounts.permissions import units_in_scope
    from cqs.onestop.models import Dossier

    if user is None or not user.is_authenticated or not user.is_active:
        return Dossier.objects.none()
    if user.is_superuser:
        return Dossier.objects.all()
    units = units_in_scope(user, "onestop", "view_dossier").values("pk")
    return Dossier.objects.filter(Q(applicant=user) | Q(unit__in=units) | Q(handling_unit__in=units))


def dossier_list(
    *,
    user,
    status: int | None = None,
    unit_id: int | None = None,
    q: str = "",
    overdue: bool | None = None,
    mine: bool = False,
) -> QuerySet:
    from cqs.onestop.models import Dossier

    dossiers = dossiers_visible(user).exclude(status=0) if not mine else Dossier.objects.of_applicant(user)
    if status is not None:
        dossiers = dossiers.filter(status=status)
    if unit_id:
        dossiers = dossiers.filter(Q(unit_id=unit_id) | Q(handling_unit_id=unit_id))
    if q:
        dossiers = dossiers.filter(Q(code__icontains=q) | Q(applicant_name__icontains=q))
    if overdue is not None:
        dossiers = dossiers.filter(overdue_at__isnull=not overdue)
    return dossiers.select_related("procedure", "version", "unit", "handling_unit", "assignee").order_by(
        "-created_at", "-pk"
    )


def dossier_get(*, user, pk: int):
    return (
        dossiers_visible(user)
        .select_related("procedure", "version", "unit", "handling_unit", "assignee", "applicant")
        .filter(pk=pk)
        .first()
    )


def applicant_may_see_file(dossier, stored) -> bool:
    """What the applicant may download of their dossier: a draft result is the agency's working
    paper, and the signed result is theirs once it has been returned."""
    from cqs.onestop.choices import DossierStatus, FileRole

    if stored.role == FileRole.DRAFT_RESULT:
        return False
    return stored.role != FileRole.RESULT or dossier.status == DossierStatus.RETURNED


def dossier_lookup(*, code: str, secret: str):
    """Public lookup (tra cứu): the dossier with ``code`` if ``secret`` is the last four digits
    of the applicant's phone number or CCCD; None otherwise (the same answer for a wrong code and
    a wrong secret, so that the lookup reveals nothing)."""
    import hmac

    from cqs.onestop.models import Dossier

    code, secret = (code or "").strip()[:40], "".join(ch for ch in (secret or "") if ch.isdigit())
    if not code or len(secret) < 4:
        return None
    # Only what the lookup shows (a hot public path: no long version texts, no extra join).
    found = list(
        Dossier.objects.select_related("procedure", "version", "unit")
        .only(
            "code",
            "status",
            "submitted_at",
            "received_at",
            "due_at",
            "promised_at",
            "returned_at",
            "applicant_phone",
            "applicant_cccd",
            "procedure__code",
            "version__name",
            "unit__name",
        )
        .filter(code=code)
        .exclude(status=0)
        .order_by()[:1]
    )
    if not found:
        return None
    dossier = found[0]
    tails = [value[-len(secret) :] for value in (dossier.applicant_phone, dossier.applicant_cccd) if value]
    if any(len(tail) == len(secret) and hmac.compare_digest(tail, secret) for tail in tails):
        return dossier
    return None
