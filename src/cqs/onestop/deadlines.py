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
- In **hours** (giờ) it counts office hours of working days.
- While the citizen completes a supplement (status 5) the clock stops: on completion the
  appointment moves by the working days spent waiting (QĐ 766 subtracts this time).
- Processing is on time when it ends (status 9) by the appointment, early when it ends on an
  earlier day, late otherwise; **more than one supplement request makes it late** (QĐ 766, the
  "hướng dẫn một lần" rule), whatever the dates.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from django.utils import timezone

from cqs.core.calendar import WorkingCalendar, add_working_days, working_days_between
from cqs.onestop.choices import Timeliness, TimeUnit

# Office hours of state agencies (Decree 30/2019 leaves them to each province; these are the
# usual 7:30–17:00). Receipts outside them count from the next opening.
OFFICE_OPENS = time(7, 30)
OFFICE_CLOSES = time(17, 0)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _at(day, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def clock_start(received_at: datetime) -> datetime:
    """When the agency's clock starts for a dossier received at ``received_at``."""
    local = _local(received_at)
    calendar = WorkingCalendar(local.date(), local.date() + timedelta(days=30))
    day = local.date()
    if calendar.is_working_day(day) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES:
        return local
    if calendar.is_working_day(day) and local.time() < OFFICE_OPENS:
        return _at(day, OFFICE_OPENS)
    return _at(add_working_days(day + timedelta(days=1), 0), OFFICE_OPENS)


def _add_office_hours(start: datetime, hours: float) -> datetime:
    moment = _local(start)
    remaining = timedelta(hours=hours)
    while True:
        closes = _at(moment.date(), OFFICE_CLOSES)
        available = closes - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = _at(add_working_days(moment.date(), 1), OFFICE_OPENS)


def due_at_for(*, amount, unit: str, received_at: datetime) -> datetime:
    """The appointment for a processing time of ``amount`` ``unit`` from ``received_at``."""
    start = clock_start(received_at)
    if unit == TimeUnit.HOURS:
        return _add_office_hours(start, float(amount))
    if unit == TimeUnit.DAYS:
        day = start.date() + timedelta(days=math.ceil(amount))
        return _at(add_working_days(day, 0), start.time())
    return _at(add_working_days(start.date(), math.ceil(amount)), start.time())


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
