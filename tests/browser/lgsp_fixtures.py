"""Fixtures of the LGSP browser journey (issue 6): a province with two agencies, their members and
information systems in the registry, the three people of the journey (each with an authenticator
app, as their roles require a second factor), an upstream provider service, and the built-in
gateway in its own process.

Import the fixtures into a test module (pytest finds fixtures only in conftest files and in the
module itself). Data is created after ``site``, so the live server's thread sees it; the
``settings`` changes are seen there too, as the thread shares Django's settings. Everything the
journey itself is about (the service, the request, the decision, the key, its revocation) is left
to the browser.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.browser.conftest import ConsoleLog

LGSP_PASSWORD = "lgsp-ket-noi-2026"
LEGAL_BASIS = "Nghị định 47/2020/NĐ-CP; Nghị định 194/2025/NĐ-CP"


def totp_now(key_hex: str) -> str:
    """The code an authenticator app shows now for a device's hex key."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex)):06d}"


def _desktop(browser) -> Iterator:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_log = ConsoleLog(page)
    yield page
    context.close()


@pytest.fixture
def consumer_page(browser, site) -> Iterator:
    """A second desktop browser of its own (``page`` is the first): another person, another session."""
    yield from _desktop(browser)


@pytest.fixture
def operator_page(browser, site) -> Iterator:
    """A third desktop browser of its own."""
    yield from _desktop(browser)


@pytest.fixture
def lgsp_dir(settings, tmp_path):
    """A data directory of this test alone (keys, generations, the active snapshot, access logs):
    the session-wide one of the root conftest would carry other tests' logs and snapshots."""
    directory = tmp_path / "lgsp"
    directory.mkdir()
    settings.CQS_LGSP_DIR = directory
    settings.CQS_LGSP_ENGINE = "builtin"
    return directory


@pytest.fixture
def lgsp_land(site, settings, lgsp_dir) -> SimpleNamespace:
    """UBND tỉnh Thử (operator ``vanhanh.lgsp``, role van-hanh-lgsp) → Công an tỉnh (member
    000.00.00.H98, system ``csdl-dancu``, connection admin ``ketnoi.congan``) and Văn phòng UBND
    tỉnh (member 000.00.01.H98, system ``motcua``, connection admin ``ketnoi.vanphong``); both
    admins hold quan-tri-ket-noi on their own unit only. Every one has a confirmed TOTP device."""
    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync, user_create_official
    from cqs.accounts.tests.factories import TOTPDeviceFactory
    from cqs.lgsp.services import registry
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    role_sync(definitions=role_definitions_load())
    roles = Role.objects.filter(code__in=["van-hanh-lgsp", "quan-tri-ket-noi"])
    assert roles.count() == 2 and all(role.requires_2fa for role in roles)

    province = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Thử", short_name="UBND")
    police = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True), name="Công an tỉnh Thử", parent=province
    )
    office = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True), name="Văn phòng UBND tỉnh Thử", parent=province
    )
    police_member = registry.member_create(
        member_class="GOV", code="000.00.00.H98", name="Công an tỉnh Thử", unit=police
    )
    office_member = registry.member_create(
        member_class="GOV", code="000.00.01.H98", name="Văn phòng UBND tỉnh Thử", unit=office
    )
    provider = registry.subsystem_create(
        member=police_member, code="csdl-dancu", name="Cơ sở dữ liệu dân cư của tỉnh"
    )
    consumer = registry.subsystem_create(
        member=office_member, code="motcua", name="Hệ thống thông tin giải quyết thủ tục hành chính"
    )

    def official(username: str, full_name: str, role: str, unit):
        user = user_create_official(
            username=username,
            password=LGSP_PASSWORD,
            full_name=full_name,
            unit=unit,
            position="Chuyên viên",
            roles=[role],
        )
        device = TOTPDeviceFactory(user=user)
        return SimpleNamespace(user=user, username=username, key=device.key)

    return SimpleNamespace(
        province=province,
        police=police,
        office=office,
        police_member=police_member,
        office_member=office_member,
        provider=provider,
        consumer=consumer,
        password=LGSP_PASSWORD,
        operator=official("vanhanh.lgsp", "Phạm Thị Vận", "van-hanh-lgsp", province),
        provider_admin=official("ketnoi.congan", "Trần Văn Công", "quan-tri-ket-noi", police),
        consumer_admin=official("ketnoi.vanphong", "Lê Thị Phòng", "quan-tri-ket-noi", office),
    )


@pytest.fixture
def log_in_official(log_in):
    """Sign in through the login form, then through the second factor with the person's
    authenticator code, as an official whose role requires it would."""

    def log_in_official(page, person, password: str = LGSP_PASSWORD) -> None:
        log_in(page, person.username, password)
        assert "/accounts/2fa/" in page.url, page.url  # the password alone opens nothing else
        page.fill("input[name=otp_token]", totp_now(person.key))
        page.click("#otp-submit")
        page.wait_for_load_state()
        assert "/accounts/" not in page.url, page.url

    return log_in_official


@pytest.fixture
def lgsp_upstream() -> Iterator:
    """The provider's own service: an HTTP server that echoes and records what reached it."""
    from cqs.lgsp.testing import upstream_server

    with upstream_server() as upstream:
        yield upstream


@pytest.fixture
def lgsp_gateway(lgsp_land, settings, lgsp_dir) -> Iterator:
    """The built-in gateway (``cqs lgsp_gateway --engine builtin``) on a free port, serving this
    test's data directory. It runs with ``--no-publish``: the live server's database is not one
    another process can open (SQLite in memory), and the gateway never needs one: the pages'
    changes reach it through the snapshot file the live server thread publishes."""
    from cqs.lgsp import publish
    from cqs.lgsp.testing import free_port, running_gateway

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings.CQS_LGSP_GATEWAY_URL = url
    generation = publish.publish_now(reason="browser journey: gateway start", force=True)
    assert generation is not None and generation.status == "active", generation and generation.error
    command = [sys.executable, "-m", "cqs.manage", "lgsp_gateway", "--engine", "builtin"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-publish"]
    with running_gateway("builtin", lgsp_dir, port, command=command) as gateway:
        assert gateway.url == url
        yield gateway


@pytest.fixture
def lgsp_catalogue(site, lgsp_dir) -> SimpleNamespace:
    """Three published services of two agencies and a draft one, for the catalogue on a phone:
    "Tra cứu thông tin công dân", "Tra cứu hộ tịch", "Tra cứu giấy phép lái xe" (published) and
    "Tra cứu hộ tịch lưu trữ" (draft: never in the public catalogue)."""
    from cqs.lgsp.services import registry

    police = registry.member_create(member_class="GOV", code="000.00.00.H98", name="Công an tỉnh Thử")
    justice = registry.member_create(member_class="GOV", code="000.00.02.H98", name="Sở Tư pháp tỉnh Thử")
    dancu = registry.subsystem_create(member=police, code="csdl-dancu", name="Cơ sở dữ liệu dân cư")
    hotich = registry.subsystem_create(member=justice, code="csdl-hotich", name="Cơ sở dữ liệu hộ tịch")
    common = {"legal_basis": LEGAL_BASIS, "data_classification": "personal", "timeout_ms": 5000}

    def service(subsystem, code, name, description, *, published=True):
        return registry.service_create(
            subsystem=subsystem,
            code=code,
            name=name,
            description=description,
            upstream_url=f"http://10.0.0.5:8080/{code}",
            publish_now=published,
            **common,
        )

    return SimpleNamespace(
        persons=service(dancu, "persons", "Tra cứu thông tin công dân", "Họ tên theo số định danh."),
        licences=service(dancu, "licences", "Tra cứu giấy phép lái xe", "Hạng, thời hạn giấy phép lái xe."),
        civil=service(hotich, "civil-status", "Tra cứu hộ tịch", "Khai sinh, kết hôn, khai tử đã đăng ký."),
        archive=service(
            hotich, "civil-archive", "Tra cứu hộ tịch lưu trữ", "Sổ hộ tịch số hóa.", published=False
        ),
    )
