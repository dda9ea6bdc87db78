from datetime import date
from types import SimpleNamespace

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.accounts.models import CitizenProfile, OfficialProfile, Role, RoleGrant, User
from cqs.accounts.services import role_definitions_load, role_sync
from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory, TOTPDeviceFactory
from cqs.audit.models import AuditEvent
from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

START = date(2000, 1, 1)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's deliberate slowness buys nothing in tests and costs seconds per account.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    """P → D1 (C1, C2), D2 (C3)."""
    province = OrgUnitKindFactory(province=True)
    district = OrgUnitKindFactory(district=True)
    commune = OrgUnitKindFactory(commune=True)
    p = OrgUnitFactory(kind=province, name="UBND tỉnh Thử", identifier="000.00.00.H98", valid_from=START)
    d1 = OrgUnitFactory(kind=district, name="Huyện Một", identifier="000.00.01.H98", parent=p)
    d2 = OrgUnitFactory(kind=district, name="Huyện Hai", identifier="000.00.02.H98", parent=p)
    c1 = OrgUnitFactory(kind=commune, name="Xã An", identifier="000.01.01.H98", parent=d1)
    c2 = OrgUnitFactory(kind=commune, name="Xã Bình", identifier="000.02.01.H98", parent=d1)
    c3 = OrgUnitFactory(kind=commune, name="Xã Cường", identifier="000.01.02.H98", parent=d2)
    return SimpleNamespace(p=p, d1=d1, d2=d2, c1=c1, c2=c2, c3=c3)


@pytest.fixture
def roles(db) -> dict[str, Role]:
    """The shipped roles of ``data/roles.json``."""
    role_sync(definitions=role_definitions_load())
    return {role.code: role for role in Role.objects.all()}


def official_with_role(unit, role: Role | None = None, *, grant_unit=None, **kwargs) -> User:
    user = OfficialFactory(official_profile__unit=unit, **kwargs)
    if role is not None:
        RoleGrantFactory(user=user, role=role, unit=grant_unit or unit)
    return user


@pytest.fixture
def unit_admin(tree, roles) -> User:
    """Unit administrator of district D1."""
    return official_with_role(tree.d1, roles["quan-tri-don-vi"], username="quantri.d1")


@pytest.fixture
def specialist(tree, roles) -> User:
    """A specialist of commune C1, no 2FA required by the role."""
    return official_with_role(tree.c1, roles["chuyen-vien"], username="chuyenvien.c1")


def otp_verified_login(client, user) -> TOTPDevice:
    """Sign ``client`` in as ``user`` with a session already verified by a TOTP device."""
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def db_state() -> dict:
    """Everything a refused service call must leave untouched."""
    return {
        "users": sorted(User.objects.values_list("pk", "username", "full_name", "is_staff", "is_superuser")),
        "officials": sorted(OfficialProfile.objects.values_list("pk", "user_id", "unit_id")),
        "citizens": sorted(CitizenProfile.objects.values_list("pk", "user_id", "cccd")),
        "grants": sorted(RoleGrant.objects.values_list("pk", "user_id", "role_id", "unit_id")),
        "roles": sorted(Role.objects.values_list("pk", "code", "name", "requires_2fa")),
        "devices": TOTPDevice.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
