"""`recommender kb validate [PATH]` and `recommender kb show [DOMAIN] [--kb PATH]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recommender.cli.common import EXIT_FINDINGS, EXIT_OK, fail, load_kb
from recommender.errors import KnowledgeError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    kb = sub.add_parser("kb", help="inspect the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="SUBCOMMAND")
    v = kb_sub.add_parser("validate", help="validate a knowledge base; problems as file:line: message")
    v.add_argument("path", nargs="?", default=None, metavar="PATH")
    v.add_argument("--policy", metavar="PATH", help="also validate this organisation policy (file or folder)")
    v.set_defaults(handler=cmd_kb_validate)
    s = kb_sub.add_parser("show", parents=[common], help="list options and rules")
    s.add_argument("domain", nargs="?", metavar="DOMAIN")
    s.set_defaults(handler=cmd_kb_show)


def cmd_kb_validate(args: argparse.Namespace) -> int:
    from recommender.knowledge import load_knowledge
    from recommender.policy import load_policy

    try:
        kb = load_knowledge(args.path)
        policy = load_policy(args.policy, kb) if args.policy else None
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stdout)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return EXIT_FINDINGS
    rules = sum(len(d.rules) for d in kb.domains.values())
    print(f"knowledge base {kb.version} is valid: {len(kb.domains)} domains, {rules} rules, "
          f"{len(kb.findings)} findings ({kb.digest})")  # fmt: skip
    if policy is not None:
        print(f"policy {policy.name} {policy.version} is valid: {len(policy.choices)} choices, "
              f"{len(policy.rules)} rules, {len(policy.findings)} findings, {len(policy.overrides)} overrides "
              f"({policy.digest})")  # fmt: skip
    return EXIT_OK


def cmd_kb_show(args: argparse.Namespace) -> int:
    kb = load_kb(args.kb, args.policy)
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
        for rule in domain.all_rules:
            effect = "exclude" if rule.exclude else f"{rule.score:+g}"
            targets = ",".join(rule.targets) if len(rule.targets) <= 4 else f"{len(rule.targets)} options"
            print(f"    {rule.id}  {effect:>7} {rule.priority:<11} -> {targets}: {rule.reason}")
        print()
    return EXIT_OK
