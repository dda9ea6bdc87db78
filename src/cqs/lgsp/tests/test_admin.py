"""The admin: registry catalogues are edited (audited, published); workflow rows are read-only."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.audit.models import AuditEvent
from cqs.lgsp.choices import GenerationStatus
from cqs.lgsp.models import GatewayGeneration, Member, Subsystem
from cqs.lgsp.services import registry
from cqs.lgsp.snapshot import build_snapshot


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


@pytest.mark.django_db(transaction=True)
def test_adding_a_member_is_audited_and_deactivating_a_subsystem_reaches_the_gateway(admin_client):
    response = admin_client.post(
        "/admin/lgsp/member/add/",
        {"instance": "XROADVN", "member_class": "GOV", "code": "000.00.00.G01", "name": "Bộ Công an"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(code="000.00.00.G01")
    assert AuditEvent.objects.filter(action="lgsp.member.admin_add", object_id=str(member.pk)).exists()

    subsystem = registry.subsystem_create(member=member, code="DANCU", name="CSDL dân cư")
    assert subsystem.xroad_id in build_snapshot()["subsystems"]
    response = admin_client.post(
        f"/admin/lgsp/subsystem/{subsystem.pk}/change/",
        {"member": member.pk, "code": "DANCU", "name": "CSDL dân cư", "description": "", "contact_email": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Subsystem.objects.get(pk=subsystem.pk).active is False
    active = GatewayGeneration.objects.get(status=GenerationStatus.ACTIVE)
    assert active.reason.startswith("admin: subsystem")
    assert subsystem.xroad_id not in build_snapshot()["subsystems"]


@pytest.mark.django_db
def test_an_invalid_member_code_is_refused_on_the_form(admin_client):
    response = admin_client.post(
        "/admin/lgsp/member/add/",
        {"instance": "XROADVN", "member_class": "GOV", "code": "a/b", "name": "Sai mã"},
    )
    assert response.status_code == 200
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_services_and_credentials_are_read_only_here(admin_client):
    assert admin_client.get("/admin/lgsp/service/").status_code == 200
    assert admin_client.get("/admin/lgsp/service/add/").status_code == 403
    assert admin_client.get("/admin/lgsp/credential/add/").status_code == 403
    assert admin_client.get("/admin/lgsp/accessgrant/add/").status_code == 403
