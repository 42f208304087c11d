"""Words for a passport ("my passport was stolen", "me robaron el pasaporte"): the words are data
(bot/dialogue/language_data/passport.yml). An emergency that names a passport (a theft) gets the steps for a
lost or stolen passport after the emergency numbers (bot/dialogue/answers.emergency_answer)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "passport.yml"


@lru_cache(maxsize=1)
def _pattern(path: Path = DATA) -> re.Pattern[str]:
    return load_word_patterns(path, ("passport",))["passport"]


def names_passport(text: str | None) -> bool:
    """The message names a passport."""
    return bool(_pattern().search(fold(text or "")))
