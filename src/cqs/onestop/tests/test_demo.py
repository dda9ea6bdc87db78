import json
from datetime import date

import pytest

from cqs.onestop import demo
from cqs.onestop.models import Procedure
from cqs.onestop.selectors import procedure_unit_code
from cqs.onestop.tests.conftest import db_state
from cqs.orgs import demo as orgs_demo

pytestmark = pytest.mark.django_db


def test_the_demo_file_states_its_source_and_flags_placeholder_codes():
    document = json.loads(demo.DATA_FILE.read_text(encoding="utf-8"))
    assert "Cơ sở dữ liệu quốc gia về thủ tục hành chính" in document["_nguon"]
    assert len(document["data"]) >= 20
    for record in document["data"]:
        # Not national codes: every record says so.
        assert record["MATTHC"].startswith("9.99")
        assert "chưa đối chiếu" in record["GHICHU"]


def test_the_demo_loads_procedures_at_phu_tho_units_and_a_second_run_changes_nothing():
    # given: the organisation tree of the demo
    orgs_demo.load_demo(log=lambda line: None)
    lines = []

    # when
    demo.load_demo(log=lines.append)
    first = db_state()
    demo.load_demo(log=lines.append)

    # then
    assert db_state() == first
    assert Procedure.objects.count() >= 20
    assert {"tinh", "huyen", "xa"} <= {level for p in Procedure.objects.all() for level in p.levels}
    birth = Procedure.objects.get(name="Đăng ký khai sinh")
    communes = list(birth.units.all())
    assert len(communes) == demo.DEMO_COMMUNES
    assert all(unit.kind.code == "xa" and unit.is_valid_on(date(2026, 1, 1)) for unit in communes)
    assert procedure_unit_code(birth, communes[0]).startswith(f"{birth.code}.000.00.")
    record = Procedure.objects.get(name__startswith="Cấp Phiếu lý lịch tư pháp")
    assert [unit.identifier for unit in record.units.all()] == [orgs_demo.PHU_THO]
    catalogue = [line for line in lines if "thủ tục minh họa" in line]
    assert "0 mới" in catalogue[1] and "0 phiên bản mới" in catalogue[1]


def test_the_demo_dossiers_cover_the_workflow_and_are_made_once():
    from cqs.accounts import demo as accounts_demo
    from cqs.onestop.choices import DossierStatus
    from cqs.onestop.models import Dossier

    # given: the tree, the accounts and the catalogue of the demo
    orgs_demo.load_demo(log=lambda line: None)
    accounts_demo.load_demo(log=lambda line: None)

    # when: the one-stop demo runs twice
    demo.load_demo(log=lambda line: None)
    count = Dossier.objects.count()
    demo.load_demo(log=lambda line: None)

    # then: live dossiers at Phường Vĩnh Phúc in several states, a history, nothing doubled
    assert Dossier.objects.count() == count
    history = Dossier.objects.filter(applicant_name__startswith="Công dân minh họa")
    live = Dossier.objects.exclude(pk__in=history.values("pk"))
    assert history.exists() and live.count() >= 7
    assert set(live.values_list("unit__identifier", flat=True)) == {"000.00.41.H44"}
    statuses = set(live.values_list("status", flat=True))
    assert {
        DossierStatus.SUBMITTED,
        DossierStatus.RECEIVED,
        DossierStatus.PROCESSING,
        DossierStatus.SUPPLEMENT,
    } <= statuses
    assert live.filter(status=DossierStatus.RETURNED, files__signed=True).exists()
