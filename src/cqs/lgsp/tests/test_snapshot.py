"""The compiled snapshot: what both gateway engines see of the registry, and publishing it."""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.lgsp import engines, publish
from cqs.lgsp.choices import GenerationStatus, ServiceStatus
from cqs.lgsp.engines.builtin import active_snapshot_path
from cqs.lgsp.models import GatewayGeneration
from cqs.lgsp.services import access, registry
from cqs.lgsp.snapshot import build_snapshot, grant_key, snapshot_sha256

pytestmark = pytest.mark.django_db


def _service(subsystem, code, **fields):
    defaults = {
        "name": f"Dịch vụ {code}",
        "upstream_url": "http://127.0.0.1:9/api",
        "legal_basis": "Nghị định 47/2020/NĐ-CP",
        "data_classification": "shared",
    }
    return registry.service_create(subsystem=subsystem, code=code, publish_now=True, **{**defaults, **fields})


@pytest.fixture
def world():
    province = registry.member_create(member_class="GOV", code="000.00.00.H62", name="UBND tỉnh Vĩnh Phúc")
    police = registry.member_create(member_class="GOV", code="000.00.00.G09", name="Bộ Công an")
    motcua = registry.subsystem_create(member=province, code="MOTCUA", name="Một cửa")
    vanban = registry.subsystem_create(member=province, code="VANBAN", name="Văn bản")
    dancu = registry.subsystem_create(member=police, code="DANCU", name="CSDL dân cư")
    lookup = _service(dancu, "tra-cuu", default_rate_per_minute=100)
    persons = registry.endpoint_create(service=lookup, method="GET", path="/persons")
    health = registry.endpoint_create(service=lookup, method="*", path="/health")
    return type("World", (), locals())


def test_ids_are_x_road_identifiers(world):
    assert world.motcua.xroad_id == "XROADVN/GOV/000.00.00.H62/MOTCUA"
    assert world.lookup.xroad_id == "XROADVN/GOV/000.00.00.G09/DANCU/tra-cuu"


def test_a_published_service_is_in_the_snapshot_with_its_upstream_and_timeout(world):
    snapshot = build_snapshot()

    assert snapshot["services"] == {
        world.lookup.xroad_id: {"upstream": "http://127.0.0.1:9/api", "timeout_ms": 10_000, "kind": "REST"}
    }
    assert snapshot["instance"] == "XROADVN"
    assert sorted(snapshot["subsystems"]) == sorted(
        [world.motcua.xroad_id, world.vanban.xroad_id, world.dancu.xroad_id]
    )
    assert snapshot["jwt"]["alg"] == "ES256"
    assert "BEGIN PUBLIC KEY" in snapshot["jwt"]["public_key_pem"]


def test_draft_and_retired_services_and_inactive_providers_are_left_out(world):
    draft = registry.service_create(
        subsystem=world.dancu,
        code="nhap",
        name="Nháp",
        upstream_url="http://127.0.0.1:9/",
        legal_basis="NĐ 47",
        data_classification="open",
    )
    assert draft.xroad_id not in build_snapshot()["services"]

    registry.service_set_status(service=world.lookup, status=ServiceStatus.RETIRED)
    assert build_snapshot()["services"] == {}

    registry.service_set_status(service=world.lookup, status=ServiceStatus.PUBLISHED)
    registry.subsystem_set_active(subsystem=world.dancu, active=False)
    assert build_snapshot()["services"] == {}


def test_api_keys_appear_as_their_sha256_and_leave_when_revoked_or_expired(world):
    issued = access.api_key_issue(subsystem=world.motcua)
    expired = access.api_key_issue(
        subsystem=world.vanban, expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    keys = build_snapshot()["api_keys"]
    assert keys == {
        access.secret_sha256(issued.secret): {
            "credential": issued.credential.pk,
            "client": world.motcua.xroad_id,
        }
    }
    assert access.secret_sha256(expired.secret) not in keys
    assert issued.secret not in json.dumps(build_snapshot())

    access.credential_revoke(credential=issued.credential)
    assert build_snapshot()["api_keys"] == {}


def test_oauth_clients_are_keyed_by_credential_id(world):
    issued = access.oauth_client_issue(subsystem=world.vanban)

    snapshot = build_snapshot()

    assert snapshot["oauth_clients"] == {str(issued.credential.pk): world.vanban.xroad_id}
    assert snapshot["api_keys"] == {}


def test_grants_merge_per_client_and_service(world):
    key = grant_key(world.motcua.xroad_id, world.lookup.xroad_id)
    access.grant_create(service=world.lookup, client=world.motcua, endpoint=world.persons, daily_quota=50)
    access.grant_create(service=world.lookup, client=world.motcua, endpoint=world.health, rate_per_minute=300)

    entry = build_snapshot()["grants"][key]
    # endpoint grants add up, the highest rate wins, and any quota counts until one grant has none
    assert entry == {
        "rate_per_minute": 300,
        "daily_quota": None,
        "endpoints": [["*", "/health"], ["GET", "/persons"]],
    }

    access.grant_create(service=world.lookup, client=world.motcua)
    assert build_snapshot()["grants"][key]["endpoints"] is None


def test_a_group_grant_reaches_every_member_and_follows_membership(world):
    group = registry.group_create(code="tinh", name="Hệ thống của tỉnh", subsystems=[world.motcua])
    access.grant_create(service=world.lookup, group=group, rate_per_minute=5)

    grants = build_snapshot()["grants"]
    assert set(grants) == {grant_key(world.motcua.xroad_id, world.lookup.xroad_id)}
    assert grants[grant_key(world.motcua.xroad_id, world.lookup.xroad_id)]["rate_per_minute"] == 5

    registry.group_set_members(group=group, subsystems=[world.motcua, world.vanban])
    assert grant_key(world.vanban.xroad_id, world.lookup.xroad_id) in build_snapshot()["grants"]


def test_revoked_grants_are_left_out(world):
    grant = access.grant_create(service=world.lookup, client=world.vanban)

    access.grant_revoke(grant=grant, reason="Hết nhu cầu")

    assert build_snapshot()["grants"] == {}


def test_the_snapshot_is_deterministic(world):
    access.grant_create(service=world.lookup, client=world.vanban)
    assert snapshot_sha256(build_snapshot()) == snapshot_sha256(build_snapshot())


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_committed_change_publishes_one_generation_and_the_proxy_file(world):
    before = GatewayGeneration.objects.count()

    with transaction.atomic():
        access.grant_create(service=world.lookup, client=world.vanban)
        access.api_key_issue(subsystem=world.vanban)

    assert GatewayGeneration.objects.count() == before + 1
    active = GatewayGeneration.objects.get(status=GenerationStatus.ACTIVE)
    assert active.engine == "builtin"
    assert active.grants == 1
    assert active.credentials == 1
    written = json.loads(active_snapshot_path().read_text())
    assert snapshot_sha256(written) == active.snapshot_sha256
    assert GatewayGeneration.objects.filter(status=GenerationStatus.ACTIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_publishes_nothing(world):
    before = GatewayGeneration.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        access.grant_create(service=world.lookup, client=world.vanban)
        raise RuntimeError("boom")

    assert GatewayGeneration.objects.count() == before
    # and the next change still publishes (the rolled-back callback left nothing behind)
    access.grant_create(service=world.lookup, client=world.vanban)
    assert GatewayGeneration.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_publishing_the_same_registry_twice_is_a_no_op(world):
    publish.publish_now(reason="first")
    count = GatewayGeneration.objects.count()

    assert publish.publish_now(reason="again") is None
    assert GatewayGeneration.objects.count() == count
    assert publish.publish_now(reason="forced", force=True).status == GenerationStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_change_the_engine_rejects_is_refused_and_nothing_changes(world, monkeypatch):
    class Rejecting:
        name = "builtin"

        def validate(self, snapshot):
            raise engines.EngineError("backend tra-cuu: cannot resolve host")

        def apply(self, directory, snapshot):  # pragma: no cover - never reached
            raise AssertionError

    monkeypatch.setattr(engines, "current", Rejecting)
    generations = GatewayGeneration.objects.count()

    with pytest.raises(ServiceError) as refused:
        registry.service_update(service=world.lookup, upstream_url="http://10.0.0.9:8080/")

    assert refused.value.error_code == "invalid_gateway_config"
    assert "cannot resolve host" in refused.value.detail
    world.lookup.refresh_from_db()
    assert world.lookup.upstream_url == "http://127.0.0.1:9/api"
    assert GatewayGeneration.objects.count() == generations


@pytest.mark.django_db(transaction=True)
def test_a_failed_apply_is_recorded_and_the_previous_generation_stays_active(world, monkeypatch):
    publish.publish_now(reason="baseline", force=True)
    active = GatewayGeneration.objects.get(status=GenerationStatus.ACTIVE)

    class FailingReload:
        name = "builtin"

        def validate(self, snapshot):
            pass

        def apply(self, directory, snapshot):
            raise engines.EngineError("new workers did not start", rolled_back=True)

    monkeypatch.setattr(engines, "current", FailingReload)
    generation = publish.publish_now(reason="broken", force=True)

    assert generation.status == GenerationStatus.ROLLED_BACK
    assert generation.error == "new workers did not start"
    assert GatewayGeneration.objects.get(status=GenerationStatus.ACTIVE) == active


def test_upstream_urls_the_gateway_cannot_use_are_refused(world):
    for url in (
        "ftp://127.0.0.1/x",
        "http://user:pw@127.0.0.1/",
        "http://127.0.0.1:8080/api?x=1",
        "http://127.0.0.1:99999/",
    ):
        with pytest.raises(ServiceError) as refused:
            registry.service_update(service=world.lookup, upstream_url=url)
        assert refused.value.error_code in {"invalid_upstream_url", "invalid_field"}, url


def test_metaservice_names_cannot_be_service_codes(world):
    with pytest.raises(ServiceError) as refused:
        _service(world.dancu, "listMethods")
    assert refused.value.error_code == "reserved_service_code"
