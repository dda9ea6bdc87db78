"""A fake of the national document-exchange axis (VDXP, run by the Government Office).

Connected systems reach the real axis through the VPCP Java SDK (``SDKVXP-2.0.1.jar``,
``com.vpcp.services``). What the SDK puts on the wire is **confirmed** from its decompiled
classes (``VnptService``, ``KnobstickServiceImp``, ``AgencyServiceImp``, ``HttpConnection``);
what the axis does with it is **our assumption**. Both are written down in
docs/integrations/vdxp.md. In short:

- every call is ``POST <base>/<service>``; its parameters travel as headers
  ``XroadVnpt-<name>`` (``systemid``, ``timestamp``, ``servicetype``, ``messagetype``,
  ``docId``, ``status``, ``from``, ``hash-file``…), listed in ``XroadVnpt-sign-header-key``,
  collected as a JSON object in ``XroadVnpt-sign-header`` and signed with
  ``XroadVnpt-hash-header`` = hex HMAC-SHA256(secret, sign-header). The secret never travels;
- ``sendEdoc``: the edXML as the multipart part ``file_doc``; ``getReceivedEdocList``
  (``servicetype`` eDoc, ``messagetype`` edoc | status); ``getEdoc`` (``docId``; the package
  base64 in ``data``); ``updateStatus`` (``docId``, ``status`` done | fail); ``getAgenciesList``;
- answers ``{"status": "OK" | "FAIL", "ErrorCode": "0" | ..., "ErrorDesc": ..., ...}``.

The axis routes by the package itself: a document goes to every ``MessageHeader/To`` organ, a
status package to the organ that issued the document it answers (``ResponseFor``). Each copy is
queued for the system serving that organ, with its own docId, until that system acknowledges it
with ``updateStatus done``.

Test and demo hooks: ``app.send_as(system_id, data)``, ``app.pending(system_id, messagetype)``,
``app.acknowledge(system_id, doc_id)``, ``app.state.deliveries``, ``app.state.calls``,
``app.fail_next(n, status)``, ``app.reset()``. ``GET /`` is a page listing the queues, with a
button making the simulated province send a sample document (the demo's other side).

Unlike the other fakes this one needs Django settings configured: it reads packages with
``cqs.documents.edxml``, whose error messages are translatable.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.parser import BytesParser

from cqs.documents import edxml
from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response, redirect
from cqs.fakes.runner import serve_in_thread

PREFIX = "xroadvnpt-"
SERVICE_TYPE = "eDoc"
MESSAGE_TYPES = ("edoc", "status")
ACK_STATUSES = ("done", "fail", "processing")
FILE_PART = "file_doc"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

OK = "0"
BAD_REQUEST = "400"
UNAUTHORIZED = "401"
NOT_FOUND = "404"

# The simulated second province of the demo (Decision 20/2020 codes: H41 is Nghệ An).
NGHE_AN_SYSTEM_ID = "000.00.00.H41"
NGHE_AN = {
    "secret": "vdxp-nghean-secret",
    "organs": [
        {"id": "000.00.00.H41", "name": "UBND tỉnh Nghệ An"},
        {"id": "000.00.01.H41", "name": "Văn phòng UBND tỉnh Nghệ An"},
    ],
}


class Refused(Exception):
    """An answer with ``status`` FAIL: ``error_code`` as the axis writes it, and an HTTP status."""

    def __init__(self, error_code: str, message: str, status: int = 400):
        super().__init__(message)
        self.error_code = error_code
        self.status = status


@dataclass
class Delivery:
    doc_id: str
    system_id: str  # the receiving system
    to: str  # the receiving organ
    sender_system_id: str
    from_: str  # the sending organ
    message_type: str  # edoc | status
    data: bytes = field(repr=False)
    created: str
    updated: str
    status: str = "initial"  # initial | fail | processing | done

    @property
    def pending(self) -> bool:
        return self.status != "done"

    def as_item(self) -> dict:
        return {
            "docId": self.doc_id,
            "serviceType": SERVICE_TYPE,
            "messageType": self.message_type,
            "created_time": self.created,
            "updated_time": self.updated,
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "status_desc": "",
        }


@dataclass
class VdxpState:
    deliveries: dict[str, Delivery] = field(default_factory=dict)  # by docId, in arrival order
    sent: dict[str, list[str]] = field(default_factory=dict)  # sender's DocId -> delivery docIds
    calls: list[dict] = field(default_factory=list)


def _answer(status_code: int = 200, error_code: str = OK, desc: str = "Thành công", **extra) -> Response:
    body = {"status": "OK" if error_code == OK else "FAIL", "ErrorCode": error_code, "ErrorDesc": desc}
    body.update(extra)
    return json_response(body, status=status_code)


class VdxpFake(FakeApp):
    def __init__(self, *, systems: dict[str, dict], sample=None):
        # ``sample(number, on, to) -> bytes`` builds the demo button's package (signed, with a PDF,
        # when the demo passes one); the unsigned text sample otherwise.
        self._sample_factory = sample or sample_document
        self.systems = {
            system_id: {
                "secret": config["secret"],
                "organs": [dict(organ) for organ in config.get("organs", [])],
                "suffixes": tuple(config.get("suffixes", ())),
            }
            for system_id, config in systems.items()
        }
        self._ids = itertools.count(1)
        self._samples = itertools.count(1)
        super().__init__()

    def _initial_state(self) -> VdxpState:
        return VdxpState()

    def failure_response(self, status: int) -> Response:
        return _answer(status, str(status), "Trục liên thông tạm thời không phục vụ (giả lập)")

    # --- Routing ----------------------------------------------------------------------------------

    def system_of(self, organ_id: str) -> str | None:
        """The system serving ``organ_id``: a listed organ first, then a code suffix (".H62")."""
        for system_id, config in self.systems.items():
            if any(organ["id"] == organ_id for organ in config["organs"]):
                return system_id
        for system_id, config in self.systems.items():
            if any(organ_id.endswith(suffix) for suffix in config["suffixes"]):
                return system_id
        return None

    def _new_id(self) -> str:
        return f"VDXP-{next(self._ids):08d}"

    def _accept(
        self, sender_system_id: str, data: bytes, *, from_header: str = "", type_header: str = ""
    ) -> str:
        """Parse, route and queue ``data``; the sender's DocId. Raises ``Refused``."""
        try:
            package = edxml.parse(data)
        except edxml.EdxmlError as exc:
            raise Refused(BAD_REQUEST, f"Gói tin edXML không hợp lệ ({exc.code}): {exc.message_vi}") from None
        if isinstance(package, edxml.StatusPackage):
            message_type, sender_organ = "status", package.from_.organ_id
            recipients = [self._status_recipient(package.response_for)]
        else:
            message_type, sender_organ = "edoc", package.header.from_.organ_id
            recipients = list(dict.fromkeys(organ.organ_id for organ in package.header.to))
        if type_header and type_header != message_type:
            raise Refused(BAD_REQUEST, f"messagetype «{type_header}» không khớp với gói tin ({message_type})")
        if from_header and from_header != sender_organ:
            raise Refused(BAD_REQUEST, f"Đơn vị gửi «{from_header}» không khớp với gói tin ({sender_organ})")
        if self.system_of(sender_organ) != sender_system_id:
            raise Refused(
                BAD_REQUEST, f"Hệ thống {sender_system_id} không phục vụ đơn vị gửi «{sender_organ}»"
            )
        routes = []
        for organ_id in recipients:
            system_id = self.system_of(organ_id) if organ_id else None
            if system_id is None:
                raise Refused(BAD_REQUEST, f"Đơn vị nhận «{organ_id}» không có trên trục liên thông")
            routes.append((organ_id, system_id))
        now = self.now().strftime(TIME_FORMAT)
        sender_doc_id = self._new_id()
        copies = []
        for organ_id, system_id in routes:
            delivery = Delivery(
                doc_id=self._new_id(),
                system_id=system_id,
                to=organ_id,
                sender_system_id=sender_system_id,
                from_=sender_organ,
                message_type=message_type,
                data=bytes(data),
                created=now,
                updated=now,
            )
            self.state.deliveries[delivery.doc_id] = delivery
            copies.append(delivery.doc_id)
        self.state.sent[sender_doc_id] = copies
        return sender_doc_id

    @staticmethod
    def _status_recipient(response_for) -> str:
        if response_for.organ_id:
            return response_for.organ_id
        try:
            return edxml.document_id_parse(response_for.document_id)[0]
        except edxml.EdxmlError:
            return ""

    # --- Hooks for tests and the demo ---------------------------------------------------------------

    def send_as(self, system_id: str, data: bytes) -> str:
        """Send ``data`` as ``system_id`` would (no HTTP); the DocId, or ``ValueError`` if refused."""
        with self.lock:
            try:
                return self._accept(system_id, data)
            except Refused as refusal:
                raise ValueError(str(refusal)) from None

    def pending(self, system_id: str, messagetype: str = "edoc") -> list[dict]:
        """What ``system_id`` has not acknowledged yet, oldest first, with the package bytes."""
        with self.lock:
            return [
                {**delivery.as_item(), "data": delivery.data}
                for delivery in self.state.deliveries.values()
                if delivery.system_id == system_id
                and delivery.message_type == messagetype
                and delivery.pending
            ]

    def acknowledge(self, system_id: str, doc_id: str) -> None:
        """``updateStatus done`` on behalf of ``system_id``."""
        with self.lock:
            delivery = self._delivery_for(system_id, doc_id)
            delivery.status = "done"
            delivery.updated = self.now().strftime(TIME_FORMAT)

    # --- HTTP --------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if request.method == "GET" and path == "/":
            return self.page()
        if request.method == "POST" and path == "/demo/send-sample":
            return self.demo_send_sample()
        routes = {
            "/sendEdoc": self.send_edoc,
            "/getReceivedEdocList": self.received_list,
            "/getEdoc": self.get_edoc,
            "/updateStatus": self.update_status,
            "/getAgenciesList": self.agencies,
        }
        view = routes.get(path)
        if view is None or request.method != "POST":
            return _answer(404, NOT_FOUND, "Không có dịch vụ này")
        try:
            system_id, params = self._authenticate(request)
            return view(request, system_id, params)
        except Refused as refusal:
            return _answer(refusal.status, refusal.error_code, str(refusal))

    def _authenticate(self, request: Request) -> tuple[str, dict[str, str]]:
        """The calling system and its signed parameters (names lower-cased, prefix dropped)."""
        denied = Refused(UNAUTHORIZED, "Xác thực hệ thống không thành công", 401)
        signed = request.environ.get("HTTP_XROADVNPT_SIGN_HEADER", "")
        presented = request.environ.get("HTTP_XROADVNPT_HASH_HEADER", "")
        try:
            fields = json.loads(signed)
        except ValueError:
            raise denied from None
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise denied
        params = {
            name[len(PREFIX) :].lower(): value
            for name, value in fields.items()
            if name.lower().startswith(PREFIX)
        }
        config = self.systems.get(params.get("systemid", ""))
        if config is None:
            raise denied
        expected = hmac.new(config["secret"].encode(), signed.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, presented.lower()):
            raise denied
        # A signed value must be the one actually sent: no swapping headers under a valid signature.
        for name, value in params.items():
            environ_key = "HTTP_XROADVNPT_" + name.upper().replace("-", "_")
            if request.environ.get(environ_key) != value:
                raise denied
        return params["systemid"], params

    @staticmethod
    def _file(request: Request) -> bytes:
        content_type = request.environ.get("CONTENT_TYPE", "")
        if not content_type.lower().startswith("multipart/"):
            return request.body
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + request.body
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == FILE_PART:
                return part.get_payload(decode=True) or b""
        raise Refused(BAD_REQUEST, f"Thiếu tệp gói tin (phần «{FILE_PART}»)")

    def send_edoc(self, request: Request, system_id: str, params: dict[str, str]) -> Response:
        data = self._file(request)
        if not data:
            raise Refused(BAD_REQUEST, "Gói tin rỗng")
        declared = params.get("hash-file")
        if declared:
            digest = hashlib.sha256(data).digest()
            # The SDK writes each byte in hex without its leading zero; accept that and plain hex.
            if declared.lower() not in (digest.hex(), "".join(f"{byte:x}" for byte in digest)):
                raise Refused(BAD_REQUEST, "Mã băm của tệp (hash-file) không khớp nội dung")
        doc_id = self._accept(
            system_id, data, from_header=params.get("from", ""), type_header=params.get("messagetype", "")
        )
        return _answer(DocId=doc_id)

    def _message_type(self, params: dict[str, str]) -> str:
        message_type = params.get("messagetype", "")
        if message_type not in MESSAGE_TYPES:
            raise Refused(BAD_REQUEST, "messagetype phải là edoc hoặc status")
        if params.get("servicetype", SERVICE_TYPE) != SERVICE_TYPE:
            raise Refused(BAD_REQUEST, f"servicetype phải là {SERVICE_TYPE}")
        return message_type

    def received_list(self, request: Request, system_id: str, params: dict[str, str]) -> Response:
        message_type = self._message_type(params)
        items = [
            delivery.as_item()
            for delivery in self.state.deliveries.values()
            if delivery.system_id == system_id and delivery.message_type == message_type and delivery.pending
        ]
        return _answer(data=items)

    def _delivery_for(self, system_id: str, doc_id: str) -> Delivery:
        delivery = self.state.deliveries.get(doc_id)
        # Another system's delivery is "not found": the axis does not tell who else receives what.
        if delivery is None or delivery.system_id != system_id:
            raise Refused(NOT_FOUND, "Không tìm thấy văn bản", 404)
        return delivery

    def get_edoc(self, request: Request, system_id: str, params: dict[str, str]) -> Response:
        delivery = self._delivery_for(system_id, params.get("docid", ""))
        return _answer(data=base64.b64encode(delivery.data).decode("ascii"))

    def update_status(self, request: Request, system_id: str, params: dict[str, str]) -> Response:
        status = params.get("status", "")
        if status not in ACK_STATUSES:
            raise Refused(BAD_REQUEST, "status phải là done, fail hoặc processing")
        delivery = self._delivery_for(system_id, params.get("docid", ""))
        # Once done, always done: a repeated or late "fail" does not bring a document back.
        if delivery.status != "done":
            delivery.status = status
            delivery.updated = self.now().strftime(TIME_FORMAT)
        return _answer()

    def agencies(self, request: Request, system_id: str, params: dict[str, str]) -> Response:
        items = [
            {"id": organ["id"], "code": organ["id"], "name": organ.get("name", ""), "mail": "", "pid": ""}
            for config in self.systems.values()
            for organ in config["organs"]
        ]
        return _answer(data=items)

    # --- The demo's page ---------------------------------------------------------------------------

    def _organ_name(self, organ_id: str) -> str:
        for config in self.systems.values():
            for organ in config["organs"]:
                if organ["id"] == organ_id:
                    return organ.get("name", "")
        return ""

    def demo_send_sample(self) -> Response:
        """The simulated province sends a sample document to the first organ of another system."""
        if NGHE_AN_SYSTEM_ID not in self.systems:
            return html_page("Không gửi được", "<p>Trục giả lập không có tỉnh Nghệ An.</p>", status=400)
        target = next(
            (
                config["organs"][0]
                for system_id, config in self.systems.items()
                if system_id != NGHE_AN_SYSTEM_ID and config["organs"]
            ),
            None,
        )
        if target is None:
            return html_page("Không gửi được", "<p>Không có hệ thống nhận nào.</p>", status=400)
        number = next(self._samples)
        self.send_as(NGHE_AN_SYSTEM_ID, self._sample_factory(number, self.now().date(), target))
        return redirect("/")

    def page(self) -> Response:
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                *(
                    html.escape(text)
                    for text in (d.doc_id, d.message_type, d.from_, f"{d.to} ({d.system_id})", d.status)
                )
            )
            for d in reversed(self.state.deliveries.values())
        )
        table = (
            "<table><tr><th>docId</th><th>Loại</th><th>Từ</th><th>Đến (hệ thống)</th><th>Trạng thái</th></tr>"
            f"{rows}</table>"
            if rows
            else '<p class="note">Chưa có gói tin nào qua trục.</p>'
        )
        button = (
            '<form method="post" action="/demo/send-sample">'
            '<button class="ok" type="submit">UBND tỉnh Nghệ An gửi một văn bản mẫu</button></form>'
            if NGHE_AN_SYSTEM_ID in self.systems
            else ""
        )
        note = (
            '<p class="note">Trục liên thông văn bản giả lập của bản trình diễn CQS: '
            "không nối với trục thật.</p>"
        )
        return html_page("Trục liên thông văn bản (VDXP)", button + table + note)


def sample_document(number: int, on: date, to: dict) -> bytes:
    """A small document from UBND tỉnh Nghệ An to ``to`` ({"id", "name"}), as edXML."""
    notation = "UBND-VX"
    sender = edxml.Organ(organ_id=NGHE_AN_SYSTEM_ID, organ_name="UBND tỉnh Nghệ An")
    package = edxml.EdocPackage(
        header=edxml.MessageHeader(
            from_=sender,
            to=[edxml.Organ(organ_id=to["id"], organ_name=to.get("name", ""))],
            code=edxml.Code(code_number=str(number), code_notation=notation),
            promulgation_info=edxml.PromulgationInfo(place="Nghệ An", promulgation_date=on),
            document_type=edxml.DocumentType(type="1", type_name="Công văn"),
            subject="Về việc phối hợp trao đổi văn bản điện tử liên tỉnh (văn bản mẫu của bản trình diễn)",
            signer_info=edxml.SignerInfo(
                competence="TM. ỦY BAN NHÂN DÂN", position="Chủ tịch", full_name="Trần Văn Mẫu"
            ),
            document_id=edxml.document_id_make(NGHE_AN_SYSTEM_ID, on, number, notation),
        ),
        attachments=[
            edxml.Attachment(
                content_id="sample",
                content_type="text/plain",
                name="van-ban-mau.txt",
                data="Văn bản mẫu của trục liên thông giả lập.\n".encode(),
            )
        ],
    )
    return edxml.build(package)


def make_app(*, systems: dict[str, dict], sample=None) -> VdxpFake:
    """A fresh axis connecting ``systems``: systemId -> {"secret", "organs": [{"id", "name"}],
    optionally "suffixes": [".H62"] (organ codes ending so are served too)}; ``sample`` builds the
    package the demo button sends (see ``VdxpFake``)."""
    return VdxpFake(systems=systems, sample=sample)


@contextlib.contextmanager
def vdxp_serving(systems: dict[str, dict]) -> Iterator[tuple[str, VdxpFake]]:
    """Serve a fresh axis on a free local port for the block: ``(url, app)``."""
    app = make_app(systems=systems)
    fake = serve_in_thread(app, host="127.0.0.1", port=0)
    try:
        yield fake.url, app
    finally:
        fake.stop()
