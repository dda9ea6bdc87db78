"""``orgunit_reorganise``: one reorganisation decision applied to the tree, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.core.validity import still_in_force_after
from cqs.orgs.choices import SuccessionKind
from cqs.orgs.models import OrgUnit, OrgUnitKind, ReorganisationEvent, Succession
from cqs.orgs.operations import Dissolution, Merge, Move, NewUnit, Rename, Split, UnitRef
from cqs.orgs.services.units import (
    _check_text,
    _d,
    _insert_unit,
    _is_date,
    _resolve_kind,
    orgunit_check_fields,
)

_ENDS_WITHOUT_VERSION = {SuccessionKind.MERGE, SuccessionKind.SPLIT, SuccessionKind.DISSOLVE}


class _Reorganisation:
    """Plans one event from the operations, checks it, then writes it. Keys of planned rows:
    ``("new", id(spec))`` for a NewUnit, ``("v", pk)`` for the new version of an existing row,
    ``("old", pk)`` for an existing row that goes on unchanged."""

    def __init__(self, *, on: date) -> None:
        self.on = on
        self.closing: dict[int, str] = {}  # pk -> SuccessionKind of the operation that ends it
        self.units: dict[int, OrgUnit] = {}  # every existing row named by the operations
        self.new_units: dict[int, NewUnit] = {}  # id(spec) -> spec, in the order first named
        self.links: list[tuple[int, UnitRef, str]] = []  # (predecessor pk, successor, kind)
        self.moves: dict[int, UnitRef | None] = {}
        self.renames: dict[int, Rename] = {}
        self.kinds: dict[int, OrgUnitKind] = {}  # id(spec) -> kind of a NewUnit
        self._kinds_by_code: dict[str, OrgUnitKind] = {}
        # Filled by lock_and_check():
        self.versions: dict[int, OrgUnit] = {}  # rows that get a new version (moved, renamed, carried)
        self.carried: set[int] = set()  # rows re-created only because an ancestor moved or was renamed
        self.gone: set[int] = set()  # rows that end without a new version (merged, split, dissolved)
        self.parents: dict[tuple, tuple | None] = {}  # planned row -> its parent's key
        self.order: list[tuple] = []  # planned rows, parents first

    # -- shape, before any query on units --

    def _name_unit(self, unit) -> int:
        if not isinstance(unit, OrgUnit) or unit.pk is None:
            raise ServiceError(
                "unit_not_found", _("Đơn vị “%(unit)s” không có trong cơ sở dữ liệu.") % {"unit": unit}
            )
        self.units.setdefault(unit.pk, unit)
        return unit.pk

    def _close(self, unit, kind: str) -> int:
        pk = self._name_unit(unit)
        if pk in self.closing:
            raise ServiceError(
                "duplicate_unit",
                _("Đơn vị “%(unit)s” được nêu trong nhiều thao tác của cùng một sự kiện.") % {"unit": unit},
            )
        self.closing[pk] = kind
        return pk

    def _name_ref(self, ref) -> None:
        seen: set[int] = set()
        while isinstance(ref, NewUnit):
            if id(ref) in seen:
                raise ServiceError("cycle", _("Các đơn vị mới tạo thành vòng lặp đơn vị cấp trên."))
            seen.add(id(ref))
            if id(ref) not in self.new_units:
                orgunit_check_fields(
                    name=ref.name,
                    short_name=ref.short_name,
                    identifier=ref.identifier,
                    identifier_source=ref.identifier_source,
                    division_code=ref.division_code,
                    source=ref.source,
                )
                self.kinds[id(ref)] = _resolve_kind(ref.kind, cache=self._kinds_by_code)
                self.new_units[id(ref)] = ref
            ref = ref.parent
        if ref is not None:
            self._name_unit(ref)

    def _link(self, pred_pk: int, successor: UnitRef, kind: str) -> None:
        if not isinstance(successor, OrgUnit | NewUnit):
            raise ServiceError("invalid_operation", _("Thiếu đơn vị kế thừa."))
        if isinstance(successor, OrgUnit) and successor.pk == pred_pk:
            raise ServiceError(
                "invalid_operation",
                _("Đơn vị “%(unit)s” không thể kế thừa chính nó.") % {"unit": successor},
            )
        self._name_ref(successor)
        self.links.append((pred_pk, successor, kind))

    def read_operations(self, merges, splits, moves, renames, dissolutions) -> None:
        for merge in merges:
            if not merge.predecessors:
                raise ServiceError("invalid_operation", _("Hợp nhất phải có ít nhất một đơn vị cũ."))
            for unit in merge.predecessors:
                self._link(self._close(unit, SuccessionKind.MERGE), merge.successor, SuccessionKind.MERGE)
        for split in splits:
            if len(split.successors) < 2:
                raise ServiceError("invalid_operation", _("Chia, tách phải có ít nhất hai đơn vị kế thừa."))
            pk = self._close(split.predecessor, SuccessionKind.SPLIT)
            seen = set()
            for successor in split.successors:
                key = id(successor) if isinstance(successor, NewUnit) else ("unit", successor.pk)
                if key in seen:
                    raise ServiceError(
                        "duplicate_unit",
                        _("Đơn vị kế thừa “%(unit)s” được nêu hai lần.") % {"unit": successor.name},
                    )
                seen.add(key)
                self._link(pk, successor, SuccessionKind.SPLIT)
        for move in moves:
            pk = self._close(move.unit, SuccessionKind.MOVE)
            if isinstance(move.new_parent, OrgUnit) and move.new_parent.pk == pk:
                raise ServiceError(
                    "cycle", _("Không thể chuyển đơn vị “%(unit)s” vào chính nó.") % {"unit": move.unit}
                )
            self._name_ref(move.new_parent)
            self.moves[pk] = move.new_parent
        for rename in renames:
            pk = self._close(rename.unit, SuccessionKind.RENAME)
            if not rename.new_name.strip():
                raise ServiceError("name_required", _("Tên mới không được để trống."), field="name")
            _check_text("name", rename.new_name)
            _check_text("short_name", rename.new_short_name or "")
            self.renames[pk] = rename
        for dissolution in dissolutions:
            pk = self._close(dissolution.unit, SuccessionKind.DISSOLVE)
            if dissolution.successor is not None:
                self._link(pk, dissolution.successor, SuccessionKind.DISSOLVE)
        if not self.closing:
            raise ServiceError("no_changes", _("Sự kiện sắp xếp phải có ít nhất một thay đổi."))

    # -- checks against the database, under lock --

    def lock_and_check(self) -> None:
        named = self.units
        # Locked in id order so that two events touching the same units cannot deadlock.
        self.units = {
            unit.pk: unit
            for unit in OrgUnit.objects.select_for_update().filter(pk__in=list(named)).order_by("pk")
        }
        for pk, unit in named.items():
            if pk not in self.units:
                raise ServiceError(
                    "unit_not_found", _("Đơn vị “%(unit)s” không có trong cơ sở dữ liệu.") % {"unit": unit}
                )
        for pk in self.closing:
            self._check_can_end(self.units[pk])
        for pk, rename in self.renames.items():
            unit = self.units[pk]
            if rename.new_name.strip() == unit.name and rename.new_short_name in (None, unit.short_name):
                raise ServiceError(
                    "invalid_operation",
                    _("Đơn vị “%(unit)s” đã có tên này; đổi tên không làm thay đổi gì.") % {"unit": unit},
                )
        self._plan_versions()
        gone = [pk for pk, kind in self.closing.items() if kind in _ENDS_WITHOUT_VERSION]
        orphan = (
            OrgUnit.objects.filter(parent_id__in=gone)
            .filter(still_in_force_after(self.on))
            .exclude(pk__in=list(self.closing))
            .select_related("parent")
            .order_by("path")
            .first()
        )
        if orphan is not None:
            raise ServiceError(
                "orphaned_children",
                _(
                    "Đơn vị “%(parent)s” chấm dứt từ ngày %(on)s nhưng đơn vị cấp dưới “%(child)s” chưa được "
                    "sắp xếp trong cùng sự kiện (hợp nhất, chuyển, giải thể…)."
                )
                % {"parent": orphan.parent, "child": orphan, "on": _d(self.on)},
            )
        self.gone = set(gone)
        for spec in self.new_units.values():
            self._check_parent(spec.parent, spec.name)
        for pk, target in self.moves.items():
            self._check_parent(target, self.units[pk].name)
        for _pred, successor, _kind in self.links:
            self._check_successor(successor)
        self.order = self._creation_order()

    def _check_can_end(self, unit: OrgUnit) -> None:
        if unit.valid_to is not None:
            raise ServiceError(
                "unit_not_valid",
                _("Đơn vị “%(unit)s” đã có ngày hết hiệu lực %(end)s, không thể sắp xếp lại.")
                % {"unit": unit, "end": _d(unit.valid_to)},
            )
        if unit.valid_from >= self.on:
            raise ServiceError(
                "unit_not_valid",
                _("Đơn vị “%(unit)s” chỉ có hiệu lực từ %(start)s, không thể thay đổi từ ngày %(on)s.")
                % {"unit": unit, "start": _d(unit.valid_from), "on": _d(self.on)},
            )

    def _plan_versions(self) -> None:
        """Moved and renamed units get a new version, and so does their subtree in force.

        The path of a row holds its ancestors' ids, and a row's parent must be in force as long as
        the row: so the children of a moved or renamed unit are re-created under its new version
        (succession kind "move") rather than left pointing at a row that has ended.
        """
        self.versions = {
            pk: self.units[pk] for pk, kind in self.closing.items() if kind not in _ENDS_WITHOUT_VERSION
        }
        if not self.versions:
            return
        subtree = reduce(or_, (Q(path__startswith=unit.path) for unit in self.versions.values()))
        candidates = (
            OrgUnit.objects.select_for_update()
            .filter(subtree)
            .filter(still_in_force_after(self.on))
            .exclude(pk__in=list(self.closing))
            .order_by("depth", "pk")
        )
        for unit in candidates:
            if unit.parent_id in self.versions:
                self._check_can_end(unit)
                self.versions[unit.pk] = unit
                self.carried.add(unit.pk)

    def _key(self, ref) -> tuple | None:
        if ref is None:
            return None
        if isinstance(ref, NewUnit):
            return ("new", id(ref))
        pk = ref if isinstance(ref, int) else ref.pk
        return ("v", pk) if pk in self.versions else ("old", pk)

    def _check_parent(self, ref, child_name: str) -> None:
        key = self._key(ref)
        if key is None or key[0] != "old":
            return
        parent = self.units[key[1]]
        if key[1] in self.gone or not (parent.valid_from <= self.on and parent.valid_to is None):
            raise ServiceError(
                "parent_not_valid",
                _("Đơn vị cấp trên “%(parent)s” của “%(name)s” không còn hiệu lực từ ngày %(on)s.")
                % {"parent": parent, "name": child_name, "on": _d(self.on)},
                field="parent",
            )

    def _check_successor(self, ref) -> None:
        key = self._key(ref)
        if key[0] != "old":
            return
        unit = self.units[key[1]]
        if key[1] in self.gone or not unit.is_valid_on(self.on):
            raise ServiceError(
                "unit_not_valid",
                _("Đơn vị kế thừa “%(unit)s” không có hiệu lực vào ngày %(on)s.")
                % {"unit": unit, "on": _d(self.on)},
            )

    def _planned(self) -> dict[tuple, tuple | None]:
        """Planned row key -> key of its parent."""
        planned: dict[tuple, tuple | None] = {}
        for key, spec in self.new_units.items():
            planned[("new", key)] = self._key(spec.parent)
        for pk, unit in self.versions.items():
            # A move names its new parent (None: a root); other versions stay under the old one.
            parent = self.moves.get(pk, unit.parent_id)
            planned[("v", pk)] = self._key(parent)
        return planned

    def _creation_order(self) -> list[tuple]:
        self.parents = self._planned()
        pending = dict(self.parents)
        order: list[tuple] = []
        done: set[tuple] = set()
        while pending:
            ready = [
                key
                for key, parent in pending.items()
                if parent is None or parent[0] == "old" or parent in done
            ]
            if not ready:
                names = sorted(
                    self.versions[key[1]].name if key[0] == "v" else self.new_units[key[1]].name
                    for key in pending
                )
                raise ServiceError(
                    "cycle",
                    _("Sắp xếp này đặt một đơn vị vào dưới đơn vị cấp dưới của chính nó: %(names)s.")
                    % {"names": ", ".join(names)},
                )
            for key in ready:
                order.append(key)
                done.add(key)
                del pending[key]
        return order

    # -- writes --

    def write(self, *, event: ReorganisationEvent, actor) -> dict:
        ended = list(self.closing) + sorted(self.carried)
        OrgUnit.objects.filter(pk__in=ended).update(valid_to=self.on)
        kinds = {kind.pk: kind for kind in OrgUnitKind.objects.all()}
        created: dict[tuple, OrgUnit] = {}
        for key in self.order:
            parent_key = self.parents[key]
            parent_id = None
            if parent_key is not None:
                parent_id = parent_key[1] if parent_key[0] == "old" else created[parent_key].pk
            if key[0] == "new":
                spec = self.new_units[key[1]]
                fields = {
                    "kind": self.kinds[key[1]],
                    "name": spec.name,
                    "short_name": spec.short_name,
                    "identifier": spec.identifier,
                    "identifier_source": spec.identifier_source,
                    "division_code": spec.division_code,
                    "source": spec.source,
                }
            else:
                old = self.versions[key[1]]
                rename = self.renames.get(old.pk)
                fields = {
                    "kind": kinds[old.kind_id],
                    "name": rename.new_name if rename else old.name,
                    "short_name": old.short_name
                    if rename is None or rename.new_short_name is None
                    else rename.new_short_name,
                    "identifier": old.identifier,
                    "identifier_source": old.identifier_source,
                    "division_code": old.division_code,
                    "source": old.source,
                }
            created[key] = _insert_unit(
                **fields, parent_id=parent_id, valid_from=self.on, valid_to=None, actor=actor, event=event
            )

        links: list[Succession] = []
        for pred, successor, kind in self.links:
            key = self._key(successor)
            successor_id = key[1] if key[0] == "old" else created[key].pk
            links.append(Succession(event=event, predecessor_id=pred, successor_id=successor_id, kind=kind))
        for pk in self.versions:
            kind = self.closing.get(pk, SuccessionKind.MOVE)
            links.append(
                Succession(event=event, predecessor_id=pk, successor_id=created[("v", pk)].pk, kind=kind)
            )
        Succession.objects.bulk_create(links)

        successors: dict[int, list[int]] = {}
        for link in links:
            successors.setdefault(link.predecessor_id, []).append(link.successor_id)
        for pk in ended:
            unit = self.units.get(pk) or self.versions[pk]
            audit_record(
                action="orgs.orgunit.close",
                obj=unit,
                before={"valid_to": None},
                after={
                    "valid_to": self.on,
                    "event": event.pk,
                    "kind": self.closing.get(pk, SuccessionKind.MOVE),
                    "successors": successors.get(pk, []),
                },
                actor=actor,
            )
        return {
            "ended": ended,
            "created": [unit.pk for unit in created.values()],
            "successions": [[link.predecessor_id, link.successor_id, link.kind] for link in links],
        }


def orgunit_reorganise(
    *,
    event_name: str,
    legal_basis: str = "",
    effective_date: date,
    note: str = "",
    merges: Sequence[Merge] = (),
    splits: Sequence[Split] = (),
    moves: Sequence[Move] = (),
    renames: Sequence[Rename] = (),
    dissolutions: Sequence[Dissolution] = (),
    actor=None,
) -> ReorganisationEvent:
    """Apply one reorganisation decision on ``effective_date``, all or nothing.

    Every unit that ends gets ``valid_to = effective_date`` and nothing else: old rows stay
    readable, and the tree of any earlier date reads back unchanged. New rows start on that date,
    and ``Succession`` rows link each old unit to its successors.

    - ``Merge``, ``Split``, ``Dissolution``: the named units end. Their children in force must be
      handled by the same event, or the event is refused (``orphaned_children``): no unit may
      point at a parent that has ended.
    - ``Move`` and ``Rename``: the unit gets a new version, and so does its whole subtree in
      force, re-created under the new version with a "move" succession. We re-create rather than
      refuse because a path holds the ancestors' ids and never changes, and because moving a
      district with its communes is one decision, not a hundred. A unit inside a moved subtree
      that another operation of the event ends is left to that operation.

    Refusals: ``no_changes``, ``duplicate_unit``, ``invalid_operation``, ``unit_not_found``,
    ``unit_not_valid`` (not in force the day before, or already given an end date),
    ``orphaned_children``, ``cycle``, ``parent_not_valid``, and the field checks of
    ``orgunit_create`` for new units (``invalid_identifier``, ``identifier_overlap``…).
    Audit: one ``orgs.orgunit.close`` per ended row, one ``orgs.orgunit.create`` per new row,
    one ``orgs.reorganise`` for the event.
    """
    if not event_name.strip():
        raise ServiceError("event_name_required", _("Tên sự kiện không được để trống."), field="event_name")
    if len(event_name) > 255 or len(legal_basis) > 500:
        raise ServiceError("too_long", _("Tên sự kiện hoặc căn cứ pháp lý quá dài."))
    if not _is_date(effective_date):
        raise ServiceError("invalid_dates", _("Ngày hiệu lực không hợp lệ."), field="effective_date")
    plan = _Reorganisation(on=effective_date)
    plan.read_operations(merges, splits, moves, renames, dissolutions)
    with transaction.atomic():
        plan.lock_and_check()
        event = ReorganisationEvent.objects.create(
            name=event_name.strip(),
            legal_basis=legal_basis.strip(),
            effective_date=effective_date,
            note=note,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        summary = plan.write(event=event, actor=actor)
        audit_record(
            action="orgs.reorganise",
            obj=event,
            after={
                "name": event.name,
                "legal_basis": event.legal_basis,
                "effective_date": effective_date,
                "note": note,
                **summary,
            },
            actor=actor,
        )
    return event
