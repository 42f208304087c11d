"""The fast line-aware YAML reader gives what ruamel's round-trip loader gives, with the same lines."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.knowledge import yamlio
from bot.knowledge.schema import line_of

ROOT = Path(__file__).resolve().parent.parent


def plain(value: Any) -> Any:
    """ruamel's and our containers and scalars as plain Python values with their types."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return ("date", dt.date(value.year, value.month, value.day).isoformat())
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else float(value))
    if isinstance(value, str):
        return ("str", str(value))
    return (type(value).__name__, value)


def ruamel(text: str) -> Any:
    return YAML(typ="rt").load(text)


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge").glob("*.yml")), ids=lambda p: p.name)
def test_every_knowledge_file_reads_as_ruamel_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ours = yamlio.load(text)
    assert not ours.duplicates
    assert plain(ours.data) == plain(ruamel(text))


def _lines(node: Any, theirs: Any, path: str = "") -> list[str]:
    """Every mapping key and sequence item whose line differs between the two trees."""
    out: list[str] = []
    if isinstance(node, dict):
        for key in node:
            if line_of(node, key) != line_of(theirs, key):
                out.append(f"{path}.{key}")
            out += _lines(node[key], theirs[key], f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if line_of(node, i) != line_of(theirs, i):
                out.append(f"{path}[{i}]")
            out += _lines(item, theirs[i], f"{path}[{i}]")
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge").glob("*.yml")), ids=lambda p: p.name)
def test_every_key_and_item_has_ruamels_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _lines(yamlio.load(text).data, ruamel(text)) == []


SCALARS = [
    "hello",
    "09:00",
    "09:00-17:00",
    "9-5",
    "010-84020101",
    "84020101",
    "0",
    "-3",
    "+7",
    "3.5",
    "-0.5",
    ".5",
    "1e3",
    "1.5E-2",
    "true",
    "True",
    "TRUE",
    "false",
    "null",
    "Null",
    "~",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "2026-11-22",
    "2026-1-5",
    "0o17",
    "0x1F",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "1:30:00",
    "'quoted'",
    '"12"',
    '"true"',
    "'2026-11-22'",
    "北京市东城区安定门东街2号",
    "Mon-Sat 09:00",
    "+86 10 8402 0101",
    "12367",
    "010",
    "007",
    "1.0",
    "!!str 12",
    "[a, 1, 2026-11-22]",
    "{a: 1, b: null}",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalar_forms_resolve_as_in_ruamel(scalar: str) -> None:
    text = f"value: {scalar}\n"
    assert plain(yamlio.load(text).data) == plain(ruamel(text))


def test_an_impossible_date_stays_text_for_the_checker_to_report() -> None:
    # ruamel raises a bare ValueError here; the validator says "'2026-02-30' is not a date" instead.
    assert yamlio.load("verified_on: 2026-02-30\n").data == {"verified_on": "2026-02-30"}


def test_block_scalars_and_anchors() -> None:
    text = "a: &x\n  k: |\n    line one\n    line two\nb: *x\nc: >-\n  folded\n  text\n"
    assert plain(yamlio.load(text).data) == plain(ruamel(text))


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    doc = yamlio.load("a: 1\nb: 2\na: 3\n")
    assert doc.data == {"a": 1, "b": 2}
    assert doc.duplicates == [yamlio.DuplicateKey("a", 1, 3)]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: c: d\n", 2, "mapping values are not allowed in this context"),
        ("a: [1, 2\nb: 3\n", 2, "while parsing a flow sequence did not find expected ',' or ']'"),
        ("a:\n\t- tab\n", 2, "contains a tab character: indent with spaces only"),
        ("a: *nowhere\n", 1, "'*nowhere' refers to an anchor '&nowhere' that is not defined"),
        ("a: 1\n---\nb: 2\n", 2, "a second document starts here"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as err:
        yamlio.load(text)
    assert err.value.line == line
    assert words in err.value.message
