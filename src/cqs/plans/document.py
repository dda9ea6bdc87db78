"""Validation of a plan document (the JSON ``seed.extract`` writes) into typed rows.

Everything is checked before anything is written, so a bad document is refused whole, with the
path of the first bad value in the message ("projects[3].total_budget"). Limits follow the
columns: a value the database would round or refuse is refused here, so that a second load of
the same document finds nothing to change.
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
SMALL_INT = 32_767  # PositiveSmallIntegerField
AMOUNT_MAX = 10**15  # million VND: far above any budget, inside PositiveBigIntegerField
# What the list a baseline counts may be (``count_of``), checked by ``checks.count_notes``.
COUNTABLE = {"", "information_systems"}


class _Invalid(Exception):
    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem


def _object(obj: Any, path: str) -> dict:
    if not isinstance(obj, dict):
        raise _Invalid(path, _("phải là một đối tượng JSON"))
    return obj


def _get(obj: dict, key: str, path: str) -> Any:
    if key not in _object(obj, path):
        raise _Invalid(f"{path}.{key}", _("bị thiếu"))
    return obj[key]


def _text(obj: dict, key: str, path: str, *, max_length: int, required: bool = True) -> str:
    value = _get(obj, key, path) if required else _object(obj, path).get(key) or ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise _Invalid(f"{path}.{key}", _("phải là chuỗi không rỗng, tối đa %(n)d ký tự") % {"n": max_length})
    return value.strip()


def _slug(obj: dict, key: str, path: str, *, max_length: int = 80) -> str:
    value = _get(obj, key, path)
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > max_length:
        raise _Invalid(f"{path}.{key}", _("phải là mã gồm chữ thường không dấu, số và dấu gạch ngang"))
    return value


def _int(obj: dict, key: str, path: str, *, minimum: int = 0, maximum: int = SMALL_INT) -> int:
    value = _get(obj, key, path)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _Invalid(
            f"{path}.{key}",
            _("phải là số nguyên từ %(min)d đến %(max)d") % {"min": minimum, "max": maximum},
        )
    return value


def _decimal(obj: dict, key: str, path: str, *, below: int, nullable: bool = False) -> Decimal | None:
    """A non-negative number with at most two decimals, below ``below`` (the column's size)."""
    value = _object(obj, path).get(key) if nullable else _get(obj, key, path)
    if value is None and nullable:
        return None
    problem = _("phải là số không âm, tối đa hai chữ số thập phân, nhỏ hơn %(max)s") % {"max": below}
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid(f"{path}.{key}", problem)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _Invalid(f"{path}.{key}", problem) from None
    if not number.is_finite() or number < 0 or number >= below or number != round(number, 2):
        raise _Invalid(f"{path}.{key}", problem)
    return number


def _date(obj: dict, key: str, path: str, *, nullable: bool = False) -> dt.date | None:
    value = _object(obj, path).get(key) if nullable else _get(obj, key, path)
    if value is None and nullable:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{path}.{key}", _("phải là ngày dạng YYYY-MM-DD")) from None


def _choice(obj: dict, key: str, path: str, allowed: set[str], *, blank: bool = False) -> str:
    value = _object(obj, path).get(key, "") if blank else _get(obj, key, path)
    allowed = allowed | ({""} if blank else set())
    if value not in allowed:
        values = ", ".join(sorted(repr(v) for v in allowed))
        raise _Invalid(f"{path}.{key}", _("phải là một trong %(values)s") % {"values": values})
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
    return {
        "number": _text(plan, "number", "plan", max_length=50),
        "issued_on": _date(plan, "issued_on", "plan"),
        "issuer": _text(plan, "issuer", "plan", max_length=200),
        "issuer_identifier": _text(plan, "issuer_identifier", "plan", max_length=13, required=False),
        "title": _text(plan, "title", "plan", max_length=500),
        "year": _int(plan, "year", "plan", minimum=1945, maximum=2100),
        "source_reference": _text(plan, "source_reference", "plan", max_length=500, required=False),
        "stated_total_budget": _int(totals, "total_budget", "plan.stated_totals", maximum=AMOUNT_MAX),
        "stated_total_allocation": _int(totals, "allocation", "plan.stated_totals", maximum=AMOUNT_MAX),
    }


def _target(raw: dict, path: str) -> dict:
    comparator = _choice(raw, "comparator", path, set(Comparator.values), blank=True)
    value = _decimal(raw, "value", path, below=10**12, nullable=True)
    value_max = _decimal(raw, "value_max", path, below=10**12, nullable=True)
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
    parts = _list(raw, "parts", path) if "parts" in _object(raw, path) else []
    if not all(isinstance(code, str) for code in parts):
        raise _Invalid(f"{path}.parts", _("phải là danh sách mã số liệu"))
    _choice(raw, "count_of", path, COUNTABLE, blank=True)
    return {
        "order": order,
        "code": _slug(raw, "code", path),
        "section": _text(raw, "section", path, max_length=10),
        "label": _text(raw, "label", path, max_length=300),
        "value": _decimal(raw, "value", path, below=10**14),
        "qualifier": _choice(raw, "qualifier", path, set(Qualifier.values)),
        "unit": _text(raw, "unit", path, max_length=50),
        "as_of": _date(raw, "as_of", path, nullable=True),
        "scope": _text(raw, "scope", path, max_length=200, required=False),
        "quote": _text(raw, "quote", path, max_length=5000),
        "stated_ratio": _decimal(raw, "stated_ratio", path, below=10**5, nullable=True),
        "ratio_numerator": _text(raw, "ratio_numerator", path, max_length=80, required=False),
        "ratio_denominator": _text(raw, "ratio_denominator", path, max_length=80, required=False),
        "parts": parts,
    }


def _system(raw: dict, path: str) -> dict:
    return {
        "number": _int(raw, "number", path, minimum=1),
        "name": _text(raw, "name", path, max_length=500),
        "owner_name": _text(raw, "owner_name", path, max_length=300, required=False),
    }


def _project(raw: dict, path: str) -> dict:
    return {
        "number": _int(raw, "number", path, minimum=1),
        "name": _text(raw, "name", path, max_length=500),
        "lead_unit_name": _text(raw, "lead_unit_name", path, max_length=300),
        "lead_unit_carried": bool(raw.get("lead_unit_carried", False)),
        "total_budget": _int(raw, "total_budget", path, maximum=AMOUNT_MAX),
        "allocation": _int(raw, "allocation", path, maximum=AMOUNT_MAX),
        "funding_source": _choice(raw, "funding_source", path, set(FundingSource.values)),
    }


def _note(raw: dict, path: str) -> dict:
    return {
        "code": _slug(raw, "code", path, max_length=120),
        "kind": _choice(raw, "kind", path, {NoteKind.REMARK.value}),
        "subject_type": _choice(raw, "subject_type", path, set(SubjectType.values)),
        "subject_code": _text(raw, "subject_code", path, max_length=80),
        "message": _text(raw, "message", path, max_length=5000),
    }


def _targets(document: dict) -> tuple[list[dict], list[dict]]:
    areas, targets, codes = [], [], set()
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
            if target["code"] in codes:
                raise _Invalid(
                    f"{path}.targets[{j}].code", _("bị trùng: %(value)s") % {"value": target["code"]}
                )
            codes.add(target["code"])
        areas.append(area)
        targets.extend(area_targets)
    _unique(areas, "number", "target_areas")
    return areas, targets


def _baselines(document: dict) -> list[dict]:
    raws = _list(document, "baselines", "document")
    baselines = [_baseline(raw, f"baselines[{i}]", i + 1) for i, raw in enumerate(raws)]
    _unique(baselines, "code", "baselines")
    codes = {b["code"] for b in baselines}
    for i, baseline in enumerate(baselines):
        for key in ("ratio_numerator", "ratio_denominator"):
            if baseline[key] and baseline[key] not in codes:
                problem = _("không có số liệu mã %(code)s") % {"code": baseline[key]}
                raise _Invalid(f"baselines[{i}].{key}", problem)
        for code in baseline["parts"]:
            if code not in codes:
                raise _Invalid(f"baselines[{i}].parts", _("không có số liệu mã %(code)s") % {"code": code})
    return baselines


def parse_document(document: Any) -> dict:
    """The document as typed rows; raises ``ServiceError`` (code ``plans.invalid_document``)."""
    try:
        _object(document, "document")
        if document.get("format") != DOCUMENT_FORMAT:
            raise _Invalid("document.format", _("phải là %(format)s") % {"format": DOCUMENT_FORMAT})
        source = _object(document.get("source") or {}, "document.source")
        areas, targets = _targets(document)
        systems = [
            _system(raw, f"information_systems[{i}]")
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
            "baselines": _baselines(document),
            "information_systems": systems,
            "projects": projects,
            "notes": notes,
        }
    except _Invalid as error:
        raise invalid_document(error.path, error.problem) from None


def invalid_document(path: str, problem: str) -> ServiceError:
    return ServiceError(
        "plans.invalid_document",
        _("Tài liệu kế hoạch không hợp lệ: %(path)s %(problem)s.") % {"path": path, "problem": problem},
        field="document",
    )
