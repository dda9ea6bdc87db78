"""The DHIS2 and IHE ADX sample payloads (see the README of the conformance folder) parsed and
imported against metadata carrying the samples' identifiers.

The folder is ``$CQS_CONFORMANCE_DIR/dhis2`` (default ``/work/shared/conformance``). Where it is
missing the tests are skipped, except in CI (``CI`` set), where a missing folder is a failure.
"""

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cqs.reporting.choices import PeriodType, ReportStatus, ValueType
from cqs.reporting.dhis import formats
from cqs.reporting.models import CategoryOptionCombo, DataValue, Indicator, Regime, Report
from cqs.reporting.services.imports import datavalueset_import

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2012, 3, 1, 9, tzinfo=TZ)
DATA_SET = "pBOMPrpg1QX"
ELEMENTS = ("f7n9E0hX8qk", "Ix2HsbDMLea", "eY5ehpbEsB7")
UNITS = ("DiszpKrYNg8", "BdfsJfj87js")
SAMPLES = {
    "datavalueset/dataValueSetA.xml": 3,
    "datavalueset/dataValueSetADeleted.xml": 3,
    "datavalueset/dataValueSetB.xml": 12,
    "datavalueset/dataValueSetB.csv": 12,
    "datavalueset/dataValueSetACatCombo.xml": 3,
    "datavalueset/dataValueSetANull.xml": 3,
    "datavalueset/dataValueSetNonStrict.xml": 3,
    "datavalueset/dataValueSetJ.json": 1,
    "datavalueset/dataValueSetJDeleteNoValue.json": 1,
    "adx/importA.adx.xml": 9,
    "adx/adx_data_sample1.xml": 13,
}


@pytest.fixture(scope="module")
def folder() -> Path:
    root = Path(os.environ.get("CQS_CONFORMANCE_DIR") or "/work/shared/conformance") / "dhis2"
    if root.is_dir():
        return root
    if CI:
        pytest.fail(f"{root}: không tìm thấy thư mục mẫu DHIS2/ADX.")
    pytest.skip("Không có thư mục mẫu DHIS2/ADX (CQS_CONFORMANCE_DIR): bỏ qua đối chiếu.")


def load(folder: Path, name: str) -> formats.DataValueSet:
    fmt = {".json": formats.JSON, ".csv": formats.CSV}.get(Path(name).suffix, formats.XML)
    if name.startswith("adx/"):
        fmt = formats.ADX
    return formats.parse((folder / name).read_bytes(), fmt)


def officer_on(unit):
    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory

    role_sync(definitions=role_definitions_load())
    user = OfficialFactory(username="dhis.client", official_profile__unit=unit)
    RoleGrantFactory(user=user, role=Role.objects.get(code="can-bo-bao-cao"), unit=unit)
    return user


def coded_units(root, codes):
    """Units whose electronic identifier (their DHIS2 code here) is a sample's identifier. Those
    do not follow Decision 20/2020, so they are written past the service that checks them."""
    from cqs.orgs.models import OrgUnit
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    units = []
    for code in codes:
        unit = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), parent=root)
        OrgUnit.objects.filter(pk=unit.pk).update(identifier=code)
        unit.identifier = code
        units.append(unit)
    return units


def regime(
    code, *, uid="", rows, units, period_type=PeriodType.MONTHLY, receiver, valid_from=date(2011, 1, 1)
):
    from cqs.reporting.services.metadata import AssignmentSpec, RegimeSpec, regime_version_create

    version = regime_version_create(
        spec=RegimeSpec(
            code=code,
            name=f"Báo cáo {code}",
            legal_basis="Mẫu DHIS2",
            content="Số liệu mẫu",
            receiver=receiver,
            period_type=period_type,
            valid_from=valid_from,
            rows=[(row, "", False) for row in rows],
            assignments=[AssignmentSpec(unit=unit) for unit in units],
            cutoff_day=None,
            expiry_days=0,
            signature_required=False,
        )
    )
    if uid:
        Regime.objects.filter(pk=version.regime_id).update(uid=uid)
    return version


@pytest.fixture
def sierra(db):
    """The DHIS2 test metadata: data set pBOMPrpg1QX (monthly, never locked) with three data
    elements (default disaggregation), two org units whose codes are the samples' uids, and a
    client allowed on both."""
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.reporting.services.metadata import category_combo_ensure, indicator_ensure

    root = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="Sierra Leone", identifier="")
    units = coded_units(root, UNITS)
    combo = category_combo_ensure(
        code="GIOI_TINH",
        name="Giới tính",
        categories=[("GIOI", "Giới", [("NAM", "Nam"), ("NU", "Nữ")])],
    )
    for uid, code in zip(ELEMENTS, ("DE_A", "DE_B", "DE_C"), strict=True):
        indicator = indicator_ensure(code=code, name=f"Chỉ tiêu {code}")
        Indicator.objects.filter(pk=indicator.pk).update(uid=uid)
    # The samples' option combos exist, but in a disaggregation these elements do not use.
    for coc, uid in zip(
        combo.option_combos.order_by("sort_order"), ("kjuiHgy67hg", "Gad33qy67g5"), strict=True
    ):
        CategoryOptionCombo.objects.filter(pk=coc.pk).update(uid=uid)
    regime("DS_A", uid=DATA_SET, rows=["DE_A", "DE_B", "DE_C"], units=units, receiver=root)
    return units, officer_on(root)


def run(sierra, parsed, **options):
    return datavalueset_import(
        actor=sierra[1],
        values=parsed.values,
        data_set=parsed.data_set or None,
        complete_date=parsed.complete_date or None,
        now=NOW,
        **options,
    )


def test_every_sample_in_the_folder_is_covered(folder):
    found = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix in {".xml", ".json", ".csv"}}

    assert found == set(SAMPLES)


@pytest.mark.parametrize(("name", "count"), SAMPLES.items())
def test_every_sample_parses(folder, name, count):
    parsed = load(folder, name)

    assert len(parsed.values) == count
    assert all(
        value.get("dataElement") and value.get("period") and value.get("orgUnit") for value in parsed.values
    )


def test_root_attributes_are_inherited_by_the_values(folder):
    parsed = load(folder, "datavalueset/dataValueSetACatCombo.xml")

    assert (parsed.data_set, parsed.complete_date) == (DATA_SET, "2012-01-09")
    assert {(v["period"], v["orgUnit"]) for v in parsed.values} == {("201201", "DiszpKrYNg8")}
    assert parsed.values[0]["categoryOptionCombo"] == "kjuiHgy67hg"


def test_adx_sample_categories_annotation_and_group_attributes(folder):
    parsed = load(folder, "adx/adx_data_sample1.xml")

    assert parsed.values[2]["categoryOptions"] == {"ageGroup": "under5", "sex": "M"}
    assert next(v for v in parsed.values if v["dataElement"] == "MAL03")["comment"].startswith(
        "Some qualifying"
    )
    assert parsed.values[0]["attributeOptionCombo"] == "mechanism=PEPFAR"
    assert parsed.complete_date == "true"


def test_dataset_a_then_deleted(folder, sierra):
    imported = run(sierra, load(folder, "datavalueset/dataValueSetA.xml"))
    deleted = run(sierra, load(folder, "datavalueset/dataValueSetADeleted.xml"))

    assert (imported.status, imported.imported) == ("SUCCESS", 3)
    assert Report.objects.count() == 3
    assert (deleted.status, deleted.deleted) == ("SUCCESS", 3)
    assert not DataValue.objects.exists()


def test_dataset_b_xml_then_the_same_values_in_csv_update(folder, sierra):
    xml = run(sierra, load(folder, "datavalueset/dataValueSetB.xml"))
    csv = run(sierra, load(folder, "datavalueset/dataValueSetB.csv"))

    assert xml.imported == 12
    assert (csv.updated, csv.imported) == (12, 0)
    assert DataValue.objects.filter(indicator__uid="eY5ehpbEsB7", unit__identifier="BdfsJfj87js").count() == 2


def test_json_then_delete_without_value(folder, sierra):
    first = run(sierra, load(folder, "datavalueset/dataValueSetJ.json"))
    second = run(sierra, load(folder, "datavalueset/dataValueSetJDeleteNoValue.json"))

    assert first.imported == 1 and second.deleted == 1
    assert not DataValue.objects.exists()


def test_null_values_are_deletions_and_the_set_is_completed(folder, sierra):
    summary = run(sierra, load(folder, "datavalueset/dataValueSetANull.xml"))

    assert (summary.imported, summary.ignored) == (1, 2)
    assert summary.data_set_complete == "2012-01-09"
    report = Report.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.late is True


def test_cat_combo_sample_with_unknown_option_combos_imports_nothing(folder, sierra):
    summary = run(sierra, load(folder, "datavalueset/dataValueSetACatCombo.xml"))

    # The sample's option combos belong to other elements here: refused, and nothing half-done.
    assert summary.status == "ERROR" and {c.error_code for c in summary.conflicts} == {"E7634"}
    assert not DataValue.objects.exists() and not Report.objects.exists()


def test_non_strict_sample_conflicts_name_each_problem(folder, sierra):
    summary = run(sierra, load(folder, "datavalueset/dataValueSetNonStrict.xml"), atomic_mode="NONE")

    assert {c.error_code for c in summary.conflicts} == {"E7634", "E7615", "E7632"}
    assert (summary.imported, summary.ignored) == (0, 3)


def test_unknown_codes_conflict_under_all_and_the_rest_lands_under_none(folder, sierra):
    parsed = load(folder, "datavalueset/dataValueSetB.xml")
    parsed.values[0]["dataElement"] = "KHONG_CO_DE"

    refused = run(sierra, parsed)
    partial = run(sierra, parsed, atomic_mode="NONE")

    assert refused.status == "ERROR" and refused.ignored == 12
    assert (partial.status, partial.imported, partial.ignored) == ("WARNING", 11, 1)
    assert DataValue.objects.count() == 11


@pytest.fixture
def malaria(db):
    """Metadata of DHIS2's ADX test: data elements named "Malaria numeric" and "Malaria text",
    categories Sex_category and Age_category, data sets MalariaDS (monthly) and
    MalariaMechanismDS (quarterly), org units coded 123 and 456."""
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.reporting.services.metadata import category_combo_ensure, indicator_ensure

    root = OrgUnitFactory(kind=OrgUnitKindFactory(province=True), name="Malaria", identifier="")
    units = coded_units(root, ("123", "456"))
    combo = category_combo_ensure(
        code="SEX_AGE",
        name="Sex and age",
        categories=[
            ("Sex_category", "Sex", [("FFFFFFFFFFF", "Female"), ("MMMMMMMMMMM", "Male")]),
            ("Age_category", "Age", [("under555555", "Under 5"), ("over5555555", "5 and over")]),
        ],
    )
    CategoryOptionCombo.objects.filter(code="FFFFFFFFFFF_over5555555").update(code="FOver555555")
    CategoryOptionCombo.objects.filter(code="MMMMMMMMMMM_over5555555").update(code="MOver555555")
    indicator_ensure(code="MAL_NUM", name="Malaria numeric", combo=combo)
    indicator_ensure(code="MAL_TXT", name="Malaria text", value_type=ValueType.TEXT)
    valid_from = date(2019, 1, 1)
    regime("MalariaDS", rows=["MAL_NUM", "MAL_TXT"], units=units, receiver=root, valid_from=valid_from)
    regime(
        "MalariaMechanismDS",
        rows=["MAL_NUM"],
        units=units,
        receiver=root,
        period_type=PeriodType.QUARTERLY,
        valid_from=valid_from,
    )
    return units, officer_on(root)


def test_adx_import_a_with_names_categories_and_annotation(folder, malaria):
    parsed = load(folder, "adx/importA.adx.xml")

    summary = datavalueset_import(
        actor=malaria[1],
        values=parsed.values,
        id_scheme="CODE",
        data_element_id_scheme="NAME",
        atomic_mode="NONE",
        now=datetime(2021, 6, 1, tzinfo=TZ),
    )

    # The mechanism groups name attribute option combos, which this platform does not have.
    assert {c.error_code for c in summary.conflicts} == {"E7615"}
    assert (summary.imported, summary.ignored) == (6, 3)
    values = dict(DataValue.objects.filter(period__iso="202001").values_list("option_combo__code", "value"))
    assert values == {
        "FFFFFFFFFFF_under555555": "1",
        "MMMMMMMMMMM_under555555": "2",
        "FOver555555": "3",
        "MOver555555": "4",
        "default": "Text data value",
    }
