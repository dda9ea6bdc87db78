"""Dashboard pages: who may see which units, the completeness matrix, one indicator, exports."""

import csv
import io
import json
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cqs.accounts.tests.factories import OfficialFactory
from cqs.reporting.tests.rollup_data import report_put

DASHBOARD = reverse("reporting:dashboard")
YEAR = {"regime": "BC_CNTT", "year": "2026", "as_of": "2026-04-01"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """ "Not due yet" depends on today: the pages are looked at on 1 April 2026."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 4, 1))


@pytest.fixture
def reported(land):
    """March 2026: commune on time (120 files), commune2 late (80), commune3 on time (50),
    district on time (10); February: commune only (100)."""
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 120, "TY_LE_KY_SO": 90})
    report_put(land.regime, land.commune2, "202603", {"HS_NHAN": 80, "TY_LE_KY_SO": 70}, late=True)
    report_put(land.regime, land.commune3, "202603", {"HS_NHAN": 50})
    report_put(land.regime, land.district, "202603", {"HS_NHAN": 10})
    report_put(land.regime, land.commune, "202602", {"HS_NHAN": 100})
    return land


def get(client, user, url=DASHBOARD, **params):
    client.force_login(user)
    return client.get(url, params)


def indicator_url(code="HS_NHAN"):
    return reverse("reporting:indicator", args=[code])


# --- access ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, land):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "login" in response.url


def test_user_without_reporting_grant_is_refused(client, land):
    outsider = OfficialFactory(username="khong.quyen", official_profile__unit=land.commune)
    assert get(client, outsider, **YEAR).status_code == 403
    assert get(client, outsider, indicator_url(), **YEAR).status_code == 403


def test_district_reviewer_sees_own_district_by_default_and_not_the_other(client, reported):
    response = get(client, reported.district2_reviewer, **YEAR)
    assert response.status_code == 200
    assert response.context["selection"].unit == reported.district2
    names = [row["unit"].name for row in response.context["matrix"]]
    assert names == ["Huyện Khác", "Xã Ba"]
    assert get(client, reported.district2_reviewer, **YEAR, unit=reported.district.pk).status_code == 403
    response = get(client, reported.district2_reviewer, indicator_url(), **YEAR, unit=reported.district.pk)
    assert response.status_code == 403


def test_province_reviewer_sees_every_unit_below(client, reported):
    response = get(client, reported.province_reviewer, **YEAR)
    assert response.context["selection"].unit == reported.province
    names = [row["unit"].name for row in response.context["matrix"]]
    assert names == ["Sở Thông tin và Truyền thông", "Huyện Khác", "Huyện Thử"]
    assert get(client, reported.province_reviewer, **YEAR, unit=reported.commune3.pk).status_code == 200


# --- completeness and timeliness ---------------------------------------------------------------


def test_matrix_colours_each_commune_and_drills_down(client, reported):
    # given the province view, when the reviewer follows the district's link
    top = get(client, reported.province_reviewer, **YEAR)
    district_row = next(row for row in top.context["matrix"] if row["unit"] == reported.district)
    assert district_row["drill"]
    assert district_row["cells"][2]["text"] == "3/3"
    response = client.get(district_row["drill"])
    # then the district's own report comes first, then its communes, coloured by state
    rows = {(row["unit"].name, row["own"]): row for row in response.context["matrix"]}
    march = 2  # January, February, March…
    assert rows[("Huyện Thử", True)]["cells"][march]["state"] == "on_time"
    assert rows[("Xã Một", False)]["cells"][march]["state"] == "on_time"
    assert rows[("Xã Hai", False)]["cells"][march]["state"] == "late"
    assert rows[("Xã Hai", False)]["cells"][1]["state"] == "missing"
    assert rows[("Xã Hai", False)]["cells"][3]["state"] == "not_due"  # April: due 16/4
    html = response.content.decode()
    assert 'data-state="late"' in html and "table-warning" in html
    assert "cây tổ chức ngày 01/04/2026" in html


def test_totals_carry_dhis2_metric_names(client, reported):
    response = get(client, reported.province_reviewer, **{**YEAR, "from": "202603", "to": "202603"})
    metrics = {row["name"]: row["total"] for row in response.context["metrics"]}
    # six units expected in March, four sent, three on time
    assert metrics["EXPECTED_REPORTS"] == "6"
    assert metrics["ACTUAL_REPORTS"] == "4"
    assert metrics["ACTUAL_REPORTS_ON_TIME"] == "3"
    assert metrics["REPORTING_RATE"] == "66,67"
    assert 'data-metric="REPORTING_RATE_ON_TIME"' in response.content.decode()


def test_chart_data_is_a_json_block_not_inline_script(client, reported):
    response = get(client, reported.province_reviewer, **YEAR)
    html = response.content.decode()
    assert 'id="dashboard-rate-data" type="application/json"' in html
    assert "reporting/charts.js" in html
    chart = response.context["chart"]
    assert chart["labels"] == ["Sở Thông tin và Truyền thông", "Huyện Khác", "Huyện Thử"]


def test_a_bad_period_range_is_refused(client, reported):
    response = get(client, reported.province_reviewer, **{**YEAR, "from": "202603"})
    assert response.status_code == 400
    response = get(client, reported.province_reviewer, **{**YEAR, "from": "2026Q1", "to": "2026Q2"})
    assert response.status_code == 400


def test_csv_export_is_utf8_with_bom_and_dhis2_columns(client, reported):
    response = get(
        client, reported.province_reviewer, **{**YEAR, "from": "202603", "to": "202603"}, format="csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][3:8] == [
        "EXPECTED_REPORTS",
        "ACTUAL_REPORTS",
        "ACTUAL_REPORTS_ON_TIME",
        "REPORTING_RATE",
        "REPORTING_RATE_ON_TIME",
    ]
    district = next(row for row in rows if row[0] == "Huyện Thử")
    assert district[2:8] == ["202603", "3", "3", "2", "100", "66.67"]


def test_xlsx_export_has_the_matrix_and_the_figures(client, reported):
    response = get(
        client, reported.province_reviewer, **{**YEAR, "from": "202603", "to": "202603"}, format="xlsx"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Tình hình gửi báo cáo", "Số liệu"]
    matrix = [list(row) for row in book["Tình hình gửi báo cáo"].iter_rows(values_only=True)]
    assert matrix[0][:2] == ["Đơn vị", "Tháng 3/2026"]
    assert ["Huyện Thử", "3/3", 3, 3, 2, 100, 66.67] in matrix


# --- one indicator -----------------------------------------------------------------------------


def test_indicator_page_rolls_up_and_charts(client, reported):
    response = get(client, reported.province_reviewer, indicator_url(), **YEAR)
    assert response.status_code == 200
    rows = {row["unit"].name: row for row in response.context["rows"]}
    assert rows["UBND tỉnh Thử"]["texts"][2] == "260"
    assert rows["UBND tỉnh Thử"]["total_text"] == "360"
    assert rows["Huyện Thử"]["texts"][1:3] == ["100", "210"]
    html = response.content.decode()
    line = json.loads(
        html.split('id="indicator-line-data" type="application/json">')[1].split("</script>")[0]
    )
    assert line["type"] == "line" and line["datasets"][0]["data"][1:3] == [100.0, 260.0]
    # the bar chart compares the child units in the last month with data
    assert response.context["period"] == "202603"
    assert response.context["bar"]["labels"] == ["Sở Thông tin và Truyền thông", "Huyện Khác", "Huyện Thử"]
    assert response.context["bar"]["datasets"][0]["data"] == [None, 50.0, 210.0]


def test_indicator_average_and_csv_export(client, reported):
    response = get(client, reported.district_reviewer, indicator_url("TY_LE_KY_SO"), **YEAR, format="csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:3] == ["Đơn vị", "Mã định danh", "202601"]
    whole = rows[1]
    assert whole[0] == "Huyện Thử (toàn bộ)"
    assert whole[2 + 2] == "80" and whole[-1] == "80"


def test_indicator_xlsx_export(client, reported):
    response = get(client, reported.district_reviewer, indicator_url(), **YEAR, format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["HS_NHAN"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "Huyện Thử (toàn bộ)" and values[1][-1] == 310


def test_unknown_indicator_is_404(client, reported):
    assert get(client, reported.province_reviewer, indicator_url("KHONG_CO"), **YEAR).status_code == 404


def test_tree_date_is_shown(client, reported):
    response = get(client, reported.province_reviewer, **{**YEAR, "as_of": "2026-02-03"})
    assert response.context["selection"].as_of == date(2026, 2, 3)
    assert "03/02/2026" in response.content.decode()


def test_queries_do_not_grow_with_the_number_of_units(client, reported):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cqs.orgs.tests.factories import OrgUnitFactory

    client.force_login(reported.province_reviewer)
    client.get(DASHBOARD, YEAR)  # warm the per-process caches (content types, sessions)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DASHBOARD, YEAR).status_code == 200
        return len(queries)

    before = count()
    for number in range(5):
        commune = OrgUnitFactory(
            kind=reported.commune.kind, name=f"Xã Mới {number}", parent=reported.district2
        )
        report_put(reported.regime, commune, "202603", {"HS_NHAN": number})
    assert count() == before
