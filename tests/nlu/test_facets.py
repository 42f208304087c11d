"""The facet rules (bot/nlu/facets.py): what is asked, which item is picked, and which messages are
elliptical follow-ups, in the nine languages; the component on its own, before the safety layer, and
inside the trained pipeline."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from facet_examples import EMERGENCIES, FOLLOW_UPS, OTHERS, QUESTIONS, Example
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import facets, gazetteer
from bot.nlu.facets import FacetExtractor, LexiconError
from bot.nlu.safety import SafetyLayer

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"


def _ids(examples: list[Example]) -> list[str]:
    return [f"{lang}:{text}" for lang, text, *_ in examples]


@pytest.mark.parametrize("example", FOLLOW_UPS, ids=_ids(FOLLOW_UPS))
def test_follow_ups_are_recognised_with_what_they_ask(example: Example) -> None:
    _, text, _, expected_facets, ordinal = example
    analysis = facets.analyse(text)
    assert facets.is_follow_up(text, None, analysis), analysis
    assert {f.value for f in analysis.facets} == expected_facets
    assert (analysis.ordinals[0].value if analysis.ordinals else None) == ordinal


@pytest.mark.parametrize("example", QUESTIONS, ids=_ids(QUESTIONS))
def test_complete_questions_are_not_follow_ups_but_carry_their_facets(example: Example) -> None:
    _, text, _, expected_facets, _ = example
    analysis = facets.analyse(text)
    assert not facets.is_follow_up(text, None, analysis), analysis
    assert expected_facets <= {f.value for f in analysis.facets}


@pytest.mark.parametrize("example", OTHERS, ids=_ids(OTHERS))
def test_greetings_thanks_and_answers_are_neither(example: Example) -> None:
    text = example[1]
    analysis = facets.analyse(text)
    assert not facets.is_follow_up(text, None, analysis)
    assert not analysis.facets and not analysis.ordinals


@pytest.mark.parametrize("text", EMERGENCIES)
def test_acute_danger_is_never_a_follow_up(text: str) -> None:
    assert not facets.is_follow_up(text)


def test_offsets_point_into_the_original_text() -> None:
    text = "¿Y CUÁNTO CUESTA el SEGUNDO?"
    analysis = facets.analyse(text)
    for match in [*analysis.facets, *analysis.ordinals]:
        assert text[match.start : match.end] == match.text
    assert [f.value for f in analysis.facets] == ["fee"]
    assert [o.value for o in analysis.ordinals] == ["2"]


def test_english_after_and_before_are_not_read_as_a_near_word() -> None:
    # "after" is one letter from German "alter" (age): a filler word, never respelled.
    for text in ("deadline to register after I arrive?", "what do I do before my visa expires"):
        assert "ages" not in {f.value for f in facets.analyse(text).facets}, text


def test_several_facets_in_one_message() -> None:
    found = {f.value for f in facets.analyse("address, phone and opening hours please").facets}
    assert found == {"address", "phone", "hours"}


def test_intents_asked_in_facet_words_keep_their_intent_without_a_marker() -> None:
    assert not facets.is_follow_up("is it open right now?", "opening_hours")
    assert facets.is_follow_up("and is it open right now?", "opening_hours")
    assert not facets.is_follow_up("do you speak English?", "change_language")
    assert not facets.is_follow_up("sprechen Sie Englisch?", "change_language")
    assert not facets.is_follow_up("where?", "find_service_point")
    # A pronoun points back to the places shown: their address, the languages spoken there.
    assert facets.is_follow_up("its address?", "find_service_point")
    assert facets.is_follow_up("where is it?", "find_service_point")
    assert facets.is_follow_up("do they speak English there?", "change_language")
    assert facets.is_follow_up("거기 영어 돼요?", "change_language")
    # The language the message is written in, asked of a place: no request to switch to it.
    assert facets.is_follow_up("한국어 통역 있어?", "change_language")
    assert facets.is_follow_up("한국어 하는 의사 있어요?", "change_language")
    assert not facets.is_follow_up("한국어 돼요?", "change_language")
    assert facets.is_follow_up("на каком языке там говорят?", "change_language")
    assert facets.is_follow_up("and its phone?", "find_service_point")
    assert facets.is_follow_up("its phone?", "find_service_point")
    assert facets.is_follow_up("its phone?", "opening_hours")


# --- the component ------------------------------------------------------------------------------


def _message(text: str, intent: str, confidence: float = 0.6) -> Message:
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "visa", "confidence": 1 - confidence},
    ]
    return Message(
        {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
        }
    )


def _entities(message: Message, entity: str) -> list[str]:
    return [e["value"] for e in message.get("entities", []) if e["entity"] == entity]


def test_component_sets_follow_up_and_keeps_the_ranking() -> None:
    (message,) = FacetExtractor({}).process([_message("and how much does it cost?", "emergency")])
    assert message.get("intent") == {"name": "follow_up", "confidence": 1.0}
    ranking = [r["name"] for r in message.get("intent_ranking")]
    assert ranking == ["follow_up", "emergency", "visa"]
    assert _entities(message, "facet") == ["fee"]
    assert message.get("entities")[0]["extractor"] == "FacetExtractor"


def test_component_sends_a_newcomers_first_steps_read_as_help_outside_the_topics() -> None:
    # "help" has a rule to the fixed help text; the newcomers' steps are given outside the topics.
    (message,) = FacetExtractor({}).process(
        [_message("I just arrived for work, what should I do first?", "help", 0.86)]
    )
    assert message.get("intent") == {"name": "out_of_scope", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")][:2] == ["out_of_scope", "help"]
    # Without the newcomer's words it stays help; a newcomer's question of a topic keeps its topic.
    (message,) = FacetExtractor({}).process([_message("what should I do first?", "help", 0.9)])
    assert message.get("intent")["name"] == "help"
    (message,) = FacetExtractor({}).process(
        [_message("I just arrived, what should I do first?", "work_permit", 0.6)]
    )
    assert message.get("intent")["name"] == "work_permit"


def test_component_reads_an_ordinal_with_a_facet_read_as_help_as_a_follow_up() -> None:
    (message,) = FacetExtractor({}).process(
        [_message("the second one - what curriculum do they follow?", "help", 0.75)]
    )
    assert message.get("intent")["name"] == "follow_up"
    assert _entities(message, "ordinal") == ["2"]
    assert _entities(message, "facet") == ["curriculum"]


def test_component_keeps_the_intent_of_a_complete_question() -> None:
    (message,) = FacetExtractor({}).process(
        [_message("which documents do I need for a work permit?", "work_permit", 0.9)]
    )
    assert message.get("intent")["name"] == "work_permit"
    assert _entities(message, "facet") == ["documents"]


def test_component_adds_ordinals() -> None:
    (message,) = FacetExtractor({}).process([_message("第二个的电话", "healthcare")])
    assert message.get("intent")["name"] == "follow_up"
    assert _entities(message, "ordinal") == ["2"]
    assert _entities(message, "facet") == ["phone"]


def test_component_reads_a_time_alone_as_asking_the_hours() -> None:
    for text in ("and in the afternoon?", "и вечером?", "주말에도요?", "et le week-end ?"):
        (message,) = FacetExtractor({}).process([_message(text, "visa")])
        assert message.get("intent")["name"] == "follow_up", text
        assert _entities(message, "facet") == ["hours"], text
    # A fact asked with the time keeps that fact; a complete question gets no hours.
    (message,) = FacetExtractor({}).process([_message("and how much in the evening?", "visa")])
    assert _entities(message, "facet") == ["fee"]
    (message,) = FacetExtractor({}).process(
        [_message("is the visa office busy in the afternoon?", "visa", 0.9)]
    )
    assert message.get("intent")["name"] == "visa"
    assert "hours" not in _entities(message, "facet")


def test_component_overrides_an_ambiguous_fallback_and_keeps_places() -> None:
    # The FallbackClassifier found follow_up-like text ambiguous; the weekday was not extracted
    # because the classifier's intent does not allow it (config.yml's entity_intents).
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "residence_permit", "confidence": 0.5},
        {"name": "opening_hours", "confidence": 0.48},
    ]
    message = Message({"text": "and on Saturday?", "intent": ranking[0], "intent_ranking": ranking})
    (message,) = FacetExtractor({}).process([message])
    assert message.get("intent") == {"name": "follow_up", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")][:2] == ["follow_up", "nlu_fallback"]
    assert _entities(message, "weekday") == ["saturday"]


def test_component_judges_the_classifier_guess_behind_a_fallback() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "opening_hours", "confidence": 0.39},
    ]
    message = Message(
        {"text": "is it open right now?", "intent": ranking[0], "intent_ranking": ranking}
    )
    (message,) = FacetExtractor({}).process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert _entities(message, "facet") == ["hours"]


def test_safety_layer_after_the_component_still_decides_emergencies() -> None:
    messages = [
        _message("and now he is not breathing", "healthcare"),
        _message("а в Хайдяне?", "emergency", 0.7),
    ]
    out = SafetyLayer({}).process(FacetExtractor({}).process(messages))
    assert out[0].get("intent")["name"] == "emergency"
    assert out[1].get("intent")["name"] == "follow_up"


# --- the rule files ------------------------------------------------------------------------------


def test_a_word_staff_add_is_understood_without_retraining(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(facets.RULES_DIR, rules)
    text = "and the tariff thingy?"
    assert not facets.is_follow_up(text, None, facets.analyse(text, rules))
    en = rules / "en.yml"
    en.write_text(
        en.read_text(encoding="utf-8").replace("  fee: [", "  fee: [tariff thingy, "),
        encoding="utf-8",
    )
    facets.lexicon.cache_clear()
    analysis = facets.analyse(text, rules)
    assert [f.value for f in analysis.facets] == ["fee"]
    assert facets.is_follow_up(text, None, analysis)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("facet:\n  price_of_tea: [tea]\n", "unknown facet 'price_of_tea'"),
        ("ordinal:\n  second: [second]\n", "ordinal 'second'"),
        ("fillers: [the]\n", "unknown key 'fillers'"),
        ("facet:\n  fee: [how much, [\n", "xx.yml: not valid YAML"),
    ],
)
def test_broken_rule_files_are_reported_by_name(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "xx.yml").write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        facets.load_entries(tmp_path)


def test_gazetteer_stems_match_words_that_start_with_them() -> None:
    index = gazetteer.build_index([("facet", "fee", "fee*"), ("facet", "documents", "papers")])
    found = sorted(
        (m.start, m.value, m.text) for m in gazetteer.match_index(index, "Fees? papers, feet")
    )
    assert found == [(0, "fee", "Fees"), (6, "documents", "papers"), (14, "fee", "feet")]


def test_arabic_clitics_are_matched() -> None:
    # "and its number?", "and the documents?"
    assert [f.value for f in facets.analyse("ورقمه؟").facets] == ["phone"]
    assert [f.value for f in facets.analyse("والوثائق؟").facets] == ["documents"]


@pytest.mark.parametrize(
    ("text", "facet", "matched"),
    [
        ("كَمْ السِّعْر؟", "fee", "كَمْ السِّعْر"),  # Arabic vowel marks: "how much is the price?"
        ("عُنوانُه؟", "address", "عُنوان"),  # its address: the long form matches in the word
        ("whats the adress?", "address", "adress"),  # one letter missing
        ("how mcuh?", "fee", "how mcuh"),  # two letters swapped
        ("и сколько стоет?", "fee", "сколько стоет"),
    ],
)
def test_vowel_marks_and_misspellings_are_read_with_the_original_offsets(
    text: str, facet: str, matched: str
) -> None:
    analysis = facets.analyse(text)
    assert [(f.value, f.text) for f in analysis.facets] == [(facet, matched)]
    for match in analysis.facets:
        assert text[match.start : match.end] == match.text
    assert facets.is_follow_up(text, None, analysis)


@pytest.mark.parametrize("text", ["and the opera?", "and the tour?", "what about the form?"])
def test_short_or_ambiguous_words_are_not_respelled(text: str) -> None:
    # "opera" is one letter from "open", "tour" from "hour", "form" from "from": too short to guess.
    analysis = facets.analyse(text)
    assert not analysis.facets and not facets.is_follow_up(text, None, analysis)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ich will dauerhaft in Peking bleiben, wie lange dauert das Verfahren für den Daueraufenthalt?",
            {"processing_time"},  # "das Verfahren" is what the duration is asked of, not its steps
        ),
        (
            "Wie viel kostet der Antrag auf Daueraufenthalt, wenn ich für immer bleiben will?",
            {"fee"},
        ),
        ("wie lange darf ich mit dem Touristenvisum bleiben?", {"eligibility", "validity"}),
    ],
)
def test_a_gapped_form_counts_only_in_one_clause_after_its_first_words(
    text: str, expected: set[str]
) -> None:
    assert {f.value for f in facets.analyse(text).facets} == expected


def test_a_gapped_form_needs_words_on_both_sides(tmp_path: Path) -> None:
    (tmp_path / "xx.yml").write_text('facet:\n  validity: ["… bleiben"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="expected 'words … words'"):
        facets._gapped(tmp_path)


def test_how_long_with_validity_or_deadline_is_not_processing_time() -> None:
    assert {f.value for f in facets.analyse("c'est valable combien de temps ?").facets} == {
        "validity"
    }
    assert {f.value for f in facets.analyse("有效期是多久").facets} == {"validity"}
    assert {f.value for f in facets.analyse("며칠 안에 해야 돼요?").facets} == {"deadline"}
    assert {f.value for f in facets.analyse("how long does it take?").facets} == {"processing_time"}


@pytest.mark.parametrize(
    ("text", "weekday"),
    [("طيب والسبت؟", "saturday"), ("وغدا؟", "tomorrow"), ("فالسبت؟", "saturday")],
)
def test_arabic_and_on_a_later_word_or_an_unlisted_form_is_a_marker(
    text: str, weekday: str
) -> None:
    analysis = facets.analyse(text)
    assert analysis.markers and [p.value for p in analysis.places] == [weekday]
    for place in analysis.places:
        assert text[place.start : place.end] == place.text
    assert facets.is_follow_up(text, None, analysis)


@pytest.mark.parametrize("text", ["وثائق؟", "ووداوكو", "وين؟"])
def test_words_that_start_with_waw_are_not_and(text: str) -> None:
    # documents?, Wudaokou, where?: the letter is part of the word
    assert not facets.analyse(text).markers


# --- inside the trained pipeline ----------------------------------------------------------------


@pytest.fixture(scope="module")
def parse() -> Any:
    from rasa.core.agent import Agent

    assert MODEL.exists(), "no trained model: run `make train` (make test does it)"
    agent = Agent.load(str(MODEL))

    def run(text: str) -> dict[str, Any]:
        return asyncio.run(agent.parse_message(text))

    return run


def _values(parsed: dict[str, Any], entity: str) -> list[str]:
    return [e["value"] for e in parsed["entities"] if e["entity"] == entity]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("how much does it cost?", "facet", "fee"),
        ("and on Saturday?", "weekday", "saturday"),
        ("海淀呢？", "district", "haidian"),
        ("¿y en Haidian?", "district", "haidian"),
        ("the second one", "ordinal", "2"),
        ("а его телефон?", "facet", "phone"),
    ],
)
def test_trained_pipeline_follow_ups(parse: Any, text: str, entity: str, value: str) -> None:
    parsed = parse(text)
    assert parsed["intent"]["name"] == "follow_up"
    assert parsed["intent_ranking"][0]["name"] == "follow_up"
    assert value in _values(parsed, entity)


def test_trained_pipeline_complete_question_keeps_its_topic(parse: Any) -> None:
    parsed = parse("how much does a work residence permit cost?")
    assert parsed["intent"]["name"] == "residence_permit"
    assert _values(parsed, "facet") == ["fee"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [("and now he is not breathing!", "emergency"), ("thanks", "thank"), ("yes", "affirm")],
)
def test_trained_pipeline_others_are_not_follow_ups(parse: Any, text: str, intent: str) -> None:
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "what's the school's website?",
        "学校的官网是什么",
        "公式サイトはありますか",
        "학교 홈페이지 주소 알려주세요",
        "какой у школы сайт?",
        "quel est le site internet de l'école ?",
        "Hat die Schule eine Webseite?",
        "¿cuál es la página web del colegio?",
        "ما هو الموقع الإلكتروني للمدرسة؟",
    ],
)
def test_a_website_is_asked_in_every_language(text: str) -> None:
    assert "website" in {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    "text",
    [
        "what's their email?",
        "学校的邮箱是多少",
        "メールアドレスは？",
        "이메일 주소 알려주세요",
        "адрес электронной почты школы?",
        "l'adresse e-mail de l'école ?",
        "Welche E-Mail-Adresse hat die Schule?",
        "¿cuál es el correo electrónico del colegio?",
        "ما هو البريد الإلكتروني للمدرسة؟",
    ],
)
def test_an_email_address_is_asked_as_the_website_in_every_language(text: str) -> None:
    """A place's e-mail is given with its web address (the `website` facet)."""
    assert "website" in {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    ("text", "goes_on"),
    [
        ("und mit F-Visum?", True),
        ("а для студентов?", True),
        ("and for a student?", True),
        ("ich brauche ein Visum und eine Arbeitserlaubnis", False),
        ("F-Visum verlängern", False),
        ("and " + "x" * 90, False),
        ("¿y en la T3 del aeropuerto Capital, qué horario tiene?", True),
        ("«et à Haidian ?»", True),
        ("¿dónde está?", False),
    ],
)
def test_a_short_message_opening_with_a_marker_continues(text: str, goes_on: bool) -> None:
    assert facets.continues(text) is goes_on


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("비자 연장은 체류기간 끝나기 며칠 전에 신청해야 돼요?", "deadline"),
        ("за сколько дней до окончания визы надо подать на продление?", "deadline"),
        ("справка об утере паспорта платная?", "fee"),
        ("J'ai combien de jours pour demander mon permis de séjour étudiant ?", "deadline"),
        ("je dois faire la demande de prolongation combien de jours avant la fin ?", "deadline"),
        (
            "Wie viele Tage nach der Einreise habe ich Zeit, den Aufenthaltstitel zu beantragen?",
            "deadline",
        ),
        ("旅游签证L签能延期多少天", "validity"),
        ("停留证件最多可以停留多少天", "validity"),
        ("外国人永久居留申请费", "fee"),
        # an entrance exam asks who is admitted (a school's eligibility: "Academically selective.")
        ("is Dulwich selective?", "eligibility"),
        ("does Dulwich have an entrance exam?", "eligibility"),
        ("德威是不是要考试才能进", "eligibility"),
        ("ダリッチカレッジは入学試験がありますか", "eligibility"),
        ("Ist Dulwich College eine Schule mit Aufnahmeprüfung?", "eligibility"),
        ("¿Hay examen de admisión en Dulwich?", "eligibility"),
    ],
)
def test_the_facet_asked_is_not_the_processing_time(text: str, facet: str) -> None:
    found = {f.value for f in facets.analyse(text).facets}
    assert facet in found and "processing_time" not in found


@pytest.mark.parametrize("text", ["сколько?", "а сколько?", "ну и сколько", "скока?"])
def test_how_much_alone_asks_the_fee(text: str) -> None:
    analysis = facets.analyse(text)
    assert facets.is_follow_up(text, None, analysis)
    assert [f.value for f in analysis.facets] == ["fee"]


@pytest.mark.parametrize(
    "text",
    [
        "сколько сим-карт дают на паспорт?",
        "сколько месяцев в году надо жить в Китае?",
        "сколько часов идти пешком до посольства?",
    ],
)
def test_how_much_with_something_else_asks_no_fee(text: str) -> None:
    analysis = facets.analyse(text)
    assert "fee" not in {f.value for f in analysis.facets}
    assert not facets.is_follow_up(text, None, analysis)


@pytest.mark.parametrize(
    "text",
    [
        "а на 3 года?",
        "и на полгода?",
        "and for 2 years?",
        "3년짜리는요?",
        "那5年的呢？",
        # a number in words: "а сколько стоит на два года?" asks the fee for two years
        "а на два года?",
        "and for two years?",
        "et pour deux ans ?",
        "und für zwei Jahre?",
        "¿y para dos años?",
        "¿y por 3 años?",
    ],
)
def test_a_length_of_time_after_a_marker_is_a_follow_up(text: str) -> None:
    analysis = facets.analyse(text)
    if "полгода" in text:  # no number: "half a year" is not read as a length of time
        assert not facets.is_follow_up(text, None, analysis)
        return
    assert facets.is_follow_up(text, None, analysis), analysis
    assert analysis.durations == 1 and not analysis.facets


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("how many days before it runs out do I have to apply", "deadline"),
        ("how long before it expires must I apply?", "deadline"),
        ("何日くらいかかりますか", "processing_time"),
        ("どのくらいかかりますか", "processing_time"),
    ],
)
def test_how_long_before_and_about_how_many_days_are_follow_ups(text: str, facet: str) -> None:
    analysis = facets.analyse(text)
    assert facets.is_follow_up(text, None, analysis), analysis
    assert facet in {f.value for f in analysis.facets}
    if facet == "deadline":
        assert "processing_time" not in {f.value for f in analysis.facets}


def test_a_length_of_time_alone_or_in_a_question_is_not_a_follow_up() -> None:
    assert not facets.is_follow_up("3 года")
    assert not facets.is_follow_up("сколько стоит вид на жительство на 3 года?")


@pytest.mark.parametrize("text", ["어떤 언어 돼요?", "на каких языках?", "which languages?"])
def test_which_languages_naming_none_is_a_follow_up_not_a_reply_language(text: str) -> None:
    assert facets.is_follow_up(text, "change_language")


def test_which_languages_at_a_place_named_is_no_reply_language() -> None:
    # "OASIS" is a word in no list (not elliptical), yet no language is named to switch to.
    (message,) = FacetExtractor({}).process(
        [_message("which languages do they speak at OASIS?", "change_language", 0.9)]
    )
    assert message.get("intent")["name"] == "follow_up"
    assert _entities(message, "facet") == ["languages"]
    (message,) = FacetExtractor({}).process(
        [_message("please answer in English from now on", "change_language", 0.9)]
    )
    assert message.get("intent")["name"] == "change_language"


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("В BWYA уроки ведут на английском?", "languages"),
        ("does 3e International School teach in English?", "languages"),
        ("Daystar는 영어로 수업하나요?", "languages"),
        ("¿En Daystar enseñan en inglés?", "languages"),
    ],
)
def test_the_language_a_school_teaches_in_is_asked(text: str, facet: str) -> None:
    assert facet in [f.value for f in facets.analyse(text).facets]
    # "уроки" (lessons) is a word of its own, not a misspelt "сроки" (processing time).
    assert "processing_time" not in [f.value for f in facets.analyse(text).facets]


@pytest.mark.parametrize(
    "text", ["영어로 해 주세요", "speak English please", "по-английски, пожалуйста"]
)
def test_a_reply_language_named_stays_change_language(text: str) -> None:
    assert not facets.is_follow_up(text, "change_language")


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("거류허가는 최대 몇 년까지 받을 수 있어요?", "validity"),
        ("영구거류증은 만료 얼마 전에 갱신해요?", "deadline"),
        ("분실 신고는 몇 번 창구에서 해요?", "address"),
        ("여권 분실 증명서는 어느 창구예요?", "address"),
        ("취업허가 B급 점수 기준이 뭐예요?", "eligibility"),
        ("이 학교는 어떤 과정이 있어요?", "curriculum"),
        ("на какой максимальный срок выдают визу?", "validity"),
        ("когда нужно подавать на продление ВНЖ?", "deadline"),
        ("в каком окне принимают документы?", "address"),
        ("в какое окно сдавать анкету?", "address"),
        ("сколько баллов нужно для категории B?", "eligibility"),
        ("через сколько дней после приезда подавать на ВНЖ?", "deadline"),
    ],
)
def test_korean_and_russian_facet_words(text: str, facet: str) -> None:
    assert facet in {f.value for f in facets.analyse(text).facets}


def test_what_is_the_address_in_korean_asks_no_steps() -> None:
    found = {f.value for f in facets.analyse("학교 주소가 어떻게 돼요?").facets}
    assert found == {"address"}


@pytest.mark.parametrize(
    ("text", "ordinal"),
    [
        ("второй офис где?", "2"),
        ("телефон второй больницы?", "2"),
        ("세 번째 학교 주소는요?", "3"),
        ("두번째 병원 전화번호", "2"),
        ("а телефон этой больницы?", None),
    ],
)
def test_a_kind_of_place_after_an_ordinal_or_a_pronoun_is_a_follow_up(
    text: str, ordinal: str | None
) -> None:
    analysis = facets.analyse(text)
    assert facets.is_follow_up(text, None, analysis), analysis
    assert (analysis.ordinals[0].value if analysis.ordinals else None) == ordinal


@pytest.mark.parametrize("text", ["больница рядом есть?", "병원 전화번호 알려줘", "школа в Шуньи"])
def test_a_kind_of_place_alone_names_a_topic(text: str) -> None:
    assert not facets.is_follow_up(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wie lange hat das Government Service Center am Samstag offen?", {"hours"}),
        ("how long is it open on saturday?", {"hours"}),
        ("how long does it take?", {"processing_time"}),
        ("どのくらい時間がかかりますか？", {"processing_time", "hours"}),
        ("how long does it take and are they open on saturday?", {"processing_time", "hours"}),
        (
            "bis wann hat es offen und wie lange dauert die Bearbeitung?",
            {"hours", "processing_time"},
        ),
        ("combien de temps faut-il, et c'est ouvert le samedi ?", {"hours", "processing_time"}),
    ],
)
def test_how_long_before_an_hours_word_in_one_clause_asks_the_hours(
    text: str, expected: set[str]
) -> None:
    assert {f.value for f in facets.analyse(text).facets} == expected


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("verliert man den daueraufenthalt wenn man lange nicht in china ist?", "nicht"),
        ("eine nicht so teure internationale schule bitte", "teure"),
        ("mes parents peuvent avoir la carte verte ?", "verte"),
        ("wir suchen eine internationale Schule", "suchen"),
        ("pass verloren, aber die aufenthaltskarte habe ich noch", "aber"),
    ],
)
def test_words_of_their_own_are_not_read_as_another_words_misspelling(text: str, word: str) -> None:
    # "nicht" is not English "night", "teure" not French "heure", "femme" not "ferme" (hours),
    # "verte" not German "vierte", "suchen" not "buchen", "aber" not Spanish "abre".
    analysis = facets.analyse(text)
    assert word in analysis.leftover
    assert not any(m.text == word for m in [*analysis.facets, *analysis.ordinals])


def test_a_family_member_is_a_person_not_a_misspelt_facet() -> None:
    # "femme" is not "ferme" (hours): since the tenth session it is a word of its own, a family member.
    analysis = facets.analyse("ma femme est en train d'accoucher")
    assert analysis.persons == 1
    assert not any(m.text == "femme" for m in [*analysis.facets, *analysis.ordinals])


def test_a_misspelling_is_read_in_the_messages_language_only() -> None:
    # "adresse" is German and French, "address" English: the message's words decide.
    assert [(f.value, f.text) for f in facets.analyse("die adress bitte").facets] == [
        ("address", "adress")
    ]
    assert facets._message_languages("die adress bitte", facets.RULES_DIR) == frozenset({"de"})
    assert facets._message_languages("adress?", facets.RULES_DIR) == frozenset()


@pytest.mark.parametrize(
    ("text", "follow_up"),
    [("ça coûte cmb pour 3 ans ?", True), ("was kostet die Karte für 5 Jahre?", False)],
)
def test_a_number_names_no_topic(text: str, follow_up: bool) -> None:
    assert facets.is_follow_up(text) is follow_up


def test_german_how_long_extend_is_the_validity_only_with_can() -> None:
    """German "wie lange kann … verlängern" asks by how long (the validity); "wie lange dauert es … zu
    verlängern" still asks the processing time."""
    asked = facets.analyse("wie lange kann man das Visum verlängern?").facets
    assert {f.value for f in asked} == {"validity"}
    asked = facets.analyse("wie lange dauert es das Visum zu verlängern?").facets
    assert {f.value for f in asked} == {"processing_time"}


def test_german_language_adjectives_name_the_language() -> None:
    found = gazetteer.find_entities("Krankenhaus mit arabischsprachigem Personal", {"language"})
    assert [(m.entity, m.value) for m in found] == [("language", "ar")]
    # "englischsprachig" stays a medical need (English-speaking staff), not a reply language.
    found = gazetteer.find_entities("englischsprachige Ärzte", {"language"})
    assert found == []


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("学费多少", "fee"),
        ("сколько стоит обучение?", "fee"),
        ("frais de scolarité ?", "fee"),
        ("كم مدة صلاحيتها؟", "validity"),
        ("on dépose le dossier où à Shunyi ?", "address"),
    ],
)
def test_tuition_validity_and_where_to_submit_are_follow_ups_asking_their_facet(
    text: str, facet: str
) -> None:
    """Tuition after a school, "how long is it valid" in Arabic (not "كم", the fee), "where do we hand
    in the file" in French: elliptical, asking just that."""
    found = facets.analyse(text)
    assert [f.value for f in found.facets] == [facet]
    assert facets.is_follow_up(text)


@pytest.mark.parametrize(
    ("text", "holiday"),
    [
        ("Is the Andingmen hall open on National Day?", "national_day"),
        ("北京市政务服务中心春节期间开门吗？", "spring_festival"),
        ("조양 출입국 사무소 국경절 연휴에도 열어요?", "national_day"),
        ("Работает ли зал в Шуньи на майские праздники?", "labour_day"),
        ("Hat die Ausländerbehörde am Nationalfeiertag offen?", "national_day"),
        ("¿La oficina de Tongzhou abre el Día del Trabajo?", "labour_day"),
        ("Est-ce ouvert pendant la Fête du Printemps ?", "spring_festival"),
        ("هل المكتب مفتوح في عيد الربيع؟", "spring_festival"),
    ],
)
def test_a_public_holiday_named_is_a_day_asked(text: str, holiday: str) -> None:
    """Holidays are values of the `weekday` entity, so a holiday is asked like a day (first turn or
    follow-up) and kept in the context like one (bot/dialogue/hours.py HOLIDAYS)."""
    from bot.dialogue.hours import HOLIDAYS

    found = [m.value for m in gazetteer.find_entities(text, {"weekday"})]
    assert found == [holiday] and holiday in HOLIDAYS


def test_chaoyang_in_its_sino_korean_reading_is_the_district() -> None:
    assert [m.value for m in gazetteer.find_entities("조양 출입국 사무소", {"district"})] == [
        "chaoyang"
    ]


def test_a_german_weekday_joined_to_a_part_of_the_day_is_the_day() -> None:
    found = gazetteer.find_entities("Hat das am Samstagvormittag offen?", {"weekday"})
    assert [m.value for m in found] == ["saturday"]


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        (
            "일본어도 돼요?",
            "languages",
        ),  # "Japanese too?": of the place shown, not a reply language
        ("do they speak japanese too?", "languages"),
        ("а страховку они принимают?", "insurance"),
        ("ils acceptent mon assurance ?", "insurance"),
        ("direct billing?", "insurance"),
    ],
)
def test_a_language_asked_too_and_insurance_are_follow_ups(text: str, facet: str) -> None:
    intent = "change_language" if facet == "languages" else "healthcare"
    (message,) = FacetExtractor({}).process([_message(text, intent)])
    assert message.get("intent")["name"] == "follow_up"
    assert _entities(message, "facet") == [facet]


@pytest.mark.parametrize("text", ["영어 돼요?", "speak english please", "日本語でお願いします"])
def test_a_request_for_a_reply_language_stays(text: str) -> None:
    (message,) = FacetExtractor({}).process([_message(text, "change_language")])
    assert message.get("intent")["name"] == "change_language"


def test_a_language_inside_a_place_name_is_no_request(use_kb: str) -> None:
    (message,) = FacetExtractor({}).process([_message("lycee francais website", "change_language")])
    assert message.get("intent")["name"] == "visa"  # the classifier's next guess
    (message,) = FacetExtractor({}).process([_message("en français svp", "change_language")])
    assert message.get("intent")["name"] == "change_language"


def test_names_in_small_talk_and_language_requests_read_no_database_per_message(
    use_kb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The NLU runs on the Rasa server's event loop: the names it looks for come from memory
    (`names.held`), so a knowledge base that cannot be read (locked: KB_LOCK_TIMEOUT each) costs nothing."""
    import asyncio
    import time

    from bot.knowledge import db

    assert facets.names_a_record("and Harrow?")  # the names built and held
    extractor = FacetExtractor({})

    def broken(*args: object, **kwargs: object) -> None:
        raise AssertionError("the knowledge base was read")

    monkeypatch.setattr(db, "read_session", broken)
    monkeypatch.setenv("KB_NAMES_REFRESH", "3600")

    async def on_the_loop() -> tuple[list[str], float]:
        started = time.monotonic()
        intents = []
        for text, intent in [
            ("and Harrow?", "greet"),
            ("lycee francais website", "change_language"),
        ]:
            (message,) = extractor.process([_message(text, intent, 0.7)])
            intents.append(message.get("intent")["name"])
        return intents, time.monotonic() - started

    intents, took = asyncio.run(on_the_loop())
    assert intents == ["follow_up", "visa"]
    assert took < 1.0


def test_korean_forms_count_typed_without_spaces_but_short_ones_stay_apart() -> None:
    # "몇 시간 안에" typed "몇시간안에" is the deadline; "문 열" (open) joined is inside other words.
    assert [f.value for f in facets.analyse("몇시간안에 해야돼요?").facets] == ["deadline"]
    assert not facets._spaced_hangul("문 열")
    assert facets._spaced_hangul("몇 시간 안에")


@pytest.mark.parametrize(
    ("text", "intent"),
    [("and Harrow?", "greet"), ("키스톤은요?", "bot_challenge"), ("オアシスは？", "bot_challenge")],
)
def test_component_reads_a_record_named_in_small_talk_as_a_follow_up(
    use_kb: str, text: str, intent: str
) -> None:
    (message,) = FacetExtractor({}).process([_message(text, intent, 0.7)])
    assert message.get("intent")["name"] == "follow_up"
    # Small talk without a name stays what it is.
    (message,) = FacetExtractor({}).process([_message("are you a bot?", "bot_challenge", 0.9)])
    assert message.get("intent")["name"] == "bot_challenge"


@pytest.mark.parametrize(
    ("text", "goes_on"),
    [
        ("가족 거류허가는요?", True),
        ("영주권은요?", True),
        ("und mit F-Visum?", True),
        ("거류허가 연장 어디서 해요?", False),
        ("가족 거류허가 얼마예요?", False),
    ],
)
def test_a_korean_message_ending_with_a_marker_goes_on_with_what_was_asked(
    text: str, goes_on: bool
) -> None:
    assert facets.continues(text) is goes_on


# Situation first, then two facts (helper ans13zq, twelfth session, answers_dev38.yml)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what the writer tells of themselves asks nothing ("I work", "we moved")
        (
            "Я из Казахстана, работаю в IT-компании. Сколько стоит рабочий вид на жительство?",
            {"fee"},
        ),
        ("Сыну 7 лет, мы переехали в Чаоян. Какой телефон у школы?", {"phone"}),
        (
            "On déménage à Shijingshan le mois prochain. Où est le bureau et ses horaires ?",
            {"address", "hours"},
        ),
        # a validity and a processing time asked after an "and" are both asked
        (
            "Le certificat est valable combien de temps, et il faut combien de temps pour l'obtenir ?",
            {"validity", "processing_time"},
        ),
        (
            "На сколько лет дают визу R и сколько дней её оформляют?",
            {"validity", "processing_time"},
        ),
        # ... but not when the "how long" belongs to the validity or the deadline
        ("c'est valable combien de temps ?", {"validity"}),
        (
            "ВНЖ кончается в марте, когда уже пора подавать на продление, за сколько дней?",
            {"deadline"},
        ),
        # a validity and a deadline asked after an "and" are both asked; an expiry told is not asked
        (
            "За сколько дней до конца срока надо подать на продление и на сколько её можно продлить?",
            {"deadline", "validity"},
        ),
        ("비자 연장은 며칠 전까지 신청해야 하고 최대 며칠까지 연장돼요?", {"deadline", "validity"}),
        (
            "¿Cuántos días se puede prorrogar la visa L y con cuánta antelación hay que pedirlo?",
            {"validity", "deadline"},
        ),
        ("mon permis expire le 3 mars, quand dois-je demander ?", {"deadline"}),
        ("До какого числа действует безвиз для граждан России?", {"deadline"}),
        # the procedure named after "how long" / "how much" is not a question about its steps
        (
            "Combien coûte la carte verte et combien de temps dure la procédure ?",
            {"fee", "processing_time"},
        ),
        ("how much is it, and what are the steps?", {"fee", "steps"}),
        # more ways to ask
        (
            "Quels documents pour le permis de séjour, et y a-t-il un délai ?",
            {"documents", "deadline"},
        ),
        ("무비자 경유는 몇 시간까지 되고 어떤 서류가 필요해요?", {"validity", "documents"}),
        ("¿Cuántas horas puedo estar sin visado y qué necesito?", {"validity", "documents"}),
        ("Сколько часов можно пробыть без визы при транзите?", {"validity"}),
        (
            "De combien de jours on peut prolonger un visa L et combien de temps avant faut-il demander ?",
            {"validity", "deadline"},
        ),
    ],
)
def test_two_facts_asked_after_a_situation(text: str, expected: set[str]) -> None:
    assert {f.value for f in facets.analyse(text).facets} == expected


def test_a_facet_word_repeated_after_a_name_is_kept_for_the_dialogue() -> None:
    """ "덜위치 칼리지 전화번호랑 주소": "위치" (location) is inside the name Dulwich, "주소" asks the address."""
    a = facets.analyse("덜위치 칼리지 전화번호랑 주소가 뭐예요?")
    assert [f.value for f in a.facets] == ["address", "phone"]
    assert [(r.value, r.text) for r in a.repeats] == [("address", "주소")]


@pytest.mark.parametrize(
    "text",
    [
        "Есть ли горячая линия, где отвечают по-русски?",
        "هل يوجد خط ساخن يجيب باللغة العربية؟",
        "Is there a hotline where someone speaks French?",
        "한국어로 상담해 주는 핫라인이 있나요?",
    ],
)
def test_a_hotline_asked_by_its_language_is_no_request_to_switch(text: str) -> None:
    """A word for "hotline" makes the language named the one the line should answer in: a question
    outside the topics (the dialogue answers with the hotlines that speak it), not change_language."""
    (message,) = FacetExtractor({}).process([_message(text, "change_language", 0.9)])
    assert message.get("intent")["name"] == facets.HOTLINE_INTENT == "out_of_scope"


@pytest.mark.parametrize("text", ["Please answer in Russian", "можно по-русски?", "English please"])
def test_a_request_for_a_reply_language_still_switches(text: str) -> None:
    (message,) = FacetExtractor({}).process([_message(text, "change_language", 0.9)])
    assert message.get("intent")["name"] == "change_language"
