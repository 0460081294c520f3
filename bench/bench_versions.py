"""The engine of two versions side by side: the working tree against an earlier commit, on the same machine in
one run (so the load of the moment weighs on both alike).

    .venv/bin/python bench/bench_versions.py b528dd4        # the commit before the cost and plan work

Each version recommends the same 200 generated full profiles (bench.profiles) from validated profiles; the
figure is the median CPU time per call, best of 5 rounds of 2,000 calls, alternating the versions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = """
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
from bench.profiles import profiles
from recommender.engine import recommend
from recommender.knowledge import load_knowledge
from recommender.profile import load_profile
kb = load_knowledge()
loaded = [load_profile(d) for d in profiles(200)]
for profile in loaded:
    recommend(profile, kb)
samples = []
for i in range(2000):
    start = time.process_time()
    recommend(loaded[i % 200], kb)
    samples.append(time.process_time() - start)
print(statistics.median(samples))
"""


def median_us(tree: Path) -> float:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(tree)], cwd=tree, capture_output=True, text=True,
                         check=True)  # fmt: skip
    return float(out.stdout) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.rev], cwd=ROOT, check=True)
        try:
            figures: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(args.rounds):
                figures["old"].append(median_us(old))
                figures["new"].append(median_us(ROOT))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=True)
    before, after = min(figures["old"]), min(figures["new"])
    print(f"engine alone, full profile: {args.rev} {before:,.0f} µs, working tree {after:,.0f} µs "
          f"({(after / before - 1) * 100:+.0f}%)")  # fmt: skip


if __name__ == "__main__":
    main()
