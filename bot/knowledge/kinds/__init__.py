"""The registry of knowledge kinds: everything about one kind of record lives in one module here.

Each module holds the kind's record type, schema, table and link tables, the rows the loader writes,
its queries and how its records are rendered in an answer. The loader, the schema check, the diff
and the staff commands read this registry; nothing else lists the kinds. Adding a kind (README "How
to extend"):

1. `bot/knowledge/kinds/<kind>.py` (copy `hotlines.py`, the smallest) and its line in REGISTRY; its
   `KIND` names the facets its records hold and their `facet_text` (issue 13), so it comes last;
2. the facts: `knowledge/<kind>.yml`, starting with `<kind>:` (docs/knowledge-schema.md);
3. the answer that uses it: a function in `bot/dialogue/answers.py` (and, for a new question, the
   intent checklist). A new table is created when the assistant or a sync starts (create_all) and
   filled by the next sync; a changed table changes the schema: bump `models.SCHEMA_VERSION` (the next
   sync rebuilds the knowledge tables).
"""

from __future__ import annotations

from bot.knowledge.kinds import (
    faq,
    hospitals,
    hotlines,
    landmarks,
    procedures,
    schools,
    service_points,
)
from bot.knowledge.kinds.base import Kind, Rows

REGISTRY: tuple[Kind, ...] = (
    service_points.KIND,
    procedures.KIND,
    schools.KIND,
    hospitals.KIND,
    hotlines.KIND,
    faq.KIND,  # questions and answers (issue 14)
    landmarks.KIND,  # landmarks and neighbourhoods (issue 13)
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in REGISTRY}

__all__ = ["KINDS", "REGISTRY", "Kind", "Rows"]
