"""The feedback demo on the real demo tree (cqs.orgs.demo, cqs.accounts.demo): loaded twice.

The tree and ~3,000 reports take a while to load, so the module loads everything once inside a
transaction rolled back at the end, with its own DATA_DIR (the Open311 key file) and MEDIA_ROOT
(the photos); each test reads the result.
"""

import re
import stat
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cqs.feedback import demo
from cqs.feedback.choices import OPEN_STATUSES, Resolution, Status, Urgency
from cqs.feedback.models import (
    AnswerTemplate,
    ApiClient,
    Category,
    Report,
    ReportEvent,
    ReportPhoto,
    RoutingRule,
    SatisfactionResponse,
)
from cqs.feedback.services.config import api_client_get
from cqs.feedback.services.reports import deadline_for

pytestmark = pytest.mark.django_db
MODELS = (
    Category,
    RoutingRule,
    AnswerTemplate,
    ApiClient,
    Report,
    ReportEvent,
    SatisfactionResponse,
    ReportPhoto,
)


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    from cqs.accounts import demo as accounts_demo
    from cqs.orgs import demo as orgs_demo

    directory = Path(tempfile.mkdtemp(prefix="cqs-feedback-demo-test-"))
    lines: list[str] = []
    again_lines: list[str] = []
    with (
        override_settings(
            DATA_DIR=directory,
            MEDIA_ROOT=directory / "media",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            CQS_SMS_URL="",
            CQS_CLAMD="",
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        orgs_demo.load_demo(log=lambda line: None)
        accounts_demo.load_demo(log=lambda line: None)
        started = time.monotonic()
        demo.load_demo(log=lines.append)
        seconds = time.monotonic() - started
        first = counts()
        demo.load_demo(log=again_lines.append)
        yield {
            "lines": lines,
            "again_lines": again_lines,
            "seconds": seconds,
            "first": first,
            "again": counts(),
            "dir": directory,
            "now": timezone.now(),
        }
        transaction.set_rollback(True)


def test_about_3000_reports_load_quickly_and_a_second_load_adds_nothing(loaded):
    assert loaded["first"]["Report"] == demo.REPORTS_TOTAL
    assert loaded["first"] == loaded["again"]
    assert loaded["seconds"] < 180  # 35–60 s on SQLite on the development machine
    assert "không có gì mới" not in loaded["lines"][0]
    assert "không có gì mới" in loaded["again_lines"][0]


def test_the_category_tree_has_deadlines_messages_radii_and_private_leaves(loaded):
    from cqs.feedback.selectors import categories_leaf

    leaves = categories_leaf()
    assert len(leaves) == sum(len(group) for _code, _name, group in demo.GROUPS)
    for leaf in leaves:
        levels = {d.urgency: d for d in leaf.deadlines.all()}
        assert 5 <= levels[Urgency.NORMAL].amount <= 10
        assert levels[Urgency.COMPLEX].amount == 15
        if Urgency.URGENT in levels:
            assert levels[Urgency.URGENT].unit == "hours"
        assert leaf.handling_message and leaf.keywords
        assert 30 <= leaf.duplicate_radius_m <= 200
        assert leaf.unit.identifier == demo.PHU_THO
    assert Category.objects.get(code="cay-xanh").deadlines.get(urgency=Urgency.URGENT).amount == 4
    assert set(Category.objects.filter(is_public=False).values_list("code", flat=True)) == {
        "thai-do-can-bo",
        "te-nan-xa-hoi",
    }
    pothole = Category.objects.get(code="o-ga")
    assert {a.code for a in pothole.attributes.all()} == {"kich-thuoc", "so-luong"}


def test_one_area_rule_per_commune_in_force_after_the_category_rules(loaded):
    from cqs.orgs.models import OrgUnit

    communes = OrgUnit.objects.as_of(demo.MERGER).filter(kind__code="xa")
    area_rules = RoutingRule.objects.filter(area__isnull=False)
    assert set(area_rules.values_list("area_id", flat=True)) == set(communes.values_list("pk", flat=True))
    assert all(rule.unit_id == rule.area_id for rule in area_rules)
    first = RoutingRule.objects.order_by("order").first()
    assert first.area is None and first.keywords


def test_every_report_unit_was_in_force_when_it_was_given_the_report(loaded):
    for report in Report.objects.select_related("unit", "area"):
        day = timezone.localdate(report.submitted_at)
        submit = report.events.get(action="submit")
        assert submit.unit.is_valid_on(day), report.code
        assert report.area.is_valid_on(day), report.code
        moves = [e for e in report.events.all() if e.action == "forward"]
        assigned = timezone.localdate(moves[-1].at) if moves else day
        assert report.unit.is_valid_on(assigned), report.code


def test_reports_before_the_merger_went_to_districts_and_ended_before_it(loaded):
    merger = timezone.make_aware(timezone.datetime.combine(demo.MERGER, timezone.datetime.min.time()))
    old = Report.objects.filter(submitted_at__lt=merger).select_related("unit__kind")
    assert old.count() > 1000
    kinds = Counter(r.unit.kind.code for r in old)
    assert kinds["huyen"] > 0.8 * old.count()
    assert not old.filter(status__in=OPEN_STATUSES).exists()
    staff_steps = ReportEvent.objects.filter(report__in=old, at__gte=merger).exclude(action="survey")
    assert not staff_steps.exists()


def test_deadlines_are_the_services_and_history_follows_the_workflow(loaded):
    from cqs.feedback.workflow import TRANSITIONS

    for report in Report.objects.select_related("category").prefetch_related("category__deadlines", "events"):
        assert report.submitted_at < report.forward_due_at <= report.ack_due_at
        if report.reopen_count == 0:
            assert report.due_at == deadline_for(report.category, report.urgency, report.submitted_at)
        events = list(report.events.all())
        assert events[0].action == "submit"
        status = Status.RECEIVED
        for event in events[1:]:
            assert event.at >= report.submitted_at
            if event.action == "survey":
                continue
            transition = TRANSITIONS[event.action]
            assert status in transition.sources, (report.code, status, event.action)
            assert event.from_status == status
            status = transition.target or status
            assert event.to_status == status
        assert report.status == status, report.code
        # The survey is the reporter's, not a change of the report (survey_submit leaves it).
        assert report.updated_at >= max(e.at for e in events if e.action != "survey")


def test_statuses_are_mixed_answers_published_and_surveys_mostly_happy(loaded):
    statuses = Counter(Report.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    answered = statuses[Status.ANSWERED] + statuses[Status.PUBLISHED] + statuses[Status.CLOSED]
    assert answered > 0.7 * total
    assert statuses[Status.PUBLISHED] > 0.4 * total
    assert statuses[Status.REJECTED] and statuses[Status.TRANSFERRED]
    open_reports = Report.objects.filter(status__in=OPEN_STATUSES)
    assert open_reports.exists()
    assert open_reports.filter(due_at__lt=loaded["now"]).exists()  # some overdue
    duplicates = Report.objects.filter(resolution=Resolution.DUPLICATE)
    assert duplicates.exists() and not duplicates.filter(duplicate_of=None).exists()
    assert not Report.objects.filter(is_public=True, category__is_public=False).exists()
    for report in Report.objects.filter(is_public=True)[:200]:
        assert report.answer_public and not re.search(r"0\d{9}", report.answer_public)
    ratings = Counter(SatisfactionResponse.objects.values_list("rating", flat=True))
    assert ratings[4] + ratings[5] > 0.6 * sum(ratings.values())
    transferred = Report.objects.filter(status=Status.TRANSFERRED)
    assert not transferred.filter(external_agency="").exists()


def test_recent_reports_of_the_home_commune_went_through_the_services_with_photos(loaded):
    from cqs.audit.models import AuditEvent

    recent = Report.objects.filter(client_token__startswith=f"{demo.TOKEN_PREFIX}s")
    assert recent.count() == demo.SERVICE_REPORTS
    assert {r.area.name for r in recent} == {demo.HOME_COMMUNE}
    assert AuditEvent.objects.filter(action="feedback.submit").count() == demo.SERVICE_REPORTS
    assert ReportPhoto.objects.filter(report__in=recent).exists()
    since = loaded["now"] - timedelta(days=demo.SERVICE_DAYS - 1)
    assert not Report.objects.filter(
        submitted_at__gte=since, area__name=demo.HOME_COMMUNE, client_token__regex=r"^demo-pakn-\d"
    ).exists()
    handled = ReportEvent.objects.filter(report__in=recent, action="answer")
    assert handled.exists() and set(handled.values_list("actor__username", flat=True)) == {"xuly.vinhyen"}


def test_the_demo_officials_hold_their_roles(loaded):
    from cqs.accounts.models import RoleGrant

    handler = RoleGrant.objects.get(user__username="xuly.vinhyen")
    leader = RoleGrant.objects.get(user__username="lanhdao.pakn")
    assert (handler.role.code, handler.unit.name) == ("xu-ly-phan-anh", demo.HOME_COMMUNE)
    assert (leader.role.code, leader.unit.identifier) == ("lanh-dao", demo.PHU_THO)


def test_the_open311_key_is_written_privately_and_opens_the_demo_app(loaded, settings):
    path = loaded["dir"] / "keys" / demo.KEY_FILE
    key = path.read_text().strip()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    client = api_client_get(key)
    assert client is not None and client.name == demo.API_CLIENT_NAME
    assert ApiClient.objects.filter(name=demo.API_CLIENT_NAME, active=True).count() == 1


def test_points_are_inside_the_province_near_their_commune(loaded):
    from cqs.feedback import geo

    box = geo.province_box()
    for report in Report.objects.all()[:3000]:
        assert box.contains(report.lat, report.lon)
    by_area = {}
    for report in Report.objects.filter(area__name=demo.HOME_COMMUNE):
        by_area.setdefault(report.area_id, []).append((report.lat, report.lon))
    for points in by_area.values():
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        assert all(geo.distance_m(lat, lon, p[0], p[1]) < 3000 for p in points)
