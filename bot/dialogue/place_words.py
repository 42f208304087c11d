"""Kinds of place named by their words ("el hospital más cercano", "学校在哪"): the words are data
(bot/dialogue/language_data/places.yml). A message the NLU read as a service-point question that names no
service but exactly one kind of place asks for that kind (its topic's answer), not for the offices for
foreigners in general."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.dialogue.hotline_words import load_word_patterns
from bot.knowledge import names
from bot.nlu import gazetteer
from bot.nlu.facets import fold

T = TypeVar("T")

DATA = Path(__file__).with_name("language_data") / "places.yml"
# The topic (intent) whose answer lists each kind of place.
KIND_INTENTS = {"hospitals": "healthcare", "schools": "international_school"}


@lru_cache(maxsize=1)
def _load(path: Path = DATA) -> dict[str, re.Pattern[str]]:
    return load_word_patterns(path, KIND_INTENTS)


@lru_cache(maxsize=1)
def _offices(path: Path = DATA) -> dict[str, re.Pattern[str]]:
    return load_word_patterns(path, OFFICE_KINDS)


# Kinds of service point named by their words (the key in places.yml -> the service point `kind`).
OFFICE_KINDS = {"exit_entry_halls": "exit_entry_hall"}


def offices_named(text: str | None) -> frozenset[str]:
    """The kinds of service point ("exit_entry_hall") whose words the message has ("출입국 사무소",
    "Ausländerbehörde", "exit-entry office")."""
    folded = fold(text or "")
    return frozenset(OFFICE_KINDS[k] for k, pattern in _offices().items() if pattern.search(folded))


def kinds_named(text: str | None) -> set[str]:
    """The kinds of place ("hospitals", "schools") whose words the message has."""
    folded = fold(text or "")
    return {kind for kind, pattern in _load().items() if pattern.search(folded)}


# The entities that say which kind of place is needed when no word names the kind: a medical need
# ("urgencias", "international department") is a hospital's. Not a curriculum: its words are
# nationalities ("meinen deutschen Führerschein" is no German school).
NEED_INTENTS = {"medical_need": "healthcare"}


def place_intent(intent: str | None, text: str | None, service: str | None) -> str | None:
    """The topic of a "where is a service point" message that names no service but one kind of place
    ("¿y el hospital más cercano en Chaoyang?" -> healthcare), or, naming no kind of place, one kind's
    need ("¿urgencias cerca de Guomao?": an emergency room is a hospital's); `intent` otherwise."""
    if intent != "find_service_point" or service:
        return intent
    kinds = kinds_named(text)
    if kinds:
        return KIND_INTENTS[kinds.pop()] if len(kinds) == 1 else intent
    needed = {
        NEED_INTENTS[m.entity] for m in gazetteer.find_entities(text or "", set(NEED_INTENTS))
    }
    return needed.pop() if len(needed) == 1 else intent


def needs(text: str | None) -> dict[str, str]:
    """The needs a message says (a medical need), as filters."""
    found = gazetteer.find_entities(text or "", set(NEED_INTENTS))
    return {m.entity: m.value for m in reversed(found)}


def landmark_district(text: str | None) -> str | None:
    """The district of the first landmark or neighbourhood the message names that has one
    (knowledge/landmarks.yml, staff-maintained and picked up at the next sync: "near Liuliqiao",
    "首都机场附近"): where a "near X" question's places are looked for when no district is named."""
    try:
        found = names.find_landmarks(text or "")
    except SQLAlchemyError:
        return (
            None  # the knowledge base is down: no district, and the emergency numbers still go out
        )
    return next((landmark.district for landmark in found if landmark.district), None)


# What ends a sentence, for finding the one that asks ("I live in Chaoyang. Where is the Haidian hall?").
_SENTENCE_END = re.compile(r"[.!?。！？]+\s*|\n+")


def asking_sentence(text: str) -> tuple[int, int]:
    """Where the sentence that asks is in `text` (start, end): the last one with a question mark, or
    the last one. A newcomer tells their situation first ("On déménage de Chaoyang à Shijingshan le mois
    prochain."), then asks ("Où est le bureau de Shijingshan ?")."""
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if text[start : m.start()].strip():
            bounds.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        bounds.append((start, len(text)))
    if not bounds:
        return 0, len(text)
    asking = [b for b in bounds if re.search("[?？]", text[b[0] : b[1]])]
    return (asking or bounds)[-1]


def asked_district(text: str | None, entities: Sequence[Mapping[str, Any]]) -> str | None:
    """The district a message asks about: of several named, the first one in the sentence that asks
    (its words or a landmark there: "...кампус в Саньлитуне?"); else the first one named. The others
    are where the writer lives, works or comes from ("we live in Haidian", "on déménage de Chaoyang")."""
    named = [e for e in entities if e.get("entity") == "district" and e.get("value")]
    if not text or len({str(e["value"]) for e in named}) < 2:
        return str(named[0]["value"]) if named else None
    start, end = asking_sentence(text)
    for e in named:
        at = e.get("start")
        if isinstance(at, int) and start <= at < end:
            return str(e["value"])
    near = landmark_district(text[start:end])
    return near or str(named[0]["value"])


def landmark_names(text: str | None) -> list[str]:
    """The English and Chinese names of the landmarks the message names ("싼리툰", "near Sanlitun":
    Sanlitun, 三里屯); none when the knowledge base is down."""
    try:
        found = names.find_landmarks(text or "")
    except SQLAlchemyError:
        return []
    return [n for landmark in found for n in landmark.name.values() if n]


def _place_texts(rec: Mapping[str, Any]) -> list[str]:
    """A place's names and addresses (its own and its locations'), in every language it has."""
    parts: list[Any] = [rec.get("name"), rec.get("address")]
    for loc in rec.get("locations") or []:
        parts += [loc.get("name"), loc.get("address")]
    return [str(v) for p in parts if isinstance(p, Mapping) for v in p.values() if v]


def at_landmark_first(
    places: Sequence[T], records: Sequence[Mapping[str, Any]], landmarks: Sequence[str]
) -> list[T]:
    """`places` (one per record of `records`, in the same order) with those whose name or address
    names one of `landmarks` first ("싼리툰에 있는 영국학교": the British School on Sanlitun Road before
    the other British schools of Chaoyang), the order otherwise kept."""
    wanted = [fold(n) for n in landmarks]
    if not wanted:
        return list(places)

    def at(rec: Mapping[str, Any]) -> bool:
        return any(w in fold(t) for t in _place_texts(rec) for w in wanted)

    ranked = sorted(zip(places, records, strict=True), key=lambda pr: not at(pr[1]))
    return [p for p, _ in ranked]
