"""Pay fees through the PayGov-style gateway at ``CQS_PAYGOV_URL`` (contract: docs/integrations/paygov.md).

Three moments of one payment (domain/onestop.md 1.8):

1. ``paygov_checkout_url`` signs the order and gives the address the citizen's browser is sent to;
2. the gateway sends the browser back to our ``returnUrl``: ``paygov_callback_verify`` checks the
   checksum and reads the result. The caller must still check that the order is one we opened,
   with that amount, and must be idempotent (a browser may come back twice);
3. a citizen who never comes back (closed tab, timeout) is settled by ``paygov_query``, and the
   day is reconciled with ``paygov_transactions``. Both raise ``DeliveryError`` for the outbox
   or task to retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.core.outbox import DeliveryError
from cqs.onestop.paygov_checksum import paygov_checksum, paygov_checksum_valid

TIMEOUT = (5, 15)  # seconds: connect, read
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SUCCESS = "00"
CALLBACK_FIELDS = ("orderId", "amount", "transactionNo", "payDate", "errorCode")
STATUSES = ("success", "failed", "pending", "unknown")


@dataclass(frozen=True)
class PaygovCallback:
    """What the gateway says about one payment attempt, checksum verified."""

    order_id: str
    amount: int
    transaction_no: str
    paid_at: datetime
    error_code: str
    succeeded: bool


@dataclass(frozen=True)
class PaygovStatus:
    """The gateway's view of an order (``status``: success, failed, pending or unknown)."""

    order_id: str
    status: str
    amount: int | None
    transaction_no: str
    paid_at: datetime | None
    error_code: str


def _secret() -> str:
    return settings.CQS_PAYGOV_SECRET


def _pay_date(value: str) -> datetime:
    """``yyyyMMddHHmmss`` in Vietnam time, as an aware datetime; ``ValueError`` otherwise."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError(value)
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)


def paygov_checkout_url(
    *, order_id: str, amount: int, order_info: str, return_url: str, request_code: str = ""
) -> str:
    """The gateway's payment page for this order, signed with our secret."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ServiceError("payment_bad_amount", _("Số tiền thanh toán phải là số nguyên dương (đồng)."))
    if not order_id:
        raise ServiceError("payment_bad_order", _("Thiếu mã đơn hàng thanh toán."))
    params = {
        "orderId": order_id,
        "amount": str(amount),
        "orderInfo": order_info,
        "requestCode": request_code,
        "partnerCode": settings.CQS_PAYGOV_PARTNER_CODE,
        "returnUrl": return_url,
    }
    params["checksum"] = paygov_checksum(params, _secret())
    return f"{settings.CQS_PAYGOV_URL.rstrip('/')}/pay?{urlencode(params)}"


def paygov_callback_verify(params: Mapping[str, str]) -> PaygovCallback:
    """Read the gateway's redirect back to us (``request.GET``), refusing anything not signed by it.

    The checksum covers exactly the five callback fields; any other parameter on the return
    address is not the gateway's word and is ignored.
    """
    missing = [name for name in CALLBACK_FIELDS if not params.get(name)]
    if missing:
        raise ServiceError(
            "payment_bad_callback",
            _("Kết quả thanh toán không đầy đủ (thiếu %(fields)s).") % {"fields": ", ".join(missing)},
        )
    signed = {name: params[name] for name in CALLBACK_FIELDS}
    if not paygov_checksum_valid(signed, _secret(), params.get("checksum")):
        raise ServiceError(
            "payment_bad_checksum",
            _("Kết quả thanh toán không có chữ ký hợp lệ của cổng thanh toán; không ghi nhận."),
        )
    try:
        amount = int(signed["amount"])
        paid_at = _pay_date(signed["payDate"])
    except ValueError:
        raise ServiceError(
            "payment_bad_callback", _("Kết quả thanh toán có số tiền hoặc thời điểm không hợp lệ.")
        ) from None
    return PaygovCallback(
        order_id=signed["orderId"],
        amount=amount,
        transaction_no=signed["transactionNo"],
        paid_at=paid_at,
        error_code=signed["errorCode"],
        succeeded=signed["errorCode"] == SUCCESS,
    )


def _get(path: str, params: dict) -> object:
    params = {**params, "partnerCode": settings.CQS_PAYGOV_PARTNER_CODE}
    params["checksum"] = paygov_checksum(params, _secret())
    try:
        response = requests.get(
            f"{settings.CQS_PAYGOV_URL.rstrip('/')}/{path}",
            params=params,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"PayGov {path}: gateway unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise DeliveryError(f"PayGov {path}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise DeliveryError(f"PayGov {path}: the answer is not JSON") from None


def _status(data: object, path: str) -> PaygovStatus:
    if not isinstance(data, dict) or not paygov_checksum_valid(data, _secret(), data.get("checksum")):
        raise DeliveryError(f"PayGov {path}: answer without a valid checksum")
    status = data.get("status")
    if status not in STATUSES:
        raise DeliveryError(f"PayGov {path}: unknown status")
    try:
        amount = None if data.get("amount") in (None, "") else int(data["amount"])
        paid_at = _pay_date(str(data["payDate"])) if data.get("payDate") else None
    except (ValueError, TypeError):
        raise DeliveryError(f"PayGov {path}: bad amount or payDate") from None
    return PaygovStatus(
        order_id=str(data.get("orderId") or ""),
        status=status,
        amount=amount,
        transaction_no=str(data.get("transactionNo") or ""),
        paid_at=paid_at,
        error_code=str(data.get("errorCode") or ""),
    )


def paygov_query(*, order_id: str) -> PaygovStatus:
    """What the gateway knows of ``order_id`` (``unknown`` if the citizen never reached it)."""
    status = _status(_get("query", {"orderId": order_id}), "query")
    if status.order_id != order_id:
        raise DeliveryError("PayGov query: the answer is about another order")
    return status


def paygov_transactions(*, on: date) -> list[PaygovStatus]:
    """Every transaction of day ``on`` (Vietnam time), successful or not, for reconciliation."""
    data = _get("transactions", {"date": on.strftime("%Y%m%d")})
    if not isinstance(data, list):
        raise DeliveryError("PayGov transactions: the answer is not a list")
    return [_status(item, "transactions") for item in data]
