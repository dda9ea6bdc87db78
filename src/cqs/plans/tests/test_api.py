import pytest

from cqs.plans.models import Plan

LIST = "/api/v1/plans/"


def detail_url(plan) -> str:
    return f"{LIST}{plan.pk}/"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


@pytest.mark.parametrize("path", ["", "{pk}/"])
def test_anonymous_callers_are_refused_with_a_problem(client, plan, path):
    response = client.get(LIST + path.format(pk=plan.pk))

    # Session authentication answers 403 (no WWW-Authenticate challenge to send); an
    # authentication scheme with a challenge would make it 401. Either way: not_authenticated.
    assert response.status_code in (401, 403)
    body = assert_problem(response, response.status_code, "not_authenticated")
    assert body["detail"] == "Bạn cần đăng nhập."
    assert "326/KH-UBND" not in response.content.decode()


def test_signed_in_users_list_the_plans(signed_in, plan, django_assert_max_num_queries):
    # session, user, second-factor check; count; plans
    with django_assert_max_num_queries(5):
        response = signed_in.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] | {"id": 0, "issuer_unit_id": 0} == {
        "id": 0,
        "number": "326/KH-UBND",
        "issued_on": "2021-12-31",
        "issuer": "UBND tỉnh Vĩnh Phúc",
        "issuer_unit_id": 0,
        "title": plan.title,
        "year": 2022,
        "source_reference": plan.source_reference,
    }


def test_the_detail_has_targets_baselines_projects_totals_and_notes(
    signed_in, plan, django_assert_max_num_queries
):
    # Session, user, second-factor check; plan; one per kind of row (6); three totals. The count
    # does not grow with the number of rows (59 projects, 20 targets…).
    with django_assert_max_num_queries(13):
        response = signed_in.get(detail_url(plan))

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == "326/KH-UBND"
    assert body["amount_unit"] == "triệu đồng"
    assert [area["number"] for area in body["target_areas"]] == [1, 2, 3, 4, 5]
    online = next(t for area in body["target_areas"] for t in area["targets"]
                  if t["code"] == "dvc-muc-do-4-ho-so-truc-tuyen")  # fmt: skip
    assert (online["comparator"], online["comparator_symbol"], online["value"], online["unit"]) == (
        "gt",
        ">",
        "30.00",
        "%",
    )
    smart = next(t for area in body["target_areas"] for t in area["targets"] if t["comparator"] == "range")
    assert (smart["value"], smart["value_max"]) == ("4.00", "6.00")
    baselines = {b["code"]: b for b in body["baselines"]}
    assert baselines["mot-cua-huyen-xa-dung-han"]["stated_ratio"] == "90.08"
    assert baselines["van-ban-den"]["parts"] == [
        "van-ban-den-cap-tinh",
        "van-ban-den-cap-huyen",
        "van-ban-den-cap-xa",
    ]
    assert len(body["projects"]) == 59
    assert body["projects"][0]["lead_unit_name"] == "Sở Thông tin và Truyền thông"
    assert body["totals"]["total_budget"] == 729_340
    assert body["totals"]["allocation"] == 640_563
    assert body["totals"]["matches_stated"] is True
    assert body["totals"]["by_lead_unit"][0]["total_budget"] == 439_340
    assert {s["funding_source"] for s in body["totals"]["by_funding_source"]} == {
        "public_investment",
        "recurrent",
    }
    assert len(body["information_systems"]) == 42
    notes = {n["code"]: n for n in body["data_notes"]}
    assert notes["ty-le-mot-cua-huyen-xa-dung-han"] | {"message": ""} == {
        "code": "ty-le-mot-cua-huyen-xa-dung-han",
        "kind": "ratio_mismatch",
        "subject_type": "baseline",
        "subject_code": "mot-cua-huyen-xa-dung-han",
        "message": "",
        "computed": "90.84",
        "stated": "90.08",
    }


def test_projects_carry_their_lead_unit_id_and_name(signed_in, db, document):
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.plans.services import plan_load

    unit = OrgUnitFactory(kind=OrgUnitKindFactory(department=True), name="Sở Tư pháp")
    plan = plan_load(document=document)

    projects = {p["number"]: p for p in signed_in.get(detail_url(plan)).json()["projects"]}

    assert projects[32]["lead_unit"] == {"id": unit.pk, "name": "Sở Tư pháp"}
    assert projects[1]["lead_unit"] is None


def test_an_unknown_plan_is_a_404_problem(signed_in, plan):
    assert_problem(signed_in.get(f"{LIST}{plan.pk + 1000}/"), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(signed_in, plan, method):
    url = LIST if method == "post" else detail_url(plan)
    assert_problem(
        getattr(signed_in, method)(url, {}, content_type="application/json"), 405, "method_not_allowed"
    )
    assert Plan.objects.get().number == "326/KH-UBND"


def test_the_schema_describes_the_plan_endpoints(signed_in):
    response = signed_in.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/plans/{id}/" in schema["paths"]
    detail = schema["components"]["schemas"]["PlanDetail"]["properties"]
    assert {"target_areas", "baselines", "projects", "totals", "information_systems", "data_notes"} <= set(
        detail
    )
    assert schema["components"]["schemas"]["ProjectTotals"]["properties"]["by_lead_unit"]["type"] == "array"
