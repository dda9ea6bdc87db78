"""The staff feedback API: list and detail scoped to the caller's units, actions with their errors
as problem+json codes, the category tree and the statistics."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cqs.feedback.services import report_submit
from cqs.feedback.tests.world import FAR_POINT, POINT

pytestmark = pytest.mark.django_db


def submit(world, area, point=POINT):
    report, _created = report_submit(
        category=world.pothole,
        description="Ổ gà lớn, gọi 0912345678 nếu cần.",
        attributes={"kich-thuoc": "nho"},
        lat=point[0],
        lon=point[1],
        area=area,
        contact_name="Trần Thị B",
        contact_phone="0912345678",
    )
    return report


@pytest.fixture
def reports(world):
    return {"a": submit(world, world.commune_a), "b": submit(world, world.commune_b, FAR_POINT)}


def codes(response):
    return {row["code"] for row in response.json()["results"]}


def act(client, report, **body):
    return client.post(
        reverse("feedback-api-report-actions", args=[report.code]), body, content_type="application/json"
    )


def test_the_list_shows_the_callers_units_only(client, world, reports):
    client.force_login(world.handler_a)
    assert codes(client.get(reverse("feedback-api-report-list"))) == {reports["a"].code}

    client.force_login(world.province_handler)
    assert codes(client.get(reverse("feedback-api-report-list"))) == {reports["a"].code, reports["b"].code}


def test_the_list_filters_and_refuses_bad_filters(client, world, reports):
    client.force_login(world.province_handler)
    url = reverse("feedback-api-report-list")

    assert codes(client.get(url, {"unit": world.commune_b.pk})) == {reports["b"].code}
    assert codes(client.get(url, {"q": reports["a"].code})) == {reports["a"].code}
    assert codes(client.get(url, {"status": "answered"})) == set()
    assert codes(client.get(url, {"waiting_ack": "true", "category": "giao-thong"})) == {
        reports["a"].code,
        reports["b"].code,
    }
    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"


def test_the_list_needs_a_session(client, reports):
    assert client.get(reverse("feedback-api-report-list")).status_code in (401, 403)


def test_the_list_query_count_does_not_grow_with_rows(client, world, reports):
    client.force_login(world.province_handler)
    url = reverse("feedback-api-report-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        submit(world, world.commune_a)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.json()["results"]) == 7
    assert len(many) == len(few)


def test_the_detail_has_events_and_contact_for_staff_and_404_for_other_units(client, world, reports):
    client.force_login(world.handler_a)

    body = client.get(reverse("feedback-api-report-detail", args=[reports["a"].code])).json()
    assert body["contact"]["phone"] == "0912345678"
    assert [e["action"] for e in body["events"]] == ["submit"]
    assert "accept" in [a["action"] for a in body["actions"]]

    response = client.get(reverse("feedback-api-report-detail", args=[reports["b"].code]))
    assert response.status_code == 404


def test_an_action_is_taken_and_repeating_it_is_a_conflict(client, world, reports):
    client.force_login(world.handler_a)

    response = act(client, reports["a"], action="accept")
    assert response.status_code == 200 and response.json()["status"] == "accepted"

    response = act(client, reports["a"], action="accept")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_an_action_the_caller_may_not_take_is_403(client, world, reports):
    client.force_login(world.leader_a)

    response = act(client, reports["a"], action="accept")

    assert response.status_code == 403
    assert response.json()["code"] == "action_not_allowed"


def test_a_missing_note_is_400_and_changes_nothing(client, world, reports):
    client.force_login(world.handler_a)

    response = act(client, reports["a"], action="reject")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == ("note_required", ["note"])
    reports["a"].refresh_from_db()
    assert reports["a"].status == "received"


def test_an_unknown_action_is_400(client, world, reports):
    client.force_login(world.handler_a)

    response = act(client, reports["a"], action="explode")

    assert (response.status_code, response.json()["code"]) == (400, "unknown_action")


def test_an_action_on_another_units_report_is_404(client, world, reports):
    client.force_login(world.handler_a)

    assert act(client, reports["b"], action="accept").status_code == 404


def test_a_forward_out_of_the_callers_sight_gives_204(client, world, reports):
    client.force_login(world.handler_a)

    response = act(client, reports["a"], action="forward", unit=world.commune_b.pk, note="Thuộc phường khác.")

    assert response.status_code == 204
    reports["a"].refresh_from_db()
    assert reports["a"].unit == world.commune_b


def test_mark_duplicate_takes_the_original_by_code(client, world, reports):
    client.force_login(world.province_handler)

    response = act(client, reports["a"], action="mark_duplicate", duplicate_of=reports["b"].code)

    assert response.status_code == 200
    assert response.json()["duplicate_of"] == reports["b"].code
    response = act(client, reports["b"], action="mark_duplicate", duplicate_of="PA2222222222")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_original")


def test_the_category_tree_has_deadlines_and_attributes(client, world):
    client.force_login(world.handler_a)

    body = {c["code"]: c for c in client.get(reverse("feedback-api-categories")).json()}

    assert body["o-ga"]["parent"] == "giao-thong" and body["o-ga"]["leaf"]
    assert not body["giao-thong"]["leaf"]
    assert {d["urgency"] for d in body["o-ga"]["deadlines"]} == {"normal", "urgent"}
    assert [a["code"] for a in body["o-ga"]["attributes"]] == ["kich-thuoc", "so-luong"]


def test_the_statistics_are_scoped_and_refused_without_the_permission(client, world, reports):
    url = reverse("feedback-api-statistics")
    client.force_login(world.province_handler)
    body = client.get(url, {"unit": world.province.pk}).json()
    assert body["total"]["received"] == 2
    assert {row["name"]: row["received"] for row in body["rows"]} == {
        "Phường Vĩnh Phúc": 1,
        "Phường Phúc Yên": 1,
    }

    client.force_login(world.handler_a)
    assert client.get(url).json()["total"]["received"] == 1
    response = client.get(url, {"unit": world.commune_b.pk})
    assert (response.status_code, response.json()["code"]) == (403, "stats_unit_forbidden")

    client.force_login(world.citizen)
    assert client.get(url).status_code == 403
