"""English labels of the catalogue that share a Vietnamese word with other apps."""

from django.utils import translation

from cqs.onestop.choices import TimeUnit


def test_the_time_unit_days_reads_days_in_english_not_date():
    # given the word "ngày", which the core app also uses for date fields ("date")
    # when the time unit is shown in English
    with translation.override("en"):
        label = str(TimeUnit.DAYS.label)
    # then it reads as a unit of time
    assert label == "days"


def test_the_time_unit_days_stays_vietnamese_by_default():
    with translation.override("vi"):
        assert str(TimeUnit.DAYS.label) == "ngày"
