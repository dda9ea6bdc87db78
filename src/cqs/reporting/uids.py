"""DHIS2 identifiers: 11 characters, a letter first, then letters and digits."""

import re
import secrets
import string

_LETTERS = string.ascii_letters
_ALPHANUMERIC = string.ascii_letters + string.digits
UID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
# DHIS2's well-known identifiers of the default category combination and option combination.
DEFAULT_COMBO_UID = "bjDvmb4bfuf"
DEFAULT_COC_UID = "HllvX50cXC0"


def uid_generate() -> str:
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(10))


def is_uid(text: str) -> bool:
    return bool(UID_PATTERN.match(text or ""))
