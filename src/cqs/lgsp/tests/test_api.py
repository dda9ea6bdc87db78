"""The LGSP API: catalogue for every signed-in user, unit-scoped writes, secrets shown once."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from cqs.audit.models import AuditEvent
from cqs.lgsp import publish
from cqs.lgsp.choices import GenerationStatus, RequestStatus, ServiceStatus
from cqs.lgsp.models import AccessGrant, ConnectionRequest, Credential, GatewayGeneration, Service
from cqs.lgsp.services import access
from cqs.lgsp.services.access import secret_sha256
from cqs.lgsp.snapshot import build_snapshot, grant_key
from cqs.lgsp.tests.api_world import LEGAL_BASIS, build_world

pytestmark = pytest.mark.django_db
API = "/api/v1/lgsp/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


def submitted(world, **kwargs) -> ConnectionRequest:
    return access.request_submit(
        client=world.client, service=world.persons, purpose="Giải quyết thủ tục hành chính", **kwargs
    )


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "members/"),
        ("get", "services/"),
        ("post", "services/"),
        ("get", "requests/"),
        ("post", "requests/"),
        ("get", "grants/"),
        ("get", "credentials/"),
        ("post", "credentials/"),
        ("get", "gateway/status/"),
        ("post", "gateway/publish/"),
    ],
)
def test_anonymous_callers_get_401_with_a_challenge(world, method, path):
    response = getattr(APIClient(), method)(f"{API}{path}", {}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"]


# --- catalogue ---------------------------------------------------------------------------------


def test_any_signed_in_user_reads_the_published_catalogue_without_internal_addresses(world):
    response = as_user(world.citizen).get(f"{API}services/")

    assert response.status_code == 200
    codes = [row["code"] for row in response.json()["results"]]
    assert codes == ["persons", "beds"]  # the draft is the provider's own business
    detail = as_user(world.citizen).get(f"{API}services/{world.persons.pk}/").json()
    assert detail["xroad_id"] == "XROADVN/GOV/000.00.00.H62/csdl-dancu/persons"
    assert detail["gateway_path"] == "/r1/XROADVN/GOV/000.00.00.H62/csdl-dancu/persons"
    assert detail["upstream_url"] is None
    assert detail["endpoints"] == [
        {"id": world.get_persons.pk, "method": "GET", "path": "/persons", "description": ""}
    ]
    assert detail["has_openapi"] is True


def test_the_provider_sees_its_drafts_and_its_upstream_address(world):
    client = as_user(world.provider_admin)

    codes = [row["code"] for row in client.get(f"{API}services/").json()["results"]]
    detail = client.get(f"{API}services/{world.draft.pk}/").json()

    assert "households" in codes
    assert detail["status"] == "draft"
    assert detail["upstream_url"] == "http://127.0.0.1:9"


def test_a_draft_of_another_provider_is_not_found(world):
    assert_problem(as_user(world.health_admin).get(f"{API}services/{world.draft.pk}/"), 404, "not_found")


def test_catalogue_filters_by_words_member_and_classification(world):
    client = as_user(world.citizen)

    def codes(**params):
        return [row["code"] for row in client.get(f"{API}services/", params).json()["results"]]

    assert codes(q="công dân") == ["persons"]
    assert codes(q="giường") == ["beds"]
    assert codes(member=world.health_member.pk) == ["beds"]
    assert codes(classification="open") == ["beds"]
    assert codes(q="không có gì như vậy") == []


def test_the_service_list_query_count_does_not_grow_with_the_services(world, django_assert_max_num_queries):
    from cqs.lgsp.services import registry as reg

    for number in range(10):
        reg.service_create(
            subsystem=world.provider,
            code=f"extra-{number}",
            name=f"Dịch vụ {number}",
            upstream_url="http://127.0.0.1:9",
            legal_basis=LEGAL_BASIS,
            data_classification="open",
            publish_now=True,
        )
    client = as_user(world.provider_admin)
    client.get(f"{API}services/")  # session and permission caches warm

    with django_assert_max_num_queries(8):
        response = client.get(f"{API}services/")

    assert response.json()["count"] == 13


def test_openapi_document_is_served_as_registered(world):
    response = as_user(world.citizen).get(f"{API}services/{world.persons.pk}/openapi")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Công dân"
    assert_problem(as_user(world.citizen).get(f"{API}services/{world.beds.pk}/openapi"), 404, "not_found")


def test_members_subsystems_and_code_lists(world):
    from cqs.lgsp.models import CodeList, CodeListItem

    code_list = CodeList.objects.create(
        code="dan-toc", name="Danh mục dân tộc", kind="code_list", owner=world.national
    )
    CodeListItem.objects.create(code_list=code_list, code="01", name="Kinh")
    client = as_user(world.citizen)

    members = client.get(f"{API}members/").json()["results"]
    subsystems = client.get(f"{API}subsystems/", {"member": world.client_member.pk}).json()["results"]
    lists = client.get(f"{API}codelists/").json()["results"]
    detail = client.get(f"{API}codelists/dan-toc/").json()

    assert {m["code"] for m in members} == {
        "000.00.00.H62",
        "000.00.01.H62",
        "000.00.02.H62",
        "000.00.00.G22",
    }
    police = next(m for m in members if m["code"] == "000.00.00.H62")
    assert police["unit"] == {"id": world.police.pk, "name": "Công an tỉnh"}
    assert [s["xroad_id"] for s in subsystems] == ["XROADVN/GOV/000.00.01.H62/dvc"]
    assert [c["code"] for c in lists] == ["dan-toc"]
    assert detail["items"][0] == {
        "code": "01",
        "name": "Kinh",
        "parent_code": "",
        "valid_from": None,
        "valid_to": None,
    }


# --- registry writes ---------------------------------------------------------------------------


def service_body(world, **overrides) -> dict:
    body = {
        "subsystem": world.provider.pk,
        "code": "vehicles",
        "name": "Tra cứu phương tiện",
        "upstream_url": "http://10.0.0.5:8080/api",
        "legal_basis": LEGAL_BASIS,
        "data_classification": "shared",
    }
    return {**body, **overrides}


def test_a_provider_registers_a_service_of_its_own_unit(world):
    response = as_user(world.provider_admin).post(f"{API}services/", service_body(world), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["upstream_url"] == "http://10.0.0.5:8080/api"
    assert AuditEvent.objects.filter(action="lgsp.service.create").count() == 4  # 3 in the world


def test_a_provider_may_not_register_a_service_for_another_unit(world):
    response = as_user(world.health_admin).post(f"{API}services/", service_body(world), format="json")

    assert_problem(response, 403, "permission_denied")
    assert not Service.objects.filter(code="vehicles").exists()


def test_the_operator_registers_for_a_member_outside_the_province(world):
    body = service_body(world, subsystem=world.national_sub.pk, publish=True)

    response = as_user(world.operator).post(f"{API}services/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "published"
    refused = as_user(world.provider_admin).post(f"{API}services/", {**body, "code": "x"}, format="json")
    assert_problem(refused, 403, "permission_denied")


def test_service_rules_come_back_as_problems(world):
    client = as_user(world.provider_admin)

    no_basis = client.post(f"{API}services/", service_body(world, legal_basis=" "), format="json")
    bad_url = client.post(f"{API}services/", service_body(world, upstream_url="ftp://x"), format="json")
    reserved = client.post(f"{API}services/", service_body(world, code="listMethods"), format="json")
    duplicate = client.post(f"{API}services/", service_body(world, code="persons"), format="json")

    assert assert_problem(no_basis, 400, "legal_basis_required")["errors"] == {"legal_basis": [_any()]}
    assert_problem(bad_url, 400, "invalid_upstream_url")
    assert_problem(reserved, 400, "reserved_service_code")
    assert_problem(duplicate, 400, "duplicate")


class _any:
    def __eq__(self, other):
        return True


def test_update_publish_and_retire_by_the_provider(world):
    client = as_user(world.provider_admin)

    updated = client.patch(f"{API}services/{world.draft.pk}/", {"name": "Hộ gia đình"}, format="json")
    published = client.post(f"{API}services/{world.draft.pk}/publish/")
    retired = client.post(f"{API}services/{world.draft.pk}/retire/")

    assert updated.status_code == 200 and updated.json()["name"] == "Hộ gia đình"
    assert published.json()["status"] == "published"
    assert retired.json()["status"] == "retired"
    assert Service.objects.get(pk=world.draft.pk).status == ServiceStatus.RETIRED


def test_another_unit_may_neither_update_nor_retire_a_published_service(world):
    client = as_user(world.health_admin)

    assert_problem(
        client.patch(f"{API}services/{world.persons.pk}/", {"name": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(client.post(f"{API}services/{world.persons.pk}/retire/"), 403, "permission_denied")
    assert Service.objects.get(pk=world.persons.pk).status == ServiceStatus.PUBLISHED


def test_endpoints_are_added_by_the_provider_only(world):
    body = {"method": "post", "path": "/persons/search"}

    created = as_user(world.provider_admin).post(
        f"{API}services/{world.persons.pk}/endpoints/", body, format="json"
    )
    refused = as_user(world.client_admin).post(
        f"{API}services/{world.persons.pk}/endpoints/", body, format="json"
    )
    invalid = as_user(world.provider_admin).post(
        f"{API}services/{world.persons.pk}/endpoints/", {"method": "GET", "path": "no-slash"}, format="json"
    )

    assert created.status_code == 201 and created.json()["method"] == "POST"
    assert_problem(refused, 403, "permission_denied")
    assert_problem(invalid, 400, "invalid_field")


# --- connection requests -----------------------------------------------------------------------


def test_a_client_unit_submits_a_request_with_its_deadline(world):
    body = {
        "client": world.client.pk,
        "service": world.persons.pk,
        "purpose": "Giải quyết thủ tục hành chính",
        "endpoints": [world.get_persons.pk],
    }

    response = as_user(world.client_admin).post(f"{API}requests/", body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "pending" and created["overdue"] is False
    assert created["client"]["xroad_id"] == "XROADVN/GOV/000.00.01.H62/dvc"
    assert [e["path"] for e in created["endpoints"]] == ["/persons"]
    assert created["due_on"] == ConnectionRequest.objects.get().due_on.isoformat()
    again = as_user(world.client_admin).post(f"{API}requests/", body, format="json")
    assert_problem(again, 409, "request_pending")


def test_a_unit_may_not_submit_for_a_subsystem_of_another_unit(world):
    body = {"client": world.client.pk, "service": world.beds.pk, "purpose": "x"}

    assert_problem(
        as_user(world.health_admin).post(f"{API}requests/", body, format="json"), 403, "permission_denied"
    )
    assert not ConnectionRequest.objects.exists()


def test_a_draft_service_cannot_be_requested(world):
    body = {"client": world.client.pk, "service": world.draft.pk, "purpose": "x"}

    assert_problem(
        as_user(world.client_admin).post(f"{API}requests/", body, format="json"), 400, "unknown_service"
    )


def test_request_lists_by_side(world):
    request = submitted(world)

    client_side = as_user(world.client_admin).get(f"{API}requests/", {"side": "client"}).json()["results"]
    provider_side = (
        as_user(world.provider_admin).get(f"{API}requests/", {"side": "provider"}).json()["results"]
    )
    stranger = as_user(world.health_admin).get(f"{API}requests/").json()["results"]

    assert [r["id"] for r in client_side] == [request.pk]
    assert [r["id"] for r in provider_side] == [request.pk]
    assert stranger == []
    assert_problem(as_user(world.health_admin).get(f"{API}requests/{request.pk}/"), 404, "not_found")


def test_the_provider_approves_and_the_gateway_gets_the_grant(world):
    request = submitted(world, endpoints=[world.get_persons])

    response = as_user(world.provider_admin).post(
        f"{API}requests/{request.pk}/approve/",
        {"legal_basis": "Điều 35 Nghị định 47/2020/NĐ-CP", "daily_quota": 1000},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    grant = AccessGrant.objects.get(request=request)
    assert (grant.endpoint, grant.daily_quota) == (world.get_persons, 1000)
    entry = build_snapshot()["grants"][grant_key(world.client.xroad_id, world.persons.xroad_id)]
    assert entry["endpoints"] == [["GET", "/persons"]]


def test_only_the_provider_decides_not_the_client_nor_another_unit(world):
    request = submitted(world)
    body = {"legal_basis": "x", "reason": "y"}

    assert_problem(
        as_user(world.client_admin).post(f"{API}requests/{request.pk}/approve/", body, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(world.health_admin).post(f"{API}requests/{request.pk}/refuse/", body, format="json"),
        404,
        "not_found",
    )
    assert ConnectionRequest.objects.get().status == RequestStatus.PENDING


def test_a_refusal_needs_its_legal_basis_and_reason(world):
    request = submitted(world)
    client = as_user(world.provider_admin)

    missing = client.post(
        f"{API}requests/{request.pk}/refuse/", {"legal_basis": "", "reason": "x"}, format="json"
    )
    refused = client.post(
        f"{API}requests/{request.pk}/refuse/",
        {"legal_basis": "Khoản 2 Điều 16 Nghị định 194/2025/NĐ-CP", "reason": "Dữ liệu hạn chế chia sẻ"},
        format="json",
    )
    twice = client.post(
        f"{API}requests/{request.pk}/refuse/", {"legal_basis": "x", "reason": "y"}, format="json"
    )

    assert_problem(missing, 400, "legal_basis_required")
    assert refused.json()["status"] == "refused"
    assert refused.json()["decision_note"] == "Dữ liệu hạn chế chia sẻ"
    assert_problem(twice, 409, "request_not_pending")


def test_the_client_withdraws_and_the_provider_may_not(world):
    request = submitted(world)

    refused = as_user(world.provider_admin).post(f"{API}requests/{request.pk}/withdraw/")
    withdrawn = as_user(world.client_admin).post(f"{API}requests/{request.pk}/withdraw/")

    assert_problem(refused, 403, "permission_denied")
    assert withdrawn.json()["status"] == "withdrawn"


# --- grants ------------------------------------------------------------------------------------


def test_the_provider_grants_and_revokes_directly(world):
    client = as_user(world.provider_admin)

    created = client.post(
        f"{API}grants/",
        {"service": world.persons.pk, "client": world.health_sub.pk, "rate_per_minute": 60},
        format="json",
    )
    grant_id = created.json()["id"]
    no_reason = client.post(f"{API}grants/{grant_id}/revoke/", {}, format="json")
    revoked = client.post(f"{API}grants/{grant_id}/revoke/", {"reason": "Hết nhu cầu"}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["client"]["xroad_id"] == world.health_sub.xroad_id
    assert_problem(no_reason, 400, "reason_required")
    assert revoked.json()["active"] is False
    assert grant_key(world.health_sub.xroad_id, world.persons.xroad_id) not in build_snapshot()["grants"]


def test_grants_are_refused_on_services_of_another_unit(world):
    body = {"service": world.persons.pk, "client": world.health_sub.pk}

    assert_problem(
        as_user(world.health_admin).post(f"{API}grants/", body, format="json"), 403, "permission_denied"
    )
    assert_problem(
        as_user(world.client_admin).post(f"{API}grants/", body, format="json"), 403, "permission_denied"
    )


def test_grant_lists_show_both_sides_and_nothing_else(world):
    grant = access.grant_create(service=world.persons, client=world.client)
    other = access.grant_create(service=world.beds, client=world.national_sub)

    def ids(user, **params):
        return [g["id"] for g in as_user(user).get(f"{API}grants/", params).json()["results"]]

    assert ids(world.provider_admin) == [grant.pk]
    assert ids(world.client_admin) == [grant.pk]
    assert ids(world.health_admin) == [other.pk]
    assert set(ids(world.operator)) == {grant.pk, other.pk}
    assert ids(world.operator, service=world.beds.pk) == [other.pk]
    assert_problem(
        as_user(world.health_admin).post(f"{API}grants/{grant.pk}/revoke/", {"reason": "x"}, format="json"),
        404,
        "not_found",
    )


# --- credentials -------------------------------------------------------------------------------


def test_an_api_key_is_shown_once_and_only_its_hash_is_kept(world):
    client = as_user(world.client_admin)

    response = client.post(
        f"{API}credentials/",
        {"subsystem": world.client.pk, "kind": "api_key", "label": "máy chủ 1"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    secret = body["secret"]
    credential = Credential.objects.get(pk=body["id"])
    assert credential.secret_sha256 == secret_sha256(secret)
    assert body["token_url"] is None
    listed = client.get(f"{API}credentials/").content.decode()
    assert secret not in listed and credential.secret_sha256 not in listed
    assert json.loads(listed)["results"][0]["prefix"] == secret[:11]


def test_an_oauth_client_gets_its_secret_and_the_token_url(world):
    response = as_user(world.client_admin).post(
        f"{API}credentials/", {"subsystem": world.client.pk, "kind": "oauth_client"}, format="json"
    )

    body = response.json()
    assert body["client_id"].startswith("lgsp-")
    assert body["token_url"] == "http://testserver/api/v1/lgsp/oauth/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["secret"],
    }
    token = APIClient().post(
        "/api/v1/lgsp/oauth/token", urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert token.status_code == 200


def test_credentials_for_another_unit_are_refused_and_invisible(world):
    issued = access.api_key_issue(subsystem=world.client)
    stranger = as_user(world.health_admin)

    create = stranger.post(
        f"{API}credentials/", {"subsystem": world.client.pk, "kind": "api_key"}, format="json"
    )
    listed = stranger.get(f"{API}credentials/").json()["results"]
    revoke = stranger.post(f"{API}credentials/{issued.credential.pk}/revoke/")

    assert_problem(create, 403, "permission_denied")
    assert listed == []
    assert_problem(revoke, 404, "not_found")


def test_revoking_a_credential_drops_it_from_the_next_generation(world):
    issued = access.api_key_issue(subsystem=world.client)
    assert secret_sha256(issued.secret) in build_snapshot()["api_keys"]

    response = as_user(world.client_admin).post(f"{API}credentials/{issued.credential.pk}/revoke/")
    again = as_user(world.client_admin).post(f"{API}credentials/{issued.credential.pk}/revoke/")

    assert response.json()["live"] is False
    assert secret_sha256(issued.secret) not in build_snapshot()["api_keys"]
    assert_problem(again, 409, "already_revoked")


def test_an_unknown_credential_kind_is_refused(world):
    response = as_user(world.client_admin).post(
        f"{API}credentials/", {"subsystem": world.client.pk, "kind": "password"}, format="json"
    )

    assert_problem(response, 400, "invalid_kind")


# --- gateway -----------------------------------------------------------------------------------


def test_the_operator_publishes_and_reads_the_status(world):
    client = as_user(world.operator)

    first = client.post(f"{API}gateway/publish/")
    second = client.post(f"{API}gateway/publish/")
    status = client.get(f"{API}gateway/status/").json()
    generations = client.get(f"{API}gateway/generations/").json()["results"]

    assert first.status_code == 200
    assert first.json()["changed"] is True and first.json()["generation"]["status"] == "active"
    assert second.json() == {"changed": False, "generation": None}
    assert status["engine"] == "builtin"
    assert status["active"]["number"] == first.json()["generation"]["number"]
    assert status["errors"] == []
    assert [g["number"] for g in generations] == [first.json()["generation"]["number"]]


def test_failed_generations_show_in_the_status(world, monkeypatch):
    from cqs.lgsp import engines

    publish.publish_now(reason="test")
    engine = engines.current()

    def refuse(directory, snapshot):
        raise engines.EngineError("cấu hình hỏng", rolled_back=True)

    monkeypatch.setattr(type(engine), "apply", lambda self, directory, snapshot: refuse(directory, snapshot))
    access.api_key_issue(subsystem=world.client)  # a change, so that a new generation is made
    failed = publish.publish_now(reason="test")

    status = as_user(world.operator).get(f"{API}gateway/status/").json()

    assert failed.status == GenerationStatus.ROLLED_BACK
    assert status["latest"]["number"] == failed.number
    assert [e["error"] for e in status["errors"]] == ["cấu hình hỏng"]
    assert status["active"]["number"] == failed.number - 1


def test_providers_and_clients_may_not_operate_the_gateway(world):
    for user in (world.provider_admin, world.client_admin, world.citizen):
        assert_problem(as_user(user).post(f"{API}gateway/publish/"), 403, "permission_denied")
        assert_problem(as_user(user).get(f"{API}gateway/status/"), 403, "permission_denied")
        assert_problem(as_user(user).get(f"{API}gateway/generations/"), 403, "permission_denied")
    assert not GatewayGeneration.objects.filter(reason__startswith="manual").exists()


# --- query counts ------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["requests/", "grants/", "credentials/"])
def test_list_query_counts_do_not_grow_with_the_rows(world, path):
    from cqs.lgsp.services import registry as reg

    user = world.operator
    client = as_user(user)
    client.get(f"{API}{path}")  # session and permission caches warm

    def add_row(number):
        subsystem = reg.subsystem_create(
            member=world.client_member, code=f"he-thong-{number}", name="Hệ thống"
        )
        access.request_submit(client=subsystem, service=world.persons, purpose="Thủ tục")
        access.grant_create(service=world.beds, client=subsystem, endpoint=None)
        access.api_key_issue(subsystem=subsystem)

    add_row(0)
    one = _queries(client, f"{API}{path}")
    for number in range(1, 6):
        add_row(number)

    assert _queries(client, f"{API}{path}") == one
