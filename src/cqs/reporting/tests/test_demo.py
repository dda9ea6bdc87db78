"""The reporting demo on the real demo tree (cqs.orgs.demo): loaded twice, checked once.

Loading the tree and the history takes seconds, so the module loads it once inside a
transaction that is rolled back at the end; each test reads it.
"""

import time
from collections import defaultdict
from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from cqs.audit.models import AuditEvent
from cqs.reporting import demo
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import DataValue, Regime, Report, ReportEvent
from cqs.reporting.rules import rule_check
from cqs.reporting.selectors import assigned_units

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    from cqs.orgs import demo as orgs_demo

    lines = []
    with django_db_blocker.unblock(), transaction.atomic():
        orgs_demo.load_demo(log=lambda line: None)
        started = time.monotonic()
        demo.load_demo(log=lines.append)
        seconds = time.monotonic() - started
        counts = (Report.objects.count(), DataValue.objects.count(), ReportEvent.objects.count())
        demo.load_demo(log=lines.append)
        again = (Report.objects.count(), DataValue.objects.count(), ReportEvent.objects.count())
        yield {"lines": lines, "seconds": seconds, "counts": counts, "again": again}
        transaction.set_rollback(True)


def test_a_second_load_adds_nothing(loaded):
    assert loaded["counts"] == loaded["again"]
    assert loaded["counts"][0] > 1000
    assert "không tạo thêm" in loaded["lines"][-1]


def test_the_load_is_fast_and_audited_once(loaded):
    assert loaded["seconds"] < 60
    assert AuditEvent.objects.filter(action="reporting.demo_load").count() == 1


def test_five_regimes_each_with_a_version_for_each_tree(loaded):
    regimes = Regime.objects.filter(code__in=[r.code for r in demo.REGIMES])

    assert regimes.count() >= 5
    for regime in regimes:
        receivers = list(
            regime.versions.order_by("valid_from").values_list("receiver__identifier", "valid_from")
        )
        assert receivers == [(demo.VINH_PHUC, demo.FIRST_VERSION_FROM), (demo.PHU_THO, demo.MERGER)]


def test_reports_exist_for_the_old_and_the_new_tree(loaded):
    old = Report.objects.filter(unit__path__startswith=_unit(demo.VINH_PHUC).path)
    new = Report.objects.filter(unit__path__startswith=_unit(demo.PHU_THO).path)

    assert old.filter(period__end__lt=demo.MERGER, unit__kind__code="xa").exists()
    assert old.filter(unit__kind__code="so").exists() and old.filter(unit__kind__code="huyen").exists()
    assert new.filter(period__start__gte=demo.MERGER, unit__kind__code="xa").exists()
    assert not old.filter(period__start__gte=demo.MERGER).exists()


def test_a_commune_report_is_reviewed_by_its_district_then_by_phu_tho(loaded):
    old = Report.objects.filter(unit__kind__code="xa", period__iso="202503").select_related("unit").first()
    new = Report.objects.filter(unit__kind__code="xa", period__iso="202603").first()

    assert old.reviewer_unit_id == old.unit.parent_id and old.reviewer_unit.kind.code == "huyen"
    assert new.reviewer_unit.identifier == demo.PHU_THO


def test_late_missing_returned_and_waiting_reports_exist(loaded):
    assert Report.objects.filter(late=True).exists()
    assert Report.objects.filter(status=ReportStatus.RETURNED).exists()
    assert Report.objects.filter(status=ReportStatus.SUBMITTED).exists()
    approved = Report.objects.filter(status=ReportStatus.APPROVED).count()
    assert approved > Report.objects.exclude(status=ReportStatus.APPROVED).count()
    regime = Regime.objects.get(code="BC_UD_CNTT")
    version = regime.versions.get(valid_from=demo.FIRST_VERSION_FROM)
    expected = assigned_units(version, date(2025, 3, 31)).count()
    assert Report.objects.filter(regime=regime, period__iso="202503").count() < expected


def test_the_period_under_way_is_in_draft(loaded):
    today = timezone.localdate()
    current = Report.objects.filter(regime__code="BC_UD_CNTT", window_start__lte=today, window_end__gte=today)

    assert current.exists()
    assert set(current.values_list("status", flat=True)) == {ReportStatus.DRAFT}


def test_submitted_reports_have_their_history_in_the_past(loaded):
    report = Report.objects.filter(status=ReportStatus.APPROVED).first()
    events = list(ReportEvent.objects.filter(report=report).values_list("action", "at"))

    assert [action for action, _at in events] == ["created", "submitted", "approved"]
    assert events[1][1] == report.submitted_at and events[2][1] == report.decided_at


def test_every_stored_value_passes_the_regimes_rules(loaded):
    cells = defaultdict(dict)
    rows = DataValue.objects.values_list("report_id", "indicator__code", "option_combo__code", "number")
    for report_id, code, option, number in rows.iterator(chunk_size=5000):
        if number is None:
            continue
        cells[report_id][(code, option)] = number
        cells[report_id][(code, None)] = cells[report_id].get((code, None), 0) + number
    reports = Report.objects.filter(pk__in=list(cells)).select_related("version")
    rules = defaultdict(list)
    findings = []
    for report in reports:
        if report.version_id not in rules:
            rules[report.version_id] = list(report.version.rules.all())
        findings += [f for rule in rules[report.version_id] if (f := rule_check(rule, cells[report.pk]))]
    assert len(cells) > 1000
    assert findings == []


def test_demo_accounts_can_report_and_review_on_todays_tree(loaded):
    from cqs.accounts.models import User
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.reporting.services.reports import may

    role_sync(definitions=role_definitions_load())
    created = demo.demo_accounts(log=lambda line: None)
    again = demo.demo_accounts(log=lambda line: None)

    assert (sorted(created), again) == (["baocao.vinhphuc", "tonghop.phutho"], [])
    officer = User.objects.get(username="baocao.vinhphuc")
    reviewer = User.objects.get(username="tonghop.phutho")
    report = Report.objects.filter(unit__name="Phường Vĩnh Phúc", period__start__gte=demo.MERGER).first()
    assert may(officer, "submit_report", report.unit)
    assert may(reviewer, "approve_report", report.reviewer_unit)


def _unit(identifier):
    from cqs.orgs.models import OrgUnit

    return OrgUnit.objects.filter(identifier=identifier).order_by("valid_from").first()
