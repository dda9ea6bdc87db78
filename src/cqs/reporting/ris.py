"""Connector to the Government reporting information system (Hệ thống thông tin báo cáo Chính phủ).

No public specification of its interface exists (docs/integrations/ris.md records the contract
we assume). An approved report whose regime asks for it is queued in the approval's transaction
and pushed by the outbox with retries, never inside the official's request.
"""

from __future__ import annotations

import base64
import logging

import requests
from django.conf import settings

from cqs.core.outbox import DeliveryError, OutboxMessage, outbox_enqueue, register_handler

logger = logging.getLogger(__name__)
TOPIC = "reporting.ris.push"
TIMEOUT = (5, 30)


def ris_enqueue(report) -> None:
    outbox_enqueue(topic=TOPIC, payload={"report_id": report.pk}, dedup_key=f"ris:{report.uid}")


def ris_payload(report) -> dict:
    """The assumed contract: one JSON document per approved report (docs/integrations/ris.md)."""
    from cqs.reporting.models import DataValue

    values = DataValue.objects.filter(report=report).select_related("indicator", "option_combo")
    payload = {
        "reportId": report.uid,
        "regimeCode": report.regime.code,
        "regimeVersion": report.version.version,
        "period": report.period.iso,
        "orgUnit": report.unit.identifier or str(report.unit_id),
        "orgUnitName": report.unit.name,
        "receiver": report.version.receiver.identifier,
        "submittedAt": report.submitted_at.isoformat() if report.submitted_at else None,
        "approvedAt": report.decided_at.isoformat() if report.decided_at else None,
        "late": report.late,
        "outline": report.outline_text,
        "dataValues": [
            {"dataElement": v.indicator.code, "categoryOptionCombo": v.option_combo.code, "value": v.value}
            for v in values
        ],
    }
    if report.signed_pdf:
        with report.signed_pdf.open("rb") as handle:
            payload["signedPdf"] = base64.b64encode(handle.read()).decode("ascii")
    return payload


@register_handler(TOPIC)
def ris_push_handler(message: OutboxMessage) -> None:
    from cqs.reporting.choices import ReportAction
    from cqs.reporting.models import Report, ReportEvent

    base = getattr(settings, "CQS_RIS_URL", "")
    if not base:
        raise DeliveryError("Government reporting system connector is off (CQS_RIS_URL is empty)")
    from cqs.lgsp.outbound import route

    # Directly, or through the LGSP gateway when CQS_LGSP_ROUTE names "ris".
    base, extra = route("ris", base)
    report = (
        Report.objects.select_related("regime", "version__receiver", "unit", "period")
        .filter(pk=message.payload["report_id"])
        .first()
    )
    if report is None:
        return
    try:
        response = requests.post(
            f"{base.rstrip('/')}/api/v1/reports",
            json=ris_payload(report),
            headers={
                "Authorization": f"Bearer {settings.CQS_RIS_TOKEN}",
                "Idempotency-Key": report.uid,
                **extra,
            },
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"reporting system unreachable: {type(exc).__name__}") from None
    if response.status_code not in (200, 201):
        raise DeliveryError(f"reporting system answered {response.status_code}")
    try:
        receipt = str((response.json() or {}).get("receiptId", ""))
    except ValueError:
        raise DeliveryError("reporting system answered without JSON") from None
    note = f"Mã tiếp nhận: {receipt}"
    # A retried push is answered with the same receipt (the Idempotency-Key): record it once.
    if not ReportEvent.objects.filter(report=report, action=ReportAction.PUSHED, note=note).exists():
        ReportEvent.objects.create(report=report, action=ReportAction.PUSHED, note=note)
