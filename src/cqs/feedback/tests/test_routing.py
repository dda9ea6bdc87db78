"""Which unit handles a report: the ordered routing rules (routing.py), their re-run when a report
is reclassified, and the re-run of received reports after the rules change."""

import pytest

from cqs.audit.models import AuditEvent
from cqs.feedback.choices import Status
from cqs.feedback.models import Report, RoutingRule
from cqs.feedback.routing import fold, keywords_of, route
from cqs.feedback.services import report_act, report_submit, routing_rules_rerun
from cqs.feedback.tests.world import FAR_POINT, POINT

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(world):
    """The world without its rules: each test writes the ones it needs."""
    RoutingRule.objects.all().delete()
    return world


def rule(order, unit, **criteria):
    return RoutingRule.objects.create(order=order, name=f"Quy tắc {order}", unit=unit, **criteria)


def submit(world, **overrides):
    fields = {
        "category": world.pothole,
        "description": "Ổ gà lớn giữa đường.",
        "attributes": {"kich-thuoc": "nho"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": world.commune_a,
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


# --- folding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Cây đổ", "cay do"),
        ("ĐƯỜNG Nguyễn Trãi", "duong nguyen trai"),
        ("Ổ gà", "o ga"),
        ("cay do", "cay do"),
        ("", ""),
    ],
)
def test_fold_drops_case_and_diacritics(text, folded):
    assert fold(text) == folded


def test_keywords_are_comma_separated_trimmed_and_folded():
    assert keywords_of(" Cây đổ,  cành gãy ,,") == ["cay do", "canh gay"]
    assert keywords_of("") == []


# --- one rule's criteria ----------------------------------------------------------------------


def test_the_first_active_rule_by_order_wins(rules):
    w = rules
    rule(20, w.commune_b, category=w.pothole)
    rule(10, w.commune_a, category=w.pothole)
    unit, matched = route(category=w.pothole, area=None, text="Ổ gà")
    assert (unit, matched.order) == (w.commune_a, 10)


def test_rules_of_the_same_order_are_taken_in_creation_order(rules):
    w = rules
    first = rule(10, w.commune_b)
    rule(10, w.commune_a)
    assert route(category=w.pothole, area=None, text="") == (w.commune_b, first)


def test_a_rule_on_a_category_matches_its_subtree_only(rules):
    w = rules
    roads_rule = rule(10, w.commune_b, category=w.roads)
    assert route(category=w.pothole, area=None, text="")[1] == roads_rule
    assert route(category=w.lights, area=None, text="")[1] == roads_rule
    assert route(category=w.private, area=None, text="") == (w.province, None)

    lights_rule = rule(5, w.commune_a, category=w.lights)
    assert route(category=w.lights, area=None, text="")[1] == lights_rule
    assert route(category=w.pothole, area=None, text="")[1] == roads_rule


def test_a_rule_on_an_area_matches_its_subtree_only(rules):
    from cqs.orgs.tests.factories import OrgUnitFactory

    w = rules
    hamlet = OrgUnitFactory(name="Tổ dân phố 3", parent=w.commune_a)
    province_rule = rule(20, w.province, area=w.province)
    commune_rule = rule(10, w.commune_a, area=w.commune_a)

    assert route(category=w.pothole, area=w.commune_a, text="")[1] == commune_rule
    assert route(category=w.pothole, area=hamlet, text="")[1] == commune_rule
    # the sibling commune is under the province, not under Phường Vĩnh Phúc
    assert route(category=w.pothole, area=w.commune_b, text="")[1] == province_rule
    # a report without a commune matches no area rule
    assert route(category=w.pothole, area=None, text="") == (w.pothole.unit, None)


@pytest.mark.parametrize(
    ("keywords", "text"),
    [
        ("cay do", "Cây đổ chắn ngang đường"),
        ("cây đổ", "cay do chan ngang duong"),
        ("CÂY ĐỔ", "Có cây đổ"),
        ("ngập, cây đổ", "Cay do sau bao"),
        ("đường", "DUONG hu hong"),
    ],
)
def test_keywords_match_without_accents_or_case(rules, keywords, text):
    w = rules
    keyword_rule = rule(10, w.commune_b, keywords=keywords)
    assert route(category=w.pothole, area=None, text=text) == (w.commune_b, keyword_rule)


def test_keywords_that_do_not_occur_do_not_match(rules):
    w = rules
    rule(10, w.commune_b, keywords="cây đổ, ngập nước")
    assert route(category=w.pothole, area=None, text="Ổ gà trước nhà") == (w.province, None)


def test_every_criterion_of_a_rule_must_match(rules):
    w = rules
    both = rule(10, w.commune_b, category=w.lights, area=w.commune_a, keywords="tắt")
    assert route(category=w.lights, area=w.commune_a, text="Đèn tắt cả tuần")[1] == both
    assert route(category=w.lights, area=w.commune_a, text="Đèn nhấp nháy")[1] is None
    assert route(category=w.lights, area=w.commune_b, text="Đèn tắt")[1] is None
    assert route(category=w.pothole, area=w.commune_a, text="Đèn tắt")[1] is None


def test_a_rule_without_criteria_matches_everything(rules):
    w = rules
    catch_all = rule(99, w.commune_b)
    assert route(category=w.private, area=None, text="") == (w.commune_b, catch_all)


def test_inactive_rules_are_skipped(rules):
    w = rules
    rule(10, w.commune_b, area=w.commune_a, active=False)
    active = rule(20, w.commune_a, area=w.commune_a)
    assert route(category=w.pothole, area=w.commune_a, text="")[1] == active


def test_without_a_matching_rule_the_category_unit_handles_it(rules):
    w = rules
    rule(10, w.commune_b, area=w.commune_b)
    report = submit(w, area=w.commune_a)
    assert report.unit == w.pothole.unit == w.province
    assert report.routing_rule is None


def test_a_filed_report_records_the_rule_that_routed_it(world):
    # The shipped world: area rules first, then the keyword rule "cây đổ" → the province.
    by_area = submit(world)
    by_keyword = submit(world, area=None, description="Cay do chan duong", lat=FAR_POINT[0], lon=FAR_POINT[1])
    by_address = submit(world, area=None, address="Gần chỗ cây đổ, đường Mê Linh")

    assert (by_area.unit, by_area.routing_rule.order) == (world.commune_a, 10)
    assert (by_keyword.unit, by_keyword.routing_rule.order) == (world.province, 30)
    assert by_address.routing_rule.order == 30


# --- re-running the rules ---------------------------------------------------------------------


def test_reclassifying_the_category_reruns_the_rules(rules):
    w = rules
    lights_rule = rule(10, w.commune_b, category=w.lights)
    report = submit(w)
    assert report.unit == w.province

    report = report_act(report=report, action="reclassify", actor=w.province_handler, category=w.lights)

    assert report.category == w.lights
    assert (report.unit, report.routing_rule) == (w.commune_b, lights_rule)
    event = report.events.get(action="reclassify")
    assert event.data["category"] == "den-chieu-sang"
    assert (event.data["from_unit"], event.data["to_unit"]) == (w.province.pk, w.commune_b.pk)
    assert event.public is False


def test_reclassifying_the_place_reruns_the_rules(world):
    report = submit(world)
    assert report.unit == world.commune_a

    report = report_act(
        report=report,
        action="reclassify",
        actor=world.handler_a,
        location_given=True,
        lat=FAR_POINT[0],
        lon=FAR_POINT[1],
        address="Đường Hai Bà Trưng, Phúc Yên",
        area=world.commune_b,
    )

    assert (report.unit, report.area, report.routing_rule.order) == (world.commune_b, world.commune_b, 20)
    assert (report.lat, report.lon) == FAR_POINT
    # the new unit's handler now holds it, the old one no longer does
    report_act(report=report, action="accept", actor=world.handler_b)


def test_reclassifying_without_a_change_is_refused(world):
    from cqs.core.exceptions import ServiceError

    report = submit(world)
    with pytest.raises(ServiceError) as error:
        report_act(report=report, action="reclassify", actor=world.handler_a, category=world.pothole)
    assert error.value.error_code == "nothing_changed"
    assert report.events.count() == 1


def test_rerunning_the_rules_moves_only_received_reports(world):
    received = submit(world)
    accepted = submit(world)
    report_act(report=accepted, action="accept", actor=world.handler_a)
    forwarded = submit(world)
    report_act(
        report=forwarded, action="forward", actor=world.handler_a, note="Sai địa bàn", unit=world.commune_b
    )

    # Phường Vĩnh Phúc's rule now sends its reports to the province
    RoutingRule.objects.filter(area=world.commune_a).update(unit=world.province)
    moved = routing_rules_rerun(actor=world.province_handler)

    assert moved == 1
    units = dict(Report.objects.values_list("pk", "unit"))
    assert units[received.pk] == world.province.pk
    assert units[accepted.pk] == world.commune_a.pk
    assert units[forwarded.pk] == world.commune_b.pk
    assert Report.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    audit = AuditEvent.objects.filter(action="feedback.routing_rerun").get()
    assert audit.after == {"moved": 1}


def test_rerunning_unchanged_rules_moves_nothing(world):
    submit(world)
    submit(world, area=world.commune_b)
    assert routing_rules_rerun() == 0
