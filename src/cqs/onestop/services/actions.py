"""The workflow actions on a dossier (``dossier_act``), one function per edge of ``workflow.py``.

``dossier_act`` locks the dossier, asks ``workflow.transition_check`` whether the actor may take
the action now, runs the action's own checks and effects, appends the history row and audits,
all in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.core.calendar import is_working_day
from cqs.core.exceptions import ServiceError
from cqs.onestop import workflow
from cqs.onestop.choices import DossierStatus, FileRole, Stage
from cqs.onestop.deadlines import due_at_after_pause
from cqs.onestop.models import Dossier, DossierFile, SupplementRequest
from cqs.onestop.models.dossiers import ENDED_STATUSES
from cqs.onestop.services.dossiers import _audit, _event, _locked, _now, _receive, _state

S = DossierStatus
NOTE_MAX = 4000


def _user_may(user, permission: str, unit) -> bool:
    return user is not None and user.is_active and has_unit_permission(user, permission, unit)


def _act_receive(dossier, ctx):
    _receive(dossier, ctx["now"])
    ctx["deadline"] = dossier.due_at


def _act_refuse(dossier, ctx):
    dossier.stop_reason = ctx["note"]
    dossier.ended_at = ctx["now"]


def _act_assign(dossier, ctx):
    to_user = ctx["to_user"]
    unit = dossier.handling_unit or dossier.unit
    if to_user is None or not _user_may(to_user, workflow.PROCESS, unit):
        raise ServiceError(
            "invalid_assignee",
            _("Người được phân công phải là chuyên viên của đơn vị giải quyết."),
            field="to_user",
        )
    dossier.assignee = to_user
    ctx["deadline"] = _step_deadline(dossier, ctx)


def _step_deadline(dossier, ctx):
    deadline = ctx.get("deadline") or dossier.due_at
    if dossier.due_at and deadline > dossier.due_at:
        raise ServiceError(
            "step_deadline_after_due", _("Hạn xử lý của bước không được sau ngày hẹn trả."), field="deadline"
        )
    return deadline


def _act_handover(dossier, ctx):
    to_unit, to_user = ctx["to_unit"], ctx["to_user"]
    if to_unit is None or to_unit.pk == (dossier.handling_unit_id or dossier.unit_id):
        raise ServiceError("invalid_unit", _("Chọn đơn vị khác để chuyển hồ sơ."), field="to_unit")
    if not to_unit.is_valid_on(timezone.localdate()):
        raise ServiceError("invalid_unit", _("Đơn vị nhận không còn hoạt động."), field="to_unit")
    if to_user is not None and not _user_may(to_user, workflow.PROCESS, to_unit):
        raise ServiceError(
            "invalid_assignee", _("Người nhận phải là chuyên viên của đơn vị nhận."), field="to_user"
        )
    dossier.handling_unit = to_unit
    dossier.assignee = to_user
    dossier.stage = Stage.HANDLING if to_user else Stage.WAITING
    ctx["deadline"] = _step_deadline(dossier, ctx)


def _act_request_supplement(dossier, ctx):
    items = [str(item).strip()[:500] for item in (ctx.get("items") or []) if str(item).strip()]
    SupplementRequest.objects.create(
        dossier=dossier,
        requested_at=ctx["now"],
        requested_by=ctx["actor"],
        reason=ctx["note"],
        items=items,
        resume_status=ctx["from_status"],
        due_at_before=dossier.due_at,
    )
    dossier.paused_at = ctx["now"]
    dossier.supplement_count += 1
    ctx["data"] = {"items": items, "count": dossier.supplement_count}


def _act_complete_supplement(dossier, ctx):
    request = dossier.supplements.filter(completed_at__isnull=True).order_by("-requested_at").first()
    if request is None:  # pragma: no cover - status 5 always has an open request
        raise ServiceError("no_supplement_request", _("Hồ sơ không có yêu cầu bổ sung đang chờ."))
    if not dossier.files.filter(
        role=FileRole.SUPPLEMENT, uploaded_at__gte=request.requested_at
    ).exists() and (dossier.applicant_id == ctx["actor"].pk):
        raise ServiceError(
            "supplement_files_missing", _("Vui lòng tải lên giấy tờ bổ sung trước khi gửi."), field="files"
        )
    new_due = due_at_after_pause(due_at=dossier.due_at, paused_at=request.requested_at, resumed_at=ctx["now"])
    request.completed_at = ctx["now"]
    request.due_at_after = new_due
    request.save(update_fields=["completed_at", "due_at_after"])
    dossier.status = request.resume_status
    dossier.due_at = new_due
    dossier.paused_at = None
    ctx["data"] = {"due_at_before": _iso(request.due_at_before), "due_at_after": _iso(new_due)}


def _act_propose(dossier, ctx):
    has_draft = dossier.files.filter(role=FileRole.DRAFT_RESULT).exists()
    if not has_draft and not ctx["note"]:
        raise ServiceError(
            "result_missing",
            _("Nhập nội dung kết quả hoặc tải lên dự thảo kết quả trước khi trình."),
            field="note",
        )
    if ctx["note"]:
        dossier.result_summary = ctx["note"]


def _act_approve(dossier, ctx):
    from cqs.onestop.results import result_issue

    pdf = result_issue(dossier=dossier, approver=ctx["actor"], at=ctx["now"])
    stored = DossierFile(
        dossier=dossier,
        role=FileRole.RESULT,
        name=f"ket-qua-{dossier.code}.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=_sha256(pdf),
        signed=True,
        uploaded_by=ctx["actor"],
    )
    stored.file.save(f"{dossier.code}-ket-qua.pdf", ContentFile(pdf), save=False)
    stored.save()
    dossier.completed_at = ctx["now"]


def _act_return_result(dossier, ctx):
    dossier.returned_at = ctx["now"]


def _act_end(dossier, ctx):
    dossier.ended_at = ctx["now"]
    if ctx["note"]:
        dossier.stop_reason = ctx["note"]


def _act_apologise(dossier, ctx):
    new_due: datetime | None = ctx.get("new_due_at")
    if new_due is None or timezone.is_naive(new_due):
        raise ServiceError("new_date_required", _("Nhập ngày hẹn trả kết quả mới."), field="new_due_at")
    if new_due <= max(dossier.appointment_at or ctx["now"], ctx["now"]):
        raise ServiceError(
            "new_date_too_early", _("Ngày hẹn mới phải sau ngày hẹn hiện tại."), field="new_due_at"
        )
    if not is_working_day(timezone.localtime(new_due).date()):
        raise ServiceError(
            "new_date_not_working_day",
            _("Ngày hẹn mới rơi vào ngày nghỉ; vui lòng chọn một ngày làm việc."),
            field="new_due_at",
        )
    ctx["data"] = {"old_due_at": _iso(dossier.appointment_at), "new_due_at": _iso(new_due)}
    dossier.promised_at = new_due


def _act_nothing(dossier, ctx):
    pass


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


_EFFECTS = {
    "receive": _act_receive,
    "refuse": _act_refuse,
    "assign": _act_assign,
    "handover": _act_handover,
    "request_supplement": _act_request_supplement,
    "complete_supplement": _act_complete_supplement,
    "request_fees": _act_nothing,
    "fees_paid": _act_nothing,
    "propose": _act_propose,
    "send_back": _act_nothing,
    "approve": _act_approve,
    "return_result": _act_return_result,
    "withdraw": _act_end,
    "stop": _act_end,
    "apologise": _act_apologise,
}


@transaction.atomic
def dossier_act(
    *,
    dossier: Dossier,
    actor,
    action: str,
    note: str = "",
    to_user=None,
    to_unit=None,
    deadline: datetime | None = None,
    new_due_at: datetime | None = None,
    items: list[str] | None = None,
) -> Dossier:
    """Take ``action`` on ``dossier`` as ``actor``. Refused actions raise before any write:
    ``action_not_allowed`` (403), ``invalid_transition`` (409), or a field error (400)."""
    if action == "submit":
        from cqs.onestop.services.dossiers import dossier_submit

        return dossier_submit(dossier=dossier, actor=actor)
    dossier = _locked(dossier)
    transition = workflow.transition_check(action, user=actor, dossier=dossier)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError("note_too_long", _("Ghi chú dài tối đa 4000 ký tự."), field="note")
    if transition.needs_note and not note:
        raise ServiceError("note_required", _("Vui lòng nhập lý do hoặc nội dung."), field="note")
    before = _state(dossier)
    from_status = dossier.status
    ctx = {
        "now": _now(),
        "from_status": from_status,
        "actor": actor,
        "note": note,
        "to_user": to_user,
        "to_unit": to_unit,
        "deadline": deadline,
        "new_due_at": new_due_at,
        "items": items,
        "data": {},
        "due_before": dossier.due_at,
    }
    if transition.target is not None:
        dossier.status = transition.target
    if transition.new_stage is not None:
        dossier.stage = transition.new_stage
    _EFFECTS[action](dossier, ctx)
    if action in ("receive", "assign", "handover"):
        dossier.step_due_at = ctx.get("deadline")
    elif action == "complete_supplement" and dossier.step_due_at and dossier.due_at:
        # The step's deadline moves with the appointment (the citizen's waiting time).
        dossier.step_due_at = min(dossier.step_due_at + (dossier.due_at - ctx["due_before"]), dossier.due_at)
    if dossier.status in ENDED_STATUSES:
        dossier.stage = Stage.NONE
    dossier.save()
    _event(
        dossier,
        action=action,
        from_status=from_status,
        actor=actor,
        note=note,
        to_user=ctx["to_user"] if action in ("assign", "handover") else None,
        to_unit=ctx["to_unit"] if action == "handover" else None,
        deadline=ctx.get("deadline") if action in ("receive", "assign", "handover") else None,
        data=ctx["data"],
        at=ctx["now"],
    )
    _audit(dossier, action, before, actor)
    return dossier


@transaction.atomic
def dossiers_overdue_mark(*, now: datetime | None = None) -> int:
    """Flag open dossiers past their appointment (the background check); each gets one
    ``overdue`` event (synced to the national portal), shown in the officers' lists. The citizen
    hears from the officer's apology with a new date (``apologise``), which is notified."""
    now = now or _now()
    due = (
        Dossier.objects.select_for_update(skip_locked=True)
        .filter(status__in=(S.RECEIVED, S.PROCESSING, S.FEES_DUE), overdue_at__isnull=True, due_at__lt=now)
        .order_by("due_at")[:500]
    )
    count = 0
    for dossier in due:
        dossier.overdue_at = now
        dossier.save(update_fields=["overdue_at", "updated_at"])
        _event(dossier, action="overdue", from_status=dossier.status, actor=None, at=now, public=False)
        count += 1
    return count
