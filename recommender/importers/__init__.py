"""Importers: turn what teams really write (CloudFormation templates, Terraform plans, a live AWS
account) into an architecture proposal (shared/spec/proposal.md) that the evaluator can check.

Every imported element carries `origin: {file, line, logical_id}`; the proposal's `import` section
lists the assumptions made and what was skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from recommender.errors import DocumentError, InputError

__all__ = ["KINDS", "import_aws", "import_source", "import_sources", "invalid_import", "to_proposal"]

KINDS = {"cfn": "cfn", "cloudformation": "cfn", "terraform": "terraform"}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(
            f"unknown import source '{kind}'", {"source": [f"Must be one of: {', '.join(KINDS)}."]}
        )
    return KINDS[kind]


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def located(file: str, exc: DocumentError) -> DocumentError:
    """The same parse error, its message starting with file:line as compilers print it."""
    where = f"{file}:{exc.line}" if exc.line else file
    result = DocumentError(f"{where}: {exc.message}")
    result.line = exc.line
    return result


def import_sources(
    kind: str,
    paths: Sequence[str],
    regions: Sequence[str | None] | None = None,
    parameters: Mapping[str, str] | None = None,
    file_parameters: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """One proposal from several files of one kind (e.g. the stacks of two regions).

    regions: one per path (CloudFormation only: a template does not say where it is deployed).
    parameters: CloudFormation parameter values that override the templates' defaults.
    file_parameters: per path (as given in `paths`), values for that template only; they win over
    `parameters`.
    """
    if _kind(kind) == "terraform":
        from recommender.importers.terraform import import_plans

        return import_plans([(path, _read(path)) for path in paths])
    from recommender.importers.cfn import import_templates

    return import_templates(
        [(path, _read(path)) for path in paths],
        list(regions) if regions else None,
        parameters,
        file_parameters,
    )


def invalid_import(proposal: Mapping[str, Any], exc: InputError) -> InputError:
    """The contract's refusal of an imported proposal, each field path told with the template or plan
    line of the element it belongs to (its `origin`), so the user can see what in their file caused it."""
    errors: dict[str, list[str]] = {}
    for path, messages in exc.errors.items():
        node: Any = proposal
        origin: Mapping[str, Any] = {}
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node) else (
                node.get(part) if isinstance(node, Mapping) else None
            )  # fmt: skip
            if isinstance(node, Mapping) and isinstance(node.get("origin"), Mapping):
                origin = node["origin"]
        where = f"{origin.get('file')}:{origin.get('line')}: {origin.get('logical_id')}: " if origin else ""
        errors[path] = [f"{where}{message}" for message in messages]
    file = proposal.get("import", {}).get("file", "") if isinstance(proposal.get("import"), Mapping) else ""
    return InputError(
        f"{file}: the importer could not turn this input into a valid proposal (an input it cannot model, "
        "or a bug of the importer); the elements below come from the lines shown",
        errors,
    )


def import_source(kind: str, path: str, region: str | None = None) -> dict[str, Any]:
    """The proposal described by one file: kind "cfn" (template) or "terraform" (`terraform show -json`)."""
    return import_sources(kind, [path], [region])


def to_proposal(
    kind: str, text_or_document: str | bytes | Mapping[str, Any], filename: str
) -> dict[str, Any]:
    """For the API: a template or plan given as text or as an already parsed mapping -> a proposal.

    kind: "cloudformation" | "cfn" | "terraform". Raises InputError (DocumentError for unparsable text).
    """
    if _kind(kind) == "terraform":
        from recommender.importers.terraform import import_plans

        return import_plans([(filename, text_or_document)])
    from recommender.importers.cfn import import_templates

    return import_templates([(filename, text_or_document)])


def import_aws(session_or_client_factory: Any, region: str) -> dict[str, Any]:
    """The network of one region of a live account, read with describe calls only.

    session_or_client_factory: a boto3 Session, or a callable(service_name, region_name=...) -> client.
    """
    from recommender.importers.aws import import_account

    return import_account(session_or_client_factory, region)
