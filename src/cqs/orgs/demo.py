"""Demo data: Vĩnh Phúc's administrative tree before 1 July 2025, then the 2025 reorganisation.

Sources, all pinned in ``pyproject.toml``:

- PyPI ``vietnam-address-converter`` 1.0.5, mapping "10_25" (``admin_mapping_old_to_new_10_25.xlsx``):
  Vĩnh Phúc's 9 districts and 121 communes before 1/7/2025 and the new commune of Phú Thọ each
  one went into. Its codes are the package's own, not GSO codes: they are kept in ``source`` only.
- PyPI ``vietnam-provinces`` 2025.10.1 (data of 2025-10-18): GSO codes of Phú Thọ's communes today.
- Decision 20/2020/QĐ-TTg: ``000.00.00.H62`` for the People's Committee of Vĩnh Phúc. The codes of
  departments, districts and communes were assigned by Decision 3456/QĐ-UBND of 17/12/2021, which
  we do not have: ours are marked ``identifier_source="demo"``.

Start dates before 2025 are not in these sources: every Vĩnh Phúc unit starts on 1/1/1997 (the
province re-established), a placeholder said so in ``source``. Rows are keyed by identifier and
start date, the event by name and date, so a second run creates nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from importlib.metadata import version

from django.db import transaction

from cqs.orgs.choices import IdentifierSource
from cqs.orgs.models import OrgUnit, OrgUnitKind, ReorganisationEvent
from cqs.orgs.services import (
    Dissolution,
    Merge,
    NewUnit,
    Split,
    orgunit_create,
    orgunit_reorganise,
    orgunitkind_create,
)

BASELINE = date(1997, 1, 1)
REORGANISATION_DATE = date(2025, 7, 1)
VINH_PHUC = "000.00.00.H62"
PHU_THO = "000.00.00.H44"

KINDS = [
    ("ubnd-tinh", "Ủy ban nhân dân tỉnh", 10),
    ("so", "Sở, ban, ngành thuộc UBND tỉnh", 20),
    ("co-quan-tinh", "Cơ quan, tổ chức cấp tỉnh", 30),
    ("huyen", "Đơn vị hành chính cấp huyện", 40),
    ("xa", "Đơn vị hành chính cấp xã", 50),
    ("khac", "Đơn vị khác", 90),
]

# The lead units of Appendix 3 of plan 326/KH-UBND, in the order the issue lists them; the
# position gives the demo identifier 000.00.NN.H62 (NN = 01…23).
DEPARTMENTS = [
    ("Sở Thông tin và Truyền thông", "STTTT", "so"),
    ("Sở Lao động – Thương binh và Xã hội", "SLĐTBXH", "so"),
    ("Sở Giao thông vận tải", "SGTVT", "so"),
    ("Sở Tài nguyên và Môi trường", "STNMT", "so"),
    ("Sở Y tế", "SYT", "so"),
    ("Văn phòng Tỉnh ủy", "VPTU", "co-quan-tinh"),
    ("Văn phòng UBND tỉnh", "VPUBND", "so"),
    ("Sở Tư pháp", "STP", "so"),
    ("Sở Ngoại vụ", "SNgV", "so"),
    ("Sở Nội vụ", "SNV", "so"),
    ("Báo Vĩnh Phúc", "BVP", "co-quan-tinh"),
    ("Sở Tài chính", "STC", "so"),
    ("Hội Liên hiệp Phụ nữ tỉnh", "HLHPN", "co-quan-tinh"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", "so"),
    ("Thanh tra tỉnh", "TTT", "so"),
    ("Bộ Chỉ huy Quân sự tỉnh", "BCHQS", "co-quan-tinh"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT", "so"),
    ("Sở Công Thương", "SCT", "so"),
    ("Văn phòng HĐND và Đoàn ĐBQH tỉnh", "VPHĐND", "co-quan-tinh"),
    ("Công an tỉnh", "CAT", "co-quan-tinh"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "SNNPTNT", "so"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT", "so"),
    ("Ban Dân tộc", "BDT", "so"),
]
DISTRICT_NUMBER_START = 40  # districts 000.00.40.H62…, after the departments
NEW_COMMUNE_NUMBER_START = 40  # Phú Thọ's communes 000.00.40.H44…, room left for its departments

EVENT_NAME = (
    "Sắp xếp đơn vị hành chính 2025: hợp nhất tỉnh Vĩnh Phúc vào tỉnh Phú Thọ; "
    "tổ chức chính quyền địa phương hai cấp"
)
LEGAL_BASIS = (
    "Nghị quyết 202/2025/QH15 ngày 12/6/2025 (hợp nhất tỉnh); Nghị quyết của UBTVQH về sắp xếp "
    "ĐVHC cấp xã tỉnh Phú Thọ năm 2025"
)

_PREFIXES = {"Thành Phố ": "Thành phố ", "Thị Trấn ": "Thị trấn ", "Thị Xã ": "Thị xã "}
_PLACEHOLDER = "ngày bắt đầu 1/1/1997 là mốc mặc định, chưa đối chiếu"


def _name(raw: str) -> str:
    """The package capitalises every word ("Thành Phố"); Vietnamese writes "Thành phố"."""
    for wrong, right in _PREFIXES.items():
        if raw.startswith(wrong):
            return right + raw[len(wrong) :]
    return raw


def sources() -> dict:
    import vietnam_provinces
    from vietnam_address_converter import data

    meta = data.mapping["meta"]
    return {
        "converter": f"vietnam-address-converter {version('vietnam-address-converter')}",
        "mapping": f"mapping {meta['version']} ({meta['source']})",
        "provinces": f"vietnam-provinces {version('vietnam-provinces')} "
        f"(dữ liệu {vietnam_provinces.__data_version__})",
    }


def old_divisions() -> list[dict]:
    """Vĩnh Phúc's districts, each with its communes and their new commune, in the package's order."""
    from vietnam_address_converter import data

    districts: dict[str, dict] = {}
    for row in data.mapping["rows"]:
        old, new = row["old"], row["new"]
        if old["province_name"] != "Tỉnh Vĩnh Phúc":
            continue
        district = districts.setdefault(
            old["district_code"],
            {"code": old["district_code"], "name": _name(old["district_name"]), "communes": {}},
        )
        commune = district["communes"].setdefault(
            old["ward_code"], {"code": old["ward_code"], "name": _name(old["ward_name"]), "new": []}
        )
        if new["ward_name"] not in commune["new"]:
            commune["new"].append(new["ward_name"])
    if not districts:
        raise RuntimeError("vietnam-address-converter: no rows for Tỉnh Vĩnh Phúc")
    return [district | {"communes": list(district["communes"].values())} for district in districts.values()]


def new_communes(names: set[str]) -> list[tuple[str, int]]:
    """(name, GSO code) of Phú Thọ's communes with these names, by code."""
    from vietnam_provinces import Ward

    found = {ward.name: int(ward.code) for ward in Ward.iter_by_province(25) if ward.name in names}
    missing = names - set(found)
    if missing:
        raise RuntimeError(f"vietnam-provinces: no ward of Phú Thọ named {sorted(missing)}")
    return sorted(found.items(), key=lambda item: item[1])


def _ensure_kinds() -> int:
    created = 0
    for code, name, rank in KINDS:
        if not OrgUnitKind.objects.filter(code=code).exists():
            orgunitkind_create(code=code, name=name, rank=rank)
            created += 1
    return created


def _ensure(
    *, identifier: str, identifier_source: str = IdentifierSource.DEMO, **fields
) -> tuple[OrgUnit, bool]:
    existing = OrgUnit.objects.filter(identifier=identifier, valid_from=BASELINE).first()
    if existing is not None:
        return existing, False
    unit = orgunit_create(
        identifier=identifier, identifier_source=identifier_source, valid_from=BASELINE, **fields
    )
    return unit, True


def _load_before(src: dict, divisions: list[dict]) -> tuple[dict, int]:
    created = 0
    province, new = _ensure(
        identifier=VINH_PHUC,
        identifier_source=IdentifierSource.OFFICIAL,
        kind="ubnd-tinh",
        name="Ủy ban nhân dân tỉnh Vĩnh Phúc",
        short_name="UBND",
        division_code="26",
        source="Mã định danh: QĐ 20/2020/QĐ-TTg (H62 = Vĩnh Phúc); mã ĐVHC 26 của Tổng cục Thống kê; "
        "hiệu lực từ ngày tái lập tỉnh 1/1/1997",
    )
    created += new
    departments = []
    for number, (name, short_name, kind) in enumerate(DEPARTMENTS, start=1):
        unit, new = _ensure(
            identifier=f"000.00.{number:02d}.H62",
            kind=kind,
            name=name,
            short_name=short_name,
            parent=province,
            source="Đơn vị chủ trì, Phụ lục 3 KH 326/KH-UBND; mã do CQS gán (không có QĐ 3456/QĐ-UBND "
            f"ngày 17/12/2021 gán mã thật); {_PLACEHOLDER}",
        )
        departments.append(unit)
        created += new
    districts, communes = [], []
    for d_index, district in enumerate(divisions):
        dd = DISTRICT_NUMBER_START + d_index
        d_unit, new = _ensure(
            identifier=f"000.00.{dd:02d}.H62",
            kind="huyen",
            name=district["name"],
            short_name="UBND",
            parent=province,
            source=f"{src['converter']} {src['mapping']}, huyện {district['code']}; {_PLACEHOLDER}",
        )
        districts.append(d_unit)
        created += new
        for c_index, commune in enumerate(district["communes"], start=1):
            c_unit, new = _ensure(
                identifier=f"000.{c_index:02d}.{dd:02d}.H62",
                kind="xa",
                name=commune["name"],
                short_name="UBND",
                parent=d_unit,
                source=f"{src['converter']} {src['mapping']}, xã {commune['code']}; {_PLACEHOLDER}",
            )
            communes.append((c_unit, commune["new"]))
            created += new
    return {
        "province": province,
        "departments": departments,
        "districts": districts,
        "communes": communes,
    }, created


def _reorganise(src: dict, before: dict) -> ReorganisationEvent:
    phu_tho = NewUnit(
        kind="ubnd-tinh",
        name="Ủy ban nhân dân tỉnh Phú Thọ",
        short_name="UBND",
        identifier=PHU_THO,
        identifier_source=IdentifierSource.DERIVED,
        division_code="25",
        source="Mã H44 suy ra từ thứ tự chữ cái của bảng H trong QĐ 20/2020/QĐ-TTg (khớp H41 Nghệ An, "
        f"H62 Vĩnh Phúc), chưa đối chiếu văn bản; mã ĐVHC 25: {src['provinces']}",
    )
    names = {name for _unit, new in before["communes"] for name in new}
    successors = {
        name: NewUnit(
            kind="xa",
            name=name,
            short_name="UBND",
            identifier=f"000.00.{NEW_COMMUNE_NUMBER_START + index:02d}.H44",
            identifier_source=IdentifierSource.DEMO,
            division_code=f"{code:05d}",
            parent=phu_tho,
            source=f"{src['provinces']}, mã ĐVHC {code:05d}; xã cũ: {src['converter']} {src['mapping']}",
        )
        for index, (name, code) in enumerate(new_communes(names))
    }
    merged_into: dict[str, list[OrgUnit]] = defaultdict(list)
    splits = []
    for unit, new in before["communes"]:
        if len(new) == 1:
            merged_into[new[0]].append(unit)
        else:
            splits.append(Split(predecessor=unit, successors=[successors[name] for name in new]))
    merges = [
        Merge(predecessors=[before["province"]], successor=phu_tho),
        Merge(predecessors=before["departments"], successor=phu_tho),
        *(Merge(predecessors=units, successor=successors[name]) for name, units in merged_into.items()),
    ]
    return orgunit_reorganise(
        event_name=EVENT_NAME,
        legal_basis=LEGAL_BASIS,
        effective_date=REORGANISATION_DATE,
        note=(
            "Số hiệu nghị quyết của UBTVQH về sắp xếp ĐVHC cấp xã tỉnh Phú Thọ năm 2025 chưa được "
            "đối chiếu. Việc sắp xếp các sở, ngành năm 2025 không có trong nguồn dữ liệu: 23 sở, ngành "
            "của tỉnh Vĩnh Phúc được ghi là hợp nhất vào UBND tỉnh Phú Thọ. Xã cũ → xã mới: "
            f"{src['converter']} {src['mapping']}; mã ĐVHC xã mới: {src['provinces']}."
        ),
        merges=merges,
        splits=splits,
        dissolutions=[Dissolution(unit=district, successor=phu_tho) for district in before["districts"]],
    )


def load_demo(*, log: Callable[[str], None]) -> None:
    src = sources()
    with transaction.atomic():
        kinds = _ensure_kinds()
        before, created = _load_before(src, old_divisions())
        event = ReorganisationEvent.objects.filter(
            name=EVENT_NAME, effective_date=REORGANISATION_DATE
        ).first()
        applied = event is None
        if applied:
            event = _reorganise(src, before)
    after_units = OrgUnit.objects.as_of(REORGANISATION_DATE)
    provinces_after = after_units.filter(kind__code="ubnd-tinh").count()
    communes_after = after_units.filter(kind__code="xa").count()
    log(
        f"orgs: {kinds} loại đơn vị, {created} đơn vị mới"
        f"{', áp dụng sự kiện sắp xếp 1/7/2025' if applied else ''}. "
        f"Trước 1/7/2025: 1 tỉnh, {len(before['departments'])} sở, ngành, {len(before['districts'])} huyện, "
        f"{len(before['communes'])} xã; từ 1/7/2025: {provinces_after} tỉnh, {communes_after} xã, phường. "
        f"Nguồn: {src['converter']} {src['mapping']}; {src['provinces']}."
    )
