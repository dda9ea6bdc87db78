"""The one-stop shop of issue 3 in a real browser: online filing with payment, supplement and a
signed result; counter intake with an overdue dossier and its apology; the lookup on a phone."""

# ruff: noqa: F811  (the tests' parameters are the fixtures imported from onestop_fixtures)

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.onestop_fixtures import (  # noqa: F401
    desk,
    filed_online,
    onestop_desk,
    paygov,
    pdf_file,
    person,
)

pytestmark = pytest.mark.browser

PROCEDURE = "1.000001"
STATUS_CODES = {"submitted": "1", "received": "2", "processing": "4", "supplement": "5", "returned": "10"}


def open_dossier(page, site, pk: int) -> None:
    page.goto(f"{site}/onestop/ho-so/{pk}/")


def act(page, action: str, **fields: str) -> None:
    """Fill the form ``#action-<action>`` (field id → value) and press its button."""
    form = page.locator(f"#action-{action}")
    for selector, value in fields.items():
        form.locator(f"#{selector}").fill(value)
    form.locator(f"button[data-action={action}]").click()
    page.wait_for_load_state()


def fetch_pdf(page, site, selector: str) -> bytes:
    """What the link ``selector`` returns, fetched with the page's session."""
    response = page.request.get(site + page.locator(selector).get_attribute("href"))
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    return response.body()


def dossier_pk(page) -> int:
    match = re.search(r"/onestop/ho-so/(\d+)/", page.url)
    assert match, f"not on a dossier page: {page.url}"
    return int(match.group(1))


def test_citizen_files_pays_and_gets_a_signed_result(site, onestop_desk, paygov, person, pdf_file):
    from cqs.core.signing import pdf_verify

    citizen = person("congdan")

    # given: the citizen reads the procedure page
    citizen.goto(f"{site}/onestop/procedures/{PROCEDURE}/")
    expect(citizen.locator("#procedure-name")).to_contain_text("Đăng ký khai sinh")

    # when: they open the filing page, fill the declaration, attach the paper and submit
    citizen.click("#file-online")
    expect(citizen.locator("#filing-form")).to_be_visible()
    citizen.select_option("#id_unit", str(onestop_desk.unit.pk))
    citizen.fill("#id_tk-noi_dung", "Đề nghị đăng ký khai sinh cho con.")
    citizen.set_input_files(f"#doc-{onestop_desk.document.pk}", pdf_file("to-khai.pdf"))
    citizen.click("#submit-dossier")

    # then: the dossier page shows the new dossier with its code
    status = citizen.locator("#dossier-status")
    expect(status).to_have_attribute("data-status", STATUS_CODES["submitted"])
    expect(status).to_have_text("Mới đăng ký")
    code = citizen.locator("#dossier-code").inner_text().strip()
    today = timezone.localdate()
    assert re.fullmatch(rf"{re.escape(onestop_desk.unit.identifier)}-{today:%y%m%d}-\d{{4}}", code), code
    pk = dossier_pk(citizen)

    # when: they pay online and the gateway says the payment went through
    citizen.click("#pay-button")
    citizen.wait_for_url(f"{paygov.url}/pay?*")
    expect(citizen.locator("body")).to_contain_text("8.000 đ")
    citizen.get_by_role("button", name="Thanh toán thành công").click()

    # then: back on the dossier page, paid
    citizen.wait_for_url(f"{site}/onestop/ho-so/{pk}/")
    expect(citizen.locator("#dossier-paid")).to_have_text("Đã thanh toán trực tuyến")
    expect(citizen.locator("#pay-button")).to_have_count(0)

    # when: the one-stop officer receives the dossier and assigns it to the specialist
    officer = person("motcua")
    open_dossier(officer, site, pk)
    act(officer, "receive")
    expect(officer.locator("#dossier-status")).to_have_attribute("data-status", STATUS_CODES["received"])
    officer.select_option("#to-user-assign", str(onestop_desk.specialist.pk))
    act(officer, "assign")
    expect(officer.locator("#dossier-status")).to_have_attribute("data-status", STATUS_CODES["processing"])

    # and: the specialist asks for a supplement
    specialist = person("chuyenvien")
    open_dossier(specialist, site, pk)
    act(
        specialist,
        "request_supplement",
        items="Bản sao giấy chứng sinh",
        **{"note-request_supplement": "Thiếu giấy chứng sinh."},
    )
    expect(specialist.locator("#dossier-status")).to_have_attribute("data-status", STATUS_CODES["supplement"])

    # then: the citizen sees what is asked, uploads it and sends the supplement
    open_dossier(citizen, site, pk)
    card = citizen.locator("#supplement-card")
    expect(card).to_contain_text("Thiếu giấy chứng sinh.")
    expect(card).to_contain_text("Bản sao giấy chứng sinh")
    citizen.set_input_files("#supplement-files", pdf_file("giay-chung-sinh.pdf", "Giay chung sinh"))
    citizen.click("#supplement-submit")
    expect(citizen.locator("#messages")).to_contain_text("Đã gửi hồ sơ bổ sung")
    expect(citizen.locator("#supplement-card")).to_have_count(0)

    # when: the specialist proposes the result, the leader approves and signs it, the officer
    # returns it
    open_dossier(specialist, site, pk)
    act(specialist, "propose", **{"note-propose": "Cấp giấy khai sinh cho cháu Nguyễn Văn Bình."})
    expect(specialist.locator("#dossier-stage")).to_have_text("Chờ lãnh đạo phê duyệt")
    leader = person("lanhdao")
    open_dossier(leader, site, pk)
    act(leader, "approve")
    expect(leader.locator("#dossier-status")).to_have_text("Đã xử lý xong")
    open_dossier(officer, site, pk)
    act(officer, "return_result")
    expect(officer.locator("#dossier-status")).to_have_attribute("data-status", STATUS_CODES["returned"])

    # then: the citizen downloads a signed PDF
    open_dossier(citizen, site, pk)
    expect(citizen.locator("#dossier-status")).to_have_text("Đã trả kết quả")
    with citizen.expect_download() as download_info:
        citizen.click("#dossier-files a[data-role=ket-qua]")
    result = download_info.value
    data = Path(result.path()).read_bytes()
    assert data.startswith(b"%PDF")
    signatures = pdf_verify(pdf=data)
    assert len(signatures) == 1 and signatures[0].intact and signatures[0].trusted

    # when: they rate the service on every criterion, with a comment
    form = citizen.locator("#rating-form")
    for fieldset in form.locator("fieldset").all():
        fieldset.locator("input[type=radio][value='3']").check()
    form.locator("textarea[name=comment]").fill("Cán bộ hướng dẫn tận tình.")
    citizen.click("#rating-submit")

    # then: they are thanked, and no page of theirs broke the Content-Security-Policy
    expect(citizen.locator("#messages")).to_contain_text("Cảm ơn bạn đã đánh giá")
    expect(citizen.locator("#rated")).to_be_visible()
    expect(citizen.locator("#rating-form")).to_have_count(0)
    assert citizen.console_log.csp_violations == []
    for official in (officer, specialist, leader):
        assert official.console_log.csp_violations == []


def next_weekday(after, weekday: int):
    """The first day after ``after`` falling on ``weekday`` (Monday 0 … Sunday 6)."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def test_counter_intake_and_an_overdue_dossier_gets_an_apology(site, onestop_desk, person):
    from cqs.core.calendar import add_working_days
    from cqs.onestop.models import Dossier
    from cqs.onestop.services import dossiers_overdue_mark

    officer = person("motcua")

    # given: the officer at the counter chooses the unit and the procedure
    officer.goto(f"{site}/onestop/ho-so/")
    officer.click("#intake-link")
    officer.select_option("#unit", str(onestop_desk.unit.pk))
    officer.select_option("#procedure", PROCEDURE)
    officer.click("#intake-continue")

    # when: they fill in the applicant and the declaration, tick the paper seen and submit
    officer.fill("#id_name", "Trần Thị Bình")
    officer.fill("#id_cccd", "026090005678")
    officer.fill("#id_phone", "0987654321")
    officer.fill("#id_tk-noi_dung", "Đề nghị đăng ký khai sinh.")
    officer.check(f"#checked-{onestop_desk.document.pk}")
    officer.click("#intake-submit")

    # then: the dossier is received, and its receipt is a PDF
    status = officer.locator("#dossier-status")
    expect(status).to_have_text("Được tiếp nhận")
    pk = dossier_pk(officer)
    assert fetch_pdf(officer, site, "#print-links a[href$='/in/receipt/']").startswith(b"%PDF")

    # given: the dossier is past its due date and the overdue check has run
    Dossier.objects.filter(pk=pk).update(due_at=timezone.now() - timedelta(days=1))
    assert dossiers_overdue_mark() == 1

    # when: the officer lists the overdue dossiers
    officer.goto(f"{site}/onestop/ho-so/")
    officer.check("#overdue")
    officer.click("#worklist-filter button[type=submit]")

    # then: the dossier is there with the overdue badge
    row = officer.locator("#dossier-table tbody tr").filter(has_text="Trần Thị Bình")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Quá hạn")

    # when: they open it and try to promise a Sunday
    row.locator("a").click()
    expect(officer.locator("#dossier-overdue")).to_be_visible()
    due_before = officer.locator("#dossier-due").inner_text()
    sunday = next_weekday(timezone.localdate(), 6)
    act(officer, "apologise", **{"new-due-at": f"{sunday:%Y-%m-%d}T10:00", "note-apologise": "Chờ xác minh."})

    # then: the page says it is a day off, and nothing changed
    expect(officer.locator("#messages")).to_contain_text("ngày nghỉ")
    expect(officer.locator("#dossier-due")).to_have_text(due_before)
    expect(officer.locator("#print-apology")).to_have_count(0)
    assert Dossier.objects.get(pk=pk).promised_at is None

    # when: they promise a working day instead
    working_day = add_working_days(timezone.localdate(), 2)
    act(
        officer,
        "apologise",
        **{"new-due-at": f"{working_day:%Y-%m-%d}T10:00", "note-apologise": "Chờ xác minh."},
    )

    # then: the page shows the new appointment and the apology letter is a PDF
    expect(officer.locator("#dossier-due")).to_contain_text(f"{working_day:%d/%m/%Y} 10:00")
    expect(officer.locator("#dossier-due")).to_contain_text("đã hẹn lại")
    promised = timezone.localtime(Dossier.objects.get(pk=pk).promised_at)
    assert promised.replace(tzinfo=None) == datetime.combine(working_day, time(10, 0))
    assert fetch_pdf(officer, site, "#print-apology").startswith(b"%PDF")


def test_lookup_on_a_phone_shows_the_status_without_personal_data(site, filed_online, person):
    # given: a dossier filed online by the citizen (phone 0912345678, CCCD 026090001234)
    dossier = filed_online
    phone = person(phone=True)

    # when: someone looks it up on a phone with its code and the last four digits of the phone
    phone.goto(f"{site}/onestop/tra-cuu/")
    phone.fill("#id_ma", dossier.code)
    phone.fill("#id_so", "5678")
    phone.click("#lookup-submit")

    # then: the status shows, on a page that fits the screen, with no personal number on it
    expect(phone.locator("#lookup-status")).to_have_text("Mới đăng ký")
    expect(phone.locator("#lookup-result")).to_contain_text(dossier.code)
    html = phone.content()
    assert "026090001234" not in html and "0912345678" not in html
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_log.csp_violations == []
