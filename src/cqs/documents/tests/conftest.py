import pytest


@pytest.fixture(scope="session")
def _documents_data_dir(tmp_path_factory):
    # One demo PKI and one media tree for the whole run: certificates are made once.
    return tmp_path_factory.mktemp("documents-data")


@pytest.fixture(autouse=True)
def _documents_settings(settings, _documents_data_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = _documents_data_dir
    settings.MEDIA_ROOT = _documents_data_dir / "media"
    # B-B signatures unless a test starts the local timestamp authority.
    settings.CQS_TSA_URL = ""
    settings.CQS_CLAMD = ""


@pytest.fixture
def office(db):
    """A province's People's Committee (UBND) and one department (Sở Nội vụ), each with a clerk,
    a leader and a specialist; a second province's unit with its own clerk, for the refusals."""
    from types import SimpleNamespace

    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import OfficialFactory, RoleGrantFactory
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

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
        name="Sở Nội vụ tỉnh Thử",
        short_name="SNV",
        identifier="000.00.01.H98",
        parent=province,
    )
    elsewhere = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="UBND tỉnh Khác",
        short_name="UBND",
        identifier="000.00.00.H97",
    )

    def official(username, role, unit, position="", full_name=""):
        user = OfficialFactory(
            username=username,
            official_profile__unit=unit,
            official_profile__position=position,
            email=f"{username}@example.org",
        )
        if full_name:
            first, _, last = full_name.rpartition(" ")
            user.first_name, user.last_name = last, first
            user.save(update_fields=["first_name", "last_name"])
        RoleGrantFactory(user=user, role=roles[role], unit=unit)
        return user

    return SimpleNamespace(
        province=province,
        department=department,
        elsewhere=elsewhere,
        clerk=official("vanthu", "van-thu", province, "Văn thư"),
        leader=official("lanhdao", "lanh-dao", province, "Chủ tịch", "Nguyễn Văn Chủ"),
        specialist=official("chuyenvien", "chuyen-vien", province, "Chuyên viên"),
        specialist2=official("chuyenvien2", "chuyen-vien", province, "Chuyên viên"),
        dept_clerk=official("vanthu.snv", "van-thu", department, "Văn thư"),
        dept_leader=official("lanhdao.snv", "lanh-dao", department, "Giám đốc"),
        dept_specialist=official("chuyenvien.snv", "chuyen-vien", department, "Chuyên viên"),
        other_clerk=official("vanthu.khac", "van-thu", elsewhere, "Văn thư"),
    )


def pdf(text: str = "Van ban thu") -> bytes:
    from cqs.core.testing import sample_pdf

    return sample_pdf(text=text)
