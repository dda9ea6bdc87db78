"""DHIS2 metadata queries over Django querysets: ``fields``, ``order`` and paging, with the
filters of ``filters.py``, for the resources of ``resources.py`` (vocabulary in ``schema.py``).

DHIS2 syntax accepted (Web API "Metadata object filter", "Metadata field filter"):

* ``fields=id,name,parent[id,name],children[id]``, presets ``*`` / ``:all``, ``:identifiable``,
  ``:nameable``, ``:owner``, ``:simple``, exclusion ``!children``, renaming ``name~rename(n)``;
  unknown fields are ignored, as DHIS2 does.
* ``filter=property.path:operator:value`` (repeatable), ``rootJunction=AND|OR``.
* ``order=name:asc,code:desc`` (``iasc``/``idesc`` ignore case); unknown properties are ignored.
* ``paging=false``, ``page``, ``pageSize``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.db.models.functions import Lower

from cqs.reporting.dhis.filters import filters_parse
from cqs.reporting.dhis.schema import REGISTRY, Context, Prop, QueryError, Resource

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100_000

# --- fields ----------------------------------------------------------------------------------


@dataclass
class FieldItem:
    name: str
    children: list[FieldItem] | None = None
    rename: str | None = None


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def fields_parse(text: str) -> list[FieldItem]:
    """``id,parent[id,name],name~rename(ten)`` → a tree of ``FieldItem``."""
    items = []
    for part in _split_top(text or ""):
        name, rename = part, None
        children = None
        if "~" in name:
            name, _tilde, transformer = name.partition("~")
            if transformer.startswith("rename(") and transformer.endswith(")"):
                rename = transformer[len("rename(") : -1].strip() or None
        if "[" in name and name.endswith("]"):
            name, _bracket, inner = name.partition("[")
            children = fields_parse(inner[:-1])
        items.append(FieldItem(name=name.strip(), children=children, rename=rename))
    return items


@dataclass
class Selected:
    prop: Prop
    children: list[FieldItem] | None
    out: str


def fields_expand(resource: Resource, items: list[FieldItem]) -> list[Selected]:
    presets = resource.presets()
    chosen: dict[str, Selected] = {}
    excluded = set()
    for item in items:
        if item.name.startswith("!"):
            excluded.add(item.name[1:])
            continue
        if item.name in ("*", ":all"):
            names = presets["all"]
        elif item.name.startswith(":"):
            names = presets.get(item.name[1:], ())
        else:
            prop = resource.props.get(item.name)
            if prop is not None:
                chosen[item.name] = Selected(prop, item.children, item.rename or item.name)
            continue
        for name in names:
            chosen.setdefault(name, Selected(resource.props[name], None, name))
    return [s for name, s in chosen.items() if name not in excluded]


def _reference(resource: Resource, row, ctx: Context, children):
    if children is None and not resource.embedded:
        return {"id": resource.props["id"].get(row, ctx)}
    items = children if children is not None else [FieldItem("*")]
    return render(resource, row, ctx, fields_expand(resource, items))


def render(resource: Resource, row, ctx: Context, selected: list[Selected]) -> dict:
    out = {}
    for s in selected:
        prop = s.prop
        if prop.ref is None:
            value = prop.get(row, ctx)
            if value is not None:
                out[s.out] = value
            continue
        target = REGISTRY[prop.ref]
        if not prop.many:
            if s.children is None and prop.ref_id is not None and not target.embedded:
                ident = prop.ref_id(row)
                if ident is not None:
                    out[s.out] = {"id": ident}
                continue
            value = prop.get(row, ctx)
            if value is not None:
                out[s.out] = _reference(target, value, ctx, s.children)
            continue
        out[s.out] = [_reference(target, item, ctx, s.children) for item in prop.get(row, ctx)]
    return out


# --- loading plan ------------------------------------------------------------------------------


def _plan(resource: Resource, selected: list[Selected], ctx: Context) -> tuple[list[str], list]:
    """``select_related`` paths and ``Prefetch`` objects that ``render`` needs, so that a page
    costs a fixed number of queries whatever its size."""
    selects: list[str] = []
    prefetches: list = []
    for s in selected:
        prop = s.prop
        prefetches.extend(prop.also_prefetch)
        if prop.ref is None:
            if prop.select:
                selects.append(prop.select)
            continue
        target = REGISTRY[prop.ref]
        shallow = s.children is None and not target.embedded
        if not prop.many and shallow and prop.ref_id is not None:
            continue
        children = s.children if s.children is not None else [FieldItem("*")]
        inner = [] if shallow else fields_expand(target, children)
        if shallow:
            inner = [Selected(target.props["id"], None, "id")]
        sub_selects, sub_prefetches = _plan(target, inner, ctx)
        if not prop.many and prop.select:
            selects.append(prop.select)
            selects += [f"{prop.select}__{path}" for path in sub_selects]
            for item in sub_prefetches:
                if isinstance(item, Prefetch):
                    item = Prefetch(f"{prop.select}__{item.prefetch_through}", queryset=item.queryset)
                else:
                    item = f"{prop.select}__{item}"
                prefetches.append(item)
        elif prop.many and prop.prefetch:
            queryset = prop.prefetch_queryset(ctx) if prop.prefetch_queryset else None
            if queryset is None and target.queryset is not None:
                queryset = target.queryset(Context(on=ctx.on, include_history=True))
            if queryset is not None:
                if sub_selects:
                    queryset = queryset.select_related(*sub_selects)
                if sub_prefetches:
                    queryset = queryset.prefetch_related(*sub_prefetches)
                prefetches.append(Prefetch(prop.prefetch, queryset=queryset))
            else:
                prefetches.append(prop.prefetch)
    return selects, prefetches


# --- order ----------------------------------------------------------------------------------


def _order_parse(resource: Resource, text: str) -> list[tuple[Prop, str]]:
    result = []
    for part in (text or "").split(","):
        name, _colon, direction = part.strip().partition(":")
        prop = resource.props.get(name)
        if prop is None or prop.ref is not None:
            continue  # DHIS2 ignores what it cannot order on
        direction = (direction or "asc").lower()
        if direction not in ("asc", "desc", "iasc", "idesc"):
            raise QueryError(f"Thứ tự sắp xếp không hợp lệ: “{part}”.", "E2017")
        result.append((prop, direction))
    return result


def _order_by(resource: Resource, order: list[tuple[Prop, str]]):
    """ORM ordering, or None when a property has no column (ordered in Python then)."""
    terms = []
    for prop, direction in order:
        if prop.column is None:
            return None
        expression = Lower(prop.column) if direction.startswith("i") else None
        descending = direction.endswith("desc")
        if expression is not None:
            terms.append(expression.desc() if descending else expression.asc())
        else:
            terms.append(f"-{prop.column}" if descending else prop.column)
    return terms


# --- the query ------------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    page_size: int
    paging: bool

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1


def _positive(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"Tham số “{name}” phải là số nguyên dương.", "E2018") from None
    if value < 1:
        raise QueryError(f"Tham số “{name}” phải là số nguyên dương.", "E2018")
    return value


def _is_false(value: str | None) -> bool:
    return (value or "").strip().lower() == "false"


def collection_query(resource: Resource, params, ctx: Context) -> Page:
    """One page of ``resource`` for the query string ``params`` (a QueryDict)."""
    items = fields_parse(params.get("fields") or ",".join(resource.default_fields))
    selected = fields_expand(resource, items)
    filters = filters_parse(resource, params.getlist("filter"))
    junction = (params.get("rootJunction") or "AND").upper()
    if junction not in ("AND", "OR"):
        raise QueryError("rootJunction chỉ nhận AND hoặc OR.", "E2019")
    paging = not _is_false(params.get("paging")) and (params.get("skipPaging") or "").lower() != "true"
    page_size = min(_positive(params, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    page = _positive(params, "page", 1)
    order = _order_parse(resource, params.get("order", "")) + [
        (resource.props[name], "asc") for name in resource.order
    ]

    queryset = resource.queryset(ctx)
    in_db = [f for f in filters if f.in_database()]
    in_python = [f for f in filters if not f.in_database()]
    if junction == "OR" and in_python:
        in_db, in_python = [], filters
    if in_db:
        condition = Q()
        for flt in in_db:
            condition = (condition | flt.q()) if junction == "OR" and condition else (condition & flt.q())
        queryset = queryset.filter(condition)
        if any(f.touches_many() for f in in_db):
            queryset = queryset.distinct()
    ordering = _order_by(resource, order)
    if ordering is not None:
        queryset = queryset.order_by(*ordering, "pk")

    selects, prefetches = _plan(resource, selected, ctx)
    for flt in in_python:
        more_selects, more_prefetches = _plan(
            flt.resources[0], [Selected(flt.path[0], None, flt.path[0].name)], ctx
        )
        selects += more_selects
        prefetches += more_prefetches
    if selects:
        queryset = queryset.select_related(*dict.fromkeys(selects))
    if prefetches:
        queryset = queryset.prefetch_related(*_unique_prefetches(prefetches))

    if in_python or ordering is None:
        rows = list(queryset)
        if in_python:
            if junction == "OR":
                rows = [r for r in rows if any(f.matches(r, ctx) for f in in_python)]
            else:
                rows = [r for r in rows if all(f.matches(r, ctx) for f in in_python)]
        if ordering is None:
            rows = _python_sort(rows, order, ctx)
        total = len(rows)
        if paging:
            rows = rows[(page - 1) * page_size : page * page_size]
    else:
        if paging:
            total = queryset.count()
            rows = list(queryset[(page - 1) * page_size : page * page_size])
        else:
            rows = list(queryset)
            total = len(rows)
    return Page(
        rows=[render(resource, row, ctx, selected) for row in rows],
        total=total,
        page=page,
        page_size=page_size,
        paging=paging,
    )


def _unique_prefetches(prefetches: list) -> list:
    seen, result = set(), []
    for item in prefetches:
        key = item.prefetch_to if isinstance(item, Prefetch) else item
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _python_sort(rows: list, order: list[tuple[Prop, str]], ctx: Context) -> list:
    for prop, direction in reversed(order):

        def key(row, prop=prop, direction=direction):
            value = prop.get(row, ctx)
            if direction.startswith("i") and isinstance(value, str):
                value = value.casefold()
            return (value is None, value if value is not None else "")

        rows = sorted(rows, key=key, reverse=direction.endswith("desc"))
    return rows


def detail_query(resource: Resource, ident: str, params, ctx: Context) -> dict | None:
    """One row by id (or code), with ``fields`` (default: every property, as DHIS2 does)."""
    items = fields_parse(params.get("fields") or "*")
    selected = fields_expand(resource, items)
    selects, prefetches = _plan(resource, selected, ctx)
    row = None
    for name, parse in resource.lookups:
        prop = resource.props[name]
        try:
            value = parse(ident)
        except (TypeError, ValueError):
            continue
        queryset = resource.queryset(ctx).filter(**{prop.column: value})
        if selects:
            queryset = queryset.select_related(*dict.fromkeys(selects))
        if prefetches:
            queryset = queryset.prefetch_related(*_unique_prefetches(prefetches))
        # Several versions of a unit share its code: the latest one answers.
        row = queryset.order_by("-pk").first()
        if row is not None:
            break
    if row is None:
        return None
    return render(resource, row, ctx, selected)
