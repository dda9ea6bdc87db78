from cqs.audit.models import AuditEvent
from cqs.orgs.demo import load_demo as load_orgs_demo
from cqs.plans.demo import load_demo
from cqs.plans.models import Plan, Project
from cqs.plans.tests.test_services import db_state


def test_demo_loads_the_plan_and_logs_units_it_cannot_link(db):
    # given no organisation tree at all
    lines: list[str] = []

    # when the demo plan is loaded
    load_demo(log=lines.append)

    # then the plan is there, unlinked units are named, and row 59 ("Các sở, ngành…") is not
    plan = Plan.objects.get(number="326/KH-UBND")
    assert plan.projects.count() == 59
    assert any("Sở Thông tin và Truyền thông" in line for line in lines)
    assert not any("Các sở, ngành, địa phương" in line for line in lines)
    assert any("1 sai lệch số liệu" in line for line in lines)


def test_demo_twice_changes_nothing(db):
    load_demo(log=lambda line: None)
    before = db_state()
    lines: list[str] = []

    load_demo(log=lines.append)

    assert db_state() == before
    assert lines[0] == "Kế hoạch 326/KH-UBND: không có thay đổi."


def test_after_the_orgs_demo_every_lead_unit_but_the_collective_one_is_linked(db):
    # given the demo organisation tree (cqs demo runs it first)
    load_orgs_demo(log=lambda line: None)
    lines: list[str] = []

    # when the plan demo runs
    load_demo(log=lines.append)

    # then all 23 lead units and the issuing People's Committee are found as of 31/12/2021
    plan = Plan.objects.get()
    assert plan.issuer_unit.identifier == "000.00.00.H62"
    unlinked = Project.objects.filter(lead_unit__isnull=True).values_list("number", flat=True)
    assert list(unlinked) == [59]
    assert Project.objects.get(number=16).lead_unit.name == "Sở Giao thông vận tải"  # "Sở Giao thông VT"
    assert not any("Không tìm thấy" in line for line in lines)
    assert AuditEvent.objects.filter(action="plans.plan.load").count() == 1
