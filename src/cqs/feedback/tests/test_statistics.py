"""Statistics of feedback: figures on a crafted month, roll-up, scoping, the page and Excel."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cqs.core.exceptions import Forbidden
from cqs.feedback import statistics
from cqs.feedback.services import report_act, report_submit, survey_submit
from cqs.feedback.tests.world import POINT

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 3, 20, 18, 0, tzinfo=HCM)


def at(day, hour=9):
    return datetime(2026, 3, day, hour, 0, tzinfo=HCM)


def submit(world, *, area, when, category=None):
    report, _created = report_submit(
        category=category or world.pothole,
        description="Ổ gà lớn giữa đường, xe máy dễ ngã.",
        attributes={"kich-thuoc": "lon"},
        lat=POINT[0],
        lon=POINT[1],
        area=area,
        contact_name="Trần Thị B",
        now=when,
    )
    return report


def answer(report, actor, when):
    report_act(report=report, action="accept", actor=actor, now=when)
    return report_act(
        report=report, action="answer", actor=actor, answer="Đơn vị đã vá ổ gà, cảm ơn ông/bà.", now=when
    )


@pytest.fixture
def march(world):
    """Commune A: answered on time (rated 5), answered late (rated 2), open and overdue, a
    duplicate; commune B: refused, open within its deadline. February: one answered in March."""
    a, b = world.commune_a, world.commune_b
    on_time = answer(submit(world, area=a, when=at(2)), world.handler_a, at(4))
    late = answer(submit(world, area=a, when=at(2)), world.handler_a, at(12))
    overdue = submit(world, area=a, when=at(3))
    duplicate = submit(world, area=a, when=at(5))
    report_act(
        report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=overdue, now=at(6)
    )
    refused = submit(world, area=b, when=at(4))
    report_act(
        report=refused, action="reject", actor=world.handler_b, note="Không thuộc thẩm quyền.", now=at(5)
    )
    submit(world, area=b, when=at(19))
    february = submit(world, area=a, when=datetime(2026, 2, 25, 9, tzinfo=HCM))
    answer(february, world.handler_a, at(2))
    survey_submit(report=on_time, rating=5, token=on_time.access_token, now=at(5))
    survey_submit(report=late, rating=2, token=late.access_token, now=at(13))
    return world


def figures(user, **kwargs):
    return statistics.feedback_statistics(user=user, date_from=MARCH[0], date_to=MARCH[1], now=NOW, **kwargs)


def test_given_a_month_then_the_province_total_has_every_figure(march):
    report = figures(march.province_handler)

    total = report.total
    assert total.received == 6
    assert (total.answered, total.answered_on_time, total.answered_late) == (2, 1, 1)
    assert (total.open_now, total.overdue_now) == (2, 1)
    assert (total.rejected, total.duplicates, total.transferred, total.closed_other) == (1, 1, 0, 0)
    # accepted twice, refused once and closed as a duplicate (the person is told) within 10 working
    # days; the open ones not.
    assert total.acknowledged_on_time == 4
    assert (total.surveyed, total.satisfied, total.rating_average) == (2, 1, Decimal("3.50"))
    assert (total.on_time_rate, total.satisfaction_rate) == (Decimal("50.00"), Decimal("50.00"))
    # the outcomes partition what was received
    parts = ("open_now", "answered", "rejected", "transferred", "duplicates", "closed_other")
    assert sum(getattr(total, name) for name in parts) == total.received


def test_given_a_month_then_communes_roll_up_into_the_province_row(march):
    top = figures(march.province_handler)
    detail = figures(march.province_handler, unit=march.province)

    assert [(row.name, row.received) for row in top.rows] == [("UBND tỉnh Phú Thọ", 6)]
    by_name = {row.name: row for row in detail.rows}
    assert by_name["Phường Vĩnh Phúc"].received == 4
    assert by_name["Phường Vĩnh Phúc"].answered_late == 1
    assert by_name["Phường Phúc Yên"].received == 2
    assert detail.total.received == 6


def test_given_a_month_then_categories_and_months_are_counted(march):
    report = figures(march.province_handler)

    assert [(row.name, row.received) for row in report.categories] == [
        ("Giao thông › Ổ gà, hư hỏng mặt đường", 6)
    ]
    assert report.months == [(date(2026, 3, 1), 6, 2)]


def test_given_a_category_filter_then_only_its_subtree_counts(march):
    assert figures(march.province_handler, category=march.roads).total.received == 6
    assert figures(march.province_handler, category=march.lights).total.received == 0


def test_given_a_commune_handler_then_only_their_commune_is_seen(march):
    report = figures(march.handler_a)

    assert [(row.name, row.received) for row in report.rows] == [("Phường Vĩnh Phúc", 4)]
    with pytest.raises(Forbidden):
        figures(march.handler_a, unit=march.commune_b)


def test_given_a_user_without_the_permission_then_nothing_is_seen(march):
    assert not statistics.may_view_statistics(march.citizen)
    assert figures(march.citizen).total.received == 0


def test_each_cell_lists_the_reports_it_counts(march):
    for bucket in statistics.COUNT_FIELDS:
        listed = statistics.feedback_statistics_reports(
            user=march.province_handler, date_from=MARCH[0], date_to=MARCH[1], bucket=bucket, now=NOW
        )
        assert listed.count() == getattr(figures(march.province_handler).total, bucket), bucket


def test_feedback_counts_for_other_modules(march):
    counts = statistics.feedback_counts(unit=march.commune_a, start=MARCH[0], end=MARCH[1], now=NOW)

    assert (counts["received"], counts["answered"], counts["answered_on_time"]) == (4, 2, 1)
    # the February report answered on 2 March counts as answered in the period
    assert counts["answered_in_period"] == 3


def test_a_period_is_a_year_a_quarter_or_a_month():
    assert statistics.period_parse("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert statistics.period_parse("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert statistics.period_parse("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(statistics.ServiceError):
        statistics.period_parse("2026-13")


# --- the page and the Excel file ----------------------------------------------------------------


def test_the_page_shows_the_tables_with_links_and_the_chart(client, march):
    client.force_login(march.province_handler)

    response = client.get(reverse("feedback:stats"), {"period": "2026-03", "unit": march.province.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stats-table"' in html and 'id="stats-categories"' in html
    assert 'id="stats-chart-data"' in html and "feedback/stats.js" in html
    assert "bucket=answered_late" in html
    assert "Phường Vĩnh Phúc" in html


def test_a_number_links_to_the_reports_behind_it(client, march):
    client.force_login(march.handler_a)

    response = client.get(reverse("feedback:stats"), {"period": "2026-03", "bucket": "overdue_now"})

    assert response.status_code == 200
    assert response.content.decode().count("<tr data-code=") == 1


def test_the_page_is_refused_without_the_permission(client, march):
    client.force_login(march.citizen)
    assert client.get(reverse("feedback:stats")).status_code == 403

    client.force_login(march.handler_a)
    assert client.get(reverse("feedback:stats"), {"unit": march.commune_b.pk}).status_code == 403
    assert client.get(reverse("feedback:stats"), {"period": "2026-14"}).status_code == 400


def test_the_excel_file_holds_the_numbers(client, march):
    client.force_login(march.province_handler)

    response = client.get(reverse("feedback:stats-excel"), {"period": "2026-03", "unit": march.province.pk})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = [row for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]]
    by_name = {row[0]: row for row in rows}
    assert by_name["Phường Vĩnh Phúc"][1] == 4
    assert by_name["Tổng cộng"][1] == 6
    assert "Công thức" in book.sheetnames


def test_a_name_starting_like_a_formula_is_written_as_text(client, march):
    march.commune_b.name = "=HYPERLINK(1)"
    march.commune_b.save()
    client.force_login(march.province_handler)

    response = client.get(reverse("feedback:stats-excel"), {"period": "2026-03", "unit": march.province.pk})

    values = [
        row[0]
        for row in load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    ]
    assert "'=HYPERLINK(1)" in values
