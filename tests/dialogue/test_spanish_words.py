"""Spanish as newcomers type it (issue 13, answers_dev43): a family member's word of another language read in
a Spanish word ("¿cuáles son …?": English "son"), a card that is not the permanent residence ("tarjeta de
residencia"), the conditions asked as "requisitos", and Spanish phrases for how long one may stay and who may
apply. On the real knowledge base (the session's copy of knowledge/); facts are copied from knowledge/*.yml."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import asked, family_words, newcomer_words
from bot.dialogue.answers import Answer
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.knowledge.kinds import procedures
from bot.nlu import facets as nlu_facets

NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def all_text(answer: Answer) -> str:
    return "\n".join(r.text for r in answer.replies)


@pytest.mark.parametrize(
    "text",
    [
        "cuales son los requisitos para la residencia de estudiante",
        "¿Cuáles son los documentos para el permiso de residencia de trabajo?",
        "quels sont les documents pour son titre de séjour ?",
        "what kind of residence permit do I need?",
    ],
)
def test_a_word_of_another_language_names_no_family_member(text: str) -> None:
    assert not family_words.names_family_member(text)
    assert family_words.permit_type_for_family(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "documents for my son's residence permit",
        "Que documentos necesito para la residencia? mi esposa trabaja aquí",
        "mon fils a besoin de quel titre de séjour ?",
        "Mein Kind braucht eine Aufenthaltserlaubnis",
        "제 아내 거류허가 서류",
        "妻子的居留许可",
        "документы на ВНЖ для жены",
    ],
)
def test_a_family_member_in_the_messages_own_language_is_named(text: str) -> None:
    assert family_words.names_family_member(text)


def test_the_study_permit_asked_with_cuales_son_is_the_study_permit() -> None:
    text = "cuales son los requisitos para la residencia de estudiante"
    q = Question("residence_permit", text, facets=("documents",), filters={"permit_type": "study"})
    turn = asked.answer_question(q, Context(), lang="es", now=NOW, faq_first=False)
    assert turn is not None
    assert turn.context.procedures[:1] == ["residence_permit_study"]


@pytest.mark.parametrize(
    "text",
    [
        "documentos para renovar la tarjeta de residencia",
        "¿Se puede pagar con tarjeta Visa en el hospital?",
        "how much does the residence card cost",
        "combien coûte la carte de séjour ?",
    ],
)
def test_a_card_is_not_the_permanent_residence(text: str) -> None:
    scored = procedures.rank_scored(None, text)
    assert all(s < asked.OVERRIDE_MIN for s, r in scored if r["id"] == "permanent_residence")


@pytest.mark.parametrize(
    "text",
    [
        "cuanto cuesta la tarjeta verde",
        "how much is the green card",
        "tarjeta de residente permanente",
        "How long before it expires do I renew my permanent resident ID card?",
    ],
)
def test_the_green_card_is_still_the_permanent_residence(text: str) -> None:
    assert procedures.rank_scored(None, text)[0][1]["id"] == "permanent_residence"


def test_a_card_question_is_no_permanent_residence_question() -> None:
    q = Question("residence_permit", "cuanto cuesta la tarjeta de residencia", facets=("fee",))
    turn = asked.answer_question(q, Context(), lang="es", now=NOW, faq_first=False)
    assert turn is not None
    assert "permanent_residence" not in turn.context.procedures
    assert "400" in all_text(turn.answer)


def test_requirements_of_a_procedure_without_documents_are_its_conditions() -> None:
    """The work permit holds no documents but who may apply: "requisitos" gets that (at least 18), and
    the missing documents are said."""
    text = "cuales son los requisitos para el permiso de trabajo en china"
    q = Question("work_permit", text, facets=("documents",))
    turn = asked.answer_question(q, Context(), lang="es", now=NOW, faq_first=False)
    assert turn is not None
    assert "18" in all_text(turn.answer)
    proc = asked.names.record("procedures", "work_permit")
    assert proc is not None
    assert asked._eligibility_instead("procedures", proc, ["documents"], "es") == ("eligibility",)
    assert asked._eligibility_instead("procedures", proc, ["documents", "fee"], "es") == ()
    study = asked.names.record("procedures", "residence_permit_study")
    assert study is not None
    assert asked._eligibility_instead("procedures", study, ["documents"], "es") == ()


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        (
            "quiero hacer la prorroga de mi visa de turista L, cuantos dias me pueden dar",
            "validity",
        ),
        ("Soy chileno, ¿necesito visa? ¿cuántos días puedo quedarme?", "validity"),
        ("hasta cuando dura la exencion de visado de 30 dias", "validity"),
        ("cuanto me pueden extender la visa", "validity"),
        ("¿Quiénes pueden pedir la residencia por reagrupación familiar?", "eligibility"),
        ("cuanto cuesta extender la visa", "fee"),
        ("cuantos dias tarda la residencia", "processing_time"),
        ("¿hasta cuándo abre el sábado?", "hours"),
    ],
)
def test_spanish_phrases_ask_their_facet(text: str, facet: str) -> None:
    assert [m.value for m in nlu_facets.analyse(text).facets] == [facet]


@pytest.mark.parametrize(
    "text",
    [
        "acabo de aterrizar, que tramites tengo que hacer?",
        "Recién llegué a Pekín, ¿qué hago primero?",
    ],
)
def test_spanish_newcomers_are_newcomers(text: str) -> None:
    assert newcomer_words.is_newcomer(text)
