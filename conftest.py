"""Settings every test run needs, for src/ and tests/ alike."""


def pytest_configure(config):
    from django.conf import settings

    # Pages render {% static %}; the production manifest storage needs a collectstatic run
    # first and fails otherwise, so tests use plain URLs (files come from the finders).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
