"""The held-out NLU set stays held out: well-formed, every intent in every language, no training overlap."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import nlu_heldout  # noqa: E402

# Intents no classifier predicts, so a held-out set of messages cannot cover them: follow_up is set by
# the facet rules (bot/nlu/facets.py, measured on their own examples), more_details only by a button.
NOT_CLASSIFIED = {"follow_up", "more_details"}


def test_heldout_covers_every_intent_in_every_language() -> None:
    rows = nlu_heldout.load_heldout()
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = set(domain["intents"]) - NOT_CLASSIFIED
    by_lang: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for lang, intent, text in rows:
        assert lang in nlu_heldout.LANGS, lang
        assert intent in intents, intent
        assert text.strip(), (lang, intent)
        by_lang[lang].add(intent)
        count[lang] += 1
    assert set(by_lang) == set(nlu_heldout.LANGS)
    for lang in nlu_heldout.LANGS:
        assert count[lang] >= 40, (lang, count[lang])
        assert by_lang[lang] == intents, (lang, intents - by_lang[lang])


def test_heldout_does_not_overlap_training_data() -> None:
    found = nlu_heldout.overlaps(nlu_heldout.load_heldout(), nlu_heldout.training_texts())
    assert found == []


def test_overlap_check_catches_copies_and_near_copies() -> None:
    training = ['where to renew [RP]{"entity": "service", "value": "residence_permit"} in Chaoyang']
    rows = [
        ("en", "residence_permit", "Where to renew RP in chaoyang?"),
        ("en", "residence_permit", "where to renew RP in Chaoyan"),
        ("en", "visa", "can I extend my tourist visa"),
    ]
    found = nlu_heldout.overlaps(rows, training)
    assert [text for text, _, _ in found] == [rows[0][2], rows[1][2]]


# Intents a user does not type (rate_answer and show_original are buttons, follow_up comes from the facet rules).
NOT_TYPED = NOT_CLASSIFIED | {"rate_answer", "show_original"}


@pytest.mark.parametrize(
    "name",
    [
        "nlu_dev.tsv",
        "nlu_dev2.tsv",
        "nlu_dev3.tsv",
        "nlu_dev4.tsv",
        "nlu_dev5.tsv",
        "nlu_dev7.tsv",
        "nlu_dev8.tsv",
        "nlu_dev9.tsv",
    ],
)
def test_the_development_sets_are_well_formed_and_not_copied_into_training(name: str) -> None:
    """bench/data/nlu_dev*.tsv (the `#` header is skipped): known intents, ~15+ per language, no overlap."""
    rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / name)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    count: dict[str, int] = defaultdict(int)
    for lang, intent, text in rows:
        assert lang in nlu_heldout.LANGS, lang
        assert intent in intents, intent
        assert text.strip() and not text.startswith("#"), (lang, intent)
        count[lang] += 1
    assert all(count[lang] >= 15 for lang in nlu_heldout.LANGS), dict(count)
    assert nlu_heldout.overlaps(rows, nlu_heldout.training_texts()) == []


@pytest.mark.parametrize("name", ["nlu_dev2.tsv", "nlu_dev3.tsv", "nlu_dev4.tsv"])
def test_the_later_development_sets_cover_every_typed_intent_in_every_language(name: str) -> None:
    rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / name)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    by_lang: dict[str, set[str]] = defaultdict(set)
    for lang, intent, _ in rows:
        by_lang[lang].add(intent)
    for lang in nlu_heldout.LANGS:
        assert by_lang[lang] == intents - NOT_TYPED, (lang, (intents - NOT_TYPED) ^ by_lang[lang])


def test_the_fifth_development_set_covers_every_typed_intent_in_zh_ja_de_ar() -> None:
    """nlu_dev5.tsv: 40 messages and every typed intent in zh ja de ar; 16 (confusable pairs) in the others."""
    rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / "nlu_dev5.tsv")
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    by_lang: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for lang, intent, _ in rows:
        by_lang[lang].add(intent)
        count[lang] += 1
    for lang in ("zh", "ja", "de", "ar"):
        assert count[lang] >= 40, (lang, count[lang])
        assert by_lang[lang] == intents - NOT_TYPED, (lang, (intents - NOT_TYPED) ^ by_lang[lang])
    confusable = {"residence_permit", "visa", "accommodation_registration", "work_permit"}
    for lang in nlu_heldout.LANGS:
        assert confusable <= by_lang[lang], (lang, confusable - by_lang[lang])


def _every_intent_and_twenty_per_language(name: str) -> dict[tuple[str, str], int]:
    """A set's messages per (language, intent), after checking every intent of domain.yml is in it and every
    language has 20 messages."""
    rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / name)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    assert {intent for _, intent, _ in rows} == intents
    count: dict[tuple[str, str], int] = defaultdict(int)
    for lang, intent, _ in rows:
        count[lang, intent] += 1
    for lang in nlu_heldout.LANGS:
        assert sum(n for (lg, _), n in count.items() if lg == lang) == 20, lang
    return count


def test_the_eighth_development_set_covers_every_intent_and_the_confusable_topics_in_every_language() -> (
    None
):
    """nlu_dev8.tsv: every intent of domain.yml somewhere; in every language 20 messages and two each of the
    confusable topics (residence permit, accommodation registration, visa, service point)."""
    count = _every_intent_and_twenty_per_language("nlu_dev8.tsv")
    confusable = ("residence_permit", "accommodation_registration", "visa", "find_service_point")
    for lang in nlu_heldout.LANGS:
        assert all(count[lang, intent] == 2 for intent in confusable), lang


def test_the_ninth_development_set_weighs_the_known_confusions_in_every_language() -> None:
    """nlu_dev9.tsv: every intent of domain.yml somewhere; in every language 20 messages, three permanent
    residence, three residence permit, two or more each of work permit, visa, out_of_scope (SIM cards, bank
    accounts, payments), emergency (police and ambulance numbers) and service point, one lost passport."""
    count = _every_intent_and_twenty_per_language("nlu_dev9.tsv")
    at_least = {
        "permanent_residence": 3,
        "residence_permit": 3,
        "work_permit": 2,
        "visa": 2,
        "out_of_scope": 2,
        "emergency": 2,
        "find_service_point": 2,
        "lost_passport": 1,
    }
    for lang in nlu_heldout.LANGS:
        assert all(count[lang, intent] >= n for intent, n in at_least.items()), lang


def test_the_blind_development_set_is_well_formed_and_not_copied_into_training() -> None:
    """nlu_dev6.tsv (10 per language, a blind check of nlu12f's examples): known intents, no overlap."""
    rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / "nlu_dev6.tsv")
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    count: dict[str, int] = defaultdict(int)
    for lang, intent, text in rows:
        assert lang in nlu_heldout.LANGS and intent in intents - NOT_TYPED, (lang, intent)
        assert text.strip() and not text.startswith("#"), (lang, intent)
        count[lang] += 1
    assert all(count[lang] >= 10 for lang in nlu_heldout.LANGS), dict(count)
    assert nlu_heldout.overlaps(rows, nlu_heldout.training_texts()) == []
