import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cqs.audit.models import AuditEvent
from cqs.orgs.models import OrgUnit, ReorganisationEvent, Succession
from cqs.orgs.selectors import orgunit_tree
from cqs.orgs.tests.conftest import CHANGE, db_state

EVE = CHANGE - timedelta(days=1)


def merge_document(tree) -> dict:
    """Xã An and Xã Bình of Huyện Một merge into a new Xã An Bình of the same district."""
    return {
        "event_name": "Sắp xếp xã thử",
        "legal_basis": "Nghị quyết thử",
        "effective_date": CHANGE.isoformat(),
        "new_units": {
            "an-binh": {
                "kind": "xa",
                "name": "Xã An Bình",
                "short_name": "UBND",
                "identifier": "000.03.01.H98",
                "identifier_source": "demo",
                "parent": {"identifier": tree.d1.identifier},
            }
        },
        "merges": [
            {
                "predecessors": [{"identifier": tree.c1.identifier}, {"id": tree.c2.pk}],
                "successor": {"new_unit": "an-binh"},
            }
        ],
    }


@pytest.fixture
def write(tmp_path):
    def write(document, name="quyet-dinh.json") -> str:
        path = tmp_path / name
        text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def run(path: str, *args: str) -> str:
    out = StringIO()
    call_command("orgs_reorganise", path, *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict:
    return {
        "units": OrgUnit.objects.count(),
        "successions": Succession.objects.count(),
        "events": ReorganisationEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def children_on(day, parent) -> set[str]:
    (root,) = orgunit_tree(as_of=day)
    (node,) = (child for child in root.children if child.unit.identifier == parent.identifier)
    return {child.unit.name for child in node.children}


def test_merge_from_a_file_applies_the_decision(tree, write, official):
    # given a file merging two communes into a new one
    path = write(merge_document(tree))
    last_audit = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    # when the operator applies it as an official
    run(path, "--actor", official.username)
    # then the tree of the date shows the new commune, the day before the old ones
    assert children_on(CHANGE, tree.d1) == {"Xã An Bình"}
    assert children_on(EVE, tree.d1) == {"Xã An", "Xã Bình"}
    # and the old rows are closed on the date and linked to the new one
    assert set(OrgUnit.objects.filter(valid_to=CHANGE).values_list("pk", flat=True)) == {
        tree.c1.pk,
        tree.c2.pk,
    }
    event = ReorganisationEvent.objects.get()
    assert (event.name, event.legal_basis, event.effective_date) == (
        "Sắp xếp xã thử",
        "Nghị quyết thử",
        CHANGE,
    )
    assert set(event.successions.values_list("predecessor__name", "successor__name", "kind")) == {
        ("Xã An", "Xã An Bình", "merge"),
        ("Xã Bình", "Xã An Bình", "merge"),
    }
    # and the audit trail records the event, the two closures and the creation, by that official
    actions = sorted(AuditEvent.objects.filter(id__gt=last_audit).values_list("action", "actor_label"))
    assert actions == [
        ("orgs.orgunit.close", "canbo"),
        ("orgs.orgunit.close", "canbo"),
        ("orgs.orgunit.create", "canbo"),
        ("orgs.reorganise", "canbo"),
    ]


def test_success_prints_the_event_and_what_changed(tree, write):
    # given a file merging two communes into a new one
    path = write(merge_document(tree))
    # when it is applied
    out = run(path)
    # then the summary names the event, the counts and the units
    event = ReorganisationEvent.objects.get()
    assert f"#{event.pk}" in out
    assert "2 đơn vị chấm dứt, 1 đơn vị mới, 2 quan hệ kế thừa" in out
    assert "Xã An [000.01.01.H98] → Xã An Bình [000.03.01.H98]" in out


def test_a_new_unit_named_from_several_places_is_created_once(tree, write):
    # given a new district declared once, parent of a new commune and successor of Huyện Hai
    document = {
        "event_name": "Sắp xếp huyện thử",
        "legal_basis": "Nghị quyết thử",
        "effective_date": CHANGE.isoformat(),
        "new_units": {
            "huyen-moi": {"kind": "huyen", "name": "Huyện Mới", "parent": {"identifier": tree.p.identifier}},
            "xa-moi": {"kind": "xa", "name": "Xã Mới", "parent": {"new_unit": "huyen-moi"}},
        },
        "merges": [
            {"predecessors": [{"identifier": tree.d2.identifier}], "successor": {"new_unit": "huyen-moi"}},
            {"predecessors": [{"identifier": tree.c3.identifier}], "successor": {"new_unit": "xa-moi"}},
        ],
    }
    # when it is applied
    run(write(document))
    # then one Huyện Mới exists, holding Xã Mới
    (district,) = OrgUnit.objects.filter(name="Huyện Mới")
    assert list(OrgUnit.objects.filter(parent=district).values_list("name", flat=True)) == ["Xã Mới"]


def test_split_move_and_rename_are_read_from_the_file(tree, write):
    # given a file that splits Xã Cường, moves Xã An to Huyện Hai and renames Huyện Một
    document = {
        "event_name": "Sắp xếp hỗn hợp thử",
        "legal_basis": "Nghị quyết thử",
        "effective_date": CHANGE.isoformat(),
        "splits": [
            {
                "predecessor": {"identifier": tree.c3.identifier},
                "successors": [
                    {"new": {"kind": "xa", "name": name, "parent": {"id": tree.d2.pk}}}
                    for name in ("Xã Cường Đông", "Xã Cường Tây")
                ],
            }
        ],
        "moves": [
            {"unit": {"identifier": tree.c1.identifier}, "new_parent": {"identifier": tree.d2.identifier}}
        ],
        "renames": [{"unit": {"identifier": tree.d1.identifier}, "new_name": "Huyện Nhất"}],
    }
    # when it is applied
    run(write(document))
    # then the tree of the date reflects all three operations
    (root,) = orgunit_tree(as_of=CHANGE)
    assert {node.unit.name: {child.unit.name for child in node.children} for node in root.children} == {
        "Huyện Nhất": {"Xã Bình"},
        "Huyện Hai": {"Xã An", "Xã Cường Đông", "Xã Cường Tây"},
    }


def test_dry_run_prints_the_changes_and_writes_nothing(tree, write):
    # given a valid merge file
    path = write(merge_document(tree))
    before = row_counts()
    # when it is run with --dry-run
    out = run(path, "--dry-run")
    # then nothing is written, and the output says what would have changed
    assert row_counts() == before
    assert "Chạy thử" in out
    assert "2 đơn vị chấm dứt, 1 đơn vị mới, 2 quan hệ kế thừa" in out
    assert "+ Xã An Bình [000.03.01.H98] (thuộc Huyện Một)" in out
    assert "- Xã Bình [000.02.01.H98]" in out


def test_unknown_identifier_is_refused_naming_it(tree, write):
    # given a merge naming an identifier no unit holds
    document = merge_document(tree)
    document["merges"][0]["predecessors"].append({"identifier": "000.09.09.H98"})
    path = write(document)
    before = db_state()
    # when it is applied, then the command fails with the code and the identifier
    with pytest.raises(
        CommandError, match=r"unit_not_found: merges\[0\]\.predecessors\[2\].*000\.09\.09\.H98"
    ):
        run(path)
    # and nothing is written
    assert db_state() == before


def test_an_identifier_is_resolved_the_day_before_the_effective_date(tree, write):
    # given a file whose date is the day the communes started: they did not exist the day before
    document = merge_document(tree)
    document["effective_date"] = tree.c1.valid_from.isoformat()
    # when it is applied, then Xã An is not found
    with pytest.raises(CommandError, match=r"unit_not_found.*000\.01\.01\.H98"):
        run(write(document))


def test_malformed_json_is_refused(tree, write):
    # given a file that is not JSON
    path = write('{"event_name": "Sắp xếp", ')
    before = db_state()
    # when it is applied, then the command fails with invalid_json and writes nothing
    with pytest.raises(CommandError, match="invalid_json"):
        run(path)
    assert db_state() == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(merge="x"), "invalid_document: tệp: khóa “merge” không hợp lệ"),
        (lambda d: d.pop("effective_date"), "invalid_document: tệp: thiếu khóa “effective_date”"),
        (lambda d: d.update(effective_date="01/07/2025"), "invalid_dates"),
        (lambda d: d["merges"][0].update(successor={"new_unit": "khong-co"}), "unknown_new_unit"),
        (lambda d: d["merges"][0].update(successor={"new": {"name": "Xã Thiếu Loại"}}), "thiếu khóa “kind”"),
        (lambda d: d["new_units"].update(thua={"kind": "xa", "name": "Xã Thừa"}), "invalid_document: .*thua"),
    ],
    ids=[
        "unknown-key",
        "missing-date",
        "bad-date",
        "unknown-new-unit",
        "new-without-kind",
        "unused-new-unit",
    ],
)
def test_a_malformed_document_is_refused_with_its_code(tree, write, change, expected):
    # given a merge file with one mistake
    document = merge_document(tree)
    change(document)
    path = write(document)
    before = db_state()
    # when it is applied, then the command fails with the code and writes nothing
    with pytest.raises(CommandError, match=expected):
        run(path)
    assert db_state() == before


def test_a_refusal_of_the_service_is_reported_with_its_code(tree, write):
    # given a file dissolving Huyện Một without placing its communes
    document = {
        "event_name": "Giải thể thử",
        "legal_basis": "Nghị quyết thử",
        "effective_date": CHANGE.isoformat(),
        "dissolutions": [{"unit": {"identifier": tree.d1.identifier}}],
    }
    path = write(document)
    before = db_state()
    # when it is applied, then the command fails with the service's code and message
    with pytest.raises(CommandError, match=r"orphaned_children: .*Huyện Một"):
        run(path)
    # and nothing is written
    assert db_state() == before


def test_an_unknown_actor_is_refused_before_reading_the_file(tree, write):
    # given a valid file and an account that does not exist
    path = write(merge_document(tree))
    before = db_state()
    # when it is applied as that account, then it is refused and nothing is written
    with pytest.raises(CommandError, match=r"unknown_actor.*khong-ai"):
        run(path, "--actor", "khong-ai")
    assert db_state() == before
