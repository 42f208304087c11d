"""Load benchmark: simulated users holding multi-turn conversations on loopback, ours against stock Rasa.

    .venv/bin/python bench/load.py                      # 16 users, REST and Socket.IO, ours and stock `rasa init`
    .venv/bin/python bench/load.py --users 32 --duration 60 --target ours --channel rest
    .venv/bin/python bench/load.py --target ours --postgres   # conversations and knowledge in PostgreSQL
    .venv/bin/python bench/load.py --replicas 2               # ours as deploy/'s layout: 2 Rasa servers
                                                              # and 2 action servers behind nginx

Each simulated user holds one conversation after another (a new sender each time), sending the next
message as soon as the previous answer is complete (closed loop, no think time). Our conversations mix
knowledge questions in nine languages (each turn runs language detection, custom actions and knowledge
queries); the stock bot (`rasa init`, default config, trained once into var/bench/stock) gets its own
greet/mood conversations. Both run one after the other in the same invocation on the same machine, with
fresh conversation stores. Printed: turns per second, latency percentiles, errors, peak memory (VmHWM) of
each server, CPU per turn of each kind of process (counted over the measured window only, so that each
server's first-use work during the warm-up is left out), and the time from start to the first answer.

By default ours runs as `make run` starts it: one Rasa server, one action server. A Rasa server handles one
message at a time on one core, so on a machine with more cores that layout leaves them idle; `--replicas N`
runs ours the way deploy/ runs it in production (`beijing-assistant cluster`, the scale-out test's layout):
N Rasa servers and N action servers behind nginx, each conversation routed to one Rasa server, Rasa's lock
store in Redis. The stock bot always runs as `rasa run` starts it (one process, in-memory lock store: Rasa
refuses more than one Sanic worker without a shared lock store). Compare like with like when you quote the
ratio: the printed line names the layout.

Socket.IO turns have no end marker: a turn ends when no further bot message arrives for --idle seconds;
its latency is measured to the last message, and its turns/s include that idle wait.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import socketio  # noqa: E402
from tabulate import tabulate  # noqa: E402

from bot.runtime import serve  # noqa: E402

BIN = Path(sys.executable).parent
STOCK_DIR = ROOT / "var" / "bench" / "stock"

# Multi-turn conversations, several languages: greeting, a knowledge question, a follow-up, thanks.
OURS: list[list[str]] = [
    [
        "hi",
        "where can I renew my residence permit in Chaoyang?",
        "is it open on saturday?",
        "thanks",
    ],
    ["你好", "朝阳区哪里可以办居留许可？", "周六开门吗？", "谢谢"],
    [
        "bonjour",
        "quels documents pour un permis de séjour pour travail ?",
        "où aller à Haidian ?",
        "merci",
    ],
    ["こんにちは", "英語が通じる病院はどこですか", "ありがとう"],
    ["Hallo", "Gibt es internationale Schulen mit IB in Shunyi?", "danke"],
    ["hola", "¿Dónde puedo renovar el permiso de residencia en Chaoyang?", "gracias"],
    ["Привет", "Где продлить визу в Хайдяне?", "спасибо"],
    ["안녕하세요", "차오양구에서 거류허가 연장은 어디서 해요?", "감사합니다"],
    ["مرحبا", "أين يمكنني تجديد تصريح الإقامة في تشاويانغ؟", "شكرا"],
    ["I lost my passport, what should I do?", "where is the nearest office?", "thank you"],
    ["how do I apply for a work permit", "and the talent visa?", "bye"],
    [
        "emergency! my friend is unconscious",
        "which hospital has a 24 hour emergency room in Chaoyang?",
    ],
]
STOCK: list[list[str]] = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi", "great", "goodbye"],
    ["hey", "not good", "no", "bye"],
    ["good morning", "I am a bot?", "perfect", "see you later"],
]


@dataclass
class Result:
    name: str
    channel: str
    users: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def row(self) -> list[str]:
        lat = sorted(self.latencies)

        def pct(p: float) -> str:
            return f"{lat[min(len(lat) - 1, int(p * len(lat)))] * 1000:.0f}" if lat else "-"

        return [
            self.name,
            self.channel,
            str(self.users),
            str(len(lat)),
            f"{len(lat) / self.seconds:.1f}",
            f"{statistics.median(lat) * 1000:.0f}" if lat else "-",
            pct(0.95),
            pct(0.99),
            str(self.errors),
        ]


async def rest_user(
    base: str,
    conversations: list[list[str]],
    deadline: float,
    measure_from: float,
    result: Result,
    seed: int,
) -> None:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for conv in itertools.islice(itertools.cycle(conversations), seed, None):
            sender = f"load-{uuid.uuid4().hex[:12]}"
            for text in conv:
                if time.monotonic() >= deadline:
                    return
                start = time.monotonic()
                try:
                    async with http.post(
                        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    ) as resp:
                        body = await resp.json(content_type=None)
                        ok = resp.status == 200 and isinstance(body, list) and len(body) > 0
                except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError):
                    ok = False
                end = time.monotonic()
                if start >= measure_from and end <= deadline:
                    if ok:
                        result.latencies.append(end - start)
                    else:
                        result.errors += 1


def socketio_user(
    base: str,
    conversations: list[list[str]],
    deadline: float,
    measure_from: float,
    result: Result,
    seed: int,
    idle: float,
) -> None:
    """One widget-like user over Socket.IO (websocket transport), in its own thread."""
    import queue
    import threading

    for conv in itertools.islice(itertools.cycle(conversations), seed, None):
        if time.monotonic() >= deadline:
            return
        client = socketio.Client(reconnection=False)
        arrivals: queue.Queue[float] = queue.Queue()
        confirmed = threading.Event()
        client.on("bot_uttered", lambda _data, q=arrivals: q.put(time.monotonic()))
        client.on("session_confirm", lambda _data, e=confirmed: e.set())
        try:
            # websocket-client sends the page origin (http://host:port) itself, as a browser on the demo page would.
            client.connect(
                base, socketio_path="/socket.io", transports=["websocket"], wait_timeout=30
            )
            sid = uuid.uuid4().hex
            client.emit("session_request", {"session_id": sid})
            if not confirmed.wait(30):
                raise TimeoutError("no session_confirm")
            for text in conv:
                if time.monotonic() >= deadline:
                    break
                start = time.monotonic()
                client.emit("user_uttered", {"message": text, "session_id": sid})
                last = None
                try:
                    last = arrivals.get(timeout=60)
                    while True:
                        last = arrivals.get(timeout=idle)
                except queue.Empty:
                    pass
                done = time.monotonic()
                if start >= measure_from and done <= deadline:
                    if last is None:
                        result.errors += 1
                    else:
                        result.latencies.append(last - start)
        except (socketio.exceptions.SocketIOError, TimeoutError, OSError):
            result.errors += 1
        finally:
            client.disconnect()


async def drive(
    base: str,
    channel: str,
    conversations: list[list[str]],
    users: int,
    warmup: float,
    duration: float,
    idle: float,
    name: str,
    on_measure: Callable[[], None] | None = None,
) -> Result:
    """`users` closed-loop users for `warmup` + `duration` seconds; `on_measure` is called when the
    measured window starts (CPU counters are read there, so the servers' first-use work is left out)."""
    now = time.monotonic()
    measure_from, deadline = now + warmup, now + warmup + duration
    if on_measure is not None:
        asyncio.get_running_loop().call_later(warmup, on_measure)
    result = Result(name, channel, users, duration)
    if channel == "rest":
        tasks = [
            rest_user(base, conversations, deadline, measure_from, result, i) for i in range(users)
        ]
    else:
        tasks = [
            asyncio.to_thread(
                socketio_user, base, conversations, deadline, measure_from, result, i, idle
            )
            for i in range(users)
        ]
    await asyncio.gather(*tasks)
    return result


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_first_answer(base: str, text: str, started: float, timeout: float = 300) -> float:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = requests.post(
                f"{base}/webhooks/rest/webhook",
                json={"sender": f"cold-{uuid.uuid4().hex[:6]}", "message": text},
                timeout=30,
            )
            if r.status_code == 200 and r.json():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {base} within {timeout} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_stock_model() -> Path:
    """A stock `rasa init` project with its trained model, made once under var/bench/stock."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz")) if STOCK_DIR.exists() else []
    if models:
        return models[-1]
    shutil.rmtree(STOCK_DIR, ignore_errors=True)
    STOCK_DIR.mkdir(parents=True)
    print("Creating and training the stock `rasa init` bot once (a few minutes) ...", flush=True)
    start = time.monotonic()
    subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
        cwd=STOCK_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    (STOCK_DIR / "training_seconds.txt").write_text(f"{time.monotonic() - start:.0f}\n")
    return sorted((STOCK_DIR / "models").glob("*.tar.gz"))[-1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def stores(var: Path, postgres: str | None) -> Iterator[dict[str, str]]:
    """The assistant's environment: SQLite files in `var`, or a throw-away PostgreSQL database."""
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import assistant_env  # the same isolated set-up the end-to-end tests use

    var.mkdir(parents=True)
    env = assistant_env(var)
    if not postgres:
        yield env
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bot.knowledge import db, loader

    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        loader.sync(Path(env["KNOWLEDGE_DIR"]), url)
        yield {**env, "TRACKER_STORE_URL": url, "KB_DATABASE_URL": url}
    finally:
        db.get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_size(url: str) -> str:
    """Rows and bytes of Rasa's events table per conversation (PostgreSQL)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            rows, senders = conn.execute(
                text("SELECT count(*), count(DISTINCT sender_id) FROM events")
            ).one()
            size = conn.execute(text("SELECT pg_total_relation_size('events')")).scalar_one()
    finally:
        engine.dispose()
    return f"{rows / senders:.0f} event rows, {size / senders / 1024:.1f} KB per conversation ({senders} conversations)"


@dataclass
class Deployment:
    """Where the load goes (`url`) and which processes serve it, for CPU and memory figures."""

    url: str
    rasa: list[int]
    actions: list[int]
    proxy: list[int] = field(default_factory=list)  # nginx's master and workers (--replicas)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (nginx's workers are children of its master)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


@contextlib.contextmanager
def deployment(args: argparse.Namespace, env: dict[str, str], var: Path) -> Iterator[Deployment]:
    """Our servers: one Rasa server and one action server (`make run`'s layout), or with --replicas N the
    production layout of deploy/ on this machine (`beijing-assistant cluster`): N Rasa servers and N action
    servers behind nginx, routed by conversation, sharing the conversation store and a Redis lock store."""
    if args.replicas <= 1:
        servers = serve.start(
            ROOT / "models" / "current.tar.gz",
            rasa_port=free_port(),
            actions_port=free_port(),
            env=env,
            log_dir=var / "logs",
        )
        try:
            yield Deployment(
                servers.rasa_url, [servers.processes[1].pid], [servers.processes[0].pid]
            )
        finally:
            servers.stop()
        return
    from bot.runtime import cluster

    ports = [free_port() for _ in range(2 * args.replicas + 2)]
    running = cluster.start_cluster(
        ROOT / "models" / "current.tar.gz",
        rasa_ports=ports[: args.replicas],
        action_ports=ports[args.replicas : 2 * args.replicas],
        port=ports[-2],
        actions_port=ports[-1],
        prefix=var / "cluster",
        env={
            **env,
            # One client address sends every simulated user's messages: nginx's per-address limit is off.
            cluster.NGINX_RATE_ENV: "0",
            "LOCK_STORE_KEY_PREFIX": f"benchload{uuid.uuid4().hex[:8]}",
        },
        log_dir=var / "logs",
    )
    try:
        assert running.nginx is not None
        yield Deployment(
            running.url,
            [p.pid for p in running.rasa],
            [p.pid for p in running.actions],
            descendants(running.nginx.pid),
        )
    finally:
        running.stop()


def run_ours(args: argparse.Namespace, var: Path) -> tuple[list[Result], dict[str, str]]:
    label = "ours (PostgreSQL)" if args.postgres else "ours"
    if args.replicas > 1:
        label += f", {args.replicas} Rasa servers behind nginx"
    with stores(var, args.postgres) as env:
        started = time.monotonic()
        with deployment(args, env, var) as deployed:
            cold = wait_first_answer(deployed.url, "hi", started)
            # The Rasa servers' encoder workers (bot/nlu/encoder_worker.py) are their children,
            # started when the model loads: they count as a kind of their own.
            workers = [child for pid in deployed.rasa for child in descendants(pid) if child != pid]
            groups = {
                "Rasa": deployed.rasa,
                **({"encoder workers": workers} if workers else {}),
                "action server": deployed.actions,
                **({"nginx": deployed.proxy} if deployed.proxy else {}),
            }
            results, info = [], {}
            for channel in args.channels:
                start: dict[str, float] = {}

                def mark(start: dict[str, float] = start) -> None:
                    start.update(
                        {name: sum(map(cpu_seconds, pids)) for name, pids in groups.items()}
                    )
                    start["load generator"] = time.process_time()
                    start["wall"] = time.monotonic()

                result = asyncio.run(
                    drive(
                        deployed.url,
                        channel,
                        OURS,
                        args.users,
                        args.warmup,
                        args.duration,
                        args.idle,
                        label,
                        mark,
                    )
                )
                # CPU per turn over the measured window (the turns answered in it).
                turns = len(result.latencies)
                if turns and start:
                    used = {
                        name: sum(map(cpu_seconds, pids)) - start[name]
                        for name, pids in groups.items()
                    }
                    used["load generator"] = time.process_time() - start["load generator"]
                    wall = time.monotonic() - start["wall"]
                    names = " / ".join(used)
                    per_turn = " / ".join(f"{1000 * u / turns:.1f}" for u in used.values())
                    info[f"{label}: CPU per {channel} turn, {names}"] = f"{per_turn} ms"
                    info[f"{label}: {channel} CPU in use, all of the above"] = (
                        f"{sum(used.values()) / wall:.2f} of {os.cpu_count()} cores"
                    )
                results.append(result)
            for name, pids in (
                ("Rasa server", deployed.rasa),
                ("encoder worker", workers),
                ("action server", deployed.actions),
            ):
                if not pids:
                    continue
                peaks = ", ".join(f"{peak_rss_mb(pid):.0f}" for pid in pids)
                info[f"{label}: {name} peak memory"] = f"{peaks} MB"
            info[f"{label}: start to first answer"] = f"{cold:.1f} s"
        if args.postgres:
            info[f"{label}: conversation store"] = store_size(env["TRACKER_STORE_URL"])
    return results, info


def run_stock(args: argparse.Namespace, var: Path) -> tuple[list[Result], dict[str, str]]:
    model = ensure_stock_model()
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(model),
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--credentials",
            str(STOCK_DIR / "credentials.yml"),
            "--endpoints",
            str(STOCK_DIR / "endpoints.yml"),
        ],
        cwd=STOCK_DIR,
        stdout=(var / "stock.log").open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        cold = wait_first_answer(base, "hello", started)
        start: dict[str, float] = {}

        def mark() -> None:
            start.update(
                rasa=cpu_seconds(proc.pid), generator=time.process_time(), wall=time.monotonic()
            )

        results = [
            asyncio.run(
                drive(
                    base,
                    "rest",
                    STOCK,
                    args.users,
                    args.warmup,
                    args.duration,
                    args.idle,
                    "stock rasa init",
                    mark,
                )
            )
        ]
        # CPU per turn over the measured window, as for ours.
        used, wall = cpu_seconds(proc.pid) - start["rasa"], time.monotonic() - start["wall"]
        generated = time.process_time() - start["generator"]
        turns = len(results[0].latencies)
        info = {
            "stock: CPU per rest turn, Rasa server": f"{1000 * used / max(turns, 1):.1f} ms ({100 * used / wall:.0f} % of one core)",
            "stock: CPU per rest turn, load generator": f"{1000 * generated / max(turns, 1):.1f} ms",
            "stock: Rasa server peak memory": f"{peak_rss_mb(proc.pid):.0f} MB",
            "stock: start to first answer": f"{cold:.1f} s",
        }
        seconds = STOCK_DIR / "training_seconds.txt"
        if seconds.exists():
            info["stock: training time (first run)"] = f"{seconds.read_text().strip()} s"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results, info


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument(
        "--duration", type=float, default=60, help="measured seconds per run (default 60)"
    )
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds of load before measuring (default 10)"
    )
    parser.add_argument("--target", choices=("both", "ours", "stock"), default="both")
    parser.add_argument("--channel", choices=("both", "rest", "socketio"), default="both")
    parser.add_argument(
        "--idle",
        type=float,
        default=0.3,
        help="Socket.IO: seconds without a message that end a turn",
    )
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/postgres",
        help="our bot on a throw-away PostgreSQL database (conversations and knowledge) instead of SQLite",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="our bot as N Rasa servers and N action servers behind nginx (deploy/'s layout; needs Redis "
        "and `make nginx`) instead of one of each (default 1, `make run`'s layout)",
    )
    args = parser.parse_args()
    args.channels = ["rest", "socketio"] if args.channel == "both" else [args.channel]
    if not (ROOT / "models" / "current.tar.gz").exists():
        print("error: no trained model; run `make train` first", file=sys.stderr)
        return 1
    results: list[Result] = []
    info: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.target in ("both", "ours"):
            r, i = run_ours(args, Path(tmp) / "ours")
            results += r
            info |= i
        if args.target in ("both", "stock"):
            (Path(tmp) / "stock").mkdir()
            r, i = run_stock(args, Path(tmp) / "stock")
            results += r
            info |= i
    print(
        f"\n{args.users} users, {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up, {os.cpu_count()} CPU cores"
    )
    print(
        tabulate(
            [r.row() for r in results],
            headers=[
                "bot",
                "channel",
                "users",
                "turns",
                "turns/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "errors",
            ],
        )
    )
    ours = next((r for r in results if r.name.startswith("ours") and r.channel == "rest"), None)
    stock = next((r for r in results if not r.name.startswith("ours")), None)
    if ours and stock and stock.latencies:
        info["REST turns/s, ours ÷ stock"] = (
            f"{(len(ours.latencies) / ours.seconds) / (len(stock.latencies) / stock.seconds):.2f}×"
        )
    print()
    print(tabulate(list(info.items()), headers=["measure", "value"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
