from datetime import date, timedelta

import pytest

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit, ReorganisationEvent, Succession
from cqs.orgs.services import Dissolution, Merge, Move, NewUnit, Rename, Split, orgunit_reorganise
from cqs.orgs.tests.conftest import CHANGE, db_state
from cqs.orgs.tests.factories import OrgUnitFactory

EVE = CHANGE - timedelta(days=1)


def reorganise(**operations):
    return orgunit_reorganise(
        event_name="Sắp xếp thử", legal_basis="Nghị quyết thử", effective_date=CHANGE, **operations
    )


def fresh(unit):
    return OrgUnit.objects.get(pk=unit.pk)


def links(event):
    return {
        (s.predecessor_id, s.successor.name, s.kind) for s in event.successions.select_related("successor")
    }


def test_merge_into_a_new_unit_closes_the_old_ones_and_links_them(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", identifier="000.03.01.H98", parent=tree.d1)
    # when C1 and C2 merge into a new commune of D1
    event = reorganise(merges=[Merge(predecessors=[tree.c1, tree.c2], successor=new)])
    # then the old rows end on the date, otherwise unchanged, and the new one starts that day
    for old in (tree.c1, tree.c2):
        row = fresh(old)
        assert row.valid_to == CHANGE
        assert (row.name, row.path, row.valid_from) == (old.name, old.path, old.valid_from)
    created = OrgUnit.objects.get(name="Xã An Bình")
    assert created.valid_from == CHANGE and created.valid_to is None
    assert created.path == f"{tree.d1.path}{created.pk}/"
    assert links(event) == {(tree.c1.pk, "Xã An Bình", "merge"), (tree.c2.pk, "Xã An Bình", "merge")}
    # and D1 has the old communes the day before, the new one that day
    assert set(OrgUnit.objects.as_of(EVE).filter(parent=tree.d1).values_list("name", flat=True)) == {
        "Xã An",
        "Xã Bình",
    }
    assert list(OrgUnit.objects.as_of(CHANGE).filter(parent=tree.d1).values_list("name", flat=True)) == [
        "Xã An Bình"
    ]


def test_merge_into_an_existing_unit_leaves_it_unchanged(tree):
    event = reorganise(merges=[Merge(predecessors=[tree.c2], successor=tree.c1)])
    assert fresh(tree.c2).valid_to == CHANGE
    assert fresh(tree.c1).valid_to is None
    assert links(event) == {(tree.c2.pk, "Xã An", "merge")}


def test_one_new_unit_named_by_several_operations_is_created_once(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã Mới", parent=tree.d1)
    reorganise(
        merges=[Merge(predecessors=[tree.c1], successor=new)],
        splits=[Split(predecessor=tree.c2, successors=[new, tree.c3])],
    )
    assert OrgUnit.objects.filter(name="Xã Mới").count() == 1


def test_split_gives_one_link_per_successor(tree, kinds):
    east = NewUnit(kind=kinds.commune, name="Xã An Đông", parent=tree.d1)
    west = NewUnit(kind=kinds.commune, name="Xã An Tây", parent=tree.d1)
    event = reorganise(splits=[Split(predecessor=tree.c1, successors=[east, west])])
    assert links(event) == {(tree.c1.pk, "Xã An Đông", "split"), (tree.c1.pk, "Xã An Tây", "split")}
    assert fresh(tree.c1).valid_to == CHANGE


def test_move_opens_a_new_version_under_the_new_parent_with_the_same_identifier(tree):
    # when C3 moves from D2 to D1
    event = reorganise(moves=[Move(unit=tree.c3, new_parent=tree.d1)])
    # then the old version keeps its path and ends; the new one is under D1 with the same code
    old = fresh(tree.c3)
    assert old.valid_to == CHANGE and old.path == tree.c3.path and old.parent == tree.d2
    new = OrgUnit.objects.as_of(CHANGE).get(identifier=tree.c3.identifier)
    assert new.pk != old.pk
    assert new.parent == tree.d1 and new.path == f"{tree.d1.path}{new.pk}/"
    assert links(event) == {(old.pk, "Xã Cường", "move")}


def test_move_carries_the_subtree_in_force_under_the_new_version(tree, kinds):
    other = OrgUnitFactory(kind=kinds.province, name="UBND tỉnh Khác", identifier="000.00.00.H97")
    # when district D2 (with commune C3) moves to another province
    event = reorganise(moves=[Move(unit=tree.d2, new_parent=other)])
    # then D2 and C3 both get new versions, C3's under D2's, linked as moves
    d2_new = OrgUnit.objects.as_of(CHANGE).get(identifier=tree.d2.identifier)
    c3_new = OrgUnit.objects.as_of(CHANGE).get(identifier=tree.c3.identifier)
    assert d2_new.parent == other
    assert c3_new.parent == d2_new and c3_new.path.startswith(d2_new.path)
    assert fresh(tree.c3).valid_to == CHANGE
    assert links(event) == {(tree.d2.pk, "Huyện Hai", "move"), (tree.c3.pk, "Xã Cường", "move")}
    # and the province of the old tree still reads back as before
    assert list(OrgUnit.objects.as_of(EVE).filter(parent=tree.p).order_by("pk")) == [tree.d1, tree.d2]


def test_move_to_the_root(tree):
    reorganise(moves=[Move(unit=tree.d2, new_parent=None)])
    new = OrgUnit.objects.as_of(CHANGE).get(identifier=tree.d2.identifier)
    assert new.parent is None and new.depth == 0 and new.path == f"/{new.pk}/"


def test_rename_opens_a_new_version_and_carries_the_children(tree):
    event = reorganise(renames=[Rename(unit=tree.d1, new_name="Thị xã Một", new_short_name="UBND")])
    d1_new = OrgUnit.objects.as_of(CHANGE).get(identifier=tree.d1.identifier)
    assert (d1_new.name, d1_new.short_name, d1_new.parent) == ("Thị xã Một", "UBND", tree.p)
    assert fresh(tree.d1).name == "Huyện Một"
    children = OrgUnit.objects.as_of(CHANGE).filter(parent=d1_new)
    assert set(children.values_list("identifier", flat=True)) == {tree.c1.identifier, tree.c2.identifier}
    assert links(event) == {
        (tree.d1.pk, "Thị xã Một", "rename"),
        (tree.c1.pk, "Xã An", "move"),
        (tree.c2.pk, "Xã Bình", "move"),
    }


def test_a_new_unit_under_a_renamed_unit_goes_under_its_new_version(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", parent=tree.d1)
    reorganise(
        renames=[Rename(unit=tree.d1, new_name="Thị xã Một")],
        merges=[Merge(predecessors=[tree.c1, tree.c2], successor=new)],
    )
    assert OrgUnit.objects.get(name="Xã An Bình").parent.name == "Thị xã Một"


def test_dissolution_with_its_children_merged_elsewhere(tree):
    event = reorganise(
        dissolutions=[Dissolution(unit=tree.d2, successor=tree.d1)],
        moves=[Move(unit=tree.c3, new_parent=tree.d1)],
    )
    assert fresh(tree.d2).valid_to == CHANGE
    assert (tree.d2.pk, "Huyện Một", "dissolve") in links(event)
    assert OrgUnit.objects.as_of(CHANGE).get(identifier=tree.c3.identifier).parent == tree.d1


def test_audit_one_event_per_changed_unit_and_one_for_the_event(tree, kinds, official):
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", parent=tree.d1)
    event = orgunit_reorganise(
        event_name="Sắp xếp thử",
        effective_date=CHANGE,
        merges=[Merge(predecessors=[tree.c1, tree.c2], successor=new)],
        actor=official,
    )
    closes = AuditEvent.objects.filter(action="orgs.orgunit.close")
    assert sorted(closes.values_list("object_id", flat=True)) == sorted([str(tree.c1.pk), str(tree.c2.pk)])
    assert all(e.after["valid_to"] == "2025-07-01" and e.after["event"] == event.pk for e in closes)
    created = AuditEvent.objects.get(action="orgs.orgunit.create", object_repr="Xã An Bình")
    assert created.after["event"] == event.pk
    summary = AuditEvent.objects.get(action="orgs.reorganise")
    assert summary.object_id == str(event.pk) and summary.actor == official
    assert len(summary.after["successions"]) == 2
    assert event.created_by == official


# --- refusals: each one leaves the database as it was ---------------------------------------


def refused(code, **operations):
    before = db_state()
    with pytest.raises(ServiceError) as excinfo:
        reorganise(**operations)
    assert excinfo.value.error_code == code, excinfo.value.detail
    assert db_state() == before
    return excinfo.value


def test_closing_a_unit_with_children_left_behind_is_refused(tree):
    error = refused("orphaned_children", dissolutions=[Dissolution(unit=tree.d2, successor=tree.d1)])
    assert "Xã Cường" in error.detail and "Huyện Hai" in error.detail


def test_merging_a_unit_whose_children_are_not_handled_is_refused(tree, kinds):
    new = NewUnit(kind=kinds.district, name="Huyện Mới", parent=tree.p)
    refused("orphaned_children", merges=[Merge(predecessors=[tree.d1, tree.d2], successor=new)])


def test_moving_a_unit_under_its_own_descendant_is_refused(tree):
    error = refused("cycle", moves=[Move(unit=tree.d1, new_parent=tree.c1)])
    assert "Huyện Một" in error.detail


def test_moving_a_unit_under_itself_is_refused(tree):
    refused("cycle", moves=[Move(unit=tree.d1, new_parent=tree.d1)])


def test_moving_a_unit_under_a_new_unit_placed_below_it_is_refused(tree, kinds):
    below = NewUnit(kind=kinds.commune, name="Xã Dưới", parent=tree.c1)
    refused("cycle", moves=[Move(unit=tree.d1, new_parent=below)])


def test_a_unit_already_ended_is_refused(tree, kinds):
    reorganise(merges=[Merge(predecessors=[tree.c2], successor=tree.c1)])
    again = orgunit_reorganise
    before = db_state()
    with pytest.raises(ServiceError) as excinfo:
        again(
            event_name="Lần hai",
            effective_date=date(2026, 1, 1),
            dissolutions=[Dissolution(unit=fresh(tree.c2))],
        )
    assert excinfo.value.error_code == "unit_not_valid"
    assert db_state() == before


def test_a_unit_not_yet_in_force_on_the_date_is_refused(tree, kinds):
    later = OrgUnitFactory(kind=kinds.commune, parent=tree.d1, valid_from=date(2026, 1, 1))
    refused("unit_not_valid", dissolutions=[Dissolution(unit=later)])


def test_a_successor_that_ended_is_refused(tree, kinds):
    ended = OrgUnitFactory(kind=kinds.commune, parent=tree.d1, valid_to=date(2020, 1, 1))
    refused("unit_not_valid", merges=[Merge(predecessors=[tree.c2], successor=ended)])


def test_a_successor_ended_by_the_same_event_is_refused(tree):
    refused(
        "unit_not_valid",
        merges=[Merge(predecessors=[tree.c2], successor=tree.c1)],
        dissolutions=[Dissolution(unit=tree.c1)],
    )


def test_a_new_unit_under_a_parent_ended_by_the_same_event_is_refused(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã Mới", parent=tree.d2)
    error = refused(
        "parent_not_valid",
        dissolutions=[Dissolution(unit=tree.d2, successor=tree.d1)],
        merges=[Merge(predecessors=[tree.c3], successor=new)],
    )
    assert "Huyện Hai" in error.detail


def test_one_unit_in_two_operations_is_refused(tree):
    refused(
        "duplicate_unit",
        merges=[Merge(predecessors=[tree.c2], successor=tree.c1)],
        dissolutions=[Dissolution(unit=tree.c2)],
    )


def test_the_same_successor_twice_in_a_split_is_refused(tree):
    refused("duplicate_unit", splits=[Split(predecessor=tree.c2, successors=[tree.c1, tree.c1])])


@pytest.mark.parametrize(
    ("operations", "code"),
    [
        ({}, "no_changes"),
        ({"merges": [Merge(predecessors=[], successor=None)]}, "invalid_operation"),
    ],
)
def test_empty_operations_are_refused(tree, operations, code):
    refused(code, **operations)


def test_a_merge_without_successor_is_refused(tree):
    refused("invalid_operation", merges=[Merge(predecessors=[tree.c1], successor=None)])


def test_a_rename_that_changes_nothing_is_refused(tree):
    refused("invalid_operation", renames=[Rename(unit=tree.d1, new_name="Huyện Một")])


def test_a_split_with_one_successor_is_refused(tree):
    refused("invalid_operation", splits=[Split(predecessor=tree.c2, successors=[tree.c1])])


def test_a_unit_succeeding_itself_is_refused(tree):
    refused("invalid_operation", merges=[Merge(predecessors=[tree.c1], successor=tree.c1)])


def test_a_malformed_identifier_of_a_new_unit_is_refused(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã Mới", identifier="000.00.H98", parent=tree.d1)
    refused("invalid_identifier", merges=[Merge(predecessors=[tree.c1], successor=new)])


def test_a_new_unit_taking_a_code_still_in_use_is_refused(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã Mới", identifier=tree.c3.identifier, parent=tree.d1)
    refused("identifier_overlap", merges=[Merge(predecessors=[tree.c1], successor=new)])


def test_a_new_unit_may_take_the_code_of_a_unit_the_event_ends(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã An Mới", identifier=tree.c1.identifier, parent=tree.d1)
    reorganise(merges=[Merge(predecessors=[tree.c1, tree.c2], successor=new)])
    assert OrgUnit.objects.as_of(CHANGE).get(identifier=tree.c1.identifier).name == "Xã An Mới"


def test_an_unknown_kind_of_a_new_unit_is_refused(tree):
    new = NewUnit(kind="khong-co", name="Xã Mới", parent=tree.d1)
    refused("unknown_kind", merges=[Merge(predecessors=[tree.c1], successor=new)])


def test_an_unsaved_unit_is_refused(tree, kinds):
    ghost = OrgUnit(kind=kinds.commune, name="Xã Ma", valid_from=date(2000, 1, 1))
    refused("unit_not_found", dissolutions=[Dissolution(unit=ghost)])


def test_a_failure_late_in_the_event_rolls_back_everything(tree, kinds):
    # given an event whose first operations are fine and whose last one needs a parent that ends
    good = NewUnit(kind=kinds.commune, name="Xã An Bình", parent=tree.d1)
    bad = NewUnit(kind=kinds.commune, name="Xã Mới", parent=tree.d2)
    refused(
        "parent_not_valid",
        merges=[
            Merge(predecessors=[tree.c1, tree.c2], successor=good),
            Merge(predecessors=[tree.c3], successor=bad),
        ],
        dissolutions=[Dissolution(unit=tree.d2)],
    )
    assert not ReorganisationEvent.objects.exists() and not Succession.objects.exists()
