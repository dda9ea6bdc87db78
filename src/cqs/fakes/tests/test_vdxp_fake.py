"""The fake VDXP axis on its own, over HTTP, with the wire format written out by hand.

The requests here are built without ``cqs.documents.vdxp``, from docs/integrations/vdxp.md, so that
the client and the fake cannot share a mistake.
"""

import base64
import hashlib
import hmac
import json
from datetime import date, datetime

import pytest
import requests

from cqs.documents import edxml
from cqs.fakes import registry
from cqs.fakes.testing import page_forms
from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID, VdxpFake, sample_document, vdxp_serving

OURS = "000.00.00.H62"
OUR_SECRET = "vdxp-test-secret"
SYSTEMS = {
    OURS: {
        "secret": OUR_SECRET,
        "organs": [
            {"id": OURS, "name": "UBND tỉnh Vĩnh Phúc"},
            {"id": "000.00.11.H62", "name": "Sở Tài chính"},
        ],
        "suffixes": [".H62"],
    },
    NGHE_AN_SYSTEM_ID: NGHE_AN,
}
SECRETS = {OURS: OUR_SECRET, NGHE_AN_SYSTEM_ID: NGHE_AN["secret"]}
TODAY = date(2025, 3, 14)
NGHE_AN_OFFICE = edxml.Organ(organ_id="000.00.01.H41", organ_name="Văn phòng UBND tỉnh Nghệ An")


@pytest.fixture
def axis():
    with vdxp_serving(SYSTEMS) as (url, app):
        app.url = url
        yield app


def call(axis, service, system=OURS, params=None, *, secret=None, body=None, tamper=None):
    """One call as the SDK makes it: parameters as signed ``XroadVnpt-*`` headers."""
    fields = {"XroadVnpt-systemid": system, "XroadVnpt-timestamp": "14032025T090000+0000"}
    fields.update({f"XroadVnpt-{name}": value for name, value in (params or {}).items()})
    sign_header = json.dumps(fields)
    key = (secret or SECRETS.get(system, "unknown")).encode()
    headers = {
        **fields,
        "XroadVnpt-sign-header-key": ";".join(name[len("XroadVnpt-") :] for name in fields),
        "XroadVnpt-sign-header": sign_header,
        "XroadVnpt-hash-header": hmac.new(key, sign_header.encode(), hashlib.sha256).hexdigest(),
    }
    headers.update(tamper or {})
    files = {"file_doc": ("edoc.edxml", body, "application/octet-stream")} if body is not None else None
    return requests.post(f"{axis.url}/{service}", headers=headers, files=files, timeout=5)


def document(to=(OURS,)):
    sender = NGHE_AN_OFFICE
    return edxml.build(
        edxml.EdocPackage(
            header=edxml.MessageHeader(
                from_=sender,
                to=[edxml.Organ(organ_id=organ_id) for organ_id in to],
                code=edxml.Code(code_number="15", code_notation="VP-TH"),
                promulgation_info=edxml.PromulgationInfo(place="Nghệ An", promulgation_date=TODAY),
                subject="Về việc trao đổi văn bản điện tử",
                document_id=edxml.document_id_make(sender.organ_id, TODAY, 15, "VP-TH"),
            )
        )
    )


def status_for(document_id="000.00.01.H41,2025/03/14,15/VP-TH", organ_id="000.00.01.H41", sender=OURS):
    return edxml.build(
        edxml.StatusPackage(
            from_=edxml.Organ(organ_id=sender),
            response_for=edxml.ResponseFor(organ_id=organ_id, code="15/VP-TH", document_id=document_id),
            status_code="03",
            timestamp=datetime(2025, 3, 14, 10, 0, tzinfo=edxml.VIETNAM_TZ),
        )
    )


def send(axis, data, system=NGHE_AN_SYSTEM_ID, messagetype="edoc", **params):
    return call(
        axis, "sendEdoc", system, {"servicetype": "eDoc", "messagetype": messagetype, **params}, body=data
    )


def received(axis, system=OURS, messagetype="edoc"):
    answer = call(axis, "getReceivedEdocList", system, {"servicetype": "eDoc", "messagetype": messagetype})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


# --- Authentication ---------------------------------------------------------------------------


def test_a_signed_call_is_answered_ok(axis):
    answer = call(axis, "getAgenciesList")

    assert answer.status_code == 200
    assert answer.json()["status"] == "OK"
    assert answer.json()["ErrorCode"] == "0"


@pytest.mark.parametrize(
    ("system", "secret"), [(OURS, "wrong-secret"), ("000.00.00.H99", "any"), (OURS, NGHE_AN["secret"])]
)
def test_a_wrong_secret_or_unknown_system_is_refused(axis, system, secret):
    answer = call(axis, "getAgenciesList", system, secret=secret)

    assert answer.status_code == 401
    assert answer.json() == {
        "status": "FAIL",
        "ErrorCode": "401",
        "ErrorDesc": "Xác thực hệ thống không thành công",
    }


def test_a_call_without_signature_is_refused(axis):
    answer = requests.post(f"{axis.url}/getAgenciesList", headers={"XroadVnpt-systemid": OURS}, timeout=5)

    assert answer.status_code == 401


def test_a_header_changed_under_a_valid_signature_is_refused(axis):
    # Given a call signed for "edoc", when the header actually sent says "status"
    answer = call(
        axis,
        "getReceivedEdocList",
        params={"servicetype": "eDoc", "messagetype": "edoc"},
        tamper={"XroadVnpt-messagetype": "status"},
    )

    assert answer.status_code == 401


# --- Sending and routing --------------------------------------------------------------------------


def test_a_document_is_queued_for_the_system_serving_each_recipient(axis):
    # Given a document to a listed organ of ours and to one known only by the province suffix
    answer = send(axis, document(to=(OURS, "000.00.22.H62")))

    assert answer.json()["status"] == "OK"
    assert answer.json()["DocId"]
    assert sorted(item["to"] for item in received(axis)) == [OURS, "000.00.22.H62"]
    assert received(axis, NGHE_AN_SYSTEM_ID) == []


def test_each_delivery_has_its_own_doc_id_and_the_sender_and_time(axis):
    send(axis, document(to=(OURS, "000.00.11.H62")))

    items = received(axis)

    assert len({item["docId"] for item in items}) == 2
    assert {item["from"] for item in items} == {"000.00.01.H41"}
    assert all(datetime.strptime(item["created_time"], "%Y-%m-%dT%H:%M:%S%z") for item in items)


def test_a_status_package_goes_to_the_organ_that_issued_the_document(axis):
    answer = send(axis, status_for(), system=OURS, messagetype="status")

    assert answer.json()["status"] == "OK"
    assert [item["to"] for item in received(axis, NGHE_AN_SYSTEM_ID, "status")] == ["000.00.01.H41"]
    assert received(axis, NGHE_AN_SYSTEM_ID, "edoc") == []


def test_a_status_package_without_organ_is_routed_by_its_document_id(axis):
    send(axis, status_for(organ_id=""), system=OURS, messagetype="status")

    assert [item["to"] for item in received(axis, NGHE_AN_SYSTEM_ID, "status")] == ["000.00.01.H41"]


def test_an_unknown_recipient_refuses_the_whole_package_naming_it(axis):
    answer = send(axis, document(to=(OURS, "000.00.00.H30")))

    assert answer.status_code == 400
    assert answer.json()["status"] == "FAIL"
    assert "000.00.00.H30" in answer.json()["ErrorDesc"]
    assert received(axis) == []


@pytest.mark.parametrize("data", [b"not xml at all", b"<edXML/>", b""])
def test_an_unreadable_package_is_refused(axis, data):
    answer = send(axis, data)

    assert answer.status_code == 400
    assert answer.json()["status"] == "FAIL"
    assert received(axis) == []


def test_a_system_cannot_send_for_an_organ_it_does_not_serve(axis):
    answer = send(axis, document(), system=OURS)

    assert answer.status_code == 400
    assert "000.00.01.H41" in answer.json()["ErrorDesc"]


def test_a_declared_type_that_does_not_match_the_package_is_refused(axis):
    assert send(axis, document(), messagetype="status").status_code == 400


def test_a_file_hash_that_does_not_match_is_refused(axis):
    data = document()

    assert send(axis, data, **{"hash-file": "00" * 32}).status_code == 400
    assert send(axis, data, **{"hash-file": hashlib.sha256(data).hexdigest()}).status_code == 200


# --- Receiving --------------------------------------------------------------------------------------


def test_get_edoc_returns_the_package_exactly(axis):
    data = document()
    send(axis, data)
    doc_id = received(axis)[0]["docId"]

    answer = call(axis, "getEdoc", params={"docId": doc_id})

    assert base64.b64decode(answer.json()["data"]) == data


def test_another_systems_delivery_is_not_found(axis):
    send(axis, document())
    doc_id = received(axis)[0]["docId"]

    answer = call(axis, "getEdoc", NGHE_AN_SYSTEM_ID, {"docId": doc_id})

    assert answer.status_code == 404
    assert answer.json()["ErrorCode"] == "404"


def test_done_takes_a_delivery_off_the_list_and_repeating_it_is_harmless(axis):
    send(axis, document())
    doc_id = received(axis)[0]["docId"]

    first = call(axis, "updateStatus", params={"docId": doc_id, "status": "done"})
    again = call(axis, "updateStatus", params={"docid": doc_id, "status": "done"})

    assert (first.json()["status"], again.json()["status"]) == ("OK", "OK")
    assert received(axis) == []


def test_fail_keeps_a_delivery_pending(axis):
    send(axis, document())
    doc_id = received(axis)[0]["docId"]

    call(axis, "updateStatus", params={"docId": doc_id, "status": "fail"})

    assert [item["docId"] for item in received(axis)] == [doc_id]


def test_a_late_fail_does_not_bring_back_a_delivery_already_done(axis):
    send(axis, document())
    doc_id = received(axis)[0]["docId"]
    call(axis, "updateStatus", params={"docId": doc_id, "status": "done"})

    call(axis, "updateStatus", params={"docId": doc_id, "status": "fail"})

    assert received(axis) == []


def test_an_unknown_status_value_is_refused(axis):
    send(axis, document())
    doc_id = received(axis)[0]["docId"]

    answer = call(axis, "updateStatus", params={"docId": doc_id, "status": "read"})

    assert answer.status_code == 400
    assert len(received(axis)) == 1


def test_an_unknown_message_type_is_refused(axis):
    answer = call(axis, "getReceivedEdocList", params={"servicetype": "eDoc", "messagetype": "fax"})

    assert answer.status_code == 400


def test_the_agencies_list_holds_every_organ_of_every_system(axis):
    data = call(axis, "getAgenciesList").json()["data"]

    assert [(item["code"], item["name"]) for item in data] == [
        (OURS, "UBND tỉnh Vĩnh Phúc"),
        ("000.00.11.H62", "Sở Tài chính"),
        ("000.00.00.H41", "UBND tỉnh Nghệ An"),
        ("000.00.01.H41", "Văn phòng UBND tỉnh Nghệ An"),
    ]


def test_a_planned_failure_answers_in_the_axis_shape(axis):
    axis.fail_next(1, 503)

    answer = call(axis, "getAgenciesList")

    assert answer.status_code == 503
    assert answer.json()["status"] == "FAIL"
    assert call(axis, "getAgenciesList").status_code == 200


# --- Acting as the other province -------------------------------------------------------------------


def test_send_as_and_pending_let_a_test_play_the_other_province(axis):
    # Given Nghệ An sends us a document, when we answer with a status
    axis.send_as(NGHE_AN_SYSTEM_ID, document())
    send(axis, status_for(), system=OURS, messagetype="status")

    # then Nghệ An finds it, with the bytes, until it acknowledges it
    [item] = axis.pending(NGHE_AN_SYSTEM_ID, "status")
    assert edxml.parse(item["data"]).status_code == "03"
    axis.acknowledge(NGHE_AN_SYSTEM_ID, item["docId"])
    assert axis.pending(NGHE_AN_SYSTEM_ID, "status") == []


def test_send_as_refuses_like_the_axis(axis):
    with pytest.raises(ValueError, match=r"000\.00\.00\.H30"):
        axis.send_as(NGHE_AN_SYSTEM_ID, document(to=("000.00.00.H30",)))


def test_the_demo_button_makes_nghe_an_send_us_a_sample(axis):
    page = requests.get(axis.url + "/", timeout=5)
    [(action, fields)] = page_forms(page.text)

    answer = requests.post(axis.url + action, data=fields, timeout=5)

    assert answer.status_code == 200
    [item] = received(axis)
    assert (item["from"], item["to"]) == (NGHE_AN_SYSTEM_ID, OURS)
    assert item["docId"] in answer.text


def test_the_sample_document_is_a_valid_package():
    package = edxml.parse(sample_document(7, TODAY, {"id": OURS, "name": "UBND tỉnh Vĩnh Phúc"}))

    assert package.header.document_id == "000.00.00.H41,2025/03/14,07/UBND-VX"


# --- The demo's axis, from the settings ---------------------------------------------------------------


@pytest.fixture
def vdxp_only(settings):
    settings.CQS_PAYGOV_URL = settings.CQS_DVCQG_URL = settings.CQS_SMS_URL = settings.CQS_VNEID_ISSUER = ""
    settings.CQS_TSA_URL = settings.CQS_RIS_URL = ""
    settings.CQS_DANCU_URL = settings.CQS_NDXP_URL = ""
    settings.CQS_VDXP_URL = "http://127.0.0.1:8105"
    settings.CQS_VDXP_SYSTEM_ID = OURS
    settings.CQS_VDXP_SECRET = "secret-from-settings"
    return settings


@pytest.mark.django_db
def test_the_demo_axis_serves_our_units_and_nghe_an(vdxp_only):
    from cqs.orgs.tests.factories import OrgUnitFactory

    OrgUnitFactory(name="Sở Nội vụ", identifier="000.00.05.H62")
    [(name, app, _host, port)] = registry.fake_apps_from_settings()

    assert (name, type(app), port) == ("vdxp", VdxpFake, 8105)
    assert app.systems[OURS]["secret"] == "secret-from-settings"
    assert {"id": "000.00.05.H62", "name": "Sở Nội vụ"} in app.systems[OURS]["organs"]
    assert app.system_of("000.00.01.H41") == NGHE_AN_SYSTEM_ID
    assert app.system_of("000.00.99.H62") == OURS


def test_the_demo_axis_starts_without_a_database(vdxp_only, caplog):
    # No django_db mark: the database cannot be read, as before migrations.
    [(_name, app, _host, _port)] = registry.fake_apps_from_settings()

    assert [organ["id"] for organ in app.systems[OURS]["organs"]] == [OURS]
    assert "VDXP fake" in caplog.text
