"""The national portal's ``LayThuTuc`` record (Cơ sở dữ liệu quốc gia về TTHC), read and written.

The reader accepts what the field sends: uppercase keys, a list or a single object wherever a
list is expected, numbers as numbers or as Vietnamese strings ("50.000", "0,5"). It rejects
anything malformed with ``invalid_payload`` and the path of the bad value (``[3].CACHTHUCTHUCHIEN
[0].THOIGIAN[0].PHILEPHI[1].SOTIEN``), before anything is written.

Simplifications, on purpose: the portal gives a processing time per channel; a version keeps
one (the first given) and the union of the fees of every channel. Keys we add, absent from the
portal's record: ``NGAYHIEULUC`` (start of the version), ``MUCDOCU`` (legacy level 2–4),
``LOAIPHILEPHI`` (``phi``/``le-phi``; otherwise read from the description), ``BATBUOC`` (required
paper), ``GHICHU``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.onestop.choices import Channel, FeeKind, Level, OnlineLevel, TimeUnit
from cqs.onestop.models import Procedure, ProcedureVersion


@dataclass
class ImportedProcedure:
    """One record, read: the code, what the version says, where it is implemented."""

    code: str
    data: dict
    valid_from: date | None = None
    unit_identifiers: list[str] = field(default_factory=list)
    path: str = ""


def _error(path: str, message: str) -> ServiceError:
    return ServiceError("invalid_payload", f"{path}: {message}", field=path)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _items(value: Any, path: str) -> list[tuple[str, Any]]:
    """A list (or a single object standing for a one-item list) as (path, item) pairs."""
    if value is None or value == "":
        return []
    if isinstance(value, dict | str | int | float):
        return [(f"{path}[0]", value)]
    if isinstance(value, list):
        return [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    raise _error(path, _("phải là danh sách hoặc đối tượng"))


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise _error(path, _("phải là đối tượng JSON"))
    return value


def _text(value: Any, path: str) -> str:
    """A text field; a list of strings or objects becomes one line each."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise _error(path, _("phải là văn bản"))
    if isinstance(value, int | float):
        return str(value)
    lines = []
    for item_path, item in _items(value, path):
        if isinstance(item, dict):
            parts = [
                str(part).strip()
                for part in item.values()
                if isinstance(part, str | int) and str(part).strip()
            ]
            lines.append(" – ".join(parts))
        else:
            lines.append(_text(item, item_path))
    return "\n".join(line for line in lines if line)


def parse_amount(value: Any, path: str) -> int:
    """VND as an integer: 50000, 50000.0, "50.000", "50,000", "50 000 đồng"."""
    if isinstance(value, bool):
        raise _error(path, _("không phải số tiền"))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _error(path, _("số tiền phải là số nguyên đồng"))
    if isinstance(value, str):
        text = re.sub(r"(?i)\s*(đồng|vnđ|vnd|đ)\s*$", "", value.strip()).replace(" ", "")
        if re.fullmatch(r"-?\d+", text) or re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", text):
            return int(re.sub(r"[.,]", "", text))
    raise _error(path, _("“%(value)s” không phải số tiền") % {"value": str(value)[:40]})


def parse_time(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _error(path, _("thiếu thời hạn giải quyết"))
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _error(path, _("“%(value)s” không phải số") % {"value": str(value)[:40]}) from None


_TIME_UNITS = {
    "ngày làm việc": TimeUnit.WORKING_DAYS,
    "ngay lam viec": TimeUnit.WORKING_DAYS,
    "ngày": TimeUnit.DAYS,
    "ngày (kể cả ngày nghỉ)": TimeUnit.DAYS,
    "giờ": TimeUnit.HOURS,
    "giờ làm việc": TimeUnit.HOURS,
    **{value: value for value in TimeUnit.values},
}
_TIME_UNIT_LABELS = {TimeUnit.WORKING_DAYS: "Ngày làm việc", TimeUnit.DAYS: "Ngày", TimeUnit.HOURS: "Giờ"}


def parse_time_unit(value: Any, path: str) -> str:
    unit = _TIME_UNITS.get(_fold(str(value or "")))
    if unit is None:
        raise ServiceError(
            "invalid_time_unit",
            _("%(path)s: đơn vị thời hạn “%(unit)s” không hợp lệ: chỉ nhận ngày làm việc, ngày hoặc giờ.")
            % {"path": path, "unit": str(value)[:40]},
            field=path,
        )
    return str(unit)


def _int(value: Any, path: str, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _error(path, _("phải là số nguyên"))


def _bool(value: Any, path: str, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    folded = _fold(str(value))
    if folded in {"1", "true", "có", "co"}:
        return True
    if folded in {"0", "false", "không", "khong"}:
        return False
    raise _error(path, _("phải là 1 hoặc 0"))


def _channel(value: Any, path: str) -> int:
    folded = _fold(str(value))
    if folded in {"1", "2", "3"}:
        return int(folded)
    for channel in Channel:
        if folded == _fold(str(channel.label)) or (channel == Channel.POSTAL and "bưu chính" in folded):
            return int(channel)
    raise _error(path, _("kênh “%(value)s” không hợp lệ (1, 2, 3)") % {"value": str(value)[:40]})


def _level(value: Any, path: str) -> str:
    if isinstance(value, dict):
        value = value.get("TENCAPTHUCHIEN") or value.get("MACAPTHUCHIEN") or ""
    folded = _fold(str(value))
    for level, words in (
        (Level.PROVINCE, ("tinh", "tỉnh")),
        (Level.DISTRICT, ("huyen", "huyện")),
        (Level.COMMUNE, ("xa", "xã")),
    ):
        if folded in words or any(folded.endswith(f" {word}") for word in words):
            return str(level)
    raise _error(
        path, _("cấp thực hiện “%(value)s” không hợp lệ (tỉnh, huyện, xã)") % {"value": str(value)[:40]}
    )


_ONLINE = {
    "toan-trinh": OnlineLevel.FULL,
    "toàn trình": OnlineLevel.FULL,
    "mot-phan": OnlineLevel.PARTIAL,
    "một phần": OnlineLevel.PARTIAL,
    "khong": OnlineLevel.NONE,
    "không": OnlineLevel.NONE,
}
# NĐ 43/2011: level 4 adds online payment and remote return to level 3, so it is "toàn trình";
# level 3 leaves steps at the counter ("một phần"); level 2 is information and forms only.
_LEGACY_TO_ONLINE = {4: OnlineLevel.FULL, 3: OnlineLevel.PARTIAL, 2: OnlineLevel.NONE}


def _fee_kind(fee: dict, path: str) -> str:
    raw = fee.get("LOAIPHILEPHI")
    if raw not in (None, ""):
        folded = _fold(str(raw))
        if folded in {"phi", "phí", "1"}:
            return FeeKind.FEE
        if folded in {"le-phi", "lệ phí", "2"}:
            return FeeKind.CHARGE
        raise _error(f"{path}.LOAIPHILEPHI", _("phải là phi hoặc le-phi"))
    # Without a kind, the description says it ("Lệ phí đăng ký…", "Phí chứng thực…").
    description = _fold(str(fee.get("MOTA") or ""))
    if "lệ phí" in description:
        return FeeKind.CHARGE
    if "phí" in description:
        return FeeKind.FEE
    return FeeKind.CHARGE


def _date(value: Any, path: str) -> date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _error(path, _("ngày “%(value)s” không hợp lệ (dd/mm/yyyy)") % {"value": text[:40]})


def parse_record(record: Any, path: str) -> ImportedProcedure:
    record = _object(record, path)
    code = record.get("MATTHC")
    if not isinstance(code, str) or not code.strip():
        raise _error(f"{path}.MATTHC", _("thiếu mã thủ tục"))
    sectors = _items(record.get("LINHVUCTHUCHIEN"), f"{path}.LINHVUCTHUCHIEN")
    if not sectors:
        raise _error(f"{path}.LINHVUCTHUCHIEN", _("thiếu lĩnh vực"))
    sector_path, sector = sectors[0]
    sector = _object(sector, sector_path)

    channels: list[int] = []
    time = unit = None
    fees: list[dict] = []
    for channel_path, channel in _items(record.get("CACHTHUCTHUCHIEN"), f"{path}.CACHTHUCTHUCHIEN"):
        channel = _object(channel, channel_path)
        if channel.get("KENH") not in (None, ""):
            channels.append(_channel(channel["KENH"], f"{channel_path}.KENH"))
        for time_path, entry in _items(channel.get("THOIGIAN"), f"{channel_path}.THOIGIAN"):
            entry = _object(entry, time_path)
            if time is None:
                time = parse_time(entry.get("THOIGIANGIAIQUYET"), f"{time_path}.THOIGIANGIAIQUYET")
                unit = parse_time_unit(entry.get("DONVITINH"), f"{time_path}.DONVITINH")
            for fee_path, fee in _items(entry.get("PHILEPHI"), f"{time_path}.PHILEPHI"):
                fee = _object(fee, fee_path)
                row = {
                    "kind": _fee_kind(fee, fee_path),
                    "code": _text(fee.get("MAPHILEPHI"), f"{fee_path}.MAPHILEPHI"),
                    "amount": parse_amount(fee.get("SOTIEN"), f"{fee_path}.SOTIEN"),
                    "description": _text(fee.get("MOTA"), f"{fee_path}.MOTA"),
                }
                if row not in fees:
                    fees.append(row)
    if time is None:
        raise _error(f"{path}.CACHTHUCTHUCHIEN", _("thiếu thời hạn giải quyết (THOIGIAN)"))

    documents = []
    for group_path, group in _items(record.get("THANHPHANHOSO"), f"{path}.THANHPHANHOSO"):
        group = _object(group, group_path)
        for doc_path, doc in _items(group.get("GIAYTO"), f"{group_path}.GIAYTO"):
            doc = _object(doc, doc_path)
            documents.append(
                {
                    "code": _text(doc.get("MAGIAYTO"), f"{doc_path}.MAGIAYTO"),
                    "name": _text(doc.get("TENGIAYTO"), f"{doc_path}.TENGIAYTO"),
                    "form_name": _text(doc.get("TENMAUDON"), f"{doc_path}.TENMAUDON"),
                    "form_url": _text(doc.get("URL"), f"{doc_path}.URL"),
                    "original_count": _int(doc.get("SOBANCHINH"), f"{doc_path}.SOBANCHINH"),
                    "copy_count": _int(doc.get("SOBANSAO"), f"{doc_path}.SOBANSAO"),
                    "required": _bool(doc.get("BATBUOC"), f"{doc_path}.BATBUOC"),
                }
            )

    legacy = None
    online = None
    for key in ("MUCDO", "MUCDOCU"):
        raw = record.get(key)
        if raw in (None, ""):
            continue
        folded = _fold(str(raw))
        if folded in {"2", "3", "4"}:
            legacy = int(folded)
        elif key == "MUCDO" and folded in _ONLINE:
            online = str(_ONLINE[folded])
        else:
            raise _error(f"{path}.{key}", _("mức độ “%(value)s” không hợp lệ") % {"value": str(raw)[:40]})
    if online is None:
        online = str(_LEGACY_TO_ONLINE.get(legacy, OnlineLevel.NONE))

    identifiers = []
    agency_lines = []
    for agency_path, agency in _items(record.get("COQUANTHUCHIEN"), f"{path}.COQUANTHUCHIEN"):
        if isinstance(agency, dict) and agency.get("MADONVI"):
            identifiers.append(_text(agency["MADONVI"], f"{agency_path}.MADONVI"))
        else:
            agency_lines.append(_text(agency, agency_path))

    data = {
        "name": _text(record.get("TENTTHC"), f"{path}.TENTTHC"),
        "sector_code": _text(sector.get("MALINHVUC"), f"{sector_path}.MALINHVUC"),
        "sector_name": _text(sector.get("TENLINHVUC"), f"{sector_path}.TENLINHVUC"),
        "levels": [
            _level(level, level_path)
            for level_path, level in _items(record.get("CAPTHUCHIEN"), f"{path}.CAPTHUCHIEN")
        ],
        "online_level": online,
        "legacy_level": legacy,
        "channels": channels,
        "processing_time": time,
        "processing_time_unit": unit,
        "steps": _text(record.get("TRINHTUTHUCHIEN"), f"{path}.TRINHTUTHUCHIEN"),
        "requirements": _text(record.get("YEUCAU"), f"{path}.YEUCAU"),
        "legal_basis": _text(record.get("CANCUPHAPLY"), f"{path}.CANCUPHAPLY"),
        "result": _text(record.get("KETQUATHUCHIEN"), f"{path}.KETQUATHUCHIEN"),
        "target_audience": _text(record.get("MOTADOITUONGTHUCHIEN"), f"{path}.MOTADOITUONGTHUCHIEN"),
        "implementing_agency": "\n".join(line for line in agency_lines if line),
        "publishing_decision": _text(record.get("QUYETDINHCONGBO"), f"{path}.QUYETDINHCONGBO"),
        "note": _text(record.get("GHICHU"), f"{path}.GHICHU"),
        "fees": fees,
        "documents": documents,
    }
    return ImportedProcedure(
        code=code.strip(),
        data=data,
        valid_from=_date(record.get("NGAYHIEULUC"), f"{path}.NGAYHIEULUC"),
        unit_identifiers=identifiers,
        path=path,
    )


def parse_payload(payload: Any) -> list[ImportedProcedure]:
    """A list of records, ``{"data": [...]}`` (the portal's envelope) or a single record."""
    if isinstance(payload, dict) and "MATTHC" not in payload:
        for key in ("data", "DATA", "result"):
            if key in payload:
                payload = payload[key]
                break
        else:
            raise _error("$", _("không thấy danh sách thủ tục (data) hoặc một thủ tục (MATTHC)"))
    records = (
        [(f"[{index}]", record) for index, record in enumerate(payload)]
        if isinstance(payload, list)
        else [("[0]", payload)]
    )
    parsed = [parse_record(record, path) for path, record in records]
    seen: dict[str, str] = {}
    for item in parsed:
        if item.code in seen:
            raise _error(
                f"{item.path}.MATTHC",
                _("mã %(code)s trùng với %(other)s") % {"code": item.code, "other": seen[item.code]},
            )
        seen[item.code] = item.path
    return parsed


_LEVEL_LABELS = {Level.PROVINCE: "Cấp Tỉnh", Level.DISTRICT: "Cấp Huyện", Level.COMMUNE: "Cấp Xã"}


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())


def export_record(procedure: Procedure, version: ProcedureVersion) -> dict:
    """One procedure in the ``LayThuTuc`` shape; ``parse_record`` reads it back unchanged."""
    fees = [
        {
            "MAPHILEPHI": fee.code,
            "LOAIPHILEPHI": fee.kind,
            "SOTIEN": fee.amount,
            "MOTA": fee.description,
        }
        for fee in version.fees.all()
    ]
    time = {
        "THOIGIANGIAIQUYET": _number(version.processing_time),
        "DONVITINH": _TIME_UNIT_LABELS[version.processing_time_unit],
        "PHILEPHI": fees,
    }
    channels = [{"KENH": str(channel), "THOIGIAN": [time]} for channel in version.channels] or [
        {"KENH": "", "THOIGIAN": [time]}
    ]
    agencies: list[Any] = [version.implementing_agency] if version.implementing_agency else []
    agencies += [
        {"MADONVI": unit.identifier, "TENDONVI": unit.name}
        for unit in procedure.units.all()
        if unit.identifier
    ]
    record = {
        "MATTHC": procedure.code,
        "TENTTHC": version.name,
        "LINHVUCTHUCHIEN": [{"MALINHVUC": procedure.sector.code, "TENLINHVUC": procedure.sector.name}],
        "CAPTHUCHIEN": [_LEVEL_LABELS[Level(level)] for level in procedure.levels],
        "MUCDO": version.online_level,
        "MUCDOCU": str(version.legacy_level) if version.legacy_level else "",
        "TRINHTUTHUCHIEN": version.steps,
        "CACHTHUCTHUCHIEN": channels,
        "THANHPHANHOSO": [
            {
                "GIAYTO": [
                    {
                        "MAGIAYTO": doc.code,
                        "TENGIAYTO": doc.name,
                        "TENMAUDON": doc.form_name,
                        "URL": doc.form_url,
                        "SOBANCHINH": doc.original_count,
                        "SOBANSAO": doc.copy_count,
                        "BATBUOC": 1 if doc.required else 0,
                    }
                    for doc in version.documents.all()
                ]
            }
        ],
        "YEUCAU": version.requirements,
        "MOTADOITUONGTHUCHIEN": version.target_audience,
        "KETQUATHUCHIEN": version.result,
        "CANCUPHAPLY": version.legal_basis,
        "COQUANTHUCHIEN": agencies,
        "QUYETDINHCONGBO": version.publishing_decision,
        "GHICHU": version.note,
        "NGAYHIEULUC": version.valid_from.strftime("%d/%m/%Y"),
    }
    return record
