"""Filling a report from the platform: source-bound rows get the platform's count and a note."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cqs.core.exceptions import ServiceError
from cqs.onestop.choices import Channel
from cqs.reporting.choices import ReportAction, ValueSource
from cqs.reporting.models import DataValue, Indicator, ReportEvent
from cqs.reporting.services import reports as svc
from cqs.reporting.services.fill import report_fill_from_platform
from cqs.reporting.services.metadata import indicator_ensure
from cqs.reporting.tests.platform_records import dossier, procedure_version, vn

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 16, 9, tzinfo=TZ)


@pytest.fixture
def bound(land):
    """HS_NHAN bound to one-stop receipts; HS_TRUC_TUYEN (disaggregated) bound to online receipts,
    which a single count cannot split; a feedback row (no report received: zero)."""
    Indicator.objects.filter(code="HS_NHAN").update(source="onestop.received")
    Indicator.objects.filter(code="HS_TRUC_TUYEN").update(source="onestop.received_online")
    feedback = indicator_ensure(code="PAKN_NHAN", name="Số phản ánh, kiến nghị", source="feedback.received")
    land.version.rows.create(indicator=feedback, section="III. Khác", sort_order=9)
    version = procedure_version([land.commune])
    for day in (16, 20):
        dossier(version, unit=land.commune, by=land.commune_officer, received=vn(2026, 2, day, 9))
    dossier(
        version,
        unit=land.commune,
        by=land.commune_officer,
        received=vn(2026, 3, 2, 9),
        channel=Channel.ONLINE,
    )
    dossier(version, unit=land.commune, by=land.commune_officer, received=vn(2026, 3, 15, 9))
    return land


def open_report(land):
    return svc.report_open(
        actor=land.commune_officer, regime=land.regime, unit=land.commune, period="202603", now=NOW
    )


def test_given_source_rows_when_filled_then_default_cells_get_the_count_and_a_note(bound):
    report = open_report(bound)

    filled = report_fill_from_platform(actor=bound.commune_officer, report=report, now=NOW)

    assert filled == 2
    value = DataValue.objects.get(report=report, indicator__code="HS_NHAN")
    assert (value.value, value.source) == ("3", ValueSource.PLATFORM)
    assert value.source_note == "Một cửa: 3 hồ sơ tiếp nhận 15/02–14/03/2026"
    assert ReportEvent.objects.filter(report=report, action=ReportAction.FILLED).count() == 1


def test_given_a_disaggregated_source_then_its_cells_stay_empty(bound):
    report = open_report(bound)

    report_fill_from_platform(actor=bound.commune_officer, report=report, now=NOW)

    values = dict(DataValue.objects.filter(report=report).values_list("indicator__code", "value"))
    assert values == {"HS_NHAN": "3", "PAKN_NHAN": "0"}


def test_given_a_typed_value_when_filled_then_the_platform_value_replaces_it(bound):
    report = open_report(bound)
    svc.report_values_save(
        actor=bound.commune_officer, report=report, values={"HS_NHAN.default": "99"}, now=NOW
    )

    report_fill_from_platform(actor=bound.commune_officer, report=report, now=NOW)

    assert DataValue.objects.get(report=report, indicator__code="HS_NHAN").value == "3"


def test_given_another_units_officer_when_filling_then_refused_and_nothing_saved(bound):
    report = open_report(bound)

    with pytest.raises(ServiceError) as error:
        report_fill_from_platform(actor=bound.commune3_officer, report=report, now=NOW)

    assert error.value.error_code == "report_forbidden"
    assert not DataValue.objects.filter(report=report).exists()


def test_given_a_submitted_report_when_filling_then_refused(bound):
    report = open_report(bound)
    report_fill_from_platform(actor=bound.commune_officer, report=report, now=NOW)
    svc.report_submit(actor=bound.commune_officer, report=report, now=NOW)

    with pytest.raises(ServiceError) as error:
        report_fill_from_platform(actor=bound.commune_officer, report=report, now=NOW)

    assert error.value.error_code == "report_not_editable"


def test_given_a_locked_report_when_filling_then_refused(bound):
    report = open_report(bound)
    later = datetime.combine(report.lock_date, datetime.min.time(), tzinfo=TZ)

    with pytest.raises(ServiceError) as error:
        report_fill_from_platform(actor=bound.commune_officer, report=report, now=later)

    assert error.value.error_code == "period_locked"
