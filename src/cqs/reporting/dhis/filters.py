"""DHIS2 metadata object filters: ``filter=property.path:operator:value``, joined by
``rootJunction`` (AND by default). A filter runs in the database when every property on its path
maps to a column; otherwise it runs in Python on the rows the database returned. Unknown
properties and operators raise ``QueryError`` (answered 400, as DHIS2 does)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cqs.reporting.dhis.schema import REGISTRY, Context, Prop, QueryError, Resource, to_bool

_LOOKUPS = {
    "eq": ("exact", False),
    "ieq": ("iexact", False),
    "!eq": ("exact", True),
    "ne": ("exact", True),
    "neq": ("exact", True),
    "like": ("contains", False),
    "!like": ("contains", True),
    "$like": ("startswith", False),
    "!$like": ("startswith", True),
    "like$": ("endswith", False),
    "!like$": ("endswith", True),
    "ilike": ("icontains", False),
    "!ilike": ("icontains", True),
    "$ilike": ("istartswith", False),
    "!$ilike": ("istartswith", True),
    "ilike$": ("iendswith", False),
    "!ilike$": ("iendswith", True),
    "startsWith": ("startswith", False),
    "!startsWith": ("startswith", True),
    "endsWith": ("endswith", False),
    "!endsWith": ("endswith", True),
    "gt": ("gt", False),
    "ge": ("gte", False),
    "lt": ("lt", False),
    "le": ("lte", False),
    "in": ("in", False),
    "!in": ("in", True),
    "null": ("isnull", False),
    "!null": ("isnull", True),
    "empty": ("isnull", False),
    "!empty": ("isnull", True),
}
_STRING_OPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"}
_NO_VALUE = {"null", "!null", "empty", "!empty"}


@dataclass
class Filter:
    path: list[Prop]
    resources: list[Resource]
    operator: str
    value: str

    @property
    def lookup(self) -> str:
        return _LOOKUPS[self.operator][0]

    @property
    def negated(self) -> bool:
        return _LOOKUPS[self.operator][1]

    def values(self) -> list[str]:
        if self.lookup != "in":
            return [self.value]
        inner = self.value.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        return [v.strip() for v in inner.split(",") if v.strip()]

    def terminal(self) -> Prop:
        """The property compared: for a reference, the id of what it points to."""
        last = self.path[-1]
        if last.ref is not None:
            return REGISTRY[last.ref].props["id"]
        return last

    def columns(self) -> str | None:
        parts = []
        for prop in self.path:
            if prop.column is None:
                return None
            parts.append(prop.column)
        last = self.path[-1]
        if last.ref is not None:
            target_id = REGISTRY[last.ref].props["id"]
            if target_id.column is None:
                return None
            parts.append(target_id.column)
        return "__".join(parts)

    def in_database(self) -> bool:
        column = self.columns()
        if column is None:
            return False
        if self.lookup in _STRING_OPS:
            return self.terminal().text or self.path[-1].q is not None
        return True

    def touches_many(self) -> bool:
        return any(p.many for p in self.path)

    def q(self) -> Q:
        column = self.columns()
        last = self.path[-1]
        if len(self.path) == 1 and last.q is not None:
            custom = last.q(self.operator, self.value)
            if custom is not None:
                return custom
        lookup, negated = _LOOKUPS[self.operator]
        if self.operator in _NO_VALUE:
            condition = Q(**{f"{column}__isnull": True})
            if self.terminal().blank_is_null:
                condition |= Q(**{column: ""})
            return ~condition if negated else condition
        terminal = self.terminal()
        if lookup in _STRING_OPS:
            condition = Q(**{f"{column}__{lookup}": self.value})
        else:
            parsed = []
            for raw in self.values():
                try:
                    parsed.append(terminal.parse(raw))
                except (TypeError, ValueError):
                    continue  # a value of the wrong type matches nothing (an org unit uid, say)
            if lookup == "in":
                condition = Q(**{f"{column}__in": parsed})
            elif not parsed:
                condition = Q(pk__in=[])
            else:
                condition = Q(**{f"{column}__{lookup}": parsed[0]})
        return ~condition if negated else condition

    def matches(self, row, ctx: Context) -> bool:
        found = _resolve(self.resources[0], self.path, row, ctx)
        lookup, negated = _LOOKUPS[self.operator]
        if self.operator in ("null", "!null"):
            present = any(v not in (None, "") for v in found)
            return present if negated else not present
        if self.operator in ("empty", "!empty"):
            return bool(found) if negated else not found
        hit = any(_compare(lookup, value, self, self.terminal()) for value in found if value is not None)
        return not hit if negated else hit


def _resolve(resource: Resource, path: list[Prop], row, ctx: Context) -> list:
    values = [row]
    for prop in path:
        following = []
        for value in values:
            got = prop.get(value, ctx)
            if prop.many:
                following.extend(got)
            elif got is not None:
                following.append(got)
        values = following
        if prop.ref is not None:
            resource = REGISTRY[prop.ref]
    if path[-1].ref is not None:
        ident = resource.props["id"]
        values = [ident.get(v, ctx) for v in values]
    return values


def _compare(lookup: str, value, flt: Filter, terminal: Prop) -> bool:
    if lookup in _STRING_OPS:
        have, want = str(value), flt.value
        if lookup.startswith("i"):
            have, want = have.casefold(), want.casefold()
            lookup = lookup[1:]
        return {
            "contains": want in have,
            "startswith": have.startswith(want),
            "endswith": have.endswith(want),
            "exact": have == want,
        }[lookup]
    wanted = []
    for raw in flt.values():
        try:
            wanted.append(_same_type(value, raw, terminal))
        except (TypeError, ValueError):
            continue
    if lookup == "in":
        return value in wanted
    if not wanted:
        return False
    other = wanted[0]
    try:
        return {
            "exact": value == other,
            "gt": value > other,
            "gte": value >= other,
            "lt": value < other,
            "lte": value <= other,
        }[lookup]
    except TypeError:
        return False


def _same_type(value, raw: str, terminal: Prop):
    if isinstance(value, bool):
        return to_bool(raw)
    if isinstance(value, int):
        return int(raw)
    if isinstance(value, float):
        return float(raw)
    return raw


def filters_parse(resource: Resource, texts: list[str]) -> list[Filter]:
    filters = []
    for text in texts:
        parts = text.split(":", 2)
        if len(parts) < 2:
            raise QueryError(f"Bộ lọc không hợp lệ: “{text}” (cần thuộc_tính:toán_tử:giá_trị).", "E2016")
        path_text, operator = parts[0], parts[1]
        value = parts[2] if len(parts) == 3 else ""
        if operator not in _LOOKUPS:
            raise QueryError(f"Toán tử lọc không hỗ trợ: “{operator}”.", "E2015")
        if operator not in _NO_VALUE and len(parts) < 3:
            raise QueryError(f"Bộ lọc “{text}” thiếu giá trị.", "E2016")
        current = resource
        props, resources = [], [resource]
        names = path_text.split(".")
        for index, name in enumerate(names):
            prop = current.props.get(name)
            if prop is None:
                raise QueryError(f"Thuộc tính không có: “{path_text}”.", "E2014")
            props.append(prop)
            if index < len(names) - 1:
                if prop.ref is None:
                    raise QueryError(f"Thuộc tính không có: “{path_text}”.", "E2014")
                current = REGISTRY[prop.ref]
                resources.append(current)
        if operator in ("empty", "!empty") and not props[-1].many:
            raise QueryError(f"Toán tử “{operator}” chỉ dùng cho tập hợp: “{path_text}”.", "E2015")
        filters.append(Filter(path=props, resources=resources, operator=operator, value=value))
    return filters
