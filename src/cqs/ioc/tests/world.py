"""A small world for IOC tests: a province with a department, two districts and their communes,
another province, the plan 326 loaded with the shipped KPI definitions, and officials holding the
shipped roles. ``snapshot_put`` writes a computed figure directly (what ``kpi_refresh`` would),
for the page and API tests; the refresh itself is tested on real records in test_refresh.py."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

WORLD_ROLES = {
    "lanh-dao",
    "theo-doi-chuyen-doi-so",
    "hoi-dong-dti",
    "quan-tri-don-vi",
    "chuyen-vien",
}


def build_world(*, with_users: bool = True, with_definitions: bool = True) -> SimpleNamespace:
    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import CitizenFactory, OfficialFactory, RoleGrantFactory
    from cqs.ioc.services.kpis import kpi_definitions_load
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.plans.seed import DATA_FILE
    from cqs.plans.services import plan_load

    role_sync(definitions=[d for d in role_definitions_load() if d["code"] in WORLD_ROLES])
    roles = {role.code: role for role in Role.objects.all()}
    province_kind = OrgUnitKindFactory(province=True)
    district_kind = OrgUnitKindFactory(district=True)
    commune_kind = OrgUnitKindFactory(commune=True)
    province = OrgUnitFactory(
        kind=province_kind, name="Ủy ban nhân dân tỉnh Vĩnh Phúc", identifier="000.00.00.H62"
    )
    department = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True), name="Sở Thông tin và Truyền thông", parent=province
    )
    district = OrgUnitFactory(kind=district_kind, name="Huyện Bình Xuyên", parent=province)
    commune_a = OrgUnitFactory(kind=commune_kind, name="Thị trấn Hương Canh", parent=district)
    commune_b = OrgUnitFactory(kind=commune_kind, name="Xã Gia Khánh", parent=district)
    district2 = OrgUnitFactory(kind=district_kind, name="Huyện Tam Đảo", parent=province)
    commune_c = OrgUnitFactory(kind=commune_kind, name="Thị trấn Đại Đình", parent=district2)
    other_province = OrgUnitFactory(
        kind=province_kind, name="Ủy ban nhân dân tỉnh Khác", identifier="000.00.00.H99"
    )
    other_commune = OrgUnitFactory(kind=commune_kind, name="Xã Ngoài Tỉnh", parent=other_province)
    plan = plan_load(document=json.loads(DATA_FILE.read_text(encoding="utf-8")))
    world = SimpleNamespace(
        roles=roles,
        plan=plan,
        province=province,
        department=department,
        district=district,
        commune_a=commune_a,
        commune_b=commune_b,
        district2=district2,
        commune_c=commune_c,
        other_province=other_province,
        other_commune=other_commune,
    )
    if with_definitions:
        kpi_definitions_load()
    if with_users:

        def official(username, unit, role):
            user = OfficialFactory(
                username=username, official_profile__unit=unit, email=f"{username}@cqs.invalid"
            )
            RoleGrantFactory(user=user, role=roles[role], unit=unit)
            return user

        world.chairman = official("chutich.tinh", province, "lanh-dao")
        world.district_leader = official("lanhdao.binhxuyen", district, "lanh-dao")
        world.tracker = official("theodoi.stttt", department, "theo-doi-chuyen-doi-so")
        world.district_tracker = official("theodoi.binhxuyen", district, "theo-doi-chuyen-doi-so")
        world.council = official("hoidong.dti", province, "hoi-dong-dti")
        world.admin = official("quantri.tinh", province, "quan-tri-don-vi")
        world.clerk = official("chuyenvien.xa", commune_a, "chuyen-vien")  # no IOC permission
        world.outsider = official("lanhdao.khac", other_province, "lanh-dao")
        world.citizen = CitizenFactory(username="congdan.ioc")
    return world


def snapshot_put(
    code: str,
    unit,
    value,
    *,
    year: int,
    month: int | None = None,
    numerator=None,
    denominator=None,
):
    """A computed figure of definition ``code`` for ``unit``: the year to date, or one month."""
    from cqs.ioc.choices import Window
    from cqs.ioc.models import KpiDefinition, KpiSnapshot

    if month is None:
        window, start, end = Window.YEAR, date(year, 1, 1), date(year, 12, 31)
    else:
        window, start = Window.MONTH, date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1).replace(day=1)
        end = date.fromordinal(end.toordinal() - 1)
    decimal = None if value is None else Decimal(str(value))
    return KpiSnapshot.objects.create(
        kpi=KpiDefinition.objects.get(code=code),
        unit=unit,
        window=window,
        start=start,
        end=end,
        numerator=decimal if numerator is None else Decimal(str(numerator)),
        denominator=None if denominator is None else Decimal(str(denominator)),
        value=decimal,
        tree_date=end,
        computed_at=timezone.now(),
    )
