"""The background overdue check books itself at the appointments: no cron needed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cqs.onestop.models import Dossier
from cqs.onestop.services import dossier_act
from cqs.onestop.tasks import onestop_overdue_check
from cqs.onestop.tests.conftest import filed

pytestmark = pytest.mark.django_db


def waiting_checks():
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=onestop_overdue_check.module_path
    ).order_by("run_after")


def test_receiving_a_dossier_books_the_check_just_after_its_appointment(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")

    [check] = waiting_checks()
    assert check.run_after == dossier.due_at + timedelta(minutes=1)


def test_the_check_flags_the_overdue_and_books_the_next_appointment(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        late = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")
        later = dossier_act(dossier=filed(desk), actor=desk.officer, action="receive")
    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    DBTaskResult.objects.all().delete()

    result = onestop_overdue_check.call()

    assert result == {"flagged": 1}
    late.refresh_from_db()
    assert late.overdue_at is not None and late.events.filter(action="overdue").count() == 1
    later.refresh_from_db()
    assert [check.run_after for check in waiting_checks()] == [later.due_at + timedelta(minutes=1)]
    # A second run flags nothing new.
    assert onestop_overdue_check.call() == {"flagged": 0}
