"""Tell the applicant what happened to their dossier: e-mail and SMS, as outbox handlers.

``services.dossiers._event`` queues ``onestop.notify.email`` / ``onestop.notify.sms``
(``{"event_id": ...}``) for every public status change and every apology (TT 01/2018 Mẫu 04 is
sent by e-mail or SMS for online dossiers). The handlers run after commit, outside any
transaction; a failure raises ``DeliveryError`` and the outbox tries again with back-off.

Delivery is at least once (ADR 0007): a worker that dies after the mail server or the SMS
gateway accepted the message sends it again. E-mails carry a ``Message-ID`` derived from the
outbox key, so a mail system that drops repeated ids shows one; an SMS may arrive twice.

The addressee's e-mail address and phone number are personal data: they go to the mail server
or the gateway and nowhere else — not into ``DeliveryError`` (stored in ``last_error``) and not
into logs. No CCCD is ever written into a notification.
"""

from __future__ import annotations

import smtplib
from datetime import datetime

from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.core.models import OutboxMessage
from cqs.core.outbox import DeliveryError, email_message_id, register_handler
from cqs.core.sms import sms_send
from cqs.onestop.choices import DossierStatus
from cqs.onestop.models import DossierEvent
from cqs.onestop.printing import lookup_url

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


def _event_for(message: OutboxMessage) -> DossierEvent | None:
    return (
        DossierEvent.objects.select_related("dossier__version", "dossier__unit")
        .filter(pk=message.payload.get("event_id"))
        .first()
    )


def _local(moment: datetime | None, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt) if moment is not None else ""


def new_appointment(event: DossierEvent) -> datetime | None:
    """The new date an apology promises (None for any other event)."""
    value = event.data.get("new_due_at") if event.action == "apologise" else None
    return datetime.fromisoformat(value) if value else None


def _status_label(event: DossierEvent) -> str:
    return str(DossierStatus(event.to_status).label)


def email_subject(event: DossierEvent) -> str:
    code = event.dossier.code
    if event.action == "apologise":
        return _("Hồ sơ %(code)s: xin lỗi và hẹn lại ngày trả kết quả") % {"code": code}
    return _("Hồ sơ %(code)s: %(status)s") % {"code": code, "status": _status_label(event)}


def email_body(event: DossierEvent) -> str:
    dossier = event.dossier
    lines = [
        _("Kính gửi ông/bà %(name)s,") % {"name": dossier.applicant_name},
        "",
    ]
    if event.action == "apologise":
        lines.append(
            _(
                "%(unit)s xin lỗi ông/bà vì hồ sơ số %(code)s (thủ tục “%(procedure)s”) chưa giải quyết "
                "xong đúng hẹn. Ngày hẹn trả kết quả mới: %(date)s."
            )
            % {
                "unit": dossier.unit.name,
                "code": dossier.code,
                "procedure": dossier.version.name,
                "date": _local(new_appointment(event), DATE_FORMAT),
            }
        )
    else:
        lines.append(
            _("Hồ sơ số %(code)s (thủ tục “%(procedure)s”) đã chuyển sang trạng thái: %(status)s.")
            % {"code": dossier.code, "procedure": dossier.version.name, "status": _status_label(event)}
        )
        if event.deadline is not None and event.action in ("receive", "intake"):
            lines.append(
                _("Ngày hẹn trả kết quả: %(date)s.") % {"date": _local(event.deadline, DATETIME_FORMAT)}
            )
    if event.public and event.note:
        lines += ["", _("Nội dung: %(note)s") % {"note": event.note}]
    lines += [
        "",
        _("Tra cứu tình trạng hồ sơ tại: %(url)s") % {"url": lookup_url(dossier)},
        _("(nhập 4 chữ số cuối của số điện thoại hoặc số căn cước đã khai trong hồ sơ)."),
        "",
        _("Thư này được gửi tự động từ hệ thống một cửa điện tử; vui lòng không trả lời thư này."),
    ]
    return "\n".join(lines)


def sms_text(event: DossierEvent) -> str:
    dossier = event.dossier
    if event.action == "apologise":
        text = _("Hồ sơ %(code)s chậm trả kết quả, xin lỗi ông/bà; hẹn lại ngày %(date)s.") % {
            "code": dossier.code,
            "date": _local(new_appointment(event), DATE_FORMAT),
        }
    else:
        text = _("Hồ sơ %(code)s: %(status)s.") % {"code": dossier.code, "status": _status_label(event)}
    return f"{text} {_('Tra cứu')}: {lookup_url(dossier)}"


def _message_id(message: OutboxMessage) -> str:
    return email_message_id(message, source="onestop")


@register_handler("onestop.notify.email")
def email_handler(message: OutboxMessage) -> None:
    event = _event_for(message)
    if event is None or not event.dossier.applicant_email:
        return  # deleted, or the address was removed since: nothing to send
    email = EmailMessage(
        subject=email_subject(event),
        body=email_body(event),
        to=[event.dossier.applicant_email],
        headers={"Message-ID": _message_id(message)},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        # SMTP errors quote the refused address: keep only the class name.
        raise DeliveryError(f"e-mail not sent ({type(exc).__name__})") from None


@register_handler("onestop.notify.sms")
def sms_handler(message: OutboxMessage) -> None:
    event = _event_for(message)
    if event is None or not event.dossier.applicant_phone:
        return
    # sms_send raises DeliveryError without the number; an empty CQS_SMS_URL turns SMS off.
    sms_send(phone=event.dossier.applicant_phone, text=sms_text(event))
