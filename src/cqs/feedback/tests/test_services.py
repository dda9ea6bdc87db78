"""Filing reports and the workflow actions (services.reports)."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.core.models import OutboxMessage
from cqs.core.testing import sample_image
from cqs.feedback.choices import Resolution, Status, Urgency
from cqs.feedback.models import Report, ReportEvent, ReportPhoto, RoutingRule
from cqs.feedback.services import report_act, report_submit, reports_overdue_mark, survey_submit
from cqs.feedback.tests.world import FAR_POINT, NEAR_POINT, OUTSIDE, POINT

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday 2 March 2026, 9:00 (a working day).
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=HCM)


def submit(world, **overrides):
    fields = {
        "category": world.pothole,
        "description": "Ổ gà lớn giữa đường Nguyễn Tất Thành, xe máy dễ ngã.",
        "attributes": {"kich-thuoc": "lon"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": world.commune_a,
        "contact_name": "Trần Thị B",
        "contact_phone": "0912 345 678",
        "contact_email": "b@cqs.invalid",
        "now": MONDAY,
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


def test_a_report_is_routed_by_area_gets_its_deadlines_history_audit_and_notices(world):
    report = submit(world)

    assert report.code.startswith("PA") and len(report.code) == 12
    assert report.status == Status.RECEIVED
    assert report.unit == world.commune_a
    assert report.routing_rule.name == "Phường Vĩnh Phúc"
    assert report.contact_phone == "0912345678"
    # 5 working days for a normal pothole; 10 to tell the person (Law 42); 5 to forward (Decree 20).
    assert report.due_at.astimezone(HCM) == datetime(2026, 3, 9, 9, 0, tzinfo=HCM)
    assert report.ack_due_at.astimezone(HCM) == datetime(2026, 3, 16, 9, 0, tzinfo=HCM)
    assert report.forward_due_at.astimezone(HCM) == datetime(2026, 3, 9, 9, 0, tzinfo=HCM)
    assert report.attributes == {"kich-thuoc": "lon"}
    assert list(report.events.values_list("action", flat=True)) == ["submit"]
    assert AuditEvent.objects.filter(action="feedback.submit", object_id=str(report.pk)).exists()
    topics = set(OutboxMessage.objects.values_list("topic", flat=True))
    assert topics == {"feedback.notify.email", "feedback.notify.sms"}


def test_urgent_reports_count_working_hours(world):
    report = submit(
        world, urgency=Urgency.URGENT, now=datetime(2026, 3, 6, 15, 0, tzinfo=HCM)
    )  # Friday 15:00
    # 2 office hours on Friday (to 17:00), then 2 on Monday from 7:30.
    assert report.due_at.astimezone(HCM) == datetime(2026, 3, 9, 9, 30, tzinfo=HCM)


def test_routing_falls_back_to_keywords_then_the_category_unit(world):
    by_keyword = submit(
        world, area=None, description="Cây đổ chắn ngang đường", lat=FAR_POINT[0], lon=FAR_POINT[1]
    )
    assert by_keyword.routing_rule.keywords.startswith("cây đổ")
    RoutingRule.objects.all().delete()
    fallback = submit(world, area=world.commune_b)
    assert fallback.unit == world.province and fallback.routing_rule is None


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"lat": 91.0}, "invalid_location", "lat"),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "outside_province", "lat"),
        ({"lon": None}, "invalid_location", "lat"),
        ({"lat": None, "lon": None, "area": None, "address": ""}, "location_missing", "lat"),
        ({"description": "  "}, "description_missing", "description"),
        ({"description": "x" * 4001}, "description_too_long", "description"),
        ({"attributes": {}}, "invalid_attribute", "attribute[kich-thuoc]"),
        ({"attributes": {"kich-thuoc": "rat-lon"}}, "invalid_attribute", "attribute[kich-thuoc]"),
        (
            {"attributes": {"kich-thuoc": "lon", "so-luong": "nhiều"}},
            "invalid_attribute",
            "attribute[so-luong]",
        ),
        ({"contact_email": "khong-phai-email"}, "invalid_email", "email"),
        ({"urgency": "cuc-gap"}, "invalid_urgency", "urgency"),
        ({"media_url": "javascript:alert(1)"}, "invalid_media_url", "media_url"),
        ({"media_url": "https://anh.example/" + "a" * 500}, "invalid_media_url", "media_url"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_saves_nothing(world, overrides, code, field):
    with pytest.raises(ServiceError) as caught:
        submit(world, **overrides)
    assert caught.value.error_code == code
    assert caught.value.field == field
    assert not Report.objects.exists() and not OutboxMessage.objects.exists()


def test_a_group_category_is_refused(world):
    with pytest.raises(ServiceError) as caught:
        submit(world, category=world.roads)
    assert caught.value.error_code == "category_not_leaf"


def test_a_repeated_submission_with_the_same_token_returns_the_first(world):
    first, created = report_submit(
        category=world.pothole,
        description="Ổ gà",
        attributes={"kich-thuoc": "nho"},
        address="Số 1",
        client_token="t-1",
    )
    again, created_again = report_submit(
        category=world.pothole,
        description="Ổ gà",
        attributes={"kich-thuoc": "nho"},
        address="Số 1",
        client_token="t-1",
    )
    assert created and not created_again and again.pk == first.pk
    assert Report.objects.count() == 1


def test_photos_are_resized_reencoded_and_lose_their_exif(world):
    image = Image.new("RGB", (4000, 3000), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    report = submit(world, photos=[("o-ga.jpg", buffer.getvalue()), ("anh.png", sample_image("png"))])

    photos = list(report.photos.all())
    assert len(photos) == 2
    assert (photos[0].width, photos[0].height) == (1600, 1200)
    with photos[0].file.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG" and not stored.getexif()


def test_a_bad_photo_refuses_the_whole_report(world):
    with pytest.raises(ServiceError) as caught:
        submit(world, photos=[("ok.png", sample_image("png")), ("virus.jpg", b"MZ\x90\x00not an image")])
    assert caught.value.error_code == "upload_type_not_allowed"
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()


def test_the_full_workflow_accept_answer_publish_survey(world):
    report = submit(world)
    report_act(report=report, action="accept", actor=world.handler_a, now=MONDAY + timedelta(hours=1))
    report_act(report=report, action="start", actor=world.handler_a, now=MONDAY + timedelta(hours=2))
    report_act(
        report=report,
        action="answer",
        actor=world.handler_a,
        answer="Đã vá ổ gà ngày 3/3/2026. Liên hệ 0912345678 nếu còn hư hỏng.",
        now=MONDAY + timedelta(days=1),
    )
    report.refresh_from_db()
    assert report.status == Status.ANSWERED and report.acknowledged_at is not None
    assert report.resolution == Resolution.ANSWERED

    report_act(report=report, action="publish", actor=world.leader_a, now=MONDAY + timedelta(days=1, hours=1))
    report.refresh_from_db()
    assert report.status == Status.PUBLISHED and report.is_public
    assert "0912345678" not in report.answer_public and "***" in report.answer_public

    survey_submit(
        report=report,
        rating=2,
        comment="Vẫn còn ổ gà",
        reopen=True,
        token=report.access_token,
        now=MONDAY + timedelta(days=2),
    )
    report.refresh_from_db()
    assert report.status == Status.REOPENED and report.reopen_count == 1
    assert list(ReportEvent.objects.filter(report=report).values_list("action", flat=True)) == [
        "submit",
        "accept",
        "start",
        "answer",
        "publish",
        "survey",
        "reopen",
    ]


def test_permissions_both_ways(world):
    report = submit(world)
    # a handler of the other commune, a leader (no handle permission), a citizen: refused
    for actor in (world.handler_b, world.leader_a, world.citizen):
        with pytest.raises(ServiceError) as caught:
            report_act(report=report, action="accept", actor=actor)
        assert caught.value.error_code == "action_not_allowed"
    # the province's handler holds the role above the commune: allowed
    report_act(report=report, action="accept", actor=world.province_handler)
    # a forbidden transition for the state
    with pytest.raises(ServiceError) as caught:
        report_act(report=report, action="publish", actor=world.leader_a)
    assert caught.value.error_code == "invalid_transition"


def test_forward_moves_the_report_to_the_competent_unit(world):
    report = submit(world)
    with pytest.raises(ServiceError):
        report_act(report=report, action="forward", actor=world.handler_a, note="Không thuộc địa bàn")
    report_act(
        report=report, action="forward", actor=world.handler_a, note="Thuộc Phúc Yên", unit=world.commune_b
    )
    report.refresh_from_db()
    assert report.status == Status.FORWARDED and report.unit == world.commune_b
    report_act(report=report, action="accept", actor=world.handler_b)


def test_a_private_category_cannot_be_published(world):
    report = submit(world, category=world.private, attributes={})
    for action in ("accept", "start"):
        report_act(report=report, action=action, actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer="Đã nhắc nhở cán bộ liên quan.")
    with pytest.raises(ServiceError) as caught:
        report_act(report=report, action="publish", actor=world.leader_a)
    assert caught.value.error_code == "category_not_public"


def test_duplicates_link_to_the_root_and_hear_the_original_answer(world):
    original = submit(world)
    duplicate = submit(world, lat=NEAR_POINT[0], lon=NEAR_POINT[1], contact_email="c@cqs.invalid")
    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=original)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.duplicate_of == original
    OutboxMessage.objects.all().delete()

    report_act(report=original, action="accept", actor=world.handler_a)
    report_act(report=original, action="answer", actor=world.handler_a, answer="Đã vá xong ổ gà.")
    recipients = {m.payload["report_id"] for m in OutboxMessage.objects.filter(topic="feedback.notify.email")}
    assert recipients >= {original.pk, duplicate.pk}


def test_split_makes_children_routed_on_their_own(world):
    report = submit(world, description="Ổ gà và đèn đường hỏng")
    report_act(
        report=report,
        action="split",
        actor=world.handler_a,
        parts=[
            {"category": world.pothole, "description": "Ổ gà"},
            {"category": world.lights, "description": "Đèn đường hỏng"},
        ],
    )
    report.refresh_from_db()
    assert report.status == Status.CLOSED and report.resolution == Resolution.SPLIT
    children = list(report.split_children.order_by("pk"))
    assert [c.category for c in children] == [world.pothole, world.lights]
    assert all(c.unit == world.commune_a and c.status == Status.RECEIVED for c in children)


def test_reclassify_reruns_the_routing_rules(world):
    report = submit(world)
    report_act(
        report=report,
        action="reclassify",
        actor=world.handler_a,
        location_given=True,
        lat=FAR_POINT[0],
        lon=FAR_POINT[1],
        area=world.commune_b,
    )
    report.refresh_from_db()
    assert report.unit == world.commune_b


def test_overdue_reports_alert_their_unit_once(world):
    report = submit(world)
    assert reports_overdue_mark(now=MONDAY + timedelta(days=30)) == [report.pk]
    assert reports_overdue_mark(now=MONDAY + timedelta(days=31)) == []
    assert OutboxMessage.objects.filter(topic="feedback.overdue").count() == 1


def test_only_the_reporter_rates_and_only_once(world):
    report = submit(world, reporter=world.citizen)
    for action in ("accept", "start"):
        report_act(report=report, action=action, actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer="Đã vá xong ổ gà.")
    with pytest.raises(ServiceError) as caught:
        survey_submit(report=report, rating=5, user=world.other_citizen)
    assert caught.value.error_code == "not_reporter"
    survey_submit(report=report, rating=5, user=world.citizen)
    with pytest.raises(ServiceError) as caught:
        survey_submit(report=report, rating=4, user=world.citizen)
    assert caught.value.error_code == "survey_already_answered"


def test_nul_characters_are_dropped_not_stored(world):
    report = submit(world, description="Ổ gà\x00 lớn", address="Số 1\x00", contact_name="An\x00")
    assert report.description == "Ổ gà lớn" and report.address == "Số 1" and report.contact_name == "An"
