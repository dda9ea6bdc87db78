"""Django admin for accounts: users with profiles inline, roles, grants; every change audited."""

import json

import pytest

from cqs.accounts.models import Role
from cqs.accounts.tests.conftest import official_with_role, otp_verified_login
from cqs.accounts.tests.factories import CitizenFactory, UserFactory
from cqs.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    otp_verified_login(client, UserFactory(superuser=True, username="root"))
    return client


def test_the_user_list_shows_units_in_a_fixed_number_of_queries(
    admin_client, tree, roles, django_assert_max_num_queries
):
    for unit in (tree.c1, tree.c2, tree.c3, tree.d1):
        official_with_role(unit, roles["chuyen-vien"])

    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/accounts/user/")

    assert response.status_code == 200
    assert "Xã Cường" in response.content.decode()


def test_the_user_page_has_the_profile_and_grant_inlines(admin_client, specialist):
    response = admin_client.get(f"/admin/accounts/user/{specialist.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "official_profile-0-unit" in html
    assert "grants-0-role" in html


def test_the_role_page_uses_a_horizontal_permission_filter(admin_client, roles):
    role = Role.objects.get(code="van-thu")

    html = admin_client.get(f"/admin/accounts/role/{role.pk}/change/").content.decode()

    assert "selectfilter" in html


def test_the_grant_list_opens(admin_client, specialist):
    response = admin_client.get("/admin/accounts/rolegrant/")
    assert response.status_code == 200
    assert specialist.full_name in response.content.decode()


def test_an_admin_edit_is_audited_with_personal_numbers_masked(admin_client):
    citizen = CitizenFactory(username="congdan.x", citizen_profile__cccd="026090001234")
    profile = citizen.citizen_profile
    data = {
        "username": "congdan.x",
        "full_name": "Tên Mới",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "official_profile-TOTAL_FORMS": "0",
        "official_profile-INITIAL_FORMS": "0",
        "official_profile-MIN_NUM_FORMS": "0",
        "official_profile-MAX_NUM_FORMS": "1",
        "citizen_profile-TOTAL_FORMS": "1",
        "citizen_profile-INITIAL_FORMS": "1",
        "citizen_profile-MIN_NUM_FORMS": "0",
        "citizen_profile-MAX_NUM_FORMS": "1",
        "citizen_profile-0-id": str(profile.pk),
        "citizen_profile-0-user": str(citizen.pk),
        "citizen_profile-0-cccd": "026090001234",
        "citizen_profile-0-phone": "0987654321",
        "citizen_profile-0-address": "",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
        "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000",
    }

    response = admin_client.post(f"/admin/accounts/user/{citizen.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    citizen.refresh_from_db()
    assert citizen.full_name == "Tên Mới"
    assert citizen.citizen_profile.phone == "0987654321"
    user_event = AuditEvent.objects.get(action="accounts.user.admin_change")
    assert user_event.after == {"full_name": "Tên Mới"}
    assert user_event.actor_label == "root"
    profile_event = AuditEvent.objects.get(action="accounts.citizenprofile.admin_change")
    assert profile_event.after == {"phone": "0987****21"}
    assert "0987654321" not in json.dumps([user_event.after, profile_event.after])
