"""Records of other modules for the tests of platform sources: dossiers and documents created
directly with the dates that matter (their own workflows are tested in their apps)."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from django.utils import timezone

from cqs.documents.choices import Channel as DocChannel
from cqs.documents.choices import Direction, FileRole, IncomingStatus, OutgoingState
from cqs.documents.models import Document, DocumentFile, RegisterBook
from cqs.onestop.choices import Channel, DossierStatus
from cqs.onestop.models import Dossier

_numbers = itertools.count(1)


def vn(*args) -> datetime:
    """An aware moment, Vietnam time."""
    return timezone.make_aware(datetime(*args))


def procedure_version(units=()):
    from cqs.onestop.tests.factories import publish

    return publish("1.000001", valid_from=date(2024, 1, 1), units=list(units))


def dossier(version, *, unit, by, received, channel=Channel.IN_PERSON, completed=None, due=None):
    return Dossier.objects.create(
        procedure=version.procedure,
        version=version,
        unit=unit,
        created_by=by,
        channel=channel,
        status=DossierStatus.RESOLVED if completed else DossierStatus.PROCESSING,
        code=f"RPT-{next(_numbers):06d}",
        applicant_name="Nguyễn Văn An",
        received_at=received,
        completed_at=completed,
        due_at=due,
    )


def _document(unit, **fields) -> Document:
    return Document.objects.create(
        unit=unit,
        type_code="CV",
        type_name="Công văn",
        organ_name=unit.name,
        subject="Về việc báo cáo số liệu",
        **fields,
    )


def outgoing(unit, *, issued: date, signed: bool = True, state=OutgoingState.ISSUED) -> Document:
    document = _document(unit, direction=Direction.OUTGOING, state=state, issued_date=issued)
    DocumentFile.objects.create(
        document=document,
        role=FileRole.MAIN,
        file=f"documents/test-{document.pk}.pdf",
        name="van-ban.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        signed=signed,
    )
    return document


def incoming(unit, *, arrived: datetime, registered: bool = True, channel=DocChannel.INTERNAL) -> Document:
    book, _created = RegisterBook.objects.get_or_create(
        unit=unit, year=arrived.year, direction=Direction.INCOMING
    )
    return _document(
        unit,
        direction=Direction.INCOMING,
        channel=channel,
        status=IncomingStatus.REGISTERED if registered else IncomingStatus.ARRIVED,
        arrival_date=arrived,
        register=book if registered else None,
        ordinal=next(_numbers) if registered else None,
    )
