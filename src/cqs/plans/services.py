"""Writes of the plans app: loading a plan document (the plan is data, never edited by hand)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.plans import checks, selectors
from cqs.plans.document import invalid_document, parse_document
from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea


class _Changes:
    """What a load created, updated and deleted, by kind of row, for the audit event."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list]] = {}

    def add(self, kind: str, action: str, key: Any) -> None:
        self.rows.setdefault(kind, {"created": [], "updated": [], "deleted": []})[action].append(key)

    def __bool__(self) -> bool:
        return any(keys for actions in self.rows.values() for keys in actions.values())

    def as_dict(self) -> dict:
        return {
            kind: {action: keys for action, keys in actions.items() if keys}
            for kind, actions in sorted(self.rows.items())
            if any(actions.values())
        }


def _sync(
    *,
    model: type[models.Model],
    plan: Plan,
    key: str,
    rows: list[dict],
    changes: _Changes,
    kind: str,
) -> dict[Any, models.Model]:
    """Make the plan's ``model`` rows equal to ``rows`` (matched on ``key``): create what is
    new, update what differs, delete what the document no longer has. Untouched rows are not
    written, so a second load of the same document writes nothing."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(plan=plan)}
    wanted = {row[key]: row for row in rows}
    for stale_key in sorted(set(existing) - set(wanted), key=str):
        existing.pop(stale_key).delete()
        changes.add(kind, "deleted", stale_key)
    to_create = []
    for row_key, row in wanted.items():
        obj = existing.get(row_key)
        if obj is None:
            to_create.append(model(plan=plan, **row))
            changes.add(kind, "created", row_key)
            continue
        # Decimal("157054.00") from the database equals Decimal("157054") from the document.
        changed = [field for field, value in row.items() if getattr(obj, field) != value]
        if changed:
            for field in changed:
                setattr(obj, field, row[field])
            obj.save(update_fields=changed)
            changes.add(kind, "updated", row_key)
    for obj in model.objects.bulk_create(to_create):
        existing[getattr(obj, key)] = obj
    return existing


def _counts(plan: Plan) -> dict[str, int]:
    return {
        "target_areas": plan.target_areas.count(),
        "targets": plan.targets.count(),
        "baselines": plan.baselines.count(),
        "information_systems": plan.information_systems.count(),
        "projects": plan.projects.count(),
        "data_notes": plan.data_notes.count(),
    }


def plan_load(*, document: dict, actor=None) -> Plan:
    """Load (or reload) a plan from its document, keyed by plan number and by row numbers/codes.

    Idempotent: loading the same document again writes nothing and records no audit event.
    Lead units and the issuing unit are linked by name/identifier against the organisation tree
    as of the date of issue; a name that matches no unit (or several) leaves the link empty.
    Discrepancies in the plan's own figures are computed here and stored as ``DataNote`` rows.
    The returned plan carries ``load_changes``: what was created, updated and deleted (empty
    when nothing changed).
    """
    data = parse_document(document)  # raises ServiceError before anything is written
    computed = checks.computed_notes(document)
    computed_codes = {note["code"] for note in computed}
    for index, remark in enumerate(data["notes"]):
        if remark["code"] in computed_codes:
            raise invalid_document(f"notes[{index}].code", _("trùng mã với một sai lệch được tính"))
    notes = computed + [remark | {"computed": None, "stated": None} for remark in data["notes"]]
    plan_fields = dict(data["plan"])
    number = plan_fields.pop("number")
    identifier = plan_fields.pop("issuer_identifier")
    issued_on = plan_fields["issued_on"]

    with transaction.atomic():
        issuer_unit = selectors.org_unit_by_identifier(identifier, on=issued_on)
        plan_fields["issuer_unit_id"] = issuer_unit.pk if issuer_unit else None
        units = selectors.org_units_by_name({p["lead_unit_name"] for p in data["projects"]}, on=issued_on)

        changes = _Changes()
        plan = Plan.objects.select_for_update().filter(number=number).first()
        before = None
        if plan is None:
            plan = Plan.objects.create(number=number, **plan_fields)
            changes.add("plan", "created", number)
        else:
            before = {"counts": _counts(plan), "source_sha256": plan.source_sha256}
            changed = [field for field, value in plan_fields.items() if getattr(plan, field) != value]
            if changed:
                for field in changed:
                    setattr(plan, field, plan_fields[field])
                plan.save(update_fields=[*changed, "loaded_at"])
                changes.add("plan", "updated", number)

        areas = _sync(
            model=TargetArea,
            plan=plan,
            key="number",
            rows=data["target_areas"],
            changes=changes,
            kind="target_area",
        )
        target_rows = [
            {key: value for key, value in row.items() if key != "area_number"}
            | {"area_id": areas[row["area_number"]].pk}
            for row in data["targets"]
        ]
        _sync(model=Target, plan=plan, key="code", rows=target_rows, changes=changes, kind="target")
        _sync(
            model=BaselineValue,
            plan=plan,
            key="code",
            rows=data["baselines"],
            changes=changes,
            kind="baseline",
        )
        _sync(
            model=InformationSystem,
            plan=plan,
            key="number",
            rows=data["information_systems"],
            changes=changes,
            kind="information_system",
        )
        project_rows = [
            row | {"lead_unit_id": unit.pk if (unit := units.get(row["lead_unit_name"])) else None}
            for row in data["projects"]
        ]
        _sync(model=Project, plan=plan, key="number", rows=project_rows, changes=changes, kind="project")
        _sync(model=DataNote, plan=plan, key="code", rows=notes, changes=changes, kind="data_note")

        if changes:
            audit_record(
                action="plans.plan.load",
                obj=plan,
                before=before,
                after={
                    "counts": _counts(plan),
                    "source_sha256": plan.source_sha256,
                    "changes": changes.as_dict(),
                },
                actor=actor,
            )
    plan.load_changes = changes.as_dict()
    return plan
