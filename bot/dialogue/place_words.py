"""Kinds of place named by their words ("el hospital más cercano", "学校在哪"): the words are data
(bot/dialogue/language_data/places.yml). A message the NLU read as a service-point question that names no
service but exactly one kind of place asks for that kind (its topic's answer), not for the offices for
foreigners in general."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "places.yml"
# The topic (intent) whose answer lists each kind of place.
KIND_INTENTS = {"hospitals": "healthcare", "schools": "international_school"}


@lru_cache(maxsize=1)
def _load(path: Path = DATA) -> dict[str, re.Pattern[str]]:
    return load_word_patterns(path, KIND_INTENTS)


def kinds_named(text: str | None) -> set[str]:
    """The kinds of place ("hospitals", "schools") whose words the message has."""
    folded = fold(text or "")
    return {kind for kind, pattern in _load().items() if pattern.search(folded)}


def place_intent(intent: str | None, text: str | None, service: str | None) -> str | None:
    """The topic of a "where is a service point" message that names no service but one kind of place
    ("¿y el hospital más cercano en Chaoyang?" -> healthcare); `intent` otherwise."""
    if intent != "find_service_point" or service:
        return intent
    kinds = kinds_named(text)
    return KIND_INTENTS[kinds.pop()] if len(kinds) == 1 else intent
