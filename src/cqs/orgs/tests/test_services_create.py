from datetime import date

import pytest

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.orgs.services import orgunit_correct, orgunit_create, orgunitkind_create
from cqs.orgs.tests.conftest import db_state


def create(kinds, **overrides):
    arguments = {
        "kind": kinds.commune,
        "name": "Xã Mới",
        "identifier": "000.09.09.H98",
        "identifier_source": "demo",
        "valid_from": date(2010, 1, 1),
    } | overrides
    return orgunit_create(**arguments)


def test_create_computes_path_and_depth_from_the_parent(tree, kinds):
    # given a district under a province
    # when a commune is created under the district
    unit = create(kinds, parent=tree.d1)
    # then its path is the district's path plus its own id, one level deeper
    unit.refresh_from_db()
    assert unit.path == f"/{tree.p.pk}/{tree.d1.pk}/{unit.pk}/"
    assert unit.depth == 2
    assert unit.ancestor_ids == [tree.p.pk, tree.d1.pk]


def test_create_a_root_and_record_it_in_the_audit_trail(kinds, django_user_model):
    actor = django_user_model.objects.create_user(username="quantri", password="mat-khau-dai-1234")
    # when a root unit is created by an administrator
    unit = create(kinds, kind="ubnd-tinh", name="UBND tỉnh Thử", identifier="000.00.00.H98", actor=actor)
    # then its path holds only its own id, and one audit event describes it
    assert unit.path == f"/{unit.pk}/" and unit.depth == 0
    event = AuditEvent.objects.get(action="orgs.orgunit.create", object_id=str(unit.pk))
    assert event.actor == actor
    assert event.after["identifier"] == "000.00.00.H98"
    assert event.after["path"] == unit.path
    assert event.after["valid_from"] == "2010-01-01"


def test_kind_may_be_given_by_code(kinds):
    assert create(kinds, kind="huyen").kind == kinds.district


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"identifier": "000.00.00.H6"}, "invalid_identifier", "identifier"),
        ({"identifier": "000.00.00.Z62"}, "invalid_identifier", "identifier"),
        ({"kind": "khong-co"}, "unknown_kind", "kind"),
        ({"valid_to": date(2009, 12, 31)}, "invalid_dates", "valid_to"),
        ({"valid_to": date(2010, 1, 1)}, "invalid_dates", "valid_to"),
        ({"name": "   "}, "name_required", "name"),
        ({"name": "X" * 256}, "too_long", "name"),
        ({"short_name": "X" * 41}, "too_long", "short_name"),
        ({"division_code": "25a"}, "invalid_division_code", "division_code"),
        ({"identifier_source": "guess"}, "invalid_identifier_source", "identifier_source"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(tree, kinds, overrides, code, field):
    before = db_state()
    # when a unit is created with one bad field
    with pytest.raises(ServiceError) as excinfo:
        create(kinds, parent=tree.d1, **overrides)
    # then the refusal names the code and field, in Vietnamese, and the database is unchanged
    assert excinfo.value.error_code == code
    assert excinfo.value.field == field
    assert excinfo.value.detail
    assert db_state() == before


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "parent_end"),
    [
        (date(1999, 1, 1), None, None),  # child starts before the parent
        (date(2010, 1, 1), None, date(2020, 1, 1)),  # parent ends, child open-ended
        (date(2010, 1, 1), date(2021, 1, 1), date(2020, 1, 1)),  # child outlives the parent
    ],
)
def test_a_parent_not_in_force_over_the_whole_validity_is_refused(kinds, valid_from, valid_to, parent_end):
    parent = create(
        kinds,
        kind=kinds.district,
        identifier="000.00.01.H98",
        valid_from=date(2000, 1, 1),
        valid_to=parent_end,
    )
    before = db_state()
    with pytest.raises(ServiceError) as excinfo:
        create(kinds, parent=parent, valid_from=valid_from, valid_to=valid_to)
    assert excinfo.value.error_code == "parent_not_valid"
    assert excinfo.value.field == "parent"
    assert f"“{parent.name}”" in excinfo.value.detail
    assert db_state() == before


def test_a_child_within_a_closed_parent_is_accepted(kinds):
    parent = create(kinds, kind=kinds.district, identifier="000.00.01.H98", valid_to=date(2020, 1, 1))
    child = create(kinds, parent=parent, valid_from=date(2012, 1, 1), valid_to=date(2020, 1, 1))
    assert child.parent == parent


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (date(2015, 1, 1), None),  # overlaps the open-ended row
        (date(2005, 1, 1), date(2010, 1, 2)),  # ends one day into it
        (date(2010, 1, 1), date(2011, 1, 1)),  # same start
    ],
)
def test_overlapping_validity_of_one_identifier_is_refused(kinds, valid_from, valid_to):
    create(kinds, valid_from=date(2010, 1, 1))
    before = db_state()
    with pytest.raises(ServiceError) as excinfo:
        create(kinds, name="Xã Khác", valid_from=valid_from, valid_to=valid_to)
    assert excinfo.value.error_code == "identifier_overlap"
    assert "000.09.09.H98" in excinfo.value.detail
    assert db_state() == before


def test_one_identifier_on_adjacent_half_open_periods_is_accepted(kinds):
    # given a version valid [2000, 2010): the day it ends belongs to the next one
    create(kinds, valid_from=date(2000, 1, 1), valid_to=date(2010, 1, 1))
    create(kinds, valid_from=date(2010, 1, 1))
    assert OrgUnit.objects.filter(identifier="000.09.09.H98").count() == 2


def test_units_without_identifier_never_clash(kinds):
    create(kinds, identifier="")
    create(kinds, identifier="", name="Xã Khác")
    assert OrgUnit.objects.filter(identifier="").count() == 2


def test_correct_fixes_a_typo_in_place_and_audits_it(tree):
    # when the name of a version is corrected
    orgunit_correct(unit=tree.c1, name="Xã An Hòa", source="Sửa lỗi chính tả")
    # then the same row carries the new name, and the audit trail has before and after
    tree.c1.refresh_from_db()
    assert tree.c1.name == "Xã An Hòa"
    event = AuditEvent.objects.get(action="orgs.orgunit.correct")
    assert event.before == {"name": "Xã An", "source": "factory"}
    assert event.after == {"name": "Xã An Hòa", "source": "Sửa lỗi chính tả"}


def test_correct_refuses_changes_that_are_reorganisations(tree):
    before = db_state()
    with pytest.raises(ServiceError) as excinfo:
        orgunit_correct(unit=tree.c1, parent=tree.d2)
    assert excinfo.value.error_code == "not_correctable"
    assert db_state() == before


def test_correct_without_change_writes_nothing(tree):
    before = db_state()
    orgunit_correct(unit=tree.c1, name="Xã An")
    assert db_state() == before


def test_kind_codes_are_unique_and_slugs(db):
    orgunitkind_create(code="xa", name="Xã")
    with pytest.raises(ServiceError) as excinfo:
        orgunitkind_create(code="xa", name="Xã khác")
    assert excinfo.value.error_code == "kind_exists"
    with pytest.raises(ServiceError) as excinfo:
        orgunitkind_create(code="xã phường", name="Xã")
    assert excinfo.value.error_code == "invalid_kind_code"
    assert AuditEvent.objects.filter(action="orgs.orgunitkind.create").count() == 1
