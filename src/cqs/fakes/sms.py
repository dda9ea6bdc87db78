"""A fake SMS gateway (WSGI, standard library only).

Every Vietnamese SMS brand-name provider has its own API; CQS assumes this small one
(docs/integrations/sms.md) and a production deployment puts a thin proxy in front of its
provider if it differs:

- ``POST /messages`` with ``Authorization: Bearer <token>`` and JSON ``{"to": "0912345678",
  "text": "..."}``: ``to`` is a Vietnamese mobile number (10 digits, 03/05/07/08/09…), ``text``
  1–1000 characters. Answer 201 ``{"id": "...", "status": "queued"}``; refusals 400 (401 for a
  wrong token) with ``{"error": <code>, "message": ...}``.
- ``GET /messages``: JSON list of everything sent, newest last; ``GET /``: the same as a page.
  Fake only (a demo inbox, no token): a real gateway has no such thing.

Test hooks: ``app.state.messages``, ``app.state.calls``, ``app.fail_next(n, status)``,
``app.reset()``.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field

from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response

MOBILE = re.compile(r"0[35789]\d{8}")
MAX_TEXT = 1000


@dataclass
class SmsState:
    messages: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)


class SmsFake(FakeApp):
    def __init__(self, *, token: str):
        self.token = token
        self._numbers = itertools.count(1)
        super().__init__()

    def _initial_state(self) -> SmsState:
        return SmsState()

    def failure_response(self, status: int) -> Response:
        return json_response({"error": "unavailable", "message": "Lỗi giả lập"}, status=status)

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if (request.method, path) == ("POST", "/messages"):
            return self.send(request)
        if (request.method, path) == ("GET", "/messages"):
            return json_response(self.state.messages)
        if (request.method, path) == ("GET", "/"):
            return self.inbox()
        return json_response({"error": "not_found", "message": "Không có địa chỉ này"}, status=404)

    def _refuse(self, code: str, message: str, status: int = 400) -> Response:
        return json_response({"error": code, "message": message}, status=status)

    def send(self, request: Request) -> Response:
        if not request.bearer_matches(self.token):
            return self._refuse("unauthorized", "Token không hợp lệ", 401)
        try:
            body = request.json()
        except ValueError:
            return self._refuse("invalid_json", "Nội dung không phải JSON")
        if not isinstance(body, dict):
            return self._refuse("invalid_json", "Nội dung phải là đối tượng JSON")
        to, text = body.get("to"), body.get("text")
        if not isinstance(to, str) or not MOBILE.fullmatch(to):
            return self._refuse(
                "invalid_number", "Số điện thoại di động không hợp lệ (10 chữ số, bắt đầu bằng 0)"
            )
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return self._refuse("invalid_text", f"Nội dung tin nhắn phải có từ 1 đến {MAX_TEXT} ký tự")
        message = {
            "id": f"SMS{next(self._numbers):08d}",
            "to": to,
            "text": text,
            "status": "queued",
            "created": self.now().strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.state.messages.append(message)
        return json_response({"id": message["id"], "status": message["status"]}, status=201)

    def inbox(self) -> Response:
        if not self.state.messages:
            rows = '<p class="note">Chưa có tin nhắn nào.</p>'
        else:
            rows = "<table><tr><th>Thời điểm</th><th>Số máy</th><th>Nội dung</th></tr>"
            rows += "".join(
                f"<tr><td>{html.escape(m['created'])}</td><td>{html.escape(m['to'])}</td>"
                f"<td>{html.escape(m['text'])}</td></tr>"
                for m in reversed(self.state.messages)
            )
            rows += "</table>"
        note = '<p class="note">Cổng SMS giả lập của bản trình diễn CQS: không gửi tin thật.</p>'
        return html_page("Tin nhắn SMS đã gửi", rows + note)


def make_app(*, token: str) -> SmsFake:
    return SmsFake(token=token)
