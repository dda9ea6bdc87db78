"""Writes of the procedure catalogue: publishing a version of a procedure.

History is appended: a new version closes the previous one (``valid_to``) and never edits its
content, so a dossier filed under an old version still reads what the citizen was asked then.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.onestop.choices import Channel, FeeKind, Level, OnlineLevel, TimeUnit
from cqs.onestop.dynforms import form_fields_clean
from cqs.onestop.models import (
    PROCEDURE_CODE_PATTERN,
    Procedure,
    ProcedureDocument,
    ProcedureFee,
    ProcedureVersion,
    Sector,
)

# The text fields of a version, in the order of the national portal's record.
TEXT_FIELDS = (
    "steps",
    "requirements",
    "legal_basis",
    "result",
    "target_audience",
    "implementing_agency",
    "publishing_decision",
    "note",
)
DOCUMENT_FIELDS = ("code", "name", "form_name", "form_url", "original_count", "copy_count", "required")
FEE_FIELDS = ("kind", "code", "amount", "description")
_MAX_TIME = Decimal("99999.99")


def _invalid(code: str, message: str, field: str) -> ServiceError:
    return ServiceError(code, message, field=field)


def _text(data: dict, key: str, *, max_length: int | None = None, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid("invalid_field", _("Trường “%(field)s” phải là chuỗi ký tự.") % {"field": key}, key)
    value = value.strip()
    if required and not value:
        raise _invalid("required", _("Thiếu trường bắt buộc “%(field)s”.") % {"field": key}, key)
    if max_length and len(value) > max_length:
        raise _invalid(
            "too_long",
            _("Trường “%(field)s” dài quá %(max)s ký tự.") % {"field": key, "max": max_length},
            key,
        )
    return value


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100:
        raise _invalid(
            "invalid_copy_count",
            _("Số bản phải là số nguyên từ 0 đến 100 (%(field)s).") % {"field": field},
            field,
        )
    return value


def clean_version_data(data: dict) -> dict:
    """Validate what a version says; return it normalised. Raises ``ServiceError`` on the first
    problem, naming the field, before anything is written."""
    clean: dict[str, Any] = {"name": _text(data, "name", max_length=500, required=True)}
    clean["sector_code"] = _text(data, "sector_code", max_length=40, required=True)
    clean["sector_name"] = _text(data, "sector_name", max_length=255) or clean["sector_code"]

    levels = data.get("levels") or []
    if not levels or any(level not in Level.values for level in levels):
        raise _invalid(
            "invalid_level",
            _("Cấp thực hiện phải gồm ít nhất một trong: tỉnh, huyện, xã."),
            "levels",
        )
    clean["levels"] = sorted(set(levels), key=Level.values.index)

    online_level = data.get("online_level") or OnlineLevel.NONE
    if online_level not in OnlineLevel.values:
        raise _invalid(
            "invalid_online_level",
            _("Mức độ dịch vụ công trực tuyến phải là toàn trình, một phần hoặc không."),
            "online_level",
        )
    clean["online_level"] = online_level

    legacy = data.get("legacy_level")
    if legacy is not None and (isinstance(legacy, bool) or legacy not in (2, 3, 4)):
        raise _invalid("invalid_legacy_level", _("Mức độ cũ chỉ có thể là 2, 3 hoặc 4."), "legacy_level")
    clean["legacy_level"] = legacy

    channels = data.get("channels") or []
    if any(channel not in Channel.values for channel in channels):
        raise _invalid("invalid_channel", _("Cách thức thực hiện chỉ có thể là 1, 2 hoặc 3."), "channels")
    clean["channels"] = sorted(set(channels))

    try:
        time = Decimal(str(data.get("processing_time")))
    except (InvalidOperation, ValueError):
        time = None
    if time is None or not time.is_finite() or time < 0 or time > _MAX_TIME or time != round(time, 2):
        raise _invalid(
            "invalid_processing_time",
            _("Thời hạn giải quyết phải là số không âm, tối đa hai chữ số thập phân."),
            "processing_time",
        )
    clean["processing_time"] = time.quantize(Decimal("0.01"))
    unit = data.get("processing_time_unit")
    if unit not in TimeUnit.values:
        raise _invalid(
            "invalid_time_unit",
            _("Đơn vị thời hạn “%(unit)s” không hợp lệ: chỉ nhận ngày làm việc, ngày hoặc giờ.")
            % {"unit": str(unit)[:40]},
            "processing_time_unit",
        )
    clean["processing_time_unit"] = unit

    for key in TEXT_FIELDS:
        clean[key] = _text(data, key)

    fees = []
    for index, fee in enumerate(data.get("fees") or []):
        field = f"fees[{index}]"
        if fee.get("kind") not in FeeKind.values:
            raise _invalid(
                "invalid_fee_kind",
                _("Loại phí phải là phí hoặc lệ phí (%(field)s).") % {"field": field},
                field,
            )
        amount = fee.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise _invalid(
                "invalid_fee_amount",
                _("Số tiền phải là số nguyên đồng (%(field)s).") % {"field": field},
                field,
            )
        if amount < 0:
            raise _invalid(
                "negative_fee", _("Số tiền phí, lệ phí không được âm (%(field)s).") % {"field": field}, field
            )
        fees.append(
            {
                "kind": fee["kind"],
                "code": _text(fee, "code", max_length=50),
                "amount": amount,
                "description": _text(fee, "description"),
            }
        )
    clean["fees"] = fees

    documents = []
    for index, document in enumerate(data.get("documents") or []):
        field = f"documents[{index}]"
        name = _text(document, "name")
        if not name:
            raise _invalid("required", _("Thiếu tên giấy tờ (%(field)s).") % {"field": field}, field)
        url = _text(document, "form_url", max_length=1000)
        if url and not re.match(r"^https?://", url):
            raise _invalid(
                "invalid_form_url",
                _("Đường dẫn mẫu đơn phải bắt đầu bằng http(s):// (%(field)s).") % {"field": field},
                field,
            )
        documents.append(
            {
                "code": _text(document, "code", max_length=50),
                "name": name,
                "form_name": _text(document, "form_name", max_length=500),
                "form_url": url,
                "original_count": _count(document.get("original_count", 0), f"{field}.original_count"),
                "copy_count": _count(document.get("copy_count", 0), f"{field}.copy_count"),
                "required": bool(document.get("required", True)),
            }
        )
    clean["documents"] = documents
    clean["form_fields"] = form_fields_clean(data.get("form_fields"))
    return clean


def version_content(version: ProcedureVersion) -> dict:
    """What a stored version says, in the shape ``clean_version_data`` returns (without the
    procedure's sector and levels). Expects ``fees`` and ``documents`` prefetched or cheap."""
    content = {
        "name": version.name,
        "online_level": version.online_level,
        "legacy_level": version.legacy_level,
        "channels": list(version.channels),
        "processing_time": version.processing_time,
        "processing_time_unit": version.processing_time_unit,
        **{key: getattr(version, key) for key in TEXT_FIELDS},
        "fees": [{key: getattr(fee, key) for key in FEE_FIELDS} for fee in version.fees.all()],
        "documents": [{key: getattr(doc, key) for key in DOCUMENT_FIELDS} for doc in version.documents.all()],
        "form_fields": list(version.form_fields),
    }
    return content


def _header(procedure: Procedure) -> dict:
    return {
        "sector": procedure.sector.code,
        "levels": procedure.levels,
        "units": sorted(procedure.units.values_list("pk", flat=True)),
    }


def procedure_version_publish(
    *,
    procedure_code: str,
    data: dict,
    valid_from: date,
    actor=None,
    units: list | None = None,
) -> ProcedureVersion:
    """Publish ``data`` as the version of ``procedure_code`` in force from ``valid_from``.

    Creates the procedure (and its sector) when new. The new version must start after the
    latest one (``version_overlap`` otherwise: a version is never back-dated or inserted); the
    latest one is closed on ``valid_from``. Data identical to the latest version publishes
    nothing, so importing the same catalogue twice writes nothing. ``units`` (OrgUnits), when
    given, replaces the implementing units. Raises ``ServiceError`` before writing anything.
    """
    if not isinstance(procedure_code, str) or not re.match(PROCEDURE_CODE_PATTERN, procedure_code):
        raise _invalid(
            "invalid_procedure_code",
            _("Mã thủ tục “%(code)s” không hợp lệ: phải có dạng 1.001612.")
            % {"code": str(procedure_code)[:40]},
            "procedure_code",
        )
    if not isinstance(valid_from, date):
        raise _invalid("invalid_date", _("Ngày hiệu lực không hợp lệ."), "valid_from")
    clean = clean_version_data(data)
    content = {
        key: value for key, value in clean.items() if key not in ("sector_code", "sector_name", "levels")
    }
    flags = {
        "at_province": Level.PROVINCE in clean["levels"],
        "at_district": Level.DISTRICT in clean["levels"],
        "at_commune": Level.COMMUNE in clean["levels"],
    }

    with transaction.atomic():
        sector, _created = Sector.objects.get_or_create(
            code=clean["sector_code"], defaults={"name": clean["sector_name"]}
        )
        procedure = Procedure.objects.select_for_update().filter(code=procedure_code).first()
        previous = None
        before = None
        if procedure is None:
            procedure = Procedure.objects.create(
                code=procedure_code, name=clean["name"], sector=sector, **flags
            )
        else:
            before = _header(procedure)
            previous = (
                procedure.versions.prefetch_related("fees", "documents").order_by("-valid_from").first()
            )
        if units is not None:
            procedure.units.set(units)

        header_changed = False
        changed = [field for field, value in flags.items() if getattr(procedure, field) != value]
        if procedure.sector_id != sector.pk:
            procedure.sector = sector
            changed.append("sector")
        for field in changed:
            if field != "sector":
                setattr(procedure, field, flags[field])
        if changed:
            procedure.save(update_fields=changed)
        header_changed = before is not None and _header(procedure) != before

        if previous is not None and version_content(previous) == content:
            # Nothing new to publish; a changed classification is still recorded.
            if header_changed:
                audit_record(
                    action="onestop.procedure.update",
                    obj=procedure,
                    before=before,
                    after=_header(procedure),
                    actor=actor,
                )
            return previous

        if previous is not None and valid_from <= previous.valid_from:
            raise ServiceError(
                "version_overlap",
                _(
                    "Phiên bản mới phải có hiệu lực sau ngày %(date)s, ngày bắt đầu của phiên bản "
                    "hiện hành; không được lùi ngày hay chèn phiên bản vào giữa."
                )
                % {"date": previous.valid_from.strftime("%d/%m/%Y")},
                field="valid_from",
            )
        if previous is not None and (previous.valid_to is None or previous.valid_to > valid_from):
            previous.valid_to = valid_from
            previous.save(update_fields=["valid_to"])

        fees = content.pop("fees")
        documents = content.pop("documents")
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=(previous.number + 1) if previous else 1,
            valid_from=valid_from,
            **content,
        )
        ProcedureFee.objects.bulk_create(
            ProcedureFee(version=version, order=index, **fee) for index, fee in enumerate(fees, start=1)
        )
        ProcedureDocument.objects.bulk_create(
            ProcedureDocument(version=version, order=index, **document)
            for index, document in enumerate(documents, start=1)
        )
        if procedure.name != clean["name"]:
            procedure.name = clean["name"]
            procedure.save(update_fields=["name"])
        audit_record(
            action="onestop.procedure_version.publish",
            obj=version,
            before={"version": previous.number, "valid_from": previous.valid_from, **(before or {})}
            if previous
            else None,
            after={
                "procedure": procedure.code,
                "version": version.number,
                "valid_from": valid_from,
                "fees": len(fees),
                "documents": len(documents),
                **_header(procedure),
            },
            actor=actor,
        )
    return version


class _DryRun(Exception):
    pass


def procedures_import(
    *, records: list, valid_from: date | None = None, actor=None, dry_run: bool = False
) -> dict[str, list[str]]:
    """Publish every record (``laythutuc.ImportedProcedure``) in one transaction: all or nothing.

    ``valid_from`` overrides each record's own start date (``NGAYHIEULUC``), which otherwise
    applies, else today. Implementing units are looked up by electronic identifier among the
    units in force on the version's start date; an unknown identifier refuses the whole import.
    Returns the codes ``created`` (new procedures), ``published`` (new versions of known ones)
    and ``unchanged``. ``dry_run`` does all of it, then rolls back.
    """
    from cqs.orgs.selectors import orgunit_get_by_identifier

    summary: dict[str, list[str]] = {"created": [], "published": [], "unchanged": []}
    try:
        with transaction.atomic():
            for record in records:
                start = valid_from or record.valid_from or timezone.localdate()
                units = None
                if record.unit_identifiers:
                    units = []
                    for index, identifier in enumerate(record.unit_identifiers):
                        unit = orgunit_get_by_identifier(identifier, as_of=start)
                        if unit is None:
                            path = f"{record.path}.COQUANTHUCHIEN[{index}]"
                            raise ServiceError(
                                "unknown_unit",
                                _(
                                    "%(path)s: không có đơn vị mang mã định danh %(identifier)s "
                                    "vào ngày %(date)s."
                                )
                                % {
                                    "path": path,
                                    "identifier": identifier[:20],
                                    "date": start.strftime("%d/%m/%Y"),
                                },
                                field=path,
                            )
                        units.append(unit)
                existed = Procedure.objects.filter(code=record.code).exists()
                latest = (
                    ProcedureVersion.objects.filter(procedure__code=record.code)
                    .order_by("-valid_from")
                    .first()
                )
                try:
                    version = procedure_version_publish(
                        procedure_code=record.code,
                        data=record.data,
                        valid_from=start,
                        actor=actor,
                        units=units,
                    )
                except ServiceError as error:
                    # Name the record, so that the operator finds it in a file of hundreds.
                    raise ServiceError(
                        error.error_code, f"{record.path} ({record.code}): {error.detail}", field=record.path
                    ) from error
                if not existed:
                    summary["created"].append(record.code)
                elif latest is not None and version.pk == latest.pk:
                    summary["unchanged"].append(record.code)
                else:
                    summary["published"].append(record.code)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary
