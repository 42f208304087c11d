"""Questions and answers: staff-written entries for the long tail (knowledge/faq_*.yml).

An entry is found by meaning, in any of the nine languages, through its sample questions and its answer
(bot/faq/ embeds them at sync time and matches messages at run time). Unlike the other kinds it needs no
`verified_on`: nobody has checked an entry until a person does, and the answer says so.

Its `topic` decides whom an uncertain answer sends the user to (issue 16): the immigration hotline 12367
for immigration matters (visa-free entry, transit, the arrival card, NIA services, exit-entry offices,
accommodation and newborn registration), the city hotline 12345 for everything else.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String

from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.provenance import CITY_HOTLINE, IMMIGRATION_HOTLINE
from bot.knowledge.queries import snapshot
from bot.knowledge.records import LocalText, Record
from bot.knowledge.schema import (
    Spec,
    check_answer,
    check_date,
    check_id,
    check_questions,
    list_of,
    one_of,
)

# How often the facts must be re-checked, as the reference files give it (H / M / L).
RECHECK = ("high", "medium", "low")
# What an entry is about. Immigration matters are confirmed with 12367, the others with 12345.
TOPICS = ("immigration", "health", "money", "phone", "driving", "social_insurance", "tax")
IMMIGRATION_TOPICS = {"immigration"}


class FaqRecord(Record, total=False):
    topic: str
    questions: dict[str, list[str]]
    answer: LocalText
    related: list[str]
    recheck: str | None


FIELDS: Spec = {
    "topic": (True, one_of(TOPICS, "topic")),
    "questions": (True, check_questions),
    "answer": (True, check_answer),
    # ids of other records (procedures, service points, hotlines, ...); checked by the loader
    "related": (False, list_of(check_id)),
    "recheck": (False, one_of(RECHECK, "recheck", nullable=True)),
    # nobody has checked an entry until a person does: no date is required
    "verified_on": (False, check_date),
}


class FaqEntry(Base):
    __tablename__ = "faq"
    id = Column(String(80), primary_key=True)
    data = data_column()


class FaqVector(Base):
    """Sentence vectors of the entries' texts, keyed by a hash of the encoder's id and the text: a sync
    encodes only texts it has not seen, and the running assistant reads vectors instead of encoding
    every entry. A cache, not a knowledge table (a schema upgrade keeps it)."""

    __tablename__ = "faq_vectors"
    text_hash = Column(String(64), primary_key=True)
    vector = Column(LargeBinary, nullable=False)  # float32, length 1


def rows(rec: FaqRecord) -> Rows:
    return {}, {}


KIND = Kind(
    "faq",
    FaqRecord,
    FIELDS,
    FaqEntry,
    rows,
    translatable=("answer",),
    confirm_hotline=lambda rec: (
        IMMIGRATION_HOTLINE if rec.get("topic") in IMMIGRATION_TOPICS else CITY_HOTLINE
    ),
)


def faq_entry(entry_id: str, url: str | None = None) -> FaqRecord | None:
    """A published entry by id (a button names one)."""
    with snapshot(url) as session:
        row = session.get(FaqEntry, entry_id)
        return row.data if row else None
