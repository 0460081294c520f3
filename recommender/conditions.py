"""Rule conditions: a small closed language compiled once, when the knowledge base loads. Never eval'ed.

    condition := {all: [condition, ...]} | {any: [condition, ...]} | {not: condition} | leaf
    leaf      := {field: <fact path>, op: <operator>, value: <literal>}
               | {field: <fact path>, op: <operator>, option: <option attribute>}   (instance families)

Evaluation is three-valued: a leaf whose fact is absent from the profile is None ("not evaluated"), and
`all`/`any`/`not` propagate None the way SQL does. A rule fires only when its condition is True.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from recommender.profile import FactType

Facts = Mapping[str, Any]
Attrs = Mapping[str, Any]
Evaluator = Callable[[Facts, Attrs], bool | None]

_COMPARE = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}
OPERATORS: dict[str, tuple[str, ...]] = {
    # operator: fact kinds it applies to
    "eq": ("enum", "bool", "int", "number", "label"),
    "ne": ("enum", "bool", "int", "number", "label"),
    "in": ("enum", "int", "label"),
    "not_in": ("enum", "int", "label"),
    "lt": ("int", "number"),
    "lte": ("int", "number"),
    "gt": ("int", "number"),
    "gte": ("int", "number"),
    "contains": ("list",),
    "contains_any": ("list",),
    "subset_of": ("list",),
    "present": ("enum", "bool", "int", "number", "label", "list"),
    "absent": ("enum", "bool", "int", "number", "label", "list"),
}


class ConditionSyntaxError(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Condition:
    evaluate: Evaluator
    fields: frozenset[str] = field(default_factory=frozenset)
    uses_option: bool = False
    source: Any = None

    def __call__(self, facts: Facts, attrs: Attrs | None = None) -> bool | None:
        return self.evaluate(facts, attrs or {})


ALWAYS = Condition(lambda facts, attrs: True)


def suggest(name: str, known: Any) -> str:
    guess = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return f" (did you mean '{guess[0]}'?)" if guess else ""


def compile_condition(
    node: Any, facts: Mapping[str, FactType], option_attrs: Mapping[str, type] | None = None
) -> Condition:
    """Compile a condition tree. Raises ConditionSyntaxError naming the offending line."""
    used: set[str] = set()
    uses_option = [False]

    def line_of(n: Any) -> int | None:
        return getattr(n, "line", None)

    def build(n: Any) -> Evaluator:
        if not isinstance(n, Mapping):
            raise ConditionSyntaxError("a condition must be a mapping", line_of(n))
        keys = set(n)
        for combinator in ("all", "any"):
            if combinator in keys:
                if keys != {combinator}:
                    raise ConditionSyntaxError(f"'{combinator}' must stand alone in its mapping", line_of(n))
                items = n[combinator]
                if not isinstance(items, list) or not items:
                    raise ConditionSyntaxError(f"'{combinator}' needs a non-empty list", line_of(n))
                parts = tuple(build(item) for item in items)
                return _all(parts) if combinator == "all" else _any(parts)
        if "not" in keys:
            if keys != {"not"}:
                raise ConditionSyntaxError("'not' must stand alone in its mapping", line_of(n))
            inner = build(n["not"])
            return lambda f, a: None if (r := inner(f, a)) is None else not r
        return leaf(n)

    def leaf(n: Mapping[str, Any]) -> Evaluator:
        allowed = {"field", "op", "value", "option"}
        extra = set(n) - allowed
        if extra:
            bad = sorted(extra)[0]
            raise ConditionSyntaxError(
                f"unknown condition key '{bad}'{suggest(bad, allowed | {'all', 'any', 'not'})}", line_of(n)
            )
        path, op = str(n.get("field")), str(n.get("op"))
        if path not in facts:
            raise ConditionSyntaxError(f"unknown field '{path}'{suggest(path, facts)}", line_of(n))
        if op not in OPERATORS:
            raise ConditionSyntaxError(f"unknown operator '{op}'{suggest(op, OPERATORS)}", line_of(n))
        ftype = facts[path]
        if ftype.kind not in OPERATORS[op]:
            raise ConditionSyntaxError(
                f"operator '{op}' does not apply to {ftype.kind} field '{path}'", line_of(n)
            )
        used.add(path)
        if op in ("present", "absent"):
            if "value" in n or "option" in n:
                raise ConditionSyntaxError(f"operator '{op}' takes no value", line_of(n))
            want = op == "present"
            return lambda f, a: (path in f) is want
        if "option" in n:
            return option_leaf(n, path, op)
        if "value" not in n:
            raise ConditionSyntaxError(f"operator '{op}' needs a value", line_of(n))
        value = check_value(n["value"], ftype, op, path, line_of(n))
        return make_leaf(path, op, value)

    def option_leaf(n: Mapping[str, Any], path: str, op: str) -> Evaluator:
        attr = n["option"]
        if option_attrs is None:
            raise ConditionSyntaxError("'option' comparisons are only for instance families", line_of(n))
        if attr not in option_attrs:
            raise ConditionSyntaxError(
                f"unknown option attribute '{attr}'{suggest(attr, option_attrs)}", line_of(n)
            )
        if op not in _COMPARE and op not in ("eq", "ne"):
            raise ConditionSyntaxError(f"operator '{op}' cannot compare with an option attribute", line_of(n))
        uses_option[0] = True
        compare = _COMPARE.get(op) or (operator.eq if op == "eq" else operator.ne)

        def evaluate(f: Facts, a: Attrs) -> bool | None:
            if path not in f:
                return None
            return bool(compare(f[path], a[attr]))

        return evaluate

    def check_value(value: Any, ftype: FactType, op: str, path: str, line: int | None) -> Any:
        many = op in ("in", "not_in", "contains_any", "subset_of")
        if many:
            if not isinstance(value, list) or not value:
                raise ConditionSyntaxError(f"operator '{op}' needs a non-empty list value", line)
            for item in value:
                check_scalar(item, ftype, path, line)
            return frozenset(value)
        check_scalar(value, ftype, path, line)
        return value

    def check_scalar(value: Any, ftype: FactType, path: str, line: int | None) -> None:
        kind = ftype.kind
        if kind in ("enum", "list"):
            if value not in ftype.choices:
                raise ConditionSyntaxError(
                    f"'{value}' is not a value of '{path}'{suggest(value, ftype.choices)}; "
                    f"allowed: {', '.join(ftype.choices)}",
                    line,
                )
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ConditionSyntaxError(f"'{path}' is true or false, not '{value}'", line)
        elif kind in ("int", "number"):
            if not is_number(value):
                raise ConditionSyntaxError(f"'{path}' is a number, not '{value}'", line)
        elif not isinstance(value, str | int):
            raise ConditionSyntaxError(f"'{path}' is a label, not '{value}'", line)

    evaluator = build(node)
    return Condition(evaluator, frozenset(used), uses_option[0], node)


def is_number(value: Any) -> TypeGuard[int | float]:
    """An int or a float written as such: YAML's and JSON's true and false are not numbers here."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def make_leaf(path: str, op: str, value: Any) -> Evaluator:
    if op == "eq":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else v == value
    if op == "ne":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else v != value
    if op == "in":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else v in value
    if op == "not_in":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else v not in value
    if op in _COMPARE:
        cmp = _COMPARE[op]
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else cmp(v, value)
    if op == "contains":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else value in v
    if op == "contains_any":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else not value.isdisjoint(v)
    if op == "subset_of":
        return lambda f, a: None if (v := f.get(path, _ABSENT)) is _ABSENT else value.issuperset(v)
    raise AssertionError(op)


_ABSENT = object()


def _all(parts: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(f: Facts, a: Attrs) -> bool | None:
        unknown = False
        for part in parts:
            r = part(f, a)
            if r is False:
                return False
            if r is None:
                unknown = True
        return None if unknown else True

    return evaluate


def _any(parts: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(f: Facts, a: Attrs) -> bool | None:
        unknown = False
        for part in parts:
            r = part(f, a)
            if r is True:
                return True
            if r is None:
                unknown = True
        return None if unknown else False

    return evaluate
