"""How much explanations cost: recommend() with and without explain.

Run: .venv/bin/python bench/bench_explain.py [--rounds N] [--repeat R]
The budget (issue "Explanations users can act on"): explain="changes" at most 3x plain. The ratio is
printed for the public scenarios (validated Profiles and raw documents) and for generated full profiles
(every section answered, all different, so that no per-value cache flatters the figures). CPU time
(time.process_time), best of R repetitions with the levels interleaved, because the machine is shared.
Informational: always exits 0 (CI does not run bench/).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profiles import profiles as generated_profiles  # noqa: E402
from recommender.engine import recommend  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402
from recommender.profile import load_profile  # noqa: E402

BUDGET = 3.0
LEVELS: tuple[str | None, ...] = (None, "changes", "full")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the profiles per repetition")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions; the best is kept")
    args = parser.parse_args()
    kb = load_knowledge()
    scenarios = yaml.safe_load((ROOT / "tests" / "scenarios" / "public.yaml").read_text())
    documents = [s["profile"] for s in scenarios]
    generated = [load_profile(d) for d in generated_profiles(200, seed=11)]
    ratios = []
    for label, profiles, rounds in (
        (
            "public scenarios, validated Profiles (engine only)",
            [load_profile(d) for d in documents],
            args.rounds,
        ),
        ("public scenarios, raw documents (as the CLI and API call it)", documents, args.rounds),
        ("200 generated full profiles, validated", generated, max(1, args.rounds // 10)),
    ):
        print(label)
        ratios.append(measure(kb, profiles, rounds, args.repeat))
    worst = max(ratios)
    print(
        f"explain=changes vs plain, worst {worst:.2f}x; budget {BUDGET:g}x: {'ok' if worst <= BUDGET else 'OVER'}"
    )
    return 0


def measure(kb: Any, profiles: list[Any], rounds: int, repeat: int) -> float:
    """Prints CPU time per profile for each level; returns the explain="changes" ratio."""
    for level in LEVELS:  # warm the per-knowledge-base work (levers) before timing
        for profile in profiles:
            recommend(profile, kb, explain=level)
    best = dict.fromkeys(LEVELS, float("inf"))
    for _ in range(repeat):
        for level in LEVELS:
            start = time.process_time()
            for _ in range(rounds):
                for profile in profiles:
                    recommend(profile, kb, explain=level)
            best[level] = min(best[level], (time.process_time() - start) / (rounds * len(profiles)))
    plain = best[None]
    print(
        f"  {len(profiles)} profiles, {len(kb.domains)} domains, best of {repeat} x {rounds} rounds (CPU time)"
    )
    for level, seconds in best.items():
        print(f"  explain={level or 'none':<8} {seconds * 1e6:8.1f} us/profile  {seconds / plain:4.2f}x")
    return best["changes"] / plain


if __name__ == "__main__":
    sys.exit(main())
