"""The dossier API: filing with Idempotency-Key, who reads and acts on what, attachments,
payments, rating and the public lookup."""

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cqs.onestop.api.dossiers import LookupThrottle
from cqs.onestop.choices import RATING_CRITERIA, DossierStatus, FileRole, Stage
from cqs.onestop.models import Dossier, DossierFile, Payment
from cqs.onestop.services import dossier_act
from cqs.onestop.tests.conftest import draft, filed, pdf_bytes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/dossiers/"
LOOKUP = "/api/v1/lookup/"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CQS_PAYGOV_URL = "http://paygov.test"
    # The lookup throttle counts in the cache, which outlives a test.
    cache.clear()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def detail(dossier) -> str:
    return f"{LIST}{dossier.pk}/"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


def payload(desk, **overrides) -> dict:
    return {
        "procedure": desk.procedure.code,
        "unit": desk.unit.pk,
        "form_data": {"noi_dung": "Đề nghị cấp giấy khai sinh cho con."},
    } | overrides


def multipart(desk, data=None, files=None) -> dict:
    parts = {"data": json.dumps(payload(desk) if data is None else data)}
    if files is None:
        files = {f"doc-{desk.document.pk}": ("to-khai.pdf", pdf_bytes())}
    for name, (filename, content) in files.items():
        parts[name] = SimpleUploadedFile(filename, content)
    return parts


def handled(desk):
    """A dossier received and assigned to the specialist (status 4, stage handling)."""
    dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")
    return dossier_act(dossier=dossier, actor=desk.officer, action="assign", to_user=desk.specialist)


# --- filing ------------------------------------------------------------------------------------


def test_citizen_files_a_dossier_with_its_papers_in_one_multipart_request(desk):
    # when
    response = as_user(desk.citizen).post(LIST, multipart(desk), format="multipart")

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    dossier = Dossier.objects.get()
    assert body["id"] == dossier.pk and body["code"] == dossier.code
    assert (body["status"], body["status_label"]) == (DossierStatus.SUBMITTED, "Mới đăng ký")
    assert response["Location"] == detail(dossier)
    assert [(f["role"], f["document"]) for f in body["files"]] == [(FileRole.SUBMITTED, desk.document.pk)]


def test_repeating_a_filing_with_the_same_idempotency_key_returns_the_first_dossier(desk):
    client = as_user(desk.citizen)

    # when
    first = client.post(LIST, multipart(desk), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(LIST, multipart(desk), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")

    # then
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again.json() == first.json()
    assert Dossier.objects.count() == 1


def test_filing_twice_without_a_key_makes_two_dossiers(desk):
    client = as_user(desk.citizen)

    client.post(LIST, multipart(desk), format="multipart")
    client.post(LIST, multipart(desk), format="multipart")

    assert Dossier.objects.count() == 2


def test_a_draft_is_saved_and_a_repeated_key_returns_it(desk):
    client = as_user(desk.citizen)

    first = client.post(LIST, payload(desk, submit=False), format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    again = client.post(LIST, payload(desk, submit=False), format="json", HTTP_IDEMPOTENCY_KEY="d-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["status"] == DossierStatus.DRAFT and first.json()["code"] is None
    assert again.json()["id"] == first.json()["id"] and Dossier.objects.count() == 1


def test_filing_without_the_required_paper_is_refused_and_writes_nothing(desk):
    response = as_user(desk.citizen).post(LIST, payload(desk), format="json")

    body = assert_problem(response, 400, "missing_documents")
    assert "Tờ khai" in body["detail"]
    assert not Dossier.objects.exists()


def test_an_unknown_declaration_field_is_refused(desk):
    data = payload(desk, form_data={"noi_dung": "x", "khong_co": "y"})

    response = as_user(desk.citizen).post(LIST, multipart(desk, data=data), format="multipart")

    assert_problem(response, 400, "unknown_form_field")
    assert not Dossier.objects.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused(desk):
    files = {f"doc-{desk.document.pk}": ("to-khai.pdf", b"MZ\x90\x00 not a pdf")}

    response = as_user(desk.citizen).post(LIST, multipart(desk, files=files), format="multipart")

    assert_problem(response, 400, "upload_type_not_allowed")
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()


def test_a_file_part_not_named_after_a_document_is_refused(desk):
    files = {"tep": ("to-khai.pdf", pdf_bytes())}

    response = as_user(desk.citizen).post(LIST, multipart(desk, files=files), format="multipart")

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"tep"}


def test_a_unit_that_does_not_implement_the_procedure_is_refused(desk):
    response = as_user(desk.citizen).post(
        LIST, multipart(desk, data=payload(desk, unit=desk.province.pk)), format="multipart"
    )

    assert_problem(response, 400, "unit_not_implementing")


def test_an_official_cannot_file_online(desk):
    response = as_user(desk.officer).post(LIST, multipart(desk), format="multipart")

    assert_problem(response, 403, "not_a_citizen")


def test_the_owner_uploads_a_paper_to_a_draft_then_submits_it(desk):
    client = as_user(desk.citizen)
    dossier = draft(desk)

    upload = client.post(
        f"{detail(dossier)}attachments/",
        {"file": _upload("to-khai.pdf"), "document": desk.document.pk},
        format="multipart",
    )
    submitted = client.post(f"{detail(dossier)}submit/")

    assert upload.status_code == 201 and upload.json()["role"] == FileRole.SUBMITTED
    assert submitted.status_code == 200 and submitted.json()["status"] == DossierStatus.SUBMITTED
    assert submitted.json()["code"]


# --- reading -----------------------------------------------------------------------------------


def test_the_owner_reads_the_whole_applicant_block_and_only_public_events(desk):
    dossier = filed(desk)
    dossier_act(dossier=dossier, actor=desk.officer, action="receive")
    dossier.events.filter(action="receive").update(public=False)

    body = as_user(desk.citizen).get(detail(dossier)).json()

    assert body["applicant"]["cccd"] == "026090001234" and body["applicant"]["phone"] == "0912345678"
    assert [e["action"] for e in body["events"]] == ["submit"]
    assert "actor" not in body["events"][0]
    assert body["is_owner"] is True
    assert [a["action"] for a in body["actions"]] == ["withdraw"]


def test_the_officer_of_the_unit_sees_every_event_with_its_actor(desk):
    dossier = filed(desk)
    dossier_act(dossier=dossier, actor=desk.officer, action="receive")
    dossier.events.filter(action="receive").update(public=False)

    body = as_user(desk.officer).get(detail(dossier)).json()

    assert [e["action"] for e in body["events"]] == ["submit", "receive"]
    assert body["events"][1]["actor"] == (desk.officer.full_name or desk.officer.username)
    assert "assign" in [a["action"] for a in body["actions"]]


def test_a_citizen_cannot_read_another_citizens_dossier(desk):
    dossier = filed(desk)
    client = as_user(desk.stranger)

    assert_problem(client.get(detail(dossier)), 404, "not_found")
    assert client.get(LIST).json()["results"] == []


def test_an_official_of_another_unit_neither_reads_nor_lists_the_dossier(desk):
    dossier = filed(desk)
    client = as_user(desk.other_officer)

    assert_problem(client.get(detail(dossier)), 404, "not_found")
    assert client.get(LIST).json()["results"] == []


def test_the_officer_of_the_unit_lists_it_with_the_applicants_name_only(desk):
    dossier = filed(desk)

    rows = as_user(desk.officer).get(LIST).json()["results"]

    assert [row["id"] for row in rows] == [dossier.pk]
    assert rows[0]["applicant_name"] == "Nguyễn Văn An"
    text = json.dumps(rows)
    assert "026090001234" not in text and "0912345678" not in text and "an@example.org" not in text


def test_a_draft_is_seen_by_its_owner_only(desk):
    dossier = draft(desk)

    officer = as_user(desk.officer)
    owner = as_user(desk.citizen)

    assert_problem(officer.get(detail(dossier)), 404, "not_found")
    assert officer.get(LIST).json()["results"] == []
    assert owner.get(detail(dossier)).status_code == 200
    assert [row["id"] for row in owner.get(LIST, {"mine": "true"}).json()["results"]] == [dossier.pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": DossierStatus.RECEIVED}, ["received"]),
        ({"status": DossierStatus.SUBMITTED}, ["submitted"]),
        ({"overdue": "true"}, []),
        ({"overdue": "false"}, ["submitted", "received"]),
    ],
)
def test_list_filters(desk, params, expected):
    made = {"submitted": filed(desk), "received": filed(desk)}
    dossier_act(dossier=made["received"], actor=desk.officer, action="receive")
    names = {dossier.pk: name for name, dossier in made.items()}

    rows = as_user(desk.officer).get(LIST, params).json()["results"]

    assert sorted(names[row["id"]] for row in rows) == sorted(expected)


def test_the_list_filters_by_code(desk):
    first, _second = filed(desk), filed(desk)

    rows = as_user(desk.officer).get(LIST, {"q": first.code}).json()["results"]

    assert [row["id"] for row in rows] == [first.pk]


def test_a_bad_filter_is_a_problem_not_a_500(desk):
    response = as_user(desk.officer).get(LIST, {"status": "99", "unit": "x"})

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"status", "unit"}


def test_anonymous_callers_are_refused(desk):
    assert_problem(APIClient().get(LIST), 403, "not_authenticated")


def test_the_list_runs_a_fixed_number_of_queries(desk):
    filed(desk)
    client = as_user(desk.officer)

    with CaptureQueriesContext(connection) as one:
        assert len(client.get(LIST).json()["results"]) == 1
    for _ in range(4):
        dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(LIST).json()["results"]) == 5

    # session, user, the middleware's grant check, grant paths, count, page: none per row
    assert len(one) == len(five) == 6


# --- actions -----------------------------------------------------------------------------------


def test_the_officer_of_the_unit_receives_a_dossier(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(f"{detail(dossier)}actions/", {"action": "receive"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == DossierStatus.RECEIVED and body["due_at"]
    assert body["stage"] == Stage.WAITING


def test_the_officer_assigns_to_a_specialist_by_id(desk):
    dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")

    response = as_user(desk.officer).post(
        f"{detail(dossier)}actions/", {"action": "assign", "to_user": desk.specialist.pk}, format="json"
    )

    assert response.status_code == 200
    dossier.refresh_from_db()
    assert (dossier.stage, dossier.assignee) == (Stage.HANDLING, desk.specialist)


def test_a_citizen_cannot_act_as_an_officer(desk):
    dossier = filed(desk)

    response = as_user(desk.citizen).post(f"{detail(dossier)}actions/", {"action": "receive"}, format="json")

    assert_problem(response, 403, "action_not_allowed")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED


def test_an_official_of_another_unit_cannot_act_on_the_dossier(desk):
    dossier = filed(desk)

    response = as_user(desk.other_officer).post(
        f"{detail(dossier)}actions/", {"action": "receive"}, format="json"
    )

    assert_problem(response, 404, "not_found")


def test_an_action_the_state_does_not_allow_is_a_conflict(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(
        f"{detail(dossier)}actions/", {"action": "return_result"}, format="json"
    )

    assert_problem(response, 409, "invalid_transition")


def test_a_refusal_without_a_reason_is_refused(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(f"{detail(dossier)}actions/", {"action": "refuse"}, format="json")

    body = assert_problem(response, 400, "note_required")
    assert body["errors"] == {"note": [body["detail"]]}


def test_an_unknown_action_is_refused(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(f"{detail(dossier)}actions/", {"action": "explode"}, format="json")

    assert_problem(response, 400, "unknown_action")


# --- attachments -------------------------------------------------------------------------------


def _upload(name="a.pdf", data=None):
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data)


def test_another_citizen_cannot_upload_to_a_draft(desk):
    dossier = draft(desk)

    response = as_user(desk.stranger).post(
        f"{detail(dossier)}attachments/", {"file": _upload()}, format="multipart"
    )

    assert_problem(response, 404, "not_found")
    assert not DossierFile.objects.exists()


def test_an_officer_cannot_add_papers_to_a_submitted_dossier(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(
        f"{detail(dossier)}attachments/", {"file": _upload(), "role": FileRole.SUBMITTED}, format="multipart"
    )

    assert_problem(response, 403, "upload_not_allowed")


def test_the_owner_downloads_a_paper_and_others_cannot(desk):
    dossier = filed(desk)
    stored = dossier.files.get()
    url = f"{detail(dossier)}attachments/{stored.pk}/"

    response = as_user(desk.citizen).get(url, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert_problem(as_user(desk.other_officer).get(url), 404, "not_found")
    assert_problem(as_user(desk.stranger).get(url), 404, "not_found")
    assert as_user(desk.officer).get(url).status_code == 200


def test_a_draft_result_is_the_agencys_paper_not_the_owners(desk):
    dossier = handled(desk)
    specialist = as_user(desk.specialist)
    upload = specialist.post(
        f"{detail(dossier)}attachments/",
        {"file": _upload("du-thao.pdf"), "role": FileRole.DRAFT_RESULT},
        format="multipart",
    )
    assert upload.status_code == 201
    url = upload.json()["download_url"]

    owner = as_user(desk.citizen)

    assert specialist.get(url).status_code == 200
    assert_problem(owner.get(url), 404, "not_found")
    assert FileRole.DRAFT_RESULT not in [f["role"] for f in owner.get(detail(dossier)).json()["files"]]


def test_the_signed_result_reaches_the_owner_only_once_returned(desk):
    dossier = dossier_act(dossier=handled(desk), actor=desk.specialist, action="propose", note="Cấp giấy.")
    dossier = dossier_act(dossier=dossier, actor=desk.leader, action="approve")
    result = dossier.files.get(role=FileRole.RESULT)
    url = f"{detail(dossier)}attachments/{result.pk}/"
    owner = as_user(desk.citizen)

    assert_problem(owner.get(url), 404, "not_found")
    dossier_act(dossier=dossier, actor=desk.officer, action="return_result")
    assert owner.get(url).status_code == 200


# --- payments and rating -----------------------------------------------------------------------


def test_the_owner_starts_a_payment_and_gets_the_gateways_page(desk):
    dossier = filed(desk)
    client = as_user(desk.citizen)

    response = client.post(f"{detail(dossier)}payments/")

    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == 8000 and body["order_id"].endswith(f"{dossier.code}-01")
    assert body["checkout_url"].startswith("http://paygov.test/pay?")
    assert "thanh-toan%2Fket-qua" in body["checkout_url"]
    listed = client.get(f"{detail(dossier)}payments/").json()
    assert [(p["order_id"], p["status"]) for p in listed] == [(body["order_id"], "cho-thanh-toan")]


def test_only_the_owner_may_pay(desk):
    dossier = filed(desk)

    response = as_user(desk.officer).post(f"{detail(dossier)}payments/")

    assert_problem(response, 403, "action_not_allowed")
    assert not Payment.objects.exists()


def test_rating_before_the_result_is_returned_is_too_early(desk):
    dossier = filed(desk)
    scores = {"overall": 3}

    response = as_user(desk.citizen).post(f"{detail(dossier)}rating/", {"scores": scores}, format="json")

    assert_problem(response, 409, "rating_too_early")


# --- public lookup -----------------------------------------------------------------------------


def test_lookup_with_the_last_four_digits_shows_the_status_without_personal_data(desk):
    dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")

    response = APIClient().get(LOOKUP, {"code": dossier.code, "secret": "5678"})

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["status"]) == (dossier.code, DossierStatus.RECEIVED)
    assert body["unit"] == "Phường An Bình" and body["received_at"] and body["due_at"]
    assert [e["action"] for e in body["events"]] == ["submit", "receive"]
    text = response.content.decode()
    for personal in ("026090001234", "0912345678", "Nguyễn Văn An", "an@example.org", "motcua"):
        assert personal not in text


def test_lookup_answers_alike_for_a_wrong_secret_and_an_unknown_code(desk):
    dossier = filed(desk)
    client = APIClient()

    wrong_secret = client.get(LOOKUP, {"code": dossier.code, "secret": "0000"})
    unknown_code = client.get(LOOKUP, {"code": "000.00.41.H98-990101-0001", "secret": "5678"})

    assert_problem(wrong_secret, 404, "not_found")
    assert wrong_secret.json() == unknown_code.json() and unknown_code.status_code == 404


def test_lookup_is_throttled_per_address(desk, monkeypatch):
    monkeypatch.setattr(LookupThrottle, "rate", "2/10m")
    dossier = filed(desk)
    client = APIClient()

    answers = [client.get(LOOKUP, {"code": dossier.code, "secret": "0000"}).status_code for _ in range(2)]
    throttled = client.get(LOOKUP, {"code": dossier.code, "secret": "5678"})

    assert answers == [404, 404]
    assert_problem(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 60


def test_lookup_throttle_ignores_a_forged_forwarded_header(desk, monkeypatch):
    monkeypatch.setattr(LookupThrottle, "rate", "2/10m")
    dossier = filed(desk)
    client = APIClient()

    for n in range(2):
        client.get(LOOKUP, {"code": dossier.code, "secret": "0000"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    forged = client.get(LOOKUP, {"code": dossier.code, "secret": "5678"}, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert_problem(forged, 429, "throttled")


def test_lookup_throttle_reads_a_multi_minute_window():
    assert LookupThrottle().parse_rate("30/10m") == (30, 600)


def test_the_owner_rates_a_returned_dossier_once(desk):
    dossier = dossier_act(dossier=handled(desk), actor=desk.specialist, action="propose", note="Cấp giấy.")
    dossier = dossier_act(dossier=dossier, actor=desk.leader, action="approve")
    dossier_act(dossier=dossier, actor=desk.officer, action="return_result")
    scores = {code: 3 for code, _label in RATING_CRITERIA}
    client = as_user(desk.citizen)

    first = client.post(f"{detail(dossier)}rating/", {"scores": scores, "comment": "Tốt"}, format="json")
    again = client.post(f"{detail(dossier)}rating/", {"scores": scores}, format="json")

    assert first.status_code == 201 and first.json()["overall"] == 3
    assert_problem(again, 409, "already_rated")


def test_a_multipart_filing_whose_data_part_is_not_json_is_refused(desk):
    parts = multipart(desk) | {"data": "{not json"}

    response = as_user(desk.citizen).post(LIST, parts, format="multipart")

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"data"}


def test_the_hand_built_lookup_body_is_what_its_documented_serializer_says(desk):
    from cqs.onestop.api.dossier_serializers import LookupSerializer
    from cqs.onestop.api.dossiers import lookup_body

    dossier = dossier_act(dossier=handled(desk), actor=desk.specialist, action="propose", note="Cấp giấy.")
    events = list(dossier.events.filter(public=True).select_related("actor_unit").order_by("at", "pk"))

    documented = LookupSerializer(dossier, context={"events": events}).data

    assert lookup_body(dossier) == json.loads(json.dumps(documented))
