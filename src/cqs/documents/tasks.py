"""Background tasks of the documents module (django-tasks; ``cqs serve`` runs a worker).

The axis poll books its own next run, so receiving from other provinces needs no cron: each
run, successful or not, books the next one ``POLL_INTERVAL_SECONDS`` later unless a run already
waits by then. With exchange turned off (``CQS_VDXP_URL`` empty) nothing is booked and a run
that was booked earlier ends the chain.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Decree 30 wants urgent documents handled "immediately"; a minute is as close as polling gets
# without loading the axis (the SDK's own examples poll every one to five minutes).
POLL_INTERVAL_SECONDS = 60


def exchange_enabled() -> bool:
    return bool(settings.CQS_VDXP_URL)


def schedule_axis_poll(*, at: datetime | None = None) -> bool:
    """Book the axis poll at ``at`` unless a run already waits to start by then; True if booked.

    Without ``at`` (at startup) the poll is booked now, unless one is already booked within
    the next interval, so restarting the server does not start a second chain. Errors are
    logged, never raised: ``cqs documents_poll`` run by hand catches up.
    """
    from cqs.core.outbox import task_waiting_by

    if not exchange_enabled():
        return False
    horizon = at or timezone.now() + timedelta(seconds=POLL_INTERVAL_SECONDS)
    try:
        if task_waiting_by(documents_axis_poll, horizon):
            return False
        booked = documents_axis_poll.using(run_after=at) if at is not None else documents_axis_poll
        booked.enqueue()
    except Exception:
        logger.exception("could not enqueue the axis poll")
        return False
    return True


@task()
def documents_axis_poll() -> dict:
    """Receive what waits on the axis (``exchange.axis_poll``), then book the next run.

    A failed poll (axis down, refused credentials) is logged with its stable code and the
    client's message, which holds no package content and has personal numbers masked; the next
    run tries again.
    """
    from cqs.documents.exchange import axis_poll
    from cqs.documents.vdxp import VdxpError, client_from_settings

    client = client_from_settings()
    if client is None:
        return {"enabled": False}
    started = timezone.now()
    try:
        result = asdict(axis_poll(client))
    except VdxpError as exc:
        logger.warning("axis poll failed: %s", exc.message)
        result = {"error": exc.code}
    except Exception as exc:
        # The class name only: a message may quote a package (names, numbers) and must not be logged.
        logger.error("axis poll failed: %s", type(exc).__name__)
        result = {"error": type(exc).__name__}
    finally:
        schedule_axis_poll(at=started + timedelta(seconds=POLL_INTERVAL_SECONDS))
    return result
