"""``restrict(user, action)``: one queryset method, scoped by unit grants over the subtree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cqs.accounts.models import User
from cqs.accounts.permissions import RestrictedQuerySet
from cqs.accounts.selectors import user_list
from cqs.accounts.tests.conftest import official_with_role
from cqs.accounts.tests.factories import CitizenFactory, RoleFactory, UserFactory
from cqs.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "d1": official_with_role(tree.d1, username="canbo.d1"),
        "c1": official_with_role(tree.c1, username="canbo.c1"),
        "c2": official_with_role(tree.c2, username="canbo.c2"),
        "d2": official_with_role(tree.d2, username="canbo.d2"),
        "c3": official_with_role(tree.c3, username="canbo.c3"),
        "citizen": CitizenFactory(username="congdan"),
    }


def usernames(qs) -> set[str]:
    return set(qs.values_list("username", flat=True))


def test_user_querysets_are_restricted_querysets():
    assert isinstance(User.objects.all(), RestrictedQuerySet)
    assert User.objects.all().unit_field == "official_profile__unit"


def test_a_district_unit_admin_sees_the_users_of_its_communes_but_not_of_another_district(unit_admin, people):
    visible = usernames(User.objects.restrict(unit_admin, "view"))

    assert {"canbo.d1", "canbo.c1", "canbo.c2", "quantri.d1"} <= visible
    assert not visible & {"canbo.d2", "canbo.c3", "congdan"}


def test_a_grant_on_the_parent_covers_the_whole_subtree(tree, people):
    viewer = RoleFactory(perms=["accounts.view_user"])
    leader = official_with_role(tree.p, viewer, username="lanhdao.tinh")

    visible = usernames(User.objects.restrict(leader, "view"))

    assert {"canbo.d1", "canbo.c1", "canbo.c2", "canbo.d2", "canbo.c3", "lanhdao.tinh"} == visible


def test_a_grant_on_a_commune_does_not_reach_up_or_sideways(tree, people):
    viewer = RoleFactory(perms=["accounts.view_user"])
    official = official_with_role(tree.c1, viewer, username="xem.c1")

    assert usernames(User.objects.restrict(official, "view")) == {"canbo.c1", "xem.c1"}


def test_no_grant_means_nothing(people):
    assert not User.objects.restrict(people["c1"], "view").exists()


def test_a_role_without_the_permission_asked_for_gives_nothing(specialist, people):
    # chuyen-vien may view units, not accounts
    assert not User.objects.restrict(specialist, "view").exists()
    assert OrgUnit.objects.restrict(specialist, "view").exists()


def test_the_action_matters_view_is_not_change(tree, people):
    viewer = RoleFactory(perms=["accounts.view_user"])
    official = official_with_role(tree.d1, viewer)

    assert User.objects.restrict(official, "view").exists()
    assert not User.objects.restrict(official, "change").exists()
    assert User.objects.restrict(official, "accounts.view_user").exists()


def test_anonymous_and_inactive_users_see_nothing_superusers_see_all(tree, people, unit_admin):
    assert not User.objects.restrict(AnonymousUser(), "view").exists()
    assert not User.objects.restrict(None, "view").exists()
    unit_admin.is_active = False
    assert not User.objects.restrict(unit_admin, "view").exists()
    root = UserFactory(superuser=True)
    assert User.objects.restrict(root, "view").count() == User.objects.count()


def test_user_list_selector_is_restricted_and_ordered(unit_admin, people, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        rows = [(u.username, u.official_profile.unit.name) for u in user_list(user=unit_admin)]
    assert rows[0][0] == "canbo.c1"
    assert "canbo.c3" not in {name for name, _ in rows}


def test_primed_grants_answer_like_one_query_per_permission(tree, django_assert_num_queries):
    from cqs.accounts.permissions import grant_paths_prime, has_unit_permission

    role = RoleFactory(perms=["accounts.view_user", "accounts.change_user"])
    user = official_with_role(tree.c1, role, grant_unit=tree.d1)
    fresh = User.objects.get(pk=user.pk)
    expected = {
        (perm, unit.pk): has_unit_permission(fresh, perm, unit)
        for perm in ("accounts.view_user", "accounts.change_user", "accounts.delete_user")
        for unit in (tree.c1, tree.c3, tree.p)
    }

    primed = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        grant_paths_prime(primed, "accounts")
        answers = {
            (perm, unit.pk): has_unit_permission(primed, perm, unit)
            for perm in ("accounts.view_user", "accounts.change_user", "accounts.delete_user")
            for unit in (tree.c1, tree.c3, tree.p)
        }

    assert answers == expected
    assert expected[("accounts.view_user", tree.c1.pk)] and not expected[("accounts.delete_user", tree.c1.pk)]
    assert not expected[("accounts.view_user", tree.p.pk)]
