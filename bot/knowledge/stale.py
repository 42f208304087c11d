"""Which records staff should re-check: never confirmed by staff, confirmed too long ago, or holding
facts marked uncertain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import provenance
from bot.knowledge.diff import record_name


@dataclass(frozen=True)
class ReviewItem:
    kind: str
    id: str
    name: str
    file: str
    line: int | None
    verified_on: dt.date | None  # None: never confirmed by staff
    age_days: int | None
    too_old: bool
    uncertain: dict[str, str] = field(default_factory=dict)
    verified_by: str | None = None

    @property
    def never_confirmed(self) -> bool:
        return self.verified_on is None


def review_list(
    records: dict[str, list[dict[str, Any]]], max_age_days: int, today: dt.date
) -> list[ReviewItem]:
    """Records never confirmed by staff, confirmed more than `max_age_days` before `today`, or with
    uncertain facts; by file and line."""
    items: list[ReviewItem] = []
    for kind, recs in records.items():
        for rec in recs:
            verified = (
                dt.date.fromisoformat(rec["verified_on"]) if provenance.is_confirmed(rec) else None
            )
            age = (today - verified).days if verified else None
            uncertain = dict(rec.get("uncertain") or {})
            too_old = age is not None and age > max_age_days
            if verified is None or too_old or uncertain:
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
                        rec.get("verified_by") if verified else None,
                    )
                )
    items.sort(key=lambda i: (i.file, i.line or 0))
    return items


def by_file(items: Iterable[ReviewItem]) -> dict[str, list[ReviewItem]]:
    out: dict[str, list[ReviewItem]] = {}
    for item in items:
        out.setdefault(item.file, []).append(item)
    return out


UNCONFIRMED_COLUMNS = ["File", "Line", "Kind", "Id", "Name", "Uncertain fields"]


def unconfirmed_rows(records: dict[str, list[dict[str, Any]]]) -> list[list[Any]]:
    """One row per record that no staff member has confirmed (no verified_on + verified_by), by file and line."""
    rows = [
        [
            rec.get("_file", "?"),
            rec.get("_line") or "",
            kind,
            rec["id"],
            record_name(rec),
            ", ".join(rec.get("uncertain") or {}),
        ]
        for kind, recs in records.items()
        for rec in recs
        if not provenance.is_confirmed(rec)
    ]
    rows.sort(key=lambda r: (r[0], r[1] or 0))
    return rows
