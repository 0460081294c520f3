"""`recommender evaluate FILE... [--format ...] [--fail-on ...] [--kb PATH]` (shared/spec/cli.md).

A file holds one proposal or a list of them. Exit codes: 2 when any file or item is invalid (reported on
stderr with field paths; the other proposals are still evaluated and reported), else 1 when a counted
finding at or above --fail-on exists, else 0. Results are written as they are produced.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from recommender.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, fail, load_kb, read_text
from recommender.documents import iter_json_array, load_document
from recommender.errors import InputError
from recommender.evaluation.drawing import DrawingError
from recommender.evaluation.evaluate import SEVERITIES, BatchSummary, error_result, evaluate
from recommender.evaluation.policy import finding_ids
from recommender.evaluation.proposal import load_proposal
from recommender.evaluation.report import WRITERS, at_or_above

# How a FILE becomes proposal documents, by --from: a reader takes the path and returns (is_list, iterator
# of documents); it raises InputError when unreadable.
Reader = Callable[[str], tuple[bool, Iterator[Any]]]


def read_proposals(path: str) -> tuple[bool, Iterator[Any]]:
    """Proposal documents (YAML or JSON). A JSON list in a file is read in chunks, one item at a time, so
    memory stays flat however many proposals it holds."""
    if path != "-" and not path.endswith((".yaml", ".yml")):
        stream = _open_binary(path)
        if stream.peek(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
            return True, _closing(stream, iter_json_array(stream))
        stream.close()
    text = read_text(path).decode("utf-8-sig")
    if text.lstrip()[:1] == "[" and not path.endswith((".yaml", ".yml")):
        return True, iter_json_array(text)
    document = load_document(text, "application/json" if path.endswith(".json") else None)
    if isinstance(document, list):
        return True, iter(document)
    return False, iter([document])


def _open_binary(path: str) -> io.BufferedReader:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by _closing once its items are read
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")


def _closing(stream: io.BufferedReader, items: Iterator[Any]) -> Iterator[Any]:
    with stream:
        yield from items


def imported(kind: str) -> Reader:
    """`--from cfn|terraform`: each file is imported into one proposal."""

    def read(path: str) -> tuple[bool, Iterator[Any]]:
        from recommender.importers import import_source, invalid_import

        proposal = import_source(kind, path)
        try:
            load_proposal(proposal)
        except InputError as exc:  # name the template or plan lines behind the refused fields
            raise invalid_import(proposal, exc) from None
        return False, iter([proposal])

    return read


READERS: dict[str, Reader] = {
    "proposal": read_proposals,
    "cfn": imported("cfn"),
    "terraform": imported("terraform"),
}


def cmd_evaluate(args: argparse.Namespace) -> int:
    kb = load_kb(args.kb, args.policy)
    today = date.today()
    if args.source not in READERS:
        fail(f"--from {args.source}: unknown kind (known: {', '.join(READERS)})")
    reader = READERS[args.source]
    files: list[str] = args.files

    def open_file(path: str) -> tuple[bool, Iterator[Any]] | InputError:
        try:
            return reader(path)
        except InputError as exc:
            return exc

    first = open_file(files[0])
    if isinstance(first, InputError) and len(files) == 1:
        _report_invalid(files[0], None, first)
        return EXIT_USAGE
    batch = len(files) > 1 or (not isinstance(first, InputError) and first[0])
    if args.format == "svg" and batch:
        fail("--format svg draws one proposal: give one file holding one proposal")

    def documents() -> Iterator[tuple[str, int | None, Any]]:
        for n, path in enumerate(files):
            opened = first if n == 0 else open_file(path)
            if isinstance(opened, InputError):
                yield path, None, opened
                continue
            is_list, items = opened
            try:
                for index, document in enumerate(items):
                    yield path, index if is_list else None, document
            except InputError as exc:  # a JSON list that breaks part-way
                yield path, None, exc

    writer = WRITERS[args.format](sys.stdout.buffer, kb, args.fail_on, batch)
    writer.expand = args.expand or []
    progress = sys.stderr.isatty() and len(files) > 1
    writer.begin()
    try:
        return _evaluate_all(args, kb, today, batch, documents(), writer, progress)
    except DrawingError as exc:
        fail(str(exc))


def _evaluate_all(args: argparse.Namespace, kb: Any, today: date, batch: bool,
                  documents: Iterator[tuple[str, int | None, Any]], writer: Any, progress: bool) -> int:  # fmt: skip
    summary = BatchSummary()
    invalid = threshold_hit = False
    for count, (path, index, document) in enumerate(documents, start=1):
        try:
            if isinstance(document, InputError):
                raise document
            proposal = load_proposal(document, finding_ids=finding_ids(kb))
        except InputError as exc:
            invalid = True
            _report_invalid(path, index, exc)
            if not batch:
                return EXIT_USAGE
            result = error_result(index, exc)
        else:
            result = evaluate(proposal, kb, today=today, diagram=args.diagram or args.format == "svg")
            threshold_hit = threshold_hit or any(
                f["counted"] and at_or_above(f["severity"], args.fail_on) for f in result["findings"]
            )
        summary.add(result)
        writer.result(result, path)
        if progress and count % 100 == 0:
            print(f"\revaluated {count} proposals", end="", file=sys.stderr, flush=True)
    writer.end(summary.as_dict())
    sys.stdout.flush()
    if progress:
        print(f"\revaluated {summary.counts['total']} proposals", file=sys.stderr)
    if invalid:
        return EXIT_USAGE
    return EXIT_FINDINGS if threshold_hit else EXIT_OK


def _report_invalid(path: str, index: int | None, exc: InputError) -> None:
    where = path + (f" item {index}" if index is not None else "")
    detail = exc.detail if exc.detail.startswith(f"{path}:") else f"{where}: {exc.detail}"
    lines = [f"recommender: error: {detail}"]
    lines += [f"  {field}: {msg}" for field, msgs in exc.errors.items() for msg in msgs]
    print("\n".join(lines), file=sys.stderr)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `evaluate` to the `recommender` parser."""
    p = sub.add_parser(
        "evaluate", parents=[common], help="evaluate architecture proposals: findings, reachability, choices",
        description="Evaluate one or more architecture proposals (a file may hold one proposal or a list).",
    )  # fmt: skip
    p.add_argument("files", nargs="+", metavar="FILE", help="proposal files, YAML or JSON ('-' for stdin)")
    p.add_argument("--format", choices=list(WRITERS), default="table", help="output format (default: table)")
    p.add_argument("--fail-on", choices=list(SEVERITIES), default="high",
                   help="exit 1 when a counted finding at or above this severity exists (default: high)")  # fmt: skip
    p.add_argument("--diagram", action="store_true",
                   help="add the diagram section (nodes, links, each flow's hops) to the JSON; embed the drawing "
                        "in the markdown report")  # fmt: skip
    p.add_argument("--expand", action="append", metavar="VPC",
                   help="with --format svg: draw this VPC in full when a large proposal's subnets are folded "
                        "(repeatable)")  # fmt: skip
    # no argparse `choices`: an unknown kind is reported with the known ones (exit 2), as before
    p.add_argument("--from", dest="source", default="proposal", metavar="KIND",
                   help="what the files are: proposal (default), cfn or terraform")  # fmt: skip
    p.set_defaults(handler=cmd_evaluate)
