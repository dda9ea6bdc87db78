"""Validation of a plan document (the JSON ``seed.extract`` writes) into typed rows.

Everything is checked before anything is written, so a bad document is refused whole, with the
path of the first bad value in the message ("projects[3].total_budget").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.plans.choices import Comparator, FundingSource, NoteKind, Qualifier, SubjectType
from cqs.plans.seed import DOCUMENT_FORMAT

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Invalid(Exception):
    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem


def _get(obj: dict, key: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise _Invalid(path, _("phải là một đối tượng JSON"))
    if key not in obj:
        raise _Invalid(f"{path}.{key}", _("bị thiếu"))
    return obj[key]


def _text(obj: dict, key: str, path: str, *, max_length: int, required: bool = True) -> str:
    value = obj.get(key, "") if not required else _get(obj, key, path)
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise _Invalid(f"{path}.{key}", _("phải là chuỗi không rỗng, tối đa %(n)d ký tự") % {"n": max_length})
    return value.strip()


def _slug(obj: dict, key: str, path: str, *, max_length: int = 80) -> str:
    value = _get(obj, key, path)
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > max_length:
        raise _Invalid(f"{path}.{key}", _("phải là mã gồm chữ thường không dấu, số và dấu gạch ngang"))
    return value


def _int(obj: dict, key: str, path: str, *, minimum: int = 0) -> int:
    value = _get(obj, key, path)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _Invalid(f"{path}.{key}", _("phải là số nguyên không nhỏ hơn %(n)d") % {"n": minimum})
    return value


def _decimal(obj: dict, key: str, path: str, *, nullable: bool = False) -> Decimal | None:
    value = obj.get(key) if nullable else _get(obj, key, path)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid(f"{path}.{key}", _("phải là một số"))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _Invalid(f"{path}.{key}", _("phải là một số")) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e14"):
        raise _Invalid(f"{path}.{key}", _("phải là một số không âm"))
    return number


def _date(obj: dict, key: str, path: str, *, nullable: bool = False) -> dt.date | None:
    value = obj.get(key) if nullable else _get(obj, key, path)
    if value is None and nullable:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{path}.{key}", _("phải là ngày dạng YYYY-MM-DD")) from None


def _choice(obj: dict, key: str, path: str, choices, *, blank: bool = False) -> str:
    value = obj.get(key, "") if blank else _get(obj, key, path)
    allowed = set(choices.values) | ({""} if blank else set())
    if value not in allowed:
        raise _Invalid(
            f"{path}.{key}", _("phải là một trong %(values)s") % {"values": ", ".join(sorted(allowed))}
        )
    return value


def _list(obj: dict, key: str, path: str) -> list:
    value = _get(obj, key, path)
    if not isinstance(value, list):
        raise _Invalid(f"{path}.{key}", _("phải là một danh sách"))
    return value


def _unique(items: list[dict], key: str, path: str) -> None:
    seen = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            raise _Invalid(f"{path}[{index}].{key}", _("bị trùng: %(value)s") % {"value": item[key]})
        seen.add(item[key])


def _plan(doc: dict) -> dict:
    plan = _get(doc, "plan", "document")
    totals = _get(plan, "stated_totals", "plan")
    year = _int(plan, "year", "plan", minimum=1945)
    return {
        "number": _text(plan, "number", "plan", max_length=50),
        "issued_on": _date(plan, "issued_on", "plan"),
        "issuer": _text(plan, "issuer", "plan", max_length=200),
        "issuer_identifier": _text(plan, "issuer_identifier", "plan", max_length=13, required=False),
        "title": _text(plan, "title", "plan", max_length=500),
        "year": year,
        "source_reference": _text(plan, "source_reference", "plan", max_length=500, required=False),
        "stated_total_budget": _int(totals, "total_budget", "plan.stated_totals"),
        "stated_total_allocation": _int(totals, "allocation", "plan.stated_totals"),
    }


def _target(raw: dict, path: str) -> dict:
    comparator = _choice(raw, "comparator", path, Comparator, blank=True)
    value = _decimal(raw, "value", path, nullable=True)
    value_max = _decimal(raw, "value_max", path, nullable=True)
    if comparator == "" and (value is not None or value_max is not None):
        raise _Invalid(f"{path}.value", _("mục tiêu không có phép so sánh thì không có giá trị"))
    if comparator and value is None:
        raise _Invalid(f"{path}.value", _("mục tiêu có phép so sánh phải có giá trị"))
    if comparator == Comparator.RANGE and (value_max is None or value_max <= value):
        raise _Invalid(
            f"{path}.value_max", _("khoảng giá trị phải có giá trị tối đa lớn hơn giá trị tối thiểu")
        )
    if comparator != Comparator.RANGE and value_max is not None:
        raise _Invalid(f"{path}.value_max", _("chỉ mục tiêu dạng khoảng mới có giá trị tối đa"))
    return {
        "order": _int(raw, "order", path, minimum=1),
        "code": _slug(raw, "code", path),
        "indicator": _text(raw, "indicator", path, max_length=300),
        "text": _text(raw, "text", path, max_length=5000),
        "comparator": comparator,
        "value": value,
        "value_max": value_max,
        "unit": _text(raw, "unit", path, max_length=50, required=False),
    }


def _baseline(raw: dict, path: str, order: int) -> dict:
    parts = _list(raw, "parts", path) if "parts" in raw else []
    if not all(isinstance(code, str) for code in parts):
        raise _Invalid(f"{path}.parts", _("phải là danh sách mã số liệu"))
    return {
        "order": order,
        "code": _slug(raw, "code", path),
        "section": _text(raw, "section", path, max_length=10),
        "label": _text(raw, "label", path, max_length=300),
        "value": _decimal(raw, "value", path),
        "qualifier": _choice(raw, "qualifier", path, Qualifier),
        "unit": _text(raw, "unit", path, max_length=50),
        "as_of": _date(raw, "as_of", path, nullable=True),
        "scope": _text(raw, "scope", path, max_length=200, required=False),
        "quote": _text(raw, "quote", path, max_length=5000),
        "stated_ratio": _decimal(raw, "stated_ratio", path, nullable=True),
        "ratio_numerator": _text(raw, "ratio_numerator", path, max_length=80, required=False),
        "ratio_denominator": _text(raw, "ratio_denominator", path, max_length=80, required=False),
        "parts": parts,
    }


def _project(raw: dict, path: str) -> dict:
    return {
        "number": _int(raw, "number", path, minimum=1),
        "name": _text(raw, "name", path, max_length=500),
        "lead_unit_name": _text(raw, "lead_unit_name", path, max_length=300),
        "lead_unit_carried": bool(raw.get("lead_unit_carried", False)),
        "total_budget": _int(raw, "total_budget", path),
        "allocation": _int(raw, "allocation", path),
        "funding_source": _choice(raw, "funding_source", path, FundingSource),
    }


def _note(raw: dict, path: str) -> dict:
    return {
        "code": _slug(raw, "code", path, max_length=120),
        "kind": _choice(raw, "kind", path, NoteKind),
        "subject_type": _choice(raw, "subject_type", path, SubjectType),
        "subject_code": _text(raw, "subject_code", path, max_length=80),
        "message": _text(raw, "message", path, max_length=5000),
    }


def parse_document(document: Any) -> dict:
    """The document as typed rows; raises ``ServiceError`` (code ``plans.invalid_document``)."""
    try:
        if not isinstance(document, dict):
            raise _Invalid("document", _("phải là một đối tượng JSON"))
        if document.get("format") != DOCUMENT_FORMAT:
            raise _Invalid("document.format", _("phải là %(format)s") % {"format": DOCUMENT_FORMAT})
        source = document.get("source") or {}
        areas, targets, target_codes = [], [], set()
        for i, raw_area in enumerate(_list(document, "target_areas", "document")):
            path = f"target_areas[{i}]"
            area = {
                "number": _int(raw_area, "number", path, minimum=1),
                "title": _text(raw_area, "title", path, max_length=300),
            }
            area_targets = [
                _target(raw, f"{path}.targets[{j}]") | {"area_number": area["number"]}
                for j, raw in enumerate(_list(raw_area, "targets", path))
            ]
            _unique(area_targets, "order", f"{path}.targets")
            for j, target in enumerate(area_targets):
                if target["code"] in target_codes:
                    raise _Invalid(
                        f"{path}.targets[{j}].code", _("bị trùng: %(value)s") % {"value": target["code"]}
                    )
                target_codes.add(target["code"])
            areas.append(area)
            targets.extend(area_targets)
        _unique(areas, "number", "target_areas")
        baselines = [
            _baseline(raw, f"baselines[{i}]", i + 1)
            for i, raw in enumerate(_list(document, "baselines", "document"))
        ]
        _unique(baselines, "code", "baselines")
        codes = {b["code"] for b in baselines}
        for i, baseline in enumerate(baselines):
            for key in ("ratio_numerator", "ratio_denominator"):
                if baseline[key] and baseline[key] not in codes:
                    raise _Invalid(
                        f"baselines[{i}].{key}", _("không có số liệu mã %(code)s") % {"code": baseline[key]}
                    )
            for code in baseline["parts"]:
                if code not in codes:
                    raise _Invalid(
                        f"baselines[{i}].parts", _("không có số liệu mã %(code)s") % {"code": code}
                    )
        systems = [
            {
                "number": _int(raw, "number", f"information_systems[{i}]", minimum=1),
                "name": _text(raw, "name", f"information_systems[{i}]", max_length=500),
                "owner_name": _text(
                    raw, "owner_name", f"information_systems[{i}]", max_length=300, required=False
                ),
            }
            for i, raw in enumerate(_list(document, "information_systems", "document"))
        ]
        _unique(systems, "number", "information_systems")
        projects = [
            _project(raw, f"projects[{i}]") for i, raw in enumerate(_list(document, "projects", "document"))
        ]
        _unique(projects, "number", "projects")
        notes = [_note(raw, f"notes[{i}]") for i, raw in enumerate(document.get("notes") or [])]
        _unique(notes, "code", "notes")
        return {
            "plan": _plan(document) | {"source_sha256": str(source.get("sha256", ""))[:64]},
            "target_areas": areas,
            "targets": targets,
            "baselines": baselines,
            "information_systems": systems,
            "projects": projects,
            "notes": notes,
        }
    except _Invalid as error:
        raise ServiceError(
            "plans.invalid_document",
            _("Tài liệu kế hoạch không hợp lệ: %(path)s %(problem)s.")
            % {"path": error.path, "problem": error.problem},
            field="document",
        ) from None
