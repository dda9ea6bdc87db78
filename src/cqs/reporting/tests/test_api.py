"""The reporting API: regimes and indicators, and a report's life through /api/v1/reporting/ —
who sees and does what (allowed and refused), per-cell errors, warnings to confirm, the late flag,
the lock and its exception, the signed PDF."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cqs.accounts.models import Role
from cqs.accounts.tests.factories import CitizenFactory, OfficialFactory, RoleGrantFactory
from cqs.reporting.choices import PeriodType, ReportStatus
from cqs.reporting.models import DataValue, Indicator, LockException, Regime, Report
from cqs.reporting.services import reports as svc
from cqs.reporting.services.metadata import AssignmentSpec, RegimeSpec, regime_version_create

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
API = "/api/v1/reporting/"
REPORTS = f"{API}reports/"
# Period 202603 of the land's regime: data 15/2–14/3, deadline Tue 17/3, entry locks on 28/3.
PERIOD = "202603"


@pytest.fixture
def clock(monkeypatch):
    """Sets the platform's "now" (services, timestamps, sessions alike); starts on 10/3/2026."""

    def set_to(y, m, d, h=9):
        instant = datetime(y, m, d, h, tzinfo=TZ)
        monkeypatch.setattr(timezone, "now", lambda: instant)

    set_to(2026, 3, 10)
    return set_to


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def url(report, suffix: str = "") -> str:
    return f"{REPORTS}{report.pk}/{suffix}"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


def opened(land, *, officer=None, unit=None, period=PERIOD) -> Report:
    return svc.report_open(
        actor=officer or land.commune_officer, regime=land.regime, unit=unit or land.commune, period=period
    )


def filled(land, report, values=None) -> Report:
    svc.report_values_save(
        actor=land.commune_officer,
        report=report,
        values=values or {"HS_NHAN.default": "100", "HS_TRUC_TUYEN.MOT_PHAN": "40"},
    )
    return report


def submitted(land, report) -> Report:
    return svc.report_submit(actor=land.commune_officer, report=filled(land, report))


# --- regimes and indicators --------------------------------------------------------------------


def test_regime_list_shows_the_version_in_force(land, clock):
    response = as_user(land.commune_officer).get(f"{API}regimes/")

    assert response.status_code == 200
    (regime,) = response.json()["results"]
    assert regime["code"] == "BC_CNTT"
    assert regime["in_force"]["version"] == 1
    assert regime["in_force"]["period_type"] == PeriodType.MONTHLY


def test_regime_list_before_any_version_has_none_in_force(land, clock):
    response = as_user(land.commune_officer).get(f"{API}regimes/", {"on": "2019-12-31"})

    assert response.json()["results"][0]["in_force"] is None


def test_regimes_refuse_citizens_and_anonymous(land, clock):
    assert_problem(as_user(CitizenFactory()).get(f"{API}regimes/"), 403, "permission_denied")
    assert_problem(APIClient().get(f"{API}regimes/"), 403, "not_authenticated")


def test_regime_detail_gives_the_ten_elements_rows_assignments_and_rules(land, clock):
    response = as_user(land.commune_officer).get(f"{API}regimes/BC_CNTT/")

    assert response.status_code == 200
    body = response.json()
    assert body["receiver"] == {"id": land.province.pk, "name": land.province.name}
    assert body["period_type"] == "Monthly" and body["cutoff_day"] == 14
    assert body["deadline_working_days"] == 2 and body["channel"] == "software"
    assert body["outline_template"].startswith("1. Kết quả nổi bật")
    assert [row["indicator"]["code"] for row in body["rows"]] == [
        "HS_NHAN",
        "HS_TRUC_TUYEN",
        "TY_LE_KY_SO",
        "GHI_CHU",
    ]
    online = body["rows"][1]["indicator"]
    assert online["valueType"] == "INTEGER_ZERO_OR_POSITIVE"
    assert [c["code"] for c in online["optionCombos"]] == ["MOT_PHAN", "TOAN_TRINH"]
    assert sorted(a["kind"] for a in body["assignments"]) == ["huyen", "so", "xa"]
    assert body["rules"][0]["left"] == "#{HS_TRUC_TUYEN}"


def test_regime_detail_on_a_day_without_a_version_is_404(land, clock):
    response = as_user(land.commune_officer).get(f"{API}regimes/BC_CNTT/", {"on": "2019-06-01"})

    assert_problem(response, 404, "regime_not_in_force")


def test_unknown_regime_is_404(land, clock):
    assert_problem(as_user(land.commune_officer).get(f"{API}regimes/KHONG_CO/"), 404, "not_found")


def test_regime_versions_list_and_one_version(land, clock):
    regime_version_create(
        spec=RegimeSpec(
            code="BC_CNTT",
            name="Báo cáo ứng dụng CNTT (sửa đổi)",
            legal_basis="Kế hoạch 400/KH-UBND",
            content="Như trước.",
            receiver=land.province,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2027, 1, 1),
            rows=[("HS_NHAN", "I", True)],
            assignments=[AssignmentSpec(kind="xa")],
        )
    )
    client = as_user(land.commune_officer)

    versions = client.get(f"{API}regimes/BC_CNTT/versions/").json()["results"]
    second = client.get(f"{API}regimes/BC_CNTT/versions/2/").json()
    later = client.get(f"{API}regimes/BC_CNTT/", {"on": "2027-02-01"}).json()

    assert [(v["version"], v["valid_to"]) for v in versions] == [(2, None), (1, "2027-01-01")]
    assert second["legal_basis"] == "Kế hoạch 400/KH-UBND"
    assert later["version"] == 2 and len(later["rows"]) == 1


def test_indicators_list_detail_and_filter_by_regime(land, clock):
    client = as_user(land.commune_officer)

    listed = client.get(f"{API}indicators/", {"regime": "BC_CNTT"}).json()["results"]
    one = client.get(f"{API}indicators/TY_LE_KY_SO/").json()

    assert [i["code"] for i in listed] == ["GHI_CHU", "HS_NHAN", "HS_TRUC_TUYEN", "TY_LE_KY_SO"]
    assert one["valueType"] == "PERCENTAGE" and one["aggregation"] == "AVERAGE"
    assert one["unit_label"] == "%" and one["source"] == ""
    assert [c["code"] for c in one["optionCombos"]] == ["default"]
    assert client.get(f"{API}indicators/", {"regime": "KHAC"}).json()["results"] == []


# --- opening -----------------------------------------------------------------------------------


def test_open_creates_a_draft_then_returns_the_same_report(land, clock):
    client = as_user(land.commune_officer)
    payload = {"regime": "BC_CNTT", "unit": land.commune.pk, "period": PERIOD}

    first = client.post(REPORTS, payload, format="json")
    again = client.post(REPORTS, payload, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    body = first.json()
    assert again.json()["id"] == body["id"] and Report.objects.count() == 1
    assert first["Location"] == f"{REPORTS}{body['id']}/"
    assert body["status"] == "draft" and body["deadline"] == "2026-03-17"
    assert body["lock_date"] == "2026-03-28" and body["reviewer_unit"]["id"] == land.district.pk
    assert body["period"]["label"] == "Tháng 3/2026"
    assert body["actions"] == ["edit", "submit"] and body["values"] == []


def test_open_for_a_unit_not_assigned_is_400(land, clock):
    response = as_user(land.province_reviewer).post(
        REPORTS, {"regime": "BC_CNTT", "unit": land.province.pk, "period": PERIOD}, format="json"
    )

    body = assert_problem(response, 400, "unit_not_assigned")
    assert "unit" in body["errors"]
    assert not Report.objects.exists()


def test_open_for_another_districts_commune_is_403(land, clock):
    response = as_user(land.commune3_officer).post(
        REPORTS, {"regime": "BC_CNTT", "unit": land.commune.pk, "period": PERIOD}, format="json"
    )

    assert_problem(response, 403, "report_forbidden")
    assert not Report.objects.exists()


def test_open_with_unknown_regime_or_bad_period_is_400(land, clock):
    client = as_user(land.commune_officer)

    unknown = client.post(
        REPORTS, {"regime": "KHONG", "unit": land.commune.pk, "period": PERIOD}, format="json"
    )
    bad = client.post(
        REPORTS, {"regime": "BC_CNTT", "unit": land.commune.pk, "period": "2026M3"}, format="json"
    )

    assert_problem(unknown, 400, "unknown_regime")
    assert_problem(bad, 400, "invalid_period")


def test_open_after_the_lock_date_is_409(land, clock):
    clock(2026, 3, 28)

    response = as_user(land.commune_officer).post(
        REPORTS, {"regime": "BC_CNTT", "unit": land.commune.pk, "period": PERIOD}, format="json"
    )

    assert_problem(response, 409, "period_locked")


# --- who sees what -----------------------------------------------------------------------------


def test_list_shows_own_and_subtree_reports_only(land, clock):
    mine = opened(land)
    other = opened(land, officer=land.commune3_officer, unit=land.commune3)

    def ids(user):
        return {r["id"] for r in as_user(user).get(REPORTS).json()["results"]}

    assert ids(land.commune_officer) == {mine.pk}
    assert ids(land.commune3_officer) == {other.pk}
    assert ids(land.district_reviewer) == {mine.pk}
    assert ids(land.province_reviewer) == {mine.pk, other.pk}


def test_list_filters_by_regime_period_unit_and_status(land, clock):
    first = submitted(land, opened(land))
    clock(2026, 4, 10)
    second = opened(land, period="202604")
    client = as_user(land.district_reviewer)

    def ids(**query):
        response = client.get(REPORTS, query)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [second.pk, first.pk]
    assert ids(status="submitted") == [first.pk]
    assert ids(period="2026-04-01/P1M") == [second.pk]
    assert ids(regime="BC_CNTT", unit=land.commune.pk) == [second.pk, first.pk]
    assert ids(unit=land.commune2.pk) == []
    assert_problem(client.get(REPORTS, {"status": "lost"}), 400, "invalid")


def test_list_query_count_does_not_grow_with_reports(land, clock):
    client = as_user(land.province_reviewer)
    opened(land)
    client.get(REPORTS)
    with CaptureQueriesContext(connection) as one:
        client.get(REPORTS)
    opened(land, officer=land.commune3_officer, unit=land.commune3)
    opened(land, officer=land.district_officer, unit=land.district)
    with CaptureQueriesContext(connection) as three:
        response = client.get(REPORTS)

    assert response.json()["count"] == 3
    assert len(three) == len(one)


def test_reports_reviewed_by_a_unit_outside_the_subtree_are_visible_to_it(land, clock):
    # A regime the department receives from the districts: it reviews reports of units it does
    # not contain.
    regime_version_create(
        spec=RegimeSpec(
            code="BC_SO",
            name="Báo cáo chuyên ngành",
            legal_basis="Quyết định 1/QĐ-STTTT",
            content="Số liệu chuyên ngành.",
            receiver=land.department,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2020, 1, 1),
            rows=[("HS_NHAN", "I", True)],
            assignments=[AssignmentSpec(kind="huyen")],
        )
    )
    report = svc.report_open(
        actor=land.district_officer,
        regime=Regime.objects.get(code="BC_SO"),
        unit=land.district,
        period=PERIOD,
    )
    reviewer = OfficialFactory(username="tonghop.so", official_profile__unit=land.department)
    RoleGrantFactory(user=reviewer, role=Role.objects.get(code="tong-hop-bao-cao"), unit=land.department)

    listed = as_user(reviewer).get(REPORTS).json()["results"]
    detail = as_user(reviewer).get(url(report))

    assert [r["id"] for r in listed] == [report.pk]
    assert detail.status_code == 200 and detail.json()["reviewer_unit"]["id"] == land.department.pk


def test_detail_of_another_districts_report_is_404(land, clock):
    report = opened(land)

    assert_problem(as_user(land.commune3_officer).get(url(report)), 404, "not_found")
    assert_problem(as_user(land.district2_reviewer).get(url(report)), 404, "not_found")


# --- values ------------------------------------------------------------------------------------


def test_patch_saves_cells_and_detail_shows_them(land, clock):
    report = opened(land)

    response = as_user(land.commune_officer).patch(
        url(report, "values/"),
        {"values": {"HS_NHAN.default": 120, "TY_LE_KY_SO.default": "87,5"}, "outline_text": "1. Tốt"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    cells = {v["cell"]: v for v in body["values"]}
    assert cells["HS_NHAN.default"]["value"] == "120"
    assert cells["TY_LE_KY_SO.default"]["value"] == "87.5"
    assert cells["HS_NHAN.default"]["source"] == "typed"
    assert body["outline_text"] == "1. Tốt"


def test_patch_with_invalid_cells_names_each_and_saves_nothing(land, clock):
    report = opened(land)

    response = as_user(land.commune_officer).patch(
        url(report, "values/"),
        {"values": {"HS_NHAN.default": "-3", "TY_LE_KY_SO.default": "140", "GHI_CHU.default": "ok"}},
        format="json",
    )

    body = assert_problem(response, 400, "invalid_values")
    assert set(body["errors"]) == {"HS_NHAN.default", "TY_LE_KY_SO.default"}
    assert "140" in body["errors"]["TY_LE_KY_SO.default"][0]
    assert not DataValue.objects.exists()


def test_patch_with_an_unknown_cell_is_refused(land, clock):
    report = opened(land)

    response = as_user(land.commune_officer).patch(
        url(report, "values/"), {"values": {"KHONG_CO.default": "1"}}, format="json"
    )

    body = assert_problem(response, 400, "invalid_values")
    assert list(body["errors"]) == ["KHONG_CO.default"]


def test_put_replaces_the_form_clearing_cells_left_out(land, clock):
    report = filled(land, opened(land))

    response = as_user(land.commune_officer).put(
        url(report, "values/"), {"values": {"GHI_CHU.default": "Thiếu máy"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert [v["cell"] for v in response.json()["values"]] == ["GHI_CHU.default"]


def test_values_are_written_from_the_unit_or_above_not_from_another_district(land, clock):
    report = opened(land)

    refused = as_user(land.district_reviewer).patch(
        url(report, "values/"), {"values": {"HS_NHAN.default": "1"}}, format="json"
    )
    hidden = as_user(land.commune3_officer).patch(
        url(report, "values/"), {"values": {"HS_NHAN.default": "1"}}, format="json"
    )

    # The district reviewer sees the report and holds submit_report on the district, which
    # covers its communes; the other district's officer does not even see it.
    assert refused.status_code == 200
    assert_problem(hidden, 404, "not_found")


def test_values_after_the_lock_date_are_409_until_the_reviewer_unlocks(land, clock):
    report = opened(land)
    clock(2026, 3, 28)
    officer = as_user(land.commune_officer)
    payload = {"values": {"HS_NHAN.default": "5"}}

    locked = officer.patch(url(report, "values/"), payload, format="json")
    detail = officer.get(url(report)).json()
    refused = officer.post(
        url(report, "lock-exceptions/"), {"until": "2026-03-31", "reason": "Mất điện"}, format="json"
    )
    granted = as_user(land.district_reviewer).post(
        url(report, "lock-exceptions/"), {"until": "2026-03-31", "reason": "Mất điện"}, format="json"
    )
    saved = officer.patch(url(report, "values/"), payload, format="json")

    assert_problem(locked, 409, "period_locked")
    assert detail["locked"] is True and detail["actions"] == []
    assert_problem(refused, 403, "report_forbidden")
    assert granted.status_code == 201 and granted.json()["until"] == "2026-03-31"
    assert saved.status_code == 200 and saved.json()["unlocked_until"] == "2026-03-31"
    assert LockException.objects.count() == 1


def test_lock_exception_needs_a_reason(land, clock):
    report = opened(land)

    response = as_user(land.district_reviewer).post(
        url(report, "lock-exceptions/"), {"until": "2026-03-31"}, format="json"
    )

    assert_problem(response, 400, "reason_required")


# --- check and submit --------------------------------------------------------------------------


def test_check_lists_findings_with_blocking_errors(land, clock):
    report = filled(land, opened(land), {"HS_TRUC_TUYEN.MOT_PHAN": "7"})

    response = as_user(land.commune_officer).get(url(report, "check/"))

    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == 2 and body["warnings"] == 0
    assert [f["code"] for f in body["findings"]] == ["compulsory_missing", "validation_rule"]
    assert body["findings"][0]["indicator"] == "HS_NHAN" and body["findings"][0]["blocking"]


def test_submit_with_errors_is_400_with_the_findings(land, clock):
    report = filled(land, opened(land), {"HS_NHAN.default": "10", "HS_TRUC_TUYEN.MOT_PHAN": "70"})

    response = as_user(land.commune_officer).post(url(report, "submit/"), {}, format="json")

    body = assert_problem(response, 400, "validation_failed")
    assert len(body["errors"]["non_field_errors"]) == 1
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_submit_with_warnings_needs_confirmation(land, clock):
    Indicator.objects.filter(code="HS_NHAN").update(max_value=1000)
    report = filled(land, opened(land), {"HS_NHAN.default": "5000"})
    client = as_user(land.commune_officer)

    unconfirmed = client.post(url(report, "submit/"), {}, format="json")
    confirmed = client.post(url(report, "submit/"), {"confirm_warnings": True}, format="json")

    body = assert_problem(unconfirmed, 400, "warnings_unconfirmed")
    assert "1000" in body["errors"]["non_field_errors"][0]
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "submitted"


def test_submit_on_time_is_not_late(land, clock):
    report = filled(land, opened(land))

    response = as_user(land.commune_officer).post(url(report, "submit/"), {}, format="json")

    assert response.json()["status"] == "submitted" and response.json()["late"] is False


def test_submit_after_the_deadline_is_accepted_and_flagged_late(land, clock):
    report = filled(land, opened(land))
    clock(2026, 3, 19)

    response = as_user(land.commune_officer).post(url(report, "submit/"), {}, format="json")
    listed = as_user(land.district_reviewer).get(REPORTS, {"late": "true"}).json()["results"]

    assert response.status_code == 200
    assert response.json()["late"] is True
    assert response.json()["submitted_by"]["id"] == land.commune_officer.pk
    assert [r["id"] for r in listed] == [report.pk]


def test_submitted_report_is_no_longer_editable(land, clock):
    report = submitted(land, opened(land))

    response = as_user(land.commune_officer).patch(
        url(report, "values/"), {"values": {"HS_NHAN.default": "1"}}, format="json"
    )

    assert_problem(response, 409, "report_not_editable")


# --- return, approve, pdf, events --------------------------------------------------------------


def test_reviewer_returns_with_a_reason(land, clock):
    report = submitted(land, opened(land))
    reviewer = as_user(land.district_reviewer)

    without = reviewer.post(url(report, "return/"), {}, format="json")
    returned = reviewer.post(url(report, "return/"), {"reason": "Thiếu thuyết minh"}, format="json")

    assert_problem(without, 400, "reason_required")
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "Thiếu thuyết minh"


def test_reviewer_of_another_district_cannot_approve(land, clock):
    report = submitted(land, opened(land))

    response = as_user(land.district2_reviewer).post(url(report, "approve/"))

    assert_problem(response, 404, "not_found")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


def test_officer_who_sees_the_report_but_does_not_review_cannot_approve(land, clock):
    report = submitted(land, opened(land))

    response = as_user(land.district_officer).post(url(report, "approve/"))

    assert_problem(response, 403, "report_forbidden")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


def test_draft_cannot_be_approved(land, clock):
    report = opened(land)

    response = as_user(land.district_reviewer).post(url(report, "approve/"))

    assert_problem(response, 409, "report_not_submitted")


def test_approve_signs_the_pdf_which_then_downloads(land, clock):
    report = submitted(land, opened(land))
    reviewer = as_user(land.district_reviewer)
    before = reviewer.get(url(report, "pdf/"))
    shown = reviewer.get(url(report)).json()

    approved = reviewer.post(url(report, "approve/"))
    pdf = reviewer.get(url(report, "pdf/"))

    assert_problem(before, 404, "pdf_not_available")
    assert shown["actions"] == ["return", "approve", "unlock"] and shown["pdf_url"] is None
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert approved.json()["pdf_url"].endswith(url(report, "pdf/"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_pdf_of_a_report_the_caller_cannot_see_is_404(land, clock):
    report = opened(land)

    assert_problem(as_user(land.commune3_officer).get(url(report, "pdf/")), 404, "not_found")


def test_events_tell_the_history(land, clock):
    report = submitted(land, opened(land))

    response = as_user(land.commune_officer).get(url(report, "events/"))

    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["action"] for e in events] == ["created", "saved", "submitted"]
    assert events[0]["actor"]["id"] == land.commune_officer.pk


def test_events_of_a_report_the_caller_cannot_see_are_404(land, clock):
    report = opened(land)

    assert_problem(as_user(land.commune3_officer).get(url(report, "events/")), 404, "not_found")


def test_check_of_a_report_the_caller_cannot_see_is_404(land, clock):
    report = opened(land)

    assert_problem(as_user(land.commune3_officer).get(url(report, "check/")), 404, "not_found")


def test_reporting_officer_cannot_return_the_report(land, clock):
    report = submitted(land, opened(land))

    response = as_user(land.commune_officer).post(url(report, "return/"), {"reason": "Tự trả"}, format="json")

    assert_problem(response, 403, "report_forbidden")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


def test_another_districts_officer_cannot_submit(land, clock):
    report = filled(land, opened(land))

    response = as_user(land.commune3_officer).post(url(report, "submit/"), {}, format="json")

    assert_problem(response, 404, "not_found")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DRAFT
