"""Document types and the number and symbol of Decree 30/2020 Appendix I §3 and Appendix III."""

import pytest

from cqs.core.exceptions import ServiceError
from cqs.documents.numbering import (
    NumberSymbol,
    copy_forms,
    document_type_get,
    document_types,
    number_symbol,
    number_symbol_parse,
)


def test_the_29_types_of_decree_30_with_unique_codes_and_abbreviations():
    types = document_types()
    assert len(types) == 29
    assert len({t.code for t in types}) == 29
    abbreviations = [t.abbreviation for t in types if t.abbreviation]
    assert len(abbreviations) == len(set(abbreviations)) == 27
    assert {t.name for t in types if not t.abbreviation} == {"Công văn", "Thư công"}
    assert document_type_get("QYD").abbreviation == "QyĐ"  # Quy định, not "QĐ"
    assert [c.abbreviation for c in copy_forms()] == ["SY", "TrS", "SL"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"number": 15, "type_code": "QD", "issuer": "BNV"}, "15/QĐ-BNV"),
        ({"number": 326, "type_code": "KH", "issuer": "UBND"}, "326/KH-UBND"),
        ({"number": 5, "type_code": "CV", "issuer": "BNV", "drafter": "VP"}, "05/BNV-VP"),
        ({"number": 12, "type_code": "CV", "issuer": "UBND", "drafter": "VX"}, "12/UBND-VX"),
        ({"number": 20, "type_code": "QD", "issuer": "TTg", "year": 2020}, "20/2020/QĐ-TTg"),
        ({"number": 3, "type_code": "TTR", "issuer": "STTTT"}, "03/TTr-STTTT"),
    ],
)
def test_number_and_symbol_follow_appendix_i(kwargs, expected):
    assert number_symbol(**kwargs) == expected


def test_a_cong_van_never_gets_a_cv_abbreviation_and_needs_its_drafting_unit():
    with pytest.raises(ServiceError) as error:
        number_symbol(number=45, type_code="CV", issuer="UBND")

    assert error.value.error_code == "invalid_abbreviation"
    assert error.value.field == "drafter"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"number": 0, "type_code": "QD", "issuer": "UBND"}, "invalid_number"),
        ({"number": True, "type_code": "QD", "issuer": "UBND"}, "invalid_number"),
        ({"number": 1, "type_code": "XX", "issuer": "UBND"}, "unknown_document_type"),
        ({"number": 1, "type_code": "QD", "issuer": "UB ND"}, "invalid_abbreviation"),
        ({"number": 1, "type_code": "QD", "issuer": "UBND-VP"}, "invalid_abbreviation"),
        ({"number": 1, "type_code": "QD", "issuer": "UBND", "year": 1800}, "invalid_year"),
    ],
)
def test_bad_numbers_and_abbreviations_are_refused(kwargs, code):
    with pytest.raises(ServiceError) as error:
        number_symbol(**kwargs)

    assert error.value.error_code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/QĐ-UBND", NumberSymbol(15, None, "QĐ", "UBND", "")),
        ("05/UBND-VP", NumberSymbol(5, None, "", "UBND", "VP")),
        ("20/2020/QĐ-TTg", NumberSymbol(20, 2020, "QĐ", "TTg", "")),
        ("Số: 2491/STC-BCTC", NumberSymbol(2491, None, "", "STC", "BCTC")),
        ("326/KH-UBND", NumberSymbol(326, None, "KH", "UBND", "")),
    ],
)
def test_a_received_number_and_symbol_is_read_back(text, expected):
    assert number_symbol_parse(text) == expected


@pytest.mark.parametrize("text", ["", "QĐ-UBND", "15/QĐ", "15 / QĐ-UBND", "15/QĐ-", "abc/QĐ-UBND"])
def test_an_unreadable_number_and_symbol_is_a_clear_error(text):
    with pytest.raises(ServiceError) as error:
        number_symbol_parse(text)

    assert error.value.error_code == "invalid_number_symbol"


def test_every_type_round_trips_through_its_symbol():
    for kind in document_types():
        text = number_symbol(number=7, type_code=kind.code, issuer="UBND", drafter="VP")
        parsed = number_symbol_parse(text)
        assert (parsed.number, parsed.type_abbreviation) == (7, kind.abbreviation), kind.code
