"""Discrepancies are computed from the figures, never written down by hand."""

from decimal import Decimal

from cqs.plans import checks


def by_code(notes: list[dict]) -> dict[str, dict]:
    return {note["code"]: note for note in notes}


def baseline(document, code: str) -> dict:
    return next(b for b in document["baselines"] if b["code"] == code)


def test_the_one_stop_on_time_ratio_of_the_plan_is_found_wrong(document):
    # given the plan's 146.777 on time out of 161.578 due, "đạt tỷ lệ 90,08%"
    # when the document is checked
    notes = by_code(checks.data_notes(document))

    # then the recomputed 90,84% is recorded next to the stated 90,08%
    note = notes["ty-le-mot-cua-huyen-xa-dung-han"]
    assert note["kind"] == "ratio_mismatch"
    assert (note["subject_type"], note["subject_code"]) == ("baseline", "mot-cua-huyen-xa-dung-han")
    assert (note["computed"], note["stated"]) == (Decimal("90.84"), Decimal("90.08"))
    assert "146.777 / 161.578 = 90,84%" in note["message"]
    assert "90,08%" in note["message"]


def test_it_is_the_only_discrepancy_in_the_plan(document):
    # 99,63% (centre), the 96/99/96/93% signing rates, the three document breakdowns, the
    # certificates, the 42 systems and Appendix 3's totals all check out.
    discrepancies = [n["code"] for n in checks.data_notes(document) if n["kind"] != "remark"]
    assert discrepancies == ["ty-le-mot-cua-huyen-xa-dung-han"]


def test_the_document_figures_are_left_as_written(document):
    checks.data_notes(document)
    assert baseline(document, "mot-cua-huyen-xa-dung-han")["stated_ratio"] == 90.08
    assert baseline(document, "mot-cua-huyen-xa-dung-han")["value"] == 146_777


def test_a_ratio_is_compared_at_the_precision_it_is_written_with(document):
    # 86.485 / 93.355 = 92,64%, written "93%": right at whole-percent precision
    assert not [
        n for n in checks.ratio_notes(document["baselines"]) if n["subject_code"] == "ky-so-ty-le-cap-xa"
    ]

    # but written "92%" it would be wrong
    baseline(document, "ky-so-ty-le-cap-xa")["stated_ratio"] = 92
    notes = by_code(checks.ratio_notes(document["baselines"]))
    assert notes["ty-le-ky-so-ty-le-cap-xa"]["computed"] == Decimal("92.64")


def test_a_breakdown_that_does_not_add_up_is_recorded(document):
    baseline(document, "chung-thu-so-ca-nhan")["value"] = 1_600  # 1.600 + 435 ≠ 2.030
    note = by_code(checks.data_notes(document))["tong-chung-thu-so"]
    assert note["kind"] == "sum_mismatch"
    assert (note["computed"], note["stated"]) == (Decimal(2035), Decimal(2030))
    assert "1.600 + 435 = 2.035" in note["message"]


def test_a_breakdown_of_a_lower_bound_is_not_checked(document):
    # "hơn 4.000 thiết bị" cannot be contradicted by a sum
    figure = baseline(document, "phong-chong-ma-doc-thiet-bi")
    figure["parts"] = ["phong-chong-ma-doc-so-nganh", "phong-chong-ma-doc-huyen"]
    assert not [n for n in checks.sum_notes(document["baselines"]) if n["subject_code"] == figure["code"]]


def test_the_system_count_is_compared_with_appendix1(document):
    document["information_systems"].pop()
    note = by_code(checks.data_notes(document))["dem-he-thong-thong-tin-chuyen-nganh"]
    assert note["kind"] == "count_mismatch"
    assert (note["computed"], note["stated"]) == (Decimal(41), Decimal(42))


def test_appendix3_totals_that_do_not_match_the_total_row_are_recorded(document):
    document["projects"][0]["total_budget"] += 10
    notes = by_code(checks.data_notes(document))
    note = notes["tong-du-an-total-budget"]
    assert note["kind"] == "total_mismatch"
    assert (note["computed"], note["stated"]) == (Decimal(729_350), Decimal(729_340))
    assert "tong-du-an-allocation" not in notes


def test_an_allocation_above_the_budget_is_recorded(document):
    document["projects"][11]["allocation"] = 300  # row 12: 220 budget
    note = by_code(checks.data_notes(document))["du-an-12-phan-bo-vuot"]
    assert (note["subject_type"], note["subject_code"]) == ("project", "12")


def test_remarks_of_the_document_follow_the_computed_notes(document):
    notes = checks.data_notes(document)
    remarks = [n for n in notes if n["kind"] == "remark"]
    assert {n["code"] for n in remarks} == {"phu-luc-2-trong", "du-an-27-da-cap-2021"}
    assert all(n["computed"] is None and n["stated"] is None for n in remarks)


def test_numbers_are_formatted_vietnamese_style():
    assert checks.format_number(729_340) == "729.340"
    assert checks.format_number(Decimal("90.8397"), 2) == "90,84"
    assert checks.format_number(1_116_511) == "1.116.511"
