"""Writes of the one-stop shop, by topic: the catalogue, dossiers, workflow actions, payments."""

from cqs.onestop.services.actions import dossier_act, dossiers_overdue_mark
from cqs.onestop.services.catalogue import (
    DOCUMENT_FIELDS,
    FEE_FIELDS,
    TEXT_FIELDS,
    clean_version_data,
    procedure_version_publish,
    procedures_import,
    version_content,
)
from cqs.onestop.services.dossiers import (
    dossier_create_online,
    dossier_draft_save,
    dossier_file_add,
    dossier_file_remove,
    dossier_intake,
    dossier_rate,
    dossier_submit,
)

__all__ = [
    "DOCUMENT_FIELDS",
    "FEE_FIELDS",
    "TEXT_FIELDS",
    "clean_version_data",
    "dossier_act",
    "dossier_create_online",
    "dossier_draft_save",
    "dossier_file_add",
    "dossier_file_remove",
    "dossier_intake",
    "dossier_rate",
    "dossier_submit",
    "dossiers_overdue_mark",
    "procedure_version_publish",
    "procedures_import",
    "version_content",
]
