"""Reads of citizen feedback that pages, the Open311 API and other modules use."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.urls import reverse

from cqs.feedback import geo
from cqs.feedback.choices import OPEN_STATUSES, Status
from cqs.feedback.models import AnswerTemplate, Category, Report
from cqs.feedback.privacy import mask_personal

# Open311 GeoReport v2 has two statuses; docs/feedback.md#open311 maps ours onto them.
OPEN311_OPEN = frozenset(OPEN_STATUSES)
# FixMyStreet's extended statuses (servicerequestupdates), for clients that understand them.
FMS_STATUS = {
    Status.RECEIVED: "OPEN",
    Status.ACCEPTED: "INVESTIGATING",
    Status.FORWARDED: "INTERNAL_REFERRAL",
    Status.IN_PROGRESS: "IN_PROGRESS",
    Status.INFO_REQUESTED: "INVESTIGATING",
    Status.ANSWERED: "FIXED",
    Status.PUBLISHED: "FIXED",
    Status.CLOSED: "CLOSED",
    Status.REOPENED: "OPEN",
    Status.REJECTED: "NO_FURTHER_ACTION",
    Status.TRANSFERRED: "NOT_COUNCILS_RESPONSIBILITY",
}
DUPLICATE_WINDOW = timedelta(weeks=12)
NEARBY_MAX = 10


def open311_status(report: Report) -> str:
    return "open" if report.status in OPEN311_OPEN else "closed"


def fms_status(report: Report) -> str:
    if report.duplicate_of_id is not None:
        return "DUPLICATE"
    return FMS_STATUS.get(report.status, "OPEN")


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(active=True).select_related("parent", "unit").order_by("order", "name")


def categories_leaf() -> list[Category]:
    """The categories a report can be filed in (the Open311 services): active, without active children."""
    rows = list(categories_active())
    parents = {c.parent_id for c in rows if c.parent_id}
    return [c for c in rows if c.pk not in parents]


def category_by_code(code: str) -> Category | None:
    return Category.objects.filter(code=(code or "").strip(), active=True).first()


def public_reports() -> QuerySet[Report]:
    """Reports anyone may see: in a public category, not rejected (abuse, no content)."""
    return Report.objects.filter(category__is_public=True).exclude(status=Status.REJECTED)


def reports_in_box(queryset: QuerySet[Report], box: geo.Box) -> QuerySet[Report]:
    return queryset.filter(
        lat__gte=box.min_lat, lat__lte=box.max_lat, lon__gte=box.min_lon, lon__lte=box.max_lon
    )


def public_description(report: Report) -> str:
    return mask_personal(report.description)


def public_answer(report: Report) -> str:
    """The published answer (reviewed by the official who published it), else nothing."""
    return report.answer_public if report.is_public else ""


def geojson_rows(queryset: QuerySet[Report], *, limit: int) -> list[tuple]:
    """At most ``limit`` rows of ``queryset`` (newest first) as the plain tuples ``report_geojson``
    takes: one query, no model instances (the public map asks for this on every move)."""
    answered = Case(
        When(Q(is_public=True) & ~Q(answer_public=""), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return list(
        queryset.filter(lat__isnull=False)
        .annotate(answered=answered)
        .order_by("-submitted_at")
        .values_list("code", "title", "lat", "lon", "status", "submitted_at", "category__name", "answered")[
            :limit
        ]
    )


def report_geojson(rows) -> dict:
    """A GeoJSON FeatureCollection for the public map from ``geojson_rows``; titles masked."""
    labels = {status.value: str(status.label) for status in Status}
    sample = "PA" + "2" * 10  # one reverse() for all features
    url = reverse("feedback:status", args=[sample])
    features = [
        {
            "type": "Feature",
            "id": code,
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "code": code,
                "title": mask_personal(title),
                "category": category,
                "status": status,
                "status_label": labels.get(status, status),
                "open": status in OPEN311_OPEN,
                "submitted_at": submitted_at.isoformat(),
                "answered": answered,
                "url": url.replace(sample, code),
            },
        }
        for code, title, lat, lon, status, submitted_at, category, answered in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def nearby_open(
    *,
    category: Category,
    lat: float | None,
    lon: float | None,
    exclude_pk: int | None = None,
    now: datetime | None = None,
) -> list[tuple[Report, float]]:
    """Open reports of ``category`` within its duplicate radius of (lat, lon), filed in the last 12
    weeks, nearest first, with their distance in metres (duplicate suggestions)."""
    if lat is None or lon is None:
        return []
    from django.utils import timezone

    now = now or timezone.now()
    radius = category.duplicate_radius_m or 50
    candidates = reports_in_box(
        Report.objects.filter(
            category=category, status__in=OPEN_STATUSES, submitted_at__gte=now - DUPLICATE_WINDOW
        ),
        geo.box_around(lat, lon, radius),
    ).exclude(pk=exclude_pk or 0)
    found = []
    for report in candidates.select_related("category")[:200]:
        distance = geo.distance_m(lat, lon, report.lat, report.lon)
        if distance <= radius:
            found.append((report, distance))
    found.sort(key=lambda pair: pair[1])
    return found[:NEARBY_MAX]


def staff_reports(user, *, action: str = "view") -> QuerySet[Report]:
    """The reports of the units ``user`` holds a feedback role on (or below)."""
    return Report.objects.restrict(user, action).select_related("category", "unit", "area")


def reports_overdue(queryset: QuerySet[Report], now: datetime) -> QuerySet[Report]:
    return queryset.filter(status__in=OPEN_STATUSES, due_at__lt=now)


def answer_templates(category: Category | None = None) -> QuerySet[AnswerTemplate]:
    query = AnswerTemplate.objects.filter(active=True)
    if category is not None:
        ids = [category.pk, *category.ancestor_ids()]
        query = query.filter(Q(category__isnull=True) | Q(category_id__in=ids))
    return query
