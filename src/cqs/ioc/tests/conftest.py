import pytest


@pytest.fixture(scope="session")
def _ioc_media(tmp_path_factory):
    return tmp_path_factory.mktemp("ioc-media")


@pytest.fixture(autouse=True)
def _ioc_settings(settings, _ioc_media):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = _ioc_media
    settings.CQS_CLAMD = ""


@pytest.fixture
def world(db):
    from cqs.ioc.tests.world import build_world

    return build_world()
