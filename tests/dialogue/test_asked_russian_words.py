"""Russian words for procedures and places as expats write them (issue 13, answers_dev30): the topic's own
service words choose no procedure of it, a service named under healthcare, a fine asked after a procedure,
"how many days" of a procedure that holds a validity only, a campus chosen by the district. On the real
knowledge base (the session's copy of knowledge/); facts are copied from knowledge/*.yml."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.dialogue import asked
from bot.dialogue.answers import Answer
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.dialogue.place_words import offices_named
from bot.nlu import gazetteer

NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def all_text(answer: Answer) -> str:
    return "\n".join(r.text for r in answer.replies)


def test_the_words_of_the_topics_own_service_are_left_out() -> None:
    text = "за сколько дней до окончания вида на жительство подавать на продление"
    left = asked.without_service_words(text, "residence_permit")
    assert "вида на жительство" not in left and "продление" in left
    assert asked.without_service_words(text, "visa_extension") == text


def test_a_residence_permit_in_the_genitive_is_not_the_medical_examination() -> None:
    """The genitive "вида на жительство" is also in the medical examination's Russian title ("… для вида на
    жительство"): the renewal deadline asked is the residence permit's (30 days before it expires)."""
    text = "за сколько дней до окончания вида на жительство подавать на продление"
    q = Question("residence_permit", text, facets=("deadline",))
    turn = asked.answer_question(q, Context(), lang="ru", now=NOW, faq_first=False)
    assert turn is not None
    assert "medical_examination_residence_permit" not in turn.context.procedures
    assert "30" in all_text(turn.answer)


def test_the_medical_examination_named_by_its_russian_word_under_healthcare() -> None:
    q = Question("healthcare", "сколько стоит медосмотр", facets=("fee",))
    turn = asked.answer_question(q, Context(), lang="ru", now=NOW, faq_first=False)
    assert turn is not None
    assert turn.context.procedures == ["medical_examination_residence_permit"]
    assert "60" in all_text(turn.answer) and "650" in all_text(turn.answer)


def test_how_many_days_of_the_transit_is_its_validity() -> None:
    q = Question("visa", "безвиз 240 часов это сколько дней", facets=("processing_time",))
    turn = asked.answer_question(q, Context(), lang="ru", now=NOW, faq_first=False)
    assert turn is not None
    text = all_text(turn.answer)
    assert "10" in text and "240" in text


def test_beside_other_facets_no_validity_is_added() -> None:
    """Steps and a processing time asked of the visa extension: its steps (with the 7 days), no validity
    pushing them out of the turn."""
    proc = asked.names.record("procedures", "visa_stay_extension")
    assert proc is not None
    assert asked._duration_instead("procedures", proc, ["steps", "processing_time"], "ru") == ()
    assert asked._duration_instead("procedures", proc, ["processing_time"], "ru") == ("validity",)


def test_a_fine_asked_after_the_registration_is_its_entry() -> None:
    first = Question(
        "accommodation_registration",
        "регистрация по месту жительства за сколько часов",
        facets=("deadline",),
    )
    turn = asked.answer_question(first, Context(), lang="ru", now=NOW, faq_first=False)
    assert turn is not None and turn.context.procedures == ["accommodation_registration"]
    fine = asked.follow_up(Question("follow_up", "а штраф какой"), turn.context, lang="ru", now=NOW)
    # "2,000" in English, "2 000" in the entry's Russian translation.
    assert "2000" in re.sub(r"[\s,.]", "", all_text(fine.answer))


def test_a_campus_named_with_its_district_is_the_one_there() -> None:
    q = Question(
        "international_school",
        "адрес Британской школы Пекина в Шуньи",
        facets=("address",),
        filters={"district": "shunyi"},
    )
    turn = asked.answer_question(q, Context(), lang="ru", now=NOW, faq_first=False)
    assert turn is not None
    assert turn.context.ids == ["british_school_of_beijing_shunyi"]
    assert "An Hua" in all_text(turn.answer)


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("ЦОН на люлицяо в субботу до скольки", "service", "citizen_services"),
        ("виза по прилету в шоуду телефон", "service", "port_visa"),
        ("постоянка сколько стоит", "service", "permanent_residence"),
        ("резидентская виза по работе", "service", "residence_permit"),
        ("карта талантов", "service", "talent_services"),
    ],
)
def test_russian_words_for_services(text: str, entity: str, value: str) -> None:
    assert value in {m.value for m in gazetteer.find_entities(text, {entity})}


@pytest.mark.parametrize(
    "text",
    ["иммиграционная служба в Чаояне", "отдел въезда-выезда в Тунчжоу", "отдел въезда и выезда"],
)
def test_russian_words_for_the_exit_entry_halls(text: str) -> None:
    assert offices_named(text) == {"exit_entry_hall"}


def test_who_may_get_pr_read_as_a_wish_for_a_person_is_the_eligibility() -> None:
    q = Question("human_handoff", "пмж кто может получить", facets=("eligibility",))
    turn = asked.handoff_fact_turn(q, lang="ru", now=NOW)
    assert turn is not None and turn.context.procedures == ["permanent_residence"]
    assert "4" in all_text(turn.answer)


def test_a_wish_for_a_person_naming_no_service_gets_no_fact() -> None:
    q = Question("human_handoff", "кто может мне помочь", facets=("eligibility",))
    assert asked.handoff_fact_turn(q, lang="ru", now=NOW) is None
