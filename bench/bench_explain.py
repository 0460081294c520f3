"""How much explanations cost: a recommendation with and without explain.

Run: .venv/bin/python bench/bench_explain.py [--rounds N] [--repeat R]
The budget (issue "Explanations users can act on"): explain="changes" at most 3x plain. The ratio is
printed for the engine alone (recommend() on validated Profiles, and on raw documents as the CLI calls it)
and through the API (POST /v1/recommendations with the Flask test client: JSON in, validation, engine,
JSON out; the access log is off so that it does not dilute the ratio). Each for the public scenarios and
for 200 generated full profiles (every section answered, all different, so that no per-value cache
flatters the figures). CPU time (time.process_time), best of R repetitions with the levels interleaved,
because the machine is shared. Informational: always exits 0 (CI does not run bench/).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from bench.profiles import profiles as generated_profiles  # noqa: E402
from recommender import recommend  # noqa: E402
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
    public = [s["profile"] for s in scenarios]
    generated = list(generated_profiles(200, seed=11))
    few = max(1, args.rounds // 10)

    def engine(profile: Any, level: str | None) -> Any:
        return recommend(profile, kb, explain=level)

    api = api_caller(kb)
    runs: list[tuple[str, Sequence[Any], int, Callable[[Any, str | None], Any]]] = [
        ("public scenarios, engine on validated Profiles", [load_profile(d) for d in public], args.rounds, engine),
        ("public scenarios, engine on raw documents (as the CLI calls it)", public, args.rounds, engine),
        ("200 generated full profiles, engine on validated Profiles", [load_profile(d) for d in generated],
         few, engine),
        ("public scenarios, through the API", [orjson.dumps(d) for d in public], args.rounds, api),
        ("200 generated full profiles, through the API", [orjson.dumps(d) for d in generated], few, api),
    ]  # fmt: skip
    ratios = []
    for label, profiles, rounds, call in runs:
        print(label)
        ratios.append(measure(call, profiles, rounds, args.repeat))
    for (label, *_), ratio in zip(runs, ratios, strict=True):
        print(f"  {ratio:4.2f}x  {label}  {'ok' if ratio <= BUDGET else 'OVER'}")
    print(f"explain=changes vs plain, worst {max(ratios):.2f}x; budget {BUDGET:g}x")
    return 0


def api_caller(kb: Any) -> Callable[[bytes, str | None], Any]:
    logging.getLogger("recommender.access").disabled = True
    client = create_app({"KNOWLEDGE_BASE": kb}).test_client()

    def call(body: bytes, level: str | None) -> Any:
        url = "/v1/recommendations" + (f"?explain={level}" if level else "")
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return call


def measure(
    call: Callable[[Any, str | None], Any], profiles: Sequence[Any], rounds: int, repeat: int
) -> float:
    """Prints CPU time per profile for each level; returns the explain="changes" ratio."""
    for level in LEVELS:  # warm the per-knowledge-base work (levers) before timing
        for profile in profiles:
            call(profile, level)
    best = dict.fromkeys(LEVELS, float("inf"))
    for _ in range(repeat):
        for level in LEVELS:
            start = time.process_time()
            for _ in range(rounds):
                for profile in profiles:
                    call(profile, level)
            best[level] = min(best[level], (time.process_time() - start) / (rounds * len(profiles)))
    plain = best[None]
    print(f"  {len(profiles)} profiles, best of {repeat} x {rounds} rounds (CPU time)")
    for level, seconds in best.items():
        print(f"  explain={level or 'none':<8} {seconds * 1e6:8.1f} us/profile  {seconds / plain:4.2f}x")
    return best["changes"] / plain


if __name__ == "__main__":
    sys.exit(main())
