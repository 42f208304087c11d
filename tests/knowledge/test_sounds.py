"""School and hospital names written as they sound in another script (bot/knowledge/sounds.py)."""

from __future__ import annotations

import pytest

from bot.knowledge import names
from bot.knowledge.sounds import SoundIndex, SoundMatch, distinctive, skeleton, spoken


def ids(text: str, url: str) -> list[tuple[str, str]]:
    return [(m.kind, m.id) for m in names.find_mentions(text, url)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("덜위치 칼리지 전화번호 알려줘", ("schools", "dulwich_college_beijing")),
        ("해로우 국제학교 주소가 어디예요?", ("schools", "harrow_beijing")),
        ("해로우국제학교 주소", ("schools", "harrow_beijing")),
        ("키스톤 아카데미는 어떤 학교예요?", ("schools", "keystone_academy")),
        ("ما هو رقم هاتف مدرسة هارو؟", ("schools", "harrow_beijing")),
        ("ما هو رقم هاتف مدرسة دولويتش؟", ("schools", "dulwich_college_beijing")),
        ("какой телефон у школы Хэрроу?", ("schools", "harrow_beijing")),
        ("телефон Дульвич колледжа", ("schools", "dulwich_college_beijing")),
        ("номер больницы Юнайтед Фэмили", ("hospitals", "beijing_united_family_hospital")),
        ("キーストーン・アカデミーのカリキュラムは？", ("schools", "keystone_academy")),
        ("오아시스 병원 전화 번호", ("hospitals", "oasis_international_hospital")),
        ("رقم هاتف مستشفى أواسيس", ("hospitals", "oasis_international_hospital")),
        # English r after a vowel is not written in Hangul ("Daystar" 데이스타, "Western" 웨스턴).
        ("데이스타 아카데미 전화번호", ("schools", "daystar_academy")),
        ("웨스턴 아카데미 오브 베이징 전화번호 뭐예요?", ("schools", "western_academy_of_beijing")),
        # "American" translated ("미국학교"), the rest of the name transcribed.
        ("세인트폴 미국학교 문 닫았어요?", ("schools", "saint_paul_american_school")),
        ("유나이티드 패밀리 병원 전화번호", ("hospitals", "beijing_united_family_hospital")),
        # "School" and "Hospital" transcribed ("Скул", "Хоспитал"), a kind word capitalised at the start.
        ("Сент-Пол Американ Скул ещё работает?", ("schools", "saint_paul_american_school")),
        ("Юнайтед Фэмили Хоспитал телефон", ("hospitals", "beijing_united_family_hospital")),
        ("Школа Хэрроу, какой телефон?", ("schools", "harrow_beijing")),
    ],
)
def test_names_written_as_they_sound_are_found(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    assert ids(text, kb_url) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "해로우",  # a name alone, with no word saying it is a school
        "좋은 학교 추천해 주세요",  # "recommend a good school": an everyday word next to "school"
        "차오양 병원 추천해 주세요",  # a hospital in the district, not Chao-Yang Hospital
        "клиника в Чаояне",
        "انصحوني بمدرسة تدرس IB",  # "a school that teaches IB": "tdrs" has Dulwich's consonants
        "هل توجد مدرسة فرنسية في بكين؟",  # "is there": a function word, not Daystar
        "중국어 못해도 들어갈 수 있는 국제학교 있나요",
        "где находится школа в Шуньи?",
        "Скул бас есть?",  # the kind word alone
        "Where is Harrow?",  # Latin: the exact matcher's business (and it knows Harrow)
    ],
)
def test_everyday_words_next_to_a_kind_of_place_are_no_names(kb_url: str, text: str) -> None:
    heard = names.current(kb_url).sounds.find(text)
    assert heard is None


def test_a_name_said_in_its_own_spelling_is_not_matched_by_sound_again(kb_url: str) -> None:
    assert ids("德威学校在哪里", kb_url) == [("schools", "dulwich_college_beijing")]


def test_skeletons_fold_what_scripts_confuse() -> None:
    assert skeleton("Dulwich") == skeleton("deolwichi") == skeleton("dwlwytsh") == "TRS"
    assert skeleton("Keystone") == skeleton("kisuton") == "KSTN"
    assert skeleton("Harrow", vowels=True) == skeleton("haerou", vowels=True) == "HVR"


def test_only_distinctive_latin_words_are_indexed() -> None:
    assert distinctive("Harrow International School Beijing") == "Harrow"
    assert distinctive("Beijing United Family Hospital (BJU) - main campus") == "United Family"
    assert distinctive("Beijing Chao-Yang Hospital") == "Chao Yang"
    assert distinctive("Chaoyang Hospital") is None  # a district: said, not a name by sound
    assert distinctive("International School of Beijing (ISB)") is None
    assert distinctive("WAB") is None
    assert distinctive("ITHCC") is None  # said letter by letter
    assert distinctive("OASIS Hospital") == "OASIS"  # a word in capitals
    assert distinctive("和睦家") is None


def test_two_records_sounding_alike_name_none() -> None:
    index = SoundIndex.build(
        [("schools", "a", ["Keystone Academy"]), ("schools", "b", ["Keystone School"])]
    )
    assert index.find("키스톤 아카데미") is None
    assert SoundIndex.build([("schools", "a", ["Keystone Academy"])]).find("키스톤 학교")


def test_names_are_heard_without_r_after_a_vowel_and_without_translated_words() -> None:
    assert spoken("Daystar Academy") == ["Daystar", "Daysta"]
    assert spoken("Harrow International School Beijing") == ["Harrow", "Harow"]
    assert spoken("Saint Paul American School", translated=True) == ["Saint Paul"]
    assert spoken("Dulwich College Beijing", translated=True) == []  # nothing translated


def test_a_name_without_its_translated_words_is_not_another_records_name() -> None:
    index = SoundIndex.build(
        [
            ("hospitals", "main", ["United Family Hospital"]),
            ("hospitals", "branch", ["United Family Jianguomen Clinic"]),
        ]
    )
    assert index.find("유나이티드 패밀리 병원") == SoundMatch("hospitals", "main", 0, 9)
    only_branch = SoundIndex.build([("hospitals", "branch", ["United Family Jianguomen Clinic"])])
    assert only_branch.find("유나이티드 패밀리 병원")


def test_other_kinds_are_not_matched_by_sound() -> None:
    index = SoundIndex.build([("service_points", "x", ["Keystone Hall"])])
    assert index.entries == []
