"""The signing key is made once, however many first users ask for it at the same time."""

import threading

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_pem_x509_certificate

from cqs.lgsp import tokens


def test_concurrent_first_users_make_one_key_whose_certificate_matches_it(tmp_path):
    # given: eight threads asking for a key that does not exist yet (the background publisher and a
    # request at the first start); _load is cached per directory, so call the creator directly
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def first_use():
        try:
            start.wait()
            tokens._ensure(tmp_path)
        except BaseException as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: no error, no temporary file left, and the certificate wraps the key's public half
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [tokens.KEY_FILE, tokens.CERT_FILE, tokens.LOCK_FILE]
    )
    key = serialization.load_pem_private_key((tmp_path / tokens.KEY_FILE).read_bytes(), password=None)
    cert = load_pem_x509_certificate((tmp_path / tokens.CERT_FILE).read_bytes())
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)
    assert (tmp_path / tokens.KEY_FILE).stat().st_mode & 0o077 == 0
