"""Sign-in and sign-out pages, with django-axes throttling."""

import pytest
from django.conf import settings
from django.urls import reverse

from cqs.accounts.tests.conftest import official_with_role
from cqs.accounts.tests.factories import PASSWORD
from cqs.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_login_page_has_the_fields_and_button_in_vietnamese(client):
    response = client.get(reverse("accounts:login"))

    assert reverse("accounts:login") == LOGIN
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'id="login-submit"' in html
    assert "Tên đăng nhập" in html and "Mật khẩu" in html
    assert "<script>" not in html and 'style="' not in html


def test_an_official_signs_in_and_lands_on_the_home_page(client, specialist):
    response = client.post(LOGIN, {"username": specialist.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("core:home")
    assert client.session["_auth_user_id"] == str(specialist.pk)
    assert AuditEvent.objects.filter(action="accounts.login", actor=specialist).exists()


def test_sign_in_follows_a_local_next_but_not_a_foreign_one(client, specialist):
    ok = client.post(LOGIN + "?next=/orgs/", {"username": specialist.username, "password": PASSWORD})
    client.logout()
    foreign = client.post(
        LOGIN, {"username": specialist.username, "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert ok.url == "/orgs/"
    assert foreign.url == reverse("core:home")


def test_a_wrong_password_shows_a_vietnamese_message_and_no_session(client, specialist):
    response = client.post(LOGIN, {"username": specialist.username, "password": "sai-mat-khau"})

    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="accounts.login").exists()


def test_empty_fields_are_explained(client):
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Vui lòng nhập tên đăng nhập." in html
    assert "Vui lòng nhập mật khẩu." in html
    assert "is-invalid" in html


def test_an_inactive_account_cannot_sign_in(client, tree):
    user = official_with_role(tree.c1, is_active=False)
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_with_a_vietnamese_429_page(client, specialist):
    # given the configured number of wrong passwords from one address
    statuses = [
        client.post(LOGIN, {"username": specialist.username, "password": f"sai-{i}"}).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429

    # when the right password is then tried
    response = client.post(LOGIN, {"username": specialist.username, "password": PASSWORD})

    # then the lockout page answers, not a session
    assert response.status_code == 429
    html = response.content.decode()
    assert "Tài khoản tạm thời bị khóa" in html
    assert "phút" in html
    assert 'id="lockout"' in html
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, specialist, tree):
    other = official_with_role(tree.c2, username="nguoi.khac")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": specialist.username, "password": f"sai-{i}"})

    response = client.post(LOGIN, {"username": other.username, "password": PASSWORD})

    assert response.status_code == 302


def test_logout_is_post_only_and_ends_the_session(client, specialist):
    client.force_login(specialist)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="accounts.logout", actor=specialist).exists()


def test_the_admin_login_sends_people_to_the_platform_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert "next=%2Fadmin%2F" in response.url


def test_a_signed_in_user_opening_the_login_page_goes_home(client, specialist):
    client.force_login(specialist)
    response = client.get(LOGIN)
    assert response.status_code == 302 and response.url == reverse("core:home")
