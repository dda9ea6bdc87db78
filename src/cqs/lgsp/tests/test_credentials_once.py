"""A credential is issued once per submission: repeating it (a reload, a retried API call) issues
nothing, because the secret of the first one was shown only once."""

import pytest

from cqs.accounts.tests.factories import OfficialFactory
from cqs.core.exceptions import Conflict
from cqs.lgsp.models import Credential
from cqs.lgsp.services import access, registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def subsystem():
    member = registry.member_create(member_class="GOV", code="000.00.00.H62", name="UBND tỉnh")
    return registry.subsystem_create(member=member, code="MOTCUA", name="Một cửa")


@pytest.mark.parametrize("issue", [access.api_key_issue, access.oauth_client_issue])
def test_the_same_token_twice_is_a_conflict_and_stores_nothing(subsystem, issue):
    official = OfficialFactory()
    issue(subsystem=subsystem, client_token="form-1", actor=official)

    with pytest.raises(Conflict) as repeated:
        issue(subsystem=subsystem, client_token="form-1", actor=official)

    assert repeated.value.error_code == "already_issued"
    assert Credential.objects.count() == 1


def test_tokens_are_per_person_and_empty_means_no_check(subsystem):
    first, second = OfficialFactory(), OfficialFactory()
    access.api_key_issue(subsystem=subsystem, client_token="form-1", actor=first)
    access.api_key_issue(subsystem=subsystem, client_token="form-1", actor=second)
    access.api_key_issue(subsystem=subsystem, actor=first)
    access.api_key_issue(subsystem=subsystem, actor=first)

    assert Credential.objects.count() == 4
