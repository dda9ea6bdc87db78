"""Personal data in free text: what the public side must not show.

Reports and answers are written by people and often quote a phone number, a CCCD number or an
e-mail address. The public map, the public status page and Open311 show a masked copy; staff see
the original. The official who publishes an answer reviews the masked text (docs/feedback.md).
"""

from __future__ import annotations

import re

# 12-digit CCCD, 9-digit old CMND, phone numbers (0xx… or +84…), e-mail addresses.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\(\+?84\)|\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
# One pass instead of three (the public lists mask thousands of texts per page): at each position
# an e-mail is tried first, then a phone number, then an ID number.
_PERSONAL = re.compile("|".join(f"(?:{p.pattern})" for p in (_EMAIL, _PHONE, _ID_NUMBER)))
MASK = "***"


def mask_personal(text: str) -> str:
    return _PERSONAL.sub(MASK, text or "")
