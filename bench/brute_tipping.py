"""The tipping-point search against brute force on generated full profiles (the test does a few; this many).

Run: .venv/bin/python bench/brute_tipping.py [--count N] [--seed S] [--datasets] [--policy FILE]
Each profile's explain=changes answer is compared with the plain search of
tests/explain/test_tipping_search.py (every candidate change applied to the document and recommended from
scratch). Prints the profiles that differ; exit 1 if any does. Slow (about a second a profile).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.explain_bytes import with_datasets  # noqa: E402
from bench.profiles import profiles as generated_profiles  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402
from recommender.policy import apply_policy, load_policy  # noqa: E402
from tests.explain.test_tipping_search import fast_search, plain_search  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--datasets", action="store_true", help="give each a data set (explain_bytes)")
    parser.add_argument("--policy", type=Path, help="an organisation policy over the knowledge base")
    args = parser.parse_args()
    kb = load_knowledge()
    if args.policy is not None:
        kb = apply_policy(kb, load_policy(args.policy, kb))
    start = time.perf_counter()
    differing = 0
    documents = generated_profiles(args.count, seed=args.seed)
    if args.datasets:
        documents = with_datasets(documents)
    for n, document in enumerate(documents):
        fast, plain = fast_search(document, kb), plain_search(document, kb)
        if fast != plain:
            differing += 1
            print(f"profile {n} ({document['name']}) differs:")
            for domain_id in sorted(set(fast) | set(plain)):
                if fast.get(domain_id) != plain.get(domain_id):
                    print(
                        f"  {domain_id}\n    search: {fast.get(domain_id)}\n    brute:  {plain.get(domain_id)}"
                    )
    seconds = time.perf_counter() - start
    policy = f", policy {args.policy}" if args.policy else ""
    print(
        f"{args.count} generated profiles (seed {args.seed}{policy}), {differing} differences ({seconds:.0f} s)"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
