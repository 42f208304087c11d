"""Chinese names read in Korean (bot/knowledge/sino_korean.py) and Korean names without their spaces
(bot/knowledge/names.py)."""

from __future__ import annotations

import pytest

from bot.knowledge import names, sino_korean


def test_a_chinese_name_is_read_character_by_character() -> None:
    assert sino_korean.reading("和睦家") == "화목가"
    assert sino_korean.reading("京西 国际学校") == "경서국제학교"
    assert sino_korean.reading("OASIS国际医院") == "OASIS국제의원"
    # A character the table does not hold: no reading rather than a wrong one.
    assert sino_korean.reading("麟") is None
    assert sino_korean.reading("Keystone") is None


def test_forms_leave_out_the_city_and_say_hospital_and_centre_as_korean_does() -> None:
    assert sino_korean.forms(["北京和睦家医院"]) == ["화목가의원", "화목가병원"]
    assert "우의병원" in sino_korean.forms(["北京友谊医院"])
    assert "중관촌" in sino_korean.forms(["中关村"])


def test_the_first_syllable_follows_the_initial_sound_rule() -> None:
    assert sino_korean.forms(["乐成国际学校"]) == ["락성국제학교", "낙성국제학교"]
    assert sino_korean.forms(["六里桥"]) == ["륙리교", "육리교"]


def test_short_readings_and_a_country_with_a_kind_of_place_are_no_names() -> None:
    # Two syllables ("정석", also an everyday word) are too short to be matched anywhere.
    assert sino_korean.forms(["鼎石"]) == []
    # "영국학교" (北京英国学校) is what people look for, "a British school", not which one.
    assert sino_korean.forms(["北京英国学校"]) == []
    assert sino_korean.forms(["北京韩国国际学校"]) == []
    assert sino_korean.forms(["北京鼎石学校"]) == ["정석학교"]


def ids(text: str, url: str) -> list[tuple[str, str]]:
    return [(m.kind, m.id) for m in names.find_mentions(text, url)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("화목가 병원 어디 있어요?", ("hospitals", "beijing_united_family_hospital")),
        ("경서 국제학교 주소", ("schools", "western_academy_of_beijing")),
        ("정석학교 기숙사 있어요?", ("schools", "keystone_academy")),
        ("요중국제학교 수업 몇시에 끝나요?", ("schools", "yew_chung_international_school_beijing")),
        ("우의병원 국제의료센터", ("hospitals", "beijing_friendship_hospital_international")),
        ("중관춘 외국인 서비스홀 주소", ("service_points", "zhongguancun_exit_entry_hall")),
    ],
)
def test_places_are_found_by_their_korean_reading_and_names_with_other_spaces(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    assert expected in ids(text, kb_url)


def test_positions_are_those_of_the_message_with_its_spaces(kb_url: str) -> None:
    found = names.find_mentions("네 화목가 병원 전화", kb_url)
    assert [(m.start, m.end, m.surface) for m in found] == [(2, 8, "화목가 병원")]


def test_everyday_korean_names_no_place(kb_url: str) -> None:
    assert ids("영국학교 추천해 주세요", kb_url) == []
    assert ids("정석대로 하면 돼요?", kb_url) == []


def test_procedures_are_found_by_the_korean_reading_of_their_chinese_names(kb_url: str) -> None:
    # 永久居留 (permanent residence) read 영구거류, also next to a place named in its own spelling.
    assert ids("영구거류 신청비 얼마예요", kb_url) == [("procedures", "permanent_residence")]
    found = ids("중관춘 외국인 서비스홀에서 영구거류 신청 돼요?", kb_url)
    assert ("procedures", "permanent_residence") in found
    assert ("service_points", "zhongguancun_exit_entry_hall") in found


def test_every_word_of_a_long_name_follows_the_initial_sound_rule(kb_url: str) -> None:
    # 国际旅行 is written 국제여행 (국제 + 여행); a short name keeps its other syllables as read.
    assert "국제여행위생보건센터" in sino_korean.forms(["国际旅行卫生保健中心"])
    assert "육이교" not in sino_korean.forms(["六里桥"])
    assert ("service_points", "beijing_ithcc") in ids("국제여행위생보건센터 전화번호", kb_url)
