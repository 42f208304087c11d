"""Hotlines asked by what they are ("the citizen hotline", "시민 서비스 핫라인", "병원 예약 전화번호"), not by
their number: the words are data (bot/dialogue/language_data/hotlines.yml), the hotlines and their facts
come from the knowledge base (knowledge/hotlines.yml, `category` and English `name`).

A message means the hotlines of a concept when it has a word of each of the concept's lists and, unless
the concept says otherwise, a word for "hotline". Two concepts matched (a citizen and an immigration
hotline) mean both; a concept without a hotline in the knowledge base means none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.facets import fold

DATA = Path(__file__).with_name("language_data") / "hotlines.yml"
# Scripts whose words match anywhere (no spaces between words, or clitics on Arabic words).
_ANYWHERE = re.compile(r"[\u0600-\u06ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Concept:
    category: str
    name_has: str | None
    hotline_word: bool
    lists: tuple[re.Pattern[str], ...]


def word_pattern(words: list[str]) -> re.Pattern[str]:
    parts = []
    for word in words:
        word = fold(str(word))
        head, tail = word.startswith("*"), word.endswith("*")
        body = r"\s+".join(re.escape(w) for w in word.strip("*").split())
        if _ANYWHERE.search(word):
            parts.append(body)
        else:
            before = r"\w*" if head else r"(?<!\w)"
            parts.append(before + body + (r"\w*" if tail else r"(?!\w)"))
    return re.compile("|".join(parts))


def load_word_patterns(path: Path, keys: Iterable[str]) -> dict[str, re.Pattern[str]]:
    """One `word_pattern` per list `keys` names in the YAML file `path` (language_data/*.yml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: word_pattern([str(w) for w in data[key]]) for key in keys}


@lru_cache(maxsize=1)
def _load(path: Path = DATA) -> tuple[re.Pattern[str], tuple[Concept, ...]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    concepts = tuple(
        Concept(
            str(c["category"]),
            c.get("name_has"),
            bool(c.get("hotline_word", True)),
            tuple(word_pattern(words) for words in c["all"]),
        )
        for c in data["concepts"]
    )
    return word_pattern(data["hotline"]), concepts


def asked(text: str) -> list[tuple[str, str | None]]:
    """(category, English name word) of each hotline concept the message means, in the file's order."""
    hotline, concepts = _load()
    folded = fold(text or "")
    said_hotline = bool(hotline.search(folded))
    return [
        (c.category, c.name_has)
        for c in concepts
        if (said_hotline or not c.hotline_word) and all(p.search(folded) for p in c.lists)
    ]


def says_hotline(text: str | None) -> bool:
    """The message says a word for "hotline" (the file's `hotline` list)."""
    hotline, _ = _load()
    return bool(hotline.search(fold(text or "")))


def languages_named(text: str | None) -> set[str]:
    """The languages a message names ("по-русски", "en français", "باللغة العربية": the gazetteer's
    `language` forms), as codes."""
    from bot.nlu import gazetteer

    return {str(m.value) for m in gazetteer.find_entities(text or "", {"language"})}


def hotlines_speaking(text: str | None, url: str | None = None) -> list[dict[str, Any]]:
    """A hotline asked by the language it answers in ("is there a hotline where they answer in Russian?",
    "y a-t-il une ligne où l'on parle français ?"): the knowledge base's hotlines whose `languages` hold a
    language the message names, when it says a word for "hotline". None named or no word: none."""
    from bot.knowledge.kinds import hotlines

    if not says_hotline(text):
        return []
    wanted = languages_named(text)
    if not wanted:
        return []
    return [dict(r) for r in hotlines.hotlines([], url) if wanted & set(r.get("languages") or [])]


def hotlines_asked(text: str, url: str | None = None) -> list[dict[str, Any]]:
    """The knowledge base's hotlines the message means by what they are (none: an empty list)."""
    from bot.knowledge.kinds import hotlines

    found: list[dict[str, Any]] = []
    for category, name_has in asked(text):
        for rec in hotlines.hotlines([category], url):
            name = str((rec.get("name") or {}).get("en") or "").lower()
            if (name_has is None or name_has in name) and rec not in found:
                found.append(dict(rec))
    return found
