"""The SMS adapter against the fake gateway, over real HTTP."""

import logging

import pytest
import requests

from cqs.core.outbox import DeliveryError
from cqs.core.sms import normalise_phone, sms_send
from cqs.fakes import sms as fake_sms
from cqs.fakes.testing import running

TOKEN = "sms-test-token"
PHONE = "0912345678"


@pytest.fixture
def gateway(settings):
    app = fake_sms.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_SMS_URL = fake.url
        settings.CQS_SMS_TOKEN = TOKEN
        app.url = fake.url
        yield app


def test_send_delivers_the_message_and_returns_its_id(gateway):
    message_id = sms_send(phone=PHONE, text="Hồ sơ 0001 đã có kết quả.")

    [message] = gateway.state.messages
    assert message_id == message["id"]
    assert (message["to"], message["text"]) == (PHONE, "Hồ sơ 0001 đã có kết quả.")


def test_sent_messages_are_listed_by_the_gateway(gateway):
    sms_send(phone=PHONE, text="Tin thứ nhất")
    sms_send(phone="0387654321", text="Tin thứ hai")

    listed = requests.get(f"{gateway.url}/messages", timeout=5).json()

    assert [m["text"] for m in listed] == ["Tin thứ nhất", "Tin thứ hai"]


def test_international_form_of_the_number_is_sent_as_national(gateway):
    sms_send(phone="+84 912 345 678", text="Xin chào")

    assert gateway.state.messages[0]["to"] == PHONE


@pytest.mark.parametrize("phone", ["+84912345678", "84912345678", "0912.345.678", "0912 345 678"])
def test_normalise_phone(phone):
    assert normalise_phone(phone) == PHONE


def test_a_number_that_is_not_a_mobile_raises_without_showing_it(gateway):
    with pytest.raises(DeliveryError) as error:
        sms_send(phone="02113123456", text="Xin chào")

    assert "02113123456" not in str(error.value)
    assert gateway.state.calls == []


def test_gateway_refusal_raises_delivery_error_without_the_number(gateway, settings, caplog):
    settings.CQS_SMS_TOKEN = "wrong"

    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError, match="HTTP 401") as error:
        sms_send(phone=PHONE, text="Xin chào")

    assert PHONE not in str(error.value)
    assert PHONE not in caplog.text
    assert gateway.state.messages == []


def test_gateway_failure_raises_delivery_error(gateway):
    gateway.fail_next(1, status=503)

    with pytest.raises(DeliveryError, match="HTTP 503"):
        sms_send(phone=PHONE, text="Xin chào")


def test_unreachable_gateway_raises_delivery_error(settings):
    settings.CQS_SMS_URL = "http://127.0.0.1:9"

    with pytest.raises(DeliveryError, match="unreachable"):
        sms_send(phone=PHONE, text="Xin chào")


def test_sms_turned_off_sends_nothing(settings, monkeypatch):
    settings.CQS_SMS_URL = ""
    calls = []
    monkeypatch.setattr(requests, "post", lambda *args, **kwargs: calls.append(args))

    assert sms_send(phone=PHONE, text="Xin chào") == ""
    assert calls == []
