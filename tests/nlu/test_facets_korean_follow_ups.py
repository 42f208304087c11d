"""Korean follow-ups as they are typed (helper ans14d, answers_dev49), and the counter asked as a place in
every language (bot/nlu/facet_rules, bot/nlu/forms/ko.yml): spellings of Haidian (해뎬), endings and
softeners that name nothing (얼마죠, 얼마임, 혹시, 정도, 대략, 쪽, -로, -랑, 받을 수 있어요 typed without spaces),
"but/so" openers (근데, 그런데, 아 그럼), "when does it end" (끝나요) as the hours; "which window/counter?"
asks where."""

from __future__ import annotations

import pytest

from bot.nlu import facets


def asked(text: str) -> set[str]:
    return {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("얼마죠?", "fee"),
        ("얼마임?", "fee"),
        ("대략 얼마예요?", "fee"),
        ("얼마 정도 해요?", "fee"),
        ("그런데 비용은 얼마인가요?", "fee"),
        ("근데 몇 시까지 해요?", "hours"),
        ("몇 시에 끝나요?", "hours"),
        ("몇시부터받을수있어요", "hours"),
        ("아 그럼 서류는요?", "documents"),
        ("어디로 가요?", "address"),
        ("주소랑 전화번호 알려주세요", "phone"),
    ],
)
def test_korean_follow_ups_with_endings_and_softeners(text: str, facet: str) -> None:
    assert facets.is_follow_up(text), facets.analyse(text)
    assert facet in asked(text)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("그럼 해뎬은요?", "haidian"),
        ("해뎬 쪽은요?", "haidian"),
        ("스징산 쪽은 몇 시까지 해요?", "shijingshan"),
    ],
)
def test_a_district_with_its_korean_spellings_is_a_follow_up(text: str, district: str) -> None:
    a = facets.analyse(text)
    assert facets.is_follow_up(text), a
    assert district in [p.value for p in a.places]


def test_a_saturday_asked_by_chance_is_a_follow_up() -> None:
    a = facets.analyse("혹시 토요일에도 하나요?")
    assert facets.is_follow_up("혹시 토요일에도 하나요?"), a
    assert "saturday" in [p.value for p in a.places]


@pytest.mark.parametrize(
    "text",
    [
        "which window?",
        "welcher Schalter?",
        "an welchem Schalter?",
        "几号窗口？",
        "何番窓口ですか？",
        "à quel guichet ?",
        "¿en qué ventanilla?",
        "في أي شباك؟",
    ],
)
def test_the_counter_asked_is_where(text: str) -> None:
    assert facets.is_follow_up(text), facets.analyse(text)
    assert asked(text) == {"address"}


@pytest.mark.parametrize("text", ["임대차 계약서 필요해요?", "아이 학교는요?"])
def test_new_fillers_do_not_empty_words_that_name_something(text: str) -> None:
    assert not facets.is_follow_up(text)
