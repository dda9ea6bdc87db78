"""X-Road metaservices at /lgsp/meta/ (PR-MREST): asked by a gateway or by a signed-in user."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from cqs.accounts.tests.factories import OfficialFactory, RoleFactory, RoleGrantFactory
from cqs.lgsp.choices import ServiceStatus
from cqs.lgsp.models import Service
from cqs.lgsp.services import access, registry
from cqs.lgsp.snapshot import gateway_token
from cqs.orgs.tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

OPENAPI = {"openapi": "3.0.3", "info": {"title": "Tra cứu dân cư", "version": "1.0"}, "paths": {}}
WSDL = '<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="HoTich"/>'
WHOLE = {"method": "*", "path": "**"}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _service(subsystem, code, **fields):
    base = {
        "name": f"Dịch vụ {code}",
        "upstream_url": "http://10.0.0.5:8080/api",
        "legal_basis": "Nghị định 47/2020/NĐ-CP",
        "data_classification": "shared",
    }
    return registry.service_create(subsystem=subsystem, code=code, publish_now=True, **(base | fields))


@pytest.fixture
def reg():
    """A provider (Công an tỉnh: DANCU with endpoints, HOTICH over SOAP, a draft) and two clients
    (the one-stop system of the province, a district's system), the second in a group."""
    province = OrgUnitFactory(name="UBND tỉnh Thử")
    district = OrgUnitFactory(name="UBND huyện Thử", parent=province)
    police = registry.member_create(member_class="GOV", code="000.00.00.G22", name="Công an tỉnh")
    ubnd = registry.member_create(member_class="GOV", code="000.00.00.H62", name="UBND tỉnh", unit=province)
    huyen = registry.member_create(member_class="GOV", code="000.00.15.H62", name="UBND huyện", unit=district)
    provider = registry.subsystem_create(member=police, code="DANCU", name="Cơ sở dữ liệu dân cư")
    motcua = registry.subsystem_create(member=ubnd, code="MOTCUA", name="Hệ thống một cửa")
    qlvb = registry.subsystem_create(member=huyen, code="QLVB", name="Quản lý văn bản huyện")
    lookup = _service(provider, "tracuu", openapi=OPENAPI, version="2.1")
    persons = registry.endpoint_create(service=lookup, method="GET", path="/persons")
    registry.endpoint_create(service=lookup, method="POST", path="/persons/search")
    hotich = _service(provider, "hotich", kind="SOAP", wsdl=WSDL)
    plain = _service(provider, "thongke")
    draft = registry.service_create(
        subsystem=provider,
        code="nhap",
        name="Đang soạn",
        upstream_url="http://10.0.0.5:8080/x",
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="shared",
        openapi=OPENAPI,
    )
    group = registry.group_create(code="cap-huyen", name="Các hệ thống cấp huyện", subsystems=[qlvb])
    return SimpleNamespace(
        province=province,
        district=district,
        provider=provider,
        motcua=motcua,
        qlvb=qlvb,
        lookup=lookup,
        persons=persons,
        hotich=hotich,
        plain=plain,
        draft=draft,
        group=group,
    )


def meta_url(subsystem, name: str) -> str:
    member = subsystem.member
    return reverse(
        "lgsp_meta:metaservice",
        kwargs={
            "instance": member.instance,
            "member_class": member.member_class,
            "member": member.code,
            "subsystem": subsystem.code,
            "name": name,
        },
    )


def as_gateway(http, url: str, caller=None, **params):
    headers = {"X-CQS-Gateway-Token": gateway_token()}
    if caller is not None:
        headers["X-Road-Client"] = caller.xroad_id
    return http.get(url, params, headers=headers)


def assert_xroad_error(response, status: int, error_type: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json;charset=utf-8"
    assert response["X-Road-Error"] == error_type
    body = response.json()
    assert body["type"] == error_type
    assert body["message"]
    assert body["detail"] == response["X-Road-Id"]


def codes(response) -> list[str]:
    return [entry["service_code"] for entry in response.json()["service"]]


# ------------------------------------------------------------------------------------------
# Trust
# ------------------------------------------------------------------------------------------


def test_without_gateway_token_or_session_the_answer_is_401_in_xroad_format(client, reg):
    response = client.get(reverse("lgsp_meta:list_clients"), headers={"X-Road-Id": "abc-123"})

    assert_xroad_error(response, 401, "Client.Unauthorized")
    assert response.json()["detail"] == "abc-123"
    assert response["WWW-Authenticate"] == 'Bearer realm="lgsp"'


def test_a_wrong_gateway_token_is_refused_even_for_a_signed_in_user(client, reg):
    client.force_login(OfficialFactory(official_profile__unit=reg.province))

    response = client.get(
        meta_url(reg.provider, "listMethods"), headers={"X-CQS-Gateway-Token": gateway_token()[:-1] + "x"}
    )

    assert_xroad_error(response, 401, "Client.Unauthorized")


def test_only_get_is_answered(client, reg):
    response = client.post(
        reverse("lgsp_meta:list_clients"), headers={"X-CQS-Gateway-Token": gateway_token()}
    )

    assert_xroad_error(response, 405, "Client.BadRequest")
    assert response["Allow"] == "GET, HEAD"


# ------------------------------------------------------------------------------------------
# listClients, listMethods, getOpenAPI
# ------------------------------------------------------------------------------------------


def test_list_clients_has_members_and_subsystems_in_xroad_shape(client, reg):
    response = as_gateway(client, reverse("lgsp_meta:list_clients"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    entries = response.json()["member"]
    assert {
        "id": {
            "member_class": "GOV",
            "member_code": "000.00.00.G22",
            "object_type": "MEMBER",
            "xroad_instance": "XROADVN",
        },
        "name": "Công an tỉnh",
    } in entries
    assert {
        "id": {
            "member_class": "GOV",
            "member_code": "000.00.00.H62",
            "object_type": "SUBSYSTEM",
            "subsystem_code": "MOTCUA",
            "xroad_instance": "XROADVN",
        },
        "name": "Hệ thống một cửa",
    } in entries
    assert len(entries) == 6


def test_list_clients_leaves_out_inactive_subsystems(client, reg):
    registry.subsystem_set_active(subsystem=reg.qlvb, active=False)

    entries = as_gateway(client, reverse("lgsp_meta:list_clients")).json()["member"]

    assert "QLVB" not in {entry["id"].get("subsystem_code") for entry in entries}


def test_list_methods_lists_published_services_with_their_endpoints(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "listMethods"), caller=reg.motcua)

    assert response.status_code == 200
    services = {entry["service_code"]: entry for entry in response.json()["service"]}
    assert sorted(services) == ["hotich", "thongke", "tracuu"]  # not the draft
    assert services["tracuu"] == {
        "member_class": "GOV",
        "member_code": "000.00.00.G22",
        "object_type": "SERVICE",
        "service_code": "tracuu",
        "service_type": "OPENAPI",
        "service_version": "2.1",
        "subsystem_code": "DANCU",
        "xroad_instance": "XROADVN",
        "endpoint_list": [
            {"method": "GET", "path": "/persons"},
            {"method": "POST", "path": "/persons/search"},
        ],
    }
    assert services["hotich"]["service_type"] == "WSDL"
    assert services["thongke"]["service_type"] == "REST"
    assert services["thongke"]["endpoint_list"] == [WHOLE]


def test_an_unknown_or_inactive_provider_is_404(client, reg):
    registry.subsystem_set_active(subsystem=reg.provider, active=False)

    response = as_gateway(client, meta_url(reg.provider, "listMethods"))

    assert_xroad_error(response, 404, "Server.ServerProxy.UnknownService")


def test_an_unknown_metaservice_is_404(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "listSecrets"))

    assert_xroad_error(response, 404, "Server.ServerProxy.UnknownService")


def test_get_openapi_returns_the_document_as_json(client, reg):
    response = as_gateway(
        client, meta_url(reg.provider, "getOpenAPI"), caller=reg.motcua, serviceCode="tracuu"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    assert response.json() == OPENAPI


def test_get_openapi_of_a_soap_service_returns_its_wsdl(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "getOpenAPI"), serviceCode="hotich")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml;charset=utf-8"
    assert response.content.decode() == WSDL


@pytest.mark.parametrize("code", ["khongco", "nhap", "thongke"])
def test_get_openapi_of_an_unknown_draft_or_undescribed_service_is_404(client, reg, code):
    response = as_gateway(client, meta_url(reg.provider, "getOpenAPI"), serviceCode=code)

    assert_xroad_error(response, 404, "Server.ServerProxy.UnknownService")


def test_get_openapi_without_service_code_is_400(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "getOpenAPI"))

    assert_xroad_error(response, 400, "Client.BadRequest")


# ------------------------------------------------------------------------------------------
# allowedMethods
# ------------------------------------------------------------------------------------------


def test_allowed_methods_without_grants_is_empty(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    assert response.status_code == 200
    assert response.json() == {"service": []}


def test_allowed_methods_lists_endpoint_grants_and_whole_service_grants(client, reg):
    access.grant_create(service=reg.lookup, client=reg.motcua, endpoint=reg.persons)
    access.grant_create(service=reg.hotich, client=reg.motcua)

    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    services = {entry["service_code"]: entry["endpoint_list"] for entry in response.json()["service"]}
    assert services == {"hotich": [WHOLE], "tracuu": [{"method": "GET", "path": "/persons"}]}


def test_a_whole_service_grant_covers_an_endpoint_grant_of_the_same_service(client, reg):
    access.grant_create(service=reg.lookup, client=reg.motcua, endpoint=reg.persons)
    access.grant_create(service=reg.lookup, client=reg.motcua)

    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    assert response.json()["service"][0]["endpoint_list"] == [WHOLE]


def test_allowed_methods_include_grants_to_a_group_of_the_client(client, reg):
    access.grant_create(service=reg.plain, group=reg.group)

    mine = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.qlvb)
    other = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    assert codes(mine) == ["thongke"]
    assert codes(other) == []


def test_revoked_grants_and_unpublished_services_are_not_allowed(client, reg):
    grant = access.grant_create(service=reg.lookup, client=reg.motcua)
    access.grant_create(service=reg.plain, client=reg.motcua)
    access.grant_revoke(grant=grant, reason="Hết thời hạn thỏa thuận")
    registry.service_set_status(service=reg.plain, status=ServiceStatus.RETIRED)

    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    assert codes(response) == []


def test_an_inactive_client_is_allowed_nothing(client, reg):
    access.grant_create(service=reg.lookup, client=reg.motcua)
    registry.subsystem_set_active(subsystem=reg.motcua, active=False)

    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua)

    assert codes(response) == []


def test_allowed_methods_from_a_gateway_needs_the_client_header(client, reg):
    response = as_gateway(client, meta_url(reg.provider, "allowedMethods"))

    assert_xroad_error(response, 400, "Client.BadRequest")


# ------------------------------------------------------------------------------------------
# Signed-in users
# ------------------------------------------------------------------------------------------


@pytest.fixture
def viewer(reg):
    """An official allowed to see the subsystems of the province's unit (and below)."""
    user = OfficialFactory(official_profile__unit=reg.province)
    role = RoleFactory(perms=["lgsp.view_subsystem"])
    RoleGrantFactory(user=user, role=role, unit=reg.province)
    return user


def test_a_signed_in_user_may_read_list_methods_and_list_clients(client, reg):
    client.force_login(OfficialFactory(official_profile__unit=reg.province))

    assert codes(client.get(meta_url(reg.provider, "listMethods"))) == ["hotich", "thongke", "tracuu"]
    assert client.get(reverse("lgsp_meta:list_clients")).status_code == 200


def test_a_user_reads_allowed_methods_of_a_client_in_scope(client, reg, viewer):
    access.grant_create(service=reg.plain, group=reg.group)
    client.force_login(viewer)

    response = client.get(meta_url(reg.provider, "allowedMethods"), {"client": reg.qlvb.xroad_id})

    assert response.status_code == 200
    assert codes(response) == ["thongke"]


def test_a_user_may_not_read_allowed_methods_of_a_client_out_of_scope(client, reg):
    elsewhere = OfficialFactory(official_profile__unit=reg.district)
    RoleGrantFactory(user=elsewhere, role=RoleFactory(perms=["lgsp.view_subsystem"]), unit=reg.district)
    client.force_login(elsewhere)

    refused = client.get(meta_url(reg.provider, "allowedMethods"), {"client": reg.motcua.xroad_id})
    own = client.get(meta_url(reg.provider, "allowedMethods"), {"client": reg.qlvb.xroad_id})

    assert_xroad_error(refused, 403, "Client.InvalidClient")
    assert own.status_code == 200


def test_a_user_without_the_permission_may_not_read_allowed_methods(client, reg):
    client.force_login(OfficialFactory(official_profile__unit=reg.province))

    response = client.get(meta_url(reg.provider, "allowedMethods"), {"client": reg.motcua.xroad_id})

    assert_xroad_error(response, 403, "Client.InvalidClient")


def test_a_user_must_name_the_client(client, reg, viewer):
    client.force_login(viewer)

    missing = client.get(meta_url(reg.provider, "allowedMethods"))
    unknown = client.get(meta_url(reg.provider, "allowedMethods"), {"client": "XROADVN/GOV/khong/co"})

    assert_xroad_error(missing, 400, "Client.BadRequest")
    assert_xroad_error(unknown, 403, "Client.InvalidClient")


def test_the_client_parameter_is_ignored_for_a_gateway(client, reg):
    access.grant_create(service=reg.plain, client=reg.qlvb)

    response = as_gateway(
        client, meta_url(reg.provider, "allowedMethods"), caller=reg.motcua, client=reg.qlvb.xroad_id
    )

    assert codes(response) == []


def test_list_methods_costs_a_fixed_number_of_queries(client, reg, django_assert_max_num_queries):
    for n in range(5):
        service = _service(reg.provider, f"them{n}", openapi=OPENAPI)
        registry.endpoint_create(service=service, method="GET", path=f"/x{n}")
    assert Service.objects.filter(subsystem=reg.provider).count() == 9

    with django_assert_max_num_queries(4):
        response = as_gateway(client, meta_url(reg.provider, "listMethods"))

    assert len(response.json()["service"]) == 8


# ------------------------------------------------------------------------------------------
# Through a real gateway
# ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_through_the_builtin_gateway_a_client_reads_its_allowed_methods(live_server, settings, tmp_path):
    """The gateway authenticates the API key, forwards to these views with its token and the
    client's id, and passes their answer back."""
    from cqs.lgsp import publish
    from cqs.lgsp.testing import free_port, running_gateway

    settings.CQS_LGSP_DIR = tmp_path / "lgsp"
    settings.CQS_SITE_URL = live_server.url
    police = registry.member_create(member_class="GOV", code="000.00.00.G22", name="Công an tỉnh")
    ubnd = registry.member_create(member_class="GOV", code="000.00.00.H62", name="UBND tỉnh")
    provider = registry.subsystem_create(member=police, code="DANCU", name="Cơ sở dữ liệu dân cư")
    motcua = registry.subsystem_create(member=ubnd, code="MOTCUA", name="Hệ thống một cửa")
    lookup = _service(provider, "tracuu", openapi=OPENAPI)
    _service(provider, "thongke")
    access.grant_create(service=lookup, client=motcua)
    key = access.api_key_issue(subsystem=motcua).secret
    publish.publish_now(reason="test")

    with running_gateway("builtin", settings.CQS_LGSP_DIR, free_port(), publish=False) as gateway:
        headers = {"X-API-Key": key}
        allowed = gateway.call("GET", f"/r1/{provider.xroad_id}/allowedMethods", headers=headers)
        document = gateway.call(
            "GET", f"/r1/{provider.xroad_id}/getOpenAPI?serviceCode=tracuu", headers=headers
        )
        clients = gateway.call("GET", "/r1/listClients", headers=headers)

    assert allowed.status == 200, allowed.body
    assert [entry["service_code"] for entry in allowed.json()["service"]] == ["tracuu"]
    assert document.json() == OPENAPI
    assert len(clients.json()["member"]) == 4
