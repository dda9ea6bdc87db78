import re

import pytest
from django.urls import reverse

from cqs.plans.tests.factories import BaselineValueFactory, DataNoteFactory, PlanFactory, ProjectFactory

PAGES = ["plans:detail", "plans:projects", "plans:systems"]


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("name", PAGES)
def test_pages_require_signing_in(client, plan, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_plan_page_shows_targets_by_area_baselines_and_highlights_the_discrepancy(signed_in, plan):
    html = text_of(signed_in.get(reverse("plans:detail")))

    assert "Kế hoạch phát triển chính quyền số và bảo đảm an toàn thông tin mạng" in html
    assert "5. Phát triển nguồn nhân lực" in html
    # structured target values: "> 30%", the 4–6 range, a qualitative target
    assert re.search(r'data-code="dvc-muc-do-4-ho-so-truc-tuyen">.*?&gt; 30%', html)
    assert "4–6 dịch vụ" in html
    assert "định tính" in html
    # baselines in Vietnamese number style, the wrong ratio highlighted
    assert "157.054" in html
    assert "1.116.511" in html
    assert re.search(r'<tr data-code="mot-cua-huyen-xa-dung-han" class="table-warning">', html)
    assert "90,08%" in html
    assert "146.777 / 161.578 = 90,84%" in html
    assert "hơn 7.000" in html


def test_projects_page_has_the_total_row_and_subtotals_by_lead_unit(signed_in, plan):
    html = text_of(signed_in.get(reverse("plans:projects")))

    total = re.search(r'<tr class="table-primary fw-semibold" id="projects-total">(.*?)</tr>', html).group(1)
    assert "TỔNG" in total
    assert "729.340" in total
    assert "640.563" in total
    assert "Cộng Sở Thông tin và Truyền thông (13 dự án, nhiệm vụ)" in html
    assert html.count('class="table-light subtotal"') == 24
    assert html.count("<tr data-number=") == 59
    assert "385.000" in html
    assert "Đầu tư công" in html
    assert 'class="table-responsive"' in html
    assert 'id="totals-mismatch"' not in html


def test_projects_page_warns_when_rows_do_not_add_up_to_the_stated_total(signed_in):
    plan = PlanFactory(stated_total_budget=5_000, stated_total_allocation=900)
    ProjectFactory(plan=plan, total_budget=1_000, allocation=900)
    html = text_of(signed_in.get(reverse("plans:projects")))
    assert 'id="totals-mismatch"' in html


def test_systems_page_lists_the_42_systems(signed_in, plan):
    html = text_of(signed_in.get(reverse("plans:systems")))
    assert html.count("<tr data-number=") == 42
    assert "Phụ lục 1: 42 hệ thống thông tin" in html
    assert "Hệ thống thu thập và quản lý trực tuyến thông tin xuất nhập khẩu" in html


@pytest.mark.parametrize("name", PAGES)
def test_pages_say_how_to_load_a_plan_when_there_is_none(signed_in, name):
    html = text_of(signed_in.get(reverse(name)))
    assert 'id="plan-empty"' in html
    assert "cqs demo" in html


def test_a_note_on_a_baseline_marks_its_row(signed_in):
    plan = PlanFactory()
    BaselineValueFactory(plan=plan, code="ho-so")
    BaselineValueFactory(plan=plan, code="van-ban")
    DataNoteFactory(plan=plan, subject_code="ho-so")
    html = text_of(signed_in.get(reverse("plans:detail")))
    assert '<tr data-code="ho-so" class="table-warning">' in html
    assert '<tr data-code="van-ban">' in html


def test_pages_render_in_english_too(signed_in, plan):
    signed_in.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = text_of(signed_in.get(reverse("plans:projects")))
    assert "Projects and budget" in html
    assert "Subtotal Sở Thông tin và Truyền thông (13 projects)" in html
    # figures stay in the plan's own style whatever the language
    assert "729.340" in html
