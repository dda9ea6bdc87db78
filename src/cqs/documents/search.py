"""Full-text search over documents: one selector on SQLite FTS5 and PostgreSQL full-text search.

``Document.search_text`` holds the document's words (number and symbol, type, subject, issuer,
signer, notes, attachment text) in lower case, first as written, then folded (no diacritics,
đ → d); ``services.common.search_text_build`` writes it. A query is folded the same way and
matched against the folded words, so "quyet dinh" finds "Quyết định"; a query typed with
diacritics also earns a bonus on the documents that hold it exactly, which therefore rank first.

The ranking is bounded so that a word found in half a million documents costs no more than a
rare one: only the newest ``RANK_WINDOW`` matches (and the newest ``RANK_WINDOW`` exact matches)
are ranked and counted; beyond that the page says "more than 500" (``SearchPage.total_capped``).
docs/documents-search.md explains the design and the measurements (bench/bench_documents_search.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db import transaction
from django.db.models import BooleanField, CharField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.documents.choices import Direction, IncomingStatus, OutgoingState, Urgency
from cqs.documents.models import Document
from cqs.documents.numbering import copy_forms, document_types
from cqs.documents.selectors import LIST_RELATED, documents_visible
from cqs.documents.services.common import fold, search_words

logger = logging.getLogger(__name__)

QUERY_MAX = 200  # characters of the query kept
TERMS_MAX = 12  # words of the query kept
PER_PAGE_MAX = 100
# Matches ranked and counted per query: the newest ones (by registration), and as many exact ones.
RANK_WINDOW = 500
# PostgreSQL: a word with fewer matches than this is read from the index, a commoner one by
# walking the documents newest first (see _Postgres.newest).
RARE = 10_000
# Documents counted by a list without words (filters only).
COUNT_CAP = 10_000
FILTERS = ("type_code", "organ", "unit", "direction", "date_from", "date_to", "urgency", "status")

# Attachment text: pdftotext from poppler-utils, bounded in input, pages, time and output.
ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024
ATTACHMENT_MAX_PAGES = 100
ATTACHMENT_TEXT_MAX = 50_000  # characters kept (the index holds them twice: exact and folded)
PDFTOTEXT_TIMEOUT = 20  # seconds

SQLITE_TRIGGERS = ("documents_document_fts_ai", "documents_document_fts_ad", "documents_document_fts_au")


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    document: Document
    rank: float  # 0 without a query; with one, in [0, 2): 1 for the exact form, plus relevance < 1
    highlight: SafeString  # the subject, escaped, with <mark> around the words found


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    total: int  # matches, counted up to RANK_WINDOW (with words) or COUNT_CAP (filters only)
    page: int
    pages: int
    per_page: int
    total_capped: bool = False  # more than ``total`` documents match
    q: str = ""
    terms: list[str] = field(default_factory=list)  # the folded words searched for

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- the selector -----------------------------------------------------------------------------


def documents_search(
    *, user, q: str = "", filters: dict | None = None, page: int = 1, per_page: int = 20
) -> SearchPage:
    """The documents ``user`` may see that match ``q`` and ``filters``, one page, best first.

    Without words in ``q`` it is the filtered list, newest first. ``filters`` keys: ``type_code``,
    ``organ`` (issuer name contains, diacritics ignored), ``unit`` (id), ``direction`` (in/out),
    ``date_from``/``date_to`` (issuing date of outgoing, arrival date of incoming documents),
    ``urgency``, ``status`` (outgoing state or incoming status code). Empty values are ignored;
    a bad value raises ``ServiceError`` naming the field.
    """
    per_page = _int_in(per_page, "per_page", 1, PER_PAGE_MAX)
    page = _int_in(page, "page", 1, 10**6)
    query = _Query.parse(q)
    documents = _filtered(documents_visible(user), filters or {})

    if not query.folded:
        counted = _count(documents)
        pages = _pages(min(counted, COUNT_CAP), per_page)
        page = min(page, pages)
        offset = (page - 1) * per_page
        rows = list(documents.select_related(*LIST_RELATED).order_by("-pk")[offset : offset + per_page])
        items = [SearchHit(document=d, rank=0.0, highlight=_highlight(d, set())) for d in rows]
        return _page(items, counted, COUNT_CAP, page, pages, per_page, query)

    engine = _engine()
    # The newest matches, one more than ranked: their number is also the count (capped).
    newest = engine.newest(query.folded, documents, RANK_WINDOW + 1)
    pages = _pages(min(len(newest), RANK_WINDOW), per_page)
    page = min(page, pages)
    if not newest:
        return _page([], 0, RANK_WINDOW, page, pages, per_page, query)
    candidates = set(newest[:RANK_WINDOW])
    if query.exact != query.folded:
        # Older documents holding the exact form still outrank newer ones that only fold to it.
        candidates.update(engine.newest(query.exact, documents, RANK_WINDOW))
    ranked = engine.rank(query, sorted(candidates), limit=per_page, offset=(page - 1) * per_page)
    found = Document.objects.select_related(*LIST_RELATED).in_bulk([pk for pk, _rank in ranked])
    terms = set(query.folded)
    items = [
        SearchHit(document=found[pk], rank=float(rank), highlight=_highlight(found[pk], terms))
        for pk, rank in ranked
        if pk in found
    ]
    return _page(items, len(newest), RANK_WINDOW, page, pages, per_page, query)


def _page(items, counted: int, cap: int, page: int, pages: int, per_page: int, query: _Query) -> SearchPage:
    return SearchPage(
        items=items,
        total=min(counted, cap),
        page=page,
        pages=pages,
        per_page=per_page,
        total_capped=counted > cap,
        q=query.text,
        terms=list(query.folded),
    )


def _count(queryset: QuerySet) -> int:
    """Rows counted up to one more than COUNT_CAP: a broad filter never counts a million rows."""
    return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()


def _pages(reachable: int, per_page: int) -> int:
    return max(1, math.ceil(reachable / per_page))


def _int_in(value, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < low:
        message = _("Giá trị “%(name)s” không hợp lệ.") % {"name": name}
        raise ServiceError("invalid_" + name, message, field=name)
    return min(number, high)


# --- the query --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Query:
    text: str
    exact: tuple[str, ...]  # the words as typed (lower case, NFC)
    folded: tuple[str, ...]  # the same words without diacritics: what must match

    @classmethod
    def parse(cls, q) -> _Query:
        # Only letters and digits reach the engines: quotes, *, -, OR, NEAR… are words or nothing.
        text = " ".join(str(q or "").split())
        if len(text) > QUERY_MAX:  # cut between words, never inside one
            text = text[: QUERY_MAX + 1].rsplit(" ", 1)[0][:QUERY_MAX]
        exact = tuple(dict.fromkeys(search_words(text)))[:TERMS_MAX]
        folded = tuple(dict.fromkeys(fold(word) for word in exact))
        return cls(text=text, exact=exact, folded=folded)


# --- the filters ------------------------------------------------------------------------------


def _invalid(name: str, message: str):
    return ServiceError("invalid_filter", message, field=name)


def _filtered(documents: QuerySet, filters: dict) -> QuerySet:
    unknown = [key for key in filters if key not in FILTERS]
    if unknown:
        raise _invalid(
            str(unknown[0])[:40], _("Không có tiêu chí lọc “%(name)s”.") % {"name": str(unknown[0])[:40]}
        )
    values = {key: value for key, value in filters.items() if value not in (None, "")}
    if isinstance(values.get("type_code"), str):
        values["type_code"] = values["type_code"].strip()

    if "type_code" in values:
        codes = {t.code for t in document_types()} | {t.code for t in copy_forms()}
        if values["type_code"] not in codes:
            raise _invalid("type_code", _("Loại văn bản không hợp lệ."))
        documents = documents.filter(type_code=values["type_code"])
    if "organ" in values:
        organ = fold(" ".join(str(values["organ"]).split()))[:200]
        if organ:
            documents = documents.alias(_organ_folded=Folded("organ_name")).filter(
                _organ_folded__contains=organ
            )
    if "unit" in values:
        documents = documents.filter(
            unit_id=_int_in_filter(values["unit"], "unit", _("Đơn vị không hợp lệ."))
        )
    if "direction" in values:
        if values["direction"] not in Direction.values:
            raise _invalid("direction", _("Loại văn bản (đến, đi) không hợp lệ."))
        documents = documents.filter(direction=values["direction"])
    date_from = _date(values.get("date_from"), "date_from")
    date_to = _date(values.get("date_to"), "date_to")
    if date_from and date_to and date_from > date_to:
        raise _invalid("date_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if date_from:
        documents = documents.filter(
            Q(direction=Direction.OUTGOING, issued_date__gte=date_from)
            | Q(direction=Direction.INCOMING, arrival_date__gte=_day_start(date_from))
        )
    if date_to:
        documents = documents.filter(
            Q(direction=Direction.OUTGOING, issued_date__lte=date_to)
            | Q(direction=Direction.INCOMING, arrival_date__lt=_day_start(date_to + dt.timedelta(days=1)))
        )
    if "urgency" in values:
        urgency = _int_in_filter(values["urgency"], "urgency", _("Độ khẩn không hợp lệ."))
        if urgency not in Urgency.values:
            raise _invalid("urgency", _("Độ khẩn không hợp lệ."))
        documents = documents.filter(urgency=urgency)
    if "status" in values:
        status = str(values["status"])
        if status in OutgoingState.values:
            documents = documents.filter(direction=Direction.OUTGOING, state=status)
        elif status in IncomingStatus.values:
            documents = documents.filter(direction=Direction.INCOMING, status=status)
        else:
            raise _invalid("status", _("Trạng thái không hợp lệ."))
    return documents


def _int_in_filter(value, name: str, message: str) -> int:
    if isinstance(value, bool):
        raise _invalid(name, message)
    try:
        return int(str(value).strip())
    except ValueError:
        raise _invalid(name, message) from None


def _date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(name, _("Ngày không hợp lệ (định dạng YYYY-MM-DD)."))
    return parsed


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _fold_pairs() -> tuple[str, str]:
    """Every Latin letter with diacritics (upper and lower case) and its folded lower-case letter."""
    source, target = [], []
    for code in range(0x00C0, 0x1F00):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isascii() and folded.isalpha() and folded != char.lower():
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _fold_pairs()


class Folded(Func):
    """``fold(expression)`` in SQL: PostgreSQL's translate(), a Python function on SQLite."""

    output_field = CharField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"lower(translate({sql}, %s, %s))", (*params, FOLD_FROM, FOLD_TO)

    def as_sqlite(self, compiler, connection, **extra):
        _sqlite_functions(connection)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"cqs_fold({sql})", params

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"lower({sql})", params


def _sqlite_functions(connection) -> None:
    connection.ensure_connection()
    connection.connection.create_function(
        "cqs_fold", 1, lambda value: None if value is None else fold(value), deterministic=True
    )


# --- the engines ------------------------------------------------------------------------------


def _engine():
    vendor = default_connection.vendor
    if vendor == "postgresql":
        return _Postgres
    if vendor == "sqlite":
        return _Sqlite
    raise NotImplementedError(f"documents search: no full-text engine for {vendor}")


# The table's size and, among the words ANALYZE found commonest, the frequency of the query's.
PG_WORD_FREQUENCIES = (
    "SELECT c.reltuples, u.elem, u.freq FROM pg_class c "
    "LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname "
    "AND s.attname = 'search_vector' "
    "LEFT JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) "
    "AS u(elem, freq) ON u.elem = ANY(%s) "
    "WHERE c.oid = 'documents_document'::regclass AND c.reltuples > 0 "
    "AND s.most_common_elems IS NOT NULL"
)
PG_MATCH = '"documents_document"."search_vector" @@ plainto_tsquery(\'simple\', %s)'
# Normalisation 32 maps the cover density to rank/(rank+1), below 1, so the exact bonus wins.
PG_SCORE = "ts_rank_cd(d.search_vector, plainto_tsquery('simple', %s), 32)"
PG_BONUS = " + CASE WHEN d.search_vector @@ plainto_tsquery('simple', %s) THEN 1 ELSE 0 END"
PG_RANK = (
    "SELECT d.id, {score} AS rank FROM documents_document d WHERE d.id = ANY(%s) "
    "ORDER BY rank DESC, d.id DESC LIMIT %s OFFSET %s"
)
SQLITE_MATCH = (
    '"documents_document"."id" IN '
    "(SELECT rowid FROM documents_document_fts WHERE documents_document_fts MATCH %s)"
)
# bm25() is minus the score (>= 0); score/(score+1) stays below the exact bonus of 1.
SQLITE_SCORE = "(-bm25(documents_document_fts)) / (1.0 - bm25(documents_document_fts))"
SQLITE_BONUS = (
    " + CASE WHEN documents_document_fts.rowid IN (SELECT rowid FROM documents_document_fts "
    "WHERE documents_document_fts MATCH %s) THEN 1 ELSE 0 END"
)
SQLITE_RANK = (
    "SELECT documents_document_fts.rowid, {score} AS rank FROM documents_document_fts "
    "WHERE documents_document_fts MATCH %s AND documents_document_fts.rowid IN ({candidates}) "
    "ORDER BY rank DESC, documents_document_fts.rowid DESC LIMIT %s OFFSET %s"
)


def _fetch(sql: str, params: list) -> list[tuple[int, float]]:
    with default_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Postgres:
    @staticmethod
    def newest(words: tuple[str, ...], documents: QuerySet, limit: int) -> list[int]:
        """The ids of the newest ``limit`` documents matching ``words``.

        Left to itself the planner errs both ways on a million rows: it walks the primary key
        for a rare word whose frequency it over-estimates (and reads the whole table), and reads
        every match from the index for words it takes as independent ("phê duyệt" – a phrase).
        So the plan is chosen here from the statistics ANALYZE keeps of the commonest words:
        when the least common word of the query is rare (or not among them), all matches come
        from the index and are sorted; otherwise the documents are walked newest first until
        ``limit`` match, which is short because the matches are dense.
        """
        matches = documents.filter(_Postgres.match(words)).order_by("-pk").values_list("pk", flat=True)
        with transaction.atomic(), default_connection.cursor() as cursor:
            cursor.execute(PG_WORD_FREQUENCIES, [list(words)])
            rows = cursor.fetchall()
            if rows and rows[0][0] is not None:
                total, known = rows[0][0], {word: freq for _total, word, freq in rows if word}
                expected = total * min(known.get(word, 0.0) for word in words)
                if expected <= RARE:
                    cursor.execute("SET LOCAL enable_indexscan = off")
                else:
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
            return list(matches[:limit])

    @staticmethod
    def match(words: tuple[str, ...]) -> RawSQL:
        return RawSQL(PG_MATCH, [" ".join(words)], output_field=BooleanField())  # noqa: S611 - constant

    @staticmethod
    def rank(query: _Query, ids: list[int], *, limit: int, offset: int) -> list[tuple[int, float]]:
        score, score_params = PG_SCORE, [" ".join(query.folded)]
        if query.exact != query.folded:
            score += PG_BONUS
            score_params.append(" ".join(query.exact))
        return _fetch(PG_RANK.format(score=score), [*score_params, ids, limit, offset])


def _fts_query(words: tuple[str, ...]) -> str:
    # Words are letters and digits only; quoting them anyway keeps AND, OR, NOT, NEAR plain words.
    return " ".join(f'"{word}"' for word in words)


class _Sqlite:
    @staticmethod
    def newest(words: tuple[str, ...], documents: QuerySet, limit: int) -> list[int]:
        matches = documents.filter(_Sqlite.match(words))
        return list(matches.order_by("-pk").values_list("pk", flat=True)[:limit])

    @staticmethod
    def match(words: tuple[str, ...]) -> RawSQL:
        return RawSQL(SQLITE_MATCH, [_fts_query(words)], output_field=BooleanField())  # noqa: S611

    @staticmethod
    def rank(query: _Query, ids: list[int], *, limit: int, offset: int) -> list[tuple[int, float]]:
        score, score_params = SQLITE_SCORE, []
        if query.exact != query.folded:
            score += SQLITE_BONUS
            score_params.append(_fts_query(query.exact))
        sql = SQLITE_RANK.format(score=score, candidates=", ".join(["%s"] * len(ids)))
        return _fetch(sql, [*score_params, _fts_query(query.folded), *ids, limit, offset])


# --- highlights -------------------------------------------------------------------------------

_SPLIT = re.compile(r"([^\W_]+)")
SNIPPET_BEFORE, SNIPPET_AFTER = 8, 16


def _highlight(document: Document, terms: set[str]) -> SafeString:
    """The subject, escaped, with the searched words in <mark>; when some word was found
    elsewhere (attachment, issuer, signer), a lower-case excerpt of the indexed text follows."""
    subject = unicodedata.normalize("NFC", document.subject or "")
    html, seen = _marked(_SPLIT.split(subject), terms)
    missing = terms - seen
    if missing:
        excerpt = _excerpt(document.search_text or "", missing, terms)
        if excerpt:
            html += ' <span class="search-excerpt">' + excerpt + "</span>"
    return mark_safe(html)  # noqa: S308 - every piece of text went through escape()


def _marked(pieces: list[str], terms: set[str]) -> tuple[str, set[str]]:
    out, seen = [], set()
    for number, piece in enumerate(pieces):
        folded = fold(piece) if number % 2 else ""
        if folded and folded in terms:
            seen.add(folded)
            out.append(f"<mark>{escape(piece)}</mark>")
        else:
            out.append(escape(piece))
    return "".join(out), seen


def _excerpt(search_text: str, missing: set[str], terms: set[str]) -> str:
    words = _exact_part(search_text.split(" "))
    for index, word in enumerate(words):
        if fold(word) in missing:
            start, end = max(0, index - SNIPPET_BEFORE), index + SNIPPET_AFTER
            pieces = [""]  # _marked() takes separators and words in turn, words at odd places
            for piece in words[start:end]:
                pieces.extend([piece, " "])
            html, _seen = _marked(pieces, terms)
            prefix = "… " if start else ""
            suffix = " …" if end < len(words) else ""
            return prefix + html.strip() + suffix
    return ""


def _exact_part(words: list[str]) -> list[str]:
    """The words as written: search_text is "<exact> <folded>" when folding changed anything."""
    half = len(words) // 2
    if len(words) % 2 == 0 and half and fold(" ".join(words[:half])) == " ".join(words[half:]):
        return words[:half]
    return words


# --- attachment text --------------------------------------------------------------------------


def attachment_text_extract(pdf_bytes: bytes) -> str:
    """The text layer of a PDF (pdftotext), or "" when absent, too big, slow or broken.

    Never raises: a registration must not fail because its attachment cannot be read. The text
    is never logged (it may hold personal data).
    """
    if not pdf_bytes or len(pdf_bytes) > ATTACHMENT_MAX_BYTES:
        return ""
    program = shutil.which("pdftotext")
    if program is None:
        return ""
    command = [program, "-q", "-enc", "UTF-8", "-l", str(ATTACHMENT_MAX_PAGES), "-", "-"]
    try:
        done = subprocess.run(  # noqa: S603 - fixed program and arguments, the PDF on stdin
            command, input=pdf_bytes, capture_output=True, timeout=PDFTOTEXT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        logger.warning("pdftotext: timed out after %s s", PDFTOTEXT_TIMEOUT)
        return ""
    except OSError as error:
        logger.warning("pdftotext: could not run (%s)", error.__class__.__name__)
        return ""
    if done.returncode != 0:
        return ""
    text = done.stdout[: ATTACHMENT_TEXT_MAX * 4].decode("utf-8", errors="replace")
    return " ".join(text.split())[:ATTACHMENT_TEXT_MAX]


# --- the index (migration 0002) ---------------------------------------------------------------

SQLITE_INSTALL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_document_fts USING fts5(search_text, "
    "content='documents_document', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS documents_document_fts_ai AFTER INSERT ON documents_document BEGIN "
    "INSERT INTO documents_document_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS documents_document_fts_ad AFTER DELETE ON documents_document BEGIN "
    "INSERT INTO documents_document_fts(documents_document_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS documents_document_fts_au AFTER UPDATE OF search_text "
    "ON documents_document WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO documents_document_fts(documents_document_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO documents_document_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_REBUILD = "INSERT INTO documents_document_fts(documents_document_fts) VALUES ('rebuild')"
SQLITE_TRIGGERS_COUNT = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)"
POSTGRES_INSTALL = (
    "ALTER TABLE documents_document ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS documents_document_search ON documents_document USING gin (search_vector)",
)
POSTGRES_UNINSTALL = (
    "DROP INDEX IF EXISTS documents_document_search",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS search_vector",
)
SQLITE_UNINSTALL = (
    "DROP TRIGGER IF EXISTS documents_document_fts_ai",
    "DROP TRIGGER IF EXISTS documents_document_fts_ad",
    "DROP TRIGGER IF EXISTS documents_document_fts_au",
    "DROP TABLE IF EXISTS documents_document_fts",
)


def search_index_install(connection=None) -> None:
    """Create the full-text index if missing; idempotent.

    On SQLite the triggers belong to ``documents_document``: a later migration that rebuilds that
    table (Django's SQLite ALTER) drops them, so this also runs after every ``migrate`` and then
    rebuilds the FTS table from the documents.
    """
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRES_INSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_TRIGGERS_COUNT, SQLITE_TRIGGERS)
            complete = cursor.fetchone()[0] == len(SQLITE_TRIGGERS)
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)
            if not complete:
                cursor.execute(SQLITE_REBUILD)


def search_index_uninstall(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        statements = {"postgresql": POSTGRES_UNINSTALL, "sqlite": SQLITE_UNINSTALL}
        for statement in statements.get(connection.vendor, ()):
            cursor.execute(statement)


def search_index_post_migrate(sender=None, using="default", **kwargs) -> None:
    """``post_migrate`` receiver: put back what a table rebuild on SQLite may have dropped."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", ["documents_document"])
        if cursor.fetchone() is None:
            return
    search_index_install(connection)
