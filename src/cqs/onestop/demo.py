"""Demo catalogue: 21 real procedures (civil status, certification, residence, business, building,
land, judicial records, labour) from ``data/procedures_demo.json``, in the national portal's
LayThuTuc shape. The file states its sources; its codes ``9.99xxxx`` are placeholders, not
national codes, and every fact not checked against the national database says "chưa đối chiếu".

Implementing units come from the orgs demo on the version's start date (1/7/2025): commune-level
procedures at the first five communes of Phú Thọ, provincial ones at the People's Committee of
Phú Thọ (the demo tree records the former departments as merged into it). Idempotent: a second
run publishes nothing, since identical data is not a new version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from cqs.onestop.choices import Level
from cqs.onestop.laythutuc import parse_payload
from cqs.onestop.services import procedures_import
from cqs.orgs.models import OrgUnit

DATA_FILE = Path(__file__).resolve().parent / "data" / "procedures_demo.json"
FORMS_FILE = Path(__file__).resolve().parent / "data" / "forms_demo.json"
DEMO_COMMUNES = 5


def demo_units(on: date) -> dict[str, list[str]]:
    """Identifiers of the demo's implementing units per level, among the units in force on ``on``."""
    units = OrgUnit.objects.as_of(on).exclude(identifier="").select_related("kind").order_by("identifier")
    communes = [unit.identifier for unit in units.filter(kind__code="xa")[:DEMO_COMMUNES]]
    provinces = [unit.identifier for unit in units.filter(kind__code="ubnd-tinh")[:1]]
    return {Level.PROVINCE: provinces, Level.COMMUNE: communes}


def load_demo(*, log: Callable[[str], None]) -> None:
    records = parse_payload(json.loads(DATA_FILE.read_text(encoding="utf-8")))
    forms = json.loads(FORMS_FILE.read_text(encoding="utf-8"))["forms"]
    for record in records:
        record.data["form_fields"] = forms.get(record.code, [])
        units = demo_units(record.valid_from) if record.valid_from else {}
        record.unit_identifiers = [
            identifier for level in record.data["levels"] for identifier in units.get(level, [])
        ]
    summary = procedures_import(records=records)
    log(
        f"onestop: {len(records)} thủ tục minh họa; {len(summary['created'])} mới, "
        f"{len(summary['published'])} phiên bản mới, {len(summary['unchanged'])} không đổi. "
        f"Nguồn: {DATA_FILE.name} (mã 9.99xxxx là mã tạm, chưa đối chiếu CSDL quốc gia về TTHC)."
    )
    from cqs.onestop.demo_dossiers import load_demo_dossiers

    load_demo_dossiers(log=log)
