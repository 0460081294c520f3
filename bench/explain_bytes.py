"""Byte-for-byte check of explain=changes: save the answers of a fixed set of profiles, then compare.

Run: .venv/bin/python bench/explain_bytes.py save FILE   (before a change)
     .venv/bin/python bench/explain_bytes.py check FILE  (after it: prints the differing profiles, exit 1)
The set: the public scenarios, 300 generated full profiles, 300 with some sections left out (seeded), so
that partial profiles are covered too, and 100 with a data set (workload.dataset_gib: memory sized with
the headroom of an in-memory cache). FILE holds one line per profile: its answer's bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profiles import profiles as generated_profiles  # noqa: E402
from recommender import recommend  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402
from recommender.serialize import to_json  # noqa: E402

SECTIONS = ("team", "platform", "workload", "network", "backup")


def documents() -> list[dict[str, Any]]:
    scenarios = yaml.safe_load((ROOT / "tests" / "scenarios" / "public.yaml").read_text())
    full = generated_profiles(300, seed=23)
    rng = random.Random(5)
    partial = []
    for document in generated_profiles(300, seed=29):
        dropped = rng.sample(SECTIONS, rng.randint(1, 3))
        partial.append({k: v for k, v in document.items() if k not in dropped})
    return [
        *(s["profile"] for s in scenarios),
        *full,
        *partial,
        *with_datasets(generated_profiles(100, seed=31)),
    ]


def with_datasets(documents: list[dict[str, Any]], seed: int = 3) -> list[dict[str, Any]]:
    """The profiles with a data set each, half of them in-memory caches (whose memory is sized for it)."""
    rng = random.Random(seed)
    for document in documents:
        document["workload"]["dataset_gib"] = rng.choice([1, 6, 20, 100, 300])
        if rng.random() < 0.5:
            document["workload"]["kind"] = "in_memory_cache"
    return documents


def main() -> int:
    verb, path = sys.argv[1], Path(sys.argv[2])
    kb = load_knowledge()
    lines = [to_json(recommend(d, kb, explain="changes")) for d in documents()]
    if verb == "save":
        path.write_bytes(b"\n".join(lines) + b"\n")
        print(f"saved {len(lines)} answers to {path}")
        return 0
    saved = path.read_bytes().splitlines()
    differing = [n for n, (a, b) in enumerate(zip(saved, lines, strict=True)) if a != b]
    print(f"{len(lines)} answers, {len(differing)} differ" + (f": {differing[:20]}" if differing else ""))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
