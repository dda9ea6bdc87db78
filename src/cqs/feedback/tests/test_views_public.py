"""The public side of citizen feedback: filing, confirmation, lookup, status page with survey and
"more information", the public map (GeoJSON), duplicate suggestions and photos."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cqs.core.models import OutboxMessage
from cqs.core.testing import sample_image
from cqs.feedback.choices import Status
from cqs.feedback.models import Report, ReportEvent, ReportPhoto, SatisfactionResponse
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.tests.world import FAR_POINT, NEAR_POINT, OUTSIDE, POINT

pytestmark = pytest.mark.django_db

PHONE = "0912 345 678"
EMAIL = "tran.b@cqs.invalid"
NAME = "Trần Thị Bích"


def form_token(client) -> str:
    html = client.get(reverse("feedback:report-new")).content.decode()
    return re.search(r'name="client_token" value="([^"]+)"', html).group(1)


def post_data(world, client, **overrides) -> dict:
    data = {
        "client_token": form_token(client),
        "category": world.pothole.code,
        "attr-kich-thuoc": "lon",
        "attr-so-luong": "2",
        "title": "Ổ gà trước cổng trường",
        "description": "Ổ gà lớn giữa đường, xe máy dễ ngã.",
        "lat": str(POINT[0]),
        "lon": str(POINT[1]),
        "address": "Số 12 Nguyễn Tất Thành",
        "area": str(world.commune_a.pk),
        "urgency": "normal",
        "contact_name": NAME,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def filed(world, *, category=None, point=POINT, **fields) -> Report:
    category = category or world.pothole
    values = {
        "category": category,
        "description": f"Ổ gà sâu, gọi {PHONE} hoặc {EMAIL} khi cần.",
        "title": "Ổ gà đường Nguyễn Tất Thành",
        "attributes": {"kich-thuoc": "lon"} if category == world.pothole else {},
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "address": "" if point else "Số 1",
        "area": world.commune_a,
        "contact_name": NAME,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    values.update(fields)
    report, _created = report_submit(**values)
    return report


def answered(world, report, *, publish=False) -> Report:
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer="Đã vá ổ gà ngày 3/3.")
    if publish:
        report_act(report=report, action="publish", actor=world.leader_a)
    report.refresh_from_db()
    return report


def status_html(client, report) -> str:
    return client.get(reverse("feedback:status", args=[report.code])).content.decode()


def reporter_client(client, report):
    response = client.get(reverse("feedback:status", args=[report.code]) + f"?t={report.access_token}")
    assert response.status_code == 302 and "?t=" not in response["Location"]
    return client


# --- filing --------------------------------------------------------------------------------------


def test_the_form_groups_leaf_categories_lists_today_communes_and_renders_questions(world, client):
    html = client.get(reverse("feedback:report-new")).content.decode()

    assert '<optgroup label="Giao thông">' in html
    assert f'value="{world.pothole.code}"' in html and f'value="{world.roads.code}"' not in html
    assert "Phường Vĩnh Phúc" in html and "Phường Phúc Yên" in html
    assert 'type="file" name="photos"' in html and "multiple" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [] and " style=" not in html
    # htmx asks for the category's extra questions
    partial = client.get(
        reverse("feedback:report-new"), {"category": world.pothole.code}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'name="attr-kich-thuoc"' in partial and 'name="attr-so-luong"' in partial


def test_a_logged_in_citizen_finds_the_contact_prefilled(world, client):
    world.citizen.first_name, world.citizen.last_name = "An", "Nguyễn"
    world.citizen.save()
    client.force_login(world.citizen)
    html = client.get(reverse("feedback:report-new")).content.decode()
    assert 'value="congdan@cqs.invalid"' in html


def test_submit_with_the_map_and_photos_files_the_report_and_shows_the_confirmation(world, client):
    data = post_data(world, client)
    data["photos"] = [
        SimpleUploadedFile("a.png", sample_image("png"), "image/png"),
        SimpleUploadedFile("b.jpg", sample_image("jpeg"), "image/jpeg"),
    ]
    response = client.post(reverse("feedback:report-new"), data)

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:submitted", args=[report.code])
    assert (report.lat, report.lon, report.area, report.unit) == (*POINT, world.commune_a, world.commune_a)
    assert report.attributes == {"kich-thuoc": "lon", "so-luong": 2}
    assert report.contact_phone == "0912345678" and report.photos.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert report.code in page and report.access_token in page


def test_submit_without_javascript_needs_only_an_address_or_a_commune(world, client):
    data = post_data(world, client, lat="", lon="", area="", address="Ngã tư Kim Ngọc")
    response = client.post(reverse("feedback:report-new"), data)
    report = Report.objects.get()
    assert response.status_code == 302 and report.lat is None and report.address == "Ngã tư Kim Ngọc"


def test_no_javascript_refresh_shows_the_questions_and_saves_nothing(world, client):
    data = post_data(world, client, **{"attr-kich-thuoc": None, "intent": "refresh"})
    response = client.post(reverse("feedback:report-new"), data)
    assert response.status_code == 200 and 'name="attr-kich-thuoc"' in response.content.decode()
    assert not Report.objects.exists()


def test_anonymous_drops_the_contact_details(world, client):
    client.force_login(world.citizen)
    response = client.post(reverse("feedback:report-new"), post_data(world, client, anonymous="on"))
    report = Report.objects.get()
    assert response.status_code == 302
    assert report.anonymous and report.reporter is None
    assert (report.contact_name, report.contact_phone, report.contact_email) == ("", "", "")


def test_a_double_submit_with_the_same_token_files_once(world, client):
    data = post_data(world, client)
    first = client.post(reverse("feedback:report-new"), data)
    second = client.post(reverse("feedback:report-new"), data)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_forged_form_token_cannot_fetch_someone_elses_report(world, client):
    report = filed(world, client_token="web-abc")
    response = client.post(reverse("feedback:report-new"), post_data(world, client, client_token="abc"))
    assert Report.objects.count() == 2
    assert report.code not in response["Location"]


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"lat": str(OUTSIDE[0]), "lon": str(OUTSIDE[1])}, "lat-errors", "nằm ngoài địa bàn tỉnh"),
        ({"lat": "", "lon": "", "area": "", "address": ""}, "lat-errors", "chọn vị trí"),
        ({"description": " "}, "description-errors", ""),
        ({"attr-kich-thuoc": "rat-lon"}, "attr-kich-thuoc-errors", ""),
        ({"attr-so-luong": "nhiều"}, "attr-so-luong-errors", "Phải là một số"),
        ({"contact_phone": "12ab"}, "contact_phone-errors", "Số điện thoại không hợp lệ"),
        ({"contact_email": "khong-phai"}, "contact_email-errors", "thư điện tử không hợp lệ"),
        ({"category": "giao-thong"}, "category-errors", ""),
    ],
)
def test_bad_input_keeps_the_form_and_saves_nothing(world, client, overrides, field_id, message):
    data = post_data(world, client, **overrides)
    response = client.post(reverse("feedback:report-new"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="{field_id}"' in html and message in html
    assert 'id="feedback-errors"' in html
    assert "Ổ gà lớn giữa đường" in html or overrides.get("description")  # the text typed is kept
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_bad_photo_refuses_the_whole_report(world, client):
    data = post_data(world, client)
    data["photos"] = [
        SimpleUploadedFile("a.png", sample_image("png"), "image/png"),
        SimpleUploadedFile("virus.jpg", b"MZ\x90\x00not an image", "image/jpeg"),
    ]
    response = client.post(reverse("feedback:report-new"), data)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="photos-errors"' in html and "chọn lại ảnh" in html
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()


def test_more_than_five_photos_are_refused(world, client):
    data = post_data(world, client)
    data["photos"] = [SimpleUploadedFile(f"{i}.png", sample_image("png"), "image/png") for i in range(6)]
    response = client.post(reverse("feedback:report-new"), data)
    assert response.status_code == 400 and not Report.objects.exists()


# --- confirmation and lookup ---------------------------------------------------------------------


def test_the_confirmation_is_only_for_the_browser_that_filed_it(world, client):
    client.post(reverse("feedback:report-new"), post_data(world, client))
    report = Report.objects.get()
    url = reverse("feedback:submitted", args=[report.code])
    assert client.get(url).status_code == 200

    stranger = Client()
    response = stranger.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:status", args=[report.code])
    # the reporter's account sees it from another browser
    own = filed(world, reporter=world.citizen)
    stranger.force_login(world.citizen)
    assert stranger.get(reverse("feedback:submitted", args=[own.code])).status_code == 200


def test_the_confirmation_shows_due_date_and_handling_message(world, client):
    world.pothole.handling_message = "Đội duy tu sẽ kiểm tra trong 24 giờ."
    world.pothole.save()
    client.post(reverse("feedback:report-new"), post_data(world, client))
    report = Report.objects.get()
    html = client.get(reverse("feedback:submitted", args=[report.code])).content.decode()
    assert "Đội duy tu sẽ kiểm tra trong 24 giờ." in html
    assert timezone.localtime(report.due_at).strftime("%d/%m/%Y") in html


def test_lookup_redirects_to_the_status_page_or_says_not_found(world, client):
    report = filed(world)
    response = client.get(reverse("feedback:lookup"), {"code": f" {report.code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:status", args=[report.code])
    missing = client.get(reverse("feedback:lookup"), {"code": "PA2222222222"})
    assert missing.status_code == 400 and "Không tìm thấy phản ánh" in missing.content.decode()


# --- duplicates while reporting ------------------------------------------------------------------


def test_nearby_suggests_open_public_reports_of_the_category_only(world, client):
    near = filed(world)
    filed(world, point=FAR_POINT)
    filed(world, category=world.private, description="Cán bộ thiếu tôn trọng")
    url = reverse("feedback:nearby")

    near_pin = {"category": world.pothole.code, "lat": NEAR_POINT[0], "lon": NEAR_POINT[1]}
    data = client.get(url, near_pin).json()
    assert [r["code"] for r in data["results"]] == [near.code]
    result = data["results"][0]
    assert result["distance_m"] < 50 and result["url"] == reverse("feedback:status", args=[near.code])
    assert PHONE not in str(data) and EMAIL not in str(data)

    private = client.get(url, {"category": world.private.code, "lat": POINT[0], "lon": POINT[1]}).json()
    assert private == {"results": []}
    bad = client.get(url, {"category": world.pothole.code, "lat": "abc", "lon": "1"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_location"
    assert client.get(url, {"category": "khong-co", "lat": 1, "lon": 1}).status_code == 400


# --- the status page -----------------------------------------------------------------------------


def test_the_status_page_hides_personal_data(world, client):
    report = answered(world, filed(world), publish=True)
    html = status_html(client, report)

    assert report.code in html and "Ổ gà sâu" in html and "Đã vá ổ gà" in html
    for secret in ("0912345678", "0912 345 678", EMAIL, NAME, report.access_token, "xuly.a"):
        assert secret not in html
    assert "***" in html
    assert 'id="feedback-survey"' not in html and 'id="feedback-provide-info"' not in html


def test_a_private_category_shows_only_status_and_dates(world, client):
    report = filed(world, category=world.private, description="Cán bộ A hách dịch", point=None)
    html = status_html(client, report)
    assert "Đã tiếp nhận" in html and 'id="feedback-private-note"' in html
    assert "hách dịch" not in html and 'id="feedback-description"' not in html
    # its reporter and the unit's staff see the content
    reporter_client(client, report)
    assert "hách dịch" in status_html(client, report)
    staff = Client()
    staff.force_login(world.handler_a)
    assert "hách dịch" in status_html(staff, report)
    other = Client()
    other.force_login(world.handler_b)
    assert "hách dịch" not in status_html(other, report)


def test_the_reporter_link_shows_the_own_report_and_a_wrong_one_does_not(world, client):
    report = filed(world)
    wrong = client.get(reverse("feedback:status", args=[report.code]) + "?t=nope")
    assert wrong.status_code == 200 and "Đường dẫn riêng không đúng" in wrong.content.decode()
    reporter_client(client, report)
    html = status_html(client, report)
    assert 'id="feedback-own"' in html and PHONE in html  # the reporter's own text, unmasked
    assert "Kích thước ổ gà" in html


def test_the_reporter_provides_information_with_a_photo(world, client):
    report = filed(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="request_info", actor=world.handler_a, note="Gửi thêm ảnh ổ gà.")
    reporter_client(client, report)
    html = status_html(client, report)
    assert 'id="feedback-provide-info"' in html and "Gửi thêm ảnh ổ gà." in html

    response = client.post(
        reverse("feedback:provide-info", args=[report.code]),
        {"note": "Ổ gà rộng khoảng 50 cm.", "photos": [SimpleUploadedFile("o.png", sample_image("png"))]},
    )
    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == Status.IN_PROGRESS and report.photos.count() == 1
    assert report.events.filter(action="provide_info", note="Ổ gà rộng khoảng 50 cm.").exists()


def test_provide_information_with_a_bad_photo_changes_nothing(world, client):
    report = filed(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="request_info", actor=world.handler_a, note="Gửi thêm ảnh.")
    reporter_client(client, report)
    response = client.post(
        reverse("feedback:provide-info", args=[report.code]),
        {"note": "Đây", "photos": [SimpleUploadedFile("x.jpg", b"not an image")]},
    )
    report.refresh_from_db()
    assert response.status_code == 400 and 'id="photos-errors"' in response.content.decode()
    assert report.status == Status.INFO_REQUESTED and not report.photos.exists()


def test_a_stranger_cannot_provide_information(world, client):
    report = filed(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="request_info", actor=world.handler_a, note="Gửi thêm ảnh.")
    response = client.post(reverse("feedback:provide-info", args=[report.code]), {"note": "Giả mạo"})
    report.refresh_from_db()
    assert response.status_code == 302 and report.status == Status.INFO_REQUESTED


def test_the_reporter_rates_the_answer_once(world, client):
    report = answered(world, filed(world), publish=True)
    reporter_client(client, report)
    assert 'id="feedback-survey"' in status_html(client, report)

    response = client.post(reverse("feedback:survey", args=[report.code]), {"rating": "5", "comment": "Tốt"})
    assert response.status_code == 302
    assert SatisfactionResponse.objects.get().rating == 5
    html = status_html(client, report)
    assert 'id="feedback-survey"' not in html and 'id="feedback-rated"' in html
    again = client.post(reverse("feedback:survey", args=[report.code]), {"rating": "4"}, follow=True)
    assert "đã đánh giá" in again.content.decode() and SatisfactionResponse.objects.count() == 1


def test_an_unhappy_reporter_reopens_the_report(world, client):
    report = answered(world, filed(world, reporter=world.citizen))
    client.force_login(world.citizen)
    response = client.post(
        reverse("feedback:survey", args=[report.code]), {"rating": "2", "comment": "Vẫn còn", "reopen": "on"}
    )
    report.refresh_from_db()
    assert response.status_code == 302 and report.status == Status.REOPENED and report.reopen_count == 1


def test_reopen_with_a_high_rating_is_refused_on_its_field(world, client):
    report = answered(world, filed(world))
    reporter_client(client, report)
    response = client.post(reverse("feedback:survey", args=[report.code]), {"rating": "5", "reopen": "on"})
    assert response.status_code == 400 and 'id="reopen-errors"' in response.content.decode()
    assert not SatisfactionResponse.objects.exists()


def test_a_stranger_cannot_rate(world, client):
    report = answered(world, filed(world))
    response = client.post(reverse("feedback:survey", args=[report.code]), {"rating": "1"})
    assert response.status_code == 302 and not SatisfactionResponse.objects.exists()


def test_the_public_history_shows_steps_without_actors_and_links_the_original(world, client):
    original = filed(world)
    duplicate = filed(world, point=NEAR_POINT)
    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=original)
    report_act(report=original, action="comment", actor=world.handler_a, note="Ghi chú nội bộ bí mật")
    html = client.get(reverse("feedback:status", args=[duplicate.code])).content.decode()
    assert 'id="feedback-duplicate"' in html and reverse("feedback:status", args=[original.code]) in html
    assert "Đánh dấu trùng" in html and "xuly.a" not in html
    assert "bí mật" not in client.get(reverse("feedback:status", args=[original.code])).content.decode()


def test_unknown_code_is_404(world, client):
    assert client.get(reverse("feedback:status", args=["PA2222222222"])).status_code == 404


# --- the public map and list ---------------------------------------------------------------------


def test_geojson_returns_public_reports_in_the_box(world, client):
    inside = filed(world)
    far = filed(world, point=FAR_POINT)
    filed(world, category=world.private, description="Riêng tư")
    box = f"{POINT[1] - 0.01},{POINT[0] - 0.01},{POINT[1] + 0.01},{POINT[0] + 0.01}"

    data = client.get(reverse("feedback:geojson"), {"bbox": box}).json()
    assert data["type"] == "FeatureCollection" and data["truncated"] is False
    assert [f["id"] for f in data["features"]] == [inside.code]
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [POINT[1], POINT[0]]
    assert feature["properties"]["url"] == reverse("feedback:status", args=[inside.code])
    wide = client.get(reverse("feedback:geojson"), {"bbox": "104.8,20.3,105.9,21.75"}).json()
    assert {f["id"] for f in wide["features"]} == {inside.code, far.code}
    for field in ("contact", "description", "0912"):
        assert field not in str(wide)


def test_geojson_filters_by_category_and_status(world, client):
    open_one = filed(world)
    done = answered(world, filed(world, point=NEAR_POINT), publish=True)
    box = "104.8,20.3,105.9,21.75"
    url = reverse("feedback:geojson")
    ids = lambda **q: [f["id"] for f in client.get(url, {"bbox": box, **q}).json()["features"]]  # noqa: E731
    assert ids(status="open") == [open_one.code]
    assert ids(status="closed") == [done.code]
    assert set(ids(category="giao-thong")) == {open_one.code, done.code}
    assert ids(category=world.lights.code) == []


def test_geojson_is_cut_at_the_limit_and_says_so(world, client, monkeypatch):
    from cqs.feedback import views_public

    monkeypatch.setattr(views_public, "GEOJSON_MAX", 2)
    newest = [filed(world, now=timezone.now() + timedelta(minutes=i)).code for i in range(3)][::-1]
    data = client.get(reverse("feedback:geojson"), {"bbox": "104.8,20.3,105.9,21.75"}).json()
    assert data["truncated"] is True and [f["id"] for f in data["features"]] == newest[:2]


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "106,21,105,22", "0,0,0,100", "nan,1,2,3"])
def test_geojson_refuses_a_bad_bbox_with_400(world, client, bbox):
    response = client.get(reverse("feedback:geojson"), {"bbox": bbox})
    assert response.status_code == 400 and response.json()["code"] == "invalid_bbox"
    assert response.json()["message"]


def test_geojson_runs_one_query(world, client, django_assert_max_num_queries):
    for point in (POINT, NEAR_POINT, FAR_POINT):
        filed(world, point=point)
    with django_assert_max_num_queries(2):  # the session is not touched: the rows and nothing else
        data = client.get(reverse("feedback:geojson"), {"bbox": "104.8,20.3,105.9,21.75"}).json()
    assert len(data["features"]) == 3


def test_home_lists_public_reports_with_filters_and_masked_titles(world, client):
    first = filed(world, title=f"Ổ gà, gọi {PHONE}")
    lights = filed(world, category=world.lights, title="Đèn hỏng cả dãy", attributes={})
    private = filed(world, category=world.private, title="Cán bộ hách dịch", attributes={})
    html = client.get(reverse("feedback:home")).content.decode()
    assert first.code in html and lights.code in html and private.code not in html
    assert "0912" not in html and "Gửi phản ánh" in html and 'id="feedback-map"' in html

    only_lights = client.get(reverse("feedback:home"), {"category": world.lights.code}).content.decode()
    assert lights.code in only_lights and first.code not in only_lights
    by_title = client.get(reverse("feedback:home"), {"q": "hỏng cả"}).content.decode()
    assert lights.code in by_title and first.code not in by_title
    by_phone = client.get(reverse("feedback:home"), {"q": "0912345678"}).content.decode()
    assert first.code not in by_phone and "Không tìm theo số điện thoại" in by_phone


def test_home_paginates_by_twenty(world, client):
    for _i in range(21):
        filed(world)
    page1 = client.get(reverse("feedback:home")).content.decode()
    page2 = client.get(reverse("feedback:home"), {"page": 2}).content.decode()
    assert page1.count('class="list-group-item"') == 20 and page2.count('class="list-group-item"') == 1


# --- photos --------------------------------------------------------------------------------------


def test_photos_of_public_reports_are_served_to_anyone(world, client):
    report = filed(world, photos=[("a.png", sample_image("png"))])
    photo = report.photos.get()
    response = client.get(reverse("feedback:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    html = status_html(client, report)
    assert reverse("feedback:photo", args=[photo.pk]) in html


def test_photos_of_private_reports_only_for_the_reporter_and_staff(world, client):
    report = filed(world, category=world.private, photos=[("a.png", sample_image("png"))])
    url = reverse("feedback:photo", args=[report.photos.get().pk])
    assert client.get(url).status_code == 404
    other = Client()
    other.force_login(world.handler_b)
    assert other.get(url).status_code == 404
    staff = Client()
    staff.force_login(world.handler_a)
    assert staff.get(url).status_code == 200
    reporter_client(client, report)
    assert client.get(url).status_code == 200
    assert Client().get(reverse("feedback:photo", args=[999999])).status_code == 404


def test_the_filing_browser_sees_its_private_report(world, client):
    data = post_data(world, client, category=world.private.code, **{"attr-kich-thuoc": None})
    client.post(reverse("feedback:report-new"), data)
    report = Report.objects.get()
    html = status_html(client, report)
    assert "Ổ gà lớn giữa đường" in html
    assert ReportEvent.objects.filter(report=report, action="submit").exists()
