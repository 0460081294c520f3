#!/usr/bin/env python3
"""In-process cost of a recommendation: engine alone, with validation, with serialisation; KB load; CLI start.

.venv/bin/python bench/bench_engine.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profiles import profiles  # noqa: E402
from recommender.engine import recommend  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402
from recommender.profile import load_profile  # noqa: E402
from recommender.serialize import to_json  # noqa: E402


def timings(fn: Callable[[Any], Any], items: list[Any], runs: int) -> list[float]:
    for item in items[:50]:
        fn(item)
    out = []
    for i in range(runs):
        item = items[i % len(items)]
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def row(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples) * 1e6
    p99 = samples[int(len(samples) * 0.99) - 1] * 1e6
    return f"| {name} | {p50:,.0f} µs | {p99:,.0f} µs |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    docs = profiles(200)
    loads = []
    for _ in range(20):
        start = time.perf_counter()
        kb = load_knowledge()
        loads.append(time.perf_counter() - start)
    loaded = [load_profile(d) for d in docs]
    print("| measurement | median | p99 |")
    print("| --- | --- | --- |")
    print(row("engine alone (validated profile in)", timings(lambda p: recommend(p, kb), loaded, args.runs)))
    print(row("validation + engine", timings(lambda d: recommend(load_profile(d), kb), docs, args.runs)))
    print(
        row(
            "validation + engine + JSON",
            timings(lambda d: to_json(recommend(load_profile(d), kb)), docs, args.runs),
        )
    )
    print(row("knowledge base load", loads))
    cold = []
    with tempfile.TemporaryDirectory() as tmp:
        profile_file = Path(tmp) / "profile.json"
        profile_file.write_bytes(to_json(docs[0]))
        for _ in range(10):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "recommender.cli", "recommend", str(profile_file), "--format", "json"],
                check=True, capture_output=True, cwd=ROOT,
            )  # fmt: skip
            cold.append(time.perf_counter() - start)
    print(row("CLI cold start (recommend, json)", cold))
    print(f"\n{len(kb.domains)} domains, {sum(len(d.rules) for d in kb.domains.values())} rules; "
          f"Python {sys.version.split()[0]}")  # fmt: skip


if __name__ == "__main__":
    main()
