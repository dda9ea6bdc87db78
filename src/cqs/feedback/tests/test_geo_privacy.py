"""Points on the map (geo.py), personal data in free text (privacy.py) and the duplicate
suggestions around a point (selectors.nearby_open)."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from cqs.feedback import geo
from cqs.feedback.choices import Status
from cqs.feedback.models import Report
from cqs.feedback.privacy import MASK, mask_personal
from cqs.feedback.selectors import (
    NEARBY_MAX,
    geojson_rows,
    nearby_open,
    public_answer,
    public_description,
    report_geojson,
)
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.tests.world import FAR_POINT, NEAR_POINT, OUTSIDE, POINT

# One degree of latitude (and of longitude on the equator) on the mean Earth radius.
DEGREE_M = 2 * math.pi * geo.EARTH_RADIUS_M / 360


def destination(lat, lon, bearing_deg, distance_m):
    """The point ``distance_m`` from (lat, lon) towards ``bearing_deg`` on the sphere."""
    d = distance_m / geo.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


# --- distances and boxes ----------------------------------------------------------------------


def test_distance_of_a_point_to_itself_is_zero():
    assert geo.distance_m(*POINT, *POINT) == 0


def test_distance_of_one_degree_along_the_equator_and_a_meridian():
    assert geo.distance_m(0, 0, 0, 1) == pytest.approx(DEGREE_M, rel=1e-9)
    assert geo.distance_m(21, 105, 22, 105) == pytest.approx(DEGREE_M, rel=1e-9)
    assert round(DEGREE_M) == 111_195


def test_distance_is_symmetric_and_matches_the_world_points():
    assert geo.distance_m(*POINT, *NEAR_POINT) == pytest.approx(geo.distance_m(*NEAR_POINT, *POINT))
    assert 15 < geo.distance_m(*POINT, *NEAR_POINT) < 30
    assert 11_000 < geo.distance_m(*POINT, *FAR_POINT) < 13_000


def test_distance_of_antipodes_is_half_the_circumference():
    assert geo.distance_m(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_M)


@pytest.mark.parametrize(("lat", "lon"), [POINT, (0.0, 0.0), (60.0, 10.0), (-45.0, 170.0)])
@pytest.mark.parametrize("radius", [20, 50, 500, 5000])
def test_box_around_contains_the_whole_circle(lat, lon, radius):
    box = geo.box_around(lat, lon, radius)
    # On the edge up to rounding: the box's edges touch the circle (a sub-millimetre margin).
    for bearing in range(0, 360, 15):
        assert box.contains(*destination(lat, lon, bearing, radius * 0.9999)), bearing
    assert box.center == pytest.approx((lat, lon))
    # and not much more: the half-height is the radius
    assert (box.max_lat - lat) * DEGREE_M == pytest.approx(radius, rel=1e-6)


def test_box_around_leaves_out_points_beyond_the_radius_to_the_north():
    box = geo.box_around(*POINT, 50)
    assert not box.contains(*destination(*POINT, 0, 60))


# --- boxes given as text ----------------------------------------------------------------------


def test_parse_box_reads_min_lon_min_lat_max_lon_max_lat():
    box = geo.parse_box("105.5, 21.2,105.7,21.4")
    assert box == geo.Box(min_lon=105.5, min_lat=21.2, max_lon=105.7, max_lat=21.4)
    assert box.contains(21.3, 105.6) and not box.contains(21.3, 105.8)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "105.5,21.2,105.7",
        "105.5,21.2,105.7,21.4,1",
        "a,b,c,d",
        "105.5;21.2;105.7;21.4",
        "nan,21.2,105.7,21.4",
        "105.5,21.2,inf,21.4",
        "105.7,21.2,105.5,21.4",  # west edge east of the east edge
        "105.5,21.4,105.7,21.2",  # south edge north of the north edge
        "-181,21.2,105.7,21.4",
        "105.5,-91,105.7,21.4",
        "105.5,21.2,105.7,91",
    ],
)
def test_parse_box_refuses_bad_text(text):
    with pytest.raises(ValueError):
        geo.parse_box(text)


def test_a_box_of_one_point_is_allowed():
    assert geo.parse_box("105.6,21.3,105.6,21.3").contains(21.3, 105.6)


# --- the province box -------------------------------------------------------------------------


def test_the_default_box_holds_the_merged_province():
    for place in (POINT, NEAR_POINT, FAR_POINT, (21.3227, 105.4019), (20.8133, 105.3383)):
        assert geo.inside_province(*place), place  # Vĩnh Yên, Phúc Yên, Việt Trì, Hòa Bình
    for place in (OUTSIDE, (16.0544, 108.2022), (22.3364, 103.8438)):
        assert not geo.inside_province(*place), place  # HCM City, Đà Nẵng, Sa Pa


def test_the_box_edges_are_inside(settings):
    settings.CQS_FEEDBACK_BOUNDS = "105.0,21.0,106.0,22.0"
    assert geo.inside_province(21.0, 105.0) and geo.inside_province(22.0, 106.0)
    assert not geo.inside_province(20.9999, 105.5)


def test_the_box_is_a_setting(settings):
    settings.CQS_FEEDBACK_BOUNDS = "106.5,10.5,107.0,11.0"
    assert geo.inside_province(*OUTSIDE) and not geo.inside_province(*POINT)
    assert geo.province_box().center == pytest.approx((10.75, 106.75))


# --- masking personal data --------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "0912 34 56 78",
        "+84912345678",
        "+84 912 345 678",
        "+84.912.345.678",
        "84912345678",
        "0211 3842 123",  # a landline with its area code
    ],
)
def test_phone_numbers_are_masked(phone):
    assert mask_personal(f"Gọi {phone} khi cần.") == f"Gọi {MASK} khi cần."


def test_a_phone_number_with_a_bracketed_country_code_is_masked():
    assert "912" not in mask_personal("Liên hệ (+84) 912 345 678.")


@pytest.mark.parametrize(
    "text",
    [
        "CCCD 026090001234 của tôi",
        "CMND 123456789 cũ",
        "Thư cho nguyen.van.an@gmail.com nhé",
        "Gửi a+pakn@vinhphuc.gov.vn",
    ],
)
def test_identity_numbers_and_emails_are_masked(text):
    masked = mask_personal(text)
    assert MASK in masked
    assert not any(part in masked for part in ("026090001234", "123456789", "@"))


def test_everything_in_one_text_is_masked_and_the_rest_kept():
    text = (
        "Tôi là Trần Văn Bình, CCCD 026090001234, điện thoại 0912.345.678, "
        "e-mail binh@example.org. Ổ gà sâu 20 cm ở Km 15+200 từ ngày 3/3/2026."
    )
    assert mask_personal(text) == (
        f"Tôi là Trần Văn Bình, CCCD {MASK}, điện thoại {MASK}, "
        f"e-mail {MASK}. Ổ gà sâu 20 cm ở Km 15+200 từ ngày 3/3/2026."
    )


@pytest.mark.parametrize(
    "text",
    [
        "3/3/2026",
        "ngày 03/03/2026 lúc 10:30",
        "20 m",
        "dài 150m, rộng 2,5 m",
        "số nhà 84 ngõ 12",
        "năm 1984",
        "Km 15+200 QL2",
        "1.500.000 đồng",
        "tọa độ 21.3089, 105.6049",
        "tổng đài 1022",
        "hotline 1900 1234",
        "",
    ],
)
def test_dates_measures_and_short_numbers_are_untouched(text):
    assert mask_personal(text) == text


def test_none_is_an_empty_text():
    assert mask_personal(None) == ""


# --- what the public side shows ---------------------------------------------------------------


def _submit(world, **overrides):
    fields = {
        "category": world.pothole,
        "description": "Ổ gà lớn, gọi tôi 0912345678.",
        "attributes": {"kich-thuoc": "lon"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": world.commune_a,
        "contact_email": "an@example.org",
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


def _map(report) -> dict:
    return report_geojson(geojson_rows(Report.objects.filter(pk=report.pk), limit=1))


@pytest.mark.django_db
def test_public_text_and_the_map_never_carry_personal_data(world):
    report = _submit(world, title="Ổ gà, liên hệ an@example.org")
    assert public_description(report) == f"Ổ gà lớn, gọi tôi {MASK}."
    assert _map(report)["features"][0]["properties"]["title"] == f"Ổ gà, liên hệ {MASK}"
    assert public_answer(report) == ""

    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(
        report=report, action="answer", actor=world.handler_a, answer="Đã vá. Hỏi thêm: 0211 3842 123."
    )
    report.refresh_from_db()
    assert public_answer(report) == ""  # answered, not yet published
    report = report_act(report=report, action="publish", actor=world.leader_a)
    assert public_answer(report) == f"Đã vá. Hỏi thêm: {MASK}."
    assert "0211" not in str(_map(report))


# --- nearby open reports (duplicate suggestions) ----------------------------------------------


@pytest.mark.django_db
def test_nearby_finds_open_reports_of_the_category_within_its_radius_nearest_first(world):
    now = timezone.now()
    here = _submit(world)
    near = _submit(world, lat=NEAR_POINT[0], lon=NEAR_POINT[1])
    at_40 = _submit(world, lat=destination(*POINT, 90, 40)[0], lon=destination(*POINT, 90, 40)[1])
    at_80 = _submit(world, lat=destination(*POINT, 180, 80)[0], lon=destination(*POINT, 180, 80)[1])
    _submit(world, category=world.lights, attributes={})  # same place, another category

    found = nearby_open(category=world.pothole, lat=POINT[0], lon=POINT[1], exclude_pk=here.pk, now=now)

    assert [r.pk for r, _d in found] == [near.pk, at_40.pk]  # the radius is 50 m
    assert found[1][1] == pytest.approx(40, abs=0.5)
    world.pothole.duplicate_radius_m = 100
    found = nearby_open(category=world.pothole, lat=POINT[0], lon=POINT[1], now=now)
    assert [r.pk for r, _d in found] == [here.pk, near.pk, at_40.pk, at_80.pk]


@pytest.mark.django_db
def test_nearby_looks_back_12_weeks_only(world):
    now = timezone.now()
    recent = _submit(world, now=now - timedelta(weeks=11))
    _submit(world, now=now - timedelta(weeks=13))
    found = nearby_open(category=world.pothole, lat=POINT[0], lon=POINT[1], now=now)
    assert [r.pk for r, _d in found] == [recent.pk]


@pytest.mark.django_db
def test_nearby_suggests_open_reports_only(world):
    open_report = _submit(world)
    reopened = _submit(world)
    answered = _submit(world)
    rejected = _submit(world)
    for report in (reopened, answered):
        report_act(report=report, action="accept", actor=world.handler_a)
        report_act(report=report, action="answer", actor=world.handler_a, answer="Đã vá xong ổ gà.")
    report_act(report=reopened, action="reopen", actor=world.leader_a, note="Vá chưa đạt.")
    report_act(report=rejected, action="reject", actor=world.handler_a, note="Trùng lặp, không có nội dung.")

    found = {r.pk for r, _d in nearby_open(category=world.pothole, lat=POINT[0], lon=POINT[1])}

    assert found == {open_report.pk, reopened.pk}
    reopened.refresh_from_db()
    assert reopened.status == Status.REOPENED


@pytest.mark.django_db
def test_nearby_without_a_point_suggests_nothing_and_stops_at_ten(world):
    assert nearby_open(category=world.pothole, lat=None, lon=None) == []
    for _ in range(NEARBY_MAX + 2):
        _submit(world)
    assert len(nearby_open(category=world.pothole, lat=POINT[0], lon=POINT[1])) == NEARBY_MAX
