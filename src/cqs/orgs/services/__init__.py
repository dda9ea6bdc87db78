"""Writes to the organisation tree. Each service runs in one ``transaction.atomic()`` and writes an
audit event per changed row in the same transaction; a refusal is a ``ServiceError`` with a
stable code, raised before the first write or inside the transaction, so nothing partial remains.
"""

from cqs.orgs.operations import Dissolution, Merge, Move, NewUnit, Rename, Split
from cqs.orgs.services.reorganise import orgunit_reorganise
from cqs.orgs.services.units import (
    orgunit_check_fields,
    orgunit_correct,
    orgunit_create,
    orgunit_validate,
    orgunitkind_create,
    orgunitkind_update,
)

__all__ = [
    "Dissolution",
    "Merge",
    "Move",
    "NewUnit",
    "Rename",
    "Split",
    "orgunit_check_fields",
    "orgunit_correct",
    "orgunit_create",
    "orgunit_reorganise",
    "orgunit_validate",
    "orgunitkind_create",
    "orgunitkind_update",
]
