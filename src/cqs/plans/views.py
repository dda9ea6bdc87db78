"""Pages of the plan: targets and 2021 figures, projects with totals, information systems."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cqs.plans import selectors


def _empty(request, active: str):
    # Before `cqs demo` (or a load) there is no plan: say how to load one instead of a 404.
    return render(request, "plans/empty.html", {"active": active})


@require_safe
@login_required
def plan_detail(request):
    plan = selectors.plan_current()
    if plan is None:
        return _empty(request, "detail")
    notes = list(selectors.plan_data_notes(plan))
    noted = {(note.subject_type, note.subject_code) for note in notes if note.is_discrepancy}
    baselines = [
        (baseline, ("baseline", baseline.code) in noted) for baseline in selectors.plan_baselines(plan)
    ]
    context = {
        "active": "detail",
        "plan": plan,
        "areas": selectors.plan_targets_by_area(plan),
        "baselines": baselines,
        "notes": notes,
        "discrepancy_count": sum(1 for note in notes if note.is_discrepancy),
        "totals": selectors.plan_project_totals(plan),
    }
    return render(request, "plans/detail.html", context)


@require_safe
@login_required
def plan_projects(request):
    plan = selectors.plan_current()
    if plan is None:
        return _empty(request, "projects")
    context = {
        "active": "projects",
        "plan": plan,
        "groups": selectors.plan_projects_by_lead_unit(plan),
        "totals": selectors.plan_project_totals(plan),
        "notes": [n for n in selectors.plan_data_notes(plan) if n.subject_type in ("project", "plan")],
    }
    return render(request, "plans/projects.html", context)


@require_safe
@login_required
def plan_systems(request):
    plan = selectors.plan_current()
    if plan is None:
        return _empty(request, "systems")
    context = {"active": "systems", "plan": plan, "systems": selectors.plan_information_systems(plan)}
    return render(request, "plans/systems.html", context)
