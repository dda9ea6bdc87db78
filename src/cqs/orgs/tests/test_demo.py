import re
from datetime import date

import pytest

from cqs.orgs import selectors
from cqs.orgs.demo import load_demo
from cqs.orgs.models import OrgUnit, ReorganisationEvent, Succession
from cqs.orgs.tests.conftest import db_state

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)


@pytest.fixture
def demo(db):
    lines: list[str] = []
    load_demo(log=lines.append)
    return lines


def kinds_as_of(on):
    units = OrgUnit.objects.as_of(on)
    return {
        code: units.filter(kind__code=code).count()
        for code in ("ubnd-tinh", "so", "co-quan-tinh", "huyen", "xa")
    }


def test_demo_trees_before_and_after_the_2025_reorganisation(demo):
    # the day before: Vĩnh Phúc → 23 departments and agencies + 9 districts → 121 communes
    before = selectors.orgunit_tree(as_of=BEFORE)
    assert [root.unit.identifier for root in before] == ["000.00.00.H62"]
    assert kinds_as_of(BEFORE) == {"ubnd-tinh": 1, "so": 17, "co-quan-tinh": 6, "huyen": 9, "xa": 121}
    districts = [node for node in before[0].children if node.unit.kind.code == "huyen"]
    assert sum(len(node.children) for node in districts) == 121
    # the day of: Phú Thọ → the 36 communes formed from Vĩnh Phúc's
    after = selectors.orgunit_tree(as_of=AFTER)
    assert [root.unit.identifier for root in after] == ["000.00.00.H44"]
    assert [node.unit.kind.code for node in after[0].children] == ["xa"] * 36
    assert kinds_as_of(AFTER) == {"ubnd-tinh": 1, "so": 0, "co-quan-tinh": 0, "huyen": 0, "xa": 36}
    # through one event, recorded with its legal basis and notes
    event = ReorganisationEvent.objects.get()
    assert event.effective_date == AFTER
    assert "202/2025/QH15" in event.legal_basis
    assert "chưa được đối chiếu" in event.note and "sở, ngành" in event.note
    assert Succession.objects.filter(kind="dissolve").count() == 9
    assert Succession.objects.filter(kind="merge").count() == 1 + 23 + 121
    assert "121 xã" in demo[0] and "36 xã" in demo[0] and "vietnam-address-converter 1.0.5" in demo[0]


def test_a_second_run_changes_nothing(demo):
    before = db_state()
    lines: list[str] = []
    load_demo(log=lines.append)
    assert db_state() == before
    assert "0 đơn vị mới" in lines[0]


def test_demo_codes_and_sources(demo):
    vinh_phuc = OrgUnit.objects.get(identifier="000.00.00.H62")
    assert (vinh_phuc.name, vinh_phuc.identifier_source, vinh_phuc.division_code) == (
        "Ủy ban nhân dân tỉnh Vĩnh Phúc",
        "official",
        "26",
    )
    assert (vinh_phuc.valid_from, vinh_phuc.valid_to) == (date(1997, 1, 1), AFTER)
    phu_tho = OrgUnit.objects.get(identifier="000.00.00.H44")
    assert (phu_tho.identifier_source, phu_tho.division_code, phu_tho.valid_to) == ("derived", "25", None)
    assert "chưa đối chiếu" in phu_tho.source
    stttt = OrgUnit.objects.get(short_name="STTTT")
    assert (stttt.identifier, stttt.identifier_source) == ("000.00.01.H62", "demo")
    assert "3456/QĐ-UBND" in stttt.source
    assert selectors.orgunit_current_successor(stttt, on=AFTER) == [phu_tho]
    # old districts and communes: demo codes, no GSO code, the package's own code only in source
    vinh_yen = OrgUnit.objects.get(name="Thành phố Vĩnh Yên")
    assert vinh_yen.identifier == "000.00.40.H62" and vinh_yen.division_code == ""
    communes = OrgUnit.objects.filter(kind__code="xa", valid_to=AFTER)
    assert all(re.fullmatch(r"000\.\d\d\.4\d\.H62", c.identifier) and c.division_code == "" for c in communes)
    assert all("vietnam-address-converter 1.0.5 mapping 10_25" in c.source for c in communes)
    # new communes: GSO codes from vietnam-provinces
    new_communes = OrgUnit.objects.filter(kind__code="xa", valid_from=AFTER)
    assert all(re.fullmatch(r"\d{5}", c.division_code) for c in new_communes)
    assert len({c.identifier for c in new_communes}) == 36


def test_dong_da_of_vinh_yen_became_phuong_vinh_phuc(demo):
    dong_da = OrgUnit.objects.get(name="Phường Đống Đa", parent__name="Thành phố Vĩnh Yên")
    successors = selectors.orgunit_current_successor(dong_da, on=AFTER)
    assert [unit.name for unit in successors] == ["Phường Vĩnh Phúc"]
    assert successors[0].parent.identifier == "000.00.00.H44"
    assert "Thị trấn Hoa Sơn" in OrgUnit.objects.values_list("name", flat=True)  # not "Thị Trấn"
