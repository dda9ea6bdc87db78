"""Factories for plan rows. Most tests load the committed document instead (``conftest``);
these build small plans with exactly the rows a test needs."""

import datetime as dt
from decimal import Decimal

import factory

from cqs.plans.choices import Comparator, FundingSource, NoteKind, SubjectType
from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"{n + 1}/KH-UBND")
    issued_on = dt.date(2021, 12, 31)
    issuer = "UBND tỉnh Thử Nghiệm"
    title = factory.Sequence(lambda n: f"Kế hoạch chuyển đổi số thử nghiệm {n}")
    year = 2022
    source_reference = "dữ liệu kiểm thử"
    stated_total_budget = 0
    stated_total_allocation = 0


class TargetAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetArea

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Lĩnh vực {n + 1}")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    area = factory.SubFactory(TargetAreaFactory)
    plan = factory.SelfAttribute("area.plan")
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"muc-tieu-{n}")
    indicator = "Hồ sơ trực tuyến"
    text = "100% hồ sơ được giải quyết trực tuyến."
    comparator = Comparator.EQ
    value = Decimal(100)
    value_max = None
    unit = "%"

    class Params:
        # "Tăng cường…": a target that states no number.
        qualitative = factory.Trait(comparator="", value=None, unit="", text="Tăng cường ứng dụng.")
        # "Thí điểm từ 4 đến 6 dịch vụ".
        range = factory.Trait(
            comparator=Comparator.RANGE, value=Decimal(4), value_max=Decimal(6), unit="dịch vụ"
        )


class BaselineValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BaselineValue

    plan = factory.SubFactory(PlanFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"so-lieu-{n}")
    section = "V.2"
    label = "Hồ sơ tiếp nhận"
    value = Decimal(1000)
    unit = "hồ sơ"
    scope = "cấp xã"
    quote = "Đã tiếp nhận 1.000 hồ sơ."


class InformationSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InformationSystem

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Phần mềm thử nghiệm {n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Dự án thử nghiệm {n}")
    lead_unit_name = "Sở Thông tin và Truyền thông"
    total_budget = 1000
    allocation = 900
    funding_source = FundingSource.RECURRENT


class DataNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataNote

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"ghi-chu-{n}")
    kind = NoteKind.RATIO_MISMATCH
    subject_type = SubjectType.BASELINE
    subject_code = "so-lieu-0"
    message = "Tỷ lệ tính lại khác tỷ lệ văn bản ghi."
    computed = Decimal("90.84")
    stated = Decimal("90.08")
