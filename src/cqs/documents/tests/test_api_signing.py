"""Signing with the signer's USB token through the API: prepare, the token signs, finish."""

import base64

import pytest

from cqs.documents.choices import OutgoingState
from cqs.documents.models import Document
from cqs.documents.tests.test_api import as_user, assert_problem, in_review, rows
from cqs.fakes.vgca import FakeUsbToken

pytestmark = pytest.mark.django_db


def prepare(client, document):
    return client.post(f"/api/v1/documents/{document.pk}/signing/prepare/")


def finish(client, document, *, token, signature, certificate_pem):
    return client.post(
        f"/api/v1/documents/{document.pk}/signing/finish/",
        {
            "token": token,
            "signature": base64.b64encode(signature).decode(),
            "certificate_pem": certificate_pem.decode(),
            "competence": "KT.",
        },
        format="json",
    )


def test_the_signer_signs_with_the_token_and_the_document_waits_for_the_clerk(office):
    document = in_review(office)
    client = as_user(office.leader)

    prepared = prepare(client, document)
    assert prepared.status_code == 200, prepared.content
    token = FakeUsbToken(office.leader, unit=office.province)
    signature = token.sign(base64.b64decode(prepared.json()["data_to_sign"]))
    response = finish(
        client,
        document,
        token=prepared.json()["token"],
        signature=signature,
        certificate_pem=token.certificate_pem(),
    )

    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert document.state == OutgoingState.SIGNED and document.signer_competence == "KT."
    from cqs.core.signing import pdf_verify

    signed = document.files.get(current=True, role="main")
    [check] = pdf_verify(pdf=signed.file.open("rb").read())
    assert check.intact and check.valid and check.trusted and check.signer_kind == "person"


def test_someone_else_than_the_signer_cannot_prepare(office):
    document = in_review(office)
    response = prepare(as_user(office.specialist), document)
    assert_problem(response, 403, "not_the_signer")


def test_a_signature_that_does_not_match_changes_nothing(office):
    document = in_review(office)
    client = as_user(office.leader)
    prepared = prepare(client, document).json()
    token = FakeUsbToken(office.leader, unit=office.province)
    before = rows()

    response = finish(
        client,
        document,
        token=prepared["token"],
        signature=token.sign(b"something else"),
        certificate_pem=token.certificate_pem(),
    )

    assert_problem(response, 400, "external_sign_bad_signature")
    assert rows() == before


def test_a_token_prepared_for_another_document_is_refused(office):
    first = in_review(office, subject="Văn bản thứ nhất")
    second = in_review(office, subject="Văn bản thứ hai")
    client = as_user(office.leader)
    prepared = prepare(client, first).json()
    token = FakeUsbToken(office.leader, unit=office.province)
    signature = token.sign(base64.b64decode(prepared["data_to_sign"]))

    response = finish(
        client, second, token=prepared["token"], signature=signature, certificate_pem=token.certificate_pem()
    )

    assert_problem(response, 400, "signed_other_document")
    assert Document.objects.get(pk=second.pk).state == OutgoingState.REVIEW


def test_a_signature_that_is_not_base64_is_refused(office):
    document = in_review(office)
    client = as_user(office.leader)
    response = client.post(
        f"/api/v1/documents/{document.pk}/signing/finish/",
        {"token": "x", "signature": "not base64!!", "certificate_pem": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert Document.objects.get(pk=document.pk).state == OutgoingState.REVIEW
