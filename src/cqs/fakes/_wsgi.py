"""What every fake needs from WSGI: requests in, JSON and HTML out, bearer tokens, failures on demand.

Standard library only (the fakes run without Django).
"""

from __future__ import annotations

import hmac
import html
import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import parse_qs

# Vietnam has kept UTC+7 without daylight saving time since 1975.
VIETNAM = timezone(timedelta(hours=7), "ICT")
MAX_BODY_BYTES = 10 * 1024 * 1024

StartResponse = Callable[..., object]


class Request:
    """The parts of a WSGI environ the fakes read."""

    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = environ.get("PATH_INFO", "") or "/"
        self.query = {
            key: values[-1]
            for key, values in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        self._body: bytes | None = None

    @property
    def body(self) -> bytes:
        if self._body is None:
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            length = max(0, min(length, MAX_BODY_BYTES))
            self._body = self.environ["wsgi.input"].read(length) if length else b""
        return self._body

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def json(self) -> object:
        """The JSON body; ``ValueError`` when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def bearer_matches(self, token: str) -> bool:
        header = self.environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        return hmac.compare_digest(presented.strip().encode(), token.encode())


class Response:
    def __init__(self, body: bytes, *, status: int = 200, content_type: str, headers=()):
        self.body = body
        self.status = status
        self.headers = [("Content-Type", content_type), ("Cache-Control", "no-store"), *headers]

    def __call__(self, start_response: StartResponse) -> Iterable[bytes]:
        phrase = HTTPStatus(self.status).phrase
        start_response(f"{self.status} {phrase}", [*self.headers, ("Content-Length", str(len(self.body)))])
        return [self.body]


def json_response(data: object, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(b"", status=302, content_type="text/plain", headers=[("Location", location)])


PAGE_STYLE = """
body{font-family:system-ui,sans-serif;max-width:32rem;margin:0 auto;padding:1rem;line-height:1.5}
h1{font-size:1.4rem}table{width:100%;border-collapse:collapse;margin:1rem 0}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #dee2e6;vertical-align:top}
button{display:block;width:100%;padding:.8rem;margin:.5rem 0;font-size:1rem;border:0;border-radius:.4rem}
button{color:#fff}
.ok{background:#198754}.fail{background:#dc3545}.later{background:#6c757d}
.note{color:#6c757d;font-size:.9rem}
"""


def html_page(title: str, body_html: str, *, status: int = 200) -> Response:
    """A small page that reads well on a phone; ``body_html`` must already be escaped."""
    page = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body_html}</body></html>"
    )
    return Response(page.encode(), status=status, content_type="text/html; charset=utf-8")


class FakeApp:
    """Base of the fakes: a WSGI callable with a lock, a call log and ``fail_next``.

    Subclasses implement ``handle(request) -> Response`` and ``_initial_state()``.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def _initial_state(self):
        raise NotImplementedError

    def reset(self) -> None:
        """Forget everything the fake was told (test hook)."""
        with self.lock:
            self.state = self._initial_state()
            self._failures: list[int] = []

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """Answer the next ``n`` requests with HTTP ``status`` (test hook for retries)."""
        with self.lock:
            self._failures.extend([status] * n)

    def now(self) -> datetime:
        """The fake's clock, in Vietnam time; tests may replace it on the instance."""
        return datetime.now(UTC).astimezone(VIETNAM)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def failure_response(self, status: int) -> Response:
        return json_response({"error_code": status, "message": "Lỗi giả lập"}, status=status)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self.lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                response = self.failure_response(failure)
            else:
                try:
                    response = self.handle(request)
                except Exception:  # a fake must answer, even when its own code is wrong
                    response = json_response(
                        {"error_code": 500, "message": "Lỗi máy chủ giả lập"}, status=500
                    )
            log = getattr(self.state, "calls", None)
            if log is not None:
                # Method, path and status only: bodies and query strings carry personal data.
                log.append({"method": request.method, "path": request.path, "status": response.status})
        return response(start_response)
