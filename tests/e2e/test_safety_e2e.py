"""End to end over REST with the real Rasa and action servers: the safety layer as users meet it.

An emergency in each of the nine languages gets the number it needs first; a complaint gets an apology
and the offer of a person; a follow-up ("and in Chaoyang?") after a school question gets no emergency
block. Needs the trained model (`make train`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests
from servers import assistant_env, running_assistant

pytestmark = pytest.mark.slow

NUMBER = re.compile(r"(?<!\d)(110|119|120|122)(?!\d)")


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = assistant_env(tmp_path_factory.mktemp("var"))
    with running_assistant(env) as running:
        yield running.rasa_url


def say(rasa_url: str, sender: str, text: str) -> list[str]:
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [m.get("text", "") for m in response.json()]


@pytest.mark.parametrize(
    ("lang", "text", "first"),
    [
        ("en", "my husband collapsed and is not breathing", "120"),
        ("zh", "厨房着火了，快来人", "119"),
        ("ja", "ナイフを持った男に襲われた", "110"),
        ("ko", "교통사고가 났어요, 사람이 다쳤어요", "122"),
        ("ru", "мой сын не дышит", "120"),
        ("fr", "il y a le feu dans mon appartement", "119"),
        ("de", "ein Mann hat mich gerade überfallen", "110"),
        ("es", "mi hija se desmayó y no responde", "120"),
        ("ar", "والدي لا يتنفس", "120"),
    ],
)
def test_an_emergency_gets_the_number_it_needs_first(
    rasa_url: str, lang: str, text: str, first: str
) -> None:
    replies = say(rasa_url, f"emergency-{lang}", text)
    assert replies, "no reply"
    numbers = NUMBER.findall(replies[0])
    assert numbers and numbers[0] == first, replies[0]
    assert {"110", "119", "120", "122"} <= set(numbers)  # then the others, one line each


def test_a_complaint_gets_an_apology_and_the_offer_of_a_person(rasa_url: str) -> None:
    text = "\n".join(say(rasa_url, "complaint-en", "this is useless, nobody is helping me"))
    assert "I'm sorry I could not help you better." in text
    assert "You can talk to a person here:" in text
    assert "12345" in text
    assert "🚨" not in text


def test_asking_for_a_real_person_is_a_handoff_not_the_bot_reply(rasa_url: str) -> None:
    text = "\n".join(
        say(rasa_url, "person-en", "this bot is useless, I want to talk to a real person")
    )
    assert "You can talk to a person here:" in text
    spanish = "\n".join(say(rasa_url, "person-es", "esto es horrible, nadie me ayuda"))
    assert "Siento no haber podido ayudarle mejor." in spanish
    assert "🚨" not in spanish


def test_a_follow_up_after_a_school_question_is_not_an_emergency(rasa_url: str) -> None:
    say(rasa_url, "follow-up", "which international schools are there in Shunyi?")
    text = "\n".join(say(rasa_url, "follow-up", "and in Chaoyang?"))
    assert text
    assert "🚨" not in text and "120" not in text
