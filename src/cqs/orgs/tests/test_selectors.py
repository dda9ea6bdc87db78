from datetime import date, timedelta

from cqs.orgs import selectors
from cqs.orgs.models import OrgUnit
from cqs.orgs.services import Dissolution, Merge, Move, NewUnit, Split, orgunit_reorganise
from cqs.orgs.tests.conftest import CHANGE
from cqs.orgs.tests.factories import OrgUnitFactory

EVE = CHANGE - timedelta(days=1)
LATER = date(2026, 1, 1)


def event(on=CHANGE, **operations):
    return orgunit_reorganise(event_name=f"Sắp xếp {on}", effective_date=on, **operations)


def names(units):
    return [unit.name for unit in units]


def test_subtree_is_the_unit_and_everything_below_it_in_tree_order(tree):
    subtree = list(selectors.orgunit_subtree(tree.d1))
    assert subtree[0] == tree.d1
    assert set(subtree[1:]) == {tree.c1, tree.c2}
    assert set(selectors.orgunit_subtree(tree.p)) == {tree.p, tree.d1, tree.d2, tree.c1, tree.c2, tree.c3}


def test_subtree_as_of_a_date_leaves_out_units_not_in_force(tree, kinds):
    event(merges=[Merge(predecessors=[tree.c2], successor=tree.c1)])
    assert set(selectors.orgunit_subtree(tree.d1, as_of=EVE)) == {tree.d1, tree.c1, tree.c2}
    assert set(selectors.orgunit_subtree(tree.d1, as_of=CHANGE)) == {tree.d1, tree.c1}


def test_ancestors_root_first(tree):
    assert selectors.orgunit_ancestors(tree.c3) == [tree.p, tree.d2]
    assert selectors.orgunit_ancestors(tree.p) == []


def test_tree_as_of_dates_on_both_sides_of_a_merge(tree, kinds, django_assert_num_queries):
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", parent=tree.d1)
    event(merges=[Merge(predecessors=[tree.c1, tree.c2], successor=new)])
    # when the tree is read the day before and the day of the change (one query each)
    with django_assert_num_queries(1):
        before = selectors.orgunit_tree(as_of=EVE)
    after = selectors.orgunit_tree(as_of=CHANGE)
    # then the root is the same, with the old communes before and the new one after
    assert names(node.unit for node in before) == ["UBND tỉnh Thử"]
    districts_before = before[0].children
    assert names(node.unit for node in districts_before) == ["Huyện Hai", "Huyện Một"]
    assert names(node.unit for node in districts_before[1].children) == ["Xã An", "Xã Bình"]
    assert names(node.unit for node in after[0].children[1].children) == ["Xã An Bình"]
    assert before[0].count() == 6 and after[0].count() == 5


def test_tree_is_empty_before_anything_existed(tree):
    assert selectors.orgunit_tree(as_of=date(1990, 1, 1)) == []


def test_siblings_are_ordered_by_kind_then_vietnamese_alphabet(kinds):
    root = OrgUnitFactory(kind=kinds.province, identifier="000.00.00.H98")
    for name in ["Xã Yên Lạc", "Xã Đồng Tâm", "Xã Duy Phiên", "Xã Ân Thi", "Xã An Hòa"]:
        OrgUnitFactory(kind=kinds.commune, name=name, parent=root)
    OrgUnitFactory(kind=kinds.department, name="Sở Y tế", parent=root)
    children = selectors.orgunit_tree(as_of=date(2020, 1, 1))[0].children
    assert names(node.unit for node in children) == [
        "Sở Y tế",  # departments rank before communes
        "Xã An Hòa",
        "Xã Ân Thi",
        "Xã Duy Phiên",
        "Xã Đồng Tâm",  # đ after d
        "Xã Yên Lạc",
    ]


def test_current_successor_of_a_unit_in_force_is_itself(tree):
    assert selectors.orgunit_current_successor(tree.c1, on=CHANGE) == [tree.c1]


def test_current_successor_follows_a_chain_of_events(tree, kinds):
    first = NewUnit(kind=kinds.commune, name="Xã An Bình", parent=tree.d1)
    event(merges=[Merge(predecessors=[tree.c1, tree.c2], successor=first)])
    an_binh = tree.d1.children.get(name="Xã An Bình")
    second = NewUnit(kind=kinds.commune, name="Xã Thống Nhất", parent=tree.d1)
    event(on=LATER, merges=[Merge(predecessors=[an_binh], successor=second)])
    c1 = OrgUnit.objects.get(pk=tree.c1.pk)
    assert names(selectors.orgunit_current_successor(c1, on=CHANGE)) == ["Xã An Bình"]
    assert names(selectors.orgunit_current_successor(c1, on=LATER)) == ["Xã Thống Nhất"]
    assert selectors.orgunit_current_successor(c1, on=date(1990, 1, 1)) == []


def test_current_successor_of_a_split_unit_is_several(tree, kinds):
    east = NewUnit(kind=kinds.commune, name="Xã An Đông", parent=tree.d1)
    west = NewUnit(kind=kinds.commune, name="Xã An Tây", parent=tree.d1)
    event(splits=[Split(predecessor=tree.c1, successors=[west, east])])
    c1 = OrgUnit.objects.get(pk=tree.c1.pk)
    assert names(selectors.orgunit_current_successor(c1, on=CHANGE)) == ["Xã An Đông", "Xã An Tây"]


def test_current_successor_of_a_unit_dissolved_without_successor_is_none(tree):
    event(dissolutions=[Dissolution(unit=tree.c3)])
    c3 = OrgUnit.objects.get(pk=tree.c3.pk)
    assert selectors.orgunit_current_successor(c3, on=CHANGE) == []


def test_get_by_identifier_finds_the_version_in_force_that_day(tree):
    event(moves=[Move(unit=tree.c3, new_parent=tree.d1)])
    old = selectors.orgunit_get_by_identifier(tree.c3.identifier, as_of=EVE)
    new = selectors.orgunit_get_by_identifier(tree.c3.identifier, as_of=CHANGE)
    assert old.pk == tree.c3.pk and old.parent_id == tree.d2.pk
    assert new.pk != old.pk and new.parent_id == tree.d1.pk
    assert selectors.orgunit_get_by_identifier("000.99.99.H98", as_of=CHANGE) is None
    assert selectors.orgunit_get_by_identifier(tree.c3.identifier, as_of=date(1990, 1, 1)) is None


def test_events_around_a_date(tree):
    change = event(dissolutions=[Dissolution(unit=tree.c3)])
    assert selectors.reorganisation_events_around(EVE) == (None, change)
    assert selectors.reorganisation_events_around(CHANGE) == (change, None)
