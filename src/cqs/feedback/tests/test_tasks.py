"""The overdue check task and its command."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cqs.core.models import OutboxMessage
from cqs.feedback.services import report_submit
from cqs.feedback.tasks import feedback_overdue_check, next_deadline
from cqs.feedback.tests.world import POINT

pytestmark = pytest.mark.django_db


def _late_report(world):
    report, _created = report_submit(
        category=world.lights,
        description="Đèn đường tắt cả tuần",
        lat=POINT[0],
        lon=POINT[1],
        contact_email="a@cqs.invalid",
        now=timezone.now() - timedelta(days=60),
    )
    return report


def test_the_task_alerts_late_reports_once_and_books_nothing_when_none_is_left(world):
    report = _late_report(world)
    assert next_deadline() == report.due_at

    result = feedback_overdue_check.call()

    assert result == {"flagged": 1}
    assert OutboxMessage.objects.filter(topic="feedback.overdue", payload__report_id=report.pk).count() == 1
    assert next_deadline() is None
    assert feedback_overdue_check.call() == {"flagged": 0}


def test_the_command_prints_how_many_were_alerted(world, capsys):
    _late_report(world)
    call_command("feedback_overdue")
    assert "1 phản ánh" in capsys.readouterr().out
