"""Ordinals with a noun, gapped phrases that own their first words, and words the sixth session added
to the facet rules (bot/nlu/facets.py, bot/nlu/facet_rules/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import facets


def asked(text: str) -> set[str]:
    return {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("the second school's address?", "address"),
        ("第二家医院的电话", "phone"),
        ("2番目の病院の電話番号は？", "phone"),
        ("la segunda, ¿qué dirección tiene?", "address"),
        ("المدرسة الثانية، ما عنوانها؟", "address"),
    ],
)
def test_an_ordinal_with_a_noun_is_a_follow_up(text: str, facet: str) -> None:
    a = facets.analyse(text)
    assert [o.value for o in a.ordinals] == ["2"]
    assert facet in asked(text)
    assert facets.is_follow_up(text, "international_school", a)


@pytest.mark.parametrize("text", ["the school's address?", "医院的电话", "病院の電話番号は？"])
def test_a_noun_without_an_ordinal_names_a_topic(text: str) -> None:
    assert not facets.is_follow_up(text, "international_school")


@pytest.mark.parametrize(
    "text",
    [
        "how long is the Shijingshan foreigners hall open on Saturday?",
        "how long are they open?",
        "cuánto tiempo está abierta la sala de Shijingshan el sábado",
    ],
)
def test_how_long_it_is_open_asks_the_hours_not_the_processing_time(text: str) -> None:
    assert asked(text) == {"hours"}


def test_a_gapped_phrase_owns_only_its_first_words(tmp_path: Path) -> None:
    (tmp_path / "xx.yml").write_text(
        'facet:\n  hours: [open, "how long … open"]\n  processing_time: [how long]\n'
        "  eligibility: [may i]\n",
        encoding="utf-8",
    )
    assert {f.value for f in facets.analyse("how long is it open", tmp_path).facets} == {"hours"}
    # A facet inside the gap is not the gapped phrase's.
    found = {f.value for f in facets.analyse("how long may i keep it open", tmp_path).facets}
    assert found == {"hours", "eligibility"}
    # Another clause: the "how long" is the processing time's.
    found = {f.value for f in facets.analyse("how long, and is it open", tmp_path).facets}
    assert found == {"processing_time", "hours"}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("my parents are here on an F visa, how long can it be extended?", "validity"),
        ("我爸妈拿的F签证，最多能延期多久", "validity"),
        ("mis padres tienen visado F, cuánto se puede prorrogar", "validity"),
        ("can chinese kids go to ISB?", "eligibility"),
        ("中国孩子能上顺义国际学校吗", "eligibility"),
        ("هل تقبل مدرسة ISB الطلاب الصينيين؟", "eligibility"),
        ("工作日几点下班", "hours"),
        ("报失证明去哪办", "address"),
        ("朝陽区で居留許可の更新ができるところは？", "address"),
        ("أنا طالب، متى يصدر تصريح إقامة الدراسة بعد التقديم؟", "processing_time"),
    ],
)
def test_words_people_use_for_a_facet(text: str, facet: str) -> None:
    assert facet in asked(text)


def test_working_days_with_a_time_of_day_ask_the_hours_not_the_processing_time() -> None:
    assert asked("工作日几点下班") == {"hours"}


def test_a_certificate_named_is_not_a_question_about_documents() -> None:
    assert asked("where do I get the loss certificate?") == {"address"}
    assert asked("报失证明去哪办") == {"address"}
    assert "documents" in asked("what certificates do I need?")
