"""New documents: an outgoing draft (with its PDF), and a paper document received and scanned."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cqs.accounts.permissions import units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.documents import services
from cqs.documents.choices import FileRole
from cqs.documents.forms import OutgoingDraftForm, PaperIncomingForm, error_to_form
from cqs.documents.views import require_official
from cqs.orgs.models import OrgUnit

# Refusals about organs outside the platform belong to the free lines, the others to the list.
OUTSIDE_ERRORS = {"invalid_organ_id", "organ_name_required"}


def _units(user, codename: str):
    today = timezone.localdate()
    units = OrgUnit.objects.all() if user.is_superuser else units_in_scope(user, "documents", codename)
    return units.as_of(today).order_by("name")


def _refuse_forbidden(error: ServiceError) -> None:
    if error.status == 403:
        raise PermissionDenied(error.detail) from error


@login_required
@require_http_methods(["GET", "POST"])
def outgoing_new(request):
    """Start an outgoing draft; the draft and its files are stored together or not at all."""
    require_official(request)
    units = _units(request.user, "draft_document")
    if not units.exists():
        raise PermissionDenied
    form = OutgoingDraftForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        recipient_units=OrgUnit.objects.as_of(timezone.localdate()).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        field = None
        try:
            with transaction.atomic():
                document = services.outgoing_create(
                    actor=request.user,
                    unit=data["unit"],
                    type_code=data["type_code"],
                    subject=data["subject"],
                    recipients=form.recipients(),
                    urgency=data["urgency"],
                    secrecy=data["secrecy"],
                    due_date=data["due_date"],
                    to_places=data["to_places"],
                    drafting_abbr=data["drafting_abbr"],
                )
                uploads = [(data["main_file"], FileRole.MAIN, "main_file")] if data["main_file"] else []
                uploads += [(upload, FileRole.APPENDIX, "appendices") for upload in data["appendices"]]
                for upload, role, upload_field in uploads:
                    field = upload_field  # where a refused file's message goes
                    services.outgoing_file_add(
                        actor=request.user, document=document, name=upload.name, data=upload.read(), role=role
                    )
        except ServiceError as error:
            _refuse_forbidden(error)
            recipients = "outside" if error.error_code in OUTSIDE_ERRORS else "recipient_units"
            error_to_form(form, error, {"type": "type_code", "recipients": recipients}, default=field)
        else:
            messages.success(request, _("Đã tạo dự thảo văn bản."))
            return redirect("documents:detail", pk=document.pk)
    return render(request, "documents/outgoing_form.html", {"form": form, "active": "new"})


@login_required
@require_http_methods(["GET", "POST"])
def incoming_new(request):
    """A paper document: the clerk types its metadata and attaches the scan; it is registered."""
    require_official(request)
    units = _units(request.user, "register_document")
    if not units.exists():
        raise PermissionDenied
    form = PaperIncomingForm(request.POST or None, request.FILES or None, units=units)
    duplicate = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = [(data["scan"].name, data["scan"].read(), FileRole.MAIN)]
        files += [(upload.name, upload.read(), FileRole.APPENDIX) for upload in data["appendices"]]
        try:
            document = services.incoming_scan(
                actor=request.user,
                unit=data["unit"],
                meta=form.meta(),
                files=files,
                confirm_duplicate=data["confirm_duplicate"],
            )
        except ServiceError as error:
            _refuse_forbidden(error)
            error_to_form(form, error, {"type": "type_code", "file": "scan"}, default="scan")
            duplicate = error.error_code == "duplicate_document"
        else:
            messages.success(
                request, _("Đã vào sổ văn bản đến, số đến %(number)s.") % {"number": document.ordinal}
            )
            return redirect("documents:detail", pk=document.pk)
    context = {
        "form": form,
        "duplicate": duplicate or bool(form["confirm_duplicate"].value()),
        "active": "scan",
    }
    return render(request, "documents/incoming_form.html", context)
