"""The staff pages: the inbox (scope, filters, counters), one report, every action through ``act``,
refusals that change nothing, and photos added by staff."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cqs.core.testing import sample_image
from cqs.feedback.choices import Resolution, Status, Urgency
from cqs.feedback.models import AnswerTemplate, Report, ReportEvent, ReportPhoto
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.tests.world import FAR_POINT, NEAR_POINT, POINT

pytestmark = pytest.mark.django_db
INBOX = reverse("feedback:inbox")


def submit(world, **overrides):
    fields = {
        "category": world.pothole,
        "description": "Ổ gà lớn giữa đường Nguyễn Tất Thành, gọi 0912 345 678 nếu cần.",
        "attributes": {"kich-thuoc": "lon"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": world.commune_a,
        "contact_name": "Trần Thị B",
        "contact_phone": "0912 345 678",
        "contact_email": "b@cqs.invalid",
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


def in_b(world, **overrides):
    return submit(world, area=world.commune_b, lat=FAR_POINT[0], lon=FAR_POINT[1], **overrides)


def codes(response) -> set[str]:
    return {r.code for r in response.context["page"]}


def act(client, report, action, **data):
    return client.post(reverse("feedback:staff-act", args=[report.code]), {"action": action, **data})


def detail_url(report) -> str:
    return reverse("feedback:staff-detail", args=[report.code])


def snapshot(report) -> tuple:
    report.refresh_from_db()
    return (report.status, report.unit_id, report.answer, report.answer_public, report.events.count())


# --- the inbox ---------------------------------------------------------------------------------


def test_the_inbox_shows_only_the_reports_of_the_users_units(client, world):
    mine, theirs = submit(world), in_b(world)

    client.force_login(world.handler_a)
    response = client.get(INBOX)

    assert response.status_code == 200
    assert codes(response) == {mine.code}
    assert theirs.code not in response.content.decode()


def test_a_province_handler_sees_the_reports_of_every_commune(client, world):
    mine, theirs = submit(world), in_b(world)

    client.force_login(world.province_handler)

    assert codes(client.get(INBOX)) == {mine.code, theirs.code}


def test_a_citizen_gets_403_and_a_visitor_is_sent_to_sign_in(client, world):
    assert client.get(INBOX).status_code == 302

    client.force_login(world.citizen)

    assert client.get(INBOX).status_code == 403


def test_the_inbox_filters(client, world):
    pothole = submit(world, title="Ổ gà đường Lam Sơn")
    lights = submit(world, category=world.lights, attributes={}, title="Đèn hỏng ngõ 5")
    urgent = submit(world, urgency=Urgency.URGENT, title="Hố sâu sau mưa")
    old = submit(world, title="Ổ gà cũ", now=timezone.now() - timedelta(days=40))
    answered = submit(world, title="Đã xong")
    report_act(report=answered, action="accept", actor=world.handler_a)
    report_act(report=answered, action="answer", actor=world.handler_a, answer="Đã vá xong ổ gà.")
    report_act(report=pothole, action="accept", actor=world.handler_a)
    client.force_login(world.province_handler)

    def found(**params):
        response = client.get(INBOX, params)
        assert response.status_code == 200
        return codes(response)

    # Default: every open report, due soonest first.
    assert found() == {pothole.code, lights.code, urgent.code, old.code}
    assert found(status="all") == {pothole.code, lights.code, urgent.code, old.code, answered.code}
    assert found(status=Status.ANSWERED) == {answered.code}
    assert found(category=world.lights.pk) == {lights.code}
    assert found(category=world.roads.pk) == {pothole.code, lights.code, urgent.code, old.code}
    assert found(urgency=Urgency.URGENT) == {urgent.code}
    assert found(overdue="on") == {old.code}
    assert found(waiting="on") == {lights.code, urgent.code, old.code}
    assert found(q=lights.code.lower()) == {lights.code}
    assert found(q="lam sơn") == {pothole.code}
    today = timezone.localdate()
    assert found(date_to=(today - timedelta(days=30)).isoformat()) == {old.code}
    assert found(date_from=today.isoformat(), q="cũ") == set()
    assert found(unit=world.commune_b.pk) == set()
    first = client.get(INBOX).context["page"][0]
    assert first.code == old.code  # the overdue one comes first
    assert client.get(INBOX, {"sort": "-submitted"}).context["page"][-1].code == old.code


def test_a_bad_filter_is_ignored_and_shown(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = client.get(INBOX, {"status": "nonsense", "date_from": "hôm qua", "unit": world.commune_b.pk})

    assert response.status_code == 200
    assert codes(response) == {report.code}
    assert 'id="inbox-filter-errors"' in response.content.decode()


def test_the_counters_and_the_due_column(client, world):
    long_ago = timezone.now() - timedelta(days=40)
    late = submit(world, now=long_ago)
    submit(world, now=long_ago)
    accepted_late = submit(world, now=long_ago)
    report_act(report=accepted_late, action="accept", actor=world.handler_a)
    submit(world)
    client.force_login(world.handler_a)

    response = client.get(INBOX)

    # All four are open; three are past their answer deadline; two were never acknowledged
    # (Law 42: 10 working days) nor taken (Decree 20: 5 working days).
    assert response.context["counters"] == {"open": 4, "overdue": 3, "late_ack": 2, "late_forward": 2}
    html = response.content.decode()
    assert html.count('data-due="overdue"') == 3
    assert codes(client.get(INBOX, {"late": "ack"})) == {
        late.code,
        *codes(client.get(INBOX, {"late": "forward"})),
    }
    assert accepted_late.code not in codes(client.get(INBOX, {"late": "ack"}))


def test_the_inbox_query_count_does_not_grow_with_the_rows(client, world, django_assert_num_queries):
    for _ in range(3):
        submit(world)
    client.force_login(world.handler_a)
    client.get(INBOX)  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(INBOX)
    for _ in range(12):
        in_b(world)
        submit(world, category=world.lights, attributes={})
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(INBOX)
    assert len(response.context["page"]) == 15


# --- one report --------------------------------------------------------------------------------


def test_the_report_page_shows_staff_everything(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = client.get(detail_url(report))

    html = response.content.decode()
    assert response.status_code == 200
    assert "gọi 0912 345 678" in html  # not masked for staff
    assert "Trần Thị B" in html and "b@cqs.invalid" in html
    assert "Kích thước ổ gà" in html and "Lớn (từ 30 cm)" in html
    assert 'id="deadline-answer"' in html
    assert {row[0].action for row in response.context["forms"]} >= {"accept", "forward", "reclassify"}
    assert 'data-action="submit"' in html


def test_an_anonymous_report_shows_no_contact(client, world):
    report = submit(world, anonymous=True)
    client.force_login(world.handler_a)

    html = client.get(detail_url(report)).content.decode()

    assert 'id="contact-anonymous"' in html and "b@cqs.invalid" not in html


def test_the_report_page_is_404_for_other_units(client, world):
    report = in_b(world)
    client.force_login(world.handler_a)

    assert client.get(detail_url(report)).status_code == 404
    assert act(client, report, "accept").status_code == 404
    assert report.events.count() == 1


# --- actions -----------------------------------------------------------------------------------


def test_accept(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = act(client, report, "accept", **{"accept-note": "Đã nhận."})

    assert response.status_code == 302 and response["Location"] == detail_url(report)
    report.refresh_from_db()
    assert report.status == Status.ACCEPTED and report.acknowledged_at is not None
    assert report.events.last().note == "Đã nhận."


def test_forward_to_another_unit_leaves_the_users_inbox(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = act(
        client, report, "forward", **{"forward-unit": world.commune_b.pk, "forward-note": "Thuộc Phúc Yên"}
    )

    assert response.status_code == 302 and response["Location"] == INBOX
    report.refresh_from_db()
    assert report.status == Status.FORWARDED and report.unit == world.commune_b


def test_forward_without_a_unit_is_refused_on_the_form(client, world):
    report = submit(world)
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(client, report, "forward", **{"forward-note": "Không thuộc địa bàn"})

    assert response.status_code == 400
    assert 'id="forward-unit-errors"' in response.content.decode()
    assert snapshot(report) == before


def test_transfer_records_the_outside_agency(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = act(
        client,
        report,
        "transfer",
        **{
            "transfer-external_agency": "Công ty Điện lực Phú Thọ",
            "transfer-external_reference": "125/UBND-VP",
            "transfer-note": "Thuộc ngành điện",
        },
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.TRANSFERRED
    assert (report.external_agency, report.external_reference) == ("Công ty Điện lực Phú Thọ", "125/UBND-VP")


def test_request_info_needs_the_question(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    client.force_login(world.handler_a)

    refused = act(client, report, "request_info")
    done = act(client, report, "request_info", **{"request_info-note": "Xin chụp thêm ảnh toàn cảnh."})

    assert refused.status_code == 400
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.INFO_REQUESTED


def test_answer_with_the_template_text(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    template = AnswerTemplate.objects.get(title="Đã sửa")
    client.force_login(world.handler_a)

    page = client.get(detail_url(report)).content.decode()
    assert f'data-body="{template.body}"' in page and 'data-fill-target="id_answer-answer"' in page

    response = act(client, report, "answer", **{"answer-answer": template.body})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.ANSWERED and report.answer == template.body


def test_a_too_short_answer_shows_the_service_message_and_keeps_the_text(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(client, report, "answer", **{"answer-answer": "Đã xử"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-code="answer_missing"' in html and "Vui lòng nhập nội dung trả lời." in html
    assert "Đã xử</textarea>" in html
    assert snapshot(report) == before


def test_publish_by_the_leader_with_the_masked_text(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(
        report=report,
        action="answer",
        actor=world.handler_a,
        answer="Đã vá. Liên hệ 0987654321 nếu còn hỏng.",
    )
    client.force_login(world.leader_a)

    forms = {row[0].action: row[1] for row in client.get(detail_url(report)).context["forms"]}
    prefilled = forms["publish"]["answer_public"].initial
    assert prefilled == "Đã vá. Liên hệ *** nếu còn hỏng."

    response = act(client, report, "publish", **{"publish-answer_public": prefilled})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.PUBLISHED and report.is_public
    assert report.answer_public == "Đã vá. Liên hệ *** nếu còn hỏng."


def test_a_handler_cannot_publish_and_nothing_changes(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer="Đã vá xong ổ gà.")
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(client, report, "publish", **{"publish-answer_public": "Đã vá xong ổ gà."})

    assert response.status_code == 403
    assert 'data-code="action_not_allowed"' in response.content.decode()
    assert snapshot(report) == before


def test_an_action_in_the_wrong_state_is_409_and_an_unknown_one_400(client, world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    before = snapshot(report)
    client.force_login(world.handler_a)

    assert act(client, report, "close").status_code == 403  # handlers do not close
    assert act(client, report, "reject", **{"reject-note": "Không rõ"}).status_code == 409
    assert act(client, report, "explode").status_code == 400
    assert client.get(reverse("feedback:staff-act", args=[report.code])).status_code == 405
    assert snapshot(report) == before


def test_mark_duplicate_from_the_nearby_list(client, world):
    original = submit(world)
    second = submit(world, lat=NEAR_POINT[0], lon=NEAR_POINT[1])
    client.force_login(world.handler_a)

    html = client.get(detail_url(second)).content.decode()
    assert f'data-nearby="{original.code}"' in html and f'id="nearby-duplicate-{original.code}"' in html

    response = act(client, second, "mark_duplicate", **{"mark_duplicate-original": original.code})

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.CLOSED and second.duplicate_of == original
    assert second.resolution == Resolution.DUPLICATE
    assert f'data-duplicate="{second.code}"' in client.get(detail_url(original)).content.decode()


def test_mark_duplicate_of_an_unknown_code_is_refused(client, world):
    report = submit(world)
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(client, report, "mark_duplicate", **{"mark_duplicate-original": "PA2222222222"})

    assert response.status_code == 400
    assert snapshot(report) == before


def test_split_into_two_reports(client, world):
    report = submit(world, description="Ổ gà và đèn hỏng ở cùng một chỗ.")
    client.force_login(world.handler_a)
    data = {
        "split-note": "Hai vấn đề",
        "split-parts-TOTAL_FORMS": "3",
        "split-parts-INITIAL_FORMS": "0",
        "split-parts-MIN_NUM_FORMS": "0",
        "split-parts-MAX_NUM_FORMS": "10",
        "split-parts-0-category": world.pothole.pk,
        "split-parts-0-description": "Ổ gà giữa đường.",
        "split-parts-1-category": world.lights.pk,
        "split-parts-1-description": "Đèn đường không sáng.",
        "split-parts-2-category": "",
        "split-parts-2-description": "",
    }

    page = client.get(detail_url(report)).content.decode()
    assert 'id="split-empty-part"' in page and "split-parts-__prefix__-category" in page
    response = act(client, report, "split", **data)

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.CLOSED and report.resolution == Resolution.SPLIT
    children = list(report.split_children.order_by("pk"))
    assert [c.category for c in children] == [world.pothole, world.lights]


def test_split_into_one_part_is_refused(client, world):
    report = submit(world)
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(
        client,
        report,
        "split",
        **{
            "split-parts-TOTAL_FORMS": "2",
            "split-parts-INITIAL_FORMS": "0",
            "split-parts-0-category": world.pothole.pk,
            "split-parts-0-description": "Chỉ một phần.",
            "split-parts-1-category": world.lights.pk,
            "split-parts-1-description": "",
        },
    )

    assert response.status_code == 400
    assert 'id="split-parts-1-description-errors"' in response.content.decode()
    assert snapshot(report) == before and not Report.objects.filter(split_from=report).exists()


def test_reclassify_moves_the_report_with_its_new_place(client, world):
    report = submit(world)
    client.force_login(world.province_handler)

    response = act(
        client,
        report,
        "reclassify",
        **{
            "reclassify-category": world.pothole.pk,
            "reclassify-urgency": Urgency.URGENT,
            "reclassify-area": world.commune_b.pk,
            "reclassify-lat": FAR_POINT[0],
            "reclassify-lon": FAR_POINT[1],
            "reclassify-address": "Đường Hai Bà Trưng, Phúc Yên",
            "reclassify-note": "Sai địa bàn",
        },
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.unit, report.area, report.urgency) == (world.commune_b, world.commune_b, Urgency.URGENT)
    assert report.address == "Đường Hai Bà Trưng, Phúc Yên"
    assert report.events.last().action == "reclassify"


def test_reclassify_without_a_change_is_refused(client, world):
    report = submit(world)
    before = snapshot(report)
    client.force_login(world.handler_a)

    response = act(
        client,
        report,
        "reclassify",
        **{
            "reclassify-category": world.pothole.pk,
            "reclassify-urgency": report.urgency,
            "reclassify-area": world.commune_a.pk,
            "reclassify-lat": report.lat,
            "reclassify-lon": report.lon,
            "reclassify-address": "",
        },
    )

    assert response.status_code == 400
    assert 'data-code="nothing_changed"' in response.content.decode()
    assert snapshot(report) == before


def test_comment_is_an_internal_note(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = act(client, report, "comment", **{"comment-note": "Đã gọi điện cho người dân."})

    assert response.status_code == 302
    event = report.events.last()
    assert (event.action, event.public, event.note) == ("comment", False, "Đã gọi điện cho người dân.")
    assert "Đã gọi điện cho người dân." in client.get(detail_url(report)).content.decode()


def test_every_action_form_is_csrf_protected(world):
    from django.test import Client

    report = submit(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.handler_a)

    html = client.get(detail_url(report)).content.decode()

    assert html.count('name="csrfmiddlewaretoken"') >= html.count('method="post"') > 3
    assert act(client, report, "accept").status_code == 403
    assert report.events.count() == 1


# --- photos ------------------------------------------------------------------------------------


def test_staff_add_a_photo(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = client.post(
        reverse("feedback:staff-photo", args=[report.code]),
        {"photo": SimpleUploadedFile("hien-truong.png", sample_image("png"), "image/png")},
    )

    assert response.status_code == 302
    photo = ReportPhoto.objects.get(report=report)
    assert photo.added_by_staff
    assert (
        f'src="{reverse("feedback:photo", args=[photo.pk])}"'
        in client.get(detail_url(report)).content.decode()
    )


def test_a_non_image_is_refused_with_a_message(client, world):
    report = submit(world)
    client.force_login(world.handler_a)

    response = client.post(
        reverse("feedback:staff-photo", args=[report.code]),
        {"photo": SimpleUploadedFile("ghi-chu.png", b"not an image at all", "image/png")},
        follow=True,
    )

    assert response.status_code == 200
    assert not ReportPhoto.objects.exists()
    assert 'class="alert alert-danger' in response.content.decode()


def test_a_leader_without_handling_rights_cannot_add_photos(client, world):
    report = submit(world)
    client.force_login(world.leader_a)

    assert 'id="photo-form"' not in client.get(detail_url(report)).content.decode()
    client.post(
        reverse("feedback:staff-photo", args=[report.code]),
        {"photo": SimpleUploadedFile("a.png", sample_image("png"), "image/png")},
    )
    assert not ReportPhoto.objects.exists()
    assert ReportEvent.objects.filter(report=report).count() == 1


def test_nearby_lists_only_reports_the_official_may_see(client, world):
    # given: a report in commune A and one 20 m away filed for commune B (routed there)
    mine = submit(world)
    theirs = submit(world, area=world.commune_b, lat=NEAR_POINT[0], lon=NEAR_POINT[1], title="Ổ gà bên kia")
    assert theirs.unit == world.commune_b

    # when A's handler opens A's report, B's is not suggested; the province's handler sees both
    client.force_login(world.handler_a)
    assert theirs.code not in client.get(detail_url(mine)).content.decode()
    client.force_login(world.province_handler)
    assert theirs.code in client.get(detail_url(mine)).content.decode()
