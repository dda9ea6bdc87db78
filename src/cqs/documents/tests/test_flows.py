"""The outgoing and incoming flows inside the platform, end to end through the services."""

import pytest

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.documents.choices import Channel, FileRole, IncomingStatus, OutgoingState, Secrecy, Urgency
from cqs.documents.models import Assignment, Document, DocumentEvent, DocumentFile, RegisterBook
from cqs.documents.services import (
    RecipientSpec,
    incoming_assign,
    incoming_complete,
    incoming_opinion,
    incoming_register,
    incoming_reject,
    incoming_scan,
    outgoing_create,
    outgoing_file_add,
    outgoing_issue,
    outgoing_recall,
    outgoing_return,
    outgoing_sign,
    outgoing_submit,
    outgoing_supersede,
)
from cqs.documents.tests.conftest import pdf

pytestmark = pytest.mark.django_db


def draft(office, *, type_code="QD", recipients=None, secrecy=Secrecy.NONE, subject="Về việc thử nghiệm"):
    if recipients is None:
        recipients = [RecipientSpec(unit_id=office.department.pk)]
    document = outgoing_create(
        actor=office.specialist,
        unit=office.province,
        type_code=type_code,
        subject=subject,
        recipients=recipients,
        urgency=Urgency.URGENT,
        secrecy=secrecy,
    )
    outgoing_file_add(actor=office.specialist, document=document, name="quyet-dinh.pdf", data=pdf())
    return document


def issued(office, **kwargs):
    document = draft(office, **kwargs)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)
    return outgoing_issue(actor=office.clerk, document=document)


def test_an_issued_decision_is_numbered_signed_twice_and_arrives_in_the_receiving_unit(office):
    document = issued(office)

    assert document.state == OutgoingState.ISSUED
    assert document.number_symbol == "01/QĐ-UBND"
    assert document.document_id.startswith("000.00.00.H98,") and document.document_id.endswith(",01/QĐ-UBND")
    main = document.files.get(current=True, role=FileRole.MAIN)
    from cqs.core.signing import pdf_verify

    checks = pdf_verify(pdf=main.file.open("rb").read())
    assert [c.signer_kind for c in checks] == ["person", "seal"]
    assert all(c.intact and c.valid and c.trusted for c in checks)
    copy = Document.objects.get(source=document)
    assert (copy.unit, copy.status, copy.channel) == (
        office.department,
        IncomingStatus.ARRIVED,
        Channel.INTERNAL,
    )
    assert copy.number_symbol == "01/QĐ-UBND" and copy.organ_name == "UBND tỉnh Thử"
    assert [r["intact"] and r["trusted"] for r in copy.signature_report] == [True, True]
    assert document.recipients.get().status_code == "01"


def test_numbers_follow_each_other_and_a_cong_van_has_no_type_abbreviation(office):
    first = issued(office)
    second = issued(office, type_code="CV")

    assert first.number_symbol == "01/QĐ-UBND"
    assert second.number_symbol == "02/UBND-VP"
    assert RegisterBook.objects.get(unit=office.province, direction="out", secret=False).last_number == 2


def test_secret_documents_number_in_their_own_register(office):
    issued(office)
    secret = issued(office, secrecy=Secrecy.CONFIDENTIAL)

    assert secret.ordinal == 1
    assert secret.register.secret is True


def test_the_signer_can_return_a_draft_and_only_the_named_signer_signs(office):
    document = draft(office)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)

    with pytest.raises(ServiceError) as refused:
        outgoing_sign(actor=office.dept_leader, document=document)
    assert refused.value.error_code == "not_the_signer"

    outgoing_return(actor=office.leader, document=document, note="Sửa lại trích yếu")
    document.refresh_from_db()
    assert document.state == OutgoingState.DRAFT
    assert DocumentEvent.objects.filter(document=document, action="return", note="Sửa lại trích yếu").exists()


def test_a_draft_without_its_pdf_cannot_be_submitted(office):
    document = outgoing_create(
        actor=office.specialist,
        unit=office.province,
        type_code="TB",
        subject="Thông báo",
        recipients=[RecipientSpec(unit_id=office.department.pk)],
    )
    with pytest.raises(ServiceError) as refused:
        outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    assert refused.value.error_code == "main_file_required"


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(office):
    document = draft(office)
    before = DocumentFile.objects.count()
    with pytest.raises(ServiceError) as refused:
        outgoing_file_add(actor=office.specialist, document=document, name="a.pdf", data=b"GIF89a not a pdf")
    assert refused.value.error_code == "upload_type_not_allowed"
    assert DocumentFile.objects.count() == before


def test_only_the_clerk_issues(office):
    document = draft(office)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)

    for outsider in (office.specialist, office.other_clerk):
        with pytest.raises(ServiceError) as refused:
            outgoing_issue(actor=outsider, document=document)
        assert refused.value.status == 403
    document.refresh_from_db()
    assert document.state == OutgoingState.SIGNED and document.ordinal is None
    assert (
        not RegisterBook.objects.filter(direction="out").exists()
        or not RegisterBook.objects.get().last_number
    )


def test_an_unknown_recipient_code_is_refused_with_its_reason(office):
    with pytest.raises(ServiceError) as refused:
        outgoing_create(
            actor=office.specialist,
            unit=office.province,
            type_code="CV",
            subject="Gửi nơi lạ",
            recipients=[RecipientSpec(organ_id="not-a-code", organ_name="Nơi lạ")],
        )
    assert refused.value.error_code == "invalid_organ_id"
    assert not Document.objects.exists()


def test_a_recipient_outside_the_platform_is_queued_for_the_axis(office):
    from cqs.core.models import OutboxMessage

    document = issued(
        office, recipients=[RecipientSpec(organ_id="000.00.00.H41", organ_name="UBND tỉnh Nghệ An")]
    )

    message = OutboxMessage.objects.get(topic="documents.axis.edoc")
    assert message.payload["document"] == document.pk
    assert document.recipients.get().channel == Channel.AXIS


def test_the_incoming_flow_reports_each_step_to_the_sender(office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    recipient = sent.recipients.get()

    incoming_register(actor=office.dept_clerk, document=copy)
    recipient.refresh_from_db()
    assert recipient.status_code == "03"
    copy.refresh_from_db()
    assert copy.ordinal == 1 and copy.register.direction == "in"

    incoming_assign(
        actor=office.dept_leader,
        document=copy,
        lead=office.dept_specialist,
        instruction="Đề nghị tham mưu",
    )
    recipient.refresh_from_db()
    assert recipient.status_code == "04"

    incoming_opinion(actor=office.dept_specialist, document=copy, note="Đã dự thảo báo cáo")
    recipient.refresh_from_db()
    assert recipient.status_code == "05"

    incoming_complete(actor=office.dept_specialist, document=copy, note="Xong")
    recipient.refresh_from_db()
    copy.refresh_from_db()
    assert recipient.status_code == "06" and copy.status == IncomingStatus.COMPLETED
    assert list(copy.events.values_list("action", flat=True)) == [
        "arrived",
        "register",
        "assign",
        "opinion",
        "complete",
    ]
    assert AuditEvent.objects.filter(action="documents.complete", object_id=str(copy.pk)).exists()


def test_only_the_assigned_handle_and_only_the_lead_completes(office):
    copy = Document.objects.get(source=issued(office))
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)

    with pytest.raises(ServiceError) as refused:
        incoming_opinion(actor=office.specialist2, document=copy, note="Tôi không được giao")
    assert refused.value.error_code == "not_a_handler"
    with pytest.raises(ServiceError) as refused:
        incoming_complete(actor=office.specialist2, document=copy)
    assert refused.value.error_code == "not_the_lead"


def test_a_clerk_cannot_register_another_units_document(office):
    copy = Document.objects.get(source=issued(office))
    with pytest.raises(ServiceError) as refused:
        incoming_register(actor=office.other_clerk, document=copy)
    assert refused.value.status == 403
    copy.refresh_from_db()
    assert copy.status == IncomingStatus.ARRIVED and copy.ordinal is None


def test_a_rejected_document_tells_the_sender_why(office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    incoming_reject(actor=office.dept_clerk, document=copy, reason="Gửi nhầm đơn vị")

    recipient = sent.recipients.get()
    assert (recipient.status_code, recipient.status_description) == ("02", "Gửi nhầm đơn vị")


def test_a_scanned_paper_document_is_registered_and_a_duplicate_is_caught(office):
    meta = {
        "type_code": "CV",
        "code_number": "15",
        "code_notation": "BXD-QLN",
        "organ_name": "Bộ Xây dựng",
        "subject": "Về việc báo cáo tình hình nhà ở",
    }
    first = incoming_scan(
        actor=office.clerk, unit=office.province, meta=meta, files=[("scan.pdf", pdf(), "main")]
    )
    assert (first.status, first.ordinal, first.channel) == (IncomingStatus.REGISTERED, 1, Channel.PAPER)

    with pytest.raises(ServiceError) as refused:
        incoming_scan(
            actor=office.clerk, unit=office.province, meta=meta, files=[("scan.pdf", pdf(), "main")]
        )
    assert refused.value.error_code == "duplicate_document"
    assert Document.objects.filter(direction="in").count() == 1

    again = incoming_scan(
        actor=office.clerk,
        unit=office.province,
        meta=meta,
        files=[("scan.pdf", pdf(), "main")],
        confirm_duplicate=True,
    )
    assert again.ordinal == 2


def test_recall_removes_the_receivers_copy_but_keeps_its_record(office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)

    outgoing_recall(actor=office.leader, document=sent, reason="Ban hành nhầm")

    copy.refresh_from_db()
    sent.refresh_from_db()
    assert sent.state == OutgoingState.RECALLED
    assert copy.status == IncomingStatus.RECALLED
    assert not copy.files.filter(current=True).exists()
    assert copy.events.filter(action="recalled", note="Ban hành nhầm").exists()
    assert sent.recipients.get().status_code == "15"


def test_a_replacement_goes_to_the_same_recipients_and_points_at_the_old_one(office):
    sent = issued(office)
    replacement = outgoing_supersede(actor=office.specialist, document=sent, kind=3, reason="Sai sót số liệu")
    outgoing_file_add(actor=office.specialist, document=replacement, name="moi.pdf", data=pdf("Ban moi"))
    outgoing_submit(actor=office.specialist, document=replacement, signer=office.leader)
    outgoing_sign(actor=office.leader, document=replacement)
    outgoing_issue(actor=office.clerk, document=replacement)

    old_copy = Document.objects.get(source=sent)
    new_copy = Document.objects.get(source=replacement)
    assert new_copy.bussiness_doc_type == 3 and new_copy.unit == office.department
    assert old_copy.events.filter(action="replaced").exists()


def test_an_assignment_names_lead_co_handlers_and_deadline(office):
    from datetime import timedelta

    from django.utils import timezone

    copy = Document.objects.get(source=issued(office))
    incoming_register(actor=office.dept_clerk, document=copy)
    due = timezone.localdate() + timedelta(days=5)
    incoming_assign(
        actor=office.dept_leader,
        document=copy,
        lead=office.dept_specialist,
        co=[office.dept_leader],
        due_date=due,
    )
    copy.refresh_from_db()
    assert copy.handling_due_date == due and copy.lead_handler == office.dept_specialist
    assert sorted(Assignment.objects.filter(document=copy).values_list("role", flat=True)) == ["co", "lead"]


def test_a_stored_file_changed_on_disk_is_detected_when_read(office):
    from cqs.documents.services.common import file_bytes

    document = issued(office)
    stored = document.files.get(current=True, role=FileRole.MAIN)
    path = stored.file.path
    with open(path, "r+b") as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0x01]))

    with pytest.raises(ServiceError) as refused:
        file_bytes(stored)
    assert refused.value.error_code == "file_integrity"


def test_signed_files_are_kept_beside_the_draft_never_overwritten(office):
    document = issued(office)

    versions = list(document.files.filter(role=FileRole.MAIN).order_by("pk"))
    assert [(f.signed, f.current) for f in versions] == [(False, False), (True, False), (True, True)]
    assert len({f.sha256 for f in versions}) == 3


def test_the_text_inside_the_pdf_is_searchable_on_both_sides(office):
    from cqs.documents.search import documents_search

    document = draft(office, subject="Quyết định phê duyệt")
    outgoing_file_add(
        actor=office.specialist, document=document, name="qd.pdf", data=pdf("Du toan kinh phi cau Vinh Tuong")
    )
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)
    outgoing_issue(actor=office.clerk, document=document)

    # The province's grants reach the department below it: its clerk sees both records.
    copy = Document.objects.get(source=document)
    found = {hit.document.pk for hit in documents_search(user=office.clerk, q="vinh tuong").items}
    assert found == {document.pk, copy.pk}
    assert [hit.document.pk for hit in documents_search(user=office.dept_clerk, q="vinh tuong").items] == [
        copy.pk
    ]
