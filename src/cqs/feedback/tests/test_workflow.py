"""Tests generated from the transition table (workflow.TRANSITIONS): every edge succeeds in each
of its source states for someone the table names, is refused to everyone it does not name, and
is refused in every other state; plus the table's invariants."""

from collections import deque
from datetime import timedelta

import pytest

from cqs.core.exceptions import ServiceError
from cqs.feedback import workflow
from cqs.feedback.choices import OPEN_STATUSES, Status, Urgency
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.tests.world import POINT
from cqs.feedback.workflow import HANDLE, PUBLISH, RECEIVE, REPORTER, TRANSITIONS

pytestmark = pytest.mark.django_db
NOTE = "Ghi chú của cán bộ xử lý."
# States the services write ``closed_at`` for: the report's life has ended (until a reopen).
ENDED = {Status.CLOSED, Status.REJECTED, Status.TRANSFERRED}

EDGES = [(action, source) for action, t in TRANSITIONS.items() for source in t.sources]


# --- building a report into each state, through the services ---------------------------------


def submit(world, *, area=None, **overrides):
    fields = {
        "category": world.pothole,
        "description": "Ổ gà lớn trước cổng trường, xe máy dễ ngã.",
        "attributes": {"kich-thuoc": "lon"},
        "lat": POINT[0],
        "lon": POINT[1],
        "area": area or world.commune_a,
        "reporter": world.citizen,
        "contact_phone": "0912345678",
    }
    fields.update(overrides)
    report, _created = report_submit(**fields)
    return report


# The staff steps from "received" (at Phường Vĩnh Phúc) to each state: (action, who, fields).
_ANSWER = {"answer": "Đơn vị đã vá ổ gà ngày 3/3/2026."}
PATHS = {
    Status.RECEIVED: [],
    Status.ACCEPTED: [("accept", "handler_a", {})],
    Status.IN_PROGRESS: [("accept", "handler_a", {}), ("start", "handler_a", {})],
    Status.INFO_REQUESTED: [("accept", "handler_a", {}), ("request_info", "handler_a", {"note": NOTE})],
    Status.ANSWERED: [("accept", "handler_a", {}), ("answer", "handler_a", _ANSWER)],
    Status.PUBLISHED: [
        ("accept", "handler_a", {}),
        ("answer", "handler_a", _ANSWER),
        ("publish", "leader_a", {}),
    ],
    Status.CLOSED: [("accept", "handler_a", {}), ("answer", "handler_a", _ANSWER), ("close", "leader_a", {})],
    Status.REOPENED: [
        ("accept", "handler_a", {}),
        ("answer", "handler_a", _ANSWER),
        ("reopen", "leader_a", {"note": NOTE}),
    ],
    Status.REJECTED: [("reject", "handler_a", {"note": "Không có nội dung phản ánh."})],
    Status.TRANSFERRED: [
        (
            "transfer",
            "handler_a",
            {"note": NOTE, "external_agency": "Công ty Điện lực Phú Thọ", "external_reference": "12/UBND"},
        )
    ],
}


def make(world, status, **overrides):
    """A report of the citizen at Phường Vĩnh Phúc, brought to ``status`` by the services."""
    if status == Status.FORWARDED:
        # Filed at Phường Phúc Yên, forwarded by its handler to Phường Vĩnh Phúc.
        report = submit(world, area=world.commune_b, **overrides)
        report = report_act(
            report=report, action="forward", actor=world.handler_b, note=NOTE, unit=world.commune_a
        )
    else:
        report = submit(world, **overrides)
        for action, who, fields in PATHS[status]:
            report = report_act(report=report, action=action, actor=getattr(world, who), **fields)
    assert report.status == status and report.unit == world.commune_a
    return report


def inputs(world, action, report) -> dict:
    """What each action needs besides the actor (services.reports.report_act)."""
    if action == "forward":
        return {"note": NOTE, "unit": world.commune_b}
    if action == "transfer":
        return {"note": NOTE, "external_agency": "Sở Xây dựng tỉnh Bắc Ninh", "external_reference": "45/CV"}
    if action == "answer":
        return {"answer": "Đơn vị đã khắc phục xong ổ gà."}
    if action == "mark_duplicate":
        return {"duplicate_of": submit(world, description="Ổ gà trước cổng trường (đã báo).")}
    if action == "split":
        return {
            "parts": [
                {"category": world.pothole, "description": "Ổ gà trước cổng trường"},
                {"category": world.lights, "description": "Đèn đường trước cổng trường tắt"},
            ]
        }
    if action == "reclassify":
        return {"category": world.lights, "urgency": Urgency.URGENT}
    return {"note": NOTE} if TRANSITIONS[action].needs_note else {}


# --- who holds what on Phường Vĩnh Phúc --------------------------------------------------------


@pytest.fixture
def people(world):
    """Everyone, with the permissions the shipped roles give them on Phường Vĩnh Phúc's reports."""
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory

    clerk = OfficialFactory(username="motcua.a", official_profile__unit=world.commune_a)
    RoleGrantFactory(user=clerk, role=world.roles["can-bo-mot-cua"], unit=world.commune_a)
    world.clerk_a = clerk
    return {
        "handler_a": {RECEIVE, HANDLE},
        "province_handler": {RECEIVE, HANDLE},  # a grant on the province covers its communes
        "clerk_a": {RECEIVE},
        "leader_a": {PUBLISH},
        "handler_b": set(),  # another commune's handler
        "citizen": {REPORTER},  # the reporter (by account)
        "other_citizen": set(),
    }


def allowed_staff(world, people, transition):
    """A member of staff the table lets take ``transition`` (None when only the reporter may)."""
    for name in ("handler_a", "leader_a", "clerk_a"):
        if people[name] & set(transition.actors):
            return getattr(world, name)
    return None


# --- every edge, for someone it names ---------------------------------------------------------


@pytest.mark.parametrize(("action", "source"), EDGES)
def test_each_edge_succeeds_from_each_of_its_states(world, people, action, source):
    # Given a report in the source state and a member of staff the table names
    transition = TRANSITIONS[action]
    report = make(world, source)
    actor = allowed_staff(world, people, transition)
    fields = inputs(world, action, report)
    before = report.events.count()

    # When they take the action
    report = report_act(report=report, action=action, actor=actor, **fields)

    # Then the status is the table's target and one history row records the step
    assert report.status == (transition.target or source)
    assert report.events.count() == before + 1
    event = report.events.order_by("-pk").first()
    assert (event.action, event.from_status, event.to_status) == (action, source, report.status)
    assert event.actor == actor
    assert event.public == (transition.public and action != "comment")


@pytest.mark.parametrize(
    ("action", "source"), [(a, s) for a, s in EDGES if REPORTER in TRANSITIONS[a].actors]
)
@pytest.mark.parametrize("how", ["token", "account"])
def test_reporter_edges_succeed_with_the_secret_link_or_the_account(world, people, action, source, how):
    report = make(world, source)
    credentials = {"token": report.access_token} if how == "token" else {"actor": world.citizen}

    report = report_act(report=report, action=action, note="Tôi bổ sung: ổ gà sâu 20 cm.", **credentials)

    assert report.status == TRANSITIONS[action].target
    event = report.events.order_by("-pk").first()
    assert event.action == action
    assert event.actor == (world.citizen if how == "account" else None)


@pytest.mark.parametrize("action", [a for a, t in TRANSITIONS.items() if REPORTER in t.actors])
@pytest.mark.parametrize("who", ["wrong_token", "other_citizen", "other_citizen_with_wrong_token", "nobody"])
def test_reporter_edges_are_refused_to_anyone_else(world, people, action, who):
    report = make(world, TRANSITIONS[action].sources[0])
    credentials = {
        "wrong_token": {"token": "x" * len(report.access_token)},
        "other_citizen": {"actor": world.other_citizen},
        "other_citizen_with_wrong_token": {"actor": world.other_citizen, "token": report.access_token[:-1]},
        "nobody": {},
    }[who]
    before = report.events.count()

    with pytest.raises(ServiceError) as error:
        report_act(report=report, action=action, note=NOTE, **credentials)

    assert error.value.error_code == "action_not_allowed" and error.value.status == 403
    assert report.events.count() == before


def test_an_anonymous_report_is_acted_on_only_with_its_link(world, people):
    report = make(world, Status.INFO_REQUESTED, reporter=None, anonymous=True)
    with pytest.raises(ServiceError) as error:
        report_act(report=report, action="provide_info", actor=world.citizen, note=NOTE)
    assert error.value.error_code == "action_not_allowed"

    report = report_act(report=report, action="provide_info", token=report.access_token, note=NOTE)

    assert report.status == Status.IN_PROGRESS


# --- refused to everyone the table does not name ----------------------------------------------


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_edge_is_refused_to_people_the_table_does_not_name(world, people, action):
    transition = TRANSITIONS[action]
    report = make(world, transition.sources[0])
    before = report.events.count()
    for name, holds in people.items():
        person = getattr(world, name)
        if holds & set(transition.actors):
            assert workflow.transition_check(action, user=person, report=report) is transition, name
            continue
        with pytest.raises(ServiceError) as error:
            report_act(report=report, action=action, actor=person, **inputs(world, action, report))
        assert error.value.error_code == "action_not_allowed", (action, name)
        assert error.value.status == 403
    report.refresh_from_db()
    assert report.status == transition.sources[0] and report.events.count() == before


# --- refused in every other state -------------------------------------------------------------


@pytest.fixture
def every_state(world, people):
    return {status: make(world, status) for status in Status}


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_edge_is_refused_in_every_state_it_does_not_start_from(world, people, every_state, action):
    transition = TRANSITIONS[action]
    actor = allowed_staff(world, people, transition)
    others = [s for s in Status if s not in transition.sources]
    for status in others:
        report = every_state[status]
        before = report.events.count()
        with pytest.raises(ServiceError) as error:
            report_act(report=report, action=action, actor=actor, **inputs(world, action, report))
        assert error.value.error_code == "invalid_transition", (action, status)
        assert error.value.status == 409
        report.refresh_from_db()
        assert report.status == status and report.events.count() == before


@pytest.mark.parametrize("action", [a for a, t in TRANSITIONS.items() if REPORTER in t.actors])
def test_the_reporter_is_refused_in_the_other_states_too(world, people, every_state, action):
    for status in (s for s in Status if s not in TRANSITIONS[action].sources):
        report = every_state[status]
        with pytest.raises(ServiceError) as error:
            report_act(report=report, action=action, token=report.access_token, note=NOTE)
        assert error.value.error_code == "invalid_transition", (action, status)


def test_an_unknown_action_is_a_clear_error(world):
    report = submit(world)
    with pytest.raises(ServiceError) as error:
        report_act(report=report, action="teleport", actor=world.handler_a)
    assert error.value.error_code == "unknown_action"
    assert report.events.count() == 1


@pytest.mark.parametrize("action", [a for a, t in TRANSITIONS.items() if t.needs_note])
def test_actions_that_need_a_note_refuse_an_empty_one(world, people, action):
    transition = TRANSITIONS[action]
    report = make(world, transition.sources[0])
    actor = allowed_staff(world, people, transition)
    fields = {k: v for k, v in inputs(world, action, report).items() if k != "note"}
    before = report.events.count()

    with pytest.raises(ServiceError) as error:
        report_act(report=report, action=action, actor=actor, note="   ", **fields)

    assert error.value.error_code == "note_required" and error.value.field == "note"
    assert report.events.count() == before


# --- the reporter's reopen window --------------------------------------------------------------


def test_the_reporter_may_reopen_within_30_days_of_the_answer_staff_later_too(world, people):
    report = make(world, Status.ANSWERED)
    late = report.answered_at + timedelta(days=31)
    with pytest.raises(ServiceError) as error:
        report_act(report=report, action="reopen", token=report.access_token, note=NOTE, now=late)
    assert error.value.error_code == "reopen_window_passed"

    report_act(
        report=report, action="reopen", token=report.access_token, note=NOTE, now=late - timedelta(days=2)
    )
    report.refresh_from_db()
    assert report.status == Status.REOPENED and report.reopen_count == 1


def test_a_leader_may_reopen_after_the_window(world, people):
    report = make(world, Status.CLOSED)
    report = report_act(
        report=report,
        action="reopen",
        actor=world.leader_a,
        note=NOTE,
        now=report.answered_at + timedelta(days=90),
    )
    assert report.status == Status.REOPENED and report.closed_at is None


# --- the table's invariants -------------------------------------------------------------------


def _reachable_from(start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS.values():
            if state in t.sources and t.target is not None and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def test_every_state_is_reachable_from_received():
    assert _reachable_from(Status.RECEIVED) == set(Status.values)


def test_every_open_state_can_end():
    for state in OPEN_STATUSES:
        assert _reachable_from(state) & ENDED, state


def test_the_table_names_known_states_and_actors_and_its_keys():
    actors = {REPORTER, RECEIVE, HANDLE, PUBLISH}
    for action, t in TRANSITIONS.items():
        assert t.action == action
        assert t.sources and set(t.sources) <= set(Status.values), action
        assert len(set(t.sources)) == len(t.sources), action
        assert t.target is None or t.target in Status.values, action
        assert t.actors and set(t.actors) <= actors, action
        assert str(t.label), action


def test_rejected_and_transferred_are_final_and_closed_only_reopens():
    for state in (Status.REJECTED, Status.TRANSFERRED):
        leaving = [t.action for t in TRANSITIONS.values() if state in t.sources and t.target is not None]
        assert leaving == [], state
    leaving_closed = [
        t.action for t in TRANSITIONS.values() if Status.CLOSED in t.sources and t.target is not None
    ]
    assert leaving_closed == ["reopen"]


def test_open311_open_states_are_those_the_table_keeps_working_on():
    # Open311 "closed": answered, published, closed, rejected, transferred (docs/feedback.md#open311).
    closed = set(Status.values) - set(OPEN_STATUSES)
    assert closed == {
        Status.ANSWERED,
        Status.PUBLISHED,
        Status.CLOSED,
        Status.REJECTED,
        Status.TRANSFERRED,
    }
    for action in ("accept", "start", "request_info", "forward"):
        target = TRANSITIONS[action].target
        assert target in OPEN_STATUSES, action


@pytest.mark.parametrize(("action", "source"), [(a, s) for a, s in EDGES if TRANSITIONS[a].target in ENDED])
def test_an_edge_into_an_ended_state_stamps_closed_at(world, people, action, source):
    report = make(world, source)
    actor = allowed_staff(world, people, TRANSITIONS[action])
    report = report_act(report=report, action=action, actor=actor, **inputs(world, action, report))
    assert report.closed_at is not None


def test_actions_available_are_the_table_rows_for_the_state_and_the_person(world, people, every_state):
    staff = {name: holds for name, holds in people.items() if REPORTER not in holds}
    for status, report in every_state.items():
        for name, holds in staff.items():
            person = getattr(world, name)
            expected = [
                t.action
                for t in TRANSITIONS.values()
                if status in t.sources and holds & (set(t.actors) - {REPORTER})
            ]
            got = [t.action for t in workflow.actions_available(user=person, report=report)]
            assert got == expected, (status, name)


def test_actions_available_shows_the_reporter_no_staff_buttons(world, people, every_state):
    for status in (Status.INFO_REQUESTED, Status.ANSWERED):
        assert workflow.actions_available(user=world.citizen, report=every_state[status]) == [], status


def test_actions_available_shows_an_anonymous_visitor_nothing(world, people, every_state):
    for report in every_state.values():
        assert workflow.actions_available(user=None, report=report) == []


@pytest.mark.parametrize("how", ["mark_duplicate", "split"])
def test_the_reporter_cannot_reopen_a_report_closed_as_duplicate_or_split(world, people, how):
    report = make(world, Status.RECEIVED)
    report = report_act(report=report, action=how, actor=world.handler_a, **inputs(world, how, report))
    assert report.status == Status.CLOSED

    with pytest.raises(ServiceError):
        report_act(report=report, action="reopen", token=report.access_token, note=NOTE)
