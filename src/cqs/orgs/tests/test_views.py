import re
from datetime import timedelta

import pytest
from django.urls import reverse

from cqs.orgs.demo import load_demo
from cqs.orgs.models import OrgUnit, ReorganisationEvent
from cqs.orgs.services import Merge, NewUnit, orgunit_reorganise
from cqs.orgs.tests.conftest import CHANGE

TREE = "/orgs/"


def roots(html: str) -> list[str]:
    """data-identifier of the top-level items of ul.org-tree."""
    top = html.split('<ul class="org-tree" id="org-tree">', 1)[1]
    depth, found = 0, []
    for match in re.finditer(r'<(/?)ul\b|<li class="org-node" data-identifier="([^"]*)"', top):
        if match.group(1) == "/":
            if depth == 0:
                break
            depth -= 1
        elif match.group(0).startswith("<ul"):
            depth += 1
        elif depth == 0:
            found.append(match.group(2))
    return found


@pytest.mark.parametrize("url", [TREE, "/orgs/1/", "/orgs/events/1/"])
def test_pages_require_sign_in(client, db, settings, url):
    settings.LOGIN_URL = "/accounts/login/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_urls_are_named():
    assert reverse("orgs:tree") == TREE
    assert reverse("orgs:unit", args=[7]) == "/orgs/7/"
    assert reverse("orgs:event", args=[7]) == "/orgs/events/7/"


def test_tree_page_shows_the_right_root_on_each_side_of_1_july_2025(official_client, db):
    load_demo(log=lambda line: None)
    # the day before: Vĩnh Phúc, with its districts folded in <details>
    html = official_client.get(TREE, {"as_of": "2025-06-30"}).content.decode()
    assert roots(html) == ["000.00.00.H62"]
    assert 'name="as_of" id="as-of"' in html and 'value="2025-06-30"' in html and 'id="as-of-submit"' in html
    assert html.count('data-kind="huyen"') == 9 and html.count('data-kind="xa"') == 121
    assert html.count("<details") == 1 + 9  # the root and each district
    assert 'id="next-event"' in html and "?as_of=2025-07-01" in html
    # the day of: Phú Thọ and its 36 communes, with a link back to the tree before the event
    html = official_client.get(TREE, {"as_of": "2025-07-01"}).content.decode()
    assert roots(html) == ["000.00.00.H44"]
    assert html.count('data-kind="xa"') == 36 and 'data-kind="huyen"' not in html
    assert 'id="previous-event"' in html and "?as_of=2025-06-30" in html
    event = ReorganisationEvent.objects.get()
    assert reverse("orgs:event", args=[event.pk]) in html


def test_tree_page_defaults_to_today(official_client, merged_tree):
    html = official_client.get(TREE).content.decode()
    assert 'data-identifier="000.03.01.H98"' in html and 'data-identifier="000.01.01.H98"' not in html


def test_an_invalid_date_shows_a_message_and_todays_tree(official_client, merged_tree):
    response = official_client.get(TREE, {"as_of": "30/06/2025"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ngày “30/06/2025” không hợp lệ" in html
    assert 'data-identifier="000.03.01.H98"' in html


def test_unit_page_shows_ancestors_children_and_successors(official_client, merged_tree):
    tree = merged_tree
    html = official_client.get(reverse("orgs:unit", args=[tree.c1.pk])).content.decode()
    assert "UBND tỉnh Thử" in html and "Huyện Một" in html  # ancestors
    assert 'id="unit-ended"' in html and 'id="current-successors"' in html
    assert "Xã An Bình" in html and "Hợp nhất, sáp nhập" in html
    html = official_client.get(reverse("orgs:unit", args=[tree.d1.pk])).content.decode()
    assert "Xã An" in html and "Xã Bình" in html and "Xã An Bình" in html  # every version of its children


def test_event_page_lists_the_successions(official_client, merged_tree):
    event = ReorganisationEvent.objects.get()
    html = official_client.get(reverse("orgs:event", args=[event.pk])).content.decode()
    assert html.count("Xã An Bình") >= 2 and "Xã Bình" in html
    assert f"?as_of={(CHANGE - timedelta(days=1)).isoformat()}" in html


def test_unknown_unit_and_event_are_404(official_client, db):
    assert official_client.get("/orgs/999999/").status_code == 404
    assert official_client.get("/orgs/events/999999/").status_code == 404


@pytest.fixture
def merged_tree(tree, kinds):
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", identifier="000.03.01.H98", parent=tree.d1)
    orgunit_reorganise(
        event_name="Sắp xếp thử", effective_date=CHANGE, merges=[Merge([tree.c1, tree.c2], new)]
    )
    assert OrgUnit.objects.filter(valid_from=CHANGE).count() == 1
    return tree
