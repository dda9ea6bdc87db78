"""The documents module of issue 4 in a real browser: a document from another province registered,
assigned and completed with each step reported back over the axis; an outgoing decision drafted,
signed, numbered and received with valid signatures; the search on a phone."""

# ruff: noqa: F811  (the tests' parameters are the fixtures imported from documents_fixtures)

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.documents_fixtures import (  # noqa: F401
    axis,
    documents_data_dir,
    documents_office,
    issued_decision,
    nghe_an,
    office,
    pdf_file,
    person,
)

pytestmark = pytest.mark.browser

NGHE_AN_NUMBER = "12/UBND-VX"  # what package_from_nghe_an sends


def open_document(page, site, pk: int) -> None:
    page.goto(f"{site}/van-ban/{pk}/")


def document_pk(page) -> int:
    match = re.search(r"/van-ban/(\d+)/", page.url)
    assert match, f"not on a document page: {page.url}"
    return int(match.group(1))


def act(page, action: str, **fields: str) -> None:
    """Fill the form ``#action-<action>`` (field name → value) and press its button."""
    form = page.locator(f"#action-{action}")
    for name, value in fields.items():
        form.locator(f"#id_{action}-{name}").fill(value)
    form.locator(f"button[data-action={action}]").click()
    page.wait_for_load_state()


def open_inbox(page, site) -> None:
    """From the documents dashboard, the list of arrivals waiting to be registered."""
    page.goto(f"{site}/van-ban/")
    page.click("#documents-counters a[data-list=cho-vao-so]")
    expect(page.locator("h1")).to_have_text("Văn bản đến chờ vào sổ")


def expect_signatures_good(page, count: int):
    """The document page lists ``count`` signatures, each intact, valid and trusted (green)."""
    signatures = page.locator("#document-signatures [data-signature]")
    expect(signatures).to_have_count(count)
    for signature in signatures.all():
        for check in ("intact", "valid", "trusted"):
            expect(signature.locator(f"[data-check={check}]")).to_have_class(
                re.compile(r"\btext-bg-success\b")
            )
    return signatures


def assert_clean(*pages) -> None:
    """No page any of these people opened logged an error or broke the Content-Security-Policy."""
    for page in pages:
        assert page.console_log.csp_violations == [], page.console_log.messages
        assert page.console_log.errors == [], page.console_log.messages


def test_a_document_from_another_province_is_registered_assigned_completed_and_reported_back(
    site, documents_office, axis, nghe_an, person
):
    from cqs.core.outbox import outbox_dispatch
    from cqs.documents import edxml
    from cqs.documents.exchange import axis_poll
    from cqs.documents.models import Document
    from cqs.documents.tests.test_exchange import package_from_nghe_an
    from cqs.fakes.vdxp import NGHE_AN_SYSTEM_ID

    office = documents_office

    # given: Nghệ An sends a signed document to our province, and the poller fetches it
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))
    counts = axis_poll()
    assert (counts.documents, counts.errors) == (1, [])
    document = Document.objects.get(direction="in", channel="axis")

    # when: the clerk opens the inbox
    clerk = person("vanthu")
    open_inbox(clerk, site)

    # then: the document is there, with its signatures checked good
    row = clerk.locator("#document-table tbody tr").filter(has_text=NGHE_AN_NUMBER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Về việc phối hợp quản lý lao động ngoại tỉnh")
    expect(row).to_contain_text("UBND tỉnh Nghệ An")
    expect(row.locator("[data-signatures=ok]")).to_have_class(re.compile(r"\btext-bg-success\b"))

    # when: they open it
    row.locator("a").first.click()
    expect(clerk.locator("#document-state")).to_have_text("Đã đến")

    # then: the PDF's signature and the package's are both shown valid and trusted
    signatures = expect_signatures_good(clerk, 2)
    expect(signatures.first.locator(".fw-semibold")).to_have_text("UBND tỉnh Nghệ An")

    # when: they register it
    act(clerk, "register")

    # then: it has its arrival number
    expect(clerk.locator("#messages")).to_contain_text("Đã vào sổ văn bản đến, số đến 1.")
    expect(clerk.locator("#document-state")).to_have_text("Đã vào sổ")
    expect(clerk.locator("#document-arrival-number")).to_have_text(re.compile(r"^1\b"))

    # when: the leader assigns it to the specialist with a deadline and an instruction
    leader = person("lanhdao")
    open_document(leader, site, document.pk)
    due = timezone.localdate() + timedelta(days=7)
    leader.locator("#id_assign-lead").select_option(str(office.specialist.pk))
    act(leader, "assign", due_date=f"{due:%Y-%m-%d}", instruction="Đề nghị chủ trì tham mưu trả lời.")

    # then: the assignment shows its lead, deadline and instruction
    expect(leader.locator("#document-state")).to_have_text("Đã phân công")
    expect(leader.locator("#document-assignments tbody")).to_contain_text(f"{due:%d/%m/%Y}")
    expect(leader.locator("#document-metadata")).to_contain_text("Đề nghị chủ trì tham mưu trả lời.")

    # when: the specialist records an opinion and completes it
    specialist = person("chuyenvien")
    open_document(specialist, site, document.pk)
    act(specialist, "opinion", note="Đã dự thảo công văn trả lời.")
    expect(specialist.locator("#document-state")).to_have_text("Đang xử lý")
    act(specialist, "complete", note="Đã trả lời bằng công văn.")

    # then: it is completed, with each step in its history
    expect(specialist.locator("#document-state")).to_have_text("Hoàn thành")
    trace = specialist.locator("#document-trace li")
    expect(trace).to_have_count(5)
    assert [item.get_attribute("data-action") for item in trace.all()] == [
        "arrived",
        "register",
        "assign",
        "opinion",
        "complete",
    ]

    # when: the outbox sends what waits
    outbox_dispatch()

    # then: Nghệ An has one status package for each step, in order
    statuses = [edxml.parse(item["data"]) for item in axis.pending(NGHE_AN_SYSTEM_ID, "status")]
    codes = [s.status_code for s in statuses if s.response_for.document_id == document.document_id]
    assert codes == ["01", "03", "04", "05", "06"]
    assert_clean(clerk, leader, specialist)


def test_an_outgoing_decision_is_drafted_signed_numbered_and_received_with_valid_signatures(
    site, documents_office, person, pdf_file
):
    office = documents_office

    # given: the specialist fills the new outgoing form with a decision and its PDF
    specialist = person("chuyenvien")
    specialist.goto(f"{site}/van-ban/")
    specialist.click("#new-outgoing")
    specialist.select_option("#id_unit", str(office.province.pk))
    specialist.select_option("#id_type_code", "QD")
    specialist.fill("#id_subject", "Về việc ban hành quy chế quản lý văn bản điện tử")
    specialist.select_option("#id_recipient_units", [str(office.department.pk)])
    specialist.set_input_files("#id_main_file", pdf_file("quyet-dinh.pdf", "Quyet dinh ban hanh quy che"))
    specialist.click("#outgoing-submit")

    # then: the draft is created with its file
    expect(specialist.locator("#messages")).to_contain_text("Đã tạo dự thảo văn bản.")
    expect(specialist.locator("#document-state")).to_have_text("Dự thảo")
    expect(specialist.locator("#document-files")).to_contain_text("quyet-dinh.pdf")
    pk = document_pk(specialist)

    # when: they submit it to the leader
    specialist.locator("#id_submit-signer").select_option(str(office.leader.pk))
    act(specialist, "submit")
    expect(specialist.locator("#document-state")).to_have_text("Chờ ký")

    # and: the leader signs it
    leader = person("lanhdao")
    open_document(leader, site, pk)
    act(leader, "sign")
    expect(leader.locator("#messages")).to_contain_text("Đã ký số văn bản.")
    expect(leader.locator("#document-state")).to_have_text("Đã ký, chờ phát hành")

    # and: the clerk numbers and issues it
    clerk = person("vanthu")
    open_document(clerk, site, pk)
    act(clerk, "issue")

    # then: it has the first number of the year's register
    expect(clerk.locator("#messages")).to_contain_text("Đã phát hành văn bản số 01/QĐ-UBND.")
    expect(clerk.locator("#document-title")).to_contain_text("01/QĐ-UBND")
    expect(clerk.locator("#document-state")).to_have_text("Đã phát hành")

    # when: the department's clerk opens their inbox
    receiver = person("vanthu.snv")
    open_inbox(receiver, site)
    row = receiver.locator("#document-table tbody tr").filter(has_text="01/QĐ-UBND")
    expect(row).to_have_count(1)
    row.locator("a").first.click()

    # then: the decision is there, its two signatures (the leader's, the seal) valid and trusted
    expect(receiver.locator("#document-subject")).to_have_text(
        "Về việc ban hành quy chế quản lý văn bản điện tử"
    )
    expect(receiver.locator("#document-state")).to_have_text("Đã đến")
    signatures = expect_signatures_good(receiver, 2)
    expect(signatures.nth(0).locator(".fw-semibold")).to_have_text(office.leader.full_name)
    expect(signatures.nth(1).locator(".fw-semibold")).to_have_text("UBND tỉnh Thử")
    assert_clean(specialist, leader, clerk, receiver)


def test_on_a_phone_the_search_finds_a_decision_typed_without_diacritics(site, issued_decision, person):
    # given: an issued Quyết định, and the province's specialist on a 390×844 phone
    phone = person("chuyenvien", phone=True)

    # when: they search "quyet dinh" without diacritics
    phone.goto(f"{site}/van-ban/tim-kiem/")
    phone.fill("#id_q", "quyet dinh")
    phone.click("#search-submit")

    # then: the decision is found, the words highlighted, on a page that fits the screen
    hit = phone.locator(f"#search-results li[data-pk='{issued_decision.pk}']")
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("01/QĐ-UBND")
    marks = hit.locator(".documents-highlight mark")
    expect(marks.first).to_be_visible()
    assert {mark.inner_text().lower() for mark in marks.all()} >= {"quyết", "định"}
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_clean(phone)
