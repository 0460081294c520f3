"""`recommender recommend FILE [--format json|table|markdown|adr] [--explain changes|full] [--kb PATH]`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from recommender import EXPLAIN_LEVELS
from recommender.cli.common import EXIT_OK, input_error, load_kb, read_input, write
from recommender.errors import InputError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("recommend", parents=[common], help="recommend for a workload profile")
    p.add_argument("file", metavar="FILE", help="profile as YAML or JSON ('-' for stdin)")
    p.add_argument("--format", choices=["json", "table", "markdown", "adr"], default="table")
    p.add_argument(
        "--explain", choices=EXPLAIN_LEVELS, default=None,
        help="add what would change each decision (changes), and the rule trace (full)",
    )  # fmt: skip
    p.set_defaults(handler=cmd_recommend)


def cmd_recommend(args: argparse.Namespace) -> int:
    from recommender import recommend
    from recommender.profile import load_profile

    document = read_input(args.file)
    try:
        profile = load_profile(document)
    except InputError as exc:
        input_error(args.file, exc)
    kb = load_kb(args.kb, args.policy)
    explain = args.explain or ("changes" if args.format == "adr" else None)
    try:
        result = recommend(profile, kb, explain=explain)
    except InputError as exc:  # the profile breaks the organisation policy (a Region it does not allow)
        input_error(args.file, exc)
    if args.format == "adr":
        write(format_adr(result, profile, kb.domain_titles))
    else:
        write(format_recommendation(result, args.format, kb.domain_titles))
    return EXIT_OK


def format_adr(result: dict[str, Any], profile: Any, titles: Mapping[str, str]) -> str:
    """`recommender recommend --format adr`: the result must have been computed with explain."""
    from recommender.explain.adr import render_adr

    return render_adr(result, profile, titles)


def format_recommendation(result: dict[str, Any], fmt: str, titles: Mapping[str, str]) -> str | bytes:
    if fmt == "json":
        from recommender.serialize import to_json

        return to_json(result)
    from recommender import render

    return (
        render.render_markdown(result, titles) if fmt == "markdown" else render.render_table(result, titles)
    )
