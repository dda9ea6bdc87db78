"""The LGSP of issue 6 in a real browser, with a real gateway: an agency publishes a service, another
agency finds it in the public catalogue and asks for access, the operator approves within the
deadline, the consumer's API key (shown once) calls the service through the built-in gateway, the
call is counted on the usage page, and the key, revoked in the page, is refused within seconds.
And the public catalogue's search on a phone."""

# ruff: noqa: F811  (the tests' parameters are the fixtures imported from lgsp_fixtures)

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.lgsp_fixtures import (  # noqa: F401
    LEGAL_BASIS,
    consumer_page,
    lgsp_catalogue,
    lgsp_dir,
    lgsp_gateway,
    lgsp_land,
    lgsp_upstream,
    log_in_official,
    operator_page,
)

pytestmark = pytest.mark.browser

SERVICE_CODE = "tra-cuu-cong-dan"
SERVICE_NAME = "Tra cứu thông tin công dân"
PURPOSE = "Kiểm tra thông tin công dân khi tiếp nhận hồ sơ thủ tục hành chính tại bộ phận một cửa."
APPROVAL_BASIS = "Điều 35 Nghị định 47/2020/NĐ-CP; Kế hoạch 12/KH-UBND"
# A citizen identity number in the query: it must reach the provider and no log of the gateway.
CCCD = "001203004567"
REVOCATION_SECONDS = 5


def assert_clean(*pages) -> None:
    """No page any of these people opened logged an error or broke the Content-Security-Policy."""
    for page in pages:
        assert page.console_log.csp_violations == [], page.console_log.messages
        assert page.console_log.errors == [], page.console_log.messages


def expect_message(page, text: str) -> None:
    expect(page.locator("#messages")).to_contain_text(text)


def call_service(gateway, service_id: str, client_id: str, key: str):
    """What the consumer's system does: GET …/persons?so_dinh_danh=… through the gateway."""
    return gateway.call(
        "GET",
        f"/r1/{service_id}/persons?so_dinh_danh={CCCD}",
        headers={"X-API-Key": key, "X-Road-Client": client_id, "Accept": "application/json"},
        timeout=10,
    )


def test_a_service_is_published_requested_approved_called_counted_and_its_key_revoked(
    site, lgsp_land, lgsp_upstream, lgsp_gateway, page, consumer_page, operator_page, log_in_official
):
    from django.utils import timezone

    from cqs.lgsp.models import AccessGrant, ConnectionRequest, Credential, Service
    from cqs.lgsp.services.access import request_due_on, secret_sha256
    from cqs.lgsp.testing import wait_for
    from cqs.lgsp.usage import ingest_logs

    land = lgsp_land
    gateway = lgsp_gateway
    client_id = land.consumer.xroad_id
    today = timezone.localdate()

    # --- 1. the police's connection admin registers a service with an endpoint and publishes it
    provider = page
    log_in_official(provider, land.provider_admin)
    provider.goto(f"{site}/lgsp/")
    provider.locator("#nav-lgsp-services").click()
    provider.locator("#service-create").click()
    expect(provider.locator("#service-form")).to_be_visible()
    provider.locator("#id_subsystem").select_option(str(land.provider.pk))
    provider.fill("#id_code", SERVICE_CODE)
    provider.fill("#id_name", SERVICE_NAME)
    provider.fill("#id_description", "Họ tên, ngày sinh, nơi thường trú theo số định danh cá nhân.")
    provider.locator("#id_kind").select_option("REST")
    provider.locator("#id_data_classification").select_option("personal")
    provider.fill("#id_upstream_url", f"{lgsp_upstream.url}/api")
    provider.fill("#id_legal_basis", LEGAL_BASIS)
    provider.fill("#id_contact_email", "dancu@congan.example.vn")
    provider.locator("#service-save").click()
    provider.wait_for_load_state()

    expect_message(provider, f"Đã tạo dịch vụ {SERVICE_NAME} (đang soạn)")
    service = Service.objects.get(code=SERVICE_CODE)
    expect(provider.locator("#service-xroad-id")).to_have_text(service.xroad_id)
    expect(provider.locator("[data-service-status]")).to_have_attribute("data-service-status", "draft")
    expect(provider.locator("#service-upstream")).to_have_text(f"{lgsp_upstream.url}/api")

    provider.locator("#endpoint-form #id_method").select_option("GET")
    provider.fill("#endpoint-form #id_path", "/persons")
    provider.fill("#endpoint-form #id_description", "Tra cứu theo số định danh cá nhân")
    provider.locator("#endpoint-add").click()
    provider.wait_for_load_state()
    expect_message(provider, "Đã thêm điểm cuối")
    expect(provider.locator("#service-endpoints tbody")).to_contain_text("/persons")

    provider.locator("#service-publish").click()
    provider.wait_for_load_state()
    expect_message(provider, "Dịch vụ đã được cung cấp qua cổng kết nối.")
    expect(provider.locator("[data-service-status]")).to_have_attribute("data-service-status", "published")
    service.refresh_from_db()
    assert service.status == "published"
    # Published means live on the gateway: a call without credentials is refused there as
    # unauthenticated (401), no longer as an unknown service.
    unauthenticated = gateway.call("GET", f"/r1/{service.xroad_id}/persons")
    assert unauthenticated.status == 401, unauthenticated.body
    assert unauthenticated.header("WWW-Authenticate") == 'Bearer realm="lgsp"'

    # --- 2. the provincial office's connection admin finds it in the public catalogue and asks
    consumer = consumer_page
    log_in_official(consumer, land.consumer_admin)
    consumer.goto(f"{site}/lgsp/danh-muc/")
    consumer.fill("#catalogue-q", "cong dan")  # without diacritics: the search folds them
    consumer.locator("#catalogue-search").click()
    consumer.wait_for_load_state()
    found = consumer.locator(f"#catalogue-list li[data-service='{service.xroad_id}']")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(land.police_member.name)
    found.get_by_role("link", name=SERVICE_NAME).click()
    expect(consumer.locator("#service-xroad-id")).to_have_text(service.xroad_id)
    expect(consumer.locator("#service-gateway-url")).to_have_text(f"{gateway.url}/r1/{service.xroad_id}")
    consumer.locator("#service-request").click()

    consumer.locator("#id_client").select_option(str(land.consumer.pk))
    consumer.locator("#request-form input[name=endpoints]").check()
    consumer.fill("#id_purpose", PURPOSE)
    consumer.fill("#id_legal_basis", "Nghị định 107/2021/NĐ-CP (một cửa, một cửa liên thông)")
    consumer.fill("#id_rate_per_minute", "60")
    consumer.locator("#request-submit").click()
    consumer.wait_for_load_state()

    due = request_due_on(today)
    due_text = due.strftime("%d/%m/%Y")
    expect_message(consumer, f"Bên cung cấp trả lời chậm nhất ngày {due_text} (2 ngày làm việc)")
    connection_request = ConnectionRequest.objects.get(client=land.consumer, service=service)
    assert connection_request.status == "pending" and connection_request.due_on == due
    expect(consumer.locator("#request-due")).to_have_text(due_text)

    # --- 3. the operator sees it with its deadline (2 working days) and approves it
    operator = operator_page
    log_in_official(operator, land.operator)
    operator.goto(f"{site}/lgsp/")
    operator.locator("#nav-lgsp-requests").click()
    row = operator.locator(f"#requests-table tr[data-request='{connection_request.pk}']")
    expect(row).to_contain_text(land.consumer.name)
    expect(row.locator("td").nth(3)).to_have_text(due_text)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "pending")
    row.get_by_role("link", name=SERVICE_NAME).click()
    expect(operator.locator("#request-due")).to_have_text(due_text)
    expect(operator.locator("#request-facts")).to_contain_text(PURPOSE)
    approve = operator.locator("#approve-form")
    approve.locator("[name=legal_basis]").fill(APPROVAL_BASIS)
    approve.locator("[name=daily_quota]").fill("1000")
    approve.locator("#approve-submit").click()
    operator.wait_for_load_state()

    expect_message(operator, "Đã chấp thuận đề nghị kết nối: 1 quyền truy cập được cấp")
    expect(operator.locator("[data-status]").first).to_have_attribute("data-status", "approved")
    expect(operator.locator("#request-decision-basis")).to_have_text(APPROVAL_BASIS)
    expect(operator.locator("#request-grants")).to_contain_text("GET /persons")
    grant = AccessGrant.objects.get(request=connection_request)
    assert (grant.client, grant.service, grant.endpoint.path) == (land.consumer, service, "/persons")
    assert (grant.rate_per_minute, grant.daily_quota, grant.revoked_at) == (60, 1000, None)

    # --- 4. the consumer issues an API key for its system: the key is shown once
    consumer.goto(f"{site}/lgsp/")
    consumer.locator("#nav-lgsp-subsystems").click()
    consumer.locator(f"tr[data-subsystem='{client_id}']").get_by_role("link", name=land.consumer.name).click()
    expect(consumer.locator("#subsystem-grants")).to_contain_text(SERVICE_NAME)
    expect(consumer.locator("#credentials-empty")).to_be_visible()
    consumer.fill("#credential-form #id_label", "Máy chủ một cửa")
    consumer.locator("#credential-issue").click()
    consumer.wait_for_load_state()

    secret = consumer.locator("#secret-value")
    expect(secret).to_have_value(re.compile(r"\S{32,}"))
    key = secret.input_value()
    credential = Credential.objects.get(subsystem=land.consumer)
    assert credential.secret_sha256 == secret_sha256(key) and key not in credential.secret_sha256
    assert key.startswith(credential.prefix)
    # Back to the system's page, and reloaded: the key is nowhere, only its prefix to recognise it.
    consumer.locator("#secret-done").click()
    consumer.wait_for_load_state()
    for _attempt in range(2):
        row = consumer.locator(f"#credentials-table tr[data-credential='{credential.pk}']")
        expect(row).to_contain_text(f"{credential.prefix}…")
        expect(row).to_contain_text("Đang dùng")
        expect(consumer.locator("#secret-value")).to_have_count(0)
        assert key not in consumer.content()
        consumer.reload()
        consumer.wait_for_load_state()

    # --- 5. the consumer's system calls the service through the gateway with the key
    # The pages published the key and the grant on their way (the built-in engine's snapshot);
    # the gateway reloads it within a quarter of a second.
    snapshot = lgsp_dir_snapshot(gateway)
    assert wait_for(lambda: secret_sha256(key) in snapshot()["api_keys"], timeout=5), snapshot()
    attempts = []

    def succeeds():
        attempts.append(call_service(gateway, service.xroad_id, client_id, key))
        return attempts[-1].status == 200

    assert wait_for(succeeds, timeout=5, interval=0.2), [(r.status, r.body) for r in attempts]
    answer = attempts[-1]
    echo = answer.json()
    assert (echo["method"], echo["path"], echo["query"]) == ("GET", "/api/persons", f"so_dinh_danh={CCCD}")
    assert echo["headers"]["X-Road-Client"] == client_id
    assert echo["headers"]["X-Road-Service"] == service.xroad_id
    request_id = answer.header("X-Road-Id")
    assert request_id and echo["headers"]["X-Road-Id"] == request_id
    assert answer.header("X-Road-Error") is None
    # The gateway credential never reaches the provider.
    received = lgsp_upstream.find(request_id)
    assert received is not None and not received.has_header("X-API-Key")
    assert not received.has_header("Authorization")

    # --- 6. the call is on the usage page, for that service and that client (after ingestion:
    # the page has no refresh button, the minute task reads the logs; here the test does)
    assert wait_for(lambda: gateway.log_line(request_id), timeout=5), gateway.raw_log()
    raw_log = gateway.raw_log()
    assert CCCD not in raw_log and key not in raw_log
    ingested = ingest_logs()
    assert ingested.files >= 1
    operator.goto(f"{site}/lgsp/")
    operator.locator("#nav-lgsp-usage").click()
    operator.fill("#usage-filter #id_service", service.xroad_id)
    operator.fill("#usage-filter #id_client", client_id)
    operator.locator("#usage-filter button[type=submit]").click()
    operator.wait_for_load_state()
    calls = len(attempts)  # normally one; a call made before the gateway reloaded is counted too
    expect(operator.locator("#usage-total-calls")).to_have_text(str(calls))
    expect(operator.locator("#usage-chart")).to_be_visible()
    by_service = operator.locator("#usage-by-service tbody tr")
    expect(by_service).to_have_count(1)
    expect(by_service.locator("td").nth(0)).to_have_text(service.xroad_id)
    expect(by_service.locator("td").nth(1)).to_have_text(str(calls))
    by_client = operator.locator("#usage-by-client tbody tr")
    expect(by_client).to_have_count(1)
    expect(by_client.locator("td").nth(0)).to_have_text(client_id)
    ok_row = operator.locator("#usage-rows tbody tr").filter(has_text="2xx")
    expect(ok_row).to_have_count(1)
    expect(ok_row.locator("td").nth(0)).to_have_text(today.strftime("%d/%m/%Y"))
    expect(ok_row.locator("td").nth(1)).to_have_text(client_id)
    expect(ok_row.locator("td").nth(2)).to_have_text(service.xroad_id)
    expect(ok_row.locator("td").nth(4)).to_have_text("1")
    # And its evidence, by its X-Road-Id: who, what, the outcome and the hashes, no content.
    operator.locator("#nav-lgsp-evidence").click()
    operator.fill("#id_request_id", request_id)
    operator.locator("#evidence-search").click()
    evidence = operator.locator(f"[data-evidence='{request_id}']")
    expect(evidence).to_contain_text(client_id)
    expect(evidence).to_contain_text(service.xroad_id)
    expect(evidence).to_contain_text("GET · 200")
    assert CCCD not in operator.content()

    # --- 7. the consumer revokes the key in the page; the gateway refuses it within seconds
    consumer.once("dialog", lambda dialog: dialog.accept())
    consumer.locator(f"button[data-revoke-credential='{credential.pk}']").click()
    consumer.wait_for_load_state()
    expect_message(consumer, f"Đã thu hồi tài khoản kết nối {credential.prefix}…")
    expect(consumer.locator(f"#credentials-table tr[data-credential='{credential.pk}']")).to_contain_text(
        "Đã thu hồi"
    )
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    refused = []

    def refused_now():
        refused.append(call_service(gateway, service.xroad_id, client_id, key))
        return refused[-1].status == 401

    assert wait_for(refused_now, timeout=REVOCATION_SECONDS, interval=0.1), [r.status for r in refused]
    last = refused[-1]
    assert last.header("X-Road-Error") == "Client.Unauthorized"
    assert last.header("WWW-Authenticate") == 'Bearer realm="lgsp"'
    assert last.json()["type"] == "Client.Unauthorized"
    assert lgsp_upstream.find(last.header("X-Road-Id")) is None  # never forwarded

    assert_clean(provider, consumer, operator)


def lgsp_dir_snapshot(gateway):
    """A reader of the snapshot the built-in gateway serves (``active/snapshot.json``)."""
    path = gateway.lgsp_dir / "active" / "snapshot.json"

    def read() -> dict:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"api_keys": {}}

    return read


def test_the_public_catalogue_search_works_on_a_phone(site, lgsp_catalogue, phone_page):
    catalogue = lgsp_catalogue
    phone = phone_page

    # given: someone with no account, on a 375 px phone, opens the public catalogue
    phone.goto(f"{site}/lgsp/danh-muc/")
    expect(phone.locator("#catalogue-count")).to_have_text("3 dịch vụ")  # the draft is not public
    expect(phone.locator("#catalogue-list li")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # when: they search for "ho tich", without diacritics as phones often type
    search = phone.locator("#catalogue-q")
    expect(search).to_be_visible()
    search.fill("ho tich")
    search.press("Enter")
    phone.wait_for_load_state()

    # then: only the published civil-status service is found, and the page still fits the screen
    expect(phone.locator("#catalogue-count")).to_have_text("1 dịch vụ")
    found = phone.locator("#catalogue-list li")
    expect(found).to_have_count(1)
    expect(found).to_have_attribute("data-service", catalogue.civil.xroad_id)
    expect(found).to_contain_text("Sở Tư pháp tỉnh Thử")
    expect(search).to_have_value("ho tich")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # when: a search that matches nothing
    search.fill("giay phep xay dung")
    search.press("Enter")
    phone.wait_for_load_state()
    expect(phone.locator("#catalogue-empty")).to_be_visible()
    expect(phone.locator("#catalogue-count")).to_have_text("0 dịch vụ")

    # when: they search again and open the service found
    search.fill("lai xe")
    phone.locator("#catalogue-search").click()
    phone.wait_for_load_state()
    expect(phone.locator("#catalogue-list li")).to_have_count(1)
    phone.get_by_role("link", name="Tra cứu giấy phép lái xe").click()

    # then: its page shows how to call it, readable on the phone, and offers no request to a visitor
    expect(phone.locator("#service-xroad-id")).to_have_text(catalogue.licences.xroad_id)
    expect(phone.locator("#service-legal-basis")).to_have_text(LEGAL_BASIS)
    expect(phone.locator("#service-request")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.console_log.csp_violations == [], phone.console_log.messages
    assert phone.console_log.errors == [], phone.console_log.messages
