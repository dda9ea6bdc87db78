"""Send an SMS through the gateway at ``CQS_SMS_URL`` (contract: docs/integrations/sms.md).

Called from outbox handlers, never inside a transaction: a failure raises
``DeliveryError`` and the outbox tries again later. The phone number is personal data: it goes
to the gateway and nowhere else (not into errors, not into logs).
"""

from __future__ import annotations

import re

import requests
from django.conf import settings

from cqs.core.outbox import DeliveryError

TIMEOUT = (5, 15)  # seconds: connect, read
_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")


def normalise_phone(phone: str) -> str:
    """``+84 912 345 678``, ``84912345678`` and ``0912.345.678`` all become ``0912345678``."""
    digits = _SEPARATORS.sub("", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def sms_send(*, phone: str, text: str) -> str:
    """Send ``text`` to ``phone``; return the gateway's message id ("" when SMS is turned off)."""
    base = settings.CQS_SMS_URL
    if not base:
        return ""
    to = normalise_phone(phone)
    if not _MOBILE.fullmatch(to):
        raise DeliveryError("SMS: the recipient is not a Vietnamese mobile number")
    try:
        response = requests.post(
            f"{base.rstrip('/')}/messages",
            json={"to": to, "text": text},
            headers={"Authorization": f"Bearer {settings.CQS_SMS_TOKEN}"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        # The exception's own text holds the URL only (the number travels in the body).
        raise DeliveryError(f"SMS gateway unreachable ({type(exc).__name__})") from None
    if response.status_code >= 300:
        raise DeliveryError(f"SMS gateway refused the message: HTTP {response.status_code}{_code(response)}")
    try:
        message_id = response.json()["id"]
    except (ValueError, KeyError, TypeError):
        raise DeliveryError("SMS gateway answered without a message id") from None
    return str(message_id)


def _code(response: requests.Response) -> str:
    """The gateway's error code (a fixed word such as ``invalid_number``), never its message."""
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f" ({code[:50]})" if isinstance(code, str) and code else ""
