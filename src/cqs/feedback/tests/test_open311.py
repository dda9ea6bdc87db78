"""The Open311 GeoReport v2 API under /open311/v2/ (cqs.feedback.open311, docs/feedback-open311.md)."""

import json
from datetime import timedelta

import pytest
from defusedxml import ElementTree as SafeET
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cqs.core.models import OutboxMessage
from cqs.core.testing import sample_image
from cqs.feedback.choices import Channel, Datatype, Status
from cqs.feedback.models import CategoryAttribute, Report, ReportPhoto
from cqs.feedback.services import api_client_create, report_act, report_submit
from cqs.feedback.tests.world import FAR_POINT, NEAR_POINT, OUTSIDE, POINT
from cqs.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
BASE = "/open311/v2/"
PHONE, EMAIL, NAME = "0912345678", "tran.b@example.com", "Trần Thị Bưởi"


@pytest.fixture
def key(world):
    _client, key = api_client_create(name="Ứng dụng Phú Thọ 311", contact="app@cqs.invalid")
    return key


def get(client, path, **params):
    return client.get(BASE + path, params)


def post(client, key, fmt="json", headers=None, **fields):
    data = {
        "api_key": key,
        "service_code": "o-ga",
        "lat": str(POINT[0]),
        "long": str(POINT[1]),
        "description": "Ổ gà sâu trước số 12 Nguyễn Tất Thành.",
        "attribute[kich-thuoc]": "lon",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(BASE + f"requests.{fmt}", data, headers=headers or {})


def filed(world, *, days_ago=1, category=None, point=POINT, **fields):
    values = {
        "category": category or world.pothole,
        "description": f"Ổ gà lớn, gọi {PHONE} hoặc {EMAIL}.",
        "attributes": {"kich-thuoc": "lon"} if (category or world.pothole) == world.pothole else {},
        "lat": point[0],
        "lon": point[1],
        "area": world.commune_a,
        "contact_name": NAME,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
        "now": timezone.now() - timedelta(days=days_ago),
    }
    values.update(fields)
    report, _created = report_submit(**values)
    return report


def published(world, report, answer="Đã vá ổ gà. Cần gì gọi 0987654321."):
    for action in ("accept", "start"):
        report_act(report=report, action=action, actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer=answer)
    report_act(report=report, action="publish", actor=world.leader_a)
    report.refresh_from_db()
    return report


def xml(response):
    return SafeET.fromstring(response.content)


def assert_nothing_saved():
    assert not Report.objects.exists()
    assert not ReportPhoto.objects.exists()
    assert not OutboxMessage.objects.exists()


# --- discovery, services, definitions -----------------------------------------------------------


def test_discovery_in_both_formats(client):
    data = get(client, "discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production" and endpoint["formats"] == ["text/xml", "application/json"]
    assert data["changeset"] and data["contact"] and data["key_service"]

    response = get(client, "discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = xml(response)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_list_leaf_public_categories_only(client, world):
    response = get(client, "services.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    services = {s["service_code"]: s for s in response.json()}
    # the group "giao-thong" and the private "can-bo" are not services
    assert set(services) == {"o-ga", "den-chieu-sang"}
    assert services["o-ga"] == {
        "service_code": "o-ga",
        "service_name": "Ổ gà, hư hỏng mặt đường",
        "description": None,
        "metadata": True,
        "type": "realtime",
        "keywords": None,
        "group": "Giao thông",
    }
    assert services["den-chieu-sang"]["metadata"] is False

    root = xml(get(client, "services.xml"))
    assert root.tag == "services"
    pothole = next(s for s in root.findall("service") if s.findtext("service_code") == "o-ga")
    assert pothole.findtext("metadata") == "true" and pothole.findtext("group") == "Giao thông"


def test_service_definition_in_both_formats(client, world):
    data = get(client, "services/o-ga.json").json()
    assert data["service_code"] == "o-ga"
    size, count = data["attributes"]
    assert size == {
        "variable": True,
        "code": "kich-thuoc",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "Kích thước ổ gà",
        "values": [{"key": "nho", "name": "Nhỏ (dưới 30 cm)"}, {"key": "lon", "name": "Lớn (từ 30 cm)"}],
    }
    assert count["datatype"] == "number" and "values" not in count

    root = xml(get(client, "services/o-ga.xml"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == ["nho", "lon"]


@pytest.mark.parametrize("code", ["khong-co", "can-bo", "giao-thong"])
def test_unknown_private_or_group_service_definition_is_404(client, world, code):
    response = get(client, f"services/{code}.json")
    assert response.status_code == 404
    [error] = response.json()
    assert error["code"] == 404 and error["error_code"] == "unknown_service_code"
    root = xml(get(client, f"services/{code}.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_jurisdiction_id_is_checked_everywhere(client, world, settings):
    assert get(client, "services.json", jurisdiction_id=settings.CQS_OPEN311_JURISDICTION).status_code == 200
    for path in ("services.json", "requests.json", "services/o-ga.json", "servicerequestupdates.json"):
        response = get(client, path, jurisdiction_id="hanoi.gov.vn")
        assert response.status_code == 404
        assert response.json()[0]["error_code"] == "jurisdiction_not_found"


# --- POST requests ----------------------------------------------------------------------------


def test_post_files_a_report_through_the_service(client, world, key):
    response = post(
        client,
        key,
        first_name="Thị Bưởi",
        last_name="Trần",
        phone="0912 345 678",
        email="b@cqs.invalid",
        device_id="android-1",
        **{"attribute[so-luong]": "3"},
    )
    assert response.status_code == 200, response.content
    [created] = response.json()
    report = Report.objects.get()
    assert created["service_request_id"] == report.code and created["account_id"] is None
    assert created["service_notice"].startswith("Hạn trả lời dự kiến")
    assert report.channel == Channel.OPEN311 and report.api_client.name == "Ứng dụng Phú Thọ 311"
    assert report.attributes == {"kich-thuoc": "lon", "so-luong": 3}
    assert (report.lat, report.lon) == POINT
    assert report.contact_name == "Trần Thị Bưởi" and report.contact_phone == "0912345678"
    assert report.device_id == "android-1" and report.status == Status.RECEIVED


def test_post_answers_xml_and_uses_the_handling_message(client, world, key):
    world.pothole.handling_message = "Đơn vị sẽ kiểm tra trong 24 giờ."
    world.pothole.save()
    root = xml(post(client, key, fmt="xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == Report.objects.get().code
    assert root.findtext("request/service_notice") == "Đơn vị sẽ kiểm tra trong 24 giờ."


def test_post_with_an_address_id_or_an_address_string(client, world, key):
    OrgUnit.objects.filter(pk=world.commune_a.pk).update(division_code="09193")
    response = post(client, key, lat=None, long=None, address_id="09193")
    assert response.status_code == 200, response.content
    report = Report.objects.get()
    assert report.area_id == world.commune_a.pk and report.unit_id == world.commune_a.pk
    response = post(client, key, lat=None, long=None, address_string="Số 5 Mê Linh", description="Khác")
    assert response.status_code == 200 and Report.objects.count() == 2


def test_post_multivaluelist_attributes(client, world, key):
    CategoryAttribute.objects.create(
        category=world.lights,
        code="loai",
        description="Loại hư hỏng",
        datatype=Datatype.MULTI,
        values=[{"key": "tat", "name": "Đèn tắt"}, {"key": "nhay", "name": "Đèn nhấp nháy"}],
    )
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": key,
            "service_code": "den-chieu-sang",
            "address_string": "Đường Mê Linh",
            "description": "Đèn đường hỏng",
            "attribute[loai][]": ["tat", "nhay"],
        },
    )
    assert response.status_code == 200, response.content
    assert Report.objects.get().attributes == {"loai": ["tat", "nhay"]}


def test_post_with_a_photo_shows_it_as_media_url(client, world, key):
    photo = SimpleUploadedFile("o-ga.jpg", sample_image("jpeg", size=(2400, 1800)), "image/jpeg")
    response = post(client, key, media=photo)
    assert response.status_code == 200, response.content
    stored = ReportPhoto.objects.get()
    assert stored.width == 1600
    [item] = get(client, f"requests/{Report.objects.get().code}.json").json()
    assert item["media_url"] == f"http://testserver/phan-anh/anh/{stored.pk}/"


def test_post_is_csrf_exempt(world, key):
    response = post(Client(enforce_csrf_checks=True), key)
    assert response.status_code == 200


def test_a_repeated_post_returns_the_same_request(client, world, key):
    first = post(client, key).json()[0]["service_request_id"]
    again = post(client, key).json()[0]["service_request_id"]
    assert first == again and Report.objects.count() == 1
    # an Idempotency-Key makes any repeat (even changed) return the first
    one = post(client, key, headers={"Idempotency-Key": "abc"}, description="Khác 1").json()[0]
    two = post(client, key, headers={"Idempotency-Key": "abc"}, description="Khác 2").json()[0]
    assert one == two and Report.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"lat": "95", "long": "105.6"}, 400, "invalid_location", "lat"),
        ({"lat": "abc"}, 400, "invalid_location", "lat"),
        ({"lat": "nan"}, 400, "invalid_location", "lat"),
        ({"long": None}, 400, "invalid_location", "lat"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, 400, "outside_province", "lat"),
        ({"lat": None, "long": None}, 400, "location_missing", "lat"),
        ({"address_id": "99999", "lat": None, "long": None}, 400, "unknown_address_id", "address_id"),
        ({"service_code": "khong-co"}, 400, "unknown_service_code", "service_code"),
        ({"service_code": "can-bo"}, 400, "unknown_service_code", "service_code"),
        ({"service_code": None}, 400, "unknown_service_code", "service_code"),
        ({"attribute[kich-thuoc]": None}, 400, "invalid_attribute", "attribute[kich-thuoc]"),
        ({"attribute[kich-thuoc]": "rat-lon"}, 400, "invalid_attribute", "attribute[kich-thuoc]"),
        ({"attribute[so-luong]": "nhiều"}, 400, "invalid_attribute", "attribute[so-luong]"),
        ({"description": ""}, 400, "description_missing", "description"),
        ({"description": "x" * 4001}, 400, "description_too_long", "description"),
        ({"email": "khong-phai-email"}, 400, "invalid_email", "email"),
        ({"phone": "12"}, 400, "invalid_phone", "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "invalid_media_url", "media_url"),
        ({"api_key": None}, 403, "api_key_missing", "api_key"),
        ({"api_key": "pakn_sai"}, 403, "api_key_invalid", "api_key"),
    ],
)
def test_bad_input_answers_the_error_array_and_saves_nothing(client, world, key, fields, status, code, field):
    response = post(client, key, **fields)
    assert response.status_code == status, response.content
    [error] = response.json()
    assert error["code"] == status and error["error_code"] == code and error["field"] == field
    assert error["description"]
    assert_nothing_saved()


def test_bad_input_in_xml(client, world, key):
    response = post(client, key, fmt="xml", api_key="sai")
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403" and root.findtext("error/error_code") == "api_key_invalid"


def test_one_error_per_bad_attribute(client, world, key):
    response = post(client, key, **{"attribute[kich-thuoc]": "", "attribute[so-luong]": "x"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()] == ["attribute[kich-thuoc]", "attribute[so-luong]"]
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("name", "data"),
    [("virus.jpg", b"MZ\x90\x00not an image"), ("tai-lieu.pdf", b"%PDF-1.4 not a photo"), ("rong.jpg", b"")],
)
def test_a_non_image_media_is_refused(client, world, key, name, data):
    response = post(client, key, media=SimpleUploadedFile(name, data))
    assert response.status_code == 400
    [error] = response.json()
    assert error["error_code"].startswith("upload_") and error["field"] == "media"
    assert_nothing_saved()


def test_an_oversize_media_is_refused(client, world, key, monkeypatch):
    monkeypatch.setattr("cqs.feedback.photos.PHOTO_MAX_BYTES", 1000)
    photo = SimpleUploadedFile("o-ga.png", sample_image("png", size=(400, 400)))
    response = post(client, key, media=photo)
    assert response.status_code == 400
    assert response.json()[0]["error_code"] == "upload_too_large"
    assert_nothing_saved()


def test_a_revoked_key_is_refused(client, world, key):
    from cqs.feedback.models import ApiClient

    ApiClient.objects.update(active=False)
    assert post(client, key).status_code == 403
    assert_nothing_saved()


def test_a_json_body_is_refused(client, world, key):
    response = client.post(
        BASE + "requests.json", json.dumps({"api_key": key}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()[0]["error_code"] == "unsupported_content_type"


# --- GET requests -----------------------------------------------------------------------------


def test_get_requests_lists_public_reports_newest_first_without_personal_data(client, world):
    older = published(world, filed(world, days_ago=3))
    newer = filed(world, days_ago=1, category=world.lights, point=FAR_POINT, area=world.commune_b)
    private = filed(world, category=world.private)
    rejected = filed(world, description="Quảng cáo")
    report_act(report=rejected, action="reject", actor=world.handler_a, note="Không phải phản ánh")

    response = get(client, "requests.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    items = response.json()
    assert [i["service_request_id"] for i in items] == [newer.code, older.code]
    assert private.code not in response.content.decode()
    item = items[1]
    assert item["status"] == "closed" and item["service_code"] == "o-ga"
    assert item["service_name"] == "Ổ gà, hư hỏng mặt đường"
    assert item["agency_responsible"] == world.commune_a.name
    assert item["description"] == "Ổ gà lớn, gọi *** hoặc ***."
    assert item["status_notes"] == "Đã vá ổ gà. Cần gì gọi ***."
    assert item["requested_datetime"].endswith("+07:00") and item["expected_datetime"].endswith("+07:00")
    assert item["lat"] == POINT[0] and item["long"] == POINT[1] and item["zipcode"] is None
    assert items[0]["status"] == "open" and items[0]["status_notes"] is None

    for path in ("requests.json", "requests.xml", f"requests/{older.code}.json", f"request/{older.code}.xml"):
        body = get(client, path).content.decode()
        for secret in (PHONE, EMAIL, NAME, "0987654321", "Trần"):
            assert secret not in body, (path, secret)


def test_get_requests_in_xml(client, world):
    report = filed(world)
    response = get(client, "requests.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = xml(response)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == report.code
    assert root.findtext("request/long") == str(POINT[1])
    assert root.find("request/zipcode").text is None


def test_control_characters_do_not_break_the_xml(client, world):
    filed(world, description="Ổ gà\x07 sâu\x1b")
    root = xml(get(client, "requests.xml"))
    assert root.findtext("request/description") == "Ổ gà sâu"


def test_nul_characters_are_dropped_from_posted_text(client, world, key):
    response = post(client, key, description="Ổ gà\x00 sâu", address_string="Số 1\x00")
    assert response.status_code == 200, response.content
    assert Report.objects.get().description == "Ổ gà sâu"


def test_nul_characters_in_search_parameters_are_harmless(client, world):
    report = filed(world)
    assert (
        get(client, "requests.json", service_code="o-ga\x00").json()[0]["service_request_id"] == report.code
    )
    assert get(client, "requests.json", service_request_id="\x00").status_code == 200
    assert get(client, f"requests/{report.code}%00.json").status_code == 200
    assert get(client, "tokens/%00.json").status_code == 404


def test_filters_service_code_status_and_bbox(client, world):
    pothole = filed(world)
    lights = filed(world, category=world.lights, point=FAR_POINT, area=world.commune_b)
    answered = published(world, filed(world, point=NEAR_POINT, description="Ổ gà thứ hai"))

    def codes(**params):
        response = get(client, "requests.json", **params)
        assert response.status_code == 200, response.content
        return {i["service_request_id"] for i in response.json()}

    assert codes(service_code="den-chieu-sang") == {lights.code}
    assert codes(service_code="o-ga,den-chieu-sang") == {pothole.code, lights.code, answered.code}
    assert codes(status="open") == {pothole.code, lights.code}
    assert codes(status="closed") == {answered.code}
    assert codes(status="open,closed") == {pothole.code, lights.code, answered.code}
    box = f"{POINT[1] - 0.01},{POINT[0] - 0.01},{POINT[1] + 0.01},{POINT[0] + 0.01}"
    assert codes(bbox=box) == {pothole.code, answered.code}
    # service_request_id overrides every other filter
    assert codes(service_request_id=f"{lights.code},{pothole.code.lower()}", status="closed") == {
        lights.code,
        pothole.code,
    }


def test_date_window_default_90_days_and_explicit_range(client, world):
    recent = filed(world, days_ago=10)
    old = filed(world, days_ago=120, description="Ổ gà cũ")

    def codes(**params):
        return [i["service_request_id"] for i in get(client, "requests.json", **params).json()]

    assert codes() == [recent.code]
    start = (timezone.now() - timedelta(days=130)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert codes(start_date=start, end_date=end) == [old.code]
    # only a start: the 90 days after it
    assert codes(start_date=start) == [old.code]
    # "+07:00" sent unencoded arrives as " 07:00"
    local = timezone.localtime(timezone.now() - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%S")
    assert codes(start_date=f"{local} 07:00") == [recent.code]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"start_date": "hôm qua"}, "invalid_date", "start_date"),
        ({"end_date": "2026-13-45"}, "invalid_date", "end_date"),
        ({"start_date": "2026-01-01T00:00:00+07:00", "end_date": "2026-06-01T00:00:00+07:00"},
         "date_range_too_long", "end_date"),
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "invalid_date_range", "end_date"),
        ({"status": "pending"}, "invalid_status", "status"),
        ({"bbox": "1,2,3"}, "invalid_bbox", "bbox"),
        ({"bbox": "106,22,105,21"}, "invalid_bbox", "bbox"),
        ({"page": "0"}, "invalid_paging", "page"),
        ({"page_size": "1001"}, "invalid_paging", "page_size"),
        ({"page_size": "nhiều"}, "invalid_paging", "page_size"),
    ],
)  # fmt: skip
def test_bad_search_parameters_are_400(client, world, params, code, field):
    response = get(client, "requests.json", **params)
    assert response.status_code == 400
    [error] = response.json()
    assert (error["code"], error["error_code"], error["field"]) == (400, code, field)


def test_paging(client, world):
    reports = [filed(world, days_ago=day, description=f"Ổ gà số {day}") for day in (1, 2, 3)]
    page1 = get(client, "requests.json", page_size=2).json()
    page2 = get(client, "requests.json", page_size=2, page=2).json()
    assert [i["service_request_id"] for i in page1 + page2] == [r.code for r in reports]


def test_the_list_costs_the_same_queries_for_any_page(client, world, django_assert_max_num_queries):
    for day in range(6):
        report = filed(world, days_ago=day + 1, description=f"Ổ gà {day}")
        ReportPhoto.objects.create(
            report=report, original_name="a.jpg", sha256="0" * 64, width=1, height=1, size=1,
            uploaded_at=timezone.now(),
        )  # fmt: skip
    with django_assert_max_num_queries(3):
        items = get(client, "requests.json", extensions="true").json()
    assert len(items) == 6 and all(i["media_url"] for i in items)


def test_extensions_add_fms_status_duplicate_and_answer(client, world):
    original = published(world, filed(world, days_ago=2))
    duplicate = filed(world, point=NEAR_POINT, description="Ổ gà gần đó")
    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=original)
    items = {i["service_request_id"]: i for i in get(client, "requests.json", extensions="true").json()}
    assert items[duplicate.code]["extended_attributes"] == {
        "fms_status": "DUPLICATE",
        "duplicate_of": original.code,
        "answer": None,
    }
    assert items[original.code]["extended_attributes"]["fms_status"] == "FIXED"
    assert items[original.code]["extended_attributes"]["answer"] == "Đã vá ổ gà. Cần gì gọi ***."
    assert "extended_attributes" not in get(client, "requests.json").json()[0]


def test_one_request_as_array_and_as_swagger_object(client, world):
    report = filed(world)
    [item] = get(client, f"requests/{report.code}.json").json()
    assert item["service_request_id"] == report.code
    single = get(client, f"request/{report.code}.json").json()
    assert single == item
    assert (
        xml(get(client, f"requests/{report.code}.xml")).findtext("request/service_request_id") == report.code
    )
    assert xml(get(client, f"request/{report.code}.xml")).findtext("service_request_id") == report.code


def test_unknown_or_private_request_is_404(client, world):
    private = filed(world, category=world.private)
    for code in ("PA2222222222", private.code):
        response = get(client, f"requests/{code}.json")
        assert response.status_code == 404 and response.json()[0]["error_code"] == "request_not_found"
    assert xml(get(client, "request/PA2222222222.xml")).findtext("error/code") == "404"


def test_tokens_resolve_to_the_request_id(client, world):
    report = filed(world)
    assert get(client, f"tokens/{report.code}.json").json() == [
        {"service_request_id": report.code, "token": report.code}
    ]
    assert xml(get(client, f"tokens/{report.code}.xml")).findtext("request/token") == report.code
    assert get(client, "tokens/khong-co.json").status_code == 404


# --- servicerequestupdates (FixMyStreet) --------------------------------------------------------


def test_service_request_updates_are_public_steps_of_public_reports(client, world):
    report = filed(world, days_ago=0)
    report_act(report=report, action="comment", actor=world.handler_a, note="Nội bộ: gọi 0912345678")
    report = published(world, report)
    filed(world, category=world.private, days_ago=0)

    response = get(client, "servicerequestupdates.json")
    assert response.status_code == 200
    updates = response.json()
    assert [u["status"] for u in updates] == ["INVESTIGATING", "IN_PROGRESS", "FIXED", "FIXED"]
    assert {u["service_request_id"] for u in updates} == {report.code}
    assert updates[2]["description"] == ""  # the answer before its publication
    assert updates[3]["description"] == "Đã vá ổ gà. Cần gì gọi ***."
    assert all(u["update_id"].isdigit() and u["updated_datetime"].endswith("+07:00") for u in updates)
    assert "Nội bộ" not in response.content.decode()

    root = xml(get(client, "servicerequestupdates.xml"))
    assert root.tag == "service_request_updates" and len(root.findall("request_update")) == 4
    too_long = get(client, "servicerequestupdates.json", start_date="2026-01-01", end_date="2026-12-01")
    assert too_long.status_code == 400


# --- routing, methods, CORS -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["services.html", "services", "requests.csv", "khong-co.json", "requests/PA2222222222.txt"]
)
def test_a_wrong_suffix_or_path_is_404_in_the_error_format(client, path):
    response = client.get(BASE + path)
    assert response.status_code == 404
    assert response.json()[0]["error_code"] == "not_found"
    assert xml(client.get(BASE + "khong-co.xml")).findtext("error/code") == "404"


def test_a_wrong_method_is_405_with_the_error_array(client, world, key):
    for method, path in (
        ("post", "services.json"),
        ("put", "requests.json"),
        ("delete", "requests/PA2.json"),
    ):
        response = getattr(client, method)(BASE + path)
        assert response.status_code == 405
        assert response.json()[0]["code"] == 405 and "GET" in response["Allow"]
    assert not Report.objects.exists()


def test_cors_preflight(client):
    response = client.options(BASE + "requests.json")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
