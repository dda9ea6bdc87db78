import pytest


@pytest.fixture(scope="session")
def _feedback_media(tmp_path_factory):
    return tmp_path_factory.mktemp("feedback-media")


@pytest.fixture(autouse=True)
def _feedback_settings(settings, _feedback_media):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = _feedback_media
    settings.CQS_SMS_URL = ""
    settings.CQS_CLAMD = ""


@pytest.fixture
def world(db):
    from cqs.feedback.tests.world import build_world

    return build_world()
