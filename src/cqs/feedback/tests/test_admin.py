"""The admin of citizen feedback: configuration edited and audited, Open311 keys shown once and
stored hashed, routing re-run on waiting reports, reports read-only and scoped."""

import hashlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from cqs.accounts.tests.conftest import otp_verified_login
from cqs.accounts.tests.factories import UserFactory
from cqs.audit.models import AuditEvent
from cqs.feedback.choices import Status
from cqs.feedback.models import ApiClient, Category, CategoryAttribute, Report, RoutingRule
from cqs.feedback.services import report_act, report_submit
from cqs.feedback.services.config import api_client_get
from cqs.feedback.tests.world import FAR_POINT, POINT

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    """A superuser whose session has passed the second factor (required for administrators)."""
    otp_verified_login(client, UserFactory(superuser=True, username="quantri"))
    return client


def submit(world, area, point=POINT):
    report, _created = report_submit(
        category=world.pothole,
        description="Ổ gà lớn trước cổng trường.",
        attributes={"kich-thuoc": "nho"},
        lat=point[0],
        lon=point[1],
        area=area,
    )
    return report


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_a_new_api_key_is_shown_once_and_stored_hashed(admin_client):
    response = admin_client.post(
        "/admin/feedback/apiclient/add/", {"name": "Ứng dụng Phú Thọ S", "contact": "cntt@cqs.invalid"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    client = ApiClient.objects.get()
    shown = [t for t in texts(response) if "api_key" in t]
    assert len(shown) == 1
    key = shown[0].split(": ", 1)[1].split(" ", 1)[0]
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_prefix == key[:10] and client.created_by.username == "quantri"
    assert api_client_get(key) == client
    # Shown on the next page, then nowhere to be read again: not on the pages, not in the audit trail.
    assert key in admin_client.get(response["Location"]).content.decode()
    assert key not in admin_client.get(response["Location"]).content.decode()
    assert key not in admin_client.get(f"/admin/feedback/apiclient/{client.pk}/change/").content.decode()
    assert client.key_prefix in admin_client.get("/admin/feedback/apiclient/").content.decode()
    trail = json.dumps(list(AuditEvent.objects.values("before", "after")), ensure_ascii=False)
    assert key not in trail
    assert AuditEvent.objects.filter(action="feedback.api_client_create", object_id=str(client.pk)).exists()


def test_an_app_without_a_name_is_refused_on_the_form(admin_client):
    response = admin_client.post("/admin/feedback/apiclient/add/", {"name": "", "contact": ""})

    assert response.status_code == 200
    assert not ApiClient.objects.exists()


def test_deactivating_apps_is_audited_and_their_key_stops_working(admin_client):
    from cqs.feedback.services import api_client_create

    client, key = api_client_create(name="Ứng dụng thử")

    response = admin_client.post(
        "/admin/feedback/apiclient/", {"action": "deactivate", "_selected_action": [client.pk]}
    )

    assert response.status_code == 302
    client.refresh_from_db()
    assert not client.active and api_client_get(key) is None
    assert AuditEvent.objects.filter(
        action="feedback.api_client_deactivate", object_id=str(client.pk)
    ).exists()
    assert admin_client.get(f"/admin/feedback/apiclient/{client.pk}/delete/").status_code == 403


def test_rerunning_the_rules_moves_a_waiting_report_and_leaves_an_accepted_one(admin_client, world):
    waiting = submit(world, world.commune_a)
    accepted = submit(world, world.commune_a)
    report_act(report=accepted, action="accept", actor=world.handler_a)
    # The rule for Vĩnh Phúc is changed: its reports now go to Phúc Yên.
    rule = RoutingRule.objects.get(area=world.commune_a)
    RoutingRule.objects.filter(pk=rule.pk).update(unit=world.commune_b)

    response = admin_client.post(
        "/admin/feedback/routingrule/", {"action": "rerun_routing", "_selected_action": [rule.pk]}
    )

    assert response.status_code == 302
    assert any("1 phản ánh" in t for t in texts(response))
    waiting.refresh_from_db()
    accepted.refresh_from_db()
    assert waiting.unit == world.commune_b and waiting.status == Status.RECEIVED
    assert accepted.unit == world.commune_a
    assert AuditEvent.objects.filter(action="feedback.routing_rerun").exists()


def test_editing_a_rule_is_audited(admin_client, world):
    rule = RoutingRule.objects.get(area=world.commune_a)

    response = admin_client.post(
        f"/admin/feedback/routingrule/{rule.pk}/change/",
        {
            "order": "5",
            "name": rule.name,
            "category": "",
            "area": world.commune_a.pk,
            "keywords": "",
            "unit": world.commune_a.pk,
            "active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="feedback.routingrule.admin_change", object_id=str(rule.pk))
    assert event.after == {"order": 5}


def test_a_category_with_its_deadlines_and_questions_is_added_and_audited(admin_client, world):
    data = {
        "code": "cay-xanh",
        "name": "Cây xanh",
        "description": "",
        "parent": world.roads.pk,
        "unit": world.province.pk,
        "keywords": "cây đổ",
        "is_public": "on",
        "duplicate_radius_m": "80",
        "handling_message": "",
        "active": "on",
        "order": "3",
        **inline_management("deadlines", 1),
        "deadlines-0-urgency": "normal",
        "deadlines-0-amount": "3",
        "deadlines-0-unit": "working_days",
        **inline_management("attributes", 1),
        "attributes-0-code": "loai-cay",
        "attributes-0-order": "1",
        "attributes-0-description": "Loại cây",
        "attributes-0-datatype": "singlevaluelist",
        "attributes-0-required": "on",
        "attributes-0-variable": "on",
        "attributes-0-datatype_description": "",
        "attributes-0-values": json.dumps([{"key": "lon", "name": "Cây lớn"}]),
    }

    response = admin_client.post("/admin/feedback/category/add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    category = Category.objects.get(code="cay-xanh")
    assert category.deadlines.get().amount == 3
    assert category.attributes.get().value_keys() == ["lon"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "feedback.category.admin_add",
        "feedback.categorydeadline.admin_add",
        "feedback.categoryattribute.admin_add",
    } <= actions


def test_a_list_question_without_choices_and_a_parent_loop_are_refused(admin_client, world):
    attributes_before = CategoryAttribute.objects.count()
    data = {
        "code": world.roads.code,
        "name": world.roads.name,
        "description": "",
        "parent": world.pothole.pk,  # its own child
        "unit": world.province.pk,
        "keywords": "",
        "is_public": "on",
        "duplicate_radius_m": "50",
        "handling_message": "",
        "active": "on",
        "order": "0",
        **inline_management("deadlines"),
        **inline_management("attributes", 1),
        "attributes-0-code": "loai",
        "attributes-0-order": "1",
        "attributes-0-description": "Loại",
        "attributes-0-datatype": "multivaluelist",
        "attributes-0-variable": "on",
        "attributes-0-values": "[]",
    }

    response = admin_client.post(f"/admin/feedback/category/{world.roads.pk}/change/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lĩnh vực cha không được là chính nó" in html
    assert "Kiểu danh sách cần các lựa chọn" in html
    world.roads.refresh_from_db()
    assert world.roads.parent is None and CategoryAttribute.objects.count() == attributes_before


def test_reports_are_read_only_with_their_history(admin_client, world):
    report = submit(world, world.commune_a)
    report_act(report=report, action="accept", actor=world.handler_a, note="Đã nhận")

    listing = admin_client.get("/admin/feedback/report/", {"q": report.code})
    page = admin_client.get(f"/admin/feedback/report/{report.pk}/change/")

    assert listing.status_code == 200 and report.code in listing.content.decode()
    assert page.status_code == 200 and "Đã nhận" in page.content.decode()
    assert admin_client.get("/admin/feedback/report/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/feedback/report/{report.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Report.objects.filter(pk=report.pk).exists()


def test_a_staff_admin_sees_only_the_reports_of_their_units(client, world):
    mine = submit(world, world.commune_a)
    theirs = submit(world, world.commune_b, FAR_POINT)
    user = world.handler_a
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        Permission.objects.get(codename="view_report", content_type__app_label="feedback")
    )
    client.force_login(user)

    html = client.get("/admin/feedback/report/").content.decode()

    assert mine.code in html and theirs.code not in html
    assert client.get(f"/admin/feedback/report/{theirs.pk}/change/").status_code == 302  # "not found"
