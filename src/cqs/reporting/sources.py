"""Indicators the platform already knows, computed from other modules' selectors.

Each source takes the reporting unit and the report's data window and returns a number and a
note naming where it came from. A source of a module not built yet is listed with
``available=False`` and is never filled: the form says where the figure will come from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    module: str
    compute: Callable[..., Decimal] | None = None

    @property
    def available(self) -> bool:
        return self.compute is not None


SOURCES: dict[str, Source] = {}


def register(key: str, label: str, module: str, compute: Callable[..., Decimal] | None = None) -> None:
    SOURCES[key] = Source(key=key, label=label, module=module, compute=compute)


def source_value(key: str, *, unit, start: date, end: date) -> Decimal | None:
    source = SOURCES.get(key)
    if source is None or source.compute is None:
        return None
    return Decimal(source.compute(unit=unit, start=start, end=end))
