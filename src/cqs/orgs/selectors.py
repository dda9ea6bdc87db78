"""Reads of the organisation tree, for pages, the API and other modules.

"As of" a date means the versions in force that day: ``valid_from <= day < valid_to``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from cqs.orgs.models import OrgUnit, OrgUnitKind, ReorganisationEvent, Succession

# Vietnamese alphabetical order: ă, â after a; đ after d; ê after e; ô, ơ after o; ư after u.
# Tone marks only break ties (ngang, huyền, hỏi, ngã, sắc, nặng).
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}
_TONE_MARKS = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_sort_key(text: str) -> tuple:
    """Sort key for Vietnamese names ("Đồng Tâm" after "Duy Phiên", not after "Yên Lạc")."""
    letters: list[tuple[str, int]] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in _LETTER_MARKS and letters:
            letters[-1] = (letters[-1][0], _LETTER_MARKS[char])
        elif char in _TONE_MARKS:
            tones.append(_TONE_MARKS[char])
        elif char == "đ":
            letters.append(("d", 1))
        else:
            letters.append((char, 0))
    return (letters, tones)


def unit_sort_key(unit: OrgUnit) -> tuple:
    return (unit.kind.rank, vi_sort_key(unit.name), unit.pk)


def today() -> date:
    return timezone.localdate()


@dataclass
class TreeNode:
    unit: OrgUnit
    children: list[TreeNode] = field(default_factory=list)

    def count(self) -> int:
        """Units in this subtree, this one included."""
        return 1 + sum(child.count() for child in self.children)


def orgunit_list(
    *,
    as_of: date | None = None,
    identifier: str = "",
    kind: OrgUnitKind | None = None,
    parent_id: int | None = None,
    division_code: str = "",
) -> QuerySet[OrgUnit]:
    """Versions matching the filters, in tree order; ``as_of=None`` means every version."""
    units = OrgUnit.objects.select_related("kind", "parent")
    if as_of is not None:
        units = units.as_of(as_of)
    if identifier:
        units = units.filter(identifier=identifier)
    if kind is not None:
        units = units.filter(kind=kind)
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    if division_code:
        units = units.filter(division_code=division_code)
    return units.order_by("path")


def orgunit_get(pk: int) -> OrgUnit | None:
    return OrgUnit.objects.select_related("kind", "parent").filter(pk=pk).first()


def orgunit_get_by_identifier(identifier: str, *, as_of: date | None = None) -> OrgUnit | None:
    """The version carrying ``identifier`` on ``as_of`` (default today), or None.

    An identifier is held by at most one version on any day (``identifier_overlap``)."""
    on = as_of or today()
    return OrgUnit.objects.select_related("kind").as_of(on).filter(identifier=identifier).first()


def orgunit_kind_get(code: str) -> OrgUnitKind | None:
    return OrgUnitKind.objects.filter(code=code).first()


def orgunit_subtree(unit: OrgUnit, *, as_of: date | None = None) -> QuerySet[OrgUnit]:
    """``unit`` and every version below it (only those in force on ``as_of`` if given), in tree
    order: a parent comes before its children."""
    units = OrgUnit.objects.select_related("kind").filter(path__startswith=unit.path)
    if as_of is not None:
        units = units.as_of(as_of)
    return units.order_by("path")


def orgunit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The versions above ``unit``, root first. A version's ancestors never change (see path)."""
    ids = unit.ancestor_ids
    by_id = OrgUnit.objects.select_related("kind").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def orgunit_children(unit: OrgUnit) -> list[OrgUnit]:
    """Every version whose parent is this version (each lies within its validity)."""
    return sorted(OrgUnit.objects.select_related("kind").filter(parent=unit), key=unit_sort_key)


def orgunit_tree(*, as_of: date) -> list[TreeNode]:
    """The forest in force on ``as_of``: roots, each with its children nested, siblings ordered by
    kind then Vietnamese name. One query; the nesting is built here."""
    nodes = {unit.pk: TreeNode(unit) for unit in OrgUnit.objects.select_related("kind").as_of(as_of)}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id)
        # A parent not in force that day cannot happen through the services; show the unit as a
        # root rather than hide it if the data was written some other way.
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: unit_sort_key(child.unit))
    roots.sort(key=lambda root: unit_sort_key(root.unit))
    return roots


def orgunit_predecessor_links(unit: OrgUnit) -> QuerySet[Succession]:
    return (
        Succession.objects.filter(successor=unit)
        .select_related("predecessor__kind", "predecessor__parent", "event")
        .order_by("predecessor__path")
    )


def orgunit_successor_links(unit: OrgUnit) -> QuerySet[Succession]:
    return (
        Succession.objects.filter(predecessor=unit)
        .select_related("successor__kind", "successor__parent", "event")
        .order_by("successor__path")
    )


def orgunit_current_successor(unit: OrgUnit, *, on: date | None = None) -> list[OrgUnit]:
    """The units in force on ``on`` (default today) that carry on ``unit``.

    ``[unit]`` if it is itself in force; otherwise the succession links are followed, one query
    per generation, until units in force that day are reached. A split gives several; a unit
    dissolved without successor gives none; so does a day before the unit existed.
    """
    on = on or today()
    if unit.is_valid_on(on):
        return [unit]
    if on < unit.valid_from:
        return []
    found: list[OrgUnit] = []
    seen = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        links = Succession.objects.filter(predecessor_id__in=frontier).select_related("successor__kind")
        frontier = []
        for link in links:
            successor = link.successor
            if successor.pk in seen:
                continue
            seen.add(successor.pk)
            if successor.is_valid_on(on):
                found.append(successor)
            elif successor.valid_to is not None and successor.valid_to <= on:
                frontier.append(successor.pk)
    return sorted(found, key=unit_sort_key)


def reorganisation_events_around(on: date) -> tuple[ReorganisationEvent | None, ReorganisationEvent | None]:
    """The last event in force on ``on`` and the first one after it (either may be None)."""
    previous = (
        ReorganisationEvent.objects.filter(effective_date__lte=on).order_by("-effective_date", "-id").first()
    )
    following = (
        ReorganisationEvent.objects.filter(effective_date__gt=on).order_by("effective_date", "id").first()
    )
    return previous, following


def reorganisation_get(pk: int) -> ReorganisationEvent | None:
    return ReorganisationEvent.objects.filter(pk=pk).first()


def reorganisation_successions(event: ReorganisationEvent) -> list[Succession]:
    """The event's links, grouped by successor (in tree order) then predecessor name."""
    links = Succession.objects.filter(event=event).select_related(
        "predecessor__kind", "predecessor__parent", "successor__kind", "successor__parent"
    )
    return sorted(
        links,
        key=lambda link: (link.successor.path, vi_sort_key(link.predecessor.name)),
    )
