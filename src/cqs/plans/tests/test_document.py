"""The committed document (``data/plan_326_2021.json``): what the issue requires it to hold."""

import pytest

from cqs.plans.seed import DOCUMENT_FORMAT

SEED_NAME = "000_9fba268cafe1d6b9.txt"
SEED_SHA256 = "6f88304836b73e76dd7bbea1d71ed068b3a0ac6b7e6205265df39a1dcc64af82"


def baselines(document) -> dict[str, dict]:
    return {b["code"]: b for b in document["baselines"]}


def test_document_cites_its_seed_file_and_hash(document):
    assert document["format"] == DOCUMENT_FORMAT
    assert document["source"]["file"] == SEED_NAME
    assert document["source"]["sha256"] == SEED_SHA256
    assert SEED_SHA256 in document["plan"]["source_reference"]


def test_plan_metadata(document):
    plan = document["plan"]
    assert (plan["number"], plan["issued_on"], plan["issuer"], plan["year"]) == (
        "326/KH-UBND",
        "2021-12-31",
        "UBND tỉnh Vĩnh Phúc",
        2022,
    )
    assert plan["issuer_identifier"] == "000.00.00.H62"


def test_appendix3_rows_add_up_to_the_stated_totals(document):
    # The seed's rows do add up: so no note is recorded for them, and this test guards it.
    projects = document["projects"]
    assert [p["number"] for p in projects] == list(range(1, 60))
    assert sum(p["total_budget"] for p in projects) == 729_340
    assert sum(p["allocation"] for p in projects) == 640_563
    assert document["plan"]["stated_totals"] == {"total_budget": 729_340, "allocation": 640_563}


def test_lead_units_are_carried_to_rows_that_leave_them_blank(document):
    projects = {p["number"]: p for p in document["projects"]}
    assert {projects[n]["lead_unit_name"] for n in range(1, 14)} == {"Sở Thông tin và Truyền thông"}
    assert not projects[1]["lead_unit_carried"]
    assert all(projects[n]["lead_unit_carried"] for n in range(2, 14))
    assert projects[14]["lead_unit_name"] == "Sở Lao động, Thương binh và XH"
    assert projects[59]["lead_unit_name"] == "Các sở, ngành, địa phương"


def test_projects_carry_budget_and_funding_source(document):
    projects = {p["number"]: p for p in document["projects"]}
    assert projects[1] | {"name": ""} == {
        "number": 1,
        "name": "",
        "lead_unit_name": "Sở Thông tin và Truyền thông",
        "lead_unit_carried": False,
        "total_budget": 385_000,
        "allocation": 346_500,
        "funding_source": "public_investment",
    }
    assert projects[12]["total_budget"] == 220
    assert projects[59]["funding_source"] == "recurrent"
    assert sum(1 for p in projects.values() if p["funding_source"] == "public_investment") == 7


def test_appendix1_lists_42_systems(document):
    systems = document["information_systems"]
    assert [s["number"] for s in systems] == list(range(1, 43))
    assert systems[0]["name"] == "Phần mềm hỗ trợ đối thoại doanh nghiệp"
    assert systems[13]["owner_name"] == "Báo Vĩnh Phúc"


def test_targets_are_grouped_in_the_five_areas_of_section_III(document):
    areas = document["target_areas"]
    assert [(a["number"], len(a["targets"])) for a in areas] == [(1, 7), (2, 4), (3, 4), (4, 3), (5, 2)]
    assert areas[2]["title"] == "Bảo đảm an toàn thông tin"
    targets = {t["code"]: t for a in areas for t in a["targets"]}
    online = targets["dvc-muc-do-4-ho-so-truc-tuyen"]
    assert online["text"].startswith("Trên 30% hồ sơ giải quyết theo dịch vụ công trực tuyến mức độ 4")
    assert (online["comparator"], online["value"], online["unit"]) == ("gt", 30, "%")
    smart = targets["do-thi-thong-minh-dich-vu"]
    assert (smart["comparator"], smart["value"], smart["value_max"], smart["unit"]) == (
        "range",
        4,
        6,
        "dịch vụ",
    )
    assert targets["soc-trien-khai"]["value"] is None


@pytest.mark.parametrize(
    ("code", "value", "scope"),
    [
        ("mot-cua-huyen-xa-tiep-nhan", 157_054, "cấp huyện, xã"),
        ("mot-cua-huyen-xa-trong-ky", 164_063, "cấp huyện, xã"),
        ("mot-cua-huyen-xa-den-han", 161_578, "cấp huyện, xã"),
        ("mot-cua-huyen-xa-dung-han", 146_777, "cấp huyện, xã"),
        ("mot-cua-pvhcc-tiep-nhan", 51_754, "Trung tâm PVHCC"),
        ("mot-cua-pvhcc-trong-ky", 61_263, "Trung tâm PVHCC"),
        ("mot-cua-pvhcc-den-han", 51_007, "Trung tâm PVHCC"),
        ("mot-cua-pvhcc-dung-han", 50_817, "Trung tâm PVHCC"),
        ("van-ban-den", 1_116_511, "toàn tỉnh"),
        ("van-ban-den-cap-tinh", 319_228, "cấp tỉnh"),
        ("van-ban-den-cap-huyen", 157_487, "cấp huyện"),
        ("van-ban-den-cap-xa", 639_796, "cấp xã"),
        ("van-ban-di", 279_849, "toàn tỉnh"),
        ("van-ban-di-cap-tinh", 106_457, "cấp tỉnh"),
        ("van-ban-di-cap-huyen", 80_037, "cấp huyện"),
        ("van-ban-di-cap-xa", 93_355, "cấp xã"),
        ("van-ban-di-ky-so", 268_958, "toàn tỉnh"),
        ("van-ban-di-ky-so-cap-tinh", 105_537, "cấp tỉnh"),
        ("van-ban-di-ky-so-cap-huyen", 76_936, "cấp huyện"),
        ("van-ban-di-ky-so-cap-xa", 86_485, "cấp xã"),
        ("ky-so-ty-le", 96, "toàn tỉnh"),
        ("ky-so-ty-le-cap-tinh", 99, "sở, ban, ngành"),
        ("ky-so-ty-le-cap-huyen", 96, "UBND huyện, thành phố"),
        ("ky-so-ty-le-cap-xa", 93, "UBND xã, phường, thị trấn"),
        ("chung-thu-so", 2_030, "toàn tỉnh"),
        ("chung-thu-so-ca-nhan", 1_595, "toàn tỉnh"),
        ("chung-thu-so-co-quan", 435, "toàn tỉnh"),
        ("chung-thu-so-don-vi", 39, "toàn tỉnh"),
        ("sim-pki", 77, "toàn tỉnh"),
        ("sim-pki-don-vi", 21, "toàn tỉnh"),
        ("hop-thu-cong-vu", 7_000, "toàn tỉnh"),
        ("attt-hoc-vien-co-ban", 496, "toàn tỉnh"),
        ("attt-lop-co-ban", 14, "toàn tỉnh"),
        ("attt-quan-tri-mang-nang-cao", 30, "sở, ban, ngành, huyện, thành phố"),
        ("he-thong-cap-do-3", 6, "cấp tỉnh"),
        ("phong-chong-ma-doc-thiet-bi", 4_000, "sở, ban, ngành và UBND cấp huyện"),
        ("phong-chong-ma-doc-so-nganh", 24, "sở, ngành"),
        ("phong-chong-ma-doc-huyen", 9, "huyện, thành phố"),
        ("mang-chuyen-dung-don-vi", 169, "tỉnh, huyện, xã"),
        ("kinh-phi-cntt-2021", 83_589, "toàn tỉnh"),
        ("he-thong-thong-tin-chuyen-nganh", 42, "sở, ngành"),
    ],
)
def test_part_one_figures_are_recorded_as_written(document, code, value, scope):
    baseline = baselines(document)[code]
    assert (baseline["value"], baseline["scope"]) == (value, scope)
    assert baseline["quote"]


def test_stated_ratios_dates_and_bounds_are_kept(document):
    by_code = baselines(document)
    assert by_code["mot-cua-huyen-xa-dung-han"]["stated_ratio"] == 90.08
    assert by_code["mot-cua-huyen-xa-dung-han"]["as_of"] == "2021-11-14"
    assert by_code["mot-cua-pvhcc-dung-han"]["stated_ratio"] == 99.63
    assert by_code["mot-cua-pvhcc-dung-han"]["as_of"] == "2021-11-20"
    assert by_code["van-ban-den"]["as_of"] == "2021-12-14"
    assert by_code["hop-thu-cong-vu"]["qualifier"] == "gt"  # "hơn 7.000"
    assert by_code["kinh-phi-cntt-2021"]["unit"] == "triệu đồng"
    assert "146.777 hồ sơ (đạt tỷ lệ 90,08%)" in by_code["mot-cua-huyen-xa-dung-han"]["quote"]
