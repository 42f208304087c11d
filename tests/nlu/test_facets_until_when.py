"""Known kinds of wrong facet, in the nine languages (bot/nlu/facets.py): a bare "until when" is the
hours only of a place asked about as open, the validity beside a validity word, else the deadline; an
expiry that only tells the situation gives way to the steps or fee asked; "how many days can I stay"
is the validity of a stay, not a processing time; German "wie verlängere ich" asks the steps."""

from __future__ import annotations

import pytest

from bot.nlu import facets


def asked(text: str) -> set[str]:
    return {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    "text",
    [
        "I'm staying with a friend, do I have to register with the police, and until when?",
        "Ich wohne bei einem Freund, muss ich mich auch bei der Polizei anmelden und bis wann?",
        "Me quedo con un amigo, ¿tengo que registrarme? ¿hasta cuándo?",
        "J'habite chez un ami, je dois me déclarer ? jusqu'à quand ?",
        "Живу у друга. До какого времени нужно зарегистрироваться?",
        "我现在住在朋友家，需要去派出所登记吗？最晚到什么时候？",
        "친구 집에 있는데 숙박 등록 언제까지 해요?",
        "أسكن عند صديق، حتى متى يجب أن أسجل في مركز الشرطة؟",
        "30天免签政策到什么时候结束？",
    ],
)
def test_a_bare_until_when_without_a_place_open_asks_the_deadline(text: str) -> None:
    found = asked(text)
    assert "deadline" in found and "hours" not in found, found


@pytest.mark.parametrize(
    "text",
    [
        "Bis wann gilt die 30-tägige Visabefreiung?",
        "Bis wann ist die Verlustbescheinigung gültig?",
        "Until when is the 30-day visa-free entry valid?",
        "¿Hasta cuándo está vigente la entrada sin visado?",
        # "dura" (lasts) is a validity word beside it (ans13zw's "hasta cuándo dura")
        "¿Hasta cuándo dura la exención de visado de 30 días?",
        "紛失証明はいつまで有効ですか？",
        "报失证明到什么时候有效？",
    ],
)
def test_until_when_beside_a_validity_word_asks_the_validity(text: str) -> None:
    found = asked(text)
    assert "validity" in found and not found & {"hours", "deadline"}, found


@pytest.mark.parametrize(
    "text",
    [
        "Bis wann hat das Amt in Chaoyang geöffnet?",
        "until when is the Andingmen hall open on Saturday?",
        "¿Hasta cuándo abre la sala de Andingmen?",
        "jusqu'à quand c'est ouvert samedi ?",
    ],
)
def test_until_when_of_a_place_open_stays_the_hours(text: str) -> None:
    found = asked(text)
    assert "hours" in found and "deadline" not in found, found


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("我的签证快到期了，怎么延期？", "steps"),
        ("我的旅游签证下周就到期了，怎么办理延期？", "steps"),
        ("취업 거류허가가 곧 만료되는데 어떻게 연장해요?", "steps"),
        ("Mon permis de séjour expire bientôt, comment le renouveler ?", "steps"),
        ("My residence permit expires next month, how much is the renewal?", "fee"),
    ],
)
def test_an_expiry_that_tells_the_situation_gives_way_to_what_is_asked(
    text: str, facet: str
) -> None:
    found = asked(text)
    assert facet in found and "validity" not in found, found


def test_an_expiry_alone_is_still_the_validity() -> None:
    assert asked("when does my visa expire?") == {"validity"}


@pytest.mark.parametrize(
    "text",
    [
        "I'm Japanese. How many days can I stay in China without a visa?",
        "日本人です。ビザなしで中国に何日滞在できますか？",
        "한국 사람인데 비자 없이 중국에 며칠 있을 수 있어요?",
        "Soy chileno, ¿cuántos días puedo quedarme en China sin visa?",
        "أنا سعودي، كم يوما أستطيع البقاء في الصين بدون تأشيرة؟",
        "Wie viele Tage darf ich ohne Visum in China bleiben?",
        "Combien de jours puis-je rester en Chine sans visa ?",
        "Сколько дней можно находиться в Китае без визы?",
        "免签能待几天？",
    ],
)
def test_how_many_days_can_i_stay_is_the_validity_not_a_processing_time(text: str) -> None:
    found = asked(text)
    assert "validity" in found and "processing_time" not in found, found


@pytest.mark.parametrize(
    "text",
    [
        "Wie verlängere ich mein Touristenvisum?",
        "Wie kann ich meine Aufenthaltserlaubnis verlängern?",
    ],
)
def test_german_how_do_i_extend_asks_the_steps(text: str) -> None:
    assert "steps" in asked(text)
