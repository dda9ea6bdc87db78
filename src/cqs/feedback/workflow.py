"""The report state machine: one table, enforced in one place (``transition_check``).

Each edge names who may take it: ``REPORTER`` (the citizen who filed the report: their account,
or the secret link they were given) or a unit-scoped permission (``feedback.<codename>``) held
through a role grant on the report's handling unit or an ancestor. Tests are generated from the
table (tests/test_workflow.py). docs/feedback.md has the table as prose and the Open311 mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cqs.accounts.permissions import has_unit_permission
from cqs.core.exceptions import Conflict, Forbidden, ServiceError
from cqs.feedback.choices import Status as S

REPORTER = "reporter"
RECEIVE = "feedback.receive_report"
HANDLE = "feedback.handle_report"
PUBLISH = "feedback.publish_report"

_WAITING = (S.RECEIVED, S.FORWARDED, S.REOPENED)
_WORKING = (S.ACCEPTED, S.IN_PROGRESS, S.REOPENED)
_OPEN = (S.RECEIVED, S.ACCEPTED, S.FORWARDED, S.IN_PROGRESS, S.INFO_REQUESTED, S.REOPENED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (an event only)
    actors: tuple[str, ...]
    needs_note: bool = False
    public: bool = True  # whether the step shows on the public status page


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # Law 42/2013 Art. 28: the unit accepts the report (thụ lý) and the person is told.
        Transition("accept", gettext_lazy("Thụ lý"), _WAITING, S.ACCEPTED, (RECEIVE,)),
        # Refusal (not a matter for feedback, abusive, no content), with the reason told.
        Transition(
            "reject",
            pgettext_lazy("feedback action", "Không thụ lý"),
            (S.RECEIVED, S.FORWARDED),
            S.REJECTED,
            (RECEIVE,),
            True,
        ),
        # Decree 20/2008 Art. 9: forward to the competent unit inside the platform (5 working days).
        Transition(
            "forward",
            gettext_lazy("Chuyển đơn vị có thẩm quyền"),
            (S.RECEIVED, S.ACCEPTED, S.FORWARDED, S.REOPENED),
            S.FORWARDED,
            (RECEIVE,),
            True,
        ),
        # … or to an agency outside the platform, with the record of the transfer (document number).
        Transition(
            "transfer",
            gettext_lazy("Chuyển cơ quan ngoài hệ thống"),
            (S.RECEIVED, S.ACCEPTED, S.FORWARDED, S.REOPENED),
            S.TRANSFERRED,
            (RECEIVE,),
            True,
        ),
        Transition(
            "start", gettext_lazy("Bắt đầu xử lý"), (S.ACCEPTED, S.REOPENED), S.IN_PROGRESS, (HANDLE,)
        ),
        Transition(
            "request_info",
            gettext_lazy("Yêu cầu người phản ánh bổ sung thông tin"),
            (S.ACCEPTED, S.IN_PROGRESS, S.REOPENED),
            S.INFO_REQUESTED,
            (HANDLE,),
            True,
        ),
        Transition(
            "provide_info",
            gettext_lazy("Bổ sung thông tin"),
            (S.INFO_REQUESTED,),
            S.IN_PROGRESS,
            (REPORTER, HANDLE),
            True,
        ),
        Transition("answer", gettext_lazy("Trả lời phản ánh"), _WORKING, S.ANSWERED, (HANDLE,)),
        # Decree 20/2008 Art. 19: results are published, without the reporter's personal data.
        Transition("publish", gettext_lazy("Công khai trả lời"), (S.ANSWERED,), S.PUBLISHED, (PUBLISH,)),
        Transition(
            "close",
            gettext_lazy("Đóng phản ánh"),
            (S.ANSWERED, S.PUBLISHED, S.INFO_REQUESTED),
            S.CLOSED,
            (PUBLISH,),
        ),
        Transition(
            "reopen",
            gettext_lazy("Mở lại để xử lý tiếp"),
            (S.ANSWERED, S.PUBLISHED, S.CLOSED),
            S.REOPENED,
            (PUBLISH, REPORTER),
            True,
        ),
        # A duplicate is closed and linked to its original; its reporter hears when that is answered.
        Transition("mark_duplicate", gettext_lazy("Đánh dấu trùng"), _OPEN, S.CLOSED, (HANDLE, RECEIVE)),
        # A report about several problems becomes several reports; the original is closed.
        Transition("split", gettext_lazy("Tách phản ánh"), _OPEN, S.CLOSED, (RECEIVE,)),
        # Change of category, urgency or place: the routing rules run again (no status change).
        Transition(
            "reclassify",
            gettext_lazy("Phân loại lại"),
            (S.RECEIVED, S.ACCEPTED, S.FORWARDED, S.REOPENED),
            None,
            (RECEIVE,),
            public=False,
        ),
        Transition("comment", gettext_lazy("Ghi chú nội bộ"), tuple(S), None, (HANDLE, RECEIVE), True, False),
    )
}


def transition_get(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ServiceError(
            "unknown_action", _("Thao tác “%(action)s” không tồn tại.") % {"action": str(action)[:40]}
        ) from None


def is_reporter(*, user, report, token: str | None = None) -> bool:
    from django.utils.crypto import constant_time_compare

    if token and report.access_token and constant_time_compare(token, report.access_token):
        return True
    return (
        user is not None
        and report.reporter_id is not None
        and getattr(user, "pk", None) == report.reporter_id
    )


def actor_may(transition: Transition, *, user, report, token: str | None = None) -> bool:
    for actor in transition.actors:
        if actor == REPORTER:
            if is_reporter(user=user, report=report, token=token):
                return True
        elif has_unit_permission(user, actor, report.unit):
            return True
    return False


def transition_check(action: str, *, user, report, token: str | None = None) -> Transition:
    """The transition for ``action`` if the actor may take it on ``report`` now; else an error:
    ``action_not_allowed`` (403) for the person, ``invalid_transition`` (409) for the state."""
    transition = transition_get(action)
    if not actor_may(transition, user=user, report=report, token=token):
        raise Forbidden(
            "action_not_allowed",
            _("Bạn không có quyền “%(label)s” đối với phản ánh này.") % {"label": transition.label},
        )
    if report.status not in transition.sources:
        raise Conflict(
            "invalid_transition",
            _("Không thể “%(label)s” khi phản ánh đang ở trạng thái “%(status)s”.")
            % {"label": transition.label, "status": report.get_status_display()},
        )
    return transition


def actions_available(*, user, report) -> list[Transition]:
    """The staff actions ``user`` may take on ``report`` now, in table order (for buttons): through a
    permission only, never as the reporter (the reporter's own actions are on the public page)."""
    return [
        t
        for t in TRANSITIONS.values()
        if report.status in t.sources
        and any(a != REPORTER and has_unit_permission(user, a, report.unit) for a in t.actors)
    ]
