"""What a sync would change: records added, removed and changed, field by field.

The same comparison serves `beijing-assistant diff` (before anything is written), the sync itself (which
writes only what changed) and the audit log (which keeps it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.knowledge.models import KIND_TABLES

ChangeType = Literal["added", "removed", "changed"]

_ABSENT = object()


@dataclass(frozen=True)
class FieldChange:
    """One field path (as in validation messages, e.g. `hours.weekly[1].ranges[1]`) and its two values."""

    path: str
    old: Any = None
    new: Any = None
    was_absent: bool = False
    now_absent: bool = False

    def describe(self, width: int = 70) -> str:
        old = "(not set)" if self.was_absent else show(self.old, width)
        new = "(removed)" if self.now_absent else show(self.new, width)
        return f"{self.path}: {old} → {new}"


@dataclass
class RecordChange:
    kind: str
    id: str
    change: ChangeType
    name: str
    file: str | None = None
    line: int | None = None
    fields: list[FieldChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "change": self.change,
            "name": self.name,
        }
        if self.file:
            out["file"], out["line"] = self.file, self.line
        if self.fields:
            out["fields"] = [
                {
                    "path": f.path,
                    **({} if f.was_absent else {"old": f.old}),
                    **({} if f.now_absent else {"new": f.new}),
                }
                for f in self.fields
            ]
        return out


@dataclass
class KnowledgeDiff:
    changes: list[RecordChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, change: ChangeType) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def ids(self, kind: str, *changes: ChangeType) -> list[str]:
        return [c.id for c in self.changes if c.kind == kind and c.change in changes]

    def summary(self) -> str:
        return (
            f"{self.count('added')} added, {self.count('removed')} removed, "
            f"{self.count('changed')} changed, {self.unchanged} unchanged"
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.changes]


def show(value: Any, width: int = 70) -> str:
    """A value as staff would write it, shortened to `width` characters."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif value is None:
        text = "null"
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 1] + "…"


def record_name(data: Mapping[str, Any]) -> str:
    label = data.get("name") or data.get("title") or {}
    return str(label.get("en") or "") if isinstance(label, Mapping) else str(label)


def field_changes(old: Any, new: Any, path: str = "") -> Iterator[FieldChange]:
    """Every leaf-level difference between two validated values; paths count list items from 1."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*new, *(k for k in old if k not in new)]:
            sub = f"{path}.{key}" if path else str(key)
            a, b = old.get(key, _ABSENT), new.get(key, _ABSENT)
            if a is _ABSENT:
                yield FieldChange(sub, new=b, was_absent=True)
            elif b is _ABSENT:
                yield FieldChange(sub, old=a, now_absent=True)
            else:
                yield from field_changes(a, b, sub)
    elif (
        isinstance(old, list)
        and isinstance(new, list)
        and old
        and new
        and (isinstance(old[0], Mapping | list) or len(old) == len(new))
    ):
        # Lists of records (phones, fees, weekly hours) or of equal length: item by item.
        for i in range(max(len(old), len(new))):
            sub = f"{path}[{i + 1}]"
            if i >= len(old):
                yield FieldChange(sub, new=new[i], was_absent=True)
            elif i >= len(new):
                yield FieldChange(sub, old=old[i], now_absent=True)
            else:
                yield from field_changes(old[i], new[i], sub)
    elif old != new or type(old) is not type(new) and not _same_number(old, new):
        yield FieldChange(path, old=old, new=new)


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def published(conn: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """The records in the database now: kind -> id -> validated content."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, (table, _links) in KIND_TABLES.items():
        rows = conn.execute(select(table.id, table.data)).all()
        out[kind] = {rid: data for rid, data in rows}
    return out


def compare(
    current: Mapping[str, Mapping[str, dict[str, Any]]], records: Mapping[str, list[dict[str, Any]]]
) -> KnowledgeDiff:
    """Differences between what is published (`current`) and validated file records (`records`)."""
    diff = KnowledgeDiff()
    for kind in KIND_TABLES:
        before = current.get(kind, {})
        seen: set[str] = set()
        for rec in records.get(kind, []):
            rid = rec["id"]
            seen.add(rid)
            data = content(rec)
            old = before.get(rid)
            where: dict[str, Any] = {"file": rec.get("_file"), "line": rec.get("_line")}
            if old is None:
                diff.changes.append(RecordChange(kind, rid, "added", record_name(data), **where))
            elif old != data:
                fields = list(field_changes(old, data))
                if fields:
                    diff.changes.append(
                        RecordChange(
                            kind, rid, "changed", record_name(data), fields=fields, **where
                        )
                    )
                else:
                    diff.unchanged += 1
            else:
                diff.unchanged += 1
        for rid, old in before.items():
            if rid not in seen:
                diff.changes.append(RecordChange(kind, rid, "removed", record_name(old)))
    return diff


def content(record: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored for a record: its validated fields without the loader's bookkeeping (_file, _line)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
