"""Shared steps of the portal-sync, notification and TraCuuHoSo tests."""

from datetime import timedelta

from django.utils import timezone

from cqs.core.calendar import is_working_day
from cqs.core.models import OutboxMessage
from cqs.core.outbox import outbox_dispatch
from cqs.onestop.choices import FileRole
from cqs.onestop.services import dossier_act, dossier_file_add
from cqs.onestop.tests.conftest import filed, pdf_bytes

CCCD = "026090001234"
PHONE = "0912345678"
EMAIL = "an@example.org"


def received(desk):
    return dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")


def returned(desk):
    """The whole path, with one supplement request: eight history rows, status 10."""
    dossier = received(desk)
    dossier = dossier_act(dossier=dossier, actor=desk.officer, action="assign", to_user=desk.specialist)
    dossier = dossier_act(
        dossier=dossier,
        actor=desk.specialist,
        action="request_supplement",
        note="Thiếu bản sao",
        items=["CCCD"],
    )
    dossier_file_add(
        dossier=dossier, actor=desk.citizen, name="bo-sung.pdf", data=pdf_bytes(), role=FileRole.SUPPLEMENT
    )
    dossier = dossier_act(dossier=dossier, actor=desk.citizen, action="complete_supplement")
    dossier = dossier_act(
        dossier=dossier, actor=desk.specialist, action="propose", note="Cấp giấy khai sinh."
    )
    dossier = dossier_act(dossier=dossier, actor=desk.leader, action="approve")
    return dossier_act(dossier=dossier, actor=desk.officer, action="return_result")


def working_day_after(moment, days: int):
    """A moment ``days`` or more days after ``moment`` that falls on a working day."""
    candidate = moment + timedelta(days=days)
    while not is_working_day(timezone.localtime(candidate).date()):
        candidate += timedelta(days=1)
    return candidate


def later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def dispatch_all(*, now=None):
    """Run the dispatcher until nothing due is left (as the background task does)."""
    while outbox_dispatch(now=now).claimed:
        pass


def messages(topic: str):
    return OutboxMessage.objects.filter(topic=topic).order_by("pk")
