"""The registry and access services: validation, conflicts, audit, the answer deadline, publishing
after commit. (Permissions are the callers' business: see test_api.py.)"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import Conflict, ServiceError
from cqs.lgsp import engines, publish
from cqs.lgsp.choices import CredentialKind, RequestStatus, ServiceStatus
from cqs.lgsp.models import AccessGrant, ClientGroup, GatewayGeneration, Member, Service
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg
from cqs.lgsp.services.access import secret_sha256

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LEGAL_BASIS = "Nghị định 47/2020/NĐ-CP"


@pytest.fixture
def parties(db):
    from types import SimpleNamespace

    provider_member = reg.member_create(
        member_class="GOV", code="000.00.00.H62", name="Công an tỉnh", contact_email="ca@example.org"
    )
    client_member = reg.member_create(member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND tỉnh")
    provider = reg.subsystem_create(member=provider_member, code="csdl-dancu", name="CSDL dân cư")
    client = reg.subsystem_create(member=client_member, code="dvc", name="Cổng dịch vụ công")
    other = reg.subsystem_create(member=client_member, code="motcua", name="Một cửa")
    persons = new_service(provider, code="persons", publish_now=True)
    endpoint = reg.endpoint_create(service=persons, method="get", path="/persons")
    forget_pending_publications()
    return SimpleNamespace(provider=provider, client=client, other=other, persons=persons, endpoint=endpoint)


def forget_pending_publications() -> None:
    """The test's transaction never commits: drop the publication setup asked for, so that a test
    sees the one its own change asks for (one per transaction)."""
    transaction.get_connection().run_on_commit.clear()


def new_service(subsystem, *, code="vehicles", publish_now=False, **overrides) -> Service:
    fields = {
        "name": "Tra cứu",
        "upstream_url": "http://10.0.0.5:8080/api",
        "legal_basis": LEGAL_BASIS,
        "data_classification": "personal",
        **overrides,
    }
    return reg.service_create(subsystem=subsystem, code=code, publish_now=publish_now, **fields)


def refused(call, code: str, field: str | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.error_code == code
    if field is not None:
        assert caught.value.field == field
    return caught.value


# --- members, subsystems -----------------------------------------------------------------------


def test_a_member_takes_the_platform_instance_and_is_audited(db, settings):
    settings.CQS_LGSP_INSTANCE = "VN-TEST"

    member = reg.member_create(member_class="GOV", code="000.00.00.H62", name="Công an tỉnh")

    assert member.xroad_id == "VN-TEST/GOV/000.00.00.H62"
    event = AuditEvent.objects.get(action="lgsp.member.create")
    assert event.after == {"id": "VN-TEST/GOV/000.00.00.H62", "name": "Công an tỉnh"}


def test_member_refusals(db):
    reg.member_create(member_class="GOV", code="000.00.00.H62", name="Công an tỉnh")

    refused(lambda: reg.member_create(member_class="XYZ", code="a", name="x"), "invalid_member_class")
    refused(lambda: reg.member_create(member_class="GOV", code="000.00.00.H62", name="x"), "duplicate")
    refused(lambda: reg.member_create(member_class="GOV", code="có dấu", name="x"), "invalid_field", "code")
    assert Member.objects.count() == 1


def test_a_subsystem_code_is_unique_within_its_member(parties):
    member = parties.client.member

    refused(lambda: reg.subsystem_create(member=member, code="dvc", name="x"), "duplicate")
    assert reg.subsystem_create(member=parties.provider.member, code="dvc", name="x").xroad_id.endswith(
        "/dvc"
    )


def test_deactivating_a_subsystem_is_audited_once_and_publishes(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        reg.subsystem_set_active(subsystem=parties.client, active=False)
        reg.subsystem_set_active(subsystem=parties.client, active=False)

    assert AuditEvent.objects.filter(action="lgsp.subsystem.deactivate").count() == 1
    assert len(callbacks) == 1


# --- services ----------------------------------------------------------------------------------


def test_a_new_service_is_a_draft_and_publishes_nothing(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        service = new_service(parties.provider)

    assert service.status == ServiceStatus.DRAFT
    assert callbacks == []
    event = AuditEvent.objects.get(action="lgsp.service.create", object_id=str(service.pk))
    assert event.after["status"] == "draft" and event.after["has_openapi"] is False


def test_publishing_at_creation_makes_a_generation_after_commit(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new_service(parties.provider, publish_now=True)

    generation = GatewayGeneration.objects.get()
    assert generation.services == 2
    assert generation.reason.endswith("/vehicles created")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://10.0.0.5/api",
        "http:///api",
        "http://user:pass@10.0.0.5/api",
        "http://10.0.0.5/api?token=x",
        "http://10.0.0.5/api#top",
        "http://10.0.0.5:99999/api",
        'http://10.0.0.5/a"b',
        "http://10.0.0.5/a|b",
    ],
)
def test_upstream_addresses_the_gateway_cannot_use_are_refused(parties, url):
    refused(lambda: new_service(parties.provider, upstream_url=url), "invalid_upstream_url", "upstream_url")


@pytest.mark.parametrize(
    "overrides,code,field",
    [
        ({"code": "getOpenAPI"}, "reserved_service_code", "code"),
        ({"legal_basis": "  "}, "legal_basis_required", "legal_basis"),
        ({"kind": "GRPC"}, "invalid_kind", "kind"),
        ({"data_classification": "secret"}, "invalid_classification", "data_classification"),
        ({"openapi": {"info": {}}}, "invalid_openapi", "openapi"),
        ({"openapi": ["openapi"]}, "invalid_openapi", "openapi"),
        ({"wsdl": "<html></html>"}, "invalid_wsdl", "wsdl"),
        ({"timeout_ms": 10}, "invalid_field", "timeout_ms"),
        ({"code": "persons"}, "duplicate", None),
    ],
)
def test_service_refusals(parties, overrides, code, field):
    overrides = dict(overrides)
    service_code = overrides.pop("code", "vehicles")

    refused(lambda: new_service(parties.provider, code=service_code, **overrides), code, field)
    assert Service.objects.count() == 1


def test_unknown_service_fields_are_a_programming_error(parties):
    with pytest.raises(TypeError):
        new_service(parties.provider, colour="red")


def test_a_configuration_the_engine_refuses_rolls_the_change_back(parties, monkeypatch):
    def refuse(self, snapshot):
        raise engines.EngineError("cấu hình không hợp lệ")

    monkeypatch.setattr(type(engines.current()), "validate", refuse)

    error = refused(lambda: new_service(parties.provider, publish_now=True), "invalid_gateway_config")

    assert "cấu hình không hợp lệ" in error.detail
    assert not Service.objects.filter(code="vehicles").exists()
    refused(lambda: reg.service_update(service=parties.persons, name="Tên mới"), "invalid_gateway_config")
    assert Service.objects.get(pk=parties.persons.pk).name == "Tra cứu"


def test_updating_a_published_service_is_audited_and_publishes(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        reg.service_update(service=parties.persons, timeout_ms=3000, name="Tra cứu công dân")

    event = AuditEvent.objects.get(action="lgsp.service.update")
    assert (event.before["timeout_ms"], event.after["timeout_ms"]) == (10000, 3000)
    assert len(callbacks) == 1


def test_updating_a_draft_publishes_nothing(parties, django_capture_on_commit_callbacks):
    draft = new_service(parties.provider)

    with django_capture_on_commit_callbacks() as callbacks:
        reg.service_update(service=draft, name="Khác")

    assert callbacks == []


def test_status_changes_are_audited_and_unchanged_status_is_a_no_op(parties):
    reg.service_set_status(service=parties.persons, status=ServiceStatus.RETIRED)
    reg.service_set_status(service=parties.persons, status=ServiceStatus.RETIRED)

    events = AuditEvent.objects.filter(action="lgsp.service.status")
    assert [(e.before, e.after) for e in events] == [({"status": "published"}, {"status": "retired"})]
    refused(lambda: reg.service_set_status(service=parties.persons, status="gone"), "invalid_status")


def test_endpoints_uppercase_their_method_and_refuse_duplicates_and_bad_paths(parties):
    assert parties.endpoint.method == "GET"

    refused(lambda: reg.endpoint_create(service=parties.persons, method="GET", path="/persons"), "duplicate")
    refused(
        lambda: reg.endpoint_create(service=parties.persons, method="GET", path="persons"),
        "invalid_field",
        "path",
    )
    refused(
        lambda: reg.endpoint_create(service=parties.persons, method="FETCH", path="/x"),
        "invalid_field",
        "method",
    )


# --- groups ------------------------------------------------------------------------------------


def test_groups_are_unique_and_membership_changes_are_audited(parties):
    group = reg.group_create(code="nhom-tinh", name="Cấp tỉnh", subsystems=[parties.client])

    reg.group_set_members(group=group, subsystems=[parties.client, parties.other])

    refused(lambda: reg.group_create(code="nhom-tinh", name="Trùng"), "invalid_field", "code")
    event = AuditEvent.objects.get(action="lgsp.group.members")
    assert event.before == {"subsystems": [parties.client.xroad_id]}
    assert event.after == {"subsystems": sorted([parties.client.xroad_id, parties.other.xroad_id])}
    assert ClientGroup.objects.count() == 1


# --- connection requests -----------------------------------------------------------------------


def at(y, m, d, monkeypatch):
    instant = datetime(y, m, d, 10, tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: instant)


@pytest.mark.parametrize(
    "submitted,due",
    [
        ((2026, 3, 10), "2026-03-12"),  # Tuesday → Thursday
        ((2026, 3, 13), "2026-03-17"),  # Friday → Tuesday, over the weekend
        ((2026, 3, 14), "2026-03-17"),  # a Saturday counts from the Monday
        ((2026, 4, 29), "2026-05-05"),  # over 30/4 and 1/5
    ],
)
def test_the_answer_is_due_two_working_days_after_submission(parties, monkeypatch, submitted, due):
    at(*submitted, monkeypatch)

    request = access.request_submit(client=parties.client, service=parties.persons, purpose="Thủ tục")

    assert request.due_on.isoformat() == due
    assert AuditEvent.objects.get(action="lgsp.request.submit").after["due_on"] == due


def test_request_refusals(parties):
    draft = new_service(parties.provider)
    other_endpoint = reg.endpoint_create(service=draft, method="GET", path="/x")

    def submit(**kwargs):
        values = {"client": parties.client, "service": parties.persons, "purpose": "Thủ tục", **kwargs}
        return lambda: access.request_submit(**values)

    refused(submit(service=draft), "service_not_published")
    refused(submit(client=parties.provider), "own_service")
    refused(submit(purpose="  "), "purpose_required", "purpose")
    refused(submit(endpoints=[other_endpoint]), "endpoint_mismatch", "endpoints")
    refused(submit(rate_per_minute=0), "invalid_rate", "rate_per_minute")
    reg.subsystem_set_active(subsystem=parties.other, active=False)
    parties.other.refresh_from_db()
    refused(submit(client=parties.other), "client_inactive", "client")


def test_one_open_request_per_client_and_service(parties):
    first = access.request_submit(client=parties.client, service=parties.persons, purpose="Thủ tục")

    with pytest.raises(Conflict) as caught:
        access.request_submit(client=parties.client, service=parties.persons, purpose="Lần nữa")

    assert caught.value.error_code == "request_pending"
    access.request_withdraw(request=first)
    assert access.request_submit(client=parties.client, service=parties.persons, purpose="Lại").pk != first.pk


def test_approval_grants_each_requested_endpoint_and_publishes(parties, django_capture_on_commit_callbacks):
    search = reg.endpoint_create(service=parties.persons, method="POST", path="/persons/search")
    request = access.request_submit(
        client=parties.client,
        service=parties.persons,
        purpose="Thủ tục",
        endpoints=[parties.endpoint, search],
        rate_per_minute=30,
    )

    with django_capture_on_commit_callbacks() as callbacks:
        decided, grants = access.request_approve(request=request, legal_basis=" Điều 35 ", daily_quota=500)

    assert decided.status == RequestStatus.APPROVED and decided.decision_legal_basis == "Điều 35"
    assert decided.decided_at is not None
    assert sorted(g.endpoint.path for g in grants) == ["/persons", "/persons/search"]
    assert {(g.rate_per_minute, g.daily_quota, g.request_id) for g in grants} == {(30, 500, request.pk)}
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="lgsp.request.approve")
    assert sorted(event.after["grants"]) == sorted(g.pk for g in grants)


def test_approval_of_the_whole_service_makes_one_grant(parties):
    request = access.request_submit(client=parties.client, service=parties.persons, purpose="Thủ tục")

    _decided, grants = access.request_approve(request=request, legal_basis=LEGAL_BASIS)

    assert [g.endpoint for g in grants] == [None]


def test_decisions_need_their_legal_basis_and_a_refusal_its_reason(parties):
    request = access.request_submit(client=parties.client, service=parties.persons, purpose="Thủ tục")

    refused(lambda: access.request_approve(request=request, legal_basis=""), "legal_basis_required")
    refused(
        lambda: access.request_refuse(request=request, legal_basis="", reason="x"), "legal_basis_required"
    )
    refused(lambda: access.request_refuse(request=request, legal_basis="x", reason=" "), "reason_required")
    assert not AccessGrant.objects.exists()


def test_a_decided_request_cannot_be_decided_again(parties):
    request = access.request_submit(client=parties.client, service=parties.persons, purpose="Thủ tục")
    access.request_refuse(request=request, legal_basis="Điều 16 NĐ 194/2025", reason="Hạn chế chia sẻ")

    for call in (
        lambda: access.request_approve(request=request, legal_basis="x"),
        lambda: access.request_refuse(request=request, legal_basis="x", reason="y"),
        lambda: access.request_withdraw(request=request),
    ):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.error_code == "request_not_pending"


# --- grants ------------------------------------------------------------------------------------


def test_grant_refusals(parties):
    group = reg.group_create(code="nhom", name="Nhóm")
    draft = new_service(parties.provider)
    other_endpoint = reg.endpoint_create(service=draft, method="GET", path="/x")

    refused(lambda: access.grant_create(service=parties.persons), "grant_subject")
    refused(
        lambda: access.grant_create(service=parties.persons, client=parties.client, group=group),
        "grant_subject",
    )
    refused(
        lambda: access.grant_create(service=parties.persons, client=parties.client, endpoint=other_endpoint),
        "endpoint_mismatch",
    )
    refused(
        lambda: access.grant_create(service=parties.persons, client=parties.client, daily_quota=0),
        "invalid_limit",
    )


def test_a_grant_is_revoked_once_with_a_reason(parties, django_capture_on_commit_callbacks):
    grant = access.grant_create(service=parties.persons, client=parties.client)
    forget_pending_publications()

    refused(lambda: access.grant_revoke(grant=grant, reason=""), "reason_required")
    with django_capture_on_commit_callbacks() as callbacks:
        access.grant_revoke(grant=grant, reason="Hết nhu cầu")
    with pytest.raises(Conflict):
        access.grant_revoke(grant=grant, reason="Lần nữa")

    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "Hết nhu cầu"
    assert len(callbacks) == 1


# --- credentials -------------------------------------------------------------------------------


def test_an_api_key_is_kept_as_its_hash_and_the_audit_never_holds_it(parties):
    issued = access.api_key_issue(subsystem=parties.client, label="máy chủ 1")

    credential = issued.credential
    assert issued.secret.startswith("lgsp_") and len(issued.secret) > 40
    assert credential.kind == CredentialKind.API_KEY
    assert credential.secret_sha256 == secret_sha256(issued.secret)
    assert credential.prefix == issued.secret[:11]
    event = AuditEvent.objects.get(action="lgsp.credential.issue")
    assert issued.secret not in str(event.after) and credential.secret_sha256 not in str(event.after)


def test_an_oauth_client_has_an_id_and_a_hashed_secret(parties):
    issued = access.oauth_client_issue(subsystem=parties.client)

    credential = issued.credential
    assert credential.client_id.startswith("lgsp-") and credential.prefix == credential.client_id[:16]
    assert credential.secret_sha256 == secret_sha256(issued.secret)
    assert issued.secret not in str(AuditEvent.objects.get(action="lgsp.credential.issue").after)


def test_credentials_are_not_issued_to_an_inactive_subsystem(parties):
    reg.subsystem_set_active(subsystem=parties.client, active=False)
    parties.client.refresh_from_db()

    refused(lambda: access.api_key_issue(subsystem=parties.client), "client_inactive")
    refused(lambda: access.oauth_client_issue(subsystem=parties.client), "client_inactive")


def test_a_credential_is_revoked_once(parties):
    issued = access.api_key_issue(subsystem=parties.client)

    access.credential_revoke(credential=issued.credential)

    with pytest.raises(Conflict) as caught:
        access.credential_revoke(credential=issued.credential)
    assert caught.value.error_code == "already_revoked"
    assert AuditEvent.objects.filter(action="lgsp.credential.revoke").count() == 1


# --- publishing after commit -------------------------------------------------------------------


def test_many_changes_in_one_transaction_publish_once(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        access.grant_create(service=parties.persons, client=parties.client)
        access.api_key_issue(subsystem=parties.client)
        access.oauth_client_issue(subsystem=parties.other)

    assert len(callbacks) == 1
    generation = GatewayGeneration.objects.get()
    assert (generation.grants, generation.credentials) == (1, 2)


def test_a_rolled_back_change_publishes_nothing(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                access.api_key_issue(subsystem=parties.client)
                raise RuntimeError("abort")
        except RuntimeError:
            pass

    assert callbacks == []
    assert not GatewayGeneration.objects.exists()


def test_a_failing_publication_after_commit_does_not_undo_the_change(parties, monkeypatch, caplog):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish, "publish_now", broken)

    with transaction.atomic():
        issued = access.api_key_issue(subsystem=parties.client)
    publish._publish_after_commit("test")

    assert issued.credential.pk is not None
    assert "publishing after a registry change failed" in caplog.text
