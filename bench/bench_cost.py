"""What the cost work costs the engine: the same engine and knowledge base with and without prices (the
estimate on every option, the plan's total) and the price rules (INS-091, LCH-030), on the same 200 generated
full profiles, calls alternating so the load of the moment weighs on both alike.

    .venv/bin/python -m bench.bench_cost

Sizing in the profile's Region (the cheapest fitting size of each family, INS-090) is in both: it decides
the suggested type, which the engine had before prices. The figure is the median CPU time per call.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from types import MappingProxyType

from bench.profiles import profiles
from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase, load_knowledge
from recommender.profile import load_profile


def without_cost(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base without prices and without the rules computed from them."""
    domains = {
        d.id: dataclasses.replace(
            d, computed_rules=tuple(r for r in d.computed_rules if r.computes != "relative_price")
        )
        for d in kb.domains.values()
    }
    return dataclasses.replace(kb, prices=None, domains=MappingProxyType(domains))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6000)
    args = parser.parse_args()
    kb = load_knowledge()
    bare = without_cost(kb)
    loaded = [load_profile(d) for d in profiles(200)]
    for profile in loaded:
        recommend(profile, kb)
        recommend(profile, bare)
    samples: dict[str, list[float]] = {"without": [], "with": []}
    for i in range(args.calls):
        profile = loaded[i % len(loaded)]
        for name, base in (("without", bare), ("with", kb)):
            start = time.process_time()
            recommend(profile, base)
            samples[name].append(time.process_time() - start)
    before, after = (statistics.median(samples[k]) * 1e6 for k in ("without", "with"))
    print(f"engine alone, full profile: without the cost work {before:,.0f} µs, with it {after:,.0f} µs "
          f"({(after / before - 1) * 100:+.0f}%)")  # fmt: skip


if __name__ == "__main__":
    main()
