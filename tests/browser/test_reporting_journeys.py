"""The reporting module of issue 5 in a real browser: a commune's monthly report entered on a
phone, stopped by a validation rule, warned of an outlier, submitted; approved and signed by the
district; seen rolled up on the province's dashboard."""

# ruff: noqa: F811  (the tests' parameters are the fixtures imported from reporting_fixtures)

import re

import pytest
from playwright.sync_api import expect

from tests.browser.reporting_fixtures import desktop_page, reporting_data_dir, reporting_land  # noqa: F401

pytestmark = pytest.mark.browser

RECEIVED = "HS_NHAN.default"
ONLINE_PARTIAL = "HS_TRUC_TUYEN.MOT_PHAN"
ONLINE_FULL = "HS_TRUC_TUYEN.TOAN_TRINH"
OUTLINE = "1. Kết quả nổi bật: tiếp nhận 135 hồ sơ, 115 hồ sơ trực tuyến."


def cell(page, key: str):
    return page.locator(f"input[name='{key}']")


def press(page, action: str) -> None:
    page.locator(f"button[name=action][value={action}]").click()
    page.wait_for_load_state()


def assert_clean(*pages) -> None:
    """No page any of these people opened logged an error or broke the Content-Security-Policy."""
    for page in pages:
        assert page.console_log.csp_violations == [], page.console_log.messages
        assert page.console_log.errors == [], page.console_log.messages


def test_a_commune_report_is_checked_submitted_approved_signed_and_rolled_up(
    site, reporting_land, phone_page, page, desktop_page, log_in
):
    from cqs.reporting.choices import PeriodType
    from cqs.reporting.periods import periods_in_year

    land = reporting_land
    period = land.period
    column = [spec.iso for spec in periods_in_year(PeriodType.MONTHLY, period.year)].index(period.iso)

    # given: the commune's reporting officer, signed in on a 375 px phone
    officer = phone_page
    log_in(officer, "baocao.xa", land.password)
    assert "/accounts/login/" not in officer.url

    # when: they open their reports and start the month open for entry
    officer.goto(f"{site}/bao-cao/")
    month = officer.locator(f"#report-list li[data-regime=BC_CNTT][data-period='{period.iso}']")
    expect(month).to_contain_text(period.label())
    month.locator(f"button[data-open='BC_CNTT-{period.iso}']").click()
    expect(officer.locator("#report-period")).to_contain_text(period.label())
    expect(officer.locator("#report-unit")).to_have_text(land.commune.name)

    # and: enter more online dossiers (70 + 45) than received ones (100), save and check
    cell(officer, RECEIVED).fill("100")
    cell(officer, ONLINE_PARTIAL).fill("70")
    cell(officer, ONLINE_FULL).fill("45")
    officer.locator("textarea[name=outline_text]").fill(OUTLINE)
    press(officer, "save")
    expect(officer.locator("#messages")).to_contain_text("Đã lưu nháp báo cáo.")
    expect(cell(officer, ONLINE_FULL)).to_have_value("45")
    press(officer, "check")

    # then: the rule's error is listed, pointing at the online row, which is flagged
    error = officer.locator("#report-findings li[data-finding=validation_rule]")
    expect(error).to_contain_text("Trực tuyến không vượt tổng số: 115 ≤ 100 không thỏa.")
    expect(error.locator("a")).to_have_attribute("href", "#row-HS_TRUC_TUYEN")
    expect(officer.locator("#row-HS_TRUC_TUYEN")).to_have_class(re.compile(r"\breporting-flagged\b"))

    # when: they try to send it anyway
    press(officer, "submit")

    # then: it is refused, and stays a draft
    expect(officer.locator("#messages")).to_contain_text("Báo cáo còn 1 lỗi phải sửa trước khi gửi.")
    expect(officer.locator("#report-status")).to_have_attribute("data-status", "draft")

    # when: they correct the received count to 135, far above the commune's usual hundred
    cell(officer, RECEIVED).fill("135")
    press(officer, "check")

    # then: the rule holds, and the count is flagged as an outlier against the six months before
    findings = officer.locator("#report-findings")
    expect(findings.locator("li[data-finding=validation_rule]")).to_have_count(0)
    outlier = findings.locator("li[data-finding=outlier]")
    expect(outlier).to_contain_text("Số hồ sơ tiếp nhận = 135: lệch bất thường so với các kỳ trước")
    expect(outlier.locator("a")).to_have_attribute("href", f"#cell-{RECEIVED}")
    expect(officer.locator("#row-HS_NHAN")).to_have_class(re.compile(r"\breporting-flagged\b"))

    # when: they confirm the figure is right and send the report
    officer.locator("input[name=confirm_warnings]").check()
    press(officer, "submit")

    # then: it is sent to the district, and no longer editable
    expect(officer.locator("#messages")).to_contain_text(f"Đã gửi báo cáo tới {land.district.name}.")
    expect(officer.locator("#report-status-badge")).to_have_text(re.compile(r"^đã gửi", re.IGNORECASE))
    expect(officer.locator(f"[data-cell='{RECEIVED}']")).to_have_text("135")
    expect(officer.locator("#outline_text")).to_have_text(OUTLINE)
    expect(cell(officer, RECEIVED)).to_have_count(0)
    assert officer.evaluate("document.documentElement.scrollWidth") <= 375

    # when: the district's reviewer finds the report waiting for them and approves it
    reviewer = page
    log_in(reviewer, "tonghop.huyen", land.password)
    reviewer.goto(f"{site}/bao-cao/")
    row = reviewer.locator("#review-list tbody tr").filter(has_text=land.commune.name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(period.label())
    row.get_by_role("link", name=land.commune.name).click()
    expect(reviewer.locator("#report-status")).to_have_attribute("data-status", "submitted")
    press(reviewer, "approve")

    # then: it is approved and signed, and the signed PDF downloads
    expect(reviewer.locator("#messages")).to_contain_text("Đã duyệt báo cáo; bản báo cáo đã được ký số.")
    expect(reviewer.locator("#report-status-badge")).to_have_text("Đã duyệt")
    with reviewer.expect_download() as download:
        reviewer.locator("#report-signed-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # when: the province's reviewer opens the dashboard for the regime and the period's year
    province = desktop_page
    log_in(province, "tonghop.tinh", land.password)
    province.goto(f"{site}/bao-cao/")
    province.locator("#nav-reporting-dashboard").click()
    province.locator("#id_regime").select_option("BC_CNTT")
    province.locator("#id_year").fill(str(period.year))
    province.locator("#dashboard-submit").click()

    # then: in the district, one report of the month is sent out of the three expected (its two
    # communes' and its own: a district's rate counts its own report, see rates.py), on time
    district = province.locator(f"#dashboard-matrix tbody tr[data-unit='{land.district.pk}']")
    expect(district.locator("th")).to_contain_text(land.district.name)
    expect(district.locator("td").nth(column)).to_have_text("1/3")

    # and: inside the district, Xã Một sent on time, Xã Hai has not sent yet
    district.get_by_role("link", name=land.district.name).click()
    for unit, state in ((land.commune, "on_time"), (land.commune2, "not_due")):
        month_cell = province.locator(f"#dashboard-matrix tbody tr[data-unit='{unit.pk}'] td").nth(column)
        expect(month_cell).to_have_attribute("data-state", state)

    # when: they open the roll-up of the received dossiers
    province.locator("#dashboard-indicators a[data-indicator=HS_NHAN]").click()

    # then: the district's figure for the month is the commune's 135
    expect(province.locator("h1")).to_have_text("Số hồ sơ tiếp nhận")
    whole = province.locator(f"#indicator-table tbody tr[data-unit='{land.district.pk}']")
    expect(whole.locator("td").nth(column)).to_have_text("135")
    assert_clean(officer, reviewer, province)
