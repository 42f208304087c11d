"""Answers to each kind of question: query the knowledge base, apply the rules, render the replies.

Custom actions call these with the slots they read and send back the replies; everything here is plain
Python so it can be tested without Rasa.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec

from sqlalchemy.exc import SQLAlchemyError

from bot.core import hotlines as hotlines_mod
from bot.core import vocab
from bot.dialogue import feedback, render
from bot.dialogue import hours as hours_mod
from bot.dialogue.i18n import local, name, t, text
from bot.knowledge import queries
from bot.knowledge.kinds import hospitals, hotlines, procedures, schools, service_points

logger = logging.getLogger(__name__)
P = ParamSpec("P")

# The order in which emergency numbers are given: life first.
EMERGENCY_CATEGORIES = ("ambulance", "police", "fire", "traffic", "emergency")


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Answer:
    """Replies plus what the conversation should remember (ids of places shown, the topic)."""

    replies: list[Reply]
    shown_points: list[str] = field(default_factory=list)
    topic: str | None = None


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


def rating_question(lang: str) -> Reply:
    """ "Was this answer helpful?" with 👍 / 👎 buttons; a click is stored as intent rate_answer + entity rating."""
    return Reply(
        t("rate_ask", lang),
        [
            {
                "title": t(f"rate_{value}", lang),
                "payload": payload(feedback.RATE_INTENT, {feedback.RATING_ENTITY: value}),
            }
            for value in feedback.RATINGS
        ],
    )


def rated(answer: Answer, lang: str) -> Answer:
    """A knowledge answer followed by the rating question, unless its last reply already asks something
    with buttons (the permit type, say): one question at a time.

    Called by the answers whose facts come from the knowledge base (procedures, service points, opening
    hours, schools, hospitals, the people to call); never for emergencies, clarifying questions or "the
    knowledge base is unavailable". The report attributes a rating to the last of these answers.
    """
    if not answer.replies or answer.replies[-1].buttons:
        return answer
    return replace(answer, replies=[*answer.replies, rating_question(lang)])


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
        Reply(service_points.render(p, lang, when, show_distance=near is not None)) for p in places
    ]
    return replies, [p.record["id"] for p in places]


def permit_type_question(lang: str, district: str | None = None) -> Reply:
    extra = {"district": district} if district else {}
    return Reply(
        t("ask_permit_type", lang),
        [
            {
                "title": t(f"permit_{p}", lang),
                "payload": payload("residence_permit", {"permit_type": p, **extra}),
            }
            for p in ("work", "study", "family", "private_affairs")
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
    replies = [Reply(procedures.render(p, lang)) for p in main]
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
    return rated(Answer(replies, shown, topic), lang)


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
    return rated(Answer(replies, shown, "find_service_point"), lang)


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
    replies = []
    for place in places:
        rec = place.record
        head = f"📍 {local(rec['name'], lang)}" + (
            f" ({rec['name']['zh']})" if lang != "zh" and rec["name"].get("zh") else ""
        )
        specific_day = weekday not in (None, "now", "today")
        detail = (
            render.format_day(rec.get("hours"), lang, moment)
            if specific_day
            else render.format_status(rec.get("hours"), lang, now)
        )
        lines = [
            head,
            render.format_hours(rec.get("hours"), lang),
            detail,
            *render.provenance(rec, lang),
        ]
        replies.append(Reply("\n".join(lines)))
    return rated(Answer(replies, [p.record["id"] for p in places], "opening_hours"), lang)


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
    replies += [Reply(schools.render(p, lang, district)) for p in shown]
    if len(places) > len(shown):
        rest = t("list_sep", lang).join(local(p.record["name"], lang) for p in places[len(shown) :])
        replies.append(Reply(f"{rest} — {t('and_more', lang, n=len(places) - len(shown))}"))
    return rated(Answer(replies, topic="international_school"), lang)


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
    replies += [Reply(hospitals.render(p, lang, district)) for p in places]
    return rated(Answer(replies, topic="healthcare"), lang)


def emergency_answer(
    district: str | None, near: tuple[float, float] | None = None, *, lang: str = "en"
) -> Answer:
    """Emergency numbers first, always; then 24-hour emergency departments when the data is there."""
    try:
        lines = [t("emergency_intro", lang)]
        lines += [
            hotlines.render(h, lang, with_source=False)
            for h in hotlines.hotlines(EMERGENCY_CATEGORIES)
        ]
        lines.append(t("emergency_interpreting", lang))
        first = Reply("\n".join(lines))
    except SQLAlchemyError:
        logger.exception("knowledge base unavailable for emergency numbers")
        # The numbers are also in every locale file, so they never depend on the database.
        fallback = text("emergency_fallback", lang).format(**hotlines_mod.NUMBERS)
        return Answer([Reply(fallback)], topic="emergency")
    replies = [first]
    try:
        ers = hospitals.find_hospitals("emergency_room", district, near=near, limit=3)
    except SQLAlchemyError:
        ers = []
    if ers:
        replies.append(Reply(t("emergency_er", lang)))
        replies += [Reply(hospitals.render(p, lang, district)) for p in ers]
    return Answer(replies, topic="emergency")


IMMIGRATION_TOPICS = {
    "residence_permit",
    "visa",
    "accommodation_registration",
    "lost_passport",
    "permanent_residence",
    "work_permit",
    "talent_services",
}

# The intents "did you mean" may offer: what users ask about, in the order of the classifier's ranking.
TOPIC_INTENTS = IMMIGRATION_TOPICS | {
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
    if topic not in IMMIGRATION_TOPICS:
        numbers.reverse()
    lines = [t("handoff_intro", lang)]
    records = [hotlines.hotline(n) for n in numbers]
    lines += [hotlines.render(r, lang, with_source=False) for r in records if r]
    for pid in last_points or []:
        point = service_points.get_service_point(pid)
        if point and point.get("phones"):
            lines.append(
                t(
                    "handoff_office",
                    lang,
                    name=local(point["name"], lang),
                    phone=render.format_phones(point["phones"], lang),
                )
            )
            break
    sources = [r for r in records if r]
    if sources:
        lines += render.provenance(sources[0], lang)
    answer = Answer([Reply("\n".join(lines))], topic=topic)
    return answer if after_rating else rated(answer, lang)


def offer_topics(
    intent_ranking: list[dict[str, Any]], entities: list[dict[str, Any]], *, lang: str = "en"
) -> Answer:
    """Low confidence: offer the two most likely topics as buttons, plus 'something else'.

    Only topics the assistant answers about (TOPIC_INTENTS) are offered, never small talk or requests
    about the conversation itself (greet, bot_challenge, help, human_handoff, change_language, ...): a
    user who typed a real question is not helped by "Are you a bot?" as a guess.
    """
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
    buttons.append({"title": t("something_else", lang), "payload": "/out_of_scope"})
    return Answer([Reply(t("offer_topics", lang), buttons)])
