"""Which records staff should re-check: not verified for too long, or holding facts marked uncertain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.diff import record_name


@dataclass(frozen=True)
class ReviewItem:
    kind: str
    id: str
    name: str
    file: str
    line: int | None
    verified_on: dt.date
    age_days: int
    too_old: bool
    uncertain: dict[str, str] = field(default_factory=dict)


def review_list(
    records: dict[str, list[dict[str, Any]]], max_age_days: int, today: dt.date
) -> list[ReviewItem]:
    """Records verified more than `max_age_days` before `today`, or with uncertain facts; by file and line."""
    items: list[ReviewItem] = []
    for kind, recs in records.items():
        for rec in recs:
            verified = dt.date.fromisoformat(rec["verified_on"])
            age = (today - verified).days
            uncertain = dict(rec.get("uncertain") or {})
            too_old = age > max_age_days
            if too_old or uncertain:
                items.append(
                    ReviewItem(
                        kind,
                        rec["id"],
                        record_name(rec),
                        rec.get("_file", "?"),
                        rec.get("_line"),
                        verified,
                        age,
                        too_old,
                        uncertain,
                    )
                )
    items.sort(key=lambda i: (i.file, i.line or 0))
    return items


def by_file(items: Iterable[ReviewItem]) -> dict[str, list[ReviewItem]]:
    out: dict[str, list[ReviewItem]] = {}
    for item in items:
        out.setdefault(item.file, []).append(item)
    return out
