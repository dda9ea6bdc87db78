from datetime import date

import pytest
from django.urls import reverse

from cqs.accounts.tests.factories import UserFactory
from cqs.onestop.tests.factories import publish
from cqs.orgs.tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/procedures/"


@pytest.fixture
def catalogue():
    commune = OrgUnitFactory(name="Xã Tam Đảo", identifier="000.00.40.H44", valid_from=date(2025, 7, 1))
    birth = publish("1.000001", units=[commune])
    publish("1.000001", valid_from=date(2026, 1, 1), name="Đăng ký khai sinh (sửa đổi)", processing_time="1")
    publish(
        "2.000002",
        name="Cấp Phiếu lý lịch tư pháp",
        sector_code="LLTP",
        sector_name="Lý lịch tư pháp",
        levels=["tinh"],
        online_level="mot-phan",
    )
    return {"commune": commune, "birth": birth}


def test_anonymous_citizens_can_read_the_catalogue(client, catalogue):
    # when
    response = client.get(LIST, {"as_of": "2026-02-01"})

    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["code"], row["name"], row["version"]) for row in rows] == [
        ("1.000001", "Đăng ký khai sinh (sửa đổi)", 2),
        ("2.000002", "Cấp Phiếu lý lịch tư pháp", 1),
    ]
    assert rows[0]["unit_ids"] == [catalogue["commune"].pk]


def test_as_of_gives_the_version_in_force_that_day(client, catalogue):
    rows = client.get(LIST, {"as_of": "2025-12-31"}).json()["results"]
    assert rows[0]["name"] == "Đăng ký khai sinh" and rows[0]["valid_to"] == "2026-01-01"
    assert client.get(LIST, {"as_of": "2025-06-30"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"sector": "LLTP"}, ["2.000002"]),
        ({"level": "xa"}, ["1.000001"]),
        ({"level": "huyen"}, []),
        ({"online_level": "mot-phan"}, ["2.000002"]),
        ({"q": "lý lịch"}, ["2.000002"]),
        ({"q": "1.0000"}, ["1.000001"]),
    ],
)
def test_list_filters(client, catalogue, params, codes):
    rows = client.get(LIST, params).json()["results"]
    assert [row["code"] for row in rows] == codes


def test_filter_by_implementing_unit(client, catalogue):
    rows = client.get(LIST, {"unit": catalogue["commune"].pk}).json()["results"]
    assert [row["code"] for row in rows] == ["1.000001"]


def test_bad_filters_are_a_problem_not_a_500(client, catalogue):
    response = client.get(LIST, {"as_of": "31-02-2026", "level": "bo"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"as_of", "level"}


def test_detail_has_documents_fees_unit_codes_and_history(client, catalogue):
    # when
    response = client.get(reverse("onestop-api-procedure-detail", args=["1.000001"]), {"as_of": "2025-08-01"})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["processing_time"] == "3.00"
    assert body["fees"] == [{"kind": "le-phi", "code": "", "amount": 8000, "description": "Lệ phí"}]
    assert body["documents"][0]["form_url"] == "https://example.org/to-khai.docx"
    assert body["unit_codes"] == [
        {"unit_id": catalogue["commune"].pk, "unit_name": "Xã Tam Đảo", "code": "1.000001.000.00.40.H44"}
    ]
    assert [item["version"] for item in body["history"]] == [2, 1]


def test_detail_of_an_unknown_code_or_date_is_404(client, catalogue):
    assert client.get(reverse("onestop-api-procedure-detail", args=["9.999999"])).status_code == 404
    response = client.get(reverse("onestop-api-procedure-detail", args=["1.000001"]), {"as_of": "2020-01-01"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nobody_can_write_through_the_api(client, catalogue, method, signed_in):
    # given: anonymous, or an official signed in
    if signed_in:
        client.force_login(UserFactory())

    # when
    for url in (LIST, reverse("onestop-api-procedure-detail", args=["1.000001"])):
        response = getattr(client, method)(url, data={}, content_type="application/json")

        # then
        assert response.status_code == 405


def test_list_query_count_does_not_grow_with_the_catalogue(client, catalogue, django_assert_max_num_queries):
    for number in range(3, 23):
        publish(f"1.{number:06d}", units=[catalogue["commune"]])
    with django_assert_max_num_queries(4):
        response = client.get(LIST)
    assert response.json()["count"] == 22


def test_detail_query_count_is_fixed(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        response = client.get(reverse("onestop-api-procedure-detail", args=["1.000001"]))
    assert response.status_code == 200
