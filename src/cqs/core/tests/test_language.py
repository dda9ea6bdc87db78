"""Vietnamese by default, English only when the user chose it."""

import pytest
from django.conf import settings
from django.urls import reverse


@pytest.mark.django_db
def test_a_browser_asking_for_english_still_gets_vietnamese(client):
    # given a browser whose preferred language is English, and no choice made on the site
    # when it opens the landing page
    response = client.get(reverse("core:home"), headers={"accept-language": "en-US,en;q=0.9"})
    # then the page is in Vietnamese
    assert response["Content-Language"] == "vi"
    assert "Đăng nhập" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_cookie_gives_english(client):
    # given a user who picked English with the switch
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # when the landing page is opened
    response = client.get(reverse("core:home"))
    # then it is in English
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_vietnamese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("core:home"))
    assert response["Content-Language"] == "vi"
