"""Custom actions: read slots and entities, call `bot.dialogue.answers`, send the replies. Nothing else."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.core import vocab
from bot.dialogue import answers, feedback
from bot.dialogue.language import answer_language, detect_language

# Which knowledge topic each intent asks about.
PROCEDURE_INTENTS = set(vocab.PROCEDURE_TOPICS)


def language_of(tracker: Tracker) -> str:
    lang = tracker.get_slot("language")
    return lang if lang in vocab.LANGUAGES else "en"


def latest_entity(tracker: Tracker, name: str) -> Any:
    """The entity's value in the latest message only (slots may hold an older one)."""
    return next(tracker.get_latest_entity_values(name), None)


def user_position(tracker: Tracker) -> tuple[float, float] | None:
    """The user's coordinates when the channel sent them as message metadata {"location": {lat, lon}}."""
    meta = tracker.latest_message.get("metadata") or {}
    loc = meta.get("location") if isinstance(meta, dict) else None
    if not isinstance(loc, dict):
        return None
    try:
        lat, lon = float(loc["lat"]), float(loc["lon"])
    except (TypeError, KeyError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


def user_intents(tracker: Tracker) -> list[str | None]:
    """Intents of the conversation's user messages, latest last."""
    return [
        ((e.get("parse_data") or {}).get("intent") or {}).get("name")
        for e in tracker.events
        if e.get("event") == "user"
    ]


def last_rated_action(tracker: Tracker) -> str | None:
    """The action of the last answer that asked for a rating (what a 👍 / 👎 is about)."""
    return next(
        (
            e.get("name")
            for e in reversed(tracker.events)
            if e.get("event") == "action" and e.get("name") in feedback.RATED_ACTIONS
        ),
        None,
    )


def send(dispatcher: CollectingDispatcher, answer: answers.Answer) -> list[EventType]:
    for reply in answer.replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    events: list[EventType] = []
    if answer.shown_points:
        events.append(SlotSet("last_points", answer.shown_points))
    if answer.topic:
        events.append(SlotSet("last_topic", answer.topic))
    return events


def _age(tracker: Tracker) -> int | None:
    value = latest_entity(tracker, "age") or tracker.get_slot("age")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class ActionSetLanguage(Action):
    """Custom slot mapping of `language`: runs on every user message (via action_extract_slots)."""

    def name(self) -> str:
        return "action_set_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        current = tracker.get_slot("language")
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        # "i don't read chinese, english pls": the last language named is the one wanted.
        named = list(tracker.get_latest_entity_values("language"))
        requested = named[-1] if named else None
        if intent == "change_language" and requested in vocab.LANGUAGES:
            lang = requested
        else:
            meta = message.get("metadata") or {}
            hint = meta.get("language") if isinstance(meta, dict) else None
            # A channel's language hint only decides the first message of a conversation.
            if current is None and hint in vocab.LANGUAGES:
                current = hint
            text = message.get("text") or ""
            lang = current if text.startswith("/") else detect_language(text, current)
        lang = answer_language(lang)
        return [] if lang == tracker.get_slot("language") else [SlotSet("language", lang)]


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = intent if intent in PROCEDURE_INTENTS else tracker.get_slot("last_topic")
        if topic not in PROCEDURE_INTENTS:
            topic = "residence_permit"
        answer = answers.procedure_answer(
            topic,
            tracker.get_slot("permit_type"),
            tracker.get_slot("district"),
            user_position(tracker),
            lang=language_of(tracker),
        )
        return send(dispatcher, answer)


class ActionFindServicePoint(Action):
    def name(self) -> str:
        return "action_find_service_point"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        service = latest_entity(tracker, "service") or tracker.get_slot("service")
        answer = answers.service_point_answer(
            service, tracker.get_slot("district"), user_position(tracker), lang=language_of(tracker)
        )
        return send(dispatcher, answer)


class ActionOpeningHours(Action):
    def name(self) -> str:
        return "action_opening_hours"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = answers.opening_hours_answer(
            latest_entity(tracker, "service"),
            latest_entity(tracker, "district"),
            latest_entity(tracker, "weekday"),
            tracker.get_slot("last_points"),
            lang=language_of(tracker),
        )
        return send(dispatcher, answer)


class ActionFindSchool(Action):
    def name(self) -> str:
        return "action_find_school"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = answers.school_answer(
            tracker.get_slot("curriculum"),
            tracker.get_slot("district"),
            _age(tracker),
            lang=language_of(tracker),
        )
        return send(dispatcher, answer)


class ActionFindHospital(Action):
    def name(self) -> str:
        return "action_find_hospital"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = answers.hospital_answer(
            latest_entity(tracker, "medical_need"),
            tracker.get_slot("district"),
            user_position(tracker),
            lang=language_of(tracker),
        )
        return send(dispatcher, answer)


class ActionEmergency(Action):
    def name(self) -> str:
        return "action_emergency"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = answers.emergency_answer(
            latest_entity(tracker, "district"), user_position(tracker), lang=language_of(tracker)
        )
        return send(dispatcher, answer)


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intents = user_intents(tracker)
        answer = answers.handoff_answer(
            tracker.get_slot("last_points"),
            tracker.get_slot("last_topic"),
            lang=language_of(tracker),
            after_rating=len(intents) >= 2 and intents[-2] == feedback.RATE_INTENT,
        )
        return send(dispatcher, answer)


class ActionRateAnswer(Action):
    """👍 / 👎 on the last knowledge answer: thank the user (the rating itself is the stored user event)."""

    def name(self) -> str:
        return "action_rate_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = latest_entity(tracker, feedback.RATING_ENTITY)
        answer = answers.rating_reply(rating, last_rated_action(tracker), lang=language_of(tracker))
        return send(dispatcher, answer)


class ActionOfferTopics(Action):
    """Low-confidence fallback: the two most likely topics as buttons plus 'something else'."""

    def name(self) -> str:
        return "action_offer_topics"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message
        answer = answers.offer_topics(
            message.get("intent_ranking") or [],
            message.get("entities") or [],
            lang=language_of(tracker),
        )
        return send(dispatcher, answer)
