"""The queries the custom actions use. Every read of the knowledge base goes through here.

Each call reads in a short transaction so that a sync committed a moment ago is visible to the very next
question (no cache to invalidate, no restart). Inside `snapshot()` all calls share one transaction, so
the several reads behind one answer see one published version even while staff publish another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.kb import db, models
from bot.kb.vocab import DISTRICTS, SERVICE_ENTITY_CODES, SERVICE_PRIMARY_KIND

_snapshot: ContextVar[tuple[str | None, Session] | None] = ContextVar("kb_snapshot", default=None)


@contextmanager
def snapshot(url: str | None = None) -> Iterator[Session]:
    """Every query inside (same `url`) reads the same version of the knowledge base."""
    current = _snapshot.get()
    if current is not None and current[0] == url:
        yield current[1]
        return
    with db.read_session(url) as session:
        token = _snapshot.set((url, session))
        try:
            yield session
        finally:
            _snapshot.reset(token)


@dataclass(frozen=True)
class Place:
    """A record with the distance used to rank it (km; None when it could not be computed)."""

    record: dict[str, Any]
    distance_km: float | None = None
    approximate: bool = False  # distance measured to the district centre, not the place itself


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _position(coords: dict[str, float] | None, district: str | None) -> tuple[tuple[float, float] | None, bool]:
    if coords:
        return (coords["lat"], coords["lon"]), False
    if district in DISTRICTS:
        d = DISTRICTS[district]
        return (d.lat, d.lon), True
    return None, False


def _rank(
    items: Iterable[tuple[dict[str, Any], dict[str, float] | None, str | None]],
    district: str | None,
    near: tuple[float, float] | None,
    prefer_kinds: frozenset[str] = frozenset(),
) -> list[Place]:
    """Order places: by distance from `near`, else same district first then by distance from it."""
    origin = near or ((DISTRICTS[district].lat, DISTRICTS[district].lon) if district in DISTRICTS else None)
    ranked: list[tuple[tuple[Any, ...], Place]] = []
    for record, coords, place_district in items:
        pos, approx = _position(coords, place_district)
        dist = haversine_km(origin, pos) if origin and pos else None
        in_district = district is not None and place_district == district
        key = (
            0 if (near is None and in_district) else 1,
            dist if dist is not None else math.inf,
            # At equal distance: the specialised kind of office for the service, a place whose address
            # is known first, then the office that handles the most services (the main hall), then
            # the one with fewer doubts.
            record.get("kind") not in prefer_kinds,
            not record.get("address"),
            -len(record.get("services", [])),
            len(record.get("uncertain") or {}),
            record["name"]["en"],
        )
        ranked.append((key, Place(record, dist, approx)))
    ranked.sort(key=lambda kv: kv[0])
    return [p for _, p in ranked]


def service_codes(service: str | None) -> tuple[str, ...]:
    """Service codes for a user-level need (NLU `service` entity) or a raw code."""
    if service is None:
        return ()
    return SERVICE_ENTITY_CODES.get(service, (service,))


def find_service_points(
    services: Sequence[str] = (),
    district: str | None = None,
    near: tuple[float, float] | None = None,
    limit: int | None = 3,
    url: str | None = None,
) -> list[Place]:
    """Service points offering any of `services`, nearest first."""
    with snapshot(url) as session:
        stmt = select(models.ServicePoint)
        if services:
            ids = select(models.ServicePointService.point_id).where(models.ServicePointService.service.in_(list(services)))
            stmt = stmt.where(models.ServicePoint.id.in_(ids))
        rows = session.execute(stmt).scalars().all()
        items = [
            (r.data, {"lat": r.lat, "lon": r.lon} if r.lat is not None else None, r.district) for r in rows
        ]
    prefer = frozenset(SERVICE_PRIMARY_KIND[s] for s in services if s in SERVICE_PRIMARY_KIND)
    ranked = _rank(items, district, near, prefer)
    return ranked[:limit] if limit else ranked


def get_service_point(point_id: str, url: str | None = None) -> dict[str, Any] | None:
    with snapshot(url) as session:
        row = session.get(models.ServicePoint, point_id)
        return row.data if row else None


def get_procedures(topic: str, permit_type: str | None = None, url: str | None = None) -> list[dict[str, Any]]:
    """Procedures on `topic`; narrowed to `permit_type` when one matches."""
    with snapshot(url) as session:
        rows = session.execute(
            select(models.Procedure).where(models.Procedure.topic == topic).order_by(models.Procedure.id)
        ).scalars().all()
        records = [r.data for r in rows]
    if permit_type:
        typed = [r for r in records if r.get("permit_type") == permit_type]
        if typed:
            return typed
    return records


def find_schools(
    curriculum: str | None = None,
    district: str | None = None,
    age: int | None = None,
    limit: int | None = 5,
    url: str | None = None,
) -> list[Place]:
    """Open schools teaching `curriculum`, accepting `age`, in or nearest to `district`."""
    with snapshot(url) as session:
        stmt = select(models.School).where(models.School.status == "open")
        if curriculum:
            ids = select(models.SchoolCurriculum.school_id).where(models.SchoolCurriculum.curriculum == curriculum)
            stmt = stmt.where(models.School.id.in_(ids))
        if age is not None:
            stmt = stmt.where((models.School.age_min.is_(None)) | (models.School.age_min <= age))
            stmt = stmt.where((models.School.age_max.is_(None)) | (models.School.age_max >= age))
        rows = session.execute(stmt).scalars().all()
        records = [r.data for r in rows]
    return _rank_multi(records, district)[:limit] if limit else _rank_multi(records, district)


def _rank_multi(records: list[dict[str, Any]], district: str | None, near: tuple[float, float] | None = None) -> list[Place]:
    """Rank records with several locations by their best location."""
    best: dict[str, Place] = {}
    order: list[str] = []
    for rec in records:
        for loc in rec["locations"]:
            ranked = _rank([(rec, loc.get("coordinates"), loc.get("district"))], district, near)[0]
            cur = best.get(rec["id"])
            if cur is None:
                order.append(rec["id"])
            if cur is None or _nearer(ranked, cur):
                best[rec["id"]] = ranked
    places = [best[i] for i in order]

    def key(p: Place) -> tuple[Any, ...]:
        in_district = district is not None and any(loc.get("district") == district for loc in p.record["locations"])
        return (0 if (near is None and in_district) else 1, p.distance_km if p.distance_km is not None else math.inf, p.record["name"]["en"])

    return sorted(places, key=key)


def _nearer(a: Place, b: Place) -> bool:
    return (a.distance_km if a.distance_km is not None else math.inf) < (
        b.distance_km if b.distance_km is not None else math.inf
    )


def find_hospitals(
    need: str | None = None,
    district: str | None = None,
    language: str | None = None,
    near: tuple[float, float] | None = None,
    limit: int | None = 4,
    url: str | None = None,
) -> list[Place]:
    """Hospitals matching a need (emergency_room, international_department, english_speaking)."""
    with snapshot(url) as session:
        stmt = select(models.Hospital).where(models.Hospital.kind != "health_check_centre")
        if need == "emergency_room":
            stmt = stmt.where(models.Hospital.emergency_24h.is_(True))
        elif need == "international_department":
            stmt = stmt.where(models.Hospital.international_department.is_(True))
        if need == "english_speaking" or language:
            lang = language or "en"
            ids = select(models.HospitalLanguage.hospital_id).where(models.HospitalLanguage.language == lang)
            stmt = stmt.where(models.Hospital.id.in_(ids))
        rows = session.execute(stmt).scalars().all()
        records = [r.data for r in rows]
    ranked = _rank_multi(records, district, near)
    return ranked[:limit] if limit else ranked


def hotlines(categories: Sequence[str] = (), url: str | None = None) -> list[dict[str, Any]]:
    """Hotlines in `categories` (all when empty), in the order of `categories`."""
    with snapshot(url) as session:
        stmt = select(models.Hotline)
        if categories:
            stmt = stmt.where(models.Hotline.category.in_(list(categories)))
        rows = [r.data for r in session.execute(stmt).scalars().all()]
    order = {c: i for i, c in enumerate(categories)}
    return sorted(rows, key=lambda r: (order.get(r["category"], 99), len(r["number"]), r["number"]))


def hotline(number: str, url: str | None = None) -> dict[str, Any] | None:
    with snapshot(url) as session:
        row = session.execute(select(models.Hotline).where(models.Hotline.number == number)).scalars().first()
        return row.data if row else None
