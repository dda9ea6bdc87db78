"""The fake PayGov gateway on its own: what it refuses and what it shows (standard HTTP only)."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from cqs.fakes import paygov
from cqs.fakes.testing import page_forms, paygov_press, running
from cqs.onestop.paygov_checksum import paygov_checksum

PARTNER = "CQS-TEST"
SECRET = "test-secret"


@pytest.fixture
def gateway():
    app = paygov.make_app(partner_code=PARTNER, secret=SECRET)
    with running(app) as fake:
        app.url = fake.url
        yield app


def signed(params: dict, secret: str = SECRET) -> dict:
    return {**params, "checksum": paygov_checksum(params, secret)}


def pay_params(**changes) -> dict:
    params = {
        "orderId": "H62-0001-01",
        "amount": "25000",
        "orderInfo": "Lệ phí hồ sơ",
        "requestCode": "",
        "partnerCode": PARTNER,
        "returnUrl": "http://127.0.0.1:8000/return/",
    }
    return {**params, **changes}


def pay_url(gateway, params: dict) -> str:
    return f"{gateway.url}/pay?{urlencode(params)}"


def test_payment_page_offers_three_post_forms_and_no_script(gateway):
    page = requests.get(pay_url(gateway, signed(pay_params())), timeout=5)

    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    assert "<script" not in page.text
    assert [fields["result"] for _action, fields in page_forms(page.text)] == ["success", "failed", "abandon"]


def test_payment_page_escapes_the_order_description(gateway):
    page = requests.get(pay_url(gateway, signed(pay_params(orderInfo="<b>Lệ phí</b>"))), timeout=5)

    assert "&lt;b&gt;Lệ phí&lt;/b&gt;" in page.text
    assert "<b>Lệ phí" not in page.text


@pytest.mark.parametrize(
    "params",
    [
        signed(pay_params(), secret="other-secret"),
        pay_params(),
        signed(pay_params(partnerCode="SOMEONE-ELSE")),
        signed(pay_params(amount="-5")),
        signed(pay_params(amount="12.5")),
        signed(pay_params(returnUrl="javascript:alert(1)")),
        signed({k: v for k, v in pay_params().items() if k != "returnUrl"}),
    ],
    ids=["bad-checksum", "no-checksum", "other-partner", "negative", "decimal", "bad-return", "no-return"],
)
def test_payment_page_refuses_a_bad_request(gateway, params):
    page = requests.get(pay_url(gateway, params), timeout=5)

    assert page.status_code == 400
    assert gateway.state.orders == {}


def test_callback_goes_to_a_return_address_with_its_own_query(gateway):
    url = pay_url(gateway, signed(pay_params(returnUrl="http://127.0.0.1:8000/return/?lang=vi")))

    answer = paygov_press(url, "success")

    location = urlsplit(answer.headers["Location"])
    params = dict(parse_qsl(location.query))
    assert params["lang"] == "vi"
    assert params["errorCode"] == "00"
    callback = {k: params[k] for k in ("orderId", "amount", "transactionNo", "payDate", "errorCode")}
    assert params["checksum"] == paygov_checksum(callback, SECRET)


def test_transaction_numbers_are_unique(gateway):
    paygov_press(pay_url(gateway, signed(pay_params(orderId="A-01"))), "success")
    paygov_press(pay_url(gateway, signed(pay_params(orderId="B-01"))), "failed")

    numbers = [tx["transactionNo"] for tx in gateway.state.transactions]
    assert len(set(numbers)) == 2


def test_pressing_a_button_of_an_unknown_order_is_refused(gateway):
    answer = requests.post(
        f"{gateway.url}/pay/result", data={"orderId": "nope", "result": "success"}, timeout=5
    )

    assert answer.status_code == 400
    assert gateway.state.transactions == []


def test_query_with_a_bad_checksum_is_refused_as_json(gateway):
    params = {"partnerCode": PARTNER, "orderId": "A-01", "checksum": "0" * 64}

    answer = requests.get(f"{gateway.url}/query", params=params, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_checksum"


def test_transactions_with_a_malformed_date_are_refused(gateway):
    answer = requests.get(
        f"{gateway.url}/transactions",
        params=signed({"partnerCode": PARTNER, "date": "2026-03-02"}),
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_date"


def test_reset_forgets_orders_and_transactions(gateway):
    paygov_press(pay_url(gateway, signed(pay_params())), "success")

    gateway.reset()

    assert gateway.state.orders == {}
    assert gateway.state.transactions == []
