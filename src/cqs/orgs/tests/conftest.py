from datetime import date
from types import SimpleNamespace

import pytest

from cqs.audit.models import AuditEvent
from cqs.orgs.models import OrgUnit, ReorganisationEvent, Succession
from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

START = date(2000, 1, 1)
CHANGE = date(2025, 7, 1)


@pytest.fixture
def kinds(db):
    return SimpleNamespace(
        province=OrgUnitKindFactory(province=True),
        department=OrgUnitKindFactory(department=True),
        district=OrgUnitKindFactory(district=True),
        commune=OrgUnitKindFactory(commune=True),
    )


@pytest.fixture
def tree(kinds):
    """P → D1 (C1, C2), D2 (C3); all in force from 2000-01-01, open-ended."""
    p = OrgUnitFactory(
        kind=kinds.province, name="UBND tỉnh Thử", identifier="000.00.00.H98", valid_from=START
    )
    d1 = OrgUnitFactory(kind=kinds.district, name="Huyện Một", identifier="000.00.01.H98", parent=p)
    d2 = OrgUnitFactory(kind=kinds.district, name="Huyện Hai", identifier="000.00.02.H98", parent=p)
    c1 = OrgUnitFactory(kind=kinds.commune, name="Xã An", identifier="000.01.01.H98", parent=d1)
    c2 = OrgUnitFactory(kind=kinds.commune, name="Xã Bình", identifier="000.02.01.H98", parent=d1)
    c3 = OrgUnitFactory(kind=kinds.commune, name="Xã Cường", identifier="000.01.02.H98", parent=d2)
    return SimpleNamespace(p=p, d1=d1, d2=d2, c1=c1, c2=c2, c3=c3)


def db_state() -> dict:
    """Everything a refused service call must leave untouched."""
    return {
        "units": sorted(
            OrgUnit.objects.values_list("pk", "name", "parent_id", "valid_from", "valid_to", "path")
        ),
        "events": ReorganisationEvent.objects.count(),
        "successions": Succession.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def official(django_user_model):
    return django_user_model.objects.create_user(username="canbo", password="mat-khau-dai-1234")


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client
