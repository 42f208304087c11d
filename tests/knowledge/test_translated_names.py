"""School and hospital names whose words are translated (bot/knowledge/translated_names.py)."""

from __future__ import annotations

import pytest

from bot.knowledge import names
from bot.knowledge.translated_names import TranslatedIndex


def ids(text: str, url: str) -> list[tuple[str, str]]:
    return [(m.kind, m.id) for m in names.find_mentions(text, url)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Au département international de l'hôpital d'amitié sino-japonaise, on parle quelles langues ?",
            ("hospitals", "china_japan_friendship_hospital_international"),
        ),
        (
            "телефон международного центра Пекинской больницы Дружбы",
            ("hospitals", "beijing_friendship_hospital_international"),
        ),
        (
            "donde queda el hospital de la amistad de pekin?",
            ("hospitals", "beijing_friendship_hospital_international"),
        ),
        (
            # German: the translated word and the kind of place inside one compound
            "Freundschaftskrankenhaus, internationales Zentrum – Adresse?",
            ("hospitals", "beijing_friendship_hospital_international"),
        ),
        (
            "wo ist die kanadische Schule?",
            ("schools", "canadian_international_school_beijing"),
        ),
        (
            "¿donde queda la escuela britanica de sanlitun?",
            ("schools", "british_school_of_beijing_sanlitun"),
        ),
        (
            "Где находится Международная больница Пекинского университета?",
            ("hospitals", "peking_university_international_hospital"),
        ),
        ("телефон больницы дружбы", ("hospitals", "beijing_friendship_hospital_international")),
        # German compounds: the kind of place is the last part of the word ("…krankenhaus", "…schule").
        (
            "Telefon der internationalen Abteilung vom Chinesisch-Japanischen Freundschaftskrankenhaus",
            ("hospitals", "china_japan_friendship_hospital_international"),
        ),
        (
            "Adresse vom Pekinger Freundschaftskrankenhaus",
            ("hospitals", "beijing_friendship_hospital_international"),
        ),
        (
            "und die Kanadische Internationale Schule?",
            ("schools", "canadian_international_school_beijing"),
        ),
        # French and Spanish (answers_dev28.yml): "United Family", "Western Academy", the travel health
        # care centre named by what it is ("centre de santé", "centro de salud" also say the kind of place).
        (
            "Adresse de l'hôpital de la Famille Unie de Pékin",
            ("hospitals", "beijing_united_family_hospital"),
        ),
        ("¿Dónde está el hospital Familia Unida?", ("hospitals", "beijing_united_family_hospital")),
        ("Web de la Academia Occidental de Pekín", ("schools", "western_academy_of_beijing")),
        (
            "l'Académie mondiale de la jeunesse, quel programme ?",
            ("schools", "beijing_world_youth_academy"),
        ),
        ("Academia Mundial de la Juventud de Pekín", ("schools", "beijing_world_youth_academy")),
        (
            "¿Teléfono del hospital de la Amistad China-Japón?",
            ("hospitals", "china_japan_friendship_hospital_international"),
        ),
        # Russian translations of names, with case endings (name_words.yml, 2026-12-07, ans13ze)
        ("Телефон Западной академии Пекина", ("schools", "western_academy_of_beijing")),
        ("Адрес Объединённой семейной больницы", ("hospitals", "beijing_united_family_hospital")),
        (
            "Американская школа Святого Павла ещё работает?",
            ("schools", "saint_paul_american_school"),
        ),
        # an accented Latin alias ("Lycée Français International de Pékin") gives translated words too
        ("Где находится Французский лицей в Пекине?", ("schools", "lycee_francais_pekin")),
        (
            "Городская международная школа Пекина, сайт",
            ("schools", "beijing_city_international_school"),
        ),
        ("Всемирная молодёжная академия Пекина", ("schools", "beijing_world_youth_academy")),
        # "International" after the name's own words, in French and Spanish word order (answers_dev47, ans14b)
        (
            "L'école Montessori internationale de Pékin prend les enfants à partir de quel âge ?",
            ("schools", "international_montessori_school_beijing"),
        ),
        (
            "¿Dónde está la escuela Montessori internacional?",
            ("schools", "international_montessori_school_beijing"),
        ),
        # Sanlitun and Shunyi in Cyrillic (answers_dev34 probes, ans13zl)
        (
            "с какого возраста берут в британскую школу в Санлитуне?",
            ("schools", "british_school_of_beijing_sanlitun"),
        ),
    ],
)
def test_translated_names_are_found(kb_url: str, text: str, expected: tuple[str, str]) -> None:
    assert ids(text, kb_url) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "escuela británica en Pekín",  # two British schools, neither named by its district
        "la amistad entre China y Japón",  # no word saying a hospital or a school
        "¿hay escuelas alemanas en Pekín?",  # "German" alone is no school's whole name
        "hôpital universitaire",  # "universitaire" is not "université"
        "die Freundschaft zwischen China und Japan",  # no word, nor part of one, saying a hospital
        "Krankenhaus in Chaoyang mit Englisch?",  # a kind of place, no name
        "un hôpital pour toute la famille ?",  # "family" alone is no place's whole name
        "un centro de salud cerca de Sanlitun",  # a kind of place ("health care"), no name
        "hospital para mi familia en Haidian",
        "школы в западной части города",  # "western" names WAB only with "academy"
        "французские школы в Чаояне",  # "French" alone is no school's whole name
        "городские школы в Чаояне",  # "city" names BCIS only with "international"
        "Quelles écoles internationales à Shunyi ?",  # "internationale" alone names no school
        "des écoles Montessori à Chaoyang ?",  # a curriculum, not the Montessori school's name
    ],
)
def test_translated_words_that_name_no_one_place(kb_url: str, text: str) -> None:
    assert names.current(kb_url).translated.find(text) is None


def test_the_place_with_more_words_named_wins_and_a_tie_names_none() -> None:
    index = TranslatedIndex(
        [
            ("hospitals", "a", frozenset({"friendship"}), frozenset({"friendship"})),
            (
                "hospitals",
                "b",
                frozenset({"china", "japan", "friendship"}),
                frozenset({"china", "japan", "friendship"}),
            ),
            ("schools", "c", frozenset({"british", "x"}), frozenset({"british", "x"})),
            ("schools", "d", frozenset({"british", "y"}), frozenset({"british", "y"})),
        ]
    )
    found = index.find("l'hôpital d'amitié sino-japonaise")
    assert found is not None and found.id == "b"
    assert index.find("l'école britannique x y") is None


@pytest.mark.parametrize(
    "text",
    [
        "Le centre de santé des voyages internationaux a un site web ?",
        "¿Dónde está el centro de salud para viajeros internacionales?",
    ],
)
def test_the_travel_health_care_centre_is_named_in_french_and_spanish(
    kb_url: str, text: str
) -> None:
    assert ("hospitals", "beijing_ithcc") in ids(text, kb_url)


# A name made only of generic words (International School of Beijing), translated as a whole phrase in the
# singular with "of Beijing" (name_words.yml), and German compounds whose first part is a name (ans13zk).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сайт Международной школы Пекина?", ("schools", "international_school_of_beijing")),
        (
            "teléfono de la Escuela Internacional de Pekín",
            ("schools", "international_school_of_beijing"),
        ),
        (
            "Où se trouve l'École internationale de Pékin ?",
            ("schools", "international_school_of_beijing"),
        ),
        (
            "E-Mail der Internationalen Schule Peking?",
            ("schools", "international_school_of_beijing"),
        ),
        ("ما هو موقع مدرسة بكين الدولية؟", ("schools", "international_school_of_beijing")),
        ("Telefon des Chao-Yang-Krankenhauses", ("hospitals", "beijing_chaoyang_hospital")),
    ],
)
def test_generic_names_and_german_compounds(
    kb_url: str, text: str, expected: tuple[str, str]
) -> None:
    assert ids(text, kb_url) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "международные школы Пекина",  # international schools of Beijing: any of them
        "¿hay escuelas internacionales en Pekín?",
        "eine internationale Schule in Peking mit IB?",
        "Krankenhaus in Chao-Yang?",  # a hyphenated district, no compound with the kind of place
    ],
)
def test_generic_words_in_the_plural_or_with_in_name_no_school(kb_url: str, text: str) -> None:
    assert names.current(kb_url).translated.find(text) is None


def test_a_generic_word_said_beside_a_translated_name_is_no_part_of_it(kb_url: str) -> None:
    # "internationales" after "assurances" is not the hospital's "International": the mention ends at
    # "l'Amitié", so the insurance asked stays outside the name (answers_dev33 q_fr04, ans14b).
    text = "Est-ce que l'hôpital de l'Amitié de Pékin accepte les assurances internationales ?"
    found = names.find_mentions(text, kb_url)
    assert [(m.kind, m.id, m.surface) for m in found] == [
        ("hospitals", "beijing_friendship_hospital_international", "hôpital de l'Amitié")
    ]
