"""Settings every test run needs, for src/ and tests/ alike."""

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Pages render {% static %}; the production manifest storage needs a collectstatic run
    # first and fails otherwise, so tests use plain URLs (files come from the finders).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every registry change publishes a gateway generation to CQS_LGSP_DIR: never into var/.
    import tempfile
    from pathlib import Path

    settings.CQS_LGSP_DIR = Path(tempfile.mkdtemp(prefix="cqs-lgsp-test-"))


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates a request's language in the test's own thread and never resets
    # it, so one test asking for English would leave every later test in English.
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory):
    """The socket of one clamd for the whole run, loaded with the EICAR test signatures.

    Skipped where clamd is not installed, failed instead when ``CI`` is set. Point the code
    under test at it with ``settings.CQS_CLAMD = clamd_address``.
    """
    from cqs.core.testing import clamd_running

    with clamd_running(tmp_path_factory.mktemp("clamd")) as address:
        yield address
