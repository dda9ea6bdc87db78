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
