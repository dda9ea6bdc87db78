"""Factories for the catalogue. Versions are made through ``procedure_version_publish`` so that
numbering, closing and audit happen as in real use."""

import copy
from datetime import date
from decimal import Decimal

import factory

from cqs.onestop.models import Sector
from cqs.onestop.services import procedure_version_publish


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LV-{n:03d}")
    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")


BASE_DATA = {
    "name": "Đăng ký khai sinh",
    "sector_code": "HT",
    "sector_name": "Hộ tịch",
    "levels": ["xa"],
    "online_level": "toan-trinh",
    "legacy_level": 4,
    "channels": [1, 2],
    "processing_time": Decimal("3"),
    "processing_time_unit": "working_days",
    "steps": "Nộp hồ sơ.\nNhận kết quả.",
    "requirements": "",
    "legal_basis": "Luật Hộ tịch số 60/2014/QH13",
    "result": "Giấy khai sinh",
    "target_audience": "Công dân Việt Nam",
    "implementing_agency": "Ủy ban nhân dân cấp xã",
    "publishing_decision": "",
    "note": "",
    "fees": [{"kind": "le-phi", "code": "", "amount": 8000, "description": "Lệ phí"}],
    "documents": [
        {
            "code": "TK01",
            "name": "Tờ khai",
            "form_name": "Mẫu tờ khai",
            "form_url": "https://example.org/to-khai.docx",
            "original_count": 1,
            "copy_count": 0,
            "required": True,
        }
    ],
}


def version_data(**overrides) -> dict:
    return copy.deepcopy(BASE_DATA) | overrides


def publish(
    code: str = "1.000001", *, valid_from: date = date(2025, 7, 1), units=None, actor=None, **overrides
):
    return procedure_version_publish(
        procedure_code=code, data=version_data(**overrides), valid_from=valid_from, units=units, actor=actor
    )
