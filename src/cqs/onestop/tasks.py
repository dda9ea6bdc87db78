"""Background tasks of the one-stop shop (django-tasks; ``cqs serve`` runs a worker)."""

from django_tasks import task

from cqs.onestop.services import dossiers_overdue_mark


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


@task()
def onestop_overdue_check() -> dict:
    """The overdue check: each flagged dossier gets an ``overdue`` history row, which shows in the
    officers' lists and is synced to the national portal. Run it from cron
    (``cqs onestop_overdue``) or enqueue it (``onestop_overdue_check.enqueue()``)."""
    return {"flagged": overdue_mark_all()}
