"""National-portal sync through the outbox, against the fake portal over real HTTP."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cqs.core.models import OutboxStatus
from cqs.core.outbox import outbox_dispatch
from cqs.fakes import dvcqg as fake_dvcqg
from cqs.fakes.testing import running
from cqs.onestop import sync
from cqs.onestop.choices import DossierStatus
from cqs.onestop.dvcqg import dvcqg_datetime
from cqs.onestop.models import Dossier, Procedure
from cqs.onestop.tasks import onestop_overdue_check
from cqs.onestop.tests.sync_support import (
    CCCD,
    PHONE,
    dispatch_all,
    filed,
    later,
    messages,
    received,
    returned,
)

pytestmark = pytest.mark.django_db
TOKEN = "portal-sync-token"


@pytest.fixture
def portal(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CQS_SMS_URL = ""  # SMS off: these tests look at the portal only
    app = fake_dvcqg.make_app(token=TOKEN)
    with running(app) as fake:
        settings.CQS_DVCQG_URL = fake.url
        settings.CQS_DVCQG_TOKEN = TOKEN
        yield app


def test_a_submitted_dossier_reaches_the_portal_in_the_dongbohosomc_shape(desk, portal):
    dossier = filed(desk)

    dispatch_all()

    pushed = portal.state.dossiers[dossier.code]
    [paper] = pushed["TaiLieuNop"]
    stored = dossier.files.get()
    assert (pushed["MaTTHC"], pushed["MaLinhVuc"], pushed["ChuHoSo"]) == (
        desk.procedure.code,
        desk.procedure.sector.code,
        "Nguyễn Văn An",
    )
    assert (pushed["TrangThaiHoSo"], pushed["HinhThuc"], pushed["LoaiDoiTuong"]) == ("1", "2", "1")
    assert pushed["NgayTiepNhan"] == dvcqg_datetime(dossier.submitted_at)
    assert pushed["DonViXuLy"] == "000.00.41.H98"
    assert (paper["TepDinhKemId"], paper["TenTepDinhKem"]) == (str(stored.pk), stored.name)
    assert paper["DuongDanTaiTepTin"].endswith(f"/api/v1/dvcqg/TepDinhKem/{stored.pk}")
    assert [fee["SoTien"] for fee in pushed["DanhSachLePhi"]] == [8000]
    assert pushed["DuocThanhToanTrucTuyen"] == "0"


def test_the_dossier_payload_holds_no_cccd_and_no_phone_number(desk, portal):
    dossier = received(desk)

    text = json.dumps(sync.dvcqg_dossier_payload(dossier), ensure_ascii=False)

    assert CCCD not in text and PHONE not in text


def test_every_history_row_is_one_progress_entry_and_the_portal_ends_with_the_latest_state(desk, portal):
    # Given a dossier taken the whole way, with one supplement request, before any delivery
    dossier = returned(desk)

    # When the outbox delivers everything
    dispatch_all()

    # Then each history row arrived once, in order, and the dossier is in its final state
    events = list(dossier.events.order_by("at", "pk"))
    progress = portal.state.progress[dossier.code]
    assert [entry["IdTienDo"] for entry in progress] == [str(event.pk) for event in events]
    assert [entry["TrangThai"] for entry in progress] == [str(event.to_status) for event in events]
    pushed = portal.state.dossiers[dossier.code]
    assert pushed["TrangThaiHoSo"] == str(DossierStatus.RETURNED)
    assert pushed["NgayTra"] == dvcqg_datetime(dossier.returned_at)
    [supplement] = pushed["DanhSachHoSoBoSung"]
    assert supplement["NgayHenTraTruoc"] and supplement["NgayHenTraMoi"] == dvcqg_datetime(dossier.due_at)
    [result] = pushed["DanhSachGiayToKetQua"]
    assert result["DaKySo"] == "1"


def test_a_progress_entry_names_the_officer_the_step_and_its_deadline(desk, portal):
    dossier = received(desk)

    dispatch_all()

    entry = portal.state.progress[dossier.code][-1]
    assert entry["NguoiXuLy"] == desk.officer.full_name
    assert entry["NoiDungXuLy"] == "Tiếp nhận hồ sơ"
    assert entry["DonViXuLy"] == "000.00.41.H98"
    assert entry["NgayKetThucTheoQuyDinh"] == dvcqg_datetime(dossier.due_at)


def test_a_push_the_portal_refused_is_retried_and_each_entry_arrives_once(desk, portal):
    # Given the portal fails the first call (the dossier push), so the progress is refused too
    dossier = filed(desk)
    portal.fail_next(1, status=503)
    dispatch_all()
    assert dossier.code not in portal.state.dossiers
    assert "HTTP 503" in messages("onestop.dvcqg.dossier").get().last_error

    # When the back-off has passed, twice
    dispatch_all(now=later(1))
    dispatch_all(now=later(3))

    # Then the dossier and its single progress entry are there once
    assert portal.state.pushes[dossier.code] == 1
    assert len(portal.state.progress[dossier.code]) == 1
    assert set(messages("onestop.dvcqg.progress").values_list("status", flat=True)) == {
        OutboxStatus.DELIVERED
    }


def test_a_failed_progress_push_is_delivered_once_on_retry(desk, portal):
    # Given the dossier is at the portal and the progress push then fails
    dossier = filed(desk)
    outbox_dispatch(batch=1)  # the oldest message: the dossier push
    assert dossier.code in portal.state.dossiers
    portal.fail_next(1, status=503)
    dispatch_all()
    assert dossier.code not in portal.state.progress

    # When it is retried
    dispatch_all(now=later(1))

    # Then it arrives exactly once
    assert len(portal.state.progress[dossier.code]) == 1


def test_a_crash_after_the_portal_answered_sends_the_entry_again_with_the_same_id(desk, portal, monkeypatch):
    # Given a worker that dies after the portal stored the entry (at-least-once delivery)
    dossier = filed(desk)
    real_push = sync.dvcqg.dvcqg_push_progress
    crashes = []

    def push_then_crash(*, updates):
        real_push(updates=updates)
        if not crashes:
            crashes.append(True)
            raise RuntimeError("worker died")

    monkeypatch.setattr(sync.dvcqg, "dvcqg_push_progress", push_then_crash)
    dispatch_all()

    # When the message is retried
    dispatch_all(now=later(1))

    # Then the portal received it twice, with the same key to drop the repeat by
    first, second = portal.state.progress[dossier.code]
    assert first == second
    assert first["IdTienDo"] == str(dossier.events.get().pk)


def test_a_dossier_deleted_before_delivery_sends_nothing(desk, portal):
    dossier = filed(desk)
    Dossier.objects.filter(pk=dossier.pk).delete()

    dispatch_all()

    assert portal.state.calls == []
    assert set(messages("onestop.dvcqg.dossier").values_list("status", flat=True)) == {OutboxStatus.DELIVERED}


def test_a_refused_token_is_recorded_without_personal_data(desk, portal, settings):
    settings.CQS_DVCQG_TOKEN = "wrong-token"
    dossier = filed(desk)

    dispatch_all()

    errors = list(messages("onestop.dvcqg.dossier").values_list("last_error", flat=True))
    assert errors and all("HTTP 401" in error for error in errors)
    for error in errors:
        assert dossier.applicant_name not in error and CCCD not in error and PHONE not in error


def test_pull_procedures_imports_what_the_portal_serves(desk, portal):
    out = call_command_output("onestop_pull_procedures", "9.990901")

    procedure = Procedure.objects.get(code="9.990901")
    assert procedure.name == "Cấp bản sao trích lục hộ tịch"
    assert procedure.versions.get().fees.get().amount == 8000
    assert "1 thủ tục mới" in out


def test_pull_of_an_unknown_procedure_imports_nothing(desk, portal):
    with pytest.raises(CommandError, match=r"9\.999999"):
        call_command("onestop_pull_procedures", "9.990901", "9.999999")

    assert not Procedure.objects.filter(code="9.990901").exists()


def test_overdue_command_flags_a_dossier_past_its_appointment_once(desk, portal):
    # Given a received dossier whose appointment has passed
    dossier = received(desk)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=1))

    # When the cron command runs twice
    first = call_command_output("onestop_overdue")
    second = call_command_output("onestop_overdue")

    # Then the dossier is flagged once, with one "overdue" row
    dossier.refresh_from_db()
    assert dossier.overdue_at is not None
    assert list(dossier.events.filter(action="overdue").values_list("action", flat=True)) == ["overdue"]
    assert ("1 hồ sơ" in first, "0 hồ sơ" in second) == (True, True)


def test_the_overdue_row_reaches_the_portal_from_the_system(desk, portal):
    dossier = received(desk)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=1))

    result = onestop_overdue_check.call()
    dispatch_all()

    assert result == {"flagged": 1}
    entry = portal.state.progress[dossier.code][-1]
    assert (entry["NoiDungXuLy"], entry["NguoiXuLy"]) == ("Hồ sơ quá hạn giải quyết", "Hệ thống")


def test_a_dossier_not_yet_due_is_not_flagged(desk, portal):
    dossier = received(desk)

    out = call_command_output("onestop_overdue")

    dossier.refresh_from_db()
    assert dossier.overdue_at is None and "0 hồ sơ" in out


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
