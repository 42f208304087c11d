"""Answer the question that was asked (issue 13): the fact first, records by name, follow-ups.

A message that asks a facet (NLU entity `facet`: phone, fee, hours, ...) of a topic or of records named
in it gets that fact in one or two sentences per record (the kinds' `facet_text`), with its source and
what is uncertain, and a "More details" button (intent more_details) instead of the whole page. A fact
the knowledge base does not hold gets "I don't have that" and the right people to call. Elliptical
follow-ups ("what about in Haidian?", "and on Saturday?", "its phone?", "the second one") are answered
from the conversation's `Context` (bot/dialogue/context.py).

Everything here is plain Python (no Rasa): the actions read the message and the slots into a
`Question`, call `answer_question` / `follow_up` / `more_details` and send the `Turn`'s answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy.exc import SQLAlchemyError

from bot.core import languages, vocab
from bot.dialogue import (
    answers,
    cards,
    family_words,
    hotline_words,
    newcomer_words,
    place_words,
    render,
    word_lists,
)
from bot.dialogue import hours as hours_mod
from bot.dialogue.answers import Answer, Reply
from bot.dialogue.context import PLACE_KINDS, Context
from bot.dialogue.i18n import local, name, t
from bot.faq import index as faq_index
from bot.faq import match as faq_match
from bot.knowledge import facets as kfacets
from bot.knowledge import names, queries, translations
from bot.knowledge import provenance as prov
from bot.knowledge.kinds import faq as faq_entries
from bot.knowledge.kinds import hospitals, hotlines, procedures, schools, service_points
from bot.nlu import facets as nlu_facets
from bot.nlu import gazetteer

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

MORE_DETAILS_INTENT = "more_details"
FOLLOW_UP_INTENT = "follow_up"
# The NLU's intent for a message it could not place (Rasa's FallbackClassifier).
FALLBACK_INTENT = "nlu_fallback"
# Answer turns stay under about this many characters before "More details" (issue 13).
TURN_BUDGET = 700
# The key under which find_places keeps a place's distance from the user (never stored).
DISTANCE = "_place"
# Not a facet of the NLU: a procedure's summary, what a topic's page in short starts with.
OVERVIEW = "overview"
# The most records one facet answer lists.
MAX_RECORDS = 3

# What a question naming a record without asking anything in particular is told first.
DEFAULT_FACETS: dict[str, tuple[str, ...]] = {
    "service_points": ("address", "hours", "phone"),
    "schools": ("address", "curriculum", "ages", "phone"),
    "hospitals": ("address", "languages", "phone"),
    "procedures": ("fee", "processing_time", "documents"),
}
# The intents whose answer is a list of places, and the kind of place.
PLACE_INTENTS = {
    "find_service_point": "service_points",
    "opening_hours": "service_points",
    "international_school": "schools",
    "healthcare": "hospitals",
}
PROCEDURE_INTENTS = frozenset(vocab.PROCEDURE_TOPICS)
# The hospital need that says "international" (a department, or a hospital for foreigners).
INTERNATIONAL = "international_department"
TOPIC_INTENTS = PROCEDURE_INTENTS | PLACE_INTENTS.keys()


@dataclass(frozen=True)
class Question:
    """One user message as the dialogue reads it: its intent and text, the facets it asks, an ordinal,
    and the filters it gives (entity name -> value: district, weekday, permit_type, curriculum, ...)."""

    intent: str | None
    text: str = ""
    facets: tuple[str, ...] = ()
    ordinal: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    near: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "facets", asked_facets(self.facets))


# Facets one word can wrongly add next to another: "how long does it take" (processing time) also
# holds "time" (hours) in some languages (時間, 시간); "where do I apply" asks where, not the steps, and
# "the deadline to apply" when, not how.
SUBSUMES = {
    "processing_time": ("hours",),
    "order": ("steps",),
    "address": ("steps",),
    # "my permit expires on 3 March, when must I apply?": the expiry word is what the user tells, the
    # deadline what is asked; the NLU drops such a validity (bot/nlu/facets.py EXPIRY_STEMS), so a
    # validity that comes with a deadline is asked too ("on how long can I extend, and how long before?").
    "deadline": ("steps",),
    # "how do I book an appointment?" asks how to book, not the procedure's steps.
    "booking": ("steps",),
}


def facets_outside_names(text: str, entities: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The facets of a message's `facet` entities, without those whose word is part of a record's name
    the message gives ("위치", location, in "덜위치 칼리지", Dulwich College)."""
    try:
        spans = [(m.start, m.end) for m in names.find_mentions(text)] if text else []
    except SQLAlchemyError:  # the knowledge base is down: every facet stays
        spans = []

    def inside(start: Any, end: Any) -> bool:
        return (
            isinstance(start, int)
            and isinstance(end, int)
            and any(s <= start and end <= t and (s, t) != (start, end) for s, t in spans)
        )

    kept = []
    for e in entities:
        if e.get("entity") != "facet":
            continue
        if inside(e.get("start"), e.get("end")) and not any(
            # "덜위치 칼리지 전화번호랑 주소": "위치" is in the name, "주소" asks the address.
            m.value == e.get("value") and not inside(m.start, m.end)
            for m in nlu_facets.analyse(text).repeats
        ):
            continue
        kept.append(str(e["value"]))
    return tuple(dict.fromkeys(kept))


def asked_facets(facets: Sequence[str]) -> tuple[str, ...]:
    """The facets of a message, in order, without the ones another facet of it subsumes."""
    dropped = {d for f in facets for d in SUBSUMES.get(f, ())}
    return tuple(dict.fromkeys(f for f in facets if f not in dropped))


@dataclass(frozen=True)
class Turn:
    answer: Answer
    context: Context


def _safe_turn(fn: Callable[P, T]) -> Callable[P, T]:
    """Answer from one version of the knowledge base, and politely when it cannot be read (the
    context is kept for the next message)."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        asked_q = next((a for a in (*args, *kwargs.values()) if isinstance(a, Question)), None)
        try:
            with queries.snapshot(), asking(asked_q.text if asked_q is not None else None):
                return fn(*args, **kwargs)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            lang = str(kwargs.get("lang", "en"))
            ctx = next((a for a in args if isinstance(a, Context)), Context())
            return cast(T, Turn(Answer([Reply(t("kb_unavailable", lang))]), ctx))

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


# The words of the question being answered (`procedures.terms`, without its facet words): a fact too
# long for the turn keeps the parts they point to ("conditions pour un permis de travail de catégorie
# B ?": category B's sentence, not only the basic conditions; "documents pour mes parents": the family
# visit's item in full).
_ASKED_TERMS: ContextVar[frozenset[str]] = ContextVar("asked_terms", default=frozenset())


@contextmanager
def asking(text: str | None) -> Iterator[None]:
    """Within this block, facts cut to fit keep the parts that `text` (the question) points to."""
    token = _ASKED_TERMS.set(
        procedures.terms(without_facet_words(text)) if text else _ASKED_TERMS.get()
    )
    try:
        yield
    finally:
        _ASKED_TERMS.reset(token)


def more_details_button(lang: str) -> dict[str, str]:
    return {"title": t("more_details", lang), "payload": f"/{MORE_DETAILS_INTENT}"}


# --- Rendering one record's facts --------------------------------------------------------------------


def _title(kind: str, rec: Mapping[str, Any], lang: str) -> str:
    if kind == "procedures":
        return f"📋 {local(rec.get('title'), lang)}"
    head = f"📍 {local(rec.get('name'), lang)}"
    zh = (rec.get("name") or {}).get("zh")
    return head + (f" ({zh})" if lang != "zh" and zh else "")


# A source longer than this is cut under a short answer (the full page shows it whole).
SOURCE_CHARS = 110
SITE_CHARS = 60
DATE_CHARS = 60


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source_rank(source: str) -> tuple[bool, bool, bool]:
    """Which source to name under a short answer: an official page first ("... [OFF]"), one with no
    comment before its tag, then the others in the record's order; our research files last."""
    return (
        prov.is_research_file(source),
        not source.rstrip().endswith("[OFF]"),
        "(" in source,
    )


def _site(source: str, lang: str) -> str:
    """A page address as its site and what kind of site it is ("english.beijing.gov.cn (official
    site)"): the reference's tags ([OFF], [MEDIA], [3P]) mean nothing to a reader. Other sources cut."""
    named = prov.named_in_research_file(source)
    if named is not None:
        # Our research file relays a site or outlet it names: that one, said as a reader can use it.
        return _cut_words(render.source_in_words(named, lang), SITE_CHARS)
    found = prov.PAGE_ADDRESS_RE.match(source)
    if not found:
        return _cut_words(source, SITE_CHARS)
    host = found.group(0).split("//")[-1].split("/")[0]
    kind = render.source_kind(source, lang)
    return t("source_site", lang, site=host, kind=kind) if kind else host


def _cut_date(text: str, limit: int) -> str:
    """A source date such as "page undated; opening 2016; Korean name undated" cut after whole
    clauses ("page undated; opening 2016 …"), so that no clause is left as a stump ("K…")."""
    if len(text) <= limit:
        return text
    kept = ""
    for clause in text.split("; "):
        longer = f"{kept}; {clause}" if kept else clause
        if len(longer) + 2 > limit:
            break
        kept = longer
    return kept + " …" if kept else _cut_words(text, limit)


def short_provenance(
    rec: Mapping[str, Any], lang: str, site_only: bool = False, dated: bool = True
) -> list[str]:
    """The short form of render.provenance under the facts shown (the kinds' facet_text already
    carries the doubts staff marked on those facts): the first source and its date, whether staff
    confirmed the record, the translation note; the full page behind "More details" has every source."""
    lines = []
    sources = sorted(rec.get("source") or [], key=_source_rank)
    if sources:
        named = prov.named_in_research_file(sources[0])
        first = (
            _site(sources[0], lang)
            if site_only or named is not None
            else _cut_words(render.source_in_words(sources[0], lang), SOURCE_CHARS)
        )
        more = len(sources) > 1 and not first.endswith("…")
        shown = first + (" …" if more else "")
        limit = DATE_CHARS // 2 if site_only else DATE_CHARS
        # Translated first, then cut: a clause cut first ("undated (current…") is no longer a
        # clause the catalogue knows and would stay in English.
        date = (
            _cut_date(render.source_date_in_words(str(rec["source_date"]), lang), limit)
            if rec.get("source_date") and dated
            else None
        )
        lines.append(
            t("source_dated", lang, text=shown, date=date)
            if date
            else t("source_undated", lang, text=shown)
        )
    return lines + render.review_lines(rec, lang)


def unknown_line(
    kind: str, rec: Mapping[str, Any] | None, missing: Sequence[str], lang: str
) -> str:
    """ "I don't have that" for the facets `missing`, and who to ask: the record's own phone (a school,
    a hospital, an office; one staff marked uncertain with the hotline beside it), else the hotline its
    kind names (12367 for immigration, else 12345)."""
    what = t("list_sep", lang).join(name("facet_names", f, lang) for f in missing)
    if rec is not None:
        phone = prov.ask_phone(kind, rec)
    elif kind == "procedures":
        phone = prov.IMMIGRATION_HOTLINE
    else:
        phone = prov.CITY_HOTLINE
    return t("fact_unknown", lang, what=what) + " " + t("ask_channel", lang, phone=phone)


def _duration_instead(
    kind: str, rec: Mapping[str, Any], facets: Sequence[str], lang: str
) -> tuple[str, ...]:
    """("validity",) when a procedure holding no processing time is asked only that and holds a validity:
    "how many days" of the 240-hour transit ("безвиз 240 часов это сколько дней") is how long it lasts;
    the missing processing time is still said. Not beside other facets: their facts come first."""
    if (
        kind != "procedures"
        or list(facets) != ["processing_time"]
        or kfacets.fact(kind, rec, "processing_time", lang)
    ):
        return ()
    return ("validity",) if kfacets.fact(kind, rec, "validity", lang) else ()


def _eligibility_instead(
    kind: str, rec: Mapping[str, Any], facets: Sequence[str], lang: str
) -> tuple[str, ...]:
    """("eligibility",) when a procedure holding no documents is asked only those and holds who may apply:
    "requirements" ("requisitos", "exigences", "Voraussetzungen") are the documents to bring or the
    conditions to meet, and the work permit's requirements are its conditions ("cuales son los requisitos
    para el permiso de trabajo"); the missing documents are still said."""
    if (
        kind != "procedures"
        or list(facets) != ["documents"]
        or kfacets.fact(kind, rec, "documents", lang)
    ):
        return ()
    return ("eligibility",) if kfacets.fact(kind, rec, "eligibility", lang) else ()


def record_block(
    kind: str,
    rec: Mapping[str, Any],
    facets: Sequence[str],
    lang: str,
    when: dt.datetime | None = None,
    gaps: bool = True,
    brief: bool = False,
) -> str:
    """The record's name, then one or two sentences per facet asked, then "I don't have that" for
    the facets it does not hold (`gaps`; a summary leaves them to the full page), then the source.
    The facts carry the doubts staff marked on them; `brief` (several records, or a summary) names
    the doubtful facts in one line instead, and leaves the reasons to the full page."""
    lines = [_title(kind, rec, lang)]
    missing = []
    shown = []
    if rec.get("status") == "closed" and "status" in kfacets.facets_of(kind):
        # A place that no longer operates says so first, whatever was asked of it ("is it still
        # open?" read as opening hours, "its phone?"): its other facts are history.
        facets = ["status", *(f for f in facets if f != "status")]
    facets = [
        *facets,
        *_duration_instead(kind, rec, facets, lang),
        *_eligibility_instead(kind, rec, facets, lang),
    ]
    for facet in facets:
        if facet == OVERVIEW:
            fact = local(rec.get("summary"), lang) or None
        else:
            fact = kfacets.fact(kind, rec, facet, lang, when)
        if fact:
            said = _without_doubts(fact, lang) if brief else fact
            if said not in lines:  # two facets with one fact (a school's curriculum and languages)
                lines.append(said)
            shown.append(facet)
        else:
            missing.append(facet)
    if isinstance(rec.get(DISTANCE), queries.Place):
        lines += render._distance_line(rec[DISTANCE], lang)
    if brief:
        lines += brief_doubts(kind, rec, shown, lang)
    if shown:
        # A fact this kind never holds (the eligibility of an office) goes unsaid next to the
        # facts shown; one it could hold but this record lacks is said honestly, and so is one that
        # no record holds ("parking?": kfacets.UNHELD).
        missing = [f for f in missing if f in kfacets.facets_of(kind) or f in kfacets.UNHELD]
    if missing and gaps:
        lines.append(unknown_line(kind, rec, missing, lang))
    tail = short_provenance(rec, lang, site_only=brief)
    block = "\n".join(lines + tail)
    if len(block) <= TURN_BUDGET:
        return block
    if not brief:
        # Long doubts: named in one line, their reasons behind "More details".
        return record_block(kind, rec, facets, lang, when, gaps, brief=True)
    # A long list (eight documents): every item, each cut to its share of the room; a long fact (a
    # school's programmes) cut so that the short facts after it (its phone) still fit; when even
    # that does not fit, the first lines, the rest behind "More details".
    room = TURN_BUDGET - len("\n".join(tail)) - 2
    # The question's words that point to a part of the facts, not to the record itself (its title).
    pointing = _ASKED_TERMS.get() - procedures.terms(lines[0])
    lines = shorten_items("\n".join(lines).split("\n"), room, pointing)
    doubts = [line for line in lines[1:] if line.startswith(_doubt_prefix(lang))]
    room -= len("\n".join(doubts)) + 1 if doubts else 0
    facts = cut_longest([line for line in lines if line not in doubts], room, pointing)
    lines = [facts[0], *facts[1:], *doubts]
    kept = [lines[0]]
    for line in lines[1:]:
        if line in doubts:
            continue
        left = room - len("\n".join(kept)) - 1
        if len(line) > left:
            # A long fact (hours with a long note) is cut rather than dropped, when its start says something.
            kept.append(_cut_words(line, left) if left >= MIN_ITEM_CHARS else "…")
            break
        kept.append(line)
    return "\n".join(kept + doubts + tail)


# A numbered or bulleted line of a list ("3. Valid accommodation registration ...").
_ITEM = re.compile(r"^\s*(?:\d+\.|[•·\-])\s")
# An item is never cut shorter than this (a shorter stub says nothing; the list is cut instead).
MIN_ITEM_CHARS = 48


def _pointed(text: str, terms: frozenset[str]) -> int:
    """How many of the question's `terms` (`procedures.terms`) `text` holds."""
    return len(terms & procedures.terms(text)) if terms else 0


def shorten_items(lines: list[str], room: int, terms: frozenset[str] = frozenset()) -> list[str]:
    """`lines` within `room` characters by cutting the list items (numbered or bulleted lines) evenly,
    so that a long list shows every item's start rather than its first items only; unchanged when
    they fit, or when the items would have to be cut below MIN_ITEM_CHARS. The items the question's
    `terms` point to (the only ones that hold the most of them) stay whole when the others can still
    show their start."""
    if len("\n".join(lines)) <= room:
        return lines
    items = [i for i, line in enumerate(lines) if _ITEM.match(line)]
    if not items:
        return lines
    fixed = len("\n".join(line for i, line in enumerate(lines) if i not in items)) + len(items)
    share = (room - fixed) // len(items)
    if share < MIN_ITEM_CHARS:
        return lines
    scores = {i: _pointed(lines[i], terms) for i in items}
    best = max(scores.values())
    kept = [i for i in items if best and scores[i] == best]
    if kept and len(kept) < len(items):
        whole = sum(len(lines[i]) for i in kept)
        if (room - fixed - whole) // (len(items) - len(kept)) >= MIN_ITEM_CHARS:
            rest = shorten_items(
                [line for i, line in enumerate(lines) if i not in kept], room - whole - len(kept)
            )
            out = iter(rest)
            return [line if i in kept else next(out) for i, line in enumerate(lines)]
    # What short items leave is shared by the long ones.
    short = [len(lines[i]) for i in items if len(lines[i]) <= share]
    long_count = len(items) - len(short)
    if long_count:
        share = max(share, (room - fixed - sum(short)) // long_count)
    return [_cut_item(line, share) if i in items else line for i, line in enumerate(lines)]


# A web address in a list item ("... through the online system (https://fwp.safea.gov.cn)").
_WEB_ADDRESS = re.compile(r"\s*[(（]?(https?://[^\s)）]+)[)）]?")


def _cut_item(line: str, limit: int) -> str:
    """A list item cut to `limit` characters at a word; a web address in it is kept after the cut (a
    step's online system is where to do it, the part of the item that cannot be guessed)."""
    found = _WEB_ADDRESS.search(line)
    cut = _cut_words(line, limit)
    if found is None or cut == line or found.group(1) in cut:
        return cut
    address = f" ({found.group(1)})"
    if limit - len(address) < MIN_ITEM_CHARS // 2:
        return cut
    return _cut_words(line[: found.start()] + line[found.end() :], limit - len(address)) + address


def cut_longest(lines: list[str], room: int, terms: frozenset[str] = frozenset()) -> list[str]:
    """`lines` (the first is a title, never cut) within `room` characters by cutting the longest
    line, then the next, at a word, none below MIN_ITEM_CHARS; as close as that gets when they cannot.
    A line cut keeps the sentences the question's `terms` point to (`_focused_cut`)."""
    lines = list(lines)
    for _ in range(len(lines)):
        over = len("\n".join(lines)) - room
        if over <= 0 or len(lines) < 2:
            break
        longest = max(range(1, len(lines)), key=lambda i: len(lines[i]))
        target = max(MIN_ITEM_CHARS, len(lines[longest]) - over - 1)
        if target >= len(lines[longest]):
            break
        lines[longest] = _focused_cut(lines[longest], target, terms)
    return lines


# Where a long fact is split into sentences: after a full stop or a semicolon before a space (not in
# "No. 2": a capital or a digit must not come right before the stop's own word).
# Not after the abbreviation of a number ("Schalter Nr. 25", "No. 2 Andingmen", "n° 25"): the number belongs
# to the sentence.
_SENTENCE = re.compile(
    r"(?<=[a-zà-ÿ)][.;])(?<!\b[Nn]r\.)(?<!\b[Nn]o\.)(?<!\b[Nn]º\.)(?<!\bca\.)\s+(?=\S)|(?<=[。；])"
)


# A fact's label before its text ("Who: ", "Pour qui : ", "適用対象：").
# Not a time ("Mo–Sa 09:00"): a label ends with a word.
_LABEL = re.compile(r"^[^:：.;\n]{1,30}(?<!\d)\s?[:：]\s*")


def _focused_cut(text: str, limit: int, terms: frozenset[str]) -> str:
    """`text` cut to `limit` characters at a word; when the question's `terms` point to a sentence
    beyond the cut ("Catégorie B : …" of the work permit's categories, "Voie du conjoint – …" of the
    permanent residence's routes), that sentence is kept instead of what the cut would show: the
    first sentence, "…", the sentences that hold the most of the terms (cut themselves if need be)."""
    cut = _cut_words(text, limit)
    parts = [p for p in _SENTENCE.split(text) if p.strip()]
    if cut == text or len(parts) < 2 or not terms:
        return cut
    scores = [_pointed(p, terms) for p in parts]
    best = max(scores)
    if best == 0 or all(sc == best for sc in scores):
        return cut
    chosen = [i for i, sc in enumerate(scores) if sc == best]
    if all(parts[i] in cut for i in chosen):
        return cut
    focus = " ".join(parts[i] for i in chosen)
    lead = parts[0] if 0 not in chosen else ""
    label = _LABEL.match(text)
    if label is not None and 0 not in chosen:
        # "Pour qui : " names the fact: it stays before the sentences kept.
        focus = label.group(0) + "… " + focus
        lead = ""
        return _cut_words(focus, limit)
    if lead and len(lead) + len(focus) + 3 <= limit:
        return f"{lead} … {focus}" if chosen[0] > 1 else f"{lead} {focus}"
    return "… " + _cut_words(focus, limit - 2) if chosen[0] > 0 else _cut_words(focus, limit)


def _cut_words(text: str, limit: int) -> str:
    """`_cut` at the last space when there is one in the last quarter of the room (CJK text has none)."""
    cut = _cut(text, limit)
    if cut == text:
        return text
    space = cut.rfind(" ", 0, len(cut) - 1)
    return cut[:space].rstrip(" ,;:(/") + "…" if space > limit * 3 // 4 else cut


# The record fields that hold each facet (what a doubt about the facet is marked on).
FACET_FIELDS: dict[str, tuple[str, ...]] = {
    "address": ("address", "locations"),
    "hours": ("hours",),
    "phone": ("phones",),
    "fee": ("fees",),
    "documents": ("documents",),
    "processing_time": ("processing_time",),
    "validity": ("validity",),
    "deadline": ("deadlines", "deadline"),
    "eligibility": ("who", "eligibility"),
    "steps": ("steps",),
    "languages": ("languages",),
    "curriculum": ("curricula", "programmes"),
    "ages": ("age_min", "age_max", "grades"),
    "status": ("status", "hours"),
    "booking": ("appointment",),
    "website": ("website", "links"),
    "insurance": ("insurance",),
    "boarding": ("notes", "programmes"),
    "pupils": ("notes", "grades"),
}


def _doubt_prefix(lang: str) -> str:
    return t("uncertain", lang, text="\x00", hotline="").split("\x00")[0].rstrip("\u2066")


def _without_doubts(fact: str, lang: str) -> str:
    prefix = _doubt_prefix(lang)
    return "\n".join(line for line in fact.split("\n") if not line.startswith(prefix))


def _doubted_labels(rec: Mapping[str, Any], facets: Sequence[str], lang: str) -> list[str]:
    """The names of the facts shown (`facets`) that staff marked uncertain on the record."""
    fields = {f for facet in facets for f in FACET_FIELDS.get(facet, (facet,))}
    marked = kfacets.marked_doubts(rec, fields)
    return list(dict.fromkeys(render.field_label(key.split(".", 1)[0], lang) for key, _ in marked))


def brief_doubts(kind: str, rec: Mapping[str, Any], facets: Sequence[str], lang: str) -> list[str]:
    """One line naming the facts shown that staff marked uncertain, with the number to confirm them."""
    labels = _doubted_labels(rec, facets, lang)
    if not labels:
        return []
    what = t("list_sep", lang).join(labels)
    return [t("uncertain", lang, text=what, hotline=prov.confirm_phone(kind, rec))]


def doubt_tag(rec: Mapping[str, Any], facets: Sequence[str], lang: str) -> str:
    """ " (⚠ not confirmed)" after a line whose facts staff marked uncertain, else "". For lists that
    must stay short, such as the emergency numbers, where "confirm by phone before you go" (and a
    number to confirm a phone number with) would make no sense; the card and the page give the reason."""
    return t("uncertain_tag", lang) if _doubted_labels(rec, facets, lang) else ""


def _fit(blocks: list[str], budget: int = TURN_BUDGET) -> list[str]:
    """The first blocks that fit in `budget` characters (always the first)."""
    kept: list[str] = []
    used = 0
    for block in blocks:
        if kept and used + len(block) > budget:
            break
        kept.append(block)
        used += len(block) + 1
    return kept


def closing_once(blocks: list[str]) -> list[str]:
    """Records' blocks that all end with the same line ("Not yet confirmed by our staff."): that line
    said once, after the last of them."""
    ends = {block.rsplit("\n", 1)[-1] for block in blocks}
    if len(blocks) < 2 or len(ends) != 1 or any("\n" not in block for block in blocks):
        return blocks
    return [block.rsplit("\n", 1)[0] for block in blocks[:-1]] + blocks[-1:]


def fit_once(blocks: list[str], budget: int = TURN_BUDGET) -> list[str]:
    """The blocks `_fit` keeps, with the closing line they share said once (`closing_once`): the same
    records as without it, in fewer characters."""
    return closing_once(_fit(blocks, budget))


def gaps_once(blocks: list[str], lang: str) -> list[str]:
    """Records' blocks that all say the same "I don't have that in our sources: ..." line (the same fact
    missing, the same number to call): that line said once, after the last of them, instead of once per
    record."""
    prefix = t("fact_unknown", lang, what="\x00").split("\x00")[0].rstrip("\u2066")
    found = [[line for line in block.split("\n") if line.startswith(prefix)] for block in blocks]
    if len(blocks) < 2 or any(len(lines) != 1 for lines in found):
        return blocks
    if len({lines[0] for lines in found}) != 1:
        return blocks
    gap = found[0][0]
    kept = ["\n".join(line for line in block.split("\n") if line != gap) for block in blocks]
    return [*kept[:-1], f"{kept[-1]}\n\n{gap}"]


def offer_details(body: str, lang: str, translation: str | None = None) -> Answer:
    """A short answer with the "More details" button and, as every knowledge answer, 👍 / 👎 on it
    (answers.rated); then the offer of the original (translated texts)."""
    answer = answers.rated(Answer([Reply(body)], translation=translation), lang)
    first, *rest = answer.replies
    if rest:
        # The offer of the originals follows (translated texts): More details goes with it, on the
        # turn's last message, which is the one whose buttons the widget keeps as quick replies.
        last = rest[-1]
        rest[-1] = replace(last, buttons=[more_details_button(lang), *last.buttons])
        return replace(answer, replies=[first, *rest])
    # More details first, then the 👍 / 👎 the answer carries (`Reply.rate`, issue 15).
    buttons = [more_details_button(lang), *first.buttons]
    return replace(answer, replies=[replace(first, buttons=buttons), *rest])


def facet_answer(
    records: Sequence[tuple[str, Mapping[str, Any]]],
    facets: Sequence[str],
    lang: str,
    when: dt.datetime | None = None,
    intro: str | None = None,
) -> Answer:
    """The facets asked of each record (kind, record), most relevant first, within the turn's budget,
    then the "More details" button."""
    brief = len(records) > 1
    blocks = [
        record_block(kind, rec, facets, lang, when, brief=brief)
        for kind, rec in records[:MAX_RECORDS]
    ]
    if intro and blocks:
        blocks[0] = f"{intro}\n{blocks[0]}"
    shown = [rec for _, rec in records[:MAX_RECORDS]]
    status = translations.status(shown, lang)
    body = "\n\n".join(gaps_once(fit_once(blocks, budget_with(status, lang)), lang))
    return offer_details(body, lang, status)


def budget_with(status: str | None, lang: str) -> int:
    """The turn's budget for the records' blocks when the note on the translation follows them."""
    return TURN_BUDGET - (len(t(f"translation_{status}", lang)) + 1 if status else 0)


def clarify(lang: str) -> Answer:
    return Answer([Reply(t("follow_up_unclear", lang))])


# --- Finding the records a question is about ----------------------------------------------------------


def ranked_procedures(intent: str, q: Question) -> list[dict[str, Any]]:
    """The topic's procedures, the one the question names or matches best first; none for a residence
    permit of a type not said (its facts differ by type: the type is asked)."""
    untyped = (
        intent == "residence_permit" and q.filters.get("permit_type") not in vocab.PERMIT_TYPES
    )
    # Unless the message names one of the topic's procedures ("体检", the medical examination), or
    # its words match one clearly better than the others: a procedure that is not a type of permit
    # ("справка о медосмотре"), or one type by the words of its title ("Aufenthaltserlaubnis zum
    # Studieren", where no permit-type entity was found) when they also name a residence permit
    # (another type matches some words too; not "Bescheinigung" read in "Beschäftigung"): that type.
    permit_type = q.filters.get("permit_type")
    step = service_named_step(intent, q.text) if untyped else None
    if step is not None:
        # "신체검사 증명서 유효기간은?" (the medical examination by the gazetteer's word, not its title):
        # that procedure of the topic, not "which residence permit?".
        ranked = [dict(r) for r in procedures.rank(intent, subject_text(intent, q), None)]
        return [step, *(r for r in ranked if r.get("id") != step.get("id"))]
    if untyped and not any(p.get("topic") == intent for p in named_procedures(q.text)):
        # The words naming the topic's own service ("вида на жительство") name no procedure of it: the
        # medical examination "для вида на жительство" shares that case form, the types' titles do not.
        words = without_facet_words(without_service_words(q.text, intent))
        found = matched_procedure(intent, words)
        if found is None:
            # Clear among every procedure though not among the topic's own: "الفحص الطبي الخاص
            # بالإقامة" (the medical examination, whose words some permit types share).
            found = matched_procedure(None, words)
            if found is None or found.get("topic") != intent:
                return []
        if found.get("permit_type") in vocab.PERMIT_TYPES:
            typed = [
                s
                for s, r in procedures.rank_scored(intent, q.text)
                if r.get("permit_type") in vocab.PERMIT_TYPES and s > 0
            ]
            if len(typed) < 2:
                return []
            permit_type = str(found["permit_type"])
    return [dict(r) for r in procedures.rank(intent, subject_text(intent, q), permit_type)]


def service_named_step(intent: str, text: str | None) -> dict[str, Any] | None:
    """The one procedure of topic `intent` that is not a type of residence permit and that the
    gazetteer's service words of the message name ("신체검사", "체검", "медосмотр": the medical
    examination), when no other service of the topic is named; None otherwise."""
    named = {m.value for m in gazetteer.find_entities(text or "", {"service"})} - {intent}
    found: dict[str, dict[str, Any]] = {}
    for value in named:
        codes = set(service_points.service_codes(value))
        for rec in procedures.rank(intent, ""):
            if (
                rec.get("topic") == intent
                and rec.get("permit_type") is None
                and codes & set(rec.get("services") or [])
            ):
                found[str(rec["id"])] = dict(rec)
    return next(iter(found.values())) if len(found) == 1 else None


# Scripts whose languages put the head of a phrase last ("工作居留许可的体检", "취업 거류허가 신체검사":
# the medical examination of a work residence permit): there the thing named last is the subject.
HEAD_FINAL = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


# The end of a sentence: a full stop, question or exclamation mark before a space, or a line break.
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s)|[。！？\n]")


def subject_text(intent: str, q: Question) -> str:
    """The words that say which of the topic's procedures a question is about. A residence permit of
    a type named before another procedure of the topic ("Какие документы нужны на рабочий ВНЖ, если
    медосмотр я уже проходил?", "documents pour le permis de séjour travail, la visite médicale faite
    en France suffit ?"): the permit is asked about, the other procedure is what the writer tells, so
    its name does not make it the answer. Named first ("medical check for a work residence permit"),
    it is the subject; in head-final scripts the order says nothing, and the text is kept whole."""
    if intent != "residence_permit" or q.filters.get("permit_type") not in vocab.PERMIT_TYPES:
        return q.text
    if HEAD_FINAL.search(q.text or ""):
        return q.text
    mentions = [m for m in names.find_mentions(q.text or "") if m.kind == "procedures"]
    records = {m.id: names.record("procedures", m.id) or {} for m in mentions}
    other = [
        m
        for m in mentions
        if records[m.id].get("topic") == intent
        and records[m.id].get("permit_type") not in vocab.PERMIT_TYPES
    ]
    typed = [m.start for m in mentions if records[m.id].get("permit_type") in vocab.PERMIT_TYPES]
    typed += [m.start for m in gazetteer.find_entities(q.text or "", {"permit_type"})]
    if not other:
        return q.text
    # Only a type in the sentence that names the other procedure: "wir sind mit zwei Kindern nach
    # Shunyi gezogen. Wie viel kostet die Gesundheitsuntersuchung …?" tells of children (a family
    # permit's word) in the sentence before; the medical examination is still what is asked.
    first = min(m.start for m in other)
    start = max((e.end() for e in _SENTENCE_END.finditer(q.text or "", 0, first)), default=0)
    typed = [x for x in typed if x >= start]
    if not typed or min(typed) > first:
        return q.text
    text = q.text
    for m in sorted(other, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    return text


def without_service_words(text: str, service: str) -> str:
    """`text` without the gazetteer's words for `service` ("вида на жительство", "ВНЖ" for
    residence_permit): what is left says which procedure of the service is meant."""
    spans = [m for m in gazetteer.find_entities(text, {"service"}) if m.value == service]
    for m in sorted(spans, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    return text


def without_facet_words(text: str) -> str:
    """`text` without the words that ask its facets ("서류" in "거류허가 연장하려면 서류 뭐가 필요해요?",
    "documents"): they say what is asked of a procedure, not which one (the study permit's summary
    mentions documents, which made "which documents to extend my residence permit?" the study permit's
    question instead of "which residence permit?")."""
    for m in sorted(nlu_facets.analyse(text).facets, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    return text


# A procedure the words of a message match (procedures.rank_scored) without naming it counts only with
# at least this score, this far ahead of the next: about one distinctive word of its title.
MATCH_MIN = 1.5
MATCH_MARGIN = 1.5
# Against the topic the NLU gave, a procedure of another topic needs several distinctive words:
# "faut-il être à jeun pour la visite médicale ?" (the medical examination, not permanent residence;
# two title words, 4.4 against 1.4, since function words such as "pour" no longer count).
OVERRIDE_MIN = 4.0
# A procedure named by its title or an alias scores this much (`procedures.rank_scored`).
NAMED_SCORE = 10.0
OVERRIDE_MARGIN = 2.5


def matched_procedure(
    topic: str | None,
    text: str,
    facets: Sequence[str] = (),
    lang: str = "en",
    strong: bool = False,
) -> dict[str, Any] | None:
    """The procedure (of `topic`, or any) the message's words clearly match, in any language whose
    title the knowledge base has ("健康診断", "examen médico"), holding one of `facets` when given;
    `strong`: by several distinctive words (to override the NLU's topic)."""
    scored = procedures.rank_scored(topic, text)
    if not scored:
        return None
    best, top = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    low, margin = (OVERRIDE_MIN, OVERRIDE_MARGIN) if strong else (MATCH_MIN, MATCH_MARGIN)
    if best < low or best - second < margin:
        return None
    if facets and not any(kfacets.fact("procedures", top, f, lang) for f in facets):
        return None
    return dict(top)


def find_places(
    intent: str | None,
    filters: Mapping[str, str],
    procs: Sequence[Mapping[str, Any]] = (),
    near: tuple[float, float] | None = None,
    text: str = "",
) -> tuple[str, list[dict[str, Any]]]:
    """The places a topic's question is about (its kind and records, best first), with its filters;
    `text`, the message, may name the kind of office ("exit-entry office")."""
    district = filters.get("district")
    kind = PLACE_INTENTS.get(intent or "", "service_points")
    found: Sequence[queries.Place[Any]]
    if kind == "schools":
        age = filters.get("age")
        found = schools.find_schools(
            filters.get("curriculum"),
            district,
            int(age) if age and age.isdigit() else None,
            limit=MAX_RECORDS,
        )
    elif kind == "hospitals":
        found = hospitals.find_hospitals(
            filters.get("medical_need"),
            district,
            language=filters.get("spoken"),
            near=near,
            limit=MAX_RECORDS,
        )
        if not found and filters.get("spoken") and filters.get("medical_need") == INTERNATIONAL:
            # "which international hospital has staff who speak Korean?": the language is what is
            # needed; an international hospital has no separate international department to flag.
            found = hospitals.find_hospitals(
                None, district, language=filters["spoken"], near=near, limit=MAX_RECORDS
            )
    else:
        codes: Sequence[str] = ()
        if filters.get("service"):
            codes = service_points.service_codes(filters["service"])
        elif intent == "residence_permit" and not _other_than_permit(procs):
            # Every residence permit's offices, or the type's when the user said which.
            permit = filters.get("permit_type")
            typed = f"residence_permit_{permit}"
            codes = [typed] if typed in vocab.SERVICES else service_points.service_codes(intent)
        elif procs:
            codes = list(dict.fromkeys(s for p in procs[:1] for s in p.get("services", [])))
        elif intent in PROCEDURE_INTENTS:
            codes = service_points.service_codes(intent)
        # "조양구 출입국 사무소 주소" (no service named): the exit-entry hall before the district's other offices.
        named = place_words.offices_named(text) if not codes else frozenset()
        found = service_points.find_service_points(
            codes, district=district, near=near, limit=MAX_RECORDS, kinds=named
        )
    # "싼리툰에 있는 영국학교", "near Sanlitun": the places at the landmark named first.
    landmarks = place_words.landmark_names(text)
    if landmarks:
        found = place_words.at_landmark_first(found, [p.record for p in found], landmarks)
    if near is None:
        return kind, [dict(p.record) for p in found]
    # Each record keeps how far it is from the user (said under its facts) under a private key.
    return kind, [{**p.record, DISTANCE: p} for p in found]


def _other_than_permit(procs: Sequence[Mapping[str, Any]]) -> bool:
    """The first procedure is one of the residence-permit topic that is not a type of permit (the medical
    examination, "居留许可体检在哪里做"): its own places are asked, not the permit offices."""
    return bool(procs) and procs[0].get("permit_type") is None and bool(procs[0].get("services"))


# --- The turns -----------------------------------------------------------------------------------------


# Facets both a procedure and a place can hold that a topic question asks of the procedure: a topic's
# website is its procedure's official pages ("which website do I apply for the work permit on?"); a
# place's website is asked by naming the place.
PROCEDURE_FIRST = frozenset({"website"})


def _of_type_said(q: Question, proc: Mapping[str, Any]) -> bool:
    """`proc` is a residence permit of the type the question (or its context) says: a fact it lacks is
    not answered by another procedure's."""
    said = q.filters.get("permit_type")
    return said in vocab.PERMIT_TYPES and proc.get("permit_type") == said


def _places_hold_instead(
    facets: Sequence[str],
    procs: Sequence[Mapping[str, Any]],
    places: tuple[str, list[dict[str, Any]]] | None,
    lang: str,
) -> bool:
    """ "und die E-Mail-Adresse?" after the port-visa office's phone: the procedure in context has no
    web address or e-mail, the place shown has one (knowledge/service_points.yml): the place's."""
    asked = [f for f in facets if f in PROCEDURE_FIRST]
    if not asked or not procs or not places:
        return False
    if any(kfacets.fact("procedures", procs[0], f, lang) for f in asked):
        return False
    kind, shown = places
    return any(kfacets.fact(kind, r, f, lang) for r in shown for f in asked)


def _split(
    facets: Sequence[str], has_procedure: bool, place_kind: str, procedure_first: bool = True
) -> tuple[list[str], list[str]]:
    """Facets asked of the procedure, and of the places (`procedure_first`: the PROCEDURE_FIRST facets
    are the procedure's, unless it lacks them and the places shown hold them)."""
    proc_facets = kfacets.facets_of("procedures") | {OVERVIEW} if has_procedure else frozenset()
    first = PROCEDURE_FIRST if procedure_first else frozenset()
    place_facets = kfacets.facets_of(place_kind) - first
    of_proc = [f for f in facets if f in proc_facets and f not in place_facets]
    of_places = [f for f in facets if f not in of_proc]
    return of_proc, of_places


def _topic_turn(
    intent: str,
    q: Question,
    facets: Sequence[str],
    lang: str,
    when: dt.datetime | None,
    procs: Sequence[Mapping[str, Any]] | None = None,
    places: tuple[str, list[dict[str, Any]]] | None = None,
    summary: bool = False,
) -> Turn:
    """The facets asked about a topic: of its best procedure, then of its places in the filters
    (each record its own facets). `summary`: a topic's page in short (no facet was asked; what is
    missing is left to the full page)."""
    if procs is None:
        procs = ranked_procedures(intent, q) if intent in PROCEDURE_INTENTS else []
    place_kind = places[0] if places else PLACE_INTENTS.get(intent, "service_points")
    untyped = intent == "residence_permit" and not procs
    of_proc, of_places = _split(
        facets,
        bool(procs) or untyped,
        place_kind,
        not _places_hold_instead(facets, procs, places, lang),
    )
    if untyped and of_proc:
        same = same_for_every_type(of_proc, lang, when, q.text)
        if same is not None:
            # "How much is a residence permit?" when every type costs the same: the fee, said once.
            ctx = Context(intent=intent, filters=dict(q.filters), facet=of_proc[-1])
            answer = offer_details(same[0], lang, translations.status([same[1]], lang))
            return Turn(replace(answer, topic=intent), ctx)
        # Else which type (the buttons carry the fact asked).
        ask = answers.permit_type_question(lang, q.filters.get("district"), of_proc[0])
        ctx = Context(intent=intent, filters=dict(q.filters), facet=of_proc[0])
        return Turn(Answer([ask], topic=intent), ctx)
    shown_kind, shown = places if places else (place_kind, [])
    if of_places and not places:
        shown_kind, shown = find_places(
            intent, q.filters, _place_procedures(q, procs), q.near, q.text
        )
    if not of_places:
        shown = []
    where = (
        None if summary else _steps_say_where(q, of_proc, of_places, procs, shown_kind, shown, lang)
    )
    if where is not None:
        # "숙박등록은 어디서 해요?": no office for it has a known address, and the procedure's steps say
        # where to go ("the local police station where you live"): they lead, the places follow.
        of_proc = [*of_proc, "steps"]
        procs = procs or [where]
    blocks = []
    brief = summary or len(shown) + bool(of_proc and procs) > 1
    if of_proc and procs:
        # The best-ranked procedure that holds the fact asked (its title says which it is).
        holds: list[Mapping[str, Any]] = [
            p for p in procs if any(kfacets.fact("procedures", p, f, lang) for f in of_proc)
        ]
        if _of_type_said(q, procs[0]):
            # "유효기간은?", "wie lange ist sie gültig?" after the family-reunion permit: the type said is
            # the one asked about; another procedure's fact (the study permit's validity, the medical
            # certificate's 6 months) is not its fact, so what it lacks is said ("I don't have that").
            holds = [p for p in holds if p.get("id") == procs[0].get("id")]
        holds = holds or list(joined_parts(procs[0], of_proc, lang))
        procs = [*holds[:1], *(p for p in procs if p not in holds[:1])]
        if procs[0].get("topic") in PROCEDURE_INTENTS:
            # A part of a joint application answered ("Was kostet die Aufenthaltserlaubnis zum
            # Arbeiten?" read as a work-permit question: the work-type residence permit's fee): its
            # own topic is the context, so "und in Haidian, wo?" names its offices as what they are.
            intent = str(procs[0]["topic"])
        blocks.append(record_block("procedures", procs[0], of_proc, lang, when, not summary, brief))
    others = len(blocks)  # the procedure's block, before the places'
    if shown:
        # Places from the context were shown before: the district is not searched again, so "nothing
        # in <district>, the nearest are" would be wrong about them (a hospital picked by "the second
        # one" elsewhere); said only when one of them is in the district ("nearest to Haidian first").
        district = str(q.filters.get("district") or "")
        said = (
            q.filters
            if places is None or any(_in_district(r, district) for r in shown)
            else {k: v for k, v in q.filters.items() if k != "district"}
        )
        intro = _filters_intro(shown_kind, shown, said, lang, q.near is not None, intent)
        first_room = TURN_BUDGET - len(intro) - 1
        codes = _codes_asked(intent, q.filters, procs)
        place_blocks = [
            _place_block(
                shown_kind,
                r,
                _with_service_hours(shown_kind, r, of_places, codes),
                lang,
                when,
                summary,
                brief,
                first_room if i == 0 else TURN_BUDGET,
            )
            for i, r in enumerate(shown)
        ]
        if summary and blocks and len(blocks[0]) + len(intro) + len(place_blocks[0]) >= TURN_BUDGET:
            # A procedure's page in short that already says what to do ("report the loss, then go to
            # Window 25 at ..."): the first place is named, the others after it ("Also: ..."), their
            # addresses behind More details.
            place_blocks = [_title(shown_kind, shown[0], lang)]
        place_blocks[0] = f"{intro}\n{place_blocks[0]}"  # said with the first place, never alone
        blocks += place_blocks
    if not blocks:
        kind = "procedures" if intent in PROCEDURE_INTENTS else shown_kind
        answer = answers.rated(Answer([Reply(unknown_line(kind, None, list(facets), lang))]), lang)
    else:
        records = [*procs[:1], *shown] if of_proc else shown
        status = translations.status(records, lang)
        kept = fit_once(blocks, budget_with(status, lang))
        if shown and len(kept) <= others:
            # Where to go is what a topic's page in short is for: its first place stays, over the budget.
            kept = blocks[: others + 1]
        # The places' shared gap ("no opening hours for either") said once, after them.
        kept = [*kept[:others], *gaps_once(kept[others:], lang)]
        # The places that did not fit are named (the user sees what "the second one" is; the
        # rest of their facts are behind More details).
        seen = len(kept) - others
        if shown and 0 < seen < len(shown):
            also = t("list_sep", lang).join(local(r.get("name"), lang) for r in shown[seen:])
            kept.append(t("also_places", lang, names=also))
        answer = offer_details("\n\n".join(kept), lang, status)
    ctx = Context(
        intent=intent,
        procedures=[str(p["id"]) for p in procs[:2]],
        kind=shown_kind if shown else None,
        ids=[str(r["id"]) for r in shown],
        filters=dict(q.filters),
        facet=None if summary or not facets else _answered(facets, shown_kind, shown, of_places),
    )
    return Turn(replace(answer, topic=intent, shown_points=_points(ctx)), ctx)


def _place_procedures(q: Question, procs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The procedures whose places a topic question asks for: the first ranked when the message names
    it or some distinctive words of it are in the message (MATCH_MIN); else, in a topic of several procedures done at different offices,
    one standing for all of their services ("해정구 출입국 서비스홀 전화번호" read as a visa question: any
    visa office in Haidian, not the airport's port-visa office that "출입국" alone ranked first)."""
    if len(procs) < 2 or q.intent == "residence_permit" or q.intent not in PROCEDURE_INTENTS:
        return [dict(p) for p in procs]
    first = str(procs[0]["id"])
    if any(p["id"] == first for p in named_procedures(q.text)):
        return [dict(p) for p in procs]
    scored = procedures.rank_scored(str(q.intent), q.text)
    if scored and scored[0][1]["id"] == first and scored[0][0] >= MATCH_MIN:
        # Some distinctive words of its own ("مكتب تأشيرة الميناء", the port-visa office).
        return [dict(p) for p in procs]
    services = list(dict.fromkeys(s for p in procs for s in p.get("services") or []))
    return [{**procs[0], "services": services}, *(dict(p) for p in procs[1:])]


def _steps_say_where(
    q: Question,
    of_proc: Sequence[str],
    of_places: Sequence[str],
    procs: Sequence[Mapping[str, Any]],
    kind: str,
    shown: Sequence[Mapping[str, Any]],
    lang: str,
) -> Mapping[str, Any] | None:
    """Where to go is asked of a procedure's places (the topic's, or the service's named: "where do I do
    accommodation registration?"), none of them has a known address, and the procedure has steps
    (which say where: "the local police station (派出所) for the address where you live"): that
    procedure, whose steps answer where to go. None otherwise."""
    if "address" not in of_places or "steps" in of_proc or kind != "service_points":
        return None
    if any(kfacets.fact(kind, r, "address", lang) for r in shown):
        return None
    proc = procs[0] if procs else service_procedure(replace(q, facets=("steps",)), lang)
    if proc is None or kfacets.fact("procedures", proc, "steps", lang) is None:
        return None
    return proc


def joined_parts(proc: Mapping[str, Any], facets: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """The procedures a joint application combines, holding one of `facets`: a procedure with no
    service of its own (the "two-permit joint application": its one service is offered by the work
    permit and the work-type residence permit) has the fee and documents of its parts ("Was kostet die
    Aufenthaltserlaubnis zum Arbeiten?" matched to the joint application: the residence permit's fee).
    None for any other procedure."""
    codes = {str(c) for c in proc.get("services") or []}
    others = [p for p in procedures.rank(None, "") if p.get("id") != proc.get("id")]
    offered = {str(c) for p in others for c in p.get("services") or []}
    if not codes or not codes <= offered:
        return []
    return [
        dict(p)
        for p in others
        if codes & set(p.get("services") or [])
        and any(kfacets.fact("procedures", p, f, lang) for f in facets)
    ]


def same_for_every_type(
    facets: Sequence[str], lang: str, when: dt.datetime | None = None, text: str = ""
) -> tuple[str, dict[str, Any]] | None:
    """The facts asked of a residence permit whose type is not said, when they are the same for every
    type the permit-type question offers (the fees): one block under a title saying so, and the
    record it was written from. None: they differ, or a type lacks them (the type is asked). `text`,
    the message, orders the deadlines (`shared_deadlines`)."""
    typed = {
        str(p.get("permit_type")): dict(p)
        for p in procedures.rank("residence_permit", "")
        if p.get("permit_type") in answers.ASKED_PERMIT_TYPES
    }
    if set(typed) != set(answers.ASKED_PERMIT_TYPES):
        return None
    first = typed[answers.ASKED_PERMIT_TYPES[0]]
    title = f"📋 {t('same_every_permit_type', lang)}"
    facts: list[str] = []
    led = False
    for facet in facets:
        texts = {
            _without_doubts(kfacets.fact("procedures", p, facet, lang) or "", lang)
            for p in typed.values()
        }
        if len(texts) == 1 and next(iter(texts)):
            facts.append(kfacets.fact("procedures", first, facet, lang, when) or "")
            continue
        # "How long does a residence permit take?": the types' texts differ after a lead they share
        # ("Usually quoted as 7 working days; ..."): that lead, the rest per type behind More details.
        lead = shared_lead(texts) or shared_deadlines(
            facet, list(typed.values()), first, lang, text
        )
        if lead is None:
            return None
        facts.append(lead)
        led = True
    if led:
        return "\n".join([title, *facts, *short_provenance(first, lang)]), first
    block = record_block("procedures", first, facets, lang, when).split("\n")
    return "\n".join([title, *block[1:]]), first


def shared_deadlines(
    facet: str,
    typed: Sequence[Mapping[str, Any]],
    first: Mapping[str, Any],
    lang: str,
    text: str = "",
) -> str | None:
    """The deadlines every type of residence permit has ("Apply for renewal 30 days before the permit
    expires", "Report changes ... within 10 days"), when their lists differ only in others (the study
    permit's first deadline is the X1 visa's): those, followed by "…" (the rest per type behind More
    details), with their doubts. The deadline the message's words point to leads ("how many days
    after entry must I apply?": "Apply within 30 days of entry ...", not the renewal), also when one
    type words it differently (the study permit's "X1 visa holders must apply within 30 days of
    entry"). None for another facet, or when no deadline is shared."""
    if facet != "deadline":
        return None
    lists = [[local(x, "en") for x in p.get("deadlines") or []] for p in typed]
    held = [
        (sum(local(x, "en") in items for items in lists), x) for x in first.get("deadlines") or []
    ]
    shared = [x for n, x in held if n == len(lists)]
    if not shared:
        return None

    # Terms of the message in the deadline (its own language's text, or the English; the pairs of
    # Chinese, Japanese and Korean characters too); a deadline most types hold may lead by them.
    asked_terms = {x for x in procedures.terms(text) if len(x) > 1 and not x.isdigit()}

    def pointed(x: dict[str, str]) -> int:
        return len(
            asked_terms & (procedures.terms(local(x, lang)) | procedures.terms(local(x, "en")))
        )

    most = [x for n, x in held if n >= len(lists) - 1]
    best = max(most, key=pointed, default=None) if text else None
    if best is not None and pointed(best) > max((pointed(x) for x in shared), default=0):
        shared = [best, *(x for x in shared if x is not best)]
    text = "\n".join([t("deadlines", lang), *(f"• {local(x, lang)}" for x in shared), "• …"])
    warning = kfacets.doubts("procedures", first, ("deadlines",), lang)
    return f"{text}\n{warning}" if warning else text


# Where a fact's lead ends: its first sentence, else its first clause ("보통 7영업일로 안내되며,").
_LEAD_ENDS = (
    re.compile(r"[;.](?=\s|$)|[。；؛]"),
    re.compile(r"[;.,](?=\s|$)|[。；，、؛،]"),
)
_BOUNDARY = re.compile(r".*[\s;.,。；，、؛،]", re.S)


def shared_lead(texts: set[str]) -> str | None:
    """The first sentence (or clause, or words) that one-line facts ("Processing time: Usually quoted as
    7 working days; ...") all begin with, followed by "…"; None when they are lists, or when what they
    share says no number and little else."""
    if any(not text or "\n" in text for text in texts):
        return None
    candidates = []
    for pattern in _LEAD_ENDS:
        leads = set()
        for text in texts:
            end = pattern.search(text)
            leads.add(text[: end.start()] if end else text)
        candidates += [leads.pop()] if len(leads) == 1 else []
    # The words they share ("処理期間：通常は7営業日とされ", then ますが / 、 differ).
    prefix = os.path.commonprefix(sorted(texts))
    whole = _BOUNDARY.match(prefix)
    candidates.append(prefix[: whole.end() - 1] if whole and " " in prefix else prefix)
    for lead in candidates:
        lead = lead.rstrip(" ;,.，、؛،")
        value = re.split(r"[:：]", lead, maxsplit=1)[-1].strip()
        if any(c.isdigit() for c in value) or len(value) >= 24:
            return f"{lead} …"
    return None


def _answered(
    facets: Sequence[str], kind: str, shown: Sequence[Mapping[str, Any]], of_places: Sequence[str]
) -> str:
    """The facet a follow-up on these places keeps asking: the last one asked that they hold."""
    held = [f for f in of_places if f in kfacets.facets_of(kind)] if shown else []
    return (held or list(facets))[-1]


def _codes_asked(
    intent: str | None, filters: Mapping[str, str], procs: Sequence[Mapping[str, Any]]
) -> tuple[str, ...]:
    """The service codes the places are listed for (as `find_places` chooses them)."""
    if filters.get("service"):
        return tuple(service_points.service_codes(filters["service"]))
    if procs:
        return tuple(str(s) for s in procs[0].get("services") or [])
    return tuple(service_points.service_codes(intent)) if intent in PROCEDURE_INTENTS else ()


def _with_service_hours(
    kind: str, rec: Mapping[str, Any], facets: Sequence[str], codes: Sequence[str]
) -> tuple[str, ...]:
    """A place listed for a service whose opening-hours note is about that service ("Lost-passport
    certificates (Window No. 25, 2nd floor) are issued on weekdays ...") also says its hours: the note
    tells where inside and when, which its address alone does not."""
    hours = rec.get("hours") if kind == "service_points" else None
    note = hours.get("note") if isinstance(hours, Mapping) else None
    text = str(note.get("en") or "") if isinstance(note, Mapping) else ""
    if "hours" in facets or not text:
        return tuple(facets)
    folded = text.casefold().replace("-", " ")
    named = any(name("services", c, "en").casefold().replace("-", " ") in folded for c in codes)
    return (*facets, "hours") if named else tuple(facets)


def _place_block(
    kind: str,
    rec: Mapping[str, Any],
    facets: Sequence[str],
    lang: str,
    when: dt.datetime | None,
    summary: bool,
    brief: bool,
    room: int = TURN_BUDGET,
) -> str:
    """A place's facts; in a summary, the fewest facts first until the block fits in `room`."""
    block = record_block(kind, rec, facets, lang, when, not summary, brief)
    while summary and len(block) > room and len(facets) > 1:
        facets = facets[:-1]
        block = record_block(kind, rec, facets, lang, when, False, brief)
    return block


def _filters_intro(
    kind: str,
    shown: Sequence[Mapping[str, Any]],
    filters: Mapping[str, str],
    lang: str,
    near: bool = False,
    intent: str | None = None,
) -> str:
    """What the places are, with the filters the user gave said back ("in Haidian", "with IB"), as
    the topics' own pages say it; when nothing is in the district asked, that these are the nearest."""
    district = filters.get("district")
    in_district = bool(district) and any(_in_district(r, str(district)) for r in shown)
    if kind == "service_points":
        service = filters.get("service")
        if service:
            # A need ("a residence permit"), or a service code the words name ("citizen_services").
            section = "service_needs" if service in vocab.SERVICE_ENTITY_CODES else "services"
            label = name(section, str(service), lang)
        elif intent in PROCEDURE_INTENTS:
            label = name("intents", str(intent), lang)
        else:
            label = t("any_service", lang)
        return service_points.intro(label, district, near, lang, in_district)
    said = ""
    if filters.get("curriculum") and kind == "schools":
        said += t(
            "with_curriculum", lang, curriculum=name("curricula", filters["curriculum"], lang)
        )
    if filters.get("age") and kind == "schools":
        # The child's age asked ("a 6-month-old": under one year, said "<1").
        age = str(filters["age"])
        said += t("for_age", lang, age="<1" if age == "0" else age)
    if filters.get("medical_need") and kind == "hospitals":
        said += t("with_need", lang, need=t(f"need_{filters['medical_need']}", lang))
    if filters.get("spoken") and kind == "hospitals":
        said += t("with_need", lang, need=name("languages", filters["spoken"], lang))
    if district and in_district:
        # Places outside the district fill the list after those in it (nearest first): said, so that
        # none of them is taken to be in the district.
        everyone_in = all(_in_district(r, str(district)) for r in shown)
        key = "in_district" if everyone_in else "in_district_first"
        said += t(key, lang, district=render.district_name(district, lang))
    intro = t(f"{kind}_intro", lang, filters=said)
    if district and not in_district:
        dname = render.district_name(district, lang)
        return t("points_other_districts", lang, district=dname) + "\n" + intro
    return intro


_in_district = answers.place_in_district


def _shown_meet_need(ctx: Context, need: str) -> bool:
    """One or two hospitals in context, and every one of them meets the medical need."""
    if ctx.kind != "hospitals" or not 1 <= len(ctx.ids) <= 2:
        return False
    meeting = {str(p.record["id"]) for p in hospitals.find_hospitals(need, limit=None)}
    return set(ctx.ids) <= meeting


def _namesake_in(ctx: Context, district: str | None) -> dict[str, Any] | None:
    """The one other place that shares a staff alias with the one place in context and is in
    `district` ("British School of Beijing": the Sanlitun and the Shunyi schools), or None."""
    if not district or ctx.kind not in PLACE_KINDS or len(ctx.ids) != 1:
        return None
    shown = names.record(ctx.kind, ctx.ids[0])
    if not shown or _in_district(shown, district):
        return None
    same: set[str] = set()
    for alias in shown.get("aliases") or []:
        same |= {m.id for m in names.find_mentions(str(alias)) if m.kind == ctx.kind}
    same.discard(ctx.ids[0])
    there = [
        r
        for r in (names.record(ctx.kind, i) for i in sorted(same))
        if r and _in_district(r, district)
    ]
    return there[0] if len(there) == 1 else None


def _points(ctx: Context) -> list[str]:
    return list(ctx.ids) if ctx.kind == "service_points" else []


def _records_turn(
    kind: str,
    records: list[dict[str, Any]],
    q: Question,
    facets: Sequence[str],
    lang: str,
    when: dt.datetime | None,
    base: Context,
) -> Turn:
    """Facets of records named or pointed at."""
    if kind == "procedures":
        ctx = replace(
            base,
            intent=str(records[0].get("topic") or base.intent),
            procedures=[str(r["id"]) for r in records],
            facet=facets[-1] if facets else base.facet,
        )
    else:
        ctx = replace(
            base,
            kind=kind,
            ids=[str(r["id"]) for r in records],
            facet=facets[-1] if facets else base.facet,
        )
    answer = facet_answer([(kind, r) for r in records], facets, lang, when)
    return Turn(replace(answer, topic=ctx.intent, shown_points=_points(ctx)), ctx)


def named_records(text: str) -> tuple[str, list[dict[str, Any]]] | None:
    """The places a message names (the kind of the first named, and all named of that kind)."""
    # Places only: a procedure named ("visa extension") is the topic's ranking's business
    # (procedures.rank), not a record to answer about instead of the places asked for.
    mentions = [m for m in names.find_mentions(text or "") if m.kind in PLACE_KINDS]
    if not mentions:
        school = school_by_curriculum(text)
        return ("schools", [school]) if school else None
    kind = mentions[0].kind
    ids = list(dict.fromkeys(m.id for m in mentions if m.kind == kind))
    records = [r for r in (names.record(kind, i) for i in ids) if r]
    return (kind, records) if records else None


def school_by_curriculum(text: str | None) -> dict[str, Any] | None:
    """A school named by the one curriculum only it teaches: "le lycée français", "l'école canadienne",
    "немецкая школа" (a school's word, one curriculum's, no district: "a French school in Shunyi?" asks
    for a list, whose answer says what is where)."""
    if place_words.kinds_named(text) != {"schools"}:
        return None
    found = gazetteer.find_entities(text or "", {"curriculum", "district"})
    if any(m.entity == "district" for m in found):
        return None
    curricula = {m.value for m in found}
    if len(curricula) != 1:
        return None
    curriculum = curricula.pop()
    schools_found = schools.find_schools(curriculum, None, None, limit=2)
    if len(schools_found) != 1:
        return None
    # Named by its own curriculum, the first it lists ("le lycée français": French), not by one of
    # several it also offers ("американская школа": a bilingual school with an American track is no
    # "American school"; the list says which schools teach it).
    main = list(schools_found[0].record.get("curricula") or [])[:1]
    return dict(schools_found[0].record) if main == [curriculum] else None


def curriculum_taught_in(text: str | None) -> str | None:
    """The curriculum a school question asks for by the one language it names ("école où les cours sont en
    français", "colegio donde enseñen en coreano": vocab.CURRICULUM_TAUGHT_IN), None for no language, two,
    or one without a curriculum of its own (English, Chinese)."""
    spoken = {m.value for m in gazetteer.find_entities(text or "", {"language"})}
    return vocab.CURRICULUM_TAUGHT_IN.get(spoken.pop()) if len(spoken) == 1 else None


def named_procedures(text: str) -> list[dict[str, Any]]:
    """The procedures a message names by title or alias ("work residence permit", "体检")."""
    ids = dict.fromkeys(m.id for m in names.find_mentions(text or "") if m.kind == "procedures")
    return [r for r in (names.record("procedures", i) for i in ids) if r]


def with_named_permit_type(q: Question) -> Question:
    """A message naming one type of residence permit ("where do I renew my work residence permit?")
    gives that type, whether or not the NLU found the entity: kept in the context, a follow-up "how
    much?" is not asked the type again."""
    if q.filters.get("permit_type") in vocab.PERMIT_TYPES:
        return q
    types = {str(r.get("permit_type")) for r in named_procedures(q.text)} & set(vocab.PERMIT_TYPES)
    if len(types) != 1:
        return q
    return replace(q, filters={**q.filters, "permit_type": types.pop()})


def with_family_permit_type(q: Question) -> Question:
    """A residence-permit question for a family member of the writer ("documents for my child's residence
    permit? I work in Beijing", "남편이 중국인인데 거류허가 서류?") asks about that person's permit: the
    private-affairs type for the family of a foreigner working or studying here, the family-reunion type
    for the family of a Chinese citizen or a permanent resident (bot/dialogue/family_words.py), whatever
    type the words of the writer's own stay gave ("work")."""
    if q.intent != "residence_permit":
        return q
    wanted = family_words.permit_type_for_family(q.text)
    if wanted is None or q.filters.get("permit_type") == wanted:
        return q
    return replace(q, filters={**q.filters, "permit_type": wanted})


def named_service_topics(text: str) -> set[str]:
    """The topics of the procedures of the services a message names by the gazetteer's words for them
    (entity `service`: "ВНЖ", "거류허가", "permis de séjour", "продление визы"), whatever intent the
    NLU gave it."""
    topics: set[str] = set()
    for m in gazetteer.find_entities(text or "", {"service"}):
        codes = set(service_points.service_codes(m.value))
        topics |= {
            str(p.get("topic"))
            for p in procedures.rank(None, "")
            if codes & set(p.get("services") or [])
        }
    return topics


def with_named_topic(q: Question) -> Question:
    """A facet question the NLU put into one procedure topic while its words name the service of
    exactly one other ("ВНЖ кончается, когда подавать на продление?" read as a visa question;
    "거류허가 변경 신고는 며칠 안에?" read as accommodation registration): that topic. A message that
    also names a service of the NLU's topic keeps it ("для ВНЖ нужна регистрация?"), and so does one
    whose words do not match that topic's procedures clearly better (by MATCH_MARGIN) than the NLU
    topic's ("خلال كم ساعة يجب أن أسجل مكان إقامتي؟": "إقامتي" is a residence, the question a
    registration). A facet question the NLU could not place at all (`nlu_fallback`) that names the
    service of exactly one procedure topic is about that topic ("Innerhalb wie vieler Tage nach der
    Einreise muss ich die Aufenthaltserlaubnis für Arbeit beantragen?"), with the permit type it names."""
    if q.facets and q.intent == FALLBACK_INTENT:
        found = named_service_topics(q.text)
        if len(found) == 1 and next(iter(found)) in PROCEDURE_INTENTS:
            topic = found.pop()
            types = _permit_types_named(q.text) if topic == "residence_permit" else set()
            if len(types) == 1 and q.filters.get("permit_type") not in vocab.PERMIT_TYPES:
                return replace(q, intent=topic, filters={**q.filters, "permit_type": types.pop()})
            return replace(q, intent=topic)
        return q
    if not q.facets or q.intent not in PROCEDURE_INTENTS:
        return q
    topics = named_service_topics(q.text)
    if len(topics) != 1 or q.intent in topics:
        return q
    topic = topics.pop()
    if topic not in PROCEDURE_INTENTS:
        return q
    theirs = procedures.rank_scored(topic, q.text)
    ours = procedures.rank_scored(str(q.intent), q.text)
    # A residence permit named with its type ("titre de séjour travail", "visa de trabajo … permiso
    # de residencia", read as the work permit) is that permit when its words match at least as well.
    types = _permit_types_named(q.text) if topic == "residence_permit" else set()
    margin = 0.0 if len(types) == 1 else MATCH_MARGIN
    # No word of the NLU's topic at all ("und die Frist für die Aufenthaltserlaubnis?" read as permanent
    # residence, whose procedure none of its words match): the service named is the topic.
    none_of_ours = bool(theirs) and theirs[0][0] > 0 and (not ours or ours[0][0] <= 0)
    if not theirs or (
        theirs[0][0] < (ours[0][0] if ours else 0.0) + margin
        and not _matched_only_by_shared_words(q, topic, ours)
        and not none_of_ours
        and not (theirs[0][0] > 0 and _told_only(q))
    ):
        return q
    if len(types) == 1 and q.filters.get("permit_type") not in vocab.PERMIT_TYPES:
        return replace(q, intent=topic, filters={**q.filters, "permit_type": types.pop()})
    return replace(q, intent=topic)


def _asked_sentence(text: str) -> str:
    """The last sentence of `text` that asks a facet (the whole text when it has one sentence, or no
    facet word): what is asked, after what the writer tells ("On vient d'emménager à Tongzhou. Existe-t-il
    un bureau des titres de séjour à Tongzhou, et quelle est son adresse ?")."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text or "")]
    bounds = list(zip([0, *ends], [*ends, len(text or "")], strict=True))
    facets_at = [m.start for m in nlu_facets.analyse(text or "").facets]
    asking = [(a, b) for a, b in bounds if text[a:b].strip() and any(a <= f < b for f in facets_at)]
    if len(bounds) < 2 or not asking:
        return text
    a, b = asking[-1]
    return text[a:b]


def _told_only(q: Question) -> bool:
    """The NLU's topic comes only from what the writer tells before the question: the sentence that asks
    names a service of another topic and, without that service's words, holds no word of the NLU
    topic's procedures ("On vient d'emménager à Tongzhou [registration]. Existe-t-il un bureau des titres
    de séjour à Tongzhou … ?": the residence permit's offices)."""
    sentence = _asked_sentence(q.text)
    if sentence == q.text:
        return False
    named = {m.value for m in gazetteer.find_entities(sentence, {"service"})}
    if not named:
        return False
    for service in named:
        sentence = without_service_words(sentence, service)
    ours = procedures.rank_scored(str(q.intent), without_facet_words(sentence))
    return not ours or ours[0][0] <= 0


def with_service_procedure(q: Question) -> Question:
    """A question for the offices of a service that asks what only the service's procedure holds
    (PROCEDURE_FIRST: "auf welcher Webseite beantrage ich die Arbeitserlaubnis?", "취업허가 온라인 신청
    사이트가 어디에요?", read as "where to go for the work permit"): the service's topic, so the website
    comes from the procedure's official pages (the offices' other facets, an address, still follow)."""
    service = q.filters.get("service")
    if (
        q.intent == "find_service_point"
        and service in PROCEDURE_INTENTS
        and PROCEDURE_FIRST & set(q.facets)
    ):
        typed = replace(q, intent=str(service))
        # Not for a residence permit of no type: its types' pages differ, so the offices answer (their
        # own sites) rather than the question "which residence permit?".
        return typed if ranked_procedures(str(service), typed) else q
    return q


def _matched_only_by_shared_words(
    q: Question, topic: str, ours: Sequence[tuple[float, Mapping[str, Any]]]
) -> bool:
    """The NLU's topic matched the message (from MATCH_MIN) only through words that the facts asked of
    the named `topic`'s own procedures use too: "за сколько дней до окончания ВНЖ подавать на
    продление?" matches the visa extension by "продление" and "окончания", but a residence permit is
    renewed too ("Подайте на продление за 30 дней до окончания срока действия"): without those words
    nothing of the visa's is left, so the residence permit named answers."""
    if not ours or ours[0][0] < MATCH_MIN:
        return False
    own = procedures.rank_scored(str(q.intent), q.text, ignore=_facet_terms(topic, q.facets))
    return not own or own[0][0] < MATCH_MIN


def _facet_terms(topic: str, facets: Sequence[str]) -> frozenset[str]:
    """The terms of the facts `facets` of `topic`'s procedures, in every language."""
    shared: set[str] = set()
    for rec in procedures.rank(topic, ""):
        for facet in facets:
            for code in languages.CODES:
                fact = kfacets.fact("procedures", rec, facet, code)
                if fact:
                    shared |= procedures.terms(fact)
    # A visa's letter ("R-Visum") always names its own procedure.
    return frozenset(x for x in shared if not (len(x) == 1 and x.isupper()))


def _permit_types_named(text: str) -> set[str]:
    """The residence-permit types the gazetteer's words name ("travail", "рабочий"), whatever intent
    the NLU gave the message (the entity is only extracted for some)."""
    found = gazetteer.find_entities(text or "", {"permit_type"})
    return {m.value for m in found} & set(vocab.PERMIT_TYPES)


def offered_procedure(kind: str, records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The one procedure the places offer (the health-check centre: the medical examination), whose
    facts (fee, documents) a question about the place asks; None when they offer none or several."""
    if kind not in PLACE_KINDS:
        return None
    codes = {str(c) for r in records for c in (r.get("services") or []) if isinstance(c, str)}
    offered = [p for p in procedures.rank(None, "") if codes & set(p.get("services") or [])]
    return dict(offered[0]) if len(offered) == 1 else None


def service_procedure(q: Question, lang: str) -> dict[str, Any] | None:
    """The one procedure of the service the question names (entity `service`), holding a facet asked:
    the procedure listing exactly that service, else the one procedure of the service's group."""
    service = q.filters.get("service")
    if not service:
        return None
    codes = set(service_points.service_codes(service))
    offered = [p for p in procedures.rank(None, "") if codes & set(p.get("services") or [])]
    # The procedure listing exactly the service asked ("visa_extension") comes before the service's
    # wider group (a visa extension's group holds the stay permit too).
    exact = [p for p in procedures.rank(None, "") if service in (p.get("services") or [])]
    if len(exact) == 1:
        offered = exact
    if len(offered) != 1:
        return None
    if not any(kfacets.fact("procedures", offered[0], f, lang) for f in q.facets):
        return None
    return dict(offered[0])


def service_named_procedure(q: Question, lang: str) -> dict[str, Any] | None:
    """`service_procedure` for the service the gazetteer's words name in the message ("медосмотр": the
    medical examination), for intents whose NLU keeps no `service` entity (healthcare); None when the
    words name no service, or several."""
    named = {m.value for m in gazetteer.find_entities(q.text or "", {"service"})}
    if len(named) != 1:
        return None
    return service_procedure(replace(q, filters={**q.filters, "service": named.pop()}), lang)


def _when(q: Question, now: dt.datetime | None) -> dt.datetime | None:
    """The moment a question asks the hours of: a day named, a holiday; "now" and "today" are the
    present (the weekly hours and whether it is open right now, as with no day said: "open right now?"
    after closing time gets "closed now, next opening ..." with the weekly hours, not "today: open")."""
    weekday = q.filters.get("weekday")
    if weekday in (None, "now", "today"):
        return now
    return hours_mod.resolve_day(weekday, now)


@_safe_turn
def answer_named(q: Question, *, lang: str = "en", now: dt.datetime | None = None) -> Turn | None:
    """A message that names records (an office, a school, a hospital, a procedure): what it asks of
    them, or what one needs first; whatever intent the NLU gave it. None: it names none."""
    named = named_records(q.text)
    if not named:
        return _hotline_turn(q, lang) or _named_procedure_turn(q, lang, now)
    kind, records = named
    district = q.filters.get("district")
    if district and len(records) > 1:
        # "British School of Beijing in Shunyi": of the campuses a shared name names, the one there.
        records = [r for r in records if _in_district(r, str(district))] or records
    facets = q.facets or DEFAULT_FACETS[kind]
    base = Context(intent=q.intent if q.intent in TOPIC_INTENTS else None, filters=q.filters)
    if q.facets and not set(q.facets) & kfacets.facets_of(kind):
        # "how much is the health check at the ITHCC?": a fact of what the place does, not of it.
        proc = offered_procedure(kind, records)
        if proc is not None and any(kfacets.fact("procedures", proc, f, lang) for f in facets):
            records, kind = [proc], "procedures"
        elif _named_only_before_question(q.text):
            # "Notre bébé est né à l'hôpital United Family. Dans quel délai faut-il le déclarer ?": the
            # place is what the writer tells; no place of its kind holds what is asked (a deadline).
            return _hotline_turn(q, lang) or _named_procedure_turn(q, lang, now)
    return _records_turn(kind, records, q, facets, lang, _when(q, now), base)


def _named_only_before_question(text: str) -> bool:
    """The message names places only in the sentences before the one that asks (`_asked_sentence`)."""
    sentence = _asked_sentence(text)
    return sentence != text and named_records(sentence) is None


def handoff_fact_turn(
    q: Question, *, lang: str = "en", now: dt.datetime | None = None
) -> Turn | None:
    """A message read as a wish for a person that asks a fact: "phone number of <a place>?" is the fact
    of the place named; "numéros des opérateurs China Mobile et China Unicom ?", "номер поддержки China
    Unicom" (an operator, a customer service) is the staff-written entry on a subject no topic answers
    that clearly fits it. None: it asks no fact, or none fits (the right humans are offered)."""
    if not q.facets:
        return None
    if named_records(q.text):
        turn = answer_named(q, lang=lang, now=now)
        if turn is not None:
            return turn
    topics = named_service_topics(q.text)
    topic = topics.pop() if len(topics) == 1 else None
    # "Ich möchte mit jemandem sprechen: wie viel kostet ...?": the wish to speak is no language asked.
    facets = tuple(f for f in q.facets if f != "languages") or q.facets
    answerable = kfacets.facets_of("procedures") | kfacets.facets_of("service_points")
    if topic in PROCEDURE_INTENTS and set(facets) <= answerable:
        # "пмж кто может получить" ("who can get PR", "who" read as a person): the fact of the one
        # procedure topic whose service the words name; "Хочу поговорить с человеком: где пройти
        # медосмотр для ВНЖ?": where it is done.
        turn = answer_question(
            replace(q, intent=topic, facets=facets), Context(), lang=lang, now=now
        )
        if turn is not None:
            return turn
    outside = answers.faq_outside_topics(q.text, lang=lang, filters=q.filters)
    return Turn(outside, Context()) if outside else None


def named_hotlines(text: str) -> list[dict[str, Any]]:
    """The hotlines a message names by number ("12345") or by what they are ("the citizen hotline",
    "병원 예약 전화번호": bot/dialogue/hotline_words.py)."""
    ids = dict.fromkeys(m.id for m in names.find_mentions(text or "") if m.kind == "hotlines")
    found = [r for r in (names.record("hotlines", i) for i in ids) if r]
    found += [r for r in hotline_words.hotlines_asked(text) if r["id"] not in ids]
    if not found:
        # "Есть ли горячая линия, где отвечают по-русски?": the hotlines that answer in that language.
        found = hotline_words.hotlines_speaking(text)
    return found


def _hotline_turn(q: Question, lang: str) -> Turn | None:
    """A hotline's phone, hours or languages asked ("Bürgerhotline Nummer?", "what languages does 12345
    speak?"): that hotline's fact, not a topic's offices; its phone when nothing in particular is
    asked ("Gesundheitshotline in Peking?"). None: no hotline named or no such facet."""
    # Nothing in particular asked: its number; a day ("12345 on National Day?", "и в воскресенье?"):
    # its hours.
    unasked = ["hours"] if q.filters.get("weekday") else ["phone"]
    facets = [f for f in q.facets if f in hotlines.FACETS] or ([] if q.facets else unasked)
    if facets:
        records = named_hotlines(q.text)
    else:
        # "Есть ли горячая линия, где отвечают по-русски?" ("where" they answer is no address): the
        # hotlines that speak the language named, their number and languages.
        records, facets = hotline_words.hotlines_speaking(q.text), ["phone", "languages"]
    if not records:
        return None
    base = Context(intent=q.intent if q.intent in TOPIC_INTENTS else None, filters=q.filters)
    return _records_turn("hotlines", records, q, facets, lang, None, base)


def _named_procedure_turn(q: Question, lang: str, now: dt.datetime | None) -> Turn | None:
    """A fact of a procedure the message names ("体检全套多少钱？", the medical examination's fee) under
    an intent whose answer is places (healthcare) or none: that procedure's fact. A topic's own
    procedures are its ranking's business (procedures.rank). None: no such question."""
    if q.intent in PROCEDURE_INTENTS or not q.facets:
        return None
    if not set(q.facets) <= kfacets.facets_of("procedures"):
        return _named_procedure_places_turn(q, lang, now)
    procs = named_procedures(q.text)
    holds = [p for p in procs if any(kfacets.fact("procedures", p, f, lang) for f in q.facets)]
    kind = PLACE_INTENTS.get(str(q.intent))
    if not holds and not procs:
        # "сколько стоит медосмотр?" read as healthcare: the gazetteer's words name the service, whose
        # one procedure holds the fact (the medical examination's fee), not the hospitals' fees.
        found = service_named_procedure(q, lang)
        holds = [found] if found else []
    if not holds and not procs and not (kind and set(q.facets) & kfacets.facets_of(kind)):
        # "健康診断の費用はいくら？" under healthcare (or no topic): the procedure its words match, or
        # the one procedure of the service asked ("die Gesundheitsuntersuchung"), when the places of
        # the topic cannot hold the fact asked.
        found = matched_procedure(None, q.text, q.facets, lang) or service_procedure(q, lang)
        holds = [found] if found else []
    if not holds and not procs:
        return _service_topic_turn(q, lang, now)
    if not holds:
        return None
    base = Context(intent=q.intent if q.intent in TOPIC_INTENTS else None, filters=q.filters)
    return _records_turn("procedures", holds[:1], q, q.facets, lang, _when(q, now), base)


def _service_topic_turn(q: Question, lang: str, now: dt.datetime | None) -> Turn | None:
    """A fact of a procedure topic whose service the gazetteer's words name, asked under the intent of
    hospitals or schools that names none of their own needs ("ВНЖ цена", "цена ВНЖ" read as healthcare:
    the residence permit's fee, not every hospital's missing fee). None: the words name no service,
    or the services of several topics, or the message asks for a medical need or a curriculum."""
    if q.intent not in ("healthcare", "international_school"):
        return None
    if {"medical_need", "curriculum", "language"} & q.filters.keys():
        return None
    topics = named_service_topics(q.text)
    if len(topics) != 1:
        return None
    topic = topics.pop()
    if topic not in PROCEDURE_INTENTS or not set(q.facets) <= kfacets.facets_of("procedures"):
        return None
    return answer_question(replace(q, intent=topic), Context(), lang=lang, now=now)


# How well the words of a message under a place intent must match a procedure it does not name for its
# places to be answered instead of the intent's (several distinctive title words).
PLACES_MATCH_MIN = 10.0


def _named_procedure_places_turn(q: Question, lang: str, now: dt.datetime | None) -> Turn | None:
    """A fact of the places of a procedure the message names, under an intent whose own places are
    others ("how do I make an appointment for the residence permit medical check?" read as healthcare:
    the health-check centre's booking, not the hospitals'). None: no one procedure named, or it is
    done at no place, or a fact asked is neither the procedure's nor a place's."""
    if q.intent not in PLACE_INTENTS or q.filters.get("service"):
        # The NLU found the need the places are for: they are the topic's business.
        return None
    named = named_procedures(q.text)
    if not named:
        # Named in a language whose title words the knowledge base has ("健康診断"), by many of
        # them: a title word or two ("hours" in "... within 24 hours") name no procedure here.
        scored = procedures.rank_scored(None, q.text)
        if scored and scored[0][0] >= PLACES_MATCH_MIN:
            found = matched_procedure(None, q.text, strong=True)
            named = [found] if found else []
    if not named:
        # Named by the gazetteer's service words only ("ازاي أحجز ميعاد للكشف الطبي بتاع الإقامة؟": the
        # medical examination, whose Arabic title the knowledge base does not hold): the one procedure
        # listing the narrowest service named (the examination, not the residence permit beside it).
        said = [m.value for m in gazetteer.find_entities(q.text or "", {"service"})]
        service = service_points.narrowest_service(list(dict.fromkeys(said)))
        exact = [p for p in procedures.rank(None, "") if service in (p.get("services") or [])]
        named = [dict(exact[0])] if service and len(exact) == 1 else []
    procs = [p for p in named if p.get("services") and p.get("topic")]
    if len(procs) != 1:
        return None
    asked = set(q.facets)
    if not asked <= kfacets.facets_of("procedures") | kfacets.facets_of("service_points"):
        return None
    intent = str(procs[0]["topic"])
    topic_q = replace(q, intent=intent)
    return _topic_turn(intent, topic_q, q.facets, lang, _when(topic_q, now), procs=procs)


# Kinds of places whose own phone is the channel for a fact the knowledge base does not hold (issue 13:
# the school's or the hospital's, not 12367): a follow-up asking such a fact of them is answered by them.
OWN_CHANNEL_KINDS = ("schools", "hospitals")

# What a message the classifier alone read as an emergency may ask of the hospitals just shown.
EMERGENCY_FOLLOW_UP_FACETS = frozenset({"phone", "address", "hours"})


def asks_of_hospitals_shown(q: Question, ctx: Context) -> bool:
    """A message read as an emergency by the classifier alone (the caller checks that no acute-danger
    rule matched) that asks a hospital's phone, address or hours while hospitals were just shown ("what's
    their emergency number?"): a question about them, answered from the context, not the emergency page."""
    return (
        ctx.kind == "hospitals"
        and bool(ctx.ids)
        and bool(q.facets)
        and set(q.facets) <= EMERGENCY_FOLLOW_UP_FACETS
        and named_records(q.text) is None
    )


@_safe_turn
def out_of_scope_turn(
    q: Question,
    ctx: Context,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
    unsure: bool = False,
    guesses: Sequence[str] = (),
) -> Turn | None:
    """A message the NLU put outside the topics (or was unsure of) that asks a facet: about the
    records it names; else, when the conversation has a topic and no staff-written entry answers the
    message, a follow-up on that topic ("and how long will that take?", "and on Saturday?" when the
    NLU was unsure); else, when the NLU was unsure, the fact asked of its likeliest topic in `guesses`
    (its ranked intents) whose records can hold it ("거류허가 예약은 어느 사이트에서 해요?": the halls'
    booking). None: the entries answer, or the topics are offered."""
    if _newcomer_first_steps(q):
        return first_steps_turn(q, lang, newcomer=True)
    decision = faq_match.decide(q.text) if ctx.empty and ctx.faq else None
    if (
        decision is not None
        and not decision.answer
        and (_refers_back(q.text) or _offered_on_subject(q.text, decision.offered, ctx))
    ):
        # "and what's the max per transaction?" after an entry's answer, no entry fitting it alone: the
        # entry on the same subject its words fit. Without "and" or "it" ("whats the max per
        # transaction"), when the closest entry offered is on the subject of the one in context.
        turn = faq_follow_up(q, ctx, lang)
        if turn is not None:
            return turn
    # `unsure` (the NLU's fallback): a weekday, a district or an ordinal alone also refer back.
    refers = unsure and (q.ordinal is not None or bool({"weekday", "district"} & q.filters.keys()))
    if not q.facets and not (refers and not ctx.empty):
        hotline = _hotline_turn(q, lang)
        if hotline is not None:
            # "y a-t-il une ligne de police en anglais ?": that hotline's phone.
            return hotline
        # "Tell me about Dulwich College": what one first needs to know of the place named, unless a
        # staff-written entry answers the message.
        if named_records(q.text) is None or faq_match.decide(q.text).answer:
            return None
        return answer_named(q, lang=lang, now=now)
    if named_records(q.text) is None and faq_match.outside_topics(q.text):
        # "회사가 외국인 직원 사회보험 가입을 언제까지 해줘야 돼요?": an entry on a subject no topic page
        # answers fits it clearly; the procedure its words come near (the work permit) does not.
        return None
    placed = with_named_topic(replace(q, intent=FALLBACK_INTENT)) if unsure else q
    if placed.intent in PROCEDURE_INTENTS and named_records(q.text) is None:
        # The NLU unsure, the message naming one topic's service and asking a fact of it: that topic's
        # fact ("… muss ich die Aufenthaltserlaubnis für Arbeit beantragen?": the work-type residence
        # permit, not the work permit whose title shares "Arbeit").
        turn = answer_question(placed, ctx, lang=lang, now=now)
        if turn is not None:
            return turn
    turn = answer_named(q, lang=lang, now=now) if q.facets else None
    if turn is not None:
        return turn
    if faq_match.decide(q.text).answer:
        return None
    if not ctx.empty or ctx.faq:
        turn = follow_up(q, ctx, lang=lang, now=now)
    if turn is None and unsure and q.facets:
        turn = guessed_topic_turn(q, guesses, lang, now)
    return turn


# The NLU's unsure guesses that count: the first two topics, as the buttons offered instead would be.
GUESSES = 2


def guessed_topic_turn(
    q: Question, guesses: Sequence[str], lang: str, now: dt.datetime | None = None
) -> Turn | None:
    """A facet the facet rules recognised in a message the NLU was unsure of, nothing named and no
    topic in context: the fact of the first of the NLU's likeliest topics (`guesses`, best first; at
    most GUESSES) whose records can hold it: a procedure's fee, documents, ... or a place's phone,
    address, hours, booking. None: no guess can hold it (the topics are offered).

    A message that names a kind of office in a district ("миграционка в Шуньи телефон", "Ausländerbehörde
    Shunyi Telefon") and asks only an office's facts needs no guess: those offices' facts, the phone too
    (without a district, "출입국 상담 전화번호" asks for a line to call, not an office's)."""
    if (
        q.facets
        and q.filters.get("district")
        and set(q.facets) <= OFFICE_FACETS
        and place_words.offices_named(q.text)
        and not gazetteer.find_entities(q.text or "", {"service"})
        and named_records(q.text) is None
    ):
        placed = replace(q, intent="find_service_point")
        return _topic_turn("find_service_point", placed, q.facets, lang, _when(placed, now))
    if set(q.facets) == {"phone"}:
        # A number to call is the one fact a wrong guess makes harmful: "시민 서비스 핫라인" (the citizen
        # hotline, 12345) guessed as a visa question would get the immigration hotline or the halls'
        # phones. Hotlines named by what they are were answered before (answer_named), so an unsure
        # phone question left gets the topics to choose from.
        return None
    for intent in [g for g in guesses if g in TOPIC_INTENTS][:GUESSES]:
        kinds = {PLACE_INTENTS.get(intent, "service_points")}
        if intent in PROCEDURE_INTENTS:
            kinds.add("procedures")
        if any(f in kfacets.facets_of(k) for f in q.facets for k in kinds):
            guessed = replace(q, intent=intent)
            return _topic_turn(intent, guessed, q.facets, lang, _when(guessed, now))
    return None


@_safe_turn
def answer_question(
    q: Question,
    ctx: Context,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
    faq_first: bool = True,
) -> Turn | None:
    """A topic question (any topic intent) that names a record or asks a facet, answered fact first;
    a topic question asking only a facet of the topic in context is a follow-up. None: answer with the
    topic's own page (the caller does).

    A record named wins over the topic the NLU guessed ("what's <school>'s phone number" under
    find_service_point). `faq_first`: a staff-written entry that matches the message answers a facet
    question instead ("do foreigners pay more at hospitals?"), as it does a topic's page."""
    nlu_topic = q.intent
    if q.intent == "opening_hours" and not q.facets and q.filters.get("weekday"):
        # "출입국 사무소 토요일 오후에 해요?", "Wann macht die Ausländerbehörde am Samstag zu?": the intent and
        # the day ask the hours, though no word of the rules does.
        q = replace(q, facets=("hours",))
    q = with_service_procedure(with_family_permit_type(with_named_permit_type(with_named_topic(q))))
    if _office_kind_instead(q):
        # "퉁저우 출입국 민원실 주소가 어떻게 되나요?" read as accommodation registration (done at police
        # stations): the exit-entry office named is asked for, not the topic's offices.
        q = replace(q, intent="find_service_point")
    if _newcomer_first_steps(q):
        return first_steps_turn(q, lang, newcomer=True)
    after = next_step_after(q) if "order" in q.facets else None
    if after is not None:
        # "What comes after the medical check?": the steps after it, whatever topic the NLU read.
        return first_steps_turn(q, lang, after=after)
    if (
        ctx.empty
        and ctx.faq
        and nlu_facets.continues(q.text)
        and named_records(q.text) is None
        and not _named_topic_holds(q, q.facets, lang)
    ):
        # "а прививки?" (and the vaccinations?) after the entry on registering a newborn, read as a
        # healthcare question: the entry on the same subject its words fit, not the topic's hospitals.
        turn = faq_follow_up(q, ctx, lang)
        if turn is not None:
            return turn
    if (
        faq_first
        and q.facets
        and q.intent in TOPIC_INTENTS
        and (q.intent != ctx.intent or _complete_question(q.text))
        and named_records(q.text) is None
        and not named_service_topics(q.text)
    ):
        # "회사가 외국인 직원 사회보험 가입을 언제까지 해줘야 돼요?" read as a healthcare question: an
        # entry on a subject no topic page answers (social insurance) that clearly fits it answers,
        # before the words are matched against procedures (the work permit's deadline); not for a
        # question on the topic in context ("which documents do I need for that?" comes close to the
        # driving-licence entry), nor one naming a place or a topic's service ("welche Unterlagen für die
        # Verlängerung meiner Aufenthaltserlaubnis?" is close to the driving-licence documents' entry).
        # A service point with no service named would be the offices for foreigners in general.
        unnamed = q.intent == "find_service_point" and not q.filters.get("service")
        outside = answers.faq_outside_topics(
            q.text, lang=lang, filters=q.filters, clearly=not unnamed
        )
        if outside:
            return Turn(outside, Context())
    if (
        faq_first
        and q.intent in TOPIC_INTENTS
        and (q.intent != ctx.intent or _complete_question(q.text))
        and named_records(q.text) is None
        and not named_service_topics(q.text)
    ):
        # "Можно ли ездить за рулём с российскими правами?" read as the R visa: the entry on the subject
        # its words say (driving, a newborn) or on the country it names.
        said = answers.faq_subject_said(q.text, lang=lang, filters=q.filters)
        if said:
            return Turn(said, Context())
    if (
        faq_first
        and q.intent in TOPIC_INTENTS
        and word_lists.asks_penalty(q.text)
        and named_records(q.text) is None
    ):
        # "опоздал с регистрацией на пять дней, какой штраф?", "welche Strafe droht?" read as
        # accommodation registration: no procedure holds a fine, the entries on fines do; one that fits
        # answers at the ordinary bar, as outside every topic (the topic's page otherwise).
        instead = answers.faq_instead(q.text, lang=lang, filters=q.filters, beyond=True)
        if instead:
            return Turn(instead, Context())
    turn = answer_named(q, lang=lang, now=now)
    if turn is not None:
        return turn
    decisive = _decisive_entry(q, ctx, lang) if faq_first else None
    if decisive is not None:
        return decisive
    when = _when(q, now)
    named_other = _named_procedure_of_other_topic(q)
    if named_other is not None:
        # "Сколько дней оформляется разрешение на пребывание?" (the stay permit, by its name) read as a
        # residence permit: the fact of the procedure named, or honestly that it does not hold it.
        base = Context(intent=str(named_other.get("topic") or q.intent), filters=q.filters)
        return _records_turn("procedures", [named_other], q, q.facets, lang, when, base)
    if q.facets and q.intent in PROCEDURE_INTENTS and "order" not in q.facets:
        # A procedure of another topic that the words match far better than the topic the NLU gave
        # ("분실증명서는 무료에요?" read as a visa question): that procedure's fact.
        other = matched_procedure(None, q.text, q.facets, lang, strong=True)
        other = other if other is None or _beyond_shared_words(q, other, OVERRIDE_MIN) else None
        # Not back to the NLU's topic when the service named moved the question away from it.
        back = q.intent != nlu_topic and other is not None and other.get("topic") == nlu_topic
        if other is not None and other.get("topic") != q.intent and not back:
            base = Context(intent=q.intent, filters=q.filters)
            return _records_turn("procedures", [other], q, q.facets, lang, when, base)
    in_context = _context_procedure_matched(q, ctx, lang)
    if in_context is not None:
        # "كم تكلفة التحقق من فحص أجريته في بلدي؟" (the verification's fee) read as a visa question
        # after the health-check centre was shown: the fact of the procedure in context its words match.
        base = Context(intent=q.intent, filters=q.filters)
        return _records_turn("procedures", [in_context], q, q.facets, lang, when, base)
    if not ctx.empty and _only_weak_facets(q.text):
        # "faut-il venir à jeun ?" (fasting: the steps) after the health-check centre was shown, read
        # as another topic: nothing but the steps or the order is asked, which alone is not a follow-up
        # without a conversation ("how does it work?" may ask about the assistant); with one, it is.
        return follow_up(q, ctx, lang=lang, now=now)
    if _elliptic_permit_question(q, ctx, lang):
        # "wie lange gilt die Bescheinigung?" after the lost passport, read as a residence permit of no
        # type: the fact of the procedure in context, not "which residence permit?".
        return follow_up(q, ctx, lang=lang, now=now)
    other = _instead_of_permit_type(q, lang)
    if other is not None and (q.intent == nlu_topic or other.get("topic") != nlu_topic):
        # "Wie lange darf ich mit dem R-Visum pro Aufenthalt bleiben?" read as a residence permit of no
        # type: the procedure the words clearly match holds the fact; asking the permit type would not help.
        base = Context(intent=q.intent, filters=q.filters)
        return _records_turn("procedures", [other], q, q.facets, lang, when, base)
    if (
        not q.facets
        and q.intent == ctx.intent == "residence_permit"
        and ctx.facet
        and not ctx.procedures
        and q.filters.get("permit_type")
    ):
        # The type typed after "Which residence permit?": the fact asked before it.
        q = replace(q, facets=(ctx.facet,))
    new_filters = {k: v for k, v in q.filters.items() if ctx.filters.get(k) != v}
    # "두 번째 학교" ("the second school") after schools were listed: one of them, whatever the
    # topic the NLU read in "school".
    same_places = PLACE_INTENTS.get(str(q.intent)) == ctx.kind or q.intent not in TOPIC_INTENTS
    if q.ordinal is not None and ctx.ids and not new_filters and same_places:
        return follow_up(q, ctx, lang=lang, now=now)
    if q.intent == "opening_hours" and ctx.ids and not {"service", "district"} & q.filters.keys():
        # "is it open on Saturday?" after places were shown: their hours.
        return follow_up(replace(q, facets=q.facets or ("hours",)), ctx, lang=lang, now=now)
    if (
        q.intent == "find_service_point"
        and ctx.ids
        and set(q.facets) == {"address"}
        and not {"service", "district", "medical_need", "curriculum"} & q.filters.keys()
    ):
        # "地址在哪" ("where is it?") after a hospital or a school was shown: its address, not every
        # office for foreigners.
        return follow_up(q, ctx, lang=lang, now=now)
    if (
        q.intent == "find_service_point"
        and ctx.intent in PROCEDURE_INTENTS
        and not {"service", "medical_need"} & q.filters.keys()
        and not _other_office_named(q, ctx)
    ):
        # "where do I apply in Chaoyang?" after a residence-permit question names no service: the
        # offices of the topic in context, not every office for foreigners.
        return follow_up(q, ctx, lang=lang, now=now)
    if (
        not q.facets
        and ctx.facet
        and q.intent == ctx.intent
        and q.intent in PROCEDURE_INTENTS
        and nlu_facets.continues(q.text)
    ):
        # "und mit F-Visum?", "а для студентов?" after a fact of a procedure: that fact again, for
        # what the message names; "а сколько стран участвует?" after the transit's documents asks
        # what an entry staff relate to the procedure answers (the countries), not the fact again.
        entry = _entry_on_shown_procedure(q, ctx, lang)
        if entry is not None:
            return entry
        return follow_up(replace(q, facets=(ctx.facet,)), ctx, lang=lang, now=now)
    if (
        not q.facets
        and ctx.facet
        and ctx.intent in PROCEDURE_INTENTS
        and q.intent in PROCEDURE_INTENTS
        and q.intent != ctx.intent
        and ctx.facet in kfacets.facets_of("procedures")
        and nlu_facets.continues(q.text)
    ):
        # "und die Daueraufenthaltserlaubnis?" after the fee of a work residence permit: the same fact
        # of the other topic's procedure, not its whole page.
        asks = (str(ctx.facet),)
        return _topic_turn(str(q.intent), replace(q, facets=asks), asks, lang, when)
    if not q.facets or (q.intent not in TOPIC_INTENTS and "order" not in q.facets):
        return None
    beside = _entry_beside(q, lang) if faq_first else None
    if beside is not None:
        return beside
    if faq_first and not _names_a_procedure(q) and not _office_kind_asked(q):
        instead = answers.faq_instead(
            q.text, lang=lang, filters=q.filters, beyond=_asks_beyond_places(q)
        )
        if instead:
            return Turn(instead, Context())
    if "order" in q.facets:
        own = _steps_of_one_named(q, lang)
        if own is not None:
            # "Quelles sont les étapes pour obtenir un permis de travail, dans l'ordre ?": that
            # procedure's own steps, which are in order, not every newcomer's first steps.
            base = Context(intent=q.intent, filters=q.filters)
            return _records_turn("procedures", [own], q, ("steps",), lang, when, base)
        return first_steps_turn(q, lang)
    if not ctx.empty and ctx.intent == q.intent and not new_filters:
        return follow_up(q, ctx, lang=lang, now=now)
    return _topic_turn(str(q.intent), q, q.facets, lang, when)


def _steps_of_one_named(q: Question, lang: str) -> dict[str, Any] | None:
    """The procedure whose steps a message asks in order when it names one topic's service or
    procedure and nothing else ("the steps for the work permit, in order?"); None when it names none
    or several ("registration, work permit, residence permit: what first?"), or asks the order alone
    ("for the work residence permit, what do I do first?": every newcomer's first steps)."""
    if q.intent not in PROCEDURE_INTENTS:
        return None
    if "steps" not in {m.value for m in nlu_facets.analyse(q.text).facets}:
        return None
    services = {m.value for m in gazetteer.find_entities(q.text, {"service"})}
    named = {str(p["id"]) for p in named_procedures(q.text)}
    topics = named_service_topics(q.text) | {str(p.get("topic")) for p in named_procedures(q.text)}
    if len(services) + len(named) != 1 or q.intent not in topics:
        return None
    own = ranked_procedures(str(q.intent), q)[:1]
    if not own or not kfacets.fact("procedures", own[0], "steps", lang):
        return None
    return own[0]


def _named_procedure_of_other_topic(q: Question) -> dict[str, Any] | None:
    """The one procedure a facet question under a procedure topic names by its name or alias, when it
    is of another topic and no procedure of the NLU's topic is named: what is asked is its fact (or its
    honest gap), not the topic's. None otherwise."""
    if not q.facets or q.intent not in PROCEDURE_INTENTS or "order" in q.facets:
        return None
    named = named_procedures(q.text)
    if len(named) != 1 or any(p.get("topic") == q.intent for p in named):
        return None
    if not set(q.facets) <= kfacets.facets_of("procedures"):
        return None
    return named[0]


# Facets the words of another often ask ("délai", "며칠": a deadline or a processing time; "how long": a
# validity or a processing time) or that every procedure answers somehow (steps, order): a topic lacking
# one of them may still answer the question.
CONFUSABLE_PROCEDURE_FACETS = frozenset(
    {"processing_time", "validity", "deadline", "steps", "order", "eligibility"}
)


def _complete_question(text: str) -> bool:
    """A message that names something besides what it asks, with no connective or pronoun referring
    back ("운전면허 교환하는 차량관리소는 어디예요?" after the Chaoyang hall, both read as service points):
    a new question, not a follow-up on the topic in context ("which documents do I need for that?")."""
    a = nlu_facets.analyse(text)
    return bool(a.leftover) and not a.markers and not a.pronouns and not a.ordinals


def _other_office_named(q: Question, ctx: Context) -> bool:
    """A complete question naming a kind of office that none of the offices of the procedure in
    context is ("where is the Zhongguancun exit-entry hall?", "중관춘 출입국 홀은 어디예요?" after
    accommodation registration, which is done at police stations): it asks for that office, not for
    the topic's."""
    named = place_words.offices_named(q.text)
    if not named:
        return False
    a = nlu_facets.analyse(q.text)
    # Not "and there?": a marker counts only at the start ("Ein- und Ausreisehalle" has an "und").
    if not a.leftover or a.pronouns or a.ordinals or nlu_facets.continues(q.text):
        return False
    _, offices = find_places(ctx.intent, {}, _procedures(ctx))
    return not any(r.get("kind") in named for r in offices)


# What a question for an office asks of it: the office's own facts.
OFFICE_FACETS = frozenset({"address", "hours", "phone", "booking", "status", "website"})


def _office_kind_instead(q: Question) -> bool:
    """A question under a procedure topic that names a kind of office none of the topic's offices is
    ("퉁저우 출입국 민원실 주소", an exit-entry office, read as accommodation registration, done at police
    stations), names no service and asks only an office's facts: it asks for that kind of office."""
    if q.intent not in PROCEDURE_INTENTS or not set(q.facets) <= OFFICE_FACETS:
        return False
    named = place_words.offices_named(q.text)
    if not named or gazetteer.find_entities(q.text or "", {"service"}):
        return False
    if named_records(q.text) is not None or named_procedures(q.text):
        return False
    _, offices = find_places(q.intent, {}, ())
    return bool(offices) and not any(r.get("kind") in named for r in offices)


def _decisive_entry(q: Question, ctx: Context, lang: str, *, summary: bool = False) -> Turn | None:
    """An entry on a subject beside the message's topic that the message fits decisively
    (`answers.faq_decisive`): "¿A qué correo se mandan los papeles para registrar a un bebé?" read as
    accommodation registration, "Где заполнить карту прибытия онлайн?" read as visa offices. Not for
    a follow-up on the topic in context or a message of facet words only ("quels papiers ?"), nor a
    message naming a record (answered before), nor offices asked for a service the message names
    ("где продлить визу?"), nor a question a procedure answers that the words name, or match strongly
    (OVERRIDE_MIN) and that holds every fact asked that procedures hold ("Was kostet die
    Daueraufenthaltserlaubnis?": the classifier puts it near the illegal-residence fine, but the
    permanent residence holds its fee). `summary`: a message that asks nothing in particular
    ("Mon enfant est né à Pékin, que faire ?", the newborn's steps, read as visas) is matched too."""
    if (not q.facets and not summary) or q.intent not in TOPIC_INTENTS or q.intent == ctx.intent:
        return None
    if PLACE_INTENTS.get(str(q.intent)) not in (None, "service_points"):
        return None
    if not nlu_facets.analyse(q.text).leftover:
        return None
    named = named_service_topics(q.text)
    if q.intent in PLACE_INTENTS and named:
        return None
    kept = [f for f in q.facets if f in procedures.FACETS]
    if _named_topic_holds(q, kept, lang):
        # "Сколько стоит рабочий ВНЖ, если работодатель платит соцстрах?": the social-insurance entry
        # fits the words of what the writer tells, not what is asked.
        return None
    # A service the message names ("영주권 카드 갱신은 …": the permanent residence) counts in full.
    ignore = frozenset() if named else _best_entry_terms(q.text)
    for score, rec in procedures.rank_scored(None, q.text, ignore=ignore):
        if score < OVERRIDE_MIN:
            break
        held = [f for f in kept if kfacets.fact("procedures", rec, f, lang)]
        if held == kept or (held and score >= NAMED_SCORE):
            return None
    topics = named | {str(q.intent)}
    decisive = answers.faq_decisive(q.text, topics, q.facets, lang=lang, filters=q.filters)
    return Turn(decisive, Context()) if decisive else None


def _named_topic_holds(q: Question, facets: Sequence[str], lang: str) -> bool:
    """The message names the service of its (procedure) topic, and that topic's procedure (of the
    type said) holds every procedure fact asked: "¿Y cuánto cuesta el permiso de residencia de
    trabajo?" after the entry on card fees, "А какие документы нужны для регистрации?" after the
    late-registration fine. The procedure answers, not an entry near the words or in context."""
    asked = [f for f in facets if f in procedures.FACETS]
    if not asked or q.intent not in PROCEDURE_INTENTS:
        return False
    if q.intent not in named_service_topics(q.text):
        return False
    own = ranked_procedures(str(q.intent), q)[:1]
    return bool(own) and all(kfacets.fact("procedures", own[0], f, lang) for f in asked)


def _best_entry_terms(text: str) -> frozenset[str]:
    """The procedure terms of the closest entry's own questions (every language), or none: a procedure
    that the message's words match only through words that entry's questions use too is no sign that
    the procedure is meant. "베이징에서 아기를 낳았는데 출생 후 며칠 안에 거류 등록을 해야 하나요?" matches
    accommodation registration strongly by "등록" and "며칠", which the newborn's registration entry
    asks with as well; "아기" and "출생" are the entry's alone. "Was kostet die
    Daueraufenthaltserlaubnis?" still names the permanent residence (no question of the
    illegal-residence fine's says it)."""
    try:
        closest = faq_match.decide(text).closest
    except SQLAlchemyError:
        return frozenset()
    if not closest:
        return frozenset()
    questions = closest[0].entry.get("questions") or {}
    found: set[str] = set()
    for qs in questions.values() if isinstance(questions, Mapping) else ():
        for question in qs if isinstance(qs, list) else ():
            found |= procedures.terms(str(question))
    asked_terms = procedures.terms(text)
    if not asked_terms or len(asked_terms & found) < ENTRY_WORDS_SHARE * len(asked_terms):
        # Not phrased like the entry's questions ("Wie lange darf ich mit einer Aufenthaltserlaubnis
        # zum Arbeiten höchstens in China bleiben?" shares only "China" with the visa-free entry).
        return frozenset()
    return frozenset(found)


# The share of a message's terms that must be in the closest entry's questions for `_best_entry_terms`.
ENTRY_WORDS_SHARE = 0.5


def _asks_beyond_places(q: Question) -> bool:
    """The NLU put the message in a topic whose answer is places and nothing else (hospitals,
    schools), and it asks only facts such places never hold ("bis wann müssen wir das Baby
    anmelden?" read as healthcare: a deadline): the topic's answer could only be "I don't have that".
    Or in a topic of procedures, and it asks a fact procedures hold that none of the topic's holds
    ("신생아 등록 서류 보내는 이메일 주소", the newborn's mailbox, read as accommodation registration,
    whose record has no web address): part of the topic's answer could only be "I don't have that"."""
    kind = PLACE_INTENTS.get(str(q.intent))
    if q.intent in PROCEDURE_INTENTS and q.facets:
        own = [p for p in procedures.rank(None, "") if p.get("topic") == q.intent]
        asked_of = [
            f
            for f in q.facets
            if f in kfacets.facets_of("procedures") and f not in CONFUSABLE_PROCEDURE_FACETS
        ]
        return bool(own) and any(
            not any(kfacets.fact("procedures", p, f, "en") for p in own) for f in asked_of
        )
    return (
        kind in ("hospitals", "schools")
        and bool(q.facets)
        and not set(q.facets) & kfacets.facets_of(kind)
    )


def _office_kind_asked(q: Question) -> bool:
    """A service-point question that names a kind of office ("차오양 출입국 서비스홀은 어디에 있나요?", "the
    exit-entry office in Chaoyang: opening hours?") and asks only what such an office holds: its places
    answer, not an entry whose words come near ("서비스" is also in the entry on the online service
    platform)."""
    return (
        q.intent == "find_service_point"
        and bool(q.facets)
        and bool(place_words.offices_named(q.text))
        and set(q.facets) <= kfacets.facets_of("service_points")
    )


def _names_a_procedure(q: Question) -> bool:
    """The message names one of its topic's procedures other than the topic's namesake, or its words
    match one clearly ("كيف أحجز موعداً للفحص الطبي الخاص بالإقامة؟", the medical examination, under
    residence permits): the knowledge base's records answer it, not a questions-and-answers entry about
    something near (booking at public hospitals). A question about the topic's namesake procedure may
    still get an entry ("do I register at a friend's flat too?", accommodation registration)."""
    if q.intent not in PROCEDURE_INTENTS:
        return False
    found = [p for p in named_procedures(q.text) if p.get("topic") == q.intent]
    if not found:
        matched = matched_procedure(None, q.text)
        found = [matched] if matched and matched.get("topic") == q.intent else []
    if not found and q.filters.get("permit_type") in vocab.PERMIT_TYPES:
        # "كم يوم ياخذ تصريح الإقامة للطلاب؟" (the study permit by a permit-type word, not its title):
        # the topic's procedure of that type is named as much as by its title.
        found = [
            p
            for p in ranked_procedures(str(q.intent), q)[:1]
            if p.get("permit_type") == q.filters.get("permit_type")
        ]
    return any(p["id"] != q.intent for p in found)


def _only_weak_facets(text: str) -> bool:
    """The message asks only the steps or the order and names nothing else."""
    a = nlu_facets.analyse(text)
    return (
        bool(a.facets)
        and not a.leftover
        and not a.ordinals
        and all(f.value in nlu_facets.WEAK_FACETS for f in a.facets)
    )


def _entry_beside(q: Question, lang: str) -> Turn | None:
    """The entry written beside a procedure of the message's topic that its words come near without
    naming it (`answers.faq_beside_procedure`), if one answers the message and those procedures do
    not hold every fact asked (they would say "I don't have that"). Not beside the topic's
    namesake (accommodation registration), whose page is the topic's own answer."""
    if q.intent not in PROCEDURE_INTENTS or named_procedures(q.text):
        return None
    scored = [
        r
        for s, r in procedures.rank_scored(str(q.intent), q.text)
        if s >= MATCH_MIN and r["id"] != q.intent
    ]
    held = {f for f in q.facets if any(kfacets.fact("procedures", r, f, lang) for r in scored)}
    if word_lists.asks_visa_free_entry(q.text):
        # "무비자로 며칠 있을 수 있어요?", "30天免签政策到什么时候结束？": a stay without a visa and no
        # transit named; the 240-hour transit and the visa extension share its words (or none of the
        # topic's procedures comes near), the visa-free entries beside the topic's procedures answer it.
        near = [str(r["id"]) for r in procedures.rank(str(q.intent), "")]
        duration = bool({"validity", "deadline", "processing_time"} & set(q.facets))
        beside = answers.faq_beside_procedure(
            q.text, near, lang=lang, filters=q.filters, subject="visa_free", duration=duration
        )
        if beside:
            return Turn(beside, Context())
    if not scored:
        return None
    if q.facets and held == set(q.facets):
        return None
    if held and set(q.facets) - held <= kfacets.facets_of("service_points"):
        # "¿Cuánto tarda el permiso de residencia de trabajo si pido cita online?": the procedure holds
        # the processing time; what it lacks (the booking) is the offices' fact, which the topic's
        # answer gives too. The entry on booking online answers neither the question nor its point.
        return None
    near = [str(r["id"]) for r in scored]
    beside = answers.faq_beside_procedure(q.text, near, lang=lang, filters=q.filters)
    return Turn(beside, Context()) if beside else None


def _context_procedure_matched(q: Question, ctx: Context, lang: str) -> dict[str, Any] | None:
    """The procedure in context (or the one the places shown offer) when the message's words clearly
    match it, it holds a fact asked, and the NLU read another topic: the question is still about it."""
    if not q.facets or ctx.empty:
        return None
    kind = str(ctx.kind or "")
    shown = [r for r in (names.record(kind, i) for i in ctx.ids) if r] if kind else []
    offered = offered_procedure(kind, shown) if shown else None
    candidates = [*_procedures(ctx), *([offered] if offered else [])]
    in_context = {p["id"] for p in candidates}
    found = matched_procedure(None, q.text, q.facets, lang)
    if found is None:
        found = _fact_words_matched(q, candidates, lang)
    if found is None or found.get("topic") == q.intent:
        return None
    return found if found["id"] in in_context else None


# Words of the fact asked that a message must repeat to be about a procedure in context whose title
# it does not name ("c'est combien le bilan complet ?": "bilan", "complet" of a fee's item).
FACT_WORDS_MIN = 2


def _fact_words_matched(
    q: Question, candidates: Sequence[Mapping[str, Any]], lang: str
) -> dict[str, Any] | None:
    """The one procedure in context whose fact asked shares at least FACT_WORDS_MIN distinctive words
    with the message (a fee's or a document's name: "the full health check"); None otherwise."""
    hits = {
        str(p["id"]): p
        for p in candidates
        for f in q.facets
        if len(procedures.shared_words(q.text, kfacets.fact("procedures", p, f, lang) or ""))
        >= FACT_WORDS_MIN
    }
    return dict(next(iter(hits.values()))) if len(hits) == 1 else None


def _instead_of_permit_type(q: Question, lang: str) -> dict[str, Any] | None:
    """A facet asked under residence_permit that would get the permit-type question (no type said, no
    type or procedure of the topic matched), while the words clearly match a procedure of another topic
    holding a fact asked (the R visa, "R-Visum"): that procedure."""
    if q.intent != "residence_permit" or not q.facets or "order" in q.facets:
        return None
    if q.filters.get("permit_type") in vocab.PERMIT_TYPES or ranked_procedures(q.intent, q):
        return None
    found = matched_procedure(None, q.text, q.facets, lang)
    if found is None or found.get("topic") == q.intent:
        return None
    return found if _beyond_shared_words(q, found, MATCH_MIN) else None


def _beyond_shared_words(q: Question, other: Mapping[str, Any], minimum: float) -> bool:
    """Whether `other` (a procedure of another topic than the message's) matches the message from
    `minimum` by more than the words the facts asked of the message's own topic use, when the message
    names its topic's service: "ВНЖ … подавать на продление" names the residence permit, and the visa
    extension it matches by "продление" is a word the residence permit's deadlines use too (a
    residence permit is renewed): the residence permit answers."""
    if q.intent not in named_service_topics(q.text):
        return True
    # A residence permit is renewed too (its deadlines say so: "Apply for renewal 30 days before the
    # permit expires"), so words of renewing never take a question away from the service it names,
    # whatever fact is asked ("what documents do I need to renew my residence permit?" is not the visa
    # extension's question).
    ignore = _facet_terms(str(q.intent), (*q.facets, "deadline"))
    rest = procedures.rank_scored(None, q.text, ignore=ignore)
    return any(score >= minimum and r["id"] == other.get("id") for score, r in rest)


def _elliptic_permit_question(q: Question, ctx: Context, lang: str) -> bool:
    """A facet asked under residence_permit that would get the permit-type question, while the
    context holds another topic's procedure holding that fact, and the message names no residence
    permit (no service or permit type in it, no procedure named): the NLU guessed the topic."""
    if q.intent != "residence_permit" or not q.facets or not ctx.procedures:
        return False
    if ctx.intent == q.intent or q.filters.get("permit_type") or ranked_procedures(q.intent, q):
        return False
    if named_procedures(q.text) or any(
        m.entity in ("service", "permit_type") for m in gazetteer.find_entities(q.text)
    ):
        return False
    return any(kfacets.fact("procedures", p, f, lang) for p in _procedures(ctx) for f in q.facets)


# What a topic's page shows in short when nothing in particular was asked (the rest: More details):
# a procedure's summary ("overview": what it is, what comes first) and where to go; places' facts.
SUMMARY_FACETS: dict[str, tuple[str, ...]] = {
    **{topic: (OVERVIEW, "address") for topic in PROCEDURE_INTENTS},
    "find_service_point": ("address", "hours"),
    "international_school": ("curriculum", "ages", "address"),
    "healthcare": ("languages", "address", "phone"),
}


@_safe_turn
def summary_turn(
    q: Question, *, lang: str = "en", now: dt.datetime | None = None, faq_first: bool = True
) -> Turn | None:
    """A topic question that asks nothing in particular: the topic's page in short (what its
    procedure is and where to go, its places' addresses and hours, ...) with "More details". None: the topic's own
    answer (it asks the permit type, or says that nothing matches the filters). A family member named
    ("папе какой ВНЖ делать, я работаю в Пекине?") says the permit type when no type is named, rather
    than the question "which residence permit?" (a type named, "рабочий ВНЖ", is what is asked about)."""
    q = with_named_permit_type(q)
    if q.filters.get("permit_type") not in vocab.PERMIT_TYPES:
        q = with_family_permit_type(q)
    if q.intent not in SUMMARY_FACETS:
        return None
    if faq_first:
        # "права у меня российские плюс международное удостоверение, можно с ним ездить?" read as a
        # topic: an entry on a subject no topic page answers, when it clearly fits.
        outside = answers.faq_outside_topics(q.text, lang=lang, filters=q.filters)
        if outside:
            return Turn(outside, Context())
        if named_records(q.text) is None and not named_service_topics(q.text):
            # "아기가 베이징에서 태어났어요. 이제 뭘 해야 하나요?" read as hospitals: the newborn's entry.
            said = answers.faq_subject_said(q.text, lang=lang, filters=q.filters)
            if said:
                return Turn(said, Context())
    beside = _entry_beside(q, lang) if faq_first else None
    if beside is not None:
        return beside
    decisive = _decisive_entry(q, Context(), lang, summary=True) if faq_first else None
    if decisive is not None:
        return decisive
    if q.intent == "residence_permit" and q.filters.get("permit_type") not in vocab.PERMIT_TYPES:
        return None
    if faq_first:
        instead = answers.faq_instead(q.text, lang=lang, filters=q.filters)
        if instead:
            return Turn(instead, Context())
    turn = _topic_turn(
        str(q.intent), q, SUMMARY_FACETS[str(q.intent)], lang, _when(q, now), summary=True
    )
    return turn if turn.context.ids or turn.context.procedures else None


@_safe_turn
def _penalty_follow_up(q: Question, ctx: Context, lang: str) -> Turn | None:
    """ "And the fine if I don't?", "а штраф какой?" after a procedure: no procedure holds a fine, the
    entries on fines do. Of the entries staff relate to the procedure shown (`related:`) whose answer
    states a fine or a penalty, the one closest to the message (the late-registration fine after
    accommodation registration; an entry whose first related procedure is the one shown first). When
    no such entry is related to it, the message read with the procedure's short name (its first alias,
    "accommodation registration"; a long title such as "… within 24 hours" would drown the question)
    finds the entry on that procedure's fine, as a complete question would. None when no fine is asked,
    no procedure was shown, or no entry fits."""
    if not ctx.procedures or not word_lists.asks_penalty(q.text):
        return None
    shown = ctx.procedures[0]
    try:
        closest = faq_index.lookup(q.text, k=PENALTY_CANDIDATES, learned=False)
    except SQLAlchemyError:
        logger.warning("questions and answers unavailable", exc_info=True)
        return None
    fines = [
        m
        for m in closest
        if shown in (m.entry.get("related") or [])
        and word_lists.asks_penalty(local(m.entry.get("answer"), "en"))
    ]
    if fines:
        # An entry whose first related procedure is the one shown is about it (the late-registration
        # fine), before one that only touches it (illegal residence: a visa matter first).
        best = max(fines, key=lambda m: ((m.entry.get("related") or [None])[0] == shown, m.score))
        return Turn(
            answers.faq_answer(q.text, best.entry_id, lang=lang), Context(faq=best.entry_id)
        )
    proc = names.record("procedures", shown) or {}
    subject = next(iter(proc.get("aliases") or []), None) or local(proc.get("title"), lang)
    if not proc or not subject:
        return None
    found = answers.faq_instead(f"{q.text} {subject}", lang=lang, filters=q.filters, beyond=True)
    return Turn(found, Context()) if found else None


@_safe_turn
def _entry_on_shown_procedure(q: Question, ctx: Context, lang: str) -> Turn | None:
    """An elliptical question that asks no facet after a procedure was shown ("а сколько стран
    участвует?" after the 240-hour transit): the message read with the procedure's short name (as
    `_penalty_follow_up` does) finds an entry; it answers when staff relate it to that procedure
    (`related:`). None: no procedure shown, a facet or a new filter asked, or no related entry fits."""
    if q.facets or not ctx.procedures:
        return None
    if any(ctx.filters.get(k) != v for k, v in q.filters.items()):
        return None
    shown = ctx.procedures[0]
    proc = names.record("procedures", shown) or {}
    subject = local(proc.get("title"), lang) or next(iter(proc.get("aliases") or []), None)
    if not proc or not subject:
        return None
    found = answers.faq_instead(f"{q.text} {subject}", lang=lang, filters=q.filters)
    if not found or not found.faq_entry:
        return None
    entry = faq_entries.faq_entry(found.faq_entry)
    if entry is None or shown not in (entry.get("related") or []):
        return None
    return Turn(found, Context(faq=found.faq_entry))


# Every entry is scored for a fine asked after a procedure (a few hundred at most).
PENALTY_CANDIDATES = 1000


def follow_up(
    q: Question, ctx: Context, *, lang: str = "en", now: dt.datetime | None = None
) -> Turn:
    """An elliptical message answered from the context: a new district or other filter (the same
    topic again), a weekday (the hours of the places shown, that day), a facet (of the procedure or
    the places shown), an ordinal or "it" (one of the places shown)."""
    q = with_named_permit_type(q)
    named = named_records(q.text)
    if named:
        kind, records = named
        asks = q.facets or ((ctx.facet,) if ctx.facet else DEFAULT_FACETS[kind])
        return _records_turn(kind, records, q, asks, lang, _when(q, now), ctx)
    # A hotline named by its number reads as a follow-up (the number is taken away like "3 years"):
    # "opening hours of the 12345 hotline?", "Hotline 12367 rund um die Uhr erreichbar?" ask of it.
    hotline = _hotline_turn(q, lang) if q.facets else None
    if hotline is not None:
        return hotline
    if ctx.empty:
        turn = faq_follow_up(q, ctx, lang) if ctx.faq else None
        return turn or Turn(clarify(lang), ctx)
    penalty = _penalty_follow_up(q, ctx, lang)
    if penalty is not None:
        return penalty
    family = _family_follow_up(q, ctx, lang, now)
    if family is not None:
        return family
    merged = ctx.with_filters(q.filters)
    question = replace(q, intent=ctx.intent, filters=merged.filters)
    when = _when(question, now)
    facets: tuple[str, ...] = q.facets
    if not facets and "weekday" in q.filters:
        facets = ("hours",)
    changed = {k: v for k, v in q.filters.items() if k != "weekday" and ctx.filters.get(k) != v}
    if q.ordinal is not None and not ctx.ids and len(ctx.procedures) > 1:
        # "documents for the second one?" after the steps in order: the second step's procedure.
        step = replace(ctx, ids=list(ctx.procedures)).pick(q.ordinal)
        procs = [r for r in (names.record("procedures", i) for i in step) if r]
        if not procs:
            return Turn(clarify(lang), ctx)
        asks = facets or DEFAULT_FACETS["procedures"]
        return _records_turn("procedures", procs, question, asks, lang, when, merged)
    if q.ordinal is not None:
        picked = ctx.pick(q.ordinal)
        campus = _nth_location(ctx, q.ordinal) if not picked else None
        if campus is not None and ctx.kind:
            # "und der zweite Standort?", "두 번째 캠퍼스는요?" after one place with several
            # locations: that location of it.
            asks = facets or DEFAULT_FACETS[ctx.kind]
            return _records_turn(ctx.kind, [campus], question, asks, lang, when, merged)
        if not picked or not ctx.kind:
            return Turn(clarify(lang), ctx)
        records = [r for r in (names.record(ctx.kind, i) for i in picked) if r]
        if not records:
            return Turn(clarify(lang), ctx)
        facets = facets or DEFAULT_FACETS[ctx.kind]
        return _records_turn(ctx.kind, records, question, facets, lang, when, merged)
    if set(changed) == {"permit_type"} and ctx.facet and ctx.intent == "residence_permit":
        # "학생은요?", "und für Studenten?" after a fact of one type of residence permit: the same fact
        # of the type named (ranked again for it), not the places of the type.
        facets = facets or (ctx.facet,)
        return _topic_turn(str(ctx.intent), question, facets, lang, when)
    if (
        facets
        and set(changed) == {"medical_need"}
        and _shown_meet_need(ctx, changed["medical_need"])
    ):
        # "¿y el teléfono de urgencias?" after PUMCH was named: its own emergency number (it has a
        # 24-hour emergency room), not the list of hospitals with one.
        shown = [r for r in (names.record("hospitals", i) for i in ctx.ids) if r]
        return _records_turn("hospitals", shown, question, facets, lang, when, merged)
    namesake = _namesake_in(ctx, changed.get("district")) if set(changed) == {"district"} else None
    if namesake is not None:
        # "¿y el de Shunyi?" after the British School of Beijing in Sanlitun: the school of the same
        # name in Shunyi, not every school of its curriculum there.
        kind = str(ctx.kind)
        asks = facets or (
            (ctx.facet,) if ctx.facet in kfacets.facets_of(kind) else DEFAULT_FACETS[kind]
        )
        return _records_turn(kind, [namesake], question, asks, lang, when, merged)
    if changed:
        # A new district (or curriculum, ...): the same question about the places there (a fact
        # of the procedure, the fee, is the same in every district: the places are shown instead).
        kind = ctx.kind or PLACE_INTENTS.get(ctx.intent or "", "service_points")
        if not facets:
            held = ctx.facet in kfacets.facets_of(kind)
            facets = (str(ctx.facet),) if held else DEFAULT_FACETS[kind]
            if held and "district" in changed and "address" not in facets:
                # "¿y en Haidian?" after the Saturday hours: other places, so where they are too.
                facets = ("address", *facets)
        typed = _of_permit_type(_procedures(ctx), changed.get("permit_type"))
        return _topic_turn(str(ctx.intent), question, facets, lang, when, procs=typed)
    if not facets and ctx.facet:
        # "а на 5 лет?", "3년짜리는요?" after a fee (a length of time, or the same district again):
        # the fact asked last, again.
        facets = (ctx.facet,)
    if not facets:
        return Turn(clarify(lang), ctx)
    if "order" in facets:
        return first_steps_turn(question, lang, after=next_step_after(question, ctx))
    procs = _procedures(ctx)
    if "residence_permit" in named_service_topics(q.text):
        # "und die Frist für die Aufenthaltserlaubnis?" after the steps in order: the permit itself (a
        # procedure with a permit type) before one done for it (the medical examination "for residence
        # permits", whose title has the same words).
        procs = sorted(procs, key=lambda p: p.get("permit_type") is None)
    places = None
    intent = str(ctx.intent)
    held = bool(ctx.kind) and bool(set(facets) & set(kfacets.facets_of(str(ctx.kind))))
    kind = str(ctx.kind or "")
    shown = [r for r in (names.record(kind, i) for i in ctx.ids) if r] if kind else []
    # "Which documents?" after the offices for a service: their service's procedure, if they hold none.
    proc = (
        None if procs or not shown else _procedure_instead_of(kind, shown, question, facets, lang)
    )
    if proc is not None:
        return _records_turn("procedures", [proc], question, facets, lang, when, merged)
    if (
        kind in OWN_CHANNEL_KINDS
        and shown
        and not procs
        and not held
        and not ctx.filters.get("service")
    ):
        # "学费多少", "сколько стоит обучение?" after a school (or a hospital) was shown, when no
        # procedure in context holds the fact either: "I don't have that" and the place's own phone, not
        # the fee of a residence permit or the offices for foreigners with the immigration hotline.
        return _records_turn(kind, shown, question, facets, lang, when, merged)
    if ctx.kind and ctx.ids and held:
        places = (ctx.kind, shown)
    elif (
        not procs
        and intent not in PROCEDURE_INTENTS
        and ctx.filters.get("service") in PROCEDURE_INTENTS
    ):
        # "how much?" after places for a service ("where do I renew my residence permit?"): the places
        # cannot hold a fee; the service's own procedure can (its permit type asked if needed).
        intent = str(ctx.filters["service"])
        question = replace(question, intent=intent)
    # No procedure in context: the topic's own, ranked for the question (with the filters kept).
    return _topic_turn(intent, question, facets, lang, when, procs=procs or None, places=places)


def _nth_location(ctx: Context, ordinal: str) -> dict[str, Any] | None:
    """The one place in context with only the location an ordinal points at ("2": its second campus),
    or None when there is not exactly one place shown, it has fewer locations, or the ordinal is
    the first one (the place itself)."""
    if len(ctx.ids) != 1 or ctx.kind not in PLACE_KINDS or ordinal == "1":
        return None
    rec = names.record(str(ctx.kind), ctx.ids[0])
    locations = (rec or {}).get("locations") or []
    if rec is None or len(locations) < 2:
        return None
    n = len(locations) if ordinal == "last" else int(ordinal) if ordinal.isdigit() else 0
    if not 1 <= n <= len(locations):
        return None
    return {**rec, "locations": [locations[n - 1]]}


def _refers_back(text: str) -> bool:
    """A short message with a connective or a pronoun ("and what's the max?", "can we do it by email?")."""
    if len(text) > nlu_facets.MAX_CHARS:
        return False
    found = nlu_facets.analyse(text)
    return bool(found.markers or found.pronouns)


def _offered_on_subject(text: str, offered: Sequence[Any], ctx: Context) -> bool:
    """A short message whose closest entry (offered, not answered) is on the subject (`topic:`) of the
    entry that answered last: it goes on with that subject."""
    if len(text) > nlu_facets.MAX_CHARS or not offered or not ctx.faq:
        return False
    try:
        entry = faq_entries.faq_entry(str(ctx.faq))
    except SQLAlchemyError:
        logger.warning("questions and answers unavailable", exc_info=True)
        return False
    subject = entry.get("topic") if entry else None
    return bool(subject) and offered[0].entry.get("topic") == subject


def faq_follow_up(q: Question, ctx: Context, lang: str) -> Turn | None:
    """A follow-up on a questions-and-answers entry's answer ("are there any fees?" after binding a card
    to Alipay, "要带什么？" after where to exchange a driving licence): the entry on the same subject its
    words fit (`match.follow_up_entry`). None: the entry is gone or nothing fits."""
    try:
        entry = faq_entries.faq_entry(str(ctx.faq))
        found = faq_match.follow_up_entry(q.text, entry) if entry else None
    except SQLAlchemyError:
        logger.warning("questions and answers unavailable", exc_info=True)
        return None
    proc = _related_procedure(q, entry, lang) if entry else None
    if (
        proc is not None
        and (found is None or found.entry_id != ctx.faq)
        and faq_match.decide(q.text).answer is None
    ):
        # "kostet das was?" after when to register one's address with the police: the fact of the
        # one procedure the entry is related to (registration is free), not a sibling entry the
        # words come close to (the fine for registering late).
        base = Context(filters=dict(q.filters))
        return _records_turn("procedures", [proc], q, q.facets, lang, _when(q, None), base)
    if found is None:
        return None
    alone = faq_match.decide(q.text).answer
    if alone is not None and alone.entry_id != found.entry_id and alone.score > found.score:
        # "et à partir de combien de jours je deviens résident fiscal ?" after the social-insurance
        # deadline: a complete question another entry answers on its own, better than any entry on the
        # subject in context fits it.
        found = alone
    answer = answers.faq_answer(q.text, found.entry_id, lang=lang)
    return Turn(answer, Context(faq=found.entry_id))


def _related_procedure(q: Question, entry: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """The one procedure an entry is related to (its `related:`), when it holds every fact a follow-up
    asks (not only the steps or the order). None otherwise."""
    asked = [f for f in q.facets if f not in nlu_facets.WEAK_FACETS]
    if not asked:
        return None
    related = (names.record("procedures", str(i)) for i in entry.get("related") or [])
    procs = [r for r in related if r]
    if len(procs) != 1 or not all(kfacets.fact("procedures", procs[0], f, lang) for f in asked):
        return None
    return dict(procs[0])


def _procedure_instead_of(
    kind: str,
    shown: Sequence[Mapping[str, Any]],
    q: Question,
    facets: tuple[str, ...],
    lang: str,
) -> dict[str, Any] | None:
    """ "Which documents?" after the offices for a service ("where can I extend my visa in Haidian?"):
    when none of the places shown holds a fact asked, the service's own procedure that holds one, else
    the one procedure the places offer that holds one."""
    if any(kfacets.fact(kind, r, f, lang) for r in shown for f in facets):
        return None
    found = service_procedure(replace(q, facets=facets), lang)
    if found is None:
        # "c'est combien ?" after the health-check centre's hours (no service named): the one
        # procedure the places shown offer, when it holds a fact asked.
        offered = offered_procedure(kind, shown)
        if offered and any(kfacets.fact("procedures", offered, f, lang) for f in facets):
            found = offered
    return found


def _family_follow_up(q: Question, ctx: Context, lang: str, now: dt.datetime | None) -> Turn | None:
    """ "and for my wife?", "제 아내는요?", "et pour mon enfant ?" after a fact of a residence permit: the
    same fact of the permit that family member needs (the private-affairs permit for the family of a
    foreigner working or studying here, the family-reunion one for a Chinese citizen's:
    bot/dialogue/family_words.py). None: no family member named, or the context is another topic."""
    if ctx.intent != "residence_permit" or q.ordinal is not None:
        return None
    wanted = family_words.permit_type_for_family(q.text)
    if wanted is None:
        return None
    facets = q.facets or ((ctx.facet,) if ctx.facet else DEFAULT_FACETS["procedures"])
    question = replace(
        q, intent=ctx.intent, filters={**ctx.filters, **q.filters, "permit_type": wanted}
    )
    # That type's own permit only: a fact it lacks is said to be missing, not taken from the runner-up
    # of the ranking (the medical examination's validity for "and how long is it valid?").
    procs = [dict(p) for p in procedures.rank(ctx.intent, q.text, wanted)][:1]
    return _topic_turn(ctx.intent, question, facets, lang, _when(question, now), procs=procs)


def _procedures(ctx: Context) -> list[dict[str, Any]]:
    return [r for r in (names.record("procedures", i) for i in ctx.procedures) if r]


def _of_permit_type(procs: list[dict[str, Any]], permit_type: Any) -> list[dict[str, Any]] | None:
    """The procedures in context, or None (the topic's own, ranked for the question's filters) when the
    follow-up names another permit type than theirs: "妻の場合の必要書類は？", "und für meine Frau?" after
    the work residence permit's fee ask of the family permit, not of the permit shown."""
    if permit_type not in vocab.PERMIT_TYPES:
        return procs
    if any(
        p.get("permit_type") in vocab.PERMIT_TYPES and p.get("permit_type") != permit_type
        for p in procs
    ):
        return None
    return procs


# --- What to do first ------------------------------------------------------------------------------------


def _clearly_about(q: Question, proc: Mapping[str, Any]) -> bool:
    """The message names `proc` or its words match it clearly among every procedure."""
    if any(p["id"] == proc["id"] for p in named_procedures(q.text)):
        return True
    found = matched_procedure(None, q.text)
    return found is not None and found["id"] == proc["id"]


def _newcomer_first_steps(q: Question) -> bool:
    """ "I just arrived for work, what do I do first?" (a newcomer's words, a first-steps facet, no
    procedure named): the newcomers' steps, whatever topic the NLU read in the arrival words (the
    240-hour transit, the port visa, a work permit)."""
    if not newcomer_words.asks_first_steps(q.text, q.facets) or named_procedures(q.text):
        return False
    if _steps_of_one_named(q, "en") is not None:
        # "the steps to get a work permit in China, in order?": that procedure's steps.
        return False
    # Words that clearly match one procedure besides the arrival words ("240 hour transit: I just
    # landed", "I just arrived and lost my passport"): that procedure's own steps.
    rest = newcomer_words.without_newcomer(q.text)
    return matched_procedure(None, rest, strong=True) is None


def next_step_after(q: Question, ctx: Context | None = None) -> str | None:
    """The step of the newcomers' steps a "what comes next?" question continues from: the step the
    message names ("what comes after the medical check?"), else the first step of the context's
    (after the steps in order, "und was kommt danach?" goes on after the first). None: the message does
    not ask what comes next, or names no step and has none in context."""
    if not newcomer_words.asks_next(q.text):
        return None
    chain = [str(r["id"]) for r in procedures.first_steps()]
    named = [str(p["id"]) for p in named_procedures(q.text) if p["id"] in chain]
    if not named:
        found = matched_procedure(None, q.text)
        named = [str(found["id"])] if found is not None and found["id"] in chain else []
    if not named and ctx is not None:
        named = [i for i in ctx.procedures if i in chain][:1]
    return named[0] if named else None


def first_steps_turn(
    q: Question, lang: str, newcomer: bool = False, after: str | None = None
) -> Turn:
    """The ordered steps with their deadlines (procedures.first_steps), one short line each, and the
    offer of details. `newcomer`: the newcomers' steps, never one procedure's own. `after`: the step
    a "what comes next?" question continues from: the steps after it (their numbers kept)."""
    steps = procedures.first_steps()
    ids = [str(r["id"]) for r in steps]
    if after in ids and ids.index(str(after)) + 1 < len(ids):
        steps = steps[ids.index(str(after)) + 1 :]
        newcomer = True
    chain = {r["id"] for r in steps}
    chain_topics = {r.get("topic") for r in steps}
    if q.intent in PROCEDURE_INTENTS and not newcomer:
        procs = ranked_procedures(str(q.intent), q)
        if (
            procs
            and procs[0]["id"] not in chain
            and procs[0].get("topic") not in chain_topics
            and _clearly_about(q, procs[0])
        ):
            # "I lost my passport, what do I do first?": that procedure's own steps (not for a
            # procedure of a topic in the chain: "work permit and residence permit, what first?",
            # matched to their joint application, is the chain's question; nor for the topic's
            # first procedure when the message names none: "I just moved here for a job, what do I
            # do first?" read as a visa question is the chain's question, not the port visa's).
            return _topic_turn(str(q.intent), q, ("steps",), lang, None, procs=procs)
    if not steps:
        answer = answers.rated(
            Answer([Reply(unknown_line("procedures", None, ["order"], lang))]), lang
        )
        return Turn(answer, Context())
    # The steps after one ("what comes next?") say their numbers, without "what to do, in this order".
    lines = [] if after in ids else [t("first_steps_intro", lang)]
    lines += [
        _without_doubts(kfacets.fact("procedures", rec, "order", lang) or "", lang) for rec in steps
    ]
    # The order and the deadlines are doubtful where staff marked them: said once, with the hotline.
    if any(set(rec.get("uncertain") or {}) & {"order", "deadline"} for rec in steps):
        what = name("facet_names", "order", lang)
        lines.append(t("uncertain", lang, text=what, hotline=prov.IMMIGRATION_HOTLINE))
    lines += short_provenance(steps[0], lang, site_only=True)
    if len("\n".join(lines)) > TURN_BUDGET and after not in ids:
        lines = lines[1:]  # the numbered lines say the order themselves
    if len("\n".join(lines)) > TURN_BUDGET:
        cut = len(short_provenance(steps[0], lang, site_only=True))
        lines = lines[:-cut] + short_provenance(steps[0], lang, site_only=True, dated=False)
    ctx = Context(
        intent=str(steps[0].get("topic") or q.intent),
        procedures=[str(r["id"]) for r in steps],
        filters=dict(q.filters),
        facet="order",
    )
    status = translations.status(steps, lang)
    return Turn(replace(offer_details("\n".join(lines), lang, status), topic=ctx.intent), ctx)


# --- More details ------------------------------------------------------------------------------------------


@answers._safe
def more_details(ctx: Context, *, lang: str = "en") -> Answer:
    """The full page of what the context is about: the procedure(s), then the places shown."""
    if ctx.empty:
        return clarify(lang)
    replies: list[Reply] = []
    shown: list[Mapping[str, Any]] = []
    for proc in _procedures(ctx)[: None if ctx.facet == "order" else 1]:
        replies.append(
            Reply(
                procedures.render(proc, lang),  # type: ignore[arg-type]
                card=cards.procedure_card(proc, lang).to_json(),
            )
        )
        shown.append(proc)
    kind, places = ctx.kind, [r for r in (names.record(str(ctx.kind), i) for i in ctx.ids) if r]
    if not places and ctx.intent in PROCEDURE_INTENTS:
        # A procedure's page ends with where to go, as the topic's own page does.
        kind, places = find_places(ctx.intent, ctx.filters, _procedures(ctx))
        if places:
            replies.append(Reply(t("where_to_go", lang)))
    if kind in PLACE_KINDS:
        district = ctx.filters.get("district")
        for rec in places:
            place: queries.Place[Any] = queries.Place(rec)
            # The full page as cards (issue 15): place cards with the driver's address and tel: links.
            if kind == "service_points":
                text, card = (
                    service_points.render(place, lang),
                    cards.service_point_card(place, lang),
                )
            elif kind == "schools":
                text, card = (
                    schools.render(place, lang, district),
                    cards.school_card(place, lang, district),
                )
            else:
                text, card = (
                    hospitals.render(place, lang, district),
                    cards.hospital_card(place, lang, district),
                )
            replies.append(Reply(text, card=card.to_json()))
            shown.append(rec)
    if kind == "hotlines":
        for rec in places:
            replies.append(Reply(hotlines.render(rec, lang)))  # type: ignore[arg-type]
            shown.append(rec)
    if not replies:
        return clarify(lang)
    status = translations.status(shown, lang)
    points = [str(r["id"]) for r in places] if kind == "service_points" else []
    return answers.rated(Answer(replies, points, ctx.intent, status), lang)


# --- The context a topic's own answer leaves ------------------------------------------------------------


def context_of_records(answer: Answer) -> Context:
    """The context after an answer that lists records of its own (the emergency departments): those
    records, for "More details" and follow-ups; empty when it lists none."""
    if answer.shown_records is None:
        return Context()
    kind, ids = answer.shown_records
    return Context(intent=PLACE_INTENT_OF_KIND.get(kind), kind=kind, ids=list(ids))


# The place intent of each kind of place (what a follow-up on them is about).
PLACE_INTENT_OF_KIND = {"hospitals": "healthcare", "schools": "international_school"}


def context_of(q: Question, answer: Answer) -> Context:
    """The context after a topic's own page (no facet asked): its topic, the places it showed, its
    procedures (ranked as the page ranked them), the filters."""
    intent = q.intent if q.intent in TOPIC_INTENTS else answer.topic
    procs: list[str] = []
    if intent in PROCEDURE_INTENTS:
        procs = [str(p["id"]) for p in ranked_procedures(str(intent), q)[:2]]
    kind = PLACE_INTENTS.get(intent or "", "service_points")
    return Context(
        intent=intent,
        procedures=procs,
        kind=kind if answer.shown_points else None,
        ids=list(answer.shown_points),
        filters=dict(q.filters),
    )
