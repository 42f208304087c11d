"""The utter_* responses: domain.yml names them, the locale catalogue holds them in every language of
the registry (bot/core/languages.py), and bot/rasa_ext/nlg.py renders them in the conversation's
language, buttons included."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from ruamel.yaml import YAML

from bot.core import languages
from bot.dialogue import i18n
from bot.rasa_ext.nlg import LocaleNLG

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILE = ROOT / "domain.yml"
DOMAIN = YAML(typ="safe").load(DOMAIN_FILE.read_text(encoding="utf-8"))
NAMES = sorted(DOMAIN["responses"])
SLOTS = set(DOMAIN["slots"])
OTHERS = [code for code in languages.CODES if code != languages.DEFAULT]


def test_domain_only_names_the_responses() -> None:
    """No text, and so no language, in domain.yml: each response is an empty list there."""
    assert NAMES, "domain.yml has no responses"
    assert all(DOMAIN["responses"][name] == [] for name in NAMES), (
        "put the texts in bot/locales/<lang>.yml `responses:`, and `utter_x: []` in domain.yml"
    )
    assert "values" not in DOMAIN["slots"]["language"], "languages come from the registry"


def test_the_catalogue_holds_exactly_the_domains_responses() -> None:
    assert sorted(i18n.responses("en")) == NAMES


@pytest.mark.parametrize("lang", languages.CODES)
@pytest.mark.parametrize("name", NAMES)
def test_response_in_every_language(name: str, lang: str) -> None:
    ours = i18n.responses(lang).get(name)
    assert ours, f"bot/locales/{lang}.yml: no responses.{name}"
    english = i18n.responses("en")[name]
    assert len(ours) == len(english), f"{name} ({lang}): {len(english)} variations as in English"
    for variation, model in zip(ours, english, strict=True):
        assert set(variation) == set(model), f"{name} ({lang}): not the same fields as English"
        assert (variation.get("text") or "").strip(), f"{name}: empty {lang} text"
        for slot in re.findall(r"\{(\w+)\}", variation["text"]):
            assert slot in SLOTS, (
                f"{name} ({lang}): {{{slot}}} is not a slot and would stay unfilled"
            )
        payloads = [b["payload"] for b in variation.get("buttons", [])]
        assert payloads == [b["payload"] for b in model.get("buttons", [])], (
            f"{name} ({lang}): the buttons must send what the English ones send"
        )
        assert all(str(b.get("title", "")).strip() for b in variation.get("buttons", []))


def test_language_changed_names_its_own_language() -> None:
    texts = {lang: i18n.responses(lang)["utter_language_changed"][0]["text"] for lang in OTHERS}
    assert len(set(texts.values())) == len(texts), "each language must confirm in its own words"


# ── The generator, created as Rasa creates it ────────────────────────────────────────────────────────


def nlg(endpoints: Path = ROOT / "endpoints.yml") -> NaturalLanguageGenerator:
    """What Rasa builds from an endpoints file (`nlg:`) and the domain."""
    endpoint = read_endpoint_config(str(endpoints), "nlg")
    return NaturalLanguageGenerator.create(endpoint, Domain.load(str(DOMAIN_FILE)))


def say(name: str, lang: Any, channel: str = "rest") -> dict[str, Any] | None:
    tracker = DialogueStateTracker("t", slots=Domain.load(str(DOMAIN_FILE)).slots)
    if lang is not None:
        tracker.update(SlotSet("language", lang))
    return asyncio.run(nlg().generate(name, tracker, channel))


def test_both_endpoint_files_use_the_locale_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(nlg(), LocaleNLG)
    production = ROOT / "deploy" / "endpoints.yml"
    for variable in re.findall(r"\$\{(\w+)\}", production.read_text(encoding="utf-8")):
        monkeypatch.setenv(variable, "1")  # Rasa refuses to read it with a variable unset
    assert isinstance(nlg(production), LocaleNLG)


@pytest.mark.parametrize("lang", languages.CODES)
def test_renders_in_the_slots_language(lang: str) -> None:
    for name in NAMES:
        message = say(name, lang)
        assert message is not None
        expected = i18n.catalog(lang)["responses"][name]
        expected = expected if isinstance(expected, dict) else {"text": expected}
        assert message["text"] == expected["text"]
        assert message.get("buttons", []) == expected.get("buttons", [])


def test_help_keeps_its_buttons() -> None:
    message = say("utter_help", "zh")
    assert message is not None
    assert [b["title"] for b in message["buttons"]][0] == "居留许可"
    assert [b["payload"] for b in message["buttons"]] == [
        "/residence_permit",
        "/find_service_point",
        "/international_school",
        "/healthcare",
        "/emergency",
    ]


@pytest.mark.parametrize("slot", [None, "xx", "EN"])
def test_no_or_unknown_language_is_the_registrys_default(slot: str | None) -> None:
    message = say("utter_goodbye", slot)
    assert message is not None
    assert message["text"] == i18n.catalog(languages.DEFAULT)["responses"]["utter_goodbye"]


def test_a_response_missing_in_a_language_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = i18n.responses
    monkeypatch.setattr(
        i18n, "responses", lambda lang: {} if lang == "ja" else real(lang), raising=True
    )
    message = say("utter_thank", "ja")
    assert message is not None
    assert message["text"] == i18n.catalog("en")["responses"]["utter_thank"]


def test_a_response_only_in_the_domain_is_rendered_as_rasa_would() -> None:
    """A response added to domain.yml the old way (e.g. by a branch merged later) still answers."""
    domain = Domain.from_dict(
        {"responses": {"utter_only_domain": [{"text": "from the domain, {language}"}]}}
    )
    generator = LocaleNLG(domain=domain)
    tracker = DialogueStateTracker("t", slots=Domain.load(str(DOMAIN_FILE)).slots)
    tracker.update(SlotSet("language", "de"))
    message = asyncio.run(generator.generate("utter_only_domain", tracker, "rest"))
    assert message is not None and message["text"] == "from the domain, de"


def test_slots_are_filled_in_catalogue_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        i18n, "responses", lambda lang: {"utter_x": [{"text": f"{lang}: {{language}}"}]}
    )
    tracker = DialogueStateTracker("t", slots=Domain.load(str(DOMAIN_FILE)).slots)
    tracker.update(SlotSet("language", "fr"))
    message = asyncio.run(LocaleNLG().generate("utter_x", tracker, "rest"))
    assert message is not None and message["text"] == "fr: fr"
