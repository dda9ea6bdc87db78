"""Validation rules (left side, operator, right side, missing-value strategy) and outliers.

Expressions use DHIS2's syntax by code: ``#{DV_NHAN}`` is the total of an indicator over its
option combinations, ``#{DV_NHAN.TRUC_TUYEN}`` one cell. They are evaluated by ``simpleeval``
with arithmetic only: no names, calls or attributes besides the cells.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from simpleeval import InvalidExpression, SimpleEval

from cqs.reporting.choices import Importance, MissingValueStrategy, Operator

_REFERENCE = re.compile(r"#\{([A-Za-z_][A-Za-z0-9_.\-]*?)(?:\.([A-Za-z_][A-Za-z0-9_\-]*))?\}")
Z_SCORE_THRESHOLD = 3.0
OUTLIER_MIN_HISTORY = 4


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Finding:
    """A rule violation or an outlier, shown next to the form before submission."""

    code: str
    importance: str
    message: str
    indicator_code: str = ""
    option_code: str = ""

    @property
    def blocking(self) -> bool:
        return self.importance == Importance.ERROR


def references(expression: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in _REFERENCE.finditer(expression or "")]


def _evaluator() -> SimpleEval:
    evaluator = SimpleEval(functions={}, names={})
    return evaluator


def evaluate(
    expression: str, cells: dict[tuple[str, str | None], Decimal | None]
) -> tuple[Decimal | None, int, int]:
    """(value, references present, references total); the value is None when one is missing."""
    found = references(expression)
    names: dict[str, float] = {}
    present = 0
    text = expression
    for index, (indicator, option) in enumerate(found):
        value = cells.get((indicator, option))
        name = f"v{index}"
        names[name] = float(value) if value is not None else 0.0
        present += value is not None
        text = text.replace(f"#{{{indicator}{'.' + option if option else ''}}}", name, 1)
    evaluator = _evaluator()
    evaluator.names = names
    try:
        result = evaluator.eval(text) if text.strip() else 0
    except (InvalidExpression, SyntaxError, ZeroDivisionError, TypeError) as exc:
        raise ExpressionError(str(exc)) from None
    if not isinstance(result, int | float):
        raise ExpressionError(_("Biểu thức không cho ra một số."))
    return Decimal(str(result)), present, len(found)


def expression_check(expression: str, known: set[str]) -> None:
    """Raise ``ExpressionError`` if the expression does not parse or names an unknown indicator."""
    unknown = sorted({code for code, _option in references(expression)} - known)
    if unknown:
        raise ExpressionError(
            _("Chỉ tiêu không có trong biểu mẫu: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    evaluate(expression, {})


def _holds(operator: str, left: Decimal, right: Decimal, left_present: bool, right_present: bool) -> bool:
    match operator:
        case Operator.EQUAL_TO:
            return left == right
        case Operator.NOT_EQUAL_TO:
            return left != right
        case Operator.GREATER_THAN:
            return left > right
        case Operator.GREATER_THAN_OR_EQUAL_TO:
            return left >= right
        case Operator.LESS_THAN:
            return left < right
        case Operator.LESS_THAN_OR_EQUAL_TO:
            return left <= right
        case Operator.COMPULSORY_PAIR:
            return left_present == right_present
        case Operator.EXCLUSIVE_PAIR:
            return not (left_present and right_present)
    raise ExpressionError(operator)


def rule_check(rule, cells: dict[tuple[str, str | None], Decimal | None]) -> Finding | None:
    """The finding for ``rule`` on these cells, or None when it holds or is skipped."""
    left, left_present, left_total = evaluate(rule.left, cells)
    right, right_present, right_total = evaluate(rule.right, cells)
    present, total = left_present + right_present, left_total + right_total
    strategy = rule.missing_value_strategy
    if rule.operator not in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
        if strategy == MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING and present < total:
            return None
        if strategy == MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING and total and present == 0:
            return None
    if _holds(rule.operator, left, right, left_present > 0, right_present > 0):
        return None
    message = _("%(rule)s: %(left)s %(op)s %(right)s không thỏa. %(instruction)s") % {
        "rule": rule.name,
        "left": _plain(left),
        "op": rule.get_operator_display(),
        "right": _plain(right),
        "instruction": rule.instruction,
    }
    first = references(rule.left) or references(rule.right)
    code, option = first[0] if first else ("", None)
    return Finding("validation_rule", rule.importance, message.strip(), code, option or "")


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f") if number else "0"


def outlier_check(
    *, value: Decimal, history: list[Decimal], minimum: Decimal | None, maximum: Decimal | None
) -> str | None:
    """Why ``value`` looks wrong (outside min–max, or a z-score above 3 against this unit's own
    earlier values), or None."""
    if minimum is not None and value < minimum:
        return _("nhỏ hơn mức tối thiểu hợp lý %(min)s") % {"min": _plain(minimum)}
    if maximum is not None and value > maximum:
        return _("lớn hơn mức tối đa hợp lý %(max)s") % {"max": _plain(maximum)}
    if len(history) < OUTLIER_MIN_HISTORY:
        return None
    points = [float(x) for x in history]
    mean = statistics.fmean(points)
    spread = statistics.pstdev(points)
    if spread == 0:
        return None
    z = abs(float(value) - mean) / spread
    if z > Z_SCORE_THRESHOLD:
        return _("lệch bất thường so với các kỳ trước (trung bình %(mean)s, z = %(z).1f)") % {
            "mean": f"{mean:,.0f}".replace(",", "."),
            "z": z,
        }
    return None
