import datetime as dt

import pytest
from django.contrib import admin
from django.utils import translation

from cqs.audit.models import AuditEvent
from cqs.core import services
from cqs.core.admin import CalendarOverrideAdmin
from cqs.core.exceptions import ServiceError
from cqs.core.models import CalendarOverride
from cqs.core.tests.factories import CalendarOverrideFactory

pytestmark = pytest.mark.django_db

SATURDAY = dt.date(2026, 3, 7)


def test_setting_an_override_creates_it_and_audits_it():
    override = services.calendar_override_set(
        day=SATURDAY, is_working_day=True, reason=" Làm bù ", legal_basis="Quyết định 1/QĐ-UBND"
    )
    assert CalendarOverride.objects.get(date=SATURDAY) == override
    assert override.reason == "Làm bù"
    event = AuditEvent.objects.get()
    assert event.action == "calendar_override.create"
    assert event.before is None
    assert event.after == {
        "date": "2026-03-07",
        "is_working_day": True,
        "reason": "Làm bù",
        "legal_basis": "Quyết định 1/QĐ-UBND",
    }


def test_setting_an_existing_day_replaces_it_and_keeps_the_before_in_the_audit():
    CalendarOverrideFactory(date=SATURDAY, is_working_day=True, reason="Làm bù")
    services.calendar_override_set(day=SATURDAY, is_working_day=False, reason="Nghỉ", legal_basis="QĐ 2")
    assert CalendarOverride.objects.count() == 1
    assert CalendarOverride.objects.get().is_working_day is False
    event = AuditEvent.objects.get()
    assert event.action == "calendar_override.update"
    assert event.before["is_working_day"] is True
    assert event.after["is_working_day"] is False


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"reason": "  "}, "calendar_override_reason_required", "reason"),
        ({"legal_basis": ""}, "calendar_override_legal_basis_required", "legal_basis"),
        ({"day": "2026-03-07"}, "calendar_override_date_invalid", "date"),
        ({"reason": "x" * 256}, "calendar_override_too_long", None),
    ],
)
def test_bad_input_is_refused_with_a_code_and_writes_nothing(kwargs, code, field):
    arguments = {"day": SATURDAY, "is_working_day": True, "reason": "Làm bù", "legal_basis": "QĐ 1"}
    arguments.update(kwargs)
    with pytest.raises(ServiceError) as excinfo:
        services.calendar_override_set(**arguments)
    assert excinfo.value.error_code == code
    assert excinfo.value.field == field
    assert excinfo.value.detail  # a Vietnamese sentence for people
    assert not CalendarOverride.objects.exists()
    assert not AuditEvent.objects.exists()


def test_deleting_an_override_removes_it_and_audits_it():
    CalendarOverrideFactory(date=SATURDAY)
    services.calendar_override_delete(day=SATURDAY)
    assert not CalendarOverride.objects.exists()
    event = AuditEvent.objects.get()
    assert event.action == "calendar_override.delete"
    assert event.before["date"] == "2026-03-07"


def test_deleting_a_missing_override_is_refused_and_writes_nothing():
    with pytest.raises(ServiceError) as excinfo:
        services.calendar_override_delete(day=SATURDAY)
    assert excinfo.value.error_code == "calendar_override_not_found"
    assert excinfo.value.status == 404
    assert "07/03/2026" in excinfo.value.detail
    assert not AuditEvent.objects.exists()


def test_the_admin_saves_and_deletes_through_the_service(rf, admin_user):
    # given the admin's own form, filled in the Vietnamese way (day/month/year)
    model_admin = CalendarOverrideAdmin(CalendarOverride, admin.site)
    request = rf.post("/admin/core/calendaroverride/add/")
    request.user = admin_user
    with translation.override("vi"):
        form = model_admin.get_form(request)(
            data={
                "date": "07/03/2026",
                "is_working_day": "on",
                "reason": "Làm bù",
                "legal_basis": "Quyết định 1/QĐ-UBND",
            }
        )
        assert form.is_valid(), form.errors
    # when the admin saves it
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)
    # then the service wrote it (7 March, not 3 July) with the administrator as the actor
    override = CalendarOverride.objects.get(date=SATURDAY)
    assert obj.pk == override.pk
    assert AuditEvent.objects.get().actor_id == admin_user.pk
    assert model_admin.get_readonly_fields(request, override)[0] == "date"

    model_admin.delete_queryset(request, CalendarOverride.objects.all())
    assert not CalendarOverride.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "calendar_override.create",
        "calendar_override.delete",
    ]
