"""Document types and the number and symbol of a document (Decree 30/2020/NĐ-CP).

The 29 types of administrative document (Art. 7) and their abbreviations (Appendix III) are data,
in ``data/document_types.json``. The number and symbol follow Appendix I §3:

- ``<number>/<type abbreviation>-<issuer abbreviation>``, e.g. ``15/QĐ-UBND``; numbers below 10
  take a leading zero, no spaces;
- a công văn (and a thư công) has no type abbreviation: ``<number>/<issuer>-<drafting unit>``,
  e.g. ``05/UBND-VP`` (``45/CV-UBND`` is a common mistake);
- legal normative documents also carry the year: ``20/2020/QĐ-TTg``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError

DATA_FILE = Path(__file__).resolve().parent / "data" / "document_types.json"
# An abbreviation of an agency or unit: letters (Vietnamese included) and digits, no separators.
_ABBREVIATION = re.compile(r"^[^\W_]+$")
_SYMBOL = re.compile(r"^(?P<number>\d+)/(?:(?P<year>\d{4})/)?(?P<symbol>[^\s/]+)$")


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: str
    abbreviation: str  # "" for công văn and thư công


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def document_types() -> list[DocumentType]:
    """The 29 types of administrative document, in the order of Decree 30 Art. 7."""
    return [DocumentType(**item) for item in _catalogue()["types"]]


def copy_forms() -> list[DocumentType]:
    """Bản sao y, trích sao, sao lục (Appendix III)."""
    return [DocumentType(**item) for item in _catalogue()["copies"]]


def document_type_get(code: str) -> DocumentType:
    for item in document_types():
        if item.code == code:
            return item
    raise ServiceError(
        "unknown_document_type",
        _("Không có loại văn bản mã “%(code)s”.") % {"code": str(code)[:20]},
        field="type",
    )


def abbreviation_check(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value or not _ABBREVIATION.match(value):
        raise ServiceError(
            "invalid_abbreviation",
            _("Chữ viết tắt “%(value)s” chỉ gồm chữ và số, không có dấu cách hay dấu gạch.")
            % {"value": value[:30]},
            field=field,
        )
    return value


def number_symbol(
    *, number: int, type_code: str, issuer: str, drafter: str = "", year: int | None = None
) -> str:
    """The "Số, ký hiệu" of a document: ``15/QĐ-UBND``, ``05/UBND-VP`` (công văn), or with
    ``year`` (legal normative documents) ``20/2020/QĐ-TTg``."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ServiceError("invalid_number", _("Số văn bản phải là số nguyên dương."), field="number")
    kind = document_type_get(type_code)
    issuer = abbreviation_check(issuer, "issuer")
    if kind.abbreviation:
        symbol = f"{kind.abbreviation}-{issuer}"
    else:
        # A công văn is known by who issues it and which unit drafted it (Appendix I §3).
        symbol = f"{issuer}-{abbreviation_check(drafter, 'drafter')}"
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1945 <= year <= 2999:
            raise ServiceError("invalid_year", _("Năm ban hành không hợp lệ."), field="year")
        return f"{number:02d}/{year}/{symbol}"
    return f"{number:02d}/{symbol}"


@dataclass(frozen=True)
class NumberSymbol:
    number: int
    year: int | None
    type_abbreviation: str  # "" when the symbol names no type (công văn)
    issuer: str
    drafter: str


def number_symbol_parse(text: str) -> NumberSymbol:
    """Read a "Số, ký hiệu" written by anyone (received documents): ``15/QĐ-UBND``,
    ``05/UBND-VP``, ``20/2020/QĐ-TTg``. The first part of the symbol is a type abbreviation when
    it is one of Appendix III's; otherwise the symbol is a công văn's issuer and drafting unit."""
    match = _SYMBOL.match((text or "").strip().removeprefix("Số:").strip())
    parts = match.group("symbol").split("-") if match else []
    if not match or len(parts) < 2 or not all(parts):
        raise ServiceError(
            "invalid_number_symbol",
            _("Số, ký hiệu “%(text)s” không đúng dạng số/ký hiệu (ví dụ 15/QĐ-UBND, 05/UBND-VP).")
            % {"text": str(text)[:40]},
            field="number_symbol",
        )
    abbreviations = {kind.abbreviation for kind in document_types() if kind.abbreviation}
    year = int(match.group("year")) if match.group("year") else None
    if parts[0] in abbreviations:
        return NumberSymbol(int(match.group("number")), year, parts[0], parts[1], "-".join(parts[2:]))
    return NumberSymbol(int(match.group("number")), year, "", parts[0], "-".join(parts[1:]))
