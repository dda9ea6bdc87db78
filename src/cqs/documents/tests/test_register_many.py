"""Registering a batch of arrived documents at once: all or nothing, as one by one."""

import pytest

from cqs.audit.models import AuditEvent
from cqs.audit.selectors import audit_chain_verify
from cqs.core.exceptions import ServiceError
from cqs.documents.choices import IncomingStatus
from cqs.documents.models import Document, DocumentEvent
from cqs.documents.services import incoming_receive, incoming_register, incoming_register_many
from cqs.documents.tests.conftest import pdf
from cqs.documents.tests.test_flows import issued

pytestmark = pytest.mark.django_db


def arrived_paper(office, number: str, *, unit=None, notation="BXD-QLN"):
    return incoming_receive(
        unit=unit or office.province,
        channel="paper",
        meta={
            "type_code": "CV",
            "code_number": number,
            "code_notation": notation,
            "organ_name": "Bộ Xây dựng",
            "subject": f"Công văn số {number}",
        },
        files=[("scan.pdf", pdf(), "main")],
    )


def test_a_batch_gets_consecutive_arrival_numbers_in_arrival_order(office):
    first = arrived_paper(office, "1")
    incoming_register(actor=office.clerk, document=first)
    batch = [arrived_paper(office, str(n)) for n in (2, 3, 4)]

    registered = incoming_register_many(actor=office.clerk, documents=[d.pk for d in reversed(batch)])

    assert [(d.pk, d.ordinal) for d in registered] == [(batch[0].pk, 2), (batch[1].pk, 3), (batch[2].pk, 4)]
    assert set(Document.objects.filter(pk__in=[d.pk for d in batch]).values_list("status", flat=True)) == {
        "03"
    }
    assert DocumentEvent.objects.filter(action="register").count() == 4
    assert AuditEvent.objects.filter(action="documents.register").count() == 4
    assert audit_chain_verify().ok


def test_each_sender_in_the_platform_is_told(office):
    copies = [Document.objects.get(source=issued(office)) for _ in range(2)]

    incoming_register_many(actor=office.dept_clerk, documents=copies)

    for copy in copies:
        assert copy.source.recipients.get().status_code == "03"


def test_one_refused_document_refuses_the_batch_and_nothing_is_written(office):
    good = arrived_paper(office, "7")
    elsewhere = arrived_paper(office, "8", unit=office.elsewhere)
    before = (AuditEvent.objects.count(), DocumentEvent.objects.count())

    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[good.pk, elsewhere.pk])

    assert refused.value.status == 403
    good.refresh_from_db()
    assert good.status == IncomingStatus.ARRIVED and good.ordinal is None
    assert (AuditEvent.objects.count(), DocumentEvent.objects.count()) == before


def test_a_duplicate_in_the_register_or_in_the_batch_needs_confirming(office):
    incoming_register(actor=office.clerk, document=arrived_paper(office, "05"))
    again = arrived_paper(office, "5")
    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[again.pk])
    assert refused.value.error_code == "duplicate_document"

    twin_a, twin_b = arrived_paper(office, "9", notation="SXD"), arrived_paper(office, "9", notation="sxd")
    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[twin_a.pk, twin_b.pk])
    assert refused.value.error_code == "duplicate_document"

    done = incoming_register_many(
        actor=office.clerk, documents=[again.pk, twin_a.pk, twin_b.pk], confirm_duplicate=True
    )
    assert [d.ordinal for d in done] == [2, 3, 4]


def test_a_document_registered_already_or_unknown_refuses_the_batch(office):
    document = arrived_paper(office, "11")
    incoming_register(actor=office.clerk, document=document)

    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[document.pk])
    assert refused.value.error_code == "invalid_state"
    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[999999])
    assert refused.value.error_code == "document_not_found"
    with pytest.raises(ServiceError) as refused:
        incoming_register_many(actor=office.clerk, documents=[])
    assert refused.value.error_code == "nothing_selected"


def test_the_clerk_ticks_documents_in_the_inbox_page_and_registers_them(office, client):
    documents = [arrived_paper(office, str(n)) for n in (21, 22)]
    client.force_login(office.clerk)

    page = client.get("/van-ban/danh-sach/cho-vao-so/").content.decode()
    assert 'id="register-many"' in page and f'value="{documents[0].pk}"' in page
    response = client.post("/van-ban/vao-so/", {"documents": [d.pk for d in documents]}, follow=True)

    assert "Đã vào sổ 2 văn bản, số đến từ 1 đến 2." in response.content.decode()
    assert set(
        Document.objects.filter(pk__in=[d.pk for d in documents]).values_list("ordinal", flat=True)
    ) == {1, 2}


def test_a_refused_batch_shows_why_on_the_page_and_changes_nothing(office, client):
    mine, theirs = arrived_paper(office, "31"), arrived_paper(office, "32", unit=office.elsewhere)
    client.force_login(office.clerk)

    response = client.post("/van-ban/vao-so/", {"documents": [mine.pk, theirs.pk]}, follow=True)

    assert "Chỉ văn thư vào sổ văn bản đến của đơn vị." in response.content.decode()
    assert Document.objects.get(pk=mine.pk).status == IncomingStatus.ARRIVED


def test_only_officials_may_post_the_batch(office, client):
    from cqs.accounts.tests.factories import CitizenFactory

    document = arrived_paper(office, "41")
    client.force_login(CitizenFactory())
    response = client.post("/van-ban/vao-so/", {"documents": [document.pk]})
    assert response.status_code == 403
    assert Document.objects.get(pk=document.pk).status == IncomingStatus.ARRIVED


def test_the_api_registers_a_batch_and_names_the_arrival_numbers(office):
    from cqs.documents.tests.test_api import as_user, assert_problem

    documents = [arrived_paper(office, str(n)) for n in (51, 52)]
    client = as_user(office.clerk)

    response = client.post(
        "/api/v1/documents/register/", {"documents": [d.pk for d in documents]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert [(row["id"], row["ArrivalNumber"]) for row in response.json()] == [
        (documents[0].pk, 1),
        (documents[1].pk, 2),
    ]
    again = client.post("/api/v1/documents/register/", {"documents": [documents[0].pk]}, format="json")
    assert_problem(again, 409, "invalid_state")
    empty = client.post("/api/v1/documents/register/", {"documents": []}, format="json")
    assert empty.status_code == 400
