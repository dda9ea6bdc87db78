import pytest

from cqs.audit.models import AuditEvent
from cqs.onestop.models import Procedure, ProcedureDocument, ProcedureFee, ProcedureVersion, Sector


def db_state() -> dict:
    """Everything a refused write must leave untouched."""
    return {
        "sectors": sorted(Sector.objects.values_list("code", "name")),
        "procedures": sorted(
            Procedure.objects.values_list(
                "code", "name", "sector_id", "at_province", "at_district", "at_commune"
            )
        ),
        "versions": sorted(
            ProcedureVersion.objects.values_list("procedure_id", "number", "valid_from", "valid_to")
        ),
        "fees": ProcedureFee.objects.count(),
        "documents": ProcedureDocument.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def desk(db):
    """A commune with its one-stop officer, specialist and leader; a citizen; a procedure
    (3 working days, one required paper, an 8,000 đ charge) implemented there; and a second
    commune with an officer of its own (to check that grants stop at the unit)."""
    from types import SimpleNamespace

    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.accounts.tests.factories import CitizenFactory, OfficialFactory, RoleGrantFactory
    from cqs.onestop.tests.factories import publish
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    role_sync(definitions=role_definitions_load())
    roles = {role.code: role for role in Role.objects.all()}
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True), name="UBND tỉnh Thử", identifier="000.00.00.H98"
    )
    commune_kind = OrgUnitKindFactory(commune=True)
    commune = OrgUnitFactory(
        kind=commune_kind, name="Phường An Bình", identifier="000.00.41.H98", parent=province
    )
    other = OrgUnitFactory(
        kind=commune_kind, name="Xã Cường Thịnh", identifier="000.00.42.H98", parent=province
    )

    def official(username, role, unit):
        user = OfficialFactory(
            username=username, official_profile__unit=unit, email=f"{username}@example.org"
        )
        RoleGrantFactory(user=user, role=roles[role], unit=unit)
        return user

    citizen = CitizenFactory(username="congdan", full_name="Nguyễn Văn An", email="an@example.org")
    citizen.citizen_profile.cccd = "026090001234"
    citizen.citizen_profile.phone = "0912345678"
    citizen.citizen_profile.save()
    version = publish("1.000001", units=[commune, other])
    return SimpleNamespace(
        province=province,
        unit=commune,
        other=other,
        citizen=citizen,
        officer=official("motcua", "can-bo-mot-cua", commune),
        specialist=official("chuyenvien", "chuyen-vien", commune),
        leader=official("lanhdao", "lanh-dao", commune),
        other_officer=official("motcua.khac", "can-bo-mot-cua", other),
        stranger=CitizenFactory(username="nguoikhac"),
        version=version,
        procedure=version.procedure,
        document=version.documents.get(),
    )


def pdf_bytes(text: str = "Tờ khai") -> bytes:
    """A small valid PDF (uploads are checked for content)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text.encode("ascii", "replace").decode())
    return bytes(pdf.output())


def draft(desk, **kwargs):
    """A citizen's draft of the desk's procedure (status 0)."""
    from cqs.onestop.services import dossier_draft_save

    return dossier_draft_save(
        actor=desk.citizen,
        procedure_code=desk.procedure.code,
        unit=desk.unit,
        form_data=kwargs.pop("form_data", {"noi_dung": "Đề nghị cấp giấy khai sinh cho con."}),
        **kwargs,
    )


def filed(desk):
    """A dossier the citizen submitted online (status 1), with its one required paper."""
    from cqs.onestop.services import dossier_file_add, dossier_submit

    dossier = draft(desk)
    dossier_file_add(
        dossier=dossier,
        actor=desk.citizen,
        name="to-khai.pdf",
        data=pdf_bytes(),
        document_id=desk.document.pk,
    )
    return dossier_submit(dossier=dossier, actor=desk.citizen)
