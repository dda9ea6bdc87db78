import pytest


@pytest.fixture(scope="session")
def _reporting_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reporting-data")


@pytest.fixture(autouse=True)
def _reporting_settings(settings, _reporting_data_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = _reporting_data_dir
    settings.MEDIA_ROOT = _reporting_data_dir / "media"
    settings.CQS_TSA_URL = ""
    settings.CQS_RIS_URL = ""


@pytest.fixture
def land(db):
    """A province with a department, a district with two communes, and a second district with one;
    a monthly regime (IT application) assigned to the department, the districts and the communes,
    received by the province; reporting officers and reviewers at each level."""
    from datetime import date
    from types import SimpleNamespace

    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.reporting.choices import Importance, Operator, PeriodType, ValueType
    from cqs.reporting.services.metadata import (
        AssignmentSpec,
        RegimeSpec,
        RuleSpec,
        category_combo_ensure,
        indicator_ensure,
        regime_version_create,
    )

    role_sync(definitions=role_definitions_load())
    roles = {role.code: role for role in Role.objects.all()}
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="UBND tỉnh Thử",
        short_name="UBND",
        identifier="000.00.00.H98",
    )
    department = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True),
        name="Sở Thông tin và Truyền thông",
        short_name="STTTT",
        parent=province,
    )
    district = OrgUnitFactory(kind=OrgUnitKindFactory(district=True), name="Huyện Thử", parent=province)
    commune = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Xã Một", parent=district)
    commune2 = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Xã Hai", parent=district)
    district2 = OrgUnitFactory(kind=OrgUnitKindFactory(district=True), name="Huyện Khác", parent=province)
    commune3 = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Xã Ba", parent=district2)

    level = category_combo_ensure(
        code="MUC_DO_DVC",
        name="Mức độ dịch vụ công",
        categories=[("MUC_DO", "Mức độ", [("MOT_PHAN", "Một phần"), ("TOAN_TRINH", "Toàn trình")])],
    )
    indicator_ensure(code="HS_NHAN", name="Số hồ sơ tiếp nhận", unit_label="hồ sơ")
    indicator_ensure(
        code="HS_TRUC_TUYEN", name="Số hồ sơ tiếp nhận trực tuyến", unit_label="hồ sơ", combo=level
    )
    indicator_ensure(
        code="TY_LE_KY_SO",
        name="Tỷ lệ văn bản đi ký số",
        value_type=ValueType.PERCENTAGE,
        unit_label="%",
        aggregation="AVERAGE",
    )
    indicator_ensure(
        code="GHI_CHU", name="Khó khăn, vướng mắc", value_type=ValueType.TEXT, aggregation="NONE"
    )
    version = regime_version_create(
        spec=RegimeSpec(
            code="BC_CNTT",
            name="Báo cáo tình hình ứng dụng CNTT, chính quyền số",
            legal_basis="Kế hoạch 326/KH-UBND",
            content="Số liệu hồ sơ, văn bản điện tử của đơn vị trong tháng.",
            receiver=province,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2020, 1, 1),
            outline_template="1. Kết quả nổi bật\n2. Khó khăn, vướng mắc\n3. Đề xuất",
            rows=[
                ("HS_NHAN", "I. Dịch vụ công", True),
                ("HS_TRUC_TUYEN", "I. Dịch vụ công", False),
                ("TY_LE_KY_SO", "II. Văn bản điện tử", False),
                ("GHI_CHU", "III. Khác", False),
            ],
            assignments=[AssignmentSpec(kind="so"), AssignmentSpec(kind="huyen"), AssignmentSpec(kind="xa")],
            rules=[
                RuleSpec(
                    name="Trực tuyến không vượt tổng số",
                    left="#{HS_TRUC_TUYEN}",
                    operator=Operator.LESS_THAN_OR_EQUAL_TO,
                    right="#{HS_NHAN}",
                    instruction="Số hồ sơ trực tuyến phải nhỏ hơn hoặc bằng tổng số hồ sơ tiếp nhận.",
                    importance=Importance.ERROR,
                ),
            ],
        )
    )

    def official(username, role, unit):
        user = OfficialFactory(
            username=username, official_profile__unit=unit, email=f"{username}@example.org"
        )
        RoleGrantFactory(user=user, role=roles[role], unit=unit)
        return user

    return SimpleNamespace(
        province=province,
        department=department,
        district=district,
        district2=district2,
        commune=commune,
        commune2=commune2,
        commune3=commune3,
        regime=version.regime,
        version=version,
        commune_officer=official("baocao.xa1", "can-bo-bao-cao", commune),
        commune3_officer=official("baocao.xa3", "can-bo-bao-cao", commune3),
        district_officer=official("baocao.huyen", "can-bo-bao-cao", district),
        district_reviewer=official("tonghop.huyen", "tong-hop-bao-cao", district),
        district2_reviewer=official("tonghop.huyen2", "tong-hop-bao-cao", district2),
        province_reviewer=official("tonghop.tinh", "tong-hop-bao-cao", province),
    )
