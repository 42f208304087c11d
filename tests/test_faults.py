"""Faults answered (issue 17, defect 4): real servers, the action server killed or frozen with signals.

Each test checks what users got on every channel (REST, the widget's Socket.IO, WeChat against the fake of
WeChat's API), the stored conversation (nothing lost, nothing answered twice, the failed turn marked as
failed) and prints other users' latency while the fault lasts.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.wechat_api import FakeWeChatApi, WeChatPush, xml_fields
from faults import (
    Bystanders,
    failed_replies,
    rest,
    rest_text,
    socketio_ask,
    stored_events,
)
from servers import MODEL, assistant_env, free_port

from bot import i18n, serve

TOKEN = "faultsWeChatToken"
APPID = "wx5fa0170000000001"
SECRET = "faults-secret-not-a-real-one"
TIMEOUT = 3.0  # ACTION_SERVER_TIMEOUT of these servers

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(APPID, SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, api: FakeWeChatApi) -> dict[str, str]:
    return {
        **assistant_env(tmp_path_factory.mktemp("faults-var")),
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": api.base_url,
        "ACTION_SERVER_TIMEOUT": str(TIMEOUT),
        "ACTION_SERVER_RETRY_AFTER": "2",
    }


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    running = serve.start(
        MODEL,
        rasa_port=free_port(),
        actions_port=free_port(),
        env=env,
        log_dir=Path(env["ASSISTANT_VAR_DIR"]) / "logs",
    )
    rest(running.rasa_url, "warmup", "hi", timeout=120)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def wechat(servers: serve.Servers, api: FakeWeChatApi) -> WeChatPush:
    return WeChatPush(f"{servers.rasa_url}/webhooks/wechat/webhook", TOKEN, APPID, api=api)


def wechat_text(wechat: WeChatPush, api: FakeWeChatApi, openid: str, text: str) -> str:
    before = len(api.messages_to(openid))
    response = wechat.send(wechat.text(openid, text))
    assert response.status_code == 200, response.text
    if response.text == "success":
        api.wait_for_messages(openid, before + 1, timeout=30)
        return "\n".join(m.content for m in api.messages_to(openid)[before:])
    return xml_fields(response.text)["Content"]


def actions_restarted(servers: serve.Servers, timeout: float = 120) -> None:
    """Let `serve`'s supervisor restart the action server (as `make run` does) and wait until it listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "actions" in servers.tend():
            serve.wait_for(
                servers.host, servers.actions_port, servers.processes[0], "actions", timeout
            )
            return
        time.sleep(0.2)
    raise AssertionError("the action server was not restarted")


KB_DOWN_EN = i18n.t("kb_unavailable", "en")
KB_DOWN_ZH = i18n.t("kb_unavailable", "zh")


def test_action_server_down_every_channel_answers_politely_and_serve_restarts_it(
    servers: serve.Servers, env: dict[str, str], wechat: WeChatPush, api: FakeWeChatApi
) -> None:
    actions = servers.processes[0]
    actions.send_signal(signal.SIGKILL)
    actions.wait(10)
    base = servers.rasa_url

    # REST, in the user's language; an emergency gets the emergency numbers first.
    assert (
        rest_text(base, "down-en", "where can I renew my residence permit in chaoyang?")
        == KB_DOWN_EN
    )
    assert rest_text(base, "down-zh", "朝阳区哪里办工作类居留许可") == KB_DOWN_ZH
    sos = rest(base, "down-sos", "help!! my friend collapsed, we need an ambulance")
    assert "120" in sos[0]["text"] and "110" in sos[0]["text"], sos
    # The widget (Socket.IO) and WeChat.
    _, widget = socketio_ask(base, "which schools teach IB in Shunyi?")
    assert widget == [KB_DOWN_EN], widget
    assert (
        wechat_text(wechat, api, "oFAULT_down", "where can I find an english speaking hospital")
        == KB_DOWN_EN
    )

    # Stored as failed turns, each user message once.
    for sender in ("down-en", "down-zh", "down-sos"):
        events = stored_events(env["TRACKER_STORE_URL"], sender)
        assert sum(e["event"] == "user" for e in events) == 1
        failed = failed_replies(events)
        assert failed and all(
            e["metadata"]["turn_failed"] == "action_server_unavailable" for e in failed
        ), events
    assert failed_replies(stored_events(env["TRACKER_STORE_URL"], "oFAULT_down"))

    # `serve` restarts the crashed action server (with back-off) and the Rasa server kept running.
    assert servers.processes[1].poll() is None
    actions_restarted(servers)
    answer = rest_text(base, "down-en", "where can I renew my residence permit in chaoyang?")
    assert "Jiuxianqiao" in answer


def test_action_server_killed_mid_turn(servers: serve.Servers, env: dict[str, str]) -> None:
    base = servers.rasa_url
    actions = servers.processes[0]
    actions.send_signal(signal.SIGSTOP)  # the turn reaches the action server and waits there ...
    result: dict[str, list[dict]] = {}
    asking = threading.Thread(
        target=lambda: result.update(
            reply=rest(
                base, "mid-turn", "what documents do I need for a work permit", message_id="m-1"
            )
        )
    )
    asking.start()
    time.sleep(1.0)
    actions.send_signal(signal.SIGKILL)  # ... and the action server dies under it
    actions.wait(10)
    asking.join(60)
    assert [m["text"] for m in result["reply"]] == [KB_DOWN_EN]
    # The client retries with the same message id: the stored reply, not a second turn.
    again = rest(base, "mid-turn", "what documents do I need for a work permit", message_id="m-1")
    assert [m["text"] for m in again] == [KB_DOWN_EN]
    events = stored_events(env["TRACKER_STORE_URL"], "mid-turn")
    assert sum(e["event"] == "user" for e in events) == 1
    assert len(failed_replies(events)) == 1
    actions_restarted(servers)
    assert "Source:" in rest_text(base, "mid-turn", "what documents do I need for a work permit")


def test_frozen_action_server_times_out_and_others_are_not_held(
    servers: serve.Servers, env: dict[str, str]
) -> None:
    base = servers.rasa_url
    actions = servers.processes[0]
    actions.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        first = rest(base, "frozen", "where can I find an english speaking hospital")
        waited = time.monotonic() - started
        print(f"frozen action server: first user answered politely after {waited:.1f} s")
        assert [m["text"] for m in first] == [KB_DOWN_EN]
        assert waited < 2 * TIMEOUT + 5
        with Bystanders(
            lambda user: rest(base, user, "which schools teach IB in Shunyi?")
        ) as others:
            time.sleep(3)
        others.report("action server frozen")
        assert others.latencies and not others.errors
        events = stored_events(env["TRACKER_STORE_URL"], "frozen")
        assert [e["metadata"]["turn_failed"] for e in failed_replies(events)] == [
            "action_server_timeout"
        ]
    finally:
        actions.send_signal(signal.SIGCONT)
    time.sleep(2.5)  # ACTION_SERVER_RETRY_AFTER
    assert "Source:" in rest_text(base, "frozen", "where can I find an english speaking hospital")


def test_serve_backs_off_when_a_server_keeps_crashing(tmp_path: Path) -> None:
    """`tend` restarts with 1 s, 2 s, 4 s ... between attempts (a real process that exits at once)."""
    import sys

    servers = serve.Servers("127.0.0.1", 0, 0)
    servers.launch(
        serve.Child(
            "crasher", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path
        )
    )
    servers.processes[0].wait(10)
    now = time.monotonic()
    delays = []
    for _ in range(4):
        assert servers.tend(now) == []  # noticed: restart scheduled
        scheduled = servers.children[0].restart_at
        assert scheduled is not None
        delays.append(round(scheduled - now))
        assert servers.tend(scheduled - 0.01) == []
        assert servers.tend(scheduled) == ["crasher"]
        servers.processes[0].wait(10)
        now = scheduled
    assert delays == [1, 2, 4, 8]


LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode=EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE kb_meta SET value = value")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_locked_knowledge_database_gets_the_polite_reply_and_the_emergency_numbers(
    servers: serve.Servers, env: dict[str, str]
) -> None:
    """Defect 5: another process holds an exclusive lock on the knowledge database."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    base = servers.rasa_url
    path = env["KB_DATABASE_URL"].removeprefix("sqlite:///")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, path, "20"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with (
            Bystanders(lambda user: rest(base, user, "hello"), users=2) as others,
            ThreadPoolExecutor(4) as pool,
        ):
            started = time.monotonic()
            sos = pool.submit(
                rest, base, "locked-sos", "help!! my friend collapsed, we need an ambulance"
            )
            question = pool.submit(rest, base, "locked-q", "which schools teach IB in Shunyi?")
            zh_sos = pool.submit(rest, base, "locked-sos-zh", "救命！我朋友晕倒了，快叫救护车")
            replies = sos.result(60), question.result(60), zh_sos.result(60)
            answered = time.monotonic() - started
            # Answered while the lock is still held (the holder keeps it for 20 s).
            still_locked = holder.poll() is None
        print(f"locked knowledge base: three users answered politely within {answered:.1f} s")
        others.report("knowledge database locked")
        assert still_locked
        assert replies[0][0]["text"] == i18n.text("emergency_fallback", "en"), replies[0]
        assert replies[2][0]["text"] == i18n.text("emergency_fallback", "zh"), replies[2]
        assert [m["text"] for m in replies[1]] == [KB_DOWN_EN]
        assert others.latencies and not others.errors
        # The action server answered these (the knowledge reads gave up on the lock), not the fault path.
        for sender in ("locked-sos", "locked-q", "locked-sos-zh"):
            assert not failed_replies(stored_events(env["TRACKER_STORE_URL"], sender))
    finally:
        holder.kill()
        holder.wait()
    answer = rest_text(base, "locked-q", "which schools teach IB in Shunyi?")
    assert "Shunyi" in answer or "顺义" in answer
