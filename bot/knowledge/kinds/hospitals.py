"""Hospitals and clinics: emergency rooms, international departments, languages spoken."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, String, select

from bot.core import vocab
from bot.dialogue.i18n import local, name, t
from bot.dialogue.render import _location_lines, _name_lines, format_phones, provenance
from bot.knowledge.facets import located_fact, with_doubts
from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.provenance import CITY_HOTLINE
from bot.knowledge.queries import Place, _rank_multi, snapshot
from bot.knowledge.records import LocalText, Location, Phone, Record
from bot.knowledge.schema import (
    LANGUAGE_CODE,
    Spec,
    check_aliases,
    check_bool,
    check_local_text,
    check_location,
    check_optional_bool,
    check_phone,
    check_str,
    list_of,
    one_of,
)


class HospitalRecord(Record, total=False):
    kind: str
    name: LocalText
    locations: list[Location]
    phones: list[Phone]
    emergency_24h: bool | None
    international_department: bool
    languages: list[str]
    services: LocalText
    insurance: LocalText | None
    hours: LocalText | None
    website: str | None
    email: str | None
    aliases: list[str]


FIELDS: Spec = {
    "kind": (True, one_of(vocab.HOSPITAL_KINDS, "kind")),
    "name": (True, check_local_text),
    "locations": (True, list_of(check_location, non_empty=True)),
    "phones": (True, list_of(check_phone)),
    "emergency_24h": (True, check_optional_bool),
    "international_department": (True, check_bool),
    "languages": (True, list_of(LANGUAGE_CODE)),
    "services": (True, check_local_text),
    "insurance": (False, check_local_text),
    "hours": (False, check_local_text),
    "website": (False, check_str),
    "email": (False, check_str),
    "aliases": (False, check_aliases),
}


class Hospital(Base):
    __tablename__ = "hospitals"
    id = Column(String(80), primary_key=True)
    kind = Column(String(30), nullable=False)
    emergency_24h = Column(Boolean)
    international_department = Column(Boolean, nullable=False)
    data = data_column()


class HospitalLanguage(Base):
    __tablename__ = "hospital_languages"
    hospital_id = Column(
        String(80), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    language = Column(String(5), primary_key=True, index=True)


def rows(rec: HospitalRecord) -> Rows:
    row = {
        "kind": rec["kind"],
        "emergency_24h": rec.get("emergency_24h"),
        "international_department": rec["international_department"],
    }
    spoken = [{"hospital_id": rec["id"], "language": x} for x in dict.fromkeys(rec["languages"])]
    return row, {HospitalLanguage: spoken}


def find_hospitals(
    need: str | None = None,
    district: str | None = None,
    language: str | None = None,
    near: tuple[float, float] | None = None,
    limit: int | None = 4,
    url: str | None = None,
) -> list[Place[HospitalRecord]]:
    """Hospitals matching a need (emergency_room, international_department, english_speaking)."""
    with snapshot(url) as session:
        stmt = select(Hospital).where(Hospital.kind != "health_check_centre")
        if need == "emergency_room":
            stmt = stmt.where(Hospital.emergency_24h.is_(True))
        elif need == "international_department":
            stmt = stmt.where(Hospital.international_department.is_(True))
        if need == "english_speaking" or language:
            lang = language or "en"
            ids = select(HospitalLanguage.hospital_id).where(HospitalLanguage.language == lang)
            stmt = stmt.where(Hospital.id.in_(ids))
        rows = session.execute(stmt).scalars().all()
        records = [r.data for r in rows]
    ranked = _rank_multi(records, district, near)
    return ranked[:limit] if limit else ranked


def render(place: Place[HospitalRecord], lang: str, district: str | None = None) -> str:
    rec = place.record
    lines = _name_lines(rec, lang)
    lines += _location_lines(rec, lang, district)
    if rec.get("phones"):
        lines.append(t("phone", lang, text=format_phones(rec["phones"], lang)))
    lines += facts(rec, lang)
    lines += provenance(rec, lang, "hospitals")
    return "\n".join(lines)


def facts(rec: HospitalRecord, lang: str) -> list[str]:
    """What a hospital offers, one line each: emergency department, international department,
    languages, services, hours, insurance, notes."""
    lines = []
    if rec.get("emergency_24h") is True:
        lines.append(t("emergency_24h_yes", lang))
    elif rec.get("emergency_24h") is None:
        lines.append(t("emergency_24h_unknown", lang))
    if rec.get("international_department"):
        lines.append(t("international_dept", lang))
    if rec.get("languages"):
        lines.append(
            t(
                "languages",
                lang,
                text=", ".join(name("languages", x, lang) for x in rec["languages"]),
            )
        )
    lines.append(local(rec["services"], lang))
    lines += [local(rec[k], lang) for k in ("hours", "insurance", "notes") if rec.get(k)]
    return lines


# ---------------------------------------------------------------------------------------------
# One fact at a time (issue 13; bot/knowledge/facets.py)
# ---------------------------------------------------------------------------------------------

FACETS: frozenset[str] = frozenset(
    {"address", "phone", "hours", "languages", "website", "insurance"}
)

# How staff label an emergency line (`phones[].label.en`): "Emergency", "24/7 emergency room".
_EMERGENCY_LABEL = ("emergency",)


def emergency_phones(rec: HospitalRecord, lang: str) -> str | None:
    """The hospital's phones labelled as its emergency line, with their labels; None when none is."""
    found = [
        p
        for p in rec.get("phones") or []
        if any(w in str((p.get("label") or {}).get("en", "")).casefold() for w in _EMERGENCY_LABEL)
    ]
    return format_phones(found, lang) if found else None


def facet_text(rec: HospitalRecord, facet: str, lang: str, when: Any = None) -> str | None:
    """The one fact `facet` of a hospital in `lang`, with its doubts; None when the record lacks it.

    languages: only what the record's language data says (no data: None, never a guess)."""
    text: str | None = None
    fields: tuple[str, ...] = (facet,)
    located = located_fact(rec, facet, lang)
    if located is not None:
        text, fields = located
    elif facet == "hours":
        parts = []
        if rec.get("emergency_24h") is True:
            parts.append(t("emergency_24h_yes", lang))
            # "Is the ER open at night?": the number to call there, when staff labelled one.
            lines = emergency_phones(rec, lang)
            if lines:
                parts.append(t("phone", lang, text=lines))
        if rec.get("hours"):
            parts.append(t("hours", lang, text=local(rec["hours"], lang)))
        elif parts:
            # "Open on Saturday?" of a hospital known only for its 24-hour emergency department: that,
            # and that its other hours are not in our sources (not the emergency line as if it answered).
            parts.append(t("hours_unknown", lang))
        text = "\n".join(parts) or None
        fields = ("hours", "emergency_24h")
    elif facet == "languages" and rec.get("languages"):
        spoken = ", ".join(name("languages", x, lang) for x in rec["languages"])
        text = t("languages", lang, text=spoken)
    elif facet == "insurance" and rec.get("insurance"):
        # "Do they take my insurance?", "direct billing?": what the sources say, never a guess (a
        # hospital without it gets "I don't have that" and its own phone).
        text = local(rec["insurance"], lang)
    return with_doubts(text, "hospitals", rec, fields, lang)


# Defined last: it names the facets and the fact function above.
KIND = Kind(
    "hospitals",
    HospitalRecord,
    FIELDS,
    Hospital,
    rows,
    ((HospitalLanguage, "hospital_id"),),
    confirm_hotline=lambda rec: CITY_HOTLINE,  # never the immigration hotline
    translatable=("services", "insurance", "hours", "phones", "notes"),
    facets=FACETS,
    facet_text=facet_text,
)
