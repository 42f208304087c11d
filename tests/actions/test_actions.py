"""Each custom action run with a real rasa_sdk Tracker and CollectingDispatcher on the real knowledge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as acts
from bot.dialogue import i18n


def tracker(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    confidence: float = 0.95,
    metadata: dict | None = None,
    **slots: Any,
) -> Tracker:
    entities = entities or []
    base = {
        "language": None,
        "district": None,
        "permit_type": None,
        "curriculum": None,
        "service": None,
        "age": None,
        "last_points": None,
        "last_topic": None,
    }
    # Slots filled from this message's entities, as action_extract_slots would.
    for e in entities:
        if e["entity"] in base:
            base[e["entity"]] = e["value"]
    base.update(slots)
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities,
        "metadata": metadata or {},
    }
    return Tracker("test-user", base, message, [], False, None, {}, "action_listen")


def ent(entity: str, value: str) -> dict[str, str]:
    return {"entity": entity, "value": value}


def run(action: Any, trk: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every action test reads the session knowledge base."""


def test_residence_permit_without_type_asks_with_buttons() -> None:
    messages, _ = run(
        acts.ActionAnswerProcedure(),
        tracker("how do I renew my residence permit", "residence_permit"),
    )
    assert len(messages) == 1
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) == 4
    assert json.loads("{" + payloads[0].split("{", 1)[1])["permit_type"] == "work"


def test_residence_permit_work_in_chaoyang() -> None:
    trk = tracker("work", "residence_permit", [ent("permit_type", "work")], district="chaoyang")
    messages, events = run(acts.ActionAnswerProcedure(), trk)
    out = texts(messages)
    # The page in short (issue 13): what the permit is, with its source, and "More details".
    assert "Foreigner's Work Permit" in out and "Source:" in out
    assert "/more_details" in [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert SlotSet("last_topic", "residence_permit") in events
    shown = next(e["value"] for e in events if e["name"] == "last_points")
    assert shown[0] == "chaoyang_exit_entry_hall"
    # "More details": the whole page, fees and where to go included.
    context = next(e["value"] for e in events if e["name"] == "context")
    details = texts(
        run(acts.ActionMoreDetails(), tracker("/more_details", "more_details", context=context))[0]
    )
    assert "CNY" in details  # fees
    assert "Jiuxianqiao" in details and "Source:" in details


def test_procedure_in_chinese() -> None:
    trk = tracker("丢了护照怎么办", "lost_passport", language="zh")
    out = texts(run(acts.ActionAnswerProcedure(), trk)[0])
    assert "25" in out and "来源" in out
    assert "安定门东街2号" in out


def test_uncertain_facts_say_confirm_by_phone() -> None:
    trk = tracker(
        "where is the exit entry office in dongcheng",
        "find_service_point",
        [ent("district", "dongcheng"), ent("service", "residence_permit")],
    )
    out = texts(run(acts.ActionFindServicePoint(), trk)[0])
    assert "⚠ Not confirmed" in out and "confirm by phone" in out


def test_find_service_point_by_user_location() -> None:
    trk = tracker(
        "nearest office for visa extension",
        "find_service_point",
        [ent("service", "visa_extension")],
        metadata={"location": {"lat": 40.13, "lon": 116.65}},
    )
    messages, events = run(acts.ActionFindServicePoint(), trk)
    assert "nearest to you" in messages[0]["text"]
    assert "km away" in texts(messages)


def test_opening_hours_of_last_shown_point() -> None:
    trk = tracker(
        "is it open on saturday",
        "opening_hours",
        [ent("weekday", "saturday")],
        last_points=["psb_exit_entry_main_hall"],
    )
    out = texts(run(acts.ActionOpeningHours(), trk)[0])
    assert "Saturday" in out and "09:00–17:00" in out


def test_opening_hours_without_a_place_asks_which() -> None:
    out = texts(run(acts.ActionOpeningHours(), tracker("is it open", "opening_hours"))[0])
    assert "Which office" in out


def test_schools_by_curriculum_district_age() -> None:
    trk = tracker(
        "IB school in shunyi for my 7 year old",
        "international_school",
        [ent("curriculum", "ib"), ent("district", "shunyi"), ent("age", "7")],
    )
    out = texts(run(acts.ActionFindSchool(), trk)[0])
    assert "IB" in out and "Shunyi" in out
    assert "Saint Paul" not in out


def test_hospitals_english_speaking() -> None:
    trk = tracker(
        "english speaking hospital", "healthcare", [ent("medical_need", "english_speaking")]
    )
    out = texts(run(acts.ActionFindHospital(), trk)[0])
    assert "Languages:" in out and "Source:" in out


def test_emergency_numbers_first() -> None:
    messages, _ = run(acts.ActionEmergency(), tracker("ambulance now!", "emergency"))
    assert (
        "120" in messages[0]["text"]
        and "110" in messages[0]["text"]
        and "119" in messages[0]["text"]
    )


def test_emergency_numbers_even_without_database(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # A database that cannot be opened: a directory where the SQLite file should be.
    (tmp_path / "kb.db").mkdir()
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    messages, _ = run(acts.ActionEmergency(), tracker("help", "emergency"))
    assert "120" in messages[0]["text"]


def test_knowledge_base_down_gets_a_polite_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    (tmp_path / "kb.db").mkdir()
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    out = texts(run(acts.ActionFindServicePoint(), tracker("office", "find_service_point"))[0])
    assert out == i18n.t("kb_unavailable", "en")
    assert "12367" in out


def test_handoff_gives_immigration_hotline_and_office_phone() -> None:
    trk = tracker(
        "talk to a person",
        "human_handoff",
        last_topic="residence_permit",
        last_points=["psb_exit_entry_main_hall"],
    )
    out = texts(run(acts.ActionHumanHandoff(), trk)[0])
    assert out.index("12367") < out.index("12345")
    assert "8402 0101" in out


def test_handoff_after_a_work_permit_gives_the_city_hotline_first() -> None:
    """Work permits are the talent centre's, confirmed through 12345, not the immigration hotline."""
    trk = tracker("I want a real person", "human_handoff", last_topic="work_permit")
    out = texts(run(acts.ActionHumanHandoff(), trk)[0])
    assert out.index("12345") < out.index("12367")


def test_offer_topics_buttons() -> None:
    trk = tracker("permit thing chaoyang", "nlu_fallback", [ent("district", "chaoyang")])
    trk.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "work_permit", "confidence": 0.3},
        {"name": "residence_permit", "confidence": 0.25},
        {"name": "visa", "confidence": 0.1},
    ]
    (message,) = run(acts.ActionOfferTopics(), trk)[0]
    assert [b["payload"] for b in message["buttons"]] == [
        '/work_permit{"district":"chaoyang"}',
        '/residence_permit{"district":"chaoyang"}',
        "/out_of_scope",
    ]


def test_offer_topics_answers_a_recognised_facet_of_the_likeliest_topic() -> None:
    """Unsure of the topic, sure of the fact asked (the booking): the halls' booking, no buttons."""
    trk = tracker(
        "거류허가 예약은 어느 사이트에서 해요?", "nlu_fallback", [ent("facet", "booking")]
    )
    trk.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "residence_permit", "confidence": 0.52},
        {"name": "find_service_point", "confidence": 0.48},
    ]
    out = texts(run(acts.ActionOfferTopics(), trk)[0])
    assert "bjgaj.gov.cn" in out


@pytest.mark.parametrize(
    ("text", "intent", "entities", "current", "metadata", "expected"),
    [
        ("朝阳区哪里办居留", "residence_permit", [], None, None, "zh"),
        ("ok", "affirm", [], "zh", None, None),  # undecided: keep Chinese, no event
        ("hello", "greet", [], "zh", None, None),  # a chat word keeps the conversation's language
        ("where is the nearest hospital", "healthcare", [], "zh", None, "en"),
        ("说中文", "change_language", [ent("language", "zh")], "en", None, "zh"),
        (
            "i dont read chinese, english pls",
            "change_language",
            [ent("language", "zh"), ent("language", "en")],
            "zh",
            None,
            "en",
        ),
        ("ok", "affirm", [], None, {"language": "zh"}, "zh"),  # channel hint on the first message
        ("/greet", "greet", [], "zh", None, None),  # button payloads never change the language
        ("/greet", "greet", [], None, {"language": "ja"}, "ja"),  # a button first: the hint decides
        # kanji-only text: the Japanese channel hint keeps Japanese after an English turn (issue 12)
        ("警察", "emergency", [], "en", {"language": "ja"}, "ja"),
        ("救急車", "emergency", [], None, None, "ja"),  # a Japanese-only kanji word
        ("病院", "healthcare", [], "ja", {"language": "ja"}, None),  # stays Japanese, no event
    ],
)
def test_set_language(
    text: str,
    intent: str,
    entities: list,
    current: str | None,
    metadata: dict | None,
    expected: str | None,
) -> None:
    trk = tracker(text, intent, entities, metadata=metadata, language=current)
    _, events = run(acts.ActionSetLanguage(), trk)
    assert events == ([SlotSet("language", expected)] if expected else [])


def test_nothing_to_guess_from_asks_for_the_question() -> None:
    from bot.dialogue import answers

    answer = answers.offer_topics([], [], lang="fr")
    assert [r.text for r in answer.replies] == [i18n.t("not_understood", "fr")]
    assert not answer.replies[0].buttons
    rated = answers.offer_topics(
        [{"name": "rate_answer", "confidence": 0.3}, {"name": "visa", "confidence": 0.2}],
        [],
        lang="en",
    )
    assert [b["payload"] for b in rated.replies[0].buttons] == ["/visa", "/out_of_scope"]


def test_did_you_mean_offers_topics_never_chitchat() -> None:
    """Issue 12: "Are you a bot?" and "What can you do?" are no guesses for a real question."""
    from bot.dialogue import answers

    ranking = [
        {"name": "bot_challenge", "confidence": 0.31},
        {"name": "help", "confidence": 0.2},
        {"name": "human_handoff", "confidence": 0.12},
        {"name": "greet", "confidence": 0.1},
        {"name": "change_language", "confidence": 0.08},
        {"name": "healthcare", "confidence": 0.07},
        {"name": "thank", "confidence": 0.05},
        {"name": "opening_hours", "confidence": 0.04},
        {"name": "visa", "confidence": 0.03},
    ]
    answer = answers.offer_topics(ranking, [], lang="de")
    assert [b["payload"] for b in answer.replies[0].buttons] == [
        "/healthcare",
        "/opening_hours",
        "/out_of_scope",
    ]
    # Only chitchat in the ranking: nothing to offer, so the user is asked for the question.
    only_chat = answers.offer_topics(ranking[:5], [], lang="en")
    assert not only_chat.replies[0].buttons
    assert answers.TOPIC_INTENTS.isdisjoint(
        {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "human_handoff"}
        | {"change_language", "out_of_scope", "rate_answer", "nlu_fallback"}
    )


def test_show_original_renders_the_short_answer_that_was_sent_not_the_topics_page() -> None:
    asked_message = {
        "text": "сколько стоит рабочий вид на жительство?",
        "intent": {"name": "residence_permit", "confidence": 0.9},
        "entities": [ent("facet", "fee"), ent("permit_type", "work")],
    }
    trk = tracker(
        '/show_original{"language":"en"}',
        "show_original",
        [ent("language", "en")],
        language="ru",
        permit_type="work",
    )
    trk.events = [
        {"event": "user", "text": asked_message["text"], "parse_data": asked_message},
        {"event": "action", "name": "action_answer_procedure"},
    ]
    messages, events = run(acts.ActionShowOriginal(), trk)
    text = texts(messages)
    assert "Permit valid less than 1 year: CNY 400" in text  # the fee asked, in English
    assert "Documents:" not in text  # not the whole procedure page
    assert len(text) < 1000 and events == []


def test_show_original_after_more_details_renders_the_full_page_again() -> None:
    from bot.dialogue import context

    ctx = context.Context(intent="residence_permit", procedures=["residence_permit_work"])
    trk = tracker(
        '/show_original{"language":"en"}',
        "show_original",
        [ent("language", "en")],
        language="ru",
        **{context.SLOT: ctx.to_slot()},
    )
    trk.events = [
        {"event": "user", "text": "/more_details", "parse_data": {"text": "/more_details"}},
        {"event": "action", "name": "action_more_details"},
    ]
    messages, _ = run(acts.ActionShowOriginal(), trk)
    text = texts(messages)
    assert "Documents:" in text and "1. Valid passport" in text  # the whole page, in English


def test_a_classifier_emergency_asking_a_named_places_phone_gets_that_phone() -> None:
    # No acute-danger rule matched (no emergency_type): "<a school>'s phone" read as an emergency.
    trk = tracker("Dulwich College phone number please", "emergency", [ent("facet", "phone")])
    out = texts(run(acts.ActionEmergency(), trk)[0])
    assert "6454 9000" in out and "120" not in out
    # An emergency the safety rules found stays the emergency numbers, whatever is named.
    acute = tracker(
        "fire at Dulwich College, phone?",
        "emergency",
        [ent("facet", "phone"), ent("emergency_type", "fire")],
    )
    assert "119" in texts(run(acts.ActionEmergency(), acute)[0])


def test_a_fact_asked_of_a_customer_service_read_as_handoff_is_the_entry_that_answers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "차이나유니콤 고객센터 번호 몇 번이에요?" read as a wish for a person: an entry on a subject no
    topic answers that clearly answers it; without a fact asked, the people to call."""
    from bot.dialogue import answers

    seen: list[str | None] = []

    def outside(text: str | None, **_: Any) -> answers.Answer:
        seen.append(text)
        return answers.Answer(
            [answers.Reply("China Unicom 10010")], faq_entry="mobile_operator_hotlines"
        )

    monkeypatch.setattr(answers, "faq_outside_topics", outside)
    trk = tracker(
        "차이나유니콤 고객센터 번호 몇 번이에요", "human_handoff", [ent("facet", "phone")]
    )
    assert "10010" in texts(run(acts.ActionHumanHandoff(), trk)[0])
    out = texts(run(acts.ActionHumanHandoff(), tracker("a person please", "human_handoff"))[0])
    assert "10010" not in out and "12345" in out
    assert seen == ["차이나유니콤 고객센터 번호 몇 번이에요"]


def test_an_emergency_room_read_as_opening_hours_lists_the_hospitals_with_one() -> None:
    # "24 horas" reads as opening hours; the emergency room is a hospital's (and Guomao is in Chaoyang).
    district = [{"entity": "district", "value": "chaoyang", "start": 30, "end": 36}]
    out = texts(
        run(
            acts.ActionOpeningHours(),
            tracker(
                "¿Urgencias 24 horas cerca de Guomao?",
                "opening_hours",
                district,
                district="chaoyang",
            ),
        )[0]
    )
    assert "United Family" in out
    assert "Exit-Entry" not in out
    assert len(out) < 1200  # in short, with "More details" (not the hospitals' whole page)


def test_a_landmark_near_which_places_are_asked_gives_their_district() -> None:
    messages, _ = run(
        acts.ActionFindServicePoint(),
        tracker("nearest exit-entry office to Liuliqiao", "find_service_point"),
    )
    assert "Fengtai" in texts(messages)


def test_the_emergency_rooms_near_a_landmark_come_first() -> None:
    # Wangfujing is in Dongcheng (knowledge/landmarks.yml): PUMCH's emergency before United Family's.
    out = texts(
        run(
            acts.ActionEmergency(), tracker("Des urgences 24h/24 près de Wangfujing ?", "emergency")
        )[0]
    )
    assert out.index("Peking Union") < out.index("United Family")
