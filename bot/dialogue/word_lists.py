"""Words a message says, from one word list each in bot/dialogue/language_data/ (the list's key is its file's
name; the words are data): a fine or a penalty (penalty.yml: "какой штраф?", "welche Strafe droht?",
"罚款多少"), a passport (passport.yml: "my passport was stolen", "me robaron el pasaporte"). Matching as
`hotline_words.word_pattern`: case and accents ignored, `*` ends a prefix, Chinese, Japanese, Korean and
Arabic words anywhere.

No procedure holds a fine as a fact; the fines are questions-and-answers entries, which answer a message
asking one at the ordinary bar (bot/dialogue/asked.py). An emergency that names a passport (a theft) gets
the steps for a lost or stolen passport after the emergency numbers (bot/dialogue/answers.emergency_answer).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data")
# The word lists, each language_data/<name>.yml with the list under the key <name>.
LISTS = ("penalty", "passport", "visa_free", "transit", "driving", "newborn")


@lru_cache(maxsize=len(LISTS))
def _pattern(name: str) -> re.Pattern[str]:
    return load_word_patterns(DATA / f"{name}.yml", (name,))[name]


def says(name: str, text: str | None) -> bool:
    """The message says a word of the list `name` (one of `LISTS`)."""
    return bool(_pattern(name).search(fold(text or "")))


def asks_penalty(text: str | None) -> bool:
    """The message asks for a fine or a penalty."""
    return says("penalty", text)


def names_passport(text: str | None) -> bool:
    """The message names a passport."""
    return says("passport", text)


def asks_visa_free_entry(text: str | None) -> bool:
    """The message names a stay without a visa and no transit: the visa-free entries answer it, not the
    240-hour transit ("무비자로 며칠 있을 수 있어요?", "Bis wann gilt die 30-tägige Visabefreiung?")."""
    return says("visa_free", text) and not says("transit", text)
