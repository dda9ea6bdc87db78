"""Roll-up through the tree of a date: sums, averages, other aggregations, successors."""

from datetime import date
from decimal import Decimal

import pytest

from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.orgs.services import Dissolution, Merge, Move, NewUnit, Split
from cqs.reporting.choices import PeriodType, ReportStatus
from cqs.reporting.models import CategoryOptionCombo, Indicator
from cqs.reporting.rollup import rollup
from cqs.reporting.services.metadata import (
    AssignmentSpec,
    RegimeSpec,
    indicator_ensure,
    regime_version_create,
)
from cqs.reporting.tests.rollup_data import reorganise, report_put

AFTER = date(2026, 4, 1)
CHANGE = date(2025, 7, 1)


def code(value: str) -> Indicator:
    return Indicator.objects.get(code=value)


def year_2026(land, **kwargs):
    return rollup(regime=land.regime, root=land.province, as_of=AFTER, **kwargs)


def test_sum_adds_every_reporting_unit_of_the_subtree(land):
    # given three communes and a district (its own report) with submitted numbers
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 10})
    report_put(land.regime, land.commune2, "202603", {"HS_NHAN": 20})
    report_put(land.regime, land.district, "202603", {"HS_NHAN": 5})
    report_put(land.regime, land.commune3, "202603", {"HS_NHAN": 7})
    # when the month is rolled up
    result = year_2026(land, periods=["202603"])
    # then each unit counts its subtree, itself included, and the province everything
    hs = code("HS_NHAN")
    assert result.value(hs, land.commune, "202603") == 10
    assert result.value(hs, land.district, "202603") == 35
    assert result.value(hs, land.district2, "202603") == 7
    assert result.value(hs, land.province, "202603") == 42
    assert result.value(hs, land.department, "202603") is None


def test_rollup_asks_a_fixed_number_of_queries(land, django_assert_num_queries):
    from django.db import connection

    for unit in (land.commune, land.commune2, land.commune3, land.district):
        report_put(land.regime, unit, "202603", {"HS_NHAN": 1, "TY_LE_KY_SO": 50})
    # tree, periods, reports, indicators, the grouped values, the leaves' values; on PostgreSQL
    # each of the last two inside a savepoint that sets work_mem (three more each)
    with django_assert_num_queries(6 if connection.vendor != "postgresql" else 12):
        year_2026(land, periods=["202603"])


def test_average_is_the_mean_of_the_reporting_units(land):
    report_put(land.regime, land.commune, "202603", {"TY_LE_KY_SO": 80})
    report_put(land.regime, land.commune2, "202603", {"TY_LE_KY_SO": 90})
    report_put(land.regime, land.commune3, "202603", {"TY_LE_KY_SO": 70})
    result = year_2026(land, periods=["202603"])
    rate = code("TY_LE_KY_SO")
    assert result.value(rate, land.district, "202603") == 85
    assert result.value(rate, land.province, "202603") == 80


def test_a_disaggregated_indicator_gives_each_cell_and_their_total(land):
    report_put(
        land.regime, land.commune, "202603", {"HS_TRUC_TUYEN.MOT_PHAN": 3, "HS_TRUC_TUYEN.TOAN_TRINH": 4}
    )
    report_put(land.regime, land.commune2, "202603", {"HS_TRUC_TUYEN.TOAN_TRINH": 6})
    result = year_2026(land, periods=["202603"])
    online, full = code("HS_TRUC_TUYEN"), CategoryOptionCombo.objects.get(code="TOAN_TRINH")
    assert result.value(online, land.district, "202603", full) == 10
    assert result.value(online, land.district, "202603") == 13


def test_over_periods_sum_adds_and_average_averages(land):
    report_put(land.regime, land.commune, "202601", {"HS_NHAN": 10, "TY_LE_KY_SO": 60})
    report_put(land.regime, land.commune, "202602", {"HS_NHAN": 15, "TY_LE_KY_SO": 90})
    report_put(land.regime, land.commune2, "202602", {"HS_NHAN": 5, "TY_LE_KY_SO": 70})
    result = year_2026(land, periods=["202602", "202601", "202603"])
    assert result.periods == ["202601", "202602", "202603"]
    assert result.series(code("HS_NHAN"), land.district) == [10, 20, None]
    assert result.total(code("HS_NHAN"), land.district) == 30
    # January 60, February (90 + 70) / 2 = 80: the year averages the two months
    assert result.total(code("TY_LE_KY_SO"), land.district) == 70


def test_only_submitted_and_approved_reports_count_unless_asked(land):
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 10}, status=ReportStatus.APPROVED)
    report_put(land.regime, land.commune2, "202603", {"HS_NHAN": 20}, status=ReportStatus.DRAFT)
    report_put(land.regime, land.commune3, "202603", {"HS_NHAN": 40}, status=ReportStatus.RETURNED)
    assert year_2026(land, periods=["202603"]).value(code("HS_NHAN"), land.province, "202603") == 10
    everything = year_2026(land, periods=["202603"], statuses=list(ReportStatus.values))
    assert everything.value(code("HS_NHAN"), land.province, "202603") == 70


def test_text_values_are_not_rolled_up(land):
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 1, "GHI_CHU": "Thiếu máy tính"})
    result = year_2026(land, periods=["202603"])
    assert result.value(code("GHI_CHU"), land.commune, "202603") is None
    assert code("GHI_CHU").pk not in result.indicators


@pytest.fixture
def stock_regime(land):
    """A regime of a maximum, a minimum, a stock (LAST) and a code (NONE) reported by communes."""
    indicator_ensure(code="MAX_NGAY", name="Số ngày xử lý dài nhất", aggregation="MAX")
    indicator_ensure(code="MIN_NGAY", name="Số ngày xử lý ngắn nhất", aggregation="MIN")
    indicator_ensure(code="SO_MAY", name="Số máy tính đang dùng", aggregation="LAST")
    indicator_ensure(code="MA_SO", name="Mã số đơn vị tự đặt", aggregation="NONE")
    version = regime_version_create(
        spec=RegimeSpec(
            code="BC_TAI_SAN",
            name="Báo cáo tài sản CNTT",
            legal_basis="Thử",
            content="Thử",
            receiver=land.province,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2020, 1, 1),
            rows=[
                ("MAX_NGAY", "", False),
                ("MIN_NGAY", "", False),
                ("SO_MAY", "", False),
                ("MA_SO", "", False),
            ],
            assignments=[AssignmentSpec(kind="xa")],
        )
    )
    return version.regime


def test_max_min_last_and_none(land, stock_regime):
    # given two communes over two months; the second sends nothing in February
    put = report_put
    put(stock_regime, land.commune, "202601", {"MAX_NGAY": 4, "MIN_NGAY": 2, "SO_MAY": 5, "MA_SO": 12})
    put(stock_regime, land.commune, "202602", {"MAX_NGAY": 9, "MIN_NGAY": 3, "SO_MAY": 8})
    put(stock_regime, land.commune2, "202601", {"MAX_NGAY": 6, "MIN_NGAY": 1, "SO_MAY": 3})
    result = rollup(regime=stock_regime, periods=["202601", "202602"], root=land.province, as_of=AFTER)
    district = land.district
    # then MAX and MIN take the extreme unit, then the extreme month
    assert result.series(code("MAX_NGAY"), district) == [6, 9]
    assert result.total(code("MAX_NGAY"), district) == 9
    assert result.total(code("MIN_NGAY"), district) == 1
    # LAST sums units in a month, and over months takes each unit's last value: 8 + 3
    assert result.series(code("SO_MAY"), district) == [8, 8]
    assert result.total(code("SO_MAY"), district) == 11
    # NONE is the unit's own value, never added up
    assert result.value(code("MA_SO"), land.commune, "202601") == 12
    assert result.value(code("MA_SO"), district, "202601") is None
    assert result.total(code("MA_SO"), land.commune) is None


def test_indicators_limit_the_result(land):
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 10, "TY_LE_KY_SO": 50})
    result = year_2026(land, periods=["202603"], indicators=[code("TY_LE_KY_SO")])
    assert set(result.indicators) == {code("TY_LE_KY_SO").pk}
    assert result.value(code("TY_LE_KY_SO"), land.province, "202603") == 50


# --- the tree of another date ----------------------------------------------------------------


def test_values_of_merged_communes_count_for_their_successor(land):
    # given two communes reporting in March 2025, merged into a new commune on 1 July 2025
    report_put(land.regime, land.commune, "202503", {"HS_NHAN": 10})
    report_put(land.regime, land.commune2, "202503", {"HS_NHAN": 20})
    report_put(land.regime, land.district, "202503", {"HS_NHAN": 5})
    reorganise(
        CHANGE,
        merges=[
            Merge(
                predecessors=[land.commune, land.commune2],
                successor=NewUnit(kind="xa", name="Xã Một Hai", parent=land.district),
            )
        ],
    )
    merged = OrgUnit.objects.get(name="Xã Một Hai")
    hs = code("HS_NHAN")
    # when March 2025 is rolled up in today's tree, then the new commune holds both values
    today = rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=AFTER)
    assert [unit.name for unit in today.children(land.district)] == ["Xã Một Hai"]
    assert today.value(hs, merged, "202503") == 30
    assert today.value(hs, land.district, "202503") == 35
    assert today.attribution.moved == {land.commune.pk: merged.pk, land.commune2.pk: merged.pk}
    # and in the tree of the day before the merger, the old communes are there as reported
    before = rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=date(2025, 6, 30))
    assert before.value(hs, land.commune, "202503") == 10
    assert before.value(hs, land.district, "202503") == 35


def test_a_split_commune_counts_once_for_its_first_successor(land):
    report_put(land.regime, land.commune3, "202503", {"HS_NHAN": 7, "TY_LE_KY_SO": 40})
    reorganise(
        CHANGE,
        splits=[
            Split(
                predecessor=land.commune3,
                successors=[
                    NewUnit(kind="xa", name="Xã Ba Nam", parent=land.district2),
                    NewUnit(kind="xa", name="Xã Ba Bắc", parent=land.district2),
                ],
            )
        ],
    )
    result = rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=AFTER)
    north, south = OrgUnit.objects.get(name="Xã Ba Bắc"), OrgUnit.objects.get(name="Xã Ba Nam")
    assert result.value(code("HS_NHAN"), north, "202503") == 7
    assert result.value(code("HS_NHAN"), south, "202503") is None
    assert result.value(code("HS_NHAN"), land.district2, "202503") == 7
    assert result.value(code("TY_LE_KY_SO"), land.province, "202503") == 40


def test_a_moved_commune_counts_under_its_new_district(land):
    report_put(land.regime, land.commune3, "202503", {"HS_NHAN": 7})
    reorganise(CHANGE, moves=[Move(unit=land.commune3, new_parent=land.district)])
    result = rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=AFTER)
    assert result.value(code("HS_NHAN"), land.district, "202503") == 7
    assert result.value(code("HS_NHAN"), land.district2, "202503") is None
    assert result.value(code("HS_NHAN"), land.province, "202503") == 7


def test_values_of_a_unit_dissolved_without_successor_are_left_out_and_listed(land):
    report_put(land.regime, land.department, "202503", {"HS_NHAN": 9})
    report_put(land.regime, land.commune, "202503", {"HS_NHAN": 1})
    reorganise(CHANGE, dissolutions=[Dissolution(unit=land.department)])
    result = rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=AFTER)
    assert result.value(code("HS_NHAN"), land.province, "202503") == 1
    assert result.unattributed == [land.department.pk]


def test_a_root_not_in_force_on_the_date_is_refused(land):
    with pytest.raises(ServiceError) as error:
        rollup(regime=land.regime, periods=["202503"], root=land.province, as_of=date(1999, 1, 1))
    assert error.value.error_code == "unit_not_in_force"


def test_decimals_are_kept(land):
    report_put(land.regime, land.commune, "202603", {"TY_LE_KY_SO": Decimal("33.5")})
    report_put(land.regime, land.commune2, "202603", {"TY_LE_KY_SO": Decimal("66.25")})
    result = year_2026(land, periods=["202603"])
    assert result.value(code("TY_LE_KY_SO"), land.district, "202603") == Decimal("49.875")


def test_depth_one_gives_the_root_and_its_children_with_everything_below_counted(land):
    report_put(land.regime, land.commune, "202603", {"HS_NHAN": 10})
    report_put(land.regime, land.commune2, "202603", {"HS_NHAN": 20})
    result = year_2026(land, periods=["202603"], depth=1)
    hs = code("HS_NHAN")
    assert [unit.name for unit in result.children(land.province)] == [
        "Sở Thông tin và Truyền thông",
        "Huyện Khác",
        "Huyện Thử",
    ]
    assert result.children(land.district) == []
    assert result.value(hs, land.district, "202603") == 30
    assert result.value(hs, land.commune, "202603") is None
    assert result.value(hs, land.province, "202603") == 30
