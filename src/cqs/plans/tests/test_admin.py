import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cqs.accounts.tests.factories import UserFactory

MODELS = ["plan", "targetarea", "target", "baselinevalue", "informationsystem", "project", "datanote"]


@pytest.fixture
def staff(db, client):
    # Staff with view permissions only: no role requiring a second factor.
    user = UserFactory(username="nhanvien.kehoach", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="plans", codename__startswith="view_")
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_read_only_changelist(staff, plan, model):
    response = staff.get(reverse(f"admin:plans_{model}_changelist"))
    assert response.status_code == 200
    assert reverse(f"admin:plans_{model}_add") not in response.content.decode()


def test_rows_open_read_only(staff, plan):
    project = plan.projects.get(number=1)
    response = staff.get(reverse("admin:plans_project_change", args=[project.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sở Thông tin và Truyền thông" in body
    assert 'name="_save"' not in body


def test_nothing_can_be_added_or_deleted_even_by_a_superuser(db, plan):
    from django.contrib import admin

    from cqs.plans.models import Project

    superuser = UserFactory(username="quantri", is_staff=True, is_superuser=True)
    request = type("Request", (), {"user": superuser})()
    model_admin = admin.site._registry[Project]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
