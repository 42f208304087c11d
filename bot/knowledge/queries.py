"""The queries the custom actions use. Every read of the knowledge base goes through here.

Each call reads in a short transaction so that a sync committed a moment ago is visible to the very next
question (no cache to invalidate, no restart). Inside `snapshot()` all calls share one transaction, so
the several reads behind one answer see one published version even while staff publish another.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.vocab import DISTRICTS, SERVICE_ENTITY_CODES, SERVICE_PRIMARY_KIND
from bot.knowledge import db, models

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
    record: dict[str, Any], coords: dict[str, float] | None, district: str | None
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


def _around(near: tuple[float, float], km: float) -> ColumnElement[bool]:
    """Service points whose position (own coordinates, else district centre) is in a box around `near`."""
    sp = models.ServicePoint
    lat, lon = near
    # A degree of latitude is 111.2 km, of longitude 111.2 km × cos(latitude): divide by less, and take the
    # cosine at the box's edge farthest from the equator, so that everything within `km` is inside.
    dlat = km / 110.0
    dlon = km / (110.0 * max(0.01, math.cos(math.radians(min(89.0, abs(lat) + dlat)))))
    centres = [
        code
        for code, d in DISTRICTS.items()
        if abs(d.lat - lat) <= dlat and abs(d.lon - lon) <= dlon
    ]
    box = and_(sp.lat.between(lat - dlat, lat + dlat), sp.lon.between(lon - dlon, lon + dlon))
    return or_(box, and_(sp.lat.is_(None), sp.district.in_(centres))) if centres else box


def _narrowings(
    district: str | None, near: tuple[float, float] | None, limit: int | None
) -> Iterator[
    tuple[ColumnElement[bool] | None, Callable[[list[tuple[Candidate, float | None, bool]]], bool]]
]:
    """Filters that contain the winners when they return enough places, narrowest first, then no filter.

    Each comes with the test that proves its top `limit` is the true top `limit`.
    """
    if limit:
        if near is None and district in DISTRICTS:
            # In-district places rank before all others.
            yield models.ServicePoint.district == district, lambda ranked: len(ranked) >= limit
        elif near is not None:
            for km in (3.0, 10.0, 30.0):
                # Every place nearer than `km` is inside the box, so a top `limit` within `km` is final.
                yield (
                    _around(near, km),
                    lambda ranked, km=km: (
                        len(ranked) >= limit
                        and (ranked[limit - 1][1] if ranked[limit - 1][1] is not None else math.inf)
                        <= km
                    ),
                )
    yield None, lambda ranked: True


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
    """Service points offering any of `services`, nearest first.

    Ranks on narrow columns and decodes the full records of the winners only: thousands of candidates
    cost milliseconds, not the time to decode thousands of JSON documents.
    """
    sp = models.ServicePoint
    narrow = select(
        sp.id,
        sp.district,
        sp.lat,
        sp.lon,
        sp.kind,
        sp.has_address,
        sp.service_count,
        sp.uncertain_count,
        sp.name_en,
    )
    if services:
        ids = select(models.ServicePointService.point_id).where(
            models.ServicePointService.service.in_(list(services))
        )
        narrow = narrow.where(sp.id.in_(ids))
    prefer = frozenset(SERVICE_PRIMARY_KIND[s] for s in services if s in SERVICE_PRIMARY_KIND)
    with snapshot(url) as session:
        for condition, enough in _narrowings(district, near, limit):
            stmt = narrow if condition is None else narrow.where(condition)
            ranked = _rank(map(Candidate._make, session.execute(stmt)), district, near, prefer)
            if enough(ranked):
                break
        ranked = ranked[:limit] if limit else ranked
        data = (
            dict(
                session.execute(
                    select(sp.id, sp.data).where(sp.id.in_([c.id for c, _, _ in ranked]))
                ).all()
            )
            if ranked
            else {}
        )
    return [Place(data[c.id], dist, approx) for c, dist, approx in ranked]


def get_service_point(point_id: str, url: str | None = None) -> dict[str, Any] | None:
    with snapshot(url) as session:
        row = session.get(models.ServicePoint, point_id)
        return row.data if row else None


def get_procedures(
    topic: str, permit_type: str | None = None, url: str | None = None
) -> list[dict[str, Any]]:
    """Procedures on `topic`; narrowed to `permit_type` when one matches."""
    with snapshot(url) as session:
        rows = (
            session.execute(
                select(models.Procedure)
                .where(models.Procedure.topic == topic)
                .order_by(models.Procedure.id)
            )
            .scalars()
            .all()
        )
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
            ids = select(models.SchoolCurriculum.school_id).where(
                models.SchoolCurriculum.curriculum == curriculum
            )
            stmt = stmt.where(models.School.id.in_(ids))
        if age is not None:
            stmt = stmt.where((models.School.age_min.is_(None)) | (models.School.age_min <= age))
            stmt = stmt.where((models.School.age_max.is_(None)) | (models.School.age_max >= age))
        rows = session.execute(stmt).scalars().all()
        records = [r.data for r in rows]
    return _rank_multi(records, district)[:limit] if limit else _rank_multi(records, district)


def _rank_multi(
    records: list[dict[str, Any]], district: str | None, near: tuple[float, float] | None = None
) -> list[Place]:
    """Rank records with several locations by their best location."""
    best: dict[str, Place] = {}
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

    def key(p: Place) -> tuple[Any, ...]:
        in_district = district is not None and any(
            loc.get("district") == district for loc in p.record["locations"]
        )
        return (
            0 if (near is None and in_district) else 1,
            p.distance_km if p.distance_km is not None else math.inf,
            p.record["name"]["en"],
        )

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
            ids = select(models.HospitalLanguage.hospital_id).where(
                models.HospitalLanguage.language == lang
            )
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
        row = (
            session.execute(select(models.Hotline).where(models.Hotline.number == number))
            .scalars()
            .first()
        )
        return row.data if row else None
