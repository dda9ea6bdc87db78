"""Deadlines counted on the working calendar: working days, calendar days and office hours.

Shared by every module whose deadlines are set by law in working days or working hours (one-stop
dossiers, citizen feedback). The rules:

- The clock starts at the moment of receipt when it falls in office hours of a working day;
  before opening on a working day it starts at opening; otherwise at the opening of the next
  working day.
- In **working days** the deadline is the n-th working day after the day the clock started, at
  the same time of day (``cqs.core.calendar``: weekends, public holidays, the province's
  overrides). A fraction of a day is rounded up.
- In **calendar days** it is n days later; a deadline on a day off moves to the next working day.
- In **hours** it counts office hours of working days only.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from django.utils import timezone

from cqs.core.calendar import WorkingCalendar, add_working_days

# Office hours of state agencies (Decree 30/2019 leaves them to each province; these are the
# usual 7:30–17:00). Receipts outside them count from the next opening.
OFFICE_OPENS = time(7, 30)
OFFICE_CLOSES = time(17, 0)

WORKING_DAYS = "working_days"
DAYS = "days"
HOURS = "hours"


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def at(day, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def clock_start(received_at: datetime) -> datetime:
    """When the agency's clock starts for something received at ``received_at``."""
    moment = local(received_at)
    calendar = WorkingCalendar(moment.date(), moment.date() + timedelta(days=30))
    day = moment.date()
    if calendar.is_working_day(day) and OFFICE_OPENS <= moment.time() < OFFICE_CLOSES:
        return moment
    if calendar.is_working_day(day) and moment.time() < OFFICE_OPENS:
        return at(day, OFFICE_OPENS)
    return at(add_working_days(day + timedelta(days=1), 0), OFFICE_OPENS)


def add_office_hours(start: datetime, hours: float) -> datetime:
    """``start`` (inside office hours) plus ``hours`` of office time on working days."""
    moment = local(start)
    remaining = timedelta(hours=hours)
    while True:
        closes = at(moment.date(), OFFICE_CLOSES)
        available = closes - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = at(add_working_days(moment.date(), 1), OFFICE_OPENS)


def due_at_for(*, amount, unit: str, received_at: datetime) -> datetime:
    """The deadline for a time of ``amount`` ``unit`` (working_days, days, hours) from ``received_at``."""
    start = clock_start(received_at)
    if unit == HOURS:
        return add_office_hours(start, float(amount))
    if unit == DAYS:
        day = start.date() + timedelta(days=math.ceil(amount))
        return at(add_working_days(day, 0), start.time())
    if unit != WORKING_DAYS:
        raise ValueError(f"unknown time unit {unit!r}")
    return at(add_working_days(start.date(), math.ceil(amount)), start.time())
