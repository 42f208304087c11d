"""The reply model (bot/dialogue/cards.py): every knowledge record as a card in every language, the
card's JSON format (docs/cards.md) and its plain-text form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue import answers, cards, i18n, render
from bot.knowledge.kinds import hotlines as hotline_kind
from bot.knowledge.loader import read_knowledge
from bot.knowledge.queries import Place

KNOWLEDGE = read_knowledge()
LANGS = i18n.available()


def roundtrip(card: cards.Card) -> dict[str, Any]:
    data = card.to_json()
    assert data["version"] == cards.VERSION and data["type"] == card.TYPE
    return json.loads(json.dumps(data, ensure_ascii=False))


@pytest.mark.parametrize("lang", LANGS)
def test_service_point_cards_keep_the_driver_address_phones_and_provenance(lang: str) -> None:
    for rec in KNOWLEDGE.records["service_points"]:
        card = cards.service_point_card(Place(rec), lang)
        data = roundtrip(card)
        address = rec.get("address")
        if address:
            translated = "address.zh" in (rec.get("translated") or [])
            # Our own translation of an address is never offered to the driver (issue 16).
            assert (data["driver_address"] is None) == translated, rec["id"]
            shown = data["address_zh_note"] if translated else data["driver_address"]
            assert shown["value"] == address["zh"]
            assert shown["label"] and "{" not in shown["label"]
        assert [p["number"] for p in data["phones"]] == [p["number"] for p in rec["phones"]]
        assert all(p["tel"] and p["tel"].startswith("tel:") for p in data["phones"])
        # Source and uncertainty are fields of their own; the ⚠ never hides among the details.
        assert bool(data["uncertain"]) == bool(rec.get("uncertain")), rec["id"]
        assert all("⚠" in line for line in data["uncertain"])
        assert render.source_date_in_words(rec["source_date"], lang) in data["source_notes"][0]
        assert data["open_state"] in ("open", "closed", "unknown")
        text = card.to_text(lang)
        assert render.source_date_in_words(rec["source_date"], lang) in text and (
            not address or address["zh"] in text
        )
        assert "{" not in text, rec["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_procedure_cards_have_title_summary_sections_and_links(lang: str) -> None:
    for rec in KNOWLEDGE.records["procedures"]:
        data = roundtrip(cards.procedure_card(rec, lang))
        assert data["title"] == i18n.local(rec["title"], lang)
        assert data["lead"] == i18n.local(rec["summary"], lang)
        titles = [s["title"] for s in data["sections"]]
        for key in ("documents", "steps", "fees"):
            assert (i18n.t(key, lang) in titles) == bool(rec.get(key)), (rec["id"], key)
        documents = next(
            (s for s in data["sections"] if s["title"] == i18n.t("documents", lang)), None
        )
        if documents:
            assert documents["numbered"] and len(documents["items"]) == len(rec["documents"])
        assert [x["url"] for x in data["links"]] == [x["url"] for x in rec.get("links") or []]


def test_sources_named_without_a_scheme_become_https_links() -> None:
    found = cards.sources(
        {"source": ["english.beijing.gov.cn/a/b.html [OFF]", "research file (site only)"]}
    )
    assert found[0] == cards.Source(
        "english.beijing.gov.cn/a/b.html (official)", "https://english.beijing.gov.cn/a/b.html"
    )


def test_each_source_is_written_as_in_the_source_line() -> None:
    """The widget links a source where its text occurs in the source line: both say the tag in words."""
    rec = {"source": ["english.beijing.gov.cn/a/b.html [OFF]"], "source_date": "2025-02-12"}
    for lang in ("en", "zh", "ar"):
        fields = cards.provenance_fields(rec, lang, "service_points")
        assert fields["source"][0].text in fields["source_notes"][0]


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("120", "tel:120"),
        ("010-8402 0101", "tel:01084020101"),
        ("+86 10 8402 0101", "tel:+861084020101"),
        ("+86-10-12367", "tel:+861012367"),
        ("69156699-2", "tel:69156699"),  # the extension is dialled after the call is answered
        ("12", None),
    ],
)
def test_phone_numbers_as_tel_uris(number: str, uri: str | None) -> None:
    assert cards.tel(number) == uri


def test_emergency_card_numbers_first_in_the_order_given_background_in_details() -> None:
    records = KNOWLEDGE.records["hotlines"]
    by_category = {c: [r for r in records if r["category"] == c] for c in ("ambulance", "police")}
    ordered = by_category["ambulance"] + by_category["police"]
    card = cards.emergency_card("🚨 intro", ordered, "en", "interpreting")
    data = roundtrip(card)
    assert data["numbers"][0] == {
        "number": "120",
        "tel": "tel:120",
        "name": i18n.local(by_category["ambulance"][0]["name"], "en"),
    }
    assert [n["number"] for n in data["numbers"]] == [r["number"] for r in ordered]
    # "About 4,000 calls a day" and the like are background: in the details, not between numbers.
    assert data["details"][0] == "interpreting"
    assert all(n["number"] in d for n, d in zip(data["numbers"], data["details"][1:], strict=True))
    assert card.to_text("en").splitlines()[1].startswith("☎ 120 — ")


@pytest.mark.parametrize("lang", ["es", "ru", "ar"])
def test_emergency_card_names_each_number_as_the_text_does(lang: str) -> None:
    """The widget shows the card: its numbers are named in the reader's language as in the text ("☎ 120
    — Número nacional de ambulancias"), not by the English name where the name has no translation."""
    records = [r for r in KNOWLEDGE.records["hotlines"] if r["category"] == "ambulance"]
    data = roundtrip(cards.emergency_card("🚨 intro", records, lang, "interpreting"))
    for rec, shown in zip(records, data["numbers"], strict=True):
        assert f"☎ {rec['number']} — {shown['name']}" == hotline_kind.number_brief(rec, lang)
        if lang not in rec["name"] and i18n.local(rec["description"], lang) != i18n.local(
            rec["description"], "en"
        ):
            assert shown["name"] != i18n.local(rec["name"], "en"), rec["number"]


@pytest.mark.parametrize("lang", LANGS)
def test_hospital_cards(lang: str) -> None:
    for rec in KNOWLEDGE.records["hospitals"]:
        data = roundtrip(cards.hospital_card(Place(rec), lang))
        zh = [loc["address"]["zh"] for loc in rec["locations"] if loc.get("address")]
        shown = data["driver_address"] or data["address_zh_note"]
        if zh:
            assert shown and shown["value"] in zh, rec["id"]
        assert render.source_date_in_words(rec["source_date"], lang) in data["source_notes"][0]


def test_rated_answer_carries_the_rating_on_its_last_reply_and_card() -> None:
    card = cards.text_card("The answer.").to_json()
    answer = answers.rated(
        answers.Answer([answers.Reply("Intro"), answers.Reply("The answer.", card=card)]), "en"
    )
    assert len(answer.replies) == 2
    last = answer.replies[-1]
    assert last.rate and last.buttons == answers.rating_buttons("en")
    message = last.json_message()
    assert message is not None and message["rate"] == answers.rating_buttons("en")
    assert card["rate"] == []  # the card itself is not changed
    assert answer.replies[0].json_message() is None
    # A text-only reply gets a text card to carry the rating to the widget.
    plain = answers.rated(answers.Answer([answers.Reply("Only text")]), "en").replies[-1]
    assert plain.json_message() == {**cards.text_card("Only text").to_json(), "rate": plain.buttons}


def test_original_answer_drops_the_rating() -> None:
    answer = answers.rated(answers.Answer([answers.Reply("Body")], translation="machine"), "ja")
    assert [r.rate for r in answer.replies] == [True, False]  # then the offer of the originals
    shown = answers.original_answer(answer, "en", "ja")
    assert [r.text for r in shown.replies][1:] == ["Body"]
    assert not any(r.rate or r.buttons for r in shown.replies)


@pytest.mark.parametrize("lang", LANGS)
def test_school_cards_show_curricula_and_ages(lang: str) -> None:
    for rec in KNOWLEDGE.records["schools"]:
        data = roundtrip(cards.school_card(Place(rec), lang))
        labels = [f["label"] for f in data["facts"]]
        assert cards.label("curricula", lang) in labels, rec["id"]
        assert render.source_date_in_words(rec["source_date"], lang) in data["source_notes"][0]
        assert "{" not in json.dumps(data, ensure_ascii=False).replace('{"', ""), rec["id"]


def test_contacts_card_lists_the_hotlines_then_the_office() -> None:
    hotlines = [r for r in KNOWLEDGE.records["hotlines"] if r["number"] in ("12367", "12345")]
    hall = next(r for r in KNOWLEDGE.records["service_points"] if r.get("phones"))
    data = roundtrip(
        cards.contacts_card("Call:", hotlines, (hall["name"]["en"], hall["phones"]), "en")
    )
    assert data["type"] == "contacts" and data["lead"] == "Call:"
    numbers = [n["number"] for n in data["numbers"]]
    assert numbers == [r["number"] for r in hotlines] + [p["number"] for p in hall["phones"]]
    assert all(n["tel"] for n in data["numbers"])
    assert hotlines[0]["source_date"] in data["source_notes"][0]


@pytest.mark.parametrize("lang", LANGS)
def test_emergency_without_the_knowledge_base_still_gives_a_card_in_order(lang: str) -> None:
    template = str(i18n.text("emergency_fallback", lang))
    medical = cards.fallback_emergency_card(template, answers.EMERGENCY_ORDER["medical"])
    police = cards.fallback_emergency_card(template, answers.EMERGENCY_ORDER["police"])
    assert [n.number for n in medical.numbers][:3] == ["120", "110", "119"]
    assert police.numbers[0].number == "110" and police.numbers[0].tel == "tel:110"
    assert all(n.name and "{" not in n.name for n in medical.numbers)
    assert {n.number for n in medical.numbers} >= {"120", "110", "119", "122", "999"}


def test_emergency_answer_with_the_knowledge_base_down_starts_with_120(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "kb.db").mkdir()  # a folder where the database file should be: it cannot be opened
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    (reply,) = answers.emergency_answer(None, lang="en", emergency_type="medical").replies
    assert reply.card and reply.card["numbers"][0]["tel"] == "tel:120"
    assert reply.text == answers.emergency_fallback("en", answers.EMERGENCY_ORDER["medical"])
