"""Checks of the plan's own arithmetic, run on the document each time it is loaded.

Every stated ratio is recomputed from the figures it divides, every breakdown is added up,
every count compared with the list it counts, and Appendix 3's rows with its total row. Only
what does not match becomes a note: the figures themselves are never changed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from cqs.plans.choices import NoteKind, Qualifier, SubjectType


def format_number(value: Decimal | int, places: int = 0) -> str:
    """Vietnamese style: ``1.116.511``, ``90,84``."""
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{quantized:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _note(code: str, kind: str, subject_type: str, subject_code: str, message: str, computed, stated) -> dict:
    return {
        "code": code,
        "kind": kind,
        "subject_type": subject_type,
        "subject_code": subject_code,
        "message": message,
        "computed": computed,
        "stated": stated,
    }


def ratio_notes(baselines: list[dict]) -> list[dict]:
    """A stated percentage is compared at the precision it is written with: 96% is right for
    96.11%, 90,08% is wrong for 90.84%."""
    by_code = {b["code"]: b for b in baselines}
    notes = []
    for baseline in baselines:
        if baseline.get("stated_ratio") is None or not baseline.get("ratio_denominator"):
            continue
        numerator = by_code[baseline.get("ratio_numerator") or baseline["code"]]
        denominator = by_code[baseline["ratio_denominator"]]
        stated = Decimal(str(baseline["stated_ratio"]))
        places = _places(stated)
        denominator_value = Decimal(str(denominator["value"]))
        if not denominator_value:
            continue
        exact = Decimal(str(numerator["value"])) * 100 / denominator_value
        computed = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if computed == stated:
            continue
        shown = max(places, 2)
        notes.append(
            _note(
                f"ty-le-{baseline['code']}",
                NoteKind.RATIO_MISMATCH,
                SubjectType.BASELINE,
                baseline["code"],
                (
                    f"{baseline['label']} ({baseline['scope']}): "
                    f"{format_number(numerator['value'])} / {format_number(denominator['value'])} = "
                    f"{format_number(exact, shown)}%, văn bản ghi {format_number(stated, places)}%."
                ),
                exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                stated,
            )
        )
    return notes


def sum_notes(baselines: list[dict]) -> list[dict]:
    by_code = {b["code"]: b for b in baselines}
    notes = []
    for baseline in baselines:
        # "hơn 4.000" is a lower bound: a sum cannot contradict it exactly.
        if not baseline.get("parts") or baseline.get("qualifier", Qualifier.EXACT) != Qualifier.EXACT:
            continue
        parts = [by_code[code] for code in baseline["parts"]]
        computed = sum(Decimal(str(part["value"])) for part in parts)
        stated = Decimal(str(baseline["value"]))
        if computed == stated:
            continue
        notes.append(
            _note(
                f"tong-{baseline['code']}",
                NoteKind.SUM_MISMATCH,
                SubjectType.BASELINE,
                baseline["code"],
                (
                    f"{baseline['label']}: "
                    + " + ".join(format_number(part["value"]) for part in parts)
                    + f" = {format_number(computed)}, văn bản ghi tổng {format_number(stated)}."
                ),
                computed,
                stated,
            )
        )
    return notes


def count_notes(document: dict) -> list[dict]:
    lists = {"information_systems": document.get("information_systems", [])}
    notes = []
    for baseline in document.get("baselines", []):
        target = baseline.get("count_of")
        if not target or baseline.get("qualifier", Qualifier.EXACT) != Qualifier.EXACT:
            continue
        computed = Decimal(len(lists.get(target, [])))
        stated = Decimal(str(baseline["value"]))
        if computed == stated:
            continue
        notes.append(
            _note(
                f"dem-{baseline['code']}",
                NoteKind.COUNT_MISMATCH,
                SubjectType.BASELINE,
                baseline["code"],
                f"{baseline['label']}: danh mục liệt kê {format_number(computed)}, văn bản ghi "
                f"{format_number(stated)}.",
                computed,
                stated,
            )
        )
    return notes


def project_notes(document: dict) -> list[dict]:
    projects = document.get("projects", [])
    stated_totals = document["plan"]["stated_totals"]
    notes = []
    for field, label in (("total_budget", "Tổng kinh phí"), ("allocation", "Tổng phân bổ năm kế hoạch")):
        computed = sum(Decimal(p[field]) for p in projects)
        stated = Decimal(stated_totals[field])
        if computed != stated:
            notes.append(
                _note(
                    f"tong-du-an-{field.replace('_', '-')}",
                    NoteKind.TOTAL_MISMATCH,
                    SubjectType.PLAN,
                    document["plan"]["number"],
                    f"{label} Phụ lục 3: cộng {len(projects)} dòng được {format_number(computed)} "
                    f"triệu đồng, dòng TỔNG ghi {format_number(stated)} triệu đồng.",
                    computed,
                    stated,
                )
            )
    for project in projects:
        if project["allocation"] > project["total_budget"]:
            notes.append(
                _note(
                    f"du-an-{project['number']}-phan-bo-vuot",
                    NoteKind.ALLOCATION_EXCEEDS_BUDGET,
                    SubjectType.PROJECT,
                    str(project["number"]),
                    f"Dự án {project['number']}: phân bổ {format_number(project['allocation'])} triệu "
                    f"đồng lớn hơn kinh phí {format_number(project['total_budget'])} triệu đồng.",
                    Decimal(project["allocation"]),
                    Decimal(project["total_budget"]),
                )
            )
    return notes


def computed_notes(document: dict) -> list[dict]:
    """Every discrepancy in the document's figures. Expects a validated document."""
    baselines = document.get("baselines", [])
    return ratio_notes(baselines) + sum_notes(baselines) + count_notes(document) + project_notes(document)


def data_notes(document: dict) -> list[dict]:
    """The discrepancies, then the remarks the document carries."""
    remarks = [{**remark, "computed": None, "stated": None} for remark in document.get("notes", [])]
    return computed_notes(document) + remarks
