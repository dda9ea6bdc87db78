"""The journey of issue 2: an official signs in, opens the tree and crosses 1 July 2025."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VINH_PHUC = "000.00.00.H62"
PHU_THO = "000.00.00.H44"


def test_official_sees_the_tree_merge_across_1_july_2025(page, site, demo_data, log_in, screenshot):
    # given: the demo official signs in through the login form
    log_in(page, "chuyenvien.stttt")
    expect(page).to_have_url(f"{site}/")

    # when: they open the organisation tree from its module card on the home page
    page.click('.cqs-module-card[data-module="orgs"] a')
    tree = page.locator("ul.org-tree").first
    expect(tree).to_be_visible()

    # and: they look at the tree on the last day before the reorganisation
    page.fill("#as-of", "2025-06-30")
    page.click("#as-of-submit")

    # then: Vĩnh Phúc with its districts and 121 communes
    province = page.locator(f'li[data-identifier="{VINH_PHUC}"]')
    expect(province).to_have_count(1)
    expect(province.first).to_contain_text("Ủy ban nhân dân tỉnh Vĩnh Phúc")
    expect(page.locator('li[data-kind="xa"]')).to_have_count(121)
    assert page.locator('li[data-kind="huyen"]').count() > 0, "the district rows are shown"
    expect(page.locator(f'li[data-identifier="{PHU_THO}"]')).to_have_count(0)
    screenshot(page, "cqs-tree.png")

    # when: they move the date to the day the merge took effect
    page.fill("#as-of", "2025-07-01")
    page.click("#as-of-submit")

    # then: Phú Thọ with the 36 new communes, and no Vĩnh Phúc root any more
    expect(page.locator(f'li[data-identifier="{PHU_THO}"]')).to_have_count(1)
    expect(page.locator(f'li[data-identifier="{VINH_PHUC}"]')).to_have_count(0)
    expect(page.locator('li[data-kind="xa"]')).to_have_count(36)
    expect(page.locator('li[data-kind="huyen"]')).to_have_count(0)
    screenshot(page, "cqs-tree-merged.png")

    # and: the whole journey ran within the Content-Security-Policy
    assert page.console_log.csp_violations == []
