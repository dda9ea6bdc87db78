"""Reports and values written straight to the tables, for the roll-up, rates and dashboard tests.

The report's life (open, save, check, submit) is tested in test_flow.py; here only the outcome
matters (a report in some status, late or not, with some numbers), so rows are created directly,
with the dates the services would give them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from cqs.orgs.services import orgunit_reorganise
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import CategoryOptionCombo, DataValue, Indicator, Report
from cqs.reporting.periods import period_parse
from cqs.reporting.selectors import regime_version_for
from cqs.reporting.services.reports import period_ensure, report_dates


def report_put(
    regime,
    unit,
    period: str,
    values: dict[str, object] | None = None,
    *,
    status: str = ReportStatus.SUBMITTED,
    late: bool = False,
) -> Report:
    """``unit``'s report of ``period`` with ``values`` keyed ``CODE`` (default combo) or
    ``CODE.COC``; numbers go to ``number`` too, as value_parse would."""
    spec = period_parse(period)
    version = regime_version_for(regime, spec)
    report = Report.objects.create(
        regime=regime,
        version=version,
        unit=unit,
        period=period_ensure(spec),
        status=status,
        late=late,
        reviewer_unit=version.receiver,
        **report_dates(version, spec),
    )
    rows = []
    for key, raw in (values or {}).items():
        code, _dot, combo = key.partition(".")
        indicator = Indicator.objects.get(code=code)
        option = CategoryOptionCombo.objects.get(code=combo or "default")
        number = None if isinstance(raw, str) else Decimal(str(raw))
        rows.append(
            DataValue(
                report=report,
                indicator=indicator,
                option_combo=option,
                unit=unit,
                period=report.period,
                value=str(raw),
                number=number,
                updated_at=timezone.now(),
            )
        )
    DataValue.objects.bulk_create(rows)
    return report


def reorganise(on: date, **operations):
    return orgunit_reorganise(event_name=f"Sắp xếp ngày {on:%d/%m/%Y}", effective_date=on, **operations)
