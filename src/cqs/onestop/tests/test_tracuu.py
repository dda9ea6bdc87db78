"""TraCuuHoSo and file downloads: what the national portal may ask the province."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqs.onestop.models import DossierEvent
from cqs.onestop.services import dossier_act
from cqs.onestop.tests.sync_support import CCCD, PHONE, filed, received

pytestmark = pytest.mark.django_db
TOKEN = "portal-asks-token"
URL = "/api/v1/dvcqg/TraCuuHoSo"


@pytest.fixture(autouse=True)
def _portal_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CQS_DVCQG_TOKEN = TOKEN


def ask(client, code, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, {"MaHoSo": code}, content_type="application/json", headers=headers)


def test_the_portal_gets_the_dossier_and_its_progress(client, desk):
    dossier = received(desk)

    response = ask(client, dossier.code)

    assert response.status_code == 200
    body = response.json()
    assert body["error_code"] == 0
    data = body["data"]
    assert (data["MaHoSo"], data["TrangThaiHoSo"], data["MaTTHC"]) == (dossier.code, "2", desk.procedure.code)
    events = dossier.events.order_by("at", "pk")
    assert [entry["IdTienDo"] for entry in data["QuaTrinhXuLy"]] == [str(event.pk) for event in events]
    assert [entry["TrangThai"] for entry in data["QuaTrinhXuLy"]] == ["1", "2"]


def test_the_answer_holds_no_cccd_and_no_phone_number(client, desk):
    dossier = received(desk)

    text = ask(client, dossier.code).content.decode()

    assert CCCD not in text and PHONE not in text


@pytest.mark.parametrize("token", ["wrong-token", "", None])
def test_a_wrong_or_missing_token_is_refused_as_problem_json(client, desk, token):
    dossier = received(desk)

    response = ask(client, dossier.code, token=token)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_portal_token"
    assert dossier.code not in response.content.decode()


def test_no_token_is_accepted_while_none_is_configured(client, desk, settings):
    settings.CQS_DVCQG_TOKEN = ""
    dossier = received(desk)

    assert ask(client, dossier.code, token="").status_code == 401


def test_an_unknown_code_is_404_with_the_portal_error_envelope(client, desk):
    response = ask(client, "000.00.41.H98-260101-9999")

    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == 2 and body["message"]


def test_a_request_without_a_code_is_400(client, desk):
    response = client.post(
        URL, {}, content_type="application/json", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 400
    assert response.json()["error_code"] == 1


def test_get_is_not_allowed(client, desk):
    response = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_history(client, desk):
    # Given two dossiers, one with two more history rows than the other
    short = received(desk)
    longer = dossier_act(dossier=received(desk), actor=desk.officer, action="assign", to_user=desk.specialist)
    longer = dossier_act(dossier=longer, actor=desk.specialist, action="propose", note="Đồng ý.")
    assert (
        DossierEvent.objects.filter(dossier=longer).count()
        == DossierEvent.objects.filter(dossier=short).count() + 2
    )

    # When the portal asks for each
    counts = []
    for dossier in (short, longer):
        with CaptureQueriesContext(connection) as queries:
            assert ask(client, dossier.code).status_code == 200
        counts.append(len(queries))

    # Then both answers take the same number of queries
    assert counts[0] == counts[1]


def test_the_portal_downloads_a_submitted_file_with_its_token(client, desk):
    dossier = filed(desk)
    stored = dossier.files.get()

    response = client.get(
        f"/api/v1/dvcqg/TepDinhKem/{stored.pk}", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_file_download_without_the_token_is_refused(client, desk):
    stored = filed(desk).files.get()

    response = client.get(f"/api/v1/dvcqg/TepDinhKem/{stored.pk}")

    assert response.status_code == 401
