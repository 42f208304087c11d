"""Arabic questions of the fourteenth session's translation probe (bench/data/answers_dev48.yml) that
named a procedure without its title (bot/dialogue/asked.py), on the real knowledge base. Facts checked
are copied from knowledge/*.yml and knowledge/translations/ar/."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import asked
from bot.dialogue.answers import Answer
from bot.dialogue.asked import Question
from bot.dialogue.context import Context

# A Wednesday morning in Beijing.
NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def all_text(answer: Answer) -> str:
    return "\n".join(r.text for r in answer.replies)


def test_a_permit_type_word_names_the_procedure_of_that_type() -> None:
    # "how many days does the residence permit for students take?": the study permit's processing
    # time (knowledge/translations/ar/procedures.yml: "7 أيام عمل"), not the entry on visa pages.
    q = Question(
        "residence_permit",
        "كم يوم ياخذ تصريح الإقامة للطلاب؟",
        facets=("processing_time",),
        filters={"permit_type": "study"},
    )
    assert asked._names_a_procedure(q)
    turn = asked.answer_question(q, Context(), lang="ar", now=NOW)
    assert turn is not None
    assert "7 أيام عمل" in all_text(turn.answer)
    # No type said: no procedure of the topic is named by it.
    untyped = Question(
        "residence_permit", "كم يوم ياخذ تصريح الإقامة؟", facets=("processing_time",)
    )
    assert not asked._names_a_procedure(untyped)


def test_a_service_named_by_gazetteer_words_under_healthcare_gives_its_places() -> None:
    # Egyptian "how do I book an appointment for the residence medical check?" read as healthcare: the
    # health-check centre's booking (knowledge/service_points.yml beijing_ithcc), not hospitals.
    q = Question(
        "healthcare", "ازاي أحجز ميعاد للكشف الطبي بتاع الإقامة؟", facets=("steps", "booking")
    )
    turn = asked.answer_question(q, Context(), lang="ar", now=NOW, faq_first=False)
    assert turn is not None
    assert "beijingithc.org.cn/yuyue" in all_text(turn.answer)
    assert turn.context.ids == ["beijing_ithcc"]


@pytest.mark.parametrize(
    ("text", "kind", "record"),
    [
        ("ما اللغات التي يتحدثها الموظفون في مستشفى أوايسس الدولي؟", "hospitals", "oasis"),
        ("مركز خدمات الحكومة يشتغل السبت؟", "service_points", "beijing_government_service_center"),
    ],
)
def test_arabic_spellings_of_record_names(text: str, kind: str, record: str) -> None:
    # knowledge/hospitals.yml and knowledge/service_points.yml aliases.
    named = asked.named_records(text)
    assert named is not None and named[0] == kind
    assert any(record in str(r["id"]) for r in named[1])
