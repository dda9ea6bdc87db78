"""OAuth 2.0 client credentials at /api/v1/lgsp/oauth/token (RFC 6749 §4.4, tokens after RFC 9068)."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey
from rest_framework.test import APIClient

from cqs.lgsp import oauth
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg
from cqs.lgsp.snapshot import build_snapshot

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/lgsp/oauth/token"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_app(db):
    member = reg.member_create(member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND tỉnh")
    subsystem = reg.subsystem_create(member=member, code="dvc", name="Cổng dịch vụ công")
    issued = access.oauth_client_issue(subsystem=subsystem, label="máy chủ")
    return issued


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def post(form: dict | None = None, *, authorization: str | None = None, content_type: str = FORM, **extra):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    body = urlencode(form or {}) if content_type == FORM else form
    client = extra.pop("client", None) or APIClient()
    return client.post(TOKEN_URL, body, content_type=content_type, **headers, **extra)


def verified_claims(token: str) -> tuple[dict, dict]:
    """Header and claims, checked as the gateways check them: the snapshot's public key."""
    config = build_snapshot()["jwt"]
    decoded = jwt.decode(token, ECKey.import_key(config["public_key_pem"]), algorithms=[config["alg"]])
    return dict(decoded.header), dict(decoded.claims)


def test_basic_authentication_gets_a_signed_short_lived_token(client_app):
    credential = client_app.credential

    response = post(
        {"grant_type": "client_credentials"}, authorization=basic(credential.client_id, client_app.secret)
    )

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    header, claims = verified_claims(body["access_token"])
    assert header == {"alg": "ES256", "typ": "at+jwt"}
    snapshot = build_snapshot()
    assert claims["iss"] == snapshot["jwt"]["issuer"] and claims["aud"] == "lgsp"
    assert claims["sub"] == "XROADVN/GOV/000.00.01.H62/dvc"
    assert claims["cid"] == str(credential.pk) and claims["client_id"] == credential.client_id
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"]
    # What a gateway checks next: the credential is live and names the same client.
    assert snapshot["oauth_clients"][claims["cid"]] == claims["sub"]


def test_the_secret_may_come_in_the_form_body(client_app):
    form = {
        "grant_type": "client_credentials",
        "client_id": client_app.credential.client_id,
        "client_secret": client_app.secret,
    }

    response = post(form)

    assert response.status_code == 200
    assert response.json()["access_token"].count(".") == 2


def test_each_token_has_its_own_id(client_app):
    first, _ = oauth.issue_access_token(client_app.credential)
    second, _ = oauth.issue_access_token(client_app.credential)

    assert verified_claims(first)[1]["jti"] != verified_claims(second)[1]["jti"]


@pytest.mark.parametrize(
    "spoil",
    ["wrong_secret", "unknown_id", "revoked", "expired", "inactive_subsystem", "api_key_as_client"],
)
def test_anything_but_a_live_client_and_its_secret_is_invalid_client(client_app, spoil):
    credential, secret = client_app.credential, client_app.secret
    client_id = credential.client_id
    if spoil == "wrong_secret":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    elif spoil == "unknown_id":
        client_id = "lgsp-0000000000000000"
    elif spoil == "revoked":
        access.credential_revoke(credential=credential)
    elif spoil == "expired":
        credential.expires_at = timezone.now() - timedelta(seconds=1)
        credential.save(update_fields=["expires_at"])
    elif spoil == "inactive_subsystem":
        reg.subsystem_set_active(subsystem=credential.subsystem, active=False)
    elif spoil == "api_key_as_client":
        key = access.api_key_issue(subsystem=credential.subsystem)
        client_id, secret = key.credential.prefix, key.secret

    response = post({"grant_type": "client_credentials"}, authorization=basic(client_id, secret))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"] == 'Basic realm="lgsp"'
    assert response["Cache-Control"] == "no-store"
    assert "access_token" not in response.json()


def test_no_client_authentication_at_all_is_invalid_client(client_app):
    response = post({"grant_type": "client_credentials"})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_two_authentication_methods_at_once_are_an_invalid_request(client_app):
    credential = client_app.credential
    form = {"grant_type": "client_credentials", "client_id": credential.client_id}

    response = post(form, authorization=basic(credential.client_id, client_app.secret))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_malformed_basic_header_is_invalid_client(client_app):
    response = post({"grant_type": "client_credentials"}, authorization="Basic !!!not-base64")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "form,error",
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
def test_grant_type_must_be_client_credentials(client_app, form, error):
    response = post(form, authorization=basic(client_app.credential.client_id, client_app.secret))

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_a_json_body_is_an_invalid_request(client_app):
    form = {
        "grant_type": "client_credentials",
        "client_id": client_app.credential.client_id,
        "client_secret": client_app.secret,
    }

    response = post(form, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_repeated_parameter_is_an_invalid_request(client_app):
    body = "grant_type=client_credentials&grant_type=client_credentials"
    response = APIClient().post(
        TOKEN_URL,
        body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic(client_app.credential.client_id, client_app.secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_only_post_is_answered(client_app):
    assert APIClient().get(TOKEN_URL).status_code == 405


def test_the_endpoint_is_exempt_from_csrf_even_with_a_session(client_app):
    from cqs.accounts.tests.factories import UserFactory

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(UserFactory())

    response = post(
        {"grant_type": "client_credentials"},
        authorization=basic(client_app.credential.client_id, client_app.secret),
        client=browser,
    )

    assert response.status_code == 200


def test_a_token_never_outlives_its_credential(client_app):
    credential = client_app.credential
    credential.expires_at = timezone.now() + timedelta(seconds=90)
    credential.save(update_fields=["expires_at"])

    token, expires_in = oauth.issue_access_token(credential)

    assert 88 <= expires_in <= 90
    claims = verified_claims(token)[1]
    assert claims["exp"] <= int(credential.expires_at.timestamp())


def test_repeated_wrong_secrets_lock_the_client_from_that_address(client_app, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5  # hours
    credential = client_app.credential
    wrong = basic(credential.client_id, "sai-mat-khau")
    right = basic(credential.client_id, client_app.secret)

    failures = [post({"grant_type": "client_credentials"}, authorization=wrong).status_code for _ in range(3)]
    locked = post({"grant_type": "client_credentials"}, authorization=right)

    assert failures == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["error"] == "temporarily_unavailable"
    assert locked["Retry-After"] == "1800"
    # Another address is not locked out by this one's guesses.
    elsewhere = post({"grant_type": "client_credentials"}, authorization=right, REMOTE_ADDR="10.0.0.9")
    assert elsewhere.status_code == 200


def test_a_success_before_the_limit_resets_the_count(client_app, settings):
    settings.AXES_FAILURE_LIMIT = 2
    credential = client_app.credential
    wrong = basic(credential.client_id, "sai-mat-khau")
    right = basic(credential.client_id, client_app.secret)

    post({"grant_type": "client_credentials"}, authorization=wrong)
    assert post({"grant_type": "client_credentials"}, authorization=right).status_code == 200
    post({"grant_type": "client_credentials"}, authorization=wrong)

    assert post({"grant_type": "client_credentials"}, authorization=right).status_code == 200


def test_guessing_many_client_ids_from_one_address_is_throttled(client_app, settings):
    settings.AXES_FAILURE_LIMIT = 2
    statuses = [
        post({"grant_type": "client_credentials"}, authorization=basic(f"lgsp-{n:016x}", "x")).status_code
        for n in range(2 * oauth.ADDRESS_FAILURE_FACTOR + 1)
    ]

    assert statuses[: 2 * oauth.ADDRESS_FAILURE_FACTOR] == [401] * (2 * oauth.ADDRESS_FAILURE_FACTOR)
    assert statuses[-1] == 429
