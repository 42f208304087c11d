"""The person a residence permit is asked for ("documents for my child's residence permit", "can my wife
apply?"): the words are data (the `person` words of bot/nlu/facet_rules/, and
bot/dialogue/language_data/family.yml). A family member of a foreigner who
works or studies in Beijing needs the private-affairs residence permit, one of a Chinese citizen or of a
permanent resident the family-reunion permit (knowledge/procedures.yml, their `who`): the permit type the
message asks about, whatever the type words of the writer's own stay ("I work in Beijing") say."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns, word_pattern
from bot.nlu import facets as nlu_facets
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "family.yml"
PRIVATE_AFFAIRS = "private_affairs"
FAMILY = "family"


@lru_cache(maxsize=1)
def _patterns(path: Path = DATA) -> dict[str, re.Pattern[str]]:
    return load_word_patterns(path, ("citizen", "reunion"))


_LATIN = re.compile("[a-z]")


@lru_cache(maxsize=1)
def _persons() -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
    """The `person` words of each language's facet rules, as two patterns per language: its words in
    Latin letters, and its other words (Cyrillic, Arabic, Chinese, Japanese, Korean)."""
    latin: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for lang, kind, _, form in nlu_facets.language_entries():
        if kind == "person":
            (latin if _LATIN.search(form) else other).setdefault(lang, []).append(form)
    return {
        lang: (
            word_pattern(latin[lang]) if lang in latin else None,
            word_pattern(other[lang]) if lang in other else None,
        )
        for lang in {*latin, *other}
    }


def names_family_member(text: str | None) -> bool:
    """The message names a family member of its writer ("my wife", "제 아내", "mon enfant"), also inside
    a phrase that asks something ("can my wife apply"). A word in Latin letters counts only in a message
    written in its language (by the rule words it uses, bot/nlu/facets.py), when one is recognised: the
    English "son" is the Spanish "are" ("¿cuáles son los requisitos …?") and the French "his", the German
    "Kind" the English "kind" ("what kind of permit"); none of them names a family member there."""
    folded = fold(text or "")
    langs = nlu_facets.message_languages(folded)
    for lang, (latin, other) in _persons().items():
        if other is not None and other.search(folded):
            return True
        if latin is not None and (not langs or lang in langs) and latin.search(folded):
            return True
    return False


def permit_type_for_family(text: str | None) -> str | None:
    """The residence-permit type a message asks about for a family member: `family` when it says the
    sponsor is a Chinese citizen or a permanent resident, or names the family-reunion permit; else
    `private_affairs`. None: it names no family member."""
    if not names_family_member(text):
        return None
    folded = fold(text or "")
    found = _patterns()
    if found["citizen"].search(folded) or found["reunion"].search(folded):
        return FAMILY
    return PRIVATE_AFFAIRS
