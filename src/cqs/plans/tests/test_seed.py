"""The seed parser, on text rendered from the committed document and on small excerpts, so it
is tested without the seed folder (``test_seed_source`` compares with the real seed)."""

from decimal import Decimal

import pytest

from cqs.plans.seed import (
    ExtractionError,
    _information_systems,
    _projects,
    paragraphs,
    parse_amount,
    parse_decimal,
    structure_target,
)

HEADER = "STT\n\nTên\nnhiệm vụ, dự án\n\nĐơn\nvị chủ trì\n\nKinh\nphí\n\nPhân\nbổ năm 2022\n\nNguồn\nvốn"
SOURCES = {"public_investment": "Đầu\ntư công", "recurrent": "Sự\nnghiệp"}


def wrap(text: str) -> str:
    """Break a cell after its first word, as the seed does ("Sở\\nThông tin và Truyền thông")."""
    return text.replace(" ", "\n", 1)


def amount(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def appendix3(projects: list[dict], totals: tuple[int, int]) -> str:
    """Appendix 3 flattened one cell per paragraph, blank lead-unit cells on carried rows."""
    cells = ["PHỤ LỤC 3", HEADER, "\xa0", "TỔNG", "\xa0", amount(totals[0]), amount(totals[1]), "\xa0"]
    for project in projects:
        cells.append(str(project["number"]))
        cells.append(wrap(project["name"]))
        if not project["lead_unit_carried"]:
            cells.append(wrap(project["lead_unit_name"]))
        cells += [
            amount(project["total_budget"]),
            amount(project["allocation"]),
            SOURCES[project["funding_source"]],
        ]
    return "\n\n".join(cells)


def appendix1(systems: list[dict]) -> str:
    rows = [f"{s['number']}. {wrap(s['name'])};" for s in systems]
    return "\n\n".join(["PHỤ LỤC 1:", "DANH MỤC CÁC CƠ SỞ DỮ LIỆU", *rows, "PHỤ LỤC 2"])


def test_paragraphs_join_wrapped_lines_and_keep_empty_cells():
    # given a block wrapped mid-sentence, an empty table cell and a word split across lines
    text = "Sở\nThông tin và Truyền\nthông\n\n\xa0\n\n1. Ứng dụng trong hoạt động của các c\nơ quan Nhà nước"

    # when it is cut into paragraphs
    result = paragraphs(text)

    # then lines are joined with one space, the empty cell stays, the split word is mended
    assert result == [
        "Sở Thông tin và Truyền thông",
        "",
        "1. Ứng dụng trong hoạt động của các cơ quan Nhà nước",
    ]


@pytest.mark.parametrize(("text", "value"), [("729.340", 729340), ("1.116.511", 1116511), ("220", 220)])
def test_amounts_use_a_dot_as_thousands_separator(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["7,5", "729340.0", "12.34", ""])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(ExtractionError):
        parse_amount(text)


def test_percentages_use_a_decimal_comma():
    assert parse_decimal("90,08") == Decimal("90.08")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100% các cơ quan nhà nước sử dụng Hệ thống quản lý văn bản;", ("eq", 100, None, "%")),
        ("Tối thiểu 30% hoạt động giám sát, kiểm tra…", ("gte", 30, None, "%")),
        (
            "Trên 30% hồ sơ giải quyết theo dịch vụ công trực tuyến mức độ 4 trên tổng số hồ sơ.",
            ("gt", 30, None, "%"),
        ),
        ("Tỷ lệ dân số có tài khoản thanh toán điện tử trên 20%.", ("gt", 20, None, "%")),
        ("Thí điểm cung cấp từ 4 đến 6 dịch vụ đô thị thông minh.", ("range", 4, 6, "dịch vụ")),
        ("Tăng cường sử dụng hiệu quả hệ thống Hội nghị truyền hình trực tuyến.", ("", None, None, "")),
    ],
)
def test_target_text_is_read_into_comparator_value_and_unit(text, expected):
    result = structure_target(text)
    assert (result["comparator"], result["value"], result["value_max"], result["unit"]) == expected


def test_appendix3_round_trips_through_its_flattened_form(document):
    # given the 59 projects flattened as in the seed (row 12's "220" looks like a row number)
    stated = document["plan"]["stated_totals"]
    text = appendix3(document["projects"], (stated["total_budget"], stated["allocation"]))

    # when the table is parsed
    projects, totals = _projects(paragraphs(text))

    # then every row, carried lead unit and the total row come back
    assert projects == document["projects"]
    assert totals == stated


def test_blank_lead_unit_cells_carry_the_unit_above():
    rows = [
        {"number": 1, "name": "Dự án một", "lead_unit_name": "Sở Y tế", "lead_unit_carried": False,
         "total_budget": 1000, "allocation": 900, "funding_source": "public_investment"},
        {"number": 2, "name": "Dự án hai", "lead_unit_name": "Sở Y tế", "lead_unit_carried": True,
         "total_budget": 12, "allocation": 12, "funding_source": "recurrent"},
        {"number": 3, "name": "Dự án ba", "lead_unit_name": "Sở Tư pháp", "lead_unit_carried": False,
         "total_budget": 5, "allocation": 5, "funding_source": "recurrent"},
    ]  # fmt: skip
    projects, _ = _projects(paragraphs(appendix3(rows, (1017, 917))))
    assert [(p["lead_unit_name"], p["lead_unit_carried"]) for p in projects] == [
        ("Sở Y tế", False),
        ("Sở Y tế", True),
        ("Sở Tư pháp", False),
    ]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("Sự\nnghiệp", "Khác", 1), "row 2"),
        (lambda text: text.replace("\n\n2\n\n", "\n\n3\n\n", 1), "expected row 2"),
        (lambda text: text.replace("\n\nSở\nY tế", "", 1), "no lead unit"),
        (lambda text: text.replace("TỔNG", "CỘNG", 1), "total row"),
    ],
)
def test_a_table_that_does_not_have_the_expected_shape_is_refused(damage, message):
    rows = [
        {"number": 1, "name": "Dự án một", "lead_unit_name": "Sở Y tế", "lead_unit_carried": False,
         "total_budget": 1000, "allocation": 900, "funding_source": "public_investment"},
        {"number": 2, "name": "Dự án hai", "lead_unit_name": "Sở Y tế", "lead_unit_carried": True,
         "total_budget": 12, "allocation": 12, "funding_source": "recurrent"},
    ]  # fmt: skip
    text = damage(appendix3(rows, (1012, 912)))
    with pytest.raises(ExtractionError, match=message):
        _projects(paragraphs(text))


def test_appendix1_round_trips(document):
    systems = _information_systems(paragraphs(appendix1(document["information_systems"])))
    assert systems == document["information_systems"]


def test_appendix1_with_a_gap_in_its_numbering_is_refused(document):
    systems = [s for s in document["information_systems"] if s["number"] != 7]
    with pytest.raises(ExtractionError, match="Appendix 1"):
        _information_systems(paragraphs(appendix1(systems)))
