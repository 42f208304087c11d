"""Words that ask for a fine or a penalty ("какой штраф?", "welche Strafe droht?", "罚款多少"): the words are
data (bot/dialogue/language_data/penalty.yml). No procedure holds a fine as a fact; the fines are
questions-and-answers entries, which answer such a message at the ordinary bar (bot/dialogue/asked.py)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "penalty.yml"


@lru_cache(maxsize=1)
def _pattern(path: Path = DATA) -> re.Pattern[str]:
    return load_word_patterns(path, ("penalty",))["penalty"]


def asks_penalty(text: str | None) -> bool:
    """The message asks for a fine or a penalty."""
    return bool(_pattern().search(fold(text or "")))
