"""Russian wordings that the English originals answer (issue 13, answers_dev46: English dev items translated as
Russian speakers type them): "how many days do I have" asks a deadline, "can my wife get …" asks who is
eligible, "what do I do after the medical check" asks the steps after it. On the real knowledge base (the
session's copy of knowledge/); facts are copied from knowledge/*.yml."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, newcomer_words
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.nlu import facets as nlu_facets


def _facets(text: str) -> set[str]:
    return {f.value for f in nlu_facets.analyse(text).facets}


@pytest.mark.parametrize(
    "text",
    [
        "я заявил об утере паспорта, сколько дней у меня есть чтобы сделать новый",
        "сколько у меня времени, чтобы зарегистрироваться?",
        "сколько часов у меня есть на регистрацию",
        "сколько дней даётся на продление после утери?",
    ],
)
def test_how_many_days_do_i_have_asks_a_deadline(text: str) -> None:
    found = _facets(text)
    assert "deadline" in found and "processing_time" not in found


def test_how_many_days_it_takes_is_still_the_processing_time() -> None:
    assert _facets("сколько дней делают рабочий ВНЖ") == {"processing_time"}


@pytest.mark.parametrize(
    "text",
    [
        "Может ли моя жена получить ВНЖ по воссоединению семьи? Я гражданин Китая.",
        "могут ли мои родители подать на визу F",
        "кому положен ВНЖ для воссоединения семьи",
        "имеет ли право мой муж на семейный ВНЖ",
    ],
)
def test_can_my_wife_get_asks_who_is_eligible(text: str) -> None:
    assert "eligibility" in _facets(text)


@pytest.mark.parametrize(
    "text",
    ["что делать после медосмотра?", "а что после медкомиссии?", "куда идти после медосмотра"],
)
def test_what_to_do_after_asks_the_next_steps(text: str) -> None:
    assert "order" in _facets(text)
    assert newcomer_words.asks_next(text)


def test_what_to_do_alone_is_still_the_steps() -> None:
    found = _facets("потерял паспорт что делать")
    assert "steps" in found and "order" not in found
    assert not newcomer_words.asks_next("потерял паспорт что делать")


def test_the_deadline_of_the_lost_passport_in_russian(use_kb: str) -> None:
    text = "я заявил об утере паспорта, сколько дней у меня есть чтобы сделать новый"
    q = Question("lost_passport", text, facets=tuple(sorted(_facets(text))))
    turn = asked.answer_question(q, Context(), lang="ru", faq_first=False)
    assert turn is not None
    reply = "\n".join(r.text for r in turn.answer.replies)
    assert "30" in reply


def test_what_comes_after_the_medical_check_in_russian(use_kb: str) -> None:
    q = Question("healthcare", "что делать после медосмотра?", facets=("order",))
    turn = asked.answer_question(q, Context(), lang="ru")
    assert turn is not None
    assert turn.context.procedures[0] == "work_permit"
    assert turn.answer.replies[0].text.startswith("3.")


def test_can_my_wife_get_the_family_permit_names_the_spouse(use_kb: str) -> None:
    text = "Может ли моя жена получить ВНЖ по воссоединению семьи? Я гражданин Китая."
    q = Question(
        "residence_permit", text, facets=("eligibility",), filters={"permit_type": "family"}
    )
    turn = asked.answer_question(q, Context(), lang="ru", faq_first=False)
    assert turn is not None
    assert "супруг" in "\n".join(r.text for r in turn.answer.replies)


@pytest.mark.parametrize(
    "text", ["документы для разрешения на работу", "какие документы нужны для разрешения на работу"]
)
def test_the_work_permit_named_in_russian_is_the_work_permit(use_kb: str, text: str) -> None:
    """ "Разрешение на работу" names the Foreigner's Work Permit as "work permit" does (a knowledge alias): its
    own facts, not the documents of the work-type residence permit, whose Russian texts mention it."""
    for intent in ("work_permit", "residence_permit"):
        q = Question(intent, text, facets=("documents",), filters={"service": "work_permit"})
        turn = asked.answer_question(q, Context(), lang="ru", faq_first=False)
        assert turn is not None
        assert turn.context.procedures[0] == "work_permit"


@pytest.mark.parametrize(
    ("text", "district"),
    [("миграционка в Шуньи телефон", "shunyi"), ("миграционная служба Тунчжоу адрес", "tongzhou")],
)
def test_an_office_kind_named_in_an_unsure_message_is_answered(
    use_kb: str, text: str, district: str
) -> None:
    """The NLU unsure of a message naming a kind of office and asking its phone or address: that kind's
    offices in the district said, not the topics to choose from (a phone is given only then: a guessed
    topic's phone could be the wrong number)."""
    facets = tuple(sorted(_facets(text)))
    q = Question("out_of_scope", text, facets=facets, filters={"district": district})
    turn = asked.out_of_scope_turn(
        q, Context(), lang="ru", unsure=True, guesses=("visa", "residence_permit")
    )
    assert turn is not None
    first = turn.answer.replies[0].text
    assert "出入境" in first and district.capitalize() in first


def test_a_phone_asked_with_no_office_kind_or_no_district_still_offers_the_topics(
    use_kb: str,
) -> None:
    for text in ("какой там номер телефона", "телефон миграционной службы"):
        q = Question("out_of_scope", text, facets=("phone",))
        turn = asked.out_of_scope_turn(q, Context(), lang="ru", unsure=True, guesses=("visa",))
        assert turn is None
