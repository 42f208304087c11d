"""Scale-out: two Rasa servers and two action servers behind nginx, conversations in PostgreSQL, Redis lock store.

Starts the production layout of deploy/ with bot.runtime.cluster (nginx on a free port with its files in a temp
folder, a throw-away PostgreSQL database for conversations and knowledge, a unique Redis key prefix), then
runs many concurrent conversations and SIGKILLs one Rasa server in the middle. Clients re-send a message
that got no answer with the same message id, as a real client should. Checked afterwards: every message
was answered exactly once, every conversation's history in PostgreSQL has each user message once and in
the order sent with the bot's replies after it, and conversations of the dead server went on elsewhere.

WeChat users (against the fake of WeChat's API) and widget users (Socket.IO through nginx) talk next to the
REST users: half of their messages before the kill, the rest after it. A WeChat user shown numbered options
before the kill answers "1" after it, wherever their conversation then lives (WeChat's per-user memory is
in Redis); a widget user reconnects with their session id and goes on in the same conversation. Their turns
are not in flight at the moment of the kill: a WeChat turn that outlasts WeChat's 5 seconds is answered
"success" and delivered later through the API, and a server that dies in between loses it (WeChat does not
send the message again); the widget has no message ids to re-send with. tests/e2e/test_faults.py restarts
a server under a WeChat user's numbered choice.

Needs the trained model, Debian's nginx with libnginx-mod-http-js (`make nginx`), PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from databases import RedisPrefix, throwaway_postgres, throwaway_redis_prefix
from fakes.wechat_api import FakeWeChatApi, WeChatPush, xml_fields
from servers import MODEL, ROOT, free_port
from sqlalchemy import create_engine, text

from bot.knowledge.loader import sync
from bot.runtime import cluster as cluster_mod

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

REPLICAS = 2
CONVERSATIONS = 36
TURNS = 5
# Seconds a ticket of Rasa's lock lives. A server killed while holding a conversation's lock leaves its
# ticket in Redis: the conversation's next message waits until the ticket expires (Rasa's default is 60 s).
LOCK_LIFETIME_S = 20
REPLICA_HEADER = "X-Assistant-Replica"
REQUEST_TIMEOUT_S = (
    300  # longer than nginx's read timeout (120 s): nginx, not the client, gives up first
)
GIVE_UP_AFTER_S = 420  # a turn retried for this long counts as lost (no test should hang forever)

WECHAT_TOKEN = "scaleWeChatToken"
WECHAT_APPID = "wx5fa0170000000003"
WECHAT_SECRET = "scale-secret-not-a-real-one"
WECHAT_USERS = 8
WIDGET_USERS = 4
# Before the kill / after it. "1" picks the first of the options the second message was answered with.
WECHAT_SCRIPT = (["hi", "what documents do I need for a residence permit"], ["1", "thanks"])
WARM_UP = (
    "hi",
    "what documents do I need for a residence permit",
    "which schools teach IB in Shunyi?",
    "where can I find an english speaking hospital",
)
WIDGET_SCRIPT = (
    ["hi", "where can I find an english speaking hospital"],
    ["which schools teach IB in Shunyi?", "bye"],
)

SCRIPTS = [
    [
        "hi",
        "where can I renew my residence permit in chaoyang?",
        "is it open on saturday?",
        "thanks",
        "bye",
    ],
    ["朝阳区哪里办工作类居留许可", "有国际学校吗", "顺义区的国际学校", "谢谢", "再见"],
    [
        "which schools teach IB in Shunyi?",
        "where can I find an english speaking hospital",
        "emergency number",
        "thanks",
        "bye",
    ],
    [
        "Wo kann ich meine Aufenthaltserlaubnis in Chaoyang verlängern?",
        "hi",
        "danke",
        "where is the nearest hospital",
        "bye",
    ],
    [
        "what documents do I need for a residence permit",
        "work",
        "where can I extend my visa in chaoyang",
        "thanks",
        "bye",
    ],
    [
        "où renouveler mon titre de séjour à Chaoyang ?",
        "朝陽区で病院を探しています",
        "hi",
        "merci",
        "bye",
    ],
]


@dataclass
class Attempt:
    status: int | None  # None: no HTTP answer at all (connection error)
    replica: str | None


@dataclass
class Turn:
    sender: str
    index: int
    text: str
    attempts: list[Attempt] = field(default_factory=list)
    replies: list[dict] | None = None
    replica: str | None = None  # the Rasa server that answered (the last address nginx tried)
    sent_after_kill: bool = False

    @property
    def message_id(self) -> str:
        return f"{self.sender}-m{self.index}"


@dataclass
class Load:
    """Progress shared by the conversation threads and the thread that kills a server."""

    completed: int = 0
    killed: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    # Which Rasa server answered each conversation's latest turn.
    last_replica: dict[str, str | None] = field(default_factory=dict)

    def turn_done(self, turn: Turn) -> None:
        with self.changed:
            self.completed += 1
            if turn.replica:
                self.last_replica[turn.sender] = turn.replica
            self.changed.notify_all()

    def homes(self) -> dict[str, str | None]:
        with self.changed:
            return dict(self.last_replica)

    def wait_for(self, completed: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.completed >= completed, timeout)


@dataclass
class Deployment:
    cluster: cluster_mod.Cluster
    pg_url: str
    redis: RedisPrefix
    logs: Path
    wechat_api: FakeWeChatApi

    def post(self, body: dict, session: requests.Session | None = None) -> requests.Response:
        return (session or requests).post(
            f"{self.cluster.url}/webhooks/rest/webhook",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=REQUEST_TIMEOUT_S,
        )


def answered_by(response: requests.Response) -> str | None:
    """The Rasa server that produced the response: nginx lists every upstream it tried, the last answered."""
    value = response.headers.get(REPLICA_HEADER)
    return value.split(",")[-1].strip() if value else None


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    assert MODEL.exists(), "no trained model: run `make train` (make test does it)"
    work = tmp_path_factory.mktemp("scale")
    logs = work / "logs"
    wechat_api = FakeWeChatApi(WECHAT_APPID, WECHAT_SECRET).start()
    with (
        throwaway_postgres("assistant_scale") as pg_url,
        throwaway_redis_prefix("scaletest") as redis_prefix,
    ):
        sync(ROOT / "knowledge", pg_url)
        env = {
            **redis_prefix.env(),
            "TRACKER_STORE_URL": pg_url,
            "KB_DATABASE_URL": pg_url,
            "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_S),
            "ASSISTANT_VAR_DIR": str(work / "var"),
            "RASA_API_TOKEN": "",
            "WECHAT_TOKEN": WECHAT_TOKEN,
            "WECHAT_APPID": WECHAT_APPID,
            "WECHAT_SECRET": WECHAT_SECRET,
            "WECHAT_API_BASE": wechat_api.base_url,
            "SQL_POOL_SIZE": "5",
            "SQL_MAX_OVERFLOW": "5",
            # A load test from one address: the rate limits (issue 17) are tested in test_bounds_e2e.py.
            "RATE_LIMIT_PER_MINUTE": "0",
            "NGINX_RATE_LIMIT_PER_MINUTE": "0",
        }
        rasa_ports = [free_port() for _ in range(REPLICAS)]
        action_ports = [free_port() for _ in range(REPLICAS)]
        running = cluster_mod.start_cluster(
            MODEL,
            rasa_ports,
            action_ports,
            free_port(),
            free_port(),
            work / "nginx",
            env,
            log_dir=logs,
            replica_header=True,
        )
        try:
            # A fresh Rasa server answers its first message slowly (lazy loading), and so does a fresh action
            # server its first knowledge question (the name matchers and the questions-and-answers index are
            # built on first use): warm each Rasa server up directly, with questions that reach the action
            # servers (both at once, so nginx's least_conn gives each action server some). This test is about
            # a killed server, not a cold start under load (docs/measurements.md, eighth session).
            def warm(port: int) -> None:
                for text in WARM_UP:
                    requests.post(
                        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                        json={"sender": f"warmup-{port}", "message": text},
                        timeout=REQUEST_TIMEOUT_S,
                    ).raise_for_status()

            with ThreadPoolExecutor(REPLICAS) as pool:
                list(pool.map(warm, rasa_ports))
            yield Deployment(running, pg_url, redis_prefix, logs, wechat_api)
        finally:
            running.stop()
            wechat_api.stop()


def stored_events(pg_url: str) -> dict[str, list[dict]]:
    """Every conversation's user and bot events from PostgreSQL, in the store's order (by id)."""
    engine = create_engine(pg_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT sender_id, data FROM events WHERE type_name IN ('user', 'bot') ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    events: dict[str, list[dict]] = defaultdict(list)
    for sender, data in rows:
        events[sender].append(json.loads(data))
    return events


def turns_in_store(events: list[dict]) -> list[tuple[dict, list[dict]]]:
    """[(user event, the bot events after it up to the next user event)]."""
    turns: list[tuple[dict, list[dict]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event, []))
        elif turns:
            turns[-1][1].append(event)
    return turns


def normalised(texts: list[str]) -> str:
    """The REST channel splits a text at blank lines into several messages: compare the words only."""
    return " ".join(" ".join(texts).split())


def test_every_way_to_a_conversation_reaches_the_same_server(deployment: Deployment) -> None:
    """REST sender (JSON body, read by njs), WeChat openid (query) and the HTTP API path hash alike."""
    base = deployment.cluster.url
    seen: dict[str, set[str | None]] = {}
    for i in range(40):
        cid = f"route-{i}"
        rest = deployment.post({"sender": cid, "message": "hi"})
        assert rest.status_code == 200, rest.text
        # A request without WeChat's signature is refused, and the HTTP API is off here (404): either way
        # nginx has routed it, and says where.
        wechat = requests.post(
            f"{base}/webhooks/wechat/webhook", params={"openid": cid, "signature": "x"}, timeout=30
        )
        api = requests.get(f"{base}/conversations/{cid}/tracker", timeout=30)
        seen[cid] = {answered_by(rest), answered_by(wechat), answered_by(api)}
    assert all(len(replicas) == 1 and None not in replicas for replicas in seen.values()), seen
    used = Counter(next(iter(replicas)) for replicas in seen.values())
    assert set(used) == {deployment.cluster.rasa_address(i) for i in range(REPLICAS)}, used


def test_malformed_and_huge_bodies_are_routed_and_refused_politely(deployment: Deployment) -> None:
    """Bodies njs cannot parse still reach a server (routed by client address), which answers 4xx or a reply."""
    for raw in [
        "{not json",
        "[1, 2]",
        json.dumps({"sender": "big", "message": "where is the office " * 5000}),
    ]:
        response = requests.post(
            f"{deployment.cluster.url}/webhooks/rest/webhook",
            data=raw.encode(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code in (200, 400), response.text
        assert answered_by(response) is not None


def test_resent_message_id_is_answered_from_the_store(deployment: Deployment) -> None:
    body = {
        "sender": "dedup-1",
        "message": "where can I renew my residence permit in chaoyang?",
        "message_id": "once-1",
    }
    first = deployment.post(body)
    assert first.status_code == 200 and first.json(), first.text
    # The same message twice more at the same time: both wait for the lock, both find it stored.
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda _: deployment.post(body), range(2)))
    assert [r.status_code for r in again] == [200, 200]
    assert all(r.json() == first.json() for r in again)
    turns = turns_in_store(stored_events(deployment.pg_url)["dedup-1"])
    assert [user["message_id"] for user, _ in turns] == ["once-1"]
    assert normalised([b["text"] for b in turns[0][1]]) == normalised(
        [m.get("text", "") for m in first.json()]
    )
    # Without a message id every message is processed (the REST channel's behaviour so far).
    plain = {"sender": "dedup-2", "message": "hi"}
    assert deployment.post(plain).status_code == 200 and deployment.post(plain).status_code == 200
    assert len(turns_in_store(stored_events(deployment.pg_url)["dedup-2"])) == 2


def test_socketio_polling_works_through_the_load_balancer(deployment: Deployment) -> None:
    """Engine.IO's long-polling needs every request of a session on one server (hash by client address)."""
    import socketio

    received: list[dict] = []
    confirmed = threading.Event()
    answered = threading.Event()
    session: list[str] = []
    sio = socketio.Client(reconnection=False)

    @sio.on("session_confirm")
    def on_confirm(session_id: str) -> None:
        session.append(session_id)
        confirmed.set()

    @sio.on("bot_uttered")
    def on_bot(message: dict) -> None:
        received.append(message)
        answered.set()

    sio.connect(
        deployment.cluster.url, transports=["polling"], socketio_path="/socket.io", wait_timeout=30
    )
    try:
        sio.emit("session_request", {"session_id": None})
        assert confirmed.wait(60), "no session_confirm over polling"
        for _ in range(3):  # several polling round trips, each of which must reach the same server
            answered.clear()
            sio.emit("user_uttered", {"message": "hi", "session_id": session[0]})
            assert answered.wait(120), "no bot_uttered over polling"
    finally:
        sio.disconnect()
    assert received and all(m.get("text") for m in received)


def converse(deployment: Deployment, sender: str, script: list[str], load: Load) -> list[Turn]:
    """One conversation: turns one after the other; a turn without an answer is re-sent with its message id."""
    turns: list[Turn] = []
    with requests.Session() as session:
        for index, message in enumerate(script):
            turn = Turn(sender, index, message, sent_after_kill=load.killed.is_set())
            turns.append(turn)
            body = {"sender": sender, "message": message, "message_id": turn.message_id}
            deadline = time.monotonic() + GIVE_UP_AFTER_S
            delay = 0.5
            while turn.replies is None and time.monotonic() < deadline:
                try:
                    response = deployment.post(body, session)
                except requests.RequestException:
                    turn.attempts.append(Attempt(None, None))
                else:
                    turn.attempts.append(Attempt(response.status_code, answered_by(response)))
                    if response.status_code == 200:
                        turn.replies = response.json()
                        turn.replica = answered_by(response)
                        break
                time.sleep(delay)
                delay = min(delay * 2, 4)
            load.turn_done(turn)
            if turn.replies is None:
                return turns  # lost: the checks below report it
    return turns


@dataclass
class ChannelTurn:
    """One message of a WeChat or widget user: what the user got, and which Rasa server answered."""

    text: str
    replies: list[str]
    replica: str | None = None  # WeChat only (the widget's socket does not say)
    after_kill: bool = False


def wechat_turn(deployment: Deployment, openid: str, text: str, after_kill: bool) -> ChannelTurn:
    """One message as WeChat sends it: 5 s to answer, re-sent with the same MsgId when no answer came
    (WeChat tries three times); an answer of "success" means the reply comes through the API."""
    api = deployment.wechat_api
    push = WeChatPush(
        f"{deployment.cluster.url}/webhooks/wechat/webhook", WECHAT_TOKEN, WECHAT_APPID, api=api
    )
    before = len(api.messages_to(openid))
    xml = push.text(openid, text, msg_id=secrets.randbits(62))
    turn = ChannelTurn(text, [], after_kill=after_kill)
    # WeChat names the user in the query string in every mode (nginx routes by it); the fake adds it
    # only to encrypted requests.
    params, body = push.request(xml)
    params["openid"] = openid
    api.interaction(openid)  # a user message opens WeChat's window for customer-service messages
    for _attempt in range(3):
        try:
            response = push.post(params, body)
        except requests.RequestException:
            continue  # no answer within 5 s: WeChat sends the message again
        turn.replica = answered_by(response)
        if response.status_code == 200 and response.text != "success":
            turn.replies.append(xml_fields(response.text)["Content"])
        if response.status_code == 200:
            break
    if not turn.replies:  # answered "success" (or never): the reply comes through the API
        api.wait_for_messages(openid, before + 1, timeout=GIVE_UP_AFTER_S)
    time.sleep(2)  # further parts follow the first one through the API
    turn.replies += [m.content for m in api.messages_to(openid)[before:]]
    return turn


class WidgetTab:
    """The widget's Socket.IO connection through nginx (which hashes the client address to a server)."""

    def __init__(self, deployment: Deployment) -> None:
        import socketio

        self.client = socketio.Client(reconnection=False)
        self.session_id: str | None = None
        self.replies: list[str] = []
        self.confirmed = threading.Event()
        self.turn_over = threading.Event()

        @self.client.on("session_confirm")
        def on_confirm(session_id: str) -> None:
            self.session_id = session_id
            self.confirmed.set()

        @self.client.on("bot_uttered")
        def on_bot(message: dict) -> None:
            self.replies.append(message.get("text") or "")

        @self.client.on("bot_typing")
        def on_typing(data: dict) -> None:
            if not data.get("typing"):
                self.turn_over.set()

        self.client.connect(
            deployment.cluster.url,
            socketio_path="/socket.io",
            transports=["websocket"],
            wait_timeout=60,
        )

    def join(self, session_id: str | None) -> str:
        self.confirmed.clear()
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.wait(60), "no session_confirm"
        assert self.session_id is not None
        return self.session_id

    def ask(self, text: str, after_kill: bool) -> ChannelTurn:
        self.replies, turn = [], ChannelTurn(text, [], after_kill=after_kill)
        self.turn_over.clear()
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        if self.turn_over.wait(GIVE_UP_AFTER_S):
            time.sleep(0.3)
            turn.replies = list(self.replies)
        return turn

    def close(self) -> None:
        self.client.disconnect()


@dataclass
class OtherUsers:
    """WeChat and widget users: their first messages before the REST load starts, the others after the
    kill (at the same time as the REST users' last messages)."""

    before_kill: threading.Barrier
    killed: threading.Event
    wechat: dict[str, list[ChannelTurn]] = field(default_factory=dict)
    widget: dict[str, list[ChannelTurn]] = field(default_factory=dict)  # by session id


def wechat_user(deployment: Deployment, openid: str, users: OtherUsers) -> None:
    turns = users.wechat.setdefault(openid, [])
    before, after = WECHAT_SCRIPT
    try:
        turns += [wechat_turn(deployment, openid, text, False) for text in before]
    finally:
        users.before_kill.wait(GIVE_UP_AFTER_S)
    users.killed.wait(GIVE_UP_AFTER_S)
    turns += [wechat_turn(deployment, openid, text, True) for text in after]


def widget_user(deployment: Deployment, users: OtherUsers) -> None:
    before, after = WIDGET_SCRIPT
    try:
        tab = WidgetTab(deployment)
        session_id = tab.join(None)
        turns = users.widget.setdefault(session_id, [])
        turns += [tab.ask(text, False) for text in before]
    finally:
        users.before_kill.wait(GIVE_UP_AFTER_S)
    users.killed.wait(GIVE_UP_AFTER_S)
    # The socket's server may be the dead one: a new socket, back in the same conversation.
    tab.close()
    tab = WidgetTab(deployment)
    try:
        assert tab.join(session_id) == session_id
        turns += [tab.ask(text, True) for text in after]
    finally:
        tab.close()


def test_many_conversations_survive_a_killed_rasa_server(deployment: Deployment) -> None:
    cluster = deployment.cluster
    senders = [f"scale-{i:02d}" for i in range(CONVERSATIONS)]
    scripts = {s: SCRIPTS[i % len(SCRIPTS)] for i, s in enumerate(senders)}
    load = Load()
    run = secrets.token_hex(3)  # WeChat's memory and retry outcomes stay in Redis for a while
    openids = [f"oSCALE{run}_{i}" for i in range(WECHAT_USERS)]
    others = OtherUsers(threading.Barrier(WECHAT_USERS + WIDGET_USERS + 1), load.killed)
    with (
        ThreadPoolExecutor(CONVERSATIONS) as pool,
        ThreadPoolExecutor(WECHAT_USERS + WIDGET_USERS) as other_pool,
    ):
        # The WeChat and widget users' first messages, then the REST load.
        other_futures = [other_pool.submit(wechat_user, deployment, o, others) for o in openids]
        other_futures += [
            other_pool.submit(widget_user, deployment, others) for _ in range(WIDGET_USERS)
        ]
        others.before_kill.wait(GIVE_UP_AFTER_S)
        futures = {s: pool.submit(converse, deployment, s, scripts[s], load) for s in senders}
        # Kill when a third of all turns are done: every conversation is then in the middle of its script.
        assert load.wait_for(CONVERSATIONS * TURNS // 3, timeout=GIVE_UP_AFTER_S), (
            f"the load stalled; logs: {deployment.logs}"
        )
        homes = load.homes()
        # The server with more conversations dies; its conversations must move to the other one.
        counts = Counter(homes.values())
        victim_index = max(range(REPLICAS), key=lambda i: counts[cluster.rasa_address(i)])
        victim = cluster.rasa_address(victim_index)
        cluster.kill_rasa(victim_index)
        load.killed.set()  # after the process is gone: a turn begun from now on cannot reach it
        results = {s: f.result() for s, f in futures.items()}
        for future in other_futures:
            future.result()

    turns = [t for s in senders for t in results[s]]
    lost = [t.message_id for t in turns if t.replies is None]
    assert not lost, f"never answered: {lost}; logs: {deployment.logs}"
    assert all(len(results[s]) == len(scripts[s]) for s in senders)

    # The kill hit requests in flight (they got 502 and were re-sent), and the survivors answered the rest.
    retried = [t for t in turns if len(t.attempts) > 1]
    assert retried, (
        "no request failed when the server was killed: the test did not exercise a failure"
    )
    after_kill = [t for t in turns if t.sent_after_kill]
    assert after_kill, "no turn began after the kill"
    assert all(t.replica != victim for t in after_kill), (
        "a turn begun after the kill was answered by the dead server"
    )
    survivors = {cluster.rasa_address(i) for i in range(REPLICAS) if i != victim_index}
    assert {t.replica for t in after_kill} <= survivors
    # Conversations that lived on the dead server went on elsewhere.
    moved = [
        s for s in senders if homes.get(s) == victim and any(t.sent_after_kill for t in results[s])
    ]
    assert moved, f"no conversation of the dead server had turns left: {homes}"

    # The conversation store: each user message exactly once, in the order sent, the bot's replies after it,
    # and the replies the client got are the ones stored for that message.
    stored = stored_events(deployment.pg_url)
    for sender in senders:
        in_store = turns_in_store(stored[sender])
        sent = results[sender]
        assert [(u["text"], u["message_id"]) for u, _ in in_store] == [
            (t.text, t.message_id) for t in sent
        ], sender
        for (_user, bots), turn in zip(in_store, sent, strict=True):
            assert bots, f"{turn.message_id}: no bot reply stored after the user message"
            assert turn.replies, f"{turn.message_id}: the client got no reply"
            got = normalised([m.get("text", "") for m in turn.replies])
            assert got == normalised([b.get("text") or "" for b in bots]), turn.message_id

    check_wechat_users(deployment, stored, others, victim)
    check_widget_users(stored, others)

    print(
        f"\n{len(turns)} turns in {CONVERSATIONS} conversations; killed {victim} after {CONVERSATIONS * TURNS // 3} "
        f"turns; {len(retried)} turns re-sent ({sum(len(t.attempts) - 1 for t in retried)} extra attempts); "
        f"{len(moved)} conversations moved; {len(after_kill)} turns begun after the kill\n"
        f"sizing: {resources(deployment, senders, len(turns))}"
    )


def check_wechat_users(
    deployment: Deployment, stored: dict[str, list[dict]], others: OtherUsers, victim: str
) -> None:
    """Every WeChat message answered and stored once, in order; "1" understood after the kill, also by
    the server a conversation moved to (the numbered options were shown by the dead one)."""
    assert len(others.wechat) == WECHAT_USERS
    moved = []
    for openid, turns in others.wechat.items():
        assert [t.text for t in turns] == [*WECHAT_SCRIPT[0], *WECHAT_SCRIPT[1]], openid
        assert all(t.replies for t in turns), (openid, [(t.text, t.replies) for t in turns])
        options, choice = turns[1], turns[2]
        assert "1. Work" in "\n".join(options.replies), options.replies
        chosen = "\n".join(choice.replies)
        # the documents asked, of the work permit chosen (issue 13's short answer)
        assert "Work-type residence permit" in chosen and "passport" in chosen, (openid, chosen)
        if options.replica == victim:
            assert choice.replica != victim
            moved.append(openid)
        in_store = turns_in_store(stored[f"wechat:{openid}"])
        assert len(in_store) == len(turns), (openid, [u["text"] for u, _ in in_store])
        assert all(bots for _user, bots in in_store), openid
    # With 8 users, all living on the surviving server happens in 1 run of 256.
    assert moved, "no WeChat conversation lived on the killed server"


def check_widget_users(stored: dict[str, list[dict]], others: OtherUsers) -> None:
    """Every widget message answered and stored once, in order, with the replies the widget showed."""
    assert len(others.widget) == WIDGET_USERS
    for session_id, turns in others.widget.items():
        assert [t.text for t in turns] == [*WIDGET_SCRIPT[0], *WIDGET_SCRIPT[1]], session_id
        in_store = turns_in_store(stored[f"socketio:{session_id}"])
        assert [u["text"] for u, _ in in_store] == [t.text for t in turns], session_id
        for (_user, bots), turn in zip(in_store, turns, strict=True):
            assert turn.replies, f"{session_id}: no reply to {turn.text!r}"
            assert normalised(turn.replies) == normalised([b.get("text") or "" for b in bots])


def resources(deployment: Deployment, senders: list[str], turns: int) -> str:
    """Figures for docs/deployment.md: memory of each server, database connections, stored rows per turn."""

    def rss_mb(pid: int) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
        return 0

    cluster = deployment.cluster
    rasa = [rss_mb(p.pid) for p in cluster.rasa if p.poll() is None]
    actions = [rss_mb(p.pid) for p in cluster.actions if p.poll() is None]
    engine = create_engine(deployment.pg_url, future=True)
    try:
        with engine.connect() as conn:
            database = conn.execute(text("SELECT current_database()")).scalar_one()
            connections = (
                conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db"),
                    {"db": database},
                ).scalar_one()
                - 1
            )  # without this one
            rows = conn.execute(
                text("SELECT count(*) FROM events WHERE sender_id = ANY(:senders)"),
                {"senders": senders},
            ).scalar_one()
    finally:
        engine.dispose()
    return (
        f"RSS of the live Rasa servers {rasa} MB, action servers {actions} MB; {connections} PostgreSQL "
        f"connections open; {rows / turns:.1f} event rows per turn"
    )
