"""Golden tests of the appointment date, the supplement clock and the on-time rule."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cqs.onestop.choices import Timeliness, TimeUnit
from cqs.onestop.deadlines import due_at_after_pause, due_at_for, timeliness

pytestmark = pytest.mark.django_db  # the calendar reads the province's overrides


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_three_working_days_from_a_monday_morning_is_thursday_same_time():
    assert due_at_for(
        amount=Decimal(3), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 12, 7, 10, 0)
    ) == at(2026, 12, 10, 10, 0)


def test_working_days_skip_tet():
    # Tết 2026 runs 16–20/2: one working day after Friday 13/2 is Monday 23/2.
    assert due_at_for(amount=Decimal(1), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 2, 13, 9, 0)) == at(
        2026, 2, 23, 9, 0
    )


def test_a_receipt_on_saturday_counts_from_monday_opening():
    assert due_at_for(
        amount=Decimal(2), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 11, 28, 9, 0)
    ) == at(2026, 12, 2, 7, 30)


def test_a_receipt_after_office_hours_counts_from_the_next_opening():
    assert due_at_for(
        amount=Decimal(1), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 12, 7, 18, 0)
    ) == at(2026, 12, 9, 7, 30)


def test_a_fractional_working_day_is_rounded_up():
    assert due_at_for(
        amount=Decimal("0.5"), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 12, 7, 10, 0)
    ) == at(2026, 12, 8, 10, 0)


def test_calendar_days_landing_on_a_sunday_move_to_monday():
    # Wednesday + 4 days = Sunday 29/11 → Monday 30/11.
    assert due_at_for(amount=Decimal(4), unit=TimeUnit.DAYS, received_at=at(2026, 11, 25, 10, 0)) == at(
        2026, 11, 30, 10, 0
    )


def test_hours_count_office_hours_only():
    # 15:00 Monday + 8 office hours: 2 h on Monday, 6 h from 7:30 Tuesday → 13:30.
    assert due_at_for(amount=Decimal(8), unit=TimeUnit.HOURS, received_at=at(2026, 12, 7, 15, 0)) == at(
        2026, 12, 8, 13, 30
    )


def test_waiting_for_a_supplement_moves_the_appointment_by_the_working_days_waited():
    due = at(2026, 12, 10, 10, 0)
    # Asked on Monday 7/12, completed on Friday 11/12: 4 working days waited.
    assert due_at_after_pause(due_at=due, paused_at=at(2026, 12, 7, 9), resumed_at=at(2026, 12, 11, 9)) == at(
        2026, 12, 16, 10, 0
    )


def test_a_supplement_completed_the_same_day_moves_nothing():
    due = at(2026, 11, 26, 10, 0)
    assert (
        due_at_after_pause(due_at=due, paused_at=at(2026, 11, 23, 9), resumed_at=at(2026, 11, 23, 16)) == due
    )


@pytest.mark.parametrize(
    ("completed", "supplements", "label"),
    [
        (at(2026, 11, 25, 16, 0), 0, Timeliness.EARLY),
        (at(2026, 11, 26, 9, 0), 0, Timeliness.ON_TIME),
        (at(2026, 11, 26, 10, 0), 1, Timeliness.ON_TIME),
        (at(2026, 11, 26, 10, 1), 0, Timeliness.LATE),
        (at(2026, 11, 24, 9, 0), 2, Timeliness.LATE),  # QĐ 766: more than one supplement request
    ],
)
def test_timeliness(completed, supplements, label):
    assert (
        timeliness(completed_at=completed, due_at=at(2026, 11, 26, 10, 0), supplement_count=supplements)
        == label
    )


def test_an_open_dossier_has_no_timeliness_yet():
    assert timeliness(completed_at=None, due_at=at(2026, 11, 26, 10, 0), supplement_count=0) is None


def test_the_calendar_of_the_law_in_force_is_used_for_24_november_2026():
    # `holidays` marks 24/11 (Ngày Văn hóa Việt Nam) a day off from 2026; the appointment skips it.
    assert due_at_for(
        amount=Decimal(1), unit=TimeUnit.WORKING_DAYS, received_at=at(2026, 11, 23, 10, 0)
    ) == at(2026, 11, 25, 10, 0)
