"""The dossier state machine: one table, enforced in one place (``transition_check``).

States are the national portal's status codes 1–10 (plus 0, a draft). Inside status 4 the
``stage`` says who holds the dossier (waiting for assignment, with a specialist, with a leader).
Each edge names who may take it: ``APPLICANT`` (the citizen who owns the dossier) or unit-scoped
permissions (``onestop.<codename>``) held through a role grant on the dossier's unit or an
ancestor. Tests are generated from this table (tests/test_workflow.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cqs.accounts.permissions import grant_paths_prime, has_unit_permission
from cqs.core.exceptions import Forbidden, ServiceError
from cqs.onestop.choices import DossierStatus as S
from cqs.onestop.choices import Stage

APPLICANT = "applicant"
RECEIVE = "onestop.receive_dossier"
PROCESS = "onestop.process_dossier"
APPROVE = "onestop.approve_dossier"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[int, ...]
    target: int | None  # None: the status does not change (an event only)
    actors: tuple[str, ...]
    stages: tuple[str, ...] | None = None  # required stage(s) within status 4
    new_stage: str | None = None
    needs_note: bool = False


_OPEN_WITH_CLOCK = (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.FEES_DUE)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # NĐ 118/2025 Art. 14: the citizen files online; the dossier waits for the one-stop officer.
        Transition("submit", gettext_lazy("Nộp hồ sơ"), (S.DRAFT,), S.SUBMITTED, (APPLICANT,)),
        # NĐ 118/2025 Art. 15, TT 01/2018 Mẫu 01: receipt and appointment slip.
        Transition("receive", gettext_lazy("Tiếp nhận hồ sơ"), (S.SUBMITTED,), S.RECEIVED, (RECEIVE,)),
        # NĐ 118/2025 Art. 15, TT 01/2018 Mẫu 03: refusal at intake, with the reason.
        Transition(
            "refuse",
            gettext_lazy("Từ chối tiếp nhận"),
            (S.SUBMITTED,),
            S.REFUSED,
            (RECEIVE,),
            needs_note=True,
        ),
        # NĐ 118/2025 Art. 16: the one-stop officer (or a leader) hands the file to a specialist.
        Transition(
            "assign",
            gettext_lazy("Phân công chuyên viên xử lý"),
            (S.RECEIVED, S.PROCESSING),
            S.PROCESSING,
            (RECEIVE, APPROVE),
            stages=(Stage.NONE, Stage.WAITING, Stage.HANDLING),
            new_stage=Stage.HANDLING,
        ),
        # NĐ 118/2025 Art. 16, TT 01/2018 Mẫu 05: hand-over between units, on the control sheet.
        Transition(
            "handover",
            gettext_lazy("Chuyển đơn vị khác xử lý"),
            (S.PROCESSING,),
            S.PROCESSING,
            (PROCESS,),
            stages=(Stage.HANDLING,),
            new_stage=Stage.HANDLING,
        ),
        # TT 01/2018 Mẫu 02: one request that lists everything missing; the clock stops.
        Transition(
            "request_supplement",
            gettext_lazy("Yêu cầu bổ sung hồ sơ"),
            (S.RECEIVED, S.PROCESSING),
            S.SUPPLEMENT,
            (RECEIVE, PROCESS),
            needs_note=True,
        ),
        Transition(
            "complete_supplement",
            gettext_lazy("Đã bổ sung hồ sơ"),
            (S.SUPPLEMENT,),
            None,  # back to the status it was in when asked (SupplementRequest.resume_status)
            (APPLICANT, RECEIVE),
        ),
        # Financial obligation (e.g. land use levy) notified by the specialist.
        Transition(
            "request_fees",
            gettext_lazy("Thông báo nghĩa vụ tài chính"),
            (S.PROCESSING,),
            S.FEES_DUE,
            (PROCESS,),
            stages=(Stage.HANDLING,),
            needs_note=True,
        ),
        Transition(
            "fees_paid",
            gettext_lazy("Xác nhận đã thực hiện nghĩa vụ tài chính"),
            (S.FEES_DUE,),
            S.PROCESSING,
            (RECEIVE, PROCESS),
        ),
        Transition(
            "propose",
            gettext_lazy("Trình lãnh đạo phê duyệt"),
            (S.PROCESSING,),
            S.PROCESSING,
            (PROCESS,),
            stages=(Stage.HANDLING,),
            new_stage=Stage.PROPOSED,
        ),
        Transition(
            "send_back",
            gettext_lazy("Trả lại chuyên viên"),
            (S.PROCESSING,),
            S.PROCESSING,
            (APPROVE,),
            stages=(Stage.PROPOSED,),
            new_stage=Stage.HANDLING,
            needs_note=True,
        ),
        # The leader approves; the result is signed by the unit (Luật Giao dịch điện tử 2023).
        Transition(
            "approve",
            gettext_lazy("Phê duyệt, ký kết quả"),
            (S.PROCESSING,),
            S.RESOLVED,
            (APPROVE,),
            stages=(Stage.PROPOSED,),
            new_stage=Stage.NONE,
        ),
        Transition("return_result", gettext_lazy("Trả kết quả"), (S.RESOLVED,), S.RETURNED, (RECEIVE,)),
        # NĐ 118/2025: the citizen may withdraw a dossier not yet resolved.
        Transition(
            "withdraw",
            gettext_lazy("Rút hồ sơ"),
            (S.SUBMITTED, *_OPEN_WITH_CLOCK),
            S.WITHDRAWN,
            (APPLICANT, RECEIVE),
        ),
        # TT 03/2025 Mẫu 05: notice that processing stopped, with the reason.
        Transition(
            "stop",
            pgettext_lazy("action", "Dừng xử lý"),
            _OPEN_WITH_CLOCK,
            S.STOPPED,
            (APPROVE,),
            needs_note=True,
        ),
        # NĐ 118/2025, TT 01/2018 Mẫu 04: apology and a new appointment when a dossier will be late.
        Transition(
            "apologise",
            gettext_lazy("Xin lỗi và hẹn lại ngày trả kết quả"),
            _OPEN_WITH_CLOCK,
            None,
            (RECEIVE, PROCESS, APPROVE),
            needs_note=True,
        ),
    )
}


def transition_get(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ServiceError(
            "unknown_action", _("Thao tác “%(action)s” không tồn tại.") % {"action": str(action)[:40]}
        ) from None


def actor_may(transition: Transition, *, user, dossier) -> bool:
    for actor in transition.actors:
        if actor == APPLICANT:
            if dossier.applicant_id is not None and user is not None and user.pk == dossier.applicant_id:
                return True
        elif has_unit_permission(user, actor, dossier.unit) or (
            dossier.handling_unit_id and has_unit_permission(user, actor, dossier.handling_unit)
        ):
            return True
    return False


def state_allows(transition: Transition, dossier) -> bool:
    if dossier.status not in transition.sources:
        return False
    if transition.stages is not None and dossier.status == S.PROCESSING:
        return dossier.stage in transition.stages
    return True


def transition_check(action: str, *, user, dossier) -> Transition:
    """The transition for ``action`` if ``user`` may take it on ``dossier`` now; else an error:
    ``action_not_allowed`` (403) for the person, ``invalid_transition`` (409) for the state."""
    from cqs.core.exceptions import Conflict

    transition = transition_get(action)
    if not actor_may(transition, user=user, dossier=dossier):
        raise Forbidden(
            "action_not_allowed",
            _("Bạn không có quyền “%(label)s” đối với hồ sơ này.") % {"label": transition.label},
        )
    if not state_allows(transition, dossier):
        raise Conflict(
            "invalid_transition",
            _("Không thể “%(label)s” khi hồ sơ đang ở trạng thái “%(status)s”.")
            % {"label": transition.label, "status": dossier.get_status_display()},
        )
    return transition


def actions_available(*, user, dossier) -> list[Transition]:
    """The actions ``user`` may take on ``dossier`` now, in table order (for buttons)."""
    grant_paths_prime(user, "onestop")
    return [
        t
        for t in TRANSITIONS.values()
        if t.action != "submit" and state_allows(t, dossier) and actor_may(t, user=user, dossier=dossier)
    ]
