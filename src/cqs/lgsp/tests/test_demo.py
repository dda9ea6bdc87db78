"""The LGSP demo on the real demo tree and plan (cqs.orgs.demo, cqs.plans.demo): loaded twice.

The tree and the plan take seconds to load, so the module loads everything once inside a
transaction rolled back at the end, in its own CQS_LGSP_DIR (the history file must not reach
other tests' ingestion); each test reads the result.
"""

import json
import stat
import tempfile
import time
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cqs.lgsp import demo, outbound
from cqs.lgsp.choices import RequestStatus, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    ClientGroup,
    ConnectionRequest,
    Credential,
    Endpoint,
    Member,
    Service,
    Subsystem,
    UsageDaily,
)
from cqs.lgsp.snapshot import build_snapshot

pytestmark = pytest.mark.django_db

COMMON_LOG_FIELDS = {
    "ts",
    "engine",
    "request_id",
    "client",
    "service",
    "method",
    "status",
    "error",
    "latency_ms",
    "bytes_in",
    "bytes_out",
    "request_hash",
    "response_hash",
    "hash_complete",
}


def counts() -> dict:
    models = (Member, Subsystem, Service, Endpoint, AccessGrant, ClientGroup, ConnectionRequest, Credential)
    result = {model.__name__: model.objects.count() for model in models}
    result["calls"] = sum(UsageDaily.objects.values_list("calls", flat=True))
    return result


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    from cqs.orgs import demo as orgs_demo
    from cqs.plans import demo as plans_demo

    lines: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="cqs-lgsp-demo-test-"))
    with (
        override_settings(CQS_LGSP_DIR=directory, CQS_LGSP_PLATFORM_KEY="", CQS_LGSP_ENGINE="builtin"),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        orgs_demo.load_demo(log=lambda line: None)
        plans_demo.load_demo(log=lambda line: None)
        started = time.monotonic()
        demo.load_demo(log=lines.append)
        seconds = time.monotonic() - started
        first = counts()
        again_lines: list[str] = []
        demo.load_demo(log=again_lines.append)
        yield {
            "lines": lines,
            "again_lines": again_lines,
            "seconds": seconds,
            "first": first,
            "again": counts(),
            "dir": directory,
            "snapshot": build_snapshot(),
        }
        transaction.set_rollback(True)


def test_the_load_is_fast_and_a_second_one_adds_nothing(loaded):
    assert loaded["seconds"] < 15  # about 4 s on SQLite on the development machine
    assert loaded["first"] == loaded["again"]
    assert loaded["first"]["calls"] == demo.HISTORY_CALLS
    assert "không có gì mới" in loaded["again_lines"][0]


def test_every_unit_in_force_with_an_identifier_is_a_member_and_so_is_the_former_province(loaded):
    from cqs.orgs.models import OrgUnit

    today = timezone.localdate()
    identifiers = set(
        OrgUnit.objects.as_of(today).exclude(identifier="").values_list("identifier", flat=True)
    )
    members = set(Member.objects.values_list("code", flat=True))

    assert identifiers <= members
    assert {"000.00.00.H62", "000.00.00.G22", "000.00.00.G01", "000.00.00.G12", "000.00.00.G06"} <= members
    assert Member.objects.get(code="000.00.00.H62").unit.valid_to is not None


def test_the_42_systems_of_the_plan_are_subsystems_and_the_platform_has_its_own(loaded):
    systems = Subsystem.objects.filter(information_system__isnull=False)

    assert systems.count() == 42
    assert set(systems.values_list("code", flat=True)) == {f"HT{n:02d}" for n in range(1, 43)}
    codes = set(Subsystem.objects.values_list("code", flat=True))
    assert {"MOTCUA", "VANBAN", "BAOCAO", "CQS", "DVCQG", "VDXP", "RIS", "DANCU", "NDXP"} <= codes


def test_services_are_published_with_openapi_documents_and_endpoints(loaded):
    published = Service.objects.filter(status=ServiceStatus.PUBLISHED)

    assert set(published.values_list("code", flat=True)) == {
        "tra-cuu-cong-dan",
        "doanh-nghiep",
        "dvcqg",
        "vdxp",
        "ris",
        "tra-cuu-ho-so",
        "thu-tuc-hanh-chinh",
    }
    assert Service.objects.get(code="ho-so-can-bo").status == ServiceStatus.DRAFT
    for service in Service.objects.all():
        document = service.openapi
        assert document["openapi"].startswith("3.0.")
        assert document["info"]["title"] and document["info"]["version"]
        for path, operations in document["paths"].items():
            assert path.startswith("/")
            for method, operation in operations.items():
                assert method in {"get", "post", "put", "patch", "delete"}
                assert operation["operationId"] and "200" in operation["responses"]
        if service.status == ServiceStatus.PUBLISHED:
            assert service.endpoints.exists(), service.code


def test_the_snapshot_lets_the_platform_call_the_national_systems(loaded):
    snapshot = loaded["snapshot"]
    platform = Subsystem.objects.get(code="CQS").xroad_id
    national = {code: Service.objects.get(code=code).xroad_id for code in ("dvcqg", "vdxp", "ris")}

    for service_id in national.values():
        assert f"{platform}|{service_id}" in snapshot["grants"]
        assert service_id in snapshot["services"]
    certification = Subsystem.objects.get(code="HT33").xroad_id
    lookup = Service.objects.get(code="tra-cuu-cong-dan").xroad_id
    assert snapshot["grants"][f"{certification}|{lookup}"]["endpoints"] == [["POST", "/congdan/tra-cuu"]]
    group_member = Subsystem.objects.get(code="HT17").xroad_id
    business = Service.objects.get(code="doanh-nghiep").xroad_id
    assert snapshot["grants"][f"{group_member}|{business}"]["daily_quota"] == 1000


def test_requests_pending_overdue_refused_and_approved(loaded):
    today = timezone.localdate()
    requests = ConnectionRequest.objects.all()
    pending = requests.filter(status=RequestStatus.PENDING)

    assert pending.filter(due_on__lt=today).count() == 1
    assert pending.filter(due_on__gte=today).count() == 1
    refused = requests.get(status=RequestStatus.REFUSED)
    assert refused.decision_legal_basis and refused.decision_note
    approved = requests.get(status=RequestStatus.APPROVED)
    assert approved.grants.filter(revoked_at__isnull=True).count() == 1


def test_the_platform_key_is_written_privately_and_routes_through_the_gateway(loaded, settings):
    settings.CQS_LGSP_DIR = loaded["dir"]
    settings.CQS_LGSP_PLATFORM_KEY = ""
    settings.CQS_LGSP_ROUTE = ["vdxp"]
    settings.CQS_LGSP_GATEWAY_URL = "http://127.0.0.1:8200"
    path = outbound.key_file()

    base, headers = outbound.route("vdxp", "http://127.0.0.1:8105")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base == "http://127.0.0.1:8200/r1/" + Service.objects.get(code="vdxp").xroad_id
    assert headers["X-Road-Client"] == Subsystem.objects.get(code="CQS").xroad_id
    demo_keys = loaded["dir"] / "keys" / demo.DEMO_KEYS_FILE
    assert stat.S_IMODE(demo_keys.stat().st_mode) == 0o600
    assert len(json.loads(demo_keys.read_text())) == 2


def test_the_history_is_the_gateways_log_format_and_holds_no_path_or_key(loaded):
    path = loaded["dir"] / "logs" / demo.HISTORY_FILE
    raw = path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in raw.splitlines()]
    now = time.time()

    assert len(lines) == demo.HISTORY_CALLS
    assert all(set(line) == COMMON_LOG_FIELDS for line in lines)
    assert all(line["engine"] == "builtin" for line in lines)
    assert all(now - 31 * 86400 < line["ts"] < now for line in lines)
    assert [line["ts"] for line in lines] == sorted(line["ts"] for line in lines)
    assert {line["status"] for line in lines} >= {200, 401, 403, 429, 502}
    assert "/congdan" not in raw and "lgsp_" not in raw and "?" not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_shared_code_lists_come_from_todays_tree(loaded):
    from cqs.lgsp.models import CodeList
    from cqs.orgs.models import OrgUnit

    today = timezone.localdate()
    divisions = CodeList.objects.get(code="DM-DVHC")
    identifiers = CodeList.objects.get(code="DM-MA-DINH-DANH")
    units = OrgUnit.objects.as_of(today)
    assert set(divisions.items.values_list("code", flat=True)) == set(
        units.exclude(division_code="").values_list("division_code", flat=True)
    )
    assert set(identifiers.items.values_list("code", flat=True)) == set(
        units.exclude(identifier="").values_list("identifier", flat=True)
    )
    assert "Quyết định 20/2020/QĐ-TTg" in identifiers.legal_basis
    assert divisions.owner.code == units.filter(parent__isnull=True).exclude(identifier="").get().identifier
