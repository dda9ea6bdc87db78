"""The LGSP pages: who may open them (both ways), the public catalogue, the provider's services and
answers to connection requests, the consumer's requests and credentials (the secret shown once),
and the operator's usage, evidence and gateway pages."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from cqs.lgsp.choices import GenerationStatus, RequestStatus, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    CallEvidence,
    CodeList,
    CodeListItem,
    ConnectionRequest,
    Credential,
    GatewayGeneration,
    Service,
    UsageDaily,
)
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg

LEGAL_BASIS = "Nghị định 47/2020/NĐ-CP; Nghị định 194/2025/NĐ-CP"
OPENAPI = {"openapi": "3.0.3", "info": {"title": "Dân cư", "version": "1.0"}, "paths": {"/persons": {}}}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CQS_LGSP_GATEWAY_URL = "http://gateway.example:8200"


@pytest.fixture
def world(db):
    """A province with the police (provider), the provincial office (consumer) and the health
    department (neither), each with an agency connection admin (``quan-tri-ket-noi``); an LGSP
    operator (``van-hanh-lgsp``) at the province; an official with no LGSP role. The police's
    ``csdl-dancu`` publishes ``persons`` (two endpoints, an OpenAPI document) and has a draft
    ``vehicles``; a ministry outside the tree publishes ``registry``."""
    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    role_sync(definitions=role_definitions_load())
    roles = {role.code: role for role in Role.objects.all()}
    province = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Thử")
    police = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Công an tỉnh", parent=province)
    office = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Văn phòng UBND", parent=province)
    health = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Sở Y tế", parent=province)

    def official(username, unit, role=None):
        user = OfficialFactory(username=username, official_profile__unit=unit)
        if role:
            RoleGrantFactory(user=user, role=roles[role], unit=unit)
        return user

    police_member = reg.member_create(
        member_class="GOV", code="000.00.00.H62", name="Công an tỉnh", unit=police
    )
    office_member = reg.member_create(
        member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND tỉnh", unit=office
    )
    ministry = reg.member_create(member_class="GOV", code="000.00.00.G01", name="Bộ Tư pháp")
    provider = reg.subsystem_create(member=police_member, code="csdl-dancu", name="Cơ sở dữ liệu dân cư")
    motcua = reg.subsystem_create(member=office_member, code="motcua", name="Hệ thống một cửa")
    ministry_sub = reg.subsystem_create(member=ministry, code="hotich", name="CSDL hộ tịch")
    common = {"legal_basis": LEGAL_BASIS, "data_classification": "personal", "timeout_ms": 5000}
    persons = reg.service_create(
        subsystem=provider,
        code="persons",
        name="Tra cứu thông tin công dân",
        description="Trả về họ tên, ngày sinh theo số định danh cá nhân.",
        upstream_url="http://10.0.0.5:8080/api",
        openapi=OPENAPI,
        contact_email="dancu@example.org",
        publish_now=True,
        **common,
    )
    vehicles = reg.service_create(
        subsystem=provider,
        code="vehicles",
        name="Tra cứu phương tiện",
        upstream_url="http://10.0.0.6",
        **common,
    )
    civil = reg.service_create(
        subsystem=ministry_sub,
        code="registry",
        name="Tra cứu hộ tịch",
        upstream_url="http://10.1.0.1",
        publish_now=True,
        legal_basis=LEGAL_BASIS,
        data_classification="shared",
    )
    get_persons = reg.endpoint_create(service=persons, method="GET", path="/persons")
    reg.endpoint_create(service=persons, method="POST", path="/persons/search")
    return SimpleNamespace(
        province=province,
        police=police,
        office=office,
        health=health,
        provider=provider,
        motcua=motcua,
        ministry_sub=ministry_sub,
        persons=persons,
        vehicles=vehicles,
        civil=civil,
        get_persons=get_persons,
        operator=official("vanhanh.lgsp", province, "van-hanh-lgsp"),
        police_admin=official("ketnoi.congan", police, "quan-tri-ket-noi"),
        office_admin=official("ketnoi.vanphong", office, "quan-tri-ket-noi"),
        health_admin=official("ketnoi.yte", health, "quan-tri-ket-noi"),
        nobody=official("chuyenvien.khac", health),
    )


def login(client, user):
    """Sign in with a session already verified by a second factor (the LGSP roles require it)."""
    from cqs.accounts.tests.factories import TOTPDeviceFactory

    device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def submitted(world, **kwargs) -> ConnectionRequest:
    return access.request_submit(
        client=world.motcua,
        service=world.persons,
        purpose="Tra cứu dân cư khi tiếp nhận hồ sơ một cửa.",
        legal_basis=LEGAL_BASIS,
        actor=world.office_admin,
        **kwargs,
    )


def text(response) -> str:
    return response.content.decode()


# --- public catalogue ---------------------------------------------------------------------------


def test_catalogue_lists_published_services_without_login(client, world):
    response = client.get(reverse("lgsp:catalogue"))
    assert response.status_code == 200
    body = text(response)
    assert "Tra cứu thông tin công dân" in body
    assert "Tra cứu hộ tịch" in body
    assert "Tra cứu phương tiện" not in body  # a draft is not in the catalogue
    assert LEGAL_BASIS in body


def test_catalogue_search_ignores_diacritics_and_filters(client, world):
    response = client.get(reverse("lgsp:catalogue"), {"q": "tra cuu cong DAN"})
    body = text(response)
    assert "Tra cứu thông tin công dân" in body and "Tra cứu hộ tịch" not in body

    response = client.get(reverse("lgsp:catalogue"), {"classification": "shared"})
    body = text(response)
    assert "Tra cứu hộ tịch" in body and "Tra cứu thông tin công dân" not in body

    response = client.get(reverse("lgsp:catalogue"), {"member": world.persons.subsystem.member_id})
    assert "Tra cứu hộ tịch" not in text(response)


def test_catalogue_list_query_count_does_not_grow_with_services(client, world, django_assert_max_num_queries):
    for n in range(10):
        reg.service_create(
            subsystem=world.provider,
            code=f"svc{n}",
            name=f"Dịch vụ {n}",
            upstream_url="http://10.0.0.9",
            legal_basis=LEGAL_BASIS,
            data_classification="open",
            publish_now=True,
        )
    with django_assert_max_num_queries(8):
        response = client.get(reverse("lgsp:catalogue"))
    assert response.status_code == 200


def test_catalogue_service_page_shows_how_to_call_it(client, world):
    response = client.get(reverse("lgsp:catalogue-service", args=[world.persons.pk]))
    assert response.status_code == 200
    body = text(response)
    assert "XROADVN/GOV/000.00.00.H62/csdl-dancu/persons" in body
    assert "http://gateway.example:8200/r1/XROADVN/GOV/000.00.00.H62/csdl-dancu/persons" in body
    assert reverse("lgsp:catalogue-openapi", args=[world.persons.pk]) in body
    assert "/persons/search" in body and "dancu@example.org" in body
    # An anonymous visitor gets no request button; the upstream address stays internal.
    assert reverse("lgsp:request-create", args=[world.persons.pk]) not in body
    assert "10.0.0.5" not in body


def test_catalogue_hides_drafts_and_serves_openapi(client, world):
    assert client.get(reverse("lgsp:catalogue-service", args=[world.vehicles.pk])).status_code == 404
    response = client.get(reverse("lgsp:catalogue-openapi", args=[world.persons.pk]))
    assert response.status_code == 200
    assert response.json() == OPENAPI
    assert client.get(reverse("lgsp:catalogue-openapi", args=[world.civil.pk])).status_code == 404


def test_code_lists_are_public(client, world):
    code_list = CodeList.objects.create(
        code="DM_DANTOC", name="Danh mục dân tộc", kind="code_list", owner=world.civil.subsystem.member
    )
    CodeListItem.objects.create(code_list=code_list, code="01", name="Kinh")
    CodeListItem.objects.create(code_list=code_list, code="02", name="Tày")
    response = client.get(reverse("lgsp:code-lists"))
    assert response.status_code == 200 and "Danh mục dân tộc" in text(response)
    response = client.get(reverse("lgsp:code-list", args=["DM_DANTOC"]))
    assert "Kinh" in text(response) and "Tày" in text(response)
    response = client.get(reverse("lgsp:code-list", args=["DM_DANTOC"]), {"q": "Tày"})
    assert "Kinh" not in text(response)


# --- home ---------------------------------------------------------------------------------------


def test_home_needs_a_login_and_an_lgsp_role(client, world):
    response = client.get(reverse("lgsp:home"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert login(client, world.nobody).get(reverse("lgsp:home")).status_code == 403


def test_home_counts_pending_requests_with_the_overdue_in_red(client, world):
    submitted(world)
    late = access.request_submit(
        client=world.motcua, service=world.civil, purpose="Tra cứu hộ tịch.", actor=world.office_admin
    )
    ConnectionRequest.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=3))

    response = login(client, world.police_admin).get(reverse("lgsp:home"))
    assert response.status_code == 200
    assert response.context["pending_total"] == 1  # the ministry's request is not the police's
    assert response.context["pending_overdue"] == 0
    assert response.context["service_count"] == 2

    response = login(client, world.operator).get(reverse("lgsp:home"))
    assert response.context["pending_total"] == 2 and response.context["pending_overdue"] == 1
    assert 'id="home-overdue"' in text(response) and "text-danger" in text(response)


# --- provider: services -------------------------------------------------------------------------


def test_my_services_are_those_of_my_unit(client, world):
    response = login(client, world.police_admin).get(reverse("lgsp:services"))
    assert response.status_code == 200
    assert {s.code for s in response.context["page"].object_list} == {"persons", "vehicles"}
    response = login(client, world.office_admin).get(reverse("lgsp:services"))
    assert list(response.context["page"].object_list) == []
    assert login(client, world.nobody).get(reverse("lgsp:services")).status_code == 403


def test_service_page_is_for_its_provider_and_the_operator(client, world):
    url = reverse("lgsp:service", args=[world.persons.pk])
    assert login(client, world.police_admin).get(url).status_code == 200
    assert login(client, world.operator).get(url).status_code == 200
    assert login(client, world.health_admin).get(url).status_code == 403
    # The ministry is outside the tree: only the registry operator acts for it.
    civil = reverse("lgsp:service", args=[world.civil.pk])
    assert login(client, world.operator).get(civil).status_code == 200
    assert login(client, world.police_admin).get(civil).status_code == 403


def service_post(**overrides):
    data = {
        "subsystem": "",
        "code": "taxes",
        "name": "Tra cứu mã số thuế",
        "version": "1.0",
        "kind": "REST",
        "upstream_url": "http://10.0.0.7:8000/v1",
        "legal_basis": LEGAL_BASIS,
        "data_classification": "shared",
        "timeout_ms": "3000",
        "default_rate_per_minute": "120",
        "openapi_text": json.dumps(OPENAPI),
    }
    data.update(overrides)
    return data


def test_provider_creates_a_draft_service_with_its_openapi(client, world):
    login(client, world.police_admin)
    response = client.post(reverse("lgsp:service-create"), service_post(subsystem=world.provider.pk))
    service = Service.objects.get(code="taxes")
    assert response.status_code == 302 and response["Location"] == reverse("lgsp:service", args=[service.pk])
    assert service.status == ServiceStatus.DRAFT
    assert service.openapi == OPENAPI and service.timeout_ms == 3000


def test_service_form_refuses_bad_openapi_and_shows_the_services_refusals(client, world):
    login(client, world.police_admin)
    response = client.post(
        reverse("lgsp:service-create"), service_post(subsystem=world.provider.pk, openapi_text="{not json")
    )
    assert response.status_code == 200 and "không phải JSON hợp lệ" in text(response)
    response = client.post(
        reverse("lgsp:service-create"),
        service_post(subsystem=world.provider.pk, openapi_text="", legal_basis=" "),
    )
    assert "Phải ghi căn cứ pháp lý" in text(response)
    upload = SimpleUploadedFile("doc.json", b'{"paths": {}}', content_type="application/json")
    response = client.post(
        reverse("lgsp:service-create"),
        {**service_post(subsystem=world.provider.pk, openapi_text=""), "openapi_file": upload},
    )
    assert "có khóa openapi" in text(response)
    assert not Service.objects.filter(code="taxes").exists()


def test_provider_cannot_add_a_service_to_another_units_system(client, world):
    login(client, world.police_admin)
    response = client.post(reverse("lgsp:service-create"), service_post(subsystem=world.motcua.pk))
    assert response.status_code == 200
    assert "subsystem" in response.context["form"].errors
    assert not Service.objects.filter(code="taxes").exists()


def test_service_edit_publish_and_retire(client, world):
    login(client, world.police_admin)
    edit = reverse("lgsp:service-edit", args=[world.vehicles.pk])
    assert client.get(edit).status_code == 200
    data = service_post(name="Tra cứu phương tiện giao thông", openapi_text="")
    data.pop("subsystem"), data.pop("code")
    response = client.post(edit, data)
    assert response.status_code == 302
    world.vehicles.refresh_from_db()
    assert world.vehicles.name == "Tra cứu phương tiện giao thông"

    status = reverse("lgsp:service-status", args=[world.vehicles.pk])
    client.post(status, {"status": "published"})
    world.vehicles.refresh_from_db()
    assert world.vehicles.status == ServiceStatus.PUBLISHED
    client.post(status, {"status": "retired"})
    world.vehicles.refresh_from_db()
    assert world.vehicles.status == ServiceStatus.RETIRED

    login(client, world.office_admin)
    assert client.get(edit).status_code == 403
    assert client.post(status, {"status": "published"}).status_code == 403


def test_provider_adds_an_endpoint(client, world):
    login(client, world.police_admin)
    url = reverse("lgsp:endpoint-create", args=[world.vehicles.pk])
    response = client.post(url, {"method": "GET", "path": "/vehicles", "description": "Theo biển số"})
    assert response.status_code == 302
    assert world.vehicles.endpoints.filter(method="GET", path="/vehicles").exists()
    response = client.post(url, {"method": "GET", "path": "không hợp lệ"})
    assert response.status_code == 400 and "Đường dẫn phải bắt đầu bằng /" in text(response)
    assert login(client, world.health_admin).post(url, {"method": "GET", "path": "/x"}).status_code == 403


# --- connection requests ------------------------------------------------------------------------


def test_consumer_requests_access_from_the_catalogue(client, world):
    login(client, world.office_admin)
    detail = text(client.get(reverse("lgsp:catalogue-service", args=[world.persons.pk])))
    url = reverse("lgsp:request-create", args=[world.persons.pk])
    assert url in detail
    page = client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields["client"].queryset) == [world.motcua]
    response = client.post(
        url,
        {
            "client": world.motcua.pk,
            "endpoints": [world.get_persons.pk],
            "purpose": "Tra cứu khi tiếp nhận hồ sơ.",
            "legal_basis": LEGAL_BASIS,
            "rate_per_minute": "60",
        },
    )
    request = ConnectionRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("lgsp:request", args=[request.pk])
    assert list(request.endpoints.all()) == [world.get_persons]
    assert request.status == RequestStatus.PENDING and request.due_on > timezone.localdate()
    # The same request twice: the service's refusal is shown, nothing is added.
    response = client.post(url, {"client": world.motcua.pk, "purpose": "Lần nữa."})
    assert response.status_code == 200 and "đang chờ xử lý" in text(response)
    assert ConnectionRequest.objects.count() == 1


def test_request_form_is_refused_without_the_permission(client, world):
    url = reverse("lgsp:request-create", args=[world.persons.pk])
    assert login(client, world.nobody).get(url).status_code == 403
    assert client.logout() is None and client.get(url).status_code == 302


def test_requests_to_answer_are_the_providers_with_deadline_filters(client, world):
    request = submitted(world)
    login(client, world.police_admin)
    response = client.get(reverse("lgsp:requests"))
    assert response.status_code == 200 and list(response.context["page"].object_list) == [request]
    assert (
        list(client.get(reverse("lgsp:requests"), {"deadline": "overdue"}).context["page"].object_list) == []
    )
    ConnectionRequest.objects.filter(pk=request.pk).update(due_on=date(2020, 1, 2))
    response = client.get(reverse("lgsp:requests"), {"deadline": "overdue"})
    assert list(response.context["page"].object_list) == [request]
    assert "Quá hạn" in text(response)

    response = login(client, world.office_admin).get(reverse("lgsp:requests"))
    assert list(response.context["page"].object_list) == []
    assert login(client, world.nobody).get(reverse("lgsp:requests")).status_code == 403


def test_provider_approves_with_limits(client, world):
    request = submitted(world)
    login(client, world.police_admin)
    page = client.get(reverse("lgsp:request", args=[request.pk]))
    assert page.status_code == 200 and 'id="approve-form"' in text(page)
    response = client.post(
        reverse("lgsp:request-approve", args=[request.pk]),
        {"legal_basis": LEGAL_BASIS, "rate_per_minute": "30", "daily_quota": "1000"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_by == world.police_admin
    grant = AccessGrant.objects.get(request=request)
    assert (grant.client, grant.rate_per_minute, grant.daily_quota) == (world.motcua, 30, 1000)


def test_refusal_without_legal_basis_is_shown_and_changes_nothing(client, world):
    request = submitted(world)
    login(client, world.police_admin)
    url = reverse("lgsp:request-refuse", args=[request.pk])
    response = client.post(url, {"legal_basis": "", "reason": "Không đủ điều kiện."})
    assert response.status_code == 400
    assert "Từ chối chia sẻ dữ liệu phải nêu căn cứ pháp lý" in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING

    response = client.post(
        url, {"legal_basis": "Luật Dữ liệu 2024, Điều 18", "reason": "Không đủ điều kiện."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED and request.decision_note == "Không đủ điều kiện."
    page = text(client.get(reverse("lgsp:request", args=[request.pk])))
    assert "Luật Dữ liệu 2024, Điều 18" in page and 'id="refuse-form"' not in page


def test_only_the_provider_answers(client, world):
    request = submitted(world)
    login(client, world.office_admin)
    page = client.get(reverse("lgsp:request", args=[request.pk]))
    assert page.status_code == 200  # the consumer follows its request
    assert 'id="approve-form"' not in text(page) and 'id="withdraw-submit"' in text(page)
    assert (
        client.post(reverse("lgsp:request-approve", args=[request.pk]), {"legal_basis": "x"}).status_code
        == 403
    )
    assert (
        login(client, world.health_admin).get(reverse("lgsp:request", args=[request.pk])).status_code == 403
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_consumer_follows_and_withdraws_its_requests(client, world):
    request = submitted(world)
    login(client, world.office_admin)
    response = client.get(reverse("lgsp:my-requests"))
    assert response.status_code == 200 and list(response.context["page"].object_list) == [request]
    response = login(client, world.police_admin).get(reverse("lgsp:my-requests"))
    assert list(response.context["page"].object_list) == []
    assert client.post(reverse("lgsp:request-withdraw", args=[request.pk])).status_code == 403

    login(client, world.office_admin).post(reverse("lgsp:request-withdraw", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN


# --- grants -------------------------------------------------------------------------------------


def test_grants_of_my_services_and_revocation_with_a_reason(client, world):
    grant = access.grant_create(service=world.persons, client=world.motcua, legal_basis=LEGAL_BASIS)
    login(client, world.police_admin)
    response = client.get(reverse("lgsp:grants"))
    assert response.status_code == 200 and list(response.context["page"].object_list) == [grant]
    url = reverse("lgsp:grant-revoke", args=[grant.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Phải nêu lý do thu hồi" in text(response)
    grant.refresh_from_db()
    assert grant.revoked_at is None

    assert login(client, world.health_admin).post(url, {"reason": "Thử"}).status_code == 403
    assert list(client.get(reverse("lgsp:grants")).context["page"].object_list) == []

    login(client, world.police_admin).post(url, {"reason": "Hết thời hạn hợp tác."})
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "Hết thời hạn hợp tác."
    assert login(client, world.nobody).get(reverse("lgsp:grants")).status_code == 403


# --- credentials --------------------------------------------------------------------------------


def test_api_key_secret_is_shown_once_then_never(client, world):
    login(client, world.office_admin)
    response = client.post(
        reverse("lgsp:credential-issue", args=[world.motcua.pk]),
        {"kind": "api_key", "label": "máy chủ 1", "token": "form-1"},
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("lgsp_") and secret in text(response)
    assert "no-store" in response["Cache-Control"]
    credential = Credential.objects.get()
    assert credential.secret_sha256 == access.secret_sha256(secret) and secret not in credential.prefix
    # Never again: not on the system's page, not in the session, not in a message.
    page = client.get(reverse("lgsp:subsystem", args=[world.motcua.pk]))
    assert page.status_code == 200 and credential.prefix in text(page)
    assert secret not in text(page)
    assert secret not in str(dict(client.session.items()))


def test_posting_the_same_issue_form_again_issues_nothing(client, world):
    login(client, world.office_admin)
    url = reverse("lgsp:credential-issue", args=[world.motcua.pk])
    first = client.post(url, {"kind": "api_key", "token": "form-1"})
    assert first.status_code == 200 and first.context["secret"]

    again = client.post(url, {"kind": "api_key", "token": "form-1"})

    assert again.status_code == 400
    assert "đã được cấp" in text(again)
    assert first.context["secret"] not in text(again)
    assert Credential.objects.count() == 1
    # a fresh form (a new token) issues the next one
    assert client.post(url, {"kind": "api_key", "token": "form-2"}).status_code == 200
    assert Credential.objects.count() == 2


def test_oauth_client_shows_its_id_and_secret(client, world):
    login(client, world.office_admin)
    response = client.post(
        reverse("lgsp:credential-issue", args=[world.motcua.pk]),
        {
            "kind": "oauth_client",
            "token": "form-1",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    credential = Credential.objects.get()
    assert credential.client_id and credential.client_id in text(response)
    assert "http://testserver/api/v1/lgsp/oauth/token" in text(response)
    assert credential.expires_at is not None
    assert access.secret_sha256(response.context["secret"]) == credential.secret_sha256


def test_credentials_are_issued_and_revoked_by_the_systems_unit_only(client, world):
    url = reverse("lgsp:credential-issue", args=[world.motcua.pk])
    assert login(client, world.police_admin).post(url, {"kind": "api_key", "token": "t"}).status_code == 403
    assert (
        login(client, world.police_admin).get(reverse("lgsp:subsystem", args=[world.motcua.pk])).status_code
        == 403
    )
    issued = access.api_key_issue(subsystem=world.motcua)
    revoke = reverse("lgsp:credential-revoke", args=[issued.credential.pk])
    assert client.post(revoke).status_code == 403
    response = login(client, world.office_admin).post(revoke)
    assert response.status_code == 302
    issued.credential.refresh_from_db()
    assert issued.credential.revoked_at is not None


def test_past_expiry_is_refused(client, world):
    login(client, world.office_admin)
    response = client.post(
        reverse("lgsp:credential-issue", args=[world.motcua.pk]),
        {"kind": "api_key", "token": "form-1", "expires_on": "2020-01-01"},
    )
    assert response.status_code == 400 and "Ngày hết hạn phải sau hôm nay" in text(response)
    assert not Credential.objects.exists()


def test_my_systems_and_the_operators_consumers(client, world):
    access.grant_create(service=world.persons, client=world.motcua)
    response = login(client, world.office_admin).get(reverse("lgsp:subsystems"))
    assert response.status_code == 200
    assert [s.code for s in response.context["page"].object_list] == ["motcua"]
    assert response.context["page"].object_list[0].grant_count == 1
    assert client.get(reverse("lgsp:consumers")).status_code == 403

    response = login(client, world.operator).get(reverse("lgsp:consumers"), {"with": "grants"})
    assert response.status_code == 200
    assert [s.code for s in response.context["page"].object_list] == ["motcua"]
    response = client.get(reverse("lgsp:consumers"))
    assert {s.code for s in response.context["page"].object_list} == {"csdl-dancu", "motcua", "hotich"}


# --- operator: usage, evidence, gateway ---------------------------------------------------------


@pytest.fixture
def calls(world):
    today = timezone.localdate()
    client_id = world.motcua.xroad_id
    for service, status, count in ((world.persons, 200, 40), (world.persons, 429, 2), (world.civil, 200, 7)):
        UsageDaily.objects.create(
            day=today,
            client=client_id,
            service=service.xroad_id,
            status=status,
            engine="builtin",
            calls=count,
            latency_ms_sum=count * 3.0,
            latency_ms_max=9.0,
        )
    CallEvidence.objects.create(
        request_id="req-0001",
        at=timezone.now(),
        engine="builtin",
        client=client_id,
        service=world.civil.xroad_id,
        method="GET",
        status=200,
        latency_ms=3.2,
        request_hash="z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
    )


def test_usage_page_for_the_operator_with_a_chart(client, world, calls):
    response = login(client, world.operator).get(reverse("lgsp:usage"))
    assert response.status_code == 200
    assert response.context["total_calls"] == 49 and response.context["total_errors"] == 2
    body = text(response)
    assert 'id="usage-chart-data"' in body and "chart.umd.min.js" in body and "lgsp/charts.js" in body
    response = client.get(reverse("lgsp:usage"), {"service": world.civil.xroad_id})
    assert response.context["total_calls"] == 7
    # The form shows the period it used: the last 30 days by default.
    assert f'value="{timezone.localdate().isoformat()}"' in body


def test_usage_of_an_agency_is_its_own_calls(client, world, calls):
    response = login(client, world.police_admin).get(reverse("lgsp:usage"))
    assert response.status_code == 200 and response.context["total_calls"] == 42  # persons only
    response = login(client, world.office_admin).get(reverse("lgsp:usage"))
    assert response.context["total_calls"] == 49  # every call its system made
    response = login(client, world.health_admin).get(reverse("lgsp:usage"))
    assert response.context["total_calls"] == 0
    assert login(client, world.nobody).get(reverse("lgsp:usage")).status_code == 403


def test_usage_csv_download(client, world, calls):
    response = login(client, world.operator).get(reverse("lgsp:usage-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeffNgày,")
    assert world.civil.xroad_id in content and len(content.strip().splitlines()) == 4
    assert (
        login(client, world.police_admin).get(reverse("lgsp:usage-csv")).content.decode().count("\r\n") == 3
    )
    assert login(client, world.nobody).get(reverse("lgsp:usage-csv")).status_code == 403


def test_evidence_search_by_xroad_id(client, world, calls):
    response = login(client, world.operator).get(reverse("lgsp:evidence"), {"request_id": "req-0001"})
    assert response.status_code == 200 and len(response.context["calls"]) == 1
    assert "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg" in text(response)
    # The police neither provide nor made this call.
    response = login(client, world.police_admin).get(reverse("lgsp:evidence"), {"request_id": "req-0001"})
    assert response.context["calls"] == [] and 'id="evidence-empty"' in text(response)
    assert login(client, world.nobody).get(reverse("lgsp:evidence")).status_code == 403


def test_engine_page_and_publish_now(client, world):
    assert login(client, world.police_admin).get(reverse("lgsp:engine")).status_code == 403
    assert client.post(reverse("lgsp:publish")).status_code == 403
    assert not GatewayGeneration.objects.exists()

    login(client, world.operator)
    response = client.get(reverse("lgsp:engine"))
    assert response.status_code == 200 and response.context["active_generation"] is None
    response = client.post(reverse("lgsp:publish"), follow=True)
    generation = GatewayGeneration.objects.get()
    assert generation.status == GenerationStatus.ACTIVE and generation.services == 2
    assert f"#{generation.number}" in text(response)
    response = client.post(reverse("lgsp:publish"), follow=True)
    assert "không thay đổi" in text(response) and GatewayGeneration.objects.count() == 1
    GatewayGeneration.objects.create(
        number=generation.number + 1,
        engine="haproxy",
        status=GenerationStatus.FAILED,
        snapshot_sha256="0" * 64,
        error="haproxy -c: config error",
    )
    response = client.get(reverse("lgsp:engine"))
    assert "haproxy -c: config error" in text(response) and 'id="engine-failures"' in text(response)
