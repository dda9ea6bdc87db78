"""The dossier pages: filing, the work list, actions, downloads, printed forms and the lookup."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cqs.onestop.choices import DossierStatus, FileRole
from cqs.onestop.models import Dossier
from cqs.onestop.services import dossier_act
from cqs.onestop.tests.conftest import filed, pdf_bytes

pytestmark = pytest.mark.django_db


def test_citizen_files_online_through_the_page(client, desk):
    client.force_login(desk.citizen)
    url = reverse("onestop:dossier-start", args=[desk.procedure.code])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "unit": desk.unit.pk,
            "return_method": "truc-tuyen",
            "tk-noi_dung": "Đề nghị cấp bản sao trích lục.",
            f"doc-{desk.document.pk}": SimpleUploadedFile("to-khai.pdf", pdf_bytes(), "application/pdf"),
            "intent": "submit",
        },
    )

    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "onestop:dossier-detail", args=[dossier.pk]
    )
    assert dossier.status == DossierStatus.SUBMITTED
    assert client.get(response["Location"]).status_code == 200


def test_a_draft_is_kept_when_submission_fails_for_a_missing_paper(client, desk):
    client.force_login(desk.citizen)
    url = reverse("onestop:dossier-start", args=[desk.procedure.code])

    response = client.post(
        url, {"unit": desk.unit.pk, "return_method": "truc-tuyen", "tk-noi_dung": "x", "intent": "submit"}
    )

    assert response.status_code == 200
    assert "Còn thiếu giấy tờ bắt buộc" in response.content.decode()
    assert Dossier.objects.get().status == DossierStatus.DRAFT


def test_a_wrong_file_type_is_shown_to_the_citizen(client, desk):
    client.force_login(desk.citizen)
    response = client.post(
        reverse("onestop:dossier-start", args=[desk.procedure.code]),
        {
            "unit": desk.unit.pk,
            "return_method": "truc-tuyen",
            "tk-noi_dung": "x",
            f"doc-{desk.document.pk}": SimpleUploadedFile("virus.pdf", b"<html>no</html>", "application/pdf"),
            "intent": "submit",
        },
    )

    assert response.status_code == 200
    assert "Chỉ nhận tệp" in response.content.decode()


def test_the_work_list_shows_the_units_dossiers_and_not_others(client, desk):
    dossier = filed(desk)
    client.force_login(desk.officer)
    assert dossier.code in client.get(reverse("onestop:worklist")).content.decode()

    client.force_login(desk.other_officer)
    assert dossier.code not in client.get(reverse("onestop:worklist")).content.decode()
    assert client.get(reverse("onestop:dossier-detail", args=[dossier.pk])).status_code == 404


def test_a_citizen_cannot_open_the_work_list_nor_anothers_dossier(client, desk):
    dossier = filed(desk)
    client.force_login(desk.stranger)

    assert client.get(reverse("onestop:worklist")).status_code == 403
    assert client.get(reverse("onestop:dossier-detail", args=[dossier.pk])).status_code == 404


def test_officer_receives_through_the_page_and_prints_the_receipt(client, desk):
    dossier = filed(desk)
    client.force_login(desk.officer)

    response = client.post(reverse("onestop:dossier-action", args=[dossier.pk, "receive"]))

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED
    pdf = client.get(reverse("onestop:dossier-print", args=[dossier.pk, "receipt"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_forbidden_action_is_a_message_not_an_error_page(client, desk):
    dossier = filed(desk)
    client.force_login(desk.citizen)

    response = client.post(reverse("onestop:dossier-action", args=[dossier.pk, "receive"]), follow=True)

    assert response.status_code == 200
    assert "không có quyền" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED


def test_the_citizen_downloads_the_signed_result_only_once_returned(client, desk):
    dossier = filed(desk)
    for actor, action, extra in (
        (desk.officer, "receive", {}),
        (desk.officer, "assign", {"to_user": desk.specialist}),
        (desk.specialist, "propose", {"note": "Cấp bản sao."}),
        (desk.leader, "approve", {}),
    ):
        dossier = dossier_act(dossier=dossier, actor=actor, action=action, **extra)
    result = dossier.files.get(role=FileRole.RESULT)
    url = reverse("onestop:dossier-file", args=[dossier.pk, result.pk])
    client.force_login(desk.citizen)
    assert client.get(url).status_code == 404

    dossier_act(dossier=dossier, actor=desk.officer, action="return_result")
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_public_lookup_needs_the_right_four_digits_and_shows_no_personal_data(client, desk):
    dossier = filed(desk)
    url = reverse("onestop:lookup")

    wrong = client.get(url, {"ma": dossier.code, "so": "0000"})
    right = client.get(url, {"ma": dossier.code, "so": "5678"})

    assert "Không tìm thấy" in wrong.content.decode()
    body = right.content.decode()
    assert "Mới đăng ký" in body
    assert "026090001234" not in body and "0912345678" not in body and "Nguyễn Văn An" not in body


def test_lookup_is_throttled(client, desk, settings):
    from django.core.cache import cache

    cache.clear()
    dossier = filed(desk)
    url = reverse("onestop:lookup")
    for _attempt in range(30):
        client.get(url, {"ma": dossier.code, "so": "0000"})

    assert client.get(url, {"ma": dossier.code, "so": "5678"}).status_code == 429
    cache.clear()


def test_lookup_throttle_cannot_be_dodged_with_a_forged_forwarded_header(client, desk):
    from django.core.cache import cache

    cache.clear()
    dossier = filed(desk)
    url = reverse("onestop:lookup")
    for attempt in range(30):
        client.get(url, {"ma": dossier.code, "so": "0000"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")

    assert (
        client.get(url, {"ma": dossier.code, "so": "5678"}, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code
        == 429
    )
    cache.clear()
