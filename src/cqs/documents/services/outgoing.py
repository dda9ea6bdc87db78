"""Outgoing documents (văn bản đi): draft → review → signed → issued (numbered, sealed, sent).

Who does what (Decree 30/2020 Art. 11–18):

- a specialist with ``draft_document`` drafts, attaches the PDF and sends it to the signer;
- the competent person (``sign_document``, and named as the signer) signs with a personal
  PAdES signature, visible as Appendix I places it, or returns the draft;
- the clerk (``register_document``) issues it: the number is taken from the register book under
  a row lock, the organisation's seal signature is added (an invisible one, number and time only,
  on separate appendices), and it goes to every recipient: at once to units in the platform, and
  through the axis (edXML, via the outbox) to the others;
- an issued document can be recalled, updated or replaced (edXML BussinessDocType 1, 2, 3); the
  receivers are told the same way it reached them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core import signing as django_signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.core.exceptions import Conflict, Forbidden, ServiceError
from cqs.core.idempotency import client_token_clean, create_once
from cqs.core.outbox import outbox_enqueue_many
from cqs.documents import edxml
from cqs.documents.choices import (
    BussinessDocType,
    Channel,
    Direction,
    FileRole,
    OutgoingState,
    Secrecy,
    Urgency,
)
from cqs.documents.models import Document, Recipient
from cqs.documents.numbering import abbreviation_check, document_type_get, number_symbol
from cqs.documents.services.common import (
    audit,
    check_note,
    event,
    file_bytes,
    file_store,
    locked,
    main_file,
    may,
    now,
    require,
    search_text_build,
)
from cqs.documents.services.registers import register_number_take
from cqs.orgs.models import OrgUnit
from cqs.orgs.validators import validate_identifier

S = OutgoingState
SUBJECT_MAX = 500
# The signature field of the competent person; the seal's is "ChuKyCoQuan".
SIGNER_FIELD = "ChuKyNguoiKy"
SIGN_TOKEN_SALT = "cqs.documents.sign"  # noqa: S105 (a salt naming the purpose, not a secret)


@dataclass(frozen=True)
class RecipientSpec:
    """Where an outgoing document goes: a unit of the platform, or an organ reached by the axis."""

    unit_id: int | None = None
    organ_id: str = ""
    organ_name: str = ""


def _state(document: Document, *allowed: str) -> None:
    if document.state not in allowed:
        raise Conflict(
            "invalid_state",
            _("Văn bản đang ở trạng thái “%(state)s”, không thực hiện được thao tác này.")
            % {"state": document.get_state_display()},
        )


def _recipients_resolve(unit: OrgUnit, specs) -> list[Recipient]:
    today = timezone.localdate()
    resolved: list[Recipient] = []
    seen: set[str] = set()
    for spec in specs:
        if isinstance(spec, dict):
            spec = RecipientSpec(**spec)
        target = None
        if spec.unit_id is not None:
            target = OrgUnit.objects.filter(pk=spec.unit_id).first()
            if target is None:
                raise ServiceError("unknown_recipient", _("Không tìm thấy đơn vị nhận."), field="recipients")
        elif spec.organ_id:
            try:
                validate_identifier(spec.organ_id)
            except Exception:
                raise ServiceError(
                    "invalid_organ_id",
                    _("Mã định danh cơ quan nhận “%(code)s” không đúng dạng (ví dụ 000.00.00.H62).")
                    % {"code": spec.organ_id[:20]},
                    field="recipients",
                ) from None
            target = OrgUnit.objects.filter(identifier=spec.organ_id).first()
        else:
            raise ServiceError(
                "unknown_recipient", _("Nơi nhận phải có đơn vị hoặc mã cơ quan."), field="recipients"
            )
        if target is not None:
            if not target.is_valid_on(today):
                raise ServiceError(
                    "recipient_closed",
                    _("Đơn vị “%(name)s” đã chấm dứt hoạt động, không gửi văn bản đến được.")
                    % {"name": target.name},
                    field="recipients",
                )
            if target.pk == unit.pk:
                raise ServiceError(
                    "recipient_self", _("Không gửi văn bản cho chính đơn vị ban hành."), field="recipients"
                )
            key = f"unit:{target.pk}"
            recipient = Recipient(
                channel=Channel.INTERNAL,
                unit=target,
                organ_id=target.identifier or "",
                organ_name=target.name,
            )
        else:
            key = f"organ:{spec.organ_id}"
            name = (spec.organ_name or "").strip()
            if not name:
                raise ServiceError("organ_name_required", _("Nhập tên cơ quan nhận."), field="recipients")
            recipient = Recipient(channel=Channel.AXIS, organ_id=spec.organ_id, organ_name=name[:200])
        if key not in seen:
            seen.add(key)
            resolved.append(recipient)
    return resolved


@transaction.atomic
def outgoing_create(
    *,
    actor,
    unit: OrgUnit,
    type_code: str,
    subject: str,
    recipients=(),
    urgency: int = Urgency.NORMAL,
    secrecy: int = Secrecy.NONE,
    due_date=None,
    description: str = "",
    to_places: str = "",
    drafting_abbr: str = "",
    replaces: Document | None = None,
    bussiness_doc_type: int = BussinessDocType.NEW,
    bussiness_reason: str = "",
) -> Document:
    """Start a draft. ``recipients`` are ``RecipientSpec`` (or dicts with the same keys)."""
    require(actor, "draft_document", unit, _("Bạn không có quyền soạn văn bản đi của đơn vị này."))
    kind = document_type_get(type_code)
    subject = (subject or "").strip()
    if not subject:
        raise ServiceError("subject_required", _("Nhập trích yếu nội dung văn bản."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ServiceError("subject_too_long", _("Trích yếu dài quá 500 ký tự."), field="subject")
    if urgency not in Urgency.values:
        raise ServiceError("invalid_urgency", _("Độ khẩn không hợp lệ."), field="urgency")
    if secrecy not in Secrecy.values:
        raise ServiceError("invalid_secrecy", _("Độ mật không hợp lệ."), field="secrecy")
    drafting_abbr = (drafting_abbr or "").strip()
    if drafting_abbr:
        abbreviation_check(drafting_abbr, "drafting_abbr")
    document = Document(
        unit=unit,
        direction=Direction.OUTGOING,
        channel=Channel.INTERNAL,
        state=S.DRAFT,
        type_code=kind.code,
        type_name=kind.name,
        organ_id=unit.identifier or "",
        organ_name=unit.name,
        subject=subject,
        urgency=urgency,
        secrecy=secrecy,
        due_date=due_date,
        description=check_note(description, field="description"),
        to_places=(to_places or "").strip(),
        drafting_abbr=drafting_abbr or ("" if kind.abbreviation else "VP"),
        drafter=actor,
        created_by=actor,
        replaces=replaces,
        bussiness_doc_type=bussiness_doc_type,
        bussiness_reason=bussiness_reason[:500],
    )
    document.search_text = search_text_build(document)
    document.save()
    resolved = _recipients_resolve(unit, recipients)
    for recipient in resolved:
        recipient.document = document
    Recipient.objects.bulk_create(resolved)
    event(document, action="draft", actor=actor)
    audit(document, action="draft", actor=actor, after={"subject": subject, "type": kind.code})
    return document


def outgoing_create_once(*, actor, client_token: str, **fields) -> tuple[Document, bool]:
    """``outgoing_create`` for the API: with ``client_token`` (the request's Idempotency-Key) a
    repeated request returns the draft the first one made, ``(document, False)``."""
    client_token = client_token_clean(client_token)

    def create() -> Document:
        document = outgoing_create(actor=actor, **fields)
        if client_token:
            Document.objects.filter(pk=document.pk).update(client_token=client_token)
            document.client_token = client_token
        return document

    return create_once(Document, actor=actor, client_token=client_token, create=create)


@transaction.atomic
def outgoing_file_add(*, actor, document: Document, name: str, data: bytes, role: str = FileRole.MAIN):
    """Attach the draft PDF (``main``, replacing an earlier one) or an appendix."""
    document = locked(document)
    _state(document, S.DRAFT)
    if role not in (FileRole.MAIN, FileRole.APPENDIX):
        raise ServiceError("invalid_file_role", _("Loại tệp không hợp lệ."), field="role")
    if document.drafter_id != getattr(actor, "pk", None) and not may(actor, "draft_document", document.unit):
        raise Forbidden("document_forbidden", _("Bạn không sửa được dự thảo này."))
    previous = main_file(document) if role == FileRole.MAIN else None
    stored = file_store(document, name=name, data=data, role=role, actor=actor, supersedes=previous)
    event(document, action="file_added", actor=actor, data={"file": stored.name, "sha256": stored.sha256})
    audit(document, action="file_added", actor=actor, after={"file": stored.name, "sha256": stored.sha256})
    return stored


@transaction.atomic
def outgoing_submit(*, actor, document: Document, signer, note: str = "") -> Document:
    """Send the draft to the competent person for signature."""
    document = locked(document)
    _state(document, S.DRAFT)
    require(actor, "draft_document", document.unit, _("Bạn không có quyền trình ký văn bản của đơn vị này."))
    if main_file(document) is None:
        raise ServiceError("main_file_required", _("Dự thảo chưa có tệp văn bản (PDF)."), field="file")
    if not document.recipients.exists() and not document.to_places.strip():
        raise ServiceError("recipients_required", _("Văn bản chưa có nơi nhận."), field="recipients")
    if signer is None or not may(signer, "sign_document", document.unit):
        raise ServiceError(
            "invalid_signer", _("Người được trình không có thẩm quyền ký văn bản của đơn vị."), field="signer"
        )
    note = check_note(note)
    document.state = S.REVIEW
    document.signer = signer
    document.save(update_fields=["state", "signer", "updated_at"])
    event(document, action="submit", actor=actor, note=note, data={"signer": signer.pk})
    audit(document, action="submit", actor=actor, after={"signer": signer.pk})
    return document


def _signer_check(actor, document: Document) -> None:
    if document.signer_id != getattr(actor, "pk", None) or not may(actor, "sign_document", document.unit):
        raise Forbidden("not_the_signer", _("Văn bản này được trình cho người khác ký."))


@transaction.atomic
def outgoing_return(*, actor, document: Document, note: str) -> Document:
    """The signer sends the draft back with a reason."""
    document = locked(document)
    _state(document, S.REVIEW)
    _signer_check(actor, document)
    note = check_note(note, required=True)
    document.state = S.DRAFT
    document.save(update_fields=["state", "updated_at"])
    event(document, action="return", actor=actor, note=note)
    audit(document, action="return", actor=actor)
    return document


def _position(user) -> str:
    profile = getattr(user, "official_profile", None)
    return (getattr(profile, "position", "") or "")[:100]


@transaction.atomic
def outgoing_sign(
    *, actor, document: Document, competence: str = "", signed_pdf: bytes | None = None
) -> Document:
    """Sign the draft as the competent person (PAdES, visible signature per Appendix I).

    ``signed_pdf`` is the result of client-side signing with a USB token (``external_sign_finish``);
    without it the server signs with the person's certificate (the demo PKI).
    """
    from cqs.core.signing import SignatureStamp, pdf_sign, pdf_verify

    document = locked(document)
    _state(document, S.REVIEW)
    _signer_check(actor, document)
    draft = main_file(document)
    if draft is None:
        raise ServiceError("main_file_required", _("Dự thảo chưa có tệp văn bản (PDF)."), field="file")
    if signed_pdf is None:
        signed_pdf = pdf_sign(
            pdf=file_bytes(draft),
            unit=document.unit,
            signer=actor,
            reason=_("Ký ban hành"),
            field_name=SIGNER_FIELD,
            stamp=SignatureStamp(kind="person"),
            timestamp=True,
        )
    else:
        checks = pdf_verify(pdf=signed_pdf)
        if not checks or not all(c.intact and c.valid for c in checks):
            raise ServiceError("signature_invalid", _("Tệp đã ký không có chữ ký hợp lệ."), field="file")
    stored = file_store(
        document,
        name=draft.name,
        data=signed_pdf,
        role=FileRole.MAIN,
        actor=actor,
        signed=True,
        supersedes=draft,
    )
    document.state = S.SIGNED
    document.signer_name = (actor.full_name or actor.get_full_name() or actor.get_username())[:100]
    document.signer_position = _position(actor)
    document.signer_competence = (competence or "").strip()[:10]
    document.save(
        update_fields=["state", "signer_name", "signer_position", "signer_competence", "updated_at"]
    )
    event(document, action="sign", actor=actor, data={"sha256": stored.sha256})
    audit(document, action="sign", actor=actor, after={"sha256": stored.sha256})
    return document


def outgoing_sign_prepare(*, actor, document: Document):
    """Prepare the draft for the signer's USB token (the VGCA plug-in's ``vgca_sign_approved``).

    Returns ``PreparedSigning``: the bytes the token signs and a short-lived token to hand back to
    ``outgoing_sign_finish``. Nothing is stored on the document until then.
    """
    from cqs.core.signing import SignatureStamp
    from cqs.core.signing_external import external_sign_prepare

    document = Document.objects.select_related("unit").get(pk=document.pk)
    _state(document, S.REVIEW)
    _signer_check(actor, document)
    draft = main_file(document)
    if draft is None:
        raise ServiceError("main_file_required", _("Dự thảo chưa có tệp văn bản (PDF)."), field="file")
    prepared = external_sign_prepare(
        pdf=file_bytes(draft),
        user=actor,
        unit=document.unit,
        reason=_("Ký ban hành"),
        field_name=SIGNER_FIELD,
        stamp=SignatureStamp(kind="person"),
        timestamp=True,
    )
    # The token names the document and the draft it was prepared for: finishing on another one
    # (or after the draft changed) is refused.
    bound = django_signing.dumps(
        {"t": prepared.token, "d": document.pk, "f": draft.sha256}, salt=SIGN_TOKEN_SALT
    )
    return dataclasses.replace(prepared, token=bound)


@transaction.atomic
def outgoing_sign_finish(
    *, actor, document: Document, token: str, signature: bytes, certificate_pem: bytes, competence: str = ""
) -> Document:
    """Embed the token's signature and sign the draft (``outgoing_sign`` with the signed PDF).

    The signed PDF must be the current draft plus the signature (an incremental update), so a
    token prepared for another document or an older draft is refused.
    """
    from cqs.core.signing_external import external_sign_finish

    locked_document = locked(document)
    _state(locked_document, S.REVIEW)
    _signer_check(actor, locked_document)
    draft = main_file(locked_document)
    try:
        bound = django_signing.loads(token, salt=SIGN_TOKEN_SALT)
    except django_signing.BadSignature:
        bound = {}
    if (
        not isinstance(bound, dict)
        or draft is None
        or (bound.get("d"), bound.get("f")) != (document.pk, draft.sha256)
    ):
        raise ServiceError(
            "signed_other_document",
            _("Mã ký không dành cho bản dự thảo hiện tại của văn bản này; hãy chuẩn bị ký lại."),
            field="token",
        )
    signed = external_sign_finish(token=bound["t"], signature=signature, certificate_pem=certificate_pem)
    if not signed.startswith(file_bytes(draft)):
        raise ServiceError(
            "signed_other_document",
            _("Tệp đã ký không phải bản dự thảo hiện tại của văn bản này."),
            field="token",
        )
    return outgoing_sign(actor=actor, document=locked_document, competence=competence, signed_pdf=signed)


def _seal(document: Document, actor) -> None:
    """The organisation's signatures: visible seal on the document, number-and-time on appendices."""
    from cqs.core.signing import SignatureStamp, pdf_sign

    for stored in list(document.files.filter(current=True, role__in=[FileRole.MAIN, FileRole.APPENDIX])):
        if stored.role == FileRole.MAIN:
            stamp = SignatureStamp(kind="seal")
            field = "ChuKyCoQuan"
        else:
            stamp = SignatureStamp(kind="text", page=0, text=(document.number_symbol,))
            field = "ChuKyCoQuanPhuLuc"
        signed = pdf_sign(
            pdf=file_bytes(stored),
            unit=document.unit,
            reason=_("Phát hành văn bản %(number)s") % {"number": document.number_symbol},
            field_name=field,
            stamp=stamp,
            timestamp=True,
        )
        file_store(
            document,
            name=stored.name,
            data=signed,
            role=stored.role,
            actor=actor,
            signed=True,
            supersedes=stored,
        )


@transaction.atomic
def outgoing_issue(*, actor, document: Document) -> Document:
    """Number, seal and send the signed document (the clerk's step)."""
    document = locked(document)
    _state(document, S.SIGNED)
    require(actor, "register_document", document.unit, _("Chỉ văn thư của đơn vị phát hành văn bản."))
    today = timezone.localdate()
    kind = document_type_get(document.type_code)
    issuer = document.unit.short_name or "UBND"
    drafter = document.drafting_abbr or "VP"
    book, number = register_number_take(
        unit=document.unit, year=today.year, direction=Direction.OUTGOING, secrecy=document.secrecy
    )
    full = number_symbol(number=number, type_code=kind.code, issuer=issuer, drafter=drafter)
    document.register = book
    document.ordinal = number
    document.code_number, document.code_notation = full.split("/", 1)
    document.issued_date = today
    document.document_id = edxml.document_id_make(
        document.organ_id or "000.00.00.H62", today, number, document.code_notation
    )
    document.state = S.ISSUED
    document.issued_amount = document.recipients.count() or None
    from cqs.documents.search import attachment_text_extract  # search imports the services

    stored = main_file(document)
    text = attachment_text_extract(file_bytes(stored)) if stored else ""
    document.search_text = search_text_build(document, text)
    document.save()
    _seal(document, actor)
    event(document, action="issue", actor=actor, data={"number": document.number_symbol, "register": book.pk})
    sent = _dispatch(document, actor)
    audit(document, action="issue", actor=actor, after={"number": document.number_symbol, "recipients": sent})
    if document.replaces_id:
        _supersede_notify(document, actor)
    return document


def _dispatch(document: Document, actor) -> int:
    """Deliver to platform units now; queue the axis package for the others."""
    from cqs.documents.services.incoming import deliver_internal

    moment = now()
    internal = list(document.recipients.filter(channel=Channel.INTERNAL).select_related("unit"))
    deliver_internal(document, internal, at=moment)
    external = list(document.recipients.filter(channel=Channel.AXIS))
    if external:
        Recipient.objects.filter(pk__in=[r.pk for r in external]).update(sent_at=moment)
        outbox_enqueue_many(
            [
                (
                    "documents.axis.edoc",
                    {"document": document.pk, "recipients": [r.pk for r in external]},
                    f"documents.edoc:{document.pk}:{document.bussiness_doc_type}",
                )
            ]
        )
    return len(internal) + len(external)


@transaction.atomic
def outgoing_recall(*, actor, document: Document, reason: str) -> Document:
    """Recall an issued document (BussinessDocType 1): it is frozen here, and each receiver is told.

    Receivers in the platform lose the document at once (Art. 18.4: the receiver destroys it,
    the recall is kept); receivers on the axis get an edXML recall and answer with 15 or 16.
    """
    from cqs.documents.services.incoming import recall_internal

    document = locked(document)
    _state(document, S.ISSUED)
    if not (may(actor, "sign_document", document.unit) or may(actor, "register_document", document.unit)):
        raise Forbidden("document_forbidden", _("Bạn không có quyền thu hồi văn bản của đơn vị này."))
    reason = check_note(reason, required=True, field="reason")
    document.state = S.RECALLED
    document.bussiness_reason = reason[:500]
    document.save(update_fields=["state", "bussiness_reason", "updated_at"])
    recall_internal(document, reason=reason, actor=actor)
    external = list(document.recipients.filter(channel=Channel.AXIS).values_list("pk", flat=True))
    if external:
        outbox_enqueue_many(
            [
                (
                    "documents.axis.edoc",
                    {"document": document.pk, "recipients": external, "bussiness": BussinessDocType.RECALL},
                    f"documents.edoc:{document.pk}:{BussinessDocType.RECALL}",
                )
            ]
        )
    event(document, action="recall", actor=actor, note=reason)
    audit(document, action="recall", actor=actor, after={"reason": reason})
    return document


@transaction.atomic
def outgoing_supersede(*, actor, document: Document, kind: int, reason: str) -> Document:
    """Start the draft that updates (2) or replaces (3) an issued document, to the same recipients."""
    document = locked(document)
    _state(document, S.ISSUED)
    if kind not in (BussinessDocType.UPDATE, BussinessDocType.REPLACE):
        raise ServiceError("invalid_bussiness_type", _("Chỉ cập nhật hoặc thay thế văn bản."), field="kind")
    reason = check_note(reason, required=True, field="reason")
    recipients = [
        RecipientSpec(unit_id=r.unit_id)
        if r.unit_id
        else RecipientSpec(organ_id=r.organ_id, organ_name=r.organ_name)
        for r in document.recipients.all()
    ]
    draft = outgoing_create(
        actor=actor,
        unit=document.unit,
        type_code=document.type_code,
        subject=document.subject,
        recipients=recipients,
        urgency=document.urgency,
        secrecy=document.secrecy,
        due_date=document.due_date,
        to_places=document.to_places,
        replaces=document,
        bussiness_doc_type=kind,
        bussiness_reason=reason,
    )
    event(
        document, action="supersede_started", actor=actor, note=reason, data={"draft": draft.pk, "kind": kind}
    )
    return draft


def _supersede_notify(document: Document, actor) -> None:
    """The receivers' copies of the document it updates or replaces point at the new one."""
    old = document.replaces
    for copy in Document.objects.filter(source=old):
        event(
            copy,
            action="replaced" if document.bussiness_doc_type == BussinessDocType.REPLACE else "updated",
            note=document.bussiness_reason,
            data={"by": document.number_symbol},
        )
    event(old, action="superseded", actor=actor, data={"by": document.pk, "number": document.number_symbol})
