"""Keep personal data out of logs: CCCD numbers (12 digits) and phone numbers are masked."""

import logging
import re

_CCCD = re.compile(r"(?<!\d)\d{12}(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)")


def mask_personal_data(text: str) -> str:
    text = _CCCD.sub(lambda m: m.group(0)[:3] + "*" * 6 + m.group(0)[-3:], text)
    return _PHONE.sub("[phone]", text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
