"""What the conversation is about (issue 13): the current topic, the records shown and the filters.

Every knowledge answer stores a `Context` in the `context` slot (a plain dict); an elliptical follow-up
("what about in Haidian?", "and on Saturday?", "its phone?", "the second one") is answered from it, and
a new complete question replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

SLOT = "context"

# The filters a question can carry and a follow-up can change (NLU entity names, and "spoken": the
# language a hospital's staff should speak, from a `language` entity in a healthcare question).
FILTERS = (
    "district",
    "curriculum",
    "permit_type",
    "service",
    "medical_need",
    "age",
    "weekday",
    "spoken",
)

# Kinds of records that are places (shown with an address); procedures are what to do.
PLACE_KINDS = ("service_points", "schools", "hospitals")


@dataclass(frozen=True)
class Context:
    """`intent`: the topic intent of the question being discussed (residence_permit, healthcare, ...).
    `procedures`: ids of the procedure records the answer was about, best first.
    `kind`/`ids`: the kind and ids of the places shown, in the order shown (what "the second one" means).
    `filters`: entity values the question was narrowed by. `facet`: the fact asked last (phone, fee...).
    `faq`: the questions-and-answers entry that answered last, when no topic did (a follow-up on its
    answer, "are there any fees?", is matched among the entries on its subject)."""

    intent: str | None = None
    procedures: list[str] = field(default_factory=list)
    kind: str | None = None
    ids: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    facet: str | None = None
    faq: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.intent or self.procedures or self.ids)

    def to_slot(self) -> dict[str, Any]:
        return asdict(self)

    def with_filters(self, changes: Mapping[str, Any]) -> Context:
        """The same context with the filters in `changes` replaced (None values are ignored)."""
        filters = dict(self.filters)
        filters.update({k: str(v) for k, v in changes.items() if k in FILTERS and v is not None})
        return replace(self, filters=filters)

    def pick(self, ordinal: str | None) -> list[str]:
        """The ids of the places an ordinal points at ("2" -> the second shown, "last"); all shown
        when there is none; [] when it points past the list."""
        if ordinal is None:
            return list(self.ids)
        if ordinal == "last":
            return self.ids[-1:]
        try:
            n = int(ordinal)
        except ValueError:
            return []
        return [self.ids[n - 1]] if 1 <= n <= len(self.ids) else []


def load(value: Any) -> Context:
    """The context stored in the slot (a dict), or an empty one when there is none or it is malformed."""
    if not isinstance(value, Mapping):
        return Context()

    def strings(key: str) -> list[str]:
        items = value.get(key)
        return [str(x) for x in items] if isinstance(items, list) else []

    filters = value.get("filters")
    kind = value.get("kind")
    return Context(
        intent=str(value["intent"]) if value.get("intent") else None,
        procedures=strings("procedures"),
        kind=str(kind) if kind in PLACE_KINDS else None,
        ids=strings("ids"),
        filters={str(k): str(v) for k, v in filters.items() if k in FILTERS and v is not None}
        if isinstance(filters, Mapping)
        else {},
        facet=str(value["facet"]) if value.get("facet") else None,
        faq=str(value["faq"]) if value.get("faq") else None,
    )
