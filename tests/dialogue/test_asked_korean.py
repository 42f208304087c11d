"""Korean newcomers' questions (helper ans13zx, answers_dev44): an office named by its kind, the medical
examination named by the gazetteer's words, on the real knowledge base (the session's copy of knowledge/).
Facts checked are copied from knowledge/*.yml."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import asked
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.knowledge.kinds import service_points

# A Wednesday morning in Beijing.
NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
MEDICAL = "medical_examination_residence_permit"


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def all_text(turn: asked.Turn) -> str:
    return "\n".join(r.text for r in turn.answer.replies)


@pytest.mark.parametrize(
    "text",
    [
        "하이뎬 근처 출입국 사무소 어디 있어요?",
        "exit-entry office near Haidian",
        "海淀的出入境在哪里？",
    ],
)
def test_an_office_kind_named_in_a_district_is_that_districts_office(text: str) -> None:
    # Haidian has one exit-entry hall; the health-check centre and the Z-Park talent hall there are no
    # exit-entry offices, and the halls of other districts are not asked for.
    q = Question("find_service_point", text, facets=("address",), filters={"district": "haidian"})
    kind, found = asked.find_places(q.intent, q.filters, text=q.text)
    assert kind == "service_points"
    assert [r["id"] for r in found] == ["zhongguancun_exit_entry_hall"]


def test_an_office_kind_named_in_a_district_without_one_is_the_nearest_of_that_kind() -> None:
    q = Question("find_service_point", "미윈 출입국 사무소", filters={"district": "miyun"})
    _, found = asked.find_places(q.intent, q.filters, text=q.text)
    assert len(found) == asked.MAX_RECORDS
    assert {r["kind"] for r in found} == {"exit_entry_hall"}


def test_without_a_kind_named_the_offices_for_foreigners_in_general_stay() -> None:
    found = service_points.find_service_points(district="haidian", limit=3)
    assert "beijing_ithcc" in [p.record["id"] for p in found]


def test_a_service_named_keeps_every_office_of_the_service() -> None:
    # A service asked: its offices of every kind, the kind named only preferred.
    found = service_points.find_service_points(
        ["work_permit"], district="chaoyang", limit=3, kinds=frozenset({"exit_entry_hall"})
    )
    assert {p.record["kind"] for p in found} != {"exit_entry_hall"}


@pytest.mark.parametrize(
    "text",
    ["신체검사 증명서 유효기간은 얼마나 돼요?", "체검 증명서는 얼마 동안 유효해요?"],
)
def test_the_medical_examination_named_by_its_word_is_not_a_permit_of_no_type(text: str) -> None:
    q = Question("residence_permit", text, facets=("validity",))
    assert asked.ranked_procedures("residence_permit", q)[0]["id"] == MEDICAL
    turn = asked.answer_question(q, Context(), lang="ko", now=NOW, faq_first=False)
    assert turn is not None and turn.context.procedures[0] == MEDICAL
    assert "6" in all_text(turn)


def test_a_permit_named_with_shared_words_still_asks_the_type() -> None:
    q = Question("residence_permit", "거류허가 연장 서류 뭐 필요해요?", facets=("documents",))
    assert asked.service_named_step("residence_permit", q.text) is None
    assert asked.ranked_procedures("residence_permit", q) == []


def test_an_exit_entry_office_read_as_registration_is_the_office_asked() -> None:
    # Accommodation registration is done at police stations: the exit-entry hall named is asked for.
    q = Question(
        "accommodation_registration",
        "퉁저우 출입국 민원실 주소가 어떻게 되나요?",
        facets=("address",),
        filters={"district": "tongzhou"},
    )
    turn = asked.answer_question(q, Context(), lang="ko", now=NOW, faq_first=False)
    assert turn is not None
    assert "北关大街19号" in all_text(turn)
    assert turn.context.ids[0] == "tongzhou_exit_entry_hall"


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        # The topic's own offices are exit-entry halls: the topic answers.
        ("residence_permit", "차오양 출입국 사무소에서 거류허가 비용 얼마예요?"),
        # A service named: its offices.
        ("accommodation_registration", "출입국 사무소에서 숙박등록 해요?"),
    ],
)
def test_the_topic_stays_when_its_offices_are_that_kind_or_a_service_is_named(
    intent: str, text: str
) -> None:
    assert not asked._office_kind_instead(Question(intent, text, facets=("address",)))


@pytest.mark.parametrize(
    ("text", "district", "street"),
    [
        ("차오양 출입국 서비스홀은 어디에 있나요?", "chaoyang", "Jiuxianqiao"),
        ("순이 출입국 서비스홀 주소 알려주세요", "shunyi", "Tianzhu"),
    ],
)
def test_an_office_named_by_its_kind_is_its_place_not_an_entry_sharing_a_word(
    text: str, district: str, street: str
) -> None:
    # "서비스" is also in the entry on the online service platform, which came close enough to answer:
    # an exit-entry office named by its kind and asked where is that office (helper ans14d, dev49 ko04).
    q = Question("find_service_point", text, facets=("address",), filters={"district": district})
    turn = asked.answer_question(q, Context(), lang="ko", now=NOW)
    assert turn is not None
    assert street in all_text(turn)
