"""The documents API: who reads and acts on what, every refusal with its stable code and no
write, the standard's names in the JSON, files, paper intake with duplicates, search, registers."""

import hashlib
import sys
import types
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cqs.accounts.tests.factories import CitizenFactory
from cqs.audit.models import AuditEvent
from cqs.documents.choices import IncomingStatus, OutgoingState
from cqs.documents.models import Assignment, Document, DocumentEvent, DocumentFile, RegisterBook
from cqs.documents.services import (
    RecipientSpec,
    incoming_assign,
    incoming_register,
    outgoing_create,
    outgoing_file_add,
    outgoing_issue,
    outgoing_sign,
    outgoing_submit,
)
from cqs.documents.tests.conftest import pdf

pytestmark = pytest.mark.django_db

LIST = "/api/v1/documents/"
SEARCH = "/api/v1/documents/search/"
OUTGOING = "/api/v1/documents/outgoing/"
INCOMING = "/api/v1/documents/incoming/"
REGISTERS = "/api/v1/registers/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def detail(document) -> str:
    return f"{LIST}{document.pk}/"


def actions(document) -> str:
    return f"{LIST}{document.pk}/actions/"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


def rows() -> dict:
    """Everything a refused write must leave untouched."""
    return {
        "documents": Document.objects.count(),
        "files": DocumentFile.objects.count(),
        "events": DocumentEvent.objects.count(),
        "assignments": Assignment.objects.count(),
        "registers": list(RegisterBook.objects.values_list("pk", "last_number")),
        "audit": AuditEvent.objects.count(),
        "states": list(Document.objects.order_by("pk").values_list("state", "status", "ordinal")),
    }


def draft(office, *, subject="Về việc thử nghiệm", with_file=True):
    document = outgoing_create(
        actor=office.specialist,
        unit=office.province,
        type_code="QD",
        subject=subject,
        recipients=[RecipientSpec(unit_id=office.department.pk)],
        to_places="Như trên;\nLưu: VT.",
    )
    if with_file:
        outgoing_file_add(actor=office.specialist, document=document, name="quyet-dinh.pdf", data=pdf())
    return document


def in_review(office, **kwargs):
    document = draft(office, **kwargs)
    return outgoing_submit(actor=office.specialist, document=document, signer=office.leader)


def issued(office, **kwargs):
    document = in_review(office, **kwargs)
    outgoing_sign(actor=office.leader, document=document, competence="TM.")
    return outgoing_issue(actor=office.clerk, document=document)


def arrived(office, **kwargs):
    """The department's incoming copy of a decision the province issued."""
    return Document.objects.get(source=issued(office, **kwargs))


def scan_form(**overrides) -> dict:
    form = {
        "type_code": "CV",
        "CodeNumber": "15",
        "CodeNotation": "BXD-QLN",
        "OrganName": "Bộ Xây dựng",
        "Subject": "Về việc báo cáo tình hình nhà ở",
        "IssuedDate": "2026-11-02",
        "Priority": "1",
        "file": SimpleUploadedFile("scan.pdf", pdf()),
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


@pytest.fixture
def citizen(db):
    return CitizenFactory(username="congdan")


# --- who may call ------------------------------------------------------------------------------


def test_anonymous_callers_are_refused(office):
    assert_problem(APIClient().get(LIST), 403, "not_authenticated")


def test_a_citizen_is_refused_everywhere(office, citizen):
    document = draft(office)
    client = as_user(citizen)

    for response in (
        client.get(LIST),
        client.get(detail(document)),
        client.get(REGISTERS),
        client.post(OUTGOING, {"type_code": "CV", "subject": "x"}, format="json"),
        client.post(actions(document), {"action": "submit"}, format="json"),
    ):
        assert_problem(response, 403, "permission_denied")


# --- list --------------------------------------------------------------------------------------


def test_the_list_shows_the_callers_units_documents_only(office):
    mine = draft(office)

    own = as_user(office.clerk).get(LIST).json()
    other = as_user(office.other_clerk).get(LIST).json()

    assert [row["id"] for row in own["results"]] == [mine.pk]
    assert own["results"][0]["Subject"] == "Về việc thử nghiệm"
    assert other["count"] == 0


def test_the_list_filters_by_direction_and_status(office):
    copy = arrived(office)
    still_draft = draft(office, subject="Dự thảo khác")
    client = as_user(office.dept_clerk)
    province = as_user(office.clerk)

    incoming = client.get(LIST, {"direction": "in", "status": IncomingStatus.ARRIVED}).json()
    drafts = province.get(LIST, {"status": OutgoingState.DRAFT}).json()

    assert [row["id"] for row in incoming["results"]] == [copy.pk]
    assert incoming["results"][0]["status_label"] == "Đã đến"
    assert [row["id"] for row in drafts["results"]] == [still_draft.pk]


def test_the_list_shows_what_waits_for_my_signature(office):
    waiting = in_review(office)
    draft(office, subject="Chưa trình")

    body = as_user(office.leader).get(LIST, {"to_sign": "true"}).json()

    assert [row["id"] for row in body["results"]] == [waiting.pk]


def test_the_list_shows_what_is_assigned_to_me_and_what_is_overdue(office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)
    Document.objects.filter(pk=copy.pk).update(handling_due_date=timezone.localdate() - timedelta(days=1))

    mine = as_user(office.dept_specialist).get(LIST, {"assigned_to_me": "true"}).json()
    late = as_user(office.dept_leader).get(LIST, {"overdue": "true"}).json()
    not_late = as_user(office.dept_leader).get(LIST, {"overdue": "false"}).json()

    assert [row["id"] for row in mine["results"]] == [copy.pk]
    assert [row["id"] for row in late["results"]] == [copy.pk] and late["results"][0]["overdue"] is True
    assert not_late["count"] == 0


def test_a_bad_filter_value_is_refused(office):
    response = as_user(office.clerk).get(LIST, {"urgency": "9", "direction": "sideways"})

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"urgency", "direction"}


def test_the_list_runs_a_fixed_number_of_queries(office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)
    client = as_user(office.dept_leader)

    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).json()["count"] == 1
    for _ in range(3):
        copy = arrived(office)
        incoming_register(actor=office.dept_clerk, document=copy, confirm_duplicate=True)
        incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)
    with CaptureQueriesContext(connection) as four:
        assert client.get(LIST).json()["count"] == 4

    assert len(four) == len(one)


# --- detail ------------------------------------------------------------------------------------


def test_the_detail_names_the_appendix_vi_fields_as_the_standard_does(office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    incoming_register(actor=office.dept_clerk, document=copy)

    body = as_user(office.dept_clerk).get(detail(copy)).json()

    assert (body["CodeNumber"], body["CodeNotation"]) == ("01", "QĐ-UBND")
    assert (body["OrganId"], body["OrganName"]) == ("000.00.00.H98", "UBND tỉnh Thử")
    assert body["Subject"] == "Về việc thử nghiệm" and body["TypeName"] == sent.type_name
    assert body["SignerInfo"]["Competence"] == "TM."
    assert body["SignerInfo"]["Position"] == "Chủ tịch"
    assert body["SignerInfo"]["FullName"] == sent.signer_name
    assert body["ArrivalNumber"] == 1 and body["ArrivalDate"]
    assert body["IssuedDate"] == timezone.localdate().isoformat()
    assert body["DocumentId"] == sent.document_id and body["Priority"] == 0
    assert body["ToPlaces"] == ["Như trên;", "Lưu: VT."]
    assert [event["action"] for event in body["trace"]] == ["arrived", "register"]
    assert [event["StatusCode"] for event in body["trace"]] == ["01", "03"]
    assert [check["intact"] for check in body["signature_report"]] == [True, True]
    assert [(f["role"], f["signed"], f["current"]) for f in body["files"]] == [("main", True, True)]


def test_the_issuer_sees_each_recipients_reported_status(office):
    sent = issued(office)
    incoming_register(actor=office.dept_clerk, document=Document.objects.get(source=sent))

    body = as_user(office.clerk).get(detail(sent)).json()

    [recipient] = body["recipients"]
    assert (recipient["OrganName"], recipient["StatusCode"]) == ("Sở Nội vụ tỉnh Thử", "03")
    assert recipient["status_label"] and recipient["channel"] == "internal"
    assert body["ArrivalNumber"] is None and body["state"] == OutgoingState.ISSUED


def test_the_detail_lists_the_assignments(office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(
        actor=office.dept_leader, document=copy, lead=office.dept_specialist, instruction="Tham mưu"
    )

    body = as_user(office.dept_specialist).get(detail(copy)).json()

    assert [(a["role"], a["user"]["id"], a["active"]) for a in body["assignments"]] == [
        ("lead", office.dept_specialist.pk, True)
    ]
    assert body["instruction"] == "Tham mưu" and body["lead_handler"]["id"] == office.dept_specialist.pk


def test_another_units_document_is_not_found(office):
    document = draft(office)

    assert_problem(as_user(office.other_clerk).get(detail(document)), 404, "not_found")


# --- outgoing ----------------------------------------------------------------------------------


def test_a_specialist_starts_a_draft_of_their_unit(office):
    payload = {
        "type_code": "CV",
        "subject": "Về việc góp ý dự thảo",
        "recipients": [
            {"unit": office.department.pk},
            {"organ_id": "000.00.00.H41", "organ_name": "UBND Nghệ An"},
        ],
        "urgency": 1,
    }

    response = as_user(office.specialist).post(OUTGOING, payload, format="json")

    assert response.status_code == 201, response.content
    document = Document.objects.get()
    body = response.json()
    assert response["Location"] == detail(document)
    assert (body["id"], body["state"], body["Priority"]) == (document.pk, OutgoingState.DRAFT, 1)
    assert [(r["channel"], r["OrganName"]) for r in body["recipients"]] == [
        ("internal", "Sở Nội vụ tỉnh Thử"),
        ("axis", "UBND Nghệ An"),
    ]
    assert document.unit == office.province and document.drafter == office.specialist


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type_code": "XYZ", "subject": "Loại lạ"}, "unknown_document_type"),
        ({"type_code": "CV", "subject": "   "}, "subject_required"),
        ({"type_code": "CV", "subject": "Khẩn lạ", "urgency": 9}, "invalid_urgency"),
        (
            {"type_code": "CV", "subject": "Nơi lạ", "recipients": [{"organ_id": "sai", "organ_name": "X"}]},
            "invalid_organ_id",
        ),
        ({"type_code": "CV", "subject": "Không đơn vị", "unit": 999999}, "unknown_unit"),
        ({"subject": "Thiếu loại"}, "invalid"),
    ],
)
def test_a_bad_draft_is_refused_with_its_code_and_nothing_is_written(office, payload, code):
    before = rows()

    response = as_user(office.specialist).post(OUTGOING, payload, format="json")

    assert_problem(response, 400, code)
    assert rows() == before


def test_a_draft_sent_twice_with_the_same_idempotency_key_is_made_once(office):
    client = as_user(office.specialist)
    payload = {"type_code": "CV", "subject": "Gửi hai lần", "recipients": [{"unit": office.department.pk}]}

    first = client.post(OUTGOING, payload, format="json", HTTP_IDEMPOTENCY_KEY="draft-1")
    again = client.post(OUTGOING, payload, format="json", HTTP_IDEMPOTENCY_KEY="draft-1")
    other = client.post(OUTGOING, payload, format="json", HTTP_IDEMPOTENCY_KEY="draft-2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] != other.json()["id"]
    assert Document.objects.count() == 2


def test_an_idempotency_key_too_long_is_refused(office):
    before = rows()
    response = as_user(office.specialist).post(
        OUTGOING, {"type_code": "CV", "subject": "Khóa dài"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    assert_problem(response, 400, "invalid_idempotency_key")
    assert rows() == before


def test_a_draft_for_another_unit_is_forbidden(office):
    before = rows()
    payload = {"type_code": "CV", "subject": "Của tỉnh khác", "unit": office.elsewhere.pk}

    response = as_user(office.specialist).post(OUTGOING, payload, format="json")

    assert_problem(response, 403, "document_forbidden")
    assert rows() == before


def test_the_drafter_uploads_the_main_pdf_and_an_appendix(office):
    document = draft(office, with_file=False)
    client = as_user(office.specialist)

    main = client.post(
        f"{detail(document)}files/", {"file": SimpleUploadedFile("qd.pdf", pdf())}, format="multipart"
    )
    appendix = client.post(
        f"{detail(document)}files/",
        {"file": SimpleUploadedFile("phu-luc.pdf", pdf("Phu luc")), "role": "appendix"},
        format="multipart",
    )

    assert (main.status_code, appendix.status_code) == (201, 201)
    assert (main.json()["role"], appendix.json()["role"]) == ("main", "appendix")
    assert main.json()["download_url"].endswith(f"/files/{main.json()['id']}/")
    assert document.files.filter(current=True).count() == 2


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(office):
    document = draft(office, with_file=False)
    before = rows()

    response = as_user(office.specialist).post(
        f"{detail(document)}files/", {"file": SimpleUploadedFile("a.pdf", b"GIF89a no")}, format="multipart"
    )

    assert_problem(response, 400, "upload_type_not_allowed")
    assert rows() == before


def test_files_are_not_added_to_an_incoming_document_nor_to_an_unseen_one(office):
    copy = arrived(office)
    document = draft(office, subject="Khác")
    before = rows()
    upload = {"file": SimpleUploadedFile("a.pdf", pdf())}

    wrong = as_user(office.dept_clerk).post(f"{detail(copy)}files/", upload, format="multipart")
    unseen = as_user(office.other_clerk).post(
        f"{detail(document)}files/", {"file": SimpleUploadedFile("a.pdf", pdf())}, format="multipart"
    )

    assert_problem(wrong, 409, "wrong_direction")
    assert_problem(unseen, 404, "not_found")
    assert rows() == before


def test_a_draft_goes_through_submit_sign_and_issue(office):
    document = draft(office)

    submitted = as_user(office.specialist).post(
        actions(document),
        {"action": "submit", "signer": office.leader.pk, "note": "Kính trình"},
        format="json",
    )
    signed = as_user(office.leader).post(
        actions(document), {"action": "sign", "competence": "TM."}, format="json"
    )
    out = as_user(office.clerk).post(actions(document), {"action": "issue"}, format="json")

    assert [r.status_code for r in (submitted, signed, out)] == [200, 200, 200], out.content
    assert submitted.json()["signer"]["id"] == office.leader.pk
    assert signed.json()["state"] == OutgoingState.SIGNED
    body = out.json()
    assert (body["state"], body["CodeNumber"], body["number_symbol"]) == ("issued", "01", "01/QĐ-UBND")
    assert Document.objects.filter(source=document, unit=office.department).exists()


def test_the_signer_returns_a_draft_with_a_reason(office):
    document = in_review(office)

    response = as_user(office.leader).post(
        actions(document), {"action": "return", "note": "Sửa"}, format="json"
    )

    assert response.status_code == 200 and response.json()["state"] == OutgoingState.DRAFT


@pytest.mark.parametrize(
    ("who", "payload", "status", "code"),
    [
        ("specialist", {"action": "submit"}, 400, "invalid_signer"),
        ("specialist", {"action": "submit", "signer": 999999}, 400, "invalid_signer"),
        ("specialist", {"action": "submit", "signer": "dept_leader"}, 400, "invalid_signer"),
        ("specialist", {"action": "sign"}, 409, "invalid_state"),
        ("clerk", {"action": "issue"}, 409, "invalid_state"),
        ("specialist", {"action": "fly"}, 400, "invalid"),
        ("clerk", {"action": "register"}, 409, "wrong_direction"),
        ("dept_clerk", {"action": "submit", "signer": "leader"}, 404, "not_found"),
    ],
)
def test_a_refused_action_on_a_draft_keeps_it_unchanged(office, who, payload, status, code):
    document = draft(office)
    if isinstance(payload.get("signer"), str):
        payload = {**payload, "signer": getattr(office, payload["signer"]).pk}
    before = rows()

    response = as_user(getattr(office, who)).post(actions(document), payload, format="json")

    assert_problem(response, status, code)
    assert rows() == before


def test_only_the_named_signer_signs(office):
    document = in_review(office)
    before = rows()

    response = as_user(office.dept_leader).post(actions(document), {"action": "sign"}, format="json")

    assert_problem(response, 404, "not_found")  # the other unit's leader does not even see it
    response = as_user(office.clerk).post(actions(document), {"action": "sign"}, format="json")
    assert_problem(response, 403, "not_the_signer")
    assert rows() == before


def test_recall_needs_a_reason_and_then_the_receiver_can_no_longer_download(office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    stored = copy.files.get(current=True)
    receiver = as_user(office.dept_clerk)
    assert receiver.get(f"{detail(copy)}files/{stored.pk}/").status_code == 200
    before = rows()

    refused = as_user(office.leader).post(actions(sent), {"action": "recall"}, format="json")
    assert_problem(refused, 400, "note_required")
    assert rows() == before

    recalled = as_user(office.leader).post(
        actions(sent), {"action": "recall", "reason": "Ban hành nhầm"}, format="json"
    )

    assert recalled.status_code == 200 and recalled.json()["state"] == OutgoingState.RECALLED
    assert_problem(receiver.get(f"{detail(copy)}files/{stored.pk}/"), 404, "not_found")
    body = receiver.get(detail(copy)).json()
    assert body["files"] == [] and body["status"] == IncomingStatus.RECALLED
    sender_file = sent.files.get(current=True, role="main")
    assert as_user(office.clerk).get(f"{detail(sent)}files/{sender_file.pk}/").status_code == 200


def test_supersede_answers_with_the_new_draft(office):
    sent = issued(office)

    response = as_user(office.specialist).post(
        actions(sent), {"action": "supersede", "kind": 3, "reason": "Sai số liệu"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != sent.pk and body["replaces"] == sent.pk
    assert (body["state"], body["BussinessDocType"]) == (OutgoingState.DRAFT, 3)
    assert response["Location"] == f"{LIST}{body['id']}/"


# --- incoming ----------------------------------------------------------------------------------


def test_the_incoming_flow_through_the_api(office):
    copy = arrived(office)

    registered = as_user(office.dept_clerk).post(actions(copy), {"action": "register"}, format="json")
    assigned = as_user(office.dept_leader).post(
        actions(copy),
        {
            "action": "assign",
            "lead": office.dept_specialist.pk,
            "info": [office.dept_clerk.pk],
            "instruction": "Xử lý",
        },
        format="json",
    )
    opinion = as_user(office.dept_specialist).post(
        actions(copy), {"action": "opinion", "note": "Đã dự thảo"}, format="json"
    )
    done = as_user(office.dept_specialist).post(actions(copy), {"action": "complete"}, format="json")

    assert [r.status_code for r in (registered, assigned, opinion, done)] == [200, 200, 200, 200]
    assert registered.json()["ArrivalNumber"] == 1
    assert assigned.json()["status"] == IncomingStatus.ASSIGNED
    assert opinion.json()["status"] == IncomingStatus.PROCESSING
    assert done.json()["status"] == IncomingStatus.COMPLETED
    assert copy.source.recipients.get().status_code == IncomingStatus.COMPLETED


def test_a_clerk_rejects_an_arrived_document_with_a_reason(office):
    copy = arrived(office)

    response = as_user(office.dept_clerk).post(
        actions(copy), {"action": "reject", "reason": "Gửi nhầm"}, format="json"
    )

    assert response.status_code == 200 and response.json()["status"] == IncomingStatus.REJECTED


@pytest.mark.parametrize(
    ("who", "payload", "status", "code"),
    [
        ("dept_specialist", {"action": "register"}, 403, "document_forbidden"),
        ("dept_clerk", {"action": "reject"}, 400, "note_required"),
        ("dept_clerk", {"action": "assign", "lead": "dept_specialist"}, 409, "invalid_state"),
        ("dept_clerk", {"action": "issue"}, 409, "wrong_direction"),
        ("other_clerk", {"action": "register"}, 404, "not_found"),
    ],
)
def test_a_refused_action_on_an_arrived_document_keeps_it_unchanged(office, who, payload, status, code):
    copy = arrived(office)
    if isinstance(payload.get("lead"), str):
        payload = {**payload, "lead": getattr(office, payload["lead"]).pk}
    before = rows()

    response = as_user(getattr(office, who)).post(actions(copy), payload, format="json")

    assert_problem(response, status, code)
    assert rows() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"lead": "dept_clerk"},  # a clerk does not handle documents
        {"lead": "other_clerk"},
        {"lead": 999999},
        {"lead": "dept_specialist", "co": [999999]},
    ],
)
def test_an_assignment_to_someone_who_cannot_handle_is_refused(office, payload):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    payload = {k: getattr(office, v).pk if isinstance(v, str) else v for k, v in payload.items()}
    before = rows()

    response = as_user(office.dept_leader).post(actions(copy), {"action": "assign", **payload}, format="json")

    assert_problem(response, 400, "invalid_handler")
    assert rows() == before


def test_registering_a_duplicate_needs_confirmation(office):
    # given the paper copy of the province's decision 01/QĐ-UBND, registered before it arrives
    paper = scan_form(
        CodeNumber="01", CodeNotation="QĐ-UBND", OrganId="000.00.00.H98", OrganName="UBND tỉnh Thử"
    )
    assert as_user(office.dept_clerk).post(INCOMING, paper, format="multipart").status_code == 201
    copy = arrived(office)
    before = rows()

    refused = as_user(office.dept_clerk).post(actions(copy), {"action": "register"}, format="json")

    assert_problem(refused, 409, "duplicate_document")
    assert rows() == before
    confirmed = as_user(office.dept_clerk).post(
        actions(copy), {"action": "register", "confirm_duplicate": True}, format="json"
    )
    assert confirmed.status_code == 200 and confirmed.json()["ArrivalNumber"] == 2


def test_a_scanned_paper_document_is_registered_at_once(office):
    response = as_user(office.clerk).post(
        INCOMING,
        scan_form(appendix=[SimpleUploadedFile("pl.pdf", pdf("Phu luc"))], ToPlaces="UBND tỉnh"),
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["channel"], body["ArrivalNumber"]) == (IncomingStatus.REGISTERED, "paper", 1)
    assert (body["CodeNumber"], body["OrganName"], body["Priority"]) == ("15", "Bộ Xây dựng", 1)
    assert body["IssuedDate"] == "2026-11-02"
    assert sorted(f["role"] for f in body["files"]) == ["appendix", "main"]
    assert response["Location"] == f"{LIST}{body['id']}/"


def test_a_duplicate_paper_document_is_refused_then_registered_when_confirmed(office):
    client = as_user(office.clerk)
    assert client.post(INCOMING, scan_form(), format="multipart").status_code == 201
    before = rows()

    refused = client.post(INCOMING, scan_form(), format="multipart")

    body = assert_problem(refused, 409, "duplicate_document")
    assert set(body["errors"]) == {"code_number"}
    assert rows() == before
    again = client.post(INCOMING, scan_form(confirm_duplicate="true"), format="multipart")
    assert again.status_code == 201 and again.json()["ArrivalNumber"] == 2


@pytest.mark.parametrize(
    ("who", "overrides", "status", "code"),
    [
        ("clerk", {"CodeNumber": None}, 400, "invalid"),
        ("clerk", {"file": None}, 400, "invalid"),
        ("clerk", {"Priority": "7"}, 400, "invalid_urgency"),
        ("clerk", {"file": "not-a-pdf"}, 400, "upload_type_not_allowed"),
        ("specialist", {}, 403, "document_forbidden"),
        ("other_clerk", {"unit": "province"}, 403, "document_forbidden"),
    ],
)
def test_a_bad_paper_document_is_refused_and_nothing_is_written(office, who, overrides, status, code):
    if overrides.get("file") == "not-a-pdf":
        overrides["file"] = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf")
    if overrides.get("unit") == "province":
        overrides["unit"] = office.province.pk
    before = rows()

    response = as_user(getattr(office, who)).post(INCOMING, scan_form(**overrides), format="multipart")

    assert_problem(response, status, code)
    assert rows() == before


# --- download ----------------------------------------------------------------------------------


def test_a_file_is_downloaded_by_those_who_see_the_document_only(office, citizen):
    document = draft(office)
    stored = document.files.get()
    url = f"{detail(document)}files/{stored.pk}/"

    response = as_user(office.specialist).get(url)

    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == stored.sha256
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="quyet-dinh.pdf"' in response["Content-Disposition"]
    assert_problem(as_user(office.other_clerk).get(url), 404, "not_found")
    assert_problem(as_user(citizen).get(url), 403, "permission_denied")


def test_a_file_of_another_document_is_not_found_under_this_one(office):
    first = draft(office)
    second = draft(office, subject="Thứ hai")

    response = as_user(office.specialist).get(f"{detail(first)}files/{second.files.get().pk}/")

    assert_problem(response, 404, "not_found")


# --- registers ---------------------------------------------------------------------------------


def test_registers_and_their_entries_are_read_by_the_units_staff(office):
    sent = issued(office)
    client = as_user(office.clerk)

    books = client.get(REGISTERS).json()
    [book] = books["results"]
    entries = client.get(book["entries_url"]).json()

    assert (book["direction"], book["year"], book["last_number"]) == ("out", timezone.localdate().year, 1)
    assert book["unit"]["id"] == office.province.pk
    [entry] = entries["results"]
    assert (entry["number"], entry["id"], entry["CodeNotation"]) == (1, sent.pk, "QĐ-UBND")
    assert entry["recipients"] == ["Sở Nội vụ tỉnh Thử"]


def test_another_units_registers_are_hidden(office):
    issued(office)
    book = RegisterBook.objects.get()
    client = as_user(office.other_clerk)

    assert client.get(REGISTERS).json()["count"] == 0
    assert_problem(client.get(f"{REGISTERS}{book.pk}/entries/"), 404, "not_found")


def test_registers_filter_by_direction_and_refuse_a_bad_year(office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    client = as_user(office.dept_clerk)

    incoming = client.get(REGISTERS, {"direction": "in"}).json()

    assert [b["direction"] for b in incoming["results"]] == ["in"]
    assert_problem(client.get(REGISTERS, {"year": "abc"}), 400, "invalid")


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def fake_search(monkeypatch):
    """``documents_search`` replaced by a recorder returning the caller's visible documents."""
    from dataclasses import dataclass

    from cqs.documents import selectors

    calls = []

    @dataclass
    class Hit:
        document: object
        rank: float
        highlight: str

    @dataclass
    class Page:
        items: list
        total: int
        page: int
        pages: int
        per_page: int

    def documents_search(*, user, q="", filters=None, page=1, per_page=20):
        calls.append({"q": q, "filters": filters, "page": page, "per_page": per_page})
        found = list(selectors.documents_visible(user))
        items = [Hit(d, 0.5, f"<mark>{q}</mark> {d.subject}") for d in found]
        return Page(items=items, total=len(items), page=page, pages=1, per_page=per_page)

    try:
        import cqs.documents.search as module
    except ImportError:
        module = types.ModuleType("cqs.documents.search")
        monkeypatch.setitem(sys.modules, "cqs.documents.search", module)
    monkeypatch.setattr(module, "documents_search", documents_search, raising=False)
    return calls


def test_search_answers_hits_with_rank_and_highlight(office, fake_search):
    document = draft(office)

    response = as_user(office.clerk).get(SEARCH, {"q": "thu nghiem", "direction": "out", "per_page": "5"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["page"], body["pages"], body["per_page"]) == (1, 1, 1, 5)
    assert body["total_capped"] is False
    [hit] = body["results"]
    assert (hit["id"], hit["rank"]) == (document.pk, 0.5)
    assert hit["highlight"] == "<mark>thu nghiem</mark> Về việc thử nghiệm"
    assert fake_search == [{"q": "thu nghiem", "filters": {"direction": "out"}, "page": 1, "per_page": 5}]


def test_search_refuses_a_bad_page_size_without_searching(office, fake_search):
    response = as_user(office.clerk).get(SEARCH, {"q": "x", "per_page": "1000"})

    assert_problem(response, 400, "invalid")
    assert fake_search == []


def test_search_is_for_officials_only(office, citizen, fake_search):
    assert_problem(as_user(citizen).get(SEARCH, {"q": "x"}), 403, "permission_denied")
    assert fake_search == []


def test_search_finds_a_document_without_its_diacritics_and_marks_the_words(office):
    pytest.importorskip("cqs.documents.search")
    document = draft(office, subject="Quyết định về việc thử nghiệm")
    draft(office, subject="Công văn khác hẳn")

    response = as_user(office.clerk).get(SEARCH, {"q": "thu nghiem"})

    assert response.status_code == 200, response.content
    [hit] = response.json()["results"]
    assert hit["id"] == document.pk and "<mark>" in hit["highlight"]
    assert as_user(office.other_clerk).get(SEARCH, {"q": "thu nghiem"}).json()["results"] == []
