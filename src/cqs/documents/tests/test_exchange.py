"""Exchange with another province end to end: our outbox and poller against the fake axis.

The simulated UBND tỉnh Nghệ An builds and signs its packages here with the demo PKI, as its own
system would, and hands them to the axis with ``app.send_as``; what we send back is read from its
queue with ``app.pending``. The Nghệ An unit is an unsaved ``OrgUnit``: it only gives its
certificate a name and code, and must not exist in our database, or documents to it would be
delivered inside the platform instead of through the axis.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from cqs.audit.models import AuditEvent
from cqs.core.outbox import outbox_dispatch
from cqs.documents import edxml
from cqs.documents.choices import Channel, Direction, IncomingStatus
from cqs.documents.exchange import axis_poll
from cqs.documents.models import AxisMessage, Document
from cqs.documents.tests.conftest import pdf
from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID, Delivery, vdxp_serving

pytestmark = pytest.mark.django_db

OUR_SYSTEM_ID = "000.00.00.H98"
OUR_SECRET = "vdxp-test-secret"
PROVINCE = "000.00.00.H98"
NGHE_AN_ORGAN = "000.00.00.H41"


@pytest.fixture
def axis(office, settings):
    """The fake axis with our system (the office's two units, and any .H98 code) and Nghệ An."""
    systems = {
        OUR_SYSTEM_ID: {
            "secret": OUR_SECRET,
            "organs": [
                {"id": office.province.identifier, "name": office.province.name},
                {"id": office.department.identifier, "name": office.department.name},
            ],
            "suffixes": [".H98"],
        },
        NGHE_AN_SYSTEM_ID: NGHE_AN,
    }
    with vdxp_serving(systems) as (url, app):
        settings.CQS_VDXP_URL = url
        settings.CQS_VDXP_SYSTEM_ID = OUR_SYSTEM_ID
        settings.CQS_VDXP_SECRET = OUR_SECRET
        settings.CQS_TSA_URL = ""
        yield app


@pytest.fixture
def nghe_an(db):
    from cqs.orgs.models import OrgUnit

    return OrgUnit(name="UBND tỉnh Nghệ An", short_name="UBND", identifier=NGHE_AN_ORGAN)


def signed_pdf(nghe_an, text="Cong van Nghe An") -> bytes:
    from cqs.core.signing import pdf_sign

    return pdf_sign(pdf=pdf(text), unit=nghe_an, reason="Ban hành văn bản")


def package_from_nghe_an(
    nghe_an,
    *,
    to=(PROVINCE,),
    number=12,
    attachment=None,
    bussiness=None,
    sign=True,
) -> bytes:
    """A document of UBND tỉnh Nghệ An as its system would send it (edXML, XML-signed)."""
    from cqs.core.signing import unit_certificate_ensure
    from cqs.documents.edxml_signature import edxml_sign

    today = timezone.localdate()
    document_id = edxml.document_id_make(NGHE_AN_ORGAN, today, number, "UBND-VX")
    attachments = ()
    if bussiness is None or bussiness.bussiness_doc_type != 1:
        data = attachment if attachment is not None else signed_pdf(nghe_an)
        attachments = (
            edxml.Attachment(content_id="1", content_type="application/pdf", name="cong-van.pdf", data=data),
        )
    package = edxml.EdocPackage(
        header=edxml.MessageHeader(
            from_=edxml.Organ(organ_id=NGHE_AN_ORGAN, organ_name="UBND tỉnh Nghệ An"),
            to=tuple(edxml.Organ(organ_id=organ, organ_name=f"Cơ quan {organ}") for organ in to),
            code=edxml.Code(code_number=str(number), code_notation="UBND-VX"),
            promulgation_info=edxml.PromulgationInfo(place="Nghệ An", promulgation_date=today),
            document_type=edxml.DocumentType(type="1", type_name="Công văn"),
            subject="Về việc phối hợp quản lý lao động ngoại tỉnh",
            signer_info=edxml.SignerInfo(competence="KT.", position="Phó Chủ tịch", full_name="Lê Văn Ký"),
            due_date=today + timedelta(days=10),
            other_info=edxml.OtherInfo(priority="1", page_amount="2"),
            document_id=document_id,
        ),
        trace=(edxml.TraceHeader(organ_id=NGHE_AN_ORGAN, timestamp=timezone.now()),),
        bussiness=bussiness or edxml.Bussiness(bussiness_doc_type=0, document_id=document_id),
        attachments=attachments,
    )
    data = edxml.build(package)
    if sign:
        key, cert = unit_certificate_ensure(unit=nghe_an)
        data = edxml_sign(data, key=key, cert=cert)
    return data


def recall_of(nghe_an, *, number=12, reason="Ban hành nhầm") -> bytes:
    document_id = edxml.document_id_make(NGHE_AN_ORGAN, timezone.localdate(), number, "UBND-VX")
    return package_from_nghe_an(
        nghe_an,
        number=number,
        bussiness=edxml.Bussiness(bussiness_doc_type=1, bussiness_doc_reason=reason, document_id=document_id),
    )


def statuses_back(app) -> list[edxml.StatusPackage]:
    """The status packages waiting for Nghệ An, read as its system would."""
    return [edxml.parse(item["data"]) for item in app.pending(NGHE_AN_SYSTEM_ID, "status")]


def received(app, nghe_an, **kwargs) -> Document:
    app.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, **kwargs))
    axis_poll()
    return Document.objects.get(direction=Direction.INCOMING, channel=Channel.AXIS)


# --- a) receiving a signed document --------------------------------------------------------------


def test_a_signed_document_from_another_province_arrives_with_its_metadata_files_and_checks(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))

    counts = axis_poll()

    assert (counts.received, counts.documents, counts.errors) == (1, 1, [])
    document = Document.objects.get(direction=Direction.INCOMING)
    assert (document.unit.identifier, document.status, document.channel) == (
        PROVINCE,
        IncomingStatus.ARRIVED,
        Channel.AXIS,
    )
    assert document.number_symbol == "12/UBND-VX"
    assert (document.organ_id, document.organ_name) == (NGHE_AN_ORGAN, "UBND tỉnh Nghệ An")
    assert document.subject == "Về việc phối hợp quản lý lao động ngoại tỉnh"
    assert (document.signer_name, document.urgency, document.page_amount) == ("Lê Văn Ký", 1, 2)
    assert document.due_date == timezone.localdate() + timedelta(days=10)
    assert [f.name for f in document.files.filter(current=True)] == ["cong-van.pdf"]
    pdf_check, xml_check = document.signature_report
    assert pdf_check["intact"] and pdf_check["valid"] and pdf_check["signer"] == "UBND tỉnh Nghệ An"
    assert xml_check["package"] and xml_check["valid"] and xml_check["trusted"]


def test_the_package_is_acknowledged_through_the_outbox(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))
    axis_poll()
    assert len(axis.pending(OUR_SYSTEM_ID, "edoc")) == 1  # not before the outbox runs

    outbox_dispatch()

    assert axis.pending(OUR_SYSTEM_ID, "edoc") == []


def test_the_sender_is_told_the_document_arrived(axis, nghe_an):
    document = received(axis, nghe_an)

    outbox_dispatch()

    [status] = statuses_back(axis)
    assert status.status_code == "01"
    assert status.from_.organ_id == PROVINCE
    assert status.response_for.document_id == document.document_id


# --- b) each step of the handling goes back ------------------------------------------------------


def test_registering_assigning_and_completing_are_reported_to_the_sender(axis, nghe_an, office):
    from cqs.documents.services import incoming_assign, incoming_complete, incoming_register

    document = received(axis, nghe_an)

    incoming_register(actor=office.clerk, document=document)
    incoming_assign(actor=office.leader, document=document, lead=office.specialist)
    incoming_complete(actor=office.specialist, document=document, note="Đã phối hợp")
    outbox_dispatch()

    codes = [status.status_code for status in statuses_back(axis)]
    assert codes == ["01", "03", "04", "06"]


# --- c) once only --------------------------------------------------------------------------------


def test_a_package_polled_again_before_its_acknowledgement_makes_one_document(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))
    axis_poll()

    again = axis_poll()  # the acknowledgement is still in the outbox: the axis lists it again

    assert again.seen_before == 1 and again.documents == 0
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 1
    assert AxisMessage.objects.count() == 1
    assert axis.pending(OUR_SYSTEM_ID, "edoc") == []


def test_a_second_package_with_the_same_document_id_makes_no_second_document(axis, nghe_an):
    received(axis, nghe_an)
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))

    counts = axis_poll()

    assert (counts.received, counts.documents, counts.errors) == (1, 0, [])
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 1
    assert AxisMessage.objects.count() == 2


# --- d) refusals -----------------------------------------------------------------------------------


def test_an_unsigned_package_is_refused_recorded_and_answered_with_02(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, sign=False))

    counts = axis_poll()
    outbox_dispatch()

    assert counts.errors == ["unsigned_package"]
    assert not Document.objects.exists()
    message = AxisMessage.objects.get()
    assert message.error_code == "unsigned_package"
    assert AuditEvent.objects.filter(action="documents.axis_refused", object_id=str(message.pk)).exists()
    [status] = statuses_back(axis)
    assert (status.status_code, status.from_.organ_id) == ("02", PROVINCE)
    assert axis.pending(OUR_SYSTEM_ID, "edoc") == []


def test_a_refused_document_sent_again_gets_a_second_answer(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, sign=False))
    axis_poll()
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, attachment=b"not a pdf"))

    counts = axis_poll()
    outbox_dispatch()

    assert counts.errors == ["invalid_attachment"]
    assert [s.status_code for s in statuses_back(axis)] == ["02", "02"]


def test_a_document_whose_pdf_signature_was_tampered_with_is_rejected_with_its_reason(axis, nghe_an):
    signed = signed_pdf(nghe_an)
    # One changed byte inside the signed range (the creation date): the PDF still opens.
    at = signed.index(b"/CreationDate (D:") + len(b"/CreationDate (D:")
    tampered = signed[:at] + (b"1" if signed[at : at + 1] != b"1" else b"2") + signed[at + 1 :]

    document = received(axis, nghe_an, attachment=tampered)
    outbox_dispatch()

    assert document.status == IncomingStatus.REJECTED
    reject = document.events.get(action="reject")
    assert "Chữ ký số" in reject.note
    assert not document.signature_report[0]["intact"]
    codes = [(s.status_code, s.description) for s in statuses_back(axis)]
    assert codes == [("02", reject.note)]


def test_a_package_for_an_organ_we_do_not_have_is_answered_with_02(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, to=("000.00.09.H98",)))

    counts = axis_poll()
    outbox_dispatch()

    assert counts.errors == ["unknown_organ"]
    assert not Document.objects.exists()
    assert "000.00.09.H98" in AxisMessage.objects.get().error
    [status] = statuses_back(axis)
    assert (status.status_code, status.from_.organ_id) == ("02", "000.00.09.H98")


def test_a_recall_of_a_document_we_never_received_is_answered_with_16(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, recall_of(nghe_an, number=99))

    counts = axis_poll()
    outbox_dispatch()

    assert counts.errors == ["recall_unknown_document"]
    [status] = statuses_back(axis)
    assert (status.status_code, status.from_.organ_id) == ("16", PROVINCE)


def test_a_recall_of_a_received_document_drops_our_copy_and_is_answered_with_15(axis, nghe_an):
    document = received(axis, nghe_an)
    axis.send_as(NGHE_AN_SYSTEM_ID, recall_of(nghe_an, reason="Sai thể thức"))

    axis_poll()
    outbox_dispatch()

    document.refresh_from_db()
    assert document.status == IncomingStatus.RECALLED
    assert not document.files.filter(current=True).exists()
    assert document.events.filter(action="recalled", note="Sai thể thức").exists()
    assert [s.status_code for s in statuses_back(axis)] == ["01", "15"]


def test_a_package_that_is_not_xml_is_recorded_and_acknowledged_and_nothing_else(axis):
    # The fake refuses to carry such a package, so it is put straight into our queue.
    now = axis.now().strftime("%Y-%m-%dT%H:%M:%S%z")
    with axis.lock:
        axis.state.deliveries["VDXP-BROKEN"] = Delivery(
            doc_id="VDXP-BROKEN",
            system_id=OUR_SYSTEM_ID,
            to=PROVINCE,
            sender_system_id=NGHE_AN_SYSTEM_ID,
            from_=NGHE_AN_ORGAN,
            message_type="edoc",
            data=b"<edXML><not closed>",
            created=now,
            updated=now,
        )

    counts = axis_poll()
    outbox_dispatch()

    assert counts.errors == ["not_xml"]
    assert AxisMessage.objects.get().error_code == "not_xml"
    assert not Document.objects.exists()
    assert axis.pending(OUR_SYSTEM_ID, "edoc") == []
    assert statuses_back(axis) == []


def test_a_package_also_addressed_to_another_province_is_handled_for_our_organ_only(axis, nghe_an):
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an, to=(PROVINCE, "000.00.01.H41")))

    counts = axis_poll()
    delivered = outbox_dispatch()

    assert (counts.documents, counts.errors) == (1, [])
    assert Document.objects.get().unit.identifier == PROVINCE
    assert delivered.retried == delivered.failed == 0
    assert [(s.status_code, s.from_.organ_id) for s in statuses_back(axis)] == [("01", PROVINCE)]


# --- e) sending ------------------------------------------------------------------------------------


def issued_to_nghe_an(office):
    from cqs.documents.services import RecipientSpec
    from cqs.documents.tests.test_flows import issued

    return issued(office, recipients=[RecipientSpec(organ_id=NGHE_AN_ORGAN, organ_name="UBND tỉnh Nghệ An")])


def test_an_issued_document_reaches_the_other_province_signed_twice(axis, office):
    from cqs.core.signing import pdf_verify
    from cqs.documents.edxml_signature import edxml_verify

    document = issued_to_nghe_an(office)

    counts = outbox_dispatch()

    assert counts.delivered == 1
    [item] = axis.pending(NGHE_AN_SYSTEM_ID, "edoc")
    package = edxml.parse(item["data"])
    assert package.header.document_id == document.document_id
    assert [organ.organ_id for organ in package.header.to] == [NGHE_AN_ORGAN]
    assert package.header.code.code_number == document.code_number
    check = edxml_verify(item["data"])
    assert check.ok and check.signer_identifier == PROVINCE
    [attachment] = package.attachments
    pdf_checks = pdf_verify(pdf=attachment.data)
    assert [c.signer_kind for c in pdf_checks] == ["person", "seal"]
    assert all(c.intact and c.valid and c.trusted for c in pdf_checks)
    assert document.recipients.get().sent_at is not None


def test_a_status_from_the_other_province_updates_the_recipient_and_the_trace(axis, office):
    document = issued_to_nghe_an(office)
    outbox_dispatch()
    status = edxml.StatusPackage(
        from_=edxml.Organ(organ_id=NGHE_AN_ORGAN, organ_name="UBND tỉnh Nghệ An"),
        response_for=edxml.ResponseFor(
            organ_id=PROVINCE,
            code=document.number_symbol,
            promulgation_date=document.issued_date,
            document_id=document.document_id,
        ),
        status_code="03",
        timestamp=timezone.now(),
        description="Đã vào sổ văn bản đến",
    )
    axis.send_as(NGHE_AN_SYSTEM_ID, edxml.build(status))

    counts = axis_poll()

    assert counts.statuses == 1
    recipient = document.recipients.get()
    assert (recipient.status_code, recipient.status_description) == ("03", "Đã vào sổ văn bản đến")
    assert document.events.filter(action="status_received", status_code="03").exists()


def test_a_recall_names_the_recalled_document_even_when_it_replaced_another(axis, office):
    from cqs.documents.services import (
        outgoing_file_add,
        outgoing_issue,
        outgoing_recall,
        outgoing_sign,
        outgoing_submit,
        outgoing_supersede,
    )

    old = issued_to_nghe_an(office)
    new = outgoing_supersede(actor=office.specialist, document=old, kind=3, reason="Sai số liệu")
    outgoing_file_add(actor=office.specialist, document=new, name="moi.pdf", data=pdf("Ban moi"))
    outgoing_submit(actor=office.specialist, document=new, signer=office.leader)
    outgoing_sign(actor=office.leader, document=new)
    outgoing_issue(actor=office.clerk, document=new)
    outgoing_recall(actor=office.leader, document=new, reason="Thay thế nhầm")

    outbox_dispatch()

    sent = [edxml.parse(item["data"]) for item in axis.pending(NGHE_AN_SYSTEM_ID, "edoc")]
    new.refresh_from_db()
    assert [(p.bussiness.bussiness_doc_type, p.bussiness.document_id) for p in sent] == [
        (0, old.document_id),
        (3, old.document_id),
        (1, new.document_id),
    ]
