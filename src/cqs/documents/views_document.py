"""One document: its page (Appendix VI metadata, files, signatures, recipients, assignments and
trace), the actions the user may take in its current state, and the download of its files.

Which action forms are shown is worked out here from the state and the user's grants, only to
draw the page; every action's service checks the same rules again and is the one that decides.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from cqs.accounts.models import User
from cqs.accounts.permissions import grant_paths_prime
from cqs.core.exceptions import ServiceError
from cqs.documents import selectors, services
from cqs.documents.choices import AssignmentRole, BussinessDocType, IncomingStatus, OutgoingState
from cqs.documents.forms import (
    AssignForm,
    EmptyForm,
    FileForm,
    NoteForm,
    ReasonForm,
    RegisterForm,
    SignForm,
    SubmitForm,
    SupersedeForm,
    error_to_form,
)
from cqs.documents.models import Assignment, Document, DocumentFile
from cqs.documents.services.common import file_bytes, may
from cqs.documents.views import require_official

St = IncomingStatus
S = OutgoingState
HANDLING = (St.ASSIGNED, St.PROCESSING)
ACTION_LABELS = {
    "register": gettext_lazy("Vào sổ văn bản đến"),
    "reject": gettext_lazy("Từ chối tiếp nhận"),
    "assign": gettext_lazy("Phân công xử lý"),
    "opinion": gettext_lazy("Ghi ý kiến xử lý"),
    "complete": gettext_lazy("Hoàn thành xử lý"),
    "upload": gettext_lazy("Tải lên tệp"),
    "submit": gettext_lazy("Trình ký"),
    "sign": gettext_lazy("Ký số"),
    "return": gettext_lazy("Trả lại dự thảo"),
    "issue": gettext_lazy("Cấp số và phát hành"),
    "recall": gettext_lazy("Thu hồi văn bản"),
    "supersede": gettext_lazy("Cập nhật hoặc thay thế văn bản"),
}
# Actions that undo or refuse something get a red button.
DANGER = {"reject", "return", "recall"}


def _visible(request, pk: int) -> Document:
    document = selectors.document_get(request.user, pk)
    if document is None:
        raise Http404
    return document


def officials_with(codename: str, unit, *, own_unit: bool = False):
    """Active officials holding ``documents.<codename>`` on ``unit`` or above (a grant covers the
    subtree): the people the service will accept. ``own_unit`` keeps those who work in the unit
    itself, so a department's leader is not offered the whole province's staff."""
    found = User.objects.filter(
        is_active=True,
        grants__unit_id__in=[*unit.ancestor_ids, unit.pk],
        grants__role__permissions__content_type__app_label="documents",
        grants__role__permissions__codename=codename,
    )
    if own_unit:
        found = found.filter(official_profile__unit=unit)
    return found.select_related("official_profile").distinct().order_by("full_name", "username")


def actions_available(user, document: Document) -> list[str]:
    """The actions to offer ``user`` on ``document`` now (the services decide again)."""
    grant_paths_prime(user, "documents")
    unit = document.unit
    found: list[str] = []
    if document.is_incoming:
        leader = may(user, "assign_document", unit)
        if document.status == St.ARRIVED and may(user, "register_document", unit):
            found += ["register", "reject"]
        if document.status in (St.REGISTERED, *HANDLING) and leader:
            found.append("assign")
        if document.status in HANDLING:
            handler = Assignment.objects.filter(
                document=document,
                user=user,
                active=True,
                role__in=[AssignmentRole.LEAD, AssignmentRole.CO],
            ).exists()
            if leader or handler:
                found.append("opinion")
            if leader or document.lead_handler_id == user.pk:
                found.append("complete")
        return found
    drafter = may(user, "draft_document", unit)
    if document.state == S.DRAFT:
        if drafter or document.drafter_id == user.pk:
            found.append("upload")
        if drafter:
            found.append("submit")
    elif document.state == S.REVIEW and document.signer_id == user.pk and may(user, "sign_document", unit):
        found += ["sign", "return"]
    elif document.state == S.SIGNED and may(user, "register_document", unit):
        found.append("issue")
    elif document.state == S.ISSUED:
        if may(user, "sign_document", unit) or may(user, "register_document", unit):
            found.append("recall")
        if drafter:
            found.append("supersede")
    return found


def action_form(action: str, document: Document, data=None, files=None):
    kwargs = {"prefix": action}
    if action == "register":
        return RegisterForm(data, **kwargs)
    if action in ("reject", "recall"):
        return ReasonForm(data, **kwargs)
    if action in ("opinion", "complete", "return"):
        return NoteForm(data, **kwargs)
    if action == "assign":
        handlers = officials_with("handle_document", document.unit, own_unit=True)
        readers = officials_with("view_document", document.unit, own_unit=True)
        initial = {"due_date": document.handling_due_date, "instruction": document.instruction}
        return AssignForm(data, handlers=handlers, readers=readers, initial=initial, **kwargs)
    if action == "upload":
        return FileForm(data, files, **kwargs)
    if action == "submit":
        return SubmitForm(data, signers=officials_with("sign_document", document.unit), **kwargs)
    if action == "sign":
        return SignForm(data, **kwargs)
    if action == "supersede":
        return SupersedeForm(data, **kwargs)
    if action == "issue":
        return EmptyForm(data, **kwargs)
    raise Http404


def _perform(action: str, user, document: Document, data: dict) -> tuple[str, int | None]:
    """Call the action's service; the message to show and, if it is another one, the page to open."""
    if action == "register":
        done = services.incoming_register(
            actor=user,
            document=document,
            confirm_duplicate=data["confirm_duplicate"],
            handling_due_date=data["handling_due_date"],
        )
        return _("Đã vào sổ văn bản đến, số đến %(number)s.") % {"number": done.ordinal}, None
    if action == "reject":
        services.incoming_reject(actor=user, document=document, reason=data["reason"])
        return _("Đã từ chối tiếp nhận văn bản."), None
    if action == "assign":
        services.incoming_assign(
            actor=user,
            document=document,
            lead=data["lead"],
            co=list(data["co"]),
            info=list(data["info"]),
            due_date=data["due_date"],
            instruction=data["instruction"],
        )
        return _("Đã phân công xử lý văn bản."), None
    if action == "opinion":
        services.incoming_opinion(actor=user, document=document, note=data["note"])
        return _("Đã ghi ý kiến xử lý."), None
    if action == "complete":
        services.incoming_complete(actor=user, document=document, note=data["note"])
        return _("Đã hoàn thành xử lý văn bản."), None
    if action == "upload":
        upload = data["file"]
        stored = services.outgoing_file_add(
            actor=user, document=document, name=upload.name, data=upload.read(), role=data["role"]
        )
        return _("Đã tải lên tệp %(name)s.") % {"name": stored.name}, None
    if action == "submit":
        services.outgoing_submit(actor=user, document=document, signer=data["signer"], note=data["note"])
        return _("Đã trình ký văn bản."), None
    if action == "return":
        services.outgoing_return(actor=user, document=document, note=data["note"])
        return _("Đã trả lại dự thảo cho người soạn."), None
    if action == "sign":
        services.outgoing_sign(actor=user, document=document, competence=data["competence"])
        return _("Đã ký số văn bản."), None
    if action == "issue":
        done = services.outgoing_issue(actor=user, document=document)
        return _("Đã phát hành văn bản số %(number)s.") % {"number": done.number_symbol}, None
    if action == "recall":
        services.outgoing_recall(actor=user, document=document, reason=data["reason"])
        return _("Đã thu hồi văn bản; các nơi nhận được thông báo."), None
    if action == "supersede":
        draft = services.outgoing_supersede(
            actor=user, document=document, kind=data["kind"], reason=data["reason"]
        )
        kind = BussinessDocType(data["kind"]).label.lower()
        return _("Đã tạo dự thảo %(kind)s; tải tệp lên rồi trình ký.") % {"kind": kind}, draft.pk
    raise Http404


def file_servable(document: Document, stored: DocumentFile) -> bool:
    """A recalled incoming document keeps its record, not its content (Decree 30 Art. 18.4)."""
    return stored.current or not (document.is_incoming and document.status == St.RECALLED)


def _signatures(document: Document) -> list[dict]:
    rows = []
    for item in document.signature_report or []:
        row = dict(item)
        for key in ("signing_time", "timestamp_time"):
            value = item.get(key)
            row[key] = parse_datetime(value) if isinstance(value, str) else None
        rows.append(row)
    return rows


def render_detail(request, document: Document, failed: tuple[str, object] | None = None):
    actions = actions_available(request.user, document)
    forms = {action: action_form(action, document) for action in actions}
    failed_errors = []
    if failed is not None:
        action, form = failed
        if action in forms:
            forms[action] = form
        else:
            failed_errors = [error for errors in form.errors.values() for error in errors]
    files = [
        f for f in document.files.select_related("uploaded_by").order_by("pk") if file_servable(document, f)
    ]
    context = {
        "document": document,
        "action_forms": [
            {"action": a, "label": ACTION_LABELS[a], "form": forms[a], "danger": a in DANGER} for a in actions
        ],
        "failed_errors": failed_errors,
        "current_files": [f for f in files if f.current],
        "older_files": [f for f in files if not f.current],
        "signatures": _signatures(document),
        "recipients": list(document.recipients.select_related("unit")) if not document.is_incoming else [],
        "assignments": list(
            document.assignments.select_related("user", "assigned_by").order_by("-active", "pk")
        )
        if document.is_incoming
        else [],
        "events": list(selectors.trace(document)),
        "superseded_by": list(document.replaced_by.order_by("pk")) if not document.is_incoming else [],
    }
    return render(request, "documents/detail.html", context)


@login_required
@require_safe
def document_detail(request, pk: int):
    require_official(request)
    return render_detail(request, _visible(request, pk))


@login_required
@require_POST
def document_action(request, pk: int, action: str):
    require_official(request)
    document = _visible(request, pk)
    form = action_form(action, document, request.POST, request.FILES)
    if form.is_valid():
        try:
            message, target = _perform(action, request.user, document, form.cleaned_data)
        except ServiceError as error:
            if error.status == 403:
                raise PermissionDenied(error.detail) from error
            if error.status == 404:
                raise Http404 from error
            error_to_form(form, error, default="file" if action == "upload" else None)
            # A document already in the register: the clerk may confirm it is a second copy.
            form.duplicate = error.error_code == "duplicate_document"
        else:
            messages.success(request, message)
            if target is None and selectors.document_get(request.user, pk) is None:
                return redirect("documents:dashboard")
            return redirect("documents:detail", pk=target or pk)
    return render_detail(request, _visible(request, pk), failed=(action, form))


@login_required
@require_safe
def file_download(request, pk: int, file_id: int):
    require_official(request)
    document = _visible(request, pk)
    stored = get_object_or_404(DocumentFile, document=document, pk=file_id)
    if not file_servable(document, stored):
        raise Http404
    try:
        # Read whole and checked against the SHA-256 recorded when stored: a record that was
        # altered on disk is refused rather than served as the document.
        data = file_bytes(stored)
    except ServiceError as error:
        messages.error(request, error.detail)
        return redirect("documents:detail", pk=pk)
    except OSError as error:
        raise Http404 from error
    response = HttpResponse(data, content_type=stored.content_type)
    inline = stored.content_type == "application/pdf"
    response["Content-Disposition"] = content_disposition_header(not inline, stored.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
