"""Hotlines asked by what they are, not by number (bot/dialogue/hotline_words.py, asked._hotline_turn)."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, hotline_words
from bot.dialogue.asked import Question


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("citizen hotline number in beijing", "12345"),
        ("北京市民服务热线是多少号", "12345"),
        ("베이징 시민 서비스 핫라인 번호 알려줘", "12345"),
        ("Wie ist die Nummer der Bürgerhotline?", "12345"),
        ("ما هو رقم خط المواطنين الساخن؟", "12345"),
        ("출입국 상담 콜센터 번호가 어떻게 되나요?", "12367"),
        ("베이징 보건 핫라인 번호", "12320"),
        ("병원 예약 전화번호 뭐예요?", "114"),
        ("病院の予約電話は何番ですか", "114"),
        ("какой номер у горячей линии для записи в больницу?", "114"),
        ("Gesundheitshotline in Peking?", "12320"),
        ("y a-t-il une ligne de police en anglais ?", "6525 5486"),
        ("Polizei-Hotline auf Englisch?", "6525 5486"),
    ],
)
def test_hotlines_are_known_by_what_they_are(use_kb: str, text: str, number: str) -> None:
    found = [r["number"] for r in hotline_words.hotlines_asked(text)]
    assert number in [n.replace("+86-10-", "") for n in found]
    assert (
        len(found) <= 2
    )  # the immigration line is listed twice (national and Beijing), never more


@pytest.mark.parametrize(
    "text",
    [
        "hospital phone number in Chaoyang",  # a hospital's phone, not the booking line
        "citizen of France, which visa?",  # a citizen, no hotline
        "health check fee",
        "OASIS 예약 전화번호",  # no hospital word: the place named answers
    ],
)
def test_other_messages_name_no_hotline(use_kb: str, text: str) -> None:
    assert hotline_words.hotlines_asked(text) == []


def test_a_hotline_named_by_what_it_is_answers_its_phone_not_a_topics_offices(use_kb: str) -> None:
    q = Question(None, "베이징 시민 서비스 핫라인 번호 알려줘", facets=("phone",))
    turn = asked.answer_named(q, lang="ko")
    assert turn is not None
    text = "\n".join(r.text for r in turn.answer.replies)
    assert "12345" in text and "12367" not in text
    assert turn.context.kind == "hotlines"
    # Its languages, asked by number.
    q = Question(None, "which languages does 12345 speak?", facets=("languages",))
    turn = asked.answer_named(q, lang="en")
    assert turn is not None and "Arabic" in "\n".join(r.text for r in turn.answer.replies)


def test_a_hotline_named_with_nothing_asked_answers_its_phone(use_kb: str) -> None:
    q = Question("healthcare", "Gesundheitshotline in Peking?")
    turn = asked.answer_named(q, lang="de")
    assert turn is not None and "12320" in "\n".join(r.text for r in turn.answer.replies)
    # A fact asked that a hotline does not hold is not read as its phone.
    q = Question("healthcare", "Gesundheitshotline, welche Unterlagen?", facets=("documents",))
    assert asked._hotline_turn(q, "de") is None


def test_a_hotline_named_in_a_message_the_nlu_did_not_place_gets_its_phone(use_kb: str) -> None:
    q = Question("nlu_fallback", "y a-t-il une ligne de police en anglais pour les étrangers ?")
    turn = asked.out_of_scope_turn(q, asked.Context(), lang="fr", unsure=True)
    assert turn is not None and "6525 5486" in "\n".join(r.text for r in turn.answer.replies)


@pytest.mark.parametrize(
    "text",
    [
        "Есть ли горячая линия, где отвечают по-русски?",
        "Y a-t-il un numéro d'assistance où l'on répond en français ?",
        "هل يوجد خط ساخن يجيب باللغة العربية؟",
        "日本語で対応してくれる電話窓口はありますか？",
        "Is there a hotline I can call where someone speaks Russian?",
    ],
)
def test_a_hotline_asked_by_the_language_it_answers_in(use_kb: str, text: str) -> None:
    """The hotlines whose `languages` hold the language named (12345 has a desk for each of the nine)."""
    assert "12345" in [r["number"] for r in hotline_words.hotlines_speaking(text)]
    assert "12345" in [r["number"] for r in asked.named_hotlines(text)]


def test_a_language_without_a_word_for_hotline_asks_no_hotline(use_kb: str) -> None:
    assert hotline_words.hotlines_speaking("Please answer in Russian") == []
    assert hotline_words.hotlines_speaking("Is there a hotline?") == []


def test_where_a_hotline_answers_in_a_language_is_its_number_not_an_address(use_kb: str) -> None:
    text = "Есть ли горячая линия, где отвечают по-русски?"
    turn = asked.answer_named(Question("out_of_scope", text, facets=("address",)), lang="ru")
    assert turn is not None and "12345" in turn.answer.replies[0].text
