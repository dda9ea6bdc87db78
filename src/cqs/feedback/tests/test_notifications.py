"""Telling people what happened (notifications.py): the reporter by e-mail and SMS (against the
fake SMS gateway over HTTP), a duplicate's reporter when the original is answered, and the
handling unit when a report is overdue. Delivery runs through the outbox as in production."""

import smtplib
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from cqs.core.models import OutboxMessage, OutboxStatus
from cqs.core.outbox import DeliveryError, outbox_dispatch
from cqs.fakes import sms as fake_sms
from cqs.fakes.testing import running
from cqs.feedback import notifications
from cqs.feedback.models import Report
from cqs.feedback.notifications import reporter_url, status_url
from cqs.feedback.services import report_act, report_submit, reports_overdue_mark
from cqs.feedback.tests.world import NEAR_POINT, POINT

pytestmark = pytest.mark.django_db
TOKEN = "sms-feedback-token"
PHONE = "0912345678"
EMAIL = "tran.b@example.org"
CCCD = "026090001234"


@pytest.fixture
def gateway(settings):
    app = fake_sms.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_SMS_URL = fake.url
        settings.CQS_SMS_TOKEN = TOKEN
        yield app


def dispatch_all(*, now=None):
    """Run the dispatcher until nothing due is left (as the background task does)."""
    while outbox_dispatch(now=now).claimed:
        pass


def later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def messages(topic: str):
    return OutboxMessage.objects.filter(topic=topic).order_by("pk")


def submit(world, **overrides) -> Report:
    fields = {
        "category": world.pothole,
        "description": f"Ổ gà lớn. Tôi là Trần Thị B, CCCD {CCCD}.",
        "attributes": {"kich-thuoc": "lon"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": world.commune_a,
        "contact_name": "Trần Thị B",
        "contact_phone": "+84 912 345 678",
        "contact_email": EMAIL,
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


def answered(world, report, text="Đơn vị đã vá ổ gà ngày 3/3/2026.") -> Report:
    report_act(report=report, action="accept", actor=world.handler_a)
    return report_act(report=report, action="answer", actor=world.handler_a, answer=text)


# --- the reporter -----------------------------------------------------------------------------


def test_filing_a_report_emails_the_tracking_code_and_the_reporters_own_link(world, gateway, mailoutbox):
    world.pothole.handling_message = "Đơn vị sẽ kiểm tra hiện trường trong 2 ngày làm việc."
    world.pothole.save()
    report = submit(world)

    dispatch_all()

    [mail] = mailoutbox
    assert mail.to == [EMAIL]
    assert mail.subject.startswith(f"Đã tiếp nhận phản ánh {report.code}.")
    due = timezone.localtime(report.due_at).strftime("%H:%M %d/%m/%Y")
    assert f"Đã tiếp nhận phản ánh {report.code}. Hạn trả lời: {due}." in mail.body
    assert "Kính gửi ông/bà Trần Thị B," in mail.body
    assert "Đơn vị sẽ kiểm tra hiện trường trong 2 ngày làm việc." in mail.body
    assert reporter_url(report) in mail.body
    assert reporter_url(report).endswith(f"/phan-anh/{report.code}/?t={report.access_token}")
    assert mail.extra_headers["Message-ID"].startswith("<cqs.feedback.")


def test_the_sms_gives_the_code_and_the_status_page_without_the_secret(world, gateway):
    report = submit(world)

    dispatch_all()

    [sms] = gateway.state.messages
    assert sms["to"] == PHONE
    assert sms["text"].startswith(f"Đã tiếp nhận phản ánh {report.code}. Hạn trả lời: ")
    assert sms["text"].endswith(f" {status_url(report)}")
    assert report.access_token not in sms["text"]


def test_staff_steps_are_told_with_their_status_and_the_answer_text(world, gateway, mailoutbox):
    report = submit(world)
    answered(world, report)

    dispatch_all()

    subjects = [mail.subject for mail in mailoutbox]
    assert subjects == [
        mailoutbox[0].subject,
        f"Phản ánh {report.code}: Đã thụ lý.",
        f"Phản ánh {report.code}: Đã trả lời.",
    ]
    assert "Nội dung: Đơn vị đã vá ổ gà ngày 3/3/2026." in mailoutbox[2].body
    assert f"Phản ánh {report.code}: Đã trả lời. {status_url(report)}" in [
        sms["text"] for sms in gateway.state.messages
    ]


def test_internal_steps_and_the_reporters_own_steps_are_not_sent(world, gateway, mailoutbox):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="comment", actor=world.handler_a, note="Đã gọi điện cho người dân.")
    report_act(report=report, action="request_info", actor=world.handler_a, note="Xin ảnh chụp rõ hơn.")
    report_act(report=report, action="provide_info", token=report.access_token, note="Ảnh đã gửi kèm.")
    dispatch_all()

    actions = [m.payload["event_id"] for m in messages("feedback.notify.email")]
    steps = list(report.events.filter(pk__in=actions).values_list("action", flat=True))
    assert steps == ["submit", "accept", "request_info"]
    assert "Nội dung: Xin ảnh chụp rõ hơn." in mailoutbox[-1].body


def test_an_anonymous_report_queues_nothing(world, gateway, mailoutbox):
    submit(world, anonymous=True)
    dispatch_all()
    assert not OutboxMessage.objects.filter(topic__startswith="feedback.notify").exists()
    assert mailoutbox == [] and gateway.state.messages == []


def test_a_citizens_account_address_is_used_when_no_contact_address_was_given(world, gateway, mailoutbox):
    submit(world, contact_email="", contact_phone="", reporter=world.citizen)
    dispatch_all()
    assert [mail.to for mail in mailoutbox] == [[world.citizen.email]]


def test_an_address_removed_before_delivery_sends_nothing(world, gateway, mailoutbox):
    report = submit(world)
    Report.objects.filter(pk=report.pk).update(contact_email="", contact_phone="")

    dispatch_all()

    assert mailoutbox == [] and gateway.state.messages == []
    assert {m.status for m in OutboxMessage.objects.all()} == {OutboxStatus.DELIVERED}


def test_a_repeated_email_carries_the_same_message_id(world, gateway, mailoutbox):
    submit(world)
    [message] = messages("feedback.notify.email")

    notifications.email_handler(message)
    notifications.email_handler(message)

    first, second = mailoutbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]


# --- duplicates -------------------------------------------------------------------------------


def test_the_duplicates_reporter_hears_when_the_original_is_answered(world, gateway, mailoutbox):
    original = submit(world, contact_email="goc@example.org", contact_phone="")
    duplicate = submit(
        world,
        lat=NEAR_POINT[0],
        lon=NEAR_POINT[1],
        contact_email="trung@example.org",
        contact_phone="0387654321",
    )
    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=original)
    dispatch_all()
    mailoutbox.clear()
    gateway.state.messages.clear()

    answered(world, original, text="Đã vá. Người báo: goc@example.org.")
    dispatch_all()

    [to_duplicate] = [mail for mail in mailoutbox if mail.to == ["trung@example.org"]]
    expected = (
        f"Phản ánh {duplicate.code} của ông/bà trùng với phản ánh {original.code}, "
        f"đã được {world.commune_a.name} trả lời."
    )
    assert expected in to_duplicate.body
    assert reporter_url(duplicate) in to_duplicate.body
    # the original's answer is written to its own reporter: it is not copied to someone else
    assert "goc@example.org" not in to_duplicate.body and "Nội dung:" not in to_duplicate.body
    assert f"{expected} {status_url(duplicate)}" in [sms["text"] for sms in gateway.state.messages]


def test_a_report_linked_to_an_answered_original_hears_at_once(world, gateway, mailoutbox):
    original = answered(world, submit(world, contact_email="goc@example.org"))
    duplicate = submit(world, contact_email="trung@example.org", contact_phone="")
    mailoutbox.clear()
    dispatch_all()
    mailoutbox.clear()

    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=original)
    dispatch_all()

    bodies = [mail.body for mail in mailoutbox if mail.to == ["trung@example.org"]]
    assert any(f"trùng với phản ánh {original.code}" in body for body in bodies)


# --- overdue alerts ---------------------------------------------------------------------------


def test_an_overdue_report_alerts_the_handlers_of_its_unit_and_above_only(world, gateway, mailoutbox):
    report = submit(world, now=timezone.now() - timedelta(days=40))
    submit(world, area=world.commune_b)  # not late: nothing for Phúc Yên
    mailoutbox.clear()

    assert reports_overdue_mark() == [report.pk]
    [message] = messages("feedback.overdue")
    notifications.overdue_handler(message)

    [mail] = mailoutbox
    assert mail.subject == f"Phản ánh {report.code} quá hạn trả lời"
    # Phường Vĩnh Phúc's handler and the province's (a grant above the commune); not Phúc Yên's,
    # not the leader (no handling permission)
    assert sorted(mail.to) == sorted([world.handler_a.email, world.province_handler.email])
    assert world.handler_b.email not in mail.to and world.leader_a.email not in mail.to
    assert f"Đơn vị xử lý: {world.commune_a.name}." in mail.body
    assert f"/phan-anh/xu-ly/{report.code}/" in mail.body
    for secret in (EMAIL, PHONE, CCCD, "Trần Thị B"):
        assert secret not in mail.body and secret not in mail.subject


def test_the_overdue_alert_goes_to_superusers_when_the_unit_has_no_handler(world, gateway, mailoutbox):
    from cqs.accounts.models import RoleGrant
    from cqs.accounts.tests.factories import OfficialFactory

    RoleGrant.objects.all().delete()
    admin = OfficialFactory(username="quantri", email="quantri@cqs.invalid", is_superuser=True)
    report = submit(world, now=timezone.now() - timedelta(days=40))
    mailoutbox.clear()
    reports_overdue_mark()

    notifications.overdue_handler(messages("feedback.overdue").get())

    assert [mail.to for mail in mailoutbox] == [[admin.email]]
    assert report.code in mailoutbox[0].subject


def test_an_overdue_report_answered_before_delivery_sends_no_alert(world, gateway, mailoutbox):
    report = submit(world, now=timezone.now() - timedelta(days=40))
    reports_overdue_mark()
    answered(world, report)
    mailoutbox.clear()

    notifications.overdue_handler(messages("feedback.overdue").get())

    assert mailoutbox == []


# --- failures carry no personal data ----------------------------------------------------------


def test_a_gateway_failure_is_retried_and_recorded_without_the_number(world, gateway):
    report = submit(world)
    gateway.fail_next(1, status=503)

    dispatch_all()
    [message] = messages("feedback.notify.sms")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and "HTTP 503" in message.last_error
    for secret in (PHONE, "912345678", "912 345 678", EMAIL, CCCD):
        assert secret not in message.last_error

    dispatch_all(now=later(1))
    dispatch_all(now=later(3))
    assert [sms["text"].split(".")[0] for sms in gateway.state.messages] == [
        f"Đã tiếp nhận phản ánh {report.code}"
    ]


def test_a_landline_is_refused_by_the_sms_step_without_showing_it(world, gateway):
    submit(world, contact_phone="0211 3842 123")

    dispatch_all()

    [message] = messages("feedback.notify.sms")
    message.refresh_from_db()
    assert "not a Vietnamese mobile number" in message.last_error
    assert "3842" not in message.last_error and "02113842123" not in message.last_error
    assert gateway.state.messages == []


def test_a_refused_email_is_recorded_without_the_address(world, gateway, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({EMAIL: (550, b"mailbox unavailable")})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    submit(world)

    dispatch_all()

    [message] = messages("feedback.notify.email")
    assert message.status == OutboxStatus.PENDING
    assert "SMTPRecipientsRefused" in message.last_error
    for secret in (EMAIL, PHONE, CCCD, "Trần Thị B"):
        assert secret not in message.last_error


def test_an_overdue_alert_that_fails_names_no_address(world, gateway, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({world.handler_a.email: (550, b"no")})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    submit(world, now=timezone.now() - timedelta(days=40))
    reports_overdue_mark()

    with pytest.raises(DeliveryError) as error:
        notifications.overdue_handler(messages("feedback.overdue").get())

    assert str(error.value) == "e-mail not sent (SMTPRecipientsRefused)"
