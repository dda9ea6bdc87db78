"""The fake VNeID provider speaks standard OpenID Connect (code flow + PKCE S256) over real HTTP."""

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from cqs.fakes.runner import serve_in_thread
from cqs.fakes.vneid import make_app, s256

CLIENT_ID = "cqs-test"
CLIENT_SECRET = "bi-mat-thu-nghiem"
REDIRECT_URI = "http://cqs.test/accounts/vneid/callback/"
DEMO_CCCD = "026090001234"


@pytest.fixture
def provider():
    app = make_app(issuer="", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI])
    running = serve_in_thread(app)
    app.issuer = running.url
    yield app, running.url
    running.stop()


def authorize_params(**overrides) -> dict:
    verifier = secrets.token_urlsafe(48)
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile phone",
        "state": "trang-thai-1",
        "nonce": "so-dung-mot-lan",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "_verifier": verifier,
    }
    params.update(overrides)
    return params


def open_sign_in_page(url: str, params: dict) -> requests.Response:
    query = {k: v for k, v in params.items() if not k.startswith("_") and v is not None}
    return requests.get(f"{url}/authorize", params=query, allow_redirects=False, timeout=5)


def request_id_of(page: requests.Response) -> str:
    return re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)


def sign_in(url: str, params: dict, **choice) -> dict[str, str]:
    """Open the page, choose an identity; the query VNeID sends back to the redirect URI."""
    page = open_sign_in_page(url, params)
    form = {"request_id": request_id_of(page), **(choice or {"identity": DEMO_CCCD})}
    reply = requests.post(f"{url}/authorize", data=form, allow_redirects=False, timeout=5)
    assert reply.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(reply.headers["Location"]).query).items()}


def exchange(url: str, code: str, verifier: str, *, auth="basic", **overrides) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    data["code_verifier"] = verifier
    data.update(overrides)
    kwargs = {}
    if auth == "basic":
        kwargs["auth"] = (CLIENT_ID, CLIENT_SECRET)
    elif auth == "post":
        data.update({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    return requests.post(f"{url}/token", data=data, timeout=5, **kwargs)


def test_discovery_names_the_endpoints_under_the_issuer(provider):
    _app, url = provider

    config = requests.get(f"{url}/.well-known/openid-configuration", timeout=5).json()

    assert config["issuer"] == url
    assert config["authorization_endpoint"] == f"{url}/authorize"
    assert config["token_endpoint"] == f"{url}/token"
    assert config["jwks_uri"] == f"{url}/jwks"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "citizen_id" in config["claims_supported"]


def test_jwks_publishes_only_the_public_rs256_key(provider):
    _app, url = provider

    keys = requests.get(f"{url}/jwks", timeout=5).json()["keys"]

    assert len(keys) == 1
    assert (keys[0]["kty"], keys[0]["alg"]) == ("RSA", "RS256")
    assert "d" not in keys[0]


def test_the_sign_in_page_lists_the_demo_citizens_in_vietnamese(provider):
    _app, url = provider

    page = open_sign_in_page(url, authorize_params())

    assert page.status_code == 200
    assert "Đăng nhập bằng tài khoản định danh điện tử VNeID (giả lập)" in page.text
    assert "Nguyễn Văn An" in page.text
    assert page.text.count('name="identity" value="026') == 3


def test_an_unknown_client_gets_an_error_page_not_a_redirect(provider):
    _app, url = provider

    page = open_sign_in_page(url, authorize_params(client_id="ke-gia-mao"))

    assert page.status_code == 400
    assert "Location" not in page.headers


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(provider):
    _app, url = provider

    page = open_sign_in_page(url, authorize_params(redirect_uri="http://evil.test/cb"))

    assert page.status_code == 400
    assert "Location" not in page.headers


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_a_bad_authorization_request_is_sent_back_with_an_oauth_error(provider, override, error):
    _app, url = provider

    reply = open_sign_in_page(url, authorize_params(**override))

    assert reply.status_code == 302
    query = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert query["error"] == [error]
    assert query["state"] == ["trang-thai-1"]


def test_choosing_an_identity_sends_a_code_and_the_state_back(provider):
    _app, url = provider

    query = sign_in(url, authorize_params())

    assert query["state"] == "trang-thai-1"
    assert query["code"]


def test_refusing_sends_access_denied_back(provider):
    _app, url = provider

    query = sign_in(url, authorize_params(), action="deny")

    assert query["error"] == "access_denied"
    assert "code" not in query


def test_a_typed_cccd_that_is_not_12_digits_shows_the_page_again_with_an_error(provider):
    app, url = provider
    page = open_sign_in_page(url, authorize_params())

    reply = requests.post(
        f"{url}/authorize",
        data={"request_id": request_id_of(page), "cccd": "12345", "name": "Phạm Văn Dũng"},
        allow_redirects=False,
        timeout=5,
    )

    assert reply.status_code == 400
    assert "12 chữ số" in reply.text
    assert app.state.codes == {}


def test_the_id_token_is_signed_by_the_published_key_and_carries_the_citizen_claims(provider):
    _app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]

    reply = exchange(url, code, params["_verifier"])

    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    keys = KeySet.import_key_set(requests.get(f"{url}/jwks", timeout=5).json())
    claims = jwt.decode(body["id_token"], keys).claims
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (url, CLIENT_ID, "so-dung-mot-lan")
    assert (claims["citizen_id"], claims["name"], claims["phone_number"]) == (
        DEMO_CCCD,
        "Nguyễn Văn An",
        "0912345678",
    )
    assert claims["sub"].startswith("vneid-")
    assert DEMO_CCCD not in claims["sub"]


def test_a_typed_identity_is_what_the_id_token_says(provider):
    _app, url = provider
    params = authorize_params()
    code = sign_in(url, params, cccd="026300009999", name="Phạm Thị Dung")["code"]

    id_token = exchange(url, code, params["_verifier"]).json()["id_token"]

    keys = KeySet.import_key_set(requests.get(f"{url}/jwks", timeout=5).json())
    claims = jwt.decode(id_token, keys).claims
    assert (claims["citizen_id"], claims["name"]) == ("026300009999", "Phạm Thị Dung")


def test_client_secret_post_is_accepted_too(provider):
    app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]

    reply = exchange(url, code, params["_verifier"], auth="post")

    assert reply.status_code == 200
    assert app.state.token_requests[-1]["auth_method"] == "client_secret_post"


def test_a_wrong_client_secret_is_invalid_client(provider):
    _app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]

    reply = requests.post(
        f"{url}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(CLIENT_ID, "sai"),
        timeout=5,
    )

    assert reply.status_code == 401
    assert reply.json()["error"] == "invalid_client"


def test_a_code_works_once_and_its_replay_revokes_the_tokens_it_gave(provider):
    _app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]
    access_token = exchange(url, code, params["_verifier"]).json()["access_token"]

    replay = exchange(url, code, params["_verifier"])

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    userinfo = requests.get(f"{url}/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
    assert userinfo.status_code == 401


def test_a_wrong_pkce_verifier_is_invalid_grant(provider):
    _app, url = provider
    code = sign_in(url, authorize_params())["code"]

    reply = exchange(url, code, secrets.token_urlsafe(48))

    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"


def test_a_different_redirect_uri_at_the_token_endpoint_is_invalid_grant(provider):
    _app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]

    reply = exchange(url, code, params["_verifier"], redirect_uri="http://cqs.test/khac/")

    assert reply.json()["error"] == "invalid_grant"


def test_an_expired_code_is_invalid_grant(provider):
    app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]
    app.state.codes[code]["expires_at"] = 0

    reply = exchange(url, code, params["_verifier"])

    assert reply.json()["error"] == "invalid_grant"


def test_another_grant_type_is_unsupported(provider):
    _app, url = provider

    reply = requests.post(
        f"{url}/token", data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )

    assert reply.json()["error"] == "unsupported_grant_type"


def test_userinfo_answers_a_valid_bearer_token_with_the_same_subject(provider):
    _app, url = provider
    params = authorize_params()
    body = exchange(url, sign_in(url, params)["code"], params["_verifier"]).json()

    info = requests.get(
        f"{url}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    ).json()

    keys = KeySet.import_key_set(requests.get(f"{url}/jwks", timeout=5).json())
    assert info["sub"] == jwt.decode(body["id_token"], keys).claims["sub"]
    assert info["citizen_id"] == DEMO_CCCD


def test_userinfo_without_a_token_is_401_with_a_bearer_challenge(provider):
    _app, url = provider

    reply = requests.get(f"{url}/userinfo", timeout=5)

    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_reset_forgets_every_code(provider):
    app, url = provider
    params = authorize_params()
    code = sign_in(url, params)["code"]

    app.reset()

    assert exchange(url, code, params["_verifier"]).json()["error"] == "invalid_grant"


def test_s256_is_the_rfc_7636_example():
    # RFC 7636 Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
