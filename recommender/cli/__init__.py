"""The `recommender` command line (shared/spec/cli.md): one module per verb, as api/resources/ has one per
resource; each defines register(subparsers, common) and its handlers. Shared helpers are in common.py.

Exit codes: 0 success; 1 findings at or above --fail-on, or an invalid knowledge base; 2 bad usage or
an invalid input file (field path and reason on stderr, never a traceback); 3 an internal error (a bug:
one line on stderr naming the input, never a bare traceback, never confused with findings).
The web stack is imported only by `serve`, so answering `recommend` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from recommender.cli import diff, evaluate, imports, kb, recommend, serve
from recommender.cli.common import EXIT_INTERNAL, EXIT_OK, load_kb

__all__ = ["build_parser", "load_kb", "main"]

VERBS = (recommend, kb, serve, evaluate, imports, diff)  # in the order `recommender --help` lists them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recommender", description="How to run a workload on AWS, and why.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--kb", metavar="PATH", help="knowledge base folder (default: the shipped one)")
    common.add_argument(
        "--policy", metavar="PATH", help="organisation policy file or folder (docs/policy.md)"
    )
    for verb in VERBS:
        verb.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one line naming the input, exit 3 (not 1, which means findings)
        inputs = getattr(args, "files", None) or []
        named = f" while reading {', '.join(map(str, inputs))}" if inputs else ""
        message = f"recommender: internal error{named}: {type(exc).__name__}: {exc}".splitlines()[0]
        print(message[:1000] + " (please report it)", file=sys.stderr)
        return EXIT_INTERNAL
