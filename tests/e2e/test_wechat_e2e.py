"""End to end: the WeChat channel on the real Rasa server and action server, against a fake of WeChat.

One start of both servers for the module (`bot.runtime.serve.start`, free loopback ports, WECHAT_* pointing at
the fake API in tests/fakes). Requests are signed and encrypted the way WeChat does it by an implementation
independent of the channel's. A "slow" user's turns are made slow realistically: Rasa reaches the action
server through a small proxy that delays that user's action calls, so the turn misses the 5-second
window and the answer must come through the customer-service API, exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web
from fakes.wechat_api import Envelope, FakeWeChatApi, WeChatPush, xml_fields
from servers import assistant_env, free_port, start_assistant

from bot.dialogue import i18n
from bot.runtime import serve

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2eWeChatToken"
APPID = "wx5e2e0000feedbeef"
SECRET = "e2e-secret-not-a-real-one"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
PREVIOUS_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
SLOW = "oSLOW"  # OpenIDs starting with this get a slow action server
# Per action call, beyond the passive budget (4 s) on its own: a knowledge answer makes one action-server
# call since the Rasa server decides the reply language itself (two with BJ_RASA_PATCHES=0).
SLOW_DELAY = 5.0

pytestmark = pytest.mark.slow


class DelayProxy:
    """HTTP proxy in front of the action server that delays the calls of the slow users."""

    def __init__(self, port: int, target: str) -> None:
        self.port, self.target = port, target
        self.delayed = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            sender = json.loads(body or b"{}").get("sender_id") or ""
            sender = sender.removeprefix("wechat:")
        except ValueError:
            sender = ""
        if sender.startswith(SLOW):
            self.delayed += 1
            await asyncio.sleep(SLOW_DELAY)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.target + request.path_qs,
                data=body,
                headers={"Content-Type": "application/json"},
            ) as upstream,
        ):
            payload = await upstream.read()
            return web.Response(
                body=payload, status=upstream.status, content_type=upstream.content_type
            )

    def start(self) -> None:
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()

        async def serve_() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self.handle)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve_())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        assert ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(APPID, SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, api: FakeWeChatApi) -> dict[str, str]:
    var = tmp_path_factory.mktemp("wechat-var")
    return {
        **assistant_env(var),
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_AES_KEY": KEY,
        "WECHAT_AES_KEY_PREVIOUS": PREVIOUS_KEY,
        "WECHAT_API_BASE": api.base_url,
        "WECHAT_HUMAN_HANDOFF": "1",
    }


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    logs = Path(env["ASSISTANT_VAR_DIR"]) / "logs"
    running = start_assistant(env, log_dir=logs)
    proxy: DelayProxy | None = None
    try:
        # Put the delaying proxy where Rasa expects the action server, and the action server behind it.
        actions = running.processes[0]
        actions.send_signal(2)
        actions.wait(30)
        behind = free_port()
        replacement = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(behind),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=(logs / "actions-behind-proxy.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        running.processes[0] = replacement
        proxy = DelayProxy(running.actions_port, f"http://127.0.0.1:{behind}")
        proxy.start()
        serve.wait_for("127.0.0.1", behind, replacement, "the action server", 120)
        # Warm up (the first turn of a fresh server loads lazily).
        requests.post(
            f"{running.rasa_url}/webhooks/rest/webhook",
            json={"sender": "warmup", "message": "hi"},
            timeout=120,
        )
        yield running
    finally:
        running.stop()
        if proxy is not None:
            proxy.stop()


@pytest.fixture(scope="module")
def wechat(servers: serve.Servers, api: FakeWeChatApi) -> WeChatPush:
    return WeChatPush(f"{servers.rasa_url}/webhooks/wechat/webhook", TOKEN, APPID, api=api)


def events(env: dict[str, str], openid: str, type_name: str | None = None) -> int:
    """Stored events of a WeChat user's conversation (`wechat:<OpenID>`, see bot/channels/common.py)."""
    sender = "wechat:" + openid
    db = env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        if type_name:
            query = "select count(*) from events where sender_id = ? and type_name = ?"
            return conn.execute(query, (sender, type_name)).fetchone()[0]
        return conn.execute(
            "select count(*) from events where sender_id = ?", (sender,)
        ).fetchone()[0]


def collect(
    response: requests.Response,
    api: FakeWeChatApi,
    openid: str,
    before: int,
    key: str | None = None,
    wechat: WeChatPush | None = None,
) -> str:
    """Everything the user saw for one message: the passive reply and the customer-service messages
    after the first `before` ones (a turn slowed down by a busy machine may answer through the API)."""
    assert response.status_code == 200, response.text
    texts: list[str] = []
    if response.text == "success":
        api.wait_for_messages(openid, before + 1, timeout=60)
    else:
        fields = (
            wechat.open_reply(response.text, key) if key and wechat else xml_fields(response.text)
        )
        assert fields["ToUserName"] == openid and fields["MsgType"] == "text", fields
        texts.append(fields["Content"])
    time.sleep(1.5)  # further parts follow a passive reply after half a second
    texts += [m.content for m in api.messages_to(openid)[before:]]
    return "\n\n".join(texts)


def ask(
    wechat: WeChatPush, api: FakeWeChatApi, xml: str, mode: str = "plain", key: str | None = None
) -> str:
    openid = xml_fields(xml)["FromUserName"]
    before = len(api.messages_to(openid))
    return collect(wechat.send(xml, mode=mode, key=key), api, openid, before, key, wechat)


# ----------------------------------------------------------------------------------- protocol


def test_url_verification(wechat: WeChatPush, servers: serve.Servers) -> None:
    params, _ = wechat.request("<xml/>")
    ok = requests.get(wechat.url, params={**params, "echostr": "8133413928754637000"}, timeout=10)
    assert ok.status_code == 200 and ok.text == "8133413928754637000"
    bad = requests.get(
        wechat.url, params={**params, "signature": "0" * 40, "echostr": "x"}, timeout=10
    )
    assert bad.status_code == 403
    old, _ = wechat.request("<xml/>", timestamp=int(time.time()) - 3600)
    assert requests.get(wechat.url, params={**old, "echostr": "x"}, timeout=10).status_code == 403


def test_plain_mode_answers_from_the_knowledge_base(wechat: WeChatPush, api: FakeWeChatApi) -> None:
    answer = ask(
        wechat,
        api,
        wechat.text("oPLAIN_residence", "where can I renew my residence permit in chaoyang?"),
    )
    assert "Jiuxianqiao" in answer and "酒仙桥" in answer
    assert "Source:" in answer


def test_compatible_mode_gets_an_encrypted_reply(wechat: WeChatPush, api: FakeWeChatApi) -> None:
    openid = "oCOMPAT_hospital"
    response = wechat.send(
        wechat.text(openid, "where can I find an english speaking hospital"), mode="compat", key=KEY
    )
    assert "<Encrypt>" in response.text or response.text == "success"
    answer = collect(response, api, openid, 0, KEY, wechat)
    assert "United Family" in answer or "Peking Union" in answer or "OASIS" in answer


def test_safe_mode_chinese_question_gets_encrypted_chinese_answer(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    openid = "oSAFE_zh"
    started = time.monotonic()
    response = wechat.send(wechat.text(openid, "朝阳区哪里办工作类居留许可"), mode="safe", key=KEY)
    assert time.monotonic() - started < 5  # WeChat's deadline
    if response.text != "success":
        envelope = xml_fields(response.text)
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    answer = collect(response, api, openid, 0, KEY, wechat)
    assert "酒仙桥" in answer and "来源" in answer


def test_previous_key_still_works_during_rotation(wechat: WeChatPush, api: FakeWeChatApi) -> None:
    openid = "oROTATE"
    response = wechat.send(wechat.text(openid, "hi"), mode="safe", key=PREVIOUS_KEY)
    assert response.status_code == 200
    if response.text != "success":
        # The reply is encrypted with the key that worked.
        assert wechat.open_reply(response.text, PREVIOUS_KEY)["Content"]


@pytest.mark.parametrize(
    "attack",
    [
        "bad_signature",
        "expired",
        "future",
        "bad_msg_signature",
        "wrong_appid",
        "bad_padding",
        "unknown_key",
        "doctype",
        "entity",
        "oversize",
        "body_swap",
    ],
)
def test_forged_or_replayed_requests_are_refused(
    wechat: WeChatPush, env: dict[str, str], attack: str
) -> None:
    openid = f"oATTACK_{attack}"
    xml = wechat.text(openid, "where can I renew my residence permit in chaoyang?")
    status = 403
    if attack == "bad_signature":
        params, body = wechat.request(xml)
        params["signature"] = "f" * 40
    elif attack in ("expired", "future"):
        params, body = wechat.request(
            xml, timestamp=int(time.time()) + (-600 if attack == "expired" else 600)
        )
    elif attack == "bad_msg_signature":
        params, body = wechat.request(xml, mode="safe", key=KEY)
        params["msg_signature"] = "0" * 40
    elif attack == "wrong_appid":
        params, body = wechat.request(
            xml, mode="safe", encrypt=Envelope(KEY, "wx0000000000000bad").encrypt(xml)
        )
    elif attack == "bad_padding":
        params, body = wechat.request(
            xml, mode="safe", encrypt=Envelope(KEY, APPID).encrypt(xml, pad_byte=0)
        )
    elif attack == "unknown_key":
        params, body = wechat.request(xml, mode="safe", key="B" * 43)
    elif attack == "doctype":
        params, body = wechat.request(
            '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'
        )
        status = 400
    elif attack == "entity":
        bomb = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>'
        params, body = wechat.request(bomb, mode="safe", key=KEY)
        status = 400
    elif attack == "oversize":
        params, body = wechat.request(wechat.text(openid, "x" * 70_000))
        status = 413
    else:  # body_swap: a captured (signature, timestamp, nonce) replayed with a forged body
        params, body = wechat.request(wechat.text(openid, "hi"))
        assert wechat.post(params, body).status_code == 200
        body = wechat.text(openid, "forged").encode()
    response = wechat.post(params, body)
    assert response.status_code == status, (attack, response.status_code, response.text)
    if attack != "body_swap":
        assert events(env, openid, "user") == 0


def test_three_interleaved_retries_are_processed_once(
    wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid = "oRETRY_fast"
    xml = wechat.text(openid, "which schools teach IB in Shunyi?")
    api.interaction(openid)
    params, body = wechat.request(xml)

    def attempt(delay: float) -> requests.Response:
        time.sleep(delay)
        return wechat.post(params, body)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(attempt, [0.0, 0.05, 0.1, 0.3]))
    assert {r.status_code for r in responses} == {200}
    bodies = {r.text for r in responses}
    assert len(bodies) == 1, bodies  # every retry gets the same outcome
    answer = collect(responses[0], api, openid, 0)
    assert (
        "IB in Shunyi" in answer
    )  # answered once (in short, issue 13: the list behind More details)
    assert events(env, openid, "user") == 1


def test_slow_turn_falls_back_to_customer_service_exactly_once(
    wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid = SLOW + "_retries"
    xml = wechat.text(openid, "where can I renew my residence permit in chaoyang?")
    api.interaction(openid)
    params, body = wechat.request(xml)

    def attempt(delay: float) -> tuple[float, requests.Response]:
        time.sleep(delay)
        started = time.monotonic()
        response = wechat.post(params, body)  # raises if WeChat's 5 s deadline is missed
        return time.monotonic() - started, response

    # The first attempt and three interleaved retries (WeChat retries when it gets no answer).
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, [0.0, 0.5, 1.0, 4.5]))
    for elapsed, response in results:
        assert response.status_code == 200 and response.text == "success"
        assert elapsed < 5.0
    sent = api.wait_for_messages(openid, 1, timeout=60)
    time.sleep(SLOW_DELAY + 2)  # nothing else may follow
    sent = api.messages_to(openid)
    answer = "\n\n".join(m.content for m in sent)
    assert "Jiuxianqiao" in answer and "酒仙桥" in answer
    assert len(sent) == len({m.content for m in sent}), "a part was delivered twice"
    assert events(env, openid, "user") == 1
    # Customer-service JSON is sent unescaped (WeChat would show \\uXXXX literally).
    assert all(b"\\u" not in m.raw for m in sent)


def test_quota_merging_and_exhausted_window(
    wechat: WeChatPush, api: FakeWeChatApi, servers: serve.Servers
) -> None:
    question = "where can I renew my residence permit in chaoyang?"

    def rest_say(text: str) -> list[dict[str, Any]]:
        return requests.post(
            f"{servers.rasa_url}/webhooks/rest/webhook",
            json={"sender": "rest-compare", "message": text},
            timeout=60,
        ).json()

    rest_say(question)
    rest = rest_say("/more_details")  # the whole page: procedure, where to go, the places
    openid = SLOW + "_merge"
    response = wechat.send(wechat.text(openid, question))
    assert response.text == "success"
    first = len(api.wait_for_messages(openid, 1, timeout=60))
    time.sleep(2)
    first = len(api.messages_to(openid))
    assert wechat.send(wechat.text(openid, "1")).text == "success"  # More details, by its number
    api.wait_for_messages(openid, first + 1, timeout=60)
    time.sleep(2)
    sent = api.messages_to(openid)[first:]
    assert len(rest) >= 3
    # The turn's messages are merged where they fit (a place card near WeChat's 2,048-byte limit
    # goes alone): never more messages than replies, at most five, each within the limit.
    assert 1 <= len(sent) <= len(rest) and len(sent) <= 5
    assert all(len(m.content.encode()) <= 2048 for m in sent)
    # The window used up elsewhere: WeChat answers 45047 once; logged, not retried.
    openid = SLOW + "_exhausted"
    api.interaction(openid)
    params, body = wechat.request(wechat.text(openid, question))
    api.consume(openid, 5)
    assert wechat.post(params, body).text == "success"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not [a for a in api.attempts if a[0] == openid]:
        time.sleep(0.2)
    time.sleep(2)
    attempts = [code for user, code in api.attempts if user == openid]
    assert attempts == [45047]


def test_token_is_cached_and_refreshed_on_expiry_and_staleness(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    question = "which schools teach IB in Shunyi?"

    def slow_answer(openid: str) -> None:
        assert wechat.send(wechat.text(openid, question)).text == "success"
        assert api.wait_for_messages(openid, 1, timeout=60)

    slow_answer(SLOW + "_token1")
    fetches = api.token_fetches
    assert fetches >= 1
    slow_answer(SLOW + "_token2")
    assert api.token_fetches == fetches  # cached: no fetch per message
    api.expire_tokens()
    slow_answer(SLOW + "_token3")
    assert api.token_fetches == fetches + 1
    assert [c for u, c in api.attempts if u == SLOW + "_token3"][:2] == [42001, 0]
    # Another process (a second replica, or this one restarted) fetches a token: with the stable_token
    # endpoint it gets the same token, so ours stays valid (issue 17: the classic endpoint invalidated it).
    other = requests.post(
        f"{api.base_url}/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
        timeout=10,
    ).json()
    assert other["access_token"]
    slow_answer(SLOW + "_token4")
    assert [c for u, c in api.attempts if u == SLOW + "_token4"][:1] == [0]


# ----------------------------------------------------------------------------------- rendering


def test_numbered_options_and_replies_by_number_or_text(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    openid = "oOPTIONS"
    first = ask(wechat, api, wechat.text(openid, "what documents do I need for a residence permit"))
    assert "1. Work" in first and "2. Study" in first and "(Reply with a number.)" in first
    answer = ask(wechat, api, wechat.text(openid, "1"))
    assert "passport" in answer and "1. More details" in answer  # the fact asked (issue 13)
    details = ask(wechat, api, wechat.text(openid, "1"))  # More details, by its number
    assert "Andingmen" in details and "CNY" in details
    other = "oOPTIONS_text"
    ask(wechat, api, wechat.text(other, "residence permit documents"))
    assert "passport" in ask(wechat, api, wechat.text(other, "Study"))


def test_rating_as_numbered_options_is_stored(
    wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid = "oRATING"
    answer = ask(wechat, api, wechat.text(openid, "where can I find an english speaking hospital"))
    assert i18n.t("rate_ask", "en") in answer, answer[-300:]
    # The options are numbered after "More details" (issue 13): 1. More details, 2. 👍, 3. 👎.
    assert f"2. {i18n.t('rate_up', 'en')}" in answer and f"3. {i18n.t('rate_down', 'en')}" in answer
    sorry = ask(wechat, api, wechat.text(openid, "3"))
    assert (
        i18n.t("rate_sorry", "en") in sorry
        and f"1. {i18n.name('intents', 'human_handoff', 'en')}" in sorry
    )
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        (data,) = conn.execute(
            "select data from events where sender_id = ? and intent_name = 'rate_answer'",
            ("wechat:" + openid,),
        ).fetchone()
    stored = json.loads(data)
    assert stored["input_channel"] == "wechat"
    assert [(e["entity"], e["value"]) for e in stored["parse_data"]["entities"]] == [
        ("rating", "down")
    ]


def test_location_message_lists_the_nearest_office(wechat: WeChatPush, api: FakeWeChatApi) -> None:
    openid = "oLOCATION"
    xml = wechat.message(
        openid, "location", Location_X="40.1302", Location_Y="116.6540", Scale="15", Label="顺义区"
    )
    answer = ask(wechat, api, xml)
    first = answer.split("📍", 2)[1]
    assert "Shunyi" in first, answer[:400]


def test_location_event_is_used_for_a_later_nearest_question(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    openid = "oLOCEVENT"
    event = wechat.event(
        openid, "LOCATION", Latitude="40.1302", Longitude="116.6540", Precision="30.0"
    )
    assert wechat.send(event).text == "success"
    answer = ask(wechat, api, wechat.text(openid, "nearest exit-entry office"))
    assert "Shunyi" in answer.split("📍", 2)[1], answer[:400]


def test_voice_image_and_menu(wechat: WeChatPush, api: FakeWeChatApi) -> None:
    openid = "oMEDIA"
    voice = wechat.message(
        openid,
        "voice",
        MediaId="m1",
        Format="amr",
        Recognition="where can I find an english speaking hospital",
    )
    answer = ask(wechat, api, voice)
    assert "United Family" in answer or "Peking Union" in answer or "OASIS" in answer
    unheard = wechat.message(openid, "voice", MediaId="m2", Format="amr", Recognition="")
    assert "type" in ask(wechat, api, unheard)
    image = wechat.message(openid, "image", PicUrl="http://example.invalid/p.jpg", MediaId="m3")
    assert "text, voice messages and locations" in ask(wechat, api, image)
    click = wechat.event(openid, "CLICK", EventKey="MENU_EMERGENCY")
    answer = ask(wechat, api, click)
    assert "120" in answer and "110" in answer


def test_subscribe_welcomes_in_the_language_of_the_qr_code(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    welcome = ask(wechat, api, wechat.event("oSUB_en", "subscribe"))
    assert "1." in welcome and "(Reply with a number.)" in welcome
    french = ask(wechat, api, wechat.event("oSUB_fr", "subscribe", EventKey="qrscene_lang_fr"))
    assert "(Répondez par un numéro.)" in french


def test_handoff_transfers_to_human_customer_service(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    openid = "oHANDOFF"
    response = wechat.send(wechat.text(openid, "I want to talk to a person"))
    assert response.status_code == 200
    if response.text != "success":  # within the budget: WeChat's transfer reply
        assert xml_fields(response.text)["MsgType"] == "transfer_customer_service"
    else:  # too late for a passive transfer: the hotline through the API
        assert "12367" in collect(response, api, openid, 0)


def test_unsubscribe_purges_the_user(
    wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid = "oUNSUB"
    ask(wechat, api, wechat.text(openid, "what documents do I need for a residence permit"))
    assert events(env, openid) > 0
    event = wechat.event(openid, "unsubscribe")
    params, body = wechat.request(event)
    assert wechat.post(params, body).text == "success"
    assert wechat.post(params, body).text == "success"  # a retry of the event is harmless
    assert events(env, openid) == 0
    # The pending options were forgotten too: "1" is now just text, not the "Work" option.
    api.interaction(openid)
    wechat.send(wechat.text(openid, "1"))
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        texts = [
            json.loads(d).get("text")
            for (d,) in conn.execute(
                "select data from events where sender_id = ? and type_name = 'user'",
                ("wechat:" + openid,),
            )
        ]
    assert texts == ["1"]
