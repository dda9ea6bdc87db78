"""The reporting module in English: its own catalogue (reporting/locale) is found, complete and
used; without a language choice the pages stay Vietnamese, the platform's working language."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from cqs.reporting.choices import PeriodType, ReportStatus
from cqs.reporting.periods import period_of, period_parse
from cqs.reporting.services import reports as svc

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def open_period(version):
    """The monthly period whose data window holds today: open for entry."""
    today = timezone.localdate()
    spec = period_of(PeriodType.MONTHLY, today)
    if today > spec.window(version.cutoff_day)[1]:
        spec = spec.next()
    return spec


def draft(land):
    return svc.report_open(
        actor=land.commune_officer,
        regime=land.regime,
        unit=land.commune,
        period=open_period(land.version).iso,
    )


def in_english(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_the_home_page_reads_english_for_an_officer_who_chose_english(client, land):
    # given a commune reporting officer who chose English with the language switch
    in_english(client, land.commune_officer)
    spec = open_period(land.version)
    # when they open the reporting home page
    response = client.get(reverse("reporting:home"))
    # then the heading, the period and the entry button are in English
    page = response.content.decode()
    assert response.status_code == 200
    assert "My unit's reports" in page
    assert "Enter report" in page
    assert f"Month {spec.start.month}/{spec.year}" in page
    assert "Báo cáo của đơn vị" not in page
    assert "Nhập báo cáo" not in page


def test_the_home_page_stays_vietnamese_without_a_language_choice(client, land):
    # given an officer who chose no language
    client.force_login(land.commune_officer)
    spec = open_period(land.version)
    # when they open the reporting home page
    page = client.get(reverse("reporting:home")).content.decode()
    # then it is in Vietnamese
    assert "Báo cáo của đơn vị" in page
    assert f"Tháng {spec.start.month}/{spec.year}" in page
    assert "Enter report" not in page


def test_a_draft_report_page_reads_english_for_an_officer_who_chose_english(client, land):
    # given a draft report and its officer, who chose English
    report = draft(land)
    in_english(client, land.commune_officer)
    # when they open the report
    response = client.get(reverse("reporting:report", args=[report.pk]))
    # then the labels, the status and the buttons are in English
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Reporting unit", "Reporting period", "Draft", "Save draft", "Submit report", "Check"):
        assert text in page, text
    assert "Lưu nháp" not in page
    assert "Kỳ báo cáo" not in page


def test_a_submitted_report_reads_english_for_the_reviewer_who_chose_english(client, land):
    # given a submitted commune report and the district reviewer, who chose English
    report = draft(land)
    svc.report_values_save(
        actor=land.commune_officer,
        report=report,
        values={"HS_NHAN.default": "100", "HS_TRUC_TUYEN.MOT_PHAN": "30", "HS_TRUC_TUYEN.TOAN_TRINH": "20"},
    )
    svc.report_submit(actor=land.commune_officer, report=report)
    in_english(client, land.district_reviewer)
    # when the reviewer opens it
    page = client.get(reverse("reporting:report", args=[report.pk])).content.decode()
    # then the status and the review actions are in English
    assert "Submitted, awaiting review" in page
    assert "Review the report" in page
    assert "Reason for returning" in page
    assert "Đã gửi, chờ duyệt" not in page


def test_a_report_page_stays_vietnamese_without_a_language_choice(client, land):
    # given a draft report and an officer who chose no language
    report = draft(land)
    client.force_login(land.commune_officer)
    # when they open the report
    page = client.get(reverse("reporting:report", args=[report.pk])).content.decode()
    # then it is in Vietnamese
    assert "Kỳ báo cáo" in page
    assert "Lưu nháp" in page
    assert "Save draft" not in page


def test_report_statuses_have_english_labels():
    with translation.override("en"):
        labels = [str(label) for label in ReportStatus.labels]
    assert labels == ["Draft", "Submitted, awaiting review", "Returned", "Approved"]


def test_reporting_frequencies_have_english_labels():
    with translation.override("en"):
        labels = [str(label) for label in PeriodType.labels]
    assert labels == ["Monthly", "Quarterly", "Six-monthly", "Nine-monthly", "Yearly"]


@pytest.mark.parametrize(
    ("iso", "vietnamese", "english"),
    [
        ("202603", "Tháng 3/2026", "Month 3/2026"),
        ("2026Q3", "Quý 3/2026", "Q3 2026"),
        ("2026S1", "6 tháng đầu năm 2026", "First half of 2026"),
        ("2026S2", "6 tháng cuối năm 2026", "Second half of 2026"),
        ("2026N9", "9 tháng năm 2026", "First nine months of 2026"),
        ("2026", "Năm 2026", "Year 2026"),
    ],
)
def test_period_labels_follow_the_language(iso, vietnamese, english):
    # given a reporting period
    spec = period_parse(iso)
    # when its label is shown in each language
    with translation.override("vi"):
        in_vietnamese = spec.label()
    with translation.override("en"):
        in_english = spec.label()
    # then it reads naturally in both
    assert (in_vietnamese, in_english) == (vietnamese, english)


def test_a_value_error_reads_english_for_an_officer_who_chose_english(client, land):
    # given a draft report and its officer, who chose English
    report = draft(land)
    in_english(client, land.commune_officer)
    # when they save a word in a number cell
    response = client.post(
        reverse("reporting:report", args=[report.pk]),
        {"action": "save", "HS_NHAN.default": "abc"},
    )
    # then the cell's message is in English
    page = response.content.decode()
    assert "is not a number" in page
    assert "không phải là số" not in page


def untranslated_entries(path: Path) -> list[str]:
    """msgids of the catalogue that are fuzzy or have an empty translation."""
    bad, entry, field = [], {}, None

    def check():
        if entry.get("msgid") and (entry.get("fuzzy") or not all(entry.get("msgstr", {0: ""}).values())):
            bad.append(entry["msgid"])

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            check()
            entry, field = {}, None
        elif line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += text
            else:
                entry[field] = entry.get(field, "") + text
        else:
            keyword, _, value = line.partition(" ")
            text = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if "[" in keyword else 0
                entry.setdefault("msgstr", {})[index] = text
                field = ("msgstr", index)
            else:
                entry[keyword] = text
                field = keyword
    return bad


def test_every_message_of_the_catalogue_is_translated():
    # given the reporting app's English catalogue
    # when its entries are read
    missing = untranslated_entries(CATALOGUE)
    # then none is left fuzzy or empty
    assert not missing, f"untranslated in {CATALOGUE.name}: {missing[:5]}"
