"""Tipping points: the smallest single changes to a profile that would make a different option win.

The candidate changes of each domain come from the knowledge base (recommender.explain.levers): priorities
moved level by level, choice and boolean fields set to another value, list members added or removed,
numeric fields moved across the thresholds the rules compare them with. A field the rules read only
through a derived fact counts too: the facts it derives are derived again the way build_profile and
complete_facts do (tests compare them with the changed document loaded from scratch).

The search (Search) gives the answer of applying every candidate change and recommending from scratch (a
test and bench/brute_tipping.py compare the two), doing much less: a field whose rules cannot move the
winner and its best rival far enough is skipped; rules that read one yes/no, choice, list or numeric field
are looked up in tables built per knowledge base; only the rules a change touches are evaluated again, the
other contributions are reused from the engine's outcome, and the computed rules (suggested sizes, prices)
are worked out again with the engine's own functions (recommender.explain.scorer); only options that may
come first or second are totalled the way the engine totals scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from recommender import cost
from recommender.cost import ESTIMATE_INPUTS
from recommender.engine import (
    DomainOutcome,
    complete_facts,
    ec2_host,
    priority_weights,
    score_domain,
    size_memory,
)
from recommender.explain.levers import (
    ABSENT,
    AFFECTS,
    NONE,
    Change,
    Levers,
    candidate_changes,
    changeable_fields,
    decisions_read,
    field_changes,
    levers,
    table_key,
)
from recommender.explain.scorer import ALL_EXCLUDED, Baseline, Flip, Overlay, Scored, Update
from recommender.knowledge import Domain, KnowledgeBase
from recommender.profile import Profile, build_profile, memory_per_vcpu
from recommender.profile import derive_network_facts as derive_network

MAX_PER_DOMAIN = 5
# What the computed instance-family rules (cheapest size in the Region, price relative to the cheapest
# option) read besides their priority and the memory headroom of a data set (Search._moves_computed). A
# change of one of these (or of the data set) is always tried exactly: the suggested sizes it moves may
# exclude or let back in any family.
COMPUTED_INPUTS = frozenset({
    "workload.vcpus", "workload.memory_gib", "workload.gpus", "workload.gpu_memory_gib", "workload.free_tier",
    "workload.count", "region",
})  # fmt: skip


@dataclass(frozen=True)
class TippingPoint:
    change: Change
    current: Any
    winner: str
    margin: float | None  # lead of the new winner over the runner-up; None when it is the only one left
    excluded: tuple[str, ...]  # options the change newly excludes


class Search:
    """Tipping points of every domain of one recommendation; changed facts are shared between domains."""

    def __init__(
        self, profile: Profile, facts: Mapping[str, Any], kb: KnowledgeBase,
        outcomes: Mapping[str, DomainOutcome] | None = None,
    ):  # fmt: skip
        self.profile, self.facts, self.kb = profile, facts, kb
        self.outcomes = dict(outcomes or {})  # earlier winners are worked out rule by rule from these
        self._baselines: dict[str, Baseline] = {}
        self.weights = priority_weights(facts, kb)
        self._changed: dict[tuple[str, str], tuple[Mapping[str, Any], frozenset[str]]] = {}
        # per change: the instance family's suggested type (EC2 prices) and earlier domains' winners
        self._hosts: dict[tuple[str, str], Any] = {}
        self._flips: dict[tuple[str, str, str], Flip | None] = {}  # per domain and change key
        self._scored: dict[tuple[str, str, str], Scored] = {}  # per change key and domain
        self.domains = frozenset(profile.domains)
        self._family_fields: frozenset[str] | None = None  # the instance family's changeable fields
        self._decision_fields_of: dict[str, frozenset[str]] = {}
        self._winners: dict[tuple[str, str, str], str | None] = {}
        self._unmet = False

    def tipping_points(self, outcome: DomainOutcome) -> list[TippingPoint]:
        lever = levers(outcome.domain, self.kb)
        baseline = Baseline(outcome, lever, self.facts, self.weights, self.kb)
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

    def _plausible_sides(self, changes: list[Change], baseline: Baseline, lever: Levers) -> list[Change]:
        """A priority only scales the weight of its rules, so every score is linear in that weight and a
        level between the current one and an extreme cannot flip the winner unless the extreme can."""
        current = self.facts[changes[0].field]
        kept: list[Change] = []
        for side in ([c for c in changes if c.value > current], [c for c in changes if c.value < current]):
            if side and self._may_flip(max(side, key=lambda c: c.step), baseline, lever):
                kept += side
        return kept

    def _may_flip(self, change: Change, baseline: Baseline, lever: Levers) -> bool:
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

    def _rescore(self, change: Change, baseline: Baseline) -> Flip | None:
        scored = self._score_under(change, baseline.domain.id)
        ids = baseline.lever.option_ids
        if scored.winner is None or (baseline.winner is not None and scored.winner == ids[baseline.winner]):
            return None
        return Flip(scored.winner, scored.margin, scored.excluded)

    def _score_under(self, change: Change, domain_id: str) -> Scored:
        """The domain scored exactly with the change applied, once per change (a later domain reading its
        winner, and the EC2 prices of the launch type, share it): every option totalled from the outcome's
        rule contributions, with the rules the change touches and the computed rules worked out again
        (Baseline.exact), or score_domain where that cannot say."""
        key = (*self._change_key(change), domain_id)
        if key not in self._scored:
            baseline = self._baseline(domain_id)
            domain = baseline.domain
            host = self._host(change) if domain.computed_rules and domain_id != "instance_family" else None
            winners = self._earlier_winners(change, domain)  # the earlier winners it reads, decided again
            moved = {f"decision.{e}": w for e, w in winners.items() if self.facts.get(f"decision.{e}") != w}
            update, facts = self._update(change, baseline, moved)
            if facts is self.facts:
                facts = Overlay(self.facts, change.field, _as_fact(change.value))
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
                scored = Scored(
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

    def _baseline(self, domain_id: str) -> Baseline:
        if domain_id not in self._baselines:
            outcome = self._outcome(domain_id)
            lever = levers(outcome.domain, self.kb)
            self._baselines[domain_id] = Baseline(outcome, lever, self.facts, self.weights, self.kb)
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

    def _try(self, change: Change, baseline: Baseline, lever: Levers) -> TippingPoint | None:
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

    def _flip(self, change: Change, baseline: Baseline, lever: Levers, exact: bool) -> Flip | None:
        update, facts = self._update(change, baseline)
        if not update.rules:
            return None
        flip = baseline.flip(update, facts, exact)
        if flip is ALL_EXCLUDED:
            return self._rescore(change, baseline) if exact else flip
        return flip

    def _update(
        self, change: Change, baseline: Baseline, moved: Mapping[str, str | None] | None = None
    ) -> tuple[Update, Mapping[str, Any]]:
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
            after = table_key(facts.get(fact, ABSENT) if facts is not None else change.value)
            if table is not None and after in table:
                toggled |= baseline.holding(fact) ^ table[after]
                reread.update(lever.untabled[fact])
            else:
                reread.update(lever.readers.get(fact, ()))
        reweighed: frozenset[int] = NONE
        weights = self.weights
        if change.field.startswith("priorities."):
            priority = change.field.split(".", 1)[1]
            reweighed = lever.priority_readers.get(priority, NONE)
            weights = {**weights, priority: self.kb.priority_weights[change.value]}
        if facts is None:
            facts = Overlay(self.facts, change.field, _as_fact(change.value)) if reread else self.facts
        rules = reweighed.union(toggled, reread)
        return Update(rules, frozenset(toggled), frozenset(reread), reweighed, weights), facts

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
                k for k in (change.field, *affected) if facts.get(k, ABSENT) != self.facts.get(k, ABSENT)
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


def _as_fact(value: Any) -> Any:
    """A profile value as a fact: lists are tuples."""
    return tuple(value) if isinstance(value, list) else value


def _strength(point: TippingPoint) -> float:
    return float("inf") if point.margin is None else point.margin


__all__ = [
    "MAX_PER_DOMAIN", "Change", "Search", "TippingPoint", "candidate_changes", "changeable_fields", "field_changes",
    "levers",
]  # fmt: skip
