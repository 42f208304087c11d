"""Countries and nationalities named by a message ("can Germans come without a visa?", "je suis allemand",
"독일 사람", "ドイツ人") and by an entry's English answer ("... France, Germany, Italy ..."): the words are a
staff-edited list (bot/faq/countries.yml, read once; its header says how to edit it). The questions-and-answers
matcher prefers, among the entries close to a message naming a country, those whose answer names it
(bot/faq/match.py, `country_preferred`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).with_name("countries.yml")
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_KEYS = frozenset({"en", "words", "except"})
# Chinese and Japanese words match anywhere (no spaces between words).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Arabic clitics before a word: "و", "ف", "ب", "ل", "ك", the article "ال" and their combinations.
_AR_CLITICS = r"(?:[وف]?(?:[بلك]|لل)?(?:ال)?)"


class CountryListError(ValueError):
    """bot/faq/countries.yml is not as its header describes."""


@dataclass(frozen=True)
class Countries:
    """The compiled word list: `words` finds a country's words in folded text (group name = country),
    `excepted` the words that do not name a country, `answers` each country's English names."""

    words: re.Pattern[str] | None
    excepted: re.Pattern[str] | None
    answers: Mapping[str, re.Pattern[str]]
    groups: tuple[str, ...]  # the country of each group `w<i>` of `words`


def _fold(text: str) -> str:
    from bot.nlu.facets import fold  # the NLU's folding (heavy imports, only here)

    return fold(text)


def _word(word: str) -> str:
    """The regular expression of one folded list word (see the header of countries.yml)."""
    prefix = word.endswith("*")
    body = r"\s+".join(re.escape(w) for w in word.rstrip("*").split())
    if _CJK.search(word):
        return body
    if _HANGUL.search(word):
        return r"(?<!\w)" + body  # Korean particles follow without a space ("독일은", "영국인")
    before = r"(?<!\w)" + (_AR_CLITICS if _ARABIC.search(word) else "")
    return before + body + (r"\w*" if prefix else r"(?!\w)")


def _strings(value: Any, where: str, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise CountryListError(f"{where}: a non-empty list of words is needed")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or not item.strip("*").strip():
            raise CountryListError(f"{where}: {item!r} is not a word")
        if "*" in item.rstrip("*"):
            raise CountryListError(f"{where}: {item!r}: '*' only at the end of a word")
        out.append(item.strip())
    return out


def parse(data: Any) -> Countries:
    """The word list from the parsed YAML; CountryListError says what is wrong (file layout, keys, an
    empty or repeated word, a word given to two countries)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("countries"), Mapping):
        raise CountryListError("countries.yml: a mapping `countries:` is needed")
    owner: dict[str, str] = {}
    answers: dict[str, re.Pattern[str]] = {}
    alternatives: list[tuple[str, str, str]] = []  # (folded word, regex, country)
    excepted: list[str] = []
    for country, spec in data["countries"].items():
        where = f"countries.yml: {country}"
        if not isinstance(country, str) or not _ID.match(country):
            raise CountryListError(f"{where}: the key must be lower-case letters, digits and '_'")
        if not isinstance(spec, Mapping):
            raise CountryListError(f"{where}: `en:` and `words:` are needed")
        unknown = set(spec) - _KEYS
        if unknown:
            raise CountryListError(f"{where}: unknown key(s) {sorted(unknown)}")
        names = _strings(spec.get("en"), f"{where}: en")
        answers[country] = re.compile(
            "|".join(r"(?<!\w)" + re.escape(n) + r"(?!\w)" for n in names)
        )
        for word in _strings(spec.get("words"), f"{where}: words"):
            folded = _fold(word)
            key = folded.rstrip("*")
            if key in owner:
                other = owner[key]
                raise CountryListError(
                    f"{where}: the word {word!r} is "
                    + ("repeated" if other == country else f"also a word of {other}")
                )
            owner[key] = country
            alternatives.append((key, _word(folded), country))
        excepted += [
            _word(_fold(w)) for w in _strings(spec.get("except"), f"{where}: except", False)
        ]
    # Longest words first: "corée du nord" before "corée", "印度尼西亚" before "印度".
    alternatives.sort(key=lambda a: len(a[0]), reverse=True)
    pattern = "|".join(f"(?P<w{i}>{regex})" for i, (_, regex, _) in enumerate(alternatives))
    return Countries(
        words=re.compile(pattern) if pattern else None,
        excepted=re.compile("|".join(excepted)) if excepted else None,
        answers=answers,
        groups=tuple(country for _, _, country in alternatives),
    )


@cache
def load(path: Path = DATA) -> Countries:
    """The word list of `path` (checked, compiled; read once)."""
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")))


def named(text: str | None, countries: Countries | None = None) -> frozenset[str]:
    """The countries (their keys in countries.yml) the message names by a name or a nationality word."""
    found = countries or load()
    if not text or found.words is None:
        return frozenset()
    folded = _fold(text)
    if found.excepted is not None:
        folded = found.excepted.sub(" ", folded)
    return frozenset(found.groups[int(str(m.lastgroup)[1:])] for m in found.words.finditer(folded))


def in_answer(answer: str | None, countries: Countries | None = None) -> frozenset[str]:
    """The countries an English answer names (by their `en:` names, whole words with their case)."""
    found = countries or load()
    if not answer:
        return frozenset()
    return frozenset(c for c, pattern in found.answers.items() if pattern.search(answer))
