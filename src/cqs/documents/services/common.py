"""What every documents service shares: locking, permission checks, history, files, search text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.audit.services import audit_record
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.documents.choices import FileRole
from cqs.documents.models import Document, DocumentEvent, DocumentFile

NOTE_MAX = 4000
MAX_FILES = 20
# A scanned or signed document may be large; the general upload limit applies unless larger.
PDF_MAX_MB = 50


def now():
    return timezone.now()


def may(user, permission: str, unit) -> bool:
    return user is not None and user.is_active and has_unit_permission(user, f"documents.{permission}", unit)


def require(user, permission: str, unit, message: str) -> None:
    if not may(user, permission, unit):
        raise Forbidden("document_forbidden", message)


def locked(document: Document | int) -> Document:
    """The document's row, locked for the rest of the transaction."""
    pk = document.pk if isinstance(document, Document) else document
    try:
        return Document.objects.select_for_update().select_related("unit").get(pk=pk)
    except Document.DoesNotExist:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản.")) from None


def event(document: Document, *, action: str, actor=None, status_code: str = "", note: str = "", data=None):
    return DocumentEvent.objects.create(
        document=document,
        at=now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        status_code=status_code,
        note=note[:NOTE_MAX],
        data=data or {},
    )


def audit(document: Document, *, action: str, actor=None, before=None, after=None) -> None:
    audit_record(action=f"documents.{action}", obj=document, actor=actor, before=before, after=after)


def check_note(note: str, *, required: bool = False, field: str = "note") -> str:
    note = (note or "").strip()
    if required and not note:
        raise ServiceError("note_required", _("Vui lòng nhập ý kiến hoặc lý do."), field=field)
    if len(note) > NOTE_MAX:
        raise ServiceError("note_too_long", _("Ý kiến dài quá 4000 ký tự."), field=field)
    return note


def pdf_checked(*, name: str, data: bytes):
    """A PDF upload checked by content (and by ClamAV when configured); other kinds are refused."""
    from django.conf import settings

    from cqs.core.uploads import upload_check

    limit = max(settings.CQS_UPLOAD_MAX_MB, PDF_MAX_MB) * 1024 * 1024
    return upload_check(name=name, data=data, allowed=("pdf",), max_bytes=limit)


def file_store(
    document: Document,
    *,
    name: str,
    data: bytes,
    role: str,
    actor=None,
    signed: bool = False,
    supersedes: DocumentFile | None = None,
    checked=None,
) -> DocumentFile:
    """Keep ``data`` as a file of ``document``; ``supersedes`` marks the older version not current."""
    if checked is None:
        checked = pdf_checked(name=name, data=data)
    if document.files.filter(current=True).count() >= MAX_FILES and supersedes is None:
        raise ServiceError(
            "too_many_files", _("Mỗi văn bản có tối đa %(n)s tệp.") % {"n": MAX_FILES}, field="file"
        )
    stored = DocumentFile(
        document=document,
        role=role,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        signed=signed,
        supersedes=supersedes,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    stored.file.save(f"{checked.sha256[:16]}.{checked.kind}", ContentFile(data), save=False)
    stored.save()
    if supersedes is not None:
        DocumentFile.objects.filter(pk=supersedes.pk).update(current=False)
    return stored


def file_copy(source: DocumentFile, document: Document) -> DocumentFile:
    """Share an immutable stored file with another document (a delivery in the platform)."""
    return DocumentFile.objects.create(
        document=document,
        role=source.role,
        file=source.file.name,
        name=source.name,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        signed=source.signed,
    )


def file_bytes(stored: DocumentFile) -> bytes:
    """The file's bytes, checked against the SHA-256 recorded when it was stored."""
    with stored.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise Conflict(
            "file_integrity", _("Tệp %(name)s đã bị thay đổi sau khi lưu.") % {"name": stored.name}
        )
    return data


def main_file(document: Document) -> DocumentFile | None:
    return document.files.filter(role=FileRole.MAIN, current=True).order_by("-pk").first()


def _fold_slow(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d")


# Every precomposed Latin letter (Vietnamese included) folded once: str.translate() is some
# twenty times faster than the per-character loop, which indexing a million documents feels.
_FOLD_TABLE = {
    code: _fold_slow(chr(code)) for code in range(0x00C0, 0x1F00) if _fold_slow(chr(code)) != chr(code)
}


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: "Quyết định" → "quyet dinh" (đ → d)."""
    text = text.lower().translate(_FOLD_TABLE)
    # Decomposed input (combining marks typed or pasted separately) takes the general path.
    return text if text.isascii() else _fold_slow(text)


# A search word: letters and digits. Both engines then split the stored text the same way (on
# spaces): PostgreSQL's parser would otherwise index "01/QĐ-UBND" as '01/q' and 'đ-ubnd'.
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of ``text`` as the search index holds them: NFC, lower case, letters and digits."""
    return _WORD.findall(unicodedata.normalize("NFC", (text or "").lower()))


def search_text_build(document: Document, extra: str = "") -> str:
    """The searchable text: the exact words first, then the same words folded (no diacritics).

    ``extra`` is more text to find the document by (the attachment's text). Keeping the exact
    words lets a query typed with diacritics rank the documents that have that exact form first.
    """
    parts = [
        document.number_symbol,
        document.type_name,
        document.subject,
        document.organ_name,
        document.signer_name,
        document.description,
        extra,
    ]
    exact = " ".join(search_words(" ".join(p for p in parts if p)))
    folded = fold(exact)
    return exact if folded == exact else f"{exact} {folded}"
