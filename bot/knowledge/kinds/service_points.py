"""Service points: the offices and halls where foreigners apply (exit-entry, work permits,
police)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from bot.core import vocab
from bot.core.vocab import DISTRICTS, SERVICE_ENTITY_CODES, SERVICE_PRIMARY_KIND
from bot.dialogue import hours as hours_mod
from bot.dialogue.i18n import local, t
from bot.dialogue.render import (
    _distance_line,
    _name_lines,
    address_lines,
    district_name,
    format_day,
    format_hours,
    format_phones,
    format_status,
    provenance,
    weekly_text,
)
from bot.knowledge.facets import web_and_email, with_doubts
from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.provenance import CITY_HOTLINE, IMMIGRATION_HOTLINE
from bot.knowledge.queries import Candidate, Place, _rank, snapshot
from bot.knowledge.records import Address, Coordinates, Hours, LocalText, Phone, Record
from bot.knowledge.schema import (
    SERVICE_CODE,
    Spec,
    _check_district,
    check_address,
    check_aliases,
    check_coordinates,
    check_hours,
    check_local_text,
    check_phone,
    check_str,
    list_of,
    one_of,
)


class ServicePointRecord(Record, total=False):
    kind: str
    name: LocalText
    district: str | None
    address: Address | None
    coordinates: Coordinates | None
    phones: list[Phone]
    email: str | None
    website: str | None
    hours: Hours | None
    services: list[str]
    appointment: LocalText | None
    aliases: list[str]


FIELDS: Spec = {
    "kind": (True, one_of(vocab.SERVICE_POINT_KINDS, "kind")),
    "name": (True, check_local_text),
    "district": (True, _check_district),
    "address": (True, check_address),
    "coordinates": (False, check_coordinates),
    "phones": (True, list_of(check_phone)),
    "email": (False, check_str),
    "website": (False, check_str),
    "hours": (True, check_hours),
    "services": (True, list_of(SERVICE_CODE, non_empty=True)),
    "appointment": (False, check_local_text),
    "aliases": (False, check_aliases),
}


class ServicePoint(Base):
    __tablename__ = "service_points"
    id = Column(String(80), primary_key=True)
    kind = Column(String(40), nullable=False, index=True)
    district = Column(String(20), index=True)
    lat = Column(Float, index=True)
    lon = Column(Float)
    # What ranking needs, so that thousands of candidates are ranked without decoding their JSON.
    name_en = Column(String(300), nullable=False)
    has_address = Column(Boolean, nullable=False)
    service_count = Column(Integer, nullable=False)
    uncertain_count = Column(Integer, nullable=False)
    data = data_column()


class ServicePointService(Base):
    __tablename__ = "service_point_services"
    point_id = Column(
        String(80), ForeignKey("service_points.id", ondelete="CASCADE"), primary_key=True
    )
    service = Column(String(60), primary_key=True, index=True)


def rows(rec: ServicePointRecord) -> Rows:
    coords = rec.get("coordinates")
    row = {
        "kind": rec["kind"],
        "district": rec.get("district"),
        "lat": coords.get("lat") if coords else None,
        "lon": coords.get("lon") if coords else None,
        "name_en": rec["name"]["en"],
        "has_address": bool(rec.get("address")),
        "service_count": len(rec["services"]),
        "uncertain_count": len(rec.get("uncertain") or {}),
    }
    services = [{"point_id": rec["id"], "service": s} for s in dict.fromkeys(rec["services"])]
    return row, {ServicePointService: services}


# Offices of the immigration administration: confirm with 12367; talent centres, government service
# halls, community centres and the health-check centre with the city hotline 12345.
IMMIGRATION_POINT_KINDS = {"exit_entry_hall", "port_visa_office", "police_service_station"}


def _around(near: tuple[float, float], km: float) -> ColumnElement[bool]:
    """Service points whose position (own coordinates, else district centre) is in a box around
    `near`."""
    sp = ServicePoint
    lat, lon = near
    # A degree of latitude is 111.2 km, of longitude 111.2 km × cos(latitude): divide by less, and
    # take the cosine at the box's edge farthest from the equator, so that everything within `km` is
    # inside.
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
    """Filters that contain the winners when they return enough places, narrowest first, then no
    filter.

    Each comes with the test that proves its top `limit` is the true top `limit`.
    """
    if limit:
        if near is None and district in DISTRICTS:
            # In-district places rank before all others.
            yield ServicePoint.district == district, lambda ranked: len(ranked) >= limit
        elif near is not None:
            for km in (3.0, 10.0, 30.0):
                # Every place nearer than `km` is inside the box, so a top `limit` within `km` is
                # final.
                def final(
                    ranked: list[tuple[Candidate, float | None, bool]], km: float = km
                ) -> bool:
                    last = ranked[limit - 1][1] if len(ranked) >= limit else None
                    return len(ranked) >= limit and (last if last is not None else math.inf) <= km

                yield _around(near, km), final
    yield None, lambda ranked: True


def service_codes(service: str | None) -> tuple[str, ...]:
    """Service codes for a user-level need (NLU `service` entity) or a raw code."""
    if service is None:
        return ()
    return SERVICE_ENTITY_CODES.get(service, (service,))


def narrowest_service(services: Sequence[str]) -> str | None:
    """Of the needs a message names, the one it asks where to go for: when they are done at different
    kinds of office, the narrowest (fewest service codes): "居留许可的体检在哪里做" names the residence
    permit and its medical examination (a health-check centre) and asks where the examination is done;
    when one kind of office does them all ("verlängern" and "Aufenthaltserlaubnis", both at an
    exit-entry hall), the first named."""
    kinds = {
        vocab.SERVICE_PRIMARY_KIND.get(codes[0]) if codes else None
        for codes in (service_codes(s) for s in services)
    }
    if len(kinds) < 2:
        return services[0] if services else None
    return min(services, key=lambda s: len(service_codes(s)))


# The kind of office for foreigners in general, when a question names no service.
GENERAL_KIND = "exit_entry_hall"


def find_service_points(
    services: Sequence[str] = (),
    district: str | None = None,
    near: tuple[float, float] | None = None,
    limit: int | None = 3,
    url: str | None = None,
    kinds: frozenset[str] = frozenset(),
) -> list[Place[ServicePointRecord]]:
    """Service points offering any of `services`, nearest first (among equally near ones, the kind
    that specialises in the services, or one of `kinds`: the kind of office the message named); with
    no services, only places of `kinds` when it is given.

    Ranks on narrow columns and decodes the full records of the winners only: thousands of
    candidates cost milliseconds, not the time to decode thousands of JSON documents.
    """
    sp = ServicePoint
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
        ids = select(ServicePointService.point_id).where(
            ServicePointService.service.in_(list(services))
        )
        narrow = narrow.where(sp.id.in_(ids))
    elif kinds:
        # "하이뎬 근처 출입국 사무소", "exit-entry office near Haidian" (no service named): offices of the kind
        # named only, the nearest first; the district's health-check centre or talent hall is no
        # exit-entry office, and the next exit-entry hall is what the user needs after the district's own.
        narrow = narrow.where(sp.kind.in_(sorted(kinds)))
    # The kind of office the message named, and the kind that specialises in the services asked; with
    # neither ("the exit-entry office in Chaoyang" read without a kind, "bureau d'immigration"), the
    # offices for foreigners in general, of which the exit-entry halls are the main ones.
    prefer = kinds | {SERVICE_PRIMARY_KIND[s] for s in services if s in SERVICE_PRIMARY_KIND}
    if not services and not kinds:
        prefer = frozenset([GENERAL_KIND])
    narrowings = _narrowings(district, near, limit)
    if kinds and not services and near is None and district in DISTRICTS:
        # "차오양 출입국 민원실 전화번호": the district's offices of the kind named, when it has any; the
        # nearest of the kind elsewhere only when it has none.
        narrowings = iter(
            [(sp.district == district, lambda ranked: bool(ranked)), (None, lambda ranked: True)]
        )
    with snapshot(url) as session:
        for condition, enough in narrowings:
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


def get_service_point(point_id: str, url: str | None = None) -> ServicePointRecord | None:
    with snapshot(url) as session:
        row = session.get(ServicePoint, point_id)
        return row.data if row else None


def render(
    place: Place[ServicePointRecord],
    lang: str,
    when: dt.datetime | None = None,
    show_distance: bool = False,
) -> str:
    rec = place.record
    lines = _name_lines(rec, lang)
    lines += address_lines(rec.get("address"), lang, rec, "address")
    lines.append(
        t("phone", lang, text=format_phones(rec["phones"], lang))
        if rec.get("phones")
        else t("phone_unknown", lang)
    )
    lines.append(format_hours(rec.get("hours"), lang))
    lines.append(format_status(rec.get("hours"), lang, when))
    if district := rec.get("district"):
        lines.append(t("district", lang, name=district_name(district, lang)))
    if show_distance:
        lines += _distance_line(place, lang)
    if rec.get("appointment"):
        lines.append(local(rec["appointment"], lang))
    if rec.get("notes"):
        lines.append(local(rec["notes"], lang))
    lines += provenance(rec, lang, "service_points")
    return "\n".join(lines)


def intro(
    service_label: str, district: str | None, near: bool, lang: str, in_district: bool
) -> str:
    if near:
        return t("points_intro_near", lang, service=service_label)
    if district:
        dname = district_name(district, lang)
        if not in_district:
            return (
                t("points_intro", lang, service=service_label)
                + "\n"
                + t("points_other_districts", lang, district=dname)
            )
        return t("points_intro_district", lang, service=service_label, district=dname)
    return t("points_intro", lang, service=service_label)


# ---------------------------------------------------------------------------------------------
# One fact at a time (issue 13; bot/knowledge/facets.py)
# ---------------------------------------------------------------------------------------------

FACETS: frozenset[str] = frozenset({"address", "hours", "phone", "booking", "status", "website"})


def facet_text(
    rec: ServicePointRecord, facet: str, lang: str, when: dt.datetime | None = None
) -> str | None:
    """The one fact `facet` of a service point in `lang`, with its doubts; None when the record lacks it.

    hours: the weekly hours and whether it is open now, or, with `when`, that day's hours; status: open
    or closed now (at `when`)."""
    text: str | None = None
    fields: tuple[str, ...] = (facet,)
    if facet == "address" and rec.get("address"):
        text = "\n".join(address_lines(rec["address"], lang, rec, "address"))
    elif facet == "hours" and rec.get("hours"):
        text = (
            format_day(rec["hours"], lang, when)
            if when is not None
            else "\n".join(
                [format_hours(rec["hours"], lang), format_status(rec["hours"], lang, None)]
            )
        )
        fields = ("hours",)
    elif facet == "status" and rec.get("hours"):
        # "Is it open now / still open?": open or closed now, and its hours (when it is open).
        hours = rec["hours"]
        text = format_status(hours, lang, when)
        if hours and hours.get("weekly") and not hours_mod.asked_holiday(when):
            text += "\n" + t("hours", lang, text=weekly_text(hours, lang))
        fields = ("hours",)
    elif facet == "phone" and rec.get("phones"):
        text = t("phone", lang, text=format_phones(rec["phones"], lang))
        fields = ("phones",)
    elif facet == "booking" and rec.get("appointment"):
        text = t("booking", lang, text=local(rec["appointment"], lang))
        fields = ("appointment",)
    elif facet == "website":
        text = web_and_email(rec, lang)
        fields = ("website", "email")
    return with_doubts(text, "service_points", rec, fields, lang)


# Defined last: it names the facets and the fact function above.
KIND = Kind(
    "service_points",
    ServicePointRecord,
    FIELDS,
    ServicePoint,
    rows,
    ((ServicePointService, "point_id"),),
    confirm_hotline=lambda rec: (
        IMMIGRATION_HOTLINE if rec.get("kind") in IMMIGRATION_POINT_KINDS else CITY_HOTLINE
    ),
    translatable=("hours", "appointment", "phones", "notes"),
    facets=FACETS,
    facet_text=facet_text,
)
