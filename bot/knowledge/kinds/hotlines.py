"""Hotlines: phone numbers by category (emergency, immigration, city services, ...)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, String, select

from bot.core import vocab
from bot.dialogue.i18n import local, name, t
from bot.dialogue.render import provenance
from bot.knowledge.facets import with_doubts
from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.queries import snapshot
from bot.knowledge.records import LocalText, Record
from bot.knowledge.schema import LANGUAGE_CODE, Spec, check_local_text, check_str, list_of, one_of


class HotlineRecord(Record, total=False):
    number: str
    name: LocalText
    category: str
    description: LocalText
    languages: list[str]
    hours: LocalText | None


FIELDS: Spec = {
    "number": (
        True,
        lambda c, v, p, line: check_str(c, str(v) if isinstance(v, int) else v, p, line),
    ),
    "name": (True, check_local_text),
    "category": (True, one_of(vocab.HOTLINE_CATEGORIES, "category")),
    "description": (True, check_local_text),
    "languages": (True, list_of(LANGUAGE_CODE)),
    "hours": (False, check_local_text),
}


class Hotline(Base):
    __tablename__ = "hotlines"
    id = Column(String(80), primary_key=True)
    number = Column(String(40), nullable=False)
    category = Column(String(20), nullable=False, index=True)
    data = data_column()


def rows(rec: HotlineRecord) -> Rows:
    return {"number": rec["number"], "category": rec["category"]}, {}


def hotlines(categories: Sequence[str] = (), url: str | None = None) -> list[HotlineRecord]:
    """Hotlines in `categories` (all when empty), in the order of `categories`."""
    with snapshot(url) as session:
        stmt = select(Hotline)
        if categories:
            stmt = stmt.where(Hotline.category.in_(list(categories)))
        found: list[HotlineRecord] = [r.data for r in session.execute(stmt).scalars().all()]
    order = {c: i for i, c in enumerate(categories)}
    return sorted(
        found, key=lambda r: (order.get(r["category"], 99), len(r["number"]), r["number"])
    )


def hotline(number: str, url: str | None = None) -> HotlineRecord | None:
    with snapshot(url) as session:
        row = session.execute(select(Hotline).where(Hotline.number == number)).scalars().first()
        return row.data if row else None


def number_line(rec: HotlineRecord, lang: str) -> str:
    """The number and its name ("☎ 110 — Police"), as every answer names a number."""
    return f"☎ {rec['number']} — {local(rec['name'], lang)}"


def render(rec: HotlineRecord, lang: str, with_source: bool = True) -> str:
    text = f"{number_line(rec, lang)}: {local(rec['description'], lang)}"
    if rec.get("hours"):
        text += f" ({local(rec['hours'], lang)})"
    if not with_source:
        return text
    return "\n".join([text, *provenance(rec, lang, "hotlines")])


_FIRST_SENTENCE = re.compile(r"^(.+?(?:[。！？]|[.!?](?=\s|$)))")


# Where a description's first clause ends.
_FIRST_CLAUSE = re.compile(r"[,.;:!?，。；：、،؛(（]")


def number_label(rec: HotlineRecord, lang: str) -> str:
    """What a number is in a few words, in `lang`: its name ("Police") where the name is in that
    language (English, Chinese), else the first clause of its translated description ("Общенациональный
    номер скорой помощи"), which the other languages have."""
    names = rec.get("name") or {}
    description = local(rec.get("description"), lang)
    if lang in names or not description or description == local(rec.get("description"), "en"):
        return local(rec["name"], lang)
    clause = _FIRST_CLAUSE.split(description, maxsplit=1)[0].strip()
    return clause or local(rec["name"], lang)


def number_brief(rec: HotlineRecord, lang: str) -> str:
    """A number and what it is in a few words, in `lang` ("☎ 120 — Общенациональный номер скорой
    помощи"): `number_label`."""
    return f"☎ {rec['number']} — {number_label(rec, lang)}"


def render_brief(rec: HotlineRecord, lang: str) -> str:
    """A number in one line, as an emergency needs it: the number, its name and the first sentence of
    its description (the name is rarely translated, the description is), with the doubts staff
    marked on the number itself."""
    description = local(rec["description"], lang)
    found = _FIRST_SENTENCE.match(description)
    text = f"{number_line(rec, lang)}: {found.group(1) if found else description}"
    return with_doubts(text, "hotlines", rec, ("number",), lang) or text


# ---------------------------------------------------------------------------------------------
# One fact at a time (issue 13; bot/knowledge/facets.py)
# ---------------------------------------------------------------------------------------------

FACETS: frozenset[str] = frozenset({"phone", "hours", "languages"})


def facet_text(rec: HotlineRecord, facet: str, lang: str, when: Any = None) -> str | None:
    """The one fact `facet` of a hotline in `lang`, with its doubts; None when the record lacks it."""
    text: str | None = None
    fields: tuple[str, ...] = (facet,)
    if facet == "phone":
        text = number_line(rec, lang)
        fields = ("number",)
    elif facet == "hours" and rec.get("hours"):
        text = t("hours", lang, text=local(rec["hours"], lang))
    elif facet == "languages" and rec.get("languages"):
        spoken = ", ".join(name("languages", x, lang) for x in rec["languages"])
        text = t("languages", lang, text=spoken)
    return with_doubts(text, "hotlines", rec, fields, lang)


# Defined last: it names the facets and the fact function above.
KIND = Kind(
    "hotlines",
    HotlineRecord,
    FIELDS,
    Hotline,
    rows,
    confirm_hotline=lambda rec: rec["number"],
    translatable=("description", "hours", "notes"),
    facets=FACETS,
    facet_text=facet_text,
)
