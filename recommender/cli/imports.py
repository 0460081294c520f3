"""`recommender import cfn|terraform FILE...` and `recommender import aws --region R`: print a proposal."""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from recommender.cli.common import EXIT_OK, fail, write
from recommender.errors import InputError


class _ProposalDumper(yaml.SafeDumper):
    """Plain YAML: keys in the order the importer wrote them, no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def format_proposal(proposal: dict[str, Any], fmt: str) -> str | bytes:
    if fmt == "json":
        from recommender.serialize import to_json

        return to_json(proposal)
    return yaml.dump(proposal, Dumper=_ProposalDumper, sort_keys=False, allow_unicode=True, width=120)


def parse_parameters(items: list[str], files: list[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """`--parameter NAME=VALUE` (every template) and `--parameter FILE:NAME=VALUE` (that template only;
    FILE as given on the command line). A parameter name never holds ':', so the last ':' before '='
    ends the file name."""
    every: dict[str, str] = {}
    per_file: dict[str, dict[str, str]] = {}
    for item in items:
        target, sep, value = item.partition("=")
        file, colon, name = target.rpartition(":")
        if not sep or not name:
            fail(f"--parameter {item!r}: expected NAME=VALUE or FILE:NAME=VALUE")
        if not colon:
            every[name] = value
        elif file in files:
            per_file.setdefault(file, {})[name] = value
        else:
            fail(f"--parameter {item!r}: {file!r} is not one of the files imported ({', '.join(files)})")
    return every, per_file


def cmd_import_file(args: argparse.Namespace) -> int:
    from recommender.importers import import_sources

    regions = args.region or []
    if len(regions) not in (0, 1, len(args.files)):
        fail(
            f"give one --region for all files or one per file ({len(args.files)} files, {len(regions)} regions)"
        )
    if len(regions) == 1:
        regions = regions * len(args.files)
    parameters, file_parameters = parse_parameters(args.parameter or [], args.files)
    try:
        proposal = import_sources(args.source, args.files, regions or None, parameters, file_parameters)
    except InputError as exc:
        fail(exc.describe())
    write(format_proposal(proposal, args.format))
    return EXIT_OK


def cmd_import_aws(args: argparse.Namespace) -> int:
    from recommender.importers.aws import default_session, import_account

    try:
        session = default_session(args.profile)
        proposal = import_account(session, args.region)
    except InputError as exc:
        fail(str(exc))
    except Exception as exc:  # botocore's errors: no credentials, access denied, unknown region, network
        fail(f"reading the AWS account failed: {type(exc).__name__}: {exc}")
    write(format_proposal(proposal, args.format))
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `import` with its sources cfn, terraform and aws."""
    parser = sub.add_parser(
        "import", help="turn a CloudFormation template, Terraform plan or AWS account into a proposal"
    )
    sources = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    formats = argparse.ArgumentParser(add_help=False)
    formats.add_argument(
        "--format", choices=["yaml", "json"], default="yaml", help="output format (default yaml)"
    )

    cfn = sources.add_parser("cfn", parents=[formats], help="CloudFormation templates (YAML or JSON)")
    cfn.add_argument("files", nargs="+", metavar="FILE", help="templates; several make one proposal")
    cfn.add_argument("--region", action="append", metavar="R",
                     help="region the stack is deployed to (once for all files, or once per file, in order)")  # fmt: skip
    cfn.add_argument(
        "--parameter",
        action="append",
        metavar="[FILE:]NAME=VALUE",
        help="a template parameter's value, for every template or (FILE:) for that file only",
    )
    cfn.set_defaults(handler=cmd_import_file)

    terraform = sources.add_parser("terraform", parents=[formats], help="plans from `terraform show -json`")
    terraform.add_argument(
        "files", nargs="+", metavar="FILE", help="plan JSON files; several make one proposal"
    )
    terraform.set_defaults(handler=cmd_import_file, region=None, parameter=None)

    aws = sources.add_parser(
        "aws", parents=[formats], help="a live account, read with Describe calls (needs boto3)"
    )
    aws.add_argument("--region", required=True, metavar="R", help="the region to read")
    aws.add_argument(
        "--profile", metavar="P", help="AWS profile name (default: the standard credential chain)"
    )
    aws.set_defaults(handler=cmd_import_aws)
