"""Statistics pages, Excel files and API: access both ways, the numbers, the drill-down."""

import io
import re
from datetime import date

import pytest
from django.urls import reverse

from cqs.onestop.choices import Channel, DossierStatus
from cqs.onestop.statistics import dossier_statistics
from cqs.onestop.tests.test_statistics import DUE, dossier, vn
from cqs.onestop.views_stats import COLUMNS

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def province_leader(desk):
    from cqs.accounts.models import Role
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory

    user = OfficialFactory(username="lanhdao.tinh", official_profile__unit=desk.province)
    RoleGrantFactory(user=user, role=Role.objects.get(code="lanh-dao"), unit=desk.province)
    return user


@pytest.fixture
def march(desk):
    """Dossiers of March 2026 at both communes: early, late, in progress, online and paid."""
    made = {
        "early": dossier(
            desk,
            received=vn(2026, 3, 2, 9),
            due=vn(*DUE),
            completed_at=vn(2026, 3, 9, 9),
            channel=Channel.ONLINE,
            fee_total=8000,
            paid_online=True,
        ),
        "late": dossier(desk, received=vn(2026, 3, 2, 9), due=vn(*DUE), completed_at=vn(2026, 3, 12, 9)),
        "open": dossier(desk, received=vn(2026, 3, 20, 9), due=vn(2026, 3, 25, 9)),
        "other": dossier(
            desk, unit=desk.other, received=vn(2026, 3, 3, 9), due=vn(*DUE), completed_at=vn(2026, 3, 10, 9)
        ),
    }
    return made


def login(client, user):
    client.force_login(user)
    return client


def stats_url(name="onestop:stats"):
    return reverse(name)


def column(html: str, name: str) -> list[str]:
    """The values of one column, in row order (the total last)."""
    return re.findall(rf'<td[^>]*data-column="{name}">(?:<a href="[^"]*">)?([^<]*)<', html)


# --- access ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(stats_url(), MARCH)

    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    "name", ["onestop:stats", "onestop:stats-dossiers", "onestop:stats-excel", "onestop:stats-register"]
)
def test_a_user_without_a_view_dossier_grant_is_refused_every_page(client, desk, name):
    response = login(client, desk.stranger).get(reverse(name), MARCH | {"bucket": "received_new"})

    assert response.status_code == 403


def test_a_unit_outside_the_grants_is_refused(client, desk, march):
    client = login(client, desk.other_officer)

    assert client.get(stats_url(), MARCH | {"unit": desk.unit.pk}).status_code == 403
    assert client.get(stats_url("onestop:stats-excel"), MARCH | {"unit": desk.unit.pk}).status_code == 403
    query = MARCH | {"unit": desk.unit.pk, "bucket": "processed"}
    dossiers = client.get(stats_url("onestop:stats-dossiers"), query)
    assert dossiers.status_code == 403


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_leaders_unit_with_its_numbers_and_chart(client, desk, march):
    # when
    response = login(client, desk.leader).get(stats_url(), MARCH)

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-unit="{desk.unit.pk}"' in html and f'data-unit="{desk.other.pk}"' not in html
    assert column(html, "processed") == ["2", "2"]  # the row and the total
    assert column(html, "on_time_rate") == ["50,00", "50,00"]
    assert column(html, "online_payment_share") == ["100,00", "100,00"]
    assert 'id="stats-chart-data" type="application/json"' in html
    assert "vendor/chart.js/dist/chart.umd.min.js" in html
    # the CSP allows no inline script: every <script> has a src or holds JSON data
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag


def test_the_period_defaults_to_this_year_so_far(client, desk):
    from django.utils import timezone

    response = login(client, desk.leader).get(stats_url())

    report = response.context["report"]
    today = timezone.localdate()
    assert (report.date_from, report.date_to) == (date(today.year, 1, 1), today)


def test_a_reversed_period_shows_an_error_and_no_table(client, desk):
    response = login(client, desk.leader).get(stats_url(), {"from": "2026-03-31", "to": "2026-03-01"})

    assert response.status_code == 400
    assert 'id="stats-errors"' in response.content.decode()
    assert response.context["report"] is None


def test_the_province_drills_down_to_its_communes(client, desk, march, province_leader):
    client = login(client, province_leader)

    # given the top page: the province, linking to its own breakdown
    top = client.get(stats_url(), MARCH).content.decode()
    assert f'href="/onestop/thong-ke/?from=2026-03-01&amp;to=2026-03-31&amp;unit={desk.province.pk}"' in top

    # when
    html = client.get(stats_url(), MARCH | {"unit": desk.province.pk}).content.decode()

    # then: one row per commune, and the total
    assert f'data-unit="{desk.unit.pk}"' in html and f'data-unit="{desk.other.pk}"' in html
    assert sorted(column(html, "processed")) == ["1", "2", "3"]
    assert 'href="/onestop/thong-ke/?from=2026-03-01&amp;to=2026-03-31" id="stats-up"' in html


def test_a_number_links_to_exactly_the_dossiers_it_counts(client, desk, march):
    client = login(client, desk.leader)
    html = client.get(stats_url(), MARCH).content.decode()
    link = re.search(r'data-column="processed_late"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")

    # when
    listing = client.get(link).content.decode()

    # then
    assert re.findall(r'<tr data-code="([^"]+)"', listing) == [march["late"].code]
    assert "Quá hạn" in listing


def test_the_drill_down_refuses_an_unknown_bucket(client, desk):
    response = login(client, desk.leader).get(stats_url("onestop:stats-dossiers"), MARCH | {"bucket": "moi"})

    assert response.status_code == 400


def test_the_page_makes_a_fixed_number_of_queries_whatever_the_units(
    client, desk, march, province_leader, django_assert_max_num_queries
):
    from cqs.orgs.tests.factories import OrgUnitFactory

    client = login(client, province_leader)
    for n in range(15):
        unit = OrgUnitFactory(parent=desk.province, name=f"Xã Thêm {n}")
        dossier(desk, unit=unit, received=vn(2026, 3, 4, 9), due=vn(*DUE))

    # session, user, grants (middleware and menu), the unit, the units below it, one aggregate
    with django_assert_max_num_queries(8):
        response = client.get(stats_url(), MARCH | {"unit": desk.province.pk})

    assert response.status_code == 200
    assert len(response.context["report"].rows) == 17


# --- Excel -----------------------------------------------------------------------------------


def test_the_excel_table_has_the_pages_numbers_and_a_formulas_sheet(client, desk, march):
    from openpyxl import load_workbook

    # when
    response = login(client, desk.leader).get(stats_url("onestop:stats-excel"), MARCH)

    # then
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="thong-ke-ho-so-20260301-20260331.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Thống kê"]
    assert [cell.value for cell in sheet[5]][1:] == [str(header) for _group, _name, header in COLUMNS]
    names = [name for _group, name, _header in COLUMNS]
    rows = {
        row[0]: dict(zip(names, row[1:], strict=True)) for row in sheet.iter_rows(min_row=6, values_only=True)
    }
    assert rows[desk.unit.name]["processed"] == 2
    assert rows["Tổng cộng"]["on_time_rate"] == 50.0
    assert rows["Tổng cộng"]["received_new"] == 3
    assert rows["Tổng cộng"]["in_progress_overdue"] == 1
    formulas = [row for row in book["Công thức"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert any("QĐ 766" in (row[2] or "") for row in formulas)


def test_the_register_lists_the_dossiers_without_personal_numbers(client, desk, march):
    from openpyxl import load_workbook

    march["open"].applicant_cccd = "026090001234"
    march["open"].applicant_phone = "0912345678"
    march["open"].save()

    response = login(client, desk.leader).get(stats_url("onestop:stats-register"), MARCH)

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["Sổ theo dõi hồ sơ"]
    values = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in values] == [march["early"].code, march["late"].code, march["open"].code]
    assert values[0][11] == "Trước hạn" and values[1][11] == "Quá hạn"
    assert values[2][11].startswith("Đang giải quyết")
    text = repr(list(sheet.iter_rows(values_only=True)))
    assert "026090001234" not in text and "0912345678" not in text


# --- API -------------------------------------------------------------------------------------


def test_the_api_returns_the_same_numbers_as_the_page(client, desk, march, province_leader):
    client = login(client, province_leader)
    query = MARCH | {"unit": desk.province.pk}

    # when
    body = client.get(reverse("onestop-api-statistics-dossiers"), query).json()
    page = client.get(stats_url(), query).context["report"]

    # then
    assert [row["unit_id"] for row in body["rows"]] == [row.unit_id for row in page.rows]
    for api_row, page_row in zip(body["rows"], page.rows, strict=True):
        assert api_row["processed_late"] == page_row.processed_late
        assert api_row["in_progress_overdue"] == page_row.in_progress_overdue
    assert body["total"]["processed"] == page.total.processed == 3
    assert body["total"]["on_time_rate"] == 66.67
    assert body["unit"] == {"id": desk.province.pk, "name": desk.province.name}


def test_the_api_answers_bad_dates_with_a_problem(client, desk):
    url = reverse("onestop-api-statistics-dossiers")

    response = login(client, desk.leader).get(url, {"from": "31/13/2026"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid" and "from" in response.json()["errors"]


def test_the_api_refuses_users_and_units_outside_the_grants(client, desk):
    url = reverse("onestop-api-statistics-dossiers")

    assert login(client, desk.stranger).get(url, MARCH).status_code == 403
    refused = login(client, desk.other_officer).get(url, MARCH | {"unit": desk.unit.pk})
    assert refused.status_code == 403 and refused.json()["code"] == "stats_unit_forbidden"
    assert client.get(url, MARCH | {"unit": 999999}).status_code == 404


def test_the_api_is_for_signed_in_users(client):
    assert client.get(reverse("onestop-api-statistics-dossiers"), MARCH).status_code in (401, 403)


def test_refused_dossiers_of_the_period_appear_in_the_api(client, desk):
    dossier(desk, received=None, status=DossierStatus.REFUSED, ended_at=vn(2026, 3, 5, 9))

    body = login(client, desk.leader).get(reverse("onestop-api-statistics-dossiers"), MARCH).json()

    assert body["total"]["refused"] == 1
    report = dossier_statistics(user=desk.leader, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert report.total.refused == 1
