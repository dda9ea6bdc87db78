from datetime import date

import pytest

from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
from cqs.plans import selectors
from cqs.plans.tests.factories import PlanFactory, ProjectFactory, TargetAreaFactory, TargetFactory

ON = date(2021, 12, 31)


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("Sở Giao thông VT", "Sở Giao thông vận tải"),
        ("Sở Lao động, Thương binh và XH", "Sở Lao động – Thương binh và Xã hội"),
        ("Sở Nông nghiệp và PTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
        ("Bộ chỉ huy Quân sự", "Bộ Chỉ huy Quân sự tỉnh"),
        ("Hội liên hiệp Phụ nữ tỉnh", "Hội Liên hiệp Phụ nữ tỉnh"),
        ("Sở Văn hóa, Thể thao và Du lịch", "Sở Văn hoá – Thể thao và Du lịch"),
        ("Văn phòng UBND tỉnh", "Văn phòng Ủy ban nhân dân tỉnh Vĩnh Phúc"),
    ],
)
def test_unit_names_written_differently_compare_equal(written, official):
    assert selectors.normalize_unit_name(written) == selectors.normalize_unit_name(official)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Sở Y tế", "Sở Tư pháp"),
        ("Văn phòng Tỉnh ủy", "Văn phòng UBND tỉnh"),
        ("Thanh tra tỉnh", "Thanh tra huyện"),
    ],
)
def test_different_units_stay_different(one, other):
    assert selectors.normalize_unit_name(one) != selectors.normalize_unit_name(other)


def test_units_are_found_by_name_in_the_tree_of_the_date(db):
    # given a unit in force, one closed before the date, one opened after, and a name used twice
    kind = OrgUnitKindFactory(department=True)
    ict = OrgUnitFactory(kind=kind, name="Sở Thông tin và Truyền thông")
    OrgUnitFactory(kind=kind, name="Sở Y tế", valid_to=date(2021, 1, 1))
    OrgUnitFactory(kind=kind, name="Sở Khoa học và Công nghệ", valid_from=date(2022, 1, 1))
    OrgUnitFactory(kind=kind, name="Ban Dân tộc")
    OrgUnitFactory(kind=kind, name="Ban Dân tộc tỉnh")

    found = selectors.org_units_by_name(
        ["Sở Thông tin và Truyền thông", "Sở Y tế", "Sở Khoa học và Công nghệ", "Ban Dân tộc", "Sở Ngoại vụ"],
        on=ON,
    )

    # then only the unambiguous unit in force on the date is returned
    assert found == {
        "Sở Thông tin và Truyền thông": ict,
        "Sở Y tế": None,
        "Sở Khoa học và Công nghệ": None,
        "Ban Dân tộc": None,
        "Sở Ngoại vụ": None,
    }


def test_targets_are_grouped_by_area_in_order(db):
    plan = PlanFactory()
    second = TargetAreaFactory(plan=plan, number=2, title="Phục vụ người dân")
    first = TargetAreaFactory(plan=plan, number=1, title="Trong cơ quan nhà nước")
    b = TargetFactory(area=second, order=2, code="b")
    a = TargetFactory(area=second, order=1, code="a", qualitative=True)
    c = TargetFactory(area=first, order=1, code="c", range=True)

    assert selectors.plan_targets_by_area(plan) == [(first, [c]), (second, [a, b])]


def test_project_totals_by_lead_unit_and_funding_source(db):
    # given three rows of two units, one row of public investment
    plan = PlanFactory(stated_total_budget=1_600, stated_total_allocation=1_400)
    ProjectFactory(plan=plan, number=1, lead_unit_name="Sở A", total_budget=1_000, allocation=900,
                   funding_source="public_investment")  # fmt: skip
    ProjectFactory(plan=plan, number=2, lead_unit_name="Sở A", total_budget=200, allocation=200)
    ProjectFactory(plan=plan, number=3, lead_unit_name="Sở B", total_budget=400, allocation=300)

    totals = selectors.plan_project_totals(plan)

    assert (totals.count, totals.total_budget, totals.allocation) == (3, 1_600, 1_400)
    assert totals.matches_stated
    assert [
        (u["lead_unit_name"], u["count"], u["total_budget"], u["allocation"]) for u in totals.by_lead_unit
    ] == [
        ("Sở A", 2, 1_200, 1_100),
        ("Sở B", 1, 400, 300),
    ]
    assert [(s["label"], s["total_budget"]) for s in totals.by_funding_source] == [
        ("Đầu tư công", 1_000),
        ("Sự nghiệp", 600),
    ]


def test_totals_that_differ_from_the_stated_ones_are_flagged(db):
    plan = PlanFactory(stated_total_budget=999, stated_total_allocation=900)
    ProjectFactory(plan=plan, total_budget=1_000, allocation=900)
    assert not selectors.plan_project_totals(plan).matches_stated


def test_the_committed_plan_totals_729340_and_640563(plan):
    totals = selectors.plan_project_totals(plan)
    assert (totals.total_budget, totals.allocation) == (729_340, 640_563)
    assert totals.matches_stated
    units = {u["lead_unit_name"]: u for u in totals.by_lead_unit}
    assert len(units) == 24  # the 23 lead units and "Các sở, ngành, địa phương"
    assert units["Sở Thông tin và Truyền thông"]["count"] == 13
    groups = selectors.plan_projects_by_lead_unit(plan)
    assert [g["lead_unit_name"] for g in groups] == [u["lead_unit_name"] for u in totals.by_lead_unit]
    assert sum(g["total_budget"] for g in groups) == 729_340


def test_discrepancies_leave_out_remarks(plan):
    assert [n.code for n in selectors.plan_discrepancies(plan)] == ["ty-le-mot-cua-huyen-xa-dung-han"]
    assert selectors.plan_data_notes(plan).count() == 3


def test_the_current_plan_is_the_latest_issued(db):
    PlanFactory(number="1/KH-UBND", issued_on=date(2020, 12, 31))
    latest = PlanFactory(number="2/KH-UBND", issued_on=date(2021, 12, 31))
    assert selectors.plan_current() == latest
