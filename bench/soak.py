"""Soak benchmark: users on REST, the widget's Socket.IO and WeChat at once, errors, lost replies, p95.

    .venv/bin/python bench/soak.py                          # 30 users (10 per channel) for 60 s
    .venv/bin/python bench/soak.py --users 30 --duration 60 --flood   # plus one sender flooding REST
    .venv/bin/python bench/soak.py --think 0                # closed loop without pauses

Each simulated user holds conversations from bench/load.py's multilingual set, one message at a time,
pausing --think seconds (default 1) between messages. A reply is *lost* when a message gets none: REST
answers 200 with no message, the widget's turn ends (`bot_typing` false) without a `bot_uttered`, or
WeChat answers "success" and no customer-service message follows within 30 s. An *error* is a transport
error or a non-200 status. WeChat's side is tests/fakes/wechat_api.py (the real protocol: signed plain-mode
pushes, passive replies within 5 s, customer-service messages through the API with its access token).

With --flood, one more REST sender sends as fast as --flood-concurrency connections allow; the other
users' p95 is printed with and without it (two runs, fresh servers each).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
import socketio  # noqa: E402

from bot.runtime import serve  # noqa: E402

TOKEN = "soakWeChatToken"
APPID = "wx50a0000000000001"
SECRET = "soak-secret-not-a-real-one"
CHANNELS = ("rest", "socketio", "wechat")
LOCK = threading.Lock()  # the widget users run in threads


@dataclass
class Stats:
    channel: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lost: int = 0
    sent: int = 0

    def line(self) -> str:
        lat = sorted(self.latencies)
        p95 = f"{lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000:.0f}" if lat else "-"
        median = f"{statistics.median(lat) * 1000:.0f}" if lat else "-"
        return (
            f"{self.channel:<9} {self.sent:>6} {len(lat):>8} {self.errors:>6} {self.lost:>5} "
            f"{median:>10} {p95:>7}"
        )


def conversations() -> list[list[str]]:
    from load import OURS

    return OURS


async def rest_user(base: str, stats: Stats, deadline: float, think: float, seed: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        for conv in itertools.islice(itertools.cycle(conversations()), seed, None):
            sender = f"soak-rest-{uuid.uuid4().hex[:10]}"
            for text in conv:
                if time.monotonic() >= deadline:
                    return
                stats.sent += 1
                started = time.monotonic()
                try:
                    async with http.post(
                        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    ) as resp:
                        body = await resp.json(content_type=None)
                    if resp.status != 200:
                        stats.errors += 1
                    elif not body:
                        stats.lost += 1
                    else:
                        stats.latencies.append(time.monotonic() - started)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    stats.errors += 1
                await asyncio.sleep(think)


def socketio_user_blocking(
    base: str, stats: Stats, deadline: float, think: float, seed: int
) -> None:
    """One widget user on python-socketio's threaded client (its asyncio client needs a newer aiohttp
    than Rasa 3.6 allows); the turn ends with the channel's `bot_typing` false."""
    import threading

    client = socketio.Client(reconnection=False)
    confirmed = threading.Event()
    done = threading.Event()
    state: dict[str, object] = {"replies": 0, "session": None}

    @client.on("session_confirm")
    def on_confirm(session_id: str) -> None:
        state["session"] = session_id
        confirmed.set()

    @client.on("bot_uttered")
    def on_bot(_: dict) -> None:
        state["replies"] = int(state["replies"]) + 1  # type: ignore[call-overload]

    @client.on("bot_typing")
    def on_typing(data: dict) -> None:
        if not data.get("typing"):
            done.set()

    try:
        client.connect(base, socketio_path="/socket.io", transports=["websocket"], wait_timeout=30)
        client.emit("session_request", {})
        if not confirmed.wait(30):
            raise TimeoutError("no session_confirm")
    except Exception:
        with LOCK:
            stats.errors += 1
        return
    try:
        for conv in itertools.islice(itertools.cycle(conversations()), seed, None):
            for text in conv:
                if time.monotonic() >= deadline:
                    return
                with LOCK:
                    stats.sent += 1
                state["replies"] = 0
                done.clear()
                started = time.monotonic()
                client.emit("user_uttered", {"message": text, "session_id": state["session"]})
                if not done.wait(60):
                    with LOCK:
                        stats.errors += 1
                    continue
                time.sleep(0.05)  # a bot_uttered emitted just before bot_typing false
                with LOCK:
                    if state["replies"]:
                        stats.latencies.append(time.monotonic() - started)
                    else:
                        stats.lost += 1
                time.sleep(think)
    finally:
        client.disconnect()


def signed(xml: str) -> tuple[dict[str, str], bytes]:
    ts, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    signature = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": ts, "nonce": nonce}, xml.encode()


async def wechat_user(
    url: str, api: object, stats: Stats, deadline: float, think: float, seed: int
) -> None:
    from fakes.wechat_api import WeChatPush, xml_fields

    push = WeChatPush(url, TOKEN, APPID)
    openid = f"oSOAK{seed:03d}{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        for conv in itertools.islice(itertools.cycle(conversations()), seed, None):
            for text in conv:
                if time.monotonic() >= deadline:
                    return
                stats.sent += 1
                api.interaction(openid)  # type: ignore[attr-defined]
                before = len(api.messages_to(openid))  # type: ignore[attr-defined]
                params, body = signed(push.text(openid, text))
                started = time.monotonic()
                try:
                    async with http.post(
                        url, params=params, data=body, headers={"Content-Type": "text/xml"}
                    ) as resp:
                        answer = await resp.text()
                    if resp.status != 200:
                        stats.errors += 1
                        continue
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    stats.errors += 1
                    continue
                if answer != "success" and xml_fields(answer).get("Content"):
                    stats.latencies.append(time.monotonic() - started)
                else:
                    # Answered through the customer-service API: wait for the message.
                    waited = time.monotonic() + 30
                    while time.monotonic() < waited and len(api.messages_to(openid)) <= before:  # type: ignore[attr-defined]
                        await asyncio.sleep(0.1)
                    if len(api.messages_to(openid)) > before:  # type: ignore[attr-defined]
                        stats.latencies.append(time.monotonic() - started)
                    else:
                        stats.lost += 1
                await asyncio.sleep(think)


async def flood(base: str, deadline: float, concurrency: int, counter: list[int]) -> None:
    async def one(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            try:
                async with http.post(
                    f"{base}/webhooks/rest/webhook",
                    json={
                        "sender": "soak-flooder",
                        "message": "where can I find an english speaking hospital",
                    },
                ) as resp:
                    await resp.read()
                    counter[resp.status != 200] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError):
                counter[1] += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        await asyncio.gather(*(one(http) for _ in range(concurrency)))


async def drive(
    base: str, api: object, users: int, duration: float, think: float, flood_concurrency: int
) -> tuple[dict[str, Stats], list[int]]:
    from concurrent.futures import ThreadPoolExecutor

    stats = {c: Stats(c) for c in CHANNELS}
    deadline = time.monotonic() + duration
    loop = asyncio.get_running_loop()
    threads = ThreadPoolExecutor(max_workers=users)
    tasks: list = []
    for i in range(users):
        channel = CHANNELS[i % len(CHANNELS)]
        if channel == "rest":
            tasks.append(rest_user(base, stats[channel], deadline, think, i))
        elif channel == "socketio":
            tasks.append(
                loop.run_in_executor(
                    threads, socketio_user_blocking, base, stats[channel], deadline, think, i
                )
            )
        else:
            tasks.append(
                wechat_user(
                    f"{base}/webhooks/wechat/webhook", api, stats[channel], deadline, think, i
                )
            )
    flooded = [0, 0]  # answered, refused or failed
    if flood_concurrency:
        tasks.append(flood(base, deadline, flood_concurrency, flooded))
    await asyncio.gather(*tasks)
    threads.shutdown()
    return stats, flooded


def run(args: argparse.Namespace, flood_concurrency: int) -> tuple[dict[str, Stats], list[int]]:
    from fakes.wechat_api import FakeWeChatApi
    from servers import assistant_env, free_port

    api = FakeWeChatApi(APPID, SECRET).start()
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            env = {
                **assistant_env(Path(tmp)),
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_APPID": APPID,
                "WECHAT_SECRET": SECRET,
                "WECHAT_API_BASE": api.base_url,
            }
            servers = serve.start(
                ROOT / "models" / "current.tar.gz",
                rasa_port=free_port(),
                actions_port=free_port(),
                env=env,
                log_dir=Path(tmp) / "logs",
            )
            try:
                import requests

                requests.post(
                    f"{servers.rasa_url}/webhooks/rest/webhook",
                    json={"sender": "warmup", "message": "hi"},
                    timeout=120,
                )
                return asyncio.run(
                    drive(
                        servers.rasa_url,
                        api,
                        args.users,
                        args.duration,
                        args.think,
                        flood_concurrency,
                    )
                )
            finally:
                servers.stop()
    finally:
        api.stop()


def report(title: str, stats: dict[str, Stats], flooded: list[int]) -> None:
    print(f"\n{title}")
    print(
        f"{'channel':<9} {'sent':>6} {'answered':>8} {'errors':>6} {'lost':>5} {'median ms':>10} {'p95 ms':>7}"
    )
    for channel in CHANNELS:
        print(stats[channel].line())
    if sum(flooded):
        print(f"flooding sender: {flooded[0]} answered, {flooded[1]} refused or failed")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", type=int, default=30, help="users, spread evenly over the three channels"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a user's messages"
    )
    parser.add_argument(
        "--flood", action="store_true", help="also run with one sender flooding REST"
    )
    parser.add_argument("--flood-concurrency", type=int, default=8)
    args = parser.parse_args()
    stats, flooded = run(args, 0)
    report(
        f"{args.users} users for {args.duration:.0f} s, think time {args.think:.1f} s",
        stats,
        flooded,
    )
    if args.flood:
        flood_stats, flooded = run(args, args.flood_concurrency)
        report(
            f"the same with one sender flooding REST ({args.flood_concurrency} connections)",
            flood_stats,
            flooded,
        )
        for channel in CHANNELS:
            a, b = sorted(stats[channel].latencies), sorted(flood_stats[channel].latencies)
            if a and b:
                pa, pb = a[int(0.95 * (len(a) - 1))], b[int(0.95 * (len(b) - 1))]
                print(
                    f"{channel}: p95 {pa * 1000:.0f} -> {pb * 1000:.0f} ms ({(pb / pa - 1) * 100:+.0f} %) with the flood"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
