"""Creating the metadata: disaggregations, indicators, regimes and their versions.

Used by the demo loader, the tests and the admin; every write is audited.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import Conflict, ServiceError
from cqs.reporting.choices import Aggregation, Importance, MissingValueStrategy, ValueType
from cqs.reporting.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    Indicator,
    Regime,
    RegimeAssignment,
    RegimeIndicator,
    RegimeVersion,
    ValidationRule,
)
from cqs.reporting.rules import ExpressionError, expression_check
from cqs.reporting.uids import DEFAULT_COC_UID, DEFAULT_COMBO_UID

DEFAULT = "default"


def default_combo() -> CategoryCombo:
    """DHIS2's default category combination, with its one option combination."""
    combo, _created = CategoryCombo.objects.get_or_create(
        code=DEFAULT, defaults={"uid": DEFAULT_COMBO_UID, "name": "default"}
    )
    CategoryOptionCombo.objects.get_or_create(
        code=DEFAULT, defaults={"uid": DEFAULT_COC_UID, "name": "default", "combo": combo}
    )
    return combo


@transaction.atomic
def category_combo_ensure(
    *, code: str, name: str, categories: list[tuple[str, str, list[tuple[str, str]]]]
) -> CategoryCombo:
    """A combination of categories ``(code, name, [(option code, option name)…])`` and its option
    combinations, one per element of their product (code ``OPT1_OPT2``)."""
    combo = CategoryCombo.objects.filter(code=code).first()
    if combo is not None:
        return combo
    combo = CategoryCombo.objects.create(code=code, name=name)
    option_lists = []
    for category_code, category_name, options in categories:
        category, _created = Category.objects.get_or_create(
            code=category_code, defaults={"name": category_name}
        )
        rows = []
        for option_code, option_name in options:
            option, _created = CategoryOption.objects.get_or_create(
                code=option_code, defaults={"name": option_name}
            )
            category.options.add(option)
            rows.append(option)
        combo.categories.add(category)
        option_lists.append(rows)
    for order, options in enumerate(itertools.product(*option_lists)):
        coc = CategoryOptionCombo.objects.create(
            code="_".join(o.code for o in options),
            name=", ".join(o.name for o in options),
            combo=combo,
            sort_order=order,
        )
        coc.options.set(options)
    audit_record(action="reporting.combo_create", obj=combo)
    return combo


@transaction.atomic
def indicator_ensure(
    *,
    code: str,
    name: str,
    short_name: str = "",
    value_type: str = ValueType.INTEGER_ZERO_OR_POSITIVE,
    unit_label: str = "",
    aggregation: str = Aggregation.SUM,
    combo: CategoryCombo | None = None,
    description: str = "",
    source: str = "",
    min_value=None,
    max_value=None,
) -> Indicator:
    existing = Indicator.objects.filter(code=code).first()
    if existing is not None:
        return existing
    if source:
        from cqs.reporting.sources import SOURCES

        if source not in SOURCES:
            raise ServiceError(
                "unknown_source", _("Nguồn dữ liệu “%(source)s” không có.") % {"source": source}
            )
    indicator = Indicator(
        code=code,
        name=name,
        short_name=(short_name or name)[:100],
        value_type=value_type,
        unit_label=unit_label,
        aggregation=aggregation,
        category_combo=combo or default_combo(),
        description=description,
        source=source,
        min_value=min_value,
        max_value=max_value,
    )
    indicator.full_clean()
    indicator.save()
    audit_record(action="reporting.indicator_create", obj=indicator)
    return indicator


@dataclass
class RuleSpec:
    name: str
    left: str
    operator: str
    right: str
    instruction: str = ""
    missing_value_strategy: str = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
    importance: str = Importance.ERROR


@dataclass
class AssignmentSpec:
    kind: str = ""  # OrgUnitKind code
    depth: int | None = None
    unit: object = None
    within: object = None


@dataclass
class RegimeSpec:
    code: str
    name: str
    legal_basis: str
    content: str
    receiver: object
    period_type: str
    valid_from: date
    rows: list[tuple[str, str, bool]] = field(default_factory=list)  # (indicator code, section, compulsory)
    assignments: list[AssignmentSpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    deadline_working_days: int = 2
    cutoff_day: int | None = 14
    expiry_days: int = 10
    outline_template: str = ""
    process_guide: str = ""
    channel: str = "software"
    kind: str = "periodic"
    signature_required: bool = True
    push_to_ris: bool = False


@transaction.atomic
def regime_version_create(*, actor=None, spec: RegimeSpec) -> RegimeVersion:
    """A new version of the regime ``spec.code`` (created if new) from ``spec.valid_from``; the
    version in force until then is closed on that day."""
    from cqs.orgs.models import OrgUnitKind

    regime, _created = Regime.objects.get_or_create(code=spec.code, defaults={"name": spec.name})
    previous = RegimeVersion.objects.filter(regime=regime, valid_to__isnull=True).first()
    if previous is not None:
        if previous.valid_from >= spec.valid_from:
            raise Conflict(
                "version_overlap",
                _("Phiên bản mới phải có hiệu lực sau ngày %(date)s.")
                % {"date": f"{previous.valid_from:%d/%m/%Y}"},
            )
        previous.valid_to = spec.valid_from
        previous.save(update_fields=["valid_to"])
    number = (
        RegimeVersion.objects.filter(regime=regime)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1
    version = RegimeVersion.objects.create(
        regime=regime,
        version=number,
        name=spec.name,
        kind=spec.kind,
        legal_basis=spec.legal_basis,
        content=spec.content,
        receiver=spec.receiver,
        channel=spec.channel,
        deadline_working_days=spec.deadline_working_days,
        period_type=spec.period_type,
        cutoff_day=spec.cutoff_day,
        outline_template=spec.outline_template,
        process_guide=spec.process_guide,
        expiry_days=spec.expiry_days,
        signature_required=spec.signature_required,
        push_to_ris=spec.push_to_ris,
        valid_from=spec.valid_from,
    )
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=[r[0] for r in spec.rows])}
    missing = [code for code, _section, _compulsory in spec.rows if code not in indicators]
    if missing:
        raise ServiceError(
            "unknown_indicator", _("Chưa có chỉ tiêu: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    RegimeIndicator.objects.bulk_create(
        RegimeIndicator(
            version=version,
            indicator=indicators[code],
            section=section,
            compulsory=compulsory,
            sort_order=order,
        )
        for order, (code, section, compulsory) in enumerate(spec.rows)
    )
    for assignment in spec.assignments:
        RegimeAssignment.objects.create(
            version=version,
            kind=OrgUnitKind.objects.get(code=assignment.kind) if assignment.kind else None,
            depth=assignment.depth,
            unit=assignment.unit,
            within=assignment.within,
        )
    known = set(indicators)
    for rule in spec.rules:
        try:
            expression_check(rule.left, known)
            expression_check(rule.right, known)
        except ExpressionError as exc:
            raise ServiceError(
                "invalid_expression", _("Quy tắc “%(name)s”: %(error)s") % {"name": rule.name, "error": exc}
            ) from None
        ValidationRule.objects.create(
            version=version,
            name=rule.name,
            instruction=rule.instruction,
            left=rule.left,
            operator=rule.operator,
            right=rule.right,
            missing_value_strategy=rule.missing_value_strategy,
            importance=rule.importance,
        )
    if regime.name != spec.name:
        regime.name = spec.name
        regime.save(update_fields=["name"])
    audit_record(
        action="reporting.regime_version_create",
        obj=version,
        actor=actor,
        after={"code": spec.code, "version": number},
    )
    return version
