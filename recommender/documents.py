"""Parsing of user and knowledge documents: YAML (safe, no aliases, no duplicate keys, bounded depth) and JSON.

Every mapping read from YAML is a `LineDict` that remembers the line it starts on and the line of each
key, so problems can be reported as `file:line`.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from recommender.errors import DocumentError

MAX_DEPTH = 64


class LineDict(dict):
    """A dict that knows where it came from: `line` (1-based) and `key_lines[key]`."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    __slots__ = ("line", "item_lines")

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.item_lines: list[int] = []


def line_at(document: Any, path: str) -> int | None:
    """The line a field path ("topology.vpcs.0.cidr") was written on in a YAML document: the line of its key,
    else of the nearest enclosing element that is there (a missing field: the element it belongs in).
    None for documents without lines (JSON) and paths outside the document."""
    node, line = document, None
    for part in path.split("."):
        if isinstance(node, LineDict) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, LineList) and part.isdigit() and int(part) < len(node.item_lines):
            line, node = node.item_lines[int(part)], node[int(part)]
        else:
            break
    return line or None


class _SafeLineLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases, duplicate keys and deep nesting, and records lines."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise DocumentError("YAML aliases are not accepted", event.start_mark.line + 1)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise DocumentError("YAML anchors are not accepted", event.start_mark.line + 1)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise DocumentError(
                    f"document nested deeper than {MAX_DEPTH} levels", event.start_mark.line + 1
                )
            return super().compose_node(parent, index)  # type: ignore[return-value]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:
        result = LineDict(line=node.start_mark.line + 1)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DocumentError("YAML merge keys are not accepted", key_node.start_mark.line + 1)
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise DocumentError(
                    "a mapping key must be a plain value", key_node.start_mark.line + 1
                ) from None
            if key in result:
                raise DocumentError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[str(key)] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:
        result = LineList(
            (self.construct_object(child, deep=True) for child in node.value), line=node.start_mark.line + 1
        )
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_yaml_float(self, node: ScalarNode) -> float:
        value = yaml.SafeLoader.construct_yaml_float(self, node)
        if math.isnan(value) or math.isinf(value):
            raise DocumentError("NaN and infinite numbers are not accepted", node.start_mark.line + 1)
        return value


def _refuse_tag(loader: yaml.SafeLoader, node: Node) -> Any:
    raise DocumentError(f"the YAML tag {node.tag} is not accepted", node.start_mark.line + 1)


_REFUSED_TAGS = ("binary", "set", "omap", "pairs")
for _name in _REFUSED_TAGS:
    _SafeLineLoader.add_constructor(f"tag:yaml.org,2002:{_name}", _refuse_tag)
_SafeLineLoader.add_constructor("tag:yaml.org,2002:map", _SafeLineLoader.construct_mapping)
_SafeLineLoader.add_constructor("tag:yaml.org,2002:seq", _SafeLineLoader.construct_sequence)
_SafeLineLoader.add_constructor("tag:yaml.org,2002:float", _SafeLineLoader.construct_yaml_float)


class _TrustedLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml-speed loader for the project's own files (the knowledge base), with the same checks.

    libyaml composes nodes in C, so aliases are found afterwards (a node reached twice) and depth is
    checked on the composed tree. User documents keep the pure-Python loader, which bounds depth while
    parsing.
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        stack: list[tuple[Node, int]] = [(node, 1)]
        while stack:
            item, depth = stack.pop()
            if id(item) in seen:
                raise DocumentError("YAML aliases are not accepted", item.start_mark.line + 1)
            seen.add(id(item))
            if depth > MAX_DEPTH:
                raise DocumentError(
                    f"document nested deeper than {MAX_DEPTH} levels", item.start_mark.line + 1
                )
            if isinstance(item, MappingNode):
                stack.extend((child, depth + 1) for pair in item.value for child in pair)
            elif isinstance(item, SequenceNode):
                stack.extend((child, depth + 1) for child in item.value)
        return self.construct_document(node)


for _tag, _constructor in (
    ("tag:yaml.org,2002:map", _SafeLineLoader.construct_mapping),
    ("tag:yaml.org,2002:seq", _SafeLineLoader.construct_sequence),
    ("tag:yaml.org,2002:float", _SafeLineLoader.construct_yaml_float),
    *((f"tag:yaml.org,2002:{name}", _refuse_tag) for name in _REFUSED_TAGS),
):
    _TrustedLineLoader.add_constructor(_tag, _constructor)


def load_trusted_yaml(text: str | bytes) -> Any:
    """Parse one of the project's own YAML files (fast path, same checks and line numbers)."""
    return load_yaml(text, _TrustedLineLoader)


def load_yaml(text: str | bytes, loader: type[yaml.SafeLoader] = _SafeLineLoader) -> Any:
    """Parse one YAML document safely. Raises DocumentError with the line of the problem."""
    if isinstance(text, bytes):
        text = _decode(text)
    try:
        value = yaml.load(text, Loader=loader)  # noqa: S506 - the loader is a SafeLoader subclass
        _reject_lone_surrogates(text, value)
        return value
    except DocumentError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DocumentError(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise DocumentError(f"document nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise DocumentError(_invalid_value(exc)) from None


def _invalid_value(exc: ValueError) -> str:
    if "digits" in str(exc):  # Python refuses to convert integers this long
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return f"invalid value: {exc}"


def _reject_constant(name: str) -> Any:
    raise DocumentError(f"{name} is not a valid JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) < len(pairs):  # some key came twice: name the first one
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DocumentError(f"duplicate key '{key}'")
            seen.add(key)
    return result


# what json.loads(text, object_pairs_hook=..., parse_constant=...) would build anew for every document
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def load_json(text: str | bytes) -> Any:
    """Parse JSON strictly: no NaN/Infinity, no duplicate keys, bounded depth."""
    if isinstance(text, bytes):
        text = _decode(text)
    try:
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except DocumentError:
        raise
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise DocumentError(f"document nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise DocumentError(_invalid_value(exc)) from None
    # Fewer brackets than the limit cannot nest deeper than it: most documents skip the walk.
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise DocumentError(f"document nested deeper than {MAX_DEPTH} levels")
    _reject_lone_surrogates(text, value)
    return value


# An escape of a UTF-16 surrogate (\ud800-\udfff); paired ones decode to one character, a lone one cannot be text.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def _reject_lone_surrogates(text: str, value: Any) -> None:
    """Strings holding a lone surrogate are not Unicode text (no encoder can write them): refuse them here."""
    if _SURROGATE_ESCAPE.search(text):
        _check_text(value)


def _check_text(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise DocumentError(
                    "a string holds a lone UTF-16 surrogate escape, which is not text"
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def iter_json_array(source: str | BinaryIO, chunk_bytes: int = 1 << 20) -> Iterator[Any]:
    """The items of a top-level JSON array, decoded one at a time (the whole list never exists at once).

    `source` is the text, or a binary file (UTF-8) read `chunk_bytes` at a time, so that neither the file's
    bytes nor its text are ever held whole: memory stays flat however long the list is.
    """
    chunks = iter([source]) if isinstance(source, str) else _utf8_chunks(source, chunk_bytes)
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    text, pos, lines_before, more = "", 0, 0, True

    def refill() -> bool:
        """Drop what was read, append the next chunk; False at the end of the source."""
        nonlocal text, pos, lines_before, more
        chunk = next(chunks, None) if more else None
        if chunk is None:
            more = False
            return False
        lines_before += text.count("\n", 0, pos)
        text, pos = text[pos:] + chunk, 0
        return True

    def skip_space() -> str | None:
        """The next character that is not white space (None at the end of the source)."""
        nonlocal pos
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos < len(text):
                return text[pos]
            if not refill():
                return None

    def decode_item() -> tuple[Any, int]:
        """The item at `pos` and where it ends, reading on while it may go on in the next chunk."""
        while True:
            try:
                item, end = decoder.raw_decode(text, pos)
                # Complete once a delimiter follows: "2." may be the start of "2.5" in the next chunk.
                if not more or (follows := _NEXT_CHARACTER.match(text, end)) and follows[1] in ",]":
                    return item, end
            except json.JSONDecodeError as exc:
                if not more:
                    raise error(f"invalid JSON: {exc.msg}", exc.lineno) from None
            except RecursionError:
                raise error(f"document nested deeper than {MAX_DEPTH} levels") from None
            pending = len(text) - pos  # read on until the unread text has doubled: O(length) per item
            while refill() and len(text) - pos < 2 * pending:
                pass

    def error(message: str, line: int | None = None) -> DocumentError:
        return DocumentError(message, lines_before + (line or text.count("\n", 0, pos) + 1))

    def end_of_list() -> None:
        nonlocal pos
        pos += 1
        if skip_space() is not None:
            raise error("invalid JSON: Extra data")

    if skip_space() != "[":
        raise error("invalid JSON: the document is not a list")
    pos += 1
    if skip_space() == "]":
        return end_of_list()
    while True:
        if skip_space() is None:
            raise error("invalid JSON: the list is not closed")
        item, pos = decode_item()
        if _depth(item) > MAX_DEPTH - 1:
            raise error(f"document nested deeper than {MAX_DEPTH} levels")
        yield item
        char = skip_space()
        if char == "]":
            return end_of_list()
        if char != ",":
            raise error(
                "invalid JSON: " + ("the list is not closed" if char is None else "Expecting ',' delimiter")
            )
        pos += 1


_NEXT_CHARACTER = re.compile(r"[ \t\r\n]*(\S)")


def _utf8_chunks(stream: BinaryIO, chunk_bytes: int) -> Iterator[str]:
    decode = codecs.getincrementaldecoder("utf-8-sig")().decode
    read = 0
    while True:
        data = stream.read(chunk_bytes)
        try:
            text = decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise DocumentError(f"document is not valid UTF-8 (byte {read + exc.start})") from None
        read += len(data)
        if text:
            yield text
        if not data:
            return


def _depth(value: Any) -> int:
    """How deeply mappings and lists nest (a scalar is 0), one level at a time: only containers are kept."""
    depth, level = 0, [value] if isinstance(value, dict | list) else []
    while level:
        depth += 1
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    return depth


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"document is not valid UTF-8 (byte {exc.start})") from None


def load_document(data: str | bytes, media_type: str | None = None) -> Any:
    """Parse JSON or YAML. With no media type, JSON is tried when the text starts like JSON."""
    if media_type and "json" in media_type:
        return load_json(data)
    if media_type and "yaml" in media_type:
        return load_yaml(data)
    text = _decode(data) if isinstance(data, bytes) else data
    if text.lstrip()[:1] in ("{", "["):
        return load_json(text)
    return load_yaml(text)
