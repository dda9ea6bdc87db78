"""Rate limits and daily quotas of the built-in proxy, counted as HAProxy counts them.

The HAProxy engine keeps ``gpc0_rate(60s)`` in a stick table; this is the same frequency counter
(HAProxy ``freq_ctr``: ``update_freq_ctr_period`` and ``read_freq_ctr_period``), so a client sees
the same 429 at the same call on either engine. Only accepted (forwarded) calls are counted.
"""

from __future__ import annotations

from cqs.lgsp.errors import LOCAL_UTC_OFFSET_SECONDS, RATE_WINDOW_SECONDS

RATE_PERIOD_MS = RATE_WINDOW_SECONDS * 1000
DAY_SECONDS = 86400


class FreqCounter:
    """Events in a sliding period: the current period's count plus the previous period's count
    weighted by the part of the previous period still inside the window.

    Periods start at the first event (not on a clock boundary) and follow each other; after two
    idle periods the counter starts afresh, exactly as HAProxy's ``freq_ctr``.
    """

    __slots__ = ("curr", "prev", "tick")

    def __init__(self) -> None:
        self.tick: int | None = None  # start of the current period, in ms
        self.curr = 0
        self.prev = 0

    def read(self, now_ms: int, period_ms: int = RATE_PERIOD_MS) -> int:
        if self.tick is None:
            return 0
        curr, past = self.curr, self.prev
        remain = self.tick + period_ms - now_ms
        if remain < 0:  # past the current period: it becomes the previous one
            remain += period_ms
            past = curr if remain >= 0 else 0
            curr = 0
        if remain < 0:  # past the second period too: nothing left in the window
            return 0
        return (past * remain + curr * period_ms) // period_ms

    def add(self, now_ms: int, period_ms: int = RATE_PERIOD_MS, count: int = 1) -> None:
        if self.tick is None:
            self.tick, self.curr, self.prev = now_ms, count, 0
            return
        if now_ms - self.tick < period_ms:
            self.curr += count
            return
        self.prev, self.curr = self.curr, count
        self.tick += period_ms
        if now_ms - self.tick >= period_ms:  # missed at least two periods
            self.prev = 0
            self.tick = now_ms


def local_day(now: int) -> int:
    """The number of the local (UTC+7) calendar day of the epoch second ``now``."""
    return (now + LOCAL_UTC_OFFSET_SECONDS) // DAY_SECONDS


def seconds_to_local_midnight(now: int) -> int:
    """``Retry-After`` of a quota refusal: whole seconds until the next local day (1..86400)."""
    return DAY_SECONDS - (now + LOCAL_UTC_OFFSET_SECONDS) % DAY_SECONDS


class DayCounter:
    """Accepted calls on one local day; a new day starts from zero."""

    __slots__ = ("count", "day")

    def __init__(self) -> None:
        self.day = -1
        self.count = 0

    def read(self, day: int) -> int:
        return self.count if day == self.day else 0

    def add(self, day: int) -> None:
        if day != self.day:
            self.day, self.count = day, 0
        self.count += 1


class Limits:
    """The counters of every grant key, kept across snapshot reloads (a changed limit applies to
    the calls already counted, as with HAProxy's stick tables)."""

    def __init__(self) -> None:
        self.rates: dict[str, FreqCounter] = {}
        self.days: dict[str, DayCounter] = {}

    def rate(self, key: str) -> FreqCounter:
        counter = self.rates.get(key)
        if counter is None:
            counter = self.rates[key] = FreqCounter()
        return counter

    def day(self, key: str) -> DayCounter:
        counter = self.days.get(key)
        if counter is None:
            counter = self.days[key] = DayCounter()
        return counter

    def prune(self, keys) -> None:
        """Forget the counters of grants no longer in the snapshot."""
        for table in (self.rates, self.days):
            for key in [key for key in table if key not in keys]:
                del table[key]
