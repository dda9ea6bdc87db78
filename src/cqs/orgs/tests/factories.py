"""Factories for the org tree. Units are made through ``orgunit_create`` so that ``path`` and
``depth`` are computed as in real use."""

from datetime import date

import factory

from cqs.orgs.models import OrgUnit, OrgUnitKind
from cqs.orgs.services import orgunit_create


class OrgUnitKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnitKind
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"kind-{n}")
    name = factory.Sequence(lambda n: f"Loại {n}")
    rank = 50

    class Params:
        province = factory.Trait(code="ubnd-tinh", name="Ủy ban nhân dân tỉnh", rank=10)
        department = factory.Trait(code="so", name="Sở, ban, ngành thuộc UBND tỉnh", rank=20)
        district = factory.Trait(code="huyen", name="Đơn vị hành chính cấp huyện", rank=40)
        commune = factory.Trait(code="xa", name="Đơn vị hành chính cấp xã", rank=50)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    kind = factory.SubFactory(OrgUnitKindFactory, commune=True)
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    short_name = ""
    identifier = factory.Sequence(lambda n: f"000.{n // 100 % 100:02d}.{n % 100:02d}.H99")
    identifier_source = "demo"
    division_code = ""
    parent = None
    valid_from = date(2000, 1, 1)
    valid_to = None
    source = "factory"

    class Params:
        province = factory.Trait(
            kind=factory.SubFactory(OrgUnitKindFactory, province=True),
            name=factory.Sequence(lambda n: f"UBND tỉnh {n}"),
        )
        district = factory.Trait(
            kind=factory.SubFactory(OrgUnitKindFactory, district=True),
            name=factory.Sequence(lambda n: f"Huyện {n}"),
        )

    @classmethod
    def _create(cls, model_class, **kwargs):
        return orgunit_create(**kwargs)
