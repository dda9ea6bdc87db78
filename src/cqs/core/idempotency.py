"""Creating something once per Idempotency-Key: a repeated API request returns what the first made.

The model keeps the key in ``client_token`` with a unique constraint per creator (``created_by``),
so two requests with the same key at the same moment cannot both create: the loser of the race
reads the winner's row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError

KEY_MAX = 64
T = TypeVar("T", bound=models.Model)


def client_token_clean(token: str | None) -> str:
    token = (token or "").strip()
    if len(token) > KEY_MAX:
        raise ServiceError("invalid_idempotency_key", _("Khóa Idempotency-Key dài tối đa 64 ký tự."))
    return token


def create_once(model: type[T], *, actor, client_token: str, create: Callable[[], T]) -> tuple[T, bool]:
    """``(row, True)`` made by ``create()`` (which stores ``client_token`` on the row it makes, in
    its own transaction), or ``(row, False)``: the row an earlier request with the key made."""
    client_token = client_token_clean(client_token)
    if client_token:
        existing = model.objects.filter(created_by=actor, client_token=client_token).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        existing = (
            model.objects.filter(created_by=actor, client_token=client_token).first()
            if client_token
            else None
        )
        if existing is None:
            raise
        return existing, False
