"""The documents module in English: its own catalogue (documents/locale) is found and used."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cqs.documents.choices import Direction, Secrecy, Urgency

pytestmark = pytest.mark.django_db


def test_the_dashboard_reads_english_for_a_clerk_who_chose_english(client, office):
    # given a clerk who chose English with the language switch
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(office.clerk)
    # when they open the documents dashboard
    response = client.get(reverse("documents:dashboard"))
    # then the title, the buttons and the work lists are in English
    page = response.content.decode()
    assert response.status_code == 200
    assert "Document management" in page
    assert "Register a paper document" in page
    assert "Incoming documents awaiting registration" in page
    assert "Quản lý văn bản" not in page


def test_the_dashboard_stays_vietnamese_without_a_language_choice(client, office):
    # given a clerk who chose no language
    client.force_login(office.clerk)
    # when they open the documents dashboard
    page = client.get(reverse("documents:dashboard")).content.decode()
    # then it is in Vietnamese, the platform's working language
    assert "Quản lý văn bản" in page
    assert "Document management" not in page


def test_urgency_and_secrecy_use_the_english_terms_of_records_management():
    # given the urgency and secrecy levels of Decree 30/2020
    # when they are shown in English
    with translation.override("en"):
        urgency = [str(label) for label in Urgency.labels]
        secrecy = [str(label) for label in Secrecy.labels]
    # then they read as records offices name them in English
    assert urgency == ["Normal", "Urgent", "Very urgent", "Flash"]
    assert secrecy == ["Not confidential", "Confidential", "Secret", "Top secret"]


def test_directions_read_incoming_and_outgoing_document_in_english():
    with translation.override("en"):
        assert [str(label) for label in Direction.labels] == ["Incoming document", "Outgoing document"]
