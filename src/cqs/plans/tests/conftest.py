import copy
import json

import pytest

from cqs.accounts.tests.factories import UserFactory
from cqs.plans.seed import DATA_FILE
from cqs.plans.services import plan_load

_COMMITTED = json.loads(DATA_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def document() -> dict:
    """The committed plan 326 document, a fresh copy that a test may alter."""
    return copy.deepcopy(_COMMITTED)


@pytest.fixture
def plan(db, document):
    return plan_load(document=document)


@pytest.fixture
def user(db):
    return UserFactory(username="chuyenvien.thu")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's deliberate slowness buys nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
