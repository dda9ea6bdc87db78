"""The platform's own integrations through the LGSP gateway (docs/lgsp.md#own-integrations).

The adapters of the national systems (DVCQG ``cqs.onestop.dvcqg``, VDXP ``cqs.documents.vdxp``,
the Government reporting system ``cqs.reporting.ris``) ask ``route(name, direct_url)`` where to
send their calls. When ``name`` is in ``settings.CQS_LGSP_ROUTE`` the answer is the gateway, at the
service the registry holds for that system, with the platform's API key and its subsystem as
``X-Road-Client``: the call is then authorised, limited and logged like any other consumer's. The
provider's address is the registry's (the service's upstream), not the adapter's setting.
Otherwise the answer is the direct URL and no extra header.

Routing that is asked for but cannot be done (no gateway URL, no such service, no usable key)
raises ``RouteUnavailable``, a ``DeliveryError``: the outbox keeps the message and retries, and
operators read why. Never a silent direct call, which would bypass the access rights and the
evidence the province asked for by turning routing on.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cqs.core.outbox import DeliveryError
from cqs.lgsp.choices import ServiceStatus
from cqs.lgsp.errors import API_KEY_HEADER
from cqs.lgsp.models import Credential, Service
from cqs.lgsp.services.access import secret_sha256

# Adapter name → (subsystem code, service code) of the national system's service in the registry.
# The demo registers them so (``cqs.lgsp.demo``); a province doing it by hand uses the same codes.
ROUTES: dict[str, tuple[str, str]] = {
    "dvcqg": ("DVCQG", "dvcqg"),
    "vdxp": ("VDXP", "vdxp"),
    "ris": ("RIS", "ris"),
}
KEY_FILE_NAME = "platform.key"


class RouteUnavailable(DeliveryError):
    """Routing through the gateway is configured but cannot be done; the message says why."""


def key_file() -> Path:
    return Path(settings.CQS_LGSP_DIR) / "keys" / KEY_FILE_NAME


def write_platform_key(key: str) -> Path:
    """Store the platform's API key for ``route()``: readable by this account only (0600)."""
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.replace(temporary, path)
    return path


def platform_key() -> str:
    """``CQS_LGSP_PLATFORM_KEY`` if set, else the key file; "" when there is neither."""
    configured = getattr(settings, "CQS_LGSP_PLATFORM_KEY", "") or ""
    if configured.strip():
        return configured.strip()
    try:
        return key_file().read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def key_client(key: str) -> str | None:
    """The subsystem id a key authenticates (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``), or None when the
    key is unknown, revoked, expired or its subsystem inactive."""
    credential = (
        Credential.objects.filter(secret_sha256=secret_sha256(key), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .filter(subsystem__active=True)
        .select_related("subsystem__member")
        .first()
    )
    return credential.subsystem.xroad_id if credential else None


def routed_service(name: str) -> Service | None:
    """The published service of national system ``name`` (``ROUTES``), or None."""
    subsystem_code, service_code = ROUTES[name]
    return (
        Service.objects.filter(
            code=service_code,
            subsystem__code=subsystem_code,
            subsystem__active=True,
            status=ServiceStatus.PUBLISHED,
        )
        .select_related("subsystem__member")
        .order_by("pk")
        .first()
    )


def is_routed(name: str) -> bool:
    return name in getattr(settings, "CQS_LGSP_ROUTE", [])


def route(name: str, direct_url: str) -> tuple[str, dict[str, str]]:
    """(base URL, extra headers) for adapter ``name``: the gateway when routed, else ``direct_url``."""
    if name not in ROUTES:
        raise ValueError(f"unknown integration {name!r}; expected one of {sorted(ROUTES)}")
    if not is_routed(name):
        return direct_url, {}
    where = f"LGSP routing of {name} (CQS_LGSP_ROUTE)"
    gateway = (getattr(settings, "CQS_LGSP_GATEWAY_URL", "") or "").rstrip("/")
    if not gateway:
        raise RouteUnavailable(f"{where}: CQS_LGSP_GATEWAY_URL is empty")
    service = routed_service(name)
    if service is None:
        subsystem_code, service_code = ROUTES[name]
        raise RouteUnavailable(
            f"{where}: the registry has no published service {subsystem_code}/{service_code}"
        )
    key = platform_key()
    if not key:
        raise RouteUnavailable(f"{where}: no platform key (CQS_LGSP_PLATFORM_KEY or {key_file()})")
    client = key_client(key)
    if client is None:
        raise RouteUnavailable(f"{where}: the platform key is unknown, revoked or expired")
    return f"{gateway}/r1/{service.xroad_id}", {API_KEY_HEADER: key, "X-Road-Client": client}
