"""DHIS2 dataValueSets import (service and endpoints) on the ``land`` regime BC_CNTT (monthly,
cut-off 14th; period 202603 has window 15/2–14/3, deadline 17/3, lock 28/3/2026)."""

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from cqs.audit.models import AuditEvent
from cqs.reporting.choices import ReportAction, ReportStatus, ValueSource
from cqs.reporting.dhis import formats
from cqs.reporting.models import DataValue, RegimeVersion, Report, ReportEvent
from cqs.reporting.services import reports as svc
from cqs.reporting.services.imports import datavalueset_import, registrations_complete

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ENDPOINT = "/dhis/api/dataValueSets"
CONFORMANCE = Path(os.environ.get("CQS_CONFORMANCE_DIR") or "/work/shared/conformance")
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def at(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=TZ)


def dv(unit, element="HS_NHAN", value="10", period="202603", **extra):
    return {"dataElement": element, "period": period, "orgUnit": str(unit.pk), "value": value, **extra}


def run(land, values, *, actor=None, now=None, **options):
    return datavalueset_import(
        actor=actor or land.commune_officer, values=values, now=now or at(2026, 3, 10), **options
    )


def codes(summary):
    return {c.error_code for c in summary.conflicts}


# --- service -------------------------------------------------------------------------------


def test_codes_accepted_where_uids_expected_open_a_draft_and_store_api_values(land):
    summary = run(
        land,
        [
            dv(land.commune, storedBy="someone-else"),
            dv(land.commune, "HS_TRUC_TUYEN", "3", categoryOptionCombo="MOT_PHAN"),
        ],
    )

    assert summary.status == "SUCCESS"
    assert (summary.imported, summary.updated, summary.ignored, summary.deleted) == (2, 0, 0, 0)
    report = Report.objects.get(regime=land.regime, unit=land.commune, period__iso="202603")
    assert report.status == ReportStatus.DRAFT and report.reviewer_unit == land.district
    values = {
        v.indicator.code: v for v in DataValue.objects.filter(report=report).select_related("indicator")
    }
    assert values["HS_NHAN"].number == 10 and values["HS_TRUC_TUYEN"].option_combo.code == "MOT_PHAN"
    assert {v.source for v in values.values()} == {ValueSource.API}
    assert {v.stored_by for v in values.values()} == {"baocao.xa1"}


def test_one_imported_event_per_report_and_one_audit_event_per_import(land):
    run(land, [dv(land.commune), dv(land.commune2, value="4")], actor=land.district_officer)

    actions = list(ReportEvent.objects.values_list("action", flat=True))
    assert actions.count(ReportAction.IMPORTED) == 2
    assert actions.count(ReportAction.CREATED) == 2
    assert AuditEvent.objects.filter(action="reporting.datavalueset_import").count() == 1


def test_uids_and_unit_codes_resolve(land):
    from cqs.reporting.models import CategoryOptionCombo, Indicator

    indicator = Indicator.objects.get(code="HS_TRUC_TUYEN")
    coc = CategoryOptionCombo.objects.get(code="TOAN_TRINH")
    value = {
        "dataElement": indicator.uid,
        "categoryOptionCombo": coc.uid,
        "period": "202603",
        "orgUnit": land.commune.identifier,
        "value": "7",
    }

    summary = run(land, [value], org_unit_id_scheme="CODE")

    assert summary.imported == 1
    assert DataValue.objects.get().option_combo == coc


def test_second_import_updates_and_deleted_or_empty_values_delete(land):
    run(land, [dv(land.commune), dv(land.commune, "TY_LE_KY_SO", "50"), dv(land.commune, "GHI_CHU", "x")])

    summary = run(
        land,
        [
            dv(land.commune, value="12"),
            dv(land.commune, "TY_LE_KY_SO", "50", deleted=True),
            {k: v for k, v in dv(land.commune, "GHI_CHU").items() if k != "value"},
        ],
    )

    assert (summary.imported, summary.updated, summary.deleted) == (0, 1, 2)
    assert list(DataValue.objects.values_list("value", flat=True)) == ["12"]


def test_unknown_identifiers_are_conflicts_and_nothing_is_written(land):
    values = [
        dv(land.commune),
        dv(land.commune, "KHONG_CO"),
        dv(land.commune, period="2026-13"),
        {**dv(land.commune), "orgUnit": "999999"},
        dv(land.commune, "HS_TRUC_TUYEN", categoryOptionCombo="KHONG_CO"),
        dv(land.commune, "HS_NHAN", categoryOptionCombo="MOT_PHAN"),
        dv(land.commune, attributeOptionCombo="ABCDEFGHIJK"),
    ]

    summary = run(land, values)

    assert summary.status == "ERROR"
    assert codes(summary) == {"E7610", "E7611", "E7612", "E7613", "E7634", "E7615"}
    assert (summary.imported, summary.ignored) == (0, 7)
    assert not DataValue.objects.exists() and not Report.objects.exists()
    unknown = next(c for c in summary.conflicts if c.error_code == "E7610")
    assert unknown.as_dhis()["indexes"] == [1] and "KHONG_CO" in unknown.value


def test_atomic_mode_none_writes_the_valid_values(land):
    summary = run(land, [dv(land.commune), dv(land.commune, "KHONG_CO")], atomic_mode="NONE")

    assert summary.status == "WARNING"
    assert (summary.imported, summary.ignored) == (1, 1)
    assert DataValue.objects.count() == 1


def test_value_of_the_wrong_type_is_a_conflict(land):
    summary = run(land, [dv(land.commune, "TY_LE_KY_SO", "150"), dv(land.commune, value="abc")])

    assert codes(summary) == {"E7619"}
    assert len(summary.conflicts[0].indexes) + len(summary.conflicts[-1].indexes) == 2
    assert not DataValue.objects.exists()


def test_locked_period_is_a_conflict(land):
    summary = run(land, [dv(land.commune)], now=at(2026, 3, 30))

    assert codes(summary) == {"E7640"}
    assert not Report.objects.exists()


def test_existing_report_past_its_lock_date_is_a_conflict(land):
    run(land, [dv(land.commune)])

    summary = run(land, [dv(land.commune, value="11")], now=at(2026, 3, 30))

    assert codes(summary) == {"E7640"}
    assert DataValue.objects.get().value == "10"


def test_unit_not_assigned_is_a_conflict(land):
    summary = run(land, [dv(land.province)], actor=land.province_reviewer)

    assert codes(summary) == {"E7636"}
    assert "không phải đối tượng thực hiện" in summary.conflicts[0].value


def test_officer_of_another_district_gets_conflicts(land):
    summary = run(land, [dv(land.commune)], actor=land.commune3_officer)

    assert codes(summary) == {"E7617"}
    assert not Report.objects.exists()


def test_district_officer_may_import_for_its_communes(land):
    summary = run(land, [dv(land.commune), dv(land.commune2)], actor=land.district_officer)

    assert summary.imported == 2


def test_submitted_report_is_not_editable(land):
    run(land, [dv(land.commune)])
    report = Report.objects.get()
    svc.report_submit(actor=land.commune_officer, report=report, now=at(2026, 3, 11))

    summary = run(land, [dv(land.commune, value="99")], now=at(2026, 3, 12))

    assert codes(summary) == {"E7642"}
    assert DataValue.objects.get().value == "10"


def test_dry_run_counts_but_writes_nothing(land):
    summary = run(land, [dv(land.commune), dv(land.commune, "TY_LE_KY_SO", "20")], dry_run=True)

    assert (summary.status, summary.imported) == ("SUCCESS", 2)
    assert summary.import_options["dryRun"] is True
    assert not Report.objects.exists() and not DataValue.objects.exists()
    assert not AuditEvent.objects.filter(action="reporting.datavalueset_import").exists()


def test_strategies_create_update_delete(land):
    run(land, [dv(land.commune)])

    create = run(
        land, [dv(land.commune, value="11"), dv(land.commune, "TY_LE_KY_SO", "5")], import_strategy="CREATE"
    )
    update = run(
        land, [dv(land.commune, value="12"), dv(land.commune, "GHI_CHU", "x")], import_strategy="UPDATE"
    )
    delete = run(land, [dv(land.commune), dv(land.commune, "GHI_CHU", "x")], import_strategy="DELETE")

    assert (create.imported, create.ignored) == (1, 1)
    assert (update.updated, update.ignored) == (1, 1)
    assert (delete.deleted, delete.ignored) == (1, 1)
    assert list(DataValue.objects.values_list("value", flat=True)) == ["5"]


def test_unknown_data_set_aborts(land):
    summary = run(land, [dv(land.commune)], data_set="KHONG_CO")

    assert summary.status == "ERROR" and codes(summary) == {"E7600"}


def test_complete_date_submits_the_report_late_after_the_deadline(land):
    summary = run(land, [dv(land.commune)], complete_date="2026-03-20", now=at(2026, 3, 20))

    report = Report.objects.get()
    assert summary.status == "SUCCESS" and summary.data_set_complete == "2026-03-20"
    assert report.status == ReportStatus.SUBMITTED and report.late is True


def test_completion_refused_by_a_rule_rolls_the_whole_import_back(land):
    values = [
        dv(land.commune, value="1"),
        dv(land.commune, "HS_TRUC_TUYEN", "5", categoryOptionCombo="MOT_PHAN"),
    ]

    summary = run(land, values, complete_date="2026-03-10")

    assert summary.status == "ERROR" and codes(summary) == {"validation_failed"}
    assert not DataValue.objects.exists() and not Report.objects.exists()


def test_registration_submits_a_draft(land):
    run(land, [dv(land.commune)])
    registration = {"dataSet": land.regime.uid, "period": "202603", "organisationUnit": str(land.commune.pk)}

    summary = registrations_complete(
        actor=land.commune_officer, registrations=[registration], now=at(2026, 3, 11)
    )

    assert summary.imported == 1
    assert Report.objects.get().status == ReportStatus.SUBMITTED


def test_registration_of_another_districts_unit_is_a_conflict(land):
    registration = {"dataSet": "BC_CNTT", "period": "202603", "organisationUnit": str(land.commune.pk)}

    summary = registrations_complete(
        actor=land.commune3_officer, registrations=[registration], now=at(2026, 3, 11)
    )

    assert summary.status == "WARNING" and codes(summary) == {"E7617"}


# --- formats -------------------------------------------------------------------------------


def test_json_root_attributes_are_inherited():
    body = json.dumps(
        {"dataSet": "X", "period": "202603", "orgUnit": "7", "dataValues": [{"dataElement": "A", "value": 3}]}
    ).encode()

    parsed = formats.parse_json(body)

    assert parsed.data_set == "X"
    assert parsed.values == [{"dataElement": "A", "value": "3", "period": "202603", "orgUnit": "7"}]


def test_csv_without_header_uses_the_dhis2_column_order():
    parsed = formats.parse_csv(b"A,202603,7,,,5,john,2026-03-01,note,false\n", first_row_is_header=False)

    assert parsed.values[0]["dataElement"] == "A" and parsed.values[0]["comment"] == "note"


def test_xml_with_entities_is_refused():
    body = b'<!DOCTYPE x [<!ENTITY a "b">]><dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"/>'

    with pytest.raises(formats.FormatError) as error:
        formats.parse_dxf2(body)

    assert error.value.status == 400


def test_oversized_body_is_refused_with_413(monkeypatch):
    monkeypatch.setattr(formats, "MAX_BYTES", 10)

    with pytest.raises(formats.FormatError) as error:
        formats.parse(b"{" + b" " * 20 + b"}", formats.JSON)

    assert error.value.status == 413


# --- endpoints -----------------------------------------------------------------------------


@pytest.fixture
def open_land(land):
    """The land regime with entry that never locks, so the endpoints can be called today."""
    RegimeVersion.objects.filter(pk=land.version.pk).update(expiry_days=0)
    return land


def post(client, body, content_type="application/json", query=""):
    return client.generic("POST", f"{ENDPOINT}{query}", body, content_type=content_type)


def test_post_json_answers_the_dhis2_web_message(client, open_land):
    client.force_login(open_land.commune_officer)
    body = json.dumps({"dataValues": [dv(open_land.commune)]})

    response = post(client, body)

    data = response.json()
    assert response.status_code == 200
    assert (data["httpStatus"], data["status"], data["message"]) == ("OK", "OK", "Import was successful.")
    assert data["response"]["responseType"] == "ImportSummary"
    assert data["response"]["importCount"] == {"imported": 1, "updated": 0, "ignored": 0, "deleted": 0}


def test_post_with_conflicts_answers_409_and_writes_nothing(client, open_land):
    client.force_login(open_land.commune_officer)
    body = json.dumps({"dataValues": [dv(open_land.commune), dv(open_land.commune, "KHONG_CO")]})

    response = post(client, body)

    data = response.json()
    assert response.status_code == 409
    assert (data["httpStatus"], data["status"]) == ("Conflict", "ERROR")
    assert data["response"]["conflicts"][0]["errorCode"] == "E7610"
    assert not DataValue.objects.exists()


def test_post_dry_run_parameter_writes_nothing(client, open_land):
    client.force_login(open_land.commune_officer)

    response = post(client, json.dumps({"dataValues": [dv(open_land.commune)]}), query="?dryRun=true")

    assert response.json()["response"]["importCount"]["imported"] == 1
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{}", "text/plain", 415),
        ("{not json", "application/json", 400),
        ("<dataValueSet", "application/xml", 400),
        ("<other/>", "application/adx+xml", 400),
    ],
)
def test_bad_bodies_get_a_web_message_not_a_500(client, open_land, body, content_type, status):
    client.force_login(open_land.commune_officer)

    response = post(client, body, content_type)

    assert response.status_code == status
    assert response.json()["status"] == "ERROR"


def test_anonymous_gets_401(client, open_land):
    response = post(client, json.dumps({"dataValues": []}))

    assert response.status_code == 401


def test_csv_export_round_trips(client, open_land):
    client.force_login(open_land.commune_officer)
    run(
        open_land,
        [dv(open_land.commune), dv(open_land.commune, "HS_TRUC_TUYEN", "3", categoryOptionCombo="MOT_PHAN")],
    )
    query = f"?dataSet={open_land.regime.uid}&period=202603&orgUnit={open_land.commune.pk}"

    exported = client.get(f"{ENDPOINT}.csv{query}")
    response = post(client, exported.content, "application/csv")

    assert exported["Content-Type"].startswith("application/csv")
    assert exported.content.decode().count("\n") == 3
    assert response.json()["response"]["importCount"]["updated"] == 2


def test_json_export_shows_only_units_in_scope(client, open_land):
    run(open_land, [dv(open_land.commune)])
    query = f"?dataSet=BC_CNTT&period=202603&orgUnit={open_land.district.pk}&children=true"

    client.force_login(open_land.commune3_officer)
    hidden = client.get(ENDPOINT, query and dict(p.split("=") for p in query[1:].split("&")))
    client.force_login(open_land.district_reviewer)
    shown = client.get(f"{ENDPOINT}.json{query}")

    assert hidden.json()["dataValues"] == []
    assert [v["value"] for v in shown.json()["dataValues"]] == ["10"]


def test_export_without_data_set_is_a_409(client, open_land):
    client.force_login(open_land.commune_officer)

    response = client.get(f"{ENDPOINT}?period=202603&orgUnit={open_land.commune.pk}")

    assert response.status_code == 409 and response.json()["errorCode"] == "E2001"


def test_adx_export_validates_against_the_schema_and_round_trips(client, open_land):
    schema_path = CONFORMANCE / "dhis2" / "adx" / "schema" / "adx_loose.xsd"
    if not schema_path.exists():
        if CI:
            pytest.fail(f"{schema_path}: không tìm thấy lược đồ ADX.")
        pytest.skip("Không có lược đồ ADX (CQS_CONFORMANCE_DIR).")
    client.force_login(open_land.commune_officer)
    run(
        open_land,
        [
            dv(open_land.commune, comment="số liệu tạm"),
            dv(open_land.commune, "HS_TRUC_TUYEN", "3", categoryOptionCombo="TOAN_TRINH"),
            dv(open_land.commune, "GHI_CHU", "Thiếu máy quét & mạng"),
        ],
    )
    query = f"?dataSet=BC_CNTT&period=202603&orgUnit={open_land.commune.pk}"

    exported = client.get(ENDPOINT + query, HTTP_ACCEPT="application/adx+xml")
    DataValue.objects.all().delete()
    response = post(client, exported.content, "application/adx+xml")

    schema = etree.XMLSchema(etree.parse(str(schema_path)))
    document = etree.fromstring(exported.content)
    assert schema.validate(document), schema.error_log
    assert b'MUC_DO="TOAN_TRINH"' in exported.content
    assert response.json()["response"]["importCount"]["imported"] == 3
    values = dict(DataValue.objects.values_list("indicator__code", "value"))
    assert values["GHI_CHU"] == "Thiếu máy quét & mạng"
    assert DataValue.objects.get(indicator__code="HS_NHAN").comment == "số liệu tạm"


def test_complete_registrations_post_then_get(client, open_land):
    client.force_login(open_land.commune_officer)
    run(open_land, [dv(open_land.commune)])
    body = {"completeDataSetRegistrations": [
        {"dataSet": "BC_CNTT", "period": "202603", "organisationUnit": str(open_land.commune.pk)}
    ]}  # fmt: skip

    posted = client.post("/dhis/api/completeDataSetRegistrations", body, content_type="application/json")
    listed = client.get(
        "/dhis/api/completeDataSetRegistrations",
        {"dataSet": "BC_CNTT", "period": "202603", "orgUnit": open_land.commune.pk},
    )

    assert posted.json()["response"]["importCount"]["imported"] == 1
    [registration] = listed.json()["completeDataSetRegistrations"]
    assert registration["completed"] is True and registration["storedBy"] == "baocao.xa1"
