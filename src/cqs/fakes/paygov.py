"""A fake PayGov-style payment gateway (WSGI, standard library only).

The real PayGov partner specification is not public. What comes from OpenCPS's integration
(``modules/pay-gate-integration``, see docs/integrations/paygov.md and domain/onestop.md 1.8): the
browser redirect with ``orderId, amount, orderInfo, requestCode, partnerCode, returnUrl`` (and,
in some deployments, ``checksum``), the order id shape ``<unit code>-<dossier code>-01``, and a
callback to ``returnUrl`` carrying ``transactionNo, payDate, errorCode, checksum``. Everything
else is **our assumption**, kept small and written down so that the adapter can be pointed at
the real gateway by changing one module:

- checksum: HMAC-SHA256 hex over the sorted ``key=value`` pairs of every parameter except
  ``checksum``, joined with ``&``, key = shared secret (``cqs.onestop.paygov_checksum``);
- ``GET /pay?orderId=&amount=&orderInfo=&requestCode=&partnerCode=&returnUrl=&checksum=``: the
  payment page; a bad checksum, unknown partner or bad amount gives a 400 page; an order already
  paid or failed cannot be paid again (409 page: a new attempt takes a new order id, ``…-02``);
- ``POST /pay/result`` (form: ``orderId``, ``result`` = ``success`` | ``failed`` | ``abandon``),
  the page's three buttons. Success and failure record a transaction (``transactionNo``,
  ``payDate`` ``yyyyMMddHHmmss`` Vietnam time, ``errorCode`` ``00`` success / ``24`` cancelled by
  the payer) and redirect (302) to ``returnUrl?orderId=&amount=&transactionNo=&payDate=
  &errorCode=&checksum=``; the callback checksum covers exactly those five fields. "abandon"
  leaves the order pending and shows a page without redirect: the timeout case, which CQS
  settles by querying;
- ``GET /query?partnerCode=&orderId=&checksum=``: JSON ``{orderId, amount, status, transactionNo,
  payDate, errorCode, checksum}``, ``status`` one of ``success``, ``failed``, ``pending``,
  ``unknown``; the response checksum covers every other field (``null`` as the empty string);
- ``GET /transactions?partnerCode=&date=YYYYMMDD&checksum=``: JSON list of the same objects, one
  per transaction whose ``payDate`` falls on that day, for the daily reconciliation;
- errors of the server-to-server calls: HTTP 400 with ``{"error": <code>, "message": ...}``.

Test hooks: ``app.state.orders`` (by order id), ``app.state.transactions`` (in order),
``app.reset()``, ``app.fail_next(n, status)``, and ``app.now`` (replace it to fix the clock).
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response, redirect
from cqs.onestop.paygov_checksum import paygov_checksum, paygov_checksum_valid

SUCCESS = "00"
CANCELLED = "24"
# requestCode may be absent or empty; the others must be there.
PAY_REQUIRED = ("orderId", "amount", "orderInfo", "partnerCode", "returnUrl", "checksum")
CALLBACK_FIELDS = ("orderId", "amount", "transactionNo", "payDate", "errorCode")
_AMOUNT = re.compile(r"[1-9]\d{0,14}")
_DATE = re.compile(r"\d{8}")


@dataclass
class PaygovState:
    orders: dict[str, dict] = field(default_factory=dict)
    transactions: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


class PaygovFake(FakeApp):
    def __init__(self, *, partner_code: str, secret: str):
        self.partner_code = partner_code
        self.secret = secret
        self._numbers = itertools.count(1)
        super().__init__()

    def _initial_state(self) -> PaygovState:
        return PaygovState()

    def handle(self, request: Request) -> Response:
        routes = {
            ("GET", "/pay"): self.pay_page,
            ("POST", "/pay/result"): self.pay_result,
            ("GET", "/query"): self.query,
            ("GET", "/transactions"): self.transactions,
        }
        view = routes.get((request.method, request.path.rstrip("/") or "/"))
        if view is None:
            return json_response({"error": "not_found", "message": "Không có địa chỉ này"}, status=404)
        return view(request)

    # The browser's side.

    def _refuse_page(self, message: str, status: int = 400) -> Response:
        return html_page("Không thể thanh toán", f"<p>{html.escape(message)}</p>", status=status)

    def pay_page(self, request: Request) -> Response:
        params = request.query
        missing = [name for name in PAY_REQUIRED if name not in params]
        if missing:
            return self._refuse_page(f"Thiếu tham số: {', '.join(missing)}.")
        if not params["orderId"] or len(params["orderId"]) > 100:
            return self._refuse_page("Mã đơn hàng phải có từ 1 đến 100 ký tự.")
        if params["partnerCode"] != self.partner_code:
            return self._refuse_page("Mã đối tác không đúng.")
        if not paygov_checksum_valid(params, self.secret, params["checksum"]):
            return self._refuse_page("Sai mã kiểm tra (checksum): yêu cầu đã bị sửa hoặc sai khóa bí mật.")
        if not _AMOUNT.fullmatch(params["amount"]):
            return self._refuse_page("Số tiền phải là số nguyên dương (đồng).")
        if urlsplit(params["returnUrl"]).scheme not in ("http", "https"):
            return self._refuse_page("Địa chỉ trả về (returnUrl) không hợp lệ.")
        order_id, amount = params["orderId"], int(params["amount"])
        order = self.state.orders.get(order_id)
        if order is not None and order["status"] != "pending":
            return self._refuse_page("Đơn hàng này đã kết thúc; lần thanh toán mới cần mã đơn hàng mới.", 409)
        if order is not None and order["amount"] != amount:
            return self._refuse_page("Số tiền khác với lần mở đơn hàng trước.", 409)
        if order is None:
            order = self.state.orders[order_id] = {
                "orderId": order_id,
                "amount": amount,
                "orderInfo": params["orderInfo"],
                "requestCode": params.get("requestCode", ""),
                "returnUrl": params["returnUrl"],
                "status": "pending",
                "transactionNo": "",
                "payDate": "",
                "errorCode": "",
                "opened": 1,
            }
        else:
            order["opened"] += 1
        return self._order_page(order)

    def _order_page(self, order: dict) -> Response:
        rows = [
            ("Mã đơn hàng", order["orderId"]),
            ("Nội dung", order["orderInfo"]),
            ("Số tiền", _money(order["amount"])),
        ]
        table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        buttons = "".join(
            '<form method="post" action="/pay/result">'
            f'<input type="hidden" name="orderId" value="{html.escape(order["orderId"])}">'
            f'<input type="hidden" name="result" value="{result}">'
            f'<button type="submit" class="{css}">{label}</button></form>'
            for result, css, label in (
                ("success", "ok", "Thanh toán thành công"),
                ("failed", "fail", "Thanh toán thất bại"),
                ("abandon", "later", "Bỏ dở (hết thời gian)"),
            )
        )
        note = '<p class="note">Cổng thanh toán giả lập của bản trình diễn CQS: không có tiền thật.</p>'
        return html_page("Thanh toán trực tuyến", f"<table>{table}</table>{buttons}{note}")

    def pay_result(self, request: Request) -> Response:
        form = request.form()
        order = self.state.orders.get(form.get("orderId", ""))
        result = form.get("result")
        if order is None or result not in ("success", "failed", "abandon"):
            return self._refuse_page("Không có đơn hàng này hoặc lựa chọn không hợp lệ.")
        if order["status"] != "pending":
            return self._refuse_page("Đơn hàng này đã kết thúc.", 409)
        if result == "abandon":
            return html_page(
                "Giao dịch chưa hoàn tất",
                "<p>Bạn đã rời trang thanh toán trước khi hoàn tất. Đơn hàng vẫn đang chờ; "
                "cơ quan sẽ đối soát với cổng thanh toán.</p>",
            )
        now = self.now()
        order.update(
            status="success" if result == "success" else "failed",
            transactionNo=f"PG{now:%Y%m%d}{next(self._numbers):06d}",
            payDate=f"{now:%Y%m%d%H%M%S}",
            errorCode=SUCCESS if result == "success" else CANCELLED,
        )
        self.state.transactions.append(self._public(order))
        callback = {name: str(order[name]) for name in CALLBACK_FIELDS}
        callback["checksum"] = paygov_checksum(callback, self.secret)
        separator = "&" if urlsplit(order["returnUrl"]).query else "?"
        return redirect(order["returnUrl"] + separator + urlencode(callback))

    # The server-to-server side.

    def _public(self, order: dict) -> dict:
        data = {
            "orderId": order["orderId"],
            "amount": order["amount"],
            "status": order["status"],
            "transactionNo": order["transactionNo"],
            "payDate": order["payDate"],
            "errorCode": order["errorCode"],
        }
        return {**data, "checksum": paygov_checksum(data, self.secret)}

    def _refuse(self, code: str, message: str) -> Response:
        return json_response({"error": code, "message": message}, status=400)

    def _check_partner(self, request: Request, names: tuple[str, ...]) -> Response | None:
        params = request.query
        if any(not params.get(name) for name in (*names, "partnerCode", "checksum")):
            return self._refuse("missing_parameter", "Thiếu tham số")
        if params["partnerCode"] != self.partner_code:
            return self._refuse("bad_partner", "Mã đối tác không đúng")
        if not paygov_checksum_valid(params, self.secret, params["checksum"]):
            return self._refuse("bad_checksum", "Sai mã kiểm tra")
        return None

    def query(self, request: Request) -> Response:
        refused = self._check_partner(request, ("orderId",))
        if refused:
            return refused
        order_id = request.query["orderId"]
        order = self.state.orders.get(order_id)
        if order is None:
            unknown = {
                "orderId": order_id,
                "amount": None,
                "status": "unknown",
                "transactionNo": "",
                "payDate": "",
                "errorCode": "",
            }
            return json_response({**unknown, "checksum": paygov_checksum(unknown, self.secret)})
        return json_response(self._public(order))

    def transactions(self, request: Request) -> Response:
        refused = self._check_partner(request, ("date",))
        if refused:
            return refused
        day = request.query["date"]
        if not _DATE.fullmatch(day):
            return self._refuse("bad_date", "Ngày phải có dạng YYYYMMDD")
        return json_response([tx for tx in self.state.transactions if tx["payDate"].startswith(day)])


def make_app(*, partner_code: str, secret: str) -> PaygovFake:
    """A fresh gateway that knows one partner."""
    return PaygovFake(partner_code=partner_code, secret=secret)
