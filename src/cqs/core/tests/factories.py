import datetime as dt

import factory

from cqs.core.models import CalendarOverride, OutboxMessage


class CalendarOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarOverride
        django_get_or_create = ("date",)

    date = factory.Sequence(lambda i: dt.date(2030, 1, 5) + dt.timedelta(weeks=i))
    is_working_day = True
    reason = "Làm bù"
    legal_basis = "Quyết định số 01/QĐ-UBND (dữ liệu kiểm thử)"

    class Params:
        # A compensatory working Saturday.
        working_saturday = factory.Trait(is_working_day=True, reason="Làm bù ngày thứ Bảy")
        # An extra day off decided by the province.
        extra_day_off = factory.Trait(is_working_day=False, reason="Nghỉ thêm")


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    topic = "test.topic"
    payload = factory.Sequence(lambda i: {"n": i})
    dedup_key = factory.Sequence(lambda i: f"test:{i}")
