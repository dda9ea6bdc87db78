"""Writes of the documents module; see ``outgoing`` and ``incoming`` for the two flows."""

from cqs.documents.services.incoming import (
    incoming_assign,
    incoming_complete,
    incoming_opinion,
    incoming_receive,
    incoming_register,
    incoming_register_many,
    incoming_reject,
    incoming_scan,
)
from cqs.documents.services.outgoing import (
    RecipientSpec,
    outgoing_create,
    outgoing_create_once,
    outgoing_file_add,
    outgoing_issue,
    outgoing_recall,
    outgoing_return,
    outgoing_sign,
    outgoing_sign_finish,
    outgoing_sign_prepare,
    outgoing_submit,
    outgoing_supersede,
)
from cqs.documents.services.registers import duplicates_find, register_book_get, register_number_take

__all__ = [
    "RecipientSpec",
    "duplicates_find",
    "incoming_assign",
    "incoming_complete",
    "incoming_opinion",
    "incoming_receive",
    "incoming_register",
    "incoming_register_many",
    "incoming_reject",
    "incoming_scan",
    "outgoing_create",
    "outgoing_create_once",
    "outgoing_file_add",
    "outgoing_issue",
    "outgoing_recall",
    "outgoing_return",
    "outgoing_sign",
    "outgoing_sign_finish",
    "outgoing_sign_prepare",
    "outgoing_submit",
    "outgoing_supersede",
    "register_book_get",
    "register_number_take",
]
