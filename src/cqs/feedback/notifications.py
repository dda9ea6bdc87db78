"""Telling people what happened: the reporter (e-mail, SMS) and the handling unit (overdue).

``services.reports`` queues ``feedback.notify.email`` / ``feedback.notify.sms`` with
``{"event_id", "report_id"}`` (``report_id`` is the addressee's report: the event's own, or a
duplicate linked to it) and ``feedback.overdue`` with ``{"report_id"}``. The handlers run after
commit in the outbox worker; failures raise ``DeliveryError`` and are retried with back-off.
Addresses and phone numbers are personal data: they go to the mail server or the SMS gateway and
nowhere else (not into errors, not into logs).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.core.models import OutboxMessage
from cqs.core.outbox import DeliveryError, email_message_id, register_handler
from cqs.core.sms import sms_send
from cqs.feedback.choices import Status
from cqs.feedback.models import Report, ReportEvent

DATETIME_FORMAT = "%H:%M %d/%m/%Y"


def status_url(report: Report) -> str:
    return settings.CQS_SITE_URL.rstrip("/") + reverse("feedback:status", args=[report.code])


def reporter_url(report: Report) -> str:
    """The reporter's own link (survey, more information): carries the secret token."""
    return f"{status_url(report)}?t={report.access_token}"


def _message_id(message: OutboxMessage) -> str:
    return email_message_id(message, source="feedback")


def _load(message: OutboxMessage) -> tuple[ReportEvent | None, Report | None]:
    event = (
        ReportEvent.objects.select_related("report__category", "report__unit")
        .filter(pk=message.payload.get("event_id"))
        .first()
    )
    recipient = Report.objects.select_related("reporter").filter(pk=message.payload.get("report_id")).first()
    return event, recipient


def notice_text(event: ReportEvent, recipient: Report) -> str:
    report = event.report
    if recipient.pk != report.pk:
        # A duplicate's reporter hears about the original's answer.
        return _(
            "Phản ánh %(code)s của ông/bà trùng với phản ánh %(original)s, đã được %(unit)s trả lời."
        ) % {"code": recipient.code, "original": report.code, "unit": report.unit.name}
    if event.action == "submit":
        return _("Đã tiếp nhận phản ánh %(code)s. Hạn trả lời: %(due)s.") % {
            "code": report.code,
            "due": timezone.localtime(report.due_at).strftime(DATETIME_FORMAT),
        }
    return _("Phản ánh %(code)s: %(status)s.") % {
        "code": report.code,
        "status": Status(event.to_status).label,
    }


def email_body(event: ReportEvent, recipient: Report) -> str:
    lines = [_("Kính gửi ông/bà %(name)s,") % {"name": recipient.contact_name or _("người phản ánh")}, ""]
    lines.append(notice_text(event, recipient))
    if event.report.category.handling_message and event.action == "submit":
        lines += ["", event.report.category.handling_message]
    if event.public and event.note and recipient.pk == event.report.pk:
        lines += ["", _("Nội dung: %(note)s") % {"note": event.note}]
    lines += [
        "",
        _("Theo dõi, bổ sung thông tin và đánh giá câu trả lời tại: %(url)s")
        % {"url": reporter_url(recipient)},
        "",
        _("Thư này được gửi tự động từ hệ thống phản ánh, kiến nghị; vui lòng không trả lời thư này."),
    ]
    return "\n".join(lines)


@register_handler("feedback.notify.email")
def email_handler(message: OutboxMessage) -> None:
    event, recipient = _load(message)
    if event is None or recipient is None:
        return
    address = recipient.contact_email or (recipient.reporter.email if recipient.reporter_id else "")
    if not address:
        return
    email = EmailMessage(
        subject=notice_text(event, recipient)[:150],
        body=email_body(event, recipient),
        to=[address],
        headers={"Message-ID": _message_id(message)},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"e-mail not sent ({type(exc).__name__})") from None


@register_handler("feedback.notify.sms")
def sms_handler(message: OutboxMessage) -> None:
    event, recipient = _load(message)
    if event is None or recipient is None or not recipient.contact_phone:
        return
    sms_send(phone=recipient.contact_phone, text=f"{notice_text(event, recipient)} {status_url(recipient)}")


def unit_handler_emails(report: Report) -> list[str]:
    """Addresses of the active users who may handle reports of ``report``'s unit (a grant on the
    unit or an ancestor); superusers when nobody does, so that the alert reaches someone."""
    from cqs.accounts.models import User

    paths = [p for p in report.unit.path.strip("/").split("/") if p]
    ancestors = [int(p) for p in paths]
    holders = (
        User.objects.filter(
            is_active=True,
            grants__unit_id__in=ancestors,
            grants__role__permissions__content_type__app_label="feedback",
            grants__role__permissions__codename="handle_report",
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    emails = sorted(set(holders))
    if not emails:
        superusers = User.objects.filter(Q(is_superuser=True), is_active=True).exclude(email="")
        emails = sorted(set(superusers.values_list("email", flat=True)))
    return emails


@register_handler("feedback.overdue")
def overdue_handler(message: OutboxMessage) -> None:
    report = (
        Report.objects.select_related("unit", "category").filter(pk=message.payload.get("report_id")).first()
    )
    if report is None or not report.is_open:
        return
    emails = unit_handler_emails(report)
    if not emails:
        return
    body = "\n".join(
        [
            _("Phản ánh %(code)s (%(category)s) đã quá hạn trả lời từ %(due)s.")
            % {
                "code": report.code,
                "category": report.category.name,
                "due": timezone.localtime(report.due_at).strftime(DATETIME_FORMAT),
            },
            _("Đơn vị xử lý: %(unit)s.") % {"unit": report.unit.name},
            settings.CQS_SITE_URL.rstrip("/") + reverse("feedback:staff-detail", args=[report.code]),
        ]
    )
    email = EmailMessage(
        subject=_("Phản ánh %(code)s quá hạn trả lời") % {"code": report.code},
        body=body,
        to=emails,
        headers={"Message-ID": _message_id(message)},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"e-mail not sent ({type(exc).__name__})") from None
