from datetime import date
from decimal import Decimal

import pytest

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.onestop.models import Procedure, ProcedureVersion
from cqs.onestop.selectors import procedure_unit_code, procedure_version_on
from cqs.onestop.tests.conftest import db_state
from cqs.onestop.tests.factories import publish, version_data
from cqs.orgs.tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db


def test_publishing_a_new_code_creates_procedure_sector_and_version_one():
    # when
    version = publish("1.001612")

    # then
    procedure = Procedure.objects.get(code="1.001612")
    assert procedure.sector.code == "HT" and procedure.sector.name == "Hộ tịch"
    assert procedure.levels == ["xa"]
    assert (version.number, version.valid_from, version.valid_to) == (1, date(2025, 7, 1), None)
    assert version.processing_time == Decimal("3.00")
    assert [(f.kind, f.amount) for f in version.fees.all()] == [("le-phi", 8000)]
    assert [d.name for d in version.documents.all()] == ["Tờ khai"]
    event = AuditEvent.objects.get(action="onestop.procedure_version.publish")
    assert event.after["procedure"] == "1.001612" and event.after["version"] == 1


def test_a_new_version_closes_the_previous_one_and_keeps_its_content():
    # given
    first = publish("1.001612")

    # when
    second = publish("1.001612", valid_from=date(2026, 1, 1), fees=[], name="Đăng ký khai sinh (mới)")

    # then: history appended, the old version unchanged except its end
    first.refresh_from_db()
    assert first.valid_to == date(2026, 1, 1)
    assert first.name == "Đăng ký khai sinh" and first.fees.count() == 1
    assert (second.number, second.valid_to) == (2, None)
    assert Procedure.objects.get(code="1.001612").name == "Đăng ký khai sinh (mới)"
    procedure = first.procedure
    assert procedure_version_on(procedure, date(2025, 12, 31)) == first
    assert procedure_version_on(procedure, date(2026, 1, 1)) == second
    assert procedure_version_on(procedure, date(2025, 6, 30)) is None


def test_publishing_identical_data_writes_nothing():
    # given
    publish("1.001612")
    before = db_state()

    # when
    again = publish("1.001612", valid_from=date(2026, 3, 1))

    # then
    assert again.number == 1
    assert db_state() == before


@pytest.mark.parametrize("valid_from", [date(2025, 7, 1), date(2025, 1, 1)])
def test_a_back_dated_or_same_day_version_is_refused_and_writes_nothing(valid_from):
    # given
    publish("1.001612")
    before = db_state()

    # when
    with pytest.raises(ServiceError) as error:
        publish("1.001612", valid_from=valid_from, name="Khác", levels=["tinh"])

    # then
    assert error.value.error_code == "version_overlap"
    assert "01/07/2025" in error.value.detail
    assert db_state() == before


@pytest.mark.parametrize(
    ("code", "overrides", "error_code"),
    [
        ("1.00161", {}, "invalid_procedure_code"),
        ("1.001612.000.00.00.H62", {}, "invalid_procedure_code"),
        ("1.001612", {"fees": [{"kind": "phi", "amount": -1, "description": ""}]}, "negative_fee"),
        ("1.001612", {"fees": [{"kind": "thue", "amount": 1, "description": ""}]}, "invalid_fee_kind"),
        ("1.001612", {"processing_time_unit": "weeks"}, "invalid_time_unit"),
        ("1.001612", {"processing_time": Decimal("-1")}, "invalid_processing_time"),
        ("1.001612", {"processing_time": "năm ngày"}, "invalid_processing_time"),
        ("1.001612", {"online_level": "muc-5"}, "invalid_online_level"),
        ("1.001612", {"legacy_level": 5}, "invalid_legacy_level"),
        ("1.001612", {"levels": []}, "invalid_level"),
        ("1.001612", {"levels": ["trung-uong"]}, "invalid_level"),
        ("1.001612", {"name": "  "}, "required"),
        ("1.001612", {"channels": [4]}, "invalid_channel"),
        ("1.001612", {"documents": [{"name": "Tờ khai", "original_count": -1}]}, "invalid_copy_count"),
        (
            "1.001612",
            {"documents": [{"name": "Tờ khai", "form_url": "javascript:alert(1)"}]},
            "invalid_form_url",
        ),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_writes_nothing(code, overrides, error_code):
    # given
    before = db_state()

    # when
    with pytest.raises(ServiceError) as error:
        publish(code, **overrides)

    # then
    assert error.value.error_code == error_code
    assert error.value.detail  # a Vietnamese sentence for people
    assert db_state() == before


def test_a_changed_classification_without_new_content_is_recorded_but_not_versioned():
    # given
    publish("1.001612")

    # when
    version = publish("1.001612", valid_from=date(2026, 1, 1), levels=["tinh", "xa"])

    # then
    assert version.number == 1
    assert Procedure.objects.get(code="1.001612").levels == ["tinh", "xa"]
    assert AuditEvent.objects.filter(action="onestop.procedure.update").count() == 1


def test_unit_specific_code_is_national_code_dot_unit_identifier():
    # given
    unit = OrgUnitFactory(identifier="000.00.00.H62")
    version = publish("1.001612", units=[unit])

    # then
    assert procedure_unit_code(version.procedure, unit) == "1.001612.000.00.00.H62"
    assert procedure_unit_code(version.procedure, OrgUnitFactory(identifier="")) == ""


def test_versions_are_numbered_in_order():
    publish("1.000002")
    publish("1.000002", valid_from=date(2026, 1, 1), name="Hai")
    publish("1.000002", valid_from=date(2026, 6, 1), name="Ba")

    rows = list(ProcedureVersion.objects.values_list("number", "valid_from", "valid_to"))
    assert rows == [
        (1, date(2025, 7, 1), date(2026, 1, 1)),
        (2, date(2026, 1, 1), date(2026, 6, 1)),
        (3, date(2026, 6, 1), None),
    ]
    assert version_data()["name"] == "Đăng ký khai sinh"  # the factory's data is not shared state
