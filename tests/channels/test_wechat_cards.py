"""WeChat's text rendering of each card (bot/channels/wechat/render.py `card_text`): compact, one message
per answer where possible, numbered options, phone numbers as plain digits, links as <a href>."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.common import CardCollectingOutputChannel
from bot.channels.wechat.render import MAX_TEXT_BYTES, Option, card_text, render_messages
from bot.dialogue import answers, cards, i18n
from bot.knowledge.loader import read_knowledge
from bot.knowledge.queries import Place

KNOWLEDGE = read_knowledge()
HINT = "(Reply with a number.)"


def record(kind: str, rid: str) -> dict[str, Any]:
    return next(r for r in KNOWLEDGE.records[kind] if r["id"] == rid)


def test_place_card_driver_address_first_phones_as_digits_source_as_links() -> None:
    rec = record("service_points", "psb_exit_entry_main_hall")
    text = card_text(cards.service_point_card(Place(rec), "en").to_json())
    lines = text.splitlines()
    assert lines[0] == f"📍 {rec['name']['en']}"
    # The Chinese address for the driver comes right after the names, before the English one.
    driver = next(i for i, x in enumerate(lines) if rec["address"]["zh"] in x)
    english = next(i for i, x in enumerate(lines) if rec["address"]["en"] in x)
    assert driver < english
    phone_line = next(x for x in lines if x.startswith(i18n.t("phone", "en", text="").strip()))
    assert "+861084020101" in phone_line and "8402 0101" not in phone_line
    assert '<a href="https://english.beijing.gov.cn/' in text
    assert rec["source_date"] in text and "⚠" in text
    # Background the widget folds away (district, booking notes) is left out.
    assert i18n.t("district", "en", name="Dongcheng") not in text


def test_procedure_card_numbered_documents_and_links() -> None:
    rec = next(r for r in KNOWLEDGE.records["procedures"] if r.get("links") and r.get("documents"))
    text = card_text(cards.procedure_card(rec, "en").to_json())
    assert text.startswith(f"📋 {rec['title']['en']}\n{rec['summary']['en']}")
    assert f"1. {rec['documents'][0]['en']}" in text
    link = rec["links"][0]["url"]
    assert f'<a href="{link}">' in text


def test_emergency_card_numbers_first_one_line_each() -> None:
    records = [r for r in KNOWLEDGE.records["hotlines"] if r["category"] == "ambulance"]
    card = cards.emergency_card("🚨 Emergency numbers", records, "en", "Say English.")
    lines = card_text(card.to_json()).splitlines()
    assert lines[0] == "🚨 Emergency numbers"
    assert lines[1].startswith("☎ 120 ")
    assert len(lines) == 2 + len(records)  # numbers, then the interpreting line; no trivia
    assert lines[-1] == "Say English."


def test_faq_card_answer_then_source() -> None:
    entry = KNOWLEDGE.records["faq"][0]
    text = card_text(cards.faq_card(entry, "en").to_json())
    assert text.startswith(entry["answer"]["en"])
    assert entry["source_date"] in text


def test_rated_answer_is_one_message_with_the_rating_as_numbered_options() -> None:
    """A card reply is one collected message (text, buttons and card); WeChat shows the card, the
    rating question and the 👍 / 👎 options in that same block."""
    rec = record("service_points", "psb_exit_entry_main_hall")
    reply = answers.rated(
        answers.Answer(
            [
                answers.Reply(
                    "fallback text",
                    card=cards.service_point_card(Place(rec), "en").to_json(),
                )
            ]
        ),
        "en",
    ).replies[0]
    collector = CardCollectingOutputChannel()
    message = {"text": reply.text, "buttons": reply.buttons, "custom": reply.json_message()}
    asyncio.run(collector.send_response("u", dict(message)))
    assert len(collector.messages) == 1 and collector.messages[0]["custom"]["type"] == "place"
    turn = render_messages(collector.messages, HINT, i18n.t("rate_ask", "en"))
    assert len(turn.blocks) == 1 and "fallback text" not in turn.blocks[0]
    assert turn.blocks[0].endswith(
        "\n".join([i18n.t("rate_ask", "en"), "1. 👍 Yes", "2. 👎 No", HINT])
    )
    assert turn.options == [Option(b["title"], b["payload"]) for b in reply.buttons]
    # This hall's ⚠ alone is long: the answer needs two WeChat messages, cut between lines.
    parts = turn.parts()
    assert all(len(p.encode()) <= MAX_TEXT_BYTES for p in parts)
    assert len(parts) == 2 and parts[-1].endswith(HINT)


def test_messages_without_a_card_are_text_as_before() -> None:
    turn = render_messages([{"text": "Hello", "custom": {"not": "a card"}}], HINT)
    assert turn.blocks == ["Hello"]


def test_contacts_card_numbers_as_digits_then_the_source() -> None:
    hotlines = [r for r in KNOWLEDGE.records["hotlines"] if r["number"] in ("12367", "12345")]
    text = card_text(cards.contacts_card("Call:", hotlines, None, "en").to_json())
    lines = text.splitlines()
    assert lines[0] == "Call:"
    assert sorted(x.split()[1] for x in lines[1:3]) == ["12345", "12367"]
    assert hotlines[0]["source_date"] in text
