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
