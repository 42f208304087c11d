"""Fast, line-aware YAML reading for the knowledge files.

Staff need every problem reported with its line, so values must remember where they were written.
ruamel's round-trip loader does that but needs about a minute for 10 000 service points; here libyaml's C
parser (PyYAML's ``CBaseLoader``) produces the event stream and this module builds plain dicts and lists
that carry their positions in an ``lc`` attribute shaped like ruamel's (``lc.line``, ``lc.key(k)``,
``lc.item(i)``, 0-based), about 30 times faster.

Plain scalars are resolved with the YAML 1.2 core schema plus dates, as ruamel does, so ``09:00`` stays a
text (YAML 1.1 would read it as 540 minutes) and ``2026-11-22`` becomes a date. tests/test_yamlio.py checks
the results against ruamel on every knowledge file and on many scalar forms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events

try:  # libyaml is bundled with PyYAML's wheels; the pure-Python parser gives the same result, slower.
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `line` is 1-based (None when unknown)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping (the first value is kept). Lines are 1-based."""

    key: Any
    first_line: int
    line: int


@dataclass
class Positions:
    """Where a mapping or sequence and its keys/items start (0-based line, column), like ruamel's `lc`."""

    line: int
    col: int
    keys: dict[Any, tuple[int, int]] = field(default_factory=dict)
    items: list[tuple[int, int]] = field(default_factory=list)

    def key(self, key: Any) -> tuple[int, int]:
        return self.keys[key]

    def item(self, index: int) -> tuple[int, int]:
        return self.items[index]


class Mapping(dict[Any, Any]):
    """A dict that knows where it and its keys were written."""

    __slots__ = ("lc",)
    lc: Positions


class Sequence(list[Any]):
    """A list that knows where it and its items were written."""

    __slots__ = ("lc",)
    lc: Positions


@dataclass
class Document:
    data: Any
    duplicates: list[DuplicateKey]


_INT = re.compile(r"[-+]?[0-9][0-9_]*")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_SPECIAL_FLOATS = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    ".NAN": float("nan"),
}


def resolve_plain(value: str) -> Any:
    """The value of an unquoted scalar (YAML 1.2 core schema, plus ISO dates)."""
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    first = value[0]
    if not (first.isdigit() or first in "+-."):
        return value
    if _INT.fullmatch(value):
        return int(value.replace("_", ""))
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if _FLOAT.fullmatch(value):
        return float(value)
    if _OCT.fullmatch(value):
        return int(value[2:], 8)
    if _HEX.fullmatch(value):
        return int(value[2:], 16)
    return _SPECIAL_FLOATS.get(value, value)


_NO_KEY = object()


def load(text: str) -> Document:
    """Parse one YAML document. Raises YamlSyntaxError (with the line) when the text is not YAML."""
    stack: list[Mapping | Sequence] = []
    pending: list[Any] = []  # per open mapping: _NO_KEY or (key, line, column) awaiting its value
    anchors: dict[str, Any] = {}
    duplicates: list[DuplicateKey] = []
    root: Any = None
    documents = 0

    def add(value: Any, mark: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top, Sequence):
            top.lc.items.append((mark.line, mark.column))
            top.append(value)
            return
        waiting = pending[-1]
        if waiting is _NO_KEY:
            pending[-1] = (value, mark.line, mark.column)
            return
        key, line, column = waiting
        pending[-1] = _NO_KEY
        try:
            known = key in top
        except TypeError:  # an unhashable key such as a list: keep it as text so it can be reported
            key = str(key)
            known = key in top
        if known:
            duplicates.append(DuplicateKey(key, top.lc.keys[key][0] + 1, line + 1))
            return
        top.lc.keys[key] = (line, column)
        top[key] = value

    try:
        # Any: PyYAML's stubs type every event as the base class; `type(event) is` picks the kind (fast).
        parsed: Iterator[Any] = yaml.parse(text, Loader=_Loader)
        for event in parsed:
            kind = type(event)
            if kind is events.ScalarEvent:
                plain = event.implicit[0] and not event.style
                value = resolve_plain(event.value) if plain else event.value
                if event.anchor:
                    anchors[event.anchor] = value
                add(value, event.start_mark)
            elif kind is events.MappingStartEvent:
                mapping = Mapping()
                mapping.lc = Positions(event.start_mark.line, event.start_mark.column)
                if event.anchor:
                    anchors[event.anchor] = mapping
                add(mapping, event.start_mark)
                stack.append(mapping)
                pending.append(_NO_KEY)
            elif kind is events.SequenceStartEvent:
                sequence = Sequence()
                sequence.lc = Positions(event.start_mark.line, event.start_mark.column)
                if event.anchor:
                    anchors[event.anchor] = sequence
                add(sequence, event.start_mark)
                stack.append(sequence)
            elif kind is events.MappingEndEvent:
                stack.pop()
                pending.pop()
            elif kind is events.SequenceEndEvent:
                stack.pop()
            elif kind is events.AliasEvent:
                if event.anchor not in anchors:
                    raise YamlSyntaxError(
                        event.start_mark.line + 1,
                        f"'*{event.anchor}' refers to an anchor '&{event.anchor}' that is not defined",
                    )
                add(anchors[event.anchor], event.start_mark)
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlSyntaxError(
                        event.start_mark.line + 1,
                        "a second document starts here ('---'); keep one document per file",
                    )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
        lines = text.splitlines()
        if line is not None and line <= len(lines) and "\t" in lines[line - 1]:
            what += " (this line contains a tab character: indent with spaces only)"
        raise YamlSyntaxError(line, what) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc)) from exc
    return Document(root, duplicates)
