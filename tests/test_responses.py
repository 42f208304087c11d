"""Every domain response exists in every language the assistant answers in, non-empty and fully filled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.dialogue import i18n

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))
LANGS = i18n.available()
SLOTS = set(DOMAIN["slots"])


def variation(variations: list[dict], lang: str) -> dict | None:
    for v in variations:
        if any(
            c.get("name") == "language" and c.get("value") == lang for c in v.get("condition") or []
        ):
            return v
    return None


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_response_in_every_language(name: str) -> None:
    variations = DOMAIN["responses"][name]
    defaults = [v for v in variations if not v.get("condition")]
    assert len(defaults) == 1, f"{name}: needs exactly one default (English) variation"
    assert variations[-1] is defaults[0], f"{name}: the default must come last"
    for lang in LANGS:
        v = defaults[0] if lang == "en" else variation(variations, lang)
        assert v is not None, f"{name}: no {lang} variation"
        assert (v.get("text") or "").strip(), f"{name}: empty {lang} text"
        for slot in re.findall(r"\{(\w+)\}", v["text"]):
            assert slot in SLOTS, (
                f"{name} ({lang}): {{{slot}}} is not a slot and would stay unfilled"
            )
        if defaults[0].get("buttons"):
            ours = [b["payload"] for b in v.get("buttons", [])]
            assert ours == [b["payload"] for b in defaults[0]["buttons"]], (
                f"{name} ({lang}): buttons differ"
            )


def test_language_changed_names_its_own_language() -> None:
    variations = DOMAIN["responses"]["utter_language_changed"]
    texts = {
        lang: (variation(variations, lang) or {}).get("text") for lang in LANGS if lang != "en"
    }
    assert len(set(texts.values())) == len(texts), "each language must confirm in its own words"
