"""Creating officials and citizens: validated, atomic, audited without personal numbers."""

import json

import pytest

from cqs.accounts.models import User
from cqs.accounts.services import user_create_citizen, user_create_official
from cqs.accounts.tests.conftest import db_state, official_with_role
from cqs.accounts.tests.factories import CitizenFactory
from cqs.audit.models import AuditEvent
from cqs.core.exceptions import Conflict, Forbidden, ServiceError

pytestmark = pytest.mark.django_db

PASSWORD = "mot-mat-khau-dai-2026"


def test_an_official_is_created_with_profile_roles_and_audit(tree, roles):
    user = user_create_official(
        username="canbo.an",
        password=PASSWORD,
        full_name="Nguyễn  Văn   An",
        unit=tree.c1,
        position="Chuyên viên",
        roles=["chuyen-vien"],
    )

    user.refresh_from_db()
    assert user.full_name == "Nguyễn Văn An"
    assert user.check_password(PASSWORD)
    assert user.official_profile.unit == tree.c1
    assert list(user.grants.values_list("role__code", "unit")) == [("chuyen-vien", tree.c1.pk)]
    created = AuditEvent.objects.get(action="accounts.user_create", object_id=str(user.pk))
    assert created.after["unit"] == tree.c1.pk
    assert created.after["kind"] == "official"
    assert "password" not in json.dumps(created.after)
    assert AuditEvent.objects.filter(action="accounts.role_grant").count() == 1


def test_a_citizen_is_created_and_the_audit_trail_holds_only_masked_numbers(db):
    user = user_create_citizen(
        username="congdan.an",
        password=PASSWORD,
        full_name="Trần Thị Bình",
        cccd="026090001234",
        phone="0912 345 678",
    )

    assert user.citizen_profile.cccd == "026090001234"
    assert user.citizen_profile.phone == "0912345678"
    event = AuditEvent.objects.get(action="accounts.user_create")
    raw = json.dumps(event.after)
    assert event.after["cccd"] == "0260******34"
    assert event.after["phone"] == "0912****78"
    assert "026090001234" not in raw and "0912345678" not in raw


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"cccd": "12345678901"}, "invalid_cccd", "cccd"),
        ({"cccd": "02609000123a"}, "invalid_cccd", "cccd"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"username": "co dau cach"}, "invalid_username", "username"),
        ({"full_name": "   "}, "required", "full_name"),
        ({"password": "123"}, "weak_password", "password"),
    ],
)
def test_bad_citizen_input_is_refused_with_a_stable_code_and_nothing_written(db, changes, code, field):
    data = {
        "username": "congdan.moi",
        "password": PASSWORD,
        "full_name": "Lê Văn Cường",
        "cccd": "026090009999",
        "phone": "0987654321",
    } | changes
    before = db_state()

    with pytest.raises(ServiceError) as exc:
        user_create_citizen(**data)

    assert (exc.value.error_code, exc.value.field) == (code, field)
    assert exc.value.detail
    assert db_state() == before


def test_a_cccd_already_used_is_refused_as_duplicate_cccd(db):
    CitizenFactory(citizen_profile__cccd="026090001234")
    before = db_state()

    with pytest.raises(Conflict) as exc:
        user_create_citizen(username="khac", password=PASSWORD, full_name="Người Khác", cccd="026090001234")

    assert exc.value.error_code == "duplicate_cccd"
    assert "căn cước" in exc.value.detail
    assert db_state() == before


def test_a_username_already_taken_is_refused_whatever_its_case(tree):
    official_with_role(tree.c1, username="canbo.an")
    before = db_state()

    with pytest.raises(Conflict) as exc:
        user_create_official(username="CanBo.An", password=PASSWORD, full_name="Ai Đó", unit=tree.c1)

    assert exc.value.error_code == "duplicate_username"
    assert db_state() == before


def test_a_unit_administrator_creates_officials_in_its_subtree(unit_admin, tree):
    user = user_create_official(
        username="canbo.xa", password=PASSWORD, full_name="Cán Bộ Xã", unit=tree.c2, actor=unit_admin
    )
    assert user.official_profile.unit == tree.c2
    event = AuditEvent.objects.get(action="accounts.user_create", object_id=str(user.pk))
    assert event.actor_id == unit_admin.pk


def test_a_unit_administrator_cannot_create_officials_outside_its_subtree(unit_admin, tree):
    before = db_state()
    for unit in (tree.c3, tree.d2, tree.p):
        with pytest.raises(Forbidden) as exc:
            user_create_official(
                username="canbo.ngoai", password=PASSWORD, full_name="Cán Bộ", unit=unit, actor=unit_admin
            )
        assert exc.value.error_code == "forbidden_unit"
    assert db_state() == before


def test_only_a_superuser_may_create_staff_accounts(unit_admin, tree):
    before = db_state()
    with pytest.raises(Forbidden) as exc:
        user_create_official(
            username="nhanvien",
            password=PASSWORD,
            full_name="Nhân Viên",
            unit=tree.c1,
            is_staff=True,
            actor=unit_admin,
        )
    assert exc.value.error_code == "forbidden_flag"
    assert db_state() == before


def test_a_failing_grant_rolls_back_the_whole_account(unit_admin, tree):
    # given a unit administrator, who may not hand out the system administrator's role
    before = db_state()

    with pytest.raises(Forbidden) as exc:
        user_create_official(
            username="leo.thang",
            password=PASSWORD,
            full_name="Leo Thang",
            unit=tree.c1,
            roles=["quan-tri-he-thong"],
            actor=unit_admin,
        )

    assert exc.value.error_code == "role_exceeds_actor"
    assert not User.objects.filter(username="leo.thang").exists()
    assert db_state() == before
