"""Validation rules and outliers, as DHIS2 defines them."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from cqs.reporting.choices import MissingValueStrategy as M
from cqs.reporting.choices import Operator
from cqs.reporting.rules import ExpressionError, evaluate, expression_check, outlier_check, rule_check
from cqs.reporting.values import InvalidValue, value_parse


def rule(left, op, right, strategy=M.SKIP_IF_ALL_VALUES_MISSING):
    return SimpleNamespace(
        name="R",
        instruction="Sửa lại.",
        left=left,
        operator=op,
        right=right,
        missing_value_strategy=strategy,
        importance="error",
        get_operator_display=lambda: op,
    )


def test_expressions_add_cells_and_totals():
    cells = {("A", None): D(10), ("B", "X"): D(3), ("B", None): D(5)}
    assert evaluate("#{A} + #{B.X} * 2", cells) == (D(16), 2, 2)
    assert evaluate("#{A} - #{C}", cells) == (D(10), 1, 2)


def test_unsafe_or_unknown_expressions_are_refused():
    with pytest.raises(ExpressionError):
        expression_check("__import__('os')", {"A"})
    with pytest.raises(ExpressionError):
        expression_check("#{NOPE} + 1", {"A"})


@pytest.mark.parametrize(
    ("op", "left", "right", "violated"),
    [
        (Operator.LESS_THAN_OR_EQUAL_TO, 5, 4, True),
        (Operator.LESS_THAN_OR_EQUAL_TO, 4, 4, False),
        (Operator.EQUAL_TO, 4, 4, False),
        (Operator.GREATER_THAN, 4, 4, True),
        (Operator.NOT_EQUAL_TO, 1, 2, False),
    ],
)
def test_operators(op, left, right, violated):
    cells = {("A", None): D(left), ("B", None): D(right)}
    assert (rule_check(rule("#{A}", op, "#{B}"), cells) is not None) is violated


def test_missing_value_strategies():
    only_a = {("A", None): D(5)}
    assert (
        rule_check(rule("#{A}", Operator.LESS_THAN_OR_EQUAL_TO, "#{B}", M.SKIP_IF_ANY_VALUE_MISSING), only_a)
        is None
    )
    assert rule_check(rule("#{A}", Operator.LESS_THAN_OR_EQUAL_TO, "#{B}", M.NEVER_SKIP), only_a) is not None
    assert (
        rule_check(rule("#{A}", Operator.LESS_THAN_OR_EQUAL_TO, "#{B}", M.SKIP_IF_ALL_VALUES_MISSING), {})
        is None
    )
    assert rule_check(rule("#{A}", Operator.COMPULSORY_PAIR, "#{B}"), only_a) is not None
    assert (
        rule_check(rule("#{A}", Operator.EXCLUSIVE_PAIR, "#{B}"), {**only_a, ("B", None): D(1)}) is not None
    )


def test_outliers_by_range_and_by_z_score():
    history = [D(100), D(104), D(98), D(101), D(97), D(103)]
    assert outlier_check(value=D(102), history=history, minimum=None, maximum=None) is None
    assert "z =" in outlier_check(value=D(900), history=history, minimum=None, maximum=None)
    assert outlier_check(value=D(900), history=history[:3], minimum=None, maximum=None) is None
    assert outlier_check(value=D(-1), history=[], minimum=D(0), maximum=None) is not None


@pytest.mark.parametrize(
    ("value_type", "raw", "expected"),
    [
        ("INTEGER_ZERO_OR_POSITIVE", " 12 ", ("12", D(12))),
        ("NUMBER", "1,5", ("1.5", D("1.5"))),
        ("PERCENTAGE", "99.5", ("99.5", D("99.5"))),
        ("BOOLEAN", "Có", ("true", D(1))),
        ("TEXT", "ghi chú", ("ghi chú", None)),
    ],
)
def test_values_parse_by_type(value_type, raw, expected):
    assert value_parse(value_type, raw) == expected


@pytest.mark.parametrize(
    ("value_type", "raw", "code"),
    [
        ("INTEGER_ZERO_OR_POSITIVE", "-1", "value_negative"),
        ("INTEGER", "1.5", "value_not_integer"),
        ("NUMBER", "abc", "value_not_numeric"),
        ("NUMBER", "NaN", "value_not_numeric"),
        ("NUMBER", "1e30", "value_not_numeric"),
        ("PERCENTAGE", "101", "value_not_percentage"),
        ("BOOLEAN", "maybe", "value_not_boolean"),
        ("TEXT", "x" * 300, "value_too_long"),
    ],
)
def test_values_of_the_wrong_type_are_refused(value_type, raw, code):
    with pytest.raises(InvalidValue) as error:
        value_parse(value_type, raw)
    assert error.value.code == code
