"""👍 / 👎 after knowledge answers: which answers ask, what a rating gets back, typed ratings understood."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from ruamel.yaml import YAML
from test_actions import ent, tracker  # the action tests' helpers

from actions import actions as acts
from bot.dialogue import answers, feedback, i18n
from bot.nlu import gazetteer

LANGS = i18n.available()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test here reads the session knowledge base."""


def run(action: Any, trk: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher.messages


def rating_payloads(message: dict[str, Any]) -> list[str]:
    """The 👍 / 👎 payloads among a message's buttons (a short answer also offers More details)."""
    return [b["payload"] for b in message.get("buttons") or [] if b["payload"] != "/more_details"]


EXPECTED_PAYLOADS = ['/rate_answer{"rating":"up"}', '/rate_answer{"rating":"down"}']


@pytest.mark.parametrize(
    ("action", "trk"),
    [
        (
            acts.ActionAnswerProcedure(),
            tracker("work", "residence_permit", [ent("permit_type", "work")]),
        ),
        (acts.ActionAnswerProcedure(), tracker("lost passport", "lost_passport")),
        (
            acts.ActionFindServicePoint(),
            tracker("visa office", "find_service_point", [ent("service", "visa_extension")]),
        ),
        (
            acts.ActionOpeningHours(),
            tracker(
                "open saturday?",
                "opening_hours",
                [ent("weekday", "saturday")],
                last_points=["psb_exit_entry_main_hall"],
            ),
        ),
        (
            acts.ActionFindSchool(),
            tracker("IB school", "international_school", [ent("curriculum", "ib")]),
        ),
        (
            acts.ActionFindHospital(),
            tracker("english hospital", "healthcare", [ent("medical_need", "english_speaking")]),
        ),
        (acts.ActionHumanHandoff(), tracker("a person please", "human_handoff", last_topic="visa")),
    ],
)
def test_knowledge_answers_carry_the_rating_on_their_last_reply(action: Any, trk: Tracker) -> None:
    """No separate "Was this answer helpful?" message: the answer's last reply has the 👍 / 👎
    buttons (text channels) and, in its card, the same buttons for the widget (issue 15)."""
    messages = run(action, trk)
    last = messages[-1]
    assert last["text"] != i18n.t("rate_ask", "en")
    assert not any(m["text"] == i18n.t("rate_ask", "en") for m in messages)
    assert rating_payloads(last) == EXPECTED_PAYLOADS
    card = last["custom"]
    assert card["type"] and card["version"] == 1
    assert [b["payload"] for b in card["rate"]] == EXPECTED_PAYLOADS
    # One question at a time: nothing above it asks anything; the offer of the full page (issue 13)
    # goes with the rated reply.
    assert all(not m.get("buttons") for m in messages[:-1])
    assert all(not (m.get("custom") or {}).get("rate") for m in messages[:-1])


@pytest.mark.parametrize("lang", LANGS)
def test_rating_buttons_in_every_language(lang: str) -> None:
    messages = run(
        acts.ActionAnswerProcedure(), tracker("lost passport", "lost_passport", language=lang)
    )
    (rated,) = [m for m in messages if rating_payloads(m) == EXPECTED_PAYLOADS]
    rating = [b for b in rated["buttons"] if b["payload"] != "/more_details"]
    assert [b["title"] for b in rating] == [i18n.t("rate_up", lang), i18n.t("rate_down", lang)]
    assert rated["custom"]["rate"] == rating
    # Only the offer of the original texts (translated answers) may follow the rated reply.
    after = messages[messages.index(rated) + 1 :]
    # (with More details on it, the turn's last message: the widget keeps only its quick replies).
    assert all(
        b["payload"].startswith("/show_original") or b["payload"] == "/more_details"
        for m in after
        for b in m["buttons"]
    )


def test_no_rating_question_for_emergencies_questions_and_offers() -> None:
    emergency = run(acts.ActionEmergency(), tracker("ambulance!", "emergency"))
    asked = run(acts.ActionAnswerProcedure(), tracker("residence permit", "residence_permit"))
    which = run(acts.ActionOpeningHours(), tracker("is it open", "opening_hours"))
    offer = run(acts.ActionOfferTopics(), tracker("hmm", "nlu_fallback"))
    for messages in (emergency, asked, which, offer):
        assert not any(
            p.startswith("/rate_answer") for m in messages for p in rating_payloads(m)
        ), messages
    assert (
        len(asked) == 1 and len(asked[0]["buttons"]) == 4
    )  # the permit-type question stays the only one


def test_knowledge_base_down_is_not_rated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / "kb.db").mkdir()  # a folder where the database file should be: it cannot be opened
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    messages = run(acts.ActionFindServicePoint(), tracker("office", "find_service_point"))
    assert messages[0]["text"] == i18n.t("kb_unavailable", "en")
    assert not any(rating_payloads(m) for m in messages)


def answered_then_rated(
    rating: str | None, answer_action: str = "action_find_hospital", lang: str = "en"
) -> Tracker:
    entities = [ent("rating", rating)] if rating else []
    trk = tracker("/rate_answer", "rate_answer", entities, language=lang)
    trk.events = [
        {"event": "user", "parse_data": {"intent": {"name": "healthcare"}}},
        {"event": "action", "name": answer_action},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "parse_data": {"intent": {"name": "rate_answer"}}},
    ]
    return trk


def test_thumbs_up_is_thanked() -> None:
    (message,) = run(acts.ActionRateAnswer(), answered_then_rated("up"))
    assert message["text"] == i18n.t("rate_thanks", "en") and not message.get("buttons")


@pytest.mark.parametrize("lang", LANGS)
def test_thumbs_down_apologises_and_offers_a_person(lang: str) -> None:
    (message,) = run(acts.ActionRateAnswer(), answered_then_rated("down", lang=lang))
    assert message["text"] == i18n.t("rate_sorry", lang)
    assert [b["payload"] for b in message["buttons"]] == ["/human_handoff"]
    assert message["buttons"][0]["title"] == i18n.name("intents", "human_handoff", lang)


def test_thumbs_down_on_the_people_to_call_offers_no_person_again() -> None:
    (message,) = run(acts.ActionRateAnswer(), answered_then_rated("down", feedback.HANDOFF_ACTION))
    assert message["text"] == i18n.t("rate_sorry_handoff", "en") and not message.get("buttons")


def test_handoff_right_after_a_rating_does_not_ask_again() -> None:
    trk = tracker("/human_handoff", "human_handoff", last_topic="visa")
    trk.events = answered_then_rated("down").events + [
        {"event": "action", "name": "action_rate_answer"},
        {"event": "user", "parse_data": {"intent": {"name": "human_handoff"}}},
    ]
    messages = run(acts.ActionHumanHandoff(), trk)
    assert "12367" in messages[0]["text"]
    assert not any(rating_payloads(m) for m in messages)


def test_payloads_parse_as_the_rating_entity() -> None:
    for reply_payload, value in zip(EXPECTED_PAYLOADS, feedback.RATINGS, strict=True):
        intent, entities = reply_payload[1:].split("{", 1)
        assert intent == feedback.RATE_INTENT
        assert json.loads("{" + entities) == {feedback.RATING_ENTITY: value}
    assert answers.rating_question("en").buttons[0]["payload"] == EXPECTED_PAYLOADS[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("👍", "up"),
        ("👎🏻", "down"),
        ("that was helpful", "up"),
        ("not helpful at all", "down"),
        ("这个回答很有帮助", "up"),
        ("没有帮助", "down"),
        ("役に立ちました", "up"),
        ("役に立たなかった", "down"),
        ("도움이 됐어요", "up"),
        ("도움이 안 됐어요", "down"),
        ("очень полезно", "up"),
        ("не помогло", "down"),
        ("très utile", "up"),
        ("pas utile", "down"),
        ("réponse inutile", "down"),
        ("sehr hilfreich", "up"),
        ("nicht hilfreich", "down"),
        ("muy útil", "up"),
        ("no me ayudó", "down"),
        ("مفيد جدا", "up"),
        ("غير مفيد", "down"),
    ],
)
def test_typed_ratings_are_understood(text: str, value: str) -> None:
    found = [(m.entity, m.value) for m in gazetteer.find_entities(text, {"rating"})]
    assert found == [("rating", value)], found


def test_rating_entity_only_in_rating_messages() -> None:
    doc = YAML(typ="safe").load((ROOT / "config.yml").read_text(encoding="utf-8"))
    extractor = next(c for c in doc["pipeline"] if c["name"].endswith("GazetteerEntityExtractor"))
    assert extractor["entity_intents"]["rating"] == [feedback.RATE_INTENT]
