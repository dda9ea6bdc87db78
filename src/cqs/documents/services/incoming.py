"""Incoming documents (văn bản đến): arrived (01) → registered (03) → assigned (04) → processing
(05) → completed (06), or rejected (02); recalled by the sender (15).

Each step is reported to the sender as the edXML status code: at once for a document sent from
another unit of the platform (its ``Recipient`` row), through the axis (a status package queued
in the outbox) for one that came from outside.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.documents.choices import (
    AssignmentRole,
    Channel,
    Direction,
    FileRole,
    IncomingStatus,
    Secrecy,
    Urgency,
)
from cqs.documents.models import Assignment, Document, DocumentEvent, DocumentFile, Recipient
from cqs.documents.numbering import document_type_get
from cqs.documents.services.common import (
    audit,
    check_note,
    event,
    file_bytes,
    file_copy,
    file_store,
    locked,
    may,
    now,
    pdf_checked,
    require,
    search_text_build,
)
from cqs.documents.services.registers import duplicate_refuse, register_number_take

St = IncomingStatus
STATUS_TEXT = {
    St.ARRIVED: "Đã đến",
    St.REJECTED: "Từ chối tiếp nhận",
    St.REGISTERED: "Đã vào sổ văn bản đến",
    St.ASSIGNED: "Đã phân công xử lý",
    St.PROCESSING: "Đang xử lý",
    St.COMPLETED: "Đã hoàn thành xử lý",
    St.RECALLED: "Đồng ý thu hồi",
}


def _status(document: Document, *allowed: str) -> None:
    if document.status not in allowed:
        raise Conflict(
            "invalid_state",
            _("Văn bản đang ở trạng thái “%(state)s”, không thực hiện được thao tác này.")
            % {"state": document.get_status_display()},
        )


def signature_report(pdf: bytes) -> list[dict]:
    """What the clerk is shown about the signatures of a PDF (signer, time, integrity, trust)."""
    from cqs.core.signing import pdf_verify

    try:
        checks = pdf_verify(pdf=pdf)
    except ServiceError:
        return [{"error": "invalid_pdf"}]
    return [
        {
            "signer": c.signer_cn,
            "organization": getattr(c, "signer_organization", ""),
            "kind": getattr(c, "signer_kind", ""),
            "signing_time": c.signing_time.isoformat() if c.signing_time else None,
            "timestamp_time": c.timestamp_time.isoformat() if getattr(c, "timestamp_time", None) else None,
            "intact": c.intact,
            "valid": c.valid,
            "trusted": c.trusted,
            "whole_file": c.covers_whole_file,
        }
        for c in checks
    ]


def signatures_ok(report: list[dict]) -> bool:
    return bool(report) and all(r.get("intact") and r.get("valid") for r in report)


def status_report(document: Document, code: str, *, actor=None, description: str = "") -> None:
    """Tell the sender that ``document`` reached ``code`` (in the caller's transaction)."""
    text = description or STATUS_TEXT.get(code, "")
    moment = now()
    if document.source_id:
        Recipient.objects.filter(delivery=document).update(
            status_code=code, status_at=moment, status_description=text[:500]
        )
    elif document.channel == Channel.AXIS and document.organ_id:
        from cqs.documents.exchange import status_enqueue, status_payload

        staff = ""
        if actor is not None and actor.is_authenticated:
            staff = actor.full_name or actor.get_full_name() or actor.get_username()
        payload = status_payload(document, code, description=text, at=moment, staff=staff)
        status_enqueue(payload, key=f"{document.pk}:{code}:{moment.timestamp():.6f}")


def _incoming_from(source: Document, unit, *, at) -> Document:
    copy = Document(
        unit=unit,
        direction=Direction.INCOMING,
        channel=Channel.INTERNAL,
        status=St.ARRIVED,
        source=source,
        arrival_date=at,
    )
    for field in (
        "type_code", "type_name", "code_number", "code_notation", "issued_date", "organ_id", "organ_name",
        "subject", "language", "page_amount", "signer_competence", "signer_position", "signer_name",
        "urgency", "secrecy", "issued_amount", "due_date", "to_places", "document_id",
        "bussiness_doc_type", "bussiness_reason",
    ):  # fmt: skip
        setattr(copy, field, getattr(source, field))
    copy.search_text = source.search_text
    return copy


def deliver_internal(source: Document, recipients: list[Recipient], *, at) -> list[Document]:
    """The receiving units' incoming records of ``source``, with its files and signature check."""
    if not recipients:
        return []
    files = list(source.files.filter(current=True, role__in=[FileRole.MAIN, FileRole.APPENDIX]))
    main = next((f for f in files if f.role == FileRole.MAIN), None)
    report = signature_report(file_bytes(main)) if main is not None else []
    copies = []
    for recipient in recipients:
        copy = _incoming_from(source, recipient.unit, at=at)
        copy.signature_report = report
        copy.save()
        for stored in files:
            file_copy(stored, copy)
        event(copy, action="arrived", status_code=St.ARRIVED, data={"from": source.organ_name})
        recipient.delivery = copy
        recipient.sent_at = at
        recipient.status_code = St.ARRIVED
        recipient.status_at = at
        recipient.status_description = STATUS_TEXT[St.ARRIVED]
        recipient.save(
            update_fields=["delivery", "sent_at", "status_code", "status_at", "status_description"]
        )
        copies.append(copy)
    return copies


def recall_internal(source: Document, *, reason: str, actor) -> int:
    """Receivers in the platform lose the recalled document's files; its record and trace stay."""
    count = 0
    for copy in Document.objects.select_for_update().filter(source=source).exclude(status=St.RECALLED):
        _recall(copy, reason=reason)
        count += 1
    Recipient.objects.filter(document=source, channel=Channel.INTERNAL).update(
        status_code=St.RECALLED, status_at=now(), status_description=STATUS_TEXT[St.RECALLED]
    )
    return count


def _recall(copy: Document, *, reason: str) -> None:
    copy.status = St.RECALLED
    copy.save(update_fields=["status", "updated_at"])
    DocumentFile.objects.filter(document=copy).update(current=False)
    Assignment.objects.filter(document=copy, active=True).update(active=False)
    event(copy, action="recalled", status_code=St.RECALLED, note=reason)
    audit(copy, action="recalled", after={"reason": reason})


@transaction.atomic
def incoming_recall_by_sender(*, document: Document, reason: str) -> Document:
    """The sender (through the axis) recalls a document it sent us: we agree (15) and drop it."""
    document = locked(document)
    if document.status in (St.RECALLED,):
        return document
    _recall(document, reason=reason)
    status_report(document, St.RECALLED)
    return document


@transaction.atomic
def incoming_receive(
    *,
    unit,
    channel: str,
    meta: dict,
    files: list[tuple[str, bytes, str]],
    actor=None,
    signature_checks: list[dict] | None = None,
) -> Document:
    """Record a document arriving at ``unit`` (status 01): from the axis or scanned from paper.

    ``meta`` holds the Appendix VI fields by model name (``code_number``, ``organ_name``…);
    ``files`` are ``(name, bytes, role)``; each PDF is checked and its signatures verified.
    """
    document = Document(
        unit=unit,
        direction=Direction.INCOMING,
        channel=channel,
        status=St.ARRIVED,
        arrival_date=now(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _meta_apply(document, meta)
    checked = [(pdf_checked(name=name, data=data), name, data, role) for name, data, role in files]
    if not any(role == FileRole.MAIN for *_x, role in checked):
        raise ServiceError("main_file_required", _("Văn bản đến phải có tệp văn bản (PDF)."), field="file")
    report = list(signature_checks or [])
    for _checked, _name, data, role in checked:
        if role == FileRole.MAIN:
            report = signature_report(data) + report
            break
    document.signature_report = report
    from cqs.documents.search import attachment_text_extract  # search imports the services

    main_data = next((data for _c, _n, data, role in checked if role == FileRole.MAIN), b"")
    document.search_text = search_text_build(document, attachment_text_extract(main_data))
    document.save()
    for check, name, data, role in checked:
        file_store(document, name=name, data=data, role=role, actor=actor, checked=check)
    event(document, action="arrived", actor=actor, status_code=St.ARRIVED, data={"channel": channel})
    audit(
        document, action="arrived", actor=actor, after={"channel": channel, "number": document.number_symbol}
    )
    return document


def _meta_apply(document: Document, meta: dict) -> None:
    type_code = meta.get("type_code") or "CV"
    try:
        kind = document_type_get(type_code)
        document.type_code, document.type_name = kind.code, meta.get("type_name") or kind.name
    except ServiceError:
        document.type_code, document.type_name = "KHAC", (meta.get("type_name") or type_code)[:100]
    subject = (meta.get("subject") or "").strip()
    if not subject:
        raise ServiceError("subject_required", _("Nhập trích yếu nội dung văn bản."), field="subject")
    organ_name = (meta.get("organ_name") or "").strip()
    if not organ_name:
        raise ServiceError("organ_name_required", _("Nhập tên cơ quan ban hành."), field="organ_name")
    urgency = int(meta.get("urgency") or 0)
    secrecy = int(meta.get("secrecy") or 0)
    if urgency not in Urgency.values:
        raise ServiceError("invalid_urgency", _("Độ khẩn không hợp lệ."), field="urgency")
    if secrecy not in Secrecy.values:
        raise ServiceError("invalid_secrecy", _("Độ mật không hợp lệ."), field="secrecy")
    document.subject = subject[:500]
    document.organ_name = organ_name[:200]
    document.organ_id = (meta.get("organ_id") or "")[:13]
    document.code_number = str(meta.get("code_number") or "")[:11]
    document.code_notation = (meta.get("code_notation") or "")[:30]
    document.issued_date = meta.get("issued_date")
    document.signer_position = (meta.get("signer_position") or "")[:100]
    document.signer_name = (meta.get("signer_name") or "")[:100]
    document.signer_competence = (meta.get("signer_competence") or "")[:10]
    document.urgency = urgency
    document.secrecy = secrecy
    document.due_date = meta.get("due_date")
    document.to_places = meta.get("to_places") or ""
    document.page_amount = int(meta.get("page_amount") or 1)
    document.document_id = (meta.get("document_id") or "")[:120]
    document.description = (meta.get("description") or "")[:4000]
    document.bussiness_doc_type = int(meta.get("bussiness_doc_type") or 0)


@transaction.atomic
def incoming_scan(
    *, actor, unit, meta: dict, files: list[tuple[str, bytes, str]], confirm_duplicate: bool = False
) -> Document:
    """A paper document, scanned by the clerk: recorded and registered in one step."""
    require(actor, "register_document", unit, _("Chỉ văn thư vào sổ văn bản đến của đơn vị."))
    if not (meta.get("code_number") or "").strip():
        raise ServiceError("code_number_required", _("Nhập số của văn bản."), field="code_number")
    document = incoming_receive(unit=unit, channel=Channel.PAPER, meta=meta, files=files, actor=actor)
    return incoming_register(actor=actor, document=document, confirm_duplicate=confirm_duplicate)


@transaction.atomic
def incoming_register(
    *, actor, document: Document, confirm_duplicate: bool = False, handling_due_date: date | None = None
) -> Document:
    """Give the arrival number (Art. 22) and register the document (03)."""
    document = locked(document)
    _status(document, St.ARRIVED)
    require(actor, "register_document", document.unit, _("Chỉ văn thư vào sổ văn bản đến của đơn vị."))
    if not confirm_duplicate:
        duplicate_refuse(document)
    today = timezone.localdate()
    book, number = register_number_take(
        unit=document.unit, year=today.year, direction=Direction.INCOMING, secrecy=document.secrecy
    )
    document.register = book
    document.ordinal = number
    document.status = St.REGISTERED
    document.handling_due_date = handling_due_date or document.due_date
    document.save(update_fields=["register", "ordinal", "status", "handling_due_date", "updated_at"])
    event(
        document, action="register", actor=actor, status_code=St.REGISTERED, data={"arrival_number": number}
    )
    status_report(document, St.REGISTERED, actor=actor)
    audit(document, action="register", actor=actor, after={"arrival_number": number, "register": book.pk})
    return document


BATCH_MAX = 500


def _duplicate_key(document: Document) -> tuple | None:
    if not document.code_number:
        return None
    issuer = ("id", document.organ_id) if document.organ_id else ("name", document.organ_name.lower())
    bare = document.code_number.strip().lstrip("0") or "0"
    return (document.unit_id, issuer, bare, document.code_notation.lower())


def _duplicates_in(documents: list[Document]) -> dict[int, Document]:
    """For each document of the batch already registered by its unit (or earlier in the batch),
    the registered twin: one query for the whole batch."""
    keys = {d.pk: _duplicate_key(d) for d in documents}
    numbers = {k[2] for k in keys.values() if k} | {k[2].zfill(2) for k in keys.values() if k}
    twins: dict[tuple, Document] = {}
    if numbers:
        candidates = (
            Document.objects.filter(
                direction=Direction.INCOMING,
                unit_id__in={d.unit_id for d in documents},
                code_number__in=numbers,
            )
            .exclude(status__in=[St.ARRIVED, St.REJECTED, St.RECALLED])
            .only("pk", "unit_id", "organ_id", "organ_name", "code_number", "code_notation", "ordinal")
        )
        for twin in candidates:
            twins.setdefault(_duplicate_key(twin), twin)
    found = {}
    for document in documents:
        key = keys[document.pk]
        if key is None:
            continue
        if key in twins:
            found[document.pk] = twins[key]
        else:
            twins[key] = document  # a second copy later in the same batch is a duplicate of this one
    return found


@transaction.atomic
def incoming_register_many(*, actor, documents, confirm_duplicate: bool = False) -> list[Document]:
    """Register a batch of arrived documents at once (the clerk's "vào sổ các văn bản đã chọn").

    All or nothing: one refused document (not arrived, another unit's, a duplicate not confirmed)
    refuses the batch with its reason and writes nothing. Arrival numbers follow the arrival order;
    each document gets its history row, its status 03 to the sender and its audit event, as one by
    one, with a few statements for the whole batch.
    """
    from cqs.audit.services import audit_record_many
    from cqs.core.outbox import outbox_enqueue_many
    from cqs.documents.exchange import status_payload

    pks = [d.pk if isinstance(d, Document) else int(d) for d in documents]
    if not pks:
        raise ServiceError("nothing_selected", _("Chưa chọn văn bản nào."), field="documents")
    if len(pks) > BATCH_MAX:
        raise ServiceError(
            "batch_too_large", _("Mỗi lần vào sổ tối đa %(n)s văn bản.") % {"n": BATCH_MAX}, field="documents"
        )
    batch = list(
        Document.objects.select_for_update()
        .select_related("unit")
        .filter(pk__in=pks)
        .order_by("arrival_date", "pk")
    )
    if len(batch) != len(set(pks)):
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    for document in batch:
        _status(document, St.ARRIVED)
        require(actor, "register_document", document.unit, _("Chỉ văn thư vào sổ văn bản đến của đơn vị."))
    if not confirm_duplicate:
        twins = _duplicates_in(batch)
        if twins:
            document = next(d for d in batch if d.pk in twins)
            twin = twins[document.pk]
            raise Conflict(
                "duplicate_document",
                _(
                    "Văn bản số %(number)s của %(issuer)s đã có trong sổ (số đến %(arrival)s). "
                    "Kiểm tra lại, hoặc xác nhận vào sổ lần nữa."
                )
                % {
                    "number": document.number_symbol,
                    "issuer": document.organ_name,
                    "arrival": twin.ordinal or "–",
                },
                field="documents",
            )
    moment = now()
    today = timezone.localdate()
    groups: dict[tuple, list[Document]] = {}
    for document in batch:
        groups.setdefault((document.unit_id, document.secrecy != Secrecy.NONE), []).append(document)
    for group in groups.values():
        book, first = register_number_take(
            unit=group[0].unit,
            year=today.year,
            direction=Direction.INCOMING,
            secrecy=group[0].secrecy,
            count=len(group),
        )
        for offset, document in enumerate(group):
            document.register, document.ordinal = book, first + offset
    for document in batch:
        document.status = St.REGISTERED
        document.handling_due_date = document.due_date
        document.updated_at = moment
    Document.objects.bulk_update(batch, ["register", "ordinal", "status", "handling_due_date", "updated_at"])
    DocumentEvent.objects.bulk_create(
        [
            DocumentEvent(
                document=d, at=moment, actor=actor, action="register", status_code=St.REGISTERED,
                data={"arrival_number": d.ordinal},
            )
            for d in batch
        ]
    )  # fmt: skip
    text = STATUS_TEXT[St.REGISTERED]
    internal = [d.pk for d in batch if d.source_id]
    if internal:
        Recipient.objects.filter(delivery_id__in=internal).update(
            status_code=St.REGISTERED, status_at=moment, status_description=text
        )
    staff = actor.full_name or actor.get_full_name() or actor.get_username()
    outbox_enqueue_many(
        [
            (
                "documents.axis.status",
                status_payload(d, St.REGISTERED, description=text, at=moment, staff=staff),
                f"documents.status:{d.pk}:{St.REGISTERED}:{moment.timestamp():.6f}",
            )
            for d in batch
            if not d.source_id and d.channel == Channel.AXIS and d.organ_id
        ]
    )
    audit_record_many(
        [
            {
                "action": "documents.register",
                "obj": d,
                "actor": actor,
                "after": {"arrival_number": d.ordinal, "register": d.register.pk},
            }
            for d in batch
        ]
    )
    return batch


@transaction.atomic
def incoming_reject(*, actor, document: Document, reason: str) -> Document:
    """Refuse a document that arrived (wrong recipient, unreadable, signature invalid): 02."""
    document = locked(document)
    _status(document, St.ARRIVED)
    require(actor, "register_document", document.unit, _("Chỉ văn thư từ chối tiếp nhận văn bản đến."))
    return reject(document, reason=check_note(reason, required=True, field="reason"), actor=actor)


def reject(document: Document, *, reason: str, actor=None) -> Document:
    """Mark an arrived document rejected (02), append it, tell the sender why; the caller holds
    the row and has checked who may (a clerk, or the axis intake for a broken signature)."""
    document.status = St.REJECTED
    document.save(update_fields=["status", "updated_at"])
    event(document, action="reject", actor=actor, status_code=St.REJECTED, note=reason)
    status_report(document, St.REJECTED, actor=actor, description=reason)
    audit(document, action="reject", actor=actor, after={"reason": reason})
    return document


def _handler_check(user, document: Document, field: str) -> None:
    if user is None or not may(user, "handle_document", document.unit):
        raise ServiceError(
            "invalid_handler",
            _("Người được giao không xử lý được văn bản của đơn vị này."),
            field=field,
        )


@transaction.atomic
def incoming_assign(
    *,
    actor,
    document: Document,
    lead,
    co=(),
    info=(),
    due_date: date | None = None,
    instruction: str = "",
) -> Document:
    """The leader names the lead handler, co-handlers, who is informed, and the deadline (Art. 23)."""
    document = locked(document)
    _status(document, St.REGISTERED, St.ASSIGNED, St.PROCESSING)
    require(actor, "assign_document", document.unit, _("Chỉ lãnh đạo đơn vị phân công xử lý văn bản."))
    _handler_check(lead, document, "lead")
    co = [u for u in co if u.pk != lead.pk]
    for user in co:
        _handler_check(user, document, "co")
    if due_date is not None and due_date < timezone.localdate():
        raise ServiceError("due_in_past", _("Hạn xử lý không được trước hôm nay."), field="due_date")
    instruction = check_note(instruction, field="instruction")
    Assignment.objects.filter(document=document, active=True).update(active=False)
    rows = [
        Assignment(
            document=document, user=lead, role=AssignmentRole.LEAD, due_date=due_date, assigned_by=actor
        )
    ]
    rows += [
        Assignment(document=document, user=u, role=AssignmentRole.CO, due_date=due_date, assigned_by=actor)
        for u in co
    ]
    done = {lead.pk, *(u.pk for u in co)}
    rows += [
        Assignment(document=document, user=u, role=AssignmentRole.INFO, assigned_by=actor)
        for u in info
        if u.pk not in done
    ]
    Assignment.objects.bulk_create(rows)
    document.lead_handler = lead
    document.handling_due_date = due_date or document.handling_due_date
    document.instruction = instruction
    first = document.status == St.REGISTERED
    document.status = St.ASSIGNED if first else document.status
    document.save(update_fields=["lead_handler", "handling_due_date", "instruction", "status", "updated_at"])
    event(
        document,
        action="assign",
        actor=actor,
        status_code=St.ASSIGNED,
        note=instruction,
        data={
            "lead": lead.pk,
            "co": [u.pk for u in co],
            "due_date": due_date.isoformat() if due_date else None,
        },
    )
    if first:
        status_report(document, St.ASSIGNED, actor=actor)
    audit(document, action="assign", actor=actor, after={"lead": lead.pk, "co": [u.pk for u in co]})
    return document


def _is_handler(user, document: Document) -> bool:
    return Assignment.objects.filter(
        document=document, user=user, active=True, role__in=[AssignmentRole.LEAD, AssignmentRole.CO]
    ).exists()


@transaction.atomic
def incoming_opinion(*, actor, document: Document, note: str) -> Document:
    """A handler records a step or opinion; the first one moves the document to processing (05)."""
    document = locked(document)
    _status(document, St.ASSIGNED, St.PROCESSING)
    if not (_is_handler(actor, document) or may(actor, "assign_document", document.unit)):
        raise Forbidden("not_a_handler", _("Bạn không được giao xử lý văn bản này."))
    note = check_note(note, required=True)
    started = document.status == St.ASSIGNED
    if started:
        document.status = St.PROCESSING
        document.save(update_fields=["status", "updated_at"])
    event(document, action="opinion", actor=actor, status_code=St.PROCESSING if started else "", note=note)
    if started:
        status_report(document, St.PROCESSING, actor=actor)
    audit(document, action="opinion", actor=actor)
    return document


@transaction.atomic
def incoming_complete(*, actor, document: Document, note: str = "") -> Document:
    """The lead handler closes the document (06); the sender is told."""
    document = locked(document)
    _status(document, St.ASSIGNED, St.PROCESSING)
    if document.lead_handler_id != getattr(actor, "pk", None) and not may(
        actor, "assign_document", document.unit
    ):
        raise Forbidden("not_the_lead", _("Chỉ người chủ trì xử lý hoàn thành văn bản."))
    note = check_note(note)
    document.status = St.COMPLETED
    document.completed_at = now()
    document.save(update_fields=["status", "completed_at", "updated_at"])
    Assignment.objects.filter(document=document, active=True).update(active=False)
    event(document, action="complete", actor=actor, status_code=St.COMPLETED, note=note)
    status_report(document, St.COMPLETED, actor=actor)
    audit(document, action="complete", actor=actor)
    return document
