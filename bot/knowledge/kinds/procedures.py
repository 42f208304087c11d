"""Procedures: what to do for a permit, a visa, a registration (documents, steps, fees,
deadlines)."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import Column, String, select
from sqlalchemy.engine import Connection

from bot.core import function_words, vocab
from bot.dialogue.i18n import local, t
from bot.dialogue.render import format_amount, provenance
from bot.knowledge.facets import numbered, with_doubts
from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.provenance import CITY_HOTLINE, IMMIGRATION_HOTLINE
from bot.knowledge.queries import snapshot
from bot.knowledge.records import LocalText, Record
from bot.knowledge.schema import (
    SERVICE_CODE,
    Checker,
    Spec,
    check_aliases,
    check_fee,
    check_link,
    check_local_text,
    line_of,
    list_of,
    one_of,
)

if TYPE_CHECKING:
    from bot.knowledge.db import Published  # db -> models -> kinds -> this module


class Fee(TypedDict):
    item: LocalText | None
    amount_cny: float | None
    note: LocalText | None


class Link(TypedDict):
    label: LocalText | None
    url: str


class ProcedureRecord(Record, total=False):
    topic: str
    permit_type: str | None
    title: LocalText
    summary: LocalText
    who: LocalText | None
    documents: list[LocalText]
    steps: list[LocalText]
    fees: list[Fee]
    processing_time: LocalText | None
    validity: LocalText | None
    deadlines: list[LocalText]
    services: list[str]
    links: list[Link]
    aliases: list[str]
    order: int | None
    deadline: LocalText | None


def check_order(c: Checker, v: Any, path: str, line: int | None) -> int | None:
    """The position among a newcomer's first steps: a whole number, 1 first."""
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 99:
        return v
    c.error(line, path, f"{v!r} must be a whole number from 1 (first) to 99")
    return None


def check(c: Checker, record: ProcedureRecord, node: Any, label: str, line: int | None) -> None:
    """A first step says its deadline, and a deadline belongs to a first step."""
    if record.get("order") is not None and not record.get("deadline"):
        c.error(
            line_of(node, "order", line),
            f"{label}.deadline",
            "a procedure with order needs its deadline",
        )
    if record.get("deadline") and record.get("order") is None:
        c.error(
            line_of(node, "deadline", line),
            f"{label}.order",
            "deadline is for first steps: add order",
        )


FIELDS: Spec = {
    "topic": (True, one_of(vocab.PROCEDURE_TOPICS, "topic")),
    "permit_type": (False, one_of(vocab.PERMIT_TYPES, "permit type", nullable=True)),
    "title": (True, check_local_text),
    "summary": (True, check_local_text),
    "who": (False, check_local_text),
    "documents": (False, list_of(check_local_text)),
    "steps": (False, list_of(check_local_text)),
    "fees": (False, list_of(check_fee)),
    "processing_time": (False, check_local_text),
    "validity": (False, check_local_text),
    "deadlines": (False, list_of(check_local_text)),
    "services": (True, list_of(SERVICE_CODE)),
    "links": (False, list_of(check_link)),
    "aliases": (False, check_aliases),
    "order": (False, check_order),
    "deadline": (False, check_local_text),
}


class Procedure(Base):
    __tablename__ = "procedures"
    id = Column(String(80), primary_key=True)
    topic = Column(String(40), nullable=False, index=True)
    permit_type = Column(String(30), index=True)
    data = data_column()


def rows(rec: ProcedureRecord) -> Rows:
    return {"topic": rec["topic"], "permit_type": rec.get("permit_type")}, {}


# Topics of the immigration administration: confirm with 12367; the others (work permit, talent
# services) with the city hotline 12345.
IMMIGRATION_TOPICS = {
    "residence_permit",
    "visa",
    "accommodation_registration",
    "lost_passport",
    "permanent_residence",
}


def get_procedures(
    topic: str, permit_type: str | None = None, url: str | None = None
) -> list[ProcedureRecord]:
    """Procedures on `topic`; narrowed to `permit_type` when one matches."""
    with snapshot(url) as session:
        rows = (
            session.execute(
                select(Procedure).where(Procedure.topic == topic).order_by(Procedure.id)
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


def render(rec: ProcedureRecord, lang: str) -> str:
    lines = [f"📋 {local(rec['title'], lang)}", local(rec["summary"], lang)]
    if rec.get("who"):
        lines.append(local(rec["who"], lang))

    def section(key: str, items: list[Any]) -> None:
        if items:
            lines.append(t(key, lang))
            lines.extend(f"{i}. {local(x, lang)}" for i, x in enumerate(items, 1))

    section("documents", rec.get("documents") or [])
    section("steps", rec.get("steps") or [])
    if rec.get("fees"):
        lines.append(t("fees", lang))
        for fee in rec["fees"]:
            item = local(fee["item"], lang)
            amount = fee.get("amount_cny")
            text = (
                t("fee_line", lang, item=item, amount=format_amount(amount, lang))
                if amount is not None
                else t("fee_line_no_amount", lang, item=item)
            )
            if fee.get("note"):
                text += f" ({local(fee['note'], lang)})"
            lines.append(f"• {text}")
    if rec.get("processing_time"):
        lines.append(t("processing_time", lang, text=local(rec["processing_time"], lang)))
    if rec.get("validity"):
        lines.append(t("validity", lang, text=local(rec["validity"], lang)))
    if rec.get("deadlines"):
        lines.append(t("deadlines", lang))
        lines.extend(f"• {local(x, lang)}" for x in rec["deadlines"])
    for link in rec.get("links") or []:
        lines.append(f"🔗 {local(link['label'], lang)}: {link['url']}")
    if rec.get("notes"):
        lines.append(local(rec["notes"], lang))
    lines += provenance(rec, lang, "procedures")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# One fact at a time (issue 13; bot/knowledge/facets.py)
# ---------------------------------------------------------------------------------------------

FACETS: frozenset[str] = frozenset(
    {
        "fee",
        "documents",
        "processing_time",
        "validity",
        "deadline",
        "eligibility",
        "steps",
        "order",
        "website",
    }
)


def fee_lines(rec: ProcedureRecord, lang: str) -> list[str]:
    """One short line per fee: "item: CNY 400", "item: free" when the amount is 0."""
    return [f"• {fee_text(fee, lang)}" for fee in rec.get("fees") or []]


_BRACKETS = (("(", ")"), ("（", "）"))


def fee_text(fee: Fee, lang: str) -> str:
    """One fee: "item: CNY 400 (per applicant)", "item: free" when the amount is 0. The note adds only what
    the line does not already say: a free fee whose note is "free of charge" reads "free", not "free (free)"
    ("бесплатно (бесплатно)", "無料（無料）"), and a note "free (agency advice)" reads "free (agency advice)"."""
    item = local(fee["item"], lang)
    amount = fee.get("amount_cny")
    if amount == 0:
        text = t("fee_free", lang, item=item)
    elif amount is not None:
        text = t("fee_line", lang, item=item, amount=format_amount(amount, lang))
    else:
        text = t("fee_line_no_amount", lang, item=item)
    note = _new_in_note(text, local(fee.get("note"), lang) if fee.get("note") else "")
    return f"{text} ({note})" if note else text


def _new_in_note(line: str, note: str) -> str:
    """What `note` adds to `line`: nothing when the line holds it already; when the note begins with the
    word the line ends with, only its bracketed rest ("free (agency advice)" after "...: free" adds "agency
    advice"; "free of charge" adds nothing). Arabic vowel marks are ignored ("مجاناً" = "مجانًا")."""
    note = note.strip()
    if not note or _fold(note) in _fold(line):
        return ""
    last = _fold(re.split(r"[\s:：]+", line.strip())[-1])
    if not last or not _fold(note).startswith(last):
        return note
    cut = next(i for i in range(len(note) + 1) if len(_fold(note[:i])) >= len(last))
    rest = note[cut:].strip(" ,;:：、，")
    for opening, closing in _BRACKETS:
        if rest.startswith(opening) and rest.endswith(closing):
            return rest[len(opening) : -len(closing)].strip()
    return ""


def _fold(text: str) -> str:
    """Case and marks (Arabic vowel marks, accents) ignored, for comparing a note with its line."""
    return "".join(
        c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c)
    )


def first_step_line(rec: ProcedureRecord, lang: str) -> str:
    """One short line of a newcomer's first steps: "1. Accommodation registration — Within 24 hours ..."."""
    return t(
        "first_step",
        lang,
        n=rec.get("order"),
        title=local(rec["title"], lang),
        deadline=local(rec.get("deadline"), lang),
    )


def facet_text(rec: ProcedureRecord, facet: str, lang: str, when: Any = None) -> str | None:
    """The one fact `facet` of a procedure in `lang`, with its doubts; None when the record lacks it."""
    text: str | None = None
    fields: tuple[str, ...] = (facet,)
    if facet == "fee" and rec.get("fees"):
        text = "\n".join([t("fees", lang), *fee_lines(rec, lang)])
        fields = ("fees",)
    elif facet == "documents" and rec.get("documents"):
        text = "\n".join([t("documents", lang), numbered(rec["documents"], lang)])
    elif facet == "steps" and rec.get("steps"):
        text = "\n".join([t("steps", lang), numbered(rec["steps"], lang)])
    elif facet == "processing_time" and rec.get("processing_time"):
        text = t("processing_time", lang, text=local(rec["processing_time"], lang))
    elif facet == "validity" and rec.get("validity"):
        text = t("validity", lang, text=local(rec["validity"], lang))
    elif facet == "deadline" and (rec.get("deadlines") or rec.get("deadline")):
        items: list[LocalText] = list(rec.get("deadlines") or [])
        if not items and rec.get("deadline"):
            items = [rec["deadline"] or {}]
        text = "\n".join([t("deadlines", lang), *(f"• {local(x, lang)}" for x in items)])
        fields = ("deadlines", "deadline")
    elif facet == "order" and rec.get("order") is not None:
        text = first_step_line(rec, lang)
        fields = ("order", "deadline")
    elif facet == "eligibility" and rec.get("who"):
        text = t("who", lang, text=local(rec["who"], lang))
        fields = ("who",)
    elif facet == "website" and rec.get("links"):
        # The official pages the record cites (a procedure has no website of its own).
        text = "\n".join(f"🔗 {local(x['label'], lang)}: {x['url']}" for x in rec["links"])
        fields = ("links",)
    return with_doubts(text, "procedures", rec, fields, lang)


# ---------------------------------------------------------------------------------------------
# Choosing the procedure a question is about, and a newcomer's first steps (issue 13)
# ---------------------------------------------------------------------------------------------

# A visa's letter, never a French elided word's first letter ("L'exemption", "J'ai", "D'où", "C'est",
# "Qu'est-ce": an apostrophe and a letter after it; an English "L's" is still the letter).
_LETTER = re.compile(
    r"(?<![A-Za-z\u00c0-\u024f\u0400-\u04ff])[A-Z](?![A-Za-z\u00c0-\u024f\u0400-\u04ff])"
    r"(?!['’](?!s\b)[^\W\d_])"
)
_HIRAGANA = re.compile("[\u3040-\u309f]")
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_EAST_ASIAN = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+", re.UNICODE
)


# German written without umlauts ("verlaengern", "Pruefung") and French without accents ("sejour"): a
# Latin word is compared with ae/oe/ue as ä/ö/ü and without its other accents, on both sides. Umlauts
# stay: "länger" is not "lange".
_DIGRAPHS = re.compile(r"(?<=[a-zäöü])([aou])e")
_UMLAUTS = {"a": "ä", "o": "ö", "u": "ü"}


def _plain(word: str) -> str:
    """A Latin word with German umlaut spellings as umlauts and without other accents ("verlängern"
    and "verlaengern" -> "verlängern"; "séjour" -> "sejour"); other scripts as they are."""
    plain = "".join(
        d[0]
        if c not in "äöü" and len(d := unicodedata.normalize("NFD", c)) > 1 and d[0].isascii()
        else c
        for c in word
    ).replace("ß", "ss")
    if not all(c.isascii() or c in "äöü" for c in plain):
        return plain
    return _DIGRAPHS.sub(lambda m: _UMLAUTS[m.group(1)], plain)


# The word "card" in the languages that write it in Latin or Cyrillic letters, as `_terms` cuts it: what
# many procedures give, not what one of them is. People call their residence permit a card ("tarjeta de
# residencia", "carte de séjour", "residence card"), and pay by card; only the permanent residence's title
# says one ("China green card", «tarjeta verde china»), which made every card asked about the permanent
# residence ("¿se puede pagar con tarjeta Visa en el hospital?", "documentos para renovar la tarjeta de
# residencia"). In a title it counts as little as a word of a summary: beside the permanent residence's
# own words (green, permanent) it still helps ("… permanent resident ID card"); alone it decides nothing.
_GENERIC_TERMS = frozenset(
    {"card", "cards", "tarje", "carte", "karte", "карта", "карты", "карту", "карто"}
)


def _terms(text: str) -> set[str]:
    """Words cut to their first 5 letters ("extend", "extension" -> "exten"; "продлить", "продление"
    -> "продл") and pairs of Chinese, Japanese or Korean characters ("签证延期" -> 签证, 证延, 延期),
    none with hiragana; and single capital letters (a visa's type). Function words ("für", "die", "the",
    "для", "pour": bot/core/function_words.py) name nothing and are left out."""
    # A visa's letter ("R-Visum", "visa R", "L visa") as written, apart from the lower-case words.
    out: set[str] = set(_LETTER.findall(text))
    text = text.lower()
    for run in _EAST_ASIAN.findall(text):
        pairs = (run[i : i + 2] for i in range(max(1, len(run) - 1)))
        # Not a pair with Japanese kana of particles and endings ("可の", "の費"): they name nothing.
        out.update(p for p in pairs if not _HIRAGANA.search(p))
    for word in _WORD.findall(_EAST_ASIAN.sub(" ", text)):
        if (len(word) >= 3 and not function_words.is_function_word(word)) or word.isdigit():
            out.add(_plain(word)[:5])
    return out


def shared_words(text: str, other: str) -> set[str]:
    """The distinctive words (`_terms`, no numbers or single letters) that `text` shares with `other`:
    "c'est combien le bilan complet ?" and the medical examination's fees ("Bilan de santé complet")
    share "bilan" and "compl"."""
    return {x for x in _terms(text) & _record_terms(other) if len(x) >= 3 and not x.isdigit()}


def terms(text: str) -> frozenset[str]:
    """The terms `rank_scored` reads in a text (see `_terms`)."""
    return _record_terms(text)


@lru_cache(maxsize=4096)
def _record_terms(text: str) -> frozenset[str]:
    """`_terms` of a record's title or summary, remembered: every question cut the same procedures' texts
    into terms again (a sixth of the action server's work per knowledge answer under load). Keyed by the
    text itself, so a sync that changes a text gets its new terms."""
    return frozenset(_terms(text))


def _all_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    return []


def rank(
    topic: str | None, text: str, permit_type: str | None = None, url: str | None = None
) -> list[ProcedureRecord]:
    """The procedures on `topic` (all when None), best match for the question `text` first (see
    `rank_scored`)."""
    return [r for _, r in rank_scored(topic, text, permit_type, url)]


def rank_scored(
    topic: str | None,
    text: str,
    permit_type: str | None = None,
    url: str | None = None,
    ignore: frozenset[str] = frozenset(),
) -> list[tuple[float, ProcedureRecord]]:
    """The procedures on `topic` (all when None), best match for the question `text` first.

    A procedure named in the question (its title or an alias: "visa extension", "签证延期", "240-hour
    transit") wins; then the words it shares with the title (any language) and aliases count most,
    with the summary's words counting less, each weighed by how few procedures use it; a procedure of
    the asked `permit_type` is preferred. Ties keep the id order. `ignore`: terms (`terms`) of the
    question that count for nothing."""
    from bot.knowledge.names import find_mentions  # names reads every kind's table

    records = [r for r in _published().get(url) if not topic or r["topic"] == topic]
    named = {m.id for m in find_mentions(text, url) if m.kind == "procedures"} if text else set()
    asked = _terms(text) - ignore
    titles = {
        r["id"]: _record_terms(" ".join(_all_texts(r.get("title")) + list(r.get("aliases") or [])))
        for r in records
    }
    summaries = {r["id"]: _record_terms(" ".join(_all_texts(r.get("summary")))) for r in records}
    n = max(1, len(records))

    def idf(term: str) -> float:
        df = sum(1 for r in records if term in titles[r["id"]] or term in summaries[r["id"]])
        return math.log(1 + n / max(1, df))

    def score(rec: ProcedureRecord) -> float:
        s = 10.0 if rec["id"] in named else 0.0
        s += sum((0.5 if x in _GENERIC_TERMS else 2.0) * idf(x) for x in asked & titles[rec["id"]])
        s += sum(0.5 * idf(x) for x in (asked & summaries[rec["id"]]) - titles[rec["id"]])
        if permit_type and rec.get("permit_type") == permit_type:
            s += 3.0
        return s

    scored = [(score(r), i, r) for i, r in enumerate(records)]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(s, r) for s, _, r in scored]


def _all(conn: Connection) -> tuple[ProcedureRecord, ...]:
    return tuple(conn.execute(select(Procedure.data).order_by(Procedure.id)).scalars())


@cache
def _published() -> Published[tuple[ProcedureRecord, ...]]:
    """Every procedure, in id order, decoded once per published version (rank_scored ran several
    times per question, each time reading and decoding the topic's records again). The records are
    shared by every answer until the next sync: read them, never change them."""
    from bot.knowledge.db import Published  # db -> models -> kinds -> this module
    from bot.knowledge.names import _version  # the same check, shared per answer with the names

    return Published(_version, _all)


def first_steps(url: str | None = None) -> list[ProcedureRecord]:
    """A newcomer's steps in order (the procedures with `order`, each with its `deadline`)."""
    with snapshot(url) as session:
        records = [r.data for r in session.execute(select(Procedure)).scalars().all()]
    steps = [r for r in records if r.get("order") is not None]
    return sorted(steps, key=lambda r: (r.get("order") or 0, r["id"]))


# Defined last: it names the facets and the fact function above.
KIND = Kind(
    "procedures",
    ProcedureRecord,
    FIELDS,
    Procedure,
    rows,
    check=check,
    confirm_hotline=lambda rec: (
        IMMIGRATION_HOTLINE if rec.get("topic") in IMMIGRATION_TOPICS else CITY_HOTLINE
    ),
    translatable=(
        "title",
        "summary",
        "who",
        "documents",
        "steps",
        "fees",
        "processing_time",
        "validity",
        "deadlines",
        "links",
        "notes",
        "deadline",
    ),
    facets=FACETS,
    facet_text=facet_text,
)
