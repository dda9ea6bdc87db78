"""The PayGov checksum rule, as a pure function shared by the adapter and the fake gateway.

Standard library only: the fake (``cqs.fakes.paygov``) runs without Django and imports it too, so
both sides of every test compute the same thing from one definition.

Rule (docs/integrations/paygov.md): HMAC-SHA256, key = the partner's shared secret, message = the
parameters except ``checksum``, sorted by name, written ``name=value`` and joined with ``&``;
values are the raw strings (not URL-encoded), ``None`` is the empty string; the result is
lowercase hex.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def _text(value: object) -> str:
    return "" if value is None else str(value)


def paygov_checksum(params: Mapping[str, object], secret: str) -> str:
    """The checksum of ``params`` (any ``checksum`` key among them is left out)."""
    message = "&".join(f"{key}={_text(params[key])}" for key in sorted(params) if key != "checksum")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def paygov_checksum_valid(params: Mapping[str, object], secret: str, checksum: object) -> bool:
    """Whether ``checksum`` is the checksum of ``params``, compared in constant time."""
    if not isinstance(checksum, str) or not checksum:
        return False
    return hmac.compare_digest(paygov_checksum(params, secret), checksum.strip().lower())
