"""The audit trail in the Django admin: readable, never writable."""

import pytest
from django.contrib import admin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.audit.models import AuditEvent
from cqs.audit.tests.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    device = TOTPDevice.objects.create(user=root, name="app", confirmed=True)
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_model_admin_grants_no_add_change_or_delete(rf, django_user_model):
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = django_user_model.objects.create_superuser(username="root", password="x" * 12)

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_view_permission(request) is True


def test_the_changelist_lists_filters_and_searches(admin_client):
    record(2, action="test.change")
    record(1, action="test.other")

    page = admin_client.get("/admin/audit/auditevent/")
    filtered = admin_client.get("/admin/audit/auditevent/?action=test.other")
    searched = admin_client.get("/admin/audit/auditevent/?q=V%E1%BA%ADt+1")

    assert page.status_code == 200
    assert "test.other" in page.content.decode()
    assert filtered.context["cl"].result_count == 1
    assert searched.context["cl"].result_count >= 1
    html = page.content.decode()
    assert "/admin/audit/auditevent/add/" not in html


def test_the_detail_page_is_read_only_and_add_is_refused(admin_client):
    (event,) = record(1)

    detail = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    add = admin_client.get("/admin/audit/auditevent/add/")
    delete = admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert event.hash in detail.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
