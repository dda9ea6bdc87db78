"""The compiled registry: the one contract between the control plane and both data-plane engines.

``build_snapshot()`` reads the registry and returns a plain dict (written as ``snapshot.json`` in
each generation directory). The built-in proxy loads it as is; the HAProxy compiler renders it into
a configuration and map files. Neither engine reads the database.

Shape (version 1)::

    {
      "version": 1,
      "instance": "XROADVN",
      "services": {                      # published services of active subsystems
        "<service id>": {"upstream": "http://10.0.0.5:8080/api", "timeout_ms": 10000, "kind": "REST"}
      },
      "api_keys": {                      # SHA-256 (hex) of the key → who it authenticates
        "<sha256>": {"credential": 12, "client": "<subsystem id>"}
      },
      "oauth_clients": {                 # a JWT's "cid" claim (credential id) → its client
        "13": "<subsystem id>"
      },
      "grants": {                        # "<client id>|<service id>" → the merged access right
        "<client>|<service>": {
          "rate_per_minute": 600,        # accepted calls in any 60 s window
          "daily_quota": null,           # accepted calls per calendar day (local time), or null
          "endpoints": null              # null: the whole service; else [["GET", "/persons"], ...]
        }
      },
      "subsystems": ["<subsystem id>", ...],   # active subsystems (metaservice targets)
      "control_plane": {"url": "http://127.0.0.1:8000", "token": "..."},  # metaservices go here
      "jwt": {"alg": "ES256", "issuer": "...", "audience": "lgsp", "public_key_pem": "...",
              "certificate_pem": "..."}
    }

Group grants are expanded to their members. Several grants of one client on one service merge:
any whole-service grant wins over endpoint lists, the highest rate and quota win (no quota wins
over any quota). Revoked and expired credentials, revoked grants, unpublished services and
inactive subsystems are left out, so that removing them from the next generation is what
revocation means.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cqs.lgsp import tokens
from cqs.lgsp.choices import CredentialKind, ServiceStatus
from cqs.lgsp.models import AccessGrant, ClientGroup, Credential, Service, Subsystem

SNAPSHOT_VERSION = 1
GRANT_KEY_SEPARATOR = "|"


def gateway_token() -> str:
    """The secret a gateway sends to the control plane (``errors.GATEWAY_TOKEN_HEADER``) so that
    the metaservices can trust the ``X-Road-Client`` it authenticated."""
    return salted_hmac("cqs.lgsp.gateway", "metaservices").hexdigest()


def grant_key(client: str, service: str) -> str:
    return f"{client}{GRANT_KEY_SEPARATOR}{service}"


def _subsystem_ids() -> dict[int, str]:
    rows = Subsystem.objects.filter(active=True).values_list(
        "pk", "member__instance", "member__member_class", "member__code", "code"
    )
    return {pk: f"{inst}/{cls}/{member}/{code}" for pk, inst, cls, member, code in rows}


def _services(subsystems: dict[int, str]) -> tuple[dict[str, dict], dict[int, str]]:
    services: dict[str, dict] = {}
    ids: dict[int, str] = {}
    rows = Service.objects.filter(status=ServiceStatus.PUBLISHED, subsystem__active=True).values_list(
        "pk", "subsystem_id", "code", "upstream_url", "timeout_ms", "kind"
    )
    for pk, subsystem_id, code, upstream, timeout_ms, kind in rows:
        service_id = f"{subsystems[subsystem_id]}/{code}"
        ids[pk] = service_id
        services[service_id] = {"upstream": upstream.rstrip("/"), "timeout_ms": timeout_ms, "kind": kind}
    return dict(sorted(services.items())), ids


def _credentials(subsystems: dict[int, str], now) -> tuple[dict[str, dict], dict[str, str]]:
    api_keys: dict[str, dict] = {}
    oauth: dict[str, str] = {}
    rows = (
        Credential.objects.filter(revoked_at__isnull=True, subsystem__active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("pk", "kind", "secret_sha256", "subsystem_id")
        .order_by("pk")
    )
    for pk, kind, secret_sha256, subsystem_id in rows:
        client = subsystems[subsystem_id]
        if kind == CredentialKind.API_KEY:
            api_keys[secret_sha256] = {"credential": pk, "client": client}
        else:
            oauth[str(pk)] = client
    return dict(sorted(api_keys.items())), oauth


def _grants(subsystems: dict[int, str], services: dict[int, str]) -> dict[str, dict]:
    # Plain rows, not model instances: with thousands of grants, building instances was most of the
    # compile time (issue 6: 1,000 services and 5,000 grants published in under 2 s).
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, subsystem_id in ClientGroup.subsystems.through.objects.values_list(
        "clientgroup_id", "subsystem_id"
    ):
        members[group_id].append(subsystem_id)
    rows = AccessGrant.objects.filter(
        revoked_at__isnull=True, service__status=ServiceStatus.PUBLISHED, service__subsystem__active=True
    ).values_list(
        "client_id",
        "group_id",
        "service_id",
        "rate_per_minute",
        "daily_quota",
        "service__default_rate_per_minute",
        "endpoint_id",
        "endpoint__method",
        "endpoint__path",
    )
    merged: dict[str, dict] = {}
    for client_id, group_id, service_pk, rate, quota, default_rate, endpoint_id, method, path in rows:
        service = services.get(service_pk)
        if service is None:
            continue
        client_ids = [client_id] if client_id is not None else members.get(group_id, [])
        rate = rate or default_rate
        endpoint = [method, path] if endpoint_id else None
        for client in (subsystems.get(pk) for pk in client_ids):
            if client is None:  # an inactive subsystem
                continue
            key = grant_key(client, service)
            entry = merged.get(key)
            if entry is None:
                merged[key] = {
                    "rate_per_minute": rate,
                    "daily_quota": quota,
                    "endpoints": None if endpoint is None else [endpoint],
                }
                continue
            entry["rate_per_minute"] = max(entry["rate_per_minute"], rate)
            if entry["daily_quota"] is not None:
                entry["daily_quota"] = None if quota is None else max(entry["daily_quota"], quota)
            if endpoint is None:
                entry["endpoints"] = None
            elif entry["endpoints"] is not None and endpoint not in entry["endpoints"]:
                entry["endpoints"].append(endpoint)
    for entry in merged.values():
        if entry["endpoints"] is not None:
            entry["endpoints"].sort()
    return dict(sorted(merged.items()))


def build_snapshot(*, now=None) -> dict:
    """The registry as both engines see it (module docstring). Deterministic for the same data."""
    now = now or timezone.now()
    subsystems = _subsystem_ids()
    services, service_ids = _services(subsystems)
    api_keys, oauth = _credentials(subsystems, now)
    return {
        "version": SNAPSHOT_VERSION,
        "instance": settings.CQS_LGSP_INSTANCE,
        "services": services,
        "api_keys": api_keys,
        "oauth_clients": oauth,
        "grants": _grants(subsystems, service_ids),
        "subsystems": sorted(subsystems.values()),
        "control_plane": {"url": settings.CQS_SITE_URL.rstrip("/"), "token": gateway_token()},
        "jwt": tokens.jwt_snapshot(),
    }


def snapshot_bytes(snapshot: dict) -> bytes:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, indent=1).encode()


def snapshot_sha256(snapshot: dict) -> str:
    return hashlib.sha256(snapshot_bytes(snapshot)).hexdigest()


def snapshot_counts(snapshot: dict) -> dict[str, int]:
    return {
        "services": len(snapshot["services"]),
        "grants": len(snapshot["grants"]),
        "credentials": len(snapshot["api_keys"]) + len(snapshot["oauth_clients"]),
    }


def grants_by_client(snapshot: dict) -> dict[str, list[str]]:
    """client id → the service ids it may call (for metaservices and tests)."""
    result: dict[str, list[str]] = defaultdict(list)
    for key in snapshot["grants"]:
        client, service = key.split(GRANT_KEY_SEPARATOR, 1)
        result[client].append(service)
    return dict(result)
