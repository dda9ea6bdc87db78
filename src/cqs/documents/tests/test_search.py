"""Full-text search over documents (``cqs.documents.search``), on SQLite FTS5 and PostgreSQL."""

import datetime as dt

import pytest
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.documents.choices import Direction, IncomingStatus, OutgoingState, Urgency
from cqs.documents.models import Document
from cqs.documents.search import attachment_text_extract, documents_search
from cqs.documents.services import RecipientSpec, outgoing_create
from cqs.documents.services.common import fold, search_text_build
from cqs.documents.tests.conftest import pdf

pytestmark = pytest.mark.django_db


def document(office, subject, *, unit=None, direction=Direction.OUTGOING, extra="", **fields):
    """A document row as the services leave it, without the signing and sending around it."""
    values = {
        "unit": unit or office.province,
        "direction": direction,
        "type_code": "QD",
        "type_name": "Quyết định",
        "organ_name": "UBND tỉnh Thử",
        "subject": subject,
        "state": OutgoingState.ISSUED if direction == Direction.OUTGOING else "",
        "status": IncomingStatus.REGISTERED if direction == Direction.INCOMING else "",
        **fields,
    }
    row = Document(**values)
    row.search_text = search_text_build(row, extra)
    row.save()
    return row


def subjects(page):
    return [hit.document.subject for hit in page.items]


def test_fold_removes_vietnamese_diacritics_and_the_stroke_of_d(office):
    assert fold("Quyết Định ĐƯỜNG Hoà") == "quyet dinh duong hoa"


def test_search_text_keeps_words_exact_then_folded_without_punctuation(office):
    row = Document(type_name="Quyết định", subject="V/v phê duyệt", code_number="05", code_notation="QĐ-UBND")

    assert search_text_build(row) == "05 qđ ubnd quyết định v v phê duyệt 05 qd ubnd quyet dinh v v phe duyet"


def test_a_query_without_diacritics_finds_the_document_written_with_them(office):
    document(office, "Quyết định phê duyệt quy hoạch xã Tam Đảo")
    document(office, "Công văn về lịch tiếp dân")

    page = documents_search(user=office.clerk, q="quyet dinh tam dao")

    assert subjects(page) == ["Quyết định phê duyệt quy hoạch xã Tam Đảo"]


def test_a_document_created_by_the_services_is_found(office):
    outgoing_create(
        actor=office.specialist,
        unit=office.province,
        type_code="KH",
        subject="Kế hoạch chuyển đổi số năm 2026",
        recipients=[RecipientSpec(unit_id=office.department.pk)],
    )

    page = documents_search(user=office.specialist, q="chuyen doi so")

    assert subjects(page) == ["Kế hoạch chuyển đổi số năm 2026"]


def test_the_exact_form_ranks_first(office):
    exact = document(office, "Mức thu phí bảo vệ môi trường")
    document(office, "Mức thu phi bao ve moi truong theo quy định")  # newer, written without diacritics
    document(office, "Mức thu phí bảo vệ môi trường đối với nước thải")  # newer still, longer

    page = documents_search(user=office.clerk, q="phí môi trường")

    assert page.total == 3
    assert page.items[0].rank >= 1 and page.items[1].rank >= 1 and page.items[2].rank < 1
    assert {hit.document.pk for hit in page.items[:2]} >= {exact.pk}


def test_two_words_must_both_be_found(office):
    document(office, "Quyết định thành lập hội đồng thi đua")
    document(office, "Quyết định khen thưởng")
    document(office, "Thông báo thành lập tổ công tác", type_code="TB", type_name="Thông báo")

    page = documents_search(user=office.clerk, q="quyết định thành lập")

    assert subjects(page) == ["Quyết định thành lập hội đồng thi đua"]


def test_the_attachment_text_is_searched_and_shown_as_an_excerpt(office):
    document(office, "Công văn gửi các sở", extra="Đề nghị báo cáo tình hình giải ngân vốn đầu tư công")

    page = documents_search(user=office.clerk, q="giai ngan")

    assert page.total == 1
    assert "<mark>giải</mark> <mark>ngân</mark>" in page.items[0].highlight


def test_the_highlight_marks_the_words_and_escapes_the_rest(office):
    document(office, 'Tờ trình <script>alert("x")</script> về phê duyệt dự án')

    page = documents_search(user=office.clerk, q="phe duyet script")

    highlight = page.items[0].highlight
    assert "<script>" not in highlight
    assert "&lt;<mark>script</mark>&gt;" in highlight
    assert "<mark>phê</mark> <mark>duyệt</mark>" in highlight


@pytest.mark.parametrize(
    "q", ['"', "*", "OR", "-", 'quyết "định', "NOT AND", "quy*", "(", "a:b", "^", "NEAR(x)"]
)
def test_search_syntax_typed_by_a_user_never_fails(office, q):
    document(office, "Quyết định về việc or và not")

    page = documents_search(user=office.clerk, q=q)

    assert page.page == 1


def test_an_or_typed_by_a_user_is_a_word_not_an_operator(office):
    document(office, "Quyết định về tổ chức bộ máy")
    document(office, "Thông báo lịch họp")

    page = documents_search(user=office.clerk, q="quyết OR thông")

    assert page.total == 0


def test_a_very_long_query_is_cut_not_refused(office):
    document(office, "Quyết định về việc tổ chức")

    page = documents_search(user=office.clerk, q="quyết định " * 500)

    assert subjects(page) == ["Quyết định về việc tổ chức"]


def test_other_units_documents_never_appear(office):
    document(office, "Quyết định của tỉnh khác", unit=office.elsewhere)
    document(office, "Quyết định của tỉnh mình")

    mine = documents_search(user=office.clerk, q="quyet dinh")
    theirs = documents_search(user=office.other_clerk, q="quyet dinh")
    anonymous = documents_search(user=None, q="quyet dinh")

    assert subjects(mine) == ["Quyết định của tỉnh mình"]
    assert subjects(theirs) == ["Quyết định của tỉnh khác"]
    assert anonymous.total == 0


def test_an_empty_query_lists_the_filtered_documents_newest_first(office):
    document(office, "Cũ hơn", urgency=Urgency.URGENT)
    document(office, "Mới hơn", urgency=Urgency.URGENT)
    document(office, "Thường", urgency=Urgency.NORMAL)

    page = documents_search(user=office.clerk, filters={"urgency": "1"})

    assert subjects(page) == ["Mới hơn", "Cũ hơn"]


def test_filters_by_type_direction_status_and_unit(office):
    document(office, "Quyết định đi", type_code="QD")
    document(office, "Công văn đi", type_code="CV", type_name="Công văn")
    document(office, "Quyết định đến", direction=Direction.INCOMING, arrival_date=timezone.now())
    document(office, "Quyết định của sở", unit=office.department)
    search = documents_search

    assert subjects(search(user=office.clerk, q="quyet", filters={"type_code": "CV"})) == []
    assert subjects(search(user=office.clerk, filters={"type_code": "CV"})) == ["Công văn đi"]
    assert subjects(search(user=office.clerk, q="quyet", filters={"direction": "in"})) == ["Quyết định đến"]
    assert subjects(search(user=office.clerk, q="quyet", filters={"status": "03"})) == ["Quyết định đến"]
    assert subjects(search(user=office.clerk, q="quyet", filters={"unit": office.department.pk})) == [
        "Quyết định của sở"
    ]


def test_the_issuer_filter_ignores_case_and_diacritics(office):
    document(office, "Văn bản của Hội đồng", organ_name="Hội đồng nhân dân tỉnh Thử")
    document(office, "Văn bản của UBND")

    page = documents_search(user=office.clerk, filters={"organ": "HOI DONG nhan"})

    assert subjects(page) == ["Văn bản của Hội đồng"]


def test_dates_are_the_issuing_date_going_out_and_the_arrival_date_coming_in(office):
    may = dt.date(2026, 5, 10)
    arrived = timezone.make_aware(dt.datetime(2026, 5, 12, 23, 30))
    document(office, "Đi tháng năm", issued_date=may)
    document(office, "Đi tháng sáu", issued_date=dt.date(2026, 6, 1))
    document(
        office,
        "Đến tháng năm",
        direction=Direction.INCOMING,
        issued_date=dt.date(2026, 4, 1),
        arrival_date=arrived,
    )

    page = documents_search(
        user=office.clerk, filters={"date_from": "2026-05-01", "date_to": dt.date(2026, 5, 12)}
    )

    assert sorted(subjects(page)) == ["Đi tháng năm", "Đến tháng năm"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"urgency": "rất khẩn"}, "urgency"),
        ({"urgency": 9}, "urgency"),
        ({"unit": "x"}, "unit"),
        ({"direction": "sideways"}, "direction"),
        ({"date_from": "31/12/2026"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "date_to"),
        ({"status": "99"}, "status"),
        ({"type_code": "XYZ"}, "type_code"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_filter_is_refused_with_its_field(office, filters, field):
    with pytest.raises(ServiceError) as refused:
        documents_search(user=office.clerk, filters=filters)

    assert refused.value.field == field


def test_paging_splits_the_matches_and_a_page_past_the_end_shows_the_last(office):
    for number in range(5):
        document(office, f"Thông báo số {number}")

    first = documents_search(user=office.clerk, q="thong bao", per_page=2)
    last = documents_search(user=office.clerk, q="thong bao", per_page=2, page=99)

    assert (first.total, first.pages, len(first.items), first.has_next) == (5, 3, 2, True)
    assert (last.page, len(last.items), last.has_next) == (3, 1, False)
    seen = {
        hit.document.pk
        for p in (1, 2, 3)
        for hit in documents_search(user=office.clerk, q="thong bao", per_page=2, page=p).items
    }
    assert len(seen) == 5


def test_a_bad_page_number_is_refused(office):
    with pytest.raises(ServiceError) as refused:
        documents_search(user=office.clerk, page="abc")

    assert refused.value.field == "page"


def test_a_changed_subject_is_searched_by_its_new_words(office):
    row = document(office, "Dự thảo kế hoạch")
    row.subject = "Kế hoạch chính thức"
    row.search_text = search_text_build(row)
    row.save()

    assert documents_search(user=office.clerk, q="du thao").total == 0
    assert documents_search(user=office.clerk, q="chinh thuc").total == 1


def test_a_deleted_document_is_no_longer_found(office):
    row = document(office, "Văn bản sẽ bị xoá")
    row.delete()

    assert documents_search(user=office.clerk, q="xoa").total == 0


def test_the_text_of_a_pdf_is_extracted(office):
    text = attachment_text_extract(pdf("Bao cao giai ngan von dau tu"))

    assert "giai ngan" in text.lower()


@pytest.mark.parametrize("data", [b"", b"not a pdf", b"%PDF-1.7 broken"])
def test_an_unreadable_attachment_gives_no_text_and_no_error(office, data):
    assert attachment_text_extract(data) == ""


def test_without_pdftotext_the_attachment_gives_no_text(office, monkeypatch):
    monkeypatch.setattr("cqs.documents.search.shutil.which", lambda name: None)

    assert attachment_text_extract(pdf("Bao cao")) == ""


def test_after_a_table_rebuild_on_sqlite_the_index_is_put_back_and_refilled(office):
    from django.db import connection

    from cqs.documents.search import search_index_post_migrate

    if connection.vendor != "sqlite":
        pytest.skip("the triggers exist on SQLite only")
    document(office, "Quyết định trước khi dựng lại bảng")
    with connection.cursor() as cursor:  # what Django's table rebuild leaves behind
        for name in ("documents_document_fts_ai", "documents_document_fts_ad", "documents_document_fts_au"):
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("INSERT INTO documents_document_fts(documents_document_fts) VALUES ('delete-all')")

    search_index_post_migrate(using="default")
    document(office, "Quyết định sau khi dựng lại bảng")

    assert documents_search(user=office.clerk, q="quyet dinh").total == 2
