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
    # The hotline to confirm an uncertain fact with when a record has no phone of its own (issue 16,
    # bot/knowledge/provenance.py); None: the city hotline 12345.
    confirm_hotline: Callable[[Any], str] | None = None
    # The fields people read that are translated into ja ko ru fr de es ar (overlay files
    # knowledge/translations/<lang>/<kind>.yml, bot/knowledge/translations.py); never names or addresses.
    translatable: tuple[str, ...] = ()
    # The facets its records can hold (issue 13: what a question asks of a record; empty for a kind
    # without facet facts) and the one fact `facet` of a record in a language, or None when the record
    # lacks it: facet_text(record, facet, lang, when).
    facets: frozenset[str] = frozenset()
    facet_text: Callable[[Any, str, str, Any], str | None] | None = None
