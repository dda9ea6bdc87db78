"""Pages of dossiers: online filing, "my dossiers", the officers' work list and counter intake,
the dossier page with its actions, printed forms, downloads, the public lookup and the rating.

Views hold no business logic: they read with selectors, write with services, and turn a
``ServiceError`` into a message next to the field it names.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cqs.accounts.models import User
from cqs.accounts.permissions import has_unit_permission, units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.onestop import selectors, services, workflow
from cqs.onestop.choices import DossierStatus, FileRole, ReturnMethod
from cqs.onestop.dynforms import declaration_form
from cqs.onestop.forms import FilingForm, IntakeForm, LookupForm, RatingForm
from cqs.onestop.models import Dossier, Procedure
from cqs.orgs.models import OrgUnit

LOOKUPS_PER_WINDOW = 30
LOOKUP_WINDOW_SECONDS = 600


def _error_to_form(form, error: ServiceError) -> None:
    field = (error.field or "").removeprefix("form_data.")
    form.add_error(field if field in form.fields else None, error.detail)


def _implementing_units(procedure: Procedure):
    today = timezone.localdate()
    return OrgUnit.objects.filter(pk__in=procedure.units.values("pk")).as_of(today).order_by("name")


def _files_from_request(request, version) -> list[dict]:
    files = []
    for document in version.documents.all():
        upload = request.FILES.get(f"doc-{document.pk}")
        if upload is not None:
            files.append({"name": upload.name, "data": upload.read(), "document_id": document.pk})
    return files


# --- citizen: filing ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dossier_file(request, code: str | None = None, pk: int | None = None):
    """Start (``code``) or continue (``pk``) an online dossier: declaration, papers, submit."""
    if not hasattr(request.user, "citizen_profile"):
        messages.error(request, _("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến."))
        return redirect("onestop:procedure-list")
    dossier = None
    if pk is not None:
        dossier = get_object_or_404(
            Dossier.objects.of_applicant(request.user), pk=pk, status=DossierStatus.DRAFT
        )
        procedure, version = dossier.procedure, dossier.version
    else:
        procedure = get_object_or_404(Procedure, code=code)
        version = selectors.procedure_version_on(procedure, timezone.localdate())
        if version is None:
            raise Http404
    units = _implementing_units(procedure)
    initial = {"return_method": ReturnMethod.ONLINE}
    if dossier is not None:
        initial = {
            "unit": dossier.unit_id,
            "return_method": dossier.return_method,
            "postal_address": dossier.postal_address,
        }
    filing = FilingForm(request.POST or None, units=units, initial=initial)
    declaration = declaration_form(
        version, data=request.POST or None, initial=dossier.form_data if dossier else None
    )
    if request.method == "POST":
        submit = request.POST.get("intent") == "submit"
        # A draft keeps whatever is filled in; only submission needs the whole declaration.
        for field in declaration.fields.values():
            field.required = field.required and submit
        if filing.is_valid() and declaration.is_valid():
            try:
                form_data = {k: v for k, v in declaration.cleaned_data.items() if v not in (None, "")}
                form_data = {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form_data.items()
                }
                dossier = services.dossier_draft_save(
                    actor=request.user,
                    procedure_code=procedure.code,
                    unit=filing.cleaned_data["unit"],
                    form_data=form_data,
                    return_method=filing.cleaned_data["return_method"],
                    postal_address=filing.cleaned_data["postal_address"],
                    dossier=dossier,
                )
                for item in _files_from_request(request, version):
                    services.dossier_file_add(
                        dossier=dossier,
                        actor=request.user,
                        name=item["name"],
                        data=item["data"],
                        document_id=item["document_id"],
                    )
                if submit:
                    dossier = services.dossier_submit(dossier=dossier, actor=request.user)
                    messages.success(
                        request, _("Đã nộp hồ sơ. Mã hồ sơ của bạn: %(code)s.") % {"code": dossier.code}
                    )
                    return redirect("onestop:dossier-detail", pk=dossier.pk)
                messages.success(request, _("Đã lưu bản nháp."))
                return redirect("onestop:dossier-edit", pk=dossier.pk)
            except ServiceError as error:
                _error_to_form(declaration if (error.field or "").startswith("form_data") else filing, error)
                if dossier is not None and dossier.pk:
                    messages.warning(request, _("Bản nháp đã được lưu; vui lòng sửa lỗi rồi nộp lại."))
    context = {
        "procedure": procedure,
        "version": version,
        "dossier": dossier,
        "filing": filing,
        "declaration": declaration,
        "documents": list(version.documents.all()),
        "uploaded": {f.document_id: f for f in dossier.files.all()} if dossier else {},
    }
    return render(request, "onestop/dossier_form.html", context)


@login_required
@require_safe
def my_dossiers(request):
    dossiers = selectors.dossier_list(user=request.user, mine=True)
    page = Paginator(dossiers, 20).get_page(request.GET.get("page"))
    return render(request, "onestop/my_dossiers.html", {"page": page})


# --- officials: work list and counter intake ---------------------------------------------------


def _require_official(request):
    if not units_in_scope(request.user, "onestop", "view_dossier").exists() and not request.user.is_superuser:
        raise PermissionDenied


@login_required
@require_safe
def worklist(request):
    _require_official(request)
    status = request.GET.get("status", "")
    status_value = int(status) if status.isdigit() and int(status) in DossierStatus.values else None
    overdue = request.GET.get("overdue") == "1"
    dossiers = selectors.dossier_list(
        user=request.user,
        status=status_value,
        q=request.GET.get("q", "").strip()[:40],
        overdue=True if overdue else None,
    )
    page = Paginator(dossiers, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": [(s.value, s.label) for s in DossierStatus if s != DossierStatus.DRAFT],
        "status": status_value,
        "overdue": overdue,
        "q": request.GET.get("q", ""),
        "now": timezone.now(),
    }
    return render(request, "onestop/worklist.html", context)


def _intake_units(user):
    today = timezone.localdate()
    return units_in_scope(user, "onestop", "receive_dossier").as_of(today).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def intake(request):
    """Counter or postal intake: pick the procedure and the unit, then the applicant, the
    declaration and the papers seen."""
    units = _intake_units(request.user)
    if not units.exists():
        raise PermissionDenied
    procedures = Procedure.objects.filter(units__in=units).distinct().order_by("code")
    procedure = procedures.filter(code=request.GET.get("procedure", "")).first()
    unit = units.filter(pk=request.GET.get("unit") or 0).first()
    if procedure is None or unit is None:
        return render(request, "onestop/intake_start.html", {"procedures": procedures, "units": units})
    version = selectors.procedure_version_on(procedure, timezone.localdate())
    form = IntakeForm(request.POST or None)
    declaration = declaration_form(version, data=request.POST or None)
    documents = list(version.documents.all())
    if request.method == "POST" and form.is_valid() and declaration.is_valid():
        data = form.cleaned_data
        form_data = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in declaration.cleaned_data.items()
            if v not in (None, "")
        }
        try:
            dossier = services.dossier_intake(
                actor=request.user,
                unit=unit,
                procedure_code=procedure.code,
                channel=data["channel"],
                applicant={
                    "name": data["name"],
                    "cccd": data["cccd"],
                    "phone": data["phone"],
                    "email": data["email"],
                    "address": data["address"],
                    "kind": data["applicant_kind"],
                },
                form_data=form_data,
                files=_files_from_request(request, version),
                return_method=data["return_method"],
                postal_address=data["postal_address"],
                documents_checked=[int(pk) for pk in request.POST.getlist("checked") if pk.isdigit()],
            )
        except ServiceError as error:
            field = (error.field or "").removeprefix("applicant_")
            if (error.field or "").startswith("form_data"):
                _error_to_form(declaration, error)
            elif field in form.fields:
                form.add_error(field, error.detail)
            else:
                form.add_error(None, error.detail)
        else:
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect("onestop:dossier-detail", pk=dossier.pk)
    context = {
        "procedure": procedure,
        "version": version,
        "unit": unit,
        "form": form,
        "declaration": declaration,
        "documents": documents,
        "checked": {int(pk) for pk in request.POST.getlist("checked") if pk.isdigit()},
    }
    return render(request, "onestop/intake_form.html", context)


# --- the dossier page and its actions ----------------------------------------------------------


def _visible_dossier(request, pk: int) -> Dossier:
    dossier = selectors.dossier_get(user=request.user, pk=pk)
    if dossier is None:
        raise Http404
    return dossier


def _assignees(dossier):
    """Specialists who may process the dossier at its handling unit (grants on it or above)."""
    unit = dossier.handling_unit or dossier.unit
    candidates = User.objects.filter(
        is_active=True,
        grants__role__permissions__content_type__app_label="onestop",
        grants__role__permissions__codename="process_dossier",
    )
    return [
        user
        for user in candidates.distinct().order_by("full_name")[:200]
        if has_unit_permission(user, workflow.PROCESS, unit)
    ]


@login_required
@require_safe
def dossier_detail(request, pk: int):
    dossier = _visible_dossier(request, pk)
    is_owner = dossier.applicant_id == request.user.pk
    actions = workflow.actions_available(user=request.user, dossier=dossier)
    files = list(dossier.files.select_related("document").order_by("uploaded_at", "pk"))
    context = {
        "dossier": dossier,
        "is_owner": is_owner,
        "is_official": not is_owner,
        "actions": actions,
        "events": list(
            dossier.events.select_related("actor", "actor_unit", "to_user", "to_unit").order_by("at", "pk")
        ),
        "files": [f for f in files if not is_owner or selectors.applicant_may_see_file(dossier, f)],
        "supplement": dossier.supplements.filter(completed_at__isnull=True).first(),
        "payments": list(dossier.payments.all()),
        "may_pay": is_owner and dossier.fee_total > 0 and not dossier.paid_online and dossier.is_open,
        "assignees": _assignees(dossier) if any(a.action == "assign" for a in actions) else [],
        "handover_units": OrgUnit.objects.as_of(timezone.localdate())
        .exclude(pk=dossier.handling_unit_id)
        .order_by("name")[:300]
        if any(a.action == "handover" for a in actions)
        else [],
        "rating_form": RatingForm() if is_owner and dossier.status == DossierStatus.RETURNED else None,
        "rated": hasattr(dossier, "rating"),
        "may_upload_draft_result": any(a.action == "propose" for a in actions),
        "forms": ["receipt", "supplement", "refusal", "apology", "control-sheet"],
        "now": timezone.now(),
    }
    response = render(request, "onestop/dossier_detail.html", context)
    if context["may_pay"]:
        # The pay form's POST is answered with a redirect to the gateway: allow it (read at
        # request time, so a gateway moved in the settings needs no restart of the CSP).
        response._csp_update = {"form-action": [settings.CQS_PAYGOV_URL]}
    return response


def _parse_local_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
@require_POST
def dossier_action(request, pk: int, action: str):
    dossier = _visible_dossier(request, pk)
    to_user = User.objects.filter(pk=request.POST.get("to_user") or 0).first()
    to_unit = OrgUnit.objects.filter(pk=request.POST.get("to_unit") or 0).first()
    items = [line for line in request.POST.get("items", "").splitlines() if line.strip()]
    try:
        if action == "upload_draft_result":
            upload = request.FILES.get("file")
            if upload is None:
                raise ServiceError("file_required", _("Chọn tệp dự thảo kết quả."))
            services.dossier_file_add(
                dossier=dossier,
                actor=request.user,
                name=upload.name,
                data=upload.read(),
                role=FileRole.DRAFT_RESULT,
            )
            messages.success(request, _("Đã tải lên dự thảo kết quả."))
        else:
            dossier = services.dossier_act(
                dossier=dossier,
                actor=request.user,
                action=action,
                note=request.POST.get("note", ""),
                to_user=to_user,
                to_unit=to_unit,
                deadline=_parse_local_datetime(request.POST.get("deadline", "")),
                new_due_at=_parse_local_datetime(request.POST.get("new_due_at", "")),
                items=items,
            )
            messages.success(
                request,
                _("Đã thực hiện: %(label)s.") % {"label": workflow.transition_get(action).label},
            )
    except ServiceError as error:
        messages.error(request, error.detail)
    if not selectors.dossiers_visible(request.user).filter(pk=pk).exists():
        return redirect("onestop:worklist")
    return redirect("onestop:dossier-detail", pk=pk)


@login_required
@require_POST
def dossier_supplement(request, pk: int):
    """The citizen uploads the papers asked for, then sends the supplement."""
    dossier = _visible_dossier(request, pk)
    try:
        for upload in request.FILES.getlist("files"):
            services.dossier_file_add(
                dossier=dossier,
                actor=request.user,
                name=upload.name,
                data=upload.read(),
                role=FileRole.SUPPLEMENT,
            )
        services.dossier_act(dossier=dossier, actor=request.user, action="complete_supplement")
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Đã gửi hồ sơ bổ sung."))
    return redirect("onestop:dossier-detail", pk=pk)


@login_required
@require_POST
def dossier_rate(request, pk: int):
    dossier = _visible_dossier(request, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn mức đánh giá cho mọi tiêu chí."))
        return redirect("onestop:dossier-detail", pk=pk)
    data = dict(form.cleaned_data)
    comment = data.pop("comment", "")
    try:
        services.dossier_rate(dossier=dossier, actor=request.user, scores=data, comment=comment)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    return redirect("onestop:dossier-detail", pk=pk)


@login_required
@require_safe
def dossier_file_download(request, pk: int, file_id: int):
    dossier = _visible_dossier(request, pk)
    stored = get_object_or_404(dossier.files, pk=file_id)
    if dossier.applicant_id == request.user.pk and not selectors.applicant_may_see_file(dossier, stored):
        raise Http404
    response = FileResponse(stored.file.open("rb"), content_type=stored.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stored.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def dossier_print(request, pk: int, form: str):
    from cqs.onestop.printing import dossier_form_pdf

    dossier = _visible_dossier(request, pk)
    if dossier.applicant_id == request.user.pk and form not in (
        "receipt",
        "apology",
        "supplement",
        "refusal",
    ):
        raise Http404
    try:
        pdf = dossier_form_pdf(
            dossier=dossier,
            form=form,
            officer=request.user if dossier.applicant_id != request.user.pk else None,
        )
    except ServiceError as error:
        messages.error(request, error.detail)
        return redirect("onestop:dossier-detail", pk=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-{form}.pdf"'
    return response


# --- public lookup -----------------------------------------------------------------------------


def _client_ip(request) -> str:
    # The same rule as the API's throttles (REST_FRAMEWORK["NUM_PROXIES"]): behind our one proxy
    # the last X-Forwarded-For hop is the client; anywhere else the header is not trusted.
    from rest_framework.settings import api_settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if api_settings.NUM_PROXIES and forwarded:
        return forwarded.split(",")[-api_settings.NUM_PROXIES].strip()
    return request.META.get("REMOTE_ADDR", "")


@require_safe
def lookup(request):
    """Tra cứu hồ sơ: code plus the last four digits of the phone or CCCD; status and history,
    no personal data. Throttled per address so the second factor cannot be guessed."""
    form = LookupForm(request.GET or None)
    dossier = None
    status = 200
    if form.is_bound and form.is_valid():
        key = f"onestop-lookup:{_client_ip(request)}"
        count = cache.get_or_set(key, 0, LOOKUP_WINDOW_SECONDS)
        if count >= LOOKUPS_PER_WINDOW:
            form.add_error(None, _("Bạn đã tra cứu quá nhiều lần; vui lòng thử lại sau ít phút."))
            status = 429
        else:
            cache.incr(key)
            dossier = selectors.dossier_lookup(code=form.cleaned_data["ma"], secret=form.cleaned_data["so"])
            if dossier is None:
                form.add_error(None, _("Không tìm thấy hồ sơ với mã và 4 số đã nhập."))
    context = {
        "form": form,
        "dossier": dossier,
        "events": list(dossier.events.filter(public=True).select_related("actor_unit").order_by("at", "pk"))
        if dossier
        else [],
    }
    return render(request, "onestop/lookup.html", context, status=status)
