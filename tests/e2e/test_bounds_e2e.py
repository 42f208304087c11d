"""Issue 17, bounds and identity, end to end: every channel of the real servers refuses what it must.

One start of both servers (`bot.serve.start`, free loopback ports, SQLite stores, WeChat against the fake
API of tests/fakes, a per-sender rate limit of RATE messages a minute). Each test is the reproduction of
a defect of issue 17 (the number in its name); each failed on the code before the fix.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fakes.wechat_api import FakeWeChatApi, WeChatPush, xml_fields
from servers import assistant_env, running_assistant

from bot.channels import common
from bot.runtime import serve

TOKEN = "boundsWeChatToken"
APPID = "wx5e2e0000b0b0b0b0"
SECRET = "bounds-secret-not-a-real-one"
RATE = 8

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(APPID, SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, api: FakeWeChatApi) -> dict[str, str]:
    return {
        **assistant_env(tmp_path_factory.mktemp("bounds-var")),
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": api.base_url,
        "RATE_LIMIT_PER_MINUTE": str(RATE),
    }


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    with running_assistant(env) as running:
        requests.post(
            f"{running.rasa_url}/webhooks/rest/webhook",
            json={"sender": "warmup", "message": "hi"},
            timeout=120,
        )
        yield running


@pytest.fixture(scope="module")
def url(servers: serve.Servers) -> str:
    return f"{servers.rasa_url}/webhooks/rest/webhook"


@pytest.fixture(scope="module")
def wechat(servers: serve.Servers, api: FakeWeChatApi) -> WeChatPush:
    return WeChatPush(f"{servers.rasa_url}/webhooks/wechat/webhook", TOKEN, APPID, api=api)


def post(url: str, body: bytes | str, **kw: object) -> requests.Response:
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    return requests.post(
        url, data=data, headers={"Content-Type": "application/json"}, timeout=60, **kw
    )


def rasa_log(env: dict[str, str]) -> str:
    logs = Path(env["ASSISTANT_VAR_DIR"]) / "logs"
    return "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))


def stored(env: dict[str, str], sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()


# ------------------------------------------------------------------------- defect 1: sender ids


@pytest.mark.parametrize(
    "sender",
    ["leak\\ud800", "nul\\u0000byte", "x" * 129, "", "wechat:oVICTIM", "two words", "é"],
)
def test_1_bad_sender_ids_are_refused_with_400(url: str, env: dict[str, str], sender: str) -> None:
    raw = '{"sender": "' + sender + '", "message": "hello"}'
    response = post(url, raw)
    assert response.status_code == 400, response.text
    assert "sender" in response.json()["error"]
    assert "InMemoryTrackerStore" not in rasa_log(env)


def test_1_widget_session_ids_and_wechat_openids_are_checked(
    wechat: WeChatPush, servers: serve.Servers
) -> None:
    for openid in ["o\x00nul", "o" * 65, "o with space", "o:colon"]:
        params, body = wechat.request(wechat.text(openid, "hello"))
        assert wechat.post(params, body).status_code == 400, openid


# --------------------------------------------------------------- defect 2: metadata, body, rate


def test_2_metadata_is_capped_and_stored_once(url: str, env: dict[str, str]) -> None:
    big = {"blob": "x" * 20_000}
    response = post(url, json.dumps({"sender": "meta-big", "message": "hi", "metadata": big}))
    assert response.status_code == 400 and "metadata" in response.json()["error"]
    deep: dict = {}
    node = deep
    for _ in range(20):
        node["d"] = {}
        node = node["d"]
    response = post(url, json.dumps({"sender": "meta-deep", "message": "hi", "metadata": deep}))
    assert response.status_code == 400 and "metadata" in response.json()["error"]

    marker = "M4RK3R" * 500  # 3 KB: within the cap
    response = post(
        url, json.dumps({"sender": "meta-once", "message": "hi", "metadata": {"m": marker}})
    )
    assert response.status_code == 200, response.text
    rows = stored(env, "select data from events where sender_id = 'meta-once'")
    copies = sum(data.count(marker) for (data,) in rows)
    assert copies == 1, f"the metadata is stored {copies} times"


def test_2_body_over_the_channel_limit_is_refused(url: str) -> None:
    body = json.dumps({"sender": "big-body", "message": "hi", "pad": "x" * 300_000})
    response = post(url, body)
    assert response.status_code == 413, response.status_code


def test_2_a_flooding_sender_is_slowed_politely_and_others_are_not(
    url: str, env: dict[str, str]
) -> None:
    statuses, last = [], None
    for i in range(RATE + 2):
        last = post(url, json.dumps({"sender": "flood", "message": f"bonjour {i}"}))
        statuses.append(last.status_code)
    assert statuses[:RATE] == [200] * RATE and statuses[RATE:] == [429, 429], statuses
    assert last is not None and last.headers.get("Retry-After") == "60"
    assert last.json()[0]["text"] == common.rate_limited_reply("fr")
    assert "120" in last.json()[0]["text"]  # the emergency numbers even then
    other = post(url, json.dumps({"sender": "calm", "message": "hello"}))
    assert other.status_code == 200 and other.json()


# ----------------------------------------------------------------- defect 7: deep JSON, parsing


def test_7_json_nested_100000_deep_is_a_4xx_not_a_500(url: str) -> None:
    for body in [
        "[" * 100_000 + "]" * 100_000,  # the reproduction (200 KB)
        '{"sender": "deep", "message": "hi", "metadata": {"a": '
        + "[" * 50_000
        + "]" * 50_000
        + "}}",
        '{"sender": "deep", "message": ' + "[" * 30_000,  # deep and broken
    ]:
        response = post(url, body)
        assert response.status_code == 400, (response.status_code, response.text[:200])


def send_raw_socketio(base: str, payload: str) -> tuple[bool, list[dict]]:
    """Send one raw Socket.IO packet over long-polling; (the server closed the socket, bot_error events)."""
    import socketio

    errors: list[dict] = []
    refused = threading.Event()
    sio = socketio.Client(reconnection=False)
    sio.on("bot_error", errors.append)
    sio.on("disconnect", lambda *_: refused.set())
    sio.connect(
        base,
        transports=["polling"],
        headers={"Origin": base.replace("localhost", "127.0.0.1")},
        socketio_path="/socket.io",
        wait_timeout=30,
    )
    try:
        sio.eio.send(payload)
        return refused.wait(30), errors
    finally:
        if sio.connected:
            sio.disconnect()


def test_7_socketio_deep_json_gets_a_clean_refusal(servers: serve.Servers) -> None:
    for depth in (30_000, 100_000):  # 100,000: the reproduction
        payload = '42["user_uttered",{"message":' + "[" * depth + "]" * depth + "}]"
        closed, errors = send_raw_socketio(servers.rasa_url, payload)
        assert closed, f"depth {depth}: no refusal"
        assert errors and errors[0].get("error") == "malformed message", errors
    # The server still answers everyone else.
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": "after-deep", "message": "hi"},
        timeout=60,
    )
    assert response.status_code == 200 and response.json()


def test_rest_stream_true_works(url: str) -> None:
    response = post(url + "?stream=true", json.dumps({"sender": "streamer", "message": "hi"}))
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert lines and all(m.get("recipient_id") == "streamer" for m in lines), lines
    assert any(m.get("text") for m in lines)


# ------------------------------------------------------------------ defect 9: namespaced ids


def test_9_rest_cannot_read_or_write_a_wechat_conversation(
    url: str, wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid, msg_id = "oVICTIM9", 987654321
    xml = wechat.text(openid, "what documents do I need for a residence permit", msg_id=msg_id)
    response = wechat.send(xml)
    assert response.status_code == 200
    if response.text == "success":
        api.wait_for_messages(openid, 1, timeout=60)
        answer = api.messages_to(openid)[0].content
    else:
        answer = xml_fields(response.text)["Content"]
    assert answer
    # A REST client that knows the OpenID and the MsgId gets none of that user's answer.
    stolen = post(
        url, json.dumps({"sender": openid, "message": "hello", "message_id": str(msg_id)})
    )
    assert stolen.status_code == 200
    first_line = answer.splitlines()[0]  # WeChat numbers the options below it
    assert all(first_line not in (m.get("text") or "") for m in stolen.json()), stolen.json()
    before = stored(env, "select count(*) from events where sender_id = ?", "wechat:" + openid)
    assert before[0][0] > 0
    refused = post(
        url,
        json.dumps({"sender": "wechat:" + openid, "message": "hi", "message_id": str(msg_id)}),
    )
    assert refused.status_code == 400
    after = stored(env, "select count(*) from events where sender_id = ?", "wechat:" + openid)
    assert after == before  # nothing written into the WeChat conversation
    # The REST conversation of the same name is a different one.
    rest = stored(env, "select data from events where sender_id = ? and type_name = 'user'", openid)
    assert [json.loads(d)["input_channel"] for (d,) in rest] == ["rest"]


def test_9_unsubscribe_still_purges_the_namespaced_conversation(
    wechat: WeChatPush, api: FakeWeChatApi, env: dict[str, str]
) -> None:
    openid = "oPURGE9"
    wechat.send(wechat.text(openid, "hello"))
    time.sleep(0.5)
    deadline = time.time() + 30
    while time.time() < deadline:
        if stored(env, "select count(*) from events where sender_id = ?", "wechat:" + openid)[0][0]:
            break
        time.sleep(0.5)
    params, body = wechat.request(wechat.event(openid, "unsubscribe"))
    assert wechat.post(params, body).text == "success"
    rows = stored(env, "select count(*) from events where sender_id = ?", "wechat:" + openid)
    assert rows[0][0] == 0


def test_2_a_flooding_wechat_user_gets_the_polite_reply(
    wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    openid = "oFLOOD2"
    replies = []
    for i in range(RATE + 1):
        response = wechat.send(wechat.text(openid, f"hello {i}"), timeout=30)
        assert response.status_code == 200
        replies.append(response.text)
    last = replies[-1]
    assert last != "success" and xml_fields(last)["Content"] == common.rate_limited_reply("en")
    assert all(common.rate_limited_reply("en") not in r for r in replies[:RATE])
