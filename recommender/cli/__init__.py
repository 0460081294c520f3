"""The `recommender` command line (shared/spec/cli.md).

Exit codes: 0 success; 1 findings at or above --fail-on, or an invalid knowledge base; 2 bad usage or
an invalid input file (field path and reason on stderr, never a traceback).
The web stack is imported only by `serve`, so answering `recommend` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from recommender.cli.common import EXIT_FINDINGS, EXIT_OK, fail, input_error, read_input, write
from recommender.errors import InputError, KnowledgeError

# Modules that add verbs of their own: each defines register(subparsers, common).
VERB_MODULES = (
    "recommender.cli.evaluate",
    "recommender.cli.imports",
    "recommender.cli.diff",
)


def load_kb(path: str | None) -> Any:
    from recommender.knowledge import load_knowledge

    try:
        return load_knowledge(path or os.environ.get("RECOMMENDER_KNOWLEDGE_PATH") or None)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_FINDINGS) from None


def cmd_recommend(args: argparse.Namespace) -> int:
    from recommender.engine import recommend
    from recommender.profile import load_profile

    document = read_input(args.file)
    try:
        profile = load_profile(document)
    except InputError as exc:
        input_error(args.file, exc)
    kb = load_kb(args.kb)
    explain = args.explain or ("changes" if args.format == "adr" else None)
    result = recommend(profile, kb, explain=explain)
    if args.format == "adr":
        from recommender.cli.diff import format_adr

        write(format_adr(result, profile))
    else:
        write(format_recommendation(result, args.format))
    return EXIT_OK


def format_recommendation(result: dict[str, Any], fmt: str) -> str | bytes:
    if fmt == "json":
        from recommender.serialize import to_json

        return to_json(result)
    from recommender import render

    return render.render_markdown(result) if fmt == "markdown" else render.render_table(result)


def cmd_kb_validate(args: argparse.Namespace) -> int:
    from recommender.knowledge import load_knowledge

    try:
        kb = load_knowledge(args.path)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stdout)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return EXIT_FINDINGS
    rules = sum(len(d.rules) for d in kb.domains.values())
    print(f"knowledge base {kb.version} is valid: {len(kb.domains)} domains, {rules} rules, "
          f"{len(kb.findings)} findings ({kb.digest})")  # fmt: skip
    return EXIT_OK


def cmd_kb_show(args: argparse.Namespace) -> int:
    kb = load_kb(args.kb)
    domains = [args.domain] if args.domain else list(kb.domains)
    for domain_id in domains:
        if domain_id not in kb.domains:
            fail(f"unknown domain '{domain_id}' (known: {', '.join(kb.domains)})")
        domain = kb.domains[domain_id]
        print(f"{domain.id}: {domain.name} (section '{domain.section}', base {domain.base:g})")
        print("  options:")
        for option in domain.options:
            print(f"    {option.id:<24} {option.name}")
        print("  rules:")
        for rule in domain.rules:
            effect = "exclude" if rule.exclude else f"{rule.score:+g}"
            targets = ",".join(rule.targets) if len(rule.targets) <= 4 else f"{len(rule.targets)} options"
            print(f"    {rule.id}  {effect:>7} {rule.priority:<11} -> {targets}: {rule.reason}")
        print()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.bind:
        env["RECOMMENDER_BIND"] = args.bind
    if args.workers:
        env["RECOMMENDER_WORKERS"] = str(args.workers)
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf", "api:create_app()"]
    os.execve(sys.executable, argv, env)
    return EXIT_OK  # pragma: no cover - execve does not return


def build_parser() -> argparse.ArgumentParser:
    from recommender.cli.diff import add_explain_argument

    parser = argparse.ArgumentParser(prog="recommender", description="How to run a workload on AWS, and why.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--kb", metavar="PATH", help="knowledge base folder (default: the shipped one)")

    p = sub.add_parser("recommend", parents=[common], help="recommend for a workload profile")
    p.add_argument("file", metavar="FILE", help="profile as YAML or JSON ('-' for stdin)")
    p.add_argument("--format", choices=["json", "table", "markdown", "adr"], default="table")
    add_explain_argument(p)
    p.set_defaults(handler=cmd_recommend)

    kb = sub.add_parser("kb", help="inspect the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="SUBCOMMAND")
    v = kb_sub.add_parser("validate", help="validate a knowledge base; problems as file:line: message")
    v.add_argument("path", nargs="?", default=None, metavar="PATH")
    v.set_defaults(handler=cmd_kb_validate)
    s = kb_sub.add_parser("show", parents=[common], help="list options and rules")
    s.add_argument("domain", nargs="?", metavar="DOMAIN")
    s.set_defaults(handler=cmd_kb_show)

    serve = sub.add_parser("serve", help="run the HTTP API under gunicorn")
    serve.add_argument("--bind", metavar="HOST:PORT", help="address to listen on (default 127.0.0.1:8080)")
    serve.add_argument("--workers", type=int, metavar="N", help="worker processes (default 2)")
    serve.set_defaults(handler=cmd_serve)

    for name in VERB_MODULES:
        importlib.import_module(name).register(sub, common)
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


if __name__ == "__main__":
    sys.exit(main())
