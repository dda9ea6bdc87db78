"""Background tasks of citizen feedback (django-tasks; ``cqs serve`` runs a worker)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django_tasks import task

from cqs.feedback.choices import OPEN_STATUSES

logger = logging.getLogger(__name__)


def next_deadline() -> datetime | None:
    """The earliest answer deadline of an open report not yet flagged overdue."""
    from cqs.feedback.models import Report

    return (
        Report.objects.filter(status__in=OPEN_STATUSES, overdue_notified_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def schedule_overdue_check(*, at: datetime) -> None:
    """Book the overdue check just after ``at`` unless one already waits to run by then (booked
    after each report is filed, at its deadline, and by the check itself). Never raises:
    ``cqs feedback_overdue`` run by hand or cron catches up."""
    from cqs.core.outbox import task_waiting_by

    at = at + timedelta(minutes=1)
    try:
        if task_waiting_by(feedback_overdue_check, at):
            return
        feedback_overdue_check.using(run_after=at).enqueue()
    except Exception:
        logger.exception("could not enqueue the feedback overdue check")


@task()
def feedback_overdue_check() -> dict:
    """Alert the units of reports past their deadline (once each), then book the next run."""
    from cqs.feedback.services import reports_overdue_mark

    flagged = reports_overdue_mark()
    upcoming = next_deadline()
    if upcoming is not None:
        schedule_overdue_check(at=upcoming)
    return {"flagged": len(flagged)}
