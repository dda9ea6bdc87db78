"""Demo data: plan 326/KH-UBND from the committed document, linked to the demo organisation tree.

``cqs demo`` runs the orgs demo first, so the lead units of Appendix 3 can be found by name as
of the plan's date. A name that finds no unit keeps an empty link and is logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from cqs.plans import selectors
from cqs.plans.seed import DATA_FILE
from cqs.plans.services import plan_load

# Row 59 of Appendix 3 is led by "Các sở, ngành, địa phương": many units, none to link.
UNLINKED_ON_PURPOSE = {"Các sở, ngành, địa phương"}

_KINDS = {
    "plan": "kế hoạch",
    "target_area": "lĩnh vực mục tiêu",
    "target": "mục tiêu",
    "baseline": "số liệu 2021",
    "information_system": "hệ thống thông tin",
    "project": "dự án, nhiệm vụ",
    "data_note": "ghi chú số liệu",
}
_ACTIONS = {"created": "thêm", "updated": "cập nhật", "deleted": "xóa"}


def load_document() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def load_demo(*, log: Callable[[str], None]) -> None:
    plan = plan_load(document=load_document())
    changes = plan.load_changes
    if changes:
        summary = "; ".join(
            f"{_KINDS.get(kind, kind)}: "
            + ", ".join(f"{_ACTIONS[action]} {len(keys)}" for action, keys in actions.items())
            for kind, actions in changes.items()
        )
        log(f"Kế hoạch {plan.number}: đã nạp ({summary}).")
    else:
        log(f"Kế hoạch {plan.number}: không có thay đổi.")
    if plan.issuer_unit_id is None:
        log(f"Không tìm thấy đơn vị ban hành {plan.issuer} trong cây tổ chức.")
    missing = sorted(
        {p.lead_unit_name for p in selectors.plan_projects_without_unit(plan)} - UNLINKED_ON_PURPOSE
    )
    for name in missing:
        log(f"Không tìm thấy đơn vị chủ trì “{name}” trong cây tổ chức ngày {plan.issued_on:%d/%m/%Y}.")
    discrepancies = selectors.plan_discrepancies(plan).count()
    if discrepancies:
        log(f"{discrepancies} sai lệch số liệu trong văn bản gốc được ghi nhận (không sửa số liệu).")
