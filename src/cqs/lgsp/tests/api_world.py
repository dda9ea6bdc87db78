"""A province with a provider, a client and an unrelated department, their LGSP members, and one
official with each kind of role: for the API, selector and task tests (not a fixture module, so
that each test file names the fixture it uses)."""

from __future__ import annotations

from types import SimpleNamespace

OPERATOR_PERMS = ["lgsp.manage_registry", "lgsp.operate_gateway", "lgsp.view_usage"]
PROVIDER_PERMS = [
    "lgsp.view_service",
    "lgsp.add_service",
    "lgsp.change_service",
    "lgsp.add_endpoint",
    "lgsp.view_connectionrequest",
    "lgsp.decide_connectionrequest",
    "lgsp.view_accessgrant",
    "lgsp.add_accessgrant",
    "lgsp.change_accessgrant",
]
CLIENT_PERMS = [
    "lgsp.add_connectionrequest",
    "lgsp.view_credential",
    "lgsp.add_credential",
    "lgsp.change_credential",
]
LEGAL_BASIS = "Nghị định 47/2020/NĐ-CP; Nghị định 194/2025/NĐ-CP"


def build_world(*, upstream: str = "http://127.0.0.1:9") -> SimpleNamespace:
    from cqs.accounts.tests.factories import OfficialFactory, RoleFactory, RoleGrantFactory, UserFactory
    from cqs.lgsp.services import registry as reg
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    province = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Thử")
    police = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Công an tỉnh", parent=province)
    office = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Văn phòng UBND", parent=province)
    health = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Sở Y tế", parent=province)

    roles = {
        "operator": RoleFactory(code="lgsp-thu-van-hanh", perms=OPERATOR_PERMS, modules=["lgsp"]),
        "provider": RoleFactory(code="lgsp-thu-cung-cap", perms=PROVIDER_PERMS, modules=["lgsp"]),
        "client": RoleFactory(code="lgsp-thu-khai-thac", perms=CLIENT_PERMS, modules=["lgsp"]),
    }

    def official(username, unit, *role_codes):
        user = OfficialFactory(
            username=username, official_profile__unit=unit, email=f"{username}@example.org"
        )
        for code in role_codes:
            RoleGrantFactory(user=user, role=roles[code], unit=unit)
        return user

    provider_member = reg.member_create(
        member_class="GOV",
        code="000.00.00.H62",
        name="Công an tỉnh",
        unit=police,
        contact_email="cong-an@example.org",
    )
    client_member = reg.member_create(
        member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND tỉnh", unit=office
    )
    health_member = reg.member_create(member_class="GOV", code="000.00.02.H62", name="Sở Y tế", unit=health)
    national = reg.member_create(member_class="GOV", code="000.00.00.G22", name="Văn phòng Chính phủ")
    provider = reg.subsystem_create(member=provider_member, code="csdl-dancu", name="CSDL dân cư của tỉnh")
    client = reg.subsystem_create(member=client_member, code="dvc", name="Cổng dịch vụ công của tỉnh")
    health_sub = reg.subsystem_create(member=health_member, code="his", name="Hệ thống thông tin y tế")
    national_sub = reg.subsystem_create(member=national, code="ndxp", name="Nền tảng NDXP")
    persons = reg.service_create(
        subsystem=provider,
        code="persons",
        name="Tra cứu thông tin công dân",
        description="Tra cứu theo số định danh cá nhân",
        upstream_url=f"{upstream}/api/v1",
        legal_basis=LEGAL_BASIS,
        data_classification="personal",
        openapi={"openapi": "3.0.3", "info": {"title": "Công dân", "version": "1.0"}, "paths": {}},
        publish_now=True,
    )
    draft = reg.service_create(
        subsystem=provider,
        code="households",
        name="Tra cứu hộ gia đình",
        upstream_url=upstream,
        legal_basis=LEGAL_BASIS,
        data_classification="personal",
    )
    beds = reg.service_create(
        subsystem=health_sub,
        code="beds",
        name="Giường bệnh còn trống",
        upstream_url=upstream,
        legal_basis=LEGAL_BASIS,
        data_classification="open",
        publish_now=True,
    )
    get_persons = reg.endpoint_create(service=persons, method="GET", path="/persons")
    return SimpleNamespace(
        province=province,
        police=police,
        office=office,
        health=health,
        roles=roles,
        operator=official("vanhanh", province, "operator"),
        provider_admin=official("congan", police, "provider"),
        client_admin=official("vanphong", office, "client"),
        health_admin=official("yte", health, "provider", "client"),
        citizen=UserFactory(username="congdan"),
        provider_member=provider_member,
        client_member=client_member,
        health_member=health_member,
        national=national,
        provider=provider,
        client=client,
        health_sub=health_sub,
        national_sub=national_sub,
        persons=persons,
        draft=draft,
        beds=beds,
        get_persons=get_persons,
    )
