"""A newcomer asking what to do first (bot/dialogue/newcomer_words.py): the newcomers' steps in order,
whatever topic the NLU read in the arrival words, in the nine languages."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, newcomer_words
from bot.dialogue.asked import Question
from bot.dialogue.context import Context

# (intent the NLU gave in a trial on main, message): each used to get the 240-hour transit's, the port
# visa's or the work permit's page.
NEWCOMERS = [
    ("visa", "just landed in Beijing with a work visa, what are the first steps?"),
    ("visa", "I'm new in Beijing, what should I do first?"),
    ("work_permit", "我刚到北京工作，先要办什么？"),
    ("visa", "北京に来たばかりです。まず何をすればいいですか？"),
    ("visa", "베이징에 막 도착했는데 뭐부터 해야 하나요?"),
    ("work_permit", "Я только что приехал в Пекин на работу, что делать в первую очередь?"),
    ("work_permit", "Je viens d'arriver à Pékin pour travailler, par quoi commencer ?"),
    ("visa", "Ich bin neu in Peking, was muss ich zuerst machen?"),
    ("work_permit", "Acabo de llegar a Pekín para trabajar, ¿qué hago primero?"),
    ("visa", "وصلت للتو إلى بكين للعمل، ماذا أفعل أولاً؟"),
]


@pytest.mark.parametrize(("intent", "text"), NEWCOMERS)
def test_a_newcomer_asking_what_first_gets_the_newcomers_steps(
    use_kb: str, intent: str, text: str
) -> None:
    assert newcomer_words.is_newcomer(text)
    q = Question(intent, text, facets=("order",))
    turn = asked.answer_question(q, Context())
    assert turn is not None
    assert turn.context.facet == "order" and len(turn.context.procedures) >= 3
    assert "24" in turn.answer.replies[0].text


@pytest.mark.parametrize(
    ("intent", "text", "procedure"),
    [
        ("visa", "240 hour transit: I just landed, what do I do first?", "visa_free_transit_240h"),
        (
            "lost_passport",
            "I just arrived and lost my passport, what do I do first?",
            "lost_passport",
        ),
        (
            "visa",
            "Je viens d'arriver, je veux prolonger mon visa, par quoi commencer ?",
            "visa_stay_extension",
        ),
    ],
)
def test_a_newcomer_naming_a_procedure_gets_its_own_steps(
    use_kb: str, intent: str, text: str, procedure: str
) -> None:
    turn = asked.answer_question(Question(intent, text, facets=("order",)), Context())
    assert turn is not None and turn.context.procedures[0] == procedure


def test_newcomer_words_need_a_first_steps_question() -> None:
    assert not newcomer_words.asks_first_steps("I just arrived, where is the nearest hospital?", ())
    assert not newcomer_words.asks_first_steps("what do I do first?", ("order",))
    assert not newcomer_words.is_newcomer("ich gehe gerade nach Hause")
    assert "베이징" not in newcomer_words.without_newcomer("베이징에 막 도착했는데")
