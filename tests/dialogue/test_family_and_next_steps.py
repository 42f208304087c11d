"""Procedure facets of issue 13 (helper ans13za, tenth session): a family member's residence permit
(bot/dialogue/family_words.py), "and for my wife?" follow-ups, the steps after the one named ("what comes
after the medical check?"), the residence permit itself before the medical examination done for it, and
a facet question the NLU could not place that names one topic's service."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, family_words, newcomer_words
from bot.dialogue.asked import Question
from bot.dialogue.context import Context


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (
            "Quels documents pour le titre de séjour de mon enfant ? Je travaille à Pékin.",
            "private_affairs",
        ),
        (
            "Какие документы нужны на ВНЖ для жены иностранца, который работает в Пекине?",
            "private_affairs",
        ),
        ("Welche Unterlagen braucht mein Kind für die Aufenthaltserlaubnis?", "private_affairs"),
        ("Can my wife apply for a residence permit? I work in Beijing.", "private_affairs"),
        ("제 아내는요?", "private_affairs"),
        ("남편이 중국인이에요. 같이 살려면 거류허가 서류는 뭐가 필요해요?", "family"),
        ("¿Qué documentos necesita mi esposa? Yo soy chino.", "family"),
        ("my husband's residence permit, he is married to a permanent resident", "family"),
        ("what documents for the family reunion residence permit for my wife?", "family"),
    ],
)
def test_the_permit_a_family_member_needs(text: str, wanted: str) -> None:
    assert family_words.permit_type_for_family(text) == wanted


@pytest.mark.parametrize(
    "text",
    [
        "how much is a work residence permit?",
        "가족 동거 거류허가 2년짜리 얼마예요",  # "family" names the family-reunion type, not a person
        "家族と暮らすための居留許可、2年だといくら？",
        "大丈夫ですか？",
    ],
)
def test_no_family_member_no_type(text: str) -> None:
    assert family_words.permit_type_for_family(text) is None


def test_a_residence_permit_question_for_a_child_asks_the_private_affairs_permit(
    use_kb: str,
) -> None:
    q = Question(
        "residence_permit",
        "Quels documents pour le titre de séjour de mon enfant ? Je travaille à Pékin.",
        facets=("documents",),
        filters={"permit_type": "work"},
    )
    turn = asked.answer_question(q, Context(), lang="fr")
    assert turn is not None
    assert turn.context.procedures[0] == "residence_permit_private_affairs"


def test_and_for_my_wife_after_a_work_permit_fact_gives_the_same_fact_of_her_permit(
    use_kb: str,
) -> None:
    ctx = Context(
        intent="residence_permit",
        procedures=["residence_permit_work"],
        filters={"permit_type": "work"},
        facet="documents",
    )
    turn = asked.follow_up(Question("follow_up", "and for my wife?"), ctx)
    assert turn.context.procedures == ["residence_permit_private_affairs"]
    assert "S1" in turn.answer.replies[0].text or "Family visit" in turn.answer.replies[0].text
    # Her permit's validity is not in the sources: said honestly, not the medical certificate's.
    again = asked.follow_up(
        Question("follow_up", "how long is it valid?", facets=("validity",)), turn.context
    )
    assert "6 months" not in again.answer.replies[0].text
    assert "12367" in again.answer.replies[0].text


@pytest.mark.parametrize(
    "text",
    [
        "What comes after the medical check?",
        "und was kommt danach?",
        "다음 단계는?",
        "体检之后下一步办什么？",
    ],
)
def test_next_words(text: str) -> None:
    assert newcomer_words.asks_next(text)


def test_what_comes_after_the_medical_check_gives_the_steps_after_it(use_kb: str) -> None:
    q = Question("healthcare", "What comes after the medical check?", facets=("order",))
    turn = asked.answer_question(q, Context())
    assert turn is not None
    text = turn.answer.replies[0].text
    assert text.startswith("3.") and "Work Permit" in text
    assert "Medical examination" not in text.split("\n")[0]
    assert turn.context.procedures[0] == "work_permit"


def test_and_what_next_after_the_steps_goes_on_after_the_first(use_kb: str) -> None:
    first = asked.answer_question(
        Question("visa", "I just arrived in Beijing, what do I do first?", facets=("order",)),
        Context(),
    )
    assert first is not None
    turn = asked.follow_up(
        Question("follow_up", "and what next?", facets=("order",)), first.context
    )
    assert turn.answer.replies[0].text.startswith("2.")
    assert "24 hours" not in turn.answer.replies[0].text


def test_the_permit_itself_before_the_medical_examination_for_it(use_kb: str) -> None:
    ctx = Context(
        intent="residence_permit",
        procedures=["medical_examination_residence_permit", "work_permit", "residence_permit_work"],
        facet="order",
    )
    q = Question(
        "residence_permit", "and the deadline for the residence permit?", facets=("deadline",)
    )
    turn = asked.follow_up(q, ctx)
    assert "30 days" in turn.answer.replies[0].text
    assert "Medical examination" not in turn.answer.replies[0].text


def test_an_unplaced_question_naming_a_service_and_a_type(use_kb: str) -> None:
    q = Question(
        "nlu_fallback",
        "Innerhalb wie vieler Tage nach der Einreise muss ich die Aufenthaltserlaubnis für Arbeit beantragen?",
        facets=("deadline",),
    )
    placed = asked.with_named_topic(q)
    assert placed.intent == "residence_permit"
    assert placed.filters.get("permit_type") == "work"


def test_a_cut_list_item_keeps_its_web_address() -> None:
    item = (
        "1. Préparez les documents ; les demandes passent par le « Système de service pour les "
        "étrangers travaillant en Chine » (https://fwp.safea.gov.cn)."
    )
    cut = asked._cut_item(item, 70)
    assert len(cut) <= 72 and cut.endswith("(https://fwp.safea.gov.cn)")
