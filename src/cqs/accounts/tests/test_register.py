"""A citizen registers an account on /accounts/register/ and is signed in."""

import pytest
from django.core.cache import cache
from django.test import Client

from cqs.accounts.models import User
from cqs.accounts.tests.conftest import db_state
from cqs.accounts.tests.factories import CitizenFactory
from cqs.accounts.views import REGISTER_ATTEMPTS_LIMIT
from cqs.audit.models import AuditEvent

REGISTER = "/accounts/register/"
GOOD = {
    "full_name": "Phạm Thị Dung",
    "cccd": "026300009999",
    "phone": "0987 000 111",
    "email": "dung@example.vn",
    "username": "phamthidung",
    "password": "hoa-sen-trong-dam-2026",
    "password_confirm": "hoa-sen-trong-dam-2026",
}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The attempt counter lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def field_errors(response, name: str) -> list[str]:
    return response.context["form"].errors.get(name, [])


def test_the_page_shows_the_form(client, db):
    response = client.get(REGISTER)

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("full_name", "cccd", "phone", "email", "username", "password", "password_confirm"):
        assert f'name="{name}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_login_page_links_to_registration(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert "Công dân chưa có tài khoản?" in page
    assert f'href="{REGISTER}' in page


def test_a_citizen_registers_and_is_signed_in(client, db):
    response = client.post(REGISTER, GOOD | {"next": "/onestop/procedures/"})

    assert response.status_code == 302
    assert response["Location"] == "/onestop/procedures/"
    user = User.objects.get(username="phamthidung")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.full_name, user.email) == ("Phạm Thị Dung", "dung@example.vn")
    assert (user.citizen_profile.cccd, user.citizen_profile.phone) == ("026300009999", "0987000111")
    assert user.check_password(GOOD["password"])
    assert AuditEvent.objects.filter(action="accounts.user_create", object_id=str(user.pk)).exists()


def test_an_unsafe_next_sends_the_new_citizen_home(client, db):
    response = client.post(REGISTER, GOOD | {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_email_is_optional(client, db):
    response = client.post(REGISTER, GOOD | {"email": ""})

    assert response.status_code == 302
    assert User.objects.get(username="phamthidung").email == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cccd", "02630000999", "Số căn cước phải gồm đúng 12 chữ số."),
        ("phone", "12345", "Số điện thoại không hợp lệ"),
        ("email", "khong-phai-thu", "Địa chỉ thư điện tử không hợp lệ."),
        ("username", "có dấu cách", "Tên đăng nhập chỉ gồm chữ"),
        ("full_name", "", "Vui lòng nhập họ và tên."),
        ("phone", "", "Vui lòng nhập số điện thoại."),
    ],
)
def test_an_invalid_value_is_shown_on_its_field_and_nothing_is_written(client, db, field, value, message):
    before = db_state()

    response = client.post(REGISTER, GOOD | {field: value})

    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field))
    assert db_state() == before
    assert "_auth_user_id" not in client.session


def test_a_cccd_that_already_has_an_account_is_refused(client, db):
    CitizenFactory(citizen_profile__cccd=GOOD["cccd"])
    before = db_state()

    response = client.post(REGISTER, GOOD)

    assert field_errors(response, "cccd") == ["Số căn cước này đã được dùng cho một tài khoản khác."]
    assert db_state() == before


def test_a_username_already_taken_is_refused(client, db):
    CitizenFactory(username="phamthidung")
    before = db_state()

    response = client.post(REGISTER, GOOD)

    assert field_errors(response, "username") == ["Tên đăng nhập “phamthidung” đã được sử dụng."]
    assert db_state() == before


def test_two_different_passwords_are_refused(client, db):
    before = db_state()

    response = client.post(REGISTER, GOOD | {"password_confirm": "mot-mat-khau-khac-2026"})

    assert field_errors(response, "password_confirm") == ["Hai mật khẩu không giống nhau."]
    assert db_state() == before


def test_a_weak_password_is_refused(client, db):
    before = db_state()

    response = client.post(REGISTER, GOOD | {"password": "12345678", "password_confirm": "12345678"})

    assert field_errors(response, "password")[0].startswith("Mật khẩu chưa đủ mạnh")
    assert db_state() == before


def test_a_post_without_the_csrf_token_is_refused(db):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(REGISTER, GOOD)

    assert response.status_code == 403
    assert not User.objects.exists()


def test_too_many_attempts_from_one_address_are_refused(client, db):
    for _ in range(REGISTER_ATTEMPTS_LIMIT):
        client.post(REGISTER, GOOD | {"cccd": "sai"})

    response = client.post(REGISTER, GOOD)

    assert response.status_code == 429
    assert "Có quá nhiều lượt đăng ký" in response.content.decode()
    assert not User.objects.exists()


def test_a_signed_in_person_is_sent_on(client, db):
    client.force_login(CitizenFactory())

    response = client.get(REGISTER)

    assert response.status_code == 302
    assert response["Location"] == "/"
