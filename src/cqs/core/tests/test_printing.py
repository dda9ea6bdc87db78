"""Printed forms: layouts (shipped files or an administrator's), Vietnamese text, fonts, QR."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.contrib import admin
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.audit.models import AuditEvent
from cqs.core import assets, printing, services
from cqs.core.admin import PrintTemplateAdmin
from cqs.core.exceptions import ServiceError
from cqs.core.models import PrintTemplate
from cqs.core.templatetags import print_tags

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

CODE = "000.00.01.H62-260105-0001"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def context() -> dict:
    """Exactly the context the dossier code passes (plain dicts, strings and dates)."""
    lookup_url = f"https://dichvucong.example.invalid/tra-cuu/{CODE}"
    return {
        "unit_name": "Bộ phận Một cửa Thành phố Vĩnh Yên",
        "parent_unit_name": "UBND tỉnh Vĩnh Phúc",
        "place": "Vĩnh Phúc",
        "printed_on": dt.date(2026, 1, 5),
        "officer_name": "Trần Thị Bình",
        "dossier": {
            "code": CODE,
            "procedure_code": "1.001193",
            "procedure_name": "Đăng ký khai sinh",
            "applicant_name": "Nguyễn Văn An",
            "applicant_address": "Số 1 đường Hùng Vương, phường Ngô Quyền",
            "applicant_phone": "0912345678",
            "applicant_email": "an@example.invalid",
            "channel_label": "Trực tiếp",
            "received_at": at(5, 8, 30),
            "due_at": at(12, 16),
            "documents": [
                {"name": "Tờ khai đăng ký khai sinh", "original_count": 1, "copy_count": 0},
                {"name": "Giấy chứng sinh", "original_count": 1, "copy_count": 1},
            ],
            "lookup_url": lookup_url,
        },
        "reason": "Giấy chứng sinh chưa có xác nhận của cơ sở y tế.",
        "supplement_items": ["Giấy chứng sinh có xác nhận của bệnh viện nơi sinh"],
        "old_due_at": at(12, 16),
        "new_due_at": at(19, 16),
        "steps": [
            {
                "from_unit": "Bộ phận Một cửa",
                "from_person": "Trần Thị Bình",
                "to_unit": "Phòng Tư pháp",
                "to_person": "Lê Văn Cường",
                "handed_at": at(5, 9),
                "deadline": at(9, 16),
                "result_label": "Đúng hạn",
                "note": "Hồ sơ giấy",
            }
        ],
        "qr_text": lookup_url,
    }


def pdf_text(pdf: bytes, *args: str) -> str:
    command = [PDFTOTEXT, *args, "-", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=True)  # noqa: S603 - our own PDF
    return result.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces as single spaces (a long sentence may wrap)."""
    return " ".join(text.split())


@pytest.fixture
def root(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    return django_user_model.objects.create_superuser(username="root", password="x" * 12)


FORMS = [
    ("onestop_receipt", "Mẫu số 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    ("onestop_supplement", "Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    ("onestop_refusal", "Mẫu số 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
    ("onestop_apology", "Mẫu số 04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
    ("onestop_control_sheet", "Mẫu số 05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
]


# ----- the five one-stop forms -------------------------------------------------------------------


@needs_pdftotext
@pytest.mark.parametrize(("code", "number", "title"), FORMS)
def test_each_form_prints_its_title_number_header_applicant_and_code(context, code, number, title):
    # when the form is printed
    pdf = printing.pdf_render(template_code=code, context=context)
    # then it is a PDF whose text carries the Vietnamese exactly, diacritics included
    assert pdf.startswith(b"%PDF-")
    text = flat(pdf_text(pdf))
    assert title in text
    assert number in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "BỘ PHẬN MỘT CỬA THÀNH PHỐ VĨNH YÊN" in text
    assert "UBND TỈNH VĨNH PHÚC" in text
    assert "Nguyễn Văn An" in text
    assert CODE in text


@needs_pdftotext
def test_the_receipt_lists_the_documents_and_the_appointment(context):
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_receipt", context=context)))
    assert "Tờ khai đăng ký khai sinh" in text
    assert "Giấy chứng sinh" in text
    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 05/01/2026" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 12/01/2026" in text
    assert "Vĩnh Phúc, ngày 05 tháng 01 năm 2026" in text
    assert "Trần Thị Bình" in text


def test_the_receipt_embeds_the_qr_code_and_the_refusal_has_no_image(context):
    receipt = printing.pdf_render(template_code="onestop_receipt", context=context)
    refusal = printing.pdf_render(template_code="onestop_refusal", context=context)
    assert b"/Subtype /Image" in receipt
    assert b"/Subtype /Image" not in refusal


@needs_pdftotext
def test_the_supplement_request_lists_what_to_add_and_why(context):
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_supplement", context=context)))
    assert "1. Giấy chứng sinh có xác nhận của bệnh viện nơi sinh" in text
    assert "Lý do: Giấy chứng sinh chưa có xác nhận của cơ sở y tế." in text


@needs_pdftotext
def test_the_refusal_gives_the_reason(context):
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_refusal", context=context)))
    assert "từ chối tiếp nhận, giải quyết hồ sơ này với lý do: Giấy chứng sinh chưa có xác nhận" in text


@needs_pdftotext
def test_the_apology_gives_the_old_and_the_new_date(context):
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_apology", context=context)))
    assert "16 giờ 00 phút, ngày 12/01/2026" in text
    assert (
        "xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào 16 giờ 00 phút, ngày 19/01/2026"
        in text
    )


@needs_pdftotext
def test_the_control_sheet_has_one_row_per_hand_over(context):
    context["steps"].append({**context["steps"][0], "from_person": "Lê Văn Cường", "result_label": "Quá hạn"})
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_control_sheet", context=context)))
    assert "Phòng Tư pháp" in text
    assert "Đúng hạn" in text
    assert "Quá hạn" in text
    assert "09:00 ngày 05/01/2026" in text


@needs_pdftotext
def test_data_is_printed_as_text_never_as_markup(context):
    # given an applicant name that looks like HTML
    context["dossier"]["applicant_name"] = "Nguyễn <b>An</b>"
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_refusal", context=context)))
    assert "Nguyễn <b>An</b>" in text


# ----- page, fonts -------------------------------------------------------------------------------


@needs_pdftotext
def test_pages_are_a4_with_decree_30_margins(context):
    pdf = printing.pdf_render(template_code="onestop_receipt", context=context)
    # pdftotext -bbox gives each word's box in points (1 mm = 72 / 25.4 pt).
    boxes = pdf_text(pdf, "-bbox")
    assert 'width="595.28' in boxes and 'height="841.89' in boxes
    words = [line for line in boxes.splitlines() if line.strip().startswith("<word ")]
    x_min = min(float(w.split('xMin="')[1].split('"')[0]) for w in words)
    x_max = max(float(w.split('xMax="')[1].split('"')[0]) for w in words)
    mm = 72 / 25.4
    assert x_min >= 30 * mm - 0.5  # left margin 30 mm
    assert x_max <= 595.28 - 15 * mm + 0.5  # right margin 15 mm


@needs_pdftotext
def test_pages_after_the_first_are_numbered_at_the_top(context):
    # given a control sheet long enough for several pages
    context["steps"] = context["steps"] * 40
    pdf = printing.pdf_render(template_code="onestop_control_sheet", context=context)
    first, second = pdf_text(pdf, "-f", "1", "-l", "1"), pdf_text(pdf, "-f", "2", "-l", "2")
    # then page 2 starts with its number, page 1 has none, and the table's header row repeats
    assert second.split()[0] == "2"
    assert first.split()[0] == "Mẫu"
    assert "Kết quả" in second


def test_the_font_is_embedded_and_times_compatible(context):
    pdf = printing.pdf_render(template_code="onestop_refusal", context=context)
    assert b"/FontFile2" in pdf
    assert b"Tinos" in pdf or b"LiberationSerif" in pdf


def test_no_font_with_vietnamese_letters_is_font_missing(context, monkeypatch, tmp_path):
    # given a machine where neither `cqs assets` nor Debian provided a font
    monkeypatch.setattr(printing, "font_candidates", lambda: [{"": tmp_path / "none.ttf"}])
    # when a form is printed, then the error says what to do
    with pytest.raises(ServiceError) as caught:
        printing.pdf_render(template_code="onestop_receipt", context=context)
    assert caught.value.error_code == "font_missing"
    assert "cqs assets" in caught.value.detail


LIBERATION_1 = printing.SYSTEM_FONT_DIRS[1]


@pytest.mark.skipif(
    not (LIBERATION_1 / "LiberationSerif-Regular.ttf").is_file(), reason="fonts-liberation not installed"
)
def test_a_font_without_vietnamese_letters_is_not_used(monkeypatch):
    # given only Debian 12's fonts-liberation 1.07, which has no ơ, ư or ộ
    candidate = {style: LIBERATION_1 / name for style, name in printing.LIBERATION_FILES.items()}
    if all(printing._usable(path) for path in candidate.values()):
        pytest.skip("this fonts-liberation has Vietnamese letters")
    monkeypatch.setattr(printing, "font_candidates", lambda: [candidate])
    with pytest.raises(ServiceError) as caught:
        printing.font_files()
    assert caught.value.error_code == "font_missing"


def test_the_manifest_pins_the_tinos_font_with_its_registry_integrity():
    _, packages = assets.load_manifest()
    tinos = next(p for p in packages if p.name == "@expo-google-fonts/tinos")
    assert tinos.tarball == "https://registry.npmjs.org/@expo-google-fonts/tinos/-/tinos-0.4.2.tgz"
    assert tinos.integrity.startswith("sha512-MQkfvUO1Aw7UP3jRtWLcjda")
    assert set(printing.TINOS_FILES.values()) <= set(tinos.files)
    assert "LICENSE_FONT" in tinos.files  # the SIL Open Font License travels with the font


def test_a_scoped_package_is_extracted_under_its_scope_folder(monkeypatch, tmp_path):
    # given a scoped npm package (as the font is)
    from cqs.core.tests.test_assets import make_tarball, sri

    tarball = make_tarball({"package/fonts/a.ttf": b"font", "package/README.md": b"no"})
    manifest = tmp_path / "assets.json"
    manifest.write_text(
        '{"packages": [{"name": "@scope/font", "version": "1.0.0", "tarball": "https://r.invalid/f.tgz",'
        f' "integrity": "{sri(tarball)}", "files": ["fonts/a.ttf"]}}]}}'
    )
    monkeypatch.setattr(assets, "download", lambda url: tarball)
    # when it is installed, twice
    assets.sync(vendor_dir=tmp_path / "vendor", manifest=manifest, log=lambda line: None)
    fetched_again = assets.sync(vendor_dir=tmp_path / "vendor", manifest=manifest, log=lambda line: None)
    # then it sits in vendor/@scope/font/, with no staging folder left, and the second run is a no-op
    assert (tmp_path / "vendor/@scope/font/fonts/a.ttf").read_bytes() == b"font"
    assert sorted(p.name for p in (tmp_path / "vendor/@scope").iterdir()) == ["font"]
    assert fetched_again == 0


def test_a_package_name_escaping_the_vendor_folder_is_refused(tmp_path):
    manifest = tmp_path / "assets.json"
    manifest.write_text(
        '{"packages": [{"name": "../evil", "version": "1", "tarball": "", "integrity": "", "files": []}]}'
    )
    with pytest.raises(assets.AssetError, match="không hợp lệ"):
        assets.load_manifest(manifest)


# ----- an administrator's layouts ----------------------------------------------------------------


@needs_pdftotext
def test_a_saved_layout_is_used_by_the_next_pdf(context, root):
    # given the receipt printed with the shipped layout
    before = flat(pdf_text(printing.pdf_render(template_code="onestop_receipt", context=context)))
    # when an administrator saves a changed layout
    services.print_template_save(
        code="onestop_receipt",
        name="Giấy tiếp nhận (mẫu của tỉnh)",
        body="{% load print_tags %}<h1>BIÊN NHẬN HỒ SƠ</h1><p>Của: {{ dossier.applicant_name }}, "
        "hẹn trả {{ dossier.due_at|vn_appointment }}</p>{{ qr_img }}",
        actor=root,
    )
    after = flat(pdf_text(printing.pdf_render(template_code="onestop_receipt", context=context)))
    # then the next PDF follows it
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in before
    assert "BIÊN NHẬN HỒ SƠ" in after
    assert "Của: Nguyễn Văn An, hẹn trả 16 giờ 00 phút, ngày 12/01/2026" in after
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" not in after


def test_saving_a_layout_is_audited_with_its_author(root):
    template = services.print_template_save(
        code="onestop_refusal", name="Từ chối", body="<p>Một</p>", actor=root
    )
    services.print_template_save(code="onestop_refusal", name="Từ chối", body="<p>Hai</p>", actor=root)
    events = list(AuditEvent.objects.filter(object_type="core.printtemplate").order_by("id"))
    assert [e.action for e in events] == ["print_template.create", "print_template.update"]
    assert events[1].before["body"] == "<p>Một</p>" and events[1].after["body"] == "<p>Hai</p>"
    assert events[1].actor_id == root.pk
    template.refresh_from_db()
    assert template.updated_by == root
    assert PrintTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("<p>Một</p>\n<p>{% if dossier %}Hai</p>\n", 2),  # unclosed block tag
        ("<p>{{ dossier.code|khong_co_bo_loc }}</p>", 1),  # unknown filter
        ("<p>{% load khong_co_thu_vien %}</p>", 1),  # unknown library
    ],
)
def test_a_layout_that_does_not_compile_is_refused_with_its_line_and_writes_nothing(root, body, line):
    with pytest.raises(ServiceError) as caught:
        services.print_template_save(code="onestop_receipt", name="Hỏng", body=body, actor=root)
    assert caught.value.error_code == "template_invalid"
    assert f"dòng {line}" in caught.value.detail
    assert not PrintTemplate.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '<p>{% url "khong-co-trang-nay" %}</p>',  # fails only when rendered
        '<p>{% include "print/khong_co.html" %}</p>',  # fails only when rendered
        '<img src="/etc/hostname" width="10" height="10">',  # a server file: never read
        '<img src="http://127.0.0.1:9/a.png" width="10" height="10">',  # an address: never fetched
        "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>",  # fpdf2 cannot lay out
    ],
)
def test_a_layout_that_cannot_print_is_refused(root, body):
    with pytest.raises(ServiceError) as caught:
        services.print_template_save(code="onestop_receipt", name="Hỏng", body=body, actor=root)
    assert caught.value.error_code == "template_invalid"
    assert not PrintTemplate.objects.exists()


def test_a_broken_layout_already_in_the_database_is_template_invalid_when_printing(context):
    # given a row written around the service (an old import, a database edit)
    PrintTemplate.objects.create(code="onestop_receipt", name="Hỏng", body="{% for %}")
    with pytest.raises(ServiceError) as caught:
        printing.pdf_render(template_code="onestop_receipt", context=context)
    assert caught.value.error_code == "template_invalid"


@needs_pdftotext
def test_deleting_the_saved_layout_restores_the_default(context, root):
    services.print_template_save(code="onestop_receipt", name="Tạm", body="<p>Tạm thời</p>", actor=root)
    services.print_template_delete(code="onestop_receipt", actor=root)
    text = flat(pdf_text(printing.pdf_render(template_code="onestop_receipt", context=context)))
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert AuditEvent.objects.filter(action="print_template.delete").count() == 1


@pytest.mark.parametrize(
    ("code", "error_code"),
    [("khong_co_mau_nay", "print_template_not_found"), ("../base", "print_template_code_invalid")],
)
def test_an_unknown_or_malformed_code_is_refused(context, code, error_code):
    with pytest.raises(ServiceError) as caught:
        printing.pdf_render(template_code=code, context=context)
    assert caught.value.error_code == error_code


@pytest.mark.parametrize(
    ("field", "value", "error_code"),
    [
        ("code", "Mẫu 01", "print_template_code_invalid"),
        ("name", " ", "print_template_name_required"),
        ("body", "  ", "print_template_body_required"),
    ],
)
def test_save_refuses_missing_or_malformed_fields(root, field, value, error_code):
    fields = {"code": "onestop_receipt", "name": "Mẫu", "body": "<p>x</p>", field: value}
    with pytest.raises(ServiceError) as caught:
        services.print_template_save(**fields, actor=root)
    assert caught.value.error_code == error_code
    assert not PrintTemplate.objects.exists()


# ----- admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, root):
    """A superuser's session that passed the second factor (the admin requires it)."""
    device = TOTPDevice.objects.create(user=root, name="app", confirmed=True)
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_admin_form_shows_a_broken_layout_on_the_body_field(rf, root):
    model_admin = PrintTemplateAdmin(PrintTemplate, admin.site)
    request = rf.post("/admin/core/printtemplate/add/")
    request.user = root
    form = model_admin.get_form(request)(
        data={"code": "onestop_receipt", "name": "Hỏng", "body": "<p>\n{% if %}\n</p>"}
    )
    assert not form.is_valid()
    assert "dòng 2" in form.errors["body"][0]


def test_the_admin_saves_through_the_service_and_starts_from_the_default_layout(rf, root):
    model_admin = PrintTemplateAdmin(PrintTemplate, admin.site)
    request = rf.get("/admin/core/printtemplate/add/", {"code": "onestop_refusal"})
    request.user = root
    # given the add form for a code: it starts from the shipped layout
    initial = model_admin.get_changeform_initial_data(request)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in initial["body"]
    # when the administrator saves it
    form = model_admin.get_form(request)(data={"code": "onestop_refusal", "name": "Từ chối", **initial})
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)
    # then the service wrote and audited it
    assert PrintTemplate.objects.get(pk=obj.pk).updated_by == root
    assert AuditEvent.objects.filter(action="print_template.create").count() == 1


@needs_pdftotext
def test_the_admin_preview_serves_the_pdf_of_the_layout_in_force(admin_client, root):
    services.print_template_save(
        code="onestop_apology", name="Xin lỗi", body="<p>Bản xem thử</p>", actor=root
    )

    response = admin_client.get("/admin/core/printtemplate/preview/onestop_apology/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Bản xem thử" in pdf_text(response.content)


def test_the_admin_pages_list_add_and_change_layouts(admin_client, root):
    template = services.print_template_save(
        code="onestop_apology", name="Xin lỗi", body="<p>x</p>", actor=root
    )

    changelist = admin_client.get("/admin/core/printtemplate/")
    add = admin_client.get("/admin/core/printtemplate/add/", {"code": "onestop_receipt"})
    change = admin_client.get(f"/admin/core/printtemplate/{template.pk}/change/")

    assert changelist.status_code == add.status_code == change.status_code == 200
    assert "/admin/core/printtemplate/preview/onestop_apology/" in changelist.content.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in add.content.decode()
    assert "/admin/core/printtemplate/preview/onestop_apology/" in change.content.decode()


def test_the_admin_preview_needs_a_signed_in_administrator(client):
    response = client.get("/admin/core/printtemplate/preview/onestop_apology/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# ----- date filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
        (dt.date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
        (dt.date(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (dt.date(2026, 12, 31), "ngày 31 tháng 12 năm 2026"),
        (None, ""),
    ],
)
def test_long_dates_follow_decree_30(value, expected):
    assert print_tags.vn_long_date(value) == expected


def test_appointments_are_in_local_time():
    # 01:30 UTC is 08:30 in Hà Nội
    value = dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.UTC)
    assert print_tags.vn_appointment(value) == "08 giờ 30 phút, ngày 05/01/2026"
    assert print_tags.vn_date(value) == "05/01/2026"
    assert print_tags.vn_time_date(value) == "08:30 ngày 05/01/2026"
