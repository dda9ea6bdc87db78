"""The report's life: open, draft, check, submit (late or on time), return, approve, lock."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cqs.core.exceptions import ServiceError
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import DataValue, ReportEvent
from cqs.reporting.services import reports as svc

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=TZ)


def test_open_sets_window_deadline_reviewer(land):
    report = svc.report_open(
        actor=land.commune_officer,
        regime=land.regime,
        unit=land.commune,
        period="202603",
        now=at(2026, 3, 10),
    )
    assert (report.window_start, report.window_end) == (date(2026, 2, 15), date(2026, 3, 14))
    # 14/3/2026 is a Saturday: two working days after it are Tue 17/3.
    assert report.deadline == date(2026, 3, 17)
    assert report.lock_date == date(2026, 3, 28)
    assert report.reviewer_unit == land.district
    district_report = svc.report_open(
        actor=land.district_officer,
        regime=land.regime,
        unit=land.district,
        period="202603",
        now=at(2026, 3, 10),
    )
    assert district_report.reviewer_unit == land.province


def test_unassigned_unit_and_wrong_period_refused(land):
    with pytest.raises(ServiceError) as error:
        svc.report_open(
            actor=land.province_reviewer,
            regime=land.regime,
            unit=land.province,
            period="202603",
            now=at(2026, 3, 10),
        )
    assert error.value.error_code == "unit_not_assigned"
    with pytest.raises(ServiceError) as error:
        svc.report_open(
            actor=land.commune_officer,
            regime=land.regime,
            unit=land.commune,
            period="2026Q1",
            now=at(2026, 3, 10),
        )
    assert error.value.error_code == "period_type_mismatch"
    with pytest.raises(ServiceError) as error:
        svc.report_open(
            actor=land.commune_officer,
            regime=land.regime,
            unit=land.commune3,
            period="202603",
            now=at(2026, 3, 10),
        )
    assert error.value.error_code == "report_forbidden"


def test_invalid_cell_saves_nothing(land):
    report = svc.report_open(
        actor=land.commune_officer,
        regime=land.regime,
        unit=land.commune,
        period="202603",
        now=at(2026, 3, 10),
    )
    with pytest.raises(ServiceError) as error:
        svc.report_values_save(
            actor=land.commune_officer,
            report=report,
            values={"HS_NHAN.default": "120", "TY_LE_KY_SO.default": "140"},
            now=at(2026, 3, 10),
        )
    assert error.value.error_code == "invalid_values"
    assert "TY_LE_KY_SO.default" in error.value.details
    assert not DataValue.objects.filter(report=report).exists()


def test_rule_blocks_then_submit_late_then_return_then_approve(land):
    officer = land.commune_officer
    report = svc.report_open(
        actor=officer, regime=land.regime, unit=land.commune, period="202603", now=at(2026, 3, 10)
    )
    svc.report_values_save(
        actor=officer,
        report=report,
        values={"HS_NHAN.default": "100", "HS_TRUC_TUYEN.MOT_PHAN": "70", "HS_TRUC_TUYEN.TOAN_TRINH": "50"},
        now=at(2026, 3, 10),
    )
    with pytest.raises(ServiceError) as error:
        svc.report_submit(actor=officer, report=report, now=at(2026, 3, 12))
    assert error.value.error_code == "validation_failed"
    svc.report_values_save(
        actor=officer, report=report, values={"HS_TRUC_TUYEN.TOAN_TRINH": "20"}, now=at(2026, 3, 12)
    )
    report = svc.report_submit(actor=officer, report=report, now=at(2026, 3, 19))
    assert report.status == ReportStatus.SUBMITTED and report.late
    # The other district's reviewer may not decide; the commune's own district may.
    with pytest.raises(ServiceError):
        svc.report_approve(actor=land.district2_reviewer, report=report)
    report = svc.report_return(actor=land.district_reviewer, report=report, reason="Thiếu thuyết minh")
    assert report.status == ReportStatus.RETURNED
    svc.report_values_save(
        actor=officer, report=report, values={}, outline_text="1. Kết quả: tốt", now=at(2026, 3, 20)
    )
    svc.report_submit(actor=officer, report=report, now=at(2026, 3, 20))
    report = svc.report_approve(actor=land.district_reviewer, report=report)
    assert report.status == ReportStatus.APPROVED
    assert report.signed_pdf.name.endswith(".pdf")
    actions = list(ReportEvent.objects.filter(report=report).values_list("action", flat=True))
    assert actions[0] == "created" and actions[-2:] == ["approved", "signed"]
    with pytest.raises(ServiceError) as error:
        svc.report_values_save(
            actor=officer, report=report, values={"HS_NHAN.default": "1"}, now=at(2026, 3, 21)
        )
    assert error.value.error_code == "report_not_editable"


def test_lock_and_exception(land):
    officer = land.commune_officer
    report = svc.report_open(
        actor=officer, regime=land.regime, unit=land.commune, period="202603", now=at(2026, 3, 10)
    )
    with pytest.raises(ServiceError) as error:
        svc.report_values_save(
            actor=officer, report=report, values={"HS_NHAN.default": "5"}, now=at(2026, 3, 28)
        )
    assert error.value.error_code == "period_locked"
    with pytest.raises(ServiceError):
        svc.lock_exception_grant(
            actor=land.commune_officer,
            report=report,
            until=date(2026, 3, 30),
            reason="x",
            now=at(2026, 3, 28),
        )
    svc.lock_exception_grant(
        actor=land.district_reviewer,
        report=report,
        until=date(2026, 3, 30),
        reason="Mất điện",
        now=at(2026, 3, 28),
    )
    svc.report_values_save(actor=officer, report=report, values={"HS_NHAN.default": "5"}, now=at(2026, 3, 28))
    assert DataValue.objects.get(report=report).number == 5
