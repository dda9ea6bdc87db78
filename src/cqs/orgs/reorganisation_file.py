"""A reorganisation decision written as a JSON document, read into ``orgunit_reorganise`` arguments.

The format is described in ``docs/operations.md`` ("Áp dụng một quyết định sắp xếp tổ chức") and in
``cqs orgs_reorganise --help``. Reading is strict (unknown or duplicate keys, wrong types, refs to
nothing are refused with a ``ServiceError``) and only reads the database, so a bad document
writes nothing: the service is called only with a document that was read in full.

Existing units are resolved as they stood the day before the effective date, the version the
decision acts on. New units are ``NewUnit`` specs; one declared under ``new_units`` and named by
``{"new_unit": key}`` from several places is one spec, hence one unit (the service matches specs
by identity).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.orgs.operations import Dissolution, Merge, Move, NewUnit, Rename, Split, UnitRef
from cqs.orgs.selectors import orgunit_get, orgunit_get_by_identifier

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_TOP = (
    ("event_name", "legal_basis", "effective_date"),
    ("note", "new_units", "merges", "splits", "moves", "renames", "dissolutions"),
)
_NEW_UNIT = (
    ("kind", "name"),
    ("short_name", "identifier", "identifier_source", "division_code", "parent", "source"),
)
_EXISTING = ("identifier", "id")
_EXISTING_OR_NEW = (*_EXISTING, "new_unit", "new")


def _invalid(message: str) -> ServiceError:
    return ServiceError("invalid_document", message)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of two equal keys: a second "merges" would drop the first silently.
    document: dict = {}
    for key, value in pairs:
        if key in document:
            raise _invalid(_("Khóa “%(key)s” xuất hiện hai lần trong cùng một đối tượng.") % {"key": key})
        document[key] = value
    return document


def document_load(path: str | Path) -> dict:
    """The JSON document in the file at ``path`` (UTF-8). Refusals: ``file_unreadable``,
    ``invalid_json``, ``invalid_document`` (a key repeated in one object)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError(
            "file_unreadable",
            _("Không đọc được tệp “%(path)s” (UTF-8): %(error)s.") % {"path": path, "error": exc},
        ) from exc
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            "invalid_json",
            _("Tệp “%(path)s” không phải JSON hợp lệ: dòng %(line)d, cột %(column)d (%(error)s).")
            % {"path": path, "line": exc.lineno, "column": exc.colno, "error": exc.msg},
        ) from exc


def _object(value, where: str, keys: tuple[tuple[str, ...], tuple[str, ...]]) -> dict:
    required, optional = keys
    if not isinstance(value, dict):
        raise _invalid(_("%(where)s phải là một đối tượng JSON {…}.") % {"where": where})
    for key in value:
        if key not in required and key not in optional:
            raise _invalid(
                _("%(where)s: khóa “%(key)s” không hợp lệ; các khóa được dùng: %(allowed)s.")
                % {"where": where, "key": key, "allowed": ", ".join((*required, *optional))}
            )
    for key in required:
        if key not in value:
            raise _invalid(_("%(where)s: thiếu khóa “%(key)s”.") % {"where": where, "key": key})
    return value


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise _invalid(_("%(where)s phải là một chuỗi.") % {"where": where})
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise _invalid(_("%(where)s phải là một mảng JSON […].") % {"where": where})
    return value


def _date(value) -> date:
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ServiceError(
        "invalid_dates",
        _("effective_date: “%(value)s” không phải một ngày hợp lệ dạng YYYY-MM-DD.") % {"value": value},
        field="effective_date",
    )


class _Reader:
    def __init__(self, document: dict) -> None:
        self.document = _object(document, _("tệp"), _TOP)
        self.on = _date(document["effective_date"])
        self.eve = self.on - timedelta(days=1)
        self.declared = document.get("new_units", {})
        if not isinstance(self.declared, dict):
            raise _invalid(_("new_units phải là một đối tượng JSON {khóa: đơn vị mới}."))
        self.built: dict[str, NewUnit] = {}
        self.building: list[str] = []

    # -- units --

    def unit(self, value, where: str, *, new_allowed: bool = False) -> UnitRef:
        allowed = _EXISTING_OR_NEW if new_allowed else _EXISTING
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in allowed:
            raise _invalid(
                _("%(where)s phải là một đối tượng có đúng một khóa trong số: %(allowed)s.")
                % {"where": where, "allowed": ", ".join(allowed)}
            )
        ((key, inner),) = value.items()
        if key == "identifier":
            return self._by_identifier(inner, where)
        if key == "id":
            return self._by_id(inner, where)
        if key == "new_unit":
            return self._declared(inner, where)
        return self._new(inner, f"{where}.new")

    def optional_unit(self, value, where: str) -> UnitRef | None:
        """A successor or parent: an existing or new unit, or None (JSON null or key absent)."""
        return None if value is None else self.unit(value, where, new_allowed=True)

    def _by_identifier(self, identifier, where: str) -> OrgUnit:
        if not isinstance(identifier, str) or not identifier:
            raise _invalid(_("%(where)s.identifier phải là một mã định danh.") % {"where": where})
        unit = orgunit_get_by_identifier(identifier, as_of=self.eve)
        if unit is None:
            raise ServiceError(
                "unit_not_found",
                _(
                    "%(where)s: không có đơn vị nào mang mã định danh “%(identifier)s” còn hiệu lực "
                    "ngày %(eve)s (ngày trước ngày hiệu lực)."
                )
                % {"where": where, "identifier": identifier, "eve": self.eve.strftime("%d/%m/%Y")},
            )
        return unit

    def _by_id(self, pk, where: str) -> OrgUnit:
        if type(pk) is not int:  # bool is an int too
            raise _invalid(_("%(where)s.id phải là một số nguyên.") % {"where": where})
        unit = orgunit_get(pk)
        if unit is None:
            raise ServiceError(
                "unit_not_found",
                _("%(where)s: không có đơn vị nào có id %(id)d.") % {"where": where, "id": pk},
            )
        return unit

    def _declared(self, key, where: str) -> NewUnit:
        if not isinstance(key, str) or key not in self.declared:
            raise ServiceError(
                "unknown_new_unit",
                _("%(where)s: không có đơn vị mới “%(key)s” trong new_units.") % {"where": where, "key": key},
            )
        if key in self.built:
            return self.built[key]
        if key in self.building:
            raise ServiceError(
                "cycle",
                _("Các đơn vị mới trong new_units tạo thành vòng lặp đơn vị cấp trên: %(keys)s.")
                % {"keys": " → ".join([*self.building[self.building.index(key) :], key])},
            )
        self.building.append(key)
        spec = self._new(self.declared[key], f"new_units.{key}")
        self.building.pop()
        self.built[key] = spec
        return spec

    def _new(self, value, where: str) -> NewUnit:
        fields = _object(value, where, _NEW_UNIT)
        parent = fields.get("parent")
        return NewUnit(
            **{key: _text(text, f"{where}.{key}") for key, text in fields.items() if key != "parent"},
            parent=self.optional_unit(parent, f"{where}.parent"),
        )

    # -- operations --

    def operations(self) -> dict:
        doc = self.document
        merges, splits, moves, renames, dissolutions = [], [], [], [], []
        for i, item in enumerate(_list(doc.get("merges", []), "merges")):
            where = f"merges[{i}]"
            item = _object(item, where, (("predecessors", "successor"), ()))
            predecessors = _list(item["predecessors"], f"{where}.predecessors")
            merges.append(
                Merge(
                    predecessors=[
                        self.unit(ref, f"{where}.predecessors[{j}]") for j, ref in enumerate(predecessors)
                    ],
                    successor=self.unit(item["successor"], f"{where}.successor", new_allowed=True),
                )
            )
        for i, item in enumerate(_list(doc.get("splits", []), "splits")):
            where = f"splits[{i}]"
            item = _object(item, where, (("predecessor", "successors"), ()))
            successors = _list(item["successors"], f"{where}.successors")
            splits.append(
                Split(
                    predecessor=self.unit(item["predecessor"], f"{where}.predecessor"),
                    successors=[
                        self.unit(ref, f"{where}.successors[{j}]", new_allowed=True)
                        for j, ref in enumerate(successors)
                    ],
                )
            )
        for i, item in enumerate(_list(doc.get("moves", []), "moves")):
            where = f"moves[{i}]"
            item = _object(item, where, (("unit", "new_parent"), ()))
            target = item["new_parent"]  # null: the unit becomes a root
            moves.append(
                Move(
                    unit=self.unit(item["unit"], f"{where}.unit"),
                    new_parent=self.optional_unit(target, f"{where}.new_parent"),
                )
            )
        for i, item in enumerate(_list(doc.get("renames", []), "renames")):
            where = f"renames[{i}]"
            item = _object(item, where, (("unit", "new_name"), ("new_short_name",)))
            short_name = item.get("new_short_name")  # absent or null: the short name is kept
            renames.append(
                Rename(
                    unit=self.unit(item["unit"], f"{where}.unit"),
                    new_name=_text(item["new_name"], f"{where}.new_name"),
                    new_short_name=None
                    if short_name is None
                    else _text(short_name, f"{where}.new_short_name"),
                )
            )
        for i, item in enumerate(_list(doc.get("dissolutions", []), "dissolutions")):
            where = f"dissolutions[{i}]"
            item = _object(item, where, (("unit",), ("successor",)))
            successor = item.get("successor")
            dissolutions.append(
                Dissolution(
                    unit=self.unit(item["unit"], f"{where}.unit"),
                    successor=self.optional_unit(successor, f"{where}.successor"),
                )
            )
        # A declared unit no operation names would silently not be created.
        unused = [key for key in self.declared if key not in self.built]
        if unused:
            raise _invalid(
                _("Đơn vị mới khai báo trong new_units nhưng không thao tác nào dùng đến: %(keys)s.")
                % {"keys": ", ".join(unused)}
            )
        return {
            "event_name": _text(doc["event_name"], "event_name"),
            "legal_basis": _text(doc["legal_basis"], "legal_basis"),
            "effective_date": self.on,
            "note": _text(doc.get("note", ""), "note"),
            "merges": merges,
            "splits": splits,
            "moves": moves,
            "renames": renames,
            "dissolutions": dissolutions,
        }


def operations_from_document(document: dict) -> dict:
    """The keyword arguments of ``orgunit_reorganise`` (all but ``actor``) that ``document`` describes.

    Refusals (``ServiceError``): ``invalid_document`` (shape: unknown or missing key, wrong type,
    a ``new_units`` entry nothing uses), ``invalid_dates``, ``unit_not_found`` (no unit with that
    identifier the day before the effective date, or with that id), ``unknown_new_unit``,
    ``cycle`` (new units that are each other's parents). The rules of the decision itself are the
    service's.
    """
    return _Reader(document).operations()
