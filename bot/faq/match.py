"""The decision for a message nobody else answered: answer with an entry, or offer the closest ones.

A message is answered with the best entry when its score reaches the calibrated threshold and leads
the second-best entry by the calibrated margin (two entries about as close means the question is
ambiguous between them: answering one would often be the wrong one, so both are offered instead).
Threshold and margin are chosen by `bench/faq.py --calibrate` on the development sets
bench/data/faq_dev*.tsv and the NLU's out-of-scope examples (questions no entry answers), never on the
held-out benchmark set; they are stored in calibration.json next to this file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.faq import countries, index

logger = logging.getLogger(__name__)

CALIBRATION = Path(__file__).with_name("calibration.json")
# Entries offered as buttons when no entry is close enough.
OFFERED = 3


@cache
def threshold() -> float:
    """The calibrated score from which an entry answers a message on its own."""
    return float(json.loads(CALIBRATION.read_text(encoding="utf-8"))["threshold"])


@cache
def plain_threshold() -> float:
    """The threshold of the score without the classifier (`index.CLASSIFIER_WEIGHT`), on which the
    in-topic decision is made: the classifier is confident about the topics' own training examples
    too (a residence-permit question is clearly about the residence-permit entries), so with it the
    in-topic bar rose so high that an entry fitting a message the NLU sent into a topic no longer
    answered. Also the threshold of an index without a classifier (more than
    `index.CLASSIFIER_MAX_ENTRIES` entries). Calibrated like the threshold, on the same data."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return float(data.get("plain_threshold", data["threshold"]))


@cache
def plain_margin() -> float:
    """The margin that goes with `plain_threshold`."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return float(data.get("plain_margin", data.get("margin", 0.0)))


@cache
def in_topic_threshold() -> float:
    """For a message the NLU placed in a topic: an entry answers instead only from this score (without
    the classifier), above what the topics' own training examples reach (calibrated the same way)."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return float(data.get("in_topic_threshold", 1.0))


@cache
def in_topic_lead() -> float:
    """For a message the NLU placed in a topic: an entry from the ordinary threshold answers instead
    when it leads the second-best entry by this much (the message is about that one entry and none of
    its neighbours, which fewer than 1 % of the topics' own training examples are; calibrated the
    same way). Catches a question the NLU sent confidently into a topic although an entry fits it."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return float(data.get("in_topic_lead", 1.0))


@cache
def margin() -> float:
    """How far the best entry must lead the second best to answer on its own."""
    return float(json.loads(CALIBRATION.read_text(encoding="utf-8")).get("margin", 0.0))


@cache
def offer_floor() -> float:
    """Below this score an entry is not even offered as a button (it would be noise)."""
    return float(json.loads(CALIBRATION.read_text(encoding="utf-8"))["offer_floor"])


@dataclass
class Decision:
    """`answer`: the entry to answer with (None: no entry is close enough); `closest`: the best
    entries, best first, with their scores (for buttons and for staff reports)."""

    answer: index.Match | None
    closest: list[index.Match] = field(default_factory=list)

    @property
    def offered(self) -> list[index.Match]:
        return [m for m in self.closest if m.score >= offer_floor()][:OFFERED]


def decide(
    text: str | None, url: str | None = None, minimum: float | None = None, learned: bool = True
) -> Decision:
    """Match a message against the published entries. A button payload ("/intent{...}"), an empty
    message or an unavailable knowledge base gives no match (never an error). `minimum`: the score
    needed to answer (default: the calibrated threshold); `learned` False: scores without the
    classifier."""
    if not text or not text.strip() or text.startswith("/"):
        return Decision(None)
    named = countries.named(text)
    try:
        closest = index.lookup(
            text,
            k=OFFERED + FACET_RIVALS + (COUNTRY_RIVALS if named else 0),
            url=url,
            learned=learned,
        )
    except SQLAlchemyError:
        logger.exception("questions and answers unavailable")
        return Decision(None)
    if named:
        closest = country_preferred(named, closest)
    closest = facet_preferred(text, closest)[: max(OFFERED, 2)]
    return Decision(
        judge(closest, minimum)
        or facet_decides(text, closest, minimum)
        or country_decides(named, closest, minimum),
        closest,
    )


# The country a message names (bot/faq/countries.yml: "can Germans come without a visa?", "je suis
# allemand", "독일 사람") chooses among the entries close to it: an entry whose English answer names that
# country (the 30-day list names Germany) answers before one that names other countries only (the USA's
# entry), which does not answer the message at all. An answer naming more than COUNTRY_SPECIFIC countries is
# a list, not about those countries: it stays a candidate for a country it does not name (the list is the
# answer to "is India on it?"); so does an answer whose own questions rarely name its countries (less than
# COUNTRY_ASKED of them: `about_countries`). A candidate naming the country, on the best entry's subject and within
# COUNTRY_LEAD of its score, takes the best's place and score (the best takes its score), as for what is
# asked (`facet_preferred`); COUNTRY_RIVALS more entries are looked up so that it is among them.
COUNTRY_SPECIFIC = 3
COUNTRY_ASKED = 0.5
COUNTRY_LEAD = 0.25
COUNTRY_RIVALS = 5


def english_answer(entry: Mapping[str, Any]) -> str:
    """An entry's English answer (the text its analyses read: the countries it names, the subject it
    says)."""
    answer = entry.get("answer")
    return str((answer.get("en") if isinstance(answer, Mapping) else answer) or "")


def answer_countries(entry: Mapping[str, Any]) -> frozenset[str]:
    """The countries an entry's English answer names."""
    return countries.in_answer(english_answer(entry))


def about_countries(entry: Mapping[str, Any]) -> bool:
    """The entry is about the few countries its answer names (at most COUNTRY_SPECIFIC): at least
    COUNTRY_ASKED of its own questions name one of them ("Can Americans come without a visa?"). An
    answer that names a country in passing ("Belgian or UAE licences are exempt from the exams", asked
    without a country; the transit's count "Indonesia added") answers other nationalities too."""
    found = answer_countries(entry)
    if not found or len(found) > COUNTRY_SPECIFIC:
        return False
    return _countries_asked(str(entry.get("id")), _questions(entry), found) >= COUNTRY_ASKED


@cache
def _countries_asked(entry_id: str, questions: tuple[str, ...], found: frozenset[str]) -> float:
    """The share of an entry's questions that name one of the countries `found` (cached per entry and
    questions, like `entry_facets`)."""
    if not questions:
        return 0.0
    return sum(1 for q in questions if countries.named(q) & found) / len(questions)


def country_preferred(named: frozenset[str], closest: list[index.Match]) -> list[index.Match]:
    """`closest` without the entries about other countries only, with the closest entry that names one of
    the `named` countries first (see COUNTRY_LEAD) when the best does not name one."""
    if not named or not closest:
        return closest
    about = {m.entry_id: answer_countries(m.entry) for m in closest}

    def other_countries_only(m: index.Match) -> bool:
        found = about[m.entry_id]
        return bool(found) and not found & named and about_countries(m.entry)

    kept = [m for m in closest if not other_countries_only(m)]
    if not kept:
        return closest
    vetoed = closest[0]
    if (
        kept[0] is not vetoed
        and kept[0].entry.get("topic") == vetoed.entry.get("topic")
        and vetoed.score - kept[0].score <= COUNTRY_LEAD
    ):  # the vetoed best's place and score go to the best kept entry on its subject
        kept = [replace(kept[0], score=vetoed.score), *kept[1:]]
    best = kept[0]
    if about[best.entry_id] & named:
        return kept
    subject = best.entry.get("topic")
    fits = [
        m
        for m in kept[1:]
        if about[m.entry_id] & named
        and m.entry.get("topic") == subject
        and best.score - m.score <= COUNTRY_LEAD
    ]
    return _promoted(fits[0], kept) if fits else kept


def country_decides(
    named: frozenset[str], closest: list[index.Match], minimum: float | None = None
) -> index.Match | None:
    """The best entry when it names one of the `named` countries, reaches the threshold, and no entry
    within the margin of it names one too: an entry that does not name the country is no rival for it
    (the 30-day entry next to the list, for a German). None otherwise."""
    if not named or not closest:
        return None
    best = closest[0]
    if minimum is None:
        minimum = threshold() if best.learned else plain_threshold()
    if best.score < minimum or not answer_countries(best.entry) & named:
        return None
    lead = margin() if best.learned else plain_margin()
    rivals = [m for m in closest[1:] if best.score - m.score < lead]
    return None if any(answer_countries(m.entry) & named for m in rivals) else best


# What a message asks (its facets, bot/nlu/facets.py) chooses between entries on one subject that its
# words fit about as well: "where do I exchange my licence?" is the entry whose own questions ask where
# (driving_licence_where), not the documents' entry, which the words "exchange my licence" fit a little
# better. An entry asks a facet when at least FACET_SHARE of its questions (all languages) do; a sibling
# within FACET_LEAD of the best entry's score, among the OFFERED + FACET_RIVALS closest, takes its place
# (the closest such sibling, when several ask it).
FACET_SHARE = 0.5
# The best entry keeps its place when this share of its own questions ask it too ("한 번에 최대
# 얼마까지?", how much at most: the limits' entry, whose questions often say "how much", not the fees').
FACET_KEEP = 0.25
FACET_LEAD = 0.2
FACET_RIVALS = 2
# Facets that say too little about which entry is meant ("how do I ...", "what first").
_VAGUE_FACETS = frozenset({"steps", "order"})


def facet_preferred(text: str, closest: list[index.Match]) -> list[index.Match]:
    """`closest` with the closest entry on the best entry's subject that asks what the message asks moved
    to the front (with the best entry's score; the best takes its score), when the best does not ask it."""
    if len(closest) < 2:
        return closest
    from bot.nlu import facets as nlu_facets  # the NLU's facet words (heavy imports, only here)

    asked = {f.value for f in nlu_facets.analyse(text).facets} - _VAGUE_FACETS
    best = closest[0]
    subject = best.entry.get("topic")
    if not asked or not subject or _asks(best.entry, asked, FACET_KEEP):
        return closest
    fits = [
        m
        for m in closest[1:]
        if m.entry.get("topic") == subject
        and best.score - m.score <= FACET_LEAD
        and _asks(m.entry, asked)
    ]
    return _promoted(fits[0], closest) if fits else closest


def _promoted(chosen: index.Match, ranked: list[index.Match]) -> list[index.Match]:
    """`ranked` with `chosen` first at the best entry's score, the best taking `chosen`'s score (so a
    preference never changes the scores a decision compares, only which entry holds them)."""
    best = ranked[0]
    rest = sorted(
        [replace(best, score=chosen.score), *(m for m in ranked[1:] if m is not chosen)],
        key=lambda m: m.score,
        reverse=True,
    )
    return [replace(chosen, score=best.score), *rest]


def facet_decides(
    text: str, closest: list[index.Match], minimum: float | None = None
) -> index.Match | None:
    """The best entry when it reaches the threshold and only siblings (same subject) that do not ask
    what the message asks come within the margin of it: what is asked tells them apart, so the message
    is not ambiguous between them ("Wo kann ich meinen Führerschein umtauschen?": where, not which
    documents). None otherwise."""
    if not closest:
        return None
    best = closest[0]
    if minimum is None:
        minimum = threshold() if best.learned else plain_threshold()
    if best.score < minimum or not best.entry.get("topic"):
        return None
    from bot.nlu import facets as nlu_facets

    asked = {f.value for f in nlu_facets.analyse(text).facets} - _VAGUE_FACETS
    if not asked or not _asks(best.entry, asked):
        return None
    lead = margin() if best.learned else plain_margin()
    rivals = [m for m in closest[1:] if best.score - m.score < lead]
    subject = best.entry.get("topic")
    if all(m.entry.get("topic") == subject and not _asks(m.entry, asked) for m in rivals):
        return best
    return None


def asks_another_facet(entry: Mapping[str, Any], text: str | None) -> bool:
    """The entry is about facets (most of its own questions ask one: "비자 연장은 며칠 걸리나요?",
    the processing time) and the message asks others, none of which its questions ask (FACET_KEEP):
    "비자 연장은 어디서 해요?" (where) and "ビザの延長はいくらかかりますか？" (the fee) come close to the
    processing-time entry by their words, but it does not answer them; the topic's own records do (or
    say they do not hold the fact)."""
    if not text:
        return False
    from bot.nlu import facets as nlu_facets

    asked = {f.value for f in nlu_facets.analyse(text).facets} - _VAGUE_FACETS
    if not asked:
        return False
    # "How long" asks a processing time, a validity or a deadline alike ("¿en cuánto tiempo?" after
    # "must my employer register me for social insurance?" asks the 30 days the entry's questions ask
    # as a deadline): one of them counts for the others.
    if asked & ({"processing_time"} | nlu_facets.ABSORB_HOW_LONG):
        asked |= {"processing_time"} | nlu_facets.ABSORB_HOW_LONG
    shares = question_facets(entry)
    about = {f for f, share in shares.items() if share >= FACET_SHARE} - _VAGUE_FACETS
    return bool(about) and not _asks(entry, asked, FACET_KEEP)


def question_facets(entry: Mapping[str, Any]) -> dict[str, float]:
    """The share of the entry's own questions (every language) that ask each facet: what kind of fact
    its answer gives ("how long does a visa extension take?": processing_time)."""
    return entry_facets(str(entry.get("id")), _questions(entry))


def _asks(entry: Mapping[str, Any], asked: set[str], share: float | None = None) -> bool:
    """At least `share` (default FACET_SHARE) of the entry's own questions ask one of the facets `asked`."""
    shares = question_facets(entry)
    least = FACET_SHARE if share is None else share
    return any(shares.get(f, 0.0) >= least for f in asked)


def _questions(entry: Mapping[str, Any]) -> tuple[str, ...]:
    found = entry.get("questions") or {}
    if not isinstance(found, Mapping):
        return ()
    return tuple(str(q) for qs in found.values() if isinstance(qs, list) for q in qs)


@cache
def entry_facets(entry_id: str, questions: tuple[str, ...]) -> dict[str, float]:
    """The share of an entry's questions that ask each facet (cached per entry and questions: a staff
    edit of the questions is read again). Not to be changed by callers."""
    from bot.nlu import facets as nlu_facets

    if not questions:
        return {}
    counts: dict[str, int] = {}
    for q in questions:
        for value in {f.value for f in nlu_facets.analyse(q).facets}:
            counts[value] = counts.get(value, 0) + 1
    return {f: n / len(questions) for f, n in counts.items()}


def names_other_service(entry: Mapping[str, Any], text: str | None) -> bool:
    """The message names a service of a topic page (the gazetteer's `service` words: "permis de
    travail", "permiso de trabajo", "ВНЖ") that none of the questions of an entry on a subject no topic
    page answers (driving, money, ...) name: "Quels documents pour le permis de travail ?" shares
    "documents" and "permis" with the driving-licence documents' entry but asks the work permit's. An
    entry whose questions name the service (social insurance for work-permit holders, a bank account
    with a residence permit) still answers."""
    if not text or entry.get("topic") in TOPIC_SUBJECTS:
        return False
    from bot.knowledge.kinds import procedures
    from bot.nlu import facets as nlu_facets
    from bot.nlu import gazetteer

    questions = _questions(entry)
    own = entry_services(str(entry.get("id")), questions)
    words = _entry_terms(str(entry.get("id")), questions)
    # Only when the entry's questions use the service's own words for something else ("permis" of a
    # driving licence) and the message shares nothing else with them than those and the words of what
    # is asked ("documents"): a service told beside the question ("do I pay tax if I have a residence
    # permit?", "tax residence") leaves the entry its subject.
    found = gazetteer.find_entities(text, {"service"})
    if not found or any(m.value in own for m in found):
        return False
    if not any(procedures.terms(m.text) & words for m in found):
        return False
    rest = text
    for m in sorted([*found, *nlu_facets.analyse(text).facets], key=lambda m: -m.start):
        rest = rest[: m.start] + " " + rest[m.end :]
    return not procedures.terms(rest) & words


def _services_named(text: str) -> frozenset[str]:
    from bot.nlu import gazetteer

    return frozenset(m.value for m in gazetteer.find_entities(text, {"service"}))


@cache
def _entry_terms(entry_id: str, questions: tuple[str, ...]) -> frozenset[str]:
    """The procedure-ranking terms of the entry's own questions (cached like `entry_facets`)."""
    from bot.knowledge.kinds import procedures

    found: set[str] = set()
    for q in questions:
        found |= procedures.terms(q)
    return frozenset(found)


@cache
def entry_services(entry_id: str, questions: tuple[str, ...]) -> frozenset[str]:
    """The services the entry's own questions name (cached per entry and questions, like
    `entry_facets`)."""
    found: set[str] = set()
    for q in questions:
        found |= _services_named(q)
    return frozenset(found)


# Subjects of entries (their `topic:`) that one of the assistant's topic pages also answers: visas,
# permits, registration and exit-entry offices (`immigration`), hospitals (`health`). The others
# (money, phone, driving, social insurance, tax) have no topic page.
TOPIC_SUBJECTS = frozenset({"immigration", "health"})


def decide_in_topic(text: str | None, url: str | None = None) -> Decision:
    """`decide` for a message the NLU placed in a topic, on the scores without the classifier (see
    `plain_threshold` and `judge_in_topic`)."""
    decision = decide(text, url=url, minimum=in_topic_threshold(), learned=False)
    if decision.answer or not decision.closest:
        return decision
    return Decision(judge_in_topic(decision.closest), decision.closest)


def outside_topics(
    text: str | None, url: str | None = None, *, clearly: bool = True
) -> Decision | None:
    """The ordinary decision (with the classifier) when it answers with an entry on a subject that no
    topic page answers, clearly: its score reaches the threshold plus the margin. The NLU's topic of
    such a message ("유심 어디서 사요?" as find_service_point, "위챗페이에 한국 카드 ... 수수료" as
    permanent residence) is only the nearest wrong one, so the higher in-topic bar, which keeps an entry
    near a topic's own question from answering it, does not apply; below threshold plus margin, the
    topic answers as before ("wie viel kostet der Daueraufenthalt", 0.77, stays permanent residence
    rather than the cash limit). Entries on one subject about as close as each other ("¿Tengo que pagar
    seguro social en China?": who pays 0.85, the agreements 0.86) are no reason to answer with the
    topic (the permanent residence's fees): the best of them answers (`best_of_siblings`). Generic questions ("¿qué documentos necesito?") can come close to an
    entry too, so callers use it for a complete question that starts a subject (not a follow-up on the
    topic in context). `clearly=False`: the ordinary threshold alone, for a message whose topic is only
    "a service point" with no service or place named ("유심은 어디서 사요?", 0.78), where the topic's
    answer would be the offices for foreigners in general. None otherwise."""
    decision = decide(text, url=url)
    bar = threshold() + (margin() if clearly else 0.0)
    best = decision.answer or best_of_siblings(decision.closest, bar, margin())
    if best is None or best.entry.get("topic") in TOPIC_SUBJECTS:
        return None
    if best.score < bar:
        return None
    return replace(decision, answer=best)


def best_of_siblings(closest: list[index.Match], minimum: float, lead: float) -> index.Match | None:
    """The best entry when it reaches `minimum` and every entry within `lead` of it is about the
    same subject (its `topic:`); None otherwise."""
    if not closest or closest[0].score < minimum:
        return None
    best = closest[0]
    rivals = [m for m in closest[1:] if best.score - m.score < lead]
    subject = best.entry.get("topic")
    return best if subject and all(m.entry.get("topic") == subject for m in rivals) else None


# A follow-up on an entry's answer ("are there any fees?" after binding a card to Alipay): the entries on
# the same subject (`topic:`), the one answered among them, scored on the follow-up's words alone; an entry of
# the same family (the id's first word: `mobile_payment_*`, `newborn_*`) gains this much, and none answers
# below FOLLOW_UP_FLOOR (the words of a short follow-up score low against every entry).
FOLLOW_UP_FAMILY_BONUS = 0.1
FOLLOW_UP_FLOOR = 0.2
# The entry answered last gains a little more: a follow-up that fits it about as well as a sibling asks
# more of the same answer ("und wie viele muss ich richtig haben?" after the theory test's question count,
# not the licence exchange's documents, 0.30 against 0.31); a sibling that fits clearly better still wins
# ("are there any fees?" after binding a card: the fees entry, 0.53 against less than 0.39).
FOLLOW_UP_SELF_BONUS = 0.03
# An entry whose own questions ask what the follow-up asks (its facet words: "뭘 가져가야 돼요?" asks the
# documents) gains this much: a short follow-up's facet tells the entries on a subject apart better than
# its few words' similarity does (after where to exchange a driving licence, the documents' entry, not the
# exam exemptions'). The entry answered last gains it when its own answer speaks of what is asked
# (`answer_facets`), not for its questions, whose facet was just answered.
FOLLOW_UP_FACET_BONUS = 0.15


def follow_up_entry(
    text: str | None, entry: Mapping[str, Any], url: str | None = None
) -> index.Match | None:
    """The entry that answers `text`, a follow-up on `entry`'s answer: the best of the entries on
    `entry`'s subject (itself included: its answer may hold the fact asked again), scored without the
    classifier on the follow-up's words alone, those of `entry`'s family first and `entry` itself on a
    near tie. None: nothing fits."""
    subject = entry.get("topic")
    if not text or not text.strip() or text.startswith("/") or not subject:
        return None
    try:
        closest = index.lookup(text, k=FOLLOW_UP_CANDIDATES, url=url, learned=False)
    except SQLAlchemyError:
        logger.exception("questions and answers unavailable")
        return None
    family = str(entry.get("id", "")).split("_", 1)[0]
    from bot.nlu import facets as nlu_facets  # the NLU's facet words (heavy imports, only here)

    asked = {f.value for f in nlu_facets.analyse(text).facets} - _VAGUE_FACETS

    # The entry in context's own answer speaks of what is asked (`answer_facets`).
    holds = bool(asked & answer_facets(str(entry.get("id", "")), english_answer(entry)))

    def score(m: index.Match) -> float:
        same_family = m.entry_id.split("_", 1)[0] == family
        itself = m.entry_id == entry.get("id")
        fits = holds if itself else bool(asked) and _asks(m.entry, asked)
        return (
            m.score
            + (FOLLOW_UP_FAMILY_BONUS if same_family else 0.0)
            + (FOLLOW_UP_SELF_BONUS if itself else 0.0)
            + (FOLLOW_UP_FACET_BONUS if fits else 0.0)
        )

    ranked = sorted(
        (m for m in closest if m.entry.get("topic") == subject), key=score, reverse=True
    )
    if not ranked:
        return None
    best = ranked[0]
    # "how much?" scores low against every entry; it still asks the answer in context for a fact it
    # speaks of.
    itself = best.entry_id == entry.get("id")
    return best if best.score >= FOLLOW_UP_FLOOR or (itself and holds) else None


@cache
def answer_facets(entry_id: str, answer: str) -> frozenset[str]:
    """The facets an entry's English answer speaks of, read with the NLU's facet words (cached per entry
    and answer). The entry answered last gains the facet bonus for a follow-up asking one of them: "is
    it free?" after where to buy a SIM card, whose answer says there is no handling fee, asks more of
    that answer, not of the entry on how many cards a passport allows (whose questions say "how many")."""
    from bot.nlu import facets as nlu_facets

    return frozenset(f.value for f in nlu_facets.analyse(answer).facets) if answer else frozenset()


# Every entry is scored for a follow-up (a few hundred at most: one matrix product).
FOLLOW_UP_CANDIDATES = 1000


def judge_in_topic(closest: list[index.Match]) -> index.Match | None:
    """The entry that answers instead of the NLU's topic, from the closest entries (best first, scores
    without the classifier): the best one when it reaches the in-topic threshold and leads the next by
    the plain margin; or reaches the plain threshold and leads by the in-topic lead; or reaches the
    in-topic threshold and every entry within the plain margin of it is about the same subject (its
    `topic:`, e.g. three driving-licence entries for "how do I switch to a Chinese licence?", which the
    NLU's nearest topic, work permits, does not answer): the best of siblings answers rather than a
    topic the message is not about."""
    if not closest:
        return None
    answer = judge(closest, minimum=in_topic_threshold())
    if answer is None and len(closest) > 1:
        answer = judge(closest, minimum=plain_threshold(), lead=in_topic_lead())
    if answer is None:
        answer = best_of_siblings(closest, in_topic_threshold(), plain_margin())
    return answer


def judge(
    closest: list[index.Match], minimum: float | None = None, lead: float | None = None
) -> index.Match | None:
    """The entry that answers, from the closest entries (best first): the best one when it reaches
    `minimum` (default: the calibrated threshold, or the plain one for scores without the classifier)
    and leads the next one by `lead` (default: the calibrated margin, or the plain one)."""
    if not closest:
        return None
    best = closest[0]
    if minimum is None:
        minimum = threshold() if best.learned else plain_threshold()
    if best.score < minimum:
        return None
    needed_lead = (margin() if best.learned else plain_margin()) if lead is None else lead
    if len(closest) > 1 and best.score - closest[1].score < needed_lead:
        return None
    return best
