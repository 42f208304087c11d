"""Kinds of place named by their words (bot/dialogue/place_words.py)."""

from __future__ import annotations

import pytest

from bot.dialogue import place_words


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("¿y el hospital más cercano en Chaoyang?", "healthcare"),
        ("最近的医院在哪里", "healthcare"),
        ("一番近い病院はどこ", "healthcare"),
        ("가까운 병원 어디예요?", "healthcare"),
        ("где ближайшая больница?", "healthcare"),
        ("wo ist das nächste Krankenhaus?", "healthcare"),
        ("l'hopital le plus proche ?", "healthcare"),
        ("أين أقرب مستشفى؟", "healthcare"),
        ("where is the nearest school in Shunyi?", "international_school"),
        ("顺义有什么学校", "international_school"),
        # The German word for a secondary school (the lycée): "des Französischen Gymnasiums".
        ("Webseite des Französischen Gymnasiums in Peking?", "international_school"),
    ],
)
def test_a_service_point_question_naming_a_kind_of_place_asks_for_it(
    text: str, intent: str
) -> None:
    assert place_words.place_intent("find_service_point", text, None) == intent


@pytest.mark.parametrize(
    ("intent", "text", "service"),
    [
        # A service named: the offices that handle it, even where a hospital is named too.
        (
            "find_service_point",
            "where do I get the health check for my residence permit, which hospital?",
            "medical_check",
        ),
        # No kind of place named, or both: the intent stays.
        ("find_service_point", "where is the exit-entry office in Chaoyang?", None),
        ("find_service_point", "a school or a hospital near Wangjing?", None),
        # Other intents are not touched.
        ("residence_permit", "do I need a hospital check for the residence permit?", None),
    ],
)
def test_the_intent_stays_otherwise(intent: str, text: str, service: str | None) -> None:
    assert place_words.place_intent(intent, text, service) == intent


@pytest.mark.parametrize(
    "text",
    [
        "where is the exit-entry office in Chaoyang?",
        "Wo ist die Ausländerbehörde in Chaoyang?",
        "Wo ist die Ein- und Ausreisebehoerde?",
        "조양구 출입국 사무소 주소",
        "朝阳出入境在哪里",
        "où est le bureau d'immigration de Chaoyang ?",
        # as French and Spanish speakers call them: the préfecture at home, the foreigners' office, migración
        "ou est la prefecture de shunyi",
        "le bureau de l'immigration a chaoyang adresse",
        "le bureau des étrangers d'Andingmen",
        "migracion cerca de wudaokou donde queda",
        "horario de inmigración en Chaoyang",
    ],
)
def test_the_exit_entry_halls_are_named_in_every_language(text: str) -> None:
    assert place_words.offices_named(text) == frozenset({"exit_entry_hall"})


def test_offices_for_foreigners_name_no_kind_of_office() -> None:
    assert place_words.offices_named("offices for foreigners in Chaoyang") == frozenset()
    assert place_words.offices_named("nearest hospital") == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "¿Urgencias cerca de Guomao?",
        "международное отделение в Чаояне",
        "international department?",
    ],
)
def test_a_medical_need_without_a_kind_of_place_asks_for_a_hospital(text: str) -> None:
    assert place_words.place_intent("find_service_point", text, None) == "healthcare"
    assert "medical_need" in place_words.needs(text)


def test_a_nationality_is_no_school_need() -> None:
    # "deutschen" is a German curriculum's word too; a driving licence is no school question.
    text = "Wo kann ich meinen deutschen Führerschein in einen chinesischen umtauschen?"
    assert place_words.place_intent("find_service_point", text, None) == "find_service_point"
    assert place_words.needs(text) == {}


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("nearest exit-entry office to Liuliqiao", "fengtai"),
        ("renew my residence permit near Capital Airport", "chaoyang"),
        ("首都机场附近哪里办居留许可", "chaoyang"),
        ("bureau de l'immigration près de l'aéroport de la Capitale", "chaoyang"),
        ("hospital cerca del aeropuerto de Pekín-Capital", "chaoyang"),
        ("hospital near Huilongguan", "changping"),
        ("where is the exit-entry office?", None),
    ],
)
def test_a_landmark_gives_the_district_of_a_near_question(
    use_kb: str, text: str, district: str | None
) -> None:
    assert place_words.landmark_district(text) == district


def test_places_naming_the_landmark_come_first_the_order_otherwise_kept() -> None:
    records = [
        {"id": "a", "address": {"en": "1 Jiangtai Road"}},
        {"id": "b", "locations": [{"address": {"zh": "北京市朝阳区三里屯路西六街5号"}}]},
        {"id": "c", "name": {"en": "X"}, "address": {"en": "Sanlitun East 4th Street"}},
        {"id": "d"},
    ]
    ranked = place_words.at_landmark_first(records, records, ["Sanlitun", "三里屯"])
    assert [r["id"] for r in ranked] == ["b", "c", "a", "d"]
    assert place_words.at_landmark_first(records, records, []) == records


def _districts(text: str, *names: tuple[str, str]) -> list[dict[str, object]]:
    """District entities for each (word, value), at the word's every place in `text`."""
    out: list[dict[str, object]] = []
    for word, value in names:
        at = text.find(word)
        while at >= 0:
            out.append({"entity": "district", "value": value, "start": at, "end": at + len(word)})
            at = text.find(word, at + 1)
    return sorted(out, key=lambda e: int(str(e["start"])))


def test_of_several_districts_the_one_in_the_asking_sentence_is_asked(use_kb: str) -> None:
    text = (
        "On déménage de Chaoyang à Shijingshan le mois prochain. Où est le bureau des étrangers de "
        "Shijingshan et quels sont ses horaires ?"
    )
    ents = _districts(text, ("Chaoyang", "chaoyang"), ("Shijingshan", "shijingshan"))
    assert place_words.asked_district(text, ents) == "shijingshan"
    text = "I live in Haidian. Where is the nearest exit-entry hall in Chaoyang?"
    ents = _districts(text, ("Haidian", "haidian"), ("Chaoyang", "chaoyang"))
    assert place_words.asked_district(text, ents) == "chaoyang"
    # One district, or none in the asking sentence: the first one named.
    text = "Where in Haidian can I renew it? I live in Chaoyang."
    ents = _districts(text, ("Haidian", "haidian"), ("Chaoyang", "chaoyang"))
    assert place_words.asked_district(text, ents) == "haidian"
    assert (
        place_words.asked_district(
            "where in Haidian?", _districts("where in Haidian?", ("Haidian", "haidian"))
        )
        == "haidian"
    )
    assert place_words.asked_district("where?", []) is None


def test_the_asking_sentence_is_the_last_with_a_question_mark() -> None:
    text = "Hi. I moved to Shunyi. Where is the hall? Thanks."
    start, end = place_words.asking_sentence(text)
    assert text[start:end].strip() == "Where is the hall?"
    assert place_words.asking_sentence("no question here") == (0, 16)
