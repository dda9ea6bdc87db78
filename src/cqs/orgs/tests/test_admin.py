from datetime import date

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.audit.models import AuditEvent
from cqs.orgs.models import OrgUnit
from cqs.orgs.tests.conftest import db_state


@pytest.fixture
def admin_client(client, django_user_model):
    """A superuser whose session has passed the second factor (required for administrators)."""
    user = django_user_model.objects.create_superuser(username="quantri", password="mat-khau-dai-1234")
    device = TOTPDevice.objects.create(user=user, name="thử", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def unit_form(kinds, **overrides):
    return {
        "kind": kinds.commune.pk,
        "name": "Xã Mới",
        "short_name": "UBND",
        "identifier": "000.09.01.H98",
        "identifier_source": "demo",
        "division_code": "",
        "parent": "",
        "valid_from": "2010-01-01",
        "valid_to": "",
        "source": "Nhập tay",
    } | overrides


def test_admin_lists_and_searches_units(admin_client, tree):
    response = admin_client.get("/admin/orgs/orgunit/", {"q": "000.01.02.H98"})
    assert response.status_code == 200
    assert "Xã Cường" in response.content.decode() and "Xã Bình" not in response.content.decode()
    assert admin_client.get("/admin/orgs/orgunit/", {"in_force": "yes"}).status_code == 200


def test_admin_adds_a_unit_through_the_service(admin_client, tree, kinds):
    response = admin_client.post("/admin/orgs/orgunit/add/", unit_form(kinds, parent=tree.d1.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = OrgUnit.objects.get(identifier="000.09.01.H98")
    assert unit.path == f"{tree.d1.path}{unit.pk}/" and unit.depth == 2
    assert AuditEvent.objects.filter(
        action="orgs.orgunit.create", object_id=str(unit.pk), actor__username="quantri"
    )


def test_admin_shows_a_service_refusal_on_the_form_and_writes_nothing(admin_client, tree, kinds):
    before = db_state()
    response = admin_client.post(
        "/admin/orgs/orgunit/add/", unit_form(kinds, parent=tree.d1.pk, identifier=tree.c1.identifier)
    )
    assert response.status_code == 200
    assert "đang được dùng cho" in response.content.decode()
    assert db_state() == before


def test_admin_corrects_descriptive_fields_only(admin_client, tree):
    url = f"/admin/orgs/orgunit/{tree.c1.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="name"' in page and 'name="parent"' not in page and 'name="valid_to"' not in page
    data = {
        "name": "Xã An Hòa",
        "short_name": "",
        "identifier_source": "demo",
        "division_code": "",
        "source": "factory",
    }
    assert admin_client.post(url, data).status_code == 302
    tree.c1.refresh_from_db()
    assert tree.c1.name == "Xã An Hòa" and tree.c1.valid_from == date(2000, 1, 1)
    assert AuditEvent.objects.get(action="orgs.orgunit.correct").after == {"name": "Xã An Hòa"}


def test_reorganisation_events_are_read_only_in_admin(admin_client, db):
    assert admin_client.get("/admin/orgs/reorganisationevent/add/").status_code == 403
    assert admin_client.get("/admin/orgs/reorganisationevent/").status_code == 200


def test_units_cannot_be_deleted_in_admin(admin_client, tree):
    assert admin_client.get(f"/admin/orgs/orgunit/{tree.c1.pk}/delete/").status_code == 403
