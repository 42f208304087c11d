"""International schools: curricula, ages, campuses."""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import Column, ForeignKey, Integer, String, select

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
    Checker,
    Spec,
    check_aliases,
    check_int_or_null,
    check_local_text,
    check_location,
    check_phone,
    check_str,
    line_of,
    list_of,
    one_of,
)


class SchoolRecord(Record, total=False):
    name: LocalText
    status: str
    curricula: list[str]
    programmes: LocalText
    age_min: int | None
    age_max: int | None
    grades: LocalText | None
    locations: list[Location]
    phones: list[Phone]
    email: str | None
    website: str | None
    eligibility: LocalText | None
    aliases: list[str]


FIELDS: Spec = {
    "name": (True, check_local_text),
    "status": (True, one_of(("open", "closed"), "status")),
    "curricula": (True, list_of(one_of(vocab.CURRICULA, "curriculum"), non_empty=True)),
    "programmes": (True, check_local_text),
    "age_min": (True, check_int_or_null),
    "age_max": (True, check_int_or_null),
    "grades": (False, check_local_text),
    "locations": (True, list_of(check_location, non_empty=True)),
    "phones": (True, list_of(check_phone)),
    "email": (False, check_str),
    "website": (False, check_str),
    "eligibility": (False, check_local_text),
    "aliases": (False, check_aliases),
}


def check(c: Checker, record: SchoolRecord, node: Any, label: str, line: int | None) -> None:
    """Across fields: the age range is not upside down."""
    lo, hi = record.get("age_min"), record.get("age_max")
    if lo is not None and hi is not None and hi < lo:
        c.error(
            line_of(node, "age_max", line),
            f"{label}.age_max",
            f"age_max {hi} is below age_min {lo}",
        )


class School(Base):
    __tablename__ = "schools"
    id = Column(String(80), primary_key=True)
    status = Column(String(10), nullable=False)
    age_min = Column(Integer)
    age_max = Column(Integer)
    data = data_column()


class SchoolCurriculum(Base):
    __tablename__ = "school_curricula"
    school_id = Column(String(80), ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    curriculum = Column(String(30), primary_key=True, index=True)


def rows(rec: SchoolRecord) -> Rows:
    row = {"status": rec["status"], "age_min": rec.get("age_min"), "age_max": rec.get("age_max")}
    curricula = [{"school_id": rec["id"], "curriculum": c} for c in dict.fromkeys(rec["curricula"])]
    return row, {SchoolCurriculum: curricula}


def find_schools(
    curriculum: str | None = None,
    district: str | None = None,
    age: int | None = None,
    limit: int | None = 5,
    url: str | None = None,
    near: tuple[float, float] | None = None,
) -> list[Place[SchoolRecord]]:
    """Open schools teaching `curriculum`, accepting `age`, in or nearest to `district` (or to `near`, a
    landmark's coordinates). Every filter given is strict: a school without that curriculum is never
    listed; at equal distance a school whose address is known comes first."""
    with snapshot(url) as session:
        stmt = select(School).where(School.status == "open")
        if curriculum:
            ids = select(SchoolCurriculum.school_id).where(
                SchoolCurriculum.curriculum == curriculum
            )
            stmt = stmt.where(School.id.in_(ids))
        if age is not None:
            stmt = stmt.where((School.age_min.is_(None)) | (School.age_min <= age))
            stmt = stmt.where((School.age_max.is_(None)) | (School.age_max >= age))
        rows = session.execute(stmt).scalars().all()
        records = [r.data for r in rows]
    ranked = _rank_multi(records, district, near)
    if age is not None and near is None:
        # The age asked is a filter too: in the same district, a school whose ages are stated (and
        # fit) before one whose ages are unknown ("which schools take a 6-month-old?": MSB, from 6
        # months, before schools that state no age at all). A stable sort keeps the rest's order.
        def tier(p: Place[SchoolRecord]) -> tuple[bool, bool]:
            rec = p.record
            in_district = district is None or any(
                loc.get("district") == district for loc in rec["locations"]
            )
            unknown = rec.get("age_min") is None and rec.get("age_max") is None
            return (not in_district, unknown)

        ranked = sorted(ranked, key=tier)
    return ranked[:limit] if limit else ranked


def render(place: Place[SchoolRecord], lang: str, district: str | None = None) -> str:
    rec = place.record
    lines = _name_lines(rec, lang)
    lines.append(
        t("curricula", lang, text=", ".join(name("curricula", c, lang) for c in rec["curricula"]))
    )
    lines.append(local(rec["programmes"], lang))
    lo, hi = rec.get("age_min"), rec.get("age_max")
    if lo is not None or hi is not None:
        lines.append(
            t(
                "ages",
                lang,
                text=t(
                    "ages_range",
                    lang,
                    lo=lo if lo is not None else "?",
                    hi=hi if hi is not None else "?",
                ),
            )
        )
    elif rec.get("grades"):
        lines.append(t("ages", lang, text=local(rec["grades"], lang)))
    lines += _location_lines(rec, lang, district)
    if rec.get("phones"):
        lines.append(t("phone", lang, text=format_phones(rec["phones"], lang)))
    if rec.get("website"):
        lines.append(t("website", lang, text=rec["website"]))
    if rec.get("email"):
        lines.append(t("email", lang, text=rec["email"]))
    if rec.get("eligibility"):
        lines.append(t("eligibility", lang, text=local(rec["eligibility"], lang)))
    if rec.get("notes"):
        lines.append(local(rec["notes"], lang))
    lines += provenance(rec, lang, "schools")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# One fact at a time (issue 13; bot/knowledge/facets.py)
# ---------------------------------------------------------------------------------------------

FACETS: frozenset[str] = frozenset(
    {
        "address",
        "phone",
        "curriculum",
        "ages",
        "status",
        "eligibility",
        "website",
        "languages",
        "hours",
        "boarding",
        "pupils",
    }
)

# Facts staff write in a school's free texts rather than in fields of their own: boarding, the number of
# pupils, the school day ("Day and boarding school; boarding is required from Grade 9", "244 pupils on
# 2024-12-31", "School hours K2-Year 13 08:00-15:15"). The English text says whether the field holds
# the fact; the field is then shown whole, in the user's language.
_IN_TEXT: dict[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "boarding": (
        ("notes", "programmes", "eligibility"),
        re.compile(r"\bboarding\b|\bday school\b", re.I),
    ),
    "pupils": (
        ("notes", "grades"),
        re.compile(r"\d[\d,]*\s+(?:pupils|students)\b|\(\d[\d,]*\s+pupils\)", re.I),
    ),
    "hours": (("notes",), re.compile(r"\bschool hours\b|\b\d{1,2}:\d{2}\b", re.I)),
}


def text_fact(rec: SchoolRecord, facet: str, lang: str) -> tuple[str | None, tuple[str, ...]]:
    """The free texts of the school that state `facet` (boarding, pupils, hours), in `lang`."""
    keys, pattern = _IN_TEXT[facet]
    texts: dict[str, LocalText] = {k: v for k in keys if (v := cast(Any, rec).get(k))}
    found = [k for k, v in texts.items() if pattern.search(str(v.get("en") or ""))]
    return "\n".join(local(texts[k], lang) for k in found) or None, tuple(found) or (facet,)


def facet_text(rec: SchoolRecord, facet: str, lang: str, when: Any = None) -> str | None:
    """The one fact `facet` of a school in `lang`, with its doubts; None when the record lacks it.

    status: open, or no longer operating (with the record's note, which says since when)."""
    text: str | None = None
    fields: tuple[str, ...] = (facet,)
    located = located_fact(rec, facet, lang)
    if located is not None:
        text, fields = located
    elif facet in ("curriculum", "languages") and rec.get("curricula"):
        # The languages a school teaches in are said in its programmes ("about 80% of classes are
        # taught in English", "half day in English, half day in Chinese"): "does X teach in English?".
        names = ", ".join(name("curricula", c, lang) for c in rec["curricula"])
        text = "\n".join([t("curricula", lang, text=names), local(rec["programmes"], lang)])
        fields = ("curricula", "programmes")
    elif facet == "ages":
        lo, hi = rec.get("age_min"), rec.get("age_max")
        if lo is not None or hi is not None:
            span = t("ages_range", lang, lo="?" if lo is None else lo, hi="?" if hi is None else hi)
            text = t("ages", lang, text=span)
            if rec.get("grades"):
                text += f" ({local(rec['grades'], lang)})"
        elif rec.get("grades"):
            text = t("ages", lang, text=local(rec["grades"], lang))
        fields = ("age_min", "age_max", "grades")
    elif facet == "status" and rec.get("status"):
        if rec["status"] == "open":
            text = t("status_open", lang)
        else:
            text = t("status_closed", lang)
            if rec.get("notes"):
                text += " " + local(rec["notes"], lang)
        fields = ("status",)
    elif facet == "eligibility" and rec.get("eligibility"):
        text = t("eligibility", lang, text=local(rec["eligibility"], lang))
    elif facet in _IN_TEXT:
        text, fields = text_fact(rec, facet, lang)
    return with_doubts(text, "schools", rec, fields, lang)


# Defined last: it names the facets and the fact function above.
KIND = Kind(
    "schools",
    SchoolRecord,
    FIELDS,
    School,
    rows,
    ((SchoolCurriculum, "school_id"),),
    check,
    confirm_hotline=lambda rec: CITY_HOTLINE,  # never the immigration hotline
    translatable=("programmes", "grades", "eligibility", "phones", "notes"),
    facets=FACETS,
    facet_text=facet_text,
)
