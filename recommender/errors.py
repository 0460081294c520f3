"""Every exception the recommender raises.

RecommenderError
 +-- KnowledgeError          the knowledge base is invalid (carries file:line problems)
 +-- InputError              a document given by the user is invalid
      +-- DocumentError      it cannot be parsed (bad YAML/JSON, aliases, duplicate keys, too deep)
      +-- ProfileError       a workload profile breaks the contract (errors keyed by field path)
      +-- ProposalError      an architecture proposal breaks the contract (errors keyed by field path)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class RecommenderError(Exception):
    """Base class of everything this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a knowledge base file."""

    file: str
    line: int
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: "
        return where + (f"{self.rule}: " if self.rule else "") + self.message


class KnowledgeError(RecommenderError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(RecommenderError):
    """A user's document is invalid. `errors` maps a field path to its messages; `lines` maps a field path
    to the line of the document it was written on (when the document was YAML and the path is in it)."""

    def __init__(
        self,
        detail: str,
        errors: Mapping[str, list[str]] | None = None,
        lines: Mapping[str, int] | None = None,
    ):
        self.detail = detail
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.lines: dict[str, int] = dict(lines or {})
        super().__init__(self.describe())

    def describe(self) -> str:
        if not self.errors:
            return self.detail
        lines = [self.detail]
        lines += [f"{path}: {msg}" for path, msgs in self.errors.items() for msg in msgs]
        return "\n".join(lines)


class DocumentError(InputError):
    """The document cannot be parsed at all (HTTP 400)."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.message = message
        super().__init__(message if line is None else f"line {line}: {message}")


class ProfileError(InputError):
    pass


class ProposalError(InputError):
    pass
