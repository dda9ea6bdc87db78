"""The approved report as a PDF (the text part and the data table), signed with the reviewing
unit's seal by the core signing service."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from cqs.core.printing import html_to_pdf
from cqs.core.signing import pdf_sign
from cqs.reporting.models import CategoryOptionCombo, DataValue, Report
from cqs.reporting.periods import period_parse
from cqs.reporting.selectors import regime_rows


def report_table(report: Report) -> list[dict]:
    """The form's rows with their values, in order: section, indicator, unit, cells."""
    values = {(v.indicator_id, v.option_combo_id): v for v in DataValue.objects.filter(report=report)}
    combos: dict[int, list[CategoryOptionCombo]] = {}
    rows = []
    for row in regime_rows(report.version):
        indicator = row.indicator
        options = combos.setdefault(
            indicator.category_combo_id,
            list(CategoryOptionCombo.objects.filter(combo_id=indicator.category_combo_id)),
        )
        rows.append(
            {
                "section": row.section,
                "indicator": indicator,
                "cells": [(option, values.get((indicator.pk, option.pk))) for option in options],
            }
        )
    return rows


def report_pdf(report: Report) -> bytes:
    with translation.override("vi"):
        html = render_to_string(
            "reporting/report_pdf.html",
            {
                "report": report,
                "rows": report_table(report),
                "label": period_parse(report.period.iso).label(),
            },
        )
    return html_to_pdf(html, code="reporting-report")


def report_pdf_signed(*, report: Report, actor) -> None:
    """Render, sign with the reviewing unit's seal, and attach to ``report`` (saved by the caller)."""
    signed = pdf_sign(
        pdf=report_pdf(report),
        unit=report.reviewer_unit,
        reason=f"Duyệt báo cáo {report.regime.code} kỳ {report.period.iso} của {report.unit.name}",
    )
    name = f"{report.regime.code}-{report.period.iso}-{report.unit_id}.pdf"
    report.signed_pdf.save(name, ContentFile(signed), save=False)
