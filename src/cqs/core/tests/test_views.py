"""Home page per role, the page shell, and the health check."""

import re

import pytest
from django.contrib.messages import constants as message_constants
from django.contrib.messages.storage.base import Message
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from cqs.accounts.tests.factories import (
    CitizenFactory,
    OfficialFactory,
    RoleFactory,
    RoleGrantFactory,
    TOTPDeviceFactory,
    UserFactory,
)
from cqs.core import views
from cqs.core.modules import MODULES, Module, modules_for
from cqs.core.templatetags.core_tags import alert_class, is_current_section
from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def official(*, modules, position="Chuyên viên", is_staff=False, role_name="Chuyên viên"):
    """An official of a department holding one role (with ``modules``) on it."""
    unit = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True), name="Sở Thông tin và Truyền thông", short_name="STTTT"
    )
    user = OfficialFactory(
        full_name="Nguyễn Văn An",
        is_staff=is_staff,
        official_profile__unit=unit,
        official_profile__position=position,
    )
    RoleGrantFactory(user=user, role=RoleFactory(modules=modules, name=role_name), unit=unit)
    return user


def otp_verified_login(client, user) -> None:
    """Sign in with a session whose second factor is already verified (superusers need it)."""
    device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def card_codes(html: str) -> list[str]:
    return re.findall(r'class="card h-100 cqs-module-card[^"]*" data-module="([a-z]+)"', html)


# --- landing page -------------------------------------------------------------------------------


def test_anonymous_visitor_gets_the_landing_page_with_a_login_link(client):
    # when
    response = client.get(reverse("core:home"))

    # then
    assert response.status_code == 200
    assert response.templates[0].name == "core/landing.html"
    html = response.content.decode()
    assert "Chính quyền số tỉnh Vĩnh Phúc" in html
    assert 'id="landing-login"' in html
    assert card_codes(html) == []
    assert 'id="logout-submit"' not in html


def test_landing_page_lists_every_module_and_marks_future_ones(client):
    html = client.get(reverse("core:home")).content.decode()

    for module in MODULES:
        assert f'data-module="{module.code}"' in html
    assert html.count("đang xây dựng") == sum(1 for m in MODULES if not m.available)


# --- home page per role -------------------------------------------------------------------------


def test_official_with_orgs_role_sees_the_orgs_card_and_not_plans(client):
    # given
    user = official(modules=["orgs"])
    client.force_login(user)

    # when
    response = client.get(reverse("core:home"))

    # then
    assert response.status_code == 200
    assert [m.code for m in response.context["modules"]] == ["orgs"]
    codes = card_codes(response.content.decode())
    assert codes == ["orgs"]
    assert "plans" not in codes


def test_home_shows_the_officials_unit_position_and_roles_with_scope(client):
    # given
    user = official(modules=["orgs"], position="Chuyên viên phòng CNTT", role_name="Chuyên viên")
    client.force_login(user)

    # when
    html = client.get(reverse("core:home")).content.decode()

    # then
    assert "Xin chào, Nguyễn Văn An" in html
    assert "Chuyên viên phòng CNTT" in html
    assert "trên Sở Thông tin và Truyền thông" in html
    assert 'id="cqs-user-name">Nguyễn Văn An<' in html


def test_roles_modules_are_united_across_grants(client):
    # given: two grants, each bringing one module
    user = official(modules=["plans"])
    RoleGrantFactory(
        user=user, role=RoleFactory(modules=["orgs", "onestop"]), unit=user.official_profile.unit
    )

    # when
    codes = [m.code for m in modules_for(user)]

    # then: registry order, no duplicates
    assert codes == ["orgs", "plans", "onestop"]


def test_superuser_sees_every_module(client):
    # given
    user = UserFactory(superuser=True)
    otp_verified_login(client, user)

    # when
    response = client.get(reverse("core:home"))

    # then
    assert response.status_code == 200
    assert card_codes(response.content.decode()) == [m.code for m in MODULES]


def test_future_modules_are_shown_as_under_construction_not_links(client):
    # given
    user = official(modules=["ioc"])
    client.force_login(user)

    # when
    html = client.get(reverse("core:home")).content.decode()

    # then
    card = html[html.index('data-module="ioc"') :]
    card = card[: card.index("</div>\n            </div>")]
    assert "IOC" in card
    assert "đang xây dựng" in card
    assert "<a " not in card


def test_admin_module_needs_staff_status(client):
    # given: the same role with the admin module, once for a non-staff official, once for staff
    not_staff = official(modules=["admin", "orgs"])
    staff = official(modules=["admin", "orgs"], is_staff=True)

    # then
    assert [m.code for m in modules_for(not_staff)] == ["orgs"]
    assert [m.code for m in modules_for(staff)] == ["orgs", "admin"]


def test_unknown_module_codes_in_a_role_are_ignored():
    user = official(modules=["orgs", "no-such-module", 42])

    assert [m.code for m in modules_for(user)] == ["orgs"]


def test_citizen_without_grants_gets_a_welcome_text(client):
    # given
    user = CitizenFactory()
    client.force_login(user)

    # when
    response = client.get(reverse("core:home"))

    # then
    assert response.context["modules"] == []
    html = response.content.decode()
    assert 'id="citizen-welcome"' in html
    assert card_codes(html) == []


def test_official_without_any_role_is_told_to_ask_an_administrator(client):
    user = UserFactory()
    client.force_login(user)

    html = client.get(reverse("core:home")).content.decode()

    assert 'id="no-modules"' in html


def test_anonymous_and_inactive_users_have_no_modules():
    from django.contrib.auth.models import AnonymousUser

    inactive = official(modules=["orgs"])
    inactive.is_active = False

    assert modules_for(AnonymousUser()) == []
    assert modules_for(None) == []
    assert modules_for(inactive) == []


def test_module_whose_url_is_not_registered_is_unavailable():
    module = Module(code="x", name="X", description="", url_name="nowhere:index")

    assert module.url is None
    assert module.is_ready is False


def test_module_marked_unavailable_is_never_linked():
    module = Module(code="x", name="X", description="", url_name="core:home", available=False)

    assert module.url is None


def test_home_page_query_count_does_not_grow_with_grants(client, django_assert_max_num_queries):
    # given: an official with five grants
    user = official(modules=["orgs"])
    for _ in range(4):
        RoleGrantFactory(user=user, role=RoleFactory(modules=["plans"]), unit=user.official_profile.unit)
    client.force_login(user)

    # then: session, user (middleware), the second-factor check, then the user with its profiles
    # and one prefetch of the grants with their roles and units
    with django_assert_max_num_queries(5):
        response = client.get(reverse("core:home"))
    assert len(response.context["grants"]) == 5


# --- the shell ----------------------------------------------------------------------------------


def test_shell_has_skip_link_language_switch_and_post_logout(client):
    user = official(modules=["orgs"])
    client.force_login(user)

    html = client.get(reverse("core:home")).content.decode()

    assert 'href="#content"' in html
    assert 'id="content"' in html
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language" value="en"' in html
    form = html[: html.index('id="logout-submit"')]
    form = form[form.rindex("<form") :]
    assert f'action="{reverse("accounts:logout")}"' in form
    assert 'method="post"' in form
    assert "csrfmiddlewaretoken" in form


def test_navbar_links_only_the_modules_that_are_built(client):
    # given: an official whose role lists a built module and a future one
    user = official(modules=["orgs", "ioc"])
    client.force_login(user)

    # when
    html = client.get(reverse("core:home")).content.decode()

    # then
    nav = html[html.index('id="cqs-nav-modules"') : html.index("</ul>", html.index('id="cqs-nav-modules"'))]
    assert f'href="{reverse("orgs:tree")}"' in nav
    assert 'data-module="ioc"' not in nav


def test_navbar_marks_the_current_module(client):
    user = official(modules=["orgs", "plans"])
    client.force_login(user)

    html = client.get(reverse("orgs:tree")).content.decode()

    link = re.search(r'<a class="nav-link([^"]*)"[^>]*data-module="orgs"', html, re.S)
    assert link and "active" in link.group(1)
    other = re.search(r'<a class="nav-link([^"]*)"[^>]*data-module="plans"', html, re.S)
    assert other and "active" not in other.group(1)


def test_shell_gives_htmx_requests_a_working_csrf_token():
    # given: a browser that enforces CSRF, on the home page
    client = Client(enforce_csrf_checks=True)
    html = client.get(reverse("core:home")).content.decode()
    token = re.search(r"""hx-headers='\{"X-CSRFToken": "(\w+)"\}'""", html).group(1)

    # when: an htmx-style POST carries only the header from <body hx-headers>
    accepted = client.post(reverse("set_language"), {"language": "en"}, headers={"X-CSRFToken": token})
    refused = client.post(reverse("set_language"), {"language": "en"})

    # then
    assert accepted.status_code == 302
    assert refused.status_code == 403


def test_shell_complies_with_the_csp(client):
    # given: CSP forbids inline script and style attributes
    response = client.get(reverse("core:home"))
    html = response.content.decode()

    # then
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    assert "includeIndicatorStyles" in html


def test_shell_links_bootstrap_htmx_and_own_assets(client):
    html = client.get(reverse("core:home")).content.decode()

    for asset in (
        "vendor/bootstrap/dist/css/bootstrap.min.css",
        "vendor/bootstrap/dist/js/bootstrap.bundle.min.js",
        "django_htmx/htmx-2.min.js",
        "core/cqs.css",
        "core/cqs.js",
    ):
        assert f"/static/{asset}" in html


def test_english_is_served_when_the_language_cookie_says_so(client):
    # given
    client.cookies["django_language"] = "en"

    # when
    response = client.get(reverse("core:home"))

    # then
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Digital Government" in html
    assert "Đăng nhập" not in html


def test_set_language_switches_the_home_page_to_english(client):
    # when
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)

    # then
    assert response.status_code == 200
    assert "Digital Government" in response.content.decode()


def test_messages_map_to_bootstrap_alert_classes():
    assert alert_class(Message(message_constants.ERROR, "x")) == "danger"
    assert alert_class(Message(message_constants.SUCCESS, "x")) == "success"
    assert alert_class(Message(message_constants.WARNING, "x")) == "warning"
    assert alert_class("not a message") == "info"


def test_navbar_highlights_the_current_module_section():
    assert is_current_section("/orgs/units/5/", "/orgs/") is True
    assert is_current_section("/plans/", "/orgs/") is False
    assert is_current_section("/orgs/", None) is False
    assert is_current_section("/orgs/", "/") is False


# --- health check -------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("core:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    # given: the view's database connection cannot open a cursor
    class BrokenConnection:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(views, "connection", BrokenConnection())

    # when
    response = client.get(reverse("core:healthz"))

    # then
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_refuses_post(client):
    assert client.post(reverse("core:healthz")).status_code == 405
