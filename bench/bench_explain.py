"""How much explanations cost: recommend() with and without explain, over the public scenarios.

Run: .venv/bin/python bench/bench_explain.py [--rounds N]
The budget (issue "Explanations users can act on"): explain="changes" and "full" at most 3x plain.
Exits 1 when a level is over budget, so it can gate a release; it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from recommender.engine import recommend
from recommender.knowledge import load_knowledge
from recommender.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    kb = load_knowledge()
    scenarios = yaml.safe_load((ROOT / "tests" / "scenarios" / "public.yaml").read_text())
    documents = [s["profile"] for s in scenarios]
    over = False
    for label, profiles in (
        ("raw documents (as the CLI and API call it)", documents),
        ("validated Profiles (engine only)", [load_profile(d) for d in documents]),
    ):
        print(label)
        over = measure(kb, profiles, args.rounds) or over
    print(f"budget {BUDGET:g}x: {'EXCEEDED' if over else 'ok'}")
    return 1 if over else 0


def measure(kb: Any, profiles: list[Any], rounds: int) -> bool:
    timings: dict[str | None, float] = {}
    for level in (None, "changes", "full"):
        for profile in profiles:  # warm caches (levers per knowledge base) before timing
            recommend(profile, kb, explain=level)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(rounds):
                for profile in profiles:
                    recommend(profile, kb, explain=level)
            best = min(best, time.perf_counter() - start)
        timings[level] = best / (rounds * len(profiles))
    plain = timings[None]
    over = False
    print(f"  {len(profiles)} profiles, {len(kb.domains)} domains, best of 5 x {rounds} rounds")
    for level, seconds in timings.items():
        ratio = seconds / plain
        over = over or ratio > BUDGET
        print(f"  explain={level or 'none':<8} {seconds * 1e6:8.1f} us/profile  {ratio:4.2f}x")
    return over


if __name__ == "__main__":
    sys.exit(main())
