"""Periods: a DHIS2 label and a Decree 09 data window that differ."""

from datetime import date

import pytest

from cqs.reporting.choices import PeriodType
from cqs.reporting.periods import PeriodError, period_of, period_parse, periods_between, periods_in_year


@pytest.mark.parametrize(
    ("iso", "start", "end", "window"),
    [
        ("202603", date(2026, 3, 1), date(2026, 3, 31), (date(2026, 2, 15), date(2026, 3, 14))),
        ("202601", date(2026, 1, 1), date(2026, 1, 31), (date(2025, 12, 15), date(2026, 1, 14))),
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31), (date(2025, 12, 15), date(2026, 3, 14))),
        ("2026S1", date(2026, 1, 1), date(2026, 6, 30), (date(2025, 12, 15), date(2026, 6, 14))),
        ("2026N9", date(2026, 1, 1), date(2026, 9, 30), (date(2025, 12, 15), date(2026, 9, 14))),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), (date(2025, 12, 15), date(2026, 12, 14))),
    ],
)
def test_label_and_window_of_each_frequency(iso, start, end, window):
    spec = period_parse(iso)
    assert (spec.start, spec.end, spec.iso) == (start, end, iso)
    assert spec.window(14) == window
    assert spec.window(None) == (start, end)


@pytest.mark.parametrize(
    ("adx", "iso"),
    [
        ("2026-03-01/P1M", "202603"),
        ("2026-04-01/P3M", "2026Q2"),
        ("2026-07-01/P6M", "2026S2"),
        ("2026-01-01/P9M", "2026N9"),
        ("2026-01-01/P1Y", "2026"),
    ],
)
def test_adx_periods_parse_and_print(adx, iso):
    assert period_parse(adx).iso == iso
    assert period_parse(iso).adx == adx


@pytest.mark.parametrize(
    "text", ["", "202613", "2026Q5", "2026S3", "2026-02-01/P3M", "2026-01-15/P1M", "March", "2026W1"]
)
def test_malformed_periods_are_refused(text):
    with pytest.raises(PeriodError):
        period_parse(text)


def test_sequences_and_labels():
    assert [p.iso for p in periods_in_year(PeriodType.QUARTERLY, 2026)] == [
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
    ]
    assert len(periods_in_year(PeriodType.MONTHLY, 2025)) == 12
    assert [p.iso for p in periods_between(PeriodType.MONTHLY, date(2025, 11, 10), date(2026, 2, 28))] == [
        "202511",
        "202512",
        "202601",
        "202602",
    ]
    assert period_of(PeriodType.MONTHLY, date(2026, 1, 5)).previous().iso == "202512"
    assert period_parse("2026Q3").label() == "Quý 3/2026"
    assert period_parse("2026S2").label() == "6 tháng cuối năm 2026"
