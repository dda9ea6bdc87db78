"""Reporting rates: expected, actual, on time, missing, not yet due, rolled up the tree."""

from datetime import date
from decimal import Decimal

from cqs.orgs.models import OrgUnit
from cqs.orgs.services import Merge, NewUnit
from cqs.reporting.choices import ReportStatus
from cqs.reporting.rates import METRICS, CellState, reporting_rates
from cqs.reporting.tests.rollup_data import reorganise, report_put

# March 2026: data until Sat 14/3, deadline Tue 17/3.
AFTER_DEADLINE = date(2026, 3, 20)
BEFORE_DEADLINE = date(2026, 3, 16)


def march(land, today, **kwargs):
    return reporting_rates(
        regime=land.regime, periods=["202603"], root=land.province, as_of=today, today=today, **kwargs
    )


def given_a_month_of_reports(land):
    """commune on time, commune2 late, commune3 returned, department a draft, districts nothing."""
    report_put(land.regime, land.commune, "202603")
    report_put(land.regime, land.commune2, "202603", late=True)
    report_put(land.regime, land.commune3, "202603", status=ReportStatus.RETURNED)
    report_put(land.regime, land.department, "202603", status=ReportStatus.DRAFT)


def test_province_counts_every_assigned_unit(land):
    given_a_month_of_reports(land)
    rates = march(land, AFTER_DEADLINE)
    # department, two districts, three communes are assigned; two reports are sent, one on time
    assert rates.row(land.province, "202603").metrics() == {
        "EXPECTED_REPORTS": 6,
        "ACTUAL_REPORTS": 2,
        "ACTUAL_REPORTS_ON_TIME": 1,
        "REPORTING_RATE": Decimal("33.33"),
        "REPORTING_RATE_ON_TIME": Decimal("16.67"),
    }
    assert tuple(rates.row(land.province, "202603").metrics()) == METRICS


def test_a_district_rate_covers_its_communes_and_its_own_report(land):
    given_a_month_of_reports(land)
    rates = march(land, AFTER_DEADLINE)
    district = rates.row(land.district, "202603")
    assert (district.expected, district.actual, district.actual_on_time, district.missing) == (3, 2, 1, 1)
    assert district.reporting_rate == Decimal("66.67")
    assert rates.row(land.district2, "202603").reporting_rate == 0


def test_each_unit_gets_the_state_of_its_own_report(land):
    given_a_month_of_reports(land)
    rates = march(land, AFTER_DEADLINE)
    assert rates.own(land.commune, "202603").state == CellState.ON_TIME
    assert rates.own(land.commune2, "202603").state == CellState.LATE
    # returned and draft reports are not sent: missing once the deadline has passed
    assert rates.own(land.commune3, "202603").state == CellState.MISSING
    assert rates.own(land.department, "202603").state == CellState.MISSING
    assert rates.own(land.district, "202603").state == CellState.MISSING
    assert rates.own(land.province, "202603").state == CellState.NONE
    assert len(rates.reports(land.commune3, "202603")) == 1


def test_before_the_deadline_a_unit_without_report_is_not_due_yet(land):
    report_put(land.regime, land.commune, "202603")
    rates = march(land, BEFORE_DEADLINE)
    assert rates.own(land.commune2, "202603").state == CellState.NOT_DUE
    province = rates.row(land.province, "202603")
    assert (province.expected, province.actual, province.not_due, province.missing) == (6, 1, 5, 0)
    assert rates.deadlines["202603"] == date(2026, 3, 17)


def test_totals_over_periods_add_the_months(land):
    report_put(land.regime, land.commune, "202602")
    report_put(land.regime, land.commune, "202603", late=True)
    rates = reporting_rates(
        regime=land.regime, periods=["202602", "202603"], root=land.district, today=AFTER_DEADLINE
    )
    total = rates.total(land.commune)
    assert (total.expected, total.actual, total.actual_on_time) == (2, 2, 1)
    assert rates.total(land.district).expected == 6
    assert [spec.iso for spec in rates.periods] == ["202602", "202603"]


def test_a_regime_not_in_force_expects_nothing(land):
    rates = reporting_rates(regime=land.regime, periods=["201912"], root=land.province, today=AFTER_DEADLINE)
    assert rates.row(land.province, "201912").expected == 0
    assert rates.row(land.province, "201912").reporting_rate is None


def test_reports_of_merged_communes_count_for_their_successor(land):
    # given March 2025: commune on time, commune2 nothing; the two merge on 1 July 2025
    report_put(land.regime, land.commune, "202503")
    reorganise(
        date(2025, 7, 1),
        merges=[
            Merge(
                predecessors=[land.commune, land.commune2],
                successor=NewUnit(kind="xa", name="Xã Một Hai", parent=land.district),
            )
        ],
    )
    merged = OrgUnit.objects.get(name="Xã Một Hai")
    rates = reporting_rates(
        regime=land.regime,
        periods=["202503"],
        root=land.province,
        as_of=date(2026, 1, 1),
        today=AFTER_DEADLINE,
    )
    # then the new commune answers for both old ones: one of two sent
    own = rates.own(merged, "202503")
    assert (own.expected, own.actual, own.state) == (2, 1, CellState.MISSING)
    assert rates.row(land.district, "202503").expected == 3
