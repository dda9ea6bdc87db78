from datetime import date
from decimal import Decimal

import pytest

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea
from cqs.plans.services import plan_load

MODELS = (Plan, TargetArea, Target, BaselineValue, InformationSystem, Project, DataNote)


def db_state() -> dict:
    """Every plan row and the audit trail: what a refused or repeated load must leave as it is."""
    state = {model.__name__: sorted(map(repr, model.objects.values())) for model in MODELS}
    state["audit"] = AuditEvent.objects.count()
    return state


def load_events():
    return AuditEvent.objects.filter(action="plans.plan.load")


def test_loading_the_document_creates_the_plan_and_all_its_rows(db, document):
    plan = plan_load(document=document)

    assert (plan.number, plan.issued_on, plan.year) == ("326/KH-UBND", date(2021, 12, 31), 2022)
    assert (plan.stated_total_budget, plan.stated_total_allocation) == (729_340, 640_563)
    assert plan.target_areas.count() == 5
    assert plan.targets.count() == 20
    assert plan.baselines.count() == len(document["baselines"])
    assert plan.information_systems.count() == 42
    assert plan.projects.count() == 59
    target = plan.targets.get(code="dvc-muc-do-4-ho-so-truc-tuyen")
    assert (target.comparator, target.value, target.unit, target.area.number) == ("gt", Decimal(30), "%", 2)


def test_the_load_is_recorded_once_in_the_audit_trail(db, document, user):
    plan = plan_load(document=document, actor=user)

    event = load_events().get()
    assert (event.object_id, event.actor_id) == (str(plan.pk), user.pk)
    assert event.before is None
    assert event.after["counts"]["projects"] == 59
    assert len(event.after["changes"]["project"]["created"]) == 59


def test_loading_the_same_document_again_changes_nothing(db, document):
    # given a loaded plan
    plan_load(document=document)
    before = db_state()

    # when the same document is loaded again
    plan = plan_load(document=document)

    # then no row is written and no audit event is added
    assert db_state() == before
    assert plan.load_changes == {}
    assert load_events().count() == 1


def test_a_changed_row_is_updated_in_place_and_audited(db, document):
    plan_load(document=document)
    project_id = Project.objects.get(number=3).pk
    document["projects"][2]["allocation"] = 5_000

    plan = plan_load(document=document)

    project = Project.objects.get(number=3)
    assert (project.pk, project.allocation) == (project_id, 5_000)
    assert plan.load_changes["project"] == {"updated": [3]}
    event = load_events().first()
    assert event.before["counts"]["projects"] == 59
    assert event.after["changes"]["project"] == {"updated": [3]}


def test_rows_the_document_no_longer_has_are_removed(db, document):
    plan_load(document=document)
    del document["information_systems"][-1]

    plan_load(document=document)

    assert not InformationSystem.objects.filter(number=42).exists()


def test_discrepancies_are_computed_at_load_time(db, document):
    # given the committed document: the 90,08% on-time ratio is wrong
    plan = plan_load(document=document)
    note = plan.data_notes.get(kind="ratio_mismatch")
    assert (note.computed, note.stated, note.subject_code) == (Decimal("90.84"), Decimal("90.08"),
                                                               "mot-cua-huyen-xa-dung-han")  # fmt: skip

    # when a figure is corrected in the document so that the ratio holds
    for baseline in document["baselines"]:
        if baseline["code"] == "mot-cua-huyen-xa-dung-han":
            baseline["value"] = 145_550  # 145.550 / 161.578 = 90,08%
    plan = plan_load(document=document)

    # then the note disappears: it was computed, not copied
    assert not plan.data_notes.filter(kind="ratio_mismatch").exists()
    assert plan.load_changes["data_note"] == {"deleted": ["ty-le-mot-cua-huyen-xa-dung-han"]}


def test_lead_units_and_the_issuer_are_linked_to_the_tree_as_of_the_plan_date(db, document):
    # given the province and two departments, one of them closed before the plan was issued
    province = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Vĩnh Phúc",
                              identifier="000.00.00.H62", valid_from=date(1997, 1, 1))  # fmt: skip
    department = OrgUnitKindFactory(department=True)
    ict = OrgUnitFactory(kind=department, name="Sở Thông tin và Truyền thông", parent=province)
    OrgUnitFactory(kind=department, name="Sở Y tế", parent=province, valid_to=date(2020, 1, 1))
    labour = OrgUnitFactory(kind=department, name="Sở Lao động – Thương binh và Xã hội", parent=province)

    # when the plan is loaded
    plan = plan_load(document=document)

    # then units are found by name (abbreviations and punctuation aside) as of 31/12/2021
    assert plan.issuer_unit == province
    assert {p.lead_unit_id for p in plan.projects.filter(number__lte=13)} == {ict.pk}
    assert Project.objects.get(number=14).lead_unit == labour  # "Sở Lao động, Thương binh và XH"
    assert Project.objects.get(number=22).lead_unit is None  # Sở Y tế was closed in 2020
    assert Project.objects.get(number=59).lead_unit is None  # "Các sở, ngành, địa phương"


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda d: d.pop("projects"), "document.projects"),
        (lambda d: d["projects"][3].update(total_budget=-5), "projects[3].total_budget"),
        (lambda d: d["projects"][3].update(total_budget="5.000"), "projects[3].total_budget"),
        (lambda d: d["projects"][4].update(number=4), "projects[4].number"),
        (lambda d: d["projects"][0].update(funding_source="Khác"), "projects[0].funding_source"),
        (lambda d: d["plan"].update(issued_on="31/12/2021"), "plan.issued_on"),
        (
            lambda d: d["target_areas"][3]["targets"][1].update(value_max=3),
            "target_areas[3].targets[1].value_max",
        ),
        (lambda d: d["target_areas"][0]["targets"][5].update(value=10), "target_areas[0].targets[5].value"),
        (
            lambda d: d["target_areas"][1]["targets"][1].update(code="dvc-muc-do-4-ho-so-truc-tuyen"),
            "target_areas[1].targets[2].code",
        ),
        (lambda d: d["baselines"][0].update(ratio_denominator="khong-co"), "baselines[0].ratio_denominator"),
        (lambda d: d["baselines"][0].update(code="Mã Sai"), "baselines[0].code"),
        (lambda d: d.update(format="khac/1"), "document.format"),
        # three decimals would be rounded by the column and reloaded as a change every time
        (lambda d: d["baselines"][0].update(value=1.234), "baselines[0].value"),
        (lambda d: d["baselines"][0].update(count_of="du-an"), "baselines[0].count_of"),
        (lambda d: d["target_areas"][0]["targets"].__setitem__(0, "100%"), "target_areas[0].targets[0]"),
        (lambda d: d["notes"][0].update(kind="ratio_mismatch"), "notes[0].kind"),
        (lambda d: d["notes"][0].update(code="ty-le-mot-cua-huyen-xa-dung-han"), "notes[0].code"),
    ],
)
def test_a_bad_document_is_refused_whole_with_the_path_of_the_problem(db, document, damage, path):
    # given a loaded plan and a document damaged in one place
    plan_load(document=document)
    before = db_state()
    damage(document)

    # when it is loaded
    with pytest.raises(ServiceError) as caught:
        plan_load(document=document)

    # then a Vietnamese message names the place, with a stable code, and nothing is written
    assert caught.value.error_code == "plans.invalid_document"
    assert caught.value.detail.startswith("Tài liệu kế hoạch không hợp lệ: ")
    assert path in caught.value.detail
    assert db_state() == before


def test_a_document_that_is_not_an_object_is_refused(db):
    with pytest.raises(ServiceError, match="phải là một đối tượng JSON"):
        plan_load(document=["326/KH-UBND"])
    assert not Plan.objects.exists()
