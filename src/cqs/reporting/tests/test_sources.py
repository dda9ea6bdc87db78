"""Platform sources: each counts the records of the unit's subtree inside the data window."""

from datetime import date
from decimal import Decimal

import pytest

from cqs.documents.choices import Channel as DocChannel
from cqs.documents.choices import OutgoingState
from cqs.onestop.choices import Channel
from cqs.reporting.sources import SOURCES, source_note, source_value
from cqs.reporting.tests.platform_records import dossier, incoming, outgoing, procedure_version, vn

# The March 2026 report's window (cut-off on the 14th).
START, END = date(2026, 2, 15), date(2026, 3, 14)


def value(key, unit):
    return source_value(key, unit=unit, start=START, end=END)


@pytest.fixture
def dossiers(land):
    """At the commune: two received in the window (one online), one the day before it and one the
    day after; one resolved on time, one resolved late, one open past its due date. At the other
    district's commune: one received in the window."""
    version = procedure_version([land.commune])
    by = land.commune_officer
    dossier(
        version,
        unit=land.commune,
        by=by,
        received=vn(2026, 2, 15, 8),
        completed=vn(2026, 2, 20, 9),
        due=vn(2026, 2, 25, 17),
    )
    dossier(version, unit=land.commune, by=by, received=vn(2026, 3, 14, 16), channel=Channel.ONLINE)
    dossier(
        version,
        unit=land.commune,
        by=by,
        received=vn(2026, 2, 14, 16),
        completed=vn(2026, 3, 10, 9),
        due=vn(2026, 3, 1, 17),
    )
    dossier(version, unit=land.commune, by=by, received=vn(2026, 3, 15, 8))
    dossier(version, unit=land.commune, by=by, received=vn(2026, 1, 5, 8), due=vn(2026, 2, 1, 17))
    dossier(version, unit=land.commune3, by=land.commune3_officer, received=vn(2026, 3, 1, 8))
    return version


def test_given_dossiers_when_counted_for_the_commune_then_only_its_window_counts(land, dossiers):
    assert value("onestop.received", land.commune) == Decimal(2)
    assert value("onestop.received_online", land.commune) == Decimal(1)
    assert value("onestop.resolved", land.commune) == Decimal(2)
    assert value("onestop.resolved_on_time", land.commune) == Decimal(1)
    assert value("onestop.resolved_late", land.commune) == Decimal(1)
    assert value("onestop.overdue", land.commune) == Decimal(1)


def test_given_dossiers_in_two_districts_when_counted_higher_up_then_subtrees_add_up(land, dossiers):
    assert value("onestop.received", land.district) == Decimal(2)
    assert value("onestop.received", land.district2) == Decimal(1)
    assert value("onestop.received", land.province) == Decimal(3)
    assert value("onestop.received", land.department) == Decimal(0)


def test_given_a_fully_online_procedure_of_the_commune_then_it_counts_for_the_commune_only(land, dossiers):
    assert value("onestop.procedures_full_online", land.commune) == Decimal(1)
    assert value("onestop.procedures_full_online", land.district) == Decimal(1)
    assert value("onestop.procedures_full_online", land.commune3) == Decimal(0)


def test_given_outgoing_documents_then_issued_in_the_window_and_signed_ones_are_counted(land):
    outgoing(land.department, issued=date(2026, 2, 15))
    outgoing(land.department, issued=date(2026, 3, 14), signed=False)
    outgoing(land.department, issued=date(2026, 3, 1), state=OutgoingState.RECALLED)
    outgoing(land.department, issued=date(2026, 3, 15))
    outgoing(land.commune, issued=date(2026, 3, 2))

    assert value("documents.outgoing_issued", land.department) == Decimal(3)
    assert value("documents.outgoing_signed", land.department) == Decimal(2)
    assert value("documents.outgoing_issued", land.province) == Decimal(4)


def test_given_incoming_documents_then_registered_ones_and_those_via_the_axis_are_counted(land):
    incoming(land.district, arrived=vn(2026, 2, 15, 0, 0))
    incoming(land.district, arrived=vn(2026, 3, 14, 23, 59), channel=DocChannel.AXIS)
    incoming(land.district, arrived=vn(2026, 3, 15, 0, 0), channel=DocChannel.AXIS)
    incoming(land.district, arrived=vn(2026, 3, 1, 9), registered=False)

    assert value("documents.incoming_registered", land.district) == Decimal(2)
    assert value("documents.incoming_axis", land.district) == Decimal(1)


@pytest.fixture
def feedback(land):
    """At the commune: two reports received in the window, one answered on time in it, the other
    open; one received the day before the window and answered in it (late). At the other
    district's commune: one received in the window."""
    from cqs.feedback.choices import Status
    from cqs.feedback.models import Report
    from cqs.feedback.services import category_save, report_submit

    category = category_save(code="giao-thong", name="Giao thông", unit=land.commune)
    other = category_save(code="moi-truong", name="Môi trường", unit=land.commune3)

    def report(category, received, answered=None):
        row, _created = report_submit(
            category=category, description="Đường hỏng, đề nghị sửa.", address="Thôn Một", now=received
        )
        if answered is not None:
            Report.objects.filter(pk=row.pk).update(status=Status.ANSWERED, answered_at=answered)
        return row

    report(category, vn(2026, 2, 16, 9), answered=vn(2026, 2, 17, 9))
    report(category, vn(2026, 3, 14, 16))
    report(category, vn(2026, 1, 5, 8), answered=vn(2026, 3, 1, 9))
    report(other, vn(2026, 3, 1, 8))


def test_given_feedback_when_counted_then_the_windows_reports_and_answers_count(land, feedback):
    assert SOURCES["feedback.received"].available
    assert value("feedback.received", land.commune) == Decimal(2)
    assert value("feedback.resolved", land.commune) == Decimal(2)
    assert value("feedback.resolved_on_time", land.commune) == Decimal(1)
    assert value("feedback.received", land.district) == Decimal(2)
    assert value("feedback.received", land.province) == Decimal(3)
    assert value("feedback.received", land.department) == Decimal(0)
    note = source_note("feedback.received", value=Decimal(2), start=START, end=END)
    assert note == "Phản ánh, kiến nghị: 2 phản ánh, kiến nghị tiếp nhận 15/02–14/03/2026"


def test_the_note_names_the_module_the_count_and_the_window(land):
    note = source_note("onestop.received", value=Decimal(1234), start=START, end=END)

    assert note == "Một cửa: 1.234 hồ sơ tiếp nhận 15/02–14/03/2026"


def test_a_stock_is_noted_on_the_last_day_of_the_window(land):
    note = source_note("onestop.overdue", value=Decimal(3), start=START, end=END)

    assert note == "Một cửa: 3 hồ sơ đang giải quyết đã quá hạn ngày 14/03/2026"


def test_every_source_is_keyed_by_module_and_labelled():
    for key, source in SOURCES.items():
        assert key == source.key and "." in key
        assert str(source.label) and str(source.module)
