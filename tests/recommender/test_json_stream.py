"""Reading a long JSON list one item at a time, from text or from a file in chunks (recommender.documents)."""

from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest

from recommender.documents import iter_json_array
from recommender.errors import DocumentError

LISTS = [
    "[]",
    " [ ]\n",
    "[1, 2, 3]",
    "[12345, 678]",
    '[{"a": [1, {"b": "x\\ny"}]}, 2.5e3, true, null, "é😀"]',
    "\ufeff[1]",
]
BROKEN = {
    "[1,": "the list is not closed",
    "[\n1\n,\n2\n": "line 5: invalid JSON: the list is not closed",
    "[1 2]": "Expecting ',' delimiter",
    "[1,]": "Expecting value",
    "[,1]": "Expecting value",
    "[tru]": "Expecting value",
    '[\n\n{"x": }]': "line 3: invalid JSON: Expecting value",
    '[{"a": 1, "a": 2}]': "duplicate key 'a'",
    "[NaN]": "NaN is not a valid JSON number",
    "[1] x": "Extra data",
    '{"a": 1}': "not a list",
    "[" * 70 + "]" * 70: "nested deeper than 64 levels",
}


def read(source: str, chunk_bytes: int | None) -> list[Any]:
    if chunk_bytes is None:
        return list(iter_json_array(source.removeprefix("\ufeff")))
    return list(iter_json_array(io.BytesIO(source.encode()), chunk_bytes))


@pytest.mark.parametrize("chunk_bytes", [1, 2, 7, 64, None])
@pytest.mark.parametrize("source", LISTS)
def test_items_are_those_of_the_whole_list(source: str, chunk_bytes: int | None) -> None:
    assert read(source, chunk_bytes) == json.loads(source.removeprefix("\ufeff"))


@pytest.mark.parametrize("chunk_bytes", [1, 3, 4096, None])
@pytest.mark.parametrize(("source", "message"), BROKEN.items())
def test_a_broken_list_is_a_document_error_wherever_the_chunks_end(
    source: str, message: str, chunk_bytes: int | None
) -> None:
    with pytest.raises(DocumentError, match=message):
        read(source, chunk_bytes)


def test_invalid_utf8_names_the_byte() -> None:
    with pytest.raises(DocumentError, match=r"not valid UTF-8 \(byte 5\)"):
        list(iter_json_array(io.BytesIO(b'[1, "\xff"]'), 2))


def test_an_item_longer_than_many_chunks_is_read_whole() -> None:
    items = [{"text": "y" * 300_000}, 1]
    assert list(iter_json_array(io.BytesIO(json.dumps(items).encode()), 1000)) == items


def test_memory_stays_flat_however_long_the_file() -> None:
    item = {"name": "p", "groups": [{"id": f"sg-{i}", "ports": "443"} for i in range(20)]}
    data = ("[" + ",".join([json.dumps(item)] * 5000) + "]").encode()  # ~4 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_json_array(io.BytesIO(data), 64 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 5000
    assert peak < len(data) / 8  # a few chunks and one item, never the file or its text
