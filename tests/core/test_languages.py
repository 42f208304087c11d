"""The language registry (bot/core/languages.py) is the one list: everything else that depends on
the set of languages either reads it or is checked against it here, so a new language fails here
until it is complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.core import languages, vocab
from bot.dialogue import i18n, language

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_codes_are_unique_and_english_comes_first() -> None:
    assert languages.CODES[0] == languages.DEFAULT == "en"
    assert len(set(languages.CODES)) == len(languages.CODES) == len(languages.REGISTRY)
    assert all(len(code) == 2 and code.islower() for code in languages.CODES)


def test_the_domain_lists_no_languages() -> None:
    """domain.yml cannot read Python, so it names no language: the `language` slot takes any code (the
    actions set only the registry's), and the responses' texts are in the catalogue."""
    assert DOMAIN["slots"]["language"]["type"] == "text"
    assert "values" not in DOMAIN["slots"]["language"]
    assert all(variations == [] for variations in DOMAIN["responses"].values())


def test_every_language_has_a_locale_file() -> None:
    assert i18n.available() == sorted(languages.CODES)


def test_english_names_are_the_registrys() -> None:
    en = i18n.catalog("en")["languages"]
    assert {code: en[code] for code in languages.CODES} == {
        lang.code: lang.english for lang in languages.REGISTRY
    }


@pytest.mark.parametrize("code", [c for c in languages.CODES if c not in ("en", "zh")])
def test_training_data_and_gazetteer_forms_exist(code: str) -> None:
    """en and zh examples are in data/nlu/*.yml; every other language has its own folder."""
    assert sorted((ROOT / "data" / "nlu" / code).glob("*.yml")), f"data/nlu/{code}/ is empty"
    assert (ROOT / "bot" / "nlu" / "forms" / f"{code}.yml").is_file()


@pytest.mark.parametrize("code", languages.CODES)
def test_emergency_rules_exist(code: str) -> None:
    """The safety layer's rules are language data too (bot/nlu/safety_rules/README.md)."""
    assert (ROOT / "bot" / "nlu" / "safety_rules" / f"{code}.yml").is_file()


@pytest.mark.parametrize("code", languages.CODES)
def test_facet_rules_exist(code: str) -> None:
    """What is asked and follow-ups are recognised from per-language words (bot/nlu/facet_rules/README.md)."""
    assert (ROOT / "bot" / "nlu" / "facet_rules" / f"{code}.yml").is_file()


def test_no_code_lists_the_languages_itself() -> None:
    """A second list of the codes (as the benchmarks had) would silently leave a new language out."""
    listed = re.compile(r"""["']en["'],\s*["']zh["'],\s*["']ja["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "actions", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if listed.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"read bot.core.languages.CODES instead: {offenders}"


def test_every_script_is_recognised() -> None:
    """Each non-Latin script has characters in language detection, and decides its language."""
    known = {script for script, _ in language.SCRIPT_CHARACTERS}
    samples = {
        "Hans": "你好",
        "Jpan": "こんにちは",
        "Kore": "안녕하세요",
        "Cyrl": "привет",
        "Arab": "مرحبا",
    }
    for lang in languages.REGISTRY:
        if lang.script == "Latn":
            assert lang.code in language.LATIN_LANGUAGES
            continue
        assert lang.script in known, f"{lang.code}: add {lang.script} to SCRIPT_CHARACTERS"
        assert language.detect_language(samples[lang.script]) == lang.code


def test_right_to_left_is_the_registrys_everywhere() -> None:
    assert {"ar"} == languages.RTL
    assert i18n.RTL_LANGUAGES == languages.RTL
    assert vocab.LANGUAGES == languages.CODES


def test_widget_gets_the_registry_as_json() -> None:
    """What /webchat/i18n.json serves (the widget's direction and language list come from it)."""
    from bot.channels import widget

    payload = json.loads(json.dumps(widget.i18n_payload()))
    assert [lang["code"] for lang in payload["languages"]] == list(languages.CODES)
    assert {lang["code"] for lang in payload["languages"] if lang["direction"] == "rtl"} == {"ar"}
    assert set(payload["languages"][0]) == {"code", "english", "native", "direction", "script"}
    js = (ROOT / "bot" / "webchat" / "static" / "widget.js").read_text(encoding="utf-8")
    assert '"fa"' not in js and '"he"' not in js  # no second list of right-to-left languages
