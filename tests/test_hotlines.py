"""The hotline numbers the assistant gives by itself (bot/core/hotlines.py) are written once, agree
with the knowledge base, and reach every language through placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core import hotlines, languages
from bot.dialogue import i18n
from bot.knowledge.loader import read_knowledge

ROOT = Path(__file__).resolve().parent.parent


def test_every_number_is_a_hotline_of_the_knowledge_base() -> None:
    knowledge = read_knowledge(ROOT / "knowledge")
    listed = {rec["number"] for rec in knowledge.records["hotlines"]}
    assert set(hotlines.NUMBERS.values()) <= listed, set(hotlines.NUMBERS.values()) - listed


def test_locale_texts_name_numbers_by_placeholder_only() -> None:
    """No locale text writes a number of hotlines.py as digits; each language fills the same ones
    in."""
    digits = re.compile(r"(?<!\d)(" + "|".join(hotlines.NUMBERS.values()) + r")(?!\d)")
    for lang in languages.CODES:
        messages = i18n.catalog(lang)["messages"]
        for key, value in [
            *messages.items(),
            ("emergency_fallback", i18n.text("emergency_fallback", lang)),
        ]:
            if isinstance(value, str):
                assert not digits.search(value), f"{lang}: {key} writes a hotline number as digits"
        assert hotlines.AMBULANCE in i18n.t("kb_unavailable", lang)
        assert hotlines.IMMIGRATION in i18n.t("no_points_found", lang)
