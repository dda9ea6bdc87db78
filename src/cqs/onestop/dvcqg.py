"""Talk to the national public-service portal (Cổng DVCQG): push dossiers and progress, fetch procedures.

Contract: docs/integrations/dvcqg.md (service and field names from OpenCPS, envelope and error
codes our assumption). Called from outbox handlers, outside transactions: every failure the
outbox should retry raises ``DeliveryError`` with a message fit for operators — the portal's
answer code and message, never the payload (dossiers carry citizens' names and numbers).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from django.conf import settings

from cqs.core.logging import mask_personal_data
from cqs.core.outbox import DeliveryError

TIMEOUT = (5, 15)  # seconds: connect, read
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MESSAGE_MAX = 200


def dvcqg_datetime(dt: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time, the portal's date format ("" for None).

    A naive datetime is refused: guessing its zone would shift a deadline by seven hours.
    """
    if dt is None:
        return ""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("dvcqg_datetime needs an aware datetime")
    return dt.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def _call(method: str, service: str, *, params: dict | None = None, payload: dict | None = None) -> dict:
    from cqs.lgsp.outbound import route

    base = settings.CQS_DVCQG_URL
    if not base:
        raise DeliveryError("DVCQG: CQS_DVCQG_URL is not set")
    # Directly, or through the LGSP gateway when CQS_LGSP_ROUTE names "dvcqg" (RouteUnavailable
    # is a DeliveryError: a routing problem is retried, never sent around the gateway).
    base, extra = route("dvcqg", base)
    try:
        response = requests.request(
            method,
            f"{base.rstrip('/')}/{service}",
            params=params,
            json=payload,
            headers={
                "Authorization": f"Bearer {settings.CQS_DVCQG_TOKEN}",
                "Accept": "application/json",
                **extra,
            },
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"DVCQG {service}: portal unreachable ({type(exc).__name__})") from None
    if response.status_code == 401:
        raise DeliveryError(f"DVCQG {service}: token refused (HTTP 401); check CQS_DVCQG_TOKEN")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 500 or not isinstance(answer, dict):
        raise DeliveryError(f"DVCQG {service}: HTTP {response.status_code}, no usable answer")
    error_code = answer.get("error_code")
    if error_code not in (0, "0") or response.status_code >= 400:
        message = mask_personal_data(str(answer.get("message") or ""))[:MESSAGE_MAX]
        raise DeliveryError(
            f"DVCQG {service}: refused (HTTP {response.status_code}, error_code {error_code}): {message}"
        )
    return answer


def dvcqg_push_dossiers(*, dossiers: list[dict]) -> None:
    """``DongBoHoSoMC``: create or replace these dossiers at the portal (a repeat is harmless)."""
    if dossiers:
        _call("POST", "DongBoHoSoMC", payload={"data": dossiers})


def dvcqg_push_progress(*, updates: list[dict]) -> None:
    """``CapNhatTienDoHoSoMC``: append progress entries to dossiers already pushed."""
    if updates:
        _call("POST", "CapNhatTienDoHoSoMC", payload={"data": updates})


def dvcqg_fetch_procedure(*, code: str) -> dict:
    """``LayThuTuc``: the portal's record of procedure ``code`` (read it with ``laythutuc``)."""
    answer = _call("GET", "LayThuTuc", params={"MaTTHC": code})
    data = answer.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    if isinstance(data, dict):
        return data
    raise DeliveryError("DVCQG LayThuTuc: the answer holds no procedure record")
