"""Plans: the smallest set of options that together meet every stated requirement (backup).

A requirement is one scope to protect with what the profile asks of it (RPO, retention, WORM copies, a copy in
another Region or account). Options declare what they achieve (`achieves` in the knowledge base); the
candidates are the ranked options and those that only unmet requirements ruled out (exclusion rules with
`unmet`). The plan is the smallest set of candidates that covers every requirement some candidate can meet,
the higher-ranked set among equals; what none can meet goes to `unmet` with the best that can be achieved.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from recommender.knowledge import Achieves, Option

Need = tuple[str, str]  # (scope, requirement field)
# The facts a plan depends on (besides its candidates).
INPUTS = ("backup.scope", "backup.rpo_minutes", "backup.retention_days", "backup.compliance", "backup.cross_region",
          "backup.cross_account", "backup.database_service")  # fmt: skip


def needs(facts: Mapping[str, Any]) -> list[Need]:
    """Every (scope, requirement) the profile states, scopes in the profile's order."""
    asked = ["backup.scope", "backup.rpo_minutes", "backup.retention_days"]
    asked += [f for f in ("backup.compliance", "backup.cross_region", "backup.cross_account") if facts[f]]
    return [(scope, field) for scope in facts["backup.scope"] for field in asked]


def _scope(need: Need, facts: Mapping[str, Any]) -> str:
    if need[0] == "databases" and facts["backup.database_service"] == "self_managed":
        return "whole_server"  # self-managed databases are protected as the servers they run on
    return need[0]


def protects(achieves: Achieves, need: Need, facts: Mapping[str, Any]) -> bool:
    return _scope(need, facts) in achieves.rpo_minutes


def meets(achieves: Achieves, need: Need, facts: Mapping[str, Any]) -> bool:
    scope, field = _scope(need, facts), need[1]
    if scope not in achieves.rpo_minutes:
        return False
    if field == "backup.rpo_minutes":
        return achieves.rpo_minutes[scope] <= facts["backup.rpo_minutes"]
    if field == "backup.retention_days":
        return achieves.retention_days >= facts["backup.retention_days"]
    if field == "backup.compliance":
        return achieves.worm
    if field == "backup.cross_region":
        return achieves.cross_region
    if field == "backup.cross_account":
        return achieves.cross_account
    return True  # backup.scope: protected at all


def plan(
    candidates: Sequence[Option], facts: Mapping[str, Any], required: Sequence[str] = ()
) -> tuple[list[Option], dict[str, list[str]], list[Need]]:
    """(the options of the plan, in rank order; what each covers; the needs no candidate meets).
    `candidates` are in rank order (ranked options first); `required` options (a policy's) are in every plan
    considered."""
    usable = [o for o in candidates if o.achieves is not None]
    wanted = needs(facts)
    covers = {o.id: {n for n in wanted if meets(o.achieves, n, facts)} for o in usable}  # type: ignore[arg-type]
    coverable = set().union(*covers.values()) if covers else set()
    chosen: tuple[Option, ...] = ()
    must = {o.id for o in usable if o.id in required}
    for size in range(max(1, len(must)), len(usable) + 1):
        # combinations() keeps rank order: the first full cover of the smallest size is the higher-ranked one
        chosen = next(
            (combo for combo in itertools.combinations(usable, size)
             if set().union(*(covers[o.id] for o in combo)) >= coverable
             and (not must or must <= {o.id for o in combo})),
            (),
        )  # fmt: skip
        if chosen:
            break
    assigned: dict[str, list[str]] = {}
    for need in wanted:
        owner = next((o for o in chosen if need in covers[o.id]), None)
        if owner is not None:
            label = f"backup.scope:{need[0]}" if need[1] == "backup.scope" else need[1]
            if label not in assigned.setdefault(owner.id, []):
                assigned[owner.id].append(label)
    return list(chosen), assigned, [n for n in wanted if n not in coverable]


def best_achieved(
    candidates: Sequence[Option], need: Need, facts: Mapping[str, Any]
) -> tuple[str, Any] | None:
    """The candidate that comes closest to an unmet need, and what it achieves."""
    scope, field = _scope(need, facts), need[1]
    protecting = [o for o in candidates if o.achieves is not None and scope in o.achieves.rpo_minutes]
    if not protecting:
        return None
    if field == "backup.rpo_minutes":
        best = min(protecting, key=lambda o: o.achieves.rpo_minutes[scope])  # type: ignore[union-attr]
        return best.id, best.achieves.rpo_minutes[scope]  # type: ignore[union-attr]
    if field == "backup.retention_days":
        best = max(protecting, key=lambda o: o.achieves.retention_days)  # type: ignore[union-attr]
        return best.id, best.achieves.retention_days  # type: ignore[union-attr]
    return protecting[0].id, False
