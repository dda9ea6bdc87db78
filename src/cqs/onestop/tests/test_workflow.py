"""Tests generated from the transition table: every edge allowed in its states for its actors,
refused in every other state and for every other person."""

import itertools

import pytest
from django.utils import timezone

from cqs.core.exceptions import ServiceError
from cqs.onestop import workflow
from cqs.onestop.choices import Channel, DossierStatus, Stage
from cqs.onestop.models import Dossier
from cqs.onestop.workflow import TRANSITIONS, transition_check

pytestmark = pytest.mark.django_db

# Every state a dossier can be in: statuses, and the stages inside status 4.
STATES = [(status, Stage.NONE) for status in DossierStatus if status != DossierStatus.PROCESSING] + [
    (DossierStatus.PROCESSING, stage) for stage in (Stage.WAITING, Stage.HANDLING, Stage.PROPOSED)
]
ACTIONS = [action for action in TRANSITIONS if action != "submit"]

_counter = itertools.count(1)


def make(desk, status, stage=Stage.NONE) -> Dossier:
    now = timezone.now()
    return Dossier.objects.create(
        code=None if status == DossierStatus.DRAFT else f"000.00.41.H98-261127-{next(_counter):04d}",
        procedure=desk.procedure,
        version=desk.version,
        unit=desk.unit,
        handling_unit=desk.unit,
        status=status,
        stage=stage,
        channel=Channel.ONLINE,
        applicant=desk.citizen,
        applicant_name="Nguyễn Văn An",
        created_by=desk.citizen,
        received_at=now,
        due_at=now + timezone.timedelta(days=3),
    )


def authorised(desk, transition):
    """Someone the table lets take ``transition``."""
    for actor in transition.actors:
        if actor == workflow.APPLICANT:
            return desk.citizen
        return {
            workflow.RECEIVE: desk.officer,
            workflow.PROCESS: desk.specialist,
            workflow.APPROVE: desk.leader,
        }[actor]


def expected(transition, status, stage) -> bool:
    if status not in transition.sources:
        return False
    return transition.stages is None or status != DossierStatus.PROCESSING or stage in transition.stages


@pytest.mark.parametrize("action", ACTIONS)
def test_each_edge_is_allowed_exactly_in_its_states(desk, action):
    transition = TRANSITIONS[action]
    actor = authorised(desk, transition)
    for status, stage in STATES:
        dossier = make(desk, status, stage)
        if expected(transition, status, stage):
            assert transition_check(action, user=actor, dossier=dossier) is transition
        else:
            with pytest.raises(ServiceError) as error:
                transition_check(action, user=actor, dossier=dossier)
            assert error.value.error_code == "invalid_transition", (action, status, stage)
            assert error.value.status == 409


@pytest.mark.parametrize("action", ACTIONS)
def test_each_edge_is_refused_to_people_the_table_does_not_name(desk, action):
    transition = TRANSITIONS[action]
    status = transition.sources[0]
    stage = (transition.stages or (Stage.HANDLING,))[0] if status == DossierStatus.PROCESSING else Stage.NONE
    dossier = make(desk, status, stage)
    people = {
        workflow.APPLICANT: desk.citizen,
        workflow.RECEIVE: desk.officer,
        workflow.PROCESS: desk.specialist,
        workflow.APPROVE: desk.leader,
    }
    outsiders = [desk.stranger, desk.other_officer] + [
        person for role, person in people.items() if role not in transition.actors
    ]
    for person in outsiders:
        with pytest.raises(ServiceError) as error:
            transition_check(action, user=person, dossier=dossier)
        assert error.value.error_code == "action_not_allowed", (action, person.username)
        assert error.value.status == 403


def test_an_unknown_action_is_a_clear_error(desk):
    with pytest.raises(ServiceError) as error:
        transition_check("teleport", user=desk.officer, dossier=make(desk, DossierStatus.RECEIVED))

    assert error.value.error_code == "unknown_action"


def test_the_table_uses_only_the_national_status_codes(desk):
    codes = set(range(0, 11))
    for transition in TRANSITIONS.values():
        assert set(transition.sources) <= codes
        assert transition.target is None or transition.target in codes
