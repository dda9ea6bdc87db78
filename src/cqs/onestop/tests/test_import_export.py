import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from cqs.core.exceptions import ServiceError
from cqs.onestop.exports import procedures_export_json, procedures_export_xlsx, procedures_read_xlsx
from cqs.onestop.laythutuc import parse_amount, parse_payload
from cqs.onestop.models import Procedure
from cqs.onestop.services import procedures_import, version_content
from cqs.onestop.tests.conftest import db_state
from cqs.onestop.tests.factories import publish
from cqs.orgs.tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

FIELD_RECORD = {
    # As the field sends it: single objects instead of lists, amounts as Vietnamese strings.
    "MATTHC": "1.001612",
    "TENTTHC": "Chứng thực chữ ký",
    "LINHVUCTHUCHIEN": {"MALINHVUC": "CT", "TENLINHVUC": "Chứng thực"},
    "CAPTHUCHIEN": "Cấp Xã",
    "CACHTHUCTHUCHIEN": {
        "KENH": "1",
        "THOIGIAN": {
            "THOIGIANGIAIQUYET": "0,5",
            "DONVITINH": "Ngày làm việc",
            "PHILEPHI": {"SOTIEN": "10.000", "MOTA": "Phí chứng thực chữ ký"},
        },
    },
    "THANHPHANHOSO": {"GIAYTO": {"TENGIAYTO": "Giấy tờ tùy thân", "SOBANCHINH": "1", "SOBANSAO": ""}},
    "MUCDO": "3",
    "CANCUPHAPLY": [{"SOVANBAN": "23/2015/NĐ-CP", "TENVANBAN": "Nghị định về chứng thực"}],
}


def test_the_parser_accepts_what_the_field_sends():
    # when
    [record] = parse_payload({"data": [FIELD_RECORD]})

    # then
    data = record.data
    assert record.code == "1.001612"
    assert (data["sector_code"], data["levels"], data["channels"]) == ("CT", ["xa"], [1])
    assert str(data["processing_time"]) == "0.5" and data["processing_time_unit"] == "working_days"
    assert data["fees"] == [
        {"kind": "phi", "code": "", "amount": 10000, "description": "Phí chứng thực chữ ký"}
    ]
    assert data["documents"][0]["original_count"] == 1 and data["documents"][0]["copy_count"] == 0
    assert (data["legacy_level"], data["online_level"]) == (3, "mot-phan")
    assert data["legal_basis"] == "23/2015/NĐ-CP – Nghị định về chứng thực"


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("50.000", 50000),
        ("50,000", 50000),
        (50000, 50000),
        (50000.0, 50000),
        ("0", 0),
        ("1.200.000 đồng", 1200000),
    ],
)
def test_amounts_are_read_in_vietnamese_notation(value, amount):
    assert parse_amount(value, "x") == amount


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (
            {
                "CACHTHUCTHUCHIEN": {
                    "THOIGIAN": {
                        "THOIGIANGIAIQUYET": "5",
                        "DONVITINH": "Ngày làm việc",
                        "PHILEPHI": [{"SOTIEN": "năm nghìn"}],
                    }
                }
            },
            "[0].CACHTHUCTHUCHIEN[0].THOIGIAN[0].PHILEPHI[0].SOTIEN",
            "invalid_payload",
        ),
        (
            {"CACHTHUCTHUCHIEN": {"THOIGIAN": {"THOIGIANGIAIQUYET": "5", "DONVITINH": "Tuần"}}},
            "[0].CACHTHUCTHUCHIEN[0].THOIGIAN[0].DONVITINH",
            "invalid_time_unit",
        ),
        ({"MATTHC": None}, "[0].MATTHC", "invalid_payload"),
        ({"LINHVUCTHUCHIEN": []}, "[0].LINHVUCTHUCHIEN", "invalid_payload"),
        ({"CAPTHUCHIEN": ["Cấp Bộ"]}, "[0].CAPTHUCHIEN[0]", "invalid_payload"),
        (
            {"THANHPHANHOSO": {"GIAYTO": [{"TENGIAYTO": "A", "SOBANCHINH": "một"}]}},
            "[0].THANHPHANHOSO[0].GIAYTO[0].SOBANCHINH",
            "invalid_payload",
        ),
    ],
)
def test_malformed_records_are_refused_naming_the_path(change, path, code):
    with pytest.raises(ServiceError) as error:
        parse_payload([FIELD_RECORD | change])
    assert error.value.error_code == code
    assert error.value.field == path
    assert path in error.value.detail


def test_a_duplicate_code_in_one_file_is_refused():
    with pytest.raises(ServiceError) as error:
        parse_payload([FIELD_RECORD, FIELD_RECORD])
    assert error.value.field == "[1].MATTHC"


def _snapshot() -> dict:
    return {
        p.code: (
            p.sector.code,
            p.levels,
            sorted(u.identifier for u in p.units.all()),
            version_content(p.versions.get()),
        )
        for p in Procedure.objects.all()
    }


def test_json_export_then_import_gives_the_same_catalogue():
    # given: a catalogue with units, fees and documents
    unit = OrgUnitFactory(identifier="000.00.40.H44", valid_from=date(2020, 1, 1))
    publish("1.000001", units=[unit])
    publish(
        "1.000002", name="Cấp bản sao trích lục hộ tịch", levels=["tinh", "huyen"], legacy_level=None, fees=[]
    )
    exported = procedures_export_json(as_of=date(2026, 1, 1))
    before = _snapshot()

    # when: the catalogue is emptied and the export imported back
    for procedure in Procedure.objects.all():
        procedure.versions.all().delete()
        procedure.delete()
    summary = procedures_import(records=parse_payload(json.loads(json.dumps(exported))))

    # then
    assert summary["created"] == ["1.000001", "1.000002"]
    assert _snapshot() == before


def test_excel_export_then_import_gives_the_same_catalogue():
    # given
    publish("1.000001")
    publish("1.000002", name="Hai", fees=[{"kind": "phi", "amount": 2000, "description": "Phí"}] * 2)
    content = procedures_export_xlsx(as_of=date(2026, 1, 1))
    before = _snapshot()
    for procedure in Procedure.objects.all():
        procedure.versions.all().delete()
        procedure.delete()

    # when
    summary = procedures_import(records=procedures_read_xlsx(content))

    # then
    assert sorted(summary["created"]) == ["1.000001", "1.000002"]
    assert _snapshot() == before


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(ServiceError) as error:
        procedures_read_xlsx(b"not a workbook")
    assert error.value.error_code == "invalid_payload"


def test_an_import_with_one_bad_record_writes_nothing():
    # given: the second record names a unit that does not exist
    before = db_state()
    good = FIELD_RECORD
    bad = FIELD_RECORD | {"MATTHC": "1.000009", "COQUANTHUCHIEN": [{"MADONVI": "000.00.99.H99"}]}

    # when
    with pytest.raises(ServiceError) as error:
        procedures_import(records=parse_payload([good, bad]), valid_from=date(2025, 7, 1))

    # then
    assert error.value.error_code == "unknown_unit"
    assert "[1].COQUANTHUCHIEN[0]" in error.value.detail
    assert db_state() == before


def test_import_command_dry_run_writes_nothing_then_imports(tmp_path):
    # given
    path = tmp_path / "thutuc.json"
    path.write_text(json.dumps([FIELD_RECORD], ensure_ascii=False), encoding="utf-8")
    before = db_state()

    # when: dry run
    out = io.StringIO()
    call_command(
        "onestop_import_procedures", str(path), "--dry-run", "--valid-from", "2025-07-01", stdout=out
    )

    # then
    assert "1 thủ tục mới" in out.getvalue()
    assert db_state() == before

    # when: for real, twice
    call_command("onestop_import_procedures", str(path), "--valid-from", "2025-07-01", stdout=io.StringIO())
    out = io.StringIO()
    call_command("onestop_import_procedures", str(path), "--valid-from", "2025-08-01", stdout=out)

    # then
    assert Procedure.objects.get().versions.count() == 1
    assert "1 không đổi" in out.getvalue()


def test_import_command_reports_the_error_code_and_path(tmp_path):
    path = tmp_path / "thutuc.json"
    path.write_text(json.dumps([FIELD_RECORD | {"MUCDO": "7"}]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"\[invalid_payload\] \[0\]\.MUCDO"):
        call_command("onestop_import_procedures", str(path), stdout=io.StringIO())


def test_export_command_writes_laythutuc_json(tmp_path):
    publish("1.000001")
    out = io.StringIO()
    call_command("onestop_export_procedures", "--as-of", "2026-01-01", stdout=out)
    [record] = json.loads(out.getvalue())
    assert record["MATTHC"] == "1.000001"
    assert record["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0]["SOTIEN"] == 8000
    xlsx = tmp_path / "tthc.xlsx"
    call_command("onestop_export_procedures", "--xlsx", "-o", str(xlsx))
    assert xlsx.read_bytes()[:2] == b"PK"
