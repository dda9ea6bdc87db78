"""Background tasks of the one-stop shop (django-tasks; ``cqs serve`` runs a worker)."""

import logging
from datetime import datetime, timedelta

from django_tasks import task

from cqs.onestop.services import dossiers_overdue_mark

logger = logging.getLogger(__name__)


def overdue_mark_all() -> int:
    """Flag every open dossier past its appointment; return how many were flagged.

    ``dossiers_overdue_mark`` takes a bounded batch per transaction (short locks); this repeats
    it until a round flags nothing. Each dossier is flagged once (``overdue_at``), so the loop ends.
    """
    total = 0
    while True:
        count = dossiers_overdue_mark()
        if not count:
            return total
        total += count


def next_appointment() -> datetime | None:
    """The earliest appointment of an open dossier not yet flagged overdue."""
    from cqs.onestop.models import Dossier
    from cqs.onestop.models.dossiers import CLOCK_STATUSES

    return (
        Dossier.objects.filter(status__in=CLOCK_STATUSES, overdue_at__isnull=True, due_at__isnull=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def schedule_overdue_check(*, at: datetime) -> None:
    """Book the overdue check just after ``at`` unless one already waits to run by then.

    Called after a receipt commits (at its appointment) and by the check itself (at the next
    appointment), so the check runs when a dossier can become overdue, with no cron. Errors are
    logged, never raised: ``cqs onestop_overdue`` run by hand or cron catches up.
    """
    from cqs.core.outbox import task_waiting_by

    at = at + timedelta(minutes=1)
    try:
        if task_waiting_by(onestop_overdue_check, at):
            return
        onestop_overdue_check.using(run_after=at).enqueue()
    except Exception:
        logger.exception("could not enqueue the overdue check")


@task()
def onestop_overdue_check() -> dict:
    """The overdue check: each flagged dossier gets an ``overdue`` history row, which shows in the
    officers' lists and is synced to the national portal; then the next run is booked at the next
    appointment. Also ``cqs onestop_overdue`` (cron, or by hand)."""
    flagged = overdue_mark_all()
    upcoming = next_appointment()
    if upcoming is not None:
        schedule_overdue_check(at=upcoming)
    return {"flagged": flagged}
