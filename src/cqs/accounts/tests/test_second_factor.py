"""TOTP second factor: required for administrator roles and superusers, optional for others."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.accounts.tests.conftest import db_state, official_with_role, otp_verified_login
from cqs.accounts.tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory
from cqs.accounts.views import TOTP_SETUP_SESSION_KEY
from cqs.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/"


def token_for(key_hex: str) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


@pytest.fixture
def admin_user(tree, roles):
    """A unit administrator: the role requires 2FA."""
    return official_with_role(tree.d1, roles["quan-tri-don-vi"], username="quantri")


def test_the_urls_are_where_the_pages_and_tests_expect_them():
    assert reverse("accounts:2fa-verify") == VERIFY
    assert reverse("accounts:2fa-setup") == SETUP


def test_an_administrator_without_a_device_goes_to_setup_after_login(client, admin_user):
    response = client.post("/accounts/login/", {"username": "quantri", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith(SETUP)


def test_every_page_sends_an_unverified_administrator_to_setup_keeping_the_page(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/orgs/?as_of=2025-06-30")

    assert response.status_code == 302
    assert response.url == SETUP + "?next=%2Forgs%2F%3Fas_of%3D2025-06-30"


def test_an_administrator_with_a_device_is_sent_to_verify(client, admin_user):
    TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)

    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_a_superuser_needs_the_second_factor_too(client, db):
    root = UserFactory(superuser=True)
    client.force_login(root)
    assert client.get("/admin/").url.startswith(SETUP)


@pytest.mark.parametrize("path", ["/healthz", "/static/core/cqs.css", SETUP])
def test_some_paths_stay_reachable_before_the_second_factor(client, admin_user, path):
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code != 302 or not response.url.startswith(SETUP)


def test_logout_stays_reachable_before_the_second_factor(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_api_answers_403_second_factor_required(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/api/v1/me/")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "second_factor_required"
    assert "hai yếu tố" in response.json()["detail"]


def test_an_official_whose_roles_do_not_require_it_is_not_redirected(client, specialist):
    client.force_login(specialist)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_verified_administrator_uses_the_pages(client, admin_user):
    otp_verified_login(client, admin_user)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").json()["two_factor"] == {
        "required": True,
        "enabled": True,
        "verified": True,
    }


# --- enrolment -------------------------------------------------------------------------------


def test_the_setup_page_shows_the_secret_and_an_inline_svg_qr_code_without_scripts(client, admin_user):
    client.force_login(admin_user)

    response = client.get(SETUP)

    assert response.status_code == 200
    html = response.content.decode()
    key = client.session[TOTP_SETUP_SESSION_KEY]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert len(secret.replace(" ", "")) == 32
    assert "<svg " in html and 'class="cqs-qr"' in html and "<?xml" not in html
    assert "<script>" not in html and 'style="' not in html
    assert 'name="otp_token"' in html
    assert not TOTPDevice.objects.exists(), "opening the page writes nothing"
    assert client.get(SETUP).context["secret"] == response.context["secret"], "same secret until confirmed"
    assert key


def test_confirming_with_a_valid_token_enables_2fa_and_verifies_the_session(client, admin_user):
    client.force_login(admin_user)
    client.get(SETUP)
    key = client.session[TOTP_SETUP_SESSION_KEY]

    response = client.post(SETUP + "?next=/orgs/", {"otp_token": token_for(key)})

    assert response.status_code == 302
    assert response.url == "/orgs/"
    device = TOTPDevice.objects.get(user=admin_user)
    assert device.confirmed and device.key == key
    assert AuditEvent.objects.filter(action="accounts.totp_enable", actor=admin_user).exists()
    assert client.get("/").status_code == 200, "the session is verified"


def test_a_wrong_token_does_not_enable_anything(client, admin_user):
    client.force_login(admin_user)
    client.get(SETUP)
    before = db_state()

    response = client.post(SETUP, {"otp_token": "000000"})

    assert response.status_code == 200
    assert "Mã xác thực không đúng" in response.content.decode()
    assert db_state() == before


def test_a_malformed_token_is_explained(client, admin_user):
    client.force_login(admin_user)
    client.get(SETUP)
    html = client.post(SETUP, {"otp_token": "abc"}).content.decode()
    assert "6 chữ số" in html
    assert not TOTPDevice.objects.exists()


def test_someone_with_only_the_password_cannot_enrol_a_second_device(client, admin_user):
    TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=admin_user).count() == 1


def test_an_official_may_enrol_optionally(client, specialist):
    client.force_login(specialist)
    client.get(SETUP)
    key = client.session[TOTP_SETUP_SESSION_KEY]

    client.post(SETUP, {"otp_token": token_for(key)})

    assert TOTPDevice.objects.filter(user=specialist, confirmed=True).exists()


# --- verification ----------------------------------------------------------------------------


def test_the_verify_page_has_the_token_field_and_button(client, admin_user):
    TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)

    html = client.get(VERIFY).content.decode()

    assert 'name="otp_token"' in html and 'id="otp-submit"' in html


def test_a_valid_token_verifies_the_session(client, admin_user):
    device = TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)

    response = client.post(VERIFY + "?next=/", {"otp_token": token_for(device.key)})

    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.otp_verify", actor=admin_user).exists()


def test_a_token_cannot_be_used_twice(client, admin_user):
    device = TOTPDeviceFactory(user=admin_user)
    token = token_for(device.key)
    client.force_login(admin_user)
    client.post(VERIFY, {"otp_token": token})
    client.post(reverse("accounts:logout"))
    client.force_login(admin_user)

    response = client.post(VERIFY, {"otp_token": token})

    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_a_wrong_token_keeps_the_session_unverified(client, admin_user):
    device = TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)
    wrong = f"{(int(token_for(device.key)) + 500000) % 1000000:06d}"

    response = client.post(VERIFY, {"otp_token": wrong})

    assert response.status_code == 200
    assert "Mã xác thực không đúng" in response.content.decode()
    assert client.get("/").status_code == 302


def test_after_a_wrong_token_the_device_is_throttled(client, admin_user):
    device = TOTPDeviceFactory(user=admin_user)
    client.force_login(admin_user)
    client.post(VERIFY, {"otp_token": "000001"})

    response = client.post(VERIFY, {"otp_token": token_for(device.key)})

    assert "quá nhiều lần" in response.content.decode()
    assert client.get("/").status_code == 302


# --- admin site ------------------------------------------------------------------------------


def test_the_admin_needs_staff(client, specialist):
    client.force_login(specialist)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert 'id="login-other-account"' in response.content.decode()


def test_the_admin_opens_for_staff_without_2fa_roles_and_for_verified_superusers(client, tree):
    staff = official_with_role(tree.c1, username="nhanvien", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200

    root = UserFactory(superuser=True)
    otp_verified_login(client, root)
    assert client.get("/admin/").status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_superuser(rf, db):
    # Defence in depth: the admin checks the second factor even without the middleware.
    from django.contrib import admin
    from django_otp.middleware import OTPMiddleware

    root = UserFactory(superuser=True)
    request = rf.get("/admin/")
    request.user = root
    request.session = {}
    OTPMiddleware(lambda r: None)._verify_user_sync(request, root)

    assert admin.site.has_permission(request) is False
