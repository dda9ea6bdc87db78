"""A fake of the Government reporting information system (Hệ thống thông tin báo cáo Chính phủ),
WSGI, standard library only.

No public interface specification exists (docs/integrations/ris.md): this fake implements the
contract CQS assumes until the Government Office hands over the real one.

- ``POST /api/v1/reports`` with ``Authorization: Bearer <token>``, an ``Idempotency-Key`` header
  and one JSON report (``cqs.reporting.ris.ris_payload``): 201 ``{"receiptId", "receivedAt"}``.
  The same key again with the same body answers 200 with the same receipt and stores nothing new;
  the same key with another body is refused (422 ``idempotency_key_reused``).
  Refusals: 401 ``unauthorized``, 400 ``idempotency_key_missing`` / ``invalid_json``, 422 with the
  first invalid field (``missing_field``, ``invalid_type``, ``invalid_period``, ``invalid_value``),
  as ``{"error": <code>, "message": ..., "field": ...}``.
- ``GET /api/v1/reports`` (token): what was received, oldest first, without the PDF bytes.
- ``GET /healthz``: ``{"status": "ok"}``. ``GET /``: a page listing the reports (fake only).

Test hooks: ``app.state.reports``, ``app.state.calls``, ``app.fail_next(n, status)``, ``app.reset()``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import itertools
import json
import re
from dataclasses import dataclass, field

from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response

PATH = "/api/v1/reports"
PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2]|Q[1-4]|S[12]|N9)?$")
CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,49}$")
MAX_VALUES = 20_000
KEY_MAX = 200

# (key, accepted types, may be null)
FIELDS: tuple[tuple[str, tuple[type, ...], bool], ...] = (
    ("reportId", (str,), False),
    ("regimeCode", (str,), False),
    ("regimeVersion", (int,), False),
    ("period", (str,), False),
    ("orgUnit", (str,), False),
    ("orgUnitName", (str,), False),
    ("receiver", (str,), False),
    ("submittedAt", (str,), True),
    ("approvedAt", (str,), True),
    ("late", (bool,), False),
    ("outline", (str,), False),
    ("dataValues", (list,), False),
)
VALUE_FIELDS = ("dataElement", "categoryOptionCombo", "value")


class Invalid(Exception):
    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def validate(report: object) -> None:
    """Raise ``Invalid`` naming the first thing wrong with a report document."""
    if not isinstance(report, dict):
        raise Invalid("invalid_json", "Nội dung phải là một đối tượng JSON")
    for key, types, nullable in FIELDS:
        if key not in report:
            raise Invalid("missing_field", f"Thiếu trường {key}", key)
        value = report[key]
        if value is None and nullable:
            continue
        # bool is an int in Python: a version of ``true`` is not a number.
        if not isinstance(value, types) or (int in types and isinstance(value, bool)):
            raise Invalid("invalid_type", f"Trường {key} sai kiểu dữ liệu", key)
    for key in ("reportId", "regimeCode", "orgUnit", "receiver"):
        if not report[key].strip():
            raise Invalid("invalid_value", f"Trường {key} không được để trống", key)
    if not CODE.match(report["regimeCode"]):
        raise Invalid("invalid_value", "Mã chế độ báo cáo không hợp lệ", "regimeCode")
    if not PERIOD.match(report["period"]):
        raise Invalid("invalid_period", "Kỳ báo cáo không hợp lệ (ví dụ 202603, 2026Q1, 2026)", "period")
    if report["approvedAt"] is None:
        raise Invalid("invalid_value", "Chỉ tiếp nhận báo cáo đã được duyệt", "approvedAt")
    values = report["dataValues"]
    if len(values) > MAX_VALUES:
        raise Invalid("invalid_value", f"Quá {MAX_VALUES} giá trị", "dataValues")
    for index, value in enumerate(values):
        where = f"dataValues[{index}]"
        if not isinstance(value, dict):
            raise Invalid("invalid_type", "Mỗi giá trị phải là một đối tượng", where)
        for key in VALUE_FIELDS:
            if not isinstance(value.get(key), str):
                raise Invalid("invalid_type", f"{key} phải là chuỗi", f"{where}.{key}")
        if not CODE.match(value["dataElement"]) or not CODE.match(value["categoryOptionCombo"]):
            raise Invalid("invalid_value", "Mã chỉ tiêu hoặc mã phân tổ không hợp lệ", where)
    pdf = report.get("signedPdf")
    if pdf is not None:
        if not isinstance(pdf, str):
            raise Invalid("invalid_type", "signedPdf phải là chuỗi base64", "signedPdf")
        try:
            data = base64.b64decode(pdf, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("invalid_value", "signedPdf không phải base64 hợp lệ", "signedPdf") from None
        if not data.startswith(b"%PDF-"):
            raise Invalid("invalid_value", "signedPdf không phải tệp PDF", "signedPdf")


@dataclass
class RisState:
    reports: list[dict] = field(default_factory=list)
    by_key: dict[str, dict] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)


class RisFake(FakeApp):
    def __init__(self, *, token: str):
        self.token = token
        self._numbers = itertools.count(1)
        super().__init__()

    def _initial_state(self) -> RisState:
        return RisState()

    def failure_response(self, status: int) -> Response:
        return json_response({"error": "unavailable", "message": "Lỗi giả lập"}, status=status)

    def _refuse(self, code: str, message: str, status: int = 422, field: str = "") -> Response:
        body = {"error": code, "message": message}
        if field:
            body["field"] = field
        return json_response(body, status=status)

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        route = (request.method, path)
        if route == ("POST", PATH):
            return self.receive(request)
        if route == ("GET", PATH):
            if not request.bearer_matches(self.token):
                return self._refuse("unauthorized", "Token không hợp lệ", 401)
            return json_response({"reports": [self._summary(r) for r in self.state.reports]})
        if route == ("GET", "/healthz"):
            return json_response({"status": "ok"})
        if route == ("GET", "/"):
            return self.page()
        return self._refuse("not_found", "Không có địa chỉ này", 404)

    def receive(self, request: Request) -> Response:
        if not request.bearer_matches(self.token):
            return self._refuse("unauthorized", "Token không hợp lệ", 401)
        key = request.environ.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if not key or len(key) > KEY_MAX:
            return self._refuse("idempotency_key_missing", "Thiếu tiêu đề Idempotency-Key", 400)
        try:
            report = request.json()
        except (ValueError, UnicodeDecodeError):
            return self._refuse("invalid_json", "Nội dung không phải JSON", 400)
        digest = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()
        seen = self.state.by_key.get(key)
        if seen is not None:
            if seen["digest"] != digest:
                return self._refuse(
                    "idempotency_key_reused", "Idempotency-Key đã dùng cho một báo cáo khác", 422
                )
            return json_response(self._receipt(seen), status=200)
        try:
            validate(report)
        except Invalid as exc:
            return self._refuse(exc.code, exc.message, 422, exc.field)
        stored = {
            "receiptId": f"RIS-{self.now():%Y}-{next(self._numbers):06d}",
            "receivedAt": self.now().isoformat(timespec="seconds"),
            "idempotencyKey": key,
            "digest": digest,
            "report": report,
        }
        self.state.by_key[key] = stored
        self.state.reports.append(stored)
        return json_response(self._receipt(stored), status=201)

    @staticmethod
    def _receipt(stored: dict) -> dict:
        return {"receiptId": stored["receiptId"], "receivedAt": stored["receivedAt"]}

    @staticmethod
    def _summary(stored: dict) -> dict:
        report = {k: v for k, v in stored["report"].items() if k != "signedPdf"}
        report["signedPdfBytes"] = len(base64.b64decode(stored["report"].get("signedPdf") or ""))
        return RisFake._receipt(stored) | {"report": report}

    def page(self) -> Response:
        if not self.state.reports:
            rows = '<p class="note">Chưa nhận báo cáo nào.</p>'
        else:
            rows = "<table><tr><th>Mã tiếp nhận</th><th>Báo cáo</th><th>Đơn vị</th></tr>"
            rows += "".join(
                f"<tr><td>{html.escape(s['receiptId'])}</td>"
                f"<td>{html.escape(s['report']['regimeCode'])} {html.escape(s['report']['period'])}</td>"
                f"<td>{html.escape(s['report']['orgUnitName'])}</td></tr>"
                for s in reversed(self.state.reports)
            )
            rows += "</table>"
        note = '<p class="note">Hệ thống báo cáo Chính phủ giả lập của bản trình diễn CQS.</p>'
        return html_page("Báo cáo đã tiếp nhận", rows + note)


def make_app(*, token: str) -> RisFake:
    return RisFake(token=token)
