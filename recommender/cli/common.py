"""Helpers shared by the command-line verbs: loading the knowledge base, reading input files, reporting bad
input, writing output."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from recommender.documents import load_document
from recommender.errors import InputError, KnowledgeError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def load_kb(path: str | None, policy: str | None = None) -> Any:
    """The knowledge base at PATH (or $RECOMMENDER_KNOWLEDGE_PATH, or the shipped one), with the organisation
    policy at POLICY layered on it when given; either invalid: file:line problems, exit 1."""
    from recommender.knowledge import load_knowledge
    from recommender.policy import load_with_policy

    try:
        kb = load_knowledge(path or os.environ.get("RECOMMENDER_KNOWLEDGE_PATH") or None)
        return load_with_policy(kb, policy)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_FINDINGS) from None


def read_text(path: str) -> bytes:
    """Bytes of FILE, or of standard input for '-'. A missing file is bad usage (exit 2)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")


def read_input(path: str) -> Any:
    """Parse FILE (or stdin) as YAML or JSON; a parse error exits 2 naming the file and line."""
    data = read_text(path)
    media = "application/json" if path.endswith(".json") else None
    try:
        return load_document(data, media)
    except InputError as exc:
        fail(f"{path}: {exc}")


def fail(message: str) -> NoReturn:
    print(f"recommender: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def input_error(path: str, exc: InputError) -> NoReturn:
    lines = [f"{path}: {exc.detail}"] + [
        f"  {field}: {msg}" for field, msgs in exc.errors.items() for msg in msgs
    ]
    fail("\n".join(lines))


def write(data: str | bytes) -> None:
    if isinstance(data, str):
        data = data.encode()
    sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
    sys.stdout.flush()
