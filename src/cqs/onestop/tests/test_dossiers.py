"""Filing, intake and the main path of a dossier through the services."""

import re

import pytest
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.core.outbox import OutboxMessage
from cqs.onestop.choices import Channel, DossierStatus, FileRole, Stage
from cqs.onestop.models import Dossier, DossierEvent, DossierFile
from cqs.onestop.services import (
    dossier_act,
    dossier_create_online,
    dossier_draft_save,
    dossier_file_add,
    dossier_intake,
    dossier_submit,
)
from cqs.onestop.tests.conftest import draft, filed, pdf_bytes

pytestmark = pytest.mark.django_db
CODE = re.compile(r"^000\.00\.41\.H98-\d{6}-\d{4}$")


def test_citizen_submits_a_draft_and_gets_a_circular_01_code(desk):
    dossier = filed(desk)

    assert dossier.status == DossierStatus.SUBMITTED
    assert CODE.match(dossier.code)
    assert dossier.code.split("-")[1] == timezone.localdate().strftime("%y%m%d")
    assert dossier.applicant_cccd == "026090001234"
    assert dossier.fee_total == 8000
    assert list(dossier.events.values_list("action", flat=True)) == ["submit"]


def test_two_dossiers_of_one_day_get_consecutive_numbers(desk):
    first, second = filed(desk), filed(desk)

    assert int(second.code[-4:]) == int(first.code[-4:]) + 1


def test_submission_without_a_required_paper_is_refused_and_nothing_changes(desk):
    dossier = draft(desk)

    with pytest.raises(ServiceError) as error:
        dossier_submit(dossier=dossier, actor=desk.citizen)

    assert error.value.error_code == "missing_documents"
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.DRAFT and dossier.code is None
    assert not DossierEvent.objects.exists() and not OutboxMessage.objects.exists()


def test_a_draft_may_be_incomplete_but_submission_needs_the_whole_declaration(desk):
    dossier = draft(desk, form_data={})
    dossier_file_add(
        dossier=dossier, actor=desk.citizen, name="a.pdf", data=pdf_bytes(), document_id=desk.document.pk
    )

    with pytest.raises(ServiceError) as error:
        dossier_submit(dossier=dossier, actor=desk.citizen)

    assert error.value.error_code == "invalid_form_data"
    assert error.value.field == "form_data.noi_dung"


def test_an_unknown_form_field_is_refused(desk):
    with pytest.raises(ServiceError) as error:
        draft(desk, form_data={"khong_co": "x"})

    assert error.value.error_code == "unknown_form_field"
    assert not Dossier.objects.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused(desk):
    dossier = draft(desk)

    with pytest.raises(ServiceError) as error:
        dossier_file_add(
            dossier=dossier, actor=desk.citizen, name="to-khai.pdf", data=b"MZ\x90\x00 not a pdf"
        )

    assert error.value.error_code.startswith("upload_")
    assert not DossierFile.objects.exists()


def test_an_official_cannot_file_online(desk):
    with pytest.raises(ServiceError) as error:
        dossier_draft_save(
            actor=desk.officer, procedure_code=desk.procedure.code, unit=desk.unit, form_data={}
        )

    assert error.value.error_code == "not_a_citizen"


def test_idempotency_key_returns_the_first_dossier(desk):
    kwargs = {
        "actor": desk.citizen,
        "procedure_code": desk.procedure.code,
        "unit": desk.unit,
        "form_data": {"noi_dung": "x"},
        "files": [{"name": "a.pdf", "data": pdf_bytes(), "document_id": desk.document.pk}],
        "client_token": "key-1",
    }
    first, created = dossier_create_online(**kwargs)
    again, created_again = dossier_create_online(**kwargs)

    assert created and not created_again
    assert again.pk == first.pk
    assert Dossier.objects.count() == 1


def test_counter_intake_receives_at_once_with_an_appointment(desk):
    dossier = dossier_intake(
        actor=desk.officer,
        unit=desk.unit,
        procedure_code=desk.procedure.code,
        channel=Channel.IN_PERSON,
        applicant={"name": "Trần Thị Bình", "cccd": "026190004321", "phone": "0987654321"},
        form_data={"noi_dung": "Đề nghị"},
        documents_checked=[desk.document.pk],
    )

    assert dossier.status == DossierStatus.RECEIVED
    assert CODE.match(dossier.code)
    assert dossier.due_at > dossier.received_at
    assert dossier.events.get().action == "intake"


def test_counter_intake_with_an_invalid_cccd_writes_nothing(desk):
    with pytest.raises(ServiceError) as error:
        dossier_intake(
            actor=desk.officer,
            unit=desk.unit,
            procedure_code=desk.procedure.code,
            channel=Channel.IN_PERSON,
            applicant={"name": "Trần Thị Bình", "cccd": "12345"},
            form_data={"noi_dung": "Đề nghị"},
            documents_checked=[desk.document.pk],
        )

    assert error.value.error_code == "invalid_cccd"
    assert not Dossier.objects.exists()


def test_counter_intake_at_another_unit_is_forbidden(desk):
    with pytest.raises(ServiceError) as error:
        dossier_intake(
            actor=desk.other_officer,
            unit=desk.unit,
            procedure_code=desk.procedure.code,
            channel=Channel.IN_PERSON,
            applicant={"name": "Trần Thị Bình", "cccd": "026190004321"},
            form_data={"noi_dung": "Đề nghị"},
            documents_checked=[desk.document.pk],
        )

    assert error.value.status == 403


def test_the_whole_path_from_submission_to_returned_result(desk):
    dossier = filed(desk)
    dossier = dossier_act(dossier=dossier, actor=desk.officer, action="receive")
    assert dossier.status == DossierStatus.RECEIVED and dossier.due_at

    dossier = dossier_act(dossier=dossier, actor=desk.officer, action="assign", to_user=desk.specialist)
    assert (dossier.status, dossier.stage, dossier.assignee) == (
        DossierStatus.PROCESSING,
        Stage.HANDLING,
        desk.specialist,
    )

    due_before = dossier.due_at
    dossier = dossier_act(
        dossier=dossier,
        actor=desk.specialist,
        action="request_supplement",
        note="Thiếu bản sao",
        items=["Bản sao CCCD"],
    )
    assert dossier.status == DossierStatus.SUPPLEMENT and dossier.supplement_count == 1
    dossier_file_add(
        dossier=dossier, actor=desk.citizen, name="bo-sung.pdf", data=pdf_bytes(), role=FileRole.SUPPLEMENT
    )
    dossier = dossier_act(dossier=dossier, actor=desk.citizen, action="complete_supplement")
    assert (dossier.status, dossier.stage) == (DossierStatus.PROCESSING, Stage.HANDLING)
    assert dossier.due_at >= due_before

    dossier = dossier_act(
        dossier=dossier, actor=desk.specialist, action="propose", note="Cấp giấy khai sinh."
    )
    assert dossier.stage == Stage.PROPOSED
    dossier = dossier_act(dossier=dossier, actor=desk.leader, action="approve")
    assert dossier.status == DossierStatus.RESOLVED and dossier.completed_at
    result = dossier.files.get(role=FileRole.RESULT)
    assert result.signed and result.file.read(5) == b"%PDF-"

    dossier = dossier_act(dossier=dossier, actor=desk.officer, action="return_result")
    assert dossier.status == DossierStatus.RETURNED
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == [
        "submit",
        "receive",
        "assign",
        "request_supplement",
        "complete_supplement",
        "propose",
        "approve",
        "return_result",
    ]
    # Every status change is synced and notified (e-mail and SMS), once.
    topics = list(OutboxMessage.objects.values_list("topic", flat=True))
    assert topics.count("onestop.dvcqg.progress") == len(actions)
    assert topics.count("onestop.notify.sms") == 7  # every action but "propose" (4 → 4)


def test_an_infected_paper_is_refused_when_clamav_is_configured(desk, settings, clamd_address):
    from cqs.core.testing import EICAR, sample_image

    settings.CQS_CLAMD = clamd_address
    dossier = draft(desk)

    with pytest.raises(ServiceError) as error:
        dossier_file_add(
            dossier=dossier, actor=desk.citizen, name="anh.png", data=sample_image("png") + EICAR
        )

    assert error.value.error_code == "upload_infected"
    assert not DossierFile.objects.exists()
    dossier_file_add(dossier=dossier, actor=desk.citizen, name="anh.png", data=sample_image("png"))
    assert DossierFile.objects.count() == 1


def test_each_step_has_its_deadline_and_shows_when_it_is_past(desk):
    dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")
    assert dossier.step_due_at == dossier.due_at and not dossier.step_overdue

    step = timezone.now() + timezone.timedelta(hours=2)
    dossier = dossier_act(
        dossier=dossier, actor=desk.officer, action="assign", to_user=desk.specialist, deadline=step
    )
    assert dossier.step_due_at == step

    Dossier.objects.filter(pk=dossier.pk).update(step_due_at=timezone.now() - timezone.timedelta(minutes=1))
    dossier.refresh_from_db()
    assert dossier.step_overdue and not dossier.overdue_at


def test_a_step_deadline_after_the_appointment_is_refused(desk):
    dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")

    with pytest.raises(ServiceError) as error:
        dossier_act(
            dossier=dossier,
            actor=desk.officer,
            action="assign",
            to_user=desk.specialist,
            deadline=dossier.due_at + timezone.timedelta(days=1),
        )

    assert error.value.error_code == "step_deadline_after_due"


def test_history_names_the_officials_unit_even_after_a_citizen_profile_check(desk):
    officer = desk.officer
    assert not hasattr(officer, "citizen_profile")  # caches "no citizen profile" on the user

    dossier = dossier_act(dossier=filed(desk), actor=officer, action="receive")

    event = dossier.events.get(action="receive")
    assert event.actor_unit == desk.unit
    assert dossier.events.get(action="submit").actor_unit is None
