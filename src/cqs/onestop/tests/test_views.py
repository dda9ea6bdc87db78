from datetime import date

import pytest
from django.urls import reverse

from cqs.onestop.templatetags.onestop_tags import vnd
from cqs.onestop.tests.factories import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    publish("1.000001", fees=[{"kind": "le-phi", "amount": 50000, "description": "Lệ phí đăng ký"}])
    publish("1.000001", valid_from=date(2026, 1, 1), processing_time="0.5", fees=[])
    publish(
        "2.000002", name="Cấp Phiếu lý lịch tư pháp", levels=["tinh"], sector_code="LLTP", sector_name="LLTP"
    )


def test_the_list_is_public_and_searchable(client, catalogue):
    # when: anonymous
    html = client.get(reverse("onestop:procedure-list"), {"q": "lý lịch"}).content.decode()

    # then
    assert 'data-code="2.000002"' in html
    assert 'data-code="1.000001"' not in html


def test_a_bad_filter_shows_a_warning_and_the_whole_catalogue(client, catalogue):
    html = client.get(reverse("onestop:procedure-list"), {"as_of": "hôm qua"}).content.decode()
    assert 'id="filter-errors"' in html
    assert 'data-code="1.000001"' in html and 'data-code="2.000002"' in html


def test_detail_shows_fees_in_dong_time_and_history(client, catalogue):
    # when
    response = client.get(reverse("onestop:procedure-detail", args=["1.000001"]), {"as_of": "2025-09-01"})

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "50.000 đ" in html
    assert "3 ngày làm việc" in html
    history = html[html.index('id="history"') :]
    assert "Phiên bản 2, từ 01/01/2026" in history and "Phiên bản 1, từ 01/07/2025" in history


def test_detail_today_shows_the_current_version(client, catalogue):
    html = client.get(reverse("onestop:procedure-detail", args=["1.000001"])).content.decode()
    assert "0,5 ngày làm việc" in html
    assert "Không thu phí, lệ phí." in html


def test_unknown_procedure_is_404(client, catalogue):
    assert client.get(reverse("onestop:procedure-detail", args=["9.999999"])).status_code == 404


def test_amounts_are_grouped_with_dots():
    assert vnd(1200000) == "1.200.000 đ"
    assert vnd(0) == "0 đ"
