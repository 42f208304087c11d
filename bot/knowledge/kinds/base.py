"""What the knowledge base needs to know about one kind of record (see bot/knowledge/kinds/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.knowledge.schema import Checker, Spec

# The kind-specific columns of a record's row (the loader adds `id` and `data`), and its link-table rows.
Rows = tuple[dict[str, Any], dict[type, list[dict[str, Any]]]]


@dataclass(frozen=True)
class Kind:
    """One kind of record: `knowledge/*.yml` files that start with `name:` hold records of it."""

    name: str  # the key a knowledge file starts with, e.g. "schools"; also the table's name
    record: type  # its TypedDict (bot/knowledge/records.py has the common fields)
    fields: (
        Spec  # schema: field -> (required, checker); the common fields are added (schema.COMMON)
    )
    table: (
        type  # SQLAlchemy model: id, the columns queries filter on, and `data` (the whole record)
    )
    rows: Callable[[Any], Rows]  # a validated record -> its row's kind-specific columns, link rows
    links: tuple[tuple[type, str], ...] = ()  # link tables and the column that names the record
    # Checks across fields, after each field was checked: (checker, record, node, name, line).
    check: Callable[[Checker, Any, Any, str, int | None], None] | None = None
