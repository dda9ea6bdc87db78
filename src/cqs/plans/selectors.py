"""Reads of the plan: for pages, the API and other modules (ioc reports progress against targets)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min, Prefetch, QuerySet, Sum

from cqs.orgs.models import OrgUnit
from cqs.plans.choices import FundingSource, NoteKind
from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea

# --------------------------------------------------------------------------------------------
# Organisation units by name (lead units are written by name, often abbreviated)
# --------------------------------------------------------------------------------------------

# Abbreviations the plan's table uses in unit names.
_ABBREVIATIONS = {
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "đbqh": "đại biểu quốc hội",
    "ptnt": "phát triển nông thôn",
    "xh": "xã hội",
    "vt": "vận tải",
    "tt&tt": "thông tin và truyền thông",
}
# Old and new tone-mark placement ("hoá"/"hóa", "thuỷ"/"thủy") are both correct Vietnamese.
_OLD_STYLE = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip
_SUFFIXES = (" tỉnh vĩnh phúc", " tỉnh")


def normalize_unit_name(name: str) -> str:
    """A comparison key: case, punctuation, abbreviations, tone placement and a trailing "tỉnh"
    do not tell two units apart ("Sở Giao thông VT" is "Sở Giao thông vận tải")."""
    text = unicodedata.normalize("NFC", name).casefold()
    for old, new in _OLD_STYLE.items():
        text = text.replace(old, new)
    text = re.sub(r"[,–—\-.;:()]", " ", text)
    words = [_ABBREVIATIONS.get(word, word) for word in text.split()]
    text = " ".join(" ".join(words).split())
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and text != suffix.strip():
            text = text[: -len(suffix)]
            break
    return text


def org_units_by_name(names: Iterable[str], *, on: dt.date) -> dict[str, OrgUnit | None]:
    """The unit in force on ``on`` that each name designates, or ``None`` when no unit, or more
    than one, has that name."""
    wanted = {name: normalize_unit_name(name) for name in names}
    candidates: dict[str, list[OrgUnit]] = {}
    for unit in OrgUnit.objects.as_of(on).only("id", "name", "path"):
        candidates.setdefault(normalize_unit_name(unit.name), []).append(unit)
    result: dict[str, OrgUnit | None] = {}
    for name, key in wanted.items():
        units = candidates.get(key, [])
        result[name] = units[0] if len(units) == 1 else None
    return result


def org_unit_by_identifier(identifier: str, *, on: dt.date) -> OrgUnit | None:
    if not identifier:
        return None
    return OrgUnit.objects.as_of(on).filter(identifier=identifier).order_by("id").first()


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


def plan_list() -> QuerySet[Plan]:
    return Plan.objects.select_related("issuer_unit").order_by("-issued_on", "number")


def plan_current() -> Plan | None:
    """The plan the pages show: the most recent one."""
    return plan_list().first()


def plan_detail_queryset() -> QuerySet[Plan]:
    """Plans with everything the detail page and API show, in a fixed number of queries."""
    return plan_list().prefetch_related(
        Prefetch(
            "target_areas",
            queryset=TargetArea.objects.order_by("number").prefetch_related(
                Prefetch("targets", queryset=Target.objects.order_by("order"))
            ),
        ),
        Prefetch("baselines", queryset=BaselineValue.objects.order_by("order")),
        Prefetch("projects", queryset=Project.objects.select_related("lead_unit").order_by("number")),
        Prefetch("information_systems", queryset=InformationSystem.objects.order_by("number")),
        Prefetch("data_notes", queryset=DataNote.objects.order_by("kind", "code")),
    )


def plan_targets_by_area(plan: Plan) -> list[tuple[TargetArea, list[Target]]]:
    areas = plan.target_areas.order_by("number").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("order"))
    )
    return [(area, list(area.targets.all())) for area in areas]


def plan_target(plan: Plan, code: str) -> Target | None:
    return plan.targets.filter(code=code).first()


def plan_baselines(plan: Plan) -> QuerySet[BaselineValue]:
    return plan.baselines.order_by("order")


def plan_baseline(plan: Plan, code: str) -> BaselineValue | None:
    return plan.baselines.filter(code=code).first()


def plan_information_systems(plan: Plan) -> QuerySet[InformationSystem]:
    return plan.information_systems.order_by("number")


def plan_projects(plan: Plan) -> QuerySet[Project]:
    return plan.projects.select_related("lead_unit").order_by("number")


def plan_projects_without_unit(plan: Plan) -> QuerySet[Project]:
    return plan.projects.filter(lead_unit__isnull=True).order_by("number")


def plan_data_notes(plan: Plan) -> QuerySet[DataNote]:
    return plan.data_notes.order_by("kind", "code")


def plan_discrepancies(plan: Plan) -> QuerySet[DataNote]:
    return plan_data_notes(plan).exclude(kind=NoteKind.REMARK)


@dataclass(frozen=True)
class ProjectTotals:
    count: int
    total_budget: int
    allocation: int
    stated_total_budget: int
    stated_allocation: int
    by_lead_unit: list[dict]
    by_funding_source: list[dict]

    @property
    def matches_stated(self) -> bool:
        return (self.total_budget, self.allocation) == (self.stated_total_budget, self.stated_allocation)


def plan_project_totals(plan: Plan) -> ProjectTotals:
    """Sums of Appendix 3, overall, by lead unit (as written, in table order) and by source."""
    projects = Project.objects.filter(plan=plan)
    overall = projects.aggregate(
        count=Count("id"), total_budget=Sum("total_budget"), allocation=Sum("allocation")
    )
    by_unit = (
        projects.values("lead_unit_name", "lead_unit_id", "lead_unit__name")
        .annotate(
            count=Count("id"),
            total_budget=Sum("total_budget"),
            allocation=Sum("allocation"),
            first_number=Min("number"),
        )
        .order_by("first_number")
    )
    by_source = (
        projects.values("funding_source")
        .annotate(count=Count("id"), total_budget=Sum("total_budget"), allocation=Sum("allocation"))
        .order_by("funding_source")
    )
    labels = dict(FundingSource.choices)
    return ProjectTotals(
        count=overall["count"],
        total_budget=overall["total_budget"] or 0,
        allocation=overall["allocation"] or 0,
        stated_total_budget=plan.stated_total_budget,
        stated_allocation=plan.stated_total_allocation,
        by_lead_unit=[
            {
                "lead_unit_name": row["lead_unit_name"],
                "lead_unit_id": row["lead_unit_id"],
                "lead_unit_current_name": row["lead_unit__name"],
                "count": row["count"],
                "total_budget": row["total_budget"],
                "allocation": row["allocation"],
            }
            for row in by_unit
        ],
        by_funding_source=[
            {
                "funding_source": row["funding_source"],
                "label": str(labels.get(row["funding_source"], row["funding_source"])),
                "count": row["count"],
                "total_budget": row["total_budget"],
                "allocation": row["allocation"],
            }
            for row in by_source
        ],
    )


def plan_projects_by_lead_unit(plan: Plan) -> list[dict]:
    """Appendix 3 in table order, cut into runs of the same lead unit, each with its subtotal."""
    groups: list[dict] = []
    for project in plan_projects(plan):
        if not groups or groups[-1]["lead_unit_name"] != project.lead_unit_name:
            groups.append(
                {
                    "lead_unit_name": project.lead_unit_name,
                    "lead_unit": project.lead_unit,
                    "projects": [],
                    "total_budget": 0,
                    "allocation": 0,
                }
            )
        group = groups[-1]
        group["projects"].append(project)
        group["total_budget"] += project.total_budget
        group["allocation"] += project.allocation
    return groups
