"""Extraction of plan 326/KH-UBND from its seed text into a structured document.

The seed is the plan as plain text (one paragraph per block, lines wrapped anywhere, Appendix 3
flattened one table cell per paragraph). ``extract`` turns it into the document that
``cqs.plans.services.plan_load`` loads; ``cqs plans_extract`` writes it to
``src/cqs/plans/data/plan_326_2021.json``, which is committed because a clone has no seed.

What the text says is parsed; what it cannot say is curated in ``seed_tables``, in tables checked
against the text: stable codes and short labels of targets and baseline figures (identifiers that later
modules rely on), and the owner named inside an information system's name. Every pattern must
match exactly once and every table must cover every parsed row, so a different seed fails loudly
instead of loading half a plan. Figures are copied as written, never corrected: discrepancies are
computed when the plan is loaded (``cqs.plans.checks``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

from cqs.plans.seed_tables import AMOUNT_UNIT, PASSAGES, SYSTEM_OWNERS, TARGET_CODES

EXTRACTOR_VERSION = 1
DOCUMENT_FORMAT = "cqs.plans/1"


class ExtractionError(ValueError):
    """The seed does not have the shape this extractor knows."""


# Words the seed splits across a line break ("các c\nơ quan"): joined lines get a space, which is
# right everywhere except here.
TEXT_FIXUPS: tuple[tuple[str, str], ...] = (
    ("các c ơ quan", "các cơ quan"),
    ("ngườ i dân", "người dân"),
    ("chuyể n đổi", "chuyển đổi"),
)

_AMOUNT = re.compile(r"^\d{1,3}(?:\.\d{3})*$")
_FUNDING_SOURCES = {"Đầu tư công": "public_investment", "Sự nghiệp": "recurrent"}


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\xa0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    for wrong, right in TEXT_FIXUPS:
        text = text.replace(wrong, right)
    return text


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines, each joined into one line. A block holding only a
    non-breaking space (an empty table cell) becomes ``""``."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))
    result = []
    for block in blocks:
        if not block.strip(" \t\n"):
            continue
        result.append(normalize_text(block))
    return result


def parse_amount(value: str) -> int:
    """``729.340`` → 729340: the seed writes thousands with a dot (Vietnamese style)."""
    if not _AMOUNT.match(value):
        raise ExtractionError(f"not an amount: {value!r}")
    return int(value.replace(".", ""))


def parse_decimal(value: str) -> Decimal:
    """``90,08`` → Decimal('90.08'); ``1.116.511`` → Decimal('1116511')."""
    if "," in value:
        whole, _, fraction = value.partition(",")
        return Decimal(f"{whole.replace('.', '')}.{fraction}")
    return Decimal(value.replace(".", ""))


def parse_date(value: str) -> dt.date:
    day, month, year = (int(part) for part in value.replace(" ", "").split("/"))
    return dt.date(year, month, day)


def _number(value: Decimal) -> int | float:
    """A JSON number: an int when whole, so ``157054`` does not become ``157054.0``."""
    return int(value) if value == value.to_integral_value() else float(value)


def _section(paras: list[str], start: str, end: str | None) -> list[str]:
    """Paragraphs after the one equal to ``start`` up to the one equal to ``end``."""
    try:
        begin = paras.index(start) + 1
    except ValueError as exc:
        raise ExtractionError(f"heading not found: {start!r}") from exc
    if end is None:
        return paras[begin:]
    try:
        stop = paras.index(end, begin)
    except ValueError as exc:
        raise ExtractionError(f"heading not found: {end!r}") from exc
    return paras[begin:stop]


_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[^\d\s])")


def _sentences_around(text: str, start: int, end: int) -> str:
    """The sentence(s) of ``text`` that contain ``text[start:end]``."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    line = text[line_start:line_end]
    offset = 0
    first = last = None
    for piece in _SENTENCE_END.split(line):
        piece_start = line.index(piece, offset)
        piece_end = piece_start + len(piece)
        offset = piece_end
        if piece_end > start - line_start and first is None:
            first = piece_start
        if piece_start < end - line_start:
            last = piece_end
    return line[first:last].strip().removeprefix("– ")


# --------------------------------------------------------------------------------------------
# Plan metadata
# --------------------------------------------------------------------------------------------

_ATTACHED_TO = re.compile(
    r"Kèm theo Kế hoạch số (?P<number>\d+/KH-UBND) ngày (?P<date>\d{1,2} ?/ ?\d{1,2} ?/ ?\d{4}) "
    r"của (?P<issuer>UBND tỉnh [^)]+)\)"
)
_TITLE = re.compile(r"^PHÁT TRIỂN CHÍNH QUYỀN SỐ .* NĂM (?P<year>\d{4})$")


def _plan_metadata(paras: list[str]) -> dict:
    attached = {
        (m["number"], m["date"].replace(" ", ""), m["issuer"])
        for m in _ATTACHED_TO.finditer("\n".join(paras))
    }
    if len(attached) != 1:
        raise ExtractionError(f"plan number/date/issuer: expected one value, found {sorted(attached)}")
    number, date, issuer = attached.pop()
    titles = [p for p in paras[:5] if _TITLE.match(p)]
    if len(titles) != 1:
        raise ExtractionError("plan title not found")
    title = "Kế hoạch " + titles[0].lower()
    return {
        "number": number,
        "issued_on": parse_date(date).isoformat(),
        "issuer": issuer,
        # The province's electronic identifier (Decision 20/2020); the loader links the unit
        # holding it on the date of issue, if the organisation tree has it.
        "issuer_identifier": "000.00.00.H62",
        "title": title,
        "year": int(_TITLE.match(titles[0])["year"]),
    }


# --------------------------------------------------------------------------------------------
# Part II §III: specific targets
# --------------------------------------------------------------------------------------------

_AREA_HEADING = re.compile(r"^(?P<number>\d)\. (?P<title>.+?)\.?$")

# Structured reading of a target's text, tried in order; the first that matches wins.
_TARGET_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"từ (?P<value>\d+) đến (?P<value_max>\d+) (?P<unit>dịch vụ)"), "range"),
    (re.compile(r"^Tối thiểu (?P<value>\d+)(?P<unit>%)"), "gte"),
    (re.compile(r"(?:^|\s)[Tt]rên (?P<value>\d+)(?P<unit>%)"), "gt"),
    (re.compile(r"^(?P<value>\d+)(?P<unit>%)"), "eq"),
)


def structure_target(text: str) -> dict:
    """Comparator, value(s) and unit of a target's text; all empty when it states no number."""
    for pattern, comparator in _TARGET_PATTERNS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            return {
                "comparator": comparator,
                "value": int(groups["value"]),
                "value_max": int(groups["value_max"]) if groups.get("value_max") else None,
                "unit": groups["unit"],
            }
    return {"comparator": "", "value": None, "value_max": None, "unit": ""}


def _targets(paras: list[str]) -> list[dict]:
    section = _section(paras, "III. MỤC TIÊU CỤ THỂ", "IV. NHIỆM VỤ")
    areas: list[dict] = []
    for para in section:
        heading = _AREA_HEADING.match(para)
        if heading:
            areas.append({"number": int(heading["number"]), "title": heading["title"], "targets": []})
        elif para.startswith("– ") and areas:
            area = areas[-1]
            order = len(area["targets"]) + 1
            text = para[2:].strip()
            try:
                code, indicator = TARGET_CODES[(area["number"], order)]
            except KeyError as exc:
                raise ExtractionError(f"target {area['number']}.{order} has no code: {text!r}") from exc
            area["targets"].append(
                {"order": order, "code": code, "indicator": indicator, "text": text, **structure_target(text)}
            )
        else:
            raise ExtractionError(f"unexpected paragraph in §III: {para!r}")
    found = {(a["number"], t["order"]) for a in areas for t in a["targets"]}
    if found != set(TARGET_CODES):
        raise ExtractionError(f"targets differ from the code table: {sorted(found ^ set(TARGET_CODES))}")
    if [a["number"] for a in areas] != [1, 2, 3, 4, 5]:
        raise ExtractionError("§III must have subsections 1 to 5")
    return areas


# --------------------------------------------------------------------------------------------
# Part I: 2021 figures (baseline values)
# --------------------------------------------------------------------------------------------


def _baselines(paras: list[str]) -> list[dict]:
    part1 = _section(paras, "Phần I", "Phần II")
    # Remember each paragraph's section heading ("V.2" = heading V, subsection 2).
    headings = []
    current, sub = "", ""
    for para in part1:
        roman = re.match(r"^([IVX]+)\. ", para)
        arabic = re.match(r"^(\d)\. ", para)
        if roman:
            current, sub = roman[1], ""
        elif arabic:
            sub = arabic[1]
        headings.append(f"{current}.{sub}" if sub else current)
    text = "\n".join(part1)
    starts = []
    position = 0
    for para in part1:
        starts.append(position)
        position += len(para) + 1

    def section_at(offset: int) -> str:
        index = max(i for i, start in enumerate(starts) if start <= offset)
        return headings[index]

    baselines = []
    for passage in PASSAGES:
        matches = list(re.finditer(passage.pattern, text))
        if len(matches) != 1:
            raise ExtractionError(f"Part I {passage.section}: {len(matches)} matches for {passage.pattern!r}")
        match = matches[0]
        if section_at(match.start()) != passage.section:
            raise ExtractionError(
                f"{passage.pattern!r} found in {section_at(match.start())}, not {passage.section}"
            )
        as_of = parse_date(match["date"]).isoformat() if "date" in match.groupdict() else None
        for group, figure in passage.figures.items():
            stated_ratio = parse_decimal(match[figure.ratio_group]) if figure.ratio_group else None
            baselines.append(
                {
                    "code": figure.code,
                    "section": passage.section,
                    "label": figure.label,
                    "value": _number(parse_decimal(match[group])),
                    "qualifier": figure.qualifier,
                    "unit": figure.unit,
                    "as_of": as_of,
                    "scope": figure.scope,
                    "quote": _sentences_around(text, match.start(group), match.end(group)),
                    "stated_ratio": _number(stated_ratio) if stated_ratio is not None else None,
                    "ratio_numerator": figure.ratio_numerator,
                    "ratio_denominator": figure.ratio_denominator,
                    "parts": list(figure.parts),
                    "count_of": figure.count_of,
                }
            )
    codes = [b["code"] for b in baselines]
    if len(codes) != len(set(codes)):
        raise ExtractionError("duplicate baseline codes")
    referenced = {
        c for b in baselines for c in (*b["parts"], b["ratio_numerator"], b["ratio_denominator"]) if c
    }
    if missing := referenced - set(codes):
        raise ExtractionError(f"baselines refer to unknown codes: {sorted(missing)}")
    return baselines


# --------------------------------------------------------------------------------------------
# Appendix 1: information systems
# --------------------------------------------------------------------------------------------


_SYSTEM = re.compile(r"^(?P<number>\d+)\. (?P<name>.+?)[;.]?$")


def _information_systems(paras: list[str]) -> list[dict]:
    section = _section(paras, "PHỤ LỤC 1:", "PHỤ LỤC 2")
    if not section or section[0] != "DANH MỤC CÁC CƠ SỞ DỮ LIỆU":
        raise ExtractionError("Appendix 1 title not found")
    systems = []
    for para in section[1:]:
        match = _SYSTEM.match(para)
        if not match or int(match["number"]) != len(systems) + 1:
            raise ExtractionError(f"Appendix 1: unexpected paragraph {para!r}")
        number, name = int(match["number"]), match["name"]
        owner = SYSTEM_OWNERS.get(number, "")
        if owner and owner not in name:
            raise ExtractionError(f"Appendix 1 row {number}: owner {owner!r} not in {name!r}")
        systems.append({"number": number, "name": name, "owner_name": owner})
    if unknown := set(SYSTEM_OWNERS) - {s["number"] for s in systems}:
        raise ExtractionError(f"Appendix 1: owners for missing rows {sorted(unknown)}")
    return systems


# --------------------------------------------------------------------------------------------
# Appendix 2 (empty in the seed) and Appendix 3: projects, one cell per paragraph
# --------------------------------------------------------------------------------------------

_TABLE_HEADER = ["STT", "Tên nhiệm vụ, dự án", "Đơn vị chủ trì", "Kinh phí", "Phân bổ năm 2022", "Nguồn vốn"]


def _appendix2_is_empty(paras: list[str]) -> bool:
    section = _section(paras, "PHỤ LỤC 2", "PHỤ LỤC 3")
    # Title, "(Kèm theo …)" and "(Đơn vị tính: …)" and nothing else: no table.
    return not any(_AMOUNT.match(p) for p in section)


def _projects(paras: list[str]) -> tuple[list[dict], dict]:
    section = _section(paras, "PHỤ LỤC 3", None)
    try:
        at = next(i for i in range(len(section)) if section[i : i + 6] == _TABLE_HEADER) + 6
    except StopIteration as exc:
        raise ExtractionError("Appendix 3 table header not found") from exc
    cells = section[at:]
    # The total row: empty STT cell, "TỔNG", empty lead unit, two amounts, empty source.
    if cells[:3] != ["", "TỔNG", ""] or cells[5] != "":
        raise ExtractionError(f"Appendix 3 total row not found: {cells[:6]!r}")
    stated = {"total_budget": parse_amount(cells[3]), "allocation": parse_amount(cells[4])}
    cells = cells[6:]

    projects: list[dict] = []
    lead = ""
    i = 0
    while i < len(cells):
        expected = len(projects) + 1
        if cells[i] != str(expected):
            raise ExtractionError(f"Appendix 3: expected row {expected}, found {cells[i]!r}")
        # Text cells up to the first amount: the name, then the lead unit when the row names one.
        j = i + 1
        while j < len(cells) and not _AMOUNT.match(cells[j]):
            j += 1
        texts = cells[i + 1 : j]
        if len(texts) not in (1, 2) or j + 2 >= len(cells):
            raise ExtractionError(f"Appendix 3 row {expected}: cannot read {cells[i : j + 3]!r}")
        source = cells[j + 2]
        if not _AMOUNT.match(cells[j + 1]) or source not in _FUNDING_SOURCES:
            raise ExtractionError(f"Appendix 3 row {expected}: cannot read {cells[i : j + 3]!r}")
        carried = len(texts) == 1
        if not carried:
            lead = texts[1]
        elif not lead:
            raise ExtractionError(f"Appendix 3 row {expected}: no lead unit to carry forward")
        projects.append(
            {
                "number": expected,
                "name": texts[0],
                # As written in the table; rows that leave the cell blank belong to the unit above.
                "lead_unit_name": lead,
                "lead_unit_carried": carried,
                "total_budget": parse_amount(cells[j]),
                "allocation": parse_amount(cells[j + 1]),
                "funding_source": _FUNDING_SOURCES[source],
            }
        )
        i = j + 3
    return projects, stated


# --------------------------------------------------------------------------------------------
# Remarks about the seed (not figures: those are checked at load time)
# --------------------------------------------------------------------------------------------


def _remarks(paras: list[str], projects: list[dict]) -> list[dict]:
    remarks = []
    if _appendix2_is_empty(paras):
        remarks.append(
            {
                "code": "phu-luc-2-trong",
                "kind": "remark",
                "subject_type": "baseline",
                "subject_code": "kinh-phi-cntt-2021",
                "message": "Phụ lục 2 (chi tiết kinh phí năm 2021) không có bảng số liệu trong văn bản "
                "nguồn, nên không kiểm tra được tổng 83.589 triệu đồng.",
            }
        )
    for project in projects:
        # "(năm 2021 đã cấp 5.000 triệu)": part of the total was funded the year before.
        match = re.search(r"năm 2021 đã cấp (?P<n>[\d.]+) triệu", project["name"])
        if match:
            earlier = parse_amount(match["n"])
            remarks.append(
                {
                    "code": f"du-an-{project['number']}-da-cap-2021",
                    "kind": "remark",
                    "subject_type": "project",
                    "subject_code": str(project["number"]),
                    "message": (
                        f"Dự án {project['number']}: năm 2021 đã cấp {earlier:,} triệu đồng; kinh phí "
                        f"{project['total_budget']:,} − phân bổ 2022 {project['allocation']:,} = "
                        f"{project['total_budget'] - project['allocation']:,} triệu đồng."
                    ).replace(",", "."),
                }
            )
    return remarks


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def extract(text: str, *, source_name: str) -> dict:
    """The structured document of the plan in ``text`` (the seed file's content)."""
    paras = paragraphs(text)
    projects, stated_totals = _projects(paras)
    plan = _plan_metadata(paras)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    plan["source_reference"] = f"Văn bản gốc: {source_name} (sha256 {sha256})"
    plan["stated_totals"] = stated_totals
    return {
        "format": DOCUMENT_FORMAT,
        "source": {
            "file": source_name,
            "sha256": sha256,
            "extractor": "cqs.plans.seed",
            "extractor_version": EXTRACTOR_VERSION,
            "amount_unit": AMOUNT_UNIT,
            "text_fixups": [list(pair) for pair in TEXT_FIXUPS],
        },
        "plan": plan,
        "target_areas": _targets(paras),
        "baselines": _baselines(paras),
        "information_systems": _information_systems(paras),
        "projects": projects,
        "notes": _remarks(paras, projects),
    }


def extract_file(path: Path | str) -> dict:
    path = Path(path)
    return extract(path.read_text(encoding="utf-8"), source_name=path.name)


DATA_FILE = Path(__file__).resolve().parent / "data" / "plan_326_2021.json"
