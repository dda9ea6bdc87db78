"""The reporting pages: who may open them (both ways), my reports and the reviewer's inbox, the
regimes, and one report's page — save, check, submit (with warnings confirmed), return, approve,
unlock, the signed PDF."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cqs.reporting.choices import PeriodType, ReportStatus, ValueSource
from cqs.reporting.models import DataValue, Indicator, LockException, Report
from cqs.reporting.periods import period_of
from cqs.reporting.services import reports as svc

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = "HS_NHAN.default"
ONLINE_PARTIAL = "HS_TRUC_TUYEN.MOT_PHAN"
ONLINE_FULL = "HS_TRUC_TUYEN.TOAN_TRINH"
SIGNED = "TY_LE_KY_SO.default"


def open_period(version):
    """The monthly period whose data window holds today: open for entry, never locked yet."""
    today = timezone.localdate()
    spec = period_of(PeriodType.MONTHLY, today)
    if today > spec.window(version.cutoff_day)[1]:
        spec = spec.next()
    return spec


def opened(land, unit=None, officer=None) -> Report:
    return svc.report_open(
        actor=officer or land.commune_officer,
        regime=land.regime,
        unit=unit or land.commune,
        period=open_period(land.version).iso,
    )


def filled(land, report, values=None) -> Report:
    svc.report_values_save(
        actor=land.commune_officer,
        report=report,
        values=values or {RECEIVED: "100", ONLINE_PARTIAL: "30", ONLINE_FULL: "20"},
    )
    return report


def submitted(land) -> Report:
    report = filled(land, opened(land))
    return svc.report_submit(actor=land.commune_officer, report=report)


def page_url(report) -> str:
    return reverse("reporting:report", args=[report.pk])


def post(client, report, action, follow=False, **data):
    return client.post(page_url(report), {"action": action, **data}, follow=follow)


def values_of(report) -> dict[str, str]:
    return {
        svc.cell_key(v.indicator.code, v.option_combo.code): v.value
        for v in DataValue.objects.filter(report=report).select_related("indicator", "option_combo")
    }


# --- who may open the pages --------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, land):
    response = client.get(reverse("reporting:home"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_citizen_is_refused_every_reporting_page(client, land):
    from cqs.accounts.tests.factories import CitizenFactory

    client.force_login(CitizenFactory())

    for url in (
        reverse("reporting:home"),
        reverse("reporting:inbox"),
        reverse("reporting:regimes"),
        reverse("reporting:regime", args=[land.regime.code]),
    ):
        assert client.get(url).status_code == 403, url


def test_a_reporting_officer_is_refused_the_review_inbox(client, land):
    client.force_login(land.commune_officer)

    assert client.get(reverse("reporting:inbox")).status_code == 403


# --- my reports ----------------------------------------------------------------------------------


def test_home_lists_the_open_period_of_the_officers_own_unit_with_an_entry_button(client, land):
    client.force_login(land.commune_officer)
    spec = open_period(land.version)

    response = client.get(reverse("reporting:home"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert {(row.unit, row.spec.iso) for row in rows} >= {(land.commune, spec.iso)}
    assert {row.unit for row in rows} == {land.commune}
    assert f'data-open="BC_CNTT-{spec.iso}"' in response.text
    assert "Nhập báo cáo" in response.text


def test_home_shows_an_opened_reports_status(client, land):
    report = submitted(land)
    client.force_login(land.commune_officer)

    response = client.get(reverse("reporting:home"))

    row = next(row for row in response.context["rows"] if row.report is not None)
    assert row.report == report
    assert reverse("reporting:report", args=[report.pk]) in response.text
    assert "Đã gửi, chờ duyệt" in response.text


def test_entry_button_opens_the_report_and_goes_to_its_page(client, land):
    client.force_login(land.commune_officer)
    spec = open_period(land.version)

    response = client.post(
        reverse("reporting:open"), {"regime": "BC_CNTT", "unit": land.commune.pk, "period": spec.iso}
    )

    report = Report.objects.get(unit=land.commune, period__iso=spec.iso)
    assert response.status_code == 302
    assert response["Location"] == page_url(report)


def test_opening_another_communes_report_is_refused_with_a_message(client, land):
    client.force_login(land.commune_officer)
    spec = open_period(land.version)

    response = client.post(
        reverse("reporting:open"),
        {"regime": "BC_CNTT", "unit": land.commune3.pk, "period": spec.iso},
        follow=True,
    )

    assert not Report.objects.filter(unit=land.commune3).exists()
    assert "Bạn không có quyền lập báo cáo của đơn vị này." in response.text


# --- the reviewer's inbox ------------------------------------------------------------------------


def test_the_district_reviewer_sees_a_submitted_commune_report_waiting(client, land):
    report = submitted(land)
    client.force_login(land.district_reviewer)

    response = client.get(reverse("reporting:home"))

    assert response.context["review_total"] == 1
    assert [r.pk for r in response.context["review_rows"]] == [report.pk]
    assert 'id="review-list"' in response.text and land.commune.name in response.text


def test_another_districts_reviewer_does_not_see_it(client, land):
    submitted(land)
    client.force_login(land.district2_reviewer)

    home = client.get(reverse("reporting:home"))
    inbox = client.get(reverse("reporting:inbox"))

    assert home.context["review_total"] == 0
    assert inbox.context["page"].paginator.count == 0


def test_the_inbox_filters_by_regime_and_period(client, land):
    report = submitted(land)
    client.force_login(land.district_reviewer)

    matching = client.get(reverse("reporting:inbox"), {"regime": "BC_CNTT", "period": report.period.iso})
    other = client.get(reverse("reporting:inbox"), {"period": "2020Q1"})

    assert [r.pk for r in matching.context["page"].object_list] == [report.pk]
    assert other.context["page"].paginator.count == 0


# --- regimes -------------------------------------------------------------------------------------


def test_the_regime_list_shows_frequency_receiver_and_version_in_force(client, land):
    client.force_login(land.commune_officer)

    response = client.get(reverse("reporting:regimes"))

    assert response.status_code == 200
    assert response.context["items"][0]["version"] == land.version
    assert (
        "BC_CNTT" in response.text and "Hằng tháng" in response.text and land.province.name in response.text
    )


def test_the_regime_page_shows_the_ten_elements_rows_assignments_and_rules(client, land):
    client.force_login(land.commune_officer)

    response = client.get(reverse("reporting:regime", args=["BC_CNTT"]))

    assert response.status_code == 200
    text = response.text
    for element in ("1. ", "5. ", "10. ", "Kế hoạch 326/KH-UBND", "Trực tuyến không vượt tổng số"):
        assert element in text
    assert "Một phần, Toàn trình" in text  # the disaggregation of HS_TRUC_TUYEN
    assert len(response.context["assignments"]) == 3


def test_an_unknown_regime_is_not_found(client, land):
    client.force_login(land.commune_officer)

    assert client.get(reverse("reporting:regime", args=["KHONG_CO"])).status_code == 404


# --- the report page: who sees it ------------------------------------------------------------------


def test_the_officer_sees_the_form_with_inputs_named_by_cell_key(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = client.get(page_url(report))

    assert response.status_code == 200
    for key in (RECEIVED, ONLINE_PARTIAL, ONLINE_FULL, SIGNED, "GHI_CHU.default"):
        assert f'name="{key}"' in response.text
    assert 'inputmode="numeric"' in response.text and 'inputmode="decimal"' in response.text
    assert 'id="report-window"' in response.text
    # The text part starts from the regime's outline.
    assert "1. Kết quả nổi bật" in response.text
    for action in ("save", "check", "submit"):
        assert f'name="action" value="{action}"' in response.text


def test_the_reviewing_district_sees_the_report(client, land):
    report = opened(land)
    client.force_login(land.district_reviewer)

    assert client.get(page_url(report)).status_code == 200


@pytest.mark.parametrize("who", ["commune3_officer", "district2_reviewer"])
def test_a_report_outside_the_users_units_is_not_found(client, land, who):
    report = opened(land)
    client.force_login(getattr(land, who))

    assert client.get(page_url(report)).status_code == 404
    assert post(client, report, "save", **{RECEIVED: "1"}).status_code == 404
    assert not DataValue.objects.filter(report=report).exists()


# --- entry ---------------------------------------------------------------------------------------


def test_save_stores_the_values_and_the_text_part(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = post(
        client,
        report,
        "save",
        **{RECEIVED: "120", ONLINE_PARTIAL: "40", SIGNED: "87,5", "outline_text": "1. Kết quả: tốt"},
    )

    assert response.status_code == 302
    assert values_of(report) == {RECEIVED: "120", ONLINE_PARTIAL: "40", SIGNED: "87.5"}
    report.refresh_from_db()
    assert report.outline_text == "1. Kết quả: tốt"


def test_an_invalid_cell_is_shown_next_to_its_input_and_nothing_is_saved(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = post(client, report, "save", **{RECEIVED: "120", SIGNED: "140"})

    assert response.status_code == 200
    assert 'id="err-TY_LE_KY_SO.default"' in response.text
    assert "Tỷ lệ phải từ 0 đến 100" in response.text
    assert 'value="140"' in response.text  # what was typed is kept
    assert not DataValue.objects.filter(report=report).exists()


def test_saving_keeps_the_source_of_cells_left_as_they_were(client, land):
    report = opened(land)
    svc.report_values_save(
        actor=land.commune_officer, report=report, values={RECEIVED: "80"}, source=ValueSource.PLATFORM
    )
    client.force_login(land.commune_officer)

    post(client, report, "save", **{RECEIVED: "80", ONLINE_PARTIAL: "10"})

    assert DataValue.objects.get(report=report, indicator__code="HS_NHAN").source == ValueSource.PLATFORM
    assert DataValue.objects.get(report=report, indicator__code="HS_TRUC_TUYEN").source == ValueSource.TYPED


def test_an_untouched_outline_template_is_not_saved_as_the_text_part(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    post(
        client,
        report,
        "save",
        **{RECEIVED: "5", "outline_text": land.version.outline_template.replace("\n", "\r\n")},
    )

    report.refresh_from_db()
    assert report.outline_text == ""


def test_check_lists_a_rule_error_linked_to_its_row(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    response = post(client, report, "check", **{RECEIVED: "100", ONLINE_PARTIAL: "70", ONLINE_FULL: "45"})

    assert response.status_code == 200
    assert 'id="report-findings"' in response.text
    assert "Trực tuyến không vượt tổng số" in response.text
    assert values_of(report)[ONLINE_FULL] == "45"  # checked after saving what was typed


def test_a_rule_error_blocks_submission(client, land):
    report = filled(land, opened(land), {RECEIVED: "100", ONLINE_PARTIAL: "70", ONLINE_FULL: "45"})
    client.force_login(land.commune_officer)

    response = post(client, report, "submit")

    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert "Trực tuyến không vượt tổng số" in response.text
    assert 'name="confirm_warnings"' not in response.text


def test_a_warning_must_be_confirmed_before_the_report_is_sent(client, land):
    Indicator.objects.filter(code="HS_NHAN").update(max_value=1000)
    report = filled(land, opened(land), {RECEIVED: "5000"})
    client.force_login(land.commune_officer)

    first = post(client, report, "submit")
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert 'name="confirm_warnings"' in first.text
    assert "lớn hơn mức tối đa hợp lý" in first.text

    second = post(client, report, "submit", confirm_warnings="1")

    report.refresh_from_db()
    assert second.status_code == 302
    assert report.status == ReportStatus.SUBMITTED


def test_submit_sends_the_report_and_the_page_becomes_read_only(client, land):
    report = filled(land, opened(land))
    client.force_login(land.commune_officer)

    response = post(client, report, "submit", follow=True)

    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert f'name="{RECEIVED}"' not in response.text
    assert 'id="report-readonly"' in response.text
    assert "Đã gửi báo cáo tới" in response.text


# --- review --------------------------------------------------------------------------------------


def test_the_officer_is_not_offered_review_and_is_refused_it(client, land):
    report = submitted(land)
    client.force_login(land.commune_officer)

    page = client.get(page_url(report))
    response = post(client, report, "approve")

    assert 'value="approve"' not in page.text
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_returning_needs_a_reason(client, land):
    report = submitted(land)
    client.force_login(land.district_reviewer)

    response = post(client, report, "return", **{"return-reason": "  "})

    assert response.status_code == 200
    assert "Cần ghi lý do trả lại." in response.text
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_the_reviewer_returns_the_report_with_the_reason_shown_to_the_unit(client, land):
    report = submitted(land)
    client.force_login(land.district_reviewer)

    post(client, report, "return", **{"return-reason": "Thiếu thuyết minh"})
    client.force_login(land.commune_officer)
    page = client.get(page_url(report))

    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert "Thiếu thuyết minh" in page.text
    assert f'name="{RECEIVED}"' in page.text  # editable again


def test_approval_signs_the_report_and_its_viewers_download_the_pdf(client, land):
    report = submitted(land)
    client.force_login(land.district_reviewer)

    page = post(client, report, "approve", follow=True)

    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert 'id="report-signed-pdf"' in page.text
    client.force_login(land.commune_officer)
    response = client.get(reverse("reporting:report-pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_signed_pdf_is_not_found_for_another_unit(client, land):
    report = submitted(land)
    svc.report_approve(actor=land.district_reviewer, report=report)
    client.force_login(land.commune3_officer)

    assert client.get(reverse("reporting:report-pdf", args=[report.pk])).status_code == 404


def test_history_lists_the_reports_events(client, land):
    report = submitted(land)
    client.force_login(land.commune_officer)

    response = client.get(page_url(report))

    assert [e.action for e in response.context["events"]] == ["created", "saved", "submitted"]
    assert 'id="report-history"' in response.text


# --- locks ---------------------------------------------------------------------------------------


def locked_report(land) -> Report:
    """March 2026's report, opened in March: its entry locked on 28/03/2026."""
    return svc.report_open(
        actor=land.commune_officer,
        regime=land.regime,
        unit=land.commune,
        period="202603",
        now=datetime(2026, 3, 10, 9, tzinfo=TZ),
    )


def test_a_locked_report_is_read_only_for_the_unit(client, land):
    report = locked_report(land)
    client.force_login(land.commune_officer)

    page = client.get(page_url(report))
    response = post(client, report, "save", **{RECEIVED: "5"})

    assert 'id="report-locked"' in page.text and f'name="{RECEIVED}"' not in page.text
    assert "đã khóa nhập" in response.text
    assert not DataValue.objects.filter(report=report).exists()


def test_the_reviewer_unlocks_and_the_unit_can_enter_again(client, land):
    report = locked_report(land)
    until = timezone.localdate() + timedelta(days=3)
    client.force_login(land.district_reviewer)

    page = client.get(page_url(report))
    response = post(client, report, "unlock", **{"lock-until": until.isoformat(), "lock-reason": "Mất điện"})

    assert 'id="lock-form"' in page.text
    assert response.status_code == 302
    assert LockException.objects.get(report=report).until == until
    client.force_login(land.commune_officer)
    post(client, report, "save", **{RECEIVED: "5"})
    assert values_of(report) == {RECEIVED: "5"}


def test_the_unit_may_not_unlock_its_own_report(client, land):
    report = locked_report(land)
    client.force_login(land.commune_officer)

    page = client.get(page_url(report))
    response = post(
        client,
        report,
        "unlock",
        **{"lock-until": timezone.localdate().isoformat(), "lock-reason": "Xin mở"},
    )

    assert 'id="lock-form"' not in page.text
    assert response.status_code == 403
    assert not LockException.objects.exists()


# --- platform sources ----------------------------------------------------------------------------


@pytest.fixture
def counted_source(monkeypatch):
    """HS_NHAN bound to a platform source that counts 7 for any unit and window."""
    from decimal import Decimal

    from cqs.reporting import sources

    monkeypatch.setitem(
        sources.SOURCES,
        "test.received",
        sources.Source(
            key="test.received", label="Hồ sơ tiếp nhận", module="Một cửa", compute=lambda **kw: Decimal(7)
        ),
    )
    Indicator.objects.filter(code="HS_NHAN").update(source="test.received")


def test_a_row_bound_to_the_platform_offers_to_fill_it_and_the_value_keeps_its_source(
    client, land, counted_source
):
    report = opened(land)
    client.force_login(land.commune_officer)

    page = client.get(page_url(report))
    response = post(client, report, "fill", follow=True)

    assert 'name="action" value="fill"' in page.text
    assert 'data-source="test.received"' in page.text
    value = DataValue.objects.get(report=report, indicator__code="HS_NHAN")
    assert (value.value, value.source) == ("7", ValueSource.PLATFORM)
    assert 'data-value-source="platform"' in response.text


def test_without_a_platform_source_there_is_no_fill_button(client, land):
    report = opened(land)
    client.force_login(land.commune_officer)

    assert 'value="fill"' not in client.get(page_url(report)).text


# --- query counts --------------------------------------------------------------------------------


def test_the_inbox_asks_the_same_number_of_queries_for_more_reports(client, land):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submitted(land)
    client.force_login(land.district_reviewer)
    client.get(reverse("reporting:inbox"))  # the session and grants are warm
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reporting:inbox"))
    second = opened(land, unit=land.commune2, officer=land.district_officer)
    svc.report_values_save(actor=land.district_officer, report=second, values={RECEIVED: "3"})
    svc.report_submit(actor=land.district_officer, report=second)

    with CaptureQueriesContext(connection) as two:
        response = client.get(reverse("reporting:inbox"))

    assert response.context["page"].paginator.count == 2
    assert len(two) == len(one)
