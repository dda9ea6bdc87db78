"""Filling a report from the platform: the rows bound to a source (``cqs.reporting.sources``) get
the figure the platform computes over the report's data window and the unit's subtree."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from cqs.core.exceptions import Forbidden
from cqs.reporting.choices import ValueSource
from cqs.reporting.models import Report
from cqs.reporting.selectors import regime_rows
from cqs.reporting.services.metadata import DEFAULT
from cqs.reporting.services.reports import cell_key, may, report_values_save
from cqs.reporting.sources import SOURCES, source_note, source_value


@transaction.atomic
def report_fill_from_platform(*, actor, report: Report, now=None) -> int:
    """Compute every available platform source of the report's form and save it as a draft value
    (source "platform", with a note naming what was counted); return the number of cells filled.

    Only rows of the default disaggregation are filled: a source yields one number, not its
    split. Values already entered in those cells are replaced, the others are left alone.
    Permission and editability are those of ``report_values_save`` (which raises for a report
    not in draft or returned, or locked)."""
    # Checked before counting, so that someone without the right does not make the platform count.
    if not may(actor, "submit_report", report.unit):
        raise Forbidden("report_forbidden", _("Bạn không có quyền nhập báo cáo của đơn vị này."))
    values: dict[str, str] = {}
    notes: dict[str, str] = {}
    start, end = report.window_start, report.window_end
    for row in regime_rows(report.version):
        indicator = row.indicator
        source = SOURCES.get(indicator.source) if indicator.source else None
        if source is None or not source.available or indicator.category_combo.code != DEFAULT:
            continue
        value = source_value(source.key, unit=report.unit, start=start, end=end)
        key = cell_key(indicator.code, DEFAULT)
        values[key] = str(value)
        notes[key] = source_note(source.key, value=value, start=start, end=end)
    report_values_save(
        actor=actor, report=report, values=values, source=ValueSource.PLATFORM, notes=notes, now=now
    )
    return len(values)
