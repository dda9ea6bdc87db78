"""Register books and numbers (Decree 30/2020 Art. 15 and 22).

A number is taken under a row lock on the register book, in the caller's transaction: two
clerks issuing at once get consecutive numbers, and a rolled-back issue gives its number back
(the book's counter rolls back with it), so numbers are never duplicated nor skipped.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cqs.core.exceptions import Conflict
from cqs.documents.choices import Direction, IncomingStatus, Secrecy
from cqs.documents.models import Document, RegisterBook


def register_book_get(*, unit, year: int, direction: str, secret: bool) -> RegisterBook:
    """The register book, opened on first use."""
    book = RegisterBook.objects.filter(unit=unit, year=year, direction=direction, secret=secret).first()
    if book is not None:
        return book
    try:
        with transaction.atomic():
            return RegisterBook.objects.create(unit=unit, year=year, direction=direction, secret=secret)
    except IntegrityError:
        # Another clerk opened it at the same moment.
        return RegisterBook.objects.get(unit=unit, year=year, direction=direction, secret=secret)


def register_number_take(
    *, unit, year: int, direction: str, secrecy: int, count: int = 1
) -> tuple[RegisterBook, int]:
    """Take the next number (or the next ``count`` numbers, the first of which is returned) of
    the book; must run inside the caller's transaction.

    One ``UPDATE … RETURNING`` both row-locks the book until the transaction ends and reads the
    new number (PostgreSQL and SQLite ≥ 3.35 both support it); the book is opened on first use.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("register_number_take must be called inside transaction.atomic()")
    if count < 1:
        raise ValueError("count must be at least 1")
    secret = secrecy != Secrecy.NONE
    table = RegisterBook._meta.db_table
    sql = (
        f"UPDATE {table} SET last_number = last_number + %s "  # noqa: S608 (table name is ours)
        "WHERE unit_id = %s AND year = %s AND direction = %s AND secret = %s RETURNING id, last_number"
    )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, unit.pk, year, direction, secret])
            row = cursor.fetchone()
        if row is not None:
            book = RegisterBook(
                pk=row[0], unit=unit, year=year, direction=direction, secret=secret, last_number=row[1]
            )
            return book, row[1] - count + 1
        register_book_get(unit=unit, year=year, direction=direction, secret=secret)
    raise RuntimeError("the register book could not be opened")


def duplicates_find(
    *, unit, organ_id: str, organ_name: str, code_number: str, code_notation: str, exclude=None
):
    """Incoming documents of ``unit`` with the same number, symbol and issuer (Appendix VI Part I)."""
    if not code_number:
        return Document.objects.none()
    issuer = Q(organ_id=organ_id) if organ_id else Q(organ_name__iexact=organ_name)
    bare = code_number.strip().lstrip("0") or "0"
    found = Document.objects.filter(
        issuer,
        unit=unit,
        direction=Direction.INCOMING,
        code_number__in={code_number.strip(), bare, bare.zfill(2)},
        code_notation__iexact=code_notation,
    ).exclude(status__in=[IncomingStatus.REJECTED, IncomingStatus.RECALLED])
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found


def duplicate_refuse(document: Document) -> None:
    """Raise ``duplicate_document`` when the unit already registered this document."""
    twin = (
        duplicates_find(
            unit=document.unit,
            organ_id=document.organ_id,
            organ_name=document.organ_name,
            code_number=document.code_number,
            code_notation=document.code_notation,
            exclude=document,
        )
        .order_by()
        .values("code_number", "code_notation", "organ_name", "ordinal")
        .first()
    )
    if twin is not None:
        raise Conflict(
            "duplicate_document",
            _(
                "Văn bản số %(number)s của %(issuer)s đã có trong sổ (số đến %(arrival)s). "
                "Kiểm tra lại, hoặc xác nhận vào sổ lần nữa."
            )
            % {
                "number": f"{twin['code_number']}/{twin['code_notation']}",
                "issuer": twin["organ_name"],
                "arrival": twin["ordinal"] or "–",
            },
            field="code_number",
        )
