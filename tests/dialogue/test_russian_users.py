"""Russian-speaking users as they type (bench/data/answers_dev41.yml): telegraphic questions read under
another topic, colloquial facet words, the family member a permit is asked for, generic verbs that must
not decide which procedure is meant."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, family_words
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.knowledge.kinds import procedures
from bot.nlu import facets as nlu_facets


def _text(turn: asked.Turn | None) -> str:
    assert turn is not None
    return "\n".join(r.text for r in turn.answer.replies)


@pytest.mark.parametrize("text", ["ВНЖ цена", "цена ВНЖ"])
def test_a_service_named_under_healthcare_is_that_topic(use_kb: str, text: str) -> None:
    # The classifier reads "ВНЖ цена" as healthcare; the words name the residence permit only.
    q = Question("healthcare", text, ("fee",))
    text_out = _text(asked.answer_question(q, Context(), lang="ru"))
    assert "400" in text_out
    assert "Hospital" not in text_out


def test_a_medical_need_keeps_the_hospitals(use_kb: str) -> None:
    q = Question("healthcare", "ВНЖ цена", ("fee",), None, {"medical_need": "dentist"})
    assert asked._service_topic_turn(q, "ru", None) is None


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("На сколько выдают учебный вид на жительство?", "validity"),
        ("на сколько дней дают визу?", "validity"),
        ("Что нести в полицию для регистрации?", "documents"),
        ("за сколько выдают ВНЖ?", "processing_time"),
    ],
)
def test_russian_facet_words(text: str, facet: str) -> None:
    found = {m.value for m in nlu_facets.analyse(text).facets}
    assert facet in found


@pytest.mark.parametrize(
    "text",
    [
        "Я работаю здесь по ВНЖ и хочу привезти маму надолго. Какой вид на жительство ей оформлять?",
        "Какой ВНЖ нужен моему отцу, если я работаю в Пекине?",
    ],
)
def test_a_parent_of_a_foreigner_working_here_needs_the_private_affairs_permit(text: str) -> None:
    assert family_words.permit_type_for_family(text) == family_words.PRIVATE_AFFAIRS


def test_generic_russian_verbs_do_not_pick_the_joint_application(use_kb: str) -> None:
    text = "Кто может получить разрешение на работу в Китае?"
    assert procedures.rank("work_permit", text)[0]["id"] == "work_permit"


def test_an_elliptic_question_after_a_procedure_gets_its_related_entry(use_kb: str) -> None:
    ctx = Context(intent="visa", procedures=["visa_free_transit_240h"], facet="documents")
    q = Question("visa", "а сколько стран участвует?")
    turn = asked.answer_question(q, ctx, lang="ru")
    assert turn is not None and turn.context.faq == "transit_240h_countries_ports"
    assert "54" in _text(turn)


def test_an_elliptic_question_naming_a_visa_type_still_repeats_the_fact(use_kb: str) -> None:
    ctx = Context(intent="visa", procedures=["visa_stay_extension"], facet="validity")
    q = Question("visa", "а для визы F?")
    turn = asked.answer_question(q, ctx, lang="ru")
    assert turn is not None and turn.context.faq is None


def test_a_permit_asked_for_a_parent_without_a_facet_is_the_private_affairs_permit(
    use_kb: str,
) -> None:
    q = Question("residence_permit", "папе какой ВНЖ делать, я работаю в Пекине?")
    turn = asked.summary_turn(q, lang="ru")
    assert turn is not None and turn.context.procedures[0] == "residence_permit_private_affairs"


def test_a_permit_type_named_in_a_summary_question_stays(use_kb: str) -> None:
    q = Question(
        "residence_permit",
        "Мы с женой переехали, расскажите про рабочий ВНЖ",
        (),
        None,
        {"permit_type": "work"},
    )
    turn = asked.summary_turn(q, lang="ru")
    assert turn is not None and turn.context.procedures[0] == "residence_permit_work"
