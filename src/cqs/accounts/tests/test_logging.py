"""Personal numbers never reach the logs in clear."""

import logging

from cqs.core.logging import MaskPersonalDataFilter


def _format(message: str, *args) -> str:
    record = logging.LogRecord("cqs.test", logging.INFO, __file__, 1, message, args, None)
    assert MaskPersonalDataFilter().filter(record) is True
    return record.getMessage()


def test_a_cccd_in_a_log_message_is_masked():
    text = _format("Tạo tài khoản công dân CCCD %s", "026090001234")
    assert "026090001234" not in text
    assert "026******234" in text


def test_a_phone_number_in_a_log_message_is_masked():
    text = _format("Gửi SMS tới 0912345678 và +84912345678")
    assert "0912345678" not in text and "912345678" not in text


def test_the_filter_is_installed_on_the_handlers_of_the_settings():
    from django.conf import settings

    assert "mask_personal_data" in settings.LOGGING["handlers"]["console"]["filters"]


def test_a_message_without_personal_numbers_is_left_alone():
    assert _format("Đơn vị %s có %d cán bộ", "000.00.01.H62", 12) == "Đơn vị 000.00.01.H62 có 12 cán bộ"


def test_an_audit_mask_is_not_a_cccd_any_more():
    from cqs.accounts.masking import mask_cccd, mask_phone

    assert mask_cccd("026090001234") == "0260******34"
    assert mask_phone("0912345678") == "0912****78"
    assert mask_cccd("") == ""
