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


@lru_cache(maxsize=1)
def _persons() -> re.Pattern[str]:
    """The `person` words of every language's facet rules, as one pattern."""
    return word_pattern([form for kind, _, form in nlu_facets.load_entries() if kind == "person"])


def names_family_member(text: str | None) -> bool:
    """The message names a family member of its writer ("my wife", "제 아내", "mon enfant"), also inside
    a phrase that asks something ("can my wife apply")."""
    return bool(_persons().search(fold(text or "")))


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
