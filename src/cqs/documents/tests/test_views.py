"""The documents pages: who may open them, what the lists and the document page show, new
documents from the forms, search, registers and file downloads."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from cqs.documents.choices import FileRole, IncomingStatus, OutgoingState, Urgency
from cqs.documents.models import Document, DocumentFile, RegisterBook
from cqs.documents.services import (
    RecipientSpec,
    incoming_register,
    outgoing_create,
    outgoing_file_add,
    outgoing_issue,
    outgoing_recall,
    outgoing_sign,
    outgoing_submit,
)
from cqs.documents.tests.conftest import pdf

pytestmark = pytest.mark.django_db


def draft(office, *, urgency=Urgency.NORMAL, subject="Về việc thử nghiệm trang văn bản"):
    document = outgoing_create(
        actor=office.specialist,
        unit=office.province,
        type_code="QD",
        subject=subject,
        recipients=[RecipientSpec(unit_id=office.department.pk)],
        urgency=urgency,
    )
    outgoing_file_add(actor=office.specialist, document=document, name="quyet-dinh.pdf", data=pdf())
    return document


def issued(office, **kwargs):
    document = draft(office, **kwargs)
    outgoing_submit(actor=office.specialist, document=document, signer=office.leader)
    outgoing_sign(actor=office.leader, document=document)
    return outgoing_issue(actor=office.clerk, document=document)


def arrived(office, **kwargs):
    """The department's incoming copy of a decision the province issued."""
    return Document.objects.get(source=issued(office, **kwargs))


def pdf_upload(name="van-ban.pdf", text="Van ban"):
    return SimpleUploadedFile(name, pdf(text), "application/pdf")


# --- who may open the pages --------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("documents:dashboard"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_citizen_is_refused_the_documents_pages(client, office):
    from cqs.accounts.tests.factories import CitizenFactory

    client.force_login(CitizenFactory())

    for url in (
        reverse("documents:dashboard"),
        reverse("documents:list", args=["cho-vao-so"]),
        reverse("documents:registers"),
        reverse("documents:outgoing-new"),
    ):
        assert client.get(url).status_code == 403


def test_the_dashboard_counts_the_clerks_documents_waiting_for_the_register(client, office):
    arrived(office)
    client.force_login(office.dept_clerk)

    response = client.get(reverse("documents:dashboard"))

    assert response.status_code == 200
    assert response.context["counters"][0] == {
        "slug": "cho-vao-so",
        "title": "Văn bản đến chờ vào sổ",
        "count": 1,
    }
    assert 'id="new-incoming"' in response.content.decode()
    assert 'id="new-outgoing"' not in response.content.decode()


@pytest.mark.parametrize(
    "kind", ["cho-vao-so", "cho-phan-cong", "duoc-giao", "cho-ky", "cho-phat-hanh", "du-thao", "qua-han"]
)
def test_every_work_list_renders_for_an_official(client, office, kind):
    client.force_login(office.leader)

    response = client.get(reverse("documents:list", args=[kind]))

    assert response.status_code == 200
    assert response.context["title"]


def test_an_unknown_work_list_is_not_found(client, office):
    client.force_login(office.clerk)

    assert client.get(reverse("documents:list", args=["khong-co"])).status_code == 404


def test_the_inbox_lists_the_units_arrivals_with_the_urgency_badge_and_not_other_units(client, office):
    copy = arrived(office, urgency=Urgency.FLASH)
    url = reverse("documents:list", args=["cho-vao-so"])

    client.force_login(office.dept_clerk)
    page = client.get(url).content.decode()
    assert f'data-pk="{copy.pk}"' in page
    assert 'data-urgency="3"' in page and "Hỏa tốc" in page

    client.force_login(office.other_clerk)
    assert f'data-pk="{copy.pk}"' not in client.get(url).content.decode()


def test_the_overdue_list_flags_a_document_past_its_handling_deadline(client, office):
    copy = arrived(office)
    incoming_register(actor=office.dept_clerk, document=copy)
    Document.objects.filter(pk=copy.pk).update(handling_due_date=timezone.localdate() - timedelta(days=2))
    client.force_login(office.dept_leader)

    page = client.get(reverse("documents:list", args=["qua-han"])).content.decode()

    assert f'data-pk="{copy.pk}"' in page and "data-overdue" in page


def test_a_work_list_costs_the_same_few_queries_however_long_it_is(
    client, office, django_assert_max_num_queries
):
    for number in range(5):
        draft(office, subject=f"Dự thảo số {number}")
    client.force_login(office.specialist)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("documents:list", args=["du-thao"]))

    assert len(response.context["page"].object_list) == 5


# --- the document page -------------------------------------------------------------------------


def test_the_document_page_shows_metadata_signatures_and_trace_to_its_unit_only(client, office):
    copy = arrived(office)
    url = reverse("documents:detail", args=[copy.pk])

    client.force_login(office.dept_clerk)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "01/QĐ-UBND" in page and "UBND tỉnh Thử" in page
    assert page.count('data-check="intact"') == 2 and "Nội dung đã bị thay đổi" not in page
    assert 'data-action="arrived"' in page

    client.force_login(office.other_clerk)
    assert client.get(url).status_code == 404


def test_the_clerk_is_offered_register_and_reject_and_the_specialist_nothing(client, office):
    copy = arrived(office)
    url = reverse("documents:detail", args=[copy.pk])

    client.force_login(office.dept_clerk)
    offered = [item["action"] for item in client.get(url).context["action_forms"]]
    assert offered == ["register", "reject"]

    client.force_login(office.dept_specialist)
    assert client.get(url).context["action_forms"] == []


def test_the_outgoing_page_lists_recipients_with_their_last_status(client, office):
    sent = issued(office)
    incoming_register(actor=office.dept_clerk, document=Document.objects.get(source=sent))
    client.force_login(office.clerk)

    page = client.get(reverse("documents:detail", args=[sent.pk])).content.decode()

    assert "Sở Nội vụ tỉnh Thử" in page and 'data-status="03"' in page and "Đã vào sổ" in page


# --- file downloads ----------------------------------------------------------------------------


def test_a_file_is_served_to_who_sees_the_document_and_to_no_one_else(client, office):
    copy = arrived(office)
    stored = copy.files.get(role=FileRole.MAIN)
    url = reverse("documents:file", args=[copy.pk, stored.pk])

    client.force_login(office.dept_clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == stored.file.open("rb").read()

    client.force_login(office.other_clerk)
    assert client.get(url).status_code == 404


def test_a_file_of_another_document_is_not_served_through_this_one(client, office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    foreign = sent.files.filter(current=True).first()
    client.force_login(office.dept_clerk)

    assert client.get(reverse("documents:file", args=[copy.pk, foreign.pk])).status_code == 404


def test_the_files_of_a_recalled_incoming_document_are_no_longer_served(client, office):
    sent = issued(office)
    copy = Document.objects.get(source=sent)
    stored = copy.files.get(role=FileRole.MAIN)
    outgoing_recall(actor=office.leader, document=sent, reason="Ban hành nhầm")
    client.force_login(office.dept_clerk)

    assert client.get(reverse("documents:file", args=[copy.pk, stored.pk])).status_code == 404
    assert "Văn bản đã bị thu hồi" in client.get(reverse("documents:detail", args=[copy.pk])).content.decode()


def test_the_superseded_unsigned_draft_of_an_outgoing_document_stays_downloadable(client, office):
    sent = issued(office)
    older = DocumentFile.objects.filter(document=sent, current=False).order_by("pk").first()
    client.force_login(office.clerk)

    assert client.get(reverse("documents:file", args=[sent.pk, older.pk])).status_code == 200


# --- new outgoing draft ------------------------------------------------------------------------


def draft_post(office, **overrides):
    data = {
        "unit": office.province.pk,
        "type_code": "CV",
        "subject": "Về việc tổng hợp báo cáo quý",
        "urgency": Urgency.URGENT,
        "secrecy": 0,
        "recipient_units": [office.department.pk],
        "outside": "000.00.00.H41 | UBND tỉnh Nghệ An",
        "to_places": "Như trên;\nLưu: VT.",
        "drafting_abbr": "VP",
        "main_file": pdf_upload("cong-van.pdf"),
        "appendices": [pdf_upload("phu-luc.pdf", "Phu luc")],
    }
    data.update(overrides)
    return data


def test_a_specialist_creates_a_draft_with_its_files_and_recipients(client, office):
    client.force_login(office.specialist)
    assert client.get(reverse("documents:outgoing-new")).status_code == 200

    response = client.post(reverse("documents:outgoing-new"), draft_post(office))

    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:detail", args=[document.pk])
    assert (document.state, document.type_code, document.drafter) == (
        OutgoingState.DRAFT,
        "CV",
        office.specialist,
    )
    assert sorted(document.files.values_list("role", flat=True)) == ["appendix", "main"]
    assert sorted(document.recipients.values_list("organ_name", flat=True)) == [
        "Sở Nội vụ tỉnh Thử",
        "UBND tỉnh Nghệ An",
    ]


def test_a_clerk_without_the_drafting_role_cannot_open_the_draft_form(client, office):
    client.force_login(office.clerk)

    assert client.get(reverse("documents:outgoing-new")).status_code == 403


def test_a_bad_file_leaves_no_draft_and_says_why(client, office):
    client.force_login(office.specialist)

    response = client.post(
        reverse("documents:outgoing-new"),
        draft_post(office, main_file=SimpleUploadedFile("x.pdf", b"GIF89a not a pdf", "application/pdf")),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["main_file"]
    assert not Document.objects.exists() and not DocumentFile.objects.exists()


def test_an_outside_organ_with_a_malformed_code_is_refused_next_to_the_free_lines(client, office):
    client.force_login(office.specialist)

    response = client.post(
        reverse("documents:outgoing-new"), draft_post(office, outside="khong-phai-ma | Nơi lạ")
    )

    assert response.status_code == 200
    assert "không đúng dạng" in response.context["form"].errors["outside"][0]
    assert not Document.objects.exists()


def test_a_free_line_without_the_bar_is_refused_in_vietnamese(client, office):
    client.force_login(office.specialist)

    response = client.post(reverse("documents:outgoing-new"), draft_post(office, outside="UBND tỉnh Nghệ An"))

    assert "Dòng 1: ghi theo dạng mã định danh | tên cơ quan." in response.content.decode()
    assert not Document.objects.exists()


# --- paper incoming ----------------------------------------------------------------------------


def scan_post(office, **overrides):
    data = {
        "unit": office.province.pk,
        "type_code": "CV",
        "code_number": "15",
        "code_notation": "BXD-QLN",
        "organ_name": "Bộ Xây dựng",
        "issued_date": "2025-03-01",
        "subject": "Về việc báo cáo tình hình nhà ở",
        "urgency": 0,
        "secrecy": 0,
        "page_amount": 2,
        "scan": pdf_upload("scan.pdf"),
    }
    data.update(overrides)
    return data


def test_the_clerk_registers_a_scanned_paper_document(client, office):
    client.force_login(office.clerk)

    response = client.post(reverse("documents:incoming-new"), scan_post(office))

    document = Document.objects.get()
    assert response["Location"] == reverse("documents:detail", args=[document.pk])
    assert (document.status, document.ordinal, document.code_notation) == (
        IncomingStatus.REGISTERED,
        1,
        "BXD-QLN",
    )


def test_a_specialist_cannot_register_paper_documents(client, office):
    client.force_login(office.specialist)

    assert client.get(reverse("documents:incoming-new")).status_code == 403


def test_a_duplicate_paper_document_asks_for_confirmation_then_registers(client, office):
    client.force_login(office.clerk)
    client.post(reverse("documents:incoming-new"), scan_post(office))

    refused = client.post(reverse("documents:incoming-new"), scan_post(office))
    assert refused.status_code == 200
    assert (
        "đã có trong sổ" in refused.content.decode() and 'id="confirm-duplicate"' in refused.content.decode()
    )
    assert Document.objects.count() == 1

    client.post(reverse("documents:incoming-new"), scan_post(office, confirm_duplicate="on"))
    assert sorted(Document.objects.values_list("ordinal", flat=True)) == [1, 2]


def test_a_paper_document_without_its_subject_is_refused(client, office):
    client.force_login(office.clerk)

    response = client.post(reverse("documents:incoming-new"), scan_post(office, subject=""))

    assert response.status_code == 200 and response.context["form"].errors["subject"]
    assert not Document.objects.exists()


# --- search ------------------------------------------------------------------------------------


def test_search_shows_highlights_as_built_escaped_by_the_search(client, office, monkeypatch):
    import sys
    from types import ModuleType, SimpleNamespace

    document = draft(office, subject="<script>alert(1)</script> quyết định")
    seen = {}

    def fake_search(*, user, q, filters, page, per_page):
        seen.update(user=user, q=q, filters=filters, page=page)
        hit = SimpleNamespace(
            document=document,
            rank=1.0,
            highlight=format_html("{} <mark>{}</mark>", "<script>alert(1)</script>", "quyết định"),
        )
        return SimpleNamespace(items=[hit], total=1, page=1, pages=1, per_page=per_page)

    module = sys.modules.get("cqs.documents.search") or ModuleType("cqs.documents.search")
    monkeypatch.setitem(sys.modules, "cqs.documents.search", module)
    monkeypatch.setattr(module, "documents_search", fake_search, raising=False)
    client.force_login(office.specialist)

    response = client.get(reverse("documents:search"), {"q": "quyet dinh", "type_code": "QD", "urgency": "1"})

    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>quyết định</mark>" in page
    assert "<script>alert(1)</script>" not in page
    assert seen["q"] == "quyet dinh" and seen["filters"] == {"type_code": "QD", "urgency": 1}


def test_search_finds_a_document_without_diacritics(client, office):
    pytest.importorskip("cqs.documents.search")
    document = draft(office, subject="Quyết định phê duyệt kế hoạch <b>đặc biệt</b>")
    client.force_login(office.specialist)

    response = client.get(reverse("documents:search"), {"q": "dac biet"})

    assert response.status_code == 200
    assert [hit.document.pk for hit in response.context["results"].items] == [document.pk]
    page = response.content.decode()
    assert "&lt;b&gt;" in page and "<mark>" in page and "<b>" not in page


def test_an_invalid_search_filter_is_shown_not_raised(client, office):
    client.force_login(office.specialist)

    response = client.get(reverse("documents:search"), {"date_from": "not-a-date"})

    assert response.status_code == 200 and response.context["form"].errors["date_from"]


# --- registers ---------------------------------------------------------------------------------


def test_the_clerk_reads_the_register_and_another_province_cannot(client, office):
    sent = issued(office)
    book = RegisterBook.objects.get(unit=office.province, direction="out")

    client.force_login(office.clerk)
    listing = client.get(reverse("documents:registers")).content.decode()
    assert f'data-pk="{book.pk}"' in listing
    lines = client.get(reverse("documents:register", args=[book.pk])).content.decode()
    assert f'data-pk="{sent.pk}"' in lines and "01/QĐ-UBND" in lines
    assert reverse("documents:register-pdf", args=[book.pk]) in lines

    client.force_login(office.other_clerk)
    assert f'data-pk="{book.pk}"' not in client.get(reverse("documents:registers")).content.decode()
    assert client.get(reverse("documents:register", args=[book.pk])).status_code == 404
