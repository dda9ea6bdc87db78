"""Publishing after commit on a background thread: the committing request does not wait, bursts
merge, and the generation appears within seconds."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from cqs.lgsp import publish
from cqs.lgsp.models import GatewayGeneration


@pytest.fixture
def background(settings):
    settings.CQS_LGSP_PUBLISH_IN_BACKGROUND = True
    yield publish.background
    assert publish.background.wait_idle(timeout=30)


def test_a_commit_returns_before_the_publication_and_a_burst_is_merged(background, monkeypatch):
    # given: a publication that takes as long as we let it
    running, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_publish(*, reason: str = "", force: bool = False):
        calls.append(reason)
        running.set()
        release.wait(5)

    monkeypatch.setattr(publish, "publish_now", slow_publish)

    # when: three changes commit while the first publication runs
    started = time.monotonic()
    publish._publish_after_commit("grant 1 revoked")
    returned_after = time.monotonic() - started
    assert running.wait(5)
    publish._publish_after_commit("grant 2 revoked")
    publish._publish_after_commit("credential 3 revoked")
    release.set()

    # then: nobody waited, and the two later changes made one more publication
    assert background.wait_idle(timeout=5)
    assert returned_after < 0.5
    assert calls == ["grant 1 revoked", "grant 2 revoked (+1)"]


def test_a_failed_publication_leaves_the_thread_ready_for_the_next(background, monkeypatch):
    calls: list[str] = []

    def failing(*, reason: str = "", force: bool = False):
        calls.append(reason)
        raise RuntimeError("engine down")

    monkeypatch.setattr(publish, "publish_now", failing)
    publish._publish_after_commit("first")
    assert background.wait_idle(timeout=5)
    publish._publish_after_commit("second")
    assert background.wait_idle(timeout=5)
    assert calls == ["first", "second"]


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_published_by_the_thread(background):
    # when: a registry change commits
    with transaction.atomic():
        publish.request(reason="test change")

    # then: the generation is made on the publisher's thread, within seconds
    assert background.wait_idle(timeout=10)
    generation = GatewayGeneration.objects.get()
    assert generation.reason == "test change"
    assert generation.status == "active"
