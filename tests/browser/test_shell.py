"""The page shell in a real browser: language switch, phone layout, Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_language_switch_to_english_changes_the_navbar(page, site, official, sign_in_as, screenshot):
    # given: a signed-in official on the Vietnamese home page
    sign_in_as(page, official)
    page.goto(f"{site}/")
    screenshot(page, "cqs-home.png")
    navbar = page.locator("nav.cqs-navbar")
    expect(navbar).to_contain_text("Chính quyền số")
    expect(navbar).to_contain_text("Cơ cấu tổ chức")

    # when: they press the English button of the language switch
    page.click("#language-en")

    # then: the navbar speaks English, on the same page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar).to_contain_text("Digital Government")
    expect(navbar).to_contain_text("Organisation structure")
    expect(navbar).to_contain_text("Log out")
    expect(navbar).not_to_contain_text("Chính quyền số")
    assert page.url == f"{site}/"

    # when: they switch back
    page.click("#language-vi")

    # then
    expect(navbar).to_contain_text("Chính quyền số")


@pytest.mark.parametrize("signed_in", [False, True], ids=["landing", "home"])
def test_home_page_fits_a_phone_without_horizontal_scroll(
    phone_page, site, official, sign_in_as, signed_in, screenshot
):
    # given
    if signed_in:
        sign_in_as(phone_page, official)

    # when
    phone_page.goto(f"{site}/")

    # then: the page is no wider than the phone, and it is styled (Bootstrap loaded)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px phone"
    screenshot(phone_page, f"cqs-phone-{'home' if signed_in else 'landing'}.png")
    toggler = phone_page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    assert phone_page.locator(".navbar-collapse").is_hidden()

    # when: the menu button is pressed (Bootstrap's JavaScript, loaded from our own server)
    toggler.click()

    # then: the menu opens with the language switch, still within the width
    expect(phone_page.locator("#language-form")).to_be_visible()
    screenshot(phone_page, f"cqs-phone-{'home' if signed_in else 'landing'}-menu.png")
    if signed_in:
        expect(phone_page.locator('#cqs-nav-modules a[data-module="orgs"]')).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone_page.console_log.errors == []


def test_no_csp_violations_on_home_and_tree_pages(page, site, official, sign_in_as):
    # given
    sign_in_as(page, official)

    # when: the home page and the organisation tree are shown, and the tree is redrawn
    page.goto(f"{site}/")
    expect(page.locator("#module-cards")).to_be_visible()
    page.click('.cqs-module-card[data-module="orgs"] a')
    expect(page.locator("ul.org-tree").first).to_be_visible()
    page.fill("#as-of", "2025-07-01")
    page.click("#as-of-submit")
    expect(page.locator("ul.org-tree").first).to_be_visible()

    # then: nothing was refused by the Content-Security-Policy, and no script failed
    assert page.console_log.csp_violations == []
    assert page.console_log.errors == []
