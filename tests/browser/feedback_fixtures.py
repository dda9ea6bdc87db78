"""Fixtures of the citizen-feedback browser journeys (issue 7): the feedback world of the app's
tests (a province, Phường Vĩnh Phúc and Phường Phúc Yên, the pothole category with its required
question, routing rules by commune, an answer template, officials holding the shipped roles) in
the live server's database, and one browser per person.

Import the fixtures into a test module (pytest finds fixtures only in conftest files and in the
module itself). Data is created after ``site``, so the live server's thread sees it; the
``settings`` changes are seen there too, as the thread shares Django's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.browser.conftest import DEMO_PASSWORD, ConsoleLog

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def feedback_world(site, settings, tmp_path) -> SimpleNamespace:
    """``build_world()`` of the feedback tests, with the demo password for the people who sign in:
    ``xuly.a`` (xu-ly-phan-anh on Phường Vĩnh Phúc), ``lanhdao.a`` (lanh-dao there: publishes) and
    the citizen ``congdan``. None of these roles asks for a second factor.

    Photos go to a temporary directory; links in the pages and messages (the reporter's private
    link) point at the live server; no map tiles (offline: the map draws the province's outline);
    no SMS gateway, no antivirus daemon."""
    from cqs.feedback.tests.world import build_world

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CQS_SITE_URL = site
    settings.CQS_MAP_TILES_URL = ""
    settings.CQS_SMS_URL = ""
    settings.CQS_CLAMD = ""
    world = build_world()
    for user in (world.handler_a, world.leader_a, world.citizen):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    world.password = DEMO_PASSWORD
    return world


@pytest.fixture
def person(browser, site) -> Iterator:
    """``person(phone=True, at=(lat, lon))``: a browser context of its own (another person, or the
    same person on another device: no shared session). ``phone`` is a 375×812 phone screen;
    ``at`` is where the device's location service says it is (permission already granted);
    ``javascript=False`` is a browser that runs no script.

    Each page carries ``console_log`` (a ``ConsoleLog``) to check the CSP and errors afterwards."""
    contexts = []

    def open_browser(*, phone: bool = False, at: tuple[float, float] | None = None, javascript: bool = True):
        options = dict(PHONE if phone else DESKTOP, java_script_enabled=javascript)
        if at is not None:
            options.update(geolocation={"latitude": at[0], "longitude": at[1]}, permissions=["geolocation"])
        context = browser.new_context(locale="vi-VN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_log = ConsoleLog(page)
        return page

    yield open_browser
    for context in contexts:
        context.close()


@pytest.fixture
def pothole_photo(tmp_path) -> Path:
    """A 2400×1800 JPEG as a phone takes it (larger than the 1600 px the platform keeps)."""
    from cqs.core.testing import sample_image

    path = tmp_path / "o-ga-nguyen-tat-thanh.jpg"
    path.write_bytes(sample_image("jpeg", size=(2400, 1800)))
    return path
