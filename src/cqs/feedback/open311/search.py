"""Reads behind the Open311 endpoints: the query parameters, the service list and definitions,
the request search and the FixMyStreet update feed, turned into the spec's plain values.

Only ``selectors.public_reports()`` is ever read, and only public history rows. Personal data
(the reporter's name, phone, e-mail) is never selected; free text goes through
``mask_personal``. The request search is built for a million rows: one query with ``values()``
on the indexed columns (time, point), then one query each for the page's public notes and
first photos, so the number of queries does not grow with the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from cqs.feedback import geo, selectors
from cqs.feedback.choices import OPEN_STATUSES
from cqs.feedback.models import Category, CategoryAttribute, ReportEvent, ReportPhoto
from cqs.feedback.open311.errors import bad_request
from cqs.feedback.privacy import mask_personal

# GeoReport v2: "may not span more than 90 days"; default "90 days or 1000 requests".
MAX_SPAN = timedelta(days=90)
PAGE_SIZE_MAX = 1000
IDS_MAX = PAGE_SIZE_MAX
SERVICE_TYPE = "realtime"
_LIST_TYPES = {"singlevaluelist", "multivaluelist"}
# "+07:00" sent unencoded in a query string arrives as " 07:00".
_SPACE_OFFSET = re.compile(r"^(.*T[\d:.]+) (\d{2}(?::?\d{2})?)$")
# Any id works: only its digits are replaced per photo.
_PHOTO_PK_MARK = 987654321


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the local offset (+07:00), to the second."""
    if moment is None:
        return None
    return moment.astimezone(local_tz()).isoformat(timespec="seconds")


# --- query parameters -------------------------------------------------------------------------


def csv_values(raw: str | None) -> list[str]:
    # NUL cannot reach PostgreSQL as a parameter.
    return [part.strip() for part in (raw or "").replace("\x00", "").split(",") if part.strip()]


def parse_moment(raw: str, name: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date-time (with its offset; without one it is local time) or a date (its start,
    or its end for ``end_date``)."""
    text = (raw or "").strip()
    match = _SPACE_OFFSET.match(text)
    if match:
        text = f"{match.group(1)}+{match.group(2)}"
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise bad_request(
            "invalid_date",
            _("Tham số %(name)s phải là ngày giờ ISO 8601, ví dụ 2026-03-01T08:00:00+07:00.")
            % {"name": name},
            field=name,
        )
    if moment is None:
        moment = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=local_tz())
    return moment


def date_window(params, now: datetime) -> tuple[datetime, datetime]:
    """``start_date``/``end_date`` as a window of at most 90 days. One bound alone gives the 90
    days after (or before) it; none gives the last 90 days."""
    raw_start, raw_end = params.get("start_date"), params.get("end_date")
    start = parse_moment(raw_start, "start_date") if raw_start else None
    end = parse_moment(raw_end, "end_date", end=True) if raw_end else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise bad_request("invalid_date_range", _("end_date phải sau start_date."), field="end_date")
    if end - start > MAX_SPAN:
        raise bad_request(
            "date_range_too_long",
            _("Khoảng thời gian tìm kiếm tối đa %(days)s ngày.") % {"days": MAX_SPAN.days},
            field="end_date",
        )
    return start, end


def paging(params) -> tuple[int, int]:
    """``page`` (from 1) and ``page_size`` (1 to 1000, default 1000): Open311 issue #16."""
    values = []
    for name, default, top in (("page", 1, 1_000_000), ("page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)):
        raw = (params.get(name) or "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            value = 0
        if not 1 <= value <= top:
            raise bad_request(
                "invalid_paging",
                _("Tham số %(name)s phải là số nguyên từ 1 đến %(top)s.") % {"name": name, "top": top},
                field=name,
            )
        values.append(value)
    return values[0], values[1]


def statuses(params) -> set[str]:
    wanted = {value.lower() for value in csv_values(params.get("status"))}
    if wanted - {"open", "closed"}:
        raise bad_request("invalid_status", _("Tham số status chỉ nhận open, closed."), field="status")
    return wanted


def box(params) -> geo.Box | None:
    raw = (params.get("bbox") or "").strip()
    if not raw:
        return None
    try:
        return geo.parse_box(raw)
    except ValueError:
        raise bad_request(
            "invalid_bbox",
            _("Tham số bbox phải là min_lon,min_lat,max_lon,max_lat (WGS 84)."),
            field="bbox",
        ) from None


def flag(params, name: str) -> bool:
    return (params.get(name) or "").strip().lower() in {"1", "true", "yes"}


# --- services ---------------------------------------------------------------------------------


def open311_categories() -> list[Category]:
    """The services: leaf categories in use whose reports are public. Reports in a private
    category (a complaint about an official) are filed with the web form, not by apps."""
    return [c for c in selectors.categories_leaf() if c.is_public]


def open311_category(code: str) -> Category | None:
    code = (code or "").strip()
    return next((c for c in open311_categories() if c.code == code), None)


def service_list() -> list[dict]:
    categories = open311_categories()
    with_attributes = set(
        CategoryAttribute.objects.filter(category__in=[c.pk for c in categories]).values_list(
            "category_id", flat=True
        )
    )
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or None,
            # Any attribute, also one only shown to the person (variable=false): it is part of
            # the form the client must fetch from the service definition.
            "metadata": c.pk in with_attributes,
            "type": SERVICE_TYPE,
            "keywords": c.keywords or None,
            "group": c.parent.name if c.parent_id else None,
        }
        for c in categories
    ]


def service_definition(category: Category) -> dict:
    attributes = []
    for attribute in category.attributes.order_by("order", "pk"):
        item = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.datatype in _LIST_TYPES:
            item["values"] = [
                {"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))}
                for v in attribute.values or []
                if isinstance(v, dict)
            ]
        attributes.append(item)
    return {"service_code": category.code, "attributes": attributes}


def service_notice(handling_message: str, due_at: datetime | None) -> str | None:
    if handling_message:
        return handling_message
    if due_at is None:
        return None
    return _("Hạn trả lời dự kiến: %(due)s.") % {
        "due": due_at.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")
    }


# --- requests ---------------------------------------------------------------------------------

_REQUEST_FIELDS = (
    "pk",
    "code",
    "status",
    "description",
    "lat",
    "lon",
    "address",
    "media_url",
    "submitted_at",
    "updated_at",
    "due_at",
    "is_public",
    "answer_public",
    "duplicate_of_id",
    "category__code",
    "category__name",
    "category__handling_message",
    "unit__name",
    "area__division_code",
)
_EXTENSION_FIELDS = ("duplicate_of__code", "duplicate_of__status", "duplicate_of__category__is_public")


@dataclass(frozen=True)
class RequestSearch:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()
    box: geo.Box | None = None
    page: int = 1
    page_size: int = PAGE_SIZE_MAX
    extensions: bool = False


def request_search_parse(params, *, now: datetime) -> RequestSearch:
    extensions = flag(params, "extensions")
    ids = tuple(dict.fromkeys(value.upper() for value in csv_values(params.get("service_request_id"))))
    if ids:
        # "This overrides all other arguments."
        if len(ids) > IDS_MAX:
            raise bad_request(
                "too_many_ids",
                _("Tra cứu tối đa %(limit)s mã phản ánh một lần.") % {"limit": IDS_MAX},
                field="service_request_id",
            )
        return RequestSearch(ids=ids, page_size=IDS_MAX, extensions=extensions)
    start, end = date_window(params, now)
    page, page_size = paging(params)
    return RequestSearch(
        service_codes=tuple(csv_values(params.get("service_code"))),
        start=start,
        end=end,
        statuses=frozenset(statuses(params)),
        box=box(params),
        page=page,
        page_size=page_size,
        extensions=extensions,
    )


def request_queryset(search: RequestSearch):
    query = selectors.public_reports()
    if search.ids:
        query = query.filter(code__in=search.ids)
    else:
        query = query.filter(submitted_at__gte=search.start, submitted_at__lte=search.end)
        if search.service_codes:
            query = query.filter(category__code__in=search.service_codes)
        if search.statuses == {"open"}:
            query = query.filter(status__in=OPEN_STATUSES)
        elif search.statuses == {"closed"}:
            query = query.exclude(status__in=OPEN_STATUSES)
        if search.box is not None:
            query = selectors.reports_in_box(query, search.box)
    fields = _REQUEST_FIELDS + (_EXTENSION_FIELDS if search.extensions else ())
    offset = (search.page - 1) * search.page_size
    return query.order_by("-submitted_at", "-pk").values(*fields)[offset : offset + search.page_size]


def _status_note(action: str, note: str, row: dict) -> str:
    """What a public history row tells the public: the published answer for a publication, nothing
    for an answer not yet published (the official reviews it when publishing), else the note
    with personal data masked."""
    if action == "publish":
        return row["answer_public"] if row["is_public"] else ""
    if action == "answer":
        return ""
    return mask_personal(note)


def _last_public_notes(rows: list[dict]) -> dict[int, str]:
    by_pk = {row["pk"]: row for row in rows}
    notes: dict[int, str] = {}
    events = (
        ReportEvent.objects.filter(report_id__in=list(by_pk), public=True)
        .order_by("report_id", "at", "pk")
        .values_list("report_id", "action", "note")
    )
    for report_id, action, note in events:
        notes[report_id] = _status_note(action, note, by_pk[report_id])
    return notes


def _first_photos(rows: list[dict]) -> dict[int, int]:
    first: dict[int, int] = {}
    photos = (
        ReportPhoto.objects.filter(report_id__in=[row["pk"] for row in rows])
        .order_by("report_id", "uploaded_at", "pk")
        .values_list("report_id", "pk")
    )
    for report_id, photo_pk in photos:
        first.setdefault(report_id, photo_pk)
    return first


def request_items(rows: list[dict], *, build_absolute_uri, extensions: bool = False) -> list[dict]:
    """The Open311 ``request`` of each row of ``request_queryset``."""
    if not rows:
        return []
    notes = _last_public_notes(rows)
    photos = _first_photos(rows)
    photo_url = build_absolute_uri(reverse("feedback:photo", kwargs={"pk": _PHOTO_PK_MARK}))
    items = []
    for row in rows:
        photo = photos.get(row["pk"])
        media_url = photo_url.replace(str(_PHOTO_PK_MARK), str(photo)) if photo else row["media_url"]
        item = {
            "service_request_id": row["code"],
            "status": "open" if row["status"] in selectors.OPEN311_OPEN else "closed",
            "status_notes": notes.get(row["pk"]) or None,
            "service_name": row["category__name"],
            "service_code": row["category__code"],
            "description": mask_personal(row["description"]) or None,
            "agency_responsible": row["unit__name"],
            "service_notice": service_notice(row["category__handling_message"], row["due_at"]),
            "requested_datetime": iso(row["submitted_at"]),
            "updated_datetime": iso(row["updated_at"]),
            "expected_datetime": iso(row["due_at"]),
            "address": mask_personal(row["address"]) or None,
            "address_id": row["area__division_code"] or None,
            "zipcode": None,
            "lat": round(row["lat"], 6) if row["lat"] is not None else None,
            "long": round(row["lon"], 6) if row["lon"] is not None else None,
            "media_url": media_url or None,
        }
        if extensions:
            item["extended_attributes"] = _extended(row)
        items.append(item)
    return items


def _extended(row: dict) -> dict:
    original_public = row["duplicate_of_id"] is not None and row["duplicate_of__category__is_public"]
    if row["duplicate_of_id"] is not None:
        fms_status = "DUPLICATE"
    else:
        fms_status = selectors.FMS_STATUS.get(row["status"], "OPEN")
    return {
        "fms_status": fms_status,
        # The original is named only when the public may see it.
        "duplicate_of": row["duplicate_of__code"]
        if original_public and row["duplicate_of__status"] != "rejected"
        else None,
        "answer": (row["answer_public"] if row["is_public"] else "") or None,
    }


# --- FixMyStreet servicerequestupdates --------------------------------------------------------


@dataclass(frozen=True)
class UpdateSearch:
    start: datetime
    end: datetime
    page: int
    page_size: int


def update_search_parse(params, *, now: datetime) -> UpdateSearch:
    start, end = date_window(params, now)
    page, page_size = paging(params)
    return UpdateSearch(start=start, end=end, page=page, page_size=page_size)


def update_items(search: UpdateSearch) -> list[dict]:
    """Public history rows of public reports in the window, oldest first (a feed read in order).
    Filing is not an update: it is the request itself."""
    offset = (search.page - 1) * search.page_size
    rows = (
        ReportEvent.objects.filter(
            public=True,
            at__gte=search.start,
            at__lte=search.end,
            report__in=selectors.public_reports().values("pk"),
        )
        .exclude(action="submit")
        .order_by("at", "pk")
        .values(
            "pk",
            "at",
            "action",
            "note",
            "to_status",
            "report__code",
            "report__is_public",
            "report__answer_public",
        )[offset : offset + search.page_size]
    )
    items = []
    for row in rows:
        if row["action"] == "mark_duplicate":
            status = "DUPLICATE"
        else:
            status = selectors.FMS_STATUS.get(row["to_status"], "OPEN")
        public = {"is_public": row["report__is_public"], "answer_public": row["report__answer_public"]}
        items.append(
            {
                "update_id": str(row["pk"]),
                "service_request_id": row["report__code"],
                "status": status,
                "updated_datetime": iso(row["at"]),
                "description": _status_note(row["action"], row["note"], public),
                "media_url": None,
            }
        )
    return items
