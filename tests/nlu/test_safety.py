"""The safety layer's rules (bot/nlu/safety.py, bot/nlu/safety_rules/) and the emergency answer's order.

The sentences here are written for the tests, apart from the held-out set bench/data/emergencies.tsv
(which bench/emergency.py measures through the trained model).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue import answers
from bot.nlu import safety

ACUTE = [
    # (text, kind): every language, each kind of danger
    ("my mother is not breathing", "medical"),
    ("he fainted in the metro and is not responding", "medical"),
    ("somebody call an ambulance, he is having a heart attack", "medical"),
    ("there is a fire on the 12th floor", "fire"),
    ("two men robbed my shop with a gun", "police"),
    ("a taxi crashed into a cyclist, he is hurt", "traffic"),
    ("我妈妈突然晕倒了", "medical"),
    ("他被人打了，流了很多血", "medical"),
    ("隔壁着火了", "fire"),
    ("我在地铁里被抢劫了", "police"),
    ("路口发生车祸了", "traffic"),
    ("母が倒れて意識がありません", "medical"),
    ("隣の部屋が火事です", "fire"),
    ("駅前で交通事故があり、けが人がいます", "traffic"),
    ("아버지가 쓰러지셨어요", "medical"),
    ("옆집에 불이 났어요", "fire"),
    ("у мамы сильная боль в груди", "medical"),
    ("на меня напали на улице", "police"),
    ("mon bébé ne respire plus", "medical"),
    ("mon père fait un malaise, il ne répond plus", "medical"),
    ("mon ami ne répond pas quand je lui parle", "medical"),
    ("il y a un incendie dans le couloir", "fire"),
    ("mein Vater ist bewusstlos", "medical"),
    ("Hilfe, Einbrecher im Haus", "police"),
    ("mi madre no puede respirar", "medical"),
    ("hay un incendio en la escuela", "fire"),
    ("أمي فقدت الوعي", "medical"),
    ("يوجد حريق في الطابق الثالث", "fire"),
]

NOT_ACUTE = [
    # past events, insurance and cost, drills, figures of speech, everyday questions
    "I was robbed two years ago, do I need that police report for my visa?",
    "how much does an ambulance ride cost",
    "is there a fire drill at the international school",
    "this paperwork is killing me",
    "where is a hospital with english speaking doctors",
    "去年出过一次车祸，现在续签有影响吗",
    "救护车的费用保险能报吗",
    "去年強盗にあいました。在留カードの再発行は？",
    "l'année dernière j'ai eu un accident, est-ce un problème pour le visa ?",
    "hatte letztes Jahr einen Unfall, brauche ich das für die Verlängerung?",
    "el año pasado me robaron, ¿afecta al permiso de residencia?",
    "need a dentist in Chaoyang",
    # A driver or an office not answering the phone, a theft already reported (nlu_dev4 false alarms)
    "passeport oublié dans un taxi, le chauffeur ne répond pas, quelles démarches ?",
    "mon ami ne répond pas au téléphone depuis hier",
    "护照被偷了，报警以后还要去哪补办",
    # A stolen passport asked about as a procedure (the loss certificate, the window): no robbery going on
    "me robaron el pasaporte el certificado de perdida cuanto dura",
    "me robaron el pasaporte, ¿en qué ventanilla hago los trámites?",
    "which school has a German curriculum",
]


@pytest.mark.parametrize(("text", "kind"), ACUTE)
def test_acute_danger_is_found_in_every_language(text: str, kind: str) -> None:
    assert safety.check(text).acute == kind


@pytest.mark.parametrize("text", NOT_ACUTE)
def test_past_events_insurance_drills_and_questions_are_not_acute(text: str) -> None:
    assert safety.check(text).acute is None


def test_a_past_event_never_hides_a_body_in_danger_now() -> None:
    assert (
        safety.check("he had a heart attack last year and now he is not breathing").acute
        == "medical"
    )
    assert safety.check("去年做过手术，现在昏迷了").acute == "medical"


@pytest.mark.parametrize("intent", ["healthcare", "nlu_fallback", "greet", "lost_passport"])
def test_acute_danger_overrides_any_prediction(intent: str) -> None:
    ranking = [{"name": intent, "confidence": 0.9}]
    assert safety.decide("my friend took too many pills", intent, ranking) == (
        "emergency",
        "medical",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("and in Haidian?", "international_school"),
        ("what about Shunyi", "international_school"),
        ("y en Haidian?", "international_school"),
        ("海淀呢？", "international_school"),
        ("I had a car accident last year, is that a problem for my visa?", "international_school"),
        ("does my insurance pay for the ambulance", "international_school"),
    ],
)
def test_an_emergency_the_rules_contradict_is_vetoed(text: str, expected: str) -> None:
    ranking = [
        {"name": "emergency", "confidence": 0.5},
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "international_school", "confidence": 0.45},
    ]
    assert safety.decide(text, "emergency", ranking) == (expected, None)


def test_a_vetoed_emergency_with_no_likely_next_guess_is_a_did_you_mean() -> None:
    ranking = [
        {"name": "emergency", "confidence": 0.42},
        {"name": "change_language", "confidence": 0.14},
    ]
    assert safety.decide("and in Chaoyang?", "emergency", ranking) == ("nlu_fallback", None)


@pytest.mark.parametrize(
    "text", ["where can my son get his vaccinations", "哪里有24小时药店", "Termin beim Zahnarzt"]
)
def test_routine_care_vetoes_an_emergency(text: str) -> None:
    ranking = [{"name": "emergency", "confidence": 0.5}, {"name": "healthcare", "confidence": 0.45}]
    assert safety.decide(text, "emergency", ranking) == ("healthcare", None)


def test_routine_care_never_hides_acute_danger() -> None:
    assert safety.check("chest pain, which pharmacy is open now?").acute == "medical"
    assert safety.check("胸口剧痛，附近有药店吗").acute == "medical"


@pytest.mark.parametrize(
    "text",
    ["this is awful, nobody helps me", "c'est horrible, personne ne m'aide", "太糟糕了，没人帮我"],
)
def test_a_complaint_is_never_an_emergency_and_goes_to_a_person(text: str) -> None:
    ranking = [{"name": "emergency", "confidence": 0.7}]
    assert safety.decide(text, "emergency", ranking) == ("human_handoff", None)
    assert safety.decide(text, "bot_challenge", ranking) == ("human_handoff", None)


def test_a_complaint_about_a_topic_keeps_the_topic() -> None:
    text = "the visa office is terrible, how do I extend my visa"
    assert safety.decide(text, "visa", [{"name": "visa", "confidence": 0.8}]) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "this bot is useless, I want to talk to a real person",
        "connect me to an agent",
        "转人工",
        "オペレーターにつないで",
        "상담원 연결해 주세요",
        "соедините с оператором",
        "je veux parler à un humain",
        "ich will mit einem Menschen sprechen",
        "quiero hablar con un humano",
        "أريد التحدث مع شخص حقيقي",
    ],
)
def test_every_way_of_asking_for_a_person_goes_to_human_handoff(text: str) -> None:
    ranking = [{"name": "bot_challenge", "confidence": 0.8}]
    assert safety.decide(text, "bot_challenge", ranking)[0] == "human_handoff"


@pytest.mark.parametrize(
    "text",
    [
        "are you a real person?",
        "你是真人客服吗",
        "c'est une vraie personne ?",
        "ist das eine echte Person?",
        "¿eres una persona real?",
        "ты живой человек?",
        "هل انت شخص حقيقي؟",
        "is this a person or a bot answering me?",
        "я пишу человеку или программе? человек или бот?",
        "rede ich mit einem Menschen oder mit einer KI",
        "je parle à un humain ou à un robot ?",
        "¿me contesta una persona o un bot?",
        # the two alternatives apart ("with a person ... or with a program")
        "это человек пишет или программа?",
        "¿estoy escribiendo con un humano o con un programa?",
        "am I chatting to a person here or to a bot?",
        "je discute avec un humain ou avec une machine ?",
    ],
)
def test_asking_whether_the_bot_is_a_person_is_not_a_handoff(text: str) -> None:
    ranking = [{"name": "bot_challenge", "confidence": 0.8}]
    assert safety.decide(text, "bot_challenge", ranking) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "外国人工作许可怎么办",  # 人工 inside 外国人 + 工作
        "كم تستغرق معاملة الإقامة؟",  # غرق (drowning) inside يستغرق (takes time)
        "mon fils a perdu son passeport",
        "에어비앤비도 경찰서 신고 필요해요?",
    ],
)
def test_words_inside_other_words_raise_nothing(text: str) -> None:
    verdict = safety.check(text)
    assert verdict.acute is None and not verdict.person


def test_an_emergency_without_a_veto_stays_an_emergency() -> None:
    ranking = [{"name": "emergency", "confidence": 0.8}]
    assert safety.decide("what is the number for the police?", "emergency", ranking) == (None, None)


def test_folding_removes_accents_and_unifies_letters() -> None:
    assert safety.fold("ÉTOUFFE Größe ñ") == "etouffe groesse n"
    assert safety.fold("أإآى") == "اااي"
    assert safety.fold("ＡＢＣ") == "abc"


def test_a_broken_rule_file_names_the_file_the_key_and_the_pattern(tmp_path: Path) -> None:
    (tmp_path / "xx.yml").write_text("medical:\n  - '(unclosed'\n", encoding="utf-8")
    with pytest.raises(safety.RuleError, match=r"xx\.yml: medical: '\(unclosed'"):
        safety.load_rules(tmp_path)
    (tmp_path / "xx.yml").write_text("medicine:\n  - 'x'\n", encoding="utf-8")
    with pytest.raises(safety.RuleError, match=r"xx\.yml: unknown key 'medicine'"):
        safety.load_rules(tmp_path)


@pytest.mark.parametrize(
    ("kind", "first"),
    [("medical", "120"), ("police", "110"), ("fire", "119"), ("traffic", "122"), (None, "120")],
)
def test_the_emergency_answer_starts_with_the_number_the_kind_needs(
    use_kb: str, kind: str | None, first: str
) -> None:
    answer = answers.emergency_answer(None, lang="en", emergency_type=kind)
    lines = answer.replies[0].text.splitlines()
    assert lines[1].startswith(f"☎ {first} ")  # after the one-line heading, one number per line
    if kind == "traffic":
        assert lines[2].startswith("☎ 120 ")  # injured people: the ambulance next


@pytest.mark.parametrize(
    ("kind", "first"), [("fire", "119"), ("traffic", "122"), ("police", "110")]
)
def test_without_the_knowledge_base_the_numbers_come_in_the_same_order(
    kind: str, first: str
) -> None:
    order = answers.EMERGENCY_ORDER[kind]
    for lang in ("en", "zh", "ar"):
        lines = answers.emergency_fallback(lang, order).splitlines()
        assert first in lines[0]
        assert len(lines) == 5  # one line each


def _message(text: str, intent: str, ranking: list[dict]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": ranking[0]["confidence"]})
    message.set("intent_ranking", ranking)
    return message


def test_the_component_sets_emergency_and_its_type_whatever_was_predicted() -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "visa", "confidence": 0.3}]
    message = _message("he is not breathing", "nlu_fallback", ranking)
    safety.SafetyLayer().process([message])
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "emergency"
    entities = message.get("entities")
    assert [(e["entity"], e["value"]) for e in entities] == [("emergency_type", "medical")]


def test_the_component_vetoes_with_the_classifiers_own_confidence() -> None:
    ranking = [
        {"name": "emergency", "confidence": 0.5},
        {"name": "international_school", "confidence": 0.45},
    ]
    message = _message("and in Chaoyang?", "emergency", ranking)
    safety.SafetyLayer({"fallback_threshold": 0.4}).process([message])
    assert message.get("intent") == {"name": "international_school", "confidence": 0.45}
    assert not message.get("entities")


def test_a_knowledge_base_without_hotlines_still_gives_the_numbers_in_order(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.knowledge.loader import sync

    (knowledge_copy / "hotlines.yml").unlink()
    # Their translations go with them (validate refuses translations of records that do not exist).
    for translated in (knowledge_copy / "translations").glob("*/hotlines.yml"):
        translated.unlink()
    for entries in knowledge_copy.glob("faq_*.yml"):  # they name hotlines as related records
        entries.unlink()
    for translated in (knowledge_copy / "translations").glob("*/faq.yml"):
        translated.unlink()
    url = f"sqlite:///{tmp_path / 'no-hotlines.db'}"
    sync(knowledge_copy, url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    answer = answers.emergency_answer(None, lang="en", emergency_type="fire")
    lines = answer.replies[0].text.splitlines()
    assert "119" in lines[0] and "120" in lines[1]


def test_a_robbery_going_on_stays_an_emergency_without_a_procedure_word() -> None:
    """The Spanish procedure words ("certificado", "ventanilla", "trámites") veto a robbery only when they are
    there: a robbery told without them is still the police's."""
    assert safety.check("me acaban de robar el pasaporte con un cuchillo").acute == "police"
    assert safety.check("me robaron el pasaporte ahora mismo en el metro").acute == "police"
