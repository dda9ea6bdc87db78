"""The printed forms of a dossier (TT 01/2018 Mẫu 01–05, the result notice), as PDF.

Layouts are templates (``templates/print/onestop_*.html``) that an administrator may replace
without code (``core.PrintTemplate``); this module only gathers what they print.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.onestop.choices import DossierStatus

FORMS = {
    # form code -> template code
    "receipt": "onestop_receipt",
    "supplement": "onestop_supplement",
    "refusal": "onestop_refusal",
    "apology": "onestop_apology",
    "control-sheet": "onestop_control_sheet",
}


def lookup_url(dossier) -> str:
    return settings.CQS_SITE_URL.rstrip("/") + reverse("onestop:lookup") + f"?ma={dossier.code}"


def dossier_print_context(dossier, *, officer=None) -> dict:
    unit = dossier.unit
    documents = [
        {"name": doc.name, "original_count": doc.original_count, "copy_count": doc.copy_count}
        for doc in dossier.version.documents.all()
    ]
    return {
        "unit_name": unit.name,
        "parent_unit_name": unit.parent.name if unit.parent_id else "",
        "place": settings.CQS_PROVINCE_NAME,
        "printed_on": timezone.localdate(),
        "officer_name": (officer.full_name or officer.get_username()) if officer is not None else "",
        "dossier": {
            "code": dossier.code,
            "procedure_code": dossier.procedure.code,
            "procedure_name": dossier.version.name,
            "applicant_name": dossier.applicant_name,
            "applicant_address": dossier.applicant_address,
            "applicant_phone": dossier.applicant_phone,
            "applicant_email": dossier.applicant_email,
            "channel_label": dossier.get_channel_display(),
            "received_at": timezone.localtime(dossier.received_at) if dossier.received_at else None,
            "due_at": timezone.localtime(dossier.appointment_at) if dossier.appointment_at else None,
            "documents": documents,
            "lookup_url": lookup_url(dossier),
        },
        "reason": "",
        "supplement_items": [],
        "old_due_at": None,
        "new_due_at": None,
        "steps": [],
        "qr_text": lookup_url(dossier),
    }


def _control_steps(dossier) -> list[dict]:
    from cqs.onestop.choices import Timeliness
    from cqs.onestop.deadlines import timeliness

    steps = []
    events = dossier.events.select_related("actor", "actor_unit", "to_user", "to_unit").order_by("at", "pk")
    previous = None
    for event in events:
        if event.action not in (
            "intake",
            "receive",
            "assign",
            "handover",
            "propose",
            "approve",
            "return_result",
        ):
            continue
        result = ""
        if previous is not None and previous.deadline is not None:
            label = timeliness(completed_at=event.at, due_at=previous.deadline, supplement_count=0)
            result = str(Timeliness(label).label) if label else ""
        steps.append(
            {
                "from_unit": event.actor_unit.name if event.actor_unit else "",
                "from_person": (event.actor.full_name or event.actor.get_username()) if event.actor else "",
                "to_unit": event.to_unit.name
                if event.to_unit
                else (event.actor_unit.name if event.actor_unit else ""),
                "to_person": (event.to_user.full_name or event.to_user.get_username())
                if event.to_user
                else "",
                "handed_at": timezone.localtime(event.at),
                "deadline": timezone.localtime(event.deadline) if event.deadline else None,
                "result_label": result,
                "note": event.note,
            }
        )
        previous = event
    return steps


def dossier_form_pdf(*, dossier, form: str, officer=None) -> bytes:
    """The PDF of printed form ``form`` (a key of ``FORMS``) for ``dossier``."""
    from cqs.core.printing import pdf_render

    if form not in FORMS:
        raise ServiceError("unknown_form", "Không có mẫu phiếu này.")
    template_code = FORMS[form]
    if dossier.code is None or (dossier.received_at is None and form != "refusal"):
        raise ServiceError("form_not_available", "Hồ sơ chưa được tiếp nhận nên chưa có phiếu này.")
    context = dossier_print_context(dossier, officer=officer)
    if form == "supplement":
        request = dossier.supplements.order_by("-requested_at").first()
        if request is None:
            raise ServiceError("form_not_available", "Hồ sơ không có yêu cầu bổ sung.")
        context["reason"] = request.reason
        context["supplement_items"] = list(request.items)
    elif form == "refusal":
        if dossier.status != DossierStatus.REFUSED:
            raise ServiceError("form_not_available", "Hồ sơ không bị từ chối tiếp nhận.")
        context["reason"] = dossier.stop_reason
    elif form == "apology":
        event = dossier.events.filter(action="apologise").order_by("-at").first()
        if event is None:
            raise ServiceError("form_not_available", "Hồ sơ chưa có phiếu xin lỗi và hẹn lại.")
        context["reason"] = event.note
        context["old_due_at"] = timezone.localtime(datetime.fromisoformat(event.data["old_due_at"]))
        context["new_due_at"] = timezone.localtime(datetime.fromisoformat(event.data["new_due_at"]))
    elif form == "control-sheet":
        context["steps"] = _control_steps(dossier)
    return pdf_render(template_code=template_code, context=context)
