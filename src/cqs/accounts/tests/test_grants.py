"""Granting and revoking roles: scoped to the actor's subtree, never above the actor's own rights."""

import pytest

from cqs.accounts.models import RoleGrant
from cqs.accounts.permissions import has_unit_permission
from cqs.accounts.services import role_grant, role_revoke
from cqs.accounts.tests.conftest import db_state, official_with_role
from cqs.accounts.tests.factories import CitizenFactory, UserFactory
from cqs.audit.models import AuditEvent
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError

pytestmark = pytest.mark.django_db


def test_a_unit_administrator_grants_a_role_on_a_commune_of_its_district(unit_admin, tree, roles):
    official = official_with_role(tree.c1)

    grant = role_grant(user=official, role="chuyen-vien", unit=tree.c1, actor=unit_admin)

    assert (grant.user, grant.role.code, grant.unit) == (official, "chuyen-vien", tree.c1)
    event = AuditEvent.objects.get(action="accounts.role_grant")
    assert event.actor_id == unit_admin.pk
    assert event.after == {
        "user": official.username,
        "role": "chuyen-vien",
        "unit": tree.c1.pk,
        "unit_name": "Xã An",
    }
    assert has_unit_permission(official, "orgs.view_orgunit", tree.c1)


def test_a_unit_administrator_cannot_grant_on_a_unit_outside_its_subtree(unit_admin, tree, roles):
    official = official_with_role(tree.c1)
    before = db_state()

    for unit in (tree.c3, tree.d2, tree.p):
        with pytest.raises(Forbidden) as exc:
            role_grant(user=official, role="chuyen-vien", unit=unit, actor=unit_admin)
        assert exc.value.error_code == "forbidden_unit"
        assert exc.value.status == 403
    assert db_state() == before


def test_a_unit_administrator_cannot_grant_to_an_official_of_another_district(unit_admin, tree, roles):
    outsider = official_with_role(tree.c3)
    before = db_state()

    with pytest.raises(Forbidden) as exc:
        role_grant(user=outsider, role="chuyen-vien", unit=tree.c1, actor=unit_admin)

    assert exc.value.error_code == "forbidden_user"
    assert db_state() == before


def test_a_unit_administrator_cannot_hand_out_a_role_with_more_rights_than_its_own(unit_admin, tree, roles):
    official = official_with_role(tree.c1)
    before = db_state()

    with pytest.raises(Forbidden) as exc:
        role_grant(user=official, role="quan-tri-he-thong", unit=tree.c1, actor=unit_admin)

    assert exc.value.error_code == "role_exceeds_actor"
    assert db_state() == before


def test_an_official_without_grant_rights_cannot_grant(specialist, tree, roles):
    official = official_with_role(tree.c1)
    with pytest.raises(Forbidden):
        role_grant(user=official, role="chuyen-vien", unit=tree.c1, actor=specialist)
    assert not RoleGrant.objects.filter(user=official).exists()


def test_a_superuser_grants_anywhere(tree, roles):
    root = UserFactory(superuser=True)
    official = official_with_role(tree.c3)

    role_grant(user=official, role="quan-tri-he-thong", unit=tree.p, actor=root)

    assert RoleGrant.objects.filter(user=official, role__code="quan-tri-he-thong", unit=tree.p).exists()


def test_granting_the_same_role_twice_is_a_conflict(unit_admin, tree, roles):
    official = official_with_role(tree.c1, roles["chuyen-vien"])
    before = db_state()

    with pytest.raises(Conflict) as exc:
        role_grant(user=official, role="chuyen-vien", unit=tree.c1, actor=unit_admin)

    assert exc.value.error_code == "duplicate_grant"
    assert db_state() == before


def test_a_citizen_cannot_be_given_a_role(tree, roles):
    citizen = CitizenFactory()
    with pytest.raises(ServiceError) as exc:
        role_grant(user=citizen, role="chuyen-vien", unit=tree.c1)
    assert exc.value.error_code == "not_official"
    assert not RoleGrant.objects.filter(user=citizen).exists()


def test_an_unknown_role_is_not_found(tree, roles):
    official = official_with_role(tree.c1)
    with pytest.raises(NotFound) as exc:
        role_grant(user=official, role="phi-cong", unit=tree.c1)
    assert exc.value.error_code == "unknown_role"


def test_revoking_removes_the_grant_and_records_what_it_was(unit_admin, tree, roles):
    official = official_with_role(tree.c2, roles["van-thu"])
    assert has_unit_permission(official, "orgs.view_orgunit", tree.c2)

    role_revoke(user=official, role="van-thu", unit=tree.c2, actor=unit_admin)

    assert not RoleGrant.objects.filter(user=official).exists()
    assert not has_unit_permission(official, "orgs.view_orgunit", tree.c2)
    event = AuditEvent.objects.get(action="accounts.role_revoke")
    assert event.before["role"] == "van-thu" and event.after is None


def test_revoking_outside_the_subtree_is_forbidden(unit_admin, tree, roles):
    official = official_with_role(tree.c3, roles["van-thu"])
    before = db_state()

    with pytest.raises(Forbidden):
        role_revoke(user=official, role="van-thu", unit=tree.c3, actor=unit_admin)

    assert db_state() == before


def test_revoking_a_grant_that_does_not_exist_is_not_found(tree, roles):
    official = official_with_role(tree.c1)
    with pytest.raises(NotFound) as exc:
        role_revoke(user=official, role="van-thu", unit=tree.c1)
    assert exc.value.error_code == "grant_not_found"
