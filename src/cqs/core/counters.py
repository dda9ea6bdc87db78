"""Gap-free counters in the database, for numbers the law wants consecutive.

``counter_next`` increments one ``Counter`` row with a single upsert, inside the caller's
transaction. The row stays locked until that transaction ends, so concurrent callers queue
behind it and each gets the next number; if the caller rolls back, the increment rolls back
with it and the number is handed out again. The sequence is therefore gap-free **for committed
work only**, which is what Circular 01/2018/TT-VPCP Art. 19 asks of the daily dossier number.
Call it late in the transaction: the lock serialises every writer of the same key until commit.
Why not ``MAX()+1`` or a database sequence per day: docs/adr/0007-outbox-and-counters.md.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.core.models import Counter
from cqs.orgs.validators import validate_identifier

DOSSIER_CODE_SCOPE = "onestop.dossier"


def _upsert_sql() -> str:
    qn = connection.ops.quote_name
    table = qn(Counter._meta.db_table)
    scope, key, value = (qn(Counter._meta.get_field(name).column) for name in ("scope", "key", "value"))
    # PostgreSQL and SQLite (>= 3.35, for RETURNING) share this syntax. On PostgreSQL the
    # conflicting row is locked and re-read after the other transaction commits (READ
    # COMMITTED), so two callers never get the same value; on SQLite the IMMEDIATE
    # transaction mode (settings) already admits one writer at a time.
    return (
        f"INSERT INTO {table} ({scope}, {key}, {value}) VALUES (%s, %s, 1) "  # noqa: S608 (quoted model names only)
        f"ON CONFLICT ({scope}, {key}) DO UPDATE SET {value} = {table}.{value} + 1 "
        f"RETURNING {value}"
    )


def counter_next(*, scope: str, key: str) -> int:
    """Return the next value (1, 2, 3…) of the counter ``scope``/``key``, creating it at 1."""
    for name, text in (("scope", scope), ("key", key)):
        max_length = Counter._meta.get_field(name).max_length
        if not isinstance(text, str) or not text or len(text) > max_length:
            raise ValueError(f"counter {name} must be a non-empty string of at most {max_length} characters")
    # savepoint=False: one statement needs no savepoint of its own; outside any transaction
    # this still makes one, so the call also works (and commits) on its own.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [scope, key])
        return int(cursor.fetchone()[0])


def dossier_code_next(*, agency_identifier: str, on: date) -> str:
    """The next dossier code of an agency for a day, ``<agency>-YYMMDD-NNNN`` (Circular 01/2018 Art. 19).

    ``agency_identifier`` is the agency's electronic identifier (Decision 20/2020/QĐ-TTg, e.g.
    ``000.00.00.H62``). The number has four digits and simply grows wider past 9999.
    """
    try:
        validate_identifier(agency_identifier)
    except ValidationError as exc:
        raise ServiceError("invalid_identifier", exc.messages[0], field="agency_identifier") from None
    if not isinstance(on, date):
        raise ServiceError("dossier_code_date_invalid", _("Ngày không hợp lệ."), field="on")
    day = f"{on:%y%m%d}"
    number = counter_next(scope=DOSSIER_CODE_SCOPE, key=f"{agency_identifier}-{day}")
    return f"{agency_identifier}-{day}-{number:04d}"
