"""End to end: both real servers on free loopback ports, a conversation over the REST channel.

Needs the trained model (`make test` trains it first when the training data changed).
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from servers import assistant_env, running_assistant, start_assistant

from bot.dialogue import i18n
from bot.knowledge.loader import sync
from bot.runtime import serve

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-not-a-secret"

pytestmark = pytest.mark.slow


class Chat:
    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, body: object, raw: bool = False) -> requests.Response:
        data = body if raw else json.dumps(body)
        return requests.post(
            f"{self.base}/webhooks/rest/webhook",
            data=data,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        body: dict = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response.json()

    def text(self, sender: str, text: str, metadata: dict | None = None) -> str:
        return "\n".join(m.get("text", "") for m in self.say(sender, text, metadata))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return assistant_env(tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    with running_assistant(env) as running:
        yield running


@pytest.fixture(scope="module")
def chat(servers: serve.Servers) -> Chat:
    return Chat(servers.rasa_url)


def test_action_server_prepares_the_knowledge_at_start(chat: Chat, env: dict[str, str]) -> None:
    """The names matcher and the questions-and-answers index are built when the action server starts
    (bot.knowledge.db.prepare_published), not in the first questions' turns."""
    import time

    log = Path(env["ASSISTANT_VAR_DIR"]) / "logs" / "actions.log"
    deadline = time.monotonic() + 120
    while "Knowledge prepared at start" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the action server never prepared the knowledge"
        time.sleep(0.5)
    assert "Knowledge not prepared at start" not in log.read_text(errors="replace")


def test_where_to_renew_residence_permit_in_chaoyang(chat: Chat) -> None:
    answer = chat.text("u-where", "where can I renew my residence permit in chaoyang?")
    assert "Jiuxianqiao" in answer  # the Chaoyang exit-entry hall's address
    assert "酒仙桥" in answer  # and its Chinese address for the taxi driver
    assert answer.index("Jiuxianqiao") < answer.index("Source:")
    assert "Source:" in answer and "english.beijing.gov.cn" in answer
    assert "Not yet confirmed by our staff." in answer  # nobody has confirmed the real records


def test_procedure_asks_the_permit_type_then_answers(chat: Chat) -> None:
    first = chat.say("u-rp", "what documents do I need for a residence permit")
    # The permit type matters and is missing: the bot asks, with buttons.
    buttons = [b for m in first for b in m.get("buttons", [])]
    assert len(buttons) == 4, first
    payload = next(b["payload"] for b in buttons if '"work"' in b["payload"])
    # The fact asked first (issue 13): the documents, then the whole page behind "More details".
    answer = chat.text("u-rp", payload)
    assert "passport" in answer
    details = chat.text("u-rp", "/more_details")
    assert "Andingmen" in details  # the main exit-entry hall handles every type
    assert "安定门东街2号" in details
    assert "CNY" in details  # fees from the knowledge base
    # Typing the type works as well as the button, and the fact asked is kept.
    asked = chat.say("u-rp2", "residence permit documents")
    assert [b for m in asked for b in m.get("buttons", [])], asked
    assert "passport" in chat.text("u-rp2", "study")


def test_rest_gets_text_buttons_and_card_in_one_message(chat: Chat) -> None:
    """Issue 15: a knowledge reply is one REST message with its text (for clients that read text) and its
    card (`custom`); the last one carries 👍 / 👎 as buttons, with no separate rating question."""
    short = chat.say("u-cards", '/find_service_point{"service":"visa_extension"}')
    # The short answer (issue 13): one message, More details and 👍 / 👎 as its buttons.
    rating = ['/rate_answer{"rating":"up"}', '/rate_answer{"rating":"down"}']
    assert [b["payload"] for b in short[-1]["buttons"]] == ["/more_details", *rating]
    assert [b["payload"] for b in short[-1]["custom"]["rate"]] == rating
    messages = chat.say("u-cards", "/more_details")
    assert all(m.get("text") for m in messages), messages  # no card-only message
    places = [m for m in messages if (m.get("custom") or {}).get("type") == "place"]
    assert places, messages
    assert all(m["custom"]["name"] in m["text"] for m in places)
    assert messages[-1]["custom"]["rate"] == messages[-1]["buttons"]
    assert [b["payload"] for b in messages[-1]["buttons"]] == rating
    assert not any(m["text"] == i18n.t("rate_ask", "en") for m in short + messages)


def test_chinese_question_gets_a_chinese_answer(chat: Chat) -> None:
    answer = chat.text("u-zh", "朝阳区哪里办工作类居留许可")
    assert "酒仙桥" in answer
    assert "来源" in answer  # rendered in Chinese, with its source


def test_ib_schools_in_shunyi(chat: Chat) -> None:
    answer = chat.text("u-school", "which schools teach IB in Shunyi?")
    assert "IB" in answer and ("Shunyi" in answer or "顺义" in answer)
    # The short answer names the first; the whole list is behind "More details".
    details = chat.text("u-school", "/more_details")
    assert "International School of Beijing" in details or "Keystone" in details


def test_english_speaking_hospital(chat: Chat) -> None:
    answer = chat.text("u-health", "where can I find an english speaking hospital")
    assert "United Family" in answer or "Peking Union" in answer or "OASIS" in answer


def test_emergency_numbers_come_first(chat: Chat) -> None:
    messages = chat.say("u-sos", "help!! my friend collapsed, we need an ambulance")
    assert "120" in messages[0]["text"]
    assert "110" in messages[0]["text"]


def test_unsure_offers_two_topics_and_something_else(chat: Chat) -> None:
    messages = chat.say("u-unsure", "blorp fizzle quantum")
    buttons = [b for m in messages for b in m.get("buttons", [])]
    # Either offered the two likeliest topics plus "something else", or recognised as out of scope:
    # then no question-and-answer entry is close, so it says what it covers and offers a person.
    if len(buttons) == 3:
        assert buttons[-1]["payload"] == "/out_of_scope"
    else:
        assert "outside" in messages[0]["text"] or "rephrase" in messages[0]["text"]
        assert [b["payload"] for b in buttons] in ([], ["/human_handoff"])


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "bad", "message": ""},
        {"sender": "bad", "message": "x" * 100_000},
        {"sender": "bad", "message": "\x00\x01\x02\x1b[31m hello \u202e"},
        {"sender": "bad", "message": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
        {"sender": "bad", "message": "🙂🙂🙂"},
        {"sender": "bad", "message": '/residence_permit{"permit_type": '},
        {"sender": "bad", "message": 12345},
        {"sender": "bad"},
        {"message": "no sender"},
        [],
    ],
)
def test_bad_input_never_5xx(chat: Chat, body: object) -> None:
    response = chat.post(body)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "",
        "\x00\xff",
        "null",
        "[1, 2]",
        '{"sender": "x", "message": "hi", "metadata": 5}',
    ],
)
def test_malformed_json_is_a_400(chat: Chat, raw: str) -> None:
    response = chat.post(raw, raw=True)
    assert response.status_code == 400, response.text
    assert "error" in response.json()


def test_too_long_message_gets_a_polite_reply(chat: Chat) -> None:
    (reply,) = chat.say("u-long", "where is the office " * 5000)
    assert "too long" in reply["text"]


def test_server_survives_bad_input(chat: Chat) -> None:
    assert chat.text("u-alive", "hi")


def test_http_api_is_off_without_token(chat: Chat) -> None:
    response = requests.get(f"{chat.base}/conversations/u-rp/tracker", timeout=10)
    assert response.status_code in (401, 403, 404, 405)


NEW_POINT = """\
service_points:
  - id: e2e_new_hall
    kind: exit_entry_hall
    name: {en: Huairou Lakeside Test Foreigner Hall, zh: 怀柔湖畔测试外国人大厅}
    district: huairou
    address: {en: "99 Lakeside Test Road, Huairou", zh: 怀柔区湖畔测试路99号}
    phones: []
    hours:
      open_24h: true
    services: [visa_extension]
    source: ["example.gov.cn/test-fixture.html [OFF]"]
    source_date: "2026-11-22"
"""


def test_answers_from_new_data_after_sync_without_restart(chat: Chat, env: dict[str, str]) -> None:
    knowledge = Path(env["KNOWLEDGE_DIR"])
    (knowledge / "zz_e2e.yml").write_text(textwrap.dedent(NEW_POINT), encoding="utf-8")
    sync(knowledge, env["KB_DATABASE_URL"])
    answer = chat.text("u-new", "where can I extend my visa in huairou")
    assert "湖畔测试路99号" in answer


RESIDENCE_PERMIT_IN_CHAOYANG = {
    "en": "where can I renew my residence permit in Chaoyang?",
    "zh": "朝阳区哪里可以办居留许可？",
    "ja": "朝陽区で居留許可の更新はどこでできますか",
    "ko": "차오양구에서 거류허가 연장은 어디서 해요?",
    "ru": "Где продлить вид на жительство в Чаояне?",
    "fr": "où renouveler mon titre de séjour à Chaoyang ?",
    "de": "Wo kann ich meine Aufenthaltserlaubnis in Chaoyang verlängern?",
    "es": "¿Dónde puedo renovar el permiso de residencia en Chaoyang?",
    "ar": "أين يمكنني تجديد تصريح الإقامة في تشاويانغ؟",
}


@pytest.mark.parametrize("lang", sorted(RESIDENCE_PERMIT_IN_CHAOYANG))
def test_same_question_in_nine_languages(chat: Chat, lang: str) -> None:
    from bot.dialogue import i18n

    sender = f"u-nine-{lang}"
    messages = chat.say(sender, RESIDENCE_PERMIT_IN_CHAOYANG[lang])
    # Asked for the permit type first (rather than answered and asked for a rating): answer "work".
    work = [
        b["payload"]
        for m in messages
        for b in m.get("buttons", [])
        if '"permit_type":"work"' in b["payload"]
    ]
    if work:
        messages = chat.say(sender, work[0])
    answer = "\n".join(m.get("text", "") for m in messages)
    assert "酒仙桥" in answer, answer  # the Chaoyang hall's Chinese address, for the driver
    # The label of the Chinese address in the user's language (ours when we translated it).
    labels = [
        i18n.t(key, lang, text="").strip(" :：\u2066\u2069")
        for key in ("address_zh", "address_zh_translated")
    ]
    assert any(label in answer for label in labels), f"not answered in {lang}: {answer[:300]}"


def test_japanese_hospital_question_gets_a_japanese_answer(chat: Chat) -> None:
    from bot.dialogue import i18n

    answer = chat.text("u-ja-hospital", "朝陽区で病院を探しています")
    assert i18n.t("hospitals_intro", "ja", filters="").rstrip("：:").strip()[:4] in answer
    assert "Chaoyang" in answer or "朝阳" in answer or "朝陽" in answer


def response_text(name: str, lang: str) -> str:
    """The text of an utter_* response in `lang`, from the catalogue (bot/locales/<lang>.yml)."""
    from bot.dialogue import i18n

    return str(i18n.responses(lang)[name][0]["text"])


def test_hi_after_german_keeps_german(chat: Chat) -> None:
    chat.say("u-de", "Wo kann ich meine Aufenthaltserlaubnis in Chaoyang verlängern?")
    assert chat.text("u-de", "hi") == response_text("utter_greet", "de")


def test_help_comes_from_the_catalogue_with_its_buttons(chat: Chat) -> None:
    """utter_help through the custom NLG (endpoints.yml `nlg:`): the conversation's language, its
    buttons' titles translated and their payloads answering."""
    from bot.dialogue import i18n

    assert chat.text("u-help", "你好") == response_text("utter_greet", "zh")
    messages = chat.say("u-help", "/help")
    expected = i18n.responses("zh")["utter_help"][0]
    assert [m["text"] for m in messages] == [expected["text"]]
    buttons = [(b["title"], b["payload"]) for b in messages[0]["buttons"]]
    assert buttons == [(b["title"], b["payload"]) for b in expected["buttons"]]
    assert buttons[0] == ("居留许可", "/residence_permit")
    # Pressing one is a message like any other, answered in Chinese.
    assert "120" in chat.text("u-help", dict(buttons)["紧急电话"])


def test_language_hint_from_channel_decides_the_first_reply(chat: Chat) -> None:
    assert chat.text("u-hint", "ok", metadata={"language": "fr"}) == response_text(
        "utter_affirm", "fr"
    )


# Last: it stops the module's servers.
def test_conversation_survives_restart_and_api_needs_token(
    servers: serve.Servers, env: dict[str, str]
) -> None:
    chat = Chat(servers.rasa_url)
    chat.say("u-persist", "hello")
    servers.stop()
    # The conversation is in the SQL tracker store on disk.
    db = env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select count(*) from events where sender_id = 'u-persist'").fetchone()[
            0
        ]
    assert rows > 0
    restarted = start_assistant({**env, "RASA_API_TOKEN": TOKEN})
    try:
        url = f"{restarted.rasa_url}/conversations/u-persist/tracker"
        assert requests.get(url, timeout=10).status_code in (401, 403)
        for _ in range(20):
            response = requests.get(url, params={"token": TOKEN}, timeout=10)
            if response.status_code == 200:
                break
            time.sleep(0.5)
        texts = [e.get("text") for e in response.json()["events"] if e.get("event") == "user"]
        assert "hello" in texts
        Chat(restarted.rasa_url).say("u-persist", "thanks")
    finally:
        restarted.stop()
