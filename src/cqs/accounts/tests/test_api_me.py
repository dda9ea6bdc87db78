"""``GET /api/v1/me/``: who is signed in, their roles with unit scope, 2FA status and modules."""

import json

import pytest

from cqs.accounts.tests.conftest import official_with_role, otp_verified_login
from cqs.accounts.tests.factories import CitizenFactory, RoleGrantFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_anonymous_gets_a_problem_response(client):
    response = client.get(ME)

    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


# session, user, "needs 2FA?", profile+unit, grants+roles+units, two device tables
QUERIES = 7


def test_an_official_gets_profile_unit_roles_2fa_and_modules(
    client, specialist, tree, django_assert_num_queries
):
    client.force_login(specialist)

    with django_assert_num_queries(QUERIES):
        response = client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "chuyenvien.c1"
    assert body["kind"] == "official"
    assert body["unit"] == {"id": tree.c1.pk, "name": "Xã An", "identifier": "000.01.01.H98"}
    assert body["position"] == "Chuyên viên"
    assert body["citizen"] is None
    assert body["roles"] == [
        {
            "code": "chuyen-vien",
            "name": "Chuyên viên",
            "requires_2fa": False,
            "unit": {"id": tree.c1.pk, "name": "Xã An", "identifier": "000.01.01.H98"},
        }
    ]
    assert body["two_factor"] == {"required": False, "enabled": False, "verified": False}
    codes = [module["code"] for module in body["modules"]]
    assert "orgs" in codes and "plans" in codes
    assert "admin" not in codes and "lgsp" not in codes


def test_roles_on_several_units_are_listed_each_with_its_scope(
    client, tree, roles, django_assert_num_queries
):
    user = official_with_role(tree.c1, roles["chuyen-vien"])
    RoleGrantFactory(user=user, role=roles["van-thu"], unit=tree.d2)
    RoleGrantFactory(user=user, role=roles["lanh-dao"], unit=tree.p)
    client.force_login(user)

    with django_assert_num_queries(QUERIES):  # does not grow with the number of grants
        response = client.get(ME)

    scopes = {(r["code"], r["unit"]["id"]) for r in response.json()["roles"]}

    assert scopes == {("chuyen-vien", tree.c1.pk), ("van-thu", tree.d2.pk), ("lanh-dao", tree.p.pk)}


def test_a_citizen_sees_only_masked_numbers(client, db):
    citizen = CitizenFactory(citizen_profile__cccd="026090001234", citizen_profile__phone="0912345678")
    client.force_login(citizen)

    response = client.get(ME)

    body = response.json()
    assert body["kind"] == "citizen"
    assert body["unit"] is None and body["position"] is None and body["roles"] == []
    assert body["citizen"] == {"cccd": "0260******34", "phone": "0912****78"}
    raw = json.dumps(body)
    assert "026090001234" not in raw and "0912345678" not in raw


def test_a_verified_administrator_sees_2fa_required_and_verified(client, unit_admin):
    otp_verified_login(client, unit_admin)

    body = client.get(ME).json()

    assert body["two_factor"] == {"required": True, "enabled": True, "verified": True}
    assert body["roles"][0]["requires_2fa"] is True


def test_the_endpoint_is_read_only(client, specialist):
    client.force_login(specialist)
    assert client.post(ME, {}).status_code == 405
