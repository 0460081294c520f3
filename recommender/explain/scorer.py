"""The tipping-point search's incremental scorer: a domain's outcome kept as per-rule contributions
(Baseline), so that a change evaluates again only the rules it touches, and the computed rules (suggested
sizes, prices relative to the cheapest ranked option) are worked out again with the engine's own functions.
Also rule_hits, the options a rule applies to (the full trace lists them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from recommender import cost
from recommender.engine import DomainOutcome, ScoredOption, price_impacts
from recommender.explain.levers import NONE, Levers
from recommender.knowledge import KnowledgeBase, Rule

_NO_ATTRIBUTES: Mapping[str, Any] = {}
_OUT = float("-inf")  # the estimated score of an excluded option
_LOWEST = math.nextafter(_OUT, 0.0)  # any score of an option that is not excluded
# Estimates add the engine's hundredths in another order, so they may differ from its totals in the last
# bits; options within this of the winner or the second best are ranked by their rounded estimates.
_TOLERANCE = 0.05


class Overlay(Mapping[str, Any]):
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


class Update(NamedTuple):
    """The rules a change touches: `toggled` ones now hold where they did not (or the reverse), `reread`
    ones must be evaluated again, `reweighed` ones apply as before with the new `weights`."""

    rules: frozenset[int]  # all of them
    toggled: frozenset[int]
    reread: frozenset[int]
    reweighed: frozenset[int]
    weights: Mapping[str, float]  # priority -> weight, after the change


@dataclass(frozen=True)
class Flip:
    winner: str
    margin: float | None
    excluded: frozenset[str]


ALL_EXCLUDED = Flip("", None, frozenset())  # what an incremental estimate says when no option is left


class Scored(NamedTuple):
    """A domain scored under a change: its winner (None: no option left), the winner's lead over the
    runner-up, the options excluded, and the winner's suggested size (instance families: EC2 hosts)."""

    winner: str | None
    margin: float | None
    excluded: frozenset[str]
    size: Any


class Baseline:
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

    def hits_under(
        self, i: int, update: Update, facts: Mapping[str, Any]
    ) -> tuple[frozenset[int], frozenset[int]]:
        """The options rule `i` applies to in the engine's outcome, and once `update` is made under `facts`."""
        before = self._hits[i] if i in self._hits else self.hits(i)
        if i in update.toggled:
            return before, NONE if before else self.lever.targets[i]
        if i in update.reread:
            return before, self.evaluate(i, facts)
        return before, before

    def hits(self, i: int) -> frozenset[int]:
        """The options rule `i` applies to in the engine's outcome."""
        if i not in self._hits:
            rule = self.domain.rules[i]
            if rule.id not in self.fired:
                self._hits[i] = NONE
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
            return NONE.union(
                *(group for attributes, group in self.lever.groups[i] if evaluate(facts, attributes))
            )
        return self.lever.targets[i] if condition.evaluate(facts, _NO_ATTRIBUTES) else NONE

    def reachable(self, path: str, priced: bool = False, decided: tuple[str, ...] = ()) -> bool:
        """Whether a change of the field could change the winner at all: its exclusion rules may rule out
        the winner, or its rules may move some rival (ranked, or let back in) far enough. priced: the
        change may move the price rules' terms (not the suggested sizes): they are then taken out of every
        score, and the winner's counted at the lowest they can reach (every term is between the rule's
        limit at its weight and 0). decided: earlier winners (decision.<domain> facts) the change may move,
        whose readers move too."""
        excludes = self.lever.excludes.get(path, NONE).union(
            *(self.lever.excludes.get(fact, NONE) for fact in decided)
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
            reweighed = len(self.lever.priority_readers.get(priority, NONE))
            reading = sum(total for _, total in by_tag) * max(self.highest_weight, 1.0)
            return self.lever.weighed.get(priority, 0.0) * span + 0.01 * reweighed + reading + slack
        return sum(self.weights[tag] * total for tag, total in by_tag) + slack

    def flip(self, update: Update, facts: Mapping[str, Any], exact: bool) -> Flip | None:
        """The new winner once `update` is made under `facts`, or None if the winner stays.

        With exact=False this only says whether a flip is plausible (the winner may then be a guess)."""
        rules, rule_impact = self.domain.rules, self.rule_impact
        # Estimated unbounded scores after the change; excluded options stay at _OUT (one let back in is
        # estimated on its own).
        scores, alive = self.ranked_raw.copy(), self.ranked
        changed: dict[int, tuple[float, frozenset[int]]] = {}  # rule -> new impact and options it applies to
        exclusions: list[tuple[frozenset[int], frozenset[int]]] = []  # exclusion rules that change
        for i in update.rules:
            before, hits = self.hits_under(i, update, facts)
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
        now_excluded = self._exclusions_moved(exclusions, scores, changed) if exclusions else NONE
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
            return ALL_EXCLUDED  # the engine then ranks again what unmet requirements alone ruled out
        leader = scores.index(first)
        scores[leader] = _OUT
        second = max(scores)
        scores[leader] = first
        excluded = frozenset(self.lever.option_ids[n] for n in now_excluded) if now_excluded else frozenset()
        if not exact:
            return Flip(self.lever.option_ids[leader], None, excluded)
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
        return Flip(ranked[0][-1], margin, excluded)

    def exact(self, update: Update, facts: Mapping[str, Any], kb: KnowledgeBase, host: Any) -> Scored | None:
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
        rules = domain.rules
        excluding: dict[int, frozenset[int]] = {}  # exclusion rules that change -> the options they exclude
        for i in update.rules:
            before, hits = self.hits_under(i, update, facts)
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
            ranked.append(_rank_key(raw[n], sizes[n], options[n], ids[n], n, low, high))
        ranked.sort()
        margin = round(ranked[1][0] - ranked[0][0], 2) if len(ranked) > 1 else None
        living = set(alive)
        excluded = frozenset(ids[n] for n in range(len(ids)) if n not in living and n not in self.excluded)
        return Scored(ranked[0][3], margin, excluded, sizes[ranked[0][4]])

    def _revive(self, raw: list[float], excluding: Mapping[int, frozenset[int]], sizes: list[Any]) -> Scored:
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
            return Scored(
                None, None, frozenset(ids[n] for n in range(len(ids)) if n not in self.excluded), None
            )
        fewest = min(len(exclusions[n]) for n in candidates)
        low, high, options = self.low, self.high, self.domain.options
        closest = []
        for n in candidates:
            if len(exclusions[n]) == fewest:
                closest.append(_rank_key(raw[n], sizes[n], options[n], ids[n], n, low, high))
        closest.sort()
        missed = {rule.id for rule in exclusions[closest[0][4]]}
        ranked = [key for key in closest if {rule.id for rule in exclusions[key[4]]} == missed]
        margin = round(ranked[1][0] - ranked[0][0], 2) if len(ranked) > 1 else None
        living = {key[4] for key in ranked}
        excluded = frozenset(ids[n] for n in range(len(ids)) if n not in living and n not in self.excluded)
        return Scored(ranked[0][3], margin, excluded, sizes[ranked[0][4]])

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
        newly: frozenset[int] = NONE.union(*(hits - before for before, hits in exclusions))
        now_excluded = newly.difference(self.excluded)
        for n in now_excluded:
            scores[n] = _OUT
        lost = [before - hits for before, hits in exclusions]
        for n in NONE.union(*lost).difference(newly):
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


def _rank_key(
    total: float, size: Any, option: Any, option_id: str, n: int, low: float, high: float
) -> tuple[float, float, int, str, int]:
    """Where option `n` goes in score_domain's order (engine._rank_order) with this unbounded total and size:
    higher score first, then the cheaper, the smaller, the id."""
    if size is None:
        price = math.inf if option.sizes else 0.0
    else:
        price = size.usd_per_hour if size.usd_per_hour is not None else math.inf
    return (-min(max(round(total, 2), low), high), price, size.vcpus if size else 0, option_id, n)
