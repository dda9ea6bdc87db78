"""The action forms of the document page: each calls its service, a refused value is explained
in Vietnamese and changes nothing, and a user without the right gets a 403."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cqs.documents.choices import AssignmentRole, IncomingStatus, OutgoingState
from cqs.documents.models import Assignment, Document, DocumentEvent
from cqs.documents.services import (
    incoming_assign,
    incoming_register,
    incoming_scan,
    outgoing_sign,
    outgoing_submit,
)
from cqs.documents.tests.conftest import pdf
from cqs.documents.tests.test_views import arrived, draft, issued, pdf_upload

pytestmark = pytest.mark.django_db


def act(client, document, action, data=None):
    return client.post(reverse("documents:action", args=[document.pk, action]), data or {})


def detail(document):
    return reverse("documents:detail", args=[document.pk])


def fresh(document):
    return Document.objects.get(pk=document.pk)


# --- incoming ----------------------------------------------------------------------------------


def test_the_clerk_registers_an_arrived_document_from_its_page(client, office):
    copy = arrived(office)
    client.force_login(office.dept_clerk)

    response = act(client, copy, "register")

    assert response.status_code == 302 and response["Location"] == detail(copy)
    assert (fresh(copy).status, fresh(copy).ordinal) == (IncomingStatus.REGISTERED, 1)
    assert "Đã vào sổ văn bản đến, số đến 1." in client.get(detail(copy)).content.decode()


def test_a_duplicate_arrival_shows_the_confirmation_box_then_registers_when_confirmed(client, office):
    meta = {
        "type_code": "QD",
        "code_number": "01",
        "code_notation": "QĐ-UBND",
        "organ_id": "000.00.00.H98",
        "organ_name": "UBND tỉnh Thử",
        "subject": "Bản giấy đã vào sổ trước",
    }
    incoming_scan(
        actor=office.dept_clerk, unit=office.department, meta=meta, files=[("s.pdf", pdf(), "main")]
    )
    copy = arrived(office)
    client.force_login(office.dept_clerk)

    refused = act(client, copy, "register")
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "đã có trong sổ" in page and 'name="register-confirm_duplicate"' in page
    assert fresh(copy).status == IncomingStatus.ARRIVED

    act(client, copy, "register", {"register-confirm_duplicate": "on"})
    assert fresh(copy).status == IncomingStatus.REGISTERED


def test_the_confirmation_box_is_hidden_until_a_duplicate_is_reported(client, office):
    copy = arrived(office)
    client.force_login(office.dept_clerk)

    assert 'name="register-confirm_duplicate"' not in client.get(detail(copy)).content.decode()


def test_a_rejection_without_reason_is_explained_and_changes_nothing(client, office):
    copy = arrived(office)
    client.force_login(office.dept_clerk)

    response = act(client, copy, "reject", {"reject-reason": "  "})

    assert response.status_code == 200
    assert "Vui lòng nhập ý kiến hoặc lý do." in response.content.decode()
    assert fresh(copy).status == IncomingStatus.ARRIVED


def test_the_clerk_rejects_with_a_reason(client, office):
    copy = arrived(office)
    client.force_login(office.dept_clerk)

    act(client, copy, "reject", {"reject-reason": "Gửi nhầm đơn vị"})

    assert fresh(copy).status == IncomingStatus.REJECTED
    assert copy.events.filter(action="reject", note="Gửi nhầm đơn vị").exists()


def test_a_specialist_posting_the_clerks_action_gets_a_403_and_nothing_changes(client, office):
    copy = arrived(office)
    client.force_login(office.dept_specialist)

    assert act(client, copy, "register").status_code == 403
    assert fresh(copy).status == IncomingStatus.ARRIVED


def test_the_leader_assigns_lead_co_handler_and_deadline(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    due = timezone.localdate() + timedelta(days=7)
    client.force_login(office.dept_leader)
    form = client.get(detail(copy)).context["action_forms"][0]["form"]
    assert office.dept_specialist in form.fields["lead"].queryset
    assert office.other_clerk not in form.fields["lead"].queryset
    assert office.specialist not in form.fields["lead"].queryset  # the province's, not the department's

    act(
        client,
        copy,
        "assign",
        {
            "assign-lead": office.dept_specialist.pk,
            "assign-co": [office.dept_leader.pk],
            "assign-due_date": due.isoformat(),
            "assign-instruction": "Đề nghị tham mưu báo cáo",
        },
    )

    copy = fresh(copy)
    assert (copy.status, copy.lead_handler, copy.handling_due_date) == (
        IncomingStatus.ASSIGNED,
        office.dept_specialist,
        due,
    )
    assert sorted(Assignment.objects.filter(document=copy).values_list("role", flat=True)) == ["co", "lead"]


def test_an_assignment_to_someone_outside_the_unit_is_refused(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    client.force_login(office.dept_leader)

    response = act(client, copy, "assign", {"assign-lead": office.other_clerk.pk})

    assert response.status_code == 200 and response.context["action_forms"][0]["form"].errors["lead"]
    assert fresh(copy).status == IncomingStatus.REGISTERED and not Assignment.objects.exists()


def test_an_assignment_deadline_in_the_past_is_refused_in_vietnamese(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    client.force_login(office.dept_leader)

    response = act(
        client,
        copy,
        "assign",
        {
            "assign-lead": office.dept_specialist.pk,
            "assign-due_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )

    assert "Hạn xử lý không được trước hôm nay." in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_handler_records_an_opinion_and_completes(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)
    client.force_login(office.dept_specialist)
    offered = [item["action"] for item in client.get(detail(copy)).context["action_forms"]]
    assert offered == ["opinion", "complete"]

    act(client, copy, "opinion", {"opinion-note": "Đã dự thảo báo cáo"})
    assert fresh(copy).status == IncomingStatus.PROCESSING

    act(client, copy, "complete", {"complete-note": "Xong"})
    assert fresh(copy).status == IncomingStatus.COMPLETED


def test_an_empty_opinion_is_refused(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    incoming_assign(actor=office.dept_leader, document=copy, lead=office.dept_specialist)
    client.force_login(office.dept_specialist)

    response = act(client, copy, "opinion", {"opinion-note": ""})

    assert "Vui lòng nhập ý kiến hoặc lý do." in response.content.decode()
    assert fresh(copy).status == IncomingStatus.ASSIGNED
    assert not copy.events.filter(action="opinion").exists()


# --- outgoing ----------------------------------------------------------------------------------


def test_the_drafter_uploads_a_new_version_of_the_draft(client, office):
    document = draft(office)
    first = document.files.get(current=True)
    client.force_login(office.specialist)

    act(client, document, "upload", {"upload-file": pdf_upload("ban-2.pdf", "Ban 2"), "upload-role": "main"})

    current = document.files.get(current=True)
    assert current.name == "ban-2.pdf" and current.supersedes == first


def test_a_non_pdf_upload_is_refused_next_to_the_file_field(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = draft(office)
    client.force_login(office.specialist)

    response = act(
        client,
        document,
        "upload",
        {"upload-file": SimpleUploadedFile("a.pdf", b"GIF89a no", "application/pdf"), "upload-role": "main"},
    )

    assert response.status_code == 200
    assert response.context["action_forms"][0]["form"].errors["file"]
    assert document.files.count() == 1


def test_the_drafter_submits_to_a_signer_chosen_from_those_who_may_sign(client, office):
    document = draft(office)
    client.force_login(office.specialist)
    forms = {item["action"]: item["form"] for item in client.get(detail(document)).context["action_forms"]}
    assert list(forms["submit"].fields["signer"].queryset) == [office.leader]

    act(client, document, "submit", {"submit-signer": office.leader.pk, "submit-note": "Kính trình"})

    document = fresh(document)
    assert (document.state, document.signer) == (OutgoingState.REVIEW, office.leader)


def test_a_submission_to_someone_who_cannot_sign_is_refused(client, office):
    document = draft(office)
    client.force_login(office.specialist)

    response = act(client, document, "submit", {"submit-signer": office.clerk.pk})

    assert response.status_code == 200
    assert response.context["action_forms"][1]["form"].errors["signer"]
    assert fresh(document).state == OutgoingState.DRAFT


def test_the_signer_returns_with_a_note_or_signs(client, office):
    returned, signed = draft(office), draft(office)
    for document in (returned, signed):
        outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    client.force_login(office.leader)

    act(client, returned, "return", {"return-note": "Sửa lại trích yếu"})
    act(client, signed, "sign", {"sign-competence": "KT."})

    assert fresh(returned).state == OutgoingState.DRAFT
    assert (fresh(signed).state, fresh(signed).signer_competence) == (OutgoingState.SIGNED, "KT.")


def test_someone_else_than_the_named_signer_cannot_sign(client, office):
    document = draft(office)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    client.force_login(office.dept_leader)

    # The province's document is not visible to the department's leader at all.
    assert act(client, document, "sign").status_code == 404
    assert fresh(document).state == OutgoingState.REVIEW


def test_the_clerk_issues_and_the_number_is_shown(client, office):
    document = draft(office)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)
    client.force_login(office.clerk)

    response = act(client, document, "issue")

    assert fresh(document).state == OutgoingState.ISSUED
    assert "Đã phát hành văn bản số 01/QĐ-UBND." in client.get(response["Location"]).content.decode()


def test_a_specialist_of_the_unit_cannot_issue_and_gets_a_403(client, office):
    document = draft(office)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)
    client.force_login(office.specialist)

    assert act(client, document, "issue").status_code == 403
    assert fresh(document).state == OutgoingState.SIGNED and fresh(document).ordinal is None


def test_a_recall_needs_a_reason_and_then_freezes_the_document(client, office):
    sent = issued(office)
    client.force_login(office.leader)

    refused = act(client, sent, "recall", {"recall-reason": ""})
    assert "Vui lòng nhập ý kiến hoặc lý do." in refused.content.decode()
    assert fresh(sent).state == OutgoingState.ISSUED

    act(client, sent, "recall", {"recall-reason": "Ban hành nhầm"})
    assert fresh(sent).state == OutgoingState.RECALLED


def test_a_replacement_opens_the_new_draft(client, office):
    sent = issued(office)
    client.force_login(office.specialist)

    response = act(client, sent, "supersede", {"supersede-kind": "3", "supersede-reason": "Sai số liệu"})

    replacement = Document.objects.get(replaces=sent)
    assert response["Location"] == detail(replacement)
    assert (replacement.state, replacement.bussiness_doc_type) == (OutgoingState.DRAFT, 3)
    assert DocumentEvent.objects.filter(document=sent, action="supersede_started").exists()


def test_an_unknown_action_is_not_found(client, office):
    document = draft(office)
    client.force_login(office.specialist)

    assert act(client, document, "xoa").status_code == 404


def test_actions_need_a_post(client, office):
    document = draft(office)
    client.force_login(office.specialist)

    assert client.get(reverse("documents:action", args=[document.pk, "submit"])).status_code == 405


def test_the_lead_role_is_kept_for_the_chosen_lead(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    client.force_login(office.dept_leader)

    act(
        client,
        copy,
        "assign",
        {"assign-lead": office.dept_specialist.pk, "assign-info": [office.dept_clerk.pk]},
    )

    roles = dict(Assignment.objects.filter(document=copy).values_list("user__username", "role"))
    assert roles == {"chuyenvien.snv": AssignmentRole.LEAD, "vanthu.snv": AssignmentRole.INFO}
