"""The working-day calendar: national holidays from ``holidays`` plus database overrides.

Expected dates are the Government's published decisions (see each test's comment).
"""

import datetime as dt

import pytest

from cqs.core import calendar
from cqs.core.calendar import WorkingCalendar, add_working_days, is_working_day, working_days_between
from cqs.core.tests.factories import CalendarOverrideFactory

pytestmark = pytest.mark.django_db

D = dt.date


# --- Tết Nhâm Dần 2022: days off Mon 31/01 – Fri 04/02/2022 -------------------------------


@pytest.mark.parametrize("day", [D(2022, 1, 31), D(2022, 2, 1), D(2022, 2, 2), D(2022, 2, 3), D(2022, 2, 4)])
def test_tet_2022_weekdays_are_not_working_days(day):
    assert is_working_day(day) is False


def test_one_working_day_after_friday_before_tet_2022_is_the_monday_after():
    # given a dossier received on Friday 28/01/2022, the last working day before Tết
    # when one working day is added
    # then the deadline is Monday 07/02/2022
    assert add_working_days(D(2022, 1, 28), 1) == D(2022, 2, 7)


def test_working_days_between_spans_tet_2022():
    # (28/01, 08/02]: Mon 07/02 and Tue 08/02 only
    assert working_days_between(D(2022, 1, 28), D(2022, 2, 8)) == 2


# --- Tết Bính Ngọ 2026: days off Mon 16/02 – Fri 20/02/2026 --------------------------------


def test_next_working_day_after_friday_before_tet_2026_is_monday_23_february():
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)


def test_tet_2026_week_has_no_working_day():
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 22)) == 0
    assert [is_working_day(D(2026, 2, d)) for d in range(16, 21)] == [False] * 5


# --- 30/4 and 1/5 ---------------------------------------------------------------------------


def test_30_april_and_1_may_2022_on_weekend_are_observed_on_monday_and_tuesday():
    # 30/04/2022 was a Saturday and 01/05 a Sunday: days off moved to Mon 02/05 and Tue 03/05.
    assert is_working_day(D(2022, 5, 2)) is False
    assert is_working_day(D(2022, 5, 3)) is False
    assert is_working_day(D(2022, 5, 4)) is True
    assert add_working_days(D(2022, 4, 29), 1) == D(2022, 5, 4)


def test_30_april_2026_thursday_and_1_may_friday_are_off():
    # Hùng Kings' day 2026 (10/3 lunar) fell on Sunday 26/04: observed on Monday 27/04.
    assert is_working_day(D(2026, 4, 27)) is False
    assert is_working_day(D(2026, 4, 28)) is True
    assert is_working_day(D(2026, 4, 30)) is False
    assert is_working_day(D(2026, 5, 1)) is False
    assert add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)


def test_2025_swap_saturday_26_april_worked_for_friday_2_may_off():
    # Thông báo 6150/TB-BLĐTBXH (2024) for 2025: work Saturday 26/04/2025, rest Friday 02/05/2025.
    assert is_working_day(D(2025, 4, 26)) is True
    assert is_working_day(D(2025, 5, 2)) is False
    assert working_days_between(D(2025, 4, 25), D(2025, 5, 5)) == 4  # Sat 26, Mon 28, Tue 29 and Mon 05/05


# --- 2/9 ------------------------------------------------------------------------------------


def test_national_day_2022_thursday_and_friday_off():
    assert is_working_day(D(2022, 9, 1)) is False
    assert is_working_day(D(2022, 9, 2)) is False
    assert add_working_days(D(2022, 8, 31), 1) == D(2022, 9, 5)


def test_national_day_2026_with_saturday_22_august_worked_for_monday_31_august():
    assert is_working_day(D(2026, 8, 22)) is True
    assert is_working_day(D(2026, 8, 31)) is False
    assert is_working_day(D(2026, 9, 1)) is False
    assert is_working_day(D(2026, 9, 2)) is False
    assert add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)


# --- weekends and the counting rules --------------------------------------------------------


def test_ordinary_weekend_is_not_working():
    assert is_working_day(D(2026, 3, 7)) is False  # Saturday
    assert is_working_day(D(2026, 3, 8)) is False  # Sunday
    assert is_working_day(D(2026, 3, 9)) is True


def test_zero_working_days_is_the_day_itself_when_working_else_the_next_working_day():
    assert add_working_days(D(2026, 3, 9), 0) == D(2026, 3, 9)
    assert add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 9)
    assert add_working_days(D(2026, 2, 14), 0) == D(2026, 2, 23)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError, match="không âm"):
        add_working_days(D(2026, 3, 9), -1)


def test_a_datetime_is_refused_so_the_time_zone_is_chosen_explicitly():
    with pytest.raises(TypeError):
        is_working_day(dt.datetime(2026, 3, 9, 8, 0))


def test_working_days_between_excludes_start_includes_end_and_is_antisymmetric():
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 9)) == 0
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 10)) == 1
    assert working_days_between(D(2026, 3, 6), D(2026, 3, 13)) == 5
    assert working_days_between(D(2026, 3, 13), D(2026, 3, 6)) == -5


@pytest.mark.parametrize("n", [1, 2, 5, 10, 22, 60, 250])
def test_add_then_count_gives_back_n_across_tet(n):
    start = D(2026, 2, 10)
    assert working_days_between(start, add_working_days(start, n)) == n


def test_a_long_deadline_extends_the_loaded_range_and_still_counts_right():
    # 250 working days from 02/01/2026 run into 2027: the calendar loads more as it goes.
    end = add_working_days(D(2026, 1, 2), 250)
    assert end.year == 2027
    assert working_days_between(D(2026, 1, 2), end) == 250


def test_non_working_reason_names_the_holiday_or_weekend():
    assert "Tết" in calendar.non_working_reason(D(2026, 2, 17))
    assert calendar.non_working_reason(D(2026, 3, 8)) == "Chủ nhật"
    assert calendar.non_working_reason(D(2026, 3, 9)) is None


# --- overrides ------------------------------------------------------------------------------


def test_a_compensatory_working_saturday_counts():
    # given the province decides that Saturday 07/03/2026 is worked
    CalendarOverrideFactory(date=D(2026, 3, 7), working_saturday=True)
    # then Friday + 1 working day is that Saturday
    assert is_working_day(D(2026, 3, 7)) is True
    assert add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)
    assert working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 2


def test_an_extra_day_off_does_not_count():
    CalendarOverrideFactory(date=D(2026, 3, 10), extra_day_off=True, reason="Nghỉ thêm theo quyết định")
    assert is_working_day(D(2026, 3, 10)) is False
    assert add_working_days(D(2026, 3, 9), 1) == D(2026, 3, 11)
    assert calendar.non_working_reason(D(2026, 3, 10)) == "Nghỉ thêm theo quyết định"


def test_an_override_beats_the_national_calendar_both_ways():
    # given the override says the 2026 swap Saturday is not worked and Tết Monday is worked
    CalendarOverrideFactory(date=D(2026, 8, 22), extra_day_off=True)
    CalendarOverrideFactory(date=D(2026, 2, 16), working_saturday=True)
    assert is_working_day(D(2026, 8, 22)) is False
    assert is_working_day(D(2026, 2, 16)) is True


# --- query budget ---------------------------------------------------------------------------


def test_each_call_reads_the_overrides_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(D(2026, 1, 2), 60)
    with django_assert_num_queries(1):
        working_days_between(D(2026, 1, 1), D(2026, 12, 31))
    with django_assert_num_queries(1):
        is_working_day(D(2026, 1, 2))


def test_a_working_calendar_reused_over_a_range_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        cal = WorkingCalendar(D(2026, 1, 1), D(2026, 12, 31))
        days = [cal.is_working_day(D(2026, 1, 1) + dt.timedelta(days=i)) for i in range(365)]
    # 2026: 261 weekdays, minus 13 weekday holidays, plus Saturday 22/08 worked
    assert sum(days) == 249
