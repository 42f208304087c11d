"""The languages the assistant speaks: the one list every module, the widget and the benchmarks
read.

Adding a language: a line here, its texts in `bot/locales/<code>.yml` (interface, channel and widget
texts, names, the utter_* responses; `machine_translated: true` until a native speaker reviewed it), and
its language data (`data/nlu/<code>/`, `bot/nlu/forms/<code>.yml`, `bot/nlu/safety_rules/<code>.yml`);
nothing else (tests/core/test_languages.py, tests/dialogue/test_locales.py and
tests/dialogue/test_responses.py say what is missing). README "How to extend".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# ISO 15924 codes of the scripts below. A new script also needs its characters in
# bot/dialogue/language.py (SCRIPT_CHARACTERS) so that messages in it are recognised.
Script = Literal["Latn", "Hans", "Jpan", "Kore", "Cyrl", "Arab"]


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as in the `language` slot, locale file names and data/nlu/<code>/
    english: str  # English name
    native: str  # its own name (the demo page's language menu)
    direction: Literal["ltr", "rtl"]
    script: Script  # the script its messages are written in (language detection)


# English first: the fallback for everything.
REGISTRY: tuple[Language, ...] = (
    Language("en", "English", "English", "ltr", "Latn"),
    Language("zh", "Chinese", "中文", "ltr", "Hans"),
    Language("ja", "Japanese", "日本語", "ltr", "Jpan"),
    Language("ko", "Korean", "한국어", "ltr", "Kore"),
    Language("ru", "Russian", "Русский", "ltr", "Cyrl"),
    Language("fr", "French", "Français", "ltr", "Latn"),
    Language("de", "German", "Deutsch", "ltr", "Latn"),
    Language("es", "Spanish", "Español", "ltr", "Latn"),
    Language("ar", "Arabic", "العربية", "rtl", "Arab"),
)

BY_CODE: dict[str, Language] = {lang.code: lang for lang in REGISTRY}
CODES: tuple[str, ...] = tuple(BY_CODE)
RTL: frozenset[str] = frozenset(lang.code for lang in REGISTRY if lang.direction == "rtl")
LATIN: tuple[str, ...] = tuple(lang.code for lang in REGISTRY if lang.script == "Latn")
DEFAULT = "en"


def get(code: str | None) -> Language:
    """The language `code`, English when it is not one of ours."""
    return BY_CODE.get(code or "", BY_CODE[DEFAULT])


def as_json() -> list[dict[str, Any]]:
    """The registry for the widget (served at /webchat/i18n.json)."""
    return [asdict(lang) for lang in REGISTRY]
