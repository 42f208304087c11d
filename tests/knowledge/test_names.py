"""Records and landmarks named in messages (bot/knowledge/names.py), from the published knowledge base."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.knowledge import names
from bot.knowledge.loader import read_knowledge, sync
from bot.knowledge.names import Matcher, derived_names, mentions, spoken_forms


def ids(text: str, url: str) -> list[tuple[str, str]]:
    return [(m.kind, m.id) for m in names.find_mentions(text, url)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "when is the exit-entry hall at Andingmen open?",
            ("service_points", "psb_exit_entry_main_hall"),
        ),
        ("Is Saint Paul American School still open?", ("schools", "saint_paul_american_school")),
        ("WAB的学费是多少？", ("schools", "western_academy_of_beijing")),
        ("how much is wab", ("schools", "western_academy_of_beijing")),
        (
            "is the Government Service Center open on Saturday afternoon?",
            ("service_points", "beijing_government_service_center"),
        ),
        ("和睦家的电话是多少", ("hospitals", "beijing_united_family_hospital")),
        ("Dulwich College Beijing (DCB) fees", ("schools", "dulwich_college_beijing")),
        ("德威的课程", ("schools", "dulwich_college_beijing")),
        ("Адрес OASIS?", ("hospitals", "oasis_international_hospital")),
        ("北京乐成国际学校在哪里", ("schools", "beijing_city_international_school")),
        ("I need a visa extension", ("procedures", "visa_stay_extension")),
        ("签证延期怎么办", ("procedures", "visa_stay_extension")),
        ("240 hour visa free transit, how does it work?", ("procedures", "visa_free_transit_240h")),
        ("what is 12367?", ("hotlines", "immigration_12367")),
        # French, Spanish and Russian names of service points and procedures (answers_dev34, ans13zl)
        (
            "prendre rendez-vous au centre de santé des voyageurs",
            ("service_points", "beijing_ithcc"),
        ),
        ("cita en el centro de salud para viajeros", ("hospitals", "beijing_ithcc")),
        ("как записаться в центр здоровья путешественников", ("service_points", "beijing_ithcc")),
        (
            "teléfono del centro de talento internacional del CBD",
            ("service_points", "cbd_talent_one_stop_centre"),
        ),
        (
            "téléphone du centre des talents du CBD",
            ("service_points", "cbd_talent_one_stop_centre"),
        ),
        ("¿cuánto dura el permiso de estancia?", ("procedures", "stay_permit")),
        ("срок разрешения на пребывание", ("procedures", "stay_permit")),
        ("teléfono de la clínica SOS Internacional", ("hospitals", "international_sos_beijing")),
        ("телефон клиники Интернешнл СОС", ("hospitals", "international_sos_beijing")),
        (
            "надо ли быть натощак на медосмотр?",
            ("procedures", "medical_examination_residence_permit"),
        ),
        (
            "¿cuánto cuesta el examen médico?",
            ("procedures", "medical_examination_residence_permit"),
        ),
        # the names our French and Spanish texts give these offices (answers_dev47, ans14b)
        (
            "Où se trouve le Centre des talents étrangers de Pékin ?",
            ("service_points", "beijing_overseas_talents_center"),
        ),
        (
            "¿Dónde está el Centro de Talentos Extranjeros de Pekín?",
            ("service_points", "beijing_overseas_talents_center"),
        ),
        (
            "Le bureau des visas de l'aéroport est-il ouvert la nuit ?",
            ("service_points", "airport_port_visa_office"),
        ),
    ],
)
def test_records_are_found_by_name_short_name_and_alias(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    assert expected in ids(text, kb_url)


def test_latin_names_match_whole_words_only(kb_url: str) -> None:
    assert ids("my ISBN is 978", kb_url) == []
    assert ids("the isb campus", kb_url) == [("schools", "international_school_of_beijing")]


def test_the_longest_name_wins_and_positions_are_the_messages(kb_url: str) -> None:
    text = "Where is the United Family Jianguomen Clinic?"
    found = names.find_mentions(text, kb_url)
    assert [(m.id, m.surface) for m in found] == [
        ("united_family_jianguomen_clinic", "United Family Jianguomen Clinic")
    ]
    assert text[found[0].start : found[0].end] == found[0].surface


def test_a_shared_name_names_every_record_at_the_same_place(kb_url: str) -> None:
    found = ids("BSB fees?", kb_url)
    assert sorted(found) == [
        ("schools", "british_school_of_beijing_sanlitun"),
        ("schools", "british_school_of_beijing_shunyi"),
    ]


def test_two_records_in_one_message_in_text_order(kb_url: str) -> None:
    assert ids("Dulwich or ISB?", kb_url) == [
        ("schools", "dulwich_college_beijing"),
        ("schools", "international_school_of_beijing"),
    ]


def test_derived_names_take_brackets_and_suffixes_apart() -> None:
    got = derived_names(
        {
            "en": "Saint Paul American School Beijing (SPAS) - CLOSED",
            "zh": "北京圣保罗美国学校（已关闭）",
        }
    )
    assert (
        "Saint Paul American School Beijing" in got
        and "SPAS" in got
        and "北京圣保罗美国学校" in got
    )
    assert "CLOSED" not in got and "已关闭" not in got
    # A bracket that is not an abbreviation is not a name of its own.
    got = derived_names(
        {
            "en": "Exit-Entry Administration Reception Hall, Beijing Municipal Public Security Bureau (main hall)"
        }
    )
    assert "main hall" not in got


def test_matcher_folds_case_and_dashes_and_keeps_cjk_substrings() -> None:
    matcher = Matcher.build([("landmarks", "yizhuang", ["E-Town", "亦庄"])])
    assert [m.surface for m in mentions(matcher, "an office in e–town")] == ["e–town"]
    assert [m.surface for m in mentions(matcher, "亦庄附近")] == ["亦庄"]
    assert mentions(matcher, "etownship") == []


def test_matcher_folds_latin_accents_but_no_other_script() -> None:
    matcher = Matcher.build([("schools", "lfip", ["Lycée Français"]), ("x", "y", ["Йошкар"])])
    assert [m.surface for m in mentions(matcher, "le lycee francais ?")] == ["lycee francais"]
    assert [m.surface for m in mentions(matcher, "le LYCÉE Français")] == ["LYCÉE Français"]
    assert mentions(matcher, "Иошкар") == []


def test_landmarks_give_district_and_cited_coordinates(kb_url: str) -> None:
    (guomao,) = names.find_landmarks("an exit-entry hall near Guomao?", kb_url)
    assert (guomao.id, guomao.district) == ("guomao", "chaoyang")
    assert guomao.lat is not None and guomao.lon is not None
    (airport,) = names.find_landmarks("I land at Daxing Airport tomorrow", kb_url)
    assert (airport.id, airport.district, airport.lat) == ("daxing_airport", "daxing", None)
    assert [x.id for x in names.find_landmarks("望京有国际学校吗", kb_url)] == ["wangjing"]
    assert [x.id for x in names.find_landmarks("E-Town hall", kb_url)] == ["yizhuang"]


def test_every_landmark_cites_a_source_and_coordinates_only_with_one() -> None:
    root = Path(__file__).resolve().parents[2] / "knowledge"
    knowledge = read_knowledge(root)
    assert knowledge.ok, knowledge.problems
    marks = knowledge.records["landmarks"]
    assert {
        "wangfujing",
        "sanlitun",
        "wangjing",
        "guomao",
        "zhongguancun",
        "wudaokou",
        "yizhuang",
        "shunyi",
        "capital_airport",
        "daxing_airport",
    } <= {m["id"] for m in marks}
    for m in marks:
        assert m["source"] and m["source_date"]
        assert m["name"].get("zh")


def test_a_new_alias_is_known_after_a_sync_without_restart(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    sync(knowledge_copy, url)
    assert ids("Is the Keystone Academy open?", url) == [("schools", "keystone_academy")]
    assert ids("Is KSA open?", url) == []
    _add_alias_ksa(knowledge_copy, url)
    assert ids("Is KSA open?", url) == [("schools", "keystone_academy")]


def _add_alias_ksa(knowledge: Path, url: str) -> None:
    """Keystone Academy's new alias "KSA", synced."""
    path = knowledge / "schools.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('aliases: ["Keystone", "鼎石"', 'aliases: ["Keystone", "鼎石", "KSA"', 1),
        encoding="utf-8",
    )
    sync(knowledge, url)


def test_aliases_are_validated(knowledge_copy: Path) -> None:
    path = knowledge_copy / "schools.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(
            r'aliases: \["Keystone", "鼎石"[^\]]*\]', 'aliases: ["Keystone", "keystone", "K"]', text
        ),
        encoding="utf-8",
    )
    problems = [str(p) for p in read_knowledge(knowledge_copy).problems]
    assert any("aliases[2]" in p and "listed twice" in p for p in problems), problems
    assert any("aliases[3]" in p and "too short" in p for p in problems), problems


def test_translated_titles_and_short_numbers_are_no_names(kb_url: str) -> None:
    # "비자" (visa) is a word of a translated procedure title, not a procedure's name ("비자 연장",
    # the visa extension, is one of its aliases since the twelfth session).
    assert ids("비자 문의가 있어요", kb_url) == []
    assert ids("비자 연장하고 싶어요", kb_url) == [("procedures", "visa_stay_extension")]
    assert ids("I want to stay 120 days", kb_url) == []


def test_chinese_names_are_known_without_the_beijing_municipal_prefix(kb_url: str) -> None:
    assert "政务服务中心" in derived_names({"zh": "北京市政务服务中心"})
    assert derived_names({"zh": "北京市中心"}) == ["北京市中心"]  # too little is left
    assert ids("政务服务中心几点开门？", kb_url) == [
        ("service_points", "beijing_government_service_center")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ダルウィッチ・カレッジの学費は？", ("schools", "dulwich_college_beijing")),
        ("順義国際学校の学費は？", ("schools", "international_school_of_beijing")),
        (
            "Le Hall de service aux étrangers de Zhongguancun ouvre à quelle heure ?",
            ("service_points", "zhongguancun_exit_entry_hall"),
        ),
        (
            "中日友好病院の国際部は何時まで？",
            ("hospitals", "china_japan_friendship_hospital_international"),
        ),
        ("ما هو رقم هاتف يونايتد فاميلي؟", ("hospitals", "beijing_united_family_hospital")),
        ("유나이티드패밀리 응급실 전화번호", ("hospitals", "beijing_united_family_hospital")),
        (
            "베이징시 정무서비스센터 토요일에 열어요?",
            ("service_points", "beijing_government_service_center"),
        ),
        (
            "متى يفتح مركز الخدمات الحكومية يوم السبت؟",
            ("service_points", "beijing_government_service_center"),
        ),
        (
            "北京市行政サービスセンターは土曜日も開いていますか",
            ("service_points", "beijing_government_service_center"),
        ),
    ],
)
def test_records_are_found_by_names_sources_use_in_other_languages(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    # Aliases from knowledge/*.yml, each written by a page listed in the record's `source`.
    assert expected in ids(text, kb_url)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The other word for "hospital" (협화의원 is the alias; people also write 병원).
        ("협화병원 국제부 주소요", ("hospitals", "pumch_international_medical_services")),
        # Without the city the alias names ("Regierungsdienstzentrum der Stadt Beijing").
        (
            "hat das Regierungsdienstzentrum sonntags auf?",
            ("service_points", "beijing_government_service_center"),
        ),
        # Without the last word that says the kind of place.
        (
            "телефон клиники United Family Jianguomen",
            ("hospitals", "united_family_jianguomen_clinic"),
        ),
        # Short names and nicknames in German, Japanese and Chinese: the aliases of knowledge/*.yml (names
        # only), the matcher's hyphens and the German case endings.
        ("Adresse der Deutschen Botschaftsschule", ("schools", "german_embassy_school_beijing")),
        ("Telefon des Internationalen SOS", ("hospitals", "international_sos_beijing")),
        (
            "Notfallnummer des United-Family-Krankenhauses",
            ("hospitals", "beijing_united_family_hospital"),
        ),
        ("ダルウィッチの住所", ("schools", "dulwich_college_beijing")),
        ("オアシス病院の電話", ("hospitals", "oasis_international_hospital")),
        ("日中友好病院の電話番号", ("hospitals", "china_japan_friendship_hospital_international")),
        ("安定門の出入境管理局の電話番号", ("service_points", "psb_exit_entry_main_hall")),
        ("明德医院电话", ("hospitals", "oasis_international_hospital")),
        ("英国学校三里屯地址", ("schools", "british_school_of_beijing_sanlitun")),
        ("海嘉学校网址", ("schools", "beijing_international_bilingual_academy")),
        ("北大国际医院在哪", ("hospitals", "peking_university_international_hospital")),
        # Japanese and traditional forms of the characters fold to the simplified ones.
        ("楽成国際学校の電話番号", ("schools", "beijing_city_international_school")),
        ("蒙台梭利國際學校的電話", ("schools", "international_montessori_school_beijing")),
    ],
)
def test_names_are_found_in_the_forms_people_say_them(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    assert ids(text, kb_url)[0] == expected


def test_spoken_forms_are_never_only_generic_words() -> None:
    assert names.spoken_forms("International School of Beijing") == []
    assert names.spoken_forms("Huairou Hospital") == []
    assert "Western Academy" in names.spoken_forms("Western Academy of Beijing")
    assert names.spoken_forms("中日友好病院") == ["中日友好医院"]
    assert names.spoken_forms("베이징시 정무서비스센터") == ["정무서비스센터"]
    assert names.spoken_forms("北京英国学校") == []  # "British school" says no school


@pytest.mark.parametrize(
    "text",
    [
        "Telefonnummer der United Family Klinik am Jianguomen",
        "Wo ist die Jianguomen Klinik von United Family?",
        "United Family Jianguomen clinic address",
    ],
)
def test_a_short_name_with_the_other_words_of_a_longer_name_is_the_longer_ones(
    kb_url: str, text: str
) -> None:
    found = [(m.kind, m.id) for m in names.find_mentions(text, kb_url)]
    assert found == [("hospitals", "united_family_jianguomen_clinic")]


def test_a_short_name_alone_is_still_its_own_record(kb_url: str) -> None:
    found = [(m.kind, m.id) for m in names.find_mentions("United Family phone number", kb_url)]
    assert found == [("hospitals", "beijing_united_family_hospital")]


def test_a_german_genitive_s_on_a_long_name_still_names_the_record() -> None:
    """ "Öffnungszeiten des Regierungsdienstzentrums": the alias "Regierungsdienstzentrum" with a
    genitive s (knowledge/service_points.yml); not a short name, nor a word that goes on."""
    matcher = Matcher.build(
        [("service_points", "gsc", ["Regierungsdienstzentrum"]), ("schools", "isb", ["ISB"])]
    )
    found = mentions(matcher, "Öffnungszeiten des Regierungsdienstzentrums?")
    assert [(m.id, m.surface) for m in found] == [("gsc", "Regierungsdienstzentrum")]
    assert mentions(matcher, "ISBs Telefon") == []
    assert mentions(matcher, "Regierungsdienstzentrumsleiter") == []


def test_a_german_compound_with_hyphens_still_names_the_record() -> None:
    """ "Notfallnummer des United-Family-Krankenhauses": hyphens join the words of a name to a German
    noun; they are read as spaces, in the message and in the names ("E-Town" is also "E Town")."""
    matcher = Matcher.build(
        [("hospitals", "bju", ["United Family"]), ("service_points", "etown", ["E-Town hall"])]
    )
    found = mentions(matcher, "Notfallnummer des United-Family-Krankenhauses")
    assert [(m.id, m.surface) for m in found] == [("bju", "United-Family")]
    assert [m.id for m in mentions(matcher, "the E Town hall")] == ["etown"]
    assert mentions(matcher, "unitedfamily") == []


def test_german_adjectives_in_a_name_take_their_case_endings() -> None:
    forms = names.spoken_forms("Deutsche Botschaftsschule Peking")
    assert "Deutsche Botschaftsschule" in forms  # the city left out, as "... Beijing"
    assert "Deutschen Botschaftsschule" in forms and "Deutsches Botschaftsschule" in forms
    assert "Internationalen SOS" in names.spoken_forms("Internationale SOS")
    # Only adjectives before the noun, in short names; English names are left as they are.
    assert names.spoken_forms("International SOS") == []
    assert not any("Schulen" in f for f in names.spoken_forms("Deutsche Schule Peking"))


def test_a_russian_case_ending_on_a_long_cyrillic_name_still_names_the_record() -> None:
    """ "а телефон Дульвича?", "в Дульвиче": the alias "Дульвич" with a Russian case ending; not a short
    name, nor a word that goes on with other letters."""
    matcher = Matcher.build([("schools", "dcb", ["Дульвич"]), ("hospitals", "x", ["Сехэ"])])
    for text in ("а телефон Дульвича?", "учиться в Дульвиче", "Дульвич: адрес"):
        assert [m.id for m in mentions(matcher, text)] == ["dcb"], text
    assert [m.surface for m in mentions(matcher, "телефон Дульвича")] == ["Дульвич"]
    assert mentions(matcher, "Дульвичский колледж") == []
    assert mentions(matcher, "Сехэа") == []  # a name this short takes no ending


def test_a_cyrillic_name_ending_in_a_soft_sign_declines() -> None:
    """ "на Андинмэне", "адрес Андинмэня": the alias "Андинмэнь" (knowledge/service_points.yml) declines
    by replacing its soft sign; its stem is a spoken form that takes the case ending."""
    assert "Андинмэн" in spoken_forms("Андинмэнь")
    matcher = Matcher.build([("service_points", "hall", ["Андинмэнь", *spoken_forms("Андинмэнь")])])
    for text in ("телефон зала на Андинмэнь", "зал на Андинмэне", "адрес Андинмэня"):
        assert [m.id for m in mentions(matcher, text)] == ["hall"], text
    assert mentions(matcher, "Андинмэнский") == []


def test_held_names_are_refreshed_after_a_sync_without_restart(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names the Rasa server's NLU holds in memory (`names.held`) learn a new alias after a sync:
    a message after the refresh interval starts a check in the background, and the next messages find it."""
    monkeypatch.setenv("KB_NAMES_REFRESH", "0")
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    sync(knowledge_copy, url)
    assert held_ids("Is the Keystone Academy open?", url) == [("schools", "keystone_academy")]
    assert held_ids("Is KSA open?", url) == []
    _add_alias_ksa(knowledge_copy, url)
    deadline = time.monotonic() + 30
    while held_ids("Is KSA open?", url) == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held_ids("Is KSA open?", url) == [("schools", "keystone_academy")]


def held_ids(text: str, url: str) -> list[tuple[str, str]]:
    return [(m.kind, m.id) for m in names.find_held_mentions(text, url)]


def test_held_names_never_read_the_database_on_an_event_loop(
    kb_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an event loop (the Rasa server's NLU) the names come from memory: a knowledge base that cannot
    be read (a locked one waits KB_LOCK_TIMEOUT) is read only in the background thread, whose failure
    keeps the names held; nothing held yet finds nothing, at once."""
    import asyncio
    import threading

    from bot.knowledge import db

    monkeypatch.setenv("KB_NAMES_REFRESH", "0")
    assert held_ids("and Harrow?", kb_url)  # built (off a loop: on this thread)
    readers: list[str] = []

    def slow_and_broken(*args: object, **kwargs: object) -> None:
        readers.append(threading.current_thread().name)
        time.sleep(1.0)
        raise OSError("database is locked")

    monkeypatch.setattr(db, "read_session", slow_and_broken)
    fresh = f"sqlite:///{tmp_path / 'never-built.db'}"

    async def on_the_loop() -> tuple[list[tuple[str, str]], list[tuple[str, str]], float]:
        started = time.monotonic()
        found = [held_ids("and Harrow?", kb_url) for _ in range(50)][-1]
        nothing = held_ids("and Harrow?", fresh)
        return found, nothing, time.monotonic() - started

    found, nothing, took = asyncio.run(on_the_loop())
    assert found == [("schools", "harrow_beijing")]
    assert nothing == []
    assert took < 0.5
    names._HELD.refresh_later(kb_url).result(10)  # the failed check in the background...
    assert held_ids("and Harrow?", kb_url) == found  # ...keeps the names held
    assert readers and all(name.startswith("names") for name in readers)
