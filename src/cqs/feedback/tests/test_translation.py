"""Citizen feedback in English: its own catalogue (feedback/locale) is found, complete and used, and
the words other catalogues translate differently (lĩnh vực, mức độ, nội dung, …) read as feedback
terms here; without a language choice the pages stay Vietnamese, the platform's working language."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from cqs.feedback.choices import Status, Urgency
from cqs.feedback.forms import ProvideInfoForm, ReportForm
from cqs.feedback.models import Report
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.tests.world import POINT
from cqs.feedback.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def filed(world) -> Report:
    report, _created = report_submit(
        category=world.pothole,
        title="Ổ gà trước cổng trường",
        description="Ổ gà lớn giữa đường, gọi 0912 345 678 nếu cần.",
        attributes={"kich-thuoc": "lon"},
        lat=POINT[0],
        lon=POINT[1],
        area=world.commune_a,
        contact_name="Trần Thị B",
        contact_phone="0912 345 678",
    )
    return report


def in_english(client, user=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- public pages --------------------------------------------------------------------------------


def test_the_public_map_reads_english_for_a_visitor_who_chose_english(client, world):
    # given a visitor who chose English with the language switch
    in_english(client)
    # when they open the public map of reports
    html = page(client, reverse("feedback:home"))
    # then the navigation, the filters and the legend are in English, with feedback words
    for text in ("Report map", "Look up", "Send a report", "Category", "Status", "In progress"):
        assert text in html, text
    for text in ("Bản đồ phản ánh", "Gửi phản ánh", "Lĩnh vực", "Tình trạng", "Field", "Timeliness"):
        assert text not in html, text


def test_the_report_form_reads_english_with_its_help_texts(client, world):
    # given a visitor who chose English
    in_english(client)
    # when they open the form to send a report
    html = page(client, reverse("feedback:report-new"))
    # then the steps, the labels and the photo help text are in English
    for text in ("Send feedback or a petition", "1. Category", "Urgency", "Use my location", "JPEG or PNG"):
        assert text in html, text
    for text in ("Mức độ", "Importance", "Dùng vị trí của tôi", "ảnh JPEG hoặc PNG"):
        assert text not in html, text


def test_the_status_page_reads_english_and_shows_the_answer(client, world):
    # given an answered and published report, and a visitor who chose English
    report = filed(world)
    report_act(report=report, action="accept", actor=world.handler_a)
    report_act(report=report, action="answer", actor=world.handler_a, answer="Đã vá ổ gà ngày 3/3.")
    report_act(report=report, action="publish", actor=world.leader_a)
    in_english(client)
    # when they open the report's status page
    html = page(client, reverse("feedback:status", args=[report.code]))
    # then the labels and the status are in English; the people's text stays as written
    for text in (f"Report {report.code}", "Answer published", "Answer of the competent agency", "Accepted"):
        assert text in html, text
    assert "Đã vá ổ gà ngày 3/3." in html
    assert "Trả lời của cơ quan có thẩm quyền" not in html
    assert "Đã công khai trả lời" not in html


def test_the_public_pages_stay_vietnamese_without_a_language_choice(client, world):
    # given a visitor who chose no language
    # when they open the public map
    html = page(client, reverse("feedback:home"))
    # then it is in Vietnamese
    assert "Bản đồ phản ánh" in html
    assert "Report map" not in html


# --- staff pages ---------------------------------------------------------------------------------


def test_the_inbox_reads_english_for_a_handler_who_chose_english(client, world):
    # given a new report and its handler, who chose English
    report = filed(world)
    in_english(client, world.handler_a)
    # when they open the inbox
    html = page(client, reverse("feedback:inbox"))
    # then the heading, the filters, the columns and the report's status are in English
    assert report.code in html
    for text in (
        "Feedback and petitions to handle",
        "Overdue reports only",
        "Category",
        "Urgency",
        "Handling unit",
        "Received",
    ):
        assert text in html, text
    for text in ("Phản ánh, kiến nghị cần xử lý", "Đã tiếp nhận", "Lĩnh vực", "Field", "Importance"):
        assert text not in html, text


def test_a_report_page_offers_its_actions_in_english(client, world):
    # given a new report and its handler, who chose English
    report = filed(world)
    in_english(client, world.handler_a)
    # when they open the report
    html = page(client, reverse("feedback:staff-detail", args=[report.code]))
    # then the sections and the actions are in English
    for text in ("Reporter", "Deadlines", "Accept", "Refuse", "Forward to the competent unit", "Reclassify"):
        assert text in html, text
    for text in ("Thụ lý", "Không thụ lý", "Phân loại lại", "Người phản ánh"):
        assert text not in html, text


def test_the_inbox_stays_vietnamese_without_a_language_choice(client, world):
    # given a handler who chose no language
    filed(world)
    client.force_login(world.handler_a)
    # when they open the inbox
    html = page(client, reverse("feedback:inbox"))
    # then it is in Vietnamese
    assert "Phản ánh, kiến nghị cần xử lý" in html
    assert "Đã tiếp nhận" in html
    assert "Feedback and petitions to handle" not in html


# --- labels and contexts -------------------------------------------------------------------------


def test_statuses_and_urgencies_have_english_labels():
    with translation.override("en"):
        statuses = [str(label) for label in Status.labels]
        urgencies = [str(label) for label in Urgency.labels]
    assert statuses == [
        "Received",
        "Accepted",
        "Forwarded to the competent unit",
        "In progress",
        "Waiting for more information from the reporter",
        "Answered",
        "Answer published",
        "Closed",
        "Reopened",
        "Refused",
        "Transferred to an agency outside the platform",
    ]
    assert urgencies == ["Normal", "Urgent", "Complex"]


def test_the_refusal_reads_as_an_action_on_buttons_and_as_a_state_in_lists():
    with translation.override("en"):
        assert str(TRANSITIONS["reject"].label) == "Refuse"
        assert str(Status.REJECTED.label) == "Refused"
    with translation.override("vi"):
        assert str(TRANSITIONS["reject"].label) == str(Status.REJECTED.label) == "Không thụ lý"


@pytest.mark.parametrize(
    ("context", "vietnamese", "english"),
    [
        ("feedback category", "Lĩnh vực", "Category"),
        ("feedback category", "lĩnh vực", "category"),
        ("feedback urgency", "Mức độ", "Urgency"),
        ("feedback status", "Đang xử lý", "In progress"),
        ("feedback status", "Tình trạng", "Status"),
        ("feedback", "nội dung", "description"),
    ],
)
def test_words_other_catalogues_translate_differently_have_a_feedback_context(context, vietnamese, english):
    # given a word that another catalogue translates for its own module (one-stop "Field", …)
    with translation.override("en"):
        # then the feedback context gives the feedback term, and the plain word is left to the others
        assert pgettext(context, vietnamese) == english
        assert gettext(vietnamese) != english


def test_model_and_form_labels_follow_the_language():
    with translation.override("en"):
        assert str(Report._meta.get_field("description").verbose_name) == "description"
        assert str(Report._meta.get_field("category").verbose_name) == "category"
        assert str(ReportForm.base_fields["photos"].help_text).startswith("Up to 5 JPEG or PNG photos")
        assert str(ProvideInfoForm.base_fields["photos"].help_text) == "Up to 5 JPEG or PNG photos."
    with translation.override("vi"):
        assert str(ProvideInfoForm.base_fields["photos"].help_text) == "Tối đa 5 ảnh JPEG hoặc PNG."


# --- the catalogue -------------------------------------------------------------------------------


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
    # given the feedback app's English catalogue
    # when its entries are read
    missing = untranslated_entries(CATALOGUE)
    # then none is left fuzzy or empty
    assert not missing, f"untranslated in {CATALOGUE.name}: {missing[:5]}"
