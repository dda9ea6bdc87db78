"""Reads of the documents module: the work lists, one document with its trace, the registers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cqs.accounts.permissions import units_in_scope
from cqs.documents.choices import AssignmentRole, Channel, Direction, FileRole, IncomingStatus, OutgoingState
from cqs.documents.models import (
    INCOMING_OPEN,
    Assignment,
    Document,
    DocumentEvent,
    DocumentFile,
    RegisterBook,
)

LIST_RELATED = ("unit", "lead_handler", "register")


def documents_visible(user) -> QuerySet[Document]:
    """Every document the user may see: their units' documents, and any they are assigned or sign.

    A specialist sees the incoming documents given to them even without ``view_document`` on the
    whole unit, and a signer sees what was submitted to them. The condition is written with the
    ids themselves (the units in scope, and the few documents outside them the user takes part
    in), so that the search over a million documents filters with a plain ``IN`` list instead of
    a subquery per row.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Document.objects.none()
    if user.is_superuser:
        return Document.objects.all()
    units = list(units_in_scope(user, "documents", "view_document").values_list("pk", flat=True))
    # Three indexed lookups, not one OR over the table (which PostgreSQL reads whole).
    involved = {
        *Document.objects.filter(signer=user).values_list("pk", flat=True),
        *Document.objects.filter(drafter=user).values_list("pk", flat=True),
        *Assignment.objects.filter(user=user).values_list("document_id", flat=True),
    }
    outside = (
        list(Document.objects.filter(pk__in=involved).exclude(unit_id__in=units).values_list("pk", flat=True))
        if involved
        else []
    )
    if not units and not outside:
        return Document.objects.none()
    return Document.objects.filter(Q(unit_id__in=units) | Q(pk__in=outside))


def document_get(user, pk: int) -> Document | None:
    return (
        documents_visible(user)
        .select_related(*LIST_RELATED, "source", "replaces", "signer", "drafter")
        .filter(pk=pk)
        .first()
    )


def inbox(user) -> QuerySet[Document]:
    """Incoming documents waiting for the clerk: arrived, not yet registered."""
    units = units_in_scope(user, "documents", "register_document")
    return (
        Document.objects.filter(
            direction=Direction.INCOMING, status=IncomingStatus.ARRIVED, unit__in=units.values("pk")
        )
        .select_related(*LIST_RELATED)
        .order_by("-urgency", "arrival_date", "pk")
    )


def to_assign(user) -> QuerySet[Document]:
    """Registered incoming documents waiting for the leader's assignment."""
    units = units_in_scope(user, "documents", "assign_document")
    return (
        Document.objects.filter(
            direction=Direction.INCOMING, status=IncomingStatus.REGISTERED, unit__in=units.values("pk")
        )
        .select_related(*LIST_RELATED)
        .order_by("-urgency", "arrival_date", "pk")
    )


def assigned_to(user) -> QuerySet[Document]:
    """Open incoming documents the user handles (lead or co-handler)."""
    mine = Assignment.objects.filter(
        document=OuterRef("pk"), user=user, active=True, role__in=[AssignmentRole.LEAD, AssignmentRole.CO]
    )
    return (
        Document.objects.filter(Exists(mine), status__in=[IncomingStatus.ASSIGNED, IncomingStatus.PROCESSING])
        .select_related(*LIST_RELATED)
        .order_by("handling_due_date", "pk")
    )


def to_sign(user) -> QuerySet[Document]:
    return (
        Document.objects.filter(direction=Direction.OUTGOING, state=OutgoingState.REVIEW, signer=user)
        .select_related(*LIST_RELATED)
        .order_by("-urgency", "updated_at")
    )


def to_issue(user) -> QuerySet[Document]:
    units = units_in_scope(user, "documents", "register_document")
    return (
        Document.objects.filter(
            direction=Direction.OUTGOING, state=OutgoingState.SIGNED, unit__in=units.values("pk")
        )
        .select_related(*LIST_RELATED)
        .order_by("-urgency", "updated_at")
    )


def drafts_of(user) -> QuerySet[Document]:
    return (
        Document.objects.filter(
            direction=Direction.OUTGOING, drafter=user, state__in=[OutgoingState.DRAFT, OutgoingState.REVIEW]
        )
        .select_related(*LIST_RELATED)
        .order_by("-updated_at")
    )


def overdue(user) -> QuerySet[Document]:
    """Open incoming documents past their handling deadline, in the user's units or given to them."""
    today = timezone.localdate()
    return (
        documents_visible(user)
        .filter(direction=Direction.INCOMING, status__in=INCOMING_OPEN, handling_due_date__lt=today)
        .select_related(*LIST_RELATED)
        .order_by("handling_due_date", "pk")
    )


def trace(document: Document) -> QuerySet[DocumentEvent]:
    return document.events.select_related("actor").order_by("at", "pk")


def registers_visible(user) -> QuerySet[RegisterBook]:
    if user is None or not user.is_authenticated or not user.is_active:
        return RegisterBook.objects.none()
    books = RegisterBook.objects.select_related("unit")
    if user.is_superuser:
        return books
    return books.filter(unit__in=units_in_scope(user, "documents", "view_document").values("pk"))


def register_entries(book: RegisterBook) -> QuerySet[Document]:
    """The register's lines in number order (Appendix IV)."""
    return (
        book.documents.select_related("unit", "lead_handler")
        .prefetch_related("recipients")
        .order_by("ordinal")
    )


# --- for other modules (the IOC) -------------------------------------------------------------

DOCUMENT_COUNTS = (
    "outgoing_issued",
    "outgoing_signed",
    "incoming_registered",
    "incoming_electronic",
    "in_use",
)


def document_counts_by_unit(*, date_from: date, date_to: date) -> dict[str, dict[int, int]]:
    """Per unit (its own register, not its subtree), dates inclusive, Vietnam time: outgoing
    documents issued (a recalled one was issued all the same) and those whose main file is
    digitally signed; incoming documents registered (they have an arrival number, Decree 30/2020
    Art. 22) and those received electronically (not on paper); ``in_use``: 1 for a unit that
    registered or issued any document. No permission check: the caller has done it."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    issued = Q(
        direction=Direction.OUTGOING,
        state__in=[OutgoingState.ISSUED, OutgoingState.RECALLED],
        issued_date__gte=date_from,
        issued_date__lte=date_to,
    )
    registered = Q(
        direction=Direction.INCOMING, register__isnull=False, arrival_date__gte=start, arrival_date__lt=end
    )
    signed = DocumentFile.objects.filter(document=OuterRef("pk"), role=FileRole.MAIN, signed=True)
    rows = (
        Document.objects.filter(issued | registered)
        .annotate(main_signed=Exists(signed))
        .order_by()
        .values("unit_id")
        .annotate(
            outgoing_issued=Count("pk", filter=issued),
            outgoing_signed=Count("pk", filter=issued & Q(main_signed=True)),
            incoming_registered=Count("pk", filter=registered),
            incoming_electronic=Count("pk", filter=registered & ~Q(channel=Channel.PAPER)),
        )
    )
    result: dict[str, dict[int, int]] = {name: {} for name in DOCUMENT_COUNTS}
    for row in rows:
        for name in DOCUMENT_COUNTS[:4]:
            if row[name]:
                result[name][row["unit_id"]] = row[name]
        result["in_use"][row["unit_id"]] = 1
    return result
