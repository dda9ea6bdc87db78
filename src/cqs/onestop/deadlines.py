"""Deadlines of a dossier: the appointment date, the supplement clock, and on-time or late.

The rules (docs/onestop.md, "Deadlines"):

- The processing time of the procedure version runs from the moment of receipt (``received_at``).
  In **working days** (ngày làm việc) it skips weekends, public holidays and the province's
  calendar overrides (``cqs.core.calendar``): the appointment is the n-th working day after the
  day of receipt, at the same time of day. A receipt outside office hours or on a day off counts
  from the start of the next working day. A fractional time (0.5 working day) is rounded up to a
  whole day, in the citizen's favour of a clear appointment.
- In **days** (ngày) it counts calendar days; an appointment that falls on a day off moves to the
  next working day (a citizen cannot collect a result on a holiday).
- In **hours** (giờ) it counts office hours of working days. (The clock itself is
  ``cqs.core.deadlines``, shared with citizen feedback; ``TimeUnit`` values match its units.)
- While the citizen completes a supplement (status 5) the clock stops: on completion the
  appointment moves by the working days spent waiting (QĐ 766 subtracts this time).
- Processing is on time when it ends (status 9) by the appointment, early when it ends on an
  earlier day, late otherwise; **more than one supplement request makes it late** (QĐ 766, the
  "hướng dẫn một lần" rule), whatever the dates.
"""

from __future__ import annotations

from datetime import datetime

from cqs.core.calendar import add_working_days, working_days_between
from cqs.core.deadlines import at as _at
from cqs.core.deadlines import due_at_for
from cqs.core.deadlines import local as _local
from cqs.onestop.choices import Timeliness

__all__ = ["due_at_after_pause", "due_at_for", "is_overdue", "timeliness"]


def due_at_after_pause(*, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The appointment moved by the working days the dossier waited for the citizen."""
    waited = working_days_between(_local(paused_at).date(), _local(resumed_at).date())
    if waited <= 0:
        return due_at
    local = _local(due_at)
    return _at(add_working_days(local.date(), waited), local.time())


def timeliness(
    *, completed_at: datetime | None, due_at: datetime | None, supplement_count: int
) -> str | None:
    """Early, on time or late for a dossier processed at ``completed_at``; None while open."""
    if completed_at is None or due_at is None:
        return None
    if supplement_count > 1 or completed_at > due_at:
        return Timeliness.LATE
    if _local(completed_at).date() < _local(due_at).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def is_overdue(*, due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and now > due_at
