"""A local RFC 3161 timestamp authority (WSGI), for the demo and the tests of PAdES B-T signing.

- ``POST /`` with ``Content-Type: application/timestamp-query`` and a DER ``TimeStampReq``:
  answers 200 ``application/timestamp-reply`` with a granted ``TimeStampResp`` whose token is
  signed by the TSA certificate it was given (extended key usage timeStamping, issued by the demo
  CA: ``cqs.core.signing.tsa_certificate_ensure``). The token carries the request's nonce and the
  TSA certificate (``certReq`` is honoured always).
- Anything else: 400 (not a timestamp query, or an unknown hash algorithm / wrong digest length),
  405 (another method), 404 (another path), as plain text.

A real deployment points ``CQS_TSA_URL`` at the timestamp service of its CA (the Government CA
runs one for VGCA certificates); nothing else changes. Not Django: the certificate comes in as PEM.
Test hooks: ``app.state.calls``, ``app.state.issued``, ``app.fail_next(n, status)``, ``app.reset()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from asn1crypto import keys, pem, tsp, x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from cqs.fakes._wsgi import FakeApp, Request, Response

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64, "sha3_256": 32, "sha3_512": 64}
MAX_QUERY_BYTES = 4096  # a TimeStampReq is a few hundred bytes


@dataclass
class TsaState:
    issued: int = 0
    calls: list[dict] = field(default_factory=list)


def _der(data: bytes) -> bytes:
    return pem.unarmor(data)[2] if pem.detect(data) else data


def _text(body: str, status: int) -> Response:
    return Response(body.encode(), status=status, content_type="text/plain; charset=utf-8")


class TsaFake(FakeApp):
    def __init__(self, *, key_pem: bytes, cert_pem: bytes):
        cert = x509.Certificate.load(_der(cert_pem))
        # PKCS#8 whatever the PEM's own format, as DummyTimeStamper wants it.
        private = serialization.load_pem_private_key(key_pem, password=None)
        key = keys.PrivateKeyInfo.load(
            private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)
        super().__init__()

    def _initial_state(self) -> TsaState:
        return TsaState()

    def failure_response(self, status: int) -> Response:
        return _text("Lỗi giả lập", status)

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/"):
            return _text("Không có địa chỉ này", 404)
        if request.method != "POST":
            return Response(b"", status=405, content_type="text/plain", headers=[("Allow", "POST")])
        content_type = request.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != QUERY_TYPE:
            return _text(f"Content-Type phải là {QUERY_TYPE}", 400)
        body = request.body
        if not body or len(body) > MAX_QUERY_BYTES:
            return _text("Yêu cầu dấu thời gian rỗng hoặc quá lớn", 400)
        try:
            query = tsp.TimeStampReq.load(body, strict=True)
            imprint = query["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            query["nonce"].native  # noqa: B018 (parses it now: a broken nonce is a bad request)
        except (ValueError, TypeError, KeyError):
            return _text("Không phải yêu cầu dấu thời gian RFC 3161 hợp lệ", 400)
        if DIGEST_SIZES.get(algorithm) != len(digest):
            return _text("Thuật toán băm không được hỗ trợ hoặc độ dài giá trị băm sai", 400)
        reply = self.stamper.request_tsa_response(query)
        self.state.issued += 1
        return Response(reply.dump(), content_type=REPLY_TYPE)


def make_app(*, key_pem: bytes, cert_pem: bytes) -> TsaFake:
    return TsaFake(key_pem=key_pem, cert_pem=cert_pem)


def make_app_from_pki() -> TsaFake:
    """The TSA with the demo PKI's certificate (``DATA_DIR/pki/tsa.*``); needs Django settings."""
    from cqs.core.signing import tsa_certificate_ensure

    key, cert = tsa_certificate_ensure()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return make_app(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM))


@contextlib.contextmanager
def tsa_serving(*, key_pem: bytes | None = None, cert_pem: bytes | None = None) -> Iterator[str]:
    """Serve a TSA on a free local port for the block; yields its URL (for ``CQS_TSA_URL``).

    Without ``key_pem``/``cert_pem`` it uses the demo PKI's TSA certificate (Django settings needed).
    """
    from cqs.fakes.runner import serve_in_thread

    if key_pem is None or cert_pem is None:
        app = make_app_from_pki()
    else:
        app = make_app(key_pem=key_pem, cert_pem=cert_pem)
    fake = serve_in_thread(app, host="127.0.0.1", port=0)
    try:
        yield fake.url + "/"
    finally:
        fake.stop()
