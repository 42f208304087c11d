"""Custom actions: read slots and entities, call `bot.dialogue.answers`, send the replies. Nothing else."""

from __future__ import annotations

import abc
import sys
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.core import vocab
from bot.dialogue import answers, asked, context, feedback, place_words
from bot.dialogue.language import conversation_language
from bot.faq import encoder as faq_encoder
from bot.knowledge import db
from bot.knowledge.kinds import service_points
from bot.nlu import facets as nlu_facets
from bot.runtime.offloop import off_loop

# The questions-and-answers encoder is loaded with the actions, not in the first user's turn.
faq_encoder.warm_up()
# In the action server (`rasa run actions`, which imports this module before it listens), the rules of
# what is asked (bot/nlu/facets.py) and what is built from the published knowledge (the questions-and-
# answers index, the names matcher: seconds) are built now, not in the first questions' turns, where
# under load they outlasted the Rasa server's ACTION_SERVER_TIMEOUT. Not when tests or tools import it.
if sys.argv[1:3] == ["run", "actions"]:
    nlu_facets.prepare()
    db.prepare_published()

# Which knowledge topic each intent asks about.
PROCEDURE_INTENTS = set(vocab.PROCEDURE_TOPICS)


def language_of(tracker: Tracker) -> str:
    lang = tracker.get_slot("language")
    return lang if lang in vocab.LANGUAGES else "en"


def latest_entity(tracker: Tracker, name: str) -> Any:
    """The entity's value in the latest message only (slots may hold an older one)."""
    return next(tracker.get_latest_entity_values(name), None)


def entity(message: dict[str, Any], name: str) -> Any:
    """The entity's value in `message` (parse data of one user message) only."""
    return next(
        (e.get("value") for e in message.get("entities") or [] if e.get("entity") == name), None
    )


def user_position(
    tracker: Tracker, message: dict[str, Any] | None = None
) -> tuple[float, float] | None:
    """The user's coordinates when the channel sent them as message metadata {"location": {lat, lon}}."""
    meta = (message if message is not None else tracker.latest_message).get("metadata") or {}
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
    # The text (and buttons) for every channel; the card (bot/dialogue/cards.py) as Rasa's custom
    # payload for the channels that render structure (widget, WeChat).
    for reply in answer.replies:
        card = reply.json_message()
        if card:
            dispatcher.utter_message(
                text=reply.text, buttons=reply.buttons or None, json_message=card
            )
        else:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    events: list[EventType] = []
    if answer.shown_points:
        events.append(SlotSet("last_points", answer.shown_points))
    if answer.topic:
        events.append(SlotSet("last_topic", answer.topic))
    if answer.faq_entry:
        events.append(SlotSet("faq_answered", answer.faq_entry))
    return events


def send_turn(dispatcher: CollectingDispatcher, turn: asked.Turn) -> list[EventType]:
    """The turn's answer, and the conversation's new context (after an entry's answer with no topic's
    context: that entry, for a follow-up on it)."""
    ctx = turn.context
    if ctx.empty and not ctx.faq and turn.answer.faq_entry:
        ctx = context.Context(faq=turn.answer.faq_entry)
    return [*send(dispatcher, turn.answer), SlotSet(context.SLOT, ctx.to_slot())]


def send_answer(
    dispatcher: CollectingDispatcher, answer: answers.Answer, ctx: context.Context
) -> list[EventType]:
    """`send`; after an entry's answer the context `ctx` also names the entry (a follow-up on it, when
    `ctx` holds no topic: bot/dialogue/asked.py `faq_follow_up`), others leave the context as it is."""
    if answer.faq_entry:
        return send_turn(dispatcher, asked.Turn(answer, replace(ctx, faq=answer.faq_entry)))
    return send(dispatcher, answer)


# The entities a message can narrow a question by (bot/dialogue/context.py FILTERS).
FILTER_ENTITIES = context.FILTERS


def question(
    tracker: Tracker, message: dict[str, Any], from_slots: tuple[str, ...] = ()
) -> asked.Question:
    """The message as asked.py reads it: intent, text, facets, ordinal, and the filters it gives
    (its entities, and the slots in `from_slots` the topic's own answer reads)."""
    ents = message.get("entities") or []
    facets = asked.facets_outside_names(message.get("text") or "", ents)
    filters = {name: tracker.get_slot(name) for name in from_slots}
    for name in FILTER_ENTITIES:
        value = entity(message, name)
        if value is not None:
            filters[name] = value
    # Of several districts, the one the question is asked about, not where the writer lives.
    district = place_words.asked_district(message.get("text"), ents)
    if district is not None:
        filters["district"] = district
    if entity(message, "district") is None:
        # "nearest exit-entry office to Liuliqiao": a landmark of knowledge/landmarks.yml gives the district.
        near_landmark = place_words.landmark_district(message.get("text"))
        if near_landmark is not None:
            filters["district"] = near_landmark
    services = [str(e["value"]) for e in ents if e.get("entity") == "service"]
    if len(services) > 1:
        filters["service"] = service_points.narrowest_service(services)
    # "¿y el hospital más cercano en Chaoyang?" read as find_service_point: the hospitals' topic.
    read = (message.get("intent") or {}).get("name")
    intent = place_words.place_intent(read, message.get("text"), entity(message, "service"))
    spoken = entity(message, "language")
    if intent != read:
        # Read as another topic, the NLU kept none of the new topic's own filters ("urgencias 24 horas"
        # read as opening hours: the emergency room); the place's words give them.
        for name, value in place_words.needs(message.get("text")).items():
            filters.setdefault(name, value)
    if intent == "healthcare" and spoken in vocab.LANGUAGES:
        # "a hospital where they speak Arabic": the language spoken there, not the reply's.
        filters["spoken"] = spoken
    if intent == "international_school" and entity(message, "curriculum") is None:
        # "une école où les cours sont en français": the language's own curriculum.
        taught_in = asked.curriculum_taught_in(message.get("text"))
        if taught_in is not None:
            filters["curriculum"] = taught_in
    ordinal = entity(message, "ordinal")
    return asked.Question(
        intent=intent,
        text=message.get("text") or "",
        facets=facets,
        ordinal=str(ordinal) if ordinal is not None else None,
        filters={k: str(v) for k, v in filters.items() if v is not None},
        near=user_position(tracker, message),
    )


def _age(tracker: Tracker, message: dict[str, Any]) -> int | None:
    value = entity(message, "age") or tracker.get_slot("age")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class OffLoopAction(Action, abc.ABC):
    """An action whose work (`work`) runs in a thread, never on the action server's event loop, so
    that a slow or locked knowledge base stalls no other user (abstract, so rasa_sdk does not
    register it as an action of its own)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # The NLU's vector of the user message spares the questions-and-answers matcher a second encoding;
        # the published knowledge's version is checked once per answer.
        with faq_encoder.given(tracker.latest_message), db.one_answer():
            return await off_loop(self.work, dispatcher, tracker, domain)

    @abc.abstractmethod
    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]: ...


class ActionSetLanguage(OffLoopAction):
    """Custom slot mapping of `language`: runs on every user message (via action_extract_slots). With its
    patches on, the Rasa server computes the same slot itself and does not call this action
    (bot/rasa_ext/speedups.py); both use `conversation_language`."""

    def name(self) -> str:
        return "action_set_language"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        current = tracker.get_slot("language")
        lang = conversation_language(current, tracker.latest_message)
        return [] if lang == current else [SlotSet("language", lang)]


class KnowledgeAction(OffLoopAction):
    """An answer from the knowledge base. `answer` reads the user message it answers (`message`, parse
    data plus metadata) rather than the latest one, so that show_original can render it again.
    Abstract, so that rasa_sdk does not register it as an action of its own.

    A topic action first lets asked.py answer what was asked (a facet, a record named, a follow-up
    on the topic in context); otherwise it sends the topic's own answer. Either way the conversation's
    context is replaced."""

    # The slots the topic's own answer reads as filters (kept in the context).
    FILTER_SLOTS: tuple[str, ...] = ("district",)
    # Whether asked.py may answer first (not for emergencies or the people to call).
    ASKED = True
    # Whether the topic's page is sent in short, with "More details" (not the opening hours asked).
    SUMMARY = True

    @abc.abstractmethod
    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer: ...

    def asked_turn(
        self, tracker: Tracker, message: dict[str, Any], lang: str
    ) -> tuple[asked.Question, asked.Turn | None]:
        """The message read as a question, and asked.py's answer to it (None: the topic's own)."""
        q = question(tracker, message, self.FILTER_SLOTS)
        ctx = context.load(tracker.get_slot(context.SLOT))
        turn = asked.answer_question(q, ctx, lang=lang) or (
            asked.summary_turn(q, lang=lang) if self.SUMMARY else None
        )
        return q, turn

    def shown_answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        """What `work` sends for `message` (the short answer when asked.py gives one), in `lang`."""
        if self.ASKED:
            _, turn = self.asked_turn(tracker, message, lang)
            if turn is not None:
                return turn.answer
        return self.answer(tracker, message, lang)

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message
        lang = language_of(tracker)
        if not self.ASKED:
            return send(dispatcher, self.answer(tracker, message, lang))
        q, turn = self.asked_turn(tracker, message, lang)
        if turn is not None:
            return send_turn(dispatcher, turn)
        answer = self.answer(tracker, message, lang)
        ctx = asked.context_of(q, answer)
        if answer.faq_entry and not (ctx.ids or ctx.procedures):
            # An entry answered instead of the topic, and nothing of the topic was shown: the entry is
            # what a follow-up is about.
            ctx = context.Context(faq=answer.faq_entry)
        return send_turn(dispatcher, asked.Turn(answer, ctx))


class ActionAnswerProcedure(KnowledgeAction):
    FILTER_SLOTS = ("district", "permit_type")

    def name(self) -> str:
        return "action_answer_procedure"

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        instead = answers.faq_instead(message.get("text"), lang=lang)
        if instead:
            return instead
        intent = (message.get("intent") or {}).get("name")
        topic = intent if intent in PROCEDURE_INTENTS else tracker.get_slot("last_topic")
        if topic not in PROCEDURE_INTENTS:
            topic = "residence_permit"
        return answers.procedure_answer(
            topic,
            tracker.get_slot("permit_type"),
            tracker.get_slot("district"),
            user_position(tracker, message),
            lang=lang,
        )


class ActionFindServicePoint(KnowledgeAction):
    FILTER_SLOTS = ("district", "service")

    def name(self) -> str:
        return "action_find_service_point"

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        instead = answers.faq_instead(message.get("text"), lang=lang)
        if instead:
            return instead
        kind_intent = place_words.place_intent(
            "find_service_point", message.get("text"), entity(message, "service")
        )
        if kind_intent == "healthcare":
            return ActionFindHospital().answer(tracker, message, lang)
        if kind_intent == "international_school":
            return ActionFindSchool().answer(tracker, message, lang)
        service = entity(message, "service") or tracker.get_slot("service")
        return answers.service_point_answer(
            service, tracker.get_slot("district"), user_position(tracker, message), lang=lang
        )


class ActionOpeningHours(KnowledgeAction):
    FILTER_SLOTS = ()
    SUMMARY = False

    def name(self) -> str:
        return "action_opening_hours"

    def asked_turn(
        self, tracker: Tracker, message: dict[str, Any], lang: str
    ) -> tuple[asked.Question, asked.Turn | None]:
        needs = place_words.needs(message.get("text"))
        ctx = context.load(tracker.get_slot(context.SLOT))
        if entity(message, "service") is not None or not needs or ctx.ids:
            return super().asked_turn(tracker, message, lang)
        # "¿Urgencias 24 horas cerca de Guomao?" with nothing shown yet: "24 horas" reads as opening
        # hours, but an emergency room is a hospital's; the hospitals with one, in short.
        q = question(tracker, message, self.FILTER_SLOTS)
        q = replace(q, intent="healthcare", filters={**needs, **q.filters})
        turn = asked.answer_question(q, ctx, lang=lang) or asked.summary_turn(q, lang=lang)
        return q, turn

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        service = entity(message, "service")
        if service is None and place_words.needs(message.get("text")):
            # "¿Urgencias 24 horas cerca de Guomao?": "24 horas" reads as opening hours, but an
            # emergency room is a hospital's; the hospitals with one, not the offices' hours.
            return ActionFindHospital().answer(tracker, message, lang)
        return answers.opening_hours_answer(
            service,
            entity(message, "district"),
            entity(message, "weekday"),
            tracker.get_slot("last_points"),
            lang=lang,
        )


class ActionFindSchool(KnowledgeAction):
    FILTER_SLOTS = ("district", "curriculum", "age")

    def name(self) -> str:
        return "action_find_school"

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        asked_of = {"curriculum": entity(message, "curriculum"), "age": entity(message, "age")}
        instead = answers.faq_instead(message.get("text"), lang=lang, filters=asked_of)
        if instead:
            return instead
        return answers.school_answer(
            tracker.get_slot("curriculum"),
            tracker.get_slot("district"),
            _age(tracker, message),
            lang=lang,
        )


class ActionFindHospital(KnowledgeAction):
    def name(self) -> str:
        return "action_find_hospital"

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        asked_of = {
            "spoken": entity(message, "language"),
            "medical_need": entity(message, "medical_need"),
        }
        instead = answers.faq_instead(message.get("text"), lang=lang, filters=asked_of)
        if instead:
            return instead
        return answers.hospital_answer(
            # Read as another topic, the message has no medical need entity: its words give it.
            entity(message, "medical_need")
            or place_words.needs(message.get("text")).get("medical_need"),
            tracker.get_slot("district"),
            user_position(tracker, message),
            lang=lang,
        )


class ActionEmergency(KnowledgeAction):
    ASKED = False

    def name(self) -> str:
        return "action_emergency"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # "<a school>'s phone number?" read as an emergency by the classifier alone (no acute-danger
        # rule matched, so no emergency_type): the fact asked of the place or hotline named.
        message = tracker.latest_message
        if entity(message, "emergency_type") is None:
            q = question(tracker, message)
            if q.facets and (asked.named_records(q.text) or asked.named_hotlines(q.text)):
                turn = asked.answer_named(q, lang=language_of(tracker))
                if turn is not None:
                    return send_turn(dispatcher, turn)
            # "what's their emergency number?" after a hospital was shown: that hospital's phones.
            ctx = context.load(tracker.get_slot(context.SLOT))
            if asked.asks_of_hospitals_shown(q, ctx):
                return send_turn(dispatcher, asked.follow_up(q, ctx, lang=language_of(tracker)))
        answer = self.answer(tracker, message, language_of(tracker))
        # The emergency departments named: "More details" sends their pages, "its address?" asks theirs.
        return send_turn(dispatcher, asked.Turn(answer, asked.context_of_records(answer)))

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        return answers.emergency_answer(
            # "urgences 24h/24 près de Wangfujing": a landmark's district when no district is named.
            entity(message, "district") or place_words.landmark_district(message.get("text")),
            user_position(tracker, message),
            lang=lang,
            emergency_type=entity(message, "emergency_type"),
            # "me robaron el pasaporte": the steps for a stolen passport after the numbers.
            said=message.get("text"),
        )


class ActionHumanHandoff(KnowledgeAction):
    ASKED = False

    def name(self) -> str:
        return "action_human_handoff"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # "phone number of <a place>?", "China Unicom's customer service number?" read as a wish for a
        # person: the fact asked.
        turn = asked.handoff_fact_turn(
            question(tracker, tracker.latest_message), lang=language_of(tracker)
        )
        if turn is not None:
            return send_turn(dispatcher, turn)
        return super().work(dispatcher, tracker, domain)

    def answer(self, tracker: Tracker, message: dict[str, Any], lang: str) -> answers.Answer:
        intents = user_intents(tracker)
        return answers.handoff_answer(
            tracker.get_slot("last_points"),
            tracker.get_slot("last_topic"),
            lang=lang,
            after_rating=len(intents) >= 2 and intents[-2] == feedback.RATE_INTENT,
        )


# The actions whose answers can be translated, by name (what show_original renders again).
KNOWLEDGE_ACTIONS: dict[str, type[KnowledgeAction]] = {
    cls().name(): cls
    for cls in (
        ActionAnswerProcedure,
        ActionFindServicePoint,
        ActionOpeningHours,
        ActionFindSchool,
        ActionFindHospital,
        ActionHumanHandoff,
        ActionEmergency,
    )
}


# The full page behind "More details" (asked.more_details), which Show original can also render again.
MORE_DETAILS_ACTION = "action_more_details"


def last_knowledge_turn(tracker: Tracker) -> tuple[str, dict[str, Any]] | None:
    """The last knowledge action (or More details) and the user message it answered (parse data plus
    metadata)."""
    action = None
    answering = {*KNOWLEDGE_ACTIONS, MORE_DETAILS_ACTION}
    for e in reversed(tracker.events):
        if action is None and e.get("event") == "action" and e.get("name") in answering:
            action = e["name"]
        elif action is not None and e.get("event") == "user":
            return action, {**(e.get("parse_data") or {}), "metadata": e.get("metadata") or {}}
    return None


class ActionFollowUp(OffLoopAction):
    """An elliptical message ("what about in Haidian?", "and on Saturday?", "its phone?", "the second
    one"), answered from the conversation's context; nothing to refer to: a short clarifying question."""

    def name(self) -> str:
        return "action_follow_up"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        q = question(tracker, tracker.latest_message)
        ctx = context.load(tracker.get_slot(context.SLOT))
        return send_turn(dispatcher, asked.follow_up(q, ctx, lang=language_of(tracker)))


class ActionMoreDetails(OffLoopAction):
    """The "More details" button: the full page of the records and topic in context."""

    def name(self) -> str:
        return MORE_DETAILS_ACTION

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = context.load(tracker.get_slot(context.SLOT))
        return send(dispatcher, asked.more_details(ctx, lang=language_of(tracker)))


class ActionShowOriginal(OffLoopAction):
    """The button under a translated answer: the same answer in English or Chinese (entity language),
    without changing the conversation's language and without setting slots."""

    def name(self) -> str:
        return "action_show_original"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        original = latest_entity(tracker, "language")
        turn = last_knowledge_turn(tracker)
        shown = None
        if turn and original in answers.ORIGINAL_LANGUAGES:
            action, message = turn
            if action == MORE_DETAILS_ACTION:
                # The full page that was sent: the context's, which More details does not change.
                ctx = context.load(tracker.get_slot(context.SLOT))
                shown = asked.more_details(ctx, lang=str(original))
            else:
                # The answer that was sent (the short one, with More details), not the topic's page.
                shown = KNOWLEDGE_ACTIONS[action]().shown_answer(tracker, message, original)
        send(dispatcher, answers.original_answer(shown, str(original), lang))
        return []


class ActionRateAnswer(OffLoopAction):
    """👍 / 👎 on the last knowledge answer: thank the user (the rating itself is the stored user event)."""

    def name(self) -> str:
        return "action_rate_answer"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = latest_entity(tracker, feedback.RATING_ENTITY)
        answer = answers.rating_reply(rating, last_rated_action(tracker), lang=language_of(tracker))
        return send(dispatcher, answer)


class ActionOfferTopics(OffLoopAction):
    """Low-confidence fallback: the two most likely topics as buttons plus 'something else'."""

    def name(self) -> str:
        return "action_offer_topics"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message
        lang = language_of(tracker)
        # A message asking something of a record it names, or of the topic in context, however
        # unsure the NLU is of its topic.
        ctx = context.load(tracker.get_slot(context.SLOT))
        guesses = [str(r.get("name")) for r in message.get("intent_ranking") or []]
        turn = asked.out_of_scope_turn(
            question(tracker, message), ctx, lang=lang, unsure=True, guesses=guesses
        )
        if turn is not None:
            return send_turn(dispatcher, turn)
        answer = answers.offer_topics(
            message.get("intent_ranking") or [],
            message.get("entities") or [],
            lang=lang,
            text=message.get("text"),
        )
        return send_answer(dispatcher, answer, ctx)


class ActionAnswerFaq(OffLoopAction):
    """Out of scope: a staff-written question and answer (knowledge/faq_*.yml) found by meaning, or the
    closest ones as buttons, or what the assistant can help with."""

    def name(self) -> str:
        return "action_answer_faq"

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        faq_id = latest_entity(tracker, answers.FAQ_ENTITY)
        if not faq_id:
            # "Is <school> still open?", "and how long will that take?": a record named, or a fact
            # of the topic in context, when no staff-written entry answers the message.
            ctx = context.load(tracker.get_slot(context.SLOT))
            turn = asked.out_of_scope_turn(
                question(tracker, tracker.latest_message), ctx, lang=lang
            )
            if turn is not None:
                return send_turn(dispatcher, turn)
        answer = answers.faq_answer(tracker.latest_message.get("text"), faq_id, lang=lang)
        return send_answer(dispatcher, answer, context.load(tracker.get_slot(context.SLOT)))
