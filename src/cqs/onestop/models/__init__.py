"""One-stop shop models: the procedure catalogue and the dossiers filed under it."""

from cqs.onestop.models.catalogue import (
    PROCEDURE_CODE_PATTERN,
    Procedure,
    ProcedureDocument,
    ProcedureFee,
    ProcedureVersion,
    Sector,
    validate_procedure_code,
)
from cqs.onestop.models.dossiers import (
    Dossier,
    DossierEvent,
    DossierFile,
    Payment,
    Rating,
    SupplementRequest,
)

__all__ = [
    "PROCEDURE_CODE_PATTERN",
    "Dossier",
    "DossierEvent",
    "DossierFile",
    "Payment",
    "Procedure",
    "ProcedureDocument",
    "ProcedureFee",
    "ProcedureVersion",
    "Rating",
    "Sector",
    "SupplementRequest",
    "validate_procedure_code",
]
