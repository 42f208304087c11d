"""Reading the knowledge base: snapshots and the ranking of places, shared by the kinds' queries.

Each kind's queries are in its module in bot/knowledge/kinds/ (re-exported here under their old names).

Each call reads in a short transaction so that a sync committed a moment ago is visible to the very next
question (no cache to invalidate, no restart). Inside `snapshot()` all calls share one transaction, so
the several reads behind one answer see one published version even while staff publish another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from bot.core.vocab import DISTRICTS

_snapshot: ContextVar[tuple[str | None, Session] | None] = ContextVar("kb_snapshot", default=None)


@contextmanager
def snapshot(url: str | None = None) -> Iterator[Session]:
    """Every query inside (same `url`) reads the same version of the knowledge base."""
    current = _snapshot.get()
    if current is not None and current[0] == url:
        yield current[1]
        return
    from bot.knowledge import db  # db -> models -> kinds -> this module

    with db.read_session(url) as session:
        token = _snapshot.set((url, session))
        try:
            yield session
        finally:
            _snapshot.reset(token)


# A kind's record type (bot/knowledge/kinds/): places keep the type of the records they rank.
R = TypeVar("R", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Place(Generic[R]):
    """A record with the distance used to rank it (km; None when it could not be computed)."""

    record: R
    distance_km: float | None = None
    approximate: bool = False  # distance measured to the district centre, not the place itself


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


class Candidate(NamedTuple):
    """What ranking looks at: where a place is and how it compares with others at the same distance.

    The fields are in the order of the narrow select in `find_service_points`, so rows become candidates
    without conversion.
    """

    id: str
    district: str | None
    lat: float | None
    lon: float | None
    kind: str | None = None
    has_address: bool = False
    service_count: int = 0
    uncertain_count: int = 0
    name: str = ""


def _candidate(
    record: Mapping[str, Any], coords: Mapping[str, float] | None, district: str | None
) -> Candidate:
    return Candidate(
        record["id"],
        district,
        coords["lat"] if coords else None,
        coords["lon"] if coords else None,
        record.get("kind"),
        bool(record.get("address")),
        len(record.get("services", [])),
        len(record.get("uncertain") or {}),
        record["name"]["en"],
    )


def _position(c: Candidate) -> tuple[tuple[float, float] | None, bool]:
    if c.lat is not None and c.lon is not None:
        return (c.lat, c.lon), False
    if c.district in DISTRICTS:
        d = DISTRICTS[c.district]
        return (d.lat, d.lon), True
    return None, False


def _rank(
    candidates: Iterable[Candidate],
    district: str | None,
    near: tuple[float, float] | None,
    prefer_kinds: frozenset[str] = frozenset(),
) -> list[tuple[Candidate, float | None, bool]]:
    """Order places: by distance from `near`, else same district first then by distance from it."""
    origin = near or (
        (DISTRICTS[district].lat, DISTRICTS[district].lon) if district in DISTRICTS else None
    )
    ranked: list[tuple[tuple[Any, ...], tuple[Candidate, float | None, bool]]] = []
    for c in candidates:
        pos, approx = _position(c)
        dist = haversine_km(origin, pos) if origin and pos else None
        in_district = district is not None and c.district == district
        key = (
            0 if (near is None and in_district) else 1,
            # In the district asked (no position given), the specialised kind of office first: the
            # district's centre is not where the user is.
            near is None and in_district and c.kind not in prefer_kinds,
            dist if dist is not None else math.inf,
            # At equal distance: the specialised kind of office for the service, a place whose address
            # is known first, then the office that handles the most services (the main hall), then
            # the one with fewer doubts.
            c.kind not in prefer_kinds,
            not c.has_address,
            -c.service_count,
            c.uncertain_count,
            c.name,
            c.id,  # the same order on every run, whatever order the database returns rows in
        )
        ranked.append((key, (c, dist, approx)))
    ranked.sort(key=lambda kv: kv[0])
    return [item for _, item in ranked]


def _rank_multi(
    records: Sequence[R], district: str | None, near: tuple[float, float] | None = None
) -> list[Place[R]]:
    """Rank records with several locations by their best location."""
    best: dict[str, Place[R]] = {}
    order: list[str] = []
    for rec in records:
        for loc in rec["locations"]:
            _, dist, approx = _rank(
                [_candidate(rec, loc.get("coordinates"), loc.get("district"))], district, near
            )[0]
            ranked = Place(rec, dist, approx)
            cur = best.get(rec["id"])
            if cur is None:
                order.append(rec["id"])
            if cur is None or _nearer(ranked, cur):
                best[rec["id"]] = ranked
    places = [best[i] for i in order]

    def key(p: Place[R]) -> tuple[Any, ...]:
        in_district = district is not None and any(
            loc.get("district") == district for loc in p.record["locations"]
        )
        return (
            0 if (near is None and in_district) else 1,
            p.distance_km if p.distance_km is not None else math.inf,
            # At equal distance, a place whose address is known first (issue 13).
            not any(loc.get("address") for loc in p.record["locations"]),
            p.record["name"]["en"],
        )

    return sorted(places, key=key)


def _nearer(a: Place[Any], b: Place[Any]) -> bool:
    return (a.distance_km if a.distance_km is not None else math.inf) < (
        b.distance_km if b.distance_km is not None else math.inf
    )


# The kinds' queries under the names they had here (the kinds import this module, so looked up lazily).
_MOVED = {
    "service_codes": "service_points",
    "find_service_points": "service_points",
    "get_service_point": "service_points",
    "get_procedures": "procedures",
    "find_schools": "schools",
    "find_hospitals": "hospitals",
    "hotlines": "hotlines",
    "hotline": "hotlines",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"bot.knowledge.kinds.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
