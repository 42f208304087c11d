"""Interface texts by language, loaded from `bot/locales/<lang>.yml`, with English as the fallback.

Every user-facing text is here: the building blocks of answers rendered from knowledge records, the
names of codes (districts, services, curricula, ...), the channels' texts and the conversational replies
(greetings, help, ...: the `responses:` section, which bot/rasa_ext/nlg.py renders for domain.yml's
utter_* responses).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.core import hotlines, languages

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"


@cache
def catalog(lang: str) -> dict[str, Any]:
    """The whole catalogue of `lang` ({} when there is none)."""
    path = LOCALE_DIR / f"{lang}.yml"
    if not path.exists():
        return {}
    return YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}


def available() -> list[str]:
    """The languages with a catalogue. Read once per process, like the catalogues themselves (a new
    language needs a restart): the language of every message is checked against it."""
    return list(_available())


@cache
def _available() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LOCALE_DIR.glob("*.yml")))


def text(key: str, lang: str) -> Any:
    """A top-level entry of the catalogue (string or list), English when missing."""
    value = catalog(lang).get(key)
    return value if value else catalog("en")[key]


RTL_LANGUAGES = languages.RTL
_RTL_CHARS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
LRI, PDI = "\u2066", "\u2069"


def isolate(value: Any, lang: str) -> Any:
    """In a right-to-left message, wrap a left-to-right value (address, phone, time, Latin or Chinese
    name) in Unicode directional isolates so it keeps its own order inside the Arabic sentence."""
    if (
        lang in RTL_LANGUAGES
        and isinstance(value, str | int | float)
        and not _RTL_CHARS.search(str(value))
    ):
        return f"{LRI}{value}{PDI}"
    return value


def t(key: str, lang: str, **kwargs: Any) -> str:
    """The message `key` in `lang` (English when missing), formatted with `kwargs` and the hotline
    numbers ({immigration}, {ambulance}, ... from bot/core/hotlines.py)."""
    template = (catalog(lang).get("messages") or {}).get(key) or catalog("en")["messages"][key]
    return template.format(
        **{**hotlines.NUMBERS, **{k: isolate(v, lang) for k, v in kwargs.items()}}
    )


def entry(section: str, key: str, lang: str | None) -> str:
    """A text of a section (`wechat`, `widget`, ...) in `lang`, English when missing."""
    found = (catalog(lang or "en").get(section) or {}).get(key)
    return str(found) if found else str(catalog("en")[section][key])


def section(name: str, lang: str) -> dict[str, str]:
    """A whole section in `lang`, with English for what is missing."""
    return {**catalog("en").get(name, {}), **(catalog(lang).get(name) or {})}


def name(section: str, code: str, lang: str) -> str:
    """The name of `code` in a section (districts, services, curricula, ...), else English, else the code."""
    for candidate in (lang, "en"):
        found = (catalog(candidate).get(section) or {}).get(code)
        if found:
            return found
    return code.replace("_", " ")


def weekday(index: int, lang: str, short: bool = False) -> str:
    return text("weekdays_short" if short else "weekdays", lang)[index]


def responses(lang: str) -> dict[str, list[dict[str, Any]]]:
    """The utter_* responses of `lang` (its `responses:` section) as Rasa's response variations: an
    entry is a text, one variation (text, buttons, ...) or a list of variations. Only `lang`'s own:
    bot/rasa_ext/nlg.py falls back to English per response."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, value in (catalog(lang).get("responses") or {}).items():
        if isinstance(value, str):
            out[key] = [{"text": value}]
        elif isinstance(value, dict):
            out[key] = [dict(value)]
        elif isinstance(value, list):
            out[key] = [{"text": v} if isinstance(v, str) else dict(v) for v in value]
    return out


def local(value: dict[str, str] | None, lang: str) -> str:
    """A knowledge-base LocalText in `lang`, falling back to English."""
    if not value:
        return ""
    return value.get(lang) or value.get("en") or next(iter(value.values()))
