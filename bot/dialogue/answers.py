"""Answers to each kind of question: query the knowledge base, apply the rules, render the replies.

Custom actions call these with the slots they read and send back the replies; everything here is plain
Python so it can be tested without Rasa.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec

from sqlalchemy.exc import SQLAlchemyError

from bot.core import hotlines as hotlines_mod
from bot.core import vocab
from bot.dialogue import cards, feedback, render, word_lists
from bot.dialogue import hours as hours_mod
from bot.dialogue.i18n import local, name, t, text
from bot.faq import countries as faq_countries
from bot.faq import index as faq_index
from bot.faq import match as faq_match
from bot.knowledge import facets as kfacets
from bot.knowledge import queries, translations
from bot.knowledge.kinds import faq, hospitals, hotlines, procedures, schools, service_points

logger = logging.getLogger(__name__)
P = ParamSpec("P")

# The order in which emergency numbers are given: life first.
EMERGENCY_CATEGORIES = ("ambulance", "police", "fire", "traffic", "emergency")
# The hotline categories in the order an emergency of each kind needs them (the safety layer's
# `emergency_type`, bot/nlu/safety.py): the number to call first comes first, one line each.
EMERGENCY_ORDER: dict[str, tuple[str, ...]] = {
    "medical": EMERGENCY_CATEGORIES,
    "general": EMERGENCY_CATEGORIES,
    "police": ("police", "ambulance", "fire", "traffic", "emergency"),
    "fire": ("fire", "ambulance", "police", "traffic", "emergency"),
    "traffic": ("traffic", "ambulance", "police", "fire", "emergency"),
}


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    # The reply's structure (bot/dialogue/cards.py, a JSON-able dict with a "type"), sent as Rasa's
    # custom payload next to `text`; None: text only.
    card: dict[str, Any] | None = None
    # The last knowledge reply of an answer: 👍 / 👎 go with it (its buttons; in the card for the widget).
    rate: bool = False

    def json_message(self) -> dict[str, Any] | None:
        """The custom payload to send with the text: the card, with the rating buttons when rated."""
        if not self.rate:
            return self.card
        card = dict(self.card or cards.text_card(self.text).to_json())
        card["rate"] = [
            b for b in self.buttons if b["payload"].startswith(f"/{feedback.RATE_INTENT}")
        ]
        return card


@dataclass
class Answer:
    """Replies plus what the conversation should remember (ids of places shown, the topic)."""

    replies: list[Reply]
    shown_points: list[str] = field(default_factory=list)
    topic: str | None = None
    # "machine" / "reviewed" when knowledge texts were shown translated (ja ko ru fr de es ar): the answer
    # then says so and offers the English and Chinese original (offer_original).
    translation: str | None = None
    faq_entry: str | None = None  # the questions-and-answers entry that answered (for reports)
    # Records shown other than service points, as (kind, ids): the emergency departments listed, whose
    # full pages "More details" sends and which "its phone?" refers to.
    shown_records: tuple[str, list[str]] | None = None


def _safe(fn: Callable[P, Answer]) -> Callable[P, Answer]:
    """Answer from one version of the knowledge base (even while staff publish another), and politely
    when it cannot be read, instead of failing the turn."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Answer:
        try:
            with queries.snapshot():
                return fn(*args, **kwargs)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            return Answer([Reply(t("kb_unavailable", str(kwargs.get("lang", "en"))))])

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def payload(intent: str, entities: dict[str, Any] | None = None) -> str:
    """A Rasa button payload that triggers `intent` with `entities` directly (no NLU)."""
    return (
        f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
        if entities
        else f"/{intent}"
    )


def rating_buttons(lang: str) -> list[dict[str, str]]:
    """👍 / 👎; a click is stored as intent rate_answer + entity rating."""
    return [
        {
            "title": t(f"rate_{value}", lang),
            "payload": payload(feedback.RATE_INTENT, {feedback.RATING_ENTITY: value}),
        }
        for value in feedback.RATINGS
    ]


def rating_question(lang: str) -> Reply:
    """ "Was this answer helpful?" with 👍 / 👎 buttons (text channels' own question, see `rated`)."""
    return Reply(t("rate_ask", lang), rating_buttons(lang))


# A button under a translated answer: the same answer again in English or Chinese, for this message only
# (the conversation keeps its language). Intent show_original, entity language; see actions.py.
SHOW_ORIGINAL_INTENT = "show_original"
ORIGINAL_LANGUAGES = translations.ORIGINAL_LANGUAGES


def offer_original(status: str, lang: str) -> Reply:
    """One short line saying the knowledge texts above are a translation (machine-assisted, or reviewed
    by staff), with buttons for the English and the Chinese original."""
    return Reply(
        t(f"translation_{status}", lang),
        [
            {
                "title": t(f"show_original_{original}", lang),
                "payload": payload(SHOW_ORIGINAL_INTENT, {"language": original}),
            }
            for original in ORIGINAL_LANGUAGES
        ],
    )


def original_answer(answer: Answer | None, original: str, lang: str) -> Answer:
    """An answer rendered again in `original` (en or zh) for a user who reads `lang`: introduced in the
    user's language, without the rating question or the offer (the translated answer had them).
    `answer` is None when there is no translated answer to show again."""
    body = (
        [replace(r, buttons=[], rate=False) for r in answer.replies if r.rate or not r.buttons]
        if answer
        else []
    )
    if not body or original not in ORIGINAL_LANGUAGES:
        return Answer([Reply(t("original_none", lang))])
    return Answer([Reply(t(f"original_intro_{original}", lang)), *body])


def rated(answer: Answer, lang: str) -> Answer:
    """A knowledge answer whose last reply carries 👍 / 👎 (`Reply.rate`, its buttons), unless that
    reply already asks something with buttons (the permit type, say): one question at a time. The
    offer of the original texts (translated answers) follows it.

    Called by the answers whose facts come from the knowledge base (procedures, service points, opening
    hours, schools, hospitals, the people to call); never for emergencies, clarifying questions or "the
    knowledge base is unavailable". The report attributes a rating to the last of these answers.
    """
    if not answer.replies:
        return answer
    replies = list(answer.replies)
    last = replies[-1]
    if not last.buttons:
        replies[-1] = replace(last, buttons=rating_buttons(lang), rate=True)
    if answer.translation:
        replies.append(offer_original(answer.translation, lang))
    return replace(answer, replies=replies)


def rating_reply(rating: str | None, rated_action: str | None, *, lang: str = "en") -> Answer:
    """Thanks for a rating; after 👎 an apology and a button to talk to a person (unless the answer
    rated was already the people to call)."""
    if rating != feedback.DOWN:
        return Answer([Reply(t("rate_thanks", lang))])
    if rated_action == feedback.HANDOFF_ACTION:
        return Answer([Reply(t("rate_sorry_handoff", lang))])
    button = {"title": name("intents", "human_handoff", lang), "payload": payload("human_handoff")}
    return Answer([Reply(t("rate_sorry", lang), [button])])


def _service_label(codes: tuple[str, ...] | list[str], lang: str) -> str:
    return t("list_sep", lang).join(name("services", c, lang) for c in codes[:2])


def _points_replies(
    services: tuple[str, ...] | list[str],
    district: str | None,
    near: tuple[float, float] | None,
    lang: str,
    when: dt.datetime | None,
    intro_label: str,
    limit: int = 3,
) -> tuple[list[Reply], list[str]]:
    places = service_points.find_service_points(services, district=district, near=near, limit=limit)
    if not places:
        return [Reply(t("no_points_found", lang))], []
    in_district = district is not None and any(p.record.get("district") == district for p in places)
    intro = service_points.intro(intro_label, district, near is not None, lang, in_district)
    replies = [Reply(intro)]
    replies += [
        Reply(
            service_points.render(p, lang, when, show_distance=near is not None),
            card=cards.service_point_card(p, lang, when, near is not None).to_json(),
        )
        for p in places
    ]
    return replies, [p.record["id"] for p in places]


# The residence-permit types the permit-type question offers (journalists' permits are rare).
ASKED_PERMIT_TYPES: tuple[str, ...] = ("work", "study", "family", "private_affairs")


def permit_type_question(lang: str, district: str | None = None, facet: str | None = None) -> Reply:
    """Which residence permit; each button carries the district and the fact asked (issue 13)."""
    extra = {"district": district} if district else {}
    if facet:
        extra["facet"] = facet
    return Reply(
        t("ask_permit_type", lang),
        [
            {
                "title": t(f"permit_{p}", lang),
                "payload": payload("residence_permit", {"permit_type": p, **extra}),
            }
            for p in ASKED_PERMIT_TYPES
        ],
    )


@_safe
def procedure_answer(
    topic: str,
    permit_type: str | None = None,
    district: str | None = None,
    near: tuple[float, float] | None = None,
    *,
    lang: str = "en",
    when: dt.datetime | None = None,
) -> Answer:
    """Documents, fees, time, validity and where to go for a topic; asks the permit type if needed."""
    if topic == "residence_permit" and permit_type not in vocab.PERMIT_TYPES:
        return Answer([permit_type_question(lang, district)], topic=topic)
    procs = procedures.get_procedures(topic, permit_type)
    shown: list[str] = []
    if not procs:
        replies, shown = _points_replies(
            service_points.service_codes(topic),
            district,
            near,
            lang,
            when,
            name("intents", topic, lang),
        )
        return rated(Answer(replies, shown, topic), lang)
    main = procs[:2]
    replies = [
        Reply(procedures.render(p, lang), card=cards.procedure_card(p, lang).to_json())
        for p in main
    ]
    shown_records: list[Mapping[str, Any]] = list(main)
    services: list[str] = list(dict.fromkeys(s for p in main for s in p.get("services", [])))
    if topic == "residence_permit" and permit_type:
        typed = f"residence_permit_{permit_type}"
        services = [typed] if typed in vocab.SERVICES else services
    if services:
        replies.append(Reply(t("where_to_go", lang)))
        point_replies, shown = _points_replies(
            services, district, near, lang, when, _service_label(services, lang)
        )
        replies += point_replies[1:] if len(point_replies) > 1 else point_replies
        shown_records += [r for r in map(service_points.get_service_point, shown) if r]
    return rated(Answer(replies, shown, topic, translations.status(shown_records, lang)), lang)


@_safe
def service_point_answer(
    service: str | None,
    district: str | None = None,
    near: tuple[float, float] | None = None,
    *,
    lang: str = "en",
    when: dt.datetime | None = None,
) -> Answer:
    """The nearest service points handling `service` (a NLU service value or service code)."""
    codes = service_points.service_codes(service) if service else ()
    if service in vocab.SERVICE_ENTITY_CODES:
        intro_label = name("service_needs", service, lang)
    elif codes:
        intro_label = _service_label(codes, lang)
    else:
        intro_label = t("any_service", lang)
    replies, shown = _points_replies(codes, district, near, lang, when, intro_label)
    records = [r for r in map(service_points.get_service_point, shown) if r]
    return rated(
        Answer(replies, shown, "find_service_point", translations.status(records, lang)), lang
    )


@_safe
def opening_hours_answer(
    service: str | None,
    district: str | None,
    weekday: str | None,
    last_points: list[str] | None,
    *,
    lang: str = "en",
    when: dt.datetime | None = None,
) -> Answer:
    """'Is it open now / on Saturday' for the places asked about, or the ones shown last."""
    now = hours_mod.to_beijing(when)
    moment = hours_mod.resolve_day(weekday, now)
    if service or district:
        places = service_points.find_service_points(
            service_points.service_codes(service), district=district, limit=3
        )
    else:
        records = [service_points.get_service_point(pid) for pid in (last_points or [])]
        places = [queries.Place(r) for r in records if r]
    if not places:
        return Answer([Reply(t("opening_which", lang))])
    from bot.dialogue.asked import brief_doubts, short_provenance  # asked.py builds on this

    replies = []
    for place in places:
        rec = place.record
        head = f"📍 {local(rec['name'], lang)}" + (
            f" ({render.zh_name(rec, lang)})" if lang != "zh" and rec["name"].get("zh") else ""
        )
        specific_day = weekday not in (None, "now", "today")
        detail = (
            render.format_day(rec.get("hours"), lang, moment)
            if specific_day
            else render.format_status(rec.get("hours"), lang, now)
        )
        # In short, as every answer (issue 13): the hours, the doubts on them, the first source.
        lines = [
            head,
            render.format_hours(rec.get("hours"), lang),
            detail,
            *brief_doubts("service_points", rec, ("hours",), lang),
            *short_provenance(rec, lang, site_only=True),
        ]
        replies.append(Reply("\n".join(lines)))
    return rated(
        Answer(
            replies,
            [p.record["id"] for p in places],
            "opening_hours",
            translations.status([p.record for p in places], lang),
        ),
        lang,
    )


@_safe
def school_answer(
    curriculum: str | None, district: str | None, age: int | None, *, lang: str = "en"
) -> Answer:
    places = schools.find_schools(curriculum, district, age, limit=None)
    filters = ""
    if curriculum:
        filters += t("with_curriculum", lang, curriculum=name("curricula", curriculum, lang))
    if district:
        filters += t("in_district", lang, district=render.district_name(district, lang))
    if age is not None:
        filters += t("for_age", lang, age=age)
    if not places:
        return rated(
            Answer([Reply(t("schools_none", lang, filters=filters))], topic="international_school"),
            lang,
        )
    shown = places[:4]
    replies = [Reply(t("schools_intro", lang, filters=filters))]
    replies += [
        Reply(
            schools.render(p, lang, district), card=cards.school_card(p, lang, district).to_json()
        )
        for p in shown
    ]
    if len(places) > len(shown):
        rest = t("list_sep", lang).join(local(p.record["name"], lang) for p in places[len(shown) :])
        replies.append(Reply(f"{rest} — {t('and_more', lang, n=len(places) - len(shown))}"))
    status = translations.status([p.record for p in shown], lang)
    return rated(Answer(replies, topic="international_school", translation=status), lang)


@_safe
def hospital_answer(
    need: str | None,
    district: str | None,
    near: tuple[float, float] | None = None,
    *,
    lang: str = "en",
) -> Answer:
    places = hospitals.find_hospitals(need, district, near=near, limit=4)
    filters = ""
    if need:
        filters += t("with_need", lang, need=t(f"need_{need}", lang))
    if district:
        filters += t("in_district", lang, district=render.district_name(district, lang))
    if not places:
        return rated(
            Answer([Reply(t("hospitals_none", lang, filters=filters))], topic="healthcare"), lang
        )
    replies = [Reply(t("hospitals_intro", lang, filters=filters))]
    replies += [
        Reply(
            hospitals.render(p, lang, district),
            card=cards.hospital_card(p, lang, district).to_json(),
        )
        for p in places
    ]
    status = translations.status([p.record for p in places], lang)
    return rated(Answer(replies, topic="healthcare", translation=status), lang)


def emergency_answer(
    district: str | None,
    near: tuple[float, float] | None = None,
    *,
    lang: str = "en",
    emergency_type: str | None = None,
    said: str | None = None,
) -> Answer:
    """Emergency numbers first, always, the one this kind of emergency needs first (120 medical, 110
    police, 119 fire, 122 traffic); then, when the message (`said`) names a passport ("me robaron el
    pasaporte"), the steps for a lost or stolen passport; then 24-hour emergency departments when the
    data is there."""
    order = EMERGENCY_ORDER.get(emergency_type or "", EMERGENCY_CATEGORIES)
    try:
        records = hotlines.hotlines(order)
    except SQLAlchemyError:
        logger.exception("knowledge base unavailable for emergency numbers")
        records = []
    if not any(_FALLBACK_NUMBER.fullmatch(str(r.get("number", ""))) for r in records):
        # The numbers are also in every locale file, so they never depend on the database (down, or
        # synced without the hotlines).
        card = cards.fallback_emergency_card(str(text("emergency_fallback", lang)), order)
        return Answer(
            [Reply(emergency_fallback(lang, order), card=card.to_json())], topic="emergency"
        )
    from bot.dialogue.asked import doubt_tag, more_details_button  # asked.py builds on this

    # In short, as every answer (issue 13): a number a line, its name only (what it is and the doubts'
    # reasons are in the card; a doubted number is marked on its line); under about 700 characters
    # before "More details".
    lines = [t("emergency_intro", lang)]
    for h in records:
        lines.append(hotlines.number_brief(h, lang) + doubt_tag(h, ("number",), lang))
    lines.append(t("emergency_interpreting", lang))
    card = cards.emergency_card(lines[0], records, lang, lines[-1])
    first = Reply("\n".join(lines), card=card.to_json())
    passport = _lost_passport_steps(said, lang)
    replies = [first, *passport]
    try:
        # A stolen passport needs the police and the steps, not the emergency departments (unless
        # someone is hurt: a medical emergency keeps them).
        ers = (
            []
            if passport and emergency_type != "medical"
            else hospitals.find_hospitals("emergency_room", district, near=near, limit=3)
        )
    except SQLAlchemyError:
        ers = []
    shown = None
    if ers:
        # Named, nearest first; each department's phones and address for the driver are behind
        # "More details" (and on the nearest one's card, which the widget shows now).
        named = "\n".join(
            [t("emergency_er", lang), *(f"📍 {local(p.record.get('name'), lang)}" for p in ers)]
        )
        card_er = cards.hospital_card(ers[0], lang, district).to_json()
        replies.append(Reply(named, buttons=[more_details_button(lang)], card=card_er))
        shown = ("hospitals", [str(p.record["id"]) for p in ers])
    # The numbers come first; the line saying the texts are translated (and the originals) comes last,
    # with More details after Show original (the last message's buttons are the widget's quick replies).
    status = translations.status([*records, *(p.record for p in ers)], lang)
    if status:
        offer = offer_original(status, lang)
        if ers:
            replies[-1] = replace(replies[-1], buttons=[])
            offer = replace(offer, buttons=[*offer.buttons, more_details_button(lang)])
        replies.append(offer)
    return Answer(replies, topic="emergency", translation=status, shown_records=shown)


def _lost_passport_steps(said: str | None, lang: str) -> list[Reply]:
    """The lost-passport procedure in short (its title and summary: police report, the loss
    certificate at the exit-entry hall, a new passport from the embassy) when the message names a
    passport; nothing otherwise or when the knowledge base cannot be read."""
    if not word_lists.names_passport(said):
        return []
    try:
        found = procedures.rank("lost_passport", said or "")
    except SQLAlchemyError:
        return []
    if not found:
        return []
    rec = found[0]
    return [Reply(f"📋 {local(rec.get('title'), lang)}\n{local(rec.get('summary'), lang)}")]


_FALLBACK_NUMBER = re.compile(r"(?<!\d)(110|119|120|122)(?!\d)")
_CATEGORY_NUMBER = {
    "ambulance": hotlines_mod.AMBULANCE,
    "police": hotlines_mod.POLICE,
    "fire": hotlines_mod.FIRE,
    "traffic": hotlines_mod.TRAFFIC,
}


def emergency_fallback(lang: str, order: tuple[str, ...] = EMERGENCY_CATEGORIES) -> str:
    """The locale's list of emergency numbers, one per line, in the order `order` needs."""
    line = str(text("emergency_fallback", lang)).format(**hotlines_mod.NUMBERS)
    first = line[: len(line) - len(line.lstrip("🚨 "))]
    parts = line[len(first) :].split(" · ")
    rank = {_CATEGORY_NUMBER[c]: i for i, c in enumerate(order) if c in _CATEGORY_NUMBER}

    def position(part: str) -> int:
        found = _FALLBACK_NUMBER.search(part)
        return rank.get(found.group(1), 99) if found else 99

    return first + "\n".join(sorted(parts, key=position))


# The intents "did you mean" may offer: what users ask about, in the order of the classifier's ranking.
# (Which of them are the immigration administration's, and so confirmed with 12367, is
# procedures.IMMIGRATION_TOPICS.)
TOPIC_INTENTS = procedures.IMMIGRATION_TOPICS | {
    "work_permit",
    "talent_services",
    "international_school",
    "healthcare",
    "emergency",
    "find_service_point",
    "opening_hours",
}


@_safe
def handoff_answer(
    last_points: list[str] | None,
    topic: str | None,
    *,
    lang: str = "en",
    after_rating: bool = False,
) -> Answer:
    """The right human: the immigration hotline for immigration topics, the 12345 English service,
    and the phone of the office shown last.

    `after_rating`: the user came here from the 👎 reply's "talk to a person" button; they have just
    rated, so they are not asked again.
    """
    numbers = [hotlines_mod.IMMIGRATION, hotlines_mod.CITY]
    if topic not in procedures.IMMIGRATION_TOPICS:
        numbers.reverse()
    # Someone who asks for a person was not helped well enough (or is complaining): apologise first,
    # unless the rating reply just did.
    lines = [] if after_rating else [t("handoff_sorry", lang)]
    lines.append(t("handoff_intro", lang))
    records = [hotlines.hotline(n) for n in numbers]
    shown: list[Mapping[str, Any]] = [r for r in records if r]
    # In short, as every answer (issue 13): a number a line; the whole descriptions are in the card.
    lines += [hotlines.render_brief(r, lang) for r in records if r]
    for pid in last_points or []:
        point = service_points.get_service_point(pid)
        if point and point.get("phones"):
            shown.append(point)
            lines.append(
                t(
                    "handoff_office",
                    lang,
                    name=local(point["name"], lang),
                    # The first number (its label and the others are on the card).
                    phone=str(point["phones"][0]["number"]),
                )
            )
            break
    sources = [r for r in records if r]
    if sources:
        from bot.dialogue.asked import short_provenance  # asked.py builds on this module

        # The first source and its date; every source is on the hotline's card.
        lines += short_provenance(sources[0], lang, site_only=True)
    office = (
        (local(shown[-1]["name"], lang), shown[-1]["phones"]) if len(shown) > len(sources) else None
    )
    lead = "\n".join(lines[: 1 if after_rating else 2])
    card = cards.contacts_card(lead, sources, office, lang).to_json()
    answer = Answer(
        [Reply("\n".join(lines), card=card)],
        topic=topic,
        translation=translations.status(shown, lang),
    )
    return answer if after_rating else rated(answer, lang)


# --- Questions and answers (knowledge/faq_*.yml): the long tail the topics do not cover -------------

FAQ_ENTITY = "faq_id"


def faq_button(entry: Mapping[str, Any], lang: str) -> dict[str, str]:
    """A button that answers with `entry` directly (intent out_of_scope + entity faq_id, no NLU)."""
    return {
        "title": render.faq_question(entry, lang),
        "payload": payload("out_of_scope", {FAQ_ENTITY: entry["id"]}),
    }


def _faq_found(entry: Mapping[str, Any], lang: str) -> Answer:
    """An entry's answer; a translated one (knowledge/translations/<lang>/faq.yml) says so and offers
    the English and Chinese originals, as the records' translated texts do."""
    reply = Reply(render.faq_entry(entry, lang), card=cards.faq_card(entry, lang).to_json())
    status = translations.status([entry], lang)
    return rated(Answer([reply], faq_entry=entry["id"], translation=status), lang)


def _person_button(lang: str) -> dict[str, str]:
    return {"title": name("intents", "human_handoff", lang), "payload": payload("human_handoff")}


def _decide_outside(text: str | None) -> faq_match.Decision:
    """The decision for a message the NLU placed outside the topics (or was unsure of): the entry
    that answers it; else, on a subject no topic page answers, the best of close siblings that
    clearly fit ("Wie bekomme ich eine SIM-Karte?": where to buy one 0.94, at the airport 0.87 — two
    answers on one subject are no reason to answer with neither; `match.outside_topics`)."""
    decision = faq_match.decide(text)
    if decision.answer is None and decision.closest:
        return faq_match.outside_topics(text) or decision
    return decision


@_safe
def faq_answer(text: str | None, faq_id: str | None = None, *, lang: str = "en") -> Answer:
    """A message outside the topics: the entry that answers it (or the one its button named), else
    the closest entries as buttons and a person, else what the assistant can help with."""
    if faq_id:
        entry = faq.faq_entry(faq_id)
        if entry:
            return _faq_found(entry, lang)
    decision = _decide_outside(text)
    if decision.answer:
        return _faq_found(decision.answer.entry, lang)
    offered = decision.offered
    if offered:
        buttons = [faq_button(m.entry, lang) for m in offered] + [_person_button(lang)]
        return Answer([Reply(t("faq_closest", lang), buttons)])
    return Answer([Reply(t("faq_outside", lang), [_person_button(lang)])])


# Filters that say what the places must offer (a language spoken, a medical need such as an emergency room
# or English-speaking staff, a curriculum, an age): a message with one asks for places, whatever entry its
# words resemble ("차오양구에 있는 병원 중에 영어 되는 곳 있어요?" matched the entry on English-speaking
# doctors in special-needs wards, not the hospitals in Chaoyang).
PLACE_ATTRIBUTE_FILTERS = frozenset({"spoken", "medical_need", "curriculum", "age"})


def faq_instead(
    text: str | None,
    *,
    lang: str = "en",
    filters: Mapping[str, Any] | None = None,
    beyond: bool = False,
) -> Answer | None:
    """For a message the NLU put in a topic (procedures, service points, schools, hospitals; never an
    emergency): an entry answers instead when it matches above what 99 % of the topics' own training
    examples reach (`match.in_topic_threshold`), e.g. "do foreigners pay more at hospitals?" under
    healthcare, or clearly fits one entry and none of its neighbours (`match.decide_in_topic`).
    `beyond`: the message asks only facts the topic's records never hold, so an entry answers as it
    would outside a topic (`match.decide`). (Entries on subjects no topic answers: `faq_outside_topics`.)
    Never when `filters` (the message's, by entity name) say what the places must offer
    (`PLACE_ATTRIBUTE_FILTERS`). None: answer from the topic's records as usual."""

    def decide() -> faq_match.Decision:
        decision = faq_match.decide_in_topic(text)
        return faq_match.decide(text) if decision.answer is None and beyond else decision

    return _entry_for_topic_message(decide, lang, filters, text)


def faq_outside_topics(
    text: str | None,
    *,
    lang: str = "en",
    filters: Mapping[str, Any] | None = None,
    clearly: bool = True,
) -> Answer | None:
    """An entry on a subject no topic page answers (a SIM card, a card in WeChat Pay, tax, a driving
    licence: `match.outside_topics`) that clearly answers a message the NLU put into a topic, or read
    as a wish for a person ("номер поддержки China Unicom"); before the topic's own procedures are
    matched. Never when `filters` say what the places must offer. None otherwise."""
    return _entry_for_topic_message(
        lambda: faq_match.outside_topics(text, clearly=clearly), lang, filters, text
    )


# The score from which an entry beside the procedures answers a message whose words name its subject
# (faq_beside_procedure, `subject_named`): the encoder ranks "Bis wann gilt die 30-tägige Visabefreiung?"
# 0.65 to the 30-day entry, below the ordinary bar, though its words leave no doubt.
BESIDE_FLOOR = 0.6


def faq_beside_procedure(
    text: str | None,
    procedure_ids: Sequence[str],
    *,
    lang: str = "en",
    filters: Mapping[str, Any] | None = None,
    subject: str | None = None,
    duration: bool = False,
) -> Answer | None:
    """An entry that answers a message (`match.decide`, the ordinary bar) and that staff wrote beside
    one of the procedures the message's words only come near (its `related:` lists it): "безвизовый
    режим для россиян до какой даты?" shares "безвизовый" with the 240-hour visa-free transit's title
    but asks the 30-day visa-free entry's end date, which the entry beside it holds. The entries beside
    the procedures compete with the others, not with each other: the best one answers from the
    threshold when it leads every other entry by the margin ("безвизовый въезд для россиян до какого
    числа?": the Russian end date 0.85, the 30-day entry 0.79, both beside the transit). `subject`: a word list
    (bot/dialogue/word_lists.py) the message's own words say (a stay without a visa, no transit): the
    closest entry beside the procedures whose English answer says it too answers from BESIDE_FLOOR, before
    entries on other subjects ("¿Hasta cuándo dura la exención de visado?" comes close to the processing
    time too); with `duration` (a length or an end date asked) not an entry that lists countries ("한국 사람인데 며칠 있을 수 있어요?": the 30-day
    entry, not the list that names Korea). None otherwise."""
    ids = set(procedure_ids)

    def beside(m: faq_index.Match) -> bool:
        return bool(set(m.entry.get("related") or []) & ids)

    def a_list(m: faq_index.Match) -> bool:
        return len(faq_match.answer_countries(m.entry)) > faq_match.COUNTRY_SPECIFIC

    def decide() -> faq_match.Decision | None:
        decision = faq_match.decide(text)
        if subject is not None:
            found = [decision.answer] if decision.answer else []
            found += list(decision.closest)
            fits = [
                m
                for m in found
                if beside(m)
                and m.score >= BESIDE_FLOOR
                and word_lists.says(subject, faq_match.english_answer(m.entry))
                and not (duration and a_list(m))
            ]
            return faq_match.Decision(fits[0], decision.closest) if fits else None
        best = decision.answer or (decision.closest[0] if decision.closest else None)
        if best is None or not beside(best):
            return None
        if decision.answer is not None:
            return decision
        others = [m.score for m in decision.closest[1:] if not beside(m)]
        clear = best.score >= faq_match.threshold() and all(
            best.score - score >= faq_match.margin() for score in others
        )
        return faq_match.Decision(best, decision.closest) if clear else None

    return _entry_for_topic_message(decide, lang, filters, text)


# Subjects a message's own words say (bot/dialogue/word_lists.py: "drive", "за рулём", "운전"; "was born",
# "태어났", "وُلد") and the entries about each: the driving entries (`topic: driving`), the newborn's
# (`newborn_*`).
SUBJECT_ENTRIES: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "driving": lambda entry: entry.get("topic") == "driving",
    "newborn": lambda entry: str(entry.get("id") or "").startswith("newborn_"),
}


def faq_subject_said(
    text: str | None, *, lang: str = "en", filters: Mapping[str, Any] | None = None
) -> Answer | None:
    """An entry about what the message's own words say, for a message the NLU put into a topic it is not
    about: "Можно ли ездить за рулём в Пекине с российскими правами?" (read as the R visa), "아기가
    베이징에서 태어났어요. 이제 뭘 해야 하나요?" (read as hospitals), "我是俄罗斯人，来北京玩需要办签证吗？"
    (read as the port visa). Answers
    - the entry that answers the message (`match.decide`) when it is about the few countries it names and
      the message names one of them (Russia's own end date, the USA's transit), or
    - the closest entry from BESIDE_FLOOR when it is about a subject the message's words say
      (`SUBJECT_ENTRIES`): the words leave no doubt about the subject, the encoder only ranks its entries.
    None otherwise (and when the entry answers another question: `_entry_for_topic_message`)."""
    said = [s for s in SUBJECT_ENTRIES if word_lists.says(s, text)]
    named = faq_countries.named(text)
    if not said and not named:
        return None

    def decide() -> faq_match.Decision | None:
        decision = faq_match.decide(text)
        best = decision.answer or (decision.closest[0] if decision.closest else None)
        if best is None:
            return None
        if (
            decision.answer is not None
            and named & faq_match.answer_countries(best.entry)
            and faq_match.about_countries(best.entry)
        ):
            return decision
        if best.score >= BESIDE_FLOOR and any(SUBJECT_ENTRIES[s](best.entry) for s in said):
            return faq_match.Decision(best, decision.closest)
        return None

    return _entry_for_topic_message(decide, lang, filters, text)


def faq_decisive(
    text: str | None,
    topics: set[str],
    facets: Sequence[str],
    *,
    lang: str = "en",
    filters: Mapping[str, Any] | None = None,
) -> Answer | None:
    """An entry that answers a message the NLU put into a topic decisively, on a subject beside that
    topic: its score (with the classifier) reaches the threshold plus the margin, it leads the next
    entry by the in-topic lead (`match.in_topic_lead`: the message is about that one entry and none of
    its neighbours), and no procedure staff wrote it beside (its `related:`) is on one of `topics` (the
    NLU's topic and the topics of the services the message names) and holds one of the `facets`
    asked. "¿A qué correo se mandan los papeles para registrar a un bebé?" (the newborn's mailbox,
    1.05, read as accommodation registration), "multa por quedarse con el permiso de residencia
    vencido" (the illegal-residence fine, 1.00, read as a residence permit), "Где заполнить карту
    прибытия онлайн?" (the online arrival card, 0.97, read as visa offices). An entry beside a
    procedure of the message's topic that holds the fact asked is only a general form of it ("how long
    does a work residence permit take?" reaches 0.8-1.0 on the processing-time entry written beside
    the residence permits): the procedure answers. With no facet asked, an entry beside the namesake
    procedure of one of those topics never answers: the topic's page does ("Ich wohne in einer
    Mietwohnung, muss ich mich anmelden?" is accommodation registration, not the entry on registering
    online). None otherwise."""

    def decide() -> faq_match.Decision | None:
        decision = faq_match.decide(text)
        best = decision.answer
        if best is None or best.score < faq_match.threshold() + faq_match.margin():
            return None
        rivals = decision.closest[1:]
        if rivals and best.score - rivals[0].score < faq_match.in_topic_lead():
            return None
        related = set(best.entry.get("related") or [])
        own = [
            p
            for p in procedures.rank(None, "")
            if p["id"] in related
            and p.get("topic") in topics
            and (
                any(kfacets.fact("procedures", p, f, lang) for f in facets)
                if facets
                else p["id"] in topics
            )
        ]
        return None if own else decision

    return _entry_for_topic_message(decide, lang, filters, text)


def _entry_for_topic_message(
    decide: Callable[[], faq_match.Decision | None],
    lang: str,
    filters: Mapping[str, Any] | None,
    text: str | None = None,
) -> Answer | None:
    """The entry `decide` picks for a message the NLU put in a topic, as an answer; None when the
    message's `filters` say what the places must offer, when nothing is picked, when the entry answers
    another question than the one asked (`answers_other_question`: the topic's own answer then says
    honestly what it does not hold), or when the knowledge base cannot be read (the topic's own answer
    follows, and it answers politely then)."""
    if filters and any(filters.get(name) for name in PLACE_ATTRIBUTE_FILTERS):
        return None
    try:
        decision = decide()
        if (
            decision
            and decision.answer
            and answers_other_question(decision.answer.entry, text, filters)
        ):
            return None
    except SQLAlchemyError:
        logger.warning("questions and answers unavailable; answering from the topic", exc_info=True)
        return None
    if not decision or not decision.answer:
        return None
    return _faq_answer_safe(decision.answer.entry, lang)


# The facets whose words rarely stand in a message without asking them: a fee, a phone number. Others do
# ("24시간", "240 hours" read as opening hours; "how long" as a processing time), so a message asking only
# them is left to the entry its words fit.
CLEAR_FACETS = frozenset({"fee", "phone"})


def answers_other_question(
    entry: Mapping[str, Any], text: str | None, filters: Mapping[str, Any] | None = None
) -> bool:
    """True when a staff-written entry that the words of a topic message come near answers another
    question (issue 13, honest gaps: not a neighbour fact):
    - the message asks a fee or a phone (`CLEAR_FACETS`) and the entry's questions ask other facts, none
      of the message's: "how much is a visa extension?" is not answered by the entry on how long one takes;
    - the entry is about facts (most of its questions ask them) that the message does not ask
      (`match.asks_another_facet`): "비자 연장은 어디서 해요?" is not answered by that entry either;
    - the entry is on a subject no topic page answers and the message names a topic's service that its
      questions never name (`match.names_other_service`): "Quels documents pour le permis de travail ?"
      is not answered by the driving-licence documents' entry;
    - the entry is written beside procedures only (its `related:`) and the message names another one:
      "how many days for a stay permit?" is not answered by the entry beside the visa extension;
    - the entry is about one place (its `related:` names a service point, school or hospital) and the
      message names another place of that kind or a district where none of the entry's places is: "the
      phone of the Shunyi exit-entry hall?" is not answered by the entry on the main hall's phone."""
    from bot.knowledge import names
    from bot.nlu import facets as nlu_facets

    if not text:
        return False
    asked = {f.value for f in nlu_facets.analyse(text).facets} - nlu_facets.WEAK_FACETS
    own = set(faq_match.question_facets(entry)) - nlu_facets.WEAK_FACETS
    if asked & CLEAR_FACETS and own and not asked & own:
        return True
    if faq_match.asks_another_facet(entry, text):
        return True
    if faq_match.names_other_service(entry, text):
        return True
    related = set(entry.get("related") or [])
    mentions = names.find_mentions(text)
    procs = {m.id for m in mentions if m.kind == "procedures"}
    if (
        procs
        and related
        and not procs & related
        and all(names.record("procedures", rid) is not None for rid in related)
    ):
        # "how many days for a stay permit?": the entry written beside the visa extension and the
        # residence permit is not about the procedure the message names.
        return True
    places = [
        (kind, rec)
        for kind in PLACE_RECORD_KINDS
        for rid in sorted(related)
        if (rec := names.record(kind, rid)) is not None
    ]
    # An entry beside a procedure too is about the procedure ("until when must we register our baby?",
    # beside the stay permit and the main hall): a district the writer tells (where the baby was born)
    # does not make it another place's question.
    if not places or any(names.record("procedures", rid) is not None for rid in related):
        return False
    kinds = {kind for kind, _ in places}
    named = {m.id for m in mentions if m.kind in kinds}
    if named:
        return not named & related
    district = (filters or {}).get("district")
    if district:
        return not any(place_in_district(rec, str(district)) for _, rec in places)
    return False


# The kinds of record that are places (bot/dialogue/context.py PLACE_KINDS).
PLACE_RECORD_KINDS = ("service_points", "schools", "hospitals")


def place_in_district(rec: Mapping[str, Any], district: str) -> bool:
    """The place (or one of its locations) is in `district`."""
    if rec.get("district") == district:
        return True
    return any(loc.get("district") == district for loc in rec.get("locations") or [])


def offer_topics(
    intent_ranking: list[dict[str, Any]],
    entities: list[dict[str, Any]],
    *,
    lang: str = "en",
    text: str | None = None,
) -> Answer:
    """Low confidence: an entry that answers the message (see `faq_answer`); otherwise offer the two
    most likely topics as buttons, plus 'something else'.

    Only topics the assistant answers about (TOPIC_INTENTS) are offered, never small talk or requests
    about the conversation itself (greet, bot_challenge, help, human_handoff, change_language, ...): a
    user who typed a real question is not helped by "Are you a bot?" as a guess.
    """
    try:
        decision = _decide_outside(text)
    except SQLAlchemyError:
        logger.warning("questions and answers unavailable; offering topics only", exc_info=True)
        decision = faq_match.Decision(None)
    if decision.answer:
        return _faq_answer_safe(decision.answer.entry, lang)
    top = [r["name"] for r in intent_ranking if r.get("name") in TOPIC_INTENTS][:2]
    if (
        not top
    ):  # nothing to guess from (an empty message, only symbols): ask for the question instead
        return Answer([Reply(t("not_understood", lang))])
    carried = {
        e["entity"]: e["value"]
        for e in entities
        if e.get("entity") in ("district", "permit_type", "curriculum", "service", "medical_need")
    }
    buttons = [
        {"title": name("intents", intent, lang), "payload": payload(intent, carried)}
        for intent in top
    ]
    buttons += [faq_button(m.entry, lang) for m in decision.offered[:2]]
    buttons.append({"title": t("something_else", lang), "payload": "/out_of_scope"})
    return Answer([Reply(t("offer_topics", lang), buttons)])


@_safe
def _faq_answer_safe(entry: Mapping[str, Any], lang: str = "en") -> Answer:
    return _faq_found(entry, lang)
