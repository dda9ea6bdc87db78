"""edXML (QCVN 102:2016/BTTTT): the package format of the national electronic-document exchange.

``parse(data)`` turns a received ``.edxml`` file into frozen dataclasses (``EdocPackage`` for a
document, ``StatusPackage`` for a processing status); ``build(package)`` writes one. Names follow
the standard (``CodeNumber`` -> ``code_number``, ``Bussiness`` with its two s's), so the mapping to
Decree 30/2020 Appendix VI stays obvious.

Tolerances come from the public samples (see docs/edxml.md): default or prefixed namespace, any
element order, empty or self-closing elements, CRLF, dates written yyyy/MM/dd or dd/MM/yyyy, and
``DocumentId`` kept as text because real packages carry impossible dates there (2014/02/30).
Anything that cannot be read raises ``EdxmlError`` with a stable ``code``.

Not done here: XMLDSig signing and verification (the samples' signatures are placeholders, the
``Signature`` element is only kept verbatim) and the VDXP client.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from xml.etree.ElementTree import Element, ParseError, tostring
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext_lazy as _

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
# Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset needs no tz database.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

BUSSINESS_DOC_TYPES = {
    0: _("Văn bản mới"),
    1: _("Thu hồi văn bản"),
    2: _("Cập nhật văn bản"),
    3: _("Thay thế văn bản"),
}
# Only these codes were seen in the standard's samples and the VDXP status list; 07–12 and 14 are
# not confirmed, so they are refused rather than guessed.
STATUS_CODES = {
    "01": _("Đã đến"),
    "02": _("Từ chối tiếp nhận"),
    "03": _("Đã tiếp nhận, vào sổ"),
    "04": _("Đã phân công"),
    "05": _("Đang xử lý"),
    "06": _("Đã hoàn thành"),
    "13": _("Yêu cầu lấy lại văn bản"),
    "15": _("Đồng ý lấy lại hoặc cập nhật"),
    "16": _("Từ chối lấy lại hoặc cập nhật"),
}

_HEADER = "edXMLEnvelope/edXMLHeader/MessageHeader"
_TRACE = "edXMLEnvelope/edXMLHeader/TraceHeaderList"


class EdxmlError(Exception):
    """A package that cannot be read or written; ``code`` is stable, ``path`` names the element."""

    def __init__(self, code: str, message_vi, path: str = ""):
        self.code = code
        self.message_vi = str(message_vi)
        self.path = path
        super().__init__(f"{code} {path}: {self.message_vi}" if path else f"{code}: {self.message_vi}")


def _tuple(obj, *names):
    # Frozen dataclasses hold tuples; callers may pass lists, which would never compare equal.
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True)
class Organ:
    organ_id: str = ""
    organ_name: str = ""
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


_ORGAN_FIELDS = (
    ("OrganId", "organ_id"),
    ("OrganName", "organ_name"),
    ("OrganizationInCharge", "organization_in_charge"),
    ("OrganAdd", "organ_add"),
    ("Email", "email"),
    ("Telephone", "telephone"),
    ("Fax", "fax"),
    ("Website", "website"),
)


@dataclass(frozen=True)
class Code:
    code_number: str = ""
    code_notation: str = ""


@dataclass(frozen=True)
class PromulgationInfo:
    place: str = ""
    promulgation_date: date | None = None
    # The text as received when it is not a date we can read; kept so nothing is lost.
    promulgation_date_text: str = ""


@dataclass(frozen=True)
class DocumentType:
    type: str = ""
    type_detail: str = ""
    type_name: str = ""


@dataclass(frozen=True)
class SignerInfo:
    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class OtherInfo:
    priority: str = ""
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: str = ""
    page_amount: str = ""
    direction: str = ""
    appendixes: tuple[str, ...] = ()

    def __post_init__(self):
        _tuple(self, "appendixes")


@dataclass(frozen=True)
class ResponseFor:
    """The document a package answers: ``code`` is the whole "number/notation" text."""

    organ_id: str = ""
    code: str = ""
    promulgation_date: date | None = None
    promulgation_date_text: str = ""
    document_id: str = ""


@dataclass(frozen=True)
class StaffInfo:
    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = field(default="", repr=False)  # a person's phone number: kept out of logs


@dataclass(frozen=True)
class TraceHeader:
    organ_id: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class Receiver:
    organ_id: str = ""
    receiver_type: str = ""


@dataclass(frozen=True)
class BussinessDocumentInfo:
    """What an update (BussinessDocType 2) changes: the document info, the receivers, or both."""

    document_info: str = ""
    document_receiver: str = ""
    receivers: tuple[Receiver, ...] = ()

    def __post_init__(self):
        _tuple(self, "receivers")


@dataclass(frozen=True)
class ReplacementInfo:
    document_id: str = ""
    organ_ids: tuple[str, ...] = ()

    def __post_init__(self):
        _tuple(self, "organ_ids")


@dataclass(frozen=True)
class Bussiness:
    bussiness_doc_type: int = 0  # 0 new, 1 recall, 2 update, 3 replace
    bussiness_doc_reason: str = ""
    document_id: str = ""
    paper: str = ""
    staff_info: StaffInfo | None = None
    document_info: BussinessDocumentInfo | None = None
    replacement_info: tuple[ReplacementInfo, ...] = ()

    def __post_init__(self):
        _tuple(self, "replacement_info")


@dataclass(frozen=True)
class Attachment:
    content_id: str  # without the "cid:" prefix, which build() adds
    content_type: str = ""
    name: str = ""
    data: bytes = field(default=b"", repr=False)
    description: str = ""


@dataclass(frozen=True)
class MessageHeader:
    from_: Organ = field(default_factory=Organ)
    to: tuple[Organ, ...] = ()
    code: Code = field(default_factory=Code)
    promulgation_info: PromulgationInfo = field(default_factory=PromulgationInfo)
    document_type: DocumentType = field(default_factory=DocumentType)
    subject: str = ""
    content: str = ""
    signer_info: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: ResponseFor | None = None
    steering_type: str = ""
    document_id: str = ""

    def __post_init__(self):
        _tuple(self, "to", "to_places")


@dataclass(frozen=True)
class EdocPackage:
    header: MessageHeader
    trace: tuple[TraceHeader, ...] = ()
    bussiness: Bussiness | None = None
    attachments: tuple[Attachment, ...] = ()
    signature_xml: str | None = None  # the Signature element exactly as received

    def __post_init__(self):
        _tuple(self, "trace", "attachments")


@dataclass(frozen=True)
class StatusPackage:
    from_: Organ
    response_for: ResponseFor
    status_code: str
    timestamp: datetime
    staff_info: StaffInfo | None = None
    description: str = ""


# --- DocumentId ------------------------------------------------------------------------------------


def document_id_make(organ_id: str, date: date, number: int | str, notation: str) -> str:
    """``000.00.11.H53,2020/10/30,2491/STC-BCTC``: issuer, promulgation date, number/notation.

    An int number below 10 takes a leading zero (Decree 30/2020 Appendix I §3).
    """
    number_text = f"{number:02d}" if isinstance(number, int) else str(number)
    parts = (organ_id, number_text, notation)
    if not all(parts) or any("," in part for part in parts):
        raise EdxmlError("invalid_document_id", _("Mã định danh văn bản (DocumentId) thiếu thành phần."))
    return f"{organ_id},{date:%Y/%m/%d},{number_text}/{notation}"


def document_id_parse(text: str) -> tuple[str, str, str]:
    """``(organ_id, date_text, number_notation)``; the date stays text (samples carry 2014/02/30)."""
    parts = [part.strip() for part in (text or "").split(",")]
    if len(parts) != 3 or not all(parts):
        raise EdxmlError(
            "invalid_document_id",
            _("Mã định danh văn bản (DocumentId) không đúng dạng «mã cơ quan,yyyy/MM/dd,số/ký hiệu»."),
        )
    return parts[0], parts[1], parts[2]


# --- Dates -------------------------------------------------------------------------------------

_DATE_YMD = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _read_date(text: str) -> date | None:
    """A date in yyyy/MM/dd or dd/MM/yyyy (the Tây Ninh sample), or None when it is neither."""
    if match := _DATE_YMD.match(text):
        year, month, day = match.groups()
    elif match := _DATE_DMY.match(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _strict_date(text: str, path: str) -> date | None:
    if not text:
        return None
    value = _read_date(text)
    if value is None:
        raise EdxmlError("invalid_date", _("Ngày không hợp lệ: %(value)s.") % {"value": text}, path)
    return value


def _strict_timestamp(text: str, path: str) -> datetime | None:
    """``yyyy/MM/dd HH:mm:ss``; a time without an offset is Vietnam time."""
    if not text:
        return None
    day_text, _sep, time_text = text.replace("T", " ").partition(" ")
    day = _read_date(day_text)
    time_match = _TIME.match(time_text.strip()) if time_text.strip() else None
    if day is not None and (time_match or not time_text.strip()):
        hour, minute, second = time_match.groups() if time_match else ("0", "0", "0")
        try:
            return datetime(
                day.year, day.month, day.day, int(hour), int(minute), int(second or 0), tzinfo=VIETNAM_TZ
            )
        except ValueError:
            pass
    raise EdxmlError("invalid_date", _("Thời điểm không hợp lệ: %(value)s.") % {"value": text}, path)


def _lenient_date(text: str) -> tuple[date | None, str]:
    value = _read_date(text)
    return (value, "") if value is not None or not text else (None, text)


# --- Parsing --------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Element | None, name: str) -> Element | None:
    return el.find(_q(name)) if el is not None else None


def _all(el: Element | None, name: str) -> list[Element]:
    return el.findall(_q(name)) if el is not None else []


def _text(el: Element | None, name: str) -> str:
    found = _child(el, name)
    return (found.text or "").strip() if found is not None else ""


def _require(el: Element | None, path: str) -> Element:
    if el is None:
        raise EdxmlError("missing_element", _("Thiếu phần tử bắt buộc %(path)s.") % {"path": path}, path)
    return el


def _organ(el: Element | None) -> Organ:
    return Organ(**{attr: _text(el, name) for name, attr in _ORGAN_FIELDS})


def _staff(el: Element | None) -> StaffInfo | None:
    if el is None:
        return None
    return StaffInfo(
        department=_text(el, "Department"),
        staff=_text(el, "Staff"),
        email=_text(el, "Email"),
        mobile=_text(el, "Mobile"),
    )


def _response_for(el: Element | None) -> ResponseFor | None:
    if el is None:
        return None
    promulgation_date, raw = _lenient_date(_text(el, "PromulgationDate"))
    return ResponseFor(
        organ_id=_text(el, "OrganId"),
        code=_text(el, "Code"),
        promulgation_date=promulgation_date,
        promulgation_date_text=raw,
        document_id=_text(el, "DocumentId"),
    )


def _message_header(el: Element) -> MessageHeader:
    promulgation = _child(el, "PromulgationInfo")
    promulgation_date, raw = _lenient_date(_text(promulgation, "PromulgationDate"))
    other = _child(el, "OtherInfo")
    code = _child(el, "Code")
    doc_type = _child(el, "DocumentType")
    signer = _child(el, "SignerInfo")
    return MessageHeader(
        from_=_organ(_child(el, "From")),
        to=[_organ(to) for to in _all(el, "To")],
        code=Code(code_number=_text(code, "CodeNumber"), code_notation=_text(code, "CodeNotation")),
        promulgation_info=PromulgationInfo(
            place=_text(promulgation, "Place"),
            promulgation_date=promulgation_date,
            promulgation_date_text=raw,
        ),
        document_type=DocumentType(
            type=_text(doc_type, "Type"),
            type_detail=_text(doc_type, "TypeDetail"),
            type_name=_text(doc_type, "TypeName"),
        ),
        subject=_text(el, "Subject"),
        content=_text(el, "Content"),
        signer_info=SignerInfo(
            competence=_text(signer, "Competence"),
            position=_text(signer, "Position"),
            full_name=_text(signer, "FullName"),
        ),
        due_date=_strict_date(_text(el, "DueDate"), f"{_HEADER}/DueDate"),
        to_places=[
            (p.text or "").strip() for p in _all(_child(el, "ToPlaces"), "Place") if (p.text or "").strip()
        ],
        other_info=OtherInfo(
            priority=_text(other, "Priority"),
            sphere_of_promulgation=_text(other, "SphereOfPromulgation"),
            typer_notation=_text(other, "TyperNotation"),
            promulgation_amount=_text(other, "PromulgationAmount"),
            page_amount=_text(other, "PageAmount"),
            direction=_text(other, "Direction"),
            appendixes=[
                (a.text or "").strip()
                for a in _all(_child(other, "Appendixes"), "Appendix")
                if (a.text or "").strip()
            ],
        ),
        response_for=_response_for(_child(el, "ResponseFor")),
        steering_type=_text(el, "SteeringType"),
        document_id=_text(el, "DocumentId"),
    )


def _bussiness(el: Element | None) -> Bussiness | None:
    if el is None:
        return None
    path = f"{_TRACE}/Bussiness/BussinessDocType"
    doc_type_text = _text(el, "BussinessDocType")
    if not doc_type_text:
        # No default: taking a recall for a new document would be worse than refusing it.
        _require(None, path)
    if doc_type_text not in {"0", "1", "2", "3"}:
        raise EdxmlError(
            "invalid_value", _("Loại nghiệp vụ (BussinessDocType) phải là 0, 1, 2 hoặc 3."), path
        )
    info = _child(el, "BussinessDocumentInfo")
    return Bussiness(
        bussiness_doc_type=int(doc_type_text),
        bussiness_doc_reason=_text(el, "BussinessDocReason"),
        document_id=_text(el, "DocumentId"),
        paper=_text(el, "Paper"),
        staff_info=_staff(_child(el, "StaffInfo")),
        document_info=None
        if info is None
        else BussinessDocumentInfo(
            document_info=_text(info, "DocumentInfo"),
            document_receiver=_text(info, "DocumentReceiver"),
            receivers=[
                Receiver(organ_id=_text(r, "OrganId"), receiver_type=_text(r, "ReceiverType"))
                for r in _all(_child(info, "ReceiverList"), "Receiver")
            ],
        ),
        replacement_info=[
            ReplacementInfo(
                document_id=_text(r, "DocumentId"),
                organ_ids=[(o.text or "").strip() for o in _all(_child(r, "OrganIdList"), "OrganId")],
            )
            for r in _all(_child(el, "ReplacementInfoList"), "ReplacementInfo")
        ],
    )


def _strip_cid(text: str) -> str:
    return text[4:] if text.lower().startswith("cid:") else text


def _attachments(root: Element, envelope: Element) -> list[Attachment]:
    manifest = _child(_child(envelope, "edXMLBody"), "edXMLManifest")
    references = {_strip_cid(_text(ref, "ContentId")): ref for ref in _all(manifest, "Reference")}
    encoded = {
        _strip_cid(_text(att, "ContentId")): att
        for att in _all(_child(root, "AttachmentEncoded"), "Attachment")
    }
    unmatched = sorted(set(references) ^ set(encoded))
    if unmatched:
        raise EdxmlError(
            "manifest_mismatch",
            _("Danh mục tệp đính kèm (edXMLManifest) không khớp với các tệp gửi kèm: %(cids)s.")
            % {"cids": ", ".join(unmatched)},
            "edXMLEnvelope/edXMLBody/edXMLManifest",
        )
    attachments = []
    for content_id, att in encoded.items():
        ref = references[content_id]
        path = f"AttachmentEncoded/Attachment[{content_id}]/ContentTransferEncoded"
        payload = _child(att, "ContentTransferEncoded")
        try:
            # MIME-style line breaks inside the base64 are allowed; anything else is not.
            data = base64.b64decode("".join((payload.text or "").split()), validate=True)
        except (AttributeError, binascii.Error, ValueError):
            raise EdxmlError(
                "invalid_attachment",
                _("Tệp đính kèm %(cid)s không giải mã được (base64).") % {"cid": content_id},
                path,
            ) from None
        attachments.append(
            Attachment(
                content_id=content_id,
                content_type=_text(att, "ContentType") or _text(ref, "ContentType"),
                name=_text(att, "AttachmentName") or _text(ref, "AttachmentName"),
                data=data,
                description=_text(att, "Description") or _text(ref, "Description"),
            )
        )
    return attachments


_SIGNATURE = re.compile(r"<((?:[\w.-]+:)?Signature)\b[^>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL)


def _signature_xml(data: bytes, header: Element) -> str | None:
    element = next((child for child in header if _local(child.tag) == "Signature"), None)
    if element is None:
        return None
    try:
        match = _SIGNATURE.search(data.decode("utf-8"))
    except UnicodeDecodeError:
        match = None
    # Verbatim text keeps the bytes a verifier will need; re-serialising is the fallback only.
    return match.group(0) if match else tostring(element, encoding="unicode")


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> EdocPackage | StatusPackage:
    """Read an edXML package (a document or a status) safely: no DTD, no entities, size-capped."""
    if len(data) > max_bytes:
        raise EdxmlError(
            "too_large",
            _("Gói tin vượt quá dung lượng cho phép (%(limit)s byte).") % {"limit": max_bytes},
        )
    try:
        root = SafeET.fromstring(data.lstrip(), forbid_dtd=True)
    except DefusedXmlException:
        raise EdxmlError(
            "unsafe_xml", _("Gói tin chứa khai báo DTD hoặc thực thể (entity): không được phép.")
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise EdxmlError(
            "not_xml", _("Gói tin không phải XML hợp lệ (lỗi ở dòng %(line)s).") % {"line": line}
        ) from None
    if _local(root.tag) != "edXML":
        raise EdxmlError("wrong_root", _("Phần tử gốc của gói tin phải là edXML."), _local(root.tag))
    if root.tag != _q("edXML"):
        raise EdxmlError(
            "wrong_namespace", _("Gói tin không dùng không gian tên (namespace) của QCVN 102:2016."), "edXML"
        )
    envelope = _require(_child(root, "edXMLEnvelope"), "edXMLEnvelope")
    header = _require(_child(envelope, "edXMLHeader"), "edXMLEnvelope/edXMLHeader")
    message = _require(_child(header, "MessageHeader"), _HEADER)

    if _child(message, "StatusCode") is not None:
        status_code = _text(message, "StatusCode")
        package = StatusPackage(
            from_=_organ(_child(message, "From")),
            response_for=_response_for(_child(message, "ResponseFor")) or ResponseFor(),
            # Some senders drop the leading zero ("5"); the code list is two digits.
            status_code=status_code.zfill(2) if status_code.isdigit() else status_code,
            timestamp=_strict_timestamp(_text(message, "Timestamp"), f"{_HEADER}/Timestamp"),
            staff_info=_staff(_child(message, "StaffInfo")),
            description=_text(message, "Description"),
        )
        _validate_status(package)
        return package

    trace_list = _child(header, "TraceHeaderList")
    package = EdocPackage(
        header=_message_header(message),
        trace=[
            TraceHeader(
                organ_id=_text(trace, "OrganId"),
                timestamp=_strict_timestamp(_text(trace, "Timestamp"), f"{_TRACE}/TraceHeader/Timestamp"),
            )
            for trace in _all(trace_list, "TraceHeader")
        ],
        bussiness=_bussiness(_child(trace_list, "Bussiness")),
        attachments=_attachments(root, envelope),
        signature_xml=_signature_xml(data, header),
    )
    _validate_edoc(package)
    return package


# --- Validation (shared by parse and build) ------------------------------------------------------


def _missing(path: str) -> EdxmlError:
    return EdxmlError("missing_element", _("Thiếu phần tử bắt buộc %(path)s.") % {"path": path}, path)


def _validate_edoc(package: EdocPackage) -> None:
    header = package.header
    if not header.from_.organ_id:
        raise _missing(f"{_HEADER}/From/OrganId")
    if not header.to or not all(organ.organ_id for organ in header.to):
        raise _missing(f"{_HEADER}/To/OrganId")
    if not header.code.code_number and not header.document_id:
        raise _missing(f"{_HEADER}/Code/CodeNumber")
    if not header.subject:
        raise _missing(f"{_HEADER}/Subject")
    if package.bussiness is not None and package.bussiness.bussiness_doc_type not in BUSSINESS_DOC_TYPES:
        raise EdxmlError(
            "invalid_value",
            _("Loại nghiệp vụ (BussinessDocType) phải là 0, 1, 2 hoặc 3."),
            f"{_TRACE}/Bussiness/BussinessDocType",
        )


def _validate_status(package: StatusPackage) -> None:
    if not package.from_.organ_id:
        raise _missing(f"{_HEADER}/From/OrganId")
    response_for = package.response_for
    if not response_for.document_id and not (response_for.organ_id and response_for.code):
        raise _missing(f"{_HEADER}/ResponseFor/DocumentId")
    if not package.status_code:
        raise _missing(f"{_HEADER}/StatusCode")
    if package.status_code not in STATUS_CODES:
        raise EdxmlError(
            "invalid_status_code",
            _("Mã trạng thái %(code)s không thuộc danh mục (01–06, 13, 15, 16).")
            % {"code": package.status_code},
            f"{_HEADER}/StatusCode",
        )
    if package.timestamp is None:
        raise _missing(f"{_HEADER}/Timestamp")


# --- Building -------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all; \t, \n and \r are allowed (\r is written as &#13;).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Writer:
    def __init__(self):
        self.lines = ['<?xml version="1.0" encoding="UTF-8"?>']
        self.depth = 0

    def open(self, name: str, attrs: str = "") -> None:
        self.lines.append(f"{'  ' * self.depth}<{name}{attrs}>")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.lines.append(f"{'  ' * self.depth}</{name}>")

    def leaf(self, name: str, text: str) -> None:
        text = "" if text is None else str(text)
        if _ILLEGAL.search(text):
            raise EdxmlError("invalid_value", _("Nội dung chứa ký tự không dùng được trong XML."), name)
        indent = "  " * self.depth
        if not text:
            self.lines.append(f"{indent}<{name}/>")
        else:
            # The parser turns a bare \r into \n; an escaped one survives the round trip.
            body = escape(text).replace("\r", "&#13;")
            self.lines.append(f"{indent}<{name}>{body}</{name}>")

    def raw(self, text: str) -> None:
        self.lines.append(f"{'  ' * self.depth}{text}")

    def bytes(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode("utf-8")


def _date_text(value: date | None, raw: str = "") -> str:
    return value.strftime("%Y/%m/%d") if value is not None else raw


def _timestamp_text(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM_TZ)
    return value.astimezone(VIETNAM_TZ).strftime("%Y/%m/%d %H:%M:%S")


def _write_organ(w: _Writer, name: str, organ: Organ) -> None:
    w.open(name)
    for xml_name, attr in _ORGAN_FIELDS:
        w.leaf(xml_name, getattr(organ, attr))
    w.close(name)


def _write_staff(w: _Writer, staff: StaffInfo | None) -> None:
    if staff is None:
        return
    w.open("StaffInfo")
    w.leaf("Department", staff.department)
    w.leaf("Staff", staff.staff)
    w.leaf("Email", staff.email)
    w.leaf("Mobile", staff.mobile)
    w.close("StaffInfo")


def _write_response_for(w: _Writer, response_for: ResponseFor | None) -> None:
    if response_for is None:
        return
    w.open("ResponseFor")
    w.leaf("OrganId", response_for.organ_id)
    w.leaf("Code", response_for.code)
    w.leaf(
        "PromulgationDate", _date_text(response_for.promulgation_date, response_for.promulgation_date_text)
    )
    w.leaf("DocumentId", response_for.document_id)
    w.close("ResponseFor")


def _write_message_header(w: _Writer, h: MessageHeader) -> None:
    # The 14 elements in the order of QCVN 102:2016 §1.1–1.14 (docs: domain/documents.md §2).
    w.open("MessageHeader")
    _write_organ(w, "From", h.from_)
    for organ in h.to:
        _write_organ(w, "To", organ)
    w.open("Code")
    w.leaf("CodeNumber", h.code.code_number)
    w.leaf("CodeNotation", h.code.code_notation)
    w.close("Code")
    w.open("PromulgationInfo")
    w.leaf("Place", h.promulgation_info.place)
    w.leaf(
        "PromulgationDate",
        _date_text(h.promulgation_info.promulgation_date, h.promulgation_info.promulgation_date_text),
    )
    w.close("PromulgationInfo")
    w.open("DocumentType")
    w.leaf("Type", h.document_type.type)
    w.leaf("TypeDetail", h.document_type.type_detail)
    w.leaf("TypeName", h.document_type.type_name)
    w.close("DocumentType")
    w.leaf("Subject", h.subject)
    w.leaf("Content", h.content)
    w.open("SignerInfo")
    w.leaf("Competence", h.signer_info.competence)
    w.leaf("Position", h.signer_info.position)
    w.leaf("FullName", h.signer_info.full_name)
    w.close("SignerInfo")
    w.leaf("DueDate", _date_text(h.due_date))
    w.open("ToPlaces")
    for place in h.to_places:
        w.leaf("Place", place)
    w.close("ToPlaces")
    other = h.other_info
    w.open("OtherInfo")
    w.leaf("Priority", other.priority)
    w.leaf("SphereOfPromulgation", other.sphere_of_promulgation)
    w.leaf("TyperNotation", other.typer_notation)
    w.leaf("PromulgationAmount", other.promulgation_amount)
    w.leaf("PageAmount", other.page_amount)
    w.leaf("Direction", other.direction)
    w.open("Appendixes")
    for appendix in other.appendixes:
        w.leaf("Appendix", appendix)
    w.close("Appendixes")
    w.close("OtherInfo")
    _write_response_for(w, h.response_for)
    w.leaf("SteeringType", h.steering_type)
    w.leaf("DocumentId", h.document_id)
    w.close("MessageHeader")


def _write_bussiness(w: _Writer, b: Bussiness) -> None:
    w.open("Bussiness")
    w.leaf("BussinessDocType", str(b.bussiness_doc_type))
    w.leaf("BussinessDocReason", b.bussiness_doc_reason)
    w.leaf("DocumentId", b.document_id)
    w.leaf("Paper", b.paper)
    if b.document_info is not None:
        w.open("BussinessDocumentInfo")
        w.leaf("DocumentInfo", b.document_info.document_info)
        w.leaf("DocumentReceiver", b.document_info.document_receiver)
        w.open("ReceiverList")
        for receiver in b.document_info.receivers:
            w.open("Receiver")
            w.leaf("OrganId", receiver.organ_id)
            w.leaf("ReceiverType", receiver.receiver_type)
            w.close("Receiver")
        w.close("ReceiverList")
        w.close("BussinessDocumentInfo")
    if b.replacement_info:
        w.open("ReplacementInfoList")
        for info in b.replacement_info:
            w.open("ReplacementInfo")
            w.leaf("DocumentId", info.document_id)
            w.open("OrganIdList")
            for organ_id in info.organ_ids:
                w.leaf("OrganId", organ_id)
            w.close("OrganIdList")
            w.close("ReplacementInfo")
        w.close("ReplacementInfoList")
    _write_staff(w, b.staff_info)
    w.close("Bussiness")


def _build_edoc(w: _Writer, package: EdocPackage) -> None:
    _validate_edoc(package)
    w.open("edXMLEnvelope")
    w.open("edXMLHeader")
    _write_message_header(w, package.header)
    if package.trace or package.bussiness is not None:
        w.open("TraceHeaderList")
        for trace in package.trace:
            w.open("TraceHeader")
            w.leaf("OrganId", trace.organ_id)
            w.leaf("Timestamp", _timestamp_text(trace.timestamp))
            w.close("TraceHeader")
        if package.bussiness is not None:
            _write_bussiness(w, package.bussiness)
        w.close("TraceHeaderList")
    if package.signature_xml:
        w.raw(package.signature_xml)
    w.close("edXMLHeader")
    w.open("edXMLBody")
    w.open("edXMLManifest", ' version="1.0"')
    for att in package.attachments:
        w.open("Reference")
        w.leaf("ContentId", f"cid:{att.content_id}")
        w.leaf("ContentType", att.content_type)
        if att.description:
            w.leaf("Description", att.description)
        w.leaf("AttachmentName", att.name)
        w.close("Reference")
    w.close("edXMLManifest")
    w.close("edXMLBody")
    w.close("edXMLEnvelope")
    if package.attachments:
        w.open("AttachmentEncoded")
        for att in package.attachments:
            w.open("Attachment")
            w.leaf("ContentId", f"cid:{att.content_id}")
            w.leaf("AttachmentName", att.name)
            if att.description:
                w.leaf("Description", att.description)
            w.leaf("ContentType", att.content_type)
            w.leaf("ContentTransferEncoded", base64.b64encode(att.data).decode("ascii"))
            w.close("Attachment")
        w.close("AttachmentEncoded")


def _build_status(w: _Writer, package: StatusPackage) -> None:
    _validate_status(package)
    w.open("edXMLEnvelope")
    w.open("edXMLHeader")
    w.open("MessageHeader")
    _write_organ(w, "From", package.from_)
    _write_response_for(w, package.response_for)
    _write_staff(w, package.staff_info)
    w.leaf("StatusCode", package.status_code)
    w.leaf("Description", package.description)
    w.leaf("Timestamp", _timestamp_text(package.timestamp))
    w.close("MessageHeader")
    w.close("edXMLHeader")
    w.close("edXMLEnvelope")


def build(package: EdocPackage | StatusPackage) -> bytes:
    """UTF-8 edXML in the standard's namespace (as the default one) and element order."""
    w = _Writer()
    w.open("edXML", f" xmlns={quoteattr(NS)}")
    if isinstance(package, StatusPackage):
        _build_status(w, package)
    else:
        _build_edoc(w, package)
    w.close("edXML")
    return w.bytes()
