"""Citizen sign-in through VNeID, end to end: our views over Django's test client, the fake
provider over real HTTP in a thread."""

import logging
import re
from urllib.parse import urlsplit

import pytest
import requests

from cqs.accounts import oidc
from cqs.accounts.models import CitizenProfile, ExternalIdentity, User
from cqs.accounts.services import citizen_login_vneid
from cqs.accounts.tests.factories import PASSWORD, CitizenFactory, OfficialFactory
from cqs.audit.models import AuditEvent
from cqs.core.exceptions import Conflict, Forbidden
from cqs.fakes.runner import serve_in_thread
from cqs.fakes.vneid import make_app

CLIENT_ID = "cqs-test"
CLIENT_SECRET = "bi-mat-thu-nghiem"
CALLBACK = "http://testserver/accounts/vneid/callback/"
DEMO_CCCD = "026090001234"
LOGIN = "/accounts/login/"


@pytest.fixture
def vneid(db, settings):
    """The fake provider, running, and the settings pointing at it."""
    app = make_app(issuer="", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[CALLBACK])
    running = serve_in_thread(app)
    app.issuer = running.url
    settings.CQS_VNEID_ISSUER = running.url
    settings.CQS_VNEID_CLIENT_ID = CLIENT_ID
    settings.CQS_VNEID_CLIENT_SECRET = CLIENT_SECRET
    app.url = running.url
    yield app
    running.stop()


def start(client, next_url: str | None = None) -> str:
    """GET our login view; the provider's sign-in page URL it redirects to."""
    response = client.get("/accounts/vneid/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return response["Location"]


def choose(authorize_url: str, **choice) -> str:
    """On the provider's page, pick an identity; the callback URL (path and query) it sends back."""
    page = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    form = {"request_id": request_id, **(choice or {"identity": DEMO_CCCD})}
    reply = requests.post(
        urlsplit(authorize_url)._replace(query="").geturl(), data=form, allow_redirects=False, timeout=5
    )
    assert reply.status_code == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return f"{location.path}?{location.query}"


def sign_in(client, next_url: str | None = None, **choice):
    return client.get(choose(start(client, next_url), **choice))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def page_after(client, response) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


# --- the happy paths ----------------------------------------------------------------------------


def test_the_login_view_sends_the_browser_to_the_provider_with_pkce_and_a_nonce(client, vneid):
    location = start(client)

    assert location.startswith(f"{vneid.url}/authorize?")
    query = urlsplit(location).query
    for part in ("code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "response_type=code"):
        assert part in query


def test_an_existing_citizen_is_signed_in_and_linked_by_cccd(client, vneid):
    citizen = CitizenFactory(username="congdan.demo", citizen_profile__cccd=DEMO_CCCD)

    response = sign_in(client, next_url="/onestop/procedures/")

    assert response.status_code == 302
    assert response["Location"] == "/onestop/procedures/"
    assert signed_in_user(client) == citizen
    identity = ExternalIdentity.objects.get(user=citizen)
    assert identity.provider == "vneid"
    assert identity.subject.startswith("vneid-")


def test_a_new_citizen_gets_an_account_without_a_password(client, vneid):
    response = sign_in(client, cccd="026300009999", name="Phạm Thị Dung", phone="0987000111")

    assert response.status_code == 302
    user = signed_in_user(client)
    assert (user.full_name, user.citizen_profile.cccd) == ("Phạm Thị Dung", "026300009999")
    assert not user.has_usable_password()
    assert "026300009999" not in user.username
    assert ExternalIdentity.objects.filter(user=user, provider="vneid").exists()


def test_linking_is_audited_with_the_cccd_masked(client, vneid):
    sign_in(client)

    event = AuditEvent.objects.get(action="accounts.external_identity_link")
    assert event.after["cccd"] == "0260******34"
    assert event.after["created_account"] is True
    assert DEMO_CCCD not in str(event.after) + event.object_repr


def test_the_second_sign_in_uses_the_link_and_creates_nothing(client, vneid):
    sign_in(client)
    first = signed_in_user(client)
    client.post("/accounts/logout/")

    sign_in(client)

    assert signed_in_user(client) == first
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.get().last_login_at is not None


def test_a_vneid_session_is_a_strong_citizen_login(client, vneid, rf):
    sign_in(client)

    assert client.session[oidc.LOGIN_METHOD_SESSION_KEY] == oidc.LOGIN_METHOD_VNEID
    event = AuditEvent.objects.filter(action="accounts.login").latest("pk")
    assert event.after == {"method": "vneid"}
    request = rf.get("/")
    request.user, request.session = signed_in_user(client), client.session
    assert oidc.session_is_strong_citizen_login(request)


def test_a_password_session_is_not_a_strong_citizen_login(client, db, rf):
    citizen = CitizenFactory(username="congdan.matkhau")

    client.post(LOGIN, {"username": "congdan.matkhau", "password": PASSWORD})

    request = rf.get("/")
    request.user, request.session = citizen, client.session
    assert oidc.session_login_method(request) == oidc.LOGIN_METHOD_PASSWORD
    assert not oidc.session_is_strong_citizen_login(request)


def test_an_unsafe_next_is_replaced_by_the_home_page(client, vneid):
    response = sign_in(client, next_url="https://evil.example/steal")

    assert response["Location"] == "/"


def test_no_cccd_reaches_the_logs(client, vneid, caplog):
    with caplog.at_level(logging.DEBUG):
        sign_in(client, cccd="026300009999", name="Phạm Thị Dung", phone="0987000111")

    assert "026300009999" not in caplog.text
    assert "0987000111" not in caplog.text


# --- refusals -----------------------------------------------------------------------------------


def test_a_replayed_code_is_refused_by_the_provider(client, vneid):
    first_callback = choose(start(client))
    client.get(first_callback)
    client.post("/accounts/logout/")
    old_code = re.search(r"code=([^&]+)", first_callback).group(1)
    new_state = re.search(r"state=([^&]+)", choose(start(client))).group(1)

    response = client.get(f"/accounts/vneid/callback/?code={old_code}&state={new_state}")

    assert "VNeID từ chối yêu cầu đăng nhập" in page_after(client, response)
    assert signed_in_user(client) is None


def test_a_state_that_this_session_did_not_send_is_refused(client, vneid):
    callback = choose(start(client))
    forged = re.sub(r"state=[^&]+", "state=gia-mao", callback)

    response = client.get(forged)

    assert "Phiên đăng nhập VNeID không hợp lệ" in page_after(client, response)
    assert signed_in_user(client) is None
    assert len(vneid.state.codes) == 1  # the code was never even redeemed


def test_a_callback_in_another_browser_is_refused(client, vneid, django_user_model):
    from django.test import Client

    callback = choose(start(client))

    response = Client().get(callback)

    assert response.status_code == 302
    assert django_user_model.objects.count() == 0


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(client, vneid):
    callback = choose(start(client))
    session = client.session
    # SessionBase has keys() but is not iterable itself.
    key = next(k for k in session.keys() if k.startswith("_state_vneid_"))  # noqa: SIM118
    data = session[key]
    data["data"]["code_verifier"] = "x" * 50
    session[key] = data
    session.save()

    response = client.get(callback)

    assert "VNeID từ chối yêu cầu đăng nhập" in page_after(client, response)
    assert signed_in_user(client) is None


def test_an_id_token_with_another_nonce_is_refused(client, vneid):
    authorize_url = start(client)
    page = requests.get(authorize_url, timeout=5)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    vneid.state.pending[request_id]["nonce"] = "nonce-cua-phien-khac"
    reply = requests.post(
        f"{vneid.url}/authorize",
        data={"request_id": request_id, "identity": DEMO_CCCD},
        allow_redirects=False,
        timeout=5,
    )
    location = urlsplit(reply.headers["Location"])

    response = client.get(f"{location.path}?{location.query}")

    assert "VNeID không trả về thông tin định danh hợp lệ" in page_after(client, response)
    assert signed_in_user(client) is None


def test_a_citizen_who_refuses_at_vneid_is_told_so(client, vneid):
    response = sign_in(client, action="deny")

    assert "Bạn đã hủy đăng nhập bằng VNeID" in page_after(client, response)
    assert signed_in_user(client) is None


def test_provider_down_before_the_redirect_is_a_message_not_a_500(client, vneid, settings):
    settings.CQS_VNEID_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens

    response = client.get("/accounts/vneid/login/", follow=True)

    assert response.status_code == 200
    assert "Không kết nối được VNeID, vui lòng thử lại sau" in response.content.decode()


def test_provider_down_at_the_callback_is_a_message_not_a_500(client, vneid, settings):
    callback = choose(start(client))
    settings.CQS_VNEID_ISSUER = "http://127.0.0.1:9"

    response = client.get(callback, follow=True)

    assert response.status_code == 200
    assert "Không kết nối được VNeID, vui lòng thử lại sau" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_cccd_of_an_official_account_is_refused(client, vneid, tree):
    official = OfficialFactory(official_profile__unit=tree.c1)
    CitizenProfile.objects.create(user=official, cccd=DEMO_CCCD)

    response = sign_in(client)

    assert "Tài khoản cán bộ, công chức không được đăng nhập bằng VNeID" in page_after(client, response)
    assert signed_in_user(client) is None
    assert not ExternalIdentity.objects.exists()


# --- configuration -----------------------------------------------------------------------------


def test_the_button_is_on_the_login_page_when_vneid_is_configured(client, vneid):
    page = client.get(LOGIN).content.decode()

    assert 'id="login-vneid"' in page
    assert "Đăng nhập bằng VNeID" in page


def test_the_button_is_hidden_when_vneid_is_not_configured(client, db, settings):
    settings.CQS_VNEID_ISSUER = ""

    page = client.get(LOGIN).content.decode()

    assert 'id="login-vneid"' not in page


@pytest.mark.parametrize("path", ["/accounts/vneid/login/", "/accounts/vneid/callback/?code=a&state=b"])
def test_the_vneid_pages_do_not_exist_when_vneid_is_not_configured(client, db, settings, path):
    settings.CQS_VNEID_ISSUER = ""

    assert client.get(path).status_code == 404


# --- the service on its own ---------------------------------------------------------------------


def test_a_linked_identity_returning_another_cccd_is_refused(db):
    user = citizen_login_vneid(subject="vneid-abc", cccd=DEMO_CCCD, full_name="Nguyễn Văn An")

    with pytest.raises(Conflict) as refused:
        citizen_login_vneid(subject="vneid-abc", cccd="026185004321", full_name="Nguyễn Văn An")

    assert refused.value.error_code == "identity_mismatch"
    assert user.citizen_profile.cccd == DEMO_CCCD


def test_an_account_already_linked_to_another_subject_is_not_linked_again(db):
    citizen_login_vneid(subject="vneid-abc", cccd=DEMO_CCCD, full_name="Nguyễn Văn An")

    with pytest.raises(Conflict):
        citizen_login_vneid(subject="vneid-khac", cccd=DEMO_CCCD, full_name="Nguyễn Văn An")

    assert ExternalIdentity.objects.count() == 1


def test_a_linked_citizen_who_became_an_official_is_refused(db, tree):
    user = citizen_login_vneid(subject="vneid-abc", cccd=DEMO_CCCD, full_name="Nguyễn Văn An")
    user.is_staff = True
    user.save()

    with pytest.raises(Forbidden) as refused:
        citizen_login_vneid(subject="vneid-abc", cccd=DEMO_CCCD, full_name="Nguyễn Văn An")

    assert refused.value.error_code == "official_vneid_refused"


def test_a_phone_in_an_unknown_format_does_not_block_the_sign_in(db):
    user = citizen_login_vneid(
        subject="vneid-abc", cccd=DEMO_CCCD, full_name="Nguyễn Văn An", phone="+1 (555) 0100"
    )

    assert user.citizen_profile.phone == ""
