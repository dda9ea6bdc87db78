"""Writes to the organisation tree: kinds, unit versions and corrections.

Each service runs in one ``transaction.atomic()`` and writes an audit event per changed row in
the same transaction. A refusal is a ``ServiceError`` with a stable code, raised before the
first write or inside the transaction, so nothing partial remains.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.core.validity import still_in_force_after
from cqs.orgs.choices import IdentifierSource
from cqs.orgs.models import OrgUnit, OrgUnitKind, ReorganisationEvent
from cqs.orgs.validators import IDENTIFIER_RE

_DIVISION_CODE_RE = re.compile(r"^[0-9]{1,10}\Z")
_MAX_LENGTH = {
    name: OrgUnit._meta.get_field(name).max_length
    for name in ("name", "short_name", "identifier", "division_code", "source", "path")
}
_FIELD_LABELS = {
    "name": gettext_lazy("Tên đơn vị"),
    "short_name": gettext_lazy("Tên viết tắt"),
    "division_code": gettext_lazy("Mã đơn vị hành chính"),
    "source": gettext_lazy("Nguồn dữ liệu"),
}


def _d(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _snapshot(unit: OrgUnit) -> dict:
    return {
        "kind": unit.kind.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "identifier": unit.identifier,
        "identifier_source": unit.identifier_source,
        "division_code": unit.division_code,
        "parent": unit.parent_id,
        "path": unit.path,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "source": unit.source,
    }


# --- kinds -------------------------------------------------------------------------------------


def orgunitkind_create(*, code: str, name: str, rank: int = 50, actor=None) -> OrgUnitKind:
    try:
        validate_slug(code)
    except ValidationError:
        raise ServiceError(
            "invalid_kind_code",
            _("Mã loại đơn vị “%(code)s” chỉ được gồm chữ không dấu, chữ số, gạch ngang, gạch dưới.")
            % {"code": code},
            field="code",
        ) from None
    if not name.strip():
        raise ServiceError("name_required", _("Tên loại đơn vị không được để trống."), field="name")
    with transaction.atomic():
        if OrgUnitKind.objects.filter(code=code).exists():
            raise ServiceError(
                "kind_exists", _("Đã có loại đơn vị mã “%(code)s”.") % {"code": code}, field="code"
            )
        kind = OrgUnitKind.objects.create(code=code, name=name.strip(), rank=rank)
        audit_record(
            action="orgs.orgunitkind.create",
            obj=kind,
            after={"code": code, "name": kind.name, "rank": rank},
            actor=actor,
        )
    return kind


def orgunitkind_update(*, kind: OrgUnitKind, name: str, rank: int, actor=None) -> OrgUnitKind:
    """Name and rank only: the code is what data and other modules refer to."""
    if not name.strip():
        raise ServiceError("name_required", _("Tên loại đơn vị không được để trống."), field="name")
    with transaction.atomic():
        kind = OrgUnitKind.objects.select_for_update().get(pk=kind.pk)
        before = {"name": kind.name, "rank": kind.rank}
        after = {"name": name.strip(), "rank": rank}
        if before != after:
            kind.name, kind.rank = after["name"], rank
            kind.save(update_fields=["name", "rank"])
            audit_record(action="orgs.orgunitkind.update", obj=kind, before=before, after=after, actor=actor)
    return kind


def _resolve_kind(kind: OrgUnitKind | str, cache: dict | None = None) -> OrgUnitKind:
    if isinstance(kind, OrgUnitKind) and kind.pk is not None:
        return kind
    code = kind if isinstance(kind, str) else getattr(kind, "code", str(kind))
    if cache is not None and code in cache:
        return cache[code]
    found = OrgUnitKind.objects.filter(code=code).first()
    if found is None:
        raise ServiceError(
            "unknown_kind", _("Không có loại đơn vị “%(kind)s”.") % {"kind": code}, field="kind"
        )
    if cache is not None:
        cache[code] = found
    return found


# --- field checks shared by create, correct and reorganise --------------------------------------


def _check_text(field: str, value: str) -> None:
    if len(value) > _MAX_LENGTH[field]:
        raise ServiceError(
            "too_long",
            _("%(label)s dài quá %(max)d ký tự.")
            % {"label": _FIELD_LABELS[field], "max": _MAX_LENGTH[field]},
            field=field,
        )


def orgunit_check_fields(
    *, name: str, short_name: str, identifier: str, identifier_source: str, division_code: str, source: str
) -> None:
    """The checks that need no query: name present, lengths, code formats."""
    if not name.strip():
        raise ServiceError("name_required", _("Tên đơn vị không được để trống."), field="name")
    for field, value in (("name", name), ("short_name", short_name), ("source", source)):
        _check_text(field, value)
    if identifier and not IDENTIFIER_RE.match(identifier):
        raise ServiceError(
            "invalid_identifier",
            _(
                "Mã định danh điện tử “%(value)s” không đúng định dạng của Quyết định 20/2020/QĐ-TTg "
                "(13 ký tự, ví dụ 000.00.00.H62)."
            )
            % {"value": identifier},
            field="identifier",
        )
    if identifier_source not in IdentifierSource.values:
        raise ServiceError(
            "invalid_identifier_source",
            _("Nguồn mã định danh “%(value)s” không hợp lệ.") % {"value": identifier_source},
            field="identifier_source",
        )
    if division_code and not _DIVISION_CODE_RE.match(division_code):
        raise ServiceError(
            "invalid_division_code",
            _("Mã đơn vị hành chính “%(value)s” phải gồm từ 1 đến 10 chữ số.") % {"value": division_code},
            field="division_code",
        )


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_validity(valid_from, valid_to) -> None:
    if not _is_date(valid_from):
        raise ServiceError("invalid_dates", _("Ngày bắt đầu hiệu lực không hợp lệ."), field="valid_from")
    if valid_to is not None and not _is_date(valid_to):
        raise ServiceError("invalid_dates", _("Ngày hết hiệu lực không hợp lệ."), field="valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise ServiceError(
            "invalid_dates",
            _("Ngày hết hiệu lực (%(end)s) phải sau ngày bắt đầu hiệu lực (%(start)s).")
            % {"end": _d(valid_to), "start": _d(valid_from)},
            field="valid_to",
        )


def _lock_identifier(identifier: str) -> None:
    """Serialise writers of one identifier so two transactions cannot both pass the overlap check.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: writers already run one at a time
    (``transaction_mode = IMMEDIATE`` in settings), so there is nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"cqs.orgs.identifier:{identifier}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def _check_placement(
    *, name: str, parent_id: int | None, identifier: str, valid_from: date, valid_to: date | None, lock: bool
) -> OrgUnit | None:
    """The parent is in force over the whole validity; the identifier is free over it. Returns the
    parent row (locked if ``lock``, so that it cannot be closed before the insert commits)."""
    parent = None
    if parent_id is not None:
        parents = OrgUnit.objects.select_for_update() if lock else OrgUnit.objects
        parent = parents.filter(pk=parent_id).first()
        ends_after = parent is not None and (
            parent.valid_to is None or (valid_to is not None and valid_to <= parent.valid_to)
        )
        if not (ends_after and parent.valid_from <= valid_from):
            raise ServiceError(
                "parent_not_valid",
                _(
                    "Đơn vị cấp trên “%(parent)s” không có hiệu lực trong suốt thời gian hiệu lực "
                    "của đơn vị “%(name)s”."
                )
                % {"parent": parent or parent_id, "name": name},
                field="parent",
            )
    if identifier:
        if lock:
            _lock_identifier(identifier)
        clash = OrgUnit.objects.filter(identifier=identifier).filter(still_in_force_after(valid_from))
        if valid_to is not None:
            clash = clash.filter(valid_from__lt=valid_to)
        other = clash.order_by("valid_from").first()
        if other is not None:
            raise ServiceError(
                "identifier_overlap",
                _(
                    "Mã định danh %(identifier)s đang được dùng cho “%(other)s” (hiệu lực từ %(start)s) "
                    "trong cùng khoảng thời gian."
                )
                % {"identifier": identifier, "other": other.name, "start": _d(other.valid_from)},
                field="identifier",
            )
    return parent


def _insert_unit(
    *,
    kind: OrgUnitKind,
    name: str,
    short_name: str,
    identifier: str,
    identifier_source: str,
    division_code: str,
    parent_id: int | None,
    valid_from: date,
    valid_to: date | None,
    source: str,
    actor,
    event: ReorganisationEvent | None = None,
) -> OrgUnit:
    """Insert one version; the caller holds the transaction and has checked the fields."""
    parent = _check_placement(
        name=name,
        parent_id=parent_id,
        identifier=identifier,
        valid_from=valid_from,
        valid_to=valid_to,
        lock=True,
    )
    unit = OrgUnit(
        kind=kind,
        name=name.strip(),
        short_name=short_name.strip(),
        identifier=identifier,
        identifier_source=identifier_source,
        division_code=division_code,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
    )
    unit.save(force_insert=True)
    # The path holds the row's own id, known only after the insert.
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    if len(unit.path) > _MAX_LENGTH["path"]:
        raise ServiceError(
            "too_deep", _("Cây tổ chức quá sâu, không thể thêm đơn vị “%(name)s”.") % {"name": name}
        )
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
    after = _snapshot(unit)
    if event is not None:
        after["event"] = event.pk
    audit_record(action="orgs.orgunit.create", obj=unit, after=after, actor=actor)
    return unit


# --- units -------------------------------------------------------------------------------------


def orgunit_validate(
    *,
    kind: OrgUnitKind | str,
    name: str,
    short_name: str = "",
    identifier: str = "",
    identifier_source: str = IdentifierSource.OFFICIAL,
    division_code: str = "",
    parent: OrgUnit | None = None,
    valid_from: date,
    valid_to: date | None = None,
    source: str = "",
) -> None:
    """Every check of ``orgunit_create`` without writing, for forms that show errors by field.
    ``orgunit_create`` checks again under lock."""
    orgunit_check_fields(
        name=name,
        short_name=short_name,
        identifier=identifier,
        identifier_source=identifier_source,
        division_code=division_code,
        source=source,
    )
    _check_validity(valid_from, valid_to)
    _resolve_kind(kind)
    _check_placement(
        name=name,
        parent_id=parent.pk if parent is not None else None,
        identifier=identifier,
        valid_from=valid_from,
        valid_to=valid_to,
        lock=False,
    )


def orgunit_create(
    *,
    kind: OrgUnitKind | str,
    name: str,
    short_name: str = "",
    identifier: str = "",
    identifier_source: str = IdentifierSource.OFFICIAL,
    division_code: str = "",
    parent: OrgUnit | None = None,
    valid_from: date,
    valid_to: date | None = None,
    source: str = "",
    actor=None,
) -> OrgUnit:
    """Create one unit version. ``parent`` must be in force over the unit's whole validity, and
    the identifier must not be used by another version over any common day."""
    orgunit_check_fields(
        name=name,
        short_name=short_name,
        identifier=identifier,
        identifier_source=identifier_source,
        division_code=division_code,
        source=source,
    )
    _check_validity(valid_from, valid_to)
    kind = _resolve_kind(kind)
    with transaction.atomic():
        return _insert_unit(
            kind=kind,
            name=name,
            short_name=short_name,
            identifier=identifier,
            identifier_source=identifier_source,
            division_code=division_code,
            parent_id=parent.pk if parent is not None else None,
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            actor=actor,
        )


_CORRECTABLE = ("name", "short_name", "division_code", "identifier_source", "source")


def orgunit_correct(*, unit: OrgUnit, actor=None, **changes) -> OrgUnit:
    """Correct a data-entry error in one version, in place (typo in a name, a missing source).

    Only descriptive fields: a change decided by law (new name, new parent, merge) is a
    reorganisation and goes through ``orgunit_reorganise``, which keeps the old version.
    """
    unknown = set(changes) - set(_CORRECTABLE)
    if unknown:
        raise ServiceError(
            "not_correctable",
            _("Không sửa trực tiếp được trường %(fields)s; hãy dùng chức năng sắp xếp tổ chức.")
            % {"fields": ", ".join(sorted(unknown))},
        )
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        values = {field: getattr(unit, field) for field in _CORRECTABLE} | changes
        orgunit_check_fields(identifier=unit.identifier, **values)
        before = {field: getattr(unit, field) for field in changes if getattr(unit, field) != changes[field]}
        if not before:
            return unit
        for field in before:
            setattr(unit, field, changes[field])
        unit.save(update_fields=list(before))
        audit_record(
            action="orgs.orgunit.correct",
            obj=unit,
            before=before,
            after={field: changes[field] for field in before},
            actor=actor,
        )
    return unit
