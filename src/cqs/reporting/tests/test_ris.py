"""The push of approved reports to the Government reporting system, against its fake over HTTP."""

import socket
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cqs.core.models import OutboxMessage, OutboxStatus
from cqs.core.outbox import DeliveryError, outbox_dispatch
from cqs.fakes import ris as ris_fake
from cqs.fakes.testing import running
from cqs.reporting.choices import ReportAction
from cqs.reporting.models import ReportEvent
from cqs.reporting.ris import TOPIC, ris_push_handler
from cqs.reporting.services import reports as svc

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "ris-test-token"


def at(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def system(settings):
    app = ris_fake.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_RIS_URL = fake.url
        settings.CQS_RIS_TOKEN = TOKEN
        yield app


@pytest.fixture
def approved(land):
    """The commune's March 2026 report, approved by its district, under a regime that asks for
    the push (the fixture's regime does not: switched on here)."""
    land.version.push_to_ris = True
    land.version.save(update_fields=["push_to_ris"])
    officer = land.commune_officer
    report = svc.report_open(
        actor=officer, regime=land.regime, unit=land.commune, period="202603", now=at(2026, 3, 10)
    )
    svc.report_values_save(
        actor=officer,
        report=report,
        values={"HS_NHAN.default": "120", "HS_TRUC_TUYEN.TOAN_TRINH": "40", "GHI_CHU.default": "Không"},
        outline_text="1. Kết quả nổi bật",
        now=at(2026, 3, 10),
    )
    svc.report_submit(actor=officer, report=report, now=at(2026, 3, 16))
    return svc.report_approve(actor=land.district_reviewer, report=report, now=at(2026, 3, 17))


def message():
    return OutboxMessage.objects.get(topic=TOPIC)


def test_given_an_approved_report_when_the_outbox_runs_twice_then_the_system_has_it_once(system, approved):
    first = outbox_dispatch()
    second = outbox_dispatch()

    assert (first.delivered, second.claimed) == (1, 0)
    assert len(system.state.reports) == 1
    received = system.state.reports[0]
    assert received["idempotencyKey"] == approved.uid
    assert received["report"]["period"] == "202603"
    assert {v["dataElement"] for v in received["report"]["dataValues"]} == {
        "HS_NHAN",
        "HS_TRUC_TUYEN",
        "GHI_CHU",
    }
    assert received["report"]["signedPdf"]
    event = ReportEvent.objects.get(report=approved, action=ReportAction.PUSHED)
    assert received["receiptId"] in event.note


def test_given_the_system_fails_with_503_then_the_outbox_retries_later_and_delivers_once(system, approved):
    system.fail_next(1, status=503)

    first = outbox_dispatch()

    assert first.retried == 1
    pending = message()
    assert pending.status == OutboxStatus.PENDING and "503" in pending.last_error
    assert system.state.reports == []
    later = outbox_dispatch(now=timezone.now() + timedelta(hours=2))
    assert later.delivered == 1
    assert len(system.state.reports) == 1


def test_given_the_answer_was_lost_when_the_push_is_repeated_then_no_duplicate(system, approved):
    ris_push_handler(message())
    ris_push_handler(message())

    assert len(system.state.reports) == 1
    receipts = ReportEvent.objects.filter(report=approved, action=ReportAction.PUSHED).values_list(
        "note", flat=True
    )
    assert len(set(receipts)) == 1


def test_given_a_wrong_token_then_delivery_fails_and_nothing_is_stored(system, approved, settings):
    settings.CQS_RIS_TOKEN = "wrong"

    with pytest.raises(DeliveryError, match="401"):
        ris_push_handler(message())

    assert system.state.reports == []


def test_given_the_system_is_unreachable_then_delivery_fails_for_a_retry(approved, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CQS_RIS_URL = f"http://127.0.0.1:{port}"
    settings.CQS_RIS_TOKEN = TOKEN

    with pytest.raises(DeliveryError, match="unreachable"):
        ris_push_handler(message())
    assert outbox_dispatch().retried == 1


def test_given_the_connector_is_off_then_delivery_fails_and_waits(approved, settings):
    settings.CQS_RIS_URL = ""

    with pytest.raises(DeliveryError, match="CQS_RIS_URL"):
        ris_push_handler(message())


def test_given_a_regime_without_push_then_nothing_is_queued(land):
    officer = land.commune_officer
    report = svc.report_open(
        actor=officer, regime=land.regime, unit=land.commune, period="202603", now=at(2026, 3, 10)
    )
    svc.report_values_save(actor=officer, report=report, values={"HS_NHAN.default": "1"}, now=at(2026, 3, 10))
    svc.report_submit(actor=officer, report=report, now=at(2026, 3, 16))

    svc.report_approve(actor=land.district_reviewer, report=report, now=at(2026, 3, 17))

    assert not OutboxMessage.objects.filter(topic=TOPIC).exists()
