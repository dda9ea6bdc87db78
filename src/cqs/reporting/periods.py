"""Reporting periods: a label (the DHIS2 ISO period) and a data window that differ.

Decree 09/2019 fixes a common data cut-off: a monthly report counts from the 15th of the previous
month to the 14th of the month, a quarterly one from the 15th of the month before the quarter to
the 14th of its last month, and so on (see docs/reporting.md). So "tháng 3/2026" (label 202603,
1/3–31/3) holds the data of 15/2–14/3. A regime may set another cut-off day, or none (the window is
then the label's own dates).

Identifiers: ``202603`` (monthly), ``2026Q1``, ``2026S1``, ``2026N9`` (nine months from January,
which DHIS2 lacks), ``2026`` (yearly). ADX writes a period as its start and an ISO 8601 duration
(``2026-03-01/P1M``); both forms are parsed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from cqs.reporting.choices import PeriodType

_MONTHS = {
    PeriodType.MONTHLY: 1,
    PeriodType.QUARTERLY: 3,
    PeriodType.SIX_MONTHLY: 6,
    PeriodType.NINE_MONTHLY: 9,
    PeriodType.YEARLY: 12,
}
_ISO = (
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), PeriodType.MONTHLY),
    (re.compile(r"^(\d{4})Q([1-4])$"), PeriodType.QUARTERLY),
    (re.compile(r"^(\d{4})S([12])$"), PeriodType.SIX_MONTHLY),
    (re.compile(r"^(\d{4})N(9)$"), PeriodType.NINE_MONTHLY),
    (re.compile(r"^(\d{4})()$"), PeriodType.YEARLY),
)
_ADX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)([MY])$")


class PeriodError(ValueError):
    pass


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class PeriodSpec:
    period_type: str
    iso: str
    start: date
    end: date

    @property
    def months(self) -> int:
        return _MONTHS[self.period_type]

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def adx(self) -> str:
        duration = "P1Y" if self.period_type == PeriodType.YEARLY else f"P{self.months}M"
        return f"{self.start.isoformat()}/{duration}"

    def window(self, cutoff_day: int | None) -> tuple[date, date]:
        """The data window: from the day after the cut-off in the month before the period to the
        cut-off day of its last month; the label's own dates when there is no cut-off."""
        if not cutoff_day:
            return self.start, self.end
        before = _add_months(self.start, -1)
        return (
            date(before.year, before.month, cutoff_day + 1),
            date(self.end.year, self.end.month, cutoff_day),
        )

    def label(self) -> str:
        year = {"year": self.year}
        match self.period_type:
            case PeriodType.MONTHLY:
                return gettext("Tháng %(month)s/%(year)s") % {"month": self.start.month, **year}
            case PeriodType.QUARTERLY:
                quarter = (self.start.month - 1) // 3 + 1
                return gettext("Quý %(quarter)s/%(year)s") % {"quarter": quarter, **year}
            case PeriodType.SIX_MONTHLY:
                if self.start.month == 1:
                    return gettext("6 tháng đầu năm %(year)s") % year
                return gettext("6 tháng cuối năm %(year)s") % year
            case PeriodType.NINE_MONTHLY:
                return gettext("9 tháng năm %(year)s") % year
        return gettext("Năm %(year)s") % year

    def next(self) -> PeriodSpec:
        if self.period_type == PeriodType.NINE_MONTHLY:
            return period_of(PeriodType.NINE_MONTHLY, date(self.year + 1, 1, 1))
        return period_of(self.period_type, _add_months(self.start, self.months))

    def previous(self) -> PeriodSpec:
        if self.period_type == PeriodType.NINE_MONTHLY:
            return period_of(PeriodType.NINE_MONTHLY, date(self.year - 1, 1, 1))
        return period_of(self.period_type, _add_months(self.start, -self.months))


def _spec(period_type: str, year: int, first_month: int) -> PeriodSpec:
    months = _MONTHS[period_type]
    start = date(year, first_month, 1)
    last = _add_months(start, months - 1)
    end = _month_end(last.year, last.month)
    match period_type:
        case PeriodType.MONTHLY:
            iso = f"{year}{first_month:02d}"
        case PeriodType.QUARTERLY:
            iso = f"{year}Q{(first_month - 1) // 3 + 1}"
        case PeriodType.SIX_MONTHLY:
            iso = f"{year}S{1 if first_month == 1 else 2}"
        case PeriodType.NINE_MONTHLY:
            iso = f"{year}N9"
        case _:
            iso = str(year)
    return PeriodSpec(period_type=period_type, iso=iso, start=start, end=end)


def period_of(period_type: str, day: date) -> PeriodSpec:
    """The period of this type whose label contains ``day`` (for nine months: the year's)."""
    if period_type == PeriodType.NINE_MONTHLY:
        return _spec(period_type, day.year, 1)
    months = _MONTHS[period_type]
    return _spec(period_type, day.year, ((day.month - 1) // months) * months + 1)


def period_parse(text: str) -> PeriodSpec:
    """A period from its ISO identifier (``202603``, ``2026Q1``…) or its ADX form
    (``2026-01-01/P3M``). Raises ``PeriodError`` for anything else."""
    text = (text or "").strip()
    for pattern, period_type in _ISO:
        match = pattern.match(text)
        if match:
            year = int(match.group(1))
            part = match.group(2)
            if period_type == PeriodType.MONTHLY:
                return _spec(period_type, year, int(part))
            if period_type in (PeriodType.QUARTERLY, PeriodType.SIX_MONTHLY):
                return _spec(period_type, year, (int(part) - 1) * _MONTHS[period_type] + 1)
            return _spec(period_type, year, 1)
    match = _ADX.match(text)
    if match:
        year, month, day, count, unit = match.groups()
        months = int(count) * (12 if unit == "Y" else 1)
        types = {value: key for key, value in _MONTHS.items()}
        period_type = types.get(months)
        if period_type and int(day) == 1 and 1 <= int(month) <= 12:
            spec = period_of(period_type, date(int(year), int(month), 1))
            if spec.start == date(int(year), int(month), 1):
                return spec
    raise PeriodError(f"Kỳ báo cáo không hợp lệ: {text!r}.")


def periods_in_year(period_type: str, year: int) -> list[PeriodSpec]:
    first = period_of(period_type, date(year, 1, 1))
    periods = [first]
    while period_type != PeriodType.NINE_MONTHLY and periods[-1].next().year == year:
        periods.append(periods[-1].next())
    return periods


def periods_between(period_type: str, first: date, last: date) -> list[PeriodSpec]:
    """Periods of this type whose labels end between ``first`` and ``last`` (inclusive)."""
    spec = period_of(period_type, first)
    if spec.end < first:
        spec = spec.next()
    result = []
    while spec.end <= last:
        result.append(spec)
        spec = spec.next()
    return result
