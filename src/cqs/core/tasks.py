"""Background tasks of the shared kernel (django-tasks; `cqs serve` runs a worker)."""

from django_tasks import task

from cqs.core import outbox


@task()
def outbox_dispatch_task() -> dict:
    """Deliver due outbox messages, then schedule the next run for the earliest one still waiting.

    Retries with back-off thus need no separate scheduler: each run books the next one.
    """
    counts = outbox.outbox_dispatch()
    next_due = outbox.outbox_next_due()
    if next_due is not None:
        outbox.schedule_dispatch(at=next_due)
    return {"delivered": counts.delivered, "retried": counts.retried, "failed": counts.failed}
