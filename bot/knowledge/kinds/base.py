"""What the knowledge base needs to know about one kind of record (see
bot/knowledge/kinds/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.knowledge.schema import Checker, Spec

# The kind-specific columns of a record's row (the loader adds `id` and `data`), and its link-table
# rows.
Rows = tuple[dict[str, Any], dict[type[Any], list[dict[str, Any]]]]


@dataclass(frozen=True)
class Kind:
    """One kind of record: `knowledge/*.yml` files that start with `name:` hold records of it."""

    # The key a knowledge file starts with, e.g. "schools"; also the table's name.
    name: str
    # Its TypedDict (bot/knowledge/records.py has the common fields).
    record: type[Any]
    # Schema: field -> (required, checker); the common fields are added (schema.COMMON).
    fields: Spec
    # SQLAlchemy model: id, the columns queries filter on, and `data` (the whole record).
    table: type[Any]
    # A validated record -> its row's kind-specific columns, and its link-table rows.
    rows: Callable[[Any], Rows]
    # Link tables and the column that names the record.
    links: tuple[tuple[type[Any], str], ...] = ()
    # Checks across fields, after each field was checked: (checker, record, node, name, line).
    check: Callable[[Checker, Any, Any, str, int | None], None] | None = None
