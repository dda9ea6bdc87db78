"""The DHIS2-compatible metadata API (docs/reporting-dhis2.md): system endpoints, collections with
DHIS2's fields/filter/order/paging, the data set template, authentication, and the exact requests
the dhis2.py and dhis2-client libraries make."""

import base64
import time
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqs.accounts.models import Role
from cqs.accounts.tests.factories import PASSWORD, CitizenFactory, OfficialFactory, RoleGrantFactory
from cqs.orgs.models import OrgUnit
from cqs.orgs.tests.factories import OrgUnitFactory
from cqs.reporting.models import CategoryOptionCombo, Indicator
from cqs.reporting.uids import DEFAULT_COMBO_UID, is_uid

API = "/dhis/api"


def basic(user, password=PASSWORD):
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def get(client, land):
    """GET as the commune's reporting officer with HTTP Basic, as DHIS2 clients do."""

    def call(path, user=None, **params):
        return client.get(
            path if path.startswith("http") else f"{API}/{path}",
            params,
            **basic(user or land.commune_officer),
        )

    return call


def ids(body, key):
    return [row["id"] for row in body[key]]


# --- authentication --------------------------------------------------------------------------


def test_given_no_credentials_when_listing_then_401_with_basic_challenge(client, land):
    response = client.get(f"{API}/organisationUnits")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["httpStatusCode"] == 401


def test_given_a_wrong_password_when_listing_then_401(client, land):
    response = client.get(f"{API}/organisationUnits", **basic(land.commune_officer, "sai-mat-khau"))

    assert response.status_code == 401


def test_given_an_account_without_second_factor_when_using_basic_then_answered(get):
    response = get("system/info")

    assert response.status_code == 200


def test_given_an_account_whose_role_requires_2fa_when_using_basic_then_403(client, land):
    admin = OfficialFactory(username="quantri.api", official_profile__unit=land.province)
    RoleGrantFactory(user=admin, role=Role.objects.get(code="quan-tri-he-thong"), unit=land.province)

    response = client.get(f"{API}/system/info", **basic(admin))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "second_factor_required"


def test_given_a_signed_in_session_when_listing_then_answered_without_basic(client, land):
    client.force_login(land.district_reviewer)

    response = client.get(f"{API}/dataElements")

    assert response.status_code == 200


def test_given_a_citizen_when_reading_org_units_then_allowed(client, land):
    citizen = CitizenFactory(username="congdan.api")

    response = client.get(f"{API}/organisationUnits", **basic(citizen))

    assert response.status_code == 200


def test_given_a_citizen_when_reading_indicators_then_403(client, land):
    citizen = CitizenFactory(username="congdan.api2")

    response = client.get(f"{API}/dataElements", **basic(citizen))

    assert response.status_code == 403


def test_given_a_post_when_listing_then_405(client, land):
    response = client.post(f"{API}/organisationUnits", {}, **basic(land.commune_officer))

    assert response.status_code == 405


# --- system ----------------------------------------------------------------------------------


def test_system_info_says_dhis2_version_and_cqs_in_utf8(get):
    response = get("system/info")

    body = response.json()
    assert body["version"] == "2.40.0"
    assert body["systemName"] == "CQS — Hệ thống thông tin báo cáo"
    assert body["contextPath"] == "http://testserver/dhis"
    assert body["calendar"] == "iso8601"
    assert body["dateFormat"] == "yyyy-mm-dd"
    assert body["serverTimeZoneId"] == "Asia/Ho_Chi_Minh"
    assert "CQS" in body["compatibility"]
    assert "Hệ thống".encode() in response.content  # not \u-escaped
    assert response["Content-Type"].startswith("application/json")


def test_system_info_answers_on_version_prefixed_path_with_json_suffix(get):
    response = get("40/system/info.json")

    assert response.status_code == 200
    assert response.json()["version"] == "2.40.0"


def test_system_id_generates_the_number_of_uids_asked(get):
    codes = get("system/id", limit="5").json()["codes"]

    assert len(codes) == 5
    assert len(set(codes)) == 5
    assert all(is_uid(code) for code in codes)


def test_system_id_refuses_more_than_ten_thousand(get):
    response = get("system/id", limit="10001")

    assert response.status_code == 400


def test_me_names_the_account_and_its_units(get, land):
    body = get("me").json()

    assert body["username"] == "baocao.xa1"
    assert {"id": str(land.commune.pk), "name": "Xã Một"} in body["organisationUnits"]


# --- organisation units ------------------------------------------------------------------------


def test_org_units_list_default_fields_and_pager(get):
    body = get("organisationUnits").json()

    assert body["pager"]["page"] == 1
    assert body["pager"]["total"] == 7
    assert body["pager"]["pageSize"] == 50
    assert body["pager"]["pageCount"] == 1
    assert "nextPage" not in body["pager"]
    assert set(body["organisationUnits"][0]) == {"id", "displayName", "name"}


def test_org_unit_mapping_of_level_path_parent_and_code(get, land):
    fields = "id,code,name,level,path,parent[id,name],children[id],openingDate"
    body = get(f"organisationUnits/{land.district.pk}", fields=fields).json()

    assert body["id"] == str(land.district.pk)
    assert body["level"] == 2
    assert body["path"] == f"/{land.province.pk}/{land.district.pk}"
    assert body["parent"] == {"id": str(land.province.pk), "name": "UBND tỉnh Thử"}
    assert sorted(c["id"] for c in body["children"]) == sorted([str(land.commune.pk), str(land.commune2.pk)])
    assert body["openingDate"] == "2000-01-01T00:00:00.000"
    assert body["code"] == land.district.identifier


def test_org_unit_reference_without_nested_fields_is_its_id(get, land):
    body = get(f"organisationUnits/{land.commune.pk}", fields="parent").json()

    assert body == {"parent": {"id": str(land.district.pk)}}


def test_org_unit_detail_by_code_with_json_suffix(get, land):
    body = get("organisationUnits/000.00.00.H98.json", fields="id,name").json()

    assert body == {"id": str(land.province.pk), "name": "UBND tỉnh Thử"}


def test_unknown_org_unit_is_404(get):
    response = get("organisationUnits/khong-co")

    assert response.status_code == 404
    assert response.json()["httpStatusCode"] == 404


def test_filter_by_level(get, land):
    body = get("organisationUnits", filter="level:eq:3", paging="false").json()

    assert sorted(ids(body, "organisationUnits")) == sorted(
        str(u.pk) for u in (land.commune, land.commune2, land.commune3)
    )


def test_filter_by_parent_id(get, land):
    body = get("organisationUnits", filter=f"parent.id:eq:{land.district.pk}").json()

    assert sorted(ids(body, "organisationUnits")) == sorted([str(land.commune.pk), str(land.commune2.pk)])


def test_filters_are_anded_by_default(get, land):
    body = get("organisationUnits", filter=["level:eq:3", "name:ilike:ba"]).json()

    assert ids(body, "organisationUnits") == [str(land.commune3.pk)]


def test_root_junction_or_unites_filters(client, land):
    response = client.get(
        f"{API}/organisationUnits?filter=name:eq:Xã Một&filter=name:eq:Xã Ba&rootJunction=OR",
        **basic(land.commune_officer),
    )

    assert sorted(r["name"] for r in response.json()["organisationUnits"]) == ["Xã Ba", "Xã Một"]


def test_filter_in_list(get, land):
    body = get("organisationUnits", filter=f"id:in:[{land.commune.pk},{land.district2.pk}]").json()

    assert sorted(ids(body, "organisationUnits")) == sorted([str(land.commune.pk), str(land.district2.pk)])


def test_filter_not_in_list(get, land):
    body = get("organisationUnits", filter=f"id:!in:[{land.commune.pk}]").json()

    assert str(land.commune.pk) not in ids(body, "organisationUnits")
    assert body["pager"]["total"] == 6


def test_filter_parent_null_finds_the_root(get, land):
    body = get("organisationUnits", filter="parent:null").json()

    assert ids(body, "organisationUnits") == [str(land.province.pk)]


def test_filter_path_like_finds_the_subtree(get, land):
    body = get("organisationUnits", filter=f"path:like:/{land.district2.pk}").json()

    assert sorted(ids(body, "organisationUnits")) == sorted([str(land.district2.pk), str(land.commune3.pk)])


def test_filter_starts_with_and_ne(get, land):
    body = get("organisationUnits", filter=["name:startsWith:Huyện", "name:ne:Huyện Khác"]).json()

    assert ids(body, "organisationUnits") == [str(land.district.pk)]


def test_filter_on_a_computed_collection_runs_in_python(get, land):
    body = get("organisationUnits", filter=f"children.id:eq:{land.commune3.pk}").json()

    assert ids(body, "organisationUnits") == [str(land.district2.pk)]


def test_unknown_filter_property_is_400_web_message(get):
    response = get("organisationUnits", filter="khongco:eq:1")

    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"
    assert "khongco" in response.json()["message"]


def test_unknown_filter_operator_is_400(get):
    response = get("organisationUnits", filter="name:gần:Xã")

    assert response.status_code == 400


def test_unknown_nested_filter_property_is_400(get):
    response = get("organisationUnits", filter="parent.khongco:eq:1")

    assert response.status_code == 400


def test_order_by_name_descending(get):
    names = [r["name"] for r in get("organisationUnits", order="name:desc").json()["organisationUnits"]]

    assert names == sorted(names, reverse=True)


def test_paging_false_has_no_pager(get):
    body = get("organisationUnits", paging="false").json()

    assert "pager" not in body
    assert len(body["organisationUnits"]) == 7


def test_following_next_page_reaches_every_unit_once(get):
    seen = []
    url = None
    pages = 0
    body = get("organisationUnits", pageSize="3", fields="id", filter="level:ge:1").json()
    while True:
        pages += 1
        seen += ids(body, "organisationUnits")
        url = body["pager"].get("nextPage")
        if not url:
            break
        assert urlsplit(url).scheme == "http"
        body = get(url).json()

    assert pages == 3
    assert body["pager"]["page"] == 3
    assert body["pager"]["pageCount"] == 3
    assert len(seen) == len(set(seen)) == 7


def test_bad_page_size_is_400(get):
    assert get("organisationUnits", pageSize="0").status_code == 400


def test_closed_units_are_hidden_unless_history_is_asked(get, land):
    closed = OrgUnitFactory(
        parent=land.district, name="Xã Cũ", valid_from=date(2000, 1, 1), valid_to=date(2020, 1, 1)
    )

    today = ids(get("organisationUnits").json(), "organisationUnits")
    history = ids(get("organisationUnits", includeHistory="true").json(), "organisationUnits")
    before = ids(get("organisationUnits", asOf="2019-06-01").json(), "organisationUnits")

    assert str(closed.pk) not in today
    assert str(closed.pk) in history
    assert str(closed.pk) in before


def test_bad_as_of_date_is_400(get):
    assert get("organisationUnits", asOf="hôm-nay").status_code == 400


def test_fields_presets_and_exclusion(get, land):
    body = get(f"organisationUnits/{land.commune.pk}", fields=":all,!children,!parent").json()

    assert "children" not in body
    assert "parent" not in body
    assert body["level"] == 3
    assert body["shortName"]


def test_fields_rename(get, land):
    body = get(f"organisationUnits/{land.commune.pk}", fields="id,name~rename(ten)").json()

    assert body == {"id": str(land.commune.pk), "ten": "Xã Một"}


def test_list_query_count_does_not_grow_with_rows(get, land):
    fields = "id,name,level,path,parent[id,name],children[id,name]"
    get("organisationUnits", fields=fields)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        get("organisationUnits", fields=fields)
    for n in range(10):
        OrgUnitFactory(parent=land.district2, name=f"Xã Mới {n}")
    with CaptureQueriesContext(connection) as many:
        body = get("organisationUnits", fields=fields).json()

    assert body["pager"]["total"] == 17
    assert len(many.captured_queries) == len(few.captured_queries)


def _bulk_units(land, count):
    kind = land.commune.kind
    units = OrgUnit.objects.bulk_create(
        OrgUnit(
            kind=kind, name=f"Đơn vị {n:04d}", parent=land.district2, valid_from=date(2000, 1, 1), path="x"
        )
        for n in range(count)
    )
    if not all(u.pk for u in units):  # backends that do not return ids from bulk inserts
        units = list(OrgUnit.objects.filter(path="x"))
    for unit in units:
        unit.path = f"{land.district2.path}{unit.pk}/"
        unit.depth = 2
    OrgUnit.objects.bulk_update(units, ["path", "depth"])


def test_a_thousand_org_units_in_one_page_are_fast(get, land):
    _bulk_units(land, 1000)
    get("organisationUnits", pageSize="5")

    started = time.perf_counter()
    response = get("organisationUnits", pageSize="1000", fields="id,name,code,level,path,parent")
    elapsed = time.perf_counter() - started

    assert len(response.json()["organisationUnits"]) == 1000
    # The target is ~300 ms on a developer machine; the bound leaves room for slow CI runners.
    assert elapsed < 1.5


# --- indicators, regimes, disaggregations -----------------------------------------------------


def test_data_elements_mapping(get):
    rows = get(
        "dataElements", fields="id,code,name,valueType,aggregationType,domainType,categoryCombo[id,name]"
    )
    by_code = {r["code"]: r for r in rows.json()["dataElements"]}

    assert set(by_code) == {"HS_NHAN", "HS_TRUC_TUYEN", "TY_LE_KY_SO", "GHI_CHU"}
    assert by_code["TY_LE_KY_SO"]["valueType"] == "PERCENTAGE"
    assert by_code["TY_LE_KY_SO"]["aggregationType"] == "AVERAGE"
    assert by_code["HS_NHAN"]["domainType"] == "AGGREGATE"
    assert by_code["HS_NHAN"]["categoryCombo"]["id"] == DEFAULT_COMBO_UID
    assert by_code["HS_TRUC_TUYEN"]["categoryCombo"]["name"] == "Mức độ dịch vụ công"


def test_data_elements_filter_by_category_combo(get):
    level = Indicator.objects.get(code="HS_TRUC_TUYEN").category_combo

    body = get("dataElements", filter=f"categoryCombo.id:eq:{level.uid}", fields="code").json()

    assert body["dataElements"] == [{"code": "HS_TRUC_TUYEN"}]


def test_data_element_detail_by_code_has_every_field(get):
    body = get("dataElements/HS_NHAN").json()

    assert body["code"] == "HS_NHAN"
    assert body["zeroIsSignificant"] is False
    assert body["shortName"]


def test_data_sets_mapping_with_nested_elements(get, land):
    fields = (
        "id,code,name,periodType,expiryDays,timelyDays,categoryCombo,"
        "dataSetElements[dataElement[id,code]],organisationUnits[id]"
    )
    body = get("dataSets", fields=fields).json()

    data_set = body["dataSets"][0]
    assert data_set["id"] == land.regime.uid
    assert data_set["code"] == "BC_CNTT"
    assert data_set["periodType"] == "Monthly"
    assert data_set["expiryDays"] == 10
    assert data_set["timelyDays"] == 2
    assert data_set["categoryCombo"] == {"id": DEFAULT_COMBO_UID}
    assert [e["dataElement"]["code"] for e in data_set["dataSetElements"]] == [
        "HS_NHAN",
        "HS_TRUC_TUYEN",
        "TY_LE_KY_SO",
        "GHI_CHU",
    ]
    # Department, two districts and three communes report; the province receives.
    assert len(data_set["organisationUnits"]) == 6
    assert {"id": str(land.province.pk)} not in data_set["organisationUnits"]


def test_data_sets_are_read_as_of_a_date(get, land):
    before = get("dataSets", asOf="2019-12-31").json()
    history = get("dataSets", asOf="2019-12-31", includeHistory="true").json()

    assert before["dataSets"] == []
    assert ids(history, "dataSets") == [land.regime.uid]


def test_data_set_elements_are_embedded_in_full_by_default(get, land):
    body = get(f"dataSets/{land.regime.uid}", fields="dataSetElements").json()

    element = body["dataSetElements"][0]
    assert element["dataSet"] == {"id": land.regime.uid}
    assert is_uid(element["dataElement"]["id"])


def test_data_sets_filter_on_assigned_unit(get, land):
    found = get("dataSets", filter=f"organisationUnits.id:eq:{land.commune.pk}").json()
    none = get("dataSets", filter=f"organisationUnits.id:eq:{land.province.pk}").json()

    assert ids(found, "dataSets") == [land.regime.uid]
    assert none["dataSets"] == []


def test_category_option_combos_mapping(get):
    body = get(
        "categoryOptionCombos",
        fields="id,code,name,categoryCombo[code],categoryOptions[code]",
        filter="categoryCombo.code:eq:MUC_DO_DVC",
        order="code:asc",
    ).json()

    assert [r["code"] for r in body["categoryOptionCombos"]] == ["MOT_PHAN", "TOAN_TRINH"]
    assert body["categoryOptionCombos"][0]["categoryOptions"] == [{"code": "MOT_PHAN"}]
    assert body["categoryOptionCombos"][0]["categoryCombo"] == {"code": "MUC_DO_DVC"}


def test_category_combos_categories_and_options_are_listed(get):
    combos = get("categoryCombos", fields="code,isDefault,categories[code],categoryOptionCombos[code]").json()
    categories = get("categories", fields="code,categoryOptions[code]").json()
    options = get("categoryOptions", fields="code,name").json()

    level = next(c for c in combos["categoryCombos"] if c["code"] == "MUC_DO_DVC")
    assert level["categories"] == [{"code": "MUC_DO"}]
    assert len(level["categoryOptionCombos"]) == 2
    assert level["isDefault"] is False
    assert categories["categories"] == [
        {"code": "MUC_DO", "categoryOptions": [{"code": "MOT_PHAN"}, {"code": "TOAN_TRINH"}]}
    ]
    assert {o["code"] for o in options["categoryOptions"]} == {"MOT_PHAN", "TOAN_TRINH"}


# --- data set template -------------------------------------------------------------------------


def test_data_set_template_lists_every_cell_empty(get, land):
    body = get(
        f"dataSets/{land.regime.uid}/dataValueSet", period="202603", orgUnit=str(land.commune.pk)
    ).json()

    assert body["dataSet"] == land.regime.uid
    assert body["period"] == "202603"
    assert body["orgUnit"] == str(land.commune.pk)
    # HS_NHAN, two cells of HS_TRUC_TUYEN, TY_LE_KY_SO, GHI_CHU.
    assert len(body["dataValues"]) == 5
    assert all(v["value"] == "" for v in body["dataValues"])
    combos = {v["categoryOptionCombo"] for v in body["dataValues"]}
    assert (
        set(CategoryOptionCombo.objects.filter(combo__code="MUC_DO_DVC").values_list("uid", flat=True))
        <= combos
    )


def test_data_set_template_refuses_a_bad_period(get, land):
    response = get(f"dataSets/{land.regime.uid}/dataValueSet", period="2026M3")

    assert response.status_code == 409


# --- what real clients send --------------------------------------------------------------------


def _version_to_int(value: str):
    # dhis2.py 2.3.0 utils.version_to_int: the minor number of "2.40.0".
    try:
        return int(value.replace("-SNAPSHOT", "").split(".")[1])
    except (ValueError, IndexError):
        return None


def test_replay_of_dhis2_py_requests(client, land):
    """dhis2.py 2.3.0 (``Api(server, user, password)``): every GET goes to ``<server>/api/<endpoint>.json``
    with Basic auth; ``get_info`` reads ``system/info``; ``get_paged`` sends pageSize, page=1 and
    totalPages=True, then increments ``page`` while ``pager.page < pager.pageCount``. With
    ``api_version=40`` the URL is ``<server>/api/40/<endpoint>.json``."""
    auth = basic(land.commune_officer)
    server = "/dhis"

    info = client.get(f"{server}/api/system/info.json", **auth).json()
    assert _version_to_int(info["version"]) == 40
    assert info["revision"]

    params = {"fields": "id,name", "pageSize": 2, "page": 1, "totalPages": True}
    collected = []
    page = client.get(f"{server}/api/40/organisationUnits.json", params, **auth).json()
    collected += page["organisationUnits"]
    while page["pager"]["page"] < page["pager"]["pageCount"]:
        params["page"] += 1
        page = client.get(f"{server}/api/40/organisationUnits.json", params, **auth).json()
        collected += page["organisationUnits"]
    assert len({u["id"] for u in collected}) == 7

    codes = client.get(f"{server}/api/system/id.json", {"limit": 3}, **auth).json()["codes"]
    assert len(codes) == 3

    one = client.get(f"{server}/api/organisationUnits/{land.commune.pk}.json", {"fields": "id,name"}, **auth)
    assert one.json() == {"id": str(land.commune.pk), "name": "Xã Một"}


def test_replay_of_dhis2_client_requests(client, land):
    """dhis2-client (dhis2/dhis2-python-client): base URL + ``/api/<resource>`` with
    ``fields``, ``pageSize``, ``paging=true``, ``page``, JSON headers on a GET; it stops when
    ``pager.page >= pager.pageCount``."""
    auth = basic(land.commune_officer)
    headers = {"HTTP_ACCEPT": "application/json", "CONTENT_TYPE": "application/json"}

    info = client.get("/dhis/api/system/info", **auth, **headers).json()
    assert info["version"].startswith("2.40")

    items, current = [], 1
    while True:
        params = {"fields": "id,displayName,code", "pageSize": 3, "paging": "true", "page": current}
        data = client.get("/dhis/api/dataElements", params, **auth, **headers).json()
        items += data["dataElements"]
        if data["pager"]["page"] >= data["pager"]["pageCount"]:
            break
        current += 1
    assert sorted(i["code"] for i in items) == ["GHI_CHU", "HS_NHAN", "HS_TRUC_TUYEN", "TY_LE_KY_SO"]


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/dhis/api/dataValueSets", "data_value_sets"),
        ("/dhis/api/dataValueSets.csv", "data_value_sets"),
        ("/dhis/api/40/dataValueSets.adx", "data_value_sets"),
        ("/dhis/api/dataValueSets.xml", "data_value_sets"),
        ("/dhis/api/41/completeDataSetRegistrations.json", "complete_registrations"),
    ],
)
def test_data_routes_reach_the_data_views_with_or_without_version(path, view):
    from django.urls import resolve

    from cqs.reporting.dhis import views_data

    match = resolve(path)

    assert match.func is getattr(views_data, view)
    assert match.kwargs == {}
