"""Registry reads: the catalogue, what a unit provides, what waits for whom, grants, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cqs.lgsp import selectors
from cqs.lgsp.models import ConnectionRequest
from cqs.lgsp.services import access
from cqs.lgsp.services import registry as reg
from cqs.lgsp.tests.api_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


def codes(queryset) -> list[str]:
    return [service.code for service in queryset]


def test_the_public_catalogue_has_published_services_of_active_subsystems_only(world):
    assert codes(selectors.catalogue_search()) == ["persons", "beds"]

    reg.subsystem_set_active(subsystem=world.health_sub, active=False)

    assert codes(selectors.catalogue_search()) == ["persons"]


def test_a_provider_also_finds_its_own_drafts(world):
    assert codes(selectors.catalogue_search(user=world.provider_admin)) == ["households", "persons", "beds"]
    assert codes(selectors.catalogue_search(user=world.health_admin)) == ["persons", "beds"]
    assert codes(selectors.catalogue_search(user=world.operator, status="draft")) == ["households"]


def test_search_needs_every_word_somewhere(world):
    assert codes(selectors.catalogue_search(q="tra cứu công dân")) == ["persons"]
    assert codes(selectors.catalogue_search(q="Y tế")) == ["beds"]  # the member's name
    assert codes(selectors.catalogue_search(q="persons")) == ["persons"]  # the code
    assert codes(selectors.catalogue_search(q="công dân giường")) == []


def test_services_of_a_unit_cover_its_subtree(world):
    assert sorted(codes(selectors.services_of_unit(world.province))) == ["beds", "households", "persons"]
    assert sorted(codes(selectors.services_of_unit(world.police))) == ["households", "persons"]
    assert codes(selectors.services_of_unit(world.province, include_subunits=False)) == []


def test_requests_wait_for_the_provider_not_for_the_operator_nor_other_units(world):
    request = access.request_submit(client=world.client, service=world.persons, purpose="Thủ tục hành chính")

    assert list(selectors.requests_to_decide(world.provider_admin)) == [request]
    assert list(selectors.requests_to_decide(world.operator)) == []
    assert list(selectors.requests_to_decide(world.health_admin)) == []
    access.request_withdraw(request=request)
    assert list(selectors.requests_to_decide(world.provider_admin)) == []
    assert list(selectors.requests_to_decide(world.provider_admin, pending_only=False)) == [request]


def test_requests_of_clients_and_visibility_from_both_sides(world):
    request = access.request_submit(client=world.client, service=world.persons, purpose="Thủ tục hành chính")

    assert list(selectors.requests_of_clients(world.client_admin)) == [request]
    assert list(selectors.requests_of_clients(world.provider_admin)) == []
    for user in (world.client_admin, world.provider_admin, world.operator):
        assert list(selectors.requests_visible(user)) == [request]
    assert list(selectors.requests_visible(world.health_admin)) == []
    assert list(selectors.requests_visible(world.citizen)) == []


def test_overdue_requests_are_pending_ones_past_their_day(world):
    late = access.request_submit(client=world.client, service=world.persons, purpose="Thủ tục hành chính")
    today = access.request_submit(client=world.health_sub, service=world.persons, purpose="Khám bệnh")
    ConnectionRequest.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    ConnectionRequest.objects.filter(pk=today.pk).update(due_on=timezone.localdate())

    assert list(selectors.requests_overdue()) == [late]
    assert list(selectors.requests_overdue(today=timezone.localdate() + timedelta(days=1))) == [late, today]
    ConnectionRequest.objects.filter(pk=late.pk).update(escalated_at=timezone.now())
    assert list(selectors.requests_overdue(unescalated_only=True)) == []


def test_grants_of_a_subsystem_include_its_groups_and_leave_out_revoked_ones(world):
    direct = access.grant_create(service=world.persons, client=world.client)
    group = reg.group_create(code="nhom-tinh", name="Cấp tỉnh", subsystems=[world.client, world.health_sub])
    through_group = access.grant_create(service=world.beds, group=group)
    revoked = access.grant_create(service=world.persons, client=world.client, endpoint=world.get_persons)
    access.grant_revoke(grant=revoked, reason="Hết nhu cầu")

    assert set(selectors.grants_of_subsystem(world.client)) == {direct, through_group}
    assert set(selectors.grants_of_subsystem(world.client, active_only=False)) == {
        direct,
        through_group,
        revoked,
    }
    assert list(selectors.grants_of_subsystem(world.national_sub)) == []


def test_who_may_act_for_which_unit(world):
    police, external = world.police, None

    assert selectors.may_act_for(world.provider_admin, police, "lgsp.add_service")
    assert not selectors.may_act_for(world.health_admin, police, "lgsp.add_service")
    assert selectors.may_act_for(world.operator, police, "lgsp.add_service")  # the registry operator
    assert not selectors.may_act_for(world.operator, police, "lgsp.decide_connectionrequest", operator=False)
    assert selectors.may_act_for(world.operator, external, "lgsp.add_service")
    assert not selectors.may_act_for(world.provider_admin, external, "lgsp.add_service")
    assert not selectors.may_act_for(world.citizen, police, "lgsp.add_service")


def test_credentials_are_visible_to_their_subsystem_unit_and_the_operator(world):
    issued = access.api_key_issue(subsystem=world.client)

    assert list(selectors.credentials_visible(world.client_admin)) == [issued.credential]
    assert list(selectors.credentials_visible(world.operator)) == [issued.credential]
    assert list(selectors.credentials_visible(world.health_admin)) == []
    assert selectors.credential_is_live(issued.credential, now=timezone.now() + timedelta(days=365))
    expiring = access.api_key_issue(subsystem=world.client, expires_at=timezone.now() + timedelta(hours=1))
    assert not selectors.credential_is_live(expiring.credential, now=timezone.now() + timedelta(hours=2))
    assert not selectors.credential_is_live(access.credential_revoke(credential=issued.credential))
