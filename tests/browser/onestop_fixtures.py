"""Fixtures of the one-stop browser journeys: the people of a commune's desk, one browser each,
and the PayGov fake on a real port.

Import the fixtures into a test module (pytest finds fixtures only in conftest files and in the
module itself). Data is created after ``site``, so the live server's thread sees it.
"""

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from cqs.onestop.tests.conftest import desk  # noqa: F401  (a fixture, used by onestop_desk)
from tests.browser.conftest import ConsoleLog


@pytest.fixture
def onestop_desk(site, settings, tmp_path, desk) -> SimpleNamespace:  # noqa: F811
    """The ``desk`` of the one-stop unit tests (commune, officer ``motcua``, specialist
    ``chuyenvien``, leader ``lanhdao``, citizen ``congdan``, procedure 1.000001 with one required
    paper and an 8,000 đ charge), in the live server's database; uploads go to a temporary
    directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return desk


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def person(browser, site) -> Iterator:
    """``person(username)``: a browser context of its own, signed in through the login form;
    ``person(phone=True)``: an anonymous visitor on a 390×844 phone screen.

    Each page carries ``console_log`` (a ``ConsoleLog``) to check the CSP afterwards.
    """
    from cqs.accounts.tests.factories import PASSWORD

    contexts = []

    def open_as(username: str | None = None, *, phone: bool = False):
        context = browser.new_context(locale="vi-VN", accept_downloads=True, **(PHONE if phone else DESKTOP))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_log = ConsoleLog(page)
        if username is not None:
            page.goto(f"{site}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("#login-submit")
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def paygov(settings) -> Iterator:
    """The PayGov fake on a free port; ``CQS_PAYGOV_URL`` points at it for this test."""
    from cqs.fakes.paygov import make_app
    from cqs.fakes.testing import running

    app = make_app(partner_code=settings.CQS_PAYGOV_PARTNER_CODE, secret=settings.CQS_PAYGOV_SECRET)
    with running(app) as fake:
        settings.CQS_PAYGOV_URL = fake.url
        yield SimpleNamespace(app=app, url=fake.url)


@pytest.fixture
def pdf_file(tmp_path):
    """``pdf_file(name, text)``: a small valid PDF on disk, for ``set_input_files``."""
    from cqs.onestop.tests.conftest import pdf_bytes

    def make(name: str = "to-khai.pdf", text: str = "To khai") -> Path:
        path = tmp_path / name
        path.write_bytes(pdf_bytes(text))
        return path

    return make


@pytest.fixture
def filed_online(onestop_desk):
    """A dossier the citizen filed online (submitted, not yet received)."""
    from cqs.onestop.services import dossier_draft_save, dossier_file_add, dossier_submit
    from cqs.onestop.tests.conftest import pdf_bytes

    citizen = onestop_desk.citizen
    dossier = dossier_draft_save(
        actor=citizen,
        procedure_code=onestop_desk.procedure.code,
        unit=onestop_desk.unit,
        form_data={"noi_dung": "Đề nghị đăng ký khai sinh."},
    )
    dossier_file_add(
        dossier=dossier,
        actor=citizen,
        name="to-khai.pdf",
        data=pdf_bytes(),
        document_id=onestop_desk.document.pk,
    )
    return dossier_submit(dossier=dossier, actor=citizen)
