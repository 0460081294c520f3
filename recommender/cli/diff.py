"""`recommender diff BEFORE AFTER [--kb PATH] [--policy PATH]`, `recommender diff --kb OLD --kb NEW PROFILE` and
`recommender diff --policy OLD --policy NEW PROFILE` (what a policy change does to a profile's answer)."""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.common import EXIT_FINDINGS, EXIT_OK, fail, input_error, load_kb, read_input, write
from recommender.errors import InputError

FORMATS = ("json", "table", "markdown")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `diff` (own --kb, used twice to compare knowledge bases, so not the `common` parent)."""
    p = sub.add_parser(
        "diff",
        help="compare two recommendations: two profiles, or one profile on two knowledge bases",
        description="recommender diff BEFORE AFTER [--kb PATH] | recommender diff --kb OLD --kb NEW PROFILE",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="profiles as YAML or JSON ('-' for stdin)")
    p.add_argument(
        "--kb", action="append", default=[], metavar="PATH",
        help="knowledge base folder; give it twice (old, then new) to compare knowledge bases",
    )  # fmt: skip
    p.add_argument(
        "--policy", action="append", default=[], metavar="PATH",
        help="organisation policy; give it twice (old, then new) to compare policies",
    )  # fmt: skip
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when any domain's winner changed")
    p.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from recommender.explain.compare import compare, compare_knowledge, render_comparison
    from recommender.profile import load_profile

    if len(args.kb) > 2 or len(args.policy) > 2:
        fail("diff takes --kb and --policy at most twice each (the old, then the new)")
    expected = 1 if 2 in (len(args.kb), len(args.policy)) else 2
    if len(args.files) != expected:
        fail(
            "diff --kb OLD --kb NEW (or --policy OLD --policy NEW) takes one profile"
            if expected == 1
            else "diff takes two profiles (BEFORE AFTER), or --kb OLD --kb NEW and one profile"
        )
    if args.files.count("-") > 1:
        fail("only one profile can be read from stdin")
    profiles = []
    for path in args.files:
        try:
            profiles.append(load_profile(read_input(path)))
        except InputError as exc:
            input_error(path, exc)

    def side(values: list[str], index: int) -> str | None:
        return values[min(index, len(values) - 1)] if values else None

    try:
        if expected == 1:
            old = load_kb(side(args.kb, 0), side(args.policy, 0))
            result = compare_knowledge(profiles[0], old, load_kb(side(args.kb, 1), side(args.policy, 1)))
        else:
            result = compare(profiles[0], profiles[1], load_kb(side(args.kb, 0), side(args.policy, 0)))
    except InputError as exc:  # a profile breaks a policy (a Region it does not allow)
        input_error(args.files[0], exc)
    if args.format == "json":
        from recommender.serialize import to_json

        write(to_json(result))
    else:
        write(render_comparison(result, args.format))
    return EXIT_FINDINGS if args.exit_code and result["winner_changed"] else EXIT_OK
