"""Writes of the configuration: categories (with deadlines) and Open311 apps' keys."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.feedback.choices import TimeUnit, Urgency
from cqs.feedback.models import ApiClient, Category, CategoryDeadline, Report
from cqs.feedback.routing import route

KEY_PREFIX = "pakn_"


def api_key_hash(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


def api_client_get(key: str) -> ApiClient | None:
    """The active app whose key is ``key`` (None for an unknown, revoked or empty key)."""
    if not key or len(key) > 200:
        return None
    return ApiClient.objects.filter(key_hash=api_key_hash(key), active=True).first()


def api_client_create(*, name: str, contact: str = "", actor=None) -> tuple[ApiClient, str]:
    """A new Open311 app and its key; the key is returned once and stored only as its SHA-256."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("name_missing", _("Nhập tên ứng dụng."), field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name[:200],
            contact=(contact or "")[:200],
            key_hash=api_key_hash(key),
            key_prefix=key[:10],
            created_by=actor,
        )
        audit_record(
            action="feedback.api_client_create", obj=client, after={"name": client.name}, actor=actor
        )
    return client, key


def category_save(
    *,
    code: str,
    name: str,
    unit,
    parent: Category | None = None,
    deadlines: dict[str, tuple[int, str]] | None = None,
    actor=None,
    **fields,
) -> Category:
    """Create or update the category ``code`` with its deadlines ``{urgency: (amount, unit)}``."""
    for urgency, (amount, time_unit) in (deadlines or {}).items():
        if urgency not in Urgency.values or time_unit not in TimeUnit.values or not 1 <= int(amount) <= 365:
            raise ServiceError("invalid_deadline", _("Thời hạn xử lý không hợp lệ."), field="deadlines")
    with transaction.atomic():
        category, created = Category.objects.update_or_create(
            code=code, defaults={"name": name, "unit": unit, "parent": parent, **fields}
        )
        category.full_clean()
        for urgency, (amount, time_unit) in (deadlines or {}).items():
            CategoryDeadline.objects.update_or_create(
                category=category, urgency=urgency, defaults={"amount": int(amount), "unit": time_unit}
            )
        audit_record(
            action="feedback.category_create" if created else "feedback.category_update",
            obj=category,
            after={
                "code": code,
                "unit": unit.pk,
                "deadlines": {k: list(v) for k, v in (deadlines or {}).items()},
            },
            actor=actor,
        )
    return category


def routing_rules_rerun(*, actor=None) -> int:
    """After the rules change: re-route reports still waiting for a unit to take them (received);
    reports a unit has accepted stay with it. Returns how many moved."""
    from cqs.feedback.choices import Status

    moved = 0
    with transaction.atomic():
        for report in (
            Report.objects.select_for_update(of=("self",))
            .filter(status=Status.RECEIVED)
            .select_related("category", "area")
        ):
            unit, rule = route(
                category=report.category,
                area=report.area,
                text=f"{report.title}\n{report.description}\n{report.address}",
            )
            if unit.pk != report.unit_id:
                report.unit, report.routing_rule = unit, rule
                report.save(update_fields=["unit", "routing_rule"])
                moved += 1
        audit_record(
            action="feedback.routing_rerun",
            object_type="feedback.routingrule",
            after={"moved": moved},
            actor=actor,
        )
    return moved
