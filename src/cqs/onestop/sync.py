"""Keep the national public-service portal (Cổng DVCQG) up to date: payloads and outbox handlers.

Every history row of a filed dossier queues two outbox messages in the transaction that writes
it (``services.dossiers._event``): ``onestop.dvcqg.dossier`` (``DongBoHoSoMC``) and
``onestop.dvcqg.progress`` (``CapNhatTienDoHoSoMC``). The handlers below deliver them, outside
any transaction, through the adapter ``cqs.onestop.dvcqg``; the adapter raises ``DeliveryError``
on failure and the outbox retries with back-off (ADR 0007).

Why no update is lost or sent twice:

- the dossier push always sends the dossier's **current** state, and the portal keys dossiers by
  ``MaHoSo``: a repeated, late or out-of-order push leaves the portal with the latest state;
- a progress entry is one history row, sent once per row (the outbox's ``dedup_key`` makes the
  enqueue unique). Delivery is at least once: a worker that dies after the portal answered and
  before the message is marked delivered sends the entry again, so each entry carries
  ``IdTienDo`` (the row's id) and the portal must drop a repeat by ``(MaHoSo, IdTienDo)`` — or
  by ``(MaHoSo, ThoiDiemXuLy)`` where it does not read ``IdTienDo``.

No CCCD and no phone number leave through these payloads: the portal's dossier contract does
not ask for them (docs/integrations/dvcqg.md).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqs.core.models import OutboxMessage
from cqs.core.outbox import register_handler
from cqs.onestop import dvcqg, workflow
from cqs.onestop.choices import DossierStatus, FileRole
from cqs.onestop.models import Dossier, DossierEvent, DossierFile

# History rows that are not workflow edges (workflow.TRANSITIONS holds the others).
_OTHER_LABELS = {
    "intake": gettext_lazy("Tiếp nhận hồ sơ trực tiếp hoặc qua bưu chính"),
    "overdue": gettext_lazy("Hồ sơ quá hạn giải quyết"),
}
SUBMITTED_ROLES = (FileRole.SUBMITTED, FileRole.SUPPLEMENT)
# DuocThanhToanTrucTuyen: "0" not paid online, "1" paid through the portal's payment platform
# (PayGov), "2" through a provincial gateway. CQS pays through PayGov.
PAID_ON_PORTAL = "1"
NOT_PAID_ONLINE = "0"


def event_label(action: str) -> str:
    """What a history row's ``action`` means, in the active language."""
    transition = workflow.TRANSITIONS.get(action)
    if transition is not None:
        return str(transition.label)
    return str(_OTHER_LABELS.get(action, action))


def _person(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.get_username()


def _position(user) -> str:
    profile = getattr(user, "official_profile", None) if user is not None else None
    return profile.position if profile is not None else ""


def file_url(file: DossierFile) -> str:
    """Where the portal downloads a file of a dossier (with its bearer token, see api.dvcqg)."""
    path = reverse("onestop-dvcqg-file", kwargs={"file_id": file.pk})
    return settings.CQS_SITE_URL.rstrip("/") + path


def _unit_identifier(dossier: Dossier) -> str:
    unit = dossier.handling_unit or dossier.unit
    return unit.identifier if unit is not None else ""


def dvcqg_dossier_payload(dossier: Dossier) -> dict:
    """The dossier in the ``DongBoHoSoMC`` shape: its whole current state, keyed by ``MaHoSo``."""
    date = dvcqg.dvcqg_datetime
    files = list(dossier.files.select_related("document").order_by("uploaded_at", "pk"))
    submitted = [
        {
            "TepDinhKemId": str(file.pk),
            "TenTepDinhKem": file.name,
            "DuongDanTaiTepTin": file_url(file),
            "MaThanhPhanHoSo": file.document.code if file.document else "",
            "TenThanhPhanHoSo": file.document.name if file.document else "",
            "DuocBoSung": "1" if file.role == FileRole.SUPPLEMENT else "0",
            "KieuTep": file.content_type,
            "MaBam": file.sha256,
        }
        for file in files
        if file.role in SUBMITTED_ROLES
    ]
    results = [
        {
            "TepDinhKemId": str(file.pk),
            "TenGiayTo": file.name,
            "DuongDanTepTinKetQua": file_url(file),
            "DaKySo": "1" if file.signed else "0",
            "MaBam": file.sha256,
        }
        for file in files
        if file.role == FileRole.RESULT
    ]
    fees = [
        {
            "MaPhiLePhi": fee.code,
            "LoaiPhiLePhi": fee.kind,
            "TenPhiLePhi": fee.description or fee.get_kind_display(),
            "SoTien": fee.amount,
        }
        for fee in dossier.version.fees.order_by("order", "pk")
    ]
    supplements = [
        {
            "HoSoBoSungId": str(request.pk),
            "NguoiYeuCauBoSung": _person(request.requested_by),
            "NoiDungBoSung": request.reason,
            "DanhSachGiayToBoSung": list(request.items),
            "NgayBoSung": date(request.requested_at),
            "NgayTiepNhanBoSung": date(request.completed_at),
            "NgayHenTraTruoc": date(request.due_at_before),
            "NgayHenTraMoi": date(request.due_at_after),
            "TrangThaiBoSung": "1" if request.completed_at else "0",
        }
        for request in dossier.supplements.select_related("requested_by").order_by("requested_at", "pk")
    ]
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure.code,
        "TenTTHC": dossier.version.name,
        "MaLinhVuc": dossier.procedure.sector.code,
        "TenLinhVuc": dossier.procedure.sector.name,
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": str(dossier.applicant_kind),
        "NgayNopHoSo": date(dossier.submitted_at),
        "NgayTiepNhan": date(dossier.received_at or dossier.submitted_at),
        "NgayHenTra": date(dossier.due_at),
        "NgayHenTraMoi": date(dossier.promised_at),
        "TrangThaiHoSo": str(dossier.status),
        "NgayKetThucXuLy": date(dossier.completed_at or dossier.ended_at),
        "NgayTra": date(dossier.returned_at),
        "HinhThuc": str(dossier.channel),
        "DonViXuLy": _unit_identifier(dossier),
        "DuocThanhToanTrucTuyen": PAID_ON_PORTAL if dossier.paid_online else NOT_PAID_ONLINE,
        "TaiLieuNop": submitted,
        "DanhSachLePhi": fees,
        "DanhSachHoSoBoSung": supplements,
        "DanhSachGiayToKetQua": results,
    }


def dvcqg_progress_payload(event: DossierEvent) -> dict:
    """One history row in the ``CapNhatTienDoHoSoMC`` shape, with ``IdTienDo`` to drop repeats.

    The officer's note goes to the portal (which shows it to the citizen) only when the row is
    public; the label of the step always does.
    """
    date = dvcqg.dvcqg_datetime
    dossier = event.dossier
    label = event_label(event.action)
    content = f"{label}: {event.note}" if event.public and event.note else label
    unit = event.actor_unit.identifier if event.actor_unit is not None else _unit_identifier(dossier)
    payload = {
        "MaHoSo": dossier.code,
        "IdTienDo": str(event.pk),
        "NguoiXuLy": _person(event.actor) or _("Hệ thống"),
        "ChucDanh": _position(event.actor),
        "ThoiDiemXuLy": date(event.at),
        "DonViXuLy": unit,
        "NoiDungXuLy": content,
        "TrangThai": str(event.to_status),
    }
    if event.deadline is not None:
        payload["NgayBatDau"] = date(event.at)
        payload["NgayKetThucTheoQuyDinh"] = date(event.deadline)
    if event.action == "apologise":
        # TT 01/2018 Mẫu 04: the apology carries the old and the new appointment.
        for key, field in (("old_due_at", "NgayHenTraTruoc"), ("new_due_at", "NgayHenTraMoi")):
            if event.data.get(key):
                payload[field] = date(datetime.fromisoformat(event.data[key]))
    return payload


def _event_for(message: OutboxMessage) -> DossierEvent | None:
    return (
        DossierEvent.objects.select_related(
            "dossier__unit", "dossier__handling_unit", "actor__official_profile", "actor_unit"
        )
        .filter(pk=message.payload.get("event_id"))
        .first()
    )


@register_handler("onestop.dvcqg.dossier")
def dossier_push_handler(message: OutboxMessage) -> None:
    """Push the dossier's current state (a dossier deleted since has nothing left to send)."""
    dossier = (
        Dossier.objects.select_related("procedure__sector", "version", "unit", "handling_unit")
        .filter(pk=message.payload.get("dossier_id"))
        .exclude(status=DossierStatus.DRAFT)
        .first()
    )
    if dossier is None:
        return
    dvcqg.dvcqg_push_dossiers(dossiers=[dvcqg_dossier_payload(dossier)])


@register_handler("onestop.dvcqg.progress")
def progress_push_handler(message: OutboxMessage) -> None:
    """Append one history row to the dossier's progress at the portal.

    The portal refuses progress for a dossier it does not know yet; the dossier's own push was
    queued first in the same transaction, so the retry finds it there.
    """
    event = _event_for(message)
    if event is None or not event.dossier.code:
        return
    dvcqg.dvcqg_push_progress(updates=[dvcqg_progress_payload(event)])
