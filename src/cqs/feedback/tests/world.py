"""A small world for feedback tests: a province with two communes, categories with deadlines,
questions and routing rules, and officials holding the shipped roles. Shared by the app's tests
and the browser fixtures."""

from __future__ import annotations

from types import SimpleNamespace

from cqs.feedback.choices import Datatype, TimeUnit, Urgency
from cqs.feedback.models import AnswerTemplate, CategoryAttribute, RoutingRule
from cqs.feedback.services import category_save

# Points inside the default province box (CQS_FEEDBACK_BOUNDS): two places in Vĩnh Yên.
POINT = (21.3089, 105.6049)
NEAR_POINT = (21.30905, 105.60505)  # about 20 m away
FAR_POINT = (21.2440, 105.7010)  # Phúc Yên, ~12 km away
OUTSIDE = (10.7769, 106.7009)  # Hồ Chí Minh City
WORLD_ROLES = {"xu-ly-phan-anh", "lanh-dao", "can-bo-mot-cua", "quan-tri-don-vi"}


def build_world(*, with_users: bool = True) -> SimpleNamespace:
    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import CitizenFactory, OfficialFactory, RoleGrantFactory
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    # Only the shipped roles these tests grant (syncing all of them is a third of the world's cost).
    role_sync(definitions=[d for d in role_definitions_load() if d["code"] in WORLD_ROLES])
    roles = {role.code: role for role in Role.objects.all()}
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Phú Thọ", identifier="000.00.00.H44"
    )
    commune_a = OrgUnitFactory(
        kind=OrgUnitKindFactory(commune=True), name="Phường Vĩnh Phúc", parent=province
    )
    commune_b = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Phường Phúc Yên", parent=province)

    roads = category_save(code="giao-thong", name="Giao thông", unit=province)
    pothole = category_save(
        code="o-ga",
        name="Ổ gà, hư hỏng mặt đường",
        unit=province,
        parent=roads,
        duplicate_radius_m=50,
        deadlines={Urgency.NORMAL: (5, TimeUnit.WORKING_DAYS), Urgency.URGENT: (4, TimeUnit.HOURS)},
    )
    lights = category_save(
        code="den-chieu-sang",
        name="Đèn chiếu sáng",
        unit=province,
        parent=roads,
        deadlines={Urgency.NORMAL: (3, TimeUnit.WORKING_DAYS)},
    )
    private = category_save(
        code="can-bo",
        name="Thái độ cán bộ",
        unit=province,
        is_public=False,
        deadlines={Urgency.NORMAL: (10, TimeUnit.WORKING_DAYS)},
    )
    CategoryAttribute.objects.create(
        category=pothole,
        code="kich-thuoc",
        description="Kích thước ổ gà",
        datatype=Datatype.SINGLE,
        required=True,
        order=1,
        values=[{"key": "nho", "name": "Nhỏ (dưới 30 cm)"}, {"key": "lon", "name": "Lớn (từ 30 cm)"}],
    )
    CategoryAttribute.objects.create(
        category=pothole, code="so-luong", description="Số ổ gà", datatype=Datatype.NUMBER, order=2
    )
    RoutingRule.objects.create(order=10, name="Phường Vĩnh Phúc", area=commune_a, unit=commune_a)
    RoutingRule.objects.create(order=20, name="Phường Phúc Yên", area=commune_b, unit=commune_b)
    RoutingRule.objects.create(order=30, name="Cây xanh", keywords="cây đổ, cay xanh", unit=province)
    AnswerTemplate.objects.create(
        title="Đã sửa", body="Đơn vị đã khắc phục xong. Cảm ơn ông/bà.", category=roads
    )

    world = SimpleNamespace(
        roles=roles,
        province=province,
        commune_a=commune_a,
        commune_b=commune_b,
        roads=roads,
        pothole=pothole,
        lights=lights,
        private=private,
    )
    if with_users:

        def official(username, unit, role):
            user = OfficialFactory(
                username=username, official_profile__unit=unit, email=f"{username}@cqs.invalid"
            )
            RoleGrantFactory(user=user, role=roles[role], unit=unit)
            return user

        world.handler_a = official("xuly.a", commune_a, "xu-ly-phan-anh")
        world.handler_b = official("xuly.b", commune_b, "xu-ly-phan-anh")
        world.leader_a = official("lanhdao.a", commune_a, "lanh-dao")
        world.province_handler = official("xuly.tinh", province, "xu-ly-phan-anh")
        world.citizen = CitizenFactory(username="congdan", email="congdan@cqs.invalid")
        world.other_citizen = CitizenFactory(username="congdan2")
    return world
