"""Staff pages of citizen feedback: the inbox, one report with its actions, staff photos.

Views read with selectors and write with services: who may take which action in which state is
decided by ``workflow.transition_check`` inside ``services.report_act``; a refusal comes back as
a ``ServiceError`` whose message is shown on the report's page (re-rendered with its 4xx status,
the typed text kept) and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from cqs.accounts.permissions import grant_paths_prime, has_unit_permission, units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.feedback import selectors, services, workflow
from cqs.feedback.choices import OPEN_STATUSES, Datatype, Status
from cqs.feedback.forms_staff import (
    InboxFilterForm,
    PhotoForm,
    action_form,
    late_ack,
    late_forward,
    units_valid_today,
)
from cqs.feedback.models import Report
from cqs.feedback.photos import PHOTO_MAX_BYTES

PER_PAGE = 50
DUE_SOON = timedelta(hours=24)
LEAFLET_JS = "vendor/leaflet/dist/leaflet.js"
# Actions whose form is folded until opened: the page stays short for the usual next step.
FOLDED_ACTIONS = frozenset(
    {"reject", "forward", "transfer", "request_info", "mark_duplicate", "split", "reclassify", "comment"}
)
# Steps that are not transitions, and who took a step without an account (the reporter's link).
EXTRA_EVENT_LABELS = {
    "submit": gettext_lazy("Gửi phản ánh"),
    "split_from": gettext_lazy("Tách từ phản ánh khác"),
    "survey": pgettext_lazy("feedback event", "Đánh giá mức độ hài lòng"),
}
REPORTER_STEPS = frozenset({"submit", "provide_info", "survey", "reopen"})
# ServiceError.field → the form field that shows it, where the names differ.
FIELD_ALIASES = {"duplicate_of": "original", "note": "note"}


def _require_staff(user) -> None:
    """The 403 page for an account without any feedback role (citizens, other officials)."""
    if user.is_superuser:
        return
    if not units_in_scope(user, "feedback", "view_report").exists():
        raise PermissionDenied


def _visible_units(user):
    """The units whose reports ``user`` may see (for the inbox's unit filter)."""
    if user.is_superuser:
        return units_valid_today()
    return units_in_scope(user, "feedback", "view_report").order_by("path")


def _visible_report(request, code: str) -> Report:
    report = (
        selectors.staff_reports(request.user)
        .select_related(
            "category__parent", "reporter", "duplicate_of", "split_from", "answered_by_unit", "api_client"
        )
        .filter(code=code)
        .first()
    )
    if report is None:
        raise Http404
    return report


# --- the inbox ---------------------------------------------------------------------------------


def inbox_counters(queryset, now) -> dict:
    """One query: open, overdue, not acknowledged in time (Law 42), not forwarded in time (Decree 20)."""
    return queryset.order_by().aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        late_ack=Count("pk", filter=late_ack(now)),
        late_forward=Count("pk", filter=late_forward(now)),
    )


@login_required
@require_safe
def inbox(request):
    _require_staff(request.user)
    now = timezone.now()
    scope = selectors.staff_reports(request.user)
    form = InboxFilterForm(request.GET or None, units=_visible_units(request.user))
    form.is_valid()
    reports = form.filtered(scope, now=now)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "counters": inbox_counters(scope, now),
        "now": now,
        "soon": now + DUE_SOON,
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "feedback/staff/inbox.html", context)


# --- one report --------------------------------------------------------------------------------


def _attribute_rows(report: Report) -> list[tuple[str, str]]:
    """The answers to the category's questions, labelled with the questions (and list names)."""
    answers = dict(report.attributes or {})
    rows = []
    for attribute in report.category.attributes.all():
        if attribute.code not in answers:
            continue
        value = answers.pop(attribute.code)
        names = {str(v.get("key")): v.get("name") for v in attribute.values or [] if isinstance(v, dict)}
        if attribute.datatype in (Datatype.SINGLE, Datatype.MULTI):
            values = value if isinstance(value, list) else [value]
            value = ", ".join(str(names.get(str(v), v)) for v in values)
        rows.append((attribute.description, str(value)))
    # Answers to questions of a former category (the report was reclassified) stay visible.
    rows.extend((code, str(value)) for code, value in answers.items())
    return rows


def _deadlines(report: Report, now) -> list[dict]:
    is_open = report.status in OPEN_STATUSES
    return [
        {
            "id": "ack",
            "label": _("Hạn thông báo thụ lý (Luật Tiếp công dân, Điều 28)"),
            "due": report.ack_due_at,
            "done": report.acknowledged_at,
            "late": (report.acknowledged_at or now) > report.ack_due_at
            and (report.acknowledged_at is not None or is_open),
        },
        {
            "id": "forward",
            "label": _("Hạn chuyển đơn vị có thẩm quyền (Nghị định 20/2008, Điều 9)"),
            "due": report.forward_due_at,
            "done": None,
            "late": report.status == Status.RECEIVED and now > report.forward_due_at,
        },
        {
            "id": "answer",
            "label": _("Hạn trả lời"),
            "due": report.due_at,
            "done": report.answered_at,
            "late": (report.answered_at or now) > report.due_at
            and (report.answered_at is not None or is_open),
        },
    ]


def _map_context(report: Report) -> dict:
    tiles = getattr(settings, "CQS_MAP_TILES_URL", "")
    show = report.lat is not None and bool(tiles) and finders.find(LEAFLET_JS) is not None
    return {
        "show_map": show,
        "map_tiles": tiles,
        "map_attribution": getattr(settings, "CQS_MAP_TILES_ATTRIBUTION", ""),
    }


def _detail_context(request, report: Report, *, failed=None, error: ServiceError | None = None) -> dict:
    user, now = request.user, timezone.now()
    grant_paths_prime(user, "feedback")
    actions = workflow.actions_available(user=user, report=report)
    forms = []
    for transition in actions:
        if failed is not None and failed.prefix == transition.action:
            forms.append((transition, failed, False))
        else:
            form = action_form(transition.action, report=report, transition=transition)
            forms.append((transition, form, transition.action in FOLDED_ACTIONS))
    available = {t.action for t in actions}
    labels = {**EXTRA_EVENT_LABELS, **{a: t.label for a, t in workflow.TRANSITIONS.items()}}
    nearby = selectors.nearby_open(
        category=report.category, lat=report.lat, lon=report.lon, exclude_pk=report.pk
    )
    # Only reports of units the official may see (another unit's report is not theirs to read).
    visible = set(
        selectors.staff_reports(user).filter(pk__in=[r.pk for r, _d in nearby]).values_list("pk", flat=True)
    )
    nearby = [(r, distance) for r, distance in nearby if r.pk in visible]
    return {
        "report": report,
        "forms": forms,
        "may_mark_duplicate": "mark_duplicate" in available,
        "may_add_photo": has_unit_permission(user, workflow.HANDLE, report.unit),
        "photo_form": PhotoForm(),
        "attributes": _attribute_rows(report),
        "deadlines": _deadlines(report, now),
        "events": [
            {
                "event": event,
                "label": labels.get(event.action, event.action),
                "actor": str(event.actor)
                if event.actor_id
                else (_("Người phản ánh") if event.action in REPORTER_STEPS else _("Hệ thống")),
            }
            for event in report.events.select_related("actor", "unit")
        ],
        "photos": list(report.photos.all()),
        "surveys": list(report.surveys.all()),
        "duplicates": list(report.duplicates.only("code", "title", "status")),
        "split_children": list(report.split_children.only("code", "title", "status")),
        "nearby": nearby,
        "action_error": error,
        "now": now,
        **_map_context(report),
    }


@login_required
@require_safe
def detail(request, code: str):
    report = _visible_report(request, code)
    return render(request, "feedback/staff/detail.html", _detail_context(request, report))


def _error_to_form(form, error: ServiceError) -> None:
    field = FIELD_ALIASES.get(error.field or "", error.field or "")
    if field == "note" and "note" not in form.fields and "answer" in form.fields:
        field = "answer"
    form.add_error(field if field in form.fields else None, error.detail)


@login_required
@require_POST
def act(request, code: str):
    report = _visible_report(request, code)
    action = request.POST.get("action", "")
    try:
        # The service checks again under the row lock; checking first answers a refused person
        # with the refusal rather than with the errors of a form they were never shown.
        transition = workflow.transition_check(action, user=request.user, report=report)
    except ServiceError as error:
        context = _detail_context(request, report, error=error)
        return render(request, "feedback/staff/detail.html", context, status=error.status)
    form = action_form(action, report=report, transition=transition, data=request.POST)
    if not form.is_valid():
        context = _detail_context(request, report, failed=form)
        return render(request, "feedback/staff/detail.html", context, status=400)
    try:
        report = services.report_act(
            report=report,
            action=action,
            actor=request.user,
            note=form.cleaned_data.get("note", ""),
            **form.service_fields(),
        )
    except ServiceError as error:
        _error_to_form(form, error)
        context = _detail_context(request, report, failed=form, error=error)
        return render(request, "feedback/staff/detail.html", context, status=error.status)
    messages.success(request, _("Đã thực hiện: %(label)s.") % {"label": transition.label})
    if action == "split":
        codes = ", ".join(report.split_children.values_list("code", flat=True))
        messages.info(request, _("Các phản ánh mới: %(codes)s.") % {"codes": codes})
    # A report forwarded to another unit (or rerouted) may now be outside the user's scope.
    if not selectors.staff_reports(request.user).filter(pk=report.pk).exists():
        return redirect("feedback:inbox")
    return redirect("feedback:staff-detail", code=report.code)


@login_required
@require_POST
def photo_add(request, code: str):
    """A photo taken by staff (the place before and after the fix)."""
    report = _visible_report(request, code)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Chọn một ảnh để tải lên."))
        return redirect("feedback:staff-detail", code=report.code)
    upload = form.cleaned_data["photo"]
    if upload.size > PHOTO_MAX_BYTES:
        # Refused before reading it into memory.
        messages.error(
            request,
            _("Ảnh quá lớn: tối đa %(mb)s MB.") % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)},
        )
        return redirect("feedback:staff-detail", code=report.code)
    try:
        services.report_photo_add(report=report, name=upload.name, data=upload.read(), actor=request.user)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Đã thêm ảnh."))
    return redirect("feedback:staff-detail", code=report.code)
