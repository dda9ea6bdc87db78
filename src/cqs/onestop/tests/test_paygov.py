"""The PayGov adapter against the fake gateway, over real HTTP."""

import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from cqs.core.exceptions import ServiceError
from cqs.core.outbox import DeliveryError
from cqs.fakes import paygov as fake_paygov
from cqs.fakes.testing import paygov_press, running
from cqs.onestop.paygov import (
    paygov_callback_verify,
    paygov_checkout_url,
    paygov_query,
    paygov_transactions,
)
from cqs.onestop.paygov_checksum import paygov_checksum

PARTNER = "CQS-TEST"
SECRET = "test-secret"
RETURN_URL = "http://127.0.0.1:8000/onestop/payments/return/"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FIXED_NOW = dt.datetime(2026, 3, 2, 9, 30, 15, tzinfo=VIETNAM)


@pytest.fixture
def gateway(settings):
    app = fake_paygov.make_app(partner_code=PARTNER, secret=SECRET)
    app.now = lambda: FIXED_NOW
    with running(app) as fake:
        settings.CQS_PAYGOV_URL = fake.url
        settings.CQS_PAYGOV_PARTNER_CODE = PARTNER
        settings.CQS_PAYGOV_SECRET = SECRET
        yield app


def checkout(order_id="H62-000.00.53.H62-260302-0001-01", amount=50000):
    return paygov_checkout_url(
        order_id=order_id, amount=amount, order_info="Lệ phí hồ sơ 0001", return_url=RETURN_URL
    )


def callback_params(response) -> dict[str, str]:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == RETURN_URL
    return dict(parse_qsl(location.query))


def test_checkout_url_is_accepted_by_the_gateway(gateway):
    # When the browser opens the signed address
    page = requests.get(checkout(), timeout=5)

    # Then the gateway shows the order with its three choices
    assert page.status_code == 200
    assert "50.000 đ" in page.text
    for label in ("Thanh toán thành công", "Thanh toán thất bại", "Bỏ dở (hết thời gian)"):
        assert label in page.text
    assert gateway.state.orders["H62-000.00.53.H62-260302-0001-01"]["status"] == "pending"


def test_checkout_url_with_a_changed_amount_is_refused_by_the_gateway(gateway):
    # Given a signed address whose amount a citizen lowered
    url = checkout(amount=50000).replace("amount=50000", "amount=5000")

    # When it is opened, then the gateway refuses it
    assert requests.get(url, timeout=5).status_code == 400
    assert gateway.state.orders == {}


def test_checkout_refuses_a_non_positive_amount(gateway):
    with pytest.raises(ServiceError) as error:
        checkout(amount=0)
    assert error.value.error_code == "payment_bad_amount"


def test_successful_payment_comes_back_verified(gateway):
    # When the citizen pays and the browser comes back to us
    answer = paygov_press(checkout(), "success")
    result = paygov_callback_verify(callback_params(answer))

    # Then the callback reads as a success for that order and amount, at the gateway's time
    assert result.succeeded is True
    assert result.error_code == "00"
    assert result.order_id == "H62-000.00.53.H62-260302-0001-01"
    assert result.amount == 50000
    assert result.paid_at == FIXED_NOW
    assert result.transaction_no == gateway.state.transactions[0]["transactionNo"]


def test_failed_payment_comes_back_as_not_succeeded(gateway):
    answer = paygov_press(checkout(), "failed")

    result = paygov_callback_verify(callback_params(answer))

    assert result.succeeded is False
    assert result.error_code == "24"
    assert gateway.state.orders[result.order_id]["status"] == "failed"


def test_abandoned_payment_stays_pending_and_does_not_redirect(gateway):
    # When the citizen gives up on the gateway's page
    answer = paygov_press(checkout(), "abandon")

    # Then no callback comes, and the order is still pending when we ask
    assert answer.status_code == 200
    assert "Location" not in answer.headers
    status = paygov_query(order_id="H62-000.00.53.H62-260302-0001-01")
    assert status.status == "pending"
    assert status.amount == 50000
    assert status.paid_at is None


def test_abandoned_payment_can_be_resumed_from_the_same_address(gateway):
    url = checkout()
    paygov_press(url, "abandon")

    answer = paygov_press(url, "success")

    assert paygov_callback_verify(callback_params(answer)).succeeded is True


def test_a_finished_order_cannot_be_paid_again(gateway):
    url = checkout()
    paygov_press(url, "failed")

    assert requests.get(url, timeout=5).status_code == 409


def test_tampered_callback_is_refused(gateway):
    # Given a real callback whose error code a browser changed from failure to success
    params = callback_params(paygov_press(checkout(), "failed"))
    params["errorCode"] = "00"

    # When it is verified, then it is refused
    with pytest.raises(ServiceError) as error:
        paygov_callback_verify(params)
    assert error.value.error_code == "payment_bad_checksum"


def test_callback_without_checksum_is_refused(gateway):
    params = callback_params(paygov_press(checkout(), "success"))
    del params["checksum"]

    with pytest.raises(ServiceError) as error:
        paygov_callback_verify(params)
    assert error.value.error_code == "payment_bad_checksum"


def test_callback_missing_a_field_is_refused(gateway):
    params = callback_params(paygov_press(checkout(), "success"))
    del params["transactionNo"]

    with pytest.raises(ServiceError) as error:
        paygov_callback_verify(params)
    assert error.value.error_code == "payment_bad_callback"


def test_callback_signed_with_another_secret_is_refused(settings):
    fields = {"orderId": "X-01", "amount": "1000", "transactionNo": "T1", "payDate": "20260302093015"}
    params = {**fields, "errorCode": "00"}
    params["checksum"] = paygov_checksum(params, "someone-elses-secret")
    settings.CQS_PAYGOV_SECRET = SECRET

    with pytest.raises(ServiceError) as error:
        paygov_callback_verify(params)
    assert error.value.error_code == "payment_bad_checksum"


def test_extra_parameters_on_the_return_address_are_ignored(gateway):
    params = callback_params(paygov_press(checkout(), "success"))

    result = paygov_callback_verify({**params, "next": "/elsewhere/"})

    assert result.succeeded is True


def test_query_reports_a_successful_payment(gateway):
    callback = paygov_callback_verify(callback_params(paygov_press(checkout(), "success")))

    status = paygov_query(order_id=callback.order_id)

    assert status.status == "success"
    assert status.transaction_no == callback.transaction_no
    assert status.paid_at == callback.paid_at
    assert status.amount == 50000
    assert status.error_code == "00"


def test_query_of_an_order_never_opened_is_unknown(gateway):
    status = paygov_query(order_id="never-opened-01")

    assert status.status == "unknown"
    assert status.amount is None


def test_query_with_a_wrong_secret_raises_delivery_error(gateway, settings):
    settings.CQS_PAYGOV_SECRET = "not-the-secret"

    with pytest.raises(DeliveryError, match="HTTP 400"):
        paygov_query(order_id="any-01")


def test_query_answer_with_a_bad_checksum_raises_delivery_error(settings):
    # Given a server that answers like the gateway but cannot sign with our secret
    def impostor(environ, start_response):
        answer = {
            "orderId": "any-01",
            "amount": 1000,
            "status": "success",
            "transactionNo": "T1",
            "payDate": "20260302093015",
            "errorCode": "00",
            "checksum": paygov_checksum({"orderId": "any-01"}, "not-our-secret"),
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    with running(impostor) as fake:
        settings.CQS_PAYGOV_URL = fake.url
        settings.CQS_PAYGOV_SECRET = SECRET

        # When we query, then its answer is not trusted
        with pytest.raises(DeliveryError, match="checksum"):
            paygov_query(order_id="any-01")


def test_query_when_the_gateway_is_down_raises_delivery_error(gateway):
    gateway.fail_next(1, status=503)

    with pytest.raises(DeliveryError, match="HTTP 503"):
        paygov_query(order_id="any-01")


def test_query_when_the_gateway_is_unreachable_raises_delivery_error(settings):
    settings.CQS_PAYGOV_URL = "http://127.0.0.1:9"

    with pytest.raises(DeliveryError, match="unreachable"):
        paygov_query(order_id="any-01")


def test_transactions_of_a_day_list_successes_and_failures(gateway):
    # Given one paid order, one failed, one abandoned on the same day
    paygov_press(checkout(order_id="A-01"), "success")
    paygov_press(checkout(order_id="B-01"), "failed")
    paygov_press(checkout(order_id="C-01"), "abandon")

    # When the day is reconciled
    day = paygov_transactions(on=FIXED_NOW.date())

    # Then both transactions are there, the abandoned order is not
    assert [(t.order_id, t.status) for t in day] == [("A-01", "success"), ("B-01", "failed")]
    assert paygov_transactions(on=FIXED_NOW.date() + dt.timedelta(days=1)) == []


def test_checksum_is_hmac_sha256_over_sorted_raw_pairs():
    # The documented rule, computed by hand: sorted names, raw values, checksum itself left out
    params = {"orderId": "A-01", "amount": 1000, "returnUrl": "http://x/?a=b&c=d", "checksum": "ignored"}
    message = b"amount=1000&orderId=A-01&returnUrl=http://x/?a=b&c=d"

    assert paygov_checksum(params, "k") == hmac.new(b"k", message, hashlib.sha256).hexdigest()


def test_checksum_treats_none_as_empty():
    assert paygov_checksum({"amount": None}, "k") == paygov_checksum({"amount": ""}, "k")
