"""Tipping points: the smallest single changes to a profile that would make a different option win.

The search space per domain is finite and comes from the knowledge base, not from hand-written hints:
- each priority a rule of the domain is weighed by, moved to another level 0..5 (step = levels moved);
- each enum or boolean field the domain's rules read, set to another allowed value (step 1); for a list
  field (backup.scope), one value added or removed (step 1);
- each numeric field the rules compare with literals (or with option attributes), moved to the nearest
  value on the other side of 1, 2, ... of those thresholds (step = thresholds crossed).
A field the rules read only through a derived fact (network.same_vpc, workload.memory_per_vcpu) counts too:
the facts it derives are derived again the way build_profile does (tests compare them with the changed
document loaded from scratch).

The search gives the answer of applying every candidate change and recommending from scratch (a test
compares the two), doing much less: a field whose rules cannot move the winner and its best rival far
enough is skipped; rules that read one yes/no, choice, list or numeric field are looked up in tables
built per knowledge base; only the rules a change touches are evaluated again, the other contributions
are reused from the engine's outcome; and only options that may come first or second are totalled the
way the engine totals scores.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from marshmallow import fields, validate

from recommender import cost
from recommender.conditions import is_number
from recommender.cost import ESTIMATE_INPUTS
from recommender.engine import (
    DomainOutcome,
    ScoredOption,
    complete_facts,
    ec2_host,
    price_impacts,
    priority_weights,
    score_domain,
    size_memory,
)
from recommender.knowledge import Domain, KnowledgeBase, Rule
from recommender.profile import (
    ALWAYS_DEFAULTED,
    DERIVED_FACTS,
    FactType,
    Profile,
    ProfileSchema,
    build_profile,
    fact_types,
    memory_per_vcpu,
)
from recommender.profile import derive_network_facts as derive_network

MAX_PER_DOMAIN = 5
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
# What the computed instance-family rules (cheapest size in the Region, price relative to the cheapest
# option) read besides their priority and the memory headroom of a data set (Search._moves_computed). A
# change of one of these, or one that moves an exclusion (which changes the cheapest ranked option), is
# scored again from scratch.
COMPUTED_INPUTS = frozenset({
    "workload.vcpus", "workload.memory_gib", "workload.gpus", "workload.gpu_memory_gib", "workload.free_tier",
    "workload.count", "region",
})  # fmt: skip


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
        value = facts.get(self.fact, _ABSENT)
        if value is _ABSENT:
            return _NONE
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
            runs = [_NONE.union(*groups[:k]) for k in range(len(values) + 1)]
        else:  # attribute above it: a suffix
            runs = [_NONE.union(*groups[k:]) for k in range(len(values) + 1)]
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


@dataclass(frozen=True)
class TippingPoint:
    change: Change
    current: Any
    winner: str
    margin: float | None  # lead of the new winner over the runner-up; None when it is the only one left
    excluded: tuple[str, ...]  # options the change newly excludes


_LEVERS: dict[tuple[str, str], Levers] = {}


def levers(domain: Domain, kb: KnowledgeBase) -> Levers:
    """The domain's levers, computed once per knowledge base (keyed by its digest)."""
    key = (kb.digest, domain.id)
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
        option_ids=tuple(option.id for option in domain.options),
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
                _table_key(value): frozenset(i for i in alone if domain.rules[i].condition({fact: value}))
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


def _table_key(value: Any) -> Any:
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
        groups.setdefault(tuple(repr(attributes.get(name, _ABSENT)) for name in names), []).append(
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


class Search:
    """Tipping points of every domain of one recommendation; changed facts are shared between domains."""

    def __init__(
        self, profile: Profile, facts: Mapping[str, Any], kb: KnowledgeBase,
        outcomes: Mapping[str, DomainOutcome] | None = None,
    ):  # fmt: skip
        self.profile, self.facts, self.kb = profile, facts, kb
        self.outcomes = dict(outcomes or {})  # earlier winners are worked out rule by rule from these
        self._baselines: dict[str, _Baseline] = {}
        self.weights = priority_weights(facts, kb)
        self._changed: dict[tuple[str, str], tuple[Mapping[str, Any], frozenset[str]]] = {}
        # per change: the instance family's suggested type (EC2 prices) and earlier domains' winners
        self._hosts: dict[tuple[str, str], Any] = {}
        self._flips: dict[tuple[str, str, str], _Flip | None] = {}  # per domain and change key
        self._scored: dict[tuple[str, str, str], _Scored] = {}  # per change key and domain
        self.domains = frozenset(profile.domains)
        self._family_fields: frozenset[str] | None = None  # the instance family's changeable fields
        self._decision_fields_of: dict[str, frozenset[str]] = {}
        self._winners: dict[tuple[str, str, str], str | None] = {}
        self._unmet = False

    def tipping_points(self, outcome: DomainOutcome) -> list[TippingPoint]:
        lever = levers(outcome.domain, self.kb)
        baseline = _Baseline(outcome, lever, self.facts, self.weights, self.kb)
        found: list[TippingPoint] = []
        self._unmet = bool(outcome.unmet)  # options ranked again for unmet requirements: score changes anew
        moving = self._decision_fields(outcome.domain)  # fields that may move an earlier winner it reads
        decisions = tuple(f"decision.{earlier}" for earlier in decisions_read(outcome.domain))
        for path in changeable_fields(lever):
            rescored = self._rescored(path, outcome.domain, lever)
            exact = self._unmet or rescored or path in moving
            bounded = not (self._unmet or (rescored and self._unbounded(path, outcome.domain)))
            decided = decisions if path in moving else ()  # the earlier winners it may move, read as facts
            if bounded and not baseline.reachable(path, priced=rescored, decided=decided):
                continue
            changes = field_changes(lever, path, self.facts, self.profile.sections)
            if not changes:
                continue
            if not exact and path.startswith("priorities.") and path not in lever.readers:
                changes = self._plausible_sides(changes, baseline, lever)
            best: TippingPoint | None = None
            for change in changes:  # nearest first: stop after the first step that flips
                if best is not None and change.step > best.change.step:
                    break
                point = self._try(change, baseline, lever)
                if point is not None and (best is None or _strength(point) > _strength(best)):
                    best = point
            if best is not None:
                found.append(best)
        found.sort(key=lambda p: (p.change.step, -_strength(p), p.change.field))
        return found[:MAX_PER_DOMAIN]

    def _plausible_sides(self, changes: list[Change], baseline: _Baseline, lever: Levers) -> list[Change]:
        """A priority only scales the weight of its rules, so every score is linear in that weight and a
        level between the current one and an extreme cannot flip the winner unless the extreme can."""
        current = self.facts[changes[0].field]
        kept: list[Change] = []
        for side in ([c for c in changes if c.value > current], [c for c in changes if c.value < current]):
            if side and self._may_flip(max(side, key=lambda c: c.step), baseline, lever):
                kept += side
        return kept

    def _may_flip(self, change: Change, baseline: _Baseline, lever: Levers) -> bool:
        return self._flip(change, baseline, lever, exact=False) is not None

    def _rescored(self, path: str, domain: Domain, lever: Levers) -> bool:
        """Whether changes of the field must be tried exactly (never pruned by the rule-by-rule bounds): in
        the instance family, those that move a computed rule; in a domain priced with the family's winner,
        any (which of them are scored from scratch is decided per change, in _scored_anew)."""
        if not domain.computed_rules:
            return False
        if domain.id != "instance_family":
            return True
        return self._moves_computed(path, domain, lever)

    def _unbounded(self, path: str, domain: Domain) -> bool:
        """Whether changes of a field that move computed rules can move scores beyond what reachable bounds:
        a policy's required choices, or the instance family's suggested sizes (which may exclude or let
        back in any family)."""
        if domain.required:
            return True
        headroom = path == "workload.dataset_gib" or (
            path == "workload.kind" and bool(self.facts.get("workload.dataset_gib"))
        )
        return domain.id == "instance_family" and (path in COMPUTED_INPUTS or headroom)

    def _moves_computed(self, path: str, domain: Domain, lever: Levers) -> bool:
        """Whether a change of the field may move a computed rule of the domain directly: an input of its
        sizes or estimates (the memory a data set's headroom sizes included), its priority, or an exclusion
        (which changes the cheapest ranked option)."""
        inputs = COMPUTED_INPUTS if domain.id == "instance_family" else ESTIMATE_INPUTS.get(domain.id, ())
        headroom = path == "workload.dataset_gib" or (
            path == "workload.kind" and bool(self.facts.get("workload.dataset_gib"))
        )
        priorities = {f"priorities.{rule.priority}" for rule in domain.computed_rules}
        return path in inputs or headroom or path in priorities or bool(lever.excludes.get(path))

    def _rescore(self, change: Change, baseline: _Baseline) -> _Flip | None:
        scored = self._score_under(change, baseline.domain.id)
        ids = baseline.lever.option_ids
        if scored.winner is None or (baseline.winner is not None and scored.winner == ids[baseline.winner]):
            return None
        return _Flip(scored.winner, scored.margin, scored.excluded)

    def _score_under(self, change: Change, domain_id: str) -> _Scored:
        """The domain scored exactly with the change applied, once per change (a later domain reading its
        winner, and the EC2 prices of the launch type, share it): every option totalled from the outcome's
        rule contributions, with the rules the change touches and the computed rules worked out again
        (_Baseline.exact), or score_domain where that cannot say."""
        key = (*self._change_key(change), domain_id)
        if key not in self._scored:
            baseline = self._baseline(domain_id)
            domain = baseline.domain
            host = self._host(change) if domain.computed_rules and domain_id != "instance_family" else None
            winners = self._earlier_winners(change, domain)  # the earlier winners it reads, decided again
            moved = {f"decision.{e}": w for e, w in winners.items() if self.facts.get(f"decision.{e}") != w}
            update, facts = self._update(change, baseline, moved)
            if facts is self.facts:
                facts = _Overlay(self.facts, change.field, _as_fact(change.value))
            scored = baseline.exact(update, facts, self.kb, host)
            if scored is None:
                facts = dict(self.changed_facts(change)[0])
                for fact, decided in moved.items():
                    if decided is not None:
                        facts[fact] = decided
                    else:
                        facts.pop(fact, None)
                outcome = score_domain(domain, facts, self.kb, host)
                winner = outcome.winner
                ranked = outcome.ranked
                margin = round(ranked[0].score - ranked[1].score, 2) if len(ranked) > 1 else None
                before = {baseline.lever.option_ids[n] for n in baseline.excluded}
                scored = _Scored(
                    winner.option.id if winner else None,
                    margin,
                    frozenset(i.option.id for i in outcome.excluded) - before,
                    winner.size if winner else None,
                )
            self._scored[key] = scored
            # a later domain that reads this one's winner under the same change finds it here
            self._winners[key] = scored.winner
        return self._scored[key]

    def _scored_anew(self, change: Change, domain: Domain, lever: Levers, unmet: bool | None = None) -> bool:
        """Whether the change is scored from scratch rather than rule by rule: options ranked again for
        unmet requirements, an earlier winner the domain reads moved, or a computed rule's input moved (for
        a domain priced with the instance family's suggestion: that suggestion, an estimate's input, the
        rule's priority, or an exclusion that changes the cheapest ranked option)."""
        if (self._unmet if unmet is None else unmet) or self._moves_decision(change, domain):
            return True
        if not domain.computed_rules:
            return False
        if self._moves_computed(change.field, domain, lever):
            return True
        return domain.id != "instance_family" and self._host(change) != self._host(None)

    def _host(self, change: Change | None) -> Any:
        """The instance family's suggested type with the change applied (what EC2 hosts are priced with);
        None: without a change."""
        if "instance_family" not in self.domains:
            return None
        family = self.kb.domains["instance_family"]
        flever = levers(family, self.kb)
        if self._family_fields is None:
            self._family_fields = frozenset(changeable_fields(flever))
        moves = change is not None and (
            self._moves_computed(change.field, family, flever) or change.field in self._family_fields
        )
        key = self._change_key(change) if change is not None and moves else ("", "")
        if key in self._hosts:
            return self._hosts[key]
        outcome = self._outcome("instance_family")
        if change is None or not moves:
            host = ec2_host({"instance_family": outcome})
        elif outcome.unmet or self._rescored(change.field, family, flever):  # sizes or prices move: exactly
            host = self._score_under(change, "instance_family").size
        else:  # sizes stay: the suggested type is the new winner's (rule by rule, as its own search does)
            winner = self._winner_under(change, "instance_family")
            sizes = {item.option.id: item.size for item in (*outcome.ranked, *outcome.excluded)}
            host = sizes.get(winner) if winner else None
        self._hosts[key] = host
        return host

    def _earlier_winners(self, change: Change, domain: Domain) -> dict[str, str | None]:
        """The winners of the earlier domains the domain's rules read (and those these read), in decision
        order, with the change applied; worked out once per change and shared by the domains."""
        read = set(decisions_read(domain))
        if not read:
            return {}
        order = self.kb.decision_order[: self.kb.decision_order.index(domain.id)]
        for earlier in reversed(order):
            if earlier in read:
                read.update(decisions_read(self.kb.domains[earlier]))
        return {e: self._winner_under(change, e) for e in order if e in read and e in self.domains}

    def _winner_under(self, change: Change, domain_id: str) -> str | None:
        """A domain's winner with the change applied: rule by rule from its outcome where that is exact,
        else scored anew (which keeps it here too)."""
        key = (*self._change_key(change), domain_id)
        if key not in self._winners:
            domain, outcome = self.kb.domains[domain_id], self._outcome(domain_id)
            lever = levers(domain, self.kb)
            if self._scored_anew(change, domain, lever, unmet=bool(outcome.unmet)):
                self._rescore(change, self._baseline(domain_id))
            else:
                flip = self._flip(change, self._baseline(domain_id), lever, exact=True)
                stays = outcome.winner.option.id if outcome.winner else None
                self._winners[key] = flip.winner if flip is not None else stays
        return self._winners[key]

    def _outcome(self, domain_id: str) -> DomainOutcome:
        """The domain's outcome for the profile (scored here when the search was not given it)."""
        if domain_id not in self.outcomes:
            domain = self.kb.domains[domain_id]
            host = self._host(None) if domain_id != "instance_family" else None
            self.outcomes[domain_id] = score_domain(domain, self.facts, self.kb, host)
        return self.outcomes[domain_id]

    def _baseline(self, domain_id: str) -> _Baseline:
        if domain_id not in self._baselines:
            outcome = self._outcome(domain_id)
            lever = levers(outcome.domain, self.kb)
            self._baselines[domain_id] = _Baseline(outcome, lever, self.facts, self.weights, self.kb)
        return self._baselines[domain_id]

    def _decision_fields(self, domain: Domain) -> frozenset[str]:
        """The fields whose changes may move an earlier winner the domain's rules read."""
        fields = self._decision_fields_of.get(domain.id)
        if fields is None:
            fields = self._decision_fields_of[domain.id] = frozenset(
                path
                for earlier in decisions_read(domain)
                for path in changeable_fields(levers(self.kb.domains[earlier], self.kb))
            )
        return fields

    def _moves_decision(self, change: Change, domain: Domain) -> bool:
        """Whether the change moves an earlier winner the domain's rules read (then it is scored anew)."""
        if change.field not in self._decision_fields(domain):
            return False
        winners = self._earlier_winners(change, domain)
        return any(self.facts.get(f"decision.{d}") != w for d, w in winners.items())

    def _change_key(self, change: Change) -> tuple[str, str]:
        """What identifies a change's effect. Regions act only through the sizes they offer (no rule reads
        the Region, and prices are one Region's): Regions that offer the same cheapest fitting size of every
        family give the same answer, so they share one key."""
        if change.field != "region" or "instance_family" not in self.kb.domains:
            return change.field, repr(change.value)
        family = self.kb.domains["instance_family"]
        sizes = cost.family_sizes(family.options, self.changed_facts(change)[0], family.cache)
        return change.field, repr(tuple(size.name if size else None for size in sizes))

    def _try(self, change: Change, baseline: _Baseline, lever: Levers) -> TippingPoint | None:
        key = (baseline.domain.id, *self._change_key(change))
        if key in self._flips:
            flip = self._flips[key]
        elif self._scored_anew(change, baseline.domain, lever):
            flip = self._flips[key] = self._rescore(change, baseline)
        else:
            flip = self._flips[key] = self._flip(change, baseline, lever, exact=True)
        if flip is None:
            return None
        current = self.facts.get(change.field)
        return TippingPoint(change, current, flip.winner, flip.margin, tuple(sorted(flip.excluded)))

    def _flip(self, change: Change, baseline: _Baseline, lever: Levers, exact: bool) -> _Flip | None:
        update, facts = self._update(change, baseline)
        if not update.rules:
            return None
        flip = baseline.flip(update, facts, exact)
        if flip is _ALL_EXCLUDED:
            return self._rescore(change, baseline) if exact else flip
        return flip

    def _update(
        self, change: Change, baseline: _Baseline, moved: Mapping[str, str | None] | None = None
    ) -> tuple[_Update, Mapping[str, Any]]:
        """The rules the change touches, and the facts to evaluate them on (the profile's own when none is
        evaluated again); `moved`: earlier winners (decision.<domain> facts) the change moves."""
        # The changed facts are worked out only when a rule must be evaluated on them, or when the
        # change moves derived facts.
        lever = baseline.lever
        facts: Mapping[str, Any] | None = None
        changed: Iterable[str] = (change.field,)
        if change.field in AFFECTS or moved:
            facts, changed = self.changed_facts(change)
            if moved:
                facts = dict(facts)
                for fact, decided in moved.items():
                    if decided is not None:
                        facts[fact] = decided
                    else:
                        facts.pop(fact, None)
                changed = (*changed, *moved)
        toggled: set[int] = set()  # rules that now hold where they did not, or the reverse
        reread: set[int] = set()  # other rules reading a changed fact: evaluated again
        for fact in changed:
            table = lever.truth.get(fact)
            after = _table_key(facts.get(fact, _ABSENT) if facts is not None else change.value)
            if table is not None and after in table:
                toggled |= baseline.holding(fact) ^ table[after]
                reread.update(lever.untabled[fact])
            else:
                reread.update(lever.readers.get(fact, ()))
        reweighed: frozenset[int] = _NONE
        weights = self.weights
        if change.field.startswith("priorities."):
            priority = change.field.split(".", 1)[1]
            reweighed = lever.priority_readers.get(priority, _NONE)
            weights = {**weights, priority: self.kb.priority_weights[change.value]}
        if facts is None:
            facts = _Overlay(self.facts, change.field, _as_fact(change.value)) if reread else self.facts
        rules = reweighed.union(toggled, reread)
        return _Update(rules, frozenset(toggled), frozenset(reread), reweighed, weights), facts

    def changed_facts(self, change: Change) -> tuple[Mapping[str, Any], frozenset[str]]:
        """The completed facts of the profile with `change` applied, and which facts differ."""
        key = (change.field, repr(change.value))
        if key not in self._changed:
            facts = dict(self.facts)
            facts[change.field] = _as_fact(change.value)
            affected = AFFECTS.get(change.field, ())
            if affected:
                facts = self._derive(change, facts)
            diff = frozenset(
                k for k in (change.field, *affected) if facts.get(k, _ABSENT) != self.facts.get(k, _ABSENT)
            )
            self._changed[key] = (facts, diff)
        return self._changed[key]

    def _derive(self, change: Change, facts: dict[str, Any]) -> dict[str, Any]:
        """Derive again the facts that follow from the changed field, as build_profile and complete_facts
        do (a test checks every candidate change against a profile rebuilt from the changed document)."""
        if change.field.startswith("network.source.") or change.field == "network.vpc_count":
            derive_network(self._changed_section(change), facts, [])
        elif change.field.startswith("workload."):  # the memory given, then sized for a data set
            memory = facts["workload.memory_gib"] = self.profile.facts["workload.memory_gib"]
            if change.field == "workload.memory_gib":
                memory = facts["workload.memory_gib"] = change.value
            facts["workload.memory_per_vcpu"] = memory_per_vcpu(memory, facts["workload.vcpus"])
            size_memory(facts, self.kb)
        else:
            facts = self._rebuilt(change)
        return facts

    def _changed_section(self, change: Change) -> dict[str, Any]:
        """The changed field's section of the profile's data, with the change applied (the mappings on the
        way to the field are copied; the rest is shared, and only read)."""
        section, *path = change.field.split(".")
        data = dict(self.profile.data[section])
        if section == "network" and any(
            a["field"] == "network.vpc_count" and str(a["reason"]).startswith("default")
            for a in self.profile.assumptions
        ):
            data.pop("vpc_count", None)  # it was derived from the labels: derive it again
        node = data
        for name in path[:-1]:
            node[name] = node = dict(node.get(name) or {})
        node[path[-1]] = change.value
        return data

    def _rebuilt(self, change: Change) -> dict[str, Any]:
        """The facts of the profile with the change applied, derived again from scratch."""
        data = dict(self.profile.data)
        data[change.field.split(".")[0]] = self._changed_section(change)
        facts, _ = complete_facts(build_profile(data, data), self.kb)
        return facts


class _Overlay(Mapping[str, Any]):
    """The profile's facts with one field changed, without copying them (for a change that moves no
    derived fact: the rules read it through this)."""

    __slots__ = ("facts", "field", "value")

    def __init__(self, facts: Mapping[str, Any], field: str, value: Any):
        self.facts, self.field, self.value = facts, field, value

    def get(self, fact: str, default: Any = None) -> Any:
        return self.value if fact == self.field else self.facts.get(fact, default)

    def __getitem__(self, fact: str) -> Any:
        return self.value if fact == self.field else self.facts[fact]

    def __contains__(self, fact: object) -> bool:
        return fact == self.field or fact in self.facts

    def __iter__(self) -> Iterator[str]:
        yield from self.facts
        if self.field not in self.facts:
            yield self.field

    def __len__(self) -> int:
        return len(self.facts) + (self.field not in self.facts)


def _as_fact(value: Any) -> Any:
    """A profile value as a fact: lists are tuples."""
    return tuple(value) if isinstance(value, list) else value


def _strength(point: TippingPoint) -> float:
    return float("inf") if point.margin is None else point.margin


_ABSENT = object()
_NO_ATTRIBUTES: Mapping[str, Any] = {}
_NONE: frozenset[int] = frozenset()
_OUT = float("-inf")  # the estimated score of an excluded option
_LOWEST = math.nextafter(_OUT, 0.0)  # any score of an option that is not excluded
# Estimates add the engine's hundredths in another order, so they may differ from its totals in the last
# bits; options within this of the winner or the second best are ranked by their rounded estimates.
_TOLERANCE = 0.05


class _Update(NamedTuple):
    """The rules a change touches: `toggled` ones now hold where they did not (or the reverse), `reread`
    ones must be evaluated again, `reweighed` ones apply as before with the new `weights`."""

    rules: frozenset[int]  # all of them
    toggled: frozenset[int]
    reread: frozenset[int]
    reweighed: frozenset[int]
    weights: Mapping[str, float]  # priority -> weight, after the change


@dataclass(frozen=True)
class _Flip:
    winner: str
    margin: float | None
    excluded: frozenset[str]


_ALL_EXCLUDED = _Flip("", None, frozenset())  # what an incremental estimate says when no option is left


class _Scored(NamedTuple):
    """A domain scored under a change: its winner (None: no option left), the winner's lead over the
    runner-up, the options excluded, and the winner's suggested size (instance families: EC2 hosts)."""

    winner: str | None
    margin: float | None
    excluded: frozenset[str]
    size: Any


class _Baseline:
    """The engine's outcome as per-rule contributions, so that a change re-evaluates only the rules it
    touches. Scores are first estimated from the totals; the options that could rank first or second are
    then ranked by their estimates rounded to the hundredth and bounded: every term is a hundredth, so
    that is score_domain's total, and the winner and the margin are the engine's own (tests check this
    against recommend). What a change does not ask for (the options a rule applies to) is worked out
    when first needed."""

    def __init__(
        self, outcome: DomainOutcome, lever: Levers, facts: Mapping[str, Any], weights: Mapping[str, float],
        kb: KnowledgeBase,
    ):  # fmt: skip
        self.domain, self.lever, self.facts, self.weights = outcome.domain, lever, facts, weights
        self.lowest_weight = min(kb.priority_weights.values())
        self.highest_weight = max(kb.priority_weights.values())
        self.low, self.high = kb.score_bounds
        position = lever.position
        self.winner = position[outcome.winner.option.id] if outcome.winner else None
        self.order = [position[item.option.id] for item in outcome.ranked]
        self.fired = outcome.fired
        # Unbounded scores by position, and the same with excluded options at minus infinity.
        self.raw = [0.0] * len(lever.option_ids)
        for item in outcome.ranked:
            self.raw[position[item.option.id]] = item.score - item.bound
        self.exclusions: dict[int, int] = {}  # excluded option -> how many rules exclude it
        for item in outcome.excluded:
            self.raw[position[item.option.id]] = self.domain.base + sum(impact for _, impact in item.impacts)
            self.exclusions[position[item.option.id]] = len(item.exclusions)
        self.excluded = frozenset(self.exclusions)
        self.ranked = frozenset(self.order)
        self.ranked_raw = [_OUT if n in self.exclusions else raw for n, raw in enumerate(self.raw)]
        # The engine's tie-break before the id: (price, vCPUs) of each option's suggested size (instance
        # families; sizes only move with the inputs that are scored from scratch).
        self.tiebreak = [(0.0, 0)] * len(lever.option_ids)
        for item in (*outcome.ranked, *outcome.excluded):
            self.tiebreak[position[item.option.id]] = (item.price, item.size.vcpus if item.size else 0)
        # What each rule adds to every option it applies to, under the profile's own priorities.
        self.rule_impact = [
            round(score * weights[tag], 2)
            for score, tag in zip(lever.rule_scores, lever.rule_tags, strict=True)
        ]
        self.best_other = max((self.raw[n] for n in self.order[1:]), default=_OUT)  # unbounded
        self._hits: dict[int, frozenset[int]] = {}
        self._holding: dict[str, frozenset[int]] = {}
        # The outcome's options by position, with their suggested sizes (for exact).
        self.items: list[ScoredOption] = [None] * len(lever.option_ids)  # type: ignore[list-item]
        for item in (*outcome.ranked, *outcome.excluded):
            self.items[position[item.option.id]] = item
        self.sizes = [item.size for item in self.items]
        self._cond_raw: list[float] | None = None
        self._cond_excl: list[int] | None = None

    def score(self, option: int) -> float:
        """Bounded score, also of an excluded option (had it not been)."""
        return min(max(self.raw[option], self.low), self.high)

    def holding(self, fact: str) -> frozenset[int]:
        """Those of the rules reading `fact` alone that hold in the engine's outcome."""
        if fact not in self._holding:
            fired, rules = self.fired, self.domain.rules
            self._holding[fact] = frozenset(i for i in self.lever.tabled[fact] if rules[i].id in fired)
        return self._holding[fact]

    def hits(self, i: int) -> frozenset[int]:
        """The options rule `i` applies to in the engine's outcome."""
        if i not in self._hits:
            rule = self.domain.rules[i]
            if rule.id not in self.fired:
                self._hits[i] = _NONE
            elif not rule.condition.uses_option:
                self._hits[i] = self.lever.targets[i]
            else:
                self._hits[i] = self.evaluate(i, self.facts)
        return self._hits[i]

    def evaluate(self, i: int, facts: Mapping[str, Any]) -> frozenset[int]:
        """The options rule `i` applies to under `facts` (as score_domain decides it)."""
        ladder = self.lever.ladders[i]
        if ladder is not None:
            return ladder.hits(facts)
        condition = self.domain.rules[i].condition
        if condition.uses_option:
            evaluate = condition.evaluate
            return _NONE.union(
                *(group for attributes, group in self.lever.groups[i] if evaluate(facts, attributes))
            )
        return self.lever.targets[i] if condition.evaluate(facts, _NO_ATTRIBUTES) else _NONE

    def reachable(self, path: str, priced: bool = False, decided: tuple[str, ...] = ()) -> bool:
        """Whether a change of the field could change the winner at all: its exclusion rules may rule out
        the winner, or its rules may move some rival (ranked, or let back in) far enough. priced: the
        change may move the price rules' terms (not the suggested sizes): they are then taken out of every
        score, and the winner's counted at the lowest they can reach (every term is between the rule's
        limit at its weight and 0). decided: earlier winners (decision.<domain> facts) the change may move,
        whose readers move too."""
        excludes = self.lever.excludes.get(path, _NONE).union(
            *(self.lever.excludes.get(fact, _NONE) for fact in decided)
        )
        if self.winner is None or self.winner in excludes:
            return True
        raw, best_other, floor = self.raw, self.best_other, 0.0
        if priced:
            if self._cond_raw is None:
                self._split_computed()
            assert self._cond_raw is not None
            raw = self._cond_raw
            best_other = max((raw[n] for n in self.order[1:]), default=_OUT)
            floor = self._price_floor(path)
        rival = max((raw[n] for n in excludes.intersection(self.exclusions)), default=best_other)
        rival = max(rival, best_other)
        if rival == _OUT:
            return False
        winner = min(max(raw[self.winner] + floor, self.low), self.high)
        swing = self._swing(path) + sum(self._readers_swing(fact, path) for fact in decided)
        return winner <= min(max(rival, self.low), self.high) + swing + _TOLERANCE

    def _readers_swing(self, fact: str, path: str) -> float:
        """The most the rules reading `fact` can lower the winner's score plus raise a rival's when a change
        of the field moves the fact: their impacts at the profile's weights, at the highest weight when the
        field is a priority (within half a hundredth of rounding each)."""
        by_tag, slack = self.lever.spread.get(fact, ((), 0.0))
        if path.startswith("priorities."):
            return sum(total for _, total in by_tag) * max(self.highest_weight, 1.0) + slack
        return sum(self.weights[tag] * total for tag, total in by_tag) + slack

    def _price_floor(self, path: str) -> float:
        """The lowest the price rules can take an option's score under a change of the field (within a
        hundredth of rounding): each rule's limit at its weight, the highest weight for its own priority."""
        floor = 0.0
        for rule in self.domain.computed_rules:
            if rule.computes == "relative_price":
                priority = f"priorities.{rule.priority}"
                weight = self.highest_weight if path == priority else self.weights[rule.priority]
                floor += rule.limit * weight - 0.01
        return floor

    def _swing(self, path: str) -> float:
        """The most a change of the field can lower the winner's score plus raise a rival's: each moved
        rule's impact at the profile's weights (within half a hundredth of rounding). A rule moves both
        only if it compares facts with option attributes (it may then apply to one and no longer to the
        other). A priority moves its rules' impacts by at most their score times the change of weight,
        plus a hundredth of rounding; a rule reading the priority itself counts at any weight."""
        by_tag, slack = self.lever.spread.get(path, ((), 0.0))
        if path.startswith("priorities."):
            priority = path.split(".", 1)[1]
            weight = self.weights[priority]
            span = max(weight - self.lowest_weight, self.highest_weight - weight)
            reweighed = len(self.lever.priority_readers.get(priority, _NONE))
            reading = sum(total for _, total in by_tag) * max(self.highest_weight, 1.0)
            return self.lever.weighed.get(priority, 0.0) * span + 0.01 * reweighed + reading + slack
        return sum(self.weights[tag] * total for tag, total in by_tag) + slack

    def flip(self, update: _Update, facts: Mapping[str, Any], exact: bool) -> _Flip | None:
        """The new winner once `update` is made under `facts`, or None if the winner stays.

        With exact=False this only says whether a flip is plausible (the winner may then be a guess)."""
        rules, targets, rule_impact, known = (
            self.domain.rules,
            self.lever.targets,
            self.rule_impact,
            self._hits,
        )
        # Estimated unbounded scores after the change; excluded options stay at _OUT (one let back in is
        # estimated on its own).
        scores, alive = self.ranked_raw.copy(), self.ranked
        changed: dict[int, tuple[float, frozenset[int]]] = {}  # rule -> new impact and options it applies to
        exclusions: list[tuple[frozenset[int], frozenset[int]]] = []  # exclusion rules that change
        for i in update.rules:
            before = known[i] if i in known else self.hits(i)
            if i in update.toggled:
                hits = _NONE if before else targets[i]
            elif i in update.reread:
                hits = self.evaluate(i, facts)
            else:
                hits = before
            rule = rules[i]
            if rule.exclude:
                if hits != before:
                    exclusions.append((before, hits))
                continue
            old = rule_impact[i]
            impact = round(rule.score * update.weights[rule.priority], 2) if i in update.reweighed else old
            if impact == old:
                if not impact or hits == before:
                    continue
                lost, gained = (before - hits) & alive, (hits - before) & alive
            elif hits is before:  # only the weight moved
                changed[i] = (impact, hits)
                for n in hits & alive:
                    scores[n] += impact - old
                continue
            else:
                lost, gained = before & alive, hits & alive
            changed[i] = (impact, hits)
            for n in lost:
                scores[n] -= old
            for n in gained:
                scores[n] += impact
        now_excluded = self._exclusions_moved(exclusions, scores, changed) if exclusions else _NONE
        low, high = self.low, self.high
        if self.winner is not None and scores[self.winner] > _OUT:
            top = scores[self.winner]
            scores[self.winner] = _OUT
            others = max(scores)
            scores[self.winner] = top
            if min(max(top, low), high) - _TOLERANCE > min(max(others, low), high):
                return None  # (an option with no rival stays, too)
        first = max(scores)
        if first == _OUT:
            return _ALL_EXCLUDED  # the engine then ranks again what unmet requirements alone ruled out
        leader = scores.index(first)
        scores[leader] = _OUT
        second = max(scores)
        scores[leader] = first
        excluded = frozenset(self.lever.option_ids[n] for n in now_excluded) if now_excluded else frozenset()
        if not exact:
            return _Flip(self.lever.option_ids[leader], None, excluded)
        # Options within the tolerance of the second best estimate are ranked. (Above the lower bound, a
        # bounded score reaches the floor exactly when the unbounded one does.)
        floor = min(max(second if second > _OUT else first, low), high) - _TOLERANCE
        floor = floor if floor > low else _LOWEST
        ids = self.lever.option_ids
        # Scores are sums of hundredths (the knowledge base checks base scores): rounded, an estimate is
        # the engine's total whatever the order of its terms.
        ties = self.tiebreak
        ranked = sorted(
            (-min(max(round(s, 2), low), high), *ties[n], ids[n]) for n, s in enumerate(scores) if s >= floor
        )
        if self.winner is not None and ranked[0][-1] == ids[self.winner]:
            return None
        margin = round(ranked[1][0] - ranked[0][0], 2) if len(ranked) > 1 else None
        return _Flip(ranked[0][-1], margin, excluded)

    def exact(
        self, update: _Update, facts: Mapping[str, Any], kb: KnowledgeBase, host: Any
    ) -> _Scored | None:
        """The domain scored under the change exactly, every option totalled, with its computed rules
        (suggested sizes, the exclusion of families without one, price impacts relative to the cheapest
        ranked option) worked out again on `facts` as score_domain does; only the condition rules in
        `update` are evaluated again. None where score_domain must decide (options ranked again because
        none is left, or a policy's required choices)."""
        domain = self.domain
        if domain.required:
            return None
        if self._cond_raw is None:
            self._split_computed()
        assert self._cond_raw is not None and self._cond_excl is not None
        raw, excl = self._cond_raw.copy(), self._cond_excl.copy()
        rules, targets, known = domain.rules, self.lever.targets, self._hits
        excluding: dict[int, frozenset[int]] = {}  # exclusion rules that change -> the options they exclude
        for i in update.rules:
            before = known[i] if i in known else self.hits(i)
            if i in update.toggled:
                hits = _NONE if before else targets[i]
            elif i in update.reread:
                hits = self.evaluate(i, facts)
            else:
                hits = before
            rule = rules[i]
            if rule.exclude:
                if hits != before:
                    excluding[i] = hits
                    for n in before - hits:
                        excl[n] -= 1
                    for n in hits - before:
                        excl[n] += 1
                continue
            old = self.rule_impact[i]
            impact = round(rule.score * update.weights[rule.priority], 2) if i in update.reweighed else old
            if impact == old and hits == before:
                continue
            for n in before:
                raw[n] -= old
            for n in hits:
                raw[n] += impact
        sizes = self.sizes
        if domain.id == "instance_family":
            sizes = cost.family_sizes(domain.options, facts, domain.cache)
        alive = [n for n, count in enumerate(excl) if not count]
        for rule in domain.computed_rules:
            if rule.computes == "size_in_region":
                alive = [n for n in alive if sizes[n] is not None]
            else:
                self._price(rule, alive, sizes, raw, facts, update.weights[rule.priority], kb, host)
        low, high = self.low, self.high
        options, ids = domain.options, self.lever.option_ids
        if not alive:
            return self._revive(raw, excluding, sizes)
        # Only the options within the tolerance of the second best unbounded score can rank first or
        # second (as in flip); they are ranked as score_domain ranks them, by their rounded totals.
        second = sorted([raw[n] for n in alive], reverse=True)[:2][-1]
        floor = min(max(second, low), high) - _TOLERANCE
        floor = floor if floor > low else _LOWEST
        ranked = []
        for n in alive:
            if raw[n] < floor:
                continue
            size = sizes[n]
            if size is None:
                price = math.inf if options[n].sizes else 0.0
            else:
                price = size.usd_per_hour if size.usd_per_hour is not None else math.inf
            score = min(max(round(raw[n], 2), low), high)
            ranked.append((-score, price, size.vcpus if size else 0, ids[n], n))
        ranked.sort()
        margin = round(ranked[1][0] - ranked[0][0], 2) if len(ranked) > 1 else None
        living = set(alive)
        excluded = frozenset(ids[n] for n in range(len(ids)) if n not in living and n not in self.excluded)
        return _Scored(ranked[0][3], margin, excluded, sizes[ranked[0][4]])

    def _revive(self, raw: list[float], excluding: Mapping[int, frozenset[int]], sizes: list[Any]) -> _Scored:
        """No option is left: the options that only unmet requirements ruled out, those that miss the
        fewest, ranked again as score_domain does (engine._revive)."""
        rules, ids = self.domain.rules, self.lever.option_ids
        unsized = next((r for r in self.domain.computed_rules if r.computes == "size_in_region"), None)
        exclusions: list[list[Rule]] = [[] for _ in ids]
        for i, rule in enumerate(rules):
            if rule.exclude:
                for n in excluding[i] if i in excluding else self.hits(i):
                    exclusions[n].append(rule)
        for n, size in enumerate(sizes):
            if not exclusions[n] and size is None and unsized is not None:
                exclusions[n].append(unsized)
        candidates = [n for n in range(len(ids)) if all(rule.unmet for rule in exclusions[n])]
        if not candidates:
            return _Scored(
                None, None, frozenset(ids[n] for n in range(len(ids)) if n not in self.excluded), None
            )
        fewest = min(len(exclusions[n]) for n in candidates)
        low, high, options = self.low, self.high, self.domain.options
        closest = []
        for n in candidates:
            if len(exclusions[n]) == fewest:
                size = sizes[n]
                if size is None:
                    price = math.inf if options[n].sizes else 0.0
                else:
                    price = size.usd_per_hour if size.usd_per_hour is not None else math.inf
                score = min(max(round(raw[n], 2), low), high)
                closest.append((-score, price, size.vcpus if size else 0, ids[n], n))
        closest.sort()
        missed = {rule.id for rule in exclusions[closest[0][4]]}
        ranked = [key for key in closest if {rule.id for rule in exclusions[key[4]]} == missed]
        margin = round(ranked[1][0] - ranked[0][0], 2) if len(ranked) > 1 else None
        living = {key[4] for key in ranked}
        excluded = frozenset(ids[n] for n in range(len(ids)) if n not in living and n not in self.excluded)
        return _Scored(ranked[0][3], margin, excluded, sizes[ranked[0][4]])

    def _split_computed(self) -> None:
        """The outcome's scores without the computed rules' terms, and its exclusions by condition rules
        (what the computed rules are worked out again on)."""
        raw, excl = [0.0] * len(self.items), [0] * len(self.items)
        base = self.domain.base
        for n, item in enumerate(self.items):
            raw[n] = base + sum(impact for rule, impact in item.impacts if rule.computes is None)
            excl[n] = sum(1 for rule in item.exclusions if rule.computes is None)
        self._cond_raw, self._cond_excl = raw, excl

    def _price(
        self, rule: Rule, alive: list[int], sizes: list[Any], raw: list[float], facts: Mapping[str, Any],
        weight: float, kb: KnowledgeBase, host: Any,
    ) -> None:  # fmt: skip
        """Add a relative_price rule's impacts to `raw` as score_domain weighs them (engine._weigh_prices,
        with the same shared cache of weighed estimates)."""
        assert kb.prices is not None
        domain, items = self.domain, self.items
        estimates: list[tuple[ScoredOption, float, str]] = []
        positions: list[int] = []
        if domain.id == "instance_family":
            if facts["workload.os"] != "linux":
                return
            hours = facts["workload.count"] * kb.prices.hours_per_month
            for n in alive:
                size = sizes[n]
                if size and size.usd_per_hour:
                    estimates.append((items[n], size.usd_per_hour * hours, size.name))
                    positions.append(n)
        else:
            table = cost.estimate_table(domain.id, facts, kb, host)
            for n in alive:
                found = cost.estimate(domain.id, items[n].option.id, facts, kb, host, table)
                if found and found["monthly_usd"]:
                    estimates.append((items[n], found["monthly_usd"], items[n].option.name))
                    positions.append(n)
        if not estimates:
            return
        _, cheapest, cheapest_name = min(estimates, key=lambda e: (e[1], e[0].option.id))
        key = (rule.id, weight, *[(name, monthly) for _, monthly, name in estimates])
        weighed = cost.memo(
            domain.cache, key, price_impacts, rule, estimates, cheapest_name, cheapest, weight
        )
        for n, (impact, _) in zip(positions, weighed, strict=True):
            raw[n] += impact

    def _exclusions_moved(
        self,
        exclusions: list[tuple[frozenset[int], frozenset[int]]],
        scores: list[float],
        changed: Mapping[int, tuple[float, frozenset[int]]],
    ) -> frozenset[int]:
        """Apply the exclusion rules that change (options they exclude before, and after) to the
        estimates; returns the options newly excluded."""
        newly: frozenset[int] = _NONE.union(*(hits - before for before, hits in exclusions))
        now_excluded = newly.difference(self.excluded)
        for n in now_excluded:
            scores[n] = _OUT
        lost = [before - hits for before, hits in exclusions]
        for n in _NONE.union(*lost).difference(newly):
            if self.exclusions[n] == sum(n in options for options in lost):  # no longer excluded
                scores[n] = self.raw[n] + self._change(n, changed)
        return now_excluded

    def _change(self, option: int, changed: Mapping[int, tuple[float, frozenset[int]]]) -> float:
        """How much the changed rules move the option's unbounded score."""
        move = 0.0
        for i, (impact, hits) in changed.items():
            move += (impact if option in hits else 0.0) - (
                self.rule_impact[i] if option in self.hits(i) else 0.0
            )
        return move


def rule_hits(rule: Rule, facts: Mapping[str, Any], attributes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The options a rule applies to under `facts`, in the rule's order (as score_domain decides it)."""
    if rule.condition.uses_option:
        return [option_id for option_id in rule.targets if rule.condition(facts, attributes[option_id])]
    return list(rule.targets) if rule.condition(facts) else []
