"""What may tip a domain (its levers) and the candidate changes of each, worked out per knowledge base.

The search space per domain is finite and comes from the knowledge base, not from hand-written hints:
- each priority a rule of the domain is weighed by, moved to another level 0..5 (step = levels moved);
- each enum or boolean field the domain's rules read, set to another allowed value (step 1); for a list
  field (backup.scope), one value added or removed (step 1);
- each numeric field the rules compare with literals (or with option attributes), moved to the nearest
  value on the other side of 1, 2, ... of those thresholds (step = thresholds crossed).
A field the rules read only through a derived fact (network.same_vpc, workload.memory_per_vcpu) counts too.
Levers also hold the tables the scorer looks rules up in (truth tables of rules reading one field, option
groups and ladders of rules reading option attributes, the most each field can move a score).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from recommender.conditions import is_number
from recommender.knowledge import Domain, KnowledgeBase, Rule
from recommender.profile import ALWAYS_DEFAULTED, DERIVED_FACTS, FactType, fact_types
from recommender.profile_schema import ProfileSchema

PRIORITY_LEVELS = range(0, 6)
# Input fields behind each derived (or completed) fact a rule may read.
DERIVED_INPUTS: Mapping[str, tuple[str, ...]] = {
    # memory headroom of a kind for its data set (complete_facts) moves memory_gib and memory_per_vcpu
    "workload.memory_per_vcpu": (
        "workload.vcpus",
        "workload.memory_gib",
        "workload.kind",
        "workload.dataset_gib",
    ),
    "workload.memory_gib": (
        "workload.memory_gib",
        "workload.kind",
        "workload.dataset_gib",
    ),  # given, or sized
    "network.source.in_aws": ("network.source.type",),
    "network.same_vpc": ("network.source.type", "network.vpc_count"),
    "network.same_region": ("network.source.type",),
    "network.same_account": ("network.source.type",),
    "network.target.port": ("network.target.engine",),
}
# Input field -> the derived (or completed) facts a change of it may move. The count of VPCs, when not
# given, is derived from the VPCs the labels name, so it moves with the source type.
AFFECTS: Mapping[str, tuple[str, ...]] = {
    path: (
        *(fact for fact, inputs in DERIVED_INPUTS.items() if path in inputs),
        *(("network.vpc_count",) if path == "network.source.type" else ()),
    )
    for inputs in DERIVED_INPUTS.values()
    for path in inputs
}
_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt,
    "gte": operator.ge, "in": lambda v, t: v in t, "not_in": lambda v, t: v not in t,
}  # fmt: skip
_FACT_TYPES = fact_types()
_WINNER = FactType("enum")  # decision.<domain>: an earlier domain's winner, not a profile field
ABSENT = object()
NONE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Change:
    """One field of the profile set to another value; `step` says how far that is from the current value."""

    field: str
    value: Any
    step: int


@dataclass(frozen=True)
class NumericLever:
    kind: str  # int | number
    low: float
    high: float
    comparisons: tuple[tuple[str, Any], ...]  # (op, threshold) pairs the rules test the field with


@dataclass(frozen=True)
class Ladder:
    """A rule `fact <op> option attribute` (op lt, lte, gt or gte) with numeric attributes: for any value of
    the fact, the options it applies to are those whose attribute is below (or above) that value, a run
    of the targets sorted by attribute."""

    fact: str
    values: tuple[float, ...]  # the targets' distinct attribute values, ascending
    runs: tuple[frozenset[int], ...]  # the options applied to, by bisect position of the fact's value
    right: bool  # bisect_right (else bisect_left)

    def hits(self, facts: Mapping[str, Any]) -> frozenset[int]:
        value = facts.get(self.fact, ABSENT)
        if value is ABSENT:
            return NONE
        return self.runs[(bisect.bisect_right if self.right else bisect.bisect_left)(self.values, value)]

    @staticmethod
    def of(rule: Rule, domain: Domain) -> Ladder | None:
        node = rule.condition.source
        if not (
            isinstance(node, Mapping) and "option" in node and node.get("op") in ("lt", "lte", "gt", "gte")
        ):
            return None
        by_value: dict[float, set[int]] = {}
        for n, option in enumerate(domain.options):
            if option.id in rule.targets:
                value = option.attributes.get(node["option"])
                if not is_number(value):
                    return None
                by_value.setdefault(value, set()).add(n)
        values = sorted(by_value)
        groups = [frozenset(by_value[v]) for v in values]
        op = node["op"]
        if op in ("gt", "gte"):  # attribute below the fact's value: a prefix
            runs = [NONE.union(*groups[:k]) for k in range(len(values) + 1)]
        else:  # attribute above it: a suffix
            runs = [NONE.union(*groups[k:]) for k in range(len(values) + 1)]
        # gt: attribute < value, bisect_left; gte: <=, right; lt: attribute > value, right; lte: >=, left
        return Ladder(str(node["field"]), tuple(values), tuple(runs), right=op in ("gte", "lt"))


@dataclass(frozen=True)
class Levers:
    """What may tip one domain: the priorities its rules are weighed by and the input fields they read."""

    priorities: tuple[str, ...]
    choices: Mapping[str, tuple[Any, ...]]  # enum and boolean fields -> allowed values
    lists: Mapping[str, tuple[str, ...]]  # list fields -> allowed members
    numbers: Mapping[str, NumericLever]
    readers: Mapping[str, tuple[int, ...]]  # fact -> indexes of the rules that read it
    # Per fact, the rules that read it alone (not with an option attribute): `truth` gives, for each
    # value a change may give the fact (lists as sets), those of them that hold, so that a change toggles
    # the ones whose truth differs; `untabled` lists the fact's other readers, which are evaluated.
    truth: Mapping[str, Mapping[Any, frozenset[int]]]
    tabled: Mapping[str, frozenset[int]]
    untabled: Mapping[str, tuple[int, ...]]
    # By rule index, for rules comparing facts with option attributes: the targets grouped by the values
    # of the attributes the rule reads (one evaluation per group), with one group member's attributes.
    groups: tuple[tuple[tuple[Mapping[str, Any], frozenset[int]], ...], ...]
    ladders: tuple[Ladder | None, ...]  # by rule index: for a rule `fact <op> option attribute`
    # Options are numbered by their position in the domain; sets of options below are sets of positions.
    option_ids: tuple[str, ...]
    position: Mapping[str, int]  # option id -> position
    targets: tuple[frozenset[int], ...]  # by rule index: the options the rule may apply to
    priority_readers: Mapping[str, frozenset[int]]  # priority -> indexes of the rules it weighs
    rule_scores: tuple[float, ...]  # by rule index: its score (0 for exclusion rules), and its priority
    rule_tags: tuple[str, ...]
    # Per changeable field (or fact a rule reads): the score rules a change of it may move, and the
    # options its exclusion rules may exclude (or stop excluding).
    moved: Mapping[str, tuple[int, ...]]
    excludes: Mapping[str, frozenset[int]]  # positions
    # Per field: by priority tag, the sum of its moved rules' |score| (twice for option-attribute rules,
    # which may stop applying to one option and start applying to another), and rounding slack.
    spread: Mapping[str, tuple[tuple[tuple[str, float], ...], float]]
    weighed: Mapping[str, float]  # priority -> sum of |score| of the rules it weighs


_LEVERS: dict[tuple[str, str | None, str], Levers] = {}


def levers(domain: Domain, kb: KnowledgeBase) -> Levers:
    """The domain's levers, computed once per knowledge base (keyed by its digest)."""
    # an organisation policy adds rules to the domains and keeps the knowledge base's digest: its own key
    key = (kb.digest, kb.policy.digest if kb.policy is not None else None, domain.id)
    if key not in _LEVERS:
        if len(_LEVERS) > 64:
            _LEVERS.clear()
        built = _build_levers(domain)
        for earlier in decisions_read(domain):  # a field that moves an earlier winner it reads moves it too
            other = levers(kb.domains[earlier], kb)
            built = dataclasses.replace(
                built,
                priorities=tuple(sorted({*built.priorities, *other.priorities})),
                choices={**other.choices, **built.choices},
                lists={**other.lists, **built.lists},
                numbers={**other.numbers, **{
                    path: dataclasses.replace(lever, comparisons=tuple(sorted(
                        {*lever.comparisons, *(other.numbers[path].comparisons if path in other.numbers else ())},
                        key=repr,
                    )))
                    for path, lever in built.numbers.items()
                }},
            )  # fmt: skip
        _LEVERS[key] = built
    return _LEVERS[key]


def decisions_read(domain: Domain) -> tuple[str, ...]:
    """The earlier domains whose winner the domain's rules read (`decision.<domain>`)."""
    read: tuple[str, ...] | None = domain.cache.get("decisions_read")
    if read is None:
        read = domain.cache["decisions_read"] = tuple(sorted({
            fact.split(".", 1)[1] for rule in domain.rules for fact in rule.condition.fields
            if fact.startswith("decision.")
        }))  # fmt: skip
    return read


def _build_levers(domain: Domain) -> Levers:
    readers: dict[str, list[int]] = {}
    by_priority: dict[str, list[int]] = {}
    comparisons: dict[str, set[tuple[str, Any]]] = {}
    for index, rule in enumerate(domain.rules):
        for fact in rule.condition.fields:
            readers.setdefault(fact, []).append(index)
        if rule.priority != "fit" and not rule.exclude and rule.score:
            by_priority.setdefault(rule.priority, []).append(index)
        for path, op, threshold in _leaves(rule, domain):
            comparisons.setdefault(path, set()).add((op, threshold))
    inputs: set[str] = set()
    for fact in readers:
        if fact.startswith(("priorities.", "decision.")):
            continue  # priorities are moved level by level above; earlier winners by the fields they read
        inputs.update(DERIVED_INPUTS.get(fact, (fact,) if fact not in DERIVED_FACTS else ()))
    choices: dict[str, tuple[Any, ...]] = {}
    lists: dict[str, tuple[str, ...]] = {}
    numbers: dict[str, NumericLever] = {}
    for path in sorted(inputs):
        ftype = _FACT_TYPES[path]
        if ftype.kind == "bool":
            choices[path] = (False, True)
        elif ftype.kind == "enum":
            choices[path] = ftype.choices
        elif ftype.kind == "list":
            lists[path] = ftype.choices
        elif ftype.kind in ("int", "number") and comparisons.get(path):
            low, high = _range(path)
            numbers[path] = NumericLever(ftype.kind, low, high, tuple(sorted(comparisons[path], key=repr)))
    # The rules a change of each field may move: the readers of the facts it sets or derives, and for a
    # priority the rules it weighs.
    moved_by: dict[str, set[int]] = {}
    for fact, reading in readers.items():
        for path in (fact, *(p for p, derived in AFFECTS.items() if fact in derived)):
            moved_by.setdefault(path, set()).update(reading)
    position = {option.id: n for n, option in enumerate(domain.options)}
    moved: dict[str, tuple[int, ...]] = {}
    excludes: dict[str, frozenset[int]] = {}
    for path, indexes in moved_by.items():
        moved[path] = tuple(sorted(i for i in indexes if not domain.rules[i].exclude))
        excludes[path] = frozenset(
            position[o] for i in indexes if domain.rules[i].exclude for o in domain.rules[i].targets
        )
    spread: dict[str, tuple[tuple[tuple[str, float], ...], float]] = {}
    for path, moving in moved.items():
        by_tag: dict[str, float] = {}
        slack = 0.0
        for i in moving:
            rule = domain.rules[i]
            factor = 2 if rule.condition.uses_option else 1
            by_tag[rule.priority] = by_tag.get(rule.priority, 0.0) + factor * abs(rule.score)
            slack += factor * 0.005
        spread[path] = (tuple(by_tag.items()), slack)
    truth, tabled, untabled = _truth_tables(domain, readers, numbers)
    return Levers(
        truth=truth,
        tabled=tabled,
        untabled=untabled,
        groups=tuple(_attribute_groups(rule, domain) for rule in domain.rules),
        ladders=tuple(Ladder.of(rule, domain) for rule in domain.rules),
        moved=moved,
        excludes=excludes,
        spread=spread,
        weighed={p: sum(abs(domain.rules[i].score) for i in rules) for p, rules in by_priority.items()},
        priorities=tuple(sorted(by_priority)),
        choices=choices,
        lists=lists,
        numbers=numbers,
        readers={k: tuple(v) for k, v in readers.items()},
        option_ids=domain.option_ids,
        position=position,
        targets=tuple(frozenset(position[o] for o in rule.targets) for rule in domain.rules),
        priority_readers={k: frozenset(v) for k, v in by_priority.items()},
        rule_scores=tuple(0.0 if rule.exclude else rule.score for rule in domain.rules),
        rule_tags=tuple(rule.priority for rule in domain.rules),
    )


def _truth_tables(
    domain: Domain, readers: Mapping[str, list[int]], numbers: Mapping[str, NumericLever]
) -> tuple[dict[str, dict[Any, frozenset[int]]], dict[str, frozenset[int]], dict[str, tuple[int, ...]]]:
    """Per fact: for each value a change may give it, which of the rules reading that fact alone hold."""
    truth: dict[str, dict[Any, frozenset[int]]] = {}
    tabled: dict[str, frozenset[int]] = {}
    untabled: dict[str, tuple[int, ...]] = {}
    for fact, indexes in readers.items():
        values = _values_changes_give(fact, numbers)
        alone = [
            i
            for i in indexes
            if values is not None
            and domain.rules[i].condition.fields == {fact}
            and not domain.rules[i].condition.uses_option
        ]
        if values is not None and alone:
            truth[fact] = {
                table_key(value): frozenset(i for i in alone if domain.rules[i].condition({fact: value}))
                for value in values
            }
        tabled[fact] = frozenset(alone)
        untabled[fact] = tuple(i for i in indexes if i not in alone)
    return truth, tabled, untabled


def _values_changes_give(fact: str, numbers: Mapping[str, NumericLever]) -> list[Any] | None:
    """Every value a change in the searched space may give the fact, or None if they are not few."""
    ftype = _FACT_TYPES.get(fact)
    if ftype is None:  # an earlier domain's winner (decision.<domain>): no change sets it directly
        return None
    if ftype.kind == "bool":
        return [False, True]
    if ftype.kind == "enum":
        return list(ftype.choices)
    if ftype.kind == "list" and len(ftype.choices) <= 8:
        members = ftype.choices
        return [tuple(m for k, m in enumerate(members) if mask >> k & 1) for mask in range(1 << len(members))]
    if fact in numbers:
        lever = numbers[fact]
        return sorted({_tidy(point, lever.kind) for point in _points(lever)})
    return None


def table_key(value: Any) -> Any:
    """Lists are compared as sets by every operator that reads them."""
    return frozenset(value) if isinstance(value, tuple | list) else value


def _attribute_groups(rule: Rule, domain: Domain) -> tuple[tuple[Mapping[str, Any], frozenset[int]], ...]:
    if not rule.condition.uses_option:
        return ()
    names = sorted(_option_attribute_names(rule.condition.source))
    position = {option.id: n for n, option in enumerate(domain.options)}
    groups: dict[tuple[str, ...], list[int]] = {}
    for option_id in rule.targets:
        attributes = domain.options[position[option_id]].attributes
        groups.setdefault(tuple(repr(attributes.get(name, ABSENT)) for name in names), []).append(
            position[option_id]
        )
    return tuple((domain.options[members[0]].attributes, frozenset(members)) for members in groups.values())


def _option_attribute_names(node: Any) -> set[str]:
    if isinstance(node, Mapping):
        names = {str(node["option"])} if "option" in node else set()
        for key in ("all", "any"):
            for item in node.get(key) or ():
                names |= _option_attribute_names(item)
        if "not" in node:
            names |= _option_attribute_names(node["not"])
        return names
    return set()


def _leaves(rule: Rule, domain: Domain) -> Iterator[tuple[str, str, Any]]:
    """(field, op, threshold) of every numeric comparison in the rule's condition."""
    stack = [rule.condition.source]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        if "all" in node or "any" in node:
            stack.extend(node.get("all") or node.get("any") or [])
        elif "not" in node:
            stack.append(node["not"])
        elif node.get("op") in _COMPARE and _FACT_TYPES.get(str(node["field"]), _WINNER).kind in (
            "int",
            "number",
        ):
            path, op = str(node["field"]), str(node["op"])
            if "option" in node:
                for option_id in rule.targets:
                    option = domain.option(option_id)
                    if option is not None and option.attributes.get(node["option"]) is not None:
                        yield path, op, option.attributes[node["option"]]
            elif isinstance(node.get("value"), list):
                yield path, op, frozenset(node["value"])
            else:
                yield path, op, node.get("value")


def _range(path: str) -> tuple[float, float]:
    schema: Any = ProfileSchema()
    *sections, name = path.split(".")
    for section in sections:
        schema = schema.fields[section].schema
    fld: fields.Field = schema.fields[name]
    for validator in fld.validators:
        if isinstance(validator, validate.Range):
            return (validator.min, validator.max)
    return (float("-inf"), float("inf"))


def changeable_fields(levers: Levers) -> list[str]:
    """Every field a change may touch, in a fixed order: priorities, choices, lists, numbers."""
    return [
        *(f"priorities.{p}" for p in levers.priorities), *levers.choices, *levers.lists, *levers.numbers,
    ]  # fmt: skip


def candidate_changes(levers: Levers, facts: Mapping[str, Any], sections: frozenset[str]) -> Iterator[Change]:
    """Every change in the searched space, for the facts of one profile."""
    for path in changeable_fields(levers):
        yield from field_changes(levers, path, facts, sections)


def field_changes(
    levers: Levers, path: str, facts: Mapping[str, Any], sections: frozenset[str]
) -> list[Change]:
    """The changes of one field, nearest first."""
    section = path.split(".")[0]
    if section not in sections and section not in ALWAYS_DEFAULTED:
        return []  # the profile does not answer that section: setting one field of it is not enough
    current = facts.get(path)
    if path.startswith("priorities."):
        assert current is not None  # priorities always have a level (default 3)
        return list(_priority_changes(path, current))
    if path in levers.choices:
        return list(_choice_changes(path, levers.choices[path], current))
    if path in levers.lists:
        return _list_changes(path, levers.lists[path], tuple(current or ()))
    if current is None:
        return []
    return list(_numeric_changes(path, levers.numbers[path], current))


# The changes of a field depend only on its current value and what the rules allow: worked out once.
@functools.lru_cache(maxsize=256)
def _priority_changes(path: str, current: int) -> tuple[Change, ...]:
    changes = (Change(path, level, abs(level - current)) for level in PRIORITY_LEVELS if level != current)
    return tuple(sorted(changes, key=lambda c: c.step))


@functools.lru_cache(maxsize=1024)
def _choice_changes(path: str, choices: tuple[Any, ...], current: Any) -> tuple[Change, ...]:
    return tuple(Change(path, value, 1) for value in choices if value != current)


def _list_changes(path: str, members: tuple[str, ...], have: tuple[str, ...]) -> list[Change]:
    """One member added or removed (a list keeps at least one member)."""
    return [
        Change(path, [m for m in have if m != member], 1)
        if member in have
        else Change(path, [m for m in members if m in have or m == member], 1)
        for member in members
        if member not in have or len(have) > 1
    ]


@functools.lru_cache(maxsize=4096)
def _numeric_changes(path: str, lever: NumericLever, current: float) -> tuple[Change, ...]:
    return tuple(sorted(_numeric_regions(path, lever, current), key=lambda c: c.step))


def _numeric_regions(path: str, lever: NumericLever, current: float) -> Iterator[Change]:
    """The nearest value in each region the thresholds cut the field's range into, step = regions crossed."""

    def region(value: float) -> tuple[bool, ...]:
        return tuple(_COMPARE[op](value, threshold) for op, threshold in lever.comparisons)

    points = _points(lever)
    here = region(current)
    for side in (
        sorted(p for p in points if p > current),
        sorted((p for p in points if p < current), reverse=True),
    ):
        seen, step = here, 0
        for value in side:
            if (where := region(value)) != seen:
                seen, step = where, step + 1
                yield Change(path, _tidy(value, lever.kind), step)


def _points(lever: NumericLever) -> set[float]:
    """Each threshold, and the nearest values on either side of it, within the field's range."""
    points: set[float] = set()
    for _, threshold in lever.comparisons:
        for t in threshold if isinstance(threshold, frozenset) else (threshold,):
            unit = _unit(t, lever.kind)
            points.update(p for p in (t - unit, t, t + unit) if lever.low <= p <= lever.high)
    return points


def _unit(threshold: float, kind: str) -> float:
    """The smallest move across a threshold: 1 for integers, else one unit of the threshold's last decimal."""
    if kind == "int" or float(threshold).is_integer():
        return 1
    decimals = len(repr(float(threshold)).split(".")[1])
    return 10.0**-decimals


def _tidy(value: float, kind: str) -> float | int:
    if kind == "int" or float(value).is_integer():
        return int(value)
    return round(value, 9)
