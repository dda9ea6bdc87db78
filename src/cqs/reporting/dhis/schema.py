"""The vocabulary of the DHIS2 metadata API: a ``Resource`` (one DHIS2 collection such as
``organisationUnits``) is a set of ``Prop`` rows saying how to read each property from a model row
and, where it maps to a column, the ORM path to filter and order on in the database. Resources
register themselves by their DHIS2 collection name (``resources.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

IDENTIFIABLE = ("id", "code", "name", "displayName", "created", "lastUpdated")
NAMEABLE = (*IDENTIFIABLE, "shortName", "displayShortName", "description")


class QueryError(ValueError):
    """A request DHIS2 would answer with 400 (unknown property or operator, bad paging)."""

    def __init__(self, message: str, code: str = "E2014"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Context:
    """What a query depends on besides its parameters: the date the tree and the regimes are read
    on, and a per-request cache for computed properties."""

    on: date
    include_history: bool = False
    request: Any = None
    cache: dict = field(default_factory=dict)

    def memo(self, key, compute: Callable[[], Any]):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def _text(value: str) -> str:
    return value


def to_int(value: str) -> int:
    return int(value)


def to_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(value)
    return lowered == "true"


def to_date(value: str) -> date:
    return date.fromisoformat(value.strip()[:10])


def dhis_datetime(value) -> str | None:
    """DHIS2 writes dates as local date-times with milliseconds: ``2026-03-01T00:00:00.000``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        from django.utils import timezone

        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"{value.isoformat()}T00:00:00.000"


@dataclass(frozen=True)
class Prop:
    """One property of a resource.

    ``get(row, ctx)`` reads it (a scalar, a row of ``ref``'s resource, or a list of rows when
    ``many``). ``column`` is its ORM path (for a reference: the relation), ``parse`` turns a filter
    value into a column value, ``text`` says string operators apply to the column. ``ref_id`` reads
    a reference's id without loading the row. ``select``/``prefetch`` load what ``get`` needs when
    the property is asked for; ``prefetch`` may be a function of the context returning a queryset.
    ``q`` overrides the database filter for some operators (returns None for the others).
    """

    name: str
    get: Callable[[Any, Context], Any]
    column: str | None = None
    parse: Callable[[str], Any] = _text
    text: bool = True
    ref: str | None = None
    many: bool = False
    ref_id: Callable[[Any], Any] | None = None
    select: str | None = None
    prefetch: str | None = None
    prefetch_queryset: Callable[[Context], QuerySet] | None = None
    owner: bool = True
    blank_is_null: bool = False
    q: Callable[[str, str], Q | None] | None = None
    also_prefetch: tuple[str, ...] = ()


@dataclass
class Resource:
    name: str
    props: dict[str, Prop]
    queryset: Callable[[Context], QuerySet] | None = None
    default_fields: tuple[str, ...] = ("id", "displayName", "name")
    order: tuple[str, ...] = ("name",)
    # Embedded objects (a data set element) have no identity: they are written in full.
    embedded: bool = False
    # Columns tried, in order, to find one row by the identifier in a URL.
    lookups: tuple[tuple[str, Callable[[str], Any]], ...] = (("id", _text), ("code", _text))

    @classmethod
    def of(cls, name: str, props: list[Prop], **kwargs) -> Resource:
        return cls(name=name, props={p.name: p for p in props}, **kwargs)

    def presets(self) -> dict[str, tuple[str, ...]]:
        every = tuple(self.props)
        return {
            "all": every,
            "identifiable": tuple(n for n in IDENTIFIABLE if n in self.props),
            "nameable": tuple(n for n in NAMEABLE if n in self.props),
            "owner": tuple(n for n, p in self.props.items() if p.owner),
            "simple": tuple(n for n, p in self.props.items() if p.ref is None),
        }


REGISTRY: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    REGISTRY[resource.name] = resource
    return resource
