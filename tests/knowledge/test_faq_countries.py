"""Countries named by a message and by an entry's answer (bot/faq/countries.py, countries.yml), and the
questions-and-answers matcher's preference for the entries that name the country asked about
(bot/faq/match.py, `country_preferred`, `country_decides`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.faq import countries, index, match

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_the_shipped_word_list_is_valid_and_knows_every_country_an_answer_names() -> None:
    found = countries.load()
    assert found.words is not None
    assert {"germany", "united_states", "united_kingdom", "canada", "russia"} <= set(found.answers)
    # every country of the 30-day list (the entry's answer) has its words
    entries = yaml.safe_load((KNOWLEDGE / "faq_entry.yml").read_text(encoding="utf-8"))["faq"]
    listed = next(e for e in entries if e["id"] == "visa_free_country_list")["answer"]["en"]
    assert len(countries.in_answer(listed)) == 46  # 45 and Sweden


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("can Germans come to China without a visa?", "germany"),
        ("I'm German, how many days can I stay without visa?", "germany"),
        ("Brauchen Deutsche ein Visum?", "germany"),
        ("je suis allemande", "germany"),
        ("¿Los alemanes necesitan visado?", "germany"),
        ("Могут ли немцы въехать без визы?", "germany"),
        ("гражданам Германии нужна виза?", "germany"),
        ("독일 사람은 비자가 필요해요?", "germany"),
        ("ドイツ人はビザが必要ですか", "germany"),
        ("德国人去中国需要签证吗", "germany"),
        ("هل يحتاج الألمان إلى تأشيرة؟", "germany"),
        ("أنا ألماني", "germany"),
        ("I'm American", "united_states"),
        ("je suis canadien", "canada"),
        ("印度尼西亚护照", "indonesia"),
        ("Corée du Nord", "north_korea"),
        ("Ich bin Österreicher", "austria"),
    ],
)
def test_a_message_names_a_country_in_nine_languages(text: str, country: str) -> None:
    assert countries.named(text) == {country}


@pytest.mark.parametrize(
    "text",
    [
        "can you help us with the visa?",  # "us" is no country
        "한국어 하는 병원 있어요?",  # Korean the language
        "日本語が通じる病院",
        "How long does the visa take?",
        "Is the index independent?",  # "inde" (France's India) only as a whole word
        "",
    ],
)
def test_words_that_name_no_country(text: str) -> None:
    assert countries.named(text) == frozenset()


def test_an_answer_names_countries_by_their_english_names_with_their_case() -> None:
    assert countries.in_answer("The USA is not on the list, but US citizens can transit") == {
        "united_states"
    }
    assert countries.in_answer("Tell us about the visa") == frozenset()
    assert countries.in_answer("UK and Canadian passport holders") == {"united_kingdom", "canada"}
    assert countries.in_answer("Japanese food") == frozenset()  # names, whole words


def _parse(spec: Any) -> countries.Countries:
    return countries.parse({"countries": spec})


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"Germany": {"en": ["Germany"], "words": ["german*"]}}, "lower-case"),
        ({"germany": {"words": ["german*"]}}, "en"),
        ({"germany": {"en": ["Germany"], "words": []}}, "non-empty"),
        ({"germany": {"en": ["Germany"], "words": ["german", "  "]}}, "not a word"),
        ({"germany": {"en": ["Germany"], "words": ["ger*man"]}}, "only at the end"),
        ({"germany": {"en": ["Germany"], "words": ["german", "German"]}}, "repeated"),
        (
            {
                "germany": {"en": ["Germany"], "words": ["deutsch*"]},
                "austria": {"en": ["Austria"], "words": ["Deutsch"]},
            },
            "also a word of germany",
        ),
        ({"germany": {"en": ["Germany"], "words": ["german"], "nom": ["x"]}}, "unknown key"),
        ({"germany": ["german"]}, "needed"),
    ],
)
def test_the_loader_says_what_is_wrong(spec: Any, says: str) -> None:
    with pytest.raises(countries.CountryListError, match=says):
        _parse(spec)
    with pytest.raises(countries.CountryListError):
        countries.parse({"not_countries": {}})


def test_a_word_list_of_its_own() -> None:
    own = _parse(
        {
            "germany": {"en": ["Germany"], "words": ["german*", "德国"]},
            "korea": {"en": ["Korea"], "words": ["korea*", "한국"], "except": ["한국어"]},
        }
    )
    assert countries.named("two Germans and a Korean", own) == {"germany", "korea"}
    assert countries.named("德国人", own) == {"germany"}
    assert countries.named("한국어 가능?", own) == frozenset()
    assert countries.named("한국인이에요", own) == {"korea"}


# ---- the matcher ----


def _m(
    entry_id: str,
    score: float,
    answer: str,
    topic: str = "immigration",
    questions: tuple[str, ...] = ("What do I need?",),
) -> index.Match:
    entry = {
        "id": entry_id,
        "topic": topic,
        "answer": {"en": answer},
        "questions": {"en": list(questions)},
    }
    return index.Match(entry_id, score, entry, learned=True)


USA = _m(
    "usa",
    0.86,
    "The USA is not on the unilateral 30-day visa-free list, but US citizens can ...",
    questions=("Can Americans come without a visa?", "Is the USA visa-free?", "visa for China?"),
)
LIST = _m(
    "list", 0.70, "The 30-day visa-free list: France, Germany, Italy, Netherlands, Spain, Sweden."
)
DAYS = _m(
    "days", 0.80, "Holders of ordinary passports of the countries on the list can stay 30 days."
)
TIME = _m("time", 0.84, "Each application is processed within seven working days.")
SIM = _m("sim", 0.83, "Buy a SIM card with your passport at China Mobile.", topic="phone")


def test_an_entry_about_another_country_does_not_answer_and_the_one_naming_the_country_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A German: the USA's entry goes, the list (names Germany) comes first with the best score, and the
    30-day entry within the margin does not make it ambiguous."""
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)
    ranked = match.country_preferred(frozenset({"germany"}), [USA, DAYS, LIST])
    assert [m.entry_id for m in ranked] == ["list", "days"]
    assert ranked[0].score == 0.86
    assert match.country_decides(frozenset({"germany"}), ranked) == ranked[0]
    # the 30-day entry within the margin makes it no less clear (judge alone would offer both)
    close = [ranked[0], replace(DAYS, score=0.84)]
    assert match.judge(close) is None
    assert match.country_decides(frozenset({"germany"}), close) == ranked[0]
    # the entry asked about its own country stays (an American gets the USA's entry)
    assert match.country_preferred(frozenset({"united_states"}), [USA, DAYS, LIST]) == [
        USA,
        DAYS,
        LIST,
    ]


def test_a_country_on_no_list_keeps_the_list_and_the_general_entries() -> None:
    """An Indian: the USA's entry goes; the list (more than COUNTRY_SPECIFIC countries, India not among
    them) and the 30-day entry stay, the best of them on the subject taking the vetoed entry's score;
    nothing claims India is on a list."""
    ranked = match.country_preferred(frozenset({"india"}), [USA, DAYS, LIST])
    assert [m.entry_id for m in ranked] == ["days", "list"]
    assert ranked[0].score == USA.score
    assert match.country_decides(frozenset({"india"}), ranked) is None


def test_the_country_entry_is_preferred_only_on_the_subject_and_within_the_lead() -> None:
    named = frozenset({"germany"})
    ranked = match.country_preferred(named, [TIME, DAYS, LIST])
    assert [m.entry_id for m in ranked][0] == "list"
    assert ranked[0].score == TIME.score
    # another subject's best entry keeps its place
    assert match.country_preferred(named, [SIM, LIST]) == [SIM, LIST]
    # too far behind
    far = _m("list", 0.50, LIST.entry["answer"]["en"])
    assert match.country_preferred(named, [TIME, far]) == [TIME, far]
    # no country named: nothing changes
    assert match.country_preferred(frozenset(), [USA, LIST]) == [USA, LIST]


def test_an_entry_naming_a_country_in_passing_stays_for_other_nationalities() -> None:
    """Its own questions do not name the country (the exam exemptions of Belgian or UAE licences): a
    German asking about the exams still gets it."""
    exemptions = _m(
        "exemptions",
        0.82,
        "Holders of Belgian or UAE C1 licences are exempt from the exams.",
        topic="driving",
        questions=("Which licences are exempt from the exam?", "Do I have to take the test?"),
    )
    assert match.about_countries(exemptions.entry) is False
    assert match.about_countries(USA.entry) is True
    assert match.about_countries(LIST.entry) is False  # a list: more than COUNTRY_SPECIFIC
    assert match.country_preferred(frozenset({"germany"}), [exemptions, SIM]) == [exemptions, SIM]
