"""Faults in the production layout (issue 17): PostgreSQL for conversations and knowledge, Redis for Rasa's
lock store, the Socket.IO manager and WeChat's memory. Both are private servers of this module (a
PostgreSQL cluster of its own, a redis-server of its own) so they can be killed and restarted for real.

Each test keeps users of every channel talking while the fault lasts, prints their latency, and checks the
stored conversations afterwards: every message stored once, and answered.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.wechat_api import FakeWeChatApi, WeChatPush, xml_fields
from faults import (
    Bystanders,
    PrivatePostgres,
    PrivateRedis,
    rest,
    rest_text,
    socketio_ask,
    stored_events_sql,
)
from servers import assistant_env, free_port, running_assistant

from bot.knowledge.loader import sync
from bot.runtime import serve

TOKEN = "prodFaultsToken"
APPID = "wx5fa0170000000002"
SECRET = "prod-faults-secret-not-a-real-one"

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's temporary folder: the server runs as `postgres`, which may not enter it.
    folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    pg = PrivatePostgres(folder, free_port()).start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port()).start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(APPID, SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PrivatePostgres,
    redis_server: PrivateRedis,
    api: FakeWeChatApi,
) -> dict[str, str]:
    base = assistant_env(tmp_path_factory.mktemp("prod-var"))
    sync(Path(base["KNOWLEDGE_DIR"]), postgres.url)
    return {
        **base,
        "TRACKER_STORE_URL": postgres.url,
        "KB_DATABASE_URL": postgres.url,
        "REDIS_URL": redis_server.url,
        "LOCK_STORE_KEY_PREFIX": "faulttest",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": api.base_url,
    }


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    with running_assistant(env) as running:
        rest(running.rasa_url, "warmup", "hi", timeout=120)
        yield running


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


def answered_once(url: str, sender: str, user_messages: int) -> None:
    """Every message of `sender` stored once, each followed by a reply of the assistant."""
    events = stored_events_sql(url, sender)
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert len(users) == user_messages, [e["event"] for e in events]
    for start, end in zip(users, [*users[1:], len(events)], strict=True):
        assert any(e["event"] == "bot" for e in events[start:end]), events[start:end]


def test_redis_down_every_channel_still_answered(
    servers: serve.Servers,
    env: dict[str, str],
    redis_server: PrivateRedis,
    wechat: WeChatPush,
    api: FakeWeChatApi,
) -> None:
    base = servers.rasa_url
    # WeChat's memory is in Redis: a numbered choice shown before the outage ...
    asked = wechat_text(
        wechat, api, "oREDIS_choice", "what documents do I need for a residence permit"
    )
    assert "1. Work" in asked
    redis_server.kill()
    try:
        with Bystanders(
            lambda user: rest(base, user, "which schools teach IB in Shunyi?")
        ) as others:
            answer = rest_text(
                base, "redis-down", "where can I renew my residence permit in chaoyang?"
            )
            _, widget = socketio_ask(base, "where can I find an english speaking hospital")
            wechat_answer = wechat_text(
                wechat, api, "oREDIS_down", "which schools teach IB in Shunyi?"
            )
            # ... is still understood in this process during the outage.
            choice = wechat_text(wechat, api, "oREDIS_choice", "1")
        others.report("Redis down")
        assert "Jiuxianqiao" in answer
        assert widget and any(
            "United Family" in w or "Peking Union" in w or "OASIS" in w for w in widget
        )
        assert "Shunyi" in wechat_answer or "顺义" in wechat_answer
        # the documents asked, of the work permit chosen (issue 13's short answer)
        assert "Work-type residence permit" in choice and "passport" in choice, choice
        assert others.latencies and not others.errors
    finally:
        redis_server.start()
    answered_once(env["TRACKER_STORE_URL"], "redis-down", 1)
    answered_once(env["TRACKER_STORE_URL"], "wechat:oREDIS_down", 1)
    # Redis back: everything works as before.
    time.sleep(5.5)  # REDIS_RETRY_AFTER
    assert "Jiuxianqiao" in rest_text(
        base, "redis-back", "where can I renew my residence permit in chaoyang?"
    )


def test_postgresql_restarted_nothing_lost(
    servers: serve.Servers, env: dict[str, str], postgres: PrivatePostgres
) -> None:
    base = servers.rasa_url
    sender = "pg-restart"
    assert "Jiuxianqiao" in rest_text(
        base, sender, "where can I renew my residence permit in chaoyang?"
    )
    with Bystanders(lambda user: rest(base, user, "which schools teach IB in Shunyi?")) as others:
        time.sleep(1)
        started = time.monotonic()
        postgres.restart()
        print(f"PostgreSQL restarted in {time.monotonic() - started:.1f} s")
        time.sleep(2)
    others.report("PostgreSQL restart")
    assert others.latencies and not others.errors
    # Every answer the other users got, also those asked while the database was down, is stored once.
    for user, answered in others.answered.items():
        answered_once(env["TRACKER_STORE_URL"], user, answered)
    # The conversation goes on; its earlier turns are all there.
    assert "Shunyi" in rest_text(base, sender, "which schools teach IB in Shunyi?")
    answered_once(env["TRACKER_STORE_URL"], sender, 2)
