"""The fake SMS gateway on its own."""

import pytest
import requests

from cqs.fakes import sms
from cqs.fakes.testing import running

TOKEN = "sms-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def gateway():
    app = sms.make_app(token=TOKEN)
    with running(app) as fake:
        app.url = fake.url
        yield app


def send(gateway, to="0912345678", text="Xin chào", headers=AUTH):
    return requests.post(f"{gateway.url}/messages", json={"to": to, "text": text}, headers=headers, timeout=5)


def test_a_message_is_queued_with_an_id(gateway):
    answer = send(gateway)

    assert answer.status_code == 201
    assert answer.json() == {"id": gateway.state.messages[0]["id"], "status": "queued"}


@pytest.mark.parametrize("to", ["912345678", "09123456789", "0212345678", "+84912345678", ""])
def test_a_number_that_is_not_a_vietnamese_mobile_is_refused(gateway, to):
    answer = send(gateway, to=to)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_number"
    assert gateway.state.messages == []


@pytest.mark.parametrize("text", ["", "   ", "x" * 1001])
def test_an_empty_or_too_long_text_is_refused(gateway, text):
    assert send(gateway, text=text).status_code == 400


def test_a_wrong_token_is_refused(gateway):
    answer = send(gateway, headers={"Authorization": "Bearer wrong"})

    assert answer.status_code == 401
    assert gateway.state.messages == []


def test_the_inbox_page_shows_messages_escaped(gateway):
    send(gateway, text="<i>Hồ sơ</i> đã có kết quả")

    page = requests.get(gateway.url + "/", timeout=5)

    assert page.status_code == 200
    assert "&lt;i&gt;Hồ sơ&lt;/i&gt; đã có kết quả" in page.text
