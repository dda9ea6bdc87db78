"""Statistics of dossiers (QĐ 766 formulas): golden figures on hand-built dossiers.

The period under test is March 2026 (Vietnam time), looked at from 1 June 2026 unless a test
says otherwise; dossiers are created directly with the dates that matter.
"""

import itertools
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cqs.core.exceptions import Forbidden, ServiceError
from cqs.onestop.choices import Channel, DossierStatus, Timeliness
from cqs.onestop.deadlines import timeliness
from cqs.onestop.models import Dossier
from cqs.onestop.statistics import (
    BUCKETS,
    COUNT_FIELDS,
    StatsRow,
    dossier_register,
    dossier_statistics,
    dossier_statistics_dossiers,
    rate,
)

pytestmark = pytest.mark.django_db

MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}
LATER = datetime(2026, 6, 1, 12, 0)
_codes = itertools.count(1)


def vn(*args) -> datetime:
    """An aware moment, Vietnam time."""
    return timezone.make_aware(datetime(*args))


def dossier(desk, *, unit=None, received=None, due=None, status=None, version=None, **fields):
    """A dossier received at ``received``; its status follows from the dates unless given."""
    if status is None:
        status = DossierStatus.RESOLVED if fields.get("completed_at") else DossierStatus.PROCESSING
    version = version or desk.version
    return Dossier.objects.create(
        procedure=version.procedure,
        version=version,
        unit=unit or desk.unit,
        created_by=desk.officer,
        channel=fields.pop("channel", Channel.IN_PERSON),
        status=status,
        code=f"TEST-{next(_codes):06d}",
        applicant_name="Nguyễn Văn An",
        received_at=received,
        due_at=due,
        **fields,
    )


def stats(user, *, unit=None, now=LATER, **period):
    return dossier_statistics(user=user, unit=unit, now=vn(*now.timetuple()[:5]), **(MARCH | period))


def total(desk, **kwargs) -> StatsRow:
    return stats(desk.leader, unit=kwargs.pop("unit", desk.unit), **kwargs).total


def cell(desk, bucket, *, unit=None, user=None, now=LATER) -> set[str]:
    dossiers = dossier_statistics_dossiers(
        user=user or desk.leader,
        unit=unit or desk.unit,
        bucket=bucket,
        now=vn(*now.timetuple()[:5]),
        **MARCH,
    )
    return set(dossiers.values_list("code", flat=True))


# --- received --------------------------------------------------------------------------------


def test_open_dossiers_received_before_the_period_are_carried_over_and_new_ones_are_not(desk):
    # given
    open_from_february = dossier(desk, received=vn(2026, 2, 20, 9), due=vn(2026, 3, 25, 9))
    done_in_march = dossier(
        desk, received=vn(2026, 2, 15, 9), due=vn(2026, 3, 5, 9), completed_at=vn(2026, 3, 4, 10)
    )
    dossier(desk, received=vn(2026, 2, 10, 9), due=vn(2026, 2, 20, 9), completed_at=vn(2026, 2, 28, 23))
    dossier(
        desk,
        received=vn(2026, 2, 10, 9),
        status=DossierStatus.WITHDRAWN,
        ended_at=vn(2026, 2, 11, 9),
    )
    new = dossier(desk, received=vn(2026, 3, 1, 0, 0), due=vn(2026, 3, 6, 9))
    dossier(desk, received=vn(2026, 4, 1, 0, 0), due=vn(2026, 4, 6, 9))

    # when
    row = total(desk)

    # then
    assert (row.received_carried_over, row.received_new, row.to_process) == (2, 1, 3)
    assert cell(desk, "received_carried_over") == {open_from_february.code, done_in_march.code}
    assert cell(desk, "received_new") == {new.code}


def test_new_dossiers_are_split_by_channel(desk):
    for channel in (Channel.IN_PERSON, Channel.ONLINE, Channel.ONLINE, Channel.POSTAL):
        dossier(desk, received=vn(2026, 3, 10, 9), due=vn(2026, 3, 13, 9), channel=channel)

    row = total(desk)

    assert (row.received_in_person, row.received_online, row.received_postal) == (1, 2, 1)
    assert row.received_new == 4


# --- processed -------------------------------------------------------------------------------

DUE = (2026, 3, 10, 17, 0)
TIMELINESS_CASES = {
    "a day before the appointment": ({"completed_at": vn(2026, 3, 9, 10)}, "processed_early"),
    "the appointment day, before the hour": ({"completed_at": vn(2026, 3, 10, 8)}, "processed_on_time"),
    "exactly at the appointment": ({"completed_at": vn(*DUE)}, "processed_on_time"),
    "the appointment day, at a later hour": ({"completed_at": vn(2026, 3, 10, 17, 30)}, "processed_late"),
    "early but after two supplement requests": (
        {"completed_at": vn(2026, 3, 2, 10), "supplement_count": 2},
        "processed_late",
    ),
    "early after one supplement request": (
        {"completed_at": vn(2026, 3, 2, 10), "supplement_count": 1},
        "processed_early",
    ),
    "resolved then returned": (
        {"completed_at": vn(2026, 3, 9, 10), "returned_at": vn(2026, 3, 12, 9), "status": 10},
        "processed_early",
    ),
}


@pytest.mark.parametrize("case", TIMELINESS_CASES)
def test_a_processed_dossier_is_early_on_time_or_late_as_deadlines_timeliness_says(desk, case):
    # given
    fields, bucket = TIMELINESS_CASES[case]
    made = dossier(desk, received=vn(2026, 3, 5, 9), due=vn(*DUE), **fields)

    # when
    row = total(desk)

    # then
    expected = {"processed_early": 0, "processed_on_time": 0, "processed_late": 0} | {bucket: 1}
    assert {name: getattr(row, name) for name in expected} == expected
    assert row.processed == 1
    assert cell(desk, bucket) == {made.code}
    by_rule = timeliness(
        completed_at=made.completed_at, due_at=made.due_at, supplement_count=made.supplement_count
    )
    assert (
        by_rule
        == {
            "processed_early": Timeliness.EARLY,
            "processed_on_time": Timeliness.ON_TIME,
            "processed_late": Timeliness.LATE,
        }[bucket]
    )


def test_early_compares_calendar_days_in_vietnam_time_not_utc(desk):
    # given: due 07:30 on the 10th (00:30 UTC), done at 06:00 the same day (23:00 UTC on the 9th)
    dossier(desk, received=vn(2026, 3, 5, 9), due=vn(2026, 3, 10, 7, 30), completed_at=vn(2026, 3, 10, 6))

    row = total(desk)

    assert (row.processed_early, row.processed_on_time) == (0, 1)


def test_only_dossiers_resolved_within_the_period_are_processed(desk):
    dossier(desk, received=vn(2026, 2, 5, 9), due=vn(2026, 2, 27, 9), completed_at=vn(2026, 2, 28, 23, 59))
    inside = dossier(desk, received=vn(2026, 3, 5, 9), due=vn(*DUE), completed_at=vn(2026, 3, 31, 23, 59))
    dossier(desk, received=vn(2026, 3, 5, 9), due=vn(*DUE), completed_at=vn(2026, 4, 1, 0, 0))

    assert total(desk).processed == 1
    assert cell(desk, "processed") == {inside.code}


# --- in progress -----------------------------------------------------------------------------


def test_open_dossiers_at_the_end_are_within_deadline_or_overdue(desk):
    # given
    overdue = dossier(desk, received=vn(2026, 3, 2, 9), due=vn(2026, 3, 31, 16))
    within = dossier(desk, received=vn(2026, 3, 2, 9), due=vn(2026, 4, 1, 0, 0))
    done_after = dossier(
        desk, received=vn(2026, 3, 2, 9), due=vn(2026, 3, 20, 9), completed_at=vn(2026, 4, 3, 9)
    )
    dossier(desk, received=vn(2026, 3, 2, 9), due=vn(2026, 3, 20, 9), completed_at=vn(2026, 3, 19, 9))
    dossier(desk, received=vn(2026, 3, 2, 9), status=DossierStatus.STOPPED, ended_at=vn(2026, 3, 25, 9))

    # when
    row = total(desk)

    # then
    assert (row.in_progress, row.in_progress_within, row.in_progress_overdue) == (3, 1, 2)
    assert cell(desk, "in_progress_overdue") == {overdue.code, done_after.code}
    assert cell(desk, "in_progress_within") == {within.code}


def test_a_period_still_running_is_judged_now_not_at_its_end(desk):
    # given: looking at March on 15 March at noon
    dossier(desk, received=vn(2026, 3, 2, 9), due=vn(2026, 3, 20, 9))
    dossier(desk, received=vn(2026, 3, 2, 9), due=vn(2026, 3, 15, 11))

    row = total(desk, now=datetime(2026, 3, 15, 12, 0))

    assert (row.in_progress_within, row.in_progress_overdue) == (1, 1)


def test_dossiers_ended_in_the_period_are_counted_by_how_they_ended(desk):
    for status, day in ((DossierStatus.REFUSED, 3), (DossierStatus.WITHDRAWN, 4), (DossierStatus.STOPPED, 5)):
        received = vn(2026, 3, 2, 9) if status != DossierStatus.REFUSED else None
        dossier(desk, received=received, status=status, ended_at=vn(2026, 3, day, 9))
    dossier(desk, received=None, status=DossierStatus.REFUSED, ended_at=vn(2026, 4, 1, 9))

    row = total(desk)

    assert (row.refused, row.withdrawn, row.stopped) == (1, 1, 1)
    assert row.in_progress == 0


def test_every_received_dossier_is_processed_ended_or_still_in_progress(desk):
    # given: the balance the figures must keep (docs/onestop-statistics.md)
    dossier(desk, received=vn(2026, 2, 20, 9), due=vn(2026, 3, 25, 9))
    dossier(desk, received=vn(2026, 2, 20, 9), due=vn(2026, 3, 2, 9), completed_at=vn(2026, 3, 3, 9))
    dossier(desk, received=vn(2026, 3, 3, 9), status=DossierStatus.WITHDRAWN, ended_at=vn(2026, 3, 4, 9))
    dossier(desk, received=vn(2026, 3, 3, 9), due=vn(2026, 3, 9, 9), completed_at=vn(2026, 3, 6, 9))
    dossier(desk, received=vn(2026, 3, 30, 9), due=vn(2026, 4, 3, 9))

    row = total(desk)

    assert row.to_process == row.processed + row.withdrawn + row.stopped + row.in_progress == 5


# --- rates -----------------------------------------------------------------------------------


def test_rates_follow_the_formulas_rounded_to_two_decimals(desk):
    # given: 3 processed, 2 of them early or on time; 3 received, 1 online; 2 with fees, 1 paid online
    not_online = desk.version.__class__.objects.create(
        procedure=desk.procedure,
        number=99,
        valid_from=date(2000, 1, 1),
        valid_to=date(2000, 1, 2),
        name="Bản không trực tuyến",
        online_level="khong",
        processing_time=3,
    )
    march = vn(2026, 3, 2, 9)
    dossier(
        desk,
        received=march,
        due=vn(*DUE),
        completed_at=vn(2026, 3, 9, 9),
        channel=2,
        fee_total=8000,
        paid_online=True,
    )
    dossier(desk, received=march, due=vn(*DUE), completed_at=vn(2026, 3, 10, 9), fee_total=8000)
    dossier(desk, received=march, due=vn(*DUE), completed_at=vn(2026, 3, 11, 9), version=not_online)

    # when
    row = total(desk)

    # then
    assert row.on_time_rate == Decimal("66.67")
    assert row.online_share == Decimal("33.33")
    assert (row.received_new_eligible, row.online_share_eligible) == (2, Decimal("50.00"))
    assert row.online_payment_share == Decimal("50.00")


def test_rates_are_none_when_there_is_nothing_to_divide(desk):
    row = total(desk)

    assert row.on_time_rate is None and row.online_share is None and row.online_payment_share is None


def test_the_plans_2021_figure_is_90_84_percent_not_90_08():
    # given: plan 326/KH-UBND, "đến hạn giải quyết 161.578 hồ sơ, … trước và đúng hạn 146.777"
    row = StatsRow(
        unit_id=None,
        unit_name="cấp huyện, xã",
        processed=160_000,
        processed_early=100_000,
        processed_on_time=46_777,
        processed_late=13_223,
        in_progress_overdue=1_578,
    )

    # then
    assert rate(146_777, 161_578) == Decimal("90.84")
    assert row.due == 161_578
    assert row.on_time_rate_due == Decimal("90.84")


def test_rates_round_half_up():
    assert rate(1, 8) == Decimal("12.50")
    assert rate(1, 3) == Decimal("33.33")
    assert rate(2, 3) == Decimal("66.67")
    assert rate(0, 0) is None


# --- units and scope -------------------------------------------------------------------------


@pytest.fixture
def province_leader(desk):
    from cqs.accounts.models import Role
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory

    user = OfficialFactory(username="lanhdao.tinh", official_profile__unit=desk.province)
    RoleGrantFactory(user=user, role=Role.objects.get(code="lanh-dao"), unit=desk.province)
    return user


def test_communes_roll_up_to_the_province(desk, province_leader):
    # given
    for unit, count in ((desk.unit, 3), (desk.other, 2), (desk.province, 1)):
        for _ in range(count):
            dossier(desk, unit=unit, received=vn(2026, 3, 2, 9), due=vn(*DUE), completed_at=vn(2026, 3, 9, 9))

    # when
    top = stats(province_leader)
    province = stats(province_leader, unit=desk.province)

    # then
    assert [(r.unit_id, r.processed) for r in top.rows] == [(desk.province.pk, 6)]
    assert top.total.processed == 6
    by_unit = {(r.kind, r.unit_id): r.processed for r in province.rows}
    assert by_unit == {("unit", desk.unit.pk): 3, ("unit", desk.other.pk): 2, ("self", desk.province.pk): 1}
    assert province.total.processed == 6 and province.total.processed_early == 6
    assert cell(desk, "processed", user=province_leader, unit=desk.province) == set(
        Dossier.objects.values_list("code", flat=True)
    )


def test_the_self_row_is_shown_only_when_the_unit_itself_received_dossiers(desk, province_leader):
    dossier(desk, unit=desk.unit, received=vn(2026, 3, 2, 9), due=vn(*DUE))

    report = stats(province_leader, unit=desk.province)

    assert [r.kind for r in report.rows] == ["unit", "unit"]
    assert {r.unit_id for r in report.rows} == {desk.unit.pk, desk.other.pk}


def test_a_superuser_sees_the_roots_of_the_tree(desk):
    from cqs.accounts.tests.factories import OfficialFactory

    admin = OfficialFactory(username="quantri", is_superuser=True)
    dossier(desk, received=vn(2026, 3, 2, 9), due=vn(*DUE))

    report = stats(admin)

    assert all(r.kind == "unit" for r in report.rows)
    assert {r.unit_id: r.received_new for r in report.rows}[desk.province.pk] == 1
    assert report.total.received_new == 1


def test_an_officer_sees_only_the_units_of_their_grants(desk):
    dossier(desk, unit=desk.unit, received=vn(2026, 3, 2, 9), due=vn(*DUE))
    dossier(desk, unit=desk.other, received=vn(2026, 3, 2, 9), due=vn(*DUE))

    report = stats(desk.other_officer)

    assert [(r.unit_id, r.received_new) for r in report.rows] == [(desk.other.pk, 1)]
    assert report.total.received_new == 1


def test_a_unit_outside_the_grants_is_forbidden(desk, province_leader):
    with pytest.raises(Forbidden) as error:
        stats(desk.other_officer, unit=desk.unit)
    assert error.value.error_code == "stats_unit_forbidden"

    with pytest.raises(Forbidden):
        stats(desk.leader, unit=desk.province)


def test_a_user_without_grants_gets_an_empty_report(desk):
    dossier(desk, received=vn(2026, 3, 2, 9), due=vn(*DUE))

    report = stats(desk.stranger)

    assert report.rows == [] and report.total.is_empty


def test_a_unit_closed_before_the_period_is_shown_only_if_it_has_figures(desk, province_leader):
    from cqs.orgs.tests.factories import OrgUnitFactory

    OrgUnitFactory(parent=desk.province, name="Xã Đã Sáp Nhập", valid_to=date(2025, 7, 1))
    closed_busy = OrgUnitFactory(parent=desk.province, name="Xã Cũ Còn Hồ Sơ", valid_to=date(2025, 7, 1))
    dossier(desk, unit=closed_busy, received=vn(2025, 6, 20, 9), due=vn(2025, 6, 25, 9))

    names = [r.unit_name for r in stats(province_leader, unit=desk.province).rows]

    assert "Xã Đã Sáp Nhập" not in names
    assert "Xã Cũ Còn Hồ Sơ" in names


# --- drill-down and register -----------------------------------------------------------------


def test_every_cell_lists_exactly_as_many_dossiers_as_it_counts(desk):
    # given a mix touching every bucket
    march = vn(2026, 3, 2, 9)
    dossier(desk, received=vn(2026, 2, 2, 9), due=vn(2026, 3, 3, 9))
    dossier(
        desk,
        received=march,
        due=vn(*DUE),
        completed_at=vn(2026, 3, 9, 9),
        channel=2,
        fee_total=5,
        paid_online=True,
    )
    dossier(desk, received=march, due=vn(*DUE), completed_at=vn(2026, 3, 10, 9), channel=3, fee_total=5)
    dossier(desk, received=march, due=vn(*DUE), completed_at=vn(2026, 3, 11, 9), supplement_count=2)
    dossier(desk, received=march, due=vn(2026, 4, 9, 9))
    dossier(desk, received=None, status=DossierStatus.REFUSED, ended_at=march)
    dossier(desk, received=march, status=DossierStatus.WITHDRAWN, ended_at=march)
    dossier(desk, received=march, status=DossierStatus.STOPPED, ended_at=march)

    row = total(desk)

    for bucket in BUCKETS:
        assert len(cell(desk, bucket)) == getattr(row, bucket), bucket
    assert all(getattr(row, name) > 0 for name in COUNT_FIELDS)


def test_an_unknown_bucket_or_a_reversed_period_is_refused(desk):
    with pytest.raises(ServiceError) as error:
        dossier_statistics_dossiers(user=desk.leader, unit=desk.unit, bucket="tat-ca", **MARCH)
    assert error.value.error_code == "invalid_bucket"

    with pytest.raises(ServiceError) as error:
        dossier_statistics(user=desk.leader, date_from=date(2026, 3, 2), date_to=date(2026, 3, 1))
    assert error.value.error_code == "invalid_period"


def test_the_register_lists_the_dossiers_received_in_the_period_in_order(desk):
    second = dossier(desk, received=vn(2026, 3, 20, 9), due=vn(2026, 3, 25, 9))
    first = dossier(desk, received=vn(2026, 3, 1, 8), due=vn(2026, 3, 5, 9))
    dossier(desk, received=vn(2026, 4, 1, 8), due=vn(2026, 4, 5, 9))
    dossier(desk, unit=desk.other, received=vn(2026, 3, 1, 8), due=vn(2026, 3, 5, 9))

    codes = list(dossier_register(user=desk.leader, **MARCH).values_list("code", flat=True))

    assert codes == [first.code, second.code]
