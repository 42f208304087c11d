"""A question for a fine or a penalty (bot/dialogue/word_lists.py): the entries on fines answer it at the
ordinary bar, whatever topic the NLU read in its other words."""

from __future__ import annotations

import re

import pytest

from bot.dialogue import asked, word_lists
from bot.dialogue.asked import Question
from bot.dialogue.context import Context


@pytest.mark.parametrize(
    "text",
    [
        "what is the fine for overstaying?",
        "罚款多少",
        "罰金はいくらですか",
        "벌금 얼마예요?",
        "какой штраф?",
        "quelle amende ?",
        "Welche Strafe droht?",
        "¿cuál es la multa?",
        "ما هي الغرامة؟",
    ],
)
def test_penalty_words_in_nine_languages(text: str) -> None:
    assert word_lists.asks_penalty(text)


@pytest.mark.parametrize(
    "text", ["I'm fine, thanks", "how much is the residence permit?", "Strand"]
)
def test_no_penalty_in_ordinary_words(text: str) -> None:
    assert not word_lists.asks_penalty(text)


def test_a_fine_asked_under_a_procedure_topic_gets_the_entry(use_kb: str) -> None:
    """ "Ich habe vergessen meine Wohnung bei der Polizei anzumelden, welche Strafe droht?" read as
    accommodation registration: the late-registration fine (CNY 2,000), not the 24-hour page."""
    text = "Ich habe vergessen meine Wohnung bei der Polizei anzumelden, welche Strafe droht?"
    turn = asked.answer_question(Question("accommodation_registration", text), Context(), lang="de")
    assert turn is not None
    # "2,000" in English, "2.000" in the entry's German translation.
    assert "2000" in re.sub(r"[\s,.]", "", "\n".join(r.text for r in turn.answer.replies))
