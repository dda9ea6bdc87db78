"""The input of ``orgunit_reorganise``: what a reorganisation decision does, one operation each.

Existing units are given as ``OrgUnit`` rows (the version in force the day before the event);
units the event creates are given as ``NewUnit`` specs. A spec is referenced by identity: the
same ``NewUnit`` object used as the successor of several merges, or as the parent of other new
units, is created once. Every unit may appear in only one operation as the unit that ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cqs.orgs.choices import IdentifierSource
from cqs.orgs.models import OrgUnit, OrgUnitKind


# eq=False: hashed and compared by identity, so one spec is one unit however often it is named.
@dataclass(frozen=True, eq=False)
class NewUnit:
    """A unit created by the event, valid from the effective date, open-ended."""

    kind: OrgUnitKind | str
    name: str
    short_name: str = ""
    identifier: str = ""
    identifier_source: str = IdentifierSource.OFFICIAL
    division_code: str = ""
    # An existing unit in force from the effective date on, another NewUnit of the same event,
    # or an existing unit that the event moves or renames (then its new version is meant).
    parent: OrgUnit | NewUnit | None = None
    source: str = ""


UnitRef = OrgUnit | NewUnit


@dataclass(frozen=True)
class Merge:
    """``predecessors`` end and are replaced by ``successor`` (hợp nhất: a NewUnit; sáp nhập: an
    existing unit that absorbs them and goes on unchanged)."""

    predecessors: Sequence[OrgUnit]
    successor: UnitRef


@dataclass(frozen=True)
class Split:
    """``predecessor`` ends and is divided between two or more ``successors``."""

    predecessor: OrgUnit
    successors: Sequence[UnitRef]


@dataclass(frozen=True)
class Move:
    """``unit`` goes under ``new_parent`` (``None``: becomes a root). Its whole subtree in force
    gets new versions under the new version of the unit; see ``orgunit_reorganise``."""

    unit: OrgUnit
    new_parent: UnitRef | None


@dataclass(frozen=True)
class Rename:
    """``unit`` takes a new name (and short name, unless ``new_short_name`` is None)."""

    unit: OrgUnit
    new_name: str
    new_short_name: str | None = None


@dataclass(frozen=True)
class Dissolution:
    """``unit`` ends; ``successor``, if any, takes over its duties (giải thể, chuyển giao)."""

    unit: OrgUnit
    successor: UnitRef | None = None
