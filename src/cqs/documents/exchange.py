"""Exchange with agencies outside the platform through the national axis (VDXP), in edXML.

Sending never happens inside a user's request: issuing, recalling and every status change queue
an outbox message in their own transaction, and the outbox handlers below build the package,
sign it (XML signature with the unit's seal certificate) and send it, with retries.

Receiving polls the axis (``axis_poll``, run by a self-scheduling background task and by
``cqs documents_poll``). Each package is stored once (``AxisMessage.axis_id`` is unique) in the
same transaction as the documents it creates, and its acknowledgement is queued in that
transaction too: a crash before the commit leaves the package on the axis to be fetched again,
a crash after it is acknowledged by the outbox, so nothing is lost or registered twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.core.outbox import DeliveryError, OutboxMessage, outbox_enqueue_many, register_handler
from cqs.documents import edxml
from cqs.documents.choices import BussinessDocType, Channel, Direction, FileRole, IncomingStatus
from cqs.documents.models import AxisMessage, Document, Recipient
from cqs.documents.numbering import document_types

logger = logging.getLogger(__name__)

St = IncomingStatus


def _client():
    from cqs.documents.vdxp import client_from_settings

    client = client_from_settings()
    if client is None:
        raise DeliveryError("document exchange is off (CQS_VDXP_URL is empty)")
    return client


def _organ(unit) -> edxml.Organ:
    return edxml.Organ(organ_id=unit.identifier or "", organ_name=unit.name)


def _sign(data: bytes, unit) -> bytes:
    from cqs.core.signing import unit_certificate_ensure
    from cqs.documents.edxml_signature import edxml_sign

    key, cert = unit_certificate_ensure(unit=unit)
    return edxml_sign(data, key=key, cert=cert)


# --- Sending ---------------------------------------------------------------------------------------


def edoc_package(document: Document, recipients: list[Recipient], bussiness: int) -> bytes:
    """The signed edXML package of an outgoing document for ``recipients``."""
    from cqs.documents.services.common import file_bytes

    files = list(
        document.files.filter(current=True, role__in=[FileRole.MAIN, FileRole.APPENDIX]).order_by("pk")
    )
    attachments = tuple(
        edxml.Attachment(
            content_id=f"{index}.{stored.sha256[:12]}",
            content_type="application/pdf",
            name=stored.name,
            data=b"" if bussiness == BussinessDocType.RECALL else file_bytes(stored),
        )
        for index, stored in enumerate(files, start=1)
        if bussiness != BussinessDocType.RECALL
    )
    # An update or a replacement names the document it supersedes; a recall (or a new document)
    # names the document itself, even when that one had replaced another.
    superseded = (
        document.replaces if bussiness in (BussinessDocType.UPDATE, BussinessDocType.REPLACE) else None
    )
    header = edxml.MessageHeader(
        from_=_organ(document.unit),
        to=tuple(edxml.Organ(organ_id=r.organ_id, organ_name=r.organ_name) for r in recipients),
        code=edxml.Code(code_number=document.code_number, code_notation=document.code_notation),
        promulgation_info=edxml.PromulgationInfo(place="", promulgation_date=document.issued_date),
        document_type=edxml.DocumentType(type="1", type_name=document.type_name),
        subject=document.subject,
        signer_info=edxml.SignerInfo(
            competence=document.signer_competence,
            position=document.signer_position,
            full_name=document.signer_name,
        ),
        due_date=document.due_date,
        to_places=tuple(line for line in document.to_places.splitlines() if line.strip()),
        other_info=edxml.OtherInfo(
            priority=str(document.urgency),
            promulgation_amount=str(document.issued_amount or ""),
            page_amount=str(document.page_amount),
        ),
        document_id=document.document_id,
    )
    package = edxml.EdocPackage(
        header=header,
        trace=(edxml.TraceHeader(organ_id=document.organ_id, timestamp=timezone.now()),),
        bussiness=edxml.Bussiness(
            bussiness_doc_type=bussiness,
            bussiness_doc_reason=document.bussiness_reason,
            document_id=superseded.document_id if superseded is not None else document.document_id,
        ),
        attachments=attachments,
    )
    return _sign(edxml.build(package), document.unit)


@register_handler("documents.axis.edoc")
def edoc_send_handler(message: OutboxMessage) -> None:
    document = (
        Document.objects.select_related("unit", "replaces").filter(pk=message.payload.get("document")).first()
    )
    if document is None:
        return
    recipients = list(
        Recipient.objects.filter(pk__in=message.payload.get("recipients", []), document=document)
    )
    if not recipients:
        return
    bussiness = int(message.payload.get("bussiness", document.bussiness_doc_type))
    data = edoc_package(document, recipients, bussiness)
    from cqs.documents.vdxp import VdxpError

    try:
        axis_id = _client().send_edoc(data)
    except VdxpError as exc:
        raise DeliveryError(f"axis refused the document: {exc.code}") from None
    Recipient.objects.filter(pk__in=[r.pk for r in recipients], sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    logger.info("document %s sent to the axis as %s", document.pk, axis_id)


def status_payload(document: Document, code: str, *, description: str, at: datetime, staff: str = "") -> dict:
    """A status package's content, fixed when the step happens (the document may change later)."""
    return {
        "from_id": document.unit.identifier or "",
        "from_name": document.unit.name,
        "to_id": document.organ_id,
        "to_name": document.organ_name,
        "code_text": document.number_symbol,
        "date": document.issued_date.isoformat() if document.issued_date else "",
        "document_id": document.document_id,
        "status": code,
        "description": description[:500],
        "at": at.isoformat(),
        "staff": staff[:100],
        "unit": document.unit_id,
    }


def status_enqueue(payload: dict, *, key: str) -> None:
    outbox_enqueue_many([("documents.axis.status", payload, f"documents.status:{key}")])


@register_handler("documents.axis.status")
def status_send_handler(message: OutboxMessage) -> None:
    from cqs.documents.vdxp import VdxpError
    from cqs.orgs.models import OrgUnit

    p = message.payload
    package = edxml.StatusPackage(
        from_=edxml.Organ(organ_id=p["from_id"], organ_name=p["from_name"]),
        response_for=edxml.ResponseFor(
            organ_id=p["to_id"],
            code=p.get("code_text", ""),
            promulgation_date=datetime.fromisoformat(p["date"]).date() if p.get("date") else None,
            document_id=p.get("document_id", ""),
        ),
        status_code=p["status"],
        timestamp=datetime.fromisoformat(p["at"]),
        staff_info=edxml.StaffInfo(staff=p.get("staff", "")) if p.get("staff") else None,
        description=p.get("description", ""),
    )
    data = edxml.build(package)
    unit = OrgUnit.objects.filter(pk=p.get("unit")).first()
    if unit is not None:
        data = _sign(data, unit)
    try:
        _client().send_edoc(data)
    except VdxpError as exc:
        raise DeliveryError(f"axis refused the status package: {exc.code}") from None


@register_handler("documents.axis.ack")
def ack_handler(message: OutboxMessage) -> None:
    from cqs.documents.vdxp import VdxpError

    try:
        _client().update_status(message.payload["axis_id"], message.payload.get("status", "done"))
    except VdxpError as exc:
        raise DeliveryError(f"axis refused the acknowledgement: {exc.code}") from None


# --- Receiving -------------------------------------------------------------------------------------


@dataclass
class PollCounts:
    received: int = 0
    documents: int = 0
    statuses: int = 0
    refused: int = 0
    seen_before: int = 0
    errors: list[str] = field(default_factory=list)


def axis_poll(client=None) -> PollCounts:
    """Fetch what waits for us on the axis, documents then status packages, and record it."""
    from cqs.documents.vdxp import VdxpError

    client = client or _client()
    counts = PollCounts()
    for kind in ("edoc", "status"):
        for item in client.received_list(messagetype=kind):
            axis_id = str(item.doc_id)
            # One package that cannot be fetched or stored must not hold up the others behind it:
            # it stays on the axis (not acknowledged) and is tried again at the next poll.
            try:
                if AxisMessage.objects.filter(axis_id=axis_id).exists():
                    # Stored before, but the acknowledgement did not reach the axis: say it again.
                    counts.seen_before += 1
                    client.update_status(axis_id, "done")
                    continue
                data = client.get_edoc(axis_id)
                counts.received += 1
                result = axis_message_receive(axis_id=axis_id, kind=kind, data=data, to_organ=item.to_organ)
            except VdxpError as exc:
                logger.warning("axis package %s not received: %s", axis_id, exc.message)
                counts.errors.append(exc.code)
                continue
            except Exception as exc:
                # The class name only: the message may quote the package's content.
                logger.error("axis package %s not stored: %s", axis_id, type(exc).__name__)
                counts.errors.append("processing_failed")
                continue
            if result is None:
                counts.seen_before += 1
            elif result.error_code:
                counts.refused += 1
                counts.errors.append(result.error_code)
            elif kind == "edoc":
                counts.documents += result.documents.count()
            else:
                counts.statuses += 1
    return counts


def axis_message_receive(*, axis_id: str, kind: str, data: bytes, to_organ: str = "") -> AxisMessage | None:
    """Store and process one package; ``None`` when it was already stored (a second poller).

    ``to_organ`` is the recipient organ the axis queued this copy for (its list's ``to``).
    """
    try:
        with transaction.atomic():
            message = AxisMessage.objects.create(
                axis_id=axis_id, kind=kind, package=data, sha256=hashlib.sha256(data).hexdigest()
            )
            _process(message, data, to_organ)
            message.processed_at = timezone.now()
            message.save(update_fields=["processed_at", "error_code", "error"])
            outbox_enqueue_many([("documents.axis.ack", {"axis_id": axis_id}, f"documents.ack:{axis_id}")])
            return message
    except IntegrityError:
        if AxisMessage.objects.filter(axis_id=axis_id).exists():
            return None
        raise


def _refuse(message: AxisMessage, code: str, text: str) -> None:
    message.error_code = code
    message.error = text[:2000]
    audit_record(
        action="documents.axis_refused",
        obj=message,
        after={"axis_id": message.axis_id, "error": code},
    )


def _addressed(package: edxml.EdocPackage, to_organ: str) -> list[edxml.Organ]:
    """The recipients of ``package`` that this copy is ours to handle for.

    The axis queues one copy per recipient organ and names it: a package also addressed to
    another province's organs must be neither registered nor answered for them (the axis would
    refuse a status package sent in their name). When the axis does not name the organ, every
    recipient is looked at.
    """
    organs = list(package.header.to)
    mine = [organ for organ in organs if to_organ and organ.organ_id == to_organ]
    return mine[:1] or organs


def _process(message: AxisMessage, data: bytes, to_organ: str = "") -> None:
    try:
        package = edxml.parse(data)
    except edxml.EdxmlError as exc:
        _refuse(message, exc.code, exc.message_vi)
        return
    if isinstance(package, edxml.StatusPackage):
        _status_received(message, package)
        return
    from cqs.documents.edxml_signature import edxml_verify

    check = edxml_verify(data)
    problem = None
    if not check.present:
        problem = ("unsigned_package", _("Gói tin không có chữ ký số."))
    elif not check.valid:
        problem = (
            "invalid_package_signature",
            _("Chữ ký số của gói tin không hợp lệ (gói tin đã bị thay đổi)."),
        )
    organs = _addressed(package, to_organ)
    if problem is not None:
        _refuse(message, *problem)
        _reply_to_sender(message, package, St.REJECTED, problem[1], as_organ=organs[0])
        return
    bussiness = package.bussiness.bussiness_doc_type if package.bussiness else BussinessDocType.NEW
    if bussiness == BussinessDocType.RECALL:
        _recall_received(message, package, organs)
        return
    _edoc_received(message, package, check, organs)


def _reply_to_sender(
    message: AxisMessage,
    package: edxml.EdocPackage,
    code: str,
    text: str,
    *,
    as_organ: edxml.Organ | None = None,
) -> None:
    """A status package about a package that made no document here (refused, unknown)."""
    from cqs.orgs.models import OrgUnit

    header = package.header
    me = as_organ or (header.to[0] if header.to else edxml.Organ())
    # Signed with the seal of the answering unit when it is one of ours, as every other status is.
    unit = OrgUnit.objects.filter(identifier=me.organ_id).only("pk").first() if me.organ_id else None
    payload = {
        "from_id": me.organ_id,
        "from_name": me.organ_name,
        "to_id": header.from_.organ_id,
        "to_name": header.from_.organ_name,
        "code_text": f"{header.code.code_number}/{header.code.code_notation}".strip("/"),
        "date": header.promulgation_info.promulgation_date.isoformat()
        if header.promulgation_info.promulgation_date
        else "",
        "document_id": header.document_id,
        "status": code,
        "description": str(text)[:500],
        "at": timezone.now().isoformat(),
        "staff": "",
        "unit": unit.pk if unit is not None else None,
    }
    # Keyed by the package received, not by its DocumentId: a sender who resends a refused
    # document must get an answer about the new package too.
    status_enqueue(payload, key=f"{message.axis_id}:{me.organ_id}:{code}")


def _type_code(name: str) -> str:
    wanted = (name or "").strip().lower()
    for kind in document_types():
        if kind.name.lower() == wanted or kind.name.lower().split(" (")[0] == wanted:
            return kind.code
    return "CV" if not wanted or "công văn" in wanted else "KHAC"


def _meta(package: edxml.EdocPackage) -> dict:
    h = package.header
    return {
        "type_code": _type_code(h.document_type.type_name),
        "type_name": h.document_type.type_name or "Công văn",
        "code_number": h.code.code_number,
        "code_notation": h.code.code_notation,
        "issued_date": h.promulgation_info.promulgation_date,
        "organ_id": h.from_.organ_id,
        "organ_name": h.from_.organ_name,
        "subject": h.subject or h.content[:500],
        "signer_position": h.signer_info.position,
        "signer_name": h.signer_info.full_name,
        "signer_competence": h.signer_info.competence,
        "urgency": int(h.other_info.priority)
        if h.other_info.priority.isdigit() and int(h.other_info.priority) <= 3
        else 0,
        "due_date": h.due_date,
        "to_places": "\n".join(h.to_places),
        "page_amount": int(h.other_info.page_amount) if h.other_info.page_amount.isdigit() else 1,
        "document_id": h.document_id,
        "bussiness_doc_type": package.bussiness.bussiness_doc_type if package.bussiness else 0,
        "description": package.bussiness.bussiness_doc_reason if package.bussiness else "",
    }


def _edoc_received(
    message: AxisMessage, package: edxml.EdocPackage, check, organs: list[edxml.Organ]
) -> None:
    from cqs.documents.services.incoming import incoming_receive, signatures_ok, status_report
    from cqs.orgs.models import OrgUnit

    today = timezone.localdate()
    pdfs = [a for a in package.attachments if a.data[:5] == b"%PDF-"]
    if len(pdfs) != len(package.attachments) or not pdfs:
        text = _("Tệp đính kèm phải là PDF và gói tin phải có ít nhất một tệp.")
        _refuse(message, "invalid_attachment", text)
        _reply_to_sender(message, package, St.REJECTED, text, as_organ=organs[0])
        return
    files = [
        (a.name or f"{a.content_id}.pdf", a.data, FileRole.MAIN if i == 0 else FileRole.APPENDIX)
        for i, a in enumerate(pdfs)
    ]
    xml_check = {
        "package": True,
        "signer": check.signer_cn,
        "organization": check.signer_organization,
        "intact": check.valid,
        "valid": check.valid,
        "trusted": check.trusted,
    }
    unknown = []
    for organ in organs:
        unit = OrgUnit.objects.filter(identifier=organ.organ_id).first()
        if unit is None or not unit.is_valid_on(today):
            unknown.append(organ)
            continue
        if (
            Document.objects.filter(
                unit=unit, direction=Direction.INCOMING, document_id=package.header.document_id
            )
            .exclude(status__in=[St.REJECTED, St.RECALLED])
            .filter(bussiness_doc_type=_meta(package)["bussiness_doc_type"])
            .exists()
        ):
            continue  # the same document, sent twice: one record is enough
        try:
            document = incoming_receive(
                unit=unit,
                channel=Channel.AXIS,
                meta=_meta(package),
                files=files,
                signature_checks=[xml_check],
            )
        except ServiceError as exc:
            _refuse(message, exc.error_code, exc.detail)
            _reply_to_sender(message, package, St.REJECTED, exc.detail, as_organ=organ)
            return
        message.documents.add(document)
        pdf_report = [r for r in document.signature_report if not r.get("package")]
        if not signatures_ok(pdf_report):
            text = _("Chữ ký số trên văn bản không hợp lệ hoặc văn bản chưa được ký số.")
            from cqs.documents.services.incoming import reject

            reject(document, reason=text)
            continue
        status_report(document, St.ARRIVED)
        _supersede_link(document, package)
    for organ in unknown:
        text = _("Mã cơ quan nhận %(code)s không có trong hệ thống.") % {"code": organ.organ_id}
        _refuse(message, "unknown_organ", text)
        _reply_to_sender(message, package, St.REJECTED, text, as_organ=organ)


def _supersede_link(document: Document, package: edxml.EdocPackage) -> None:
    from cqs.documents.services.common import event

    b = package.bussiness
    if (
        b is None
        or b.bussiness_doc_type not in (BussinessDocType.UPDATE, BussinessDocType.REPLACE)
        or not b.document_id
    ):
        return
    for old in Document.objects.filter(
        unit=document.unit, direction=Direction.INCOMING, document_id=b.document_id
    ):
        event(
            old,
            action="replaced" if b.bussiness_doc_type == BussinessDocType.REPLACE else "updated",
            note=b.bussiness_doc_reason,
            data={"by": document.pk},
        )


def _recall_received(message: AxisMessage, package: edxml.EdocPackage, organs: list[edxml.Organ]) -> None:
    from cqs.documents.services.incoming import incoming_recall_by_sender
    from cqs.orgs.models import OrgUnit

    target = (package.bussiness.document_id if package.bussiness else "") or package.header.document_id
    reason = package.bussiness.bussiness_doc_reason if package.bussiness else ""
    for organ in organs:
        unit = OrgUnit.objects.filter(identifier=organ.organ_id).first()
        found = (
            list(
                Document.objects.filter(unit=unit, direction=Direction.INCOMING, document_id=target).exclude(
                    status=St.RECALLED
                )
            )
            if unit is not None
            else []
        )
        if not found:
            text = _("Không tìm thấy văn bản %(id)s để thu hồi.") % {"id": target}
            _refuse(message, "recall_unknown_document", text)
            _reply_to_sender(message, package, "16", text, as_organ=organ)
            continue
        for document in found:
            incoming_recall_by_sender(document=document, reason=reason)
            message.documents.add(document)


def _status_received(message: AxisMessage, package: edxml.StatusPackage) -> None:
    from cqs.documents.services.common import event

    document = Document.objects.filter(
        direction=Direction.OUTGOING, document_id=package.response_for.document_id
    ).first()
    recipient = (
        Recipient.objects.filter(document=document, organ_id=package.from_.organ_id).first()
        if document
        else None
    )
    if recipient is None:
        _refuse(
            message,
            "status_unknown_document",
            _("Gói tin trạng thái cho văn bản %(id)s không khớp văn bản đi nào.")
            % {"id": package.response_for.document_id},
        )
        return
    recipient.status_code = package.status_code
    recipient.status_at = package.timestamp
    recipient.status_description = (package.description or edxml.STATUS_CODES.get(package.status_code, ""))[
        :500
    ]
    recipient.save(update_fields=["status_code", "status_at", "status_description"])
    event(
        document,
        action="status_received",
        status_code=package.status_code,
        note=recipient.status_description,
        data={"organ_id": package.from_.organ_id, "organ": recipient.organ_name},
    )
    message.documents.add(document)
