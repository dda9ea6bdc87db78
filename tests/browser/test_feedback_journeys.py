"""Citizen feedback (issue 7) in a real browser: a citizen reports a pothole with a photo on the
map, a second citizen reports the same pothole and is shown the first, the commune's handler links
the second as a duplicate and answers the first, the leader publishes the answer with personal
data masked, and the citizen sees it on the public map and rates it. And the form without
JavaScript; and what a visitor of the public map may (not) see."""

# ruff: noqa: F811  (the tests' parameters are the fixtures imported from feedback_fixtures)

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.feedback_fixtures import feedback_world, person, pothole_photo  # noqa: F401

pytestmark = pytest.mark.browser

POTHOLE = "Ổ gà, hư hỏng mặt đường"
TEMPLATE = "Đã sửa"
TEMPLATE_BODY = "Đơn vị đã khắc phục xong. Cảm ơn ông/bà."
# A phone number in the reporter's description and in the official's answer: staff read it,
# the public side shows "***" in its place.
PHONE = "0987 654 321"
PHONE_DIGITS = re.compile(r"0987\s?654\s?321")
CODE = re.compile(r"^PA[2-9A-HJ-NP-Z]{10}$")


def assert_clean(*pages) -> None:
    """No page any of these people opened logged an error or broke the Content-Security-Policy."""
    for page in pages:
        assert page.console_log.csp_violations == [], page.console_log.messages
        assert page.console_log.errors == [], page.console_log.messages


def expect_message(page, text: str) -> None:
    expect(page.locator("#messages")).to_contain_text(text)


def pin(page) -> tuple[float, float]:
    """The hidden latitude and longitude the map filled in."""
    lat, lon = page.locator("#id_lat"), page.locator("#id_lon")
    expect(lat).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(lon).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    return float(lat.input_value()), float(lon.input_value())


def tap_map(page, *, dx: float = 0, dy: float = 0) -> None:
    """Tap the pick map ``dx``, ``dy`` pixels from its centre."""
    picker = page.locator("#feedback-pick")
    expect(picker).to_be_visible()
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy})


def choose_pothole(page, size: str) -> None:
    """Choose the pothole category and answer its required question (loaded by htmx)."""
    page.select_option("#id_category", label=POTHOLE)
    questions = page.locator("#feedback-attribute-fields")
    expect(questions).to_contain_text("Kích thước ổ gà")
    questions.get_by_label(size).check()


def report_code(page) -> str:
    page.wait_for_url(re.compile(r"/phan-anh/da-gui/PA\w+/$"))
    code = page.locator("#feedback-code").inner_text().strip()
    assert CODE.match(code), code
    return code


def act(page, action: str) -> None:
    """Press the button of the action form ``#action-<action>``."""
    page.locator(f"#action-{action} button[data-action={action}]").click()
    page.wait_for_load_state()


def test_a_pothole_is_reported_routed_answered_published_rated_and_its_duplicate_linked(
    site, feedback_world, person, log_in, pothole_photo
):
    """Issue 7, item 8. The issue says "routed to the right district": since 1/7/2025 districts are
    abolished (two-level local government), so today's routing sends the report to the commune
    (Phường Vĩnh Phúc) by the routing rule of its area."""
    from cqs.core.models import OutboxMessage
    from cqs.feedback import geo
    from cqs.feedback.models import Report, ReportEvent
    from cqs.feedback.tests.world import NEAR_POINT, POINT

    world = feedback_world
    province = geo.province_box()

    # given: a citizen on the street, on a phone whose location service says where they stand
    citizen = person(phone=True, at=POINT)
    citizen.goto(f"{site}/phan-anh/")
    citizen.locator("#feedback-new").click()
    expect(citizen.locator("#feedback-report-form")).to_be_visible()

    # when: they choose the pothole category and answer its required question
    choose_pothole(citizen, "Lớn (từ 30 cm)")
    citizen.get_by_label("Số ổ gà").fill("2")

    # and: put the pin at their position, then tap the map where the pothole is, a few metres away
    expect(citizen.locator("#feedback-pin-status")).to_have_text("Chưa chọn vị trí trên bản đồ.")
    citizen.locator("#feedback-locate").click()
    assert pin(citizen) == (round(POINT[0], 6), round(POINT[1], 6))
    tap_map(citizen, dx=16, dy=6)  # street level (zoom 17): about 18 m east, 7 m south
    lat, lon = pin(citizen)
    assert province.contains(lat, lon), (lat, lon)
    assert 5 < geo.distance_m(lat, lon, *POINT) < 40, (lat, lon)
    expect(citizen.locator("#feedback-pin-status")).to_have_text(f"Đã chọn vị trí: {lat:.6f}, {lon:.6f}")
    expect(citizen.locator("#feedback-nearby")).to_be_empty()  # nothing reported here yet

    # and: name the commune, describe it, attach a photo and leave an e-mail (no account)
    citizen.select_option("#id_area", label=world.commune_a.name)
    citizen.fill("#id_address", "Trước số 12 đường Nguyễn Tất Thành")
    citizen.fill("#id_title", "Ổ gà lớn giữa đường Nguyễn Tất Thành")
    citizen.fill(
        "#id_description",
        f"Hai ổ gà sâu giữa làn xe máy, tối qua có người ngã. Cần liên hệ xin gọi số {PHONE}.",
    )
    citizen.set_input_files("#id_photos", pothole_photo)
    citizen.fill("#id_contact_email", "nguoidan.vinhphuc@example.vn")
    citizen.locator("#feedback-submit").click()

    # then: the confirmation shows the tracking code and the private link
    code = report_code(citizen)
    first = Report.objects.get(code=code)
    private_link = f"{site}/phan-anh/{code}/?t={first.access_token}"
    expect(citizen.locator("#feedback-private-link")).to_have_attribute("href", private_link)
    expect(citizen.locator("#feedback-due")).not_to_be_empty()

    # and: the report is routed to the commune by its area, with the photo shrunk to 1600 px
    assert (first.area, first.unit) == (world.commune_a, world.commune_a)
    assert first.routing_rule is not None and first.routing_rule.area == world.commune_a
    assert first.status == "received" and first.reporter is None and not first.anonymous
    assert first.contact_email == "nguoidan.vinhphuc@example.vn"
    assert first.attributes["kich-thuoc"] == "lon"
    assert (first.lat, first.lon) == (lat, lon)
    photos = list(first.photos.all())
    assert len(photos) == 1 and (photos[0].width, photos[0].height) == (1600, 1200)

    # when: a second citizen, signed in, reports the same pothole from about 20 m away
    neighbour = person(phone=True, at=NEAR_POINT)
    log_in(neighbour, world.citizen.username)
    assert "/accounts/login/" not in neighbour.url
    neighbour.goto(f"{site}/phan-anh/gui/")
    expect(neighbour.locator("#id_contact_email")).to_have_value(world.citizen.email)
    choose_pothole(neighbour, "Lớn (từ 30 cm)")
    neighbour.locator("#feedback-locate").click()
    assert pin(neighbour) == (round(NEAR_POINT[0], 6), round(NEAR_POINT[1], 6))

    # then: while reporting, they are shown the first report nearby
    suggestion = neighbour.locator("#feedback-nearby")
    expect(suggestion).to_contain_text("Có phải ông/bà muốn phản ánh về")
    link = suggestion.locator(f"a[href='/phan-anh/{code}/']")
    expect(link).to_have_text(first.title)
    expect(suggestion.locator("li")).to_contain_text(re.compile(r"Đã tiếp nhận, ~\d+ m"))

    # when: they send theirs anyway
    neighbour.select_option("#id_area", label=world.commune_a.name)
    neighbour.fill("#id_description", "Ổ gà to trước cổng trường tiểu học, học sinh đi qua rất nguy hiểm.")
    neighbour.locator("#feedback-submit").click()
    second_code = report_code(neighbour)
    second = Report.objects.get(code=second_code)
    assert second.unit == world.commune_a and second.reporter == world.citizen
    assert geo.distance_m(second.lat, second.lon, first.lat, first.lon) <= world.pothole.duplicate_radius_m

    # and: the commune's handler opens the second report and links it to the first from "nearby"
    handler = person()
    log_in(handler, world.handler_a.username)
    handler.goto(f"{site}/phan-anh/xu-ly/")
    for filed in (code, second_code):
        row = handler.locator(f"#inbox-table tr[data-code='{filed}']")
        expect(row).to_have_attribute("data-status", "received")
        expect(row).to_contain_text(world.commune_a.name)
    handler.locator(f"#inbox-table tr[data-code='{second_code}'] a").click()
    expect(handler.locator("#report-code")).to_have_text(second_code)
    nearby = handler.locator(f"#report-nearby li[data-nearby='{code}']")
    expect(nearby).to_contain_text(re.compile(r"cách \d+ m"))
    nearby.locator(f"#nearby-duplicate-{code}").click()
    handler.wait_for_load_state()

    # then: the second report is closed and linked to the first
    expect_message(handler, "Đã thực hiện: Đánh dấu trùng.")
    expect(handler.locator("#report-status")).to_have_attribute("data-status", "closed")
    expect(handler.locator("#link-duplicate-of")).to_contain_text(code)
    second.refresh_from_db()
    assert (second.status, second.duplicate_of) == ("closed", first)

    # when: they open the first report (from the link), accept it, start and answer it with the
    # template, adding a sentence that quotes the reporter's phone
    handler.locator("#link-duplicate-of a").click()
    expect(handler.locator("#report-code")).to_have_text(code)
    expect(handler.locator(f"#report-links li[data-duplicate='{second_code}']")).to_be_visible()
    expect(handler.locator("#report-unit")).to_have_text(world.commune_a.name)
    expect(handler.locator("#report-photos img")).to_have_count(1)
    act(handler, "accept")
    expect(handler.locator("#report-status")).to_have_attribute("data-status", "accepted")
    act(handler, "start")
    expect(handler.locator("#report-status")).to_have_attribute("data-status", "in_progress")
    handler.select_option("#answer-template", label=TEMPLATE)
    answer = handler.locator("#id_answer-answer")
    expect(answer).to_have_value(TEMPLATE_BODY)
    answer_text = f"{TEMPLATE_BODY}\nPhường đã gọi lại ông/bà theo số {PHONE} để báo kết quả."
    answer.fill(answer_text)
    act(handler, "answer")

    # then: the first is answered, and the duplicate's reporter is told too
    expect_message(handler, "Đã thực hiện: Trả lời phản ánh.")
    expect(handler.locator("#report-status")).to_have_attribute("data-status", "answered")
    first.refresh_from_db()
    # (a textarea sends its lines with CRLF, which the form keeps)
    assert first.status == "answered" and first.answer.replace("\r\n", "\n") == answer_text
    answered = ReportEvent.objects.get(report=first, action="answer")
    told = OutboxMessage.objects.filter(topic="feedback.notify.email", payload__event_id=answered.pk)
    assert {message.payload["report_id"] for message in told} == {first.pk, second.pk}

    # when: the commune's leader finds it among the answered reports and reviews the public text
    leader = person()
    log_in(leader, world.leader_a.username)
    leader.goto(f"{site}/phan-anh/xu-ly/")
    leader.select_option("#id_status", "answered")
    leader.locator("#inbox-filter-submit").click()
    leader.locator(f"#inbox-table tr[data-code='{code}'] a").click()
    public_text = leader.locator("#id_publish-answer_public")
    expect(public_text).to_have_value(re.compile(r"Phường đã gọi lại ông/bà theo số \*\*\* để báo kết quả"))
    assert not PHONE_DIGITS.search(public_text.input_value())
    act(leader, "publish")

    # then: the answer is published, masked
    expect_message(leader, "Đã thực hiện: Công khai trả lời.")
    expect(leader.locator("#report-status")).to_have_attribute("data-status", "published")
    expect(leader.locator("#report-answer-public")).to_contain_text("theo số ***")
    first.refresh_from_db()
    assert first.status == "published" and first.is_public and not PHONE_DIGITS.search(first.answer_public)

    # when: days later the citizen, on another phone (no session), opens the public map
    later = person(phone=True)
    later.goto(f"{site}/phan-anh/")
    expect(later.locator(f"#feedback-list a[href='/phan-anh/{code}/']")).to_have_text(first.title)
    markers = later.locator("#feedback-map path.leaflet-interactive")
    expect(markers).to_have_count(2)  # the report and its duplicate, at the same place
    markers.last.click()  # the older report is drawn last, on top
    # On a phone the popup pans the map to fit, which reloads the markers: it must stay open.
    later.wait_for_timeout(1000)
    popup = later.locator("#feedback-map .leaflet-popup-content")
    expect(popup, "the marker's popup closed when the map reloaded its markers").to_contain_text(code)
    expect(popup).to_contain_text("Đã công khai trả lời")
    popup.get_by_role("link", name="Xem chi tiết").click()

    # then: the status page shows the published answer and the photo, without personal data
    later.wait_for_url(f"{site}/phan-anh/{code}/")
    expect(later.locator("#feedback-status")).to_have_text("Đã công khai trả lời")
    expect(later.locator("#feedback-answer")).to_contain_text(TEMPLATE_BODY)
    expect(later.locator("#feedback-answer")).to_contain_text("theo số ***")
    expect(later.locator("#feedback-description")).to_contain_text("xin gọi số ***")
    expect(later.locator("#feedback-photos img")).to_have_count(1)
    assert later.locator("#feedback-photos img").evaluate("img => img.complete && img.naturalWidth") == 1600
    assert not PHONE_DIGITS.search(later.content())
    expect(later.locator("#feedback-survey")).to_have_count(0)  # not known as the reporter yet

    # when: they follow their private link and rate the answer 5 stars
    later.goto(private_link)
    later.wait_for_url(f"{site}/phan-anh/{code}/")  # the secret leaves the address bar
    expect(later.locator("#feedback-own")).to_be_visible()
    survey = later.locator("#feedback-survey")
    survey.locator("input[name=rating][value='5']").check()
    survey.locator("textarea[name=comment]").fill("Phường sửa rất nhanh, cảm ơn.")
    later.locator("#feedback-survey-submit").click()

    # then: they are thanked, the rating is stored, the answer stays published
    expect_message(later, "Cảm ơn ông/bà đã đánh giá câu trả lời.")
    expect(later.locator("#feedback-rated")).to_be_visible()
    expect(later.locator("#feedback-survey")).to_have_count(0)
    rating = first.surveys.get()
    assert (rating.rating, rating.reopen_requested) == (5, False)
    first.refresh_from_db()
    assert first.status == "published"

    # and: the second citizen's report page says it is a duplicate of the first
    neighbour.goto(f"{site}/phan-anh/{second_code}/")
    expect(neighbour.locator("#feedback-duplicate")).to_contain_text(code)

    assert_clean(citizen, neighbour, handler, leader, later)


def test_the_report_form_works_without_javascript(site, feedback_world, person):
    """No script (an old phone, a blocked CDN): no map, the category's questions come with a
    button, the commune replaces the pin; the report reaches Phường Phúc Yên."""
    from cqs.feedback.models import Report

    world = feedback_world
    visitor = person(phone=True, javascript=False)

    # given: the form without a map, with the button that shows the category's questions
    visitor.goto(f"{site}/phan-anh/gui/")
    expect(visitor.locator("#feedback-pick")).to_be_hidden()
    expect(visitor.locator("#feedback-attribute-fields")).to_have_count(0)

    # when: they choose the category and ask for its questions
    visitor.select_option("#id_category", label=POTHOLE)
    visitor.locator("#feedback-refresh").click()
    visitor.wait_for_load_state()

    # then: the form comes back with the questions, the category kept
    expect(visitor.locator("#id_category")).to_have_value(world.pothole.code)
    questions = visitor.locator("#feedback-attribute-fields")
    expect(questions).to_contain_text("Kích thước ổ gà")
    expect(visitor.locator("#feedback-errors")).to_have_count(0)

    # when: they answer, name the commune and the address, and send anonymously
    questions.get_by_label("Nhỏ (dưới 30 cm)").check()
    visitor.select_option("#id_area", label=world.commune_b.name)
    visitor.fill("#id_address", "Đường Hai Bà Trưng, gần chợ Phúc Yên")
    visitor.fill("#id_description", "Mặt đường bị lún, đọng nước sau mưa.")
    visitor.check("#id_anonymous")
    visitor.locator("#feedback-submit").click()

    # then: the confirmation, and the report at Phường Phúc Yên, without a point or contact
    code = report_code(visitor)
    report = Report.objects.get(code=code)
    assert (report.unit, report.area) == (world.commune_b, world.commune_b)
    assert report.lat is None and report.anonymous and report.contact_email == ""
    assert report.attributes["kich-thuoc"] == "nho"
    assert_clean(visitor)


def test_the_public_map_shows_public_reports_only_and_no_personal_data(site, feedback_world, person):
    """A visitor on a phone sees a public report (its phone number masked) on the map and in the
    list; a report in a non-public category is on neither and its page shows only its status."""
    from cqs.feedback.services import report_submit
    from cqs.feedback.tests.world import FAR_POINT, POINT

    world = feedback_world
    public, _created = report_submit(
        category=world.pothole,
        title="Ổ gà trước nhà, gọi 0912 345 678",
        description="Ổ gà trước nhà tôi, liên hệ 0912345678 hoặc nguoidan@example.vn.",
        attributes={"kich-thuoc": "nho"},
        lat=FAR_POINT[0],
        lon=FAR_POINT[1],
        area=world.commune_b,
        contact_email="nguoidan@example.vn",
    )
    private, _created = report_submit(
        category=world.private,
        title="Cán bộ một cửa hẹn lại nhiều lần",
        description="Tôi là chủ hồ sơ, CCCD 001203004567.",
        lat=POINT[0],
        lon=POINT[1],
        area=world.commune_a,
        contact_phone="0987654321",
    )

    # given: a visitor on the public map
    visitor = person(phone=True)
    visitor.goto(f"{site}/phan-anh/")

    # then: one marker and one list entry, the public report's, its title masked
    expect(visitor.locator("#feedback-map path.leaflet-interactive")).to_have_count(1)
    entries = visitor.locator("#feedback-list li")
    expect(entries).to_have_count(1)
    expect(entries.first.locator("a")).to_have_text("Ổ gà trước nhà, gọi ***")
    html = visitor.content()
    assert private.code not in html and "0912" not in html

    # when: they open the public report's page
    entries.first.locator("a").click()
    visitor.wait_for_url(f"{site}/phan-anh/{public.code}/")

    # then: its description is masked, and nothing there says who sent it
    expect(visitor.locator("#feedback-description")).to_have_text("Ổ gà trước nhà tôi, liên hệ *** hoặc ***.")
    html = visitor.content()
    assert "0912" not in html and "nguoidan@example.vn" not in html

    # when: someone who knows the other report's code opens its page
    visitor.goto(f"{site}/phan-anh/{private.code}/")

    # then: only its status and dates
    expect(visitor.locator("#feedback-status")).to_have_text("Đã tiếp nhận")
    expect(visitor.locator("#feedback-private-note")).to_be_visible()
    expect(visitor.locator("#feedback-description")).to_have_count(0)
    html = visitor.content()
    assert "001203004567" not in html and "0987654321" not in html and private.title not in html
    assert_clean(visitor)
