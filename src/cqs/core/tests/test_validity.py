"""The half-open validity rule shared by every app with effective dates."""

from datetime import date

import pytest

from cqs.orgs.models import OrgUnit
from cqs.orgs.tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db


def test_a_row_is_in_force_from_its_first_day_until_the_day_before_valid_to():
    # given a row valid on [1/1/2020, 1/7/2025) and an open-ended one from 1/7/2025
    old = OrgUnitFactory(valid_from=date(2020, 1, 1), valid_to=date(2025, 7, 1))
    new = OrgUnitFactory(valid_from=date(2025, 7, 1))
    # then each day belongs to exactly one of them around the change
    assert list(OrgUnit.objects.as_of(date(2019, 12, 31))) == []
    assert list(OrgUnit.objects.as_of(date(2020, 1, 1))) == [old]
    assert list(OrgUnit.objects.as_of(date(2025, 6, 30))) == [old]
    assert list(OrgUnit.objects.as_of(date(2025, 7, 1))) == [new]
    assert list(OrgUnit.objects.as_of(date(2099, 1, 1))) == [new]
