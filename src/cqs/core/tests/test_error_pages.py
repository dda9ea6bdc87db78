"""Error pages are in Vietnamese and carry the platform layout."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_an_unknown_page_gets_the_vietnamese_404_page(client):
    # when a page that does not exist is opened
    response = client.get("/khong-co-trang-nay/")
    # then the answer is 404 with our page
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


@pytest.mark.django_db
def test_a_form_posted_without_its_csrf_token_gets_the_vietnamese_page_and_writes_nothing():
    # given a client that enforces CSRF, as browsers do
    client = Client(enforce_csrf_checks=True)
    # when a login form is posted without the token
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    # then it is refused with our explanation
    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn" in response.content.decode()
