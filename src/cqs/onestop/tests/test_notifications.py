"""E-mail and SMS to the applicant through the outbox; SMS against the fake gateway over HTTP."""

import smtplib

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from cqs.core.models import OutboxStatus
from cqs.fakes import sms as fake_sms
from cqs.fakes.testing import running
from cqs.onestop import notifications
from cqs.onestop.models import Dossier
from cqs.onestop.printing import lookup_url
from cqs.onestop.services import dossier_act
from cqs.onestop.tests.sync_support import (
    CCCD,
    EMAIL,
    PHONE,
    dispatch_all,
    filed,
    later,
    messages,
    received,
    working_day_after,
)

pytestmark = pytest.mark.django_db
TOKEN = "sms-notify-token"


@pytest.fixture
def gateway(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CQS_DVCQG_URL = ""  # the portal is not under test here: its messages just wait
    app = fake_sms.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_SMS_URL = fake.url
        settings.CQS_SMS_TOKEN = TOKEN
        yield app


def mail_about(mailoutbox, code: str, words: str):
    found = [mail for mail in mailoutbox if code in mail.subject and words in mail.subject]
    assert len(found) == 1, [mail.subject for mail in mailoutbox]
    return found[0]


def test_receiving_a_dossier_emails_the_applicant_in_vietnamese(desk, gateway, mailoutbox):
    dossier = received(desk)

    dispatch_all()

    mail = mail_about(mailoutbox, dossier.code, "Được tiếp nhận")
    assert mail.to == [EMAIL]
    assert desk.version.name in mail.body
    assert "Ngày hẹn trả kết quả:" in mail.body
    assert lookup_url(dossier) in mail.body and f"?ma={dossier.code}" in mail.body
    assert "Kính gửi ông/bà Nguyễn Văn An" in mail.body


def test_no_notification_carries_the_cccd(desk, gateway, mailoutbox):
    received(desk)

    dispatch_all()

    assert mailoutbox and gateway.state.messages
    for mail in mailoutbox:
        assert CCCD not in mail.subject and CCCD not in mail.body
    for sms in gateway.state.messages:
        assert CCCD not in sms["text"]


def test_the_reason_of_a_refusal_is_in_the_email(desk, gateway, mailoutbox):
    dossier = dossier_act(
        dossier=filed(desk), actor=desk.officer, action="refuse", note="Hồ sơ không thuộc thẩm quyền."
    )

    dispatch_all()

    mail = mail_about(mailoutbox, dossier.code, "Không được tiếp nhận")
    assert "Nội dung: Hồ sơ không thuộc thẩm quyền." in mail.body


def test_an_apology_gives_the_new_appointment_by_email_and_sms(desk, gateway, mailoutbox):
    # Given a received dossier that will be late
    dossier = received(desk)
    new_due = working_day_after(dossier.due_at, 5)

    # When the officer apologises with a new date
    dossier_act(
        dossier=dossier, actor=desk.officer, action="apologise", note="Cần xác minh thêm.", new_due_at=new_due
    )
    dispatch_all()

    # Then both notifications give that date
    day = timezone.localtime(new_due).strftime("%d/%m/%Y")
    mail = mail_about(mailoutbox, dossier.code, "xin lỗi")
    assert f"Ngày hẹn trả kết quả mới: {day}" in mail.body
    assert any(day in sms["text"] and dossier.code in sms["text"] for sms in gateway.state.messages)


def test_the_sms_gives_the_code_the_status_and_the_lookup_address(desk, gateway):
    dossier = received(desk)

    dispatch_all()

    texts = [sms["text"] for sms in gateway.state.messages if sms["to"] == PHONE]
    assert f"Hồ sơ {dossier.code}: Được tiếp nhận. Tra cứu: {lookup_url(dossier)}" in texts


def test_a_gateway_failure_is_retried_once_and_recorded_without_the_number(desk, gateway):
    # Given the gateway fails the first message
    dossier = filed(desk)
    gateway.fail_next(1, status=503)
    dispatch_all()
    [message] = messages("onestop.notify.sms")
    message.refresh_from_db()
    assert "HTTP 503" in message.last_error and PHONE not in message.last_error

    # When it is retried after the back-off
    dispatch_all(now=later(1))
    dispatch_all(now=later(3))

    # Then exactly one SMS was sent
    assert [sms["text"].split(":")[0] for sms in gateway.state.messages] == [f"Hồ sơ {dossier.code}"]


def test_a_refused_email_is_recorded_without_the_address(desk, gateway, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({EMAIL: (550, b"mailbox unavailable")})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    filed(desk)

    dispatch_all()

    [message] = messages("onestop.notify.email")
    assert message.status == OutboxStatus.PENDING
    assert "SMTPRecipientsRefused" in message.last_error and EMAIL not in message.last_error


def test_a_repeated_email_carries_the_same_message_id(desk, gateway, mailoutbox):
    filed(desk)
    [message] = messages("onestop.notify.email")

    notifications.email_handler(message)
    notifications.email_handler(message)

    first, second = mailoutbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"].startswith("<cqs.onestop.")


def test_an_address_removed_before_delivery_sends_nothing(desk, gateway, mailoutbox):
    dossier = filed(desk)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_email="", applicant_phone="")

    dispatch_all()

    assert mailoutbox == [] and gateway.state.messages == []
    assert messages("onestop.notify.email").get().status == OutboxStatus.DELIVERED
