"""The axis poll runs by itself (a self-booking task) and by hand (``cqs documents_poll``)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cqs.documents.models import Document
from cqs.documents.tasks import POLL_INTERVAL_SECONDS, documents_axis_poll, schedule_axis_poll
from cqs.documents.tests.test_exchange import (
    NGHE_AN_SYSTEM_ID,
    OUR_SYSTEM_ID,
    axis,  # noqa: F401 (fixture)
    nghe_an,  # noqa: F401 (fixture)
    package_from_nghe_an,
)

pytestmark = pytest.mark.django_db

# A local port nothing listens on: connections are refused at once.
CLOSED_URL = "http://127.0.0.1:9"


def waiting_polls():
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=documents_axis_poll.module_path
    ).order_by("run_after")


def test_the_poll_receives_what_waits_and_books_its_next_run(axis, nghe_an):  # noqa: F811
    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))
    before = timezone.now()

    result = documents_axis_poll.call()

    assert (result["received"], result["documents"]) == (1, 1)
    assert Document.objects.filter(direction="in").count() == 1
    [booked] = waiting_polls()
    assert booked.run_after - before >= timedelta(seconds=POLL_INTERVAL_SECONDS)
    assert booked.run_after - before < timedelta(seconds=POLL_INTERVAL_SECONDS + 30)


def test_the_poll_does_not_book_a_second_run_when_one_already_waits(axis):  # noqa: F811
    documents_axis_poll.using(run_after=timezone.now() + timedelta(seconds=10)).enqueue()

    documents_axis_poll.call()

    assert waiting_polls().count() == 1


def test_a_poll_that_cannot_reach_the_axis_logs_the_reason_and_tries_again_later(settings, caplog):
    settings.CQS_VDXP_URL = CLOSED_URL
    settings.CQS_VDXP_SYSTEM_ID = OUR_SYSTEM_ID

    result = documents_axis_poll.call()

    assert result == {"error": "unreachable"}
    assert "axis unreachable" in caplog.text
    assert waiting_polls().count() == 1


def test_with_exchange_off_the_poll_does_nothing_and_books_nothing(settings):
    settings.CQS_VDXP_URL = ""

    assert documents_axis_poll.call() == {"enabled": False}
    assert schedule_axis_poll() is False
    assert not waiting_polls().exists()


def test_scheduling_at_startup_books_one_poll_however_often_it_is_called(settings):
    settings.CQS_VDXP_URL = CLOSED_URL

    assert schedule_axis_poll() is True
    assert schedule_axis_poll() is False

    assert waiting_polls().count() == 1


def test_the_command_polls_once_and_prints_the_counts(axis, nghe_an):  # noqa: F811
    from io import StringIO

    axis.send_as(NGHE_AN_SYSTEM_ID, package_from_nghe_an(nghe_an))
    out = StringIO()

    call_command("documents_poll", stdout=out)

    assert "Đã nhận 1 gói tin: 1 văn bản đến" in out.getvalue()
    assert Document.objects.filter(direction="in").count() == 1
    assert not waiting_polls().exists()


def test_the_command_says_when_exchange_is_off_and_succeeds(settings):
    from io import StringIO

    settings.CQS_VDXP_URL = ""
    out = StringIO()

    call_command("documents_poll", stdout=out)

    assert "Liên thông văn bản đang tắt" in out.getvalue()


def test_the_command_fails_with_the_reason_when_the_axis_is_unreachable(settings):
    settings.CQS_VDXP_URL = CLOSED_URL

    with pytest.raises(CommandError) as failed:
        call_command("documents_poll")

    assert "[unreachable]" in str(failed.value)
