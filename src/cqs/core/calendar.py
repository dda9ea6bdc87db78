"""Working days in Vietnam: the national calendar plus the overrides stored in the database.

A day is a working day when:

1. a ``CalendarOverride`` row exists for it: its ``is_working_day`` decides (provincial or
   Government decisions: compensatory working Saturdays, extra days off);
2. otherwise, it is a Saturday or Sunday: non-working, unless ``holidays`` lists it as a
   working weekend day swapped by a Government decision (e.g. Saturday 22/08/2026);
3. otherwise, it is a working day unless ``holidays.country_holidays("VN")`` lists it as a
   public holiday (Labour Code 2019 Art. 112, lunar Tết, observed days, swapped days off).

Counting rules, used for statutory deadlines (TTHC processing times are in working days):

- ``add_working_days(start, n)`` with ``n >= 1`` is the n-th working day strictly after
  ``start``: a dossier received on Friday 28/01/2022 with a 1-working-day deadline is due on
  Monday 07/02/2022 (Tết 31/01–04/02/2022 in between). ``n == 0`` gives ``start`` itself when it
  is a working day, otherwise the next working day (the first day on which work can happen).
  A negative ``n`` raises ``ValueError``.
- ``working_days_between(start, end)`` counts the working days in the half-open interval
  ``(start, end]``: ``start`` is excluded, ``end`` included. So for ``n >= 1``
  ``working_days_between(d, add_working_days(d, n)) == n``. If ``end < start`` the result is
  negative: ``-working_days_between(end, start)`` (e.g. "overdue by 3 working days").

Each call reads the overrides of the dates it needs in one query. A caller that asks about many
dates at once builds a ``WorkingCalendar`` for the range and reuses it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.db import connections, router
from django.utils.translation import gettext as _

from cqs.core.models import CalendarOverride

SATURDAY = 5

# Margin, in calendar days, added to a range estimated from a number of working days: the
# longest run of non-working days in Vietnam is Tết (up to 9 days with the weekends around it).
_MARGIN_DAYS = 21


@lru_cache(maxsize=32)
def _national_calendar(first_year: int, last_year: int) -> holidays.HolidayBase:
    # The years around the range are included: a swap decided in one year can move a working
    # day into the next one (31/12/2018 off, Saturday 05/01/2019 worked).
    # expand=False: the cached object is shared between threads and must never be mutated by a
    # lookup outside its years (the callers only ask about years inside the range).
    return holidays.country_holidays(
        "VN", years=range(first_year - 1, last_year + 2), language="vi", expand=False
    )


def _overrides_between(first: date, last: date) -> dict[date, tuple[bool, str]]:
    """{date: (is_working_day, reason)} for the overrides in [first, last].

    Plain SQL on purpose: every deadline computation makes this query, and building it with the
    ORM cost ten times the query itself (about 0.5 ms against 0.06 ms, bench/run.py).
    """
    connection = connections[router.db_for_read(CalendarOverride)]
    table = connection.ops.quote_name(CalendarOverride._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date, is_working_day, reason FROM {table} WHERE date BETWEEN %s AND %s",  # noqa: S608
            [first, last],
        )
        rows = cursor.fetchall()
    # Raw rows differ by backend: dates or ISO strings, booleans or 0/1.
    return {
        (day if isinstance(day, date) else date.fromisoformat(day)): (bool(working), reason)
        for day, working, reason in rows
    }


def _check_date(value: date, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{name} phải là datetime.date (không phải {type(value).__name__}); "
            "đổi thời điểm sang ngày theo giờ địa phương bằng timezone.localdate()."
        )


class WorkingCalendar:
    """The working days of a date range, read once: national holidays plus the overrides.

    The range grows on demand (one more query per extension), so an iteration that runs past
    the estimated end still gives the right answer.
    """

    def __init__(self, first: date, last: date):
        _check_date(first, "first")
        _check_date(last, "last")
        if last < first:
            first, last = last, first
        self.first = first
        self.last = first - timedelta(days=1)
        self._overrides: dict[date, tuple[bool, str]] = {}
        self._extend_to(last)

    def _extend_to(self, last: date) -> None:
        if last <= self.last:
            return
        start = self.last + timedelta(days=1)
        self._overrides.update(_overrides_between(start, last))
        self.last = last
        self._national = _national_calendar(self.first.year, self.last.year)

    def _extend_back_to(self, first: date) -> None:
        if first >= self.first:
            return
        end = self.first - timedelta(days=1)
        self._overrides.update(_overrides_between(first, end))
        self.first = first
        self._national = _national_calendar(self.first.year, self.last.year)

    def _ensure(self, day: date) -> None:
        if day > self.last:
            self._extend_to(max(day, self.last + timedelta(days=_MARGIN_DAYS)))
        elif day < self.first:
            self._extend_back_to(day)

    def is_working_day(self, day: date) -> bool:
        _check_date(day, "day")
        self._ensure(day)
        override = self._overrides.get(day)
        if override is not None:
            return override[0]
        if day.weekday() >= SATURDAY:
            return day in self._national.weekend_workdays
        return day not in self._national

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day (holiday name, override reason, weekend), or None."""
        if self.is_working_day(day):
            return None
        override = self._overrides.get(day)
        if override is not None:
            return override[1]
        if day in self._national:
            return self._national[day]
        return _("Thứ Bảy") if day.weekday() == SATURDAY else _("Chủ nhật")

    def add_working_days(self, start: date, n: int) -> date:
        _check_date(start, "start")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"Số ngày làm việc phải là số nguyên không âm (nhận được {n!r}).")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        _check_date(start, "start")
        _check_date(end, "end")
        if end < start:
            return -self.working_days_between(end, start)
        self._ensure(start)
        self._ensure(end)
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count


def _estimated_end(start: date, n: int) -> date:
    # Five working days a week, plus room for a holiday run.
    return start + timedelta(days=(n * 7) // 5 + _MARGIN_DAYS)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day for state agencies (see the module docstring)."""
    return WorkingCalendar(day, day).is_working_day(day)


def non_working_reason(day: date) -> str | None:
    """The holiday name, override reason or weekend name of a non-working day; None otherwise."""
    return WorkingCalendar(day, day).non_working_reason(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (n >= 1); for n == 0, ``start`` or the next working
    day. Raises ``ValueError`` for a negative ``n``."""
    _check_date(start, "start")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"Số ngày làm việc phải là số nguyên không âm (nhận được {n!r}).")
    return WorkingCalendar(start, _estimated_end(start, n)).add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """The number of working days in ``(start, end]``; negative when ``end < start``."""
    return WorkingCalendar(start, end).working_days_between(start, end)
