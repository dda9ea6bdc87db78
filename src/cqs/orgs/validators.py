"""Electronic identifier codes of agencies (mã định danh điện tử), Decision 20/2020/QĐ-TTg.

13 characters ``L4.L3.L2.L1``: three digits, two digits, two digits, then the level-1 group
letter (A–K) and two digits; e.g. ``000.00.00.H62`` is the People's Committee of Vĩnh Phúc.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# [0-9] and \Z, not \d and $: \d also matches other scripts' digits, $ a trailing newline.
IDENTIFIER_RE = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-K][0-9]{2}\Z")


def validate_identifier(value: str) -> None:
    if not IDENTIFIER_RE.match(value or ""):
        raise ValidationError(
            _(
                "Mã định danh điện tử “%(value)s” không đúng định dạng của Quyết định 20/2020/QĐ-TTg "
                "(13 ký tự, ví dụ 000.00.00.H62)."
            ),
            code="invalid_identifier",
            params={"value": value},
        )
