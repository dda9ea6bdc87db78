"""The local RFC 3161 timestamp authority on its own, over HTTP."""

import hashlib

import pytest
import requests
from asn1crypto import algos, tsp
from cryptography.hazmat.primitives import serialization

from cqs.fakes import tsa
from cqs.fakes.testing import running

QUERY = {"Content-Type": "application/timestamp-query"}


@pytest.fixture
def pair(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    from cqs.core.signing import tsa_certificate_ensure

    key, cert = tsa_certificate_ensure()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert


@pytest.fixture
def authority(pair):
    key_pem, cert = pair
    app = tsa.make_app(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM))
    with running(app) as fake:
        app.url = fake.url + "/"
        yield app


def query(
    digest: bytes = hashlib.sha256(b"van ban").digest(), algorithm: str = "sha256", nonce: int = 123456789
):
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}), "hashed_message": digest}
            ),
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def test_a_timestamp_query_gets_a_granted_token_over_its_digest_signed_by_the_tsa(authority, pair):
    digest = hashlib.sha256(b"van ban").digest()

    answer = requests.post(authority.url, data=query(digest), headers=QUERY, timeout=5)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(answer.content)
    assert reply["status"]["status"].native == "granted"
    signed = reply["time_stamp_token"]["content"]
    info = signed["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 123456789
    [certificate] = [c.chosen for c in signed["certificates"]]
    assert certificate.dump() == pair[1].public_bytes(serialization.Encoding.DER)
    assert authority.state.issued == 1


def test_another_content_type_is_a_bad_request(authority):
    answer = requests.post(
        authority.url, data=query(), headers={"Content-Type": "application/octet-stream"}, timeout=5
    )

    assert answer.status_code == 400
    assert authority.state.issued == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"not der at all", b"\x30\x03\x02\x01\x01", query(digest=b"short"), query(algorithm="md5")],
    ids=["empty", "garbage", "truncated", "wrong-digest-length", "unknown-hash"],
)
def test_a_malformed_query_is_a_bad_request(authority, body):
    answer = requests.post(authority.url, data=body, headers=QUERY, timeout=5)

    assert answer.status_code == 400
    assert authority.state.issued == 0


def test_only_post_to_the_root_is_served(authority):
    assert requests.get(authority.url, timeout=5).status_code == 405
    assert requests.post(authority.url + "other", data=query(), headers=QUERY, timeout=5).status_code == 404


def test_tsa_serving_yields_a_working_url(pair):
    key_pem, cert = pair
    with tsa.tsa_serving(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM)) as url:
        answer = requests.post(url, data=query(), headers=QUERY, timeout=5)

    assert answer.status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=query(), headers=QUERY, timeout=5)
