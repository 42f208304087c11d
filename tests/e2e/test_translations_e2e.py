"""End to end over REST against the real Rasa and action servers: a Russian user gets a translated
procedure with one line saying so and buttons for the original; the buttons show the same answer in
English and in Chinese, and the conversation stays in Russian.

Needs the trained model (`make test` trains it first when the training data changed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from servers import assistant_env, running_assistant

from bot.dialogue.i18n import t
from bot.runtime import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serve.Servers]:
    env = assistant_env(tmp_path_factory.mktemp("var"))
    with running_assistant(env) as running:
        yield running


def say(servers: serve.Servers, sender: str, text: str) -> list[dict]:
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_show_original_in_english_and_chinese_keeps_the_conversation_in_russian(
    servers: serve.Servers,
) -> None:
    user = "u-translated"
    assert "Здравствуйте" in texts(say(servers, user, "Здравствуйте!"))  # the language is Russian

    short = texts(say(servers, user, '/residence_permit{"permit_type":"work"}'))
    assert "Вид на жительство для работы" in short  # the page in short (issue 13), in Russian
    answer = say(servers, user, "/more_details")  # the whole page
    body = texts(answer)
    assert "Документы:" in body
    assert "1. Действующий паспорт или другой международный проездной документ (оригинал)." in body
    assert "Если вам от 18 до 70 лет" in body and "6 месяцев" in body  # numbers copied
    assert "Valid passport" not in body
    offer = next(m for m in answer if m.get("text") == t("translation_machine", "ru"))
    assert [b["title"] for b in offer["buttons"]] == [
        "Оригинал на английском",
        "Оригинал на китайском",
    ]
    english_button, chinese_button = (b["payload"] for b in offer["buttons"])

    english = say(servers, user, english_button)
    assert english[0]["text"] == t("original_intro_en", "ru")
    shown = texts(english)
    assert "1. Valid passport or other international travel document (original)." in shown
    assert "Documents:" in shown and "Действующий паспорт" not in shown
    assert "CNY" in shown and "Andingmen" in shown  # fees and the places, as in the English answer
    assert not any(m.get("buttons") for m in english)  # no second rating question, no offer

    chinese = texts(say(servers, user, chinese_button))
    assert t("original_intro_zh", "ru") in chinese
    assert "1. 有效护照或其他国际旅行证件（原件）。" in chinese

    # The conversation's language did not change: the next answer is in Russian again.
    study = texts(say(servers, user, '/residence_permit{"permit_type":"study"}'))
    assert "Вид на жительство для учёбы" in study
    assert "Study residence permit" not in study


def test_show_original_without_an_earlier_answer_says_so(servers: serve.Servers) -> None:
    user = "u-translated-none"
    say(servers, user, "Здравствуйте!")
    reply = texts(say(servers, user, '/show_original{"language":"en"}'))
    assert reply == t("original_none", "ru")
