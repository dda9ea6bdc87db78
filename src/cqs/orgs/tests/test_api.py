from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqs.orgs.services import Merge, NewUnit, orgunit_reorganise
from cqs.orgs.tests.conftest import CHANGE
from cqs.orgs.tests.factories import OrgUnitFactory

LIST = "/api/v1/org-units/"
EVE = CHANGE - timedelta(days=1)


@pytest.fixture
def merged(tree, kinds):
    """C1 and C2 merge into Xã An Bình on CHANGE."""
    new = NewUnit(kind=kinds.commune, name="Xã An Bình", identifier="000.03.01.H98", parent=tree.d1)
    orgunit_reorganise(
        event_name="Sắp xếp thử", effective_date=CHANGE, merges=[Merge([tree.c1, tree.c2], new)]
    )
    return tree


def identifiers(response):
    assert response.status_code == 200, response.content
    return [row["identifier"] for row in response.json()["results"]]


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


@pytest.mark.parametrize("url", [LIST, f"{LIST}1/"])
def test_anonymous_users_are_refused_with_a_problem(client, db, url):
    body = assert_problem(client.get(url), 403, "not_authenticated")
    assert body["detail"] == "Bạn cần đăng nhập."


def test_any_signed_in_user_reads_the_tree_without_unit_grants(official_client, tree):
    # given a user with no role on any unit: the tree is public information
    response = official_client.get(LIST)
    assert len(identifiers(response)) == 6
    row = response.json()["results"][0]
    assert row["identifier"] == "000.00.00.H98" and row["kind"] == "ubnd-tinh" and row["parent"] is None


def test_as_of_defaults_to_today_and_follows_the_date(official_client, merged):
    assert "000.03.01.H98" in identifiers(official_client.get(LIST))
    assert "000.01.01.H98" not in identifiers(official_client.get(LIST))
    on_eve = identifiers(official_client.get(LIST, {"as_of": EVE.isoformat()}))
    assert "000.01.01.H98" in on_eve and "000.03.01.H98" not in on_eve
    assert len(identifiers(official_client.get(LIST, {"all": "true"}))) == 7


def test_filters(official_client, merged):
    tree = merged
    assert identifiers(official_client.get(LIST, {"identifier": "000.00.01.H98"})) == ["000.00.01.H98"]
    assert identifiers(official_client.get(LIST, {"code": "000.00.01.H98"})) == ["000.00.01.H98"]
    assert sorted(identifiers(official_client.get(LIST, {"kind": "huyen"}))) == [
        "000.00.01.H98",
        "000.00.02.H98",
    ]
    assert identifiers(official_client.get(LIST, {"parent": tree.d1.pk})) == ["000.03.01.H98"]
    assert sorted(
        identifiers(official_client.get(LIST, {"parent": tree.d1.pk, "as_of": EVE.isoformat()}))
    ) == [
        "000.01.01.H98",
        "000.02.01.H98",
    ]


def test_division_code_filter(official_client, kinds):
    OrgUnitFactory(kind=kinds.province, identifier="000.00.00.H98", division_code="26")
    OrgUnitFactory(kind=kinds.province, identifier="000.00.00.H97", division_code="25")
    assert identifiers(official_client.get(LIST, {"division_code": "26"})) == ["000.00.00.H98"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"as_of": "2025-13-01"}, "as_of", "không hợp lệ"),
        ({"as_of": "hôm qua"}, "as_of", "không hợp lệ"),
        ({"kind": "tinh-thanh"}, "kind", "Không có loại đơn vị"),
        ({"parent": "abc"}, "parent", "phải là số"),
        ({"parent": "999999"}, "parent", "Không có đơn vị"),
        ({"identifier": "000.00.H62"}, "identifier", "không đúng định dạng"),
        ({"identifier": "000.00.00.H62", "code": "000.00.00.H44"}, "code", "giống nhau"),
        ({"all": "maybe"}, "all", "true hoặc false"),
        ({"all": "true", "as_of": "2025-01-01"}, "as_of", "đồng thời"),
        ({"division_code": "2x"}, "division_code", "chữ số"),
    ],
)
def test_bad_filter_values_are_refused_with_a_vietnamese_problem(official_client, tree, params, field, words):
    body = assert_problem(official_client.get(LIST, params), 400, "invalid")
    assert words in body["detail"]
    assert list(body["errors"]) == [field]


def list_queries(client, params) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries if "orgs_" in q["sql"]]


def test_list_query_count_is_pinned_and_does_not_grow_with_the_units(official_client, tree, kinds):
    small_total, _ = list_queries(official_client, {"kind": "ubnd-tinh"})
    for number in range(40):
        OrgUnitFactory(kind=kinds.commune, parent=tree.d2, identifier=f"000.{number + 10:02d}.02.H98")
    total, orgs_queries = list_queries(official_client, {"kind": "xa", "limit": 100})
    # the kind lookup, the count and one page with kind and parent joined; the rest is the
    # middleware's (session, user, second factor), the same for every request
    assert len(orgs_queries) == 3, orgs_queries
    assert total == small_total


def test_detail_has_ancestors_predecessors_and_successors(official_client, merged):
    tree = merged
    old = official_client.get(f"{LIST}{tree.c1.pk}/").json()
    assert [a["identifier"] for a in old["ancestors"]] == ["000.00.00.H98", "000.00.01.H98"]
    assert [(s["unit"]["name"], s["kind"]) for s in old["successors"]] == [("Xã An Bình", "merge")]
    assert old["successors"][0]["event"]["effective_date"] == CHANGE.isoformat()
    assert [u["name"] for u in old["current_successors"]] == ["Xã An Bình"]
    new_id = old["successors"][0]["unit"]["id"]
    new = official_client.get(f"{LIST}{new_id}/").json()
    assert sorted(p["unit"]["name"] for p in new["predecessors"]) == ["Xã An", "Xã Bình"]
    assert new["successors"] == [] and new["parent_identifier"] == "000.00.01.H98"


def test_detail_of_an_unknown_unit_is_a_404_problem(official_client, db):
    assert_problem(official_client.get(f"{LIST}999999/"), 404, "not_found")


def test_schema_documents_the_filters(official_client, db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"] for p in schema["paths"]["/api/v1/org-units/"]["get"]["parameters"]}
    assert {"as_of", "all", "identifier", "code", "kind", "parent", "division_code"} <= parameters
