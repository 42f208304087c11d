"""Single questions (issue 13): a topic's website, and a record named in another script that lacks the
fact asked (bot/dialogue/asked.py)."""

from __future__ import annotations

from bot.dialogue import asked
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.dialogue.i18n import t


def text_of(turn: asked.Turn | None) -> str:
    assert turn is not None
    return "\n".join(r.text for r in turn.answer.replies)


def test_a_topics_website_is_its_procedures_official_pages(use_kb: str) -> None:
    q = Question(
        "work_permit", "auf welcher Webseite beantrage ich die Arbeitserlaubnis", ("website",)
    )
    out = text_of(asked.answer_question(q, Context(), lang="de"))
    assert "fwp.safea.gov.cn" in out


def test_a_school_named_in_arabic_script_without_a_phone_declines_with_no_other_schools_phone(
    use_kb: str,
) -> None:
    q = Question("international_school", "ما هو رقم هاتف مدرسة هارو؟", ("phone",))
    out = text_of(asked.answer_question(q, Context(), lang="ar"))
    assert "Harrow" in out
    assert t("fact_unknown", "ar", what="\x00").split("\x00")[0].rstrip("\u2066") in out
    assert "6443" not in out  # BISS's phone, which the topic's list used to give


def test_a_school_named_in_hangul_gets_its_own_fact(use_kb: str) -> None:
    q = Question("international_school", "덜위치 칼리지 전화번호 알려줘", ("phone",))
    assert "6454 9000" in text_of(asked.answer_question(q, Context(), lang="ko"))


def test_a_joint_applications_fee_is_its_parts_fee_and_the_work_permits_own_stays_unknown(
    use_kb: str,
) -> None:
    q = Question("work_permit", "Was kostet die Aufenthaltserlaubnis zum Arbeiten?", ("fee",))
    out = text_of(asked.answer_question(q, Context(), lang="de"))
    assert "400" in out and "1000" in out.replace(" ", "").replace(".", "")
    # The work permit itself lists no fee: said so, never the residence permit's.
    q = Question("work_permit", "how much is the work permit?", ("fee",))
    out = text_of(asked.answer_question(q, Context(), lang="en"))
    assert "400" not in out and "I don't have that" in out


def test_a_facet_inside_a_name_asked_again_outside_it_is_asked(use_kb: str) -> None:
    """ "덜위치 칼리지 전화번호랑 주소가 뭐예요?": the NLU's address entity is "위치" inside "덜위치"
    (Dulwich), but "주소" asks the address too: both facts are asked."""
    text = "남편이 주재원으로 와서 순이에 살고 있어요. 덜위치 칼리지 전화번호랑 주소가 뭐예요?"
    start = text.index("덜위치") + 1
    phone = text.index("전화번호")
    entities = [
        {"entity": "facet", "value": "address", "start": start, "end": start + 2},
        {"entity": "facet", "value": "phone", "start": phone, "end": phone + 4},
    ]
    assert asked.facets_outside_names(text, entities) == ("address", "phone")


def test_a_facet_word_inside_a_named_records_name_is_not_asked(use_kb: str) -> None:
    # "위치" (location) is part of "덜위치" (Dulwich): the question asks the fees, not the address.
    text = "덜위치 칼리지 1년 학비가 얼마예요?"
    entities = [
        {"entity": "facet", "value": "address", "start": 1, "end": 3},
        {"entity": "facet", "value": "fee", "start": 11, "end": 13},
        {"entity": "district", "value": "chaoyang", "start": 0, "end": 1},
    ]
    assert asked.facets_outside_names(text, entities) == ("fee",)
    # A facet word outside any name stays, and a name that is the facet word itself is no name.
    assert asked.facets_outside_names(
        "덜위치 칼리지 위치", [{"entity": "facet", "value": "address", "start": 8, "end": 10}]
    ) == ("address",)
