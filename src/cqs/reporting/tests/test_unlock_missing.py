"""A report a unit never started, after its lock date: the reviewer reopens it from the dashboard."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cqs.reporting.models import LockException, Report

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# March 2026: deadline 17/3, locked from 28/3.
LATE = datetime(2026, 4, 2, 9, tzinfo=TZ)


@pytest.fixture
def after_lock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: LATE)


def url(land, unit=None):
    unit = unit or land.commune
    return f"{reverse('reporting:unlock-missing')}?regime=BC_CNTT&unit={unit.pk}&period=202603"


def test_the_reviewer_opens_a_missing_locked_report_with_an_exception(client, land, after_lock):
    # given the district reviewer and a commune that never opened its March report
    client.force_login(land.district_reviewer)
    # when they unlock it until 10 April
    page = client.get(url(land))
    response = client.post(
        reverse("reporting:unlock-missing"),
        {
            "regime": "BC_CNTT",
            "unit": land.commune.pk,
            "period": "202603",
            "until": "2026-04-10",
            "reason": "Mất mạng",
        },
    )
    # then the report exists as a draft with a lock exception, and the officer can now open it
    assert page.status_code == 200 and "Mở khóa báo cáo chưa lập" in page.content.decode()
    report = Report.objects.get(regime=land.regime, unit=land.commune, period__iso="202603")
    assert response.status_code == 302 and response.url == reverse("reporting:report", args=[report.pk])
    assert LockException.objects.get(report=report).until == date(2026, 4, 10)
    client.force_login(land.commune_officer)
    assert client.get(reverse("reporting:report", args=[report.pk])).status_code == 200


def test_a_reporting_officer_may_not_unlock(client, land, after_lock):
    client.force_login(land.commune_officer)
    assert client.get(url(land)).status_code == 403
    assert not Report.objects.exists()


def test_another_districts_reviewer_may_not_unlock(client, land, after_lock):
    client.force_login(land.district2_reviewer)
    response = client.post(
        reverse("reporting:unlock-missing"),
        {
            "regime": "BC_CNTT",
            "unit": land.commune.pk,
            "period": "202603",
            "until": "2026-04-10",
            "reason": "x",
        },
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_date_in_the_past_is_refused_with_a_message(client, land, after_lock):
    client.force_login(land.district_reviewer)
    response = client.post(
        reverse("reporting:unlock-missing"),
        {
            "regime": "BC_CNTT",
            "unit": land.commune.pk,
            "period": "202603",
            "until": "2026-03-30",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert "Ngày mở khóa đến phải từ hôm nay trở đi." in response.content.decode()
    assert not Report.objects.exists()


def test_the_dashboard_links_a_missing_cell_to_the_unlock_page(client, land, after_lock):
    client.force_login(land.district_reviewer)
    response = client.get(
        reverse("reporting:dashboard"), {"regime": "BC_CNTT", "year": "2026", "unit": land.district.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"unit={land.commune.pk}&amp;period=202603" in page
