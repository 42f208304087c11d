"""A newcomer's words ("I just arrived", "刚到北京", "막 도착했는데"): the words are data
(bot/dialogue/language_data/newcomer.yml). A newcomer asking what to do first, and naming no procedure, asks
for the newcomers' steps in order, whatever topic the NLU read in the arrival words."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.dialogue.hotline_words import load_word_patterns
from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "newcomer.yml"
# The facets that ask for steps in order ("what do I do first?", "the first steps?").
FIRST_STEP_FACETS = frozenset({"order", "steps"})


@lru_cache(maxsize=2)
def _pattern(key: str = "newcomer", path: Path = DATA) -> re.Pattern[str]:
    return load_word_patterns(path, (key,))[key]


def is_newcomer(text: str | None) -> bool:
    """The message says its writer has just arrived or is new in Beijing."""
    return bool(_pattern().search(fold(text or "")))


def asks_first_steps(text: str | None, facets: tuple[str, ...] | list[str]) -> bool:
    """A newcomer asking what to do first or for the first steps."""
    return bool(FIRST_STEP_FACETS & set(facets)) and is_newcomer(text)


def asks_next(text: str | None) -> bool:
    """The message asks what comes next ("what comes after the medical check?", "und was kommt danach?")."""
    return bool(_pattern("next").search(fold(text or "")))


def without_newcomer(text: str | None) -> str:
    """The message (folded) without its newcomer's words and the city's name: what else it asks about ("240 hour transit: I
    just landed …" still names the transit; "막 도착했는데" alone names nothing, though "도착" is a word
    of the port visa's)."""
    return _pattern("city").sub(" ", _pattern().sub(" ", fold(text or "")))
