"""The parsers every user document goes through: what they refuse, and the words they use."""

from __future__ import annotations

import pytest

from recommender.documents import load_json, load_trusted_yaml, load_yaml
from recommender.errors import DocumentError


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "line 1: YAML anchors are not accepted"),
        ("a: 1\na: 2\n", "line 2: duplicate key 'a'"),
        ("a: !!binary aGVsbG8=\n", "line 1: the YAML tag tag:yaml.org,2002:binary is not accepted"),
        ("a: !!set {x}\n", "line 1: the YAML tag tag:yaml.org,2002:set is not accepted"),
        ("a: !!python/object:os.system {}\n", "could not determine a constructor"),
        ("a: .nan\n", "NaN and infinite numbers are not accepted"),
        ("a: 1" + "0" * 5000 + "\n", "a number has more than 4300 digits"),
        ('a: "\\ud800"\n', "lone UTF-16 surrogate"),
        ("[" * 100 + "]" * 100, "nested deeper than 64 levels"),
    ],
)
def test_yaml_refusals_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_yaml(text)


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: 1\na: 2\n", "a: !!binary aGVsbG8=\n", "a: .inf\n"])
def test_the_fast_loader_for_own_files_refuses_the_same(text: str) -> None:
    with pytest.raises(DocumentError):
        load_trusted_yaml(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": [{"b": {"c": 1, "c": 1}}], "d": ":"}', "duplicate key 'c'"),
        ('{"a": 1, "a" : 1}', "duplicate key 'a'"),
        ("[NaN]", "NaN is not a valid JSON number"),
        ('{"a": 1e400, "b": Infinity}', "Infinity is not a valid JSON number"),
        ('{"a": "tab\there"}', "Invalid control character"),
        ('{"a": 1} {"b": 2}', "Extra data"),
        ("[1" + "0" * 5000 + "]", "a number has more than 4300 digits"),
        ('{"name": "\\ud800"}', "lone UTF-16 surrogate"),
        ("[" * 100000 + "]" * 100000, "nested deeper than 64 levels"),
    ],
)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])  # bytes: as API bodies come
def test_json_refusals_name_the_problem(text: str, message: str, as_bytes: bool) -> None:
    with pytest.raises(DocumentError, match=message):
        load_json(text.encode() if as_bytes else text)


def test_paired_surrogates_and_dates_are_ordinary_values() -> None:
    assert load_json('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert str(load_yaml("expires: 2027-03-31\n")["expires"]) == "2027-03-31"
