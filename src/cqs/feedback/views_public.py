"""The public side of citizen feedback (no login needed): file a report, the confirmation, the
lookup, a report's status page with the reporter's survey and "more information", the public
map (GeoJSON) and list, duplicate suggestions and the photos.

Who sees what: a report in a public category (not rejected) shows its masked description,
photos, public history and published answer to anyone; otherwise only its status and dates.
The reporter (their account, or the secret link ``?t=`` kept in the session afterwards) and
staff with view permission on its unit see it whole. Personal data (name, phone, e-mail, CCCD)
never reaches a public page or JSON: text goes through ``privacy.mask_personal``.

Views hold no business logic: they read with selectors, write with services, and show a
``ServiceError`` next to the field it names.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.accounts.permissions import has_unit_permission
from cqs.core.exceptions import ServiceError
from cqs.feedback import geo, notifications, selectors, workflow
from cqs.feedback.choices import OPEN_STATUSES, Status
from cqs.feedback.forms import (
    SURVEY_STATUSES,
    AttributesForm,
    LookupForm,
    ProvideInfoForm,
    PublicFilterForm,
    ReportForm,
    SurveyForm,
    error_to_form,
)
from cqs.feedback.models import Category, Report, ReportPhoto
from cqs.feedback.photos import PHOTO_MAX_BYTES, PHOTOS_MAX, photo_prepare
from cqs.feedback.privacy import mask_personal
from cqs.feedback.services import report_act, report_photo_add, report_submit, survey_submit

VIEW = "feedback.view_report"
PAGE_SIZE = 20
GEOJSON_MAX = 2000
# Session keys: codes filed from this browser, and reporter tokens opened in it ({code: token}).
FILED_KEY = "feedback_filed"
TOKENS_KEY = "feedback_tokens"
SESSION_KEEP = 20
# The one-time form token is signed so that only a token this server put in a form can name a
# report to return (a forged token could otherwise fetch another filer's report and its link).
FORM_TOKEN_SALT = "cqs.feedback.form-token"  # noqa: S105 - a salt, not a secret
FORM_TOKEN_PREFIX = "web-"  # noqa: S105

EVENT_LABELS = {
    "submit": gettext_lazy("Tiếp nhận phản ánh"),
    "split_from": gettext_lazy("Được tách từ phản ánh khác"),
}
STATUS_BADGES = {
    Status.ANSWERED: "success",
    Status.PUBLISHED: "success",
    Status.CLOSED: "secondary",
    Status.REJECTED: "danger",
    Status.TRANSFERRED: "secondary",
    Status.INFO_REQUESTED: "info",
}


# --- helpers ------------------------------------------------------------------------------------


def _user(request):
    return request.user if request.user.is_authenticated else None


def _json_error(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _report_or_404(code: str) -> Report:
    report = Report.objects.select_related("category", "unit", "duplicate_of").filter(code=code).first()
    if report is None:
        raise Http404
    return report


def _remember(request, report: Report, *, filed: bool = False) -> None:
    """Keep the reporter's token (and that this browser filed it) in the session, newest last."""
    tokens = dict(request.session.get(TOKENS_KEY, {}))
    tokens.pop(report.code, None)
    tokens[report.code] = report.access_token
    request.session[TOKENS_KEY] = dict(list(tokens.items())[-SESSION_KEEP:])
    if filed:
        codes = [c for c in request.session.get(FILED_KEY, []) if c != report.code]
        request.session[FILED_KEY] = [*codes, report.code][-SESSION_KEEP:]


@dataclass(frozen=True)
class Viewer:
    reporter: bool
    staff: bool
    token: str | None

    @property
    def full(self) -> bool:
        return self.reporter or self.staff


def _viewer(request, report: Report) -> Viewer:
    token = request.session.get(TOKENS_KEY, {}).get(report.code)
    return Viewer(
        reporter=workflow.is_reporter(user=_user(request), report=report, token=token),
        staff=has_unit_permission(request.user, VIEW, report.unit),
        token=token,
    )


def _is_public(report: Report) -> bool:
    return report.category.is_public and report.status != Status.REJECTED


def _event_label(action: str) -> str:
    if action in workflow.TRANSITIONS:
        return str(workflow.TRANSITIONS[action].label)
    return str(EVENT_LABELS.get(action, action))


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _new_form_token() -> str:
    return signing.Signer(salt=FORM_TOKEN_SALT).sign(secrets.token_urlsafe(18))


def _client_token(signed: str) -> str:
    """The service's ``client_token`` for a signed form token; "" if the token is not ours."""
    try:
        return FORM_TOKEN_PREFIX + signing.Signer(salt=FORM_TOKEN_SALT).unsign(signed or "")
    except signing.BadSignature:
        return ""


def _category_filter(queryset, code: str):
    """Reports of the category ``code`` and, for a group, of its subcategories."""
    ids = Category.objects.filter(Q(code=code) | Q(parent__code=code)).values("pk")
    return queryset.filter(category_id__in=ids)


def _status_filter(queryset, status: str):
    if status == "open":
        return queryset.filter(status__in=OPEN_STATUSES)
    if status == "closed":
        return queryset.exclude(status__in=OPEN_STATUSES)
    return queryset


def _public_categories() -> list[Category]:
    return [c for c in selectors.categories_leaf() if c.is_public]


def _map_context() -> dict:
    from django.conf import settings

    box = geo.province_box()
    return {
        "map_bounds": f"{box.min_lon},{box.min_lat},{box.max_lon},{box.max_lat}",
        "map_tiles_url": settings.CQS_MAP_TILES_URL,
        "map_tiles_attribution": settings.CQS_MAP_TILES_ATTRIBUTION,
    }


# --- the public map and list --------------------------------------------------------------------


@require_safe
def home(request):
    """The public map (GeoJSON of the view, loaded by feedback/map.js) and the list of reports."""
    categories = _public_categories()
    form = PublicFilterForm(request.GET or None, categories=categories)
    reports = (
        selectors.public_reports()
        .select_related("category")
        .only("code", "title", "status", "submitted_at", "is_public", "answer_public", "category__name")
        .order_by("-submitted_at", "-pk")
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["category"]:
            reports = _category_filter(reports, data["category"])
        reports = _status_filter(reports, data["status"])
        query = " ".join(data["q"].split())
        if query and mask_personal(query) != query:
            # Searching by a phone or ID number would tell whether a report quotes it.
            form.add_error("q", _("Không tìm theo số điện thoại, số giấy tờ hay thư điện tử."))
            reports = reports.none()
        elif query:
            reports = reports.filter(title__icontains=query)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page.object_list:
        report.public_title = mask_personal(report.title)
        report.badge = STATUS_BADGES.get(report.status, "warning")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        **_map_context(),
    }
    return render(request, "feedback/public/home.html", context)


@require_safe
def geojson(request):
    """Public reports with a point inside ``bbox`` (newest first, at most 2,000), as GeoJSON."""
    try:
        box = geo.parse_box(request.GET.get("bbox", ""))
    except ValueError:
        return _json_error(
            "invalid_bbox",
            _(
                "Tham số bbox phải là bốn số: kinh độ nhỏ nhất, vĩ độ nhỏ nhất, "
                "kinh độ lớn nhất, vĩ độ lớn nhất."
            ),
        )
    reports = selectors.reports_in_box(selectors.public_reports(), box)
    code = (request.GET.get("category") or "").strip()
    if code:
        reports = _category_filter(reports, code)
    status = request.GET.get("status") or ""
    if status not in ("", "open", "closed"):
        return _json_error("invalid_status", _("Tham số status chỉ nhận open hoặc closed."))
    reports = _status_filter(reports, status)
    rows = selectors.geojson_rows(reports, limit=GEOJSON_MAX + 1)
    data = selectors.report_geojson(rows[:GEOJSON_MAX])
    data["truncated"] = len(rows) > GEOJSON_MAX
    return JsonResponse(data)


@require_safe
def nearby(request):
    """Open public reports of the same category near a point: "is this what you wanted to report?"."""
    category = selectors.category_by_code(request.GET.get("category", ""))
    if category is None:
        return _json_error("unknown_category", _("Lĩnh vực phản ánh không tồn tại."))
    lat, lon = _float(request.GET.get("lat")), _float(request.GET.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return _json_error("invalid_location", _("Vĩ độ và kinh độ phải là số hợp lệ."))
    results = []
    if category.is_public:
        for report, distance in selectors.nearby_open(category=category, lat=lat, lon=lon):
            results.append(
                {
                    "code": report.code,
                    "title": mask_personal(report.title),
                    "status": report.status,
                    "status_label": str(Status(report.status).label),
                    "distance_m": round(distance),
                    "url": reverse("feedback:status", args=[report.code]),
                }
            )
    return JsonResponse({"results": results})


# --- filing a report ----------------------------------------------------------------------------


def _initial_contact(user) -> dict:
    if user is None:
        return {}
    profile = getattr(user, "citizen_profile", None)
    return {
        "contact_name": user.get_full_name(),
        "contact_email": user.email or "",
        "contact_phone": getattr(profile, "phone", "") or "",
    }


@require_http_methods(["GET", "POST"])
def report_new(request):
    categories = selectors.categories_leaf()
    if request.method == "GET" and request.htmx and "category" in request.GET:
        # The category changed: its extra questions (htmx swaps them into the form).
        form = ReportForm(categories=categories, initial={"category": request.GET.get("category")})
        attributes = AttributesForm(category=form.chosen_category())
        return render(request, "feedback/public/_attributes.html", {"attributes": attributes})
    if request.method == "GET" or request.POST.get("intent") == "refresh":
        initial = {"urgency": "normal", "client_token": _new_form_token(), **_initial_contact(_user(request))}
        if request.method == "POST":  # without JavaScript: show the chosen category's questions
            initial.update(
                {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "intent")}
            )
        else:
            initial["category"] = request.GET.get("category", "")
        form = ReportForm(categories=categories, initial=initial)
        attributes = AttributesForm(category=form.chosen_category(), initial=initial)
        return _report_page(request, form, attributes)

    form = ReportForm(request.POST, categories=categories)
    attributes = AttributesForm(request.POST, category=form.chosen_category())
    uploads = request.FILES.getlist("photos")
    if not (form.is_valid() and attributes.is_valid()):
        return _report_page(request, form, attributes, photos_lost=bool(uploads), status=400)
    data = form.cleaned_data
    client_token = _client_token(data["client_token"])
    try:
        if len(uploads) > PHOTOS_MAX:
            raise ServiceError(
                "too_many_photos", _("Gửi tối đa %(limit)s ảnh.") % {"limit": PHOTOS_MAX}, field="photos"
            )
        if any(upload.size > PHOTO_MAX_BYTES for upload in uploads):
            raise ServiceError(
                "upload_too_large",
                _("Mỗi ảnh không quá %(mb)s MB.") % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)},
                field="photos",
            )
        report, _created = report_submit(
            category=form.categories[data["category"]],
            title=data["title"],
            description=data["description"],
            urgency=data["urgency"],
            attributes=attributes.answers(),
            lat=data["lat"],
            lon=data["lon"],
            address=data["address"],
            area=data["area"],
            reporter=_user(request),
            anonymous=data["anonymous"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            photos=[(upload.name, upload.read()) for upload in uploads],
            client_token=client_token,
        )
    except ServiceError as error:
        error_to_form(form, error, extra=attributes)
        return _report_page(request, form, attributes, photos_lost=bool(uploads), status=error.status)
    # A repeated submission of the same form (double tap, reload) lands on the first report.
    _remember(request, report, filed=True)
    return redirect("feedback:submitted", code=report.code)


def _error_summary(*forms) -> list[dict]:
    """Every error of the bound ``forms``, with the id of its field for the summary's links."""
    summary = []
    for form in forms:
        if not form.is_bound:
            continue
        for name, field_errors in form.errors.items():
            field = form.fields.get(name)
            for error in field_errors:
                hidden = field is not None and field.widget.is_hidden
                summary.append(
                    {
                        # The pin's errors point at the address box, the visible way to give a place.
                        "id": ("id_address" if hidden else form[name].id_for_label) if field else "",
                        "label": field.label if field and not hidden else "",
                        "message": error,
                    }
                )
    return summary


def _report_page(request, form, attributes, *, photos_lost: bool = False, status: int = 200):
    errors = _error_summary(form, attributes)
    context = {
        "form": form,
        "attributes": attributes,
        "errors": errors,
        "photos_lost": photos_lost and bool(errors),
        "photos_max": PHOTOS_MAX,
        **_map_context(),
    }
    return render(request, "feedback/public/report_new.html", context, status=status)


@require_safe
def submitted(request, code: str):
    """The confirmation, with the reporter's private link: only for the browser that filed it (or
    the reporter's account); anyone else goes to the public status page."""
    report = _report_or_404(code)
    user = _user(request)
    own = code in request.session.get(FILED_KEY, []) or (
        user is not None and report.reporter_id is not None and report.reporter_id == user.pk
    )
    if not own:
        return redirect("feedback:status", code=report.code)
    context = {"report": report, "reporter_url": notifications.reporter_url(report)}
    response = render(request, "feedback/public/submitted.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def lookup(request):
    form = LookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        if Report.objects.filter(code=code).exists():
            return redirect("feedback:status", code=code)
        form.add_error("code", _("Không tìm thấy phản ánh có mã %(code)s.") % {"code": code[:20]})
    return render(request, "feedback/public/lookup.html", {"form": form}, status=400 if form.errors else 200)


# --- one report: status, survey, more information -----------------------------------------------


@require_safe
def status(request, code: str):
    report = _report_or_404(code)
    token = request.GET.get("t")
    if token is not None:
        if workflow.is_reporter(user=None, report=report, token=token):
            _remember(request, report)
            # Drop the secret from the address bar (and from the Referer of any link followed).
            return redirect("feedback:status", code=report.code)
        messages.warning(request, _("Đường dẫn riêng không đúng; trang chỉ hiện thông tin công khai."))
    return _status_page(request, report)


def _survey_due(report: Report) -> bool:
    if report.status not in SURVEY_STATUSES or report.answered_at is None:
        return False
    return not report.surveys.filter(at__gte=report.answered_at).exists()


def _status_page(request, report: Report, *, survey_form=None, info_form=None, status: int = 200):
    viewer = _viewer(request, report)
    details = viewer.full or _is_public(report)
    events = [
        {
            "at": event.at,
            "label": _event_label(event.action),
            "status": Status(event.to_status).label if event.to_status else "",
            # The reporter reads the notes addressed to them as written; others a masked copy.
            "note": event.note if viewer.full else mask_personal(event.note),
        }
        for event in report.events.filter(public=True)
        .only("at", "action", "to_status", "note")
        .order_by("at", "pk")
    ]
    if viewer.full:
        description, answer = report.description, report.answer if report.answered_at else ""
    else:
        description, answer = selectors.public_description(report), selectors.public_answer(report)
    context = {
        "report": report,
        "viewer": viewer,
        "details": details,
        "title": report.title if viewer.full else mask_personal(report.title),
        "description": description if details else "",
        "answer": answer if details else "",
        "photos": list(report.photos.only("pk", "added_by_staff")) if details else [],
        "events": events,
        "badge": STATUS_BADGES.get(report.status, "warning"),
        "attributes": _attribute_rows(report) if viewer.full else [],
        "info_form": (info_form or ProvideInfoForm())
        if viewer.reporter and report.status == Status.INFO_REQUESTED
        else None,
        "survey_form": (survey_form or SurveyForm()) if viewer.reporter and _survey_due(report) else None,
        "rated": viewer.reporter and report.answered_at is not None and not _survey_due(report),
        "photos_max": PHOTOS_MAX,
    }
    response = render(request, "feedback/public/status.html", context, status=status)
    if viewer.full:
        response["Cache-Control"] = "private, no-store"
    return response


def _attribute_rows(report: Report) -> list[tuple[str, str]]:
    questions = {a.code: a for a in report.category.attributes.all()}
    rows = []
    for code, value in (report.attributes or {}).items():
        question = questions.get(code)
        names = {str(v.get("key")): v.get("name") for v in (question.values if question else []) or []}
        values = value if isinstance(value, list) else [value]
        rows.append(
            (question.description if question else code, ", ".join(str(names.get(str(v), v)) for v in values))
        )
    return rows


@require_POST
def survey(request, code: str):
    report = _report_or_404(code)
    viewer = _viewer(request, report)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _status_page(request, report, survey_form=form, status=400)
    data = form.cleaned_data
    try:
        survey_submit(
            report=report,
            rating=data["rating"],
            comment=data["comment"],
            reopen=data["reopen"],
            user=_user(request),
            token=viewer.token,
        )
    except ServiceError as error:
        if error.status in (403, 409):
            messages.error(request, error.detail)
            return redirect("feedback:status", code=report.code)
        error_to_form(form, error)
        return _status_page(request, report, survey_form=form, status=error.status)
    if data["reopen"]:
        messages.success(request, _("Cảm ơn ông/bà. Phản ánh đã được mở lại để xử lý tiếp."))
    else:
        messages.success(request, _("Cảm ơn ông/bà đã đánh giá câu trả lời."))
    return redirect("feedback:status", code=report.code)


@require_POST
def provide_info(request, code: str):
    report = _report_or_404(code)
    viewer = _viewer(request, report)
    form = ProvideInfoForm(request.POST)
    if not form.is_valid():
        return _status_page(request, report, info_form=form, status=400)
    uploads = request.FILES.getlist("photos")
    try:
        if len(uploads) > PHOTOS_MAX:
            raise ServiceError(
                "too_many_photos", _("Gửi tối đa %(limit)s ảnh.") % {"limit": PHOTOS_MAX}, field="photos"
            )
        photos = [(upload.name, upload.read()) for upload in uploads]
        # Refuse a bad photo before anything is written; then the step and its photos together.
        for name, data in photos:
            photo_prepare(name=name, data=data)
        with transaction.atomic():
            report_act(
                report=report,
                action="provide_info",
                actor=_user(request),
                token=viewer.token,
                note=form.cleaned_data["note"],
            )
            for name, data in photos:
                report_photo_add(
                    report=report, name=name, data=data, actor=_user(request), token=viewer.token
                )
    except ServiceError as error:
        if error.status in (403, 409):
            messages.error(request, error.detail)
            return redirect("feedback:status", code=report.code)
        error_to_form(form, error)
        return _status_page(request, report, info_form=form, status=error.status)
    messages.success(request, _("Đã gửi thông tin bổ sung. Đơn vị xử lý sẽ tiếp tục giải quyết phản ánh."))
    return redirect("feedback:status", code=report.code)


# --- photos -------------------------------------------------------------------------------------


@require_safe
def photo(request, pk: int):
    """A stored photo: for a public report, or its reporter, or staff of its unit; else 404."""
    row = ReportPhoto.objects.select_related("report__category", "report__unit").filter(pk=pk).first()
    if row is None:
        raise Http404
    report = row.report
    if not (_is_public(report) or _viewer(request, report).full):
        raise Http404
    try:
        handle = row.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
