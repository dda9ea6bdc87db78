"""Talk to the national document-exchange axis (VDXP) at ``CQS_VDXP_URL``.

Contract: docs/integrations/vdxp.md. The calls, their paths, the ``XroadVnpt-*`` signed headers
and the answer shape are those of the VPCP Java SDK (``SDKVXP-2.0.1.jar``), which every connected
system uses; CQS speaks them directly over HTTP instead of running a JVM. HTTP status codes and
error codes of the real axis are not public: they are our assumption, matched by the fake
(``cqs.fakes.vdxp``).

Called from background tasks and outbox handlers, never inside a transaction. Every failure
raises ``VdxpError(code, message)``; ``code`` is one of ``unreachable``, ``auth_failed``,
``rejected``, ``not_found``, ``bad_response``. Messages hold the call, the HTTP status and the
axis's error description with CCCD and phone numbers masked, never a package's content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import requests
from django.conf import settings

from cqs.core.logging import mask_personal_data
from cqs.documents import edxml

SERVICE_TYPE = "eDoc"
MESSAGE_TYPES = ("edoc", "status")
ACK_STATUSES = ("done", "fail")
FILE_PART = "file_doc"
HEADER_PREFIX = "XroadVnpt-"
# What the SDK announces itself as; kept so the axis sees the client it expects.
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
PROTOCOL_VERSION = "3.0.201608"
VIETNAM = timezone(timedelta(hours=7), "ICT")
MESSAGE_MAX = 200

UNREACHABLE = "unreachable"
AUTH_FAILED = "auth_failed"
REJECTED = "rejected"
NOT_FOUND = "not_found"
BAD_RESPONSE = "bad_response"


class VdxpError(Exception):
    """A call to the axis that did not succeed; ``code`` is stable, ``message`` is for operators."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        """Worth trying again later as it is (the axis was down or answered garbage)."""
        return self.code in (UNREACHABLE, BAD_RESPONSE)


@dataclass(frozen=True)
class ReceivedItem:
    """One package waiting for us on the axis (``getReceivedEdocList``)."""

    doc_id: str
    from_organ: str
    to_organ: str
    message_type: str  # edoc | status
    created: datetime | None  # None when the axis wrote a time we cannot read
    created_text: str = ""
    status: str = ""


@dataclass(frozen=True)
class Agency:
    """One organ connected to the axis (``getAgenciesList``)."""

    code: str
    name: str
    id: str = ""
    parent_id: str = ""
    mail: str = ""


def sdk_hash_file(data: bytes) -> str:
    """SHA-256 of ``data`` in hex as the SDK writes it: each byte without its leading zero.

    (``Integer.toHexString`` per byte in ``KnobstickServiceImp``.) Ambiguous as a hash, but it is
    what the axis receives from every other system.
    """
    return "".join(f"{byte:x}" for byte in hashlib.sha256(data).digest())


def _sdk_timestamp(now: datetime) -> str:
    # The SDK's "ddMMyyyy'T'HHmmss+SSSS": the "+" is a literal, SSSS the milliseconds.
    local = now.astimezone(VIETNAM)
    return f"{local:%d%m%Y}T{local:%H%M%S}+{local.microsecond // 1000:04d}"


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)


class VdxpClient:
    """One connected system (``system_id`` and its ``secret``) talking to the axis at ``base_url``."""

    def __init__(
        self, base_url: str, system_id: str, secret: str, timeout: float = 10, *, route: str | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.system_id = system_id
        self.secret = secret
        self.timeout = timeout
        # "vdxp": our own system, sent through the LGSP gateway when CQS_LGSP_ROUTE names it.
        self.route = route

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"VdxpClient({self.base_url!r}, {self.system_id!r})"

    # --- Wire ------------------------------------------------------------------------------------

    def signed_headers(
        self, params: dict[str, str], *, content_type: str = "application/json"
    ) -> dict[str, str]:
        """The ``XroadVnpt-*`` headers of a call carrying ``params``, signed with the secret."""
        fields = {
            "systemid": self.system_id,
            "timestamp": _sdk_timestamp(datetime.now(UTC)),
            "Content-Type": content_type,
            **params,
        }
        prefixed = {f"{HEADER_PREFIX}{name}": str(value) for name, value in fields.items()}
        sign_header = json.dumps(prefixed, separators=(",", ":"))
        digest = hmac.new(self.secret.encode(), sign_header.encode("utf-8"), hashlib.sha256).hexdigest()
        return {
            **prefixed,
            f"{HEADER_PREFIX}sign-header-key": ";".join(fields),
            f"{HEADER_PREFIX}sign-header": sign_header,
            f"{HEADER_PREFIX}hash-header": digest,
            f"{HEADER_PREFIX}version": PROTOCOL_VERSION,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def _call(self, service: str, params: dict[str, str] | None = None, *, files=None) -> dict:
        content_type = "application/octet-stream" if files else "application/json"
        headers = self.signed_headers(params or {}, content_type=content_type)
        base_url = self.base_url
        if self.route:
            from cqs.lgsp.outbound import RouteUnavailable, route

            try:
                base_url, extra = route(self.route, base_url)
            except RouteUnavailable as exc:  # kept and retried, never sent around the gateway
                raise VdxpError(UNREACHABLE, f"VDXP {service}: {exc}") from None
            headers.update(extra)
        try:
            response = requests.post(
                f"{base_url}/{service}",
                headers=headers,
                files=files,
                data=None if files else b"",
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            # The exception's text names the URL only, but nothing of it is needed here.
            raise VdxpError(UNREACHABLE, f"VDXP {service}: axis unreachable ({type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        error_code = str(answer.get("ErrorCode", ""))
        where = f"VDXP {service} (HTTP {response.status_code}, ErrorCode {error_code or '-'})"
        desc = mask_personal_data(str(answer.get("ErrorDesc") or ""))[:MESSAGE_MAX]
        if response.status_code == 401 or error_code == "401":
            raise VdxpError(
                AUTH_FAILED, f"{where}: system id or secret refused; check CQS_VDXP_SYSTEM_ID/_SECRET"
            )
        if response.status_code >= 500:
            raise VdxpError(UNREACHABLE, f"{where}: axis unavailable {desc}".rstrip())
        if not answer or "status" not in answer:
            raise VdxpError(BAD_RESPONSE, f"{where}: no usable answer")
        if response.status_code == 404 or error_code == "404":
            raise VdxpError(NOT_FOUND, f"{where}: {desc}")
        if answer.get("status") != "OK" or error_code not in ("0", "") or response.status_code >= 400:
            raise VdxpError(REJECTED, f"{where}: {desc}")
        return answer

    # --- Calls -----------------------------------------------------------------------------------

    def send_edoc(self, data: bytes) -> str:
        """``sendEdoc``: hand an edXML package (document or status) to the axis; its DocId.

        The package is read first: the axis routes by its recipients, and a package it would
        refuse is better refused here, with the reader's own error code.
        """
        try:
            package = edxml.parse(data)
        except edxml.EdxmlError as exc:
            raise VdxpError(REJECTED, f"VDXP sendEdoc: not a valid edXML package ({exc.code})") from None
        if isinstance(package, edxml.StatusPackage):
            message_type, sender = "status", package.from_.organ_id
        else:
            message_type, sender = "edoc", package.header.from_.organ_id
        params = {
            "from": sender,
            "servicetype": SERVICE_TYPE,
            "messagetype": message_type,
            "hash-file": sdk_hash_file(data),
        }
        files = {FILE_PART: ("edoc.edxml", data, "application/octet-stream")}
        answer = self._call("sendEdoc", params, files=files)
        doc_id = answer.get("DocId")
        if not isinstance(doc_id, str | int) or not str(doc_id):
            raise VdxpError(BAD_RESPONSE, "VDXP sendEdoc: the answer holds no DocId")
        return str(doc_id)

    def received_list(self, messagetype: str = "edoc") -> list[ReceivedItem]:
        """``getReceivedEdocList``: packages of ``messagetype`` (edoc or status) not yet acknowledged."""
        if messagetype not in MESSAGE_TYPES:
            raise ValueError(f"messagetype must be one of {MESSAGE_TYPES}")
        answer = self._call("getReceivedEdocList", {"servicetype": SERVICE_TYPE, "messagetype": messagetype})
        data = answer.get("data", [])
        data = [] if data is None else data
        if not isinstance(data, list):
            raise VdxpError(BAD_RESPONSE, "VDXP getReceivedEdocList: data is not a list")
        items = []
        for entry in data:
            if not isinstance(entry, dict) or not entry.get("docId"):
                raise VdxpError(BAD_RESPONSE, "VDXP getReceivedEdocList: an item has no docId")
            created_text = str(entry.get("created_time") or "")
            items.append(
                ReceivedItem(
                    doc_id=str(entry["docId"]),
                    from_organ=str(entry.get("from") or ""),
                    to_organ=str(entry.get("to") or ""),
                    message_type=str(entry.get("messageType") or messagetype),
                    created=_parse_time(created_text),
                    created_text=created_text,
                    status=str(entry.get("status") or ""),
                )
            )
        return items

    def get_edoc(self, doc_id: str) -> bytes:
        """``getEdoc``: the package bytes of a received ``doc_id``."""
        answer = self._call("getEdoc", {"docId": doc_id})
        data = answer.get("data")
        if not isinstance(data, str) or not data:
            raise VdxpError(BAD_RESPONSE, "VDXP getEdoc: the answer holds no package")
        try:
            return base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError):
            raise VdxpError(BAD_RESPONSE, "VDXP getEdoc: the package is not base64") from None

    def update_status(self, doc_id: str, status: str) -> None:
        """``updateStatus``: ``done`` takes ``doc_id`` off our pending list, ``fail`` leaves it there."""
        if status not in ACK_STATUSES:
            raise ValueError(f"status must be one of {ACK_STATUSES}")
        self._call("updateStatus", {"docId": doc_id, "status": status})

    def agencies(self) -> list[Agency]:
        """``getAgenciesList``: every organ reachable through the axis."""
        answer = self._call("getAgenciesList")
        data = answer.get("data", [])
        data = [] if data is None else data
        if not isinstance(data, list):
            raise VdxpError(BAD_RESPONSE, "VDXP getAgenciesList: data is not a list")
        return [
            Agency(
                code=str(entry.get("code") or ""),
                name=str(entry.get("name") or ""),
                id=str(entry.get("id") or ""),
                parent_id=str(entry.get("pid") or ""),
                mail=str(entry.get("mail") or ""),
            )
            for entry in data
            if isinstance(entry, dict) and entry.get("code")
        ]


def client_from_settings() -> VdxpClient | None:
    """The client for ``CQS_VDXP_URL`` as our system; None when exchange is turned off (empty URL)."""
    if not settings.CQS_VDXP_URL:
        return None
    return VdxpClient(
        settings.CQS_VDXP_URL, settings.CQS_VDXP_SYSTEM_ID, settings.CQS_VDXP_SECRET, route="vdxp"
    )
