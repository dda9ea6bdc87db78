"""Roles as data: ``data/roles.json`` and ``role_sync``."""

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cqs.accounts.models import Role
from cqs.accounts.services import ROLES_FILE, role_definitions_load, role_sync
from cqs.accounts.tests.conftest import db_state
from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.core.modules import get_module

pytestmark = pytest.mark.django_db

REQUIRED_ROLES = {
    "quan-tri-he-thong",
    "quan-tri-don-vi",
    "lanh-dao",
    "van-thu",
    "chuyen-vien",
    "can-bo-mot-cua",
}


def test_the_shipped_file_defines_every_role_of_the_platform_and_no_citizen_role():
    definitions = {d["code"]: d for d in role_definitions_load()}

    assert definitions.keys() >= REQUIRED_ROLES
    assert "cong-dan" not in definitions, "citizens have a CitizenProfile, not a role"
    assert definitions["quan-tri-he-thong"]["requires_2fa"] is True
    assert definitions["quan-tri-don-vi"]["requires_2fa"] is True
    assert definitions["chuyen-vien"]["requires_2fa"] is False
    for code, definition in definitions.items():
        assert definition["name"] and definition["description"], code
        assert all(get_module(m) is not None for m in definition["modules"]), code


def test_a_unit_administrator_holds_every_permission_of_the_roles_it_hands_out():
    # given the shipped definitions
    definitions = {d["code"]: set(d["permissions"]) for d in role_definitions_load()}
    # then each business role is grantable by a unit administrator (see role_grant's rule)
    for code in ("lanh-dao", "van-thu", "chuyen-vien", "can-bo-mot-cua", "xu-ly-phan-anh"):
        assert definitions[code] <= definitions["quan-tri-don-vi"], code
    # and the system administrator's role is not
    assert not definitions["quan-tri-he-thong"] <= definitions["quan-tri-don-vi"]


def test_sync_creates_the_roles_with_permissions_modules_and_an_audit_event_each():
    result = role_sync(definitions=role_definitions_load())

    assert set(result.created) >= REQUIRED_ROLES
    admin = Role.objects.get(code="quan-tri-he-thong")
    assert admin.name == "Quản trị hệ thống"
    assert admin.requires_2fa is True
    assert "admin" in admin.modules
    assert admin.permissions.filter(content_type__app_label="audit", codename="view_auditevent").exists()
    events = AuditEvent.objects.filter(action="accounts.role_create")
    assert events.count() == len(result.created)
    assert events.get(object_id=str(admin.pk)).after["permissions"]


def test_sync_twice_changes_nothing_the_second_time():
    role_sync(definitions=role_definitions_load())
    before = db_state()

    result = role_sync(definitions=role_definitions_load())

    assert not result.changed
    assert set(result.unchanged) >= REQUIRED_ROLES
    assert db_state() == before


def test_sync_updates_a_changed_role_and_records_before_and_after():
    role_sync(definitions=role_definitions_load())
    definitions = copy.deepcopy(role_definitions_load())
    clerk = next(d for d in definitions if d["code"] == "van-thu")
    clerk["name"] = "Văn thư cơ quan"
    clerk["modules"] = ["documents"]

    result = role_sync(definitions=definitions)

    assert result.updated == ["van-thu"]
    role = Role.objects.get(code="van-thu")
    assert (role.name, role.modules) == ("Văn thư cơ quan", ["documents"])
    event = AuditEvent.objects.get(action="accounts.role_update")
    assert event.before["name"] == "Văn thư" and event.after["name"] == "Văn thư cơ quan"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"permissions": ["orgs.fly_orgunit"]}, "unknown_permission"),
        ({"permissions": ["no-dot"]}, "unknown_permission"),
        ({"modules": ["weather"]}, "unknown_module"),
        ({"code": "Vai Trò"}, "invalid_role_definition"),
        ({"name": ""}, "invalid_role_definition"),
        ({"requires_2fa": "yes"}, "invalid_role_definition"),
    ],
)
def test_a_bad_definition_is_refused_and_nothing_is_written(change, code):
    # given a file whose second role is wrong (the first one is fine)
    definitions = copy.deepcopy(role_definitions_load())
    definitions[1].update(change)
    before = db_state()

    with pytest.raises(ServiceError) as exc:
        role_sync(definitions=definitions)

    assert exc.value.error_code == code
    assert exc.value.detail  # a message for people, in Vietnamese
    assert db_state() == before


def test_duplicate_codes_are_refused():
    definitions = role_definitions_load()
    with pytest.raises(ServiceError) as exc:
        role_sync(definitions=[definitions[0], definitions[0]])
    assert exc.value.error_code == "invalid_role_definition"
    assert Role.objects.count() == 0


def test_the_command_loads_the_file_and_reports(capsys):
    call_command("roles_sync")
    call_command("roles_sync")

    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out
    assert Role.objects.filter(code__in=REQUIRED_ROLES).count() == len(REQUIRED_ROLES)


def test_the_command_fails_clearly_on_a_bad_file(tmp_path):
    bad = tmp_path / "roles.json"
    bad.write_text(json.dumps({"roles": [{"code": "x", "name": "X", "permissions": ["orgs.nope_orgunit"]}]}))

    with pytest.raises(CommandError, match="unknown_permission"):
        call_command("roles_sync", "--file", str(bad))
    assert not Role.objects.exists()


def test_the_shipped_file_is_valid_json_with_a_roles_list():
    data = json.loads(ROLES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data["roles"], list)
