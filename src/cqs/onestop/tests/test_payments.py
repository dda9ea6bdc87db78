"""Paying a dossier's fees online: start, the gateway's signed return applied once, reconciliation.

The PayGov fake runs in a thread; the citizen's browser is played by plain HTTP requests."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.fakes import paygov as fake_paygov
from cqs.fakes.testing import paygov_press, running
from cqs.onestop.choices import DossierStatus, PaymentStatus
from cqs.onestop.models import Payment
from cqs.onestop.services import dossier_act, dossier_draft_save, dossier_file_add, dossier_submit
from cqs.onestop.services.payments import payment_callback, payment_start, payments_reconcile
from cqs.onestop.tests.conftest import pdf_bytes

pytestmark = pytest.mark.django_db
RETURN_URL = "http://testserver/onestop/thanh-toan/ket-qua/"


@pytest.fixture
def gateway(settings):
    app = fake_paygov.make_app(
        partner_code=settings.CQS_PAYGOV_PARTNER_CODE, secret=settings.CQS_PAYGOV_SECRET
    )
    with running(app) as fake:
        settings.CQS_PAYGOV_URL = fake.url
        yield app


@pytest.fixture
def dossier(desk):
    draft = dossier_draft_save(
        actor=desk.citizen, procedure_code=desk.procedure.code, unit=desk.unit, form_data={"noi_dung": "x"}
    )
    dossier_file_add(
        dossier=draft, actor=desk.citizen, name="a.pdf", data=pdf_bytes(), document_id=desk.document.pk
    )
    return dossier_submit(dossier=draft, actor=desk.citizen)


def returned_params(response) -> dict[str, str]:
    assert response.status_code == 302
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def test_a_successful_payment_marks_the_dossier_paid_once(desk, dossier, gateway):
    payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    assert payment.order_id == f"{desk.unit.identifier}-{dossier.code}-01"
    assert payment.amount == 8000

    params = returned_params(paygov_press(url, "success"))
    first = payment_callback(params=params)
    replay = payment_callback(params=params)

    assert first.status == replay.status == PaymentStatus.SUCCEEDED
    assert replay.callbacks == 2 and replay.transaction_no == first.transaction_no
    dossier.refresh_from_db()
    assert dossier.paid_online
    assert dossier.events.filter(action="paid").count() == 1


def test_a_forged_return_is_refused_and_changes_nothing(desk, dossier, gateway):
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    params = returned_params(paygov_press(url, "failed"))
    params["errorCode"] = "00"  # claim success without the gateway's signature

    with pytest.raises(ServiceError) as error:
        payment_callback(params=params)

    assert error.value.error_code == "payment_bad_checksum"
    assert Payment.objects.get().status == PaymentStatus.PENDING
    dossier.refresh_from_db()
    assert not dossier.paid_online


def test_a_failed_payment_can_be_tried_again(desk, dossier, gateway):
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    failed = payment_callback(params=returned_params(paygov_press(url, "failed")))
    assert failed.status == PaymentStatus.FAILED

    second, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)

    assert second.order_id.endswith("-02")
    assert (
        payment_callback(params=returned_params(paygov_press(url, "success"))).status
        == PaymentStatus.SUCCEEDED
    )


def test_a_paid_dossier_cannot_be_paid_twice(desk, dossier, gateway):
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    payment_callback(params=returned_params(paygov_press(url, "success")))

    with pytest.raises(ServiceError) as error:
        payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)

    assert error.value.error_code == "already_paid"


def test_only_the_applicant_pays(desk, dossier, gateway):
    with pytest.raises(ServiceError) as error:
        payment_start(dossier=dossier, actor=desk.stranger, return_url=RETURN_URL)

    assert error.value.status == 403


def test_paying_a_financial_obligation_resumes_processing(desk, dossier, gateway):
    for actor, action, extra in (
        (desk.officer, "receive", {}),
        (desk.officer, "assign", {"to_user": desk.specialist}),
        (desk.specialist, "request_fees", {"note": "Nộp lệ phí trước khi cấp."}),
    ):
        dossier = dossier_act(dossier=dossier, actor=actor, action=action, **extra)
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)

    payment_callback(params=returned_params(paygov_press(url, "success")))

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_reconciliation_settles_a_payment_whose_citizen_never_came_back(desk, dossier, gateway):
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    paygov_press(url, "success")  # paid at the gateway, but the browser never returned

    rows = payments_reconcile(on=timezone.localdate())

    assert [(row.ours, row.gateway, row.changed) for row in rows] == [
        (PaymentStatus.SUCCEEDED, "success", True)
    ]
    dossier.refresh_from_db()
    assert dossier.paid_online


def test_reconciliation_expires_an_abandoned_payment(desk, dossier, gateway):
    payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    paygov_press(url, "abandon")
    started = timezone.now() - timedelta(minutes=20)
    Payment.objects.filter(pk=payment.pk).update(created_at=started)

    # The day it was started (just after midnight, that is yesterday).
    rows = payments_reconcile(on=timezone.localdate(started))

    assert rows[0].ours == PaymentStatus.EXPIRED and rows[0].changed
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED


def test_the_return_page_applies_the_result_and_refuses_a_forgery(client, desk, dossier, gateway):
    _payment, url = payment_start(dossier=dossier, actor=desk.citizen, return_url=RETURN_URL)
    params = returned_params(paygov_press(url, "success"))
    client.force_login(desk.citizen)

    forged = client.get("/onestop/thanh-toan/ket-qua/", {**params, "amount": "1"})
    good = client.get("/onestop/thanh-toan/ket-qua/", params)

    assert forged.status_code == 400
    assert good.status_code == 302 and good["Location"].endswith(f"/onestop/ho-so/{dossier.pk}/")
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
