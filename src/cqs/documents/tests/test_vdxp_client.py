"""The VDXP client against the fake axis, over real HTTP, and every way a call fails."""

import socket
import time
from datetime import date, datetime

import pytest

from cqs.documents import edxml
from cqs.documents.vdxp import Agency, VdxpClient, VdxpError, client_from_settings, sdk_hash_file
from cqs.fakes.testing import running
from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID, vdxp_serving

OURS = "000.00.00.H62"
SECRET = "vdxp-client-test-secret"
SYSTEMS = {
    OURS: {"secret": SECRET, "organs": [{"id": OURS, "name": "UBND tỉnh Vĩnh Phúc"}], "suffixes": [".H62"]},
    NGHE_AN_SYSTEM_ID: NGHE_AN,
}
TODAY = date(2025, 3, 14)
SENDER = edxml.Organ(organ_id=OURS, organ_name="UBND tỉnh Vĩnh Phúc")


@pytest.fixture
def axis():
    with vdxp_serving(SYSTEMS) as (url, app):
        app.url = url
        yield app


@pytest.fixture
def client(axis):
    return VdxpClient(axis.url, OURS, SECRET, timeout=5)


def document(sender=SENDER, to=("000.00.01.H41",), number=326) -> bytes:
    return edxml.build(
        edxml.EdocPackage(
            header=edxml.MessageHeader(
                from_=sender,
                to=[edxml.Organ(organ_id=organ_id) for organ_id in to],
                code=edxml.Code(code_number=str(number), code_notation="UBND-KT"),
                promulgation_info=edxml.PromulgationInfo(place="Vĩnh Phúc", promulgation_date=TODAY),
                subject="Về việc phối hợp liên tỉnh",
                document_id=edxml.document_id_make(sender.organ_id, TODAY, number, "UBND-KT"),
            )
        )
    )


def from_nghe_an() -> bytes:
    return document(sender=edxml.Organ(organ_id="000.00.01.H41"), to=(OURS,), number=15)


# --- Sending ------------------------------------------------------------------------------------


def test_send_edoc_returns_the_doc_id_and_the_package_reaches_the_recipient(client, axis):
    data = document()

    doc_id = client.send_edoc(data)

    assert doc_id in axis.state.sent
    [item] = axis.pending(NGHE_AN_SYSTEM_ID, "edoc")
    assert (item["from"], item["to"], item["data"]) == (OURS, "000.00.01.H41", data)


def test_a_status_package_is_sent_as_a_status(client, axis):
    status = edxml.StatusPackage(
        from_=SENDER,
        response_for=edxml.ResponseFor(
            organ_id="000.00.01.H41", code="15/VP-TH", document_id="000.00.01.H41,2025/03/14,15/VP-TH"
        ),
        status_code="01",
        timestamp=datetime(2025, 3, 14, 9, 0, tzinfo=edxml.VIETNAM_TZ),
    )

    client.send_edoc(edxml.build(status))

    assert [item["messageType"] for item in axis.pending(NGHE_AN_SYSTEM_ID, "status")] == ["status"]


def test_an_invalid_package_is_refused_before_anything_is_sent(client, axis):
    with pytest.raises(VdxpError) as refused:
        client.send_edoc(b"<not-edxml/>")

    assert refused.value.code == "rejected"
    assert axis.state.calls == []


def test_a_package_to_an_unknown_organ_is_rejected_naming_it(client, axis):
    with pytest.raises(VdxpError) as refused:
        client.send_edoc(document(to=("000.00.00.H30",)))

    assert refused.value.code == "rejected"
    assert "000.00.00.H30" in refused.value.message
    assert not refused.value.retryable


def test_the_file_hash_is_written_as_the_sdk_writes_it():
    # A digest byte below 0x10 loses its leading zero, as Integer.toHexString does.
    assert sdk_hash_file(b"abc") == "ba7816bf8f1cfea414140de5dae2223b0361a396177a9cb410ff61f2015ad"


# --- Receiving ------------------------------------------------------------------------------------


def test_received_list_gives_the_pending_items_with_sender_and_time(client, axis):
    axis.send_as(NGHE_AN_SYSTEM_ID, from_nghe_an())

    [item] = client.received_list()

    assert (item.from_organ, item.to_organ, item.message_type) == ("000.00.01.H41", OURS, "edoc")
    assert item.created is not None and item.created.utcoffset() is not None


def test_received_list_of_status_leaves_documents_out(client, axis):
    axis.send_as(NGHE_AN_SYSTEM_ID, from_nghe_an())

    assert client.received_list("status") == []


def test_get_edoc_returns_the_package_bytes(client, axis):
    data = from_nghe_an()
    axis.send_as(NGHE_AN_SYSTEM_ID, data)
    [item] = client.received_list()

    assert client.get_edoc(item.doc_id) == data


def test_done_acknowledges_and_can_be_repeated(client, axis):
    axis.send_as(NGHE_AN_SYSTEM_ID, from_nghe_an())
    [item] = client.received_list()

    client.update_status(item.doc_id, "done")
    client.update_status(item.doc_id, "done")

    assert client.received_list() == []


def test_fail_leaves_the_item_for_the_next_poll(client, axis):
    axis.send_as(NGHE_AN_SYSTEM_ID, from_nghe_an())
    [item] = client.received_list()

    client.update_status(item.doc_id, "fail")

    assert [again.doc_id for again in client.received_list()] == [item.doc_id]


def test_an_unknown_doc_id_is_not_found(client):
    with pytest.raises(VdxpError) as missing:
        client.get_edoc("VDXP-99999999")

    assert missing.value.code == "not_found"


@pytest.mark.parametrize(("call", "argument"), [("received_list", "fax"), ("update_status", "read")])
def test_values_outside_the_contract_are_a_programming_error(client, axis, call, argument):
    with pytest.raises(ValueError):
        if call == "received_list":
            client.received_list(argument)
        else:
            client.update_status("VDXP-00000001", argument)
    assert axis.state.calls == []


def test_agencies_lists_every_connected_organ(client):
    agencies = client.agencies()

    assert Agency(code="000.00.01.H41", name="Văn phòng UBND tỉnh Nghệ An", id="000.00.01.H41") in agencies
    assert [agency.code for agency in agencies] == [OURS, "000.00.00.H41", "000.00.01.H41"]


def test_the_two_provinces_exchange_a_document_and_its_status(client, axis):
    # Given Nghệ An sends us a document
    axis.send_as(NGHE_AN_SYSTEM_ID, from_nghe_an())

    # When we fetch it, acknowledge it and answer "registered"
    [item] = client.received_list()
    received = edxml.parse(client.get_edoc(item.doc_id))
    client.update_status(item.doc_id, "done")
    answer = edxml.StatusPackage(
        from_=SENDER,
        response_for=edxml.ResponseFor(
            organ_id=received.header.from_.organ_id,
            code="15/UBND-KT",
            document_id=received.header.document_id,
        ),
        status_code="03",
        timestamp=datetime(2025, 3, 14, 10, 0, tzinfo=edxml.VIETNAM_TZ),
    )
    client.send_edoc(edxml.build(answer))

    # Then Nghệ An reads our status for its document
    [status] = axis.pending(NGHE_AN_SYSTEM_ID, "status")
    package = edxml.parse(status["data"])
    assert (package.status_code, package.response_for.document_id) == ("03", received.header.document_id)


# --- Failures -------------------------------------------------------------------------------------


def test_a_wrong_secret_is_auth_failed_and_the_secret_is_not_in_the_error(axis):
    client = VdxpClient(axis.url, OURS, "not-the-secret")

    with pytest.raises(VdxpError) as refused:
        client.received_list()

    assert refused.value.code == "auth_failed"
    assert "not-the-secret" not in str(refused.value)
    assert "not-the-secret" not in repr(client)


def test_a_closed_port_is_unreachable_without_the_address():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = VdxpClient(f"http://127.0.0.1:{port}", OURS, SECRET, timeout=2)

    with pytest.raises(VdxpError) as down:
        client.agencies()

    assert down.value.code == "unreachable"
    assert down.value.retryable
    assert str(port) not in str(down.value)


def test_an_axis_answering_503_is_unreachable(client, axis):
    axis.fail_next(1, 503)

    with pytest.raises(VdxpError) as down:
        client.received_list()

    assert down.value.code == "unreachable"


def test_a_slow_axis_times_out_as_unreachable():
    def slow(environ, start_response):
        time.sleep(1.5)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status": "OK", "ErrorCode": "0", "ErrorDesc": "", "data": []}']

    with running(slow) as axis, pytest.raises(VdxpError) as down:
        VdxpClient(axis.url, OURS, SECRET, timeout=0.3).received_list()

    assert down.value.code == "unreachable"


@pytest.mark.parametrize(
    "body",
    [b"<html>proxy error</html>", b"[]", b'{"status": "OK", "ErrorCode": "0", "ErrorDesc": "", "data": {}}'],
)
def test_an_answer_that_is_not_the_axis_shape_is_a_bad_response(body):
    def garbage(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    with running(garbage) as axis, pytest.raises(VdxpError) as bad:
        VdxpClient(axis.url, OURS, SECRET, timeout=5).received_list()

    assert bad.value.code == "bad_response"


def test_an_axis_error_description_is_masked():
    def refusing(environ, start_response):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"status": "FAIL", "ErrorCode": "1", "ErrorDesc": "CCCD 001234567890 sai"}']

    with running(refusing) as axis, pytest.raises(VdxpError) as refused:
        VdxpClient(axis.url, OURS, SECRET, timeout=5).agencies()

    assert refused.value.code == "rejected"
    assert "001234567890" not in str(refused.value)


# --- Settings -------------------------------------------------------------------------------------


def test_no_client_when_exchange_is_turned_off(settings):
    settings.CQS_VDXP_URL = ""

    assert client_from_settings() is None


def test_the_client_from_settings_speaks_as_our_system(settings, axis):
    settings.CQS_VDXP_URL = axis.url + "/"
    settings.CQS_VDXP_SYSTEM_ID = OURS
    settings.CQS_VDXP_SECRET = SECRET

    client = client_from_settings()

    assert client.agencies()[0].code == OURS
