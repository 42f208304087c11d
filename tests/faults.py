"""Helpers of the fault tests: talk to the real servers on every channel, read the stored conversation,
and time other users while a fault lasts."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio


def rest(base: str, sender: str, text: str, timeout: float = 60, **extra: Any) -> list[dict]:
    response = requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, **extra},
        timeout=timeout,
    )
    assert response.status_code == 200, response.text
    return response.json()


def rest_text(base: str, sender: str, text: str, **extra: Any) -> str:
    return "\n".join(m.get("text", "") for m in rest(base, sender, text, **extra))


def socketio_ask(
    base: str, text: str, session_id: str | None = None, timeout: float = 60
) -> tuple[str, list[str]]:
    """(session id, texts of the bot_uttered events) for one message over the widget's Socket.IO channel."""
    client = socketio.Client(reconnection=False)
    confirmed = threading.Event()
    replies: list[str] = []
    done = threading.Event()
    state: dict[str, str] = {}

    @client.on("session_confirm")
    def on_confirm(sid: str) -> None:
        state["session"] = sid
        confirmed.set()

    @client.on("bot_uttered")
    def on_bot(data: dict) -> None:
        replies.append(data.get("text", ""))

    @client.on("bot_typing")
    def on_typing(data: dict) -> None:
        if not data.get("typing"):
            done.set()

    client.connect(base, socketio_path="/socket.io", transports=["websocket"], wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": session_id} if session_id else {})
        assert confirmed.wait(30), "no session_confirm"
        client.emit("user_uttered", {"message": text, "session_id": state["session"]})
        assert done.wait(timeout), "the turn did not end"
        time.sleep(0.3)
    finally:
        client.disconnect()
    return state["session"], replies


def stored_events(tracker_db: str, sender: str) -> list[dict]:
    with sqlite3.connect(tracker_db.removeprefix("sqlite:///")) as conn:
        rows = conn.execute(
            "select data from events where sender_id = ? order by id", (sender,)
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def failed_replies(events: list[dict]) -> list[dict]:
    return [
        e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("turn_failed")
    ]


class Bystanders:
    """Other users asking a question again and again while a fault lasts; their latencies are printed."""

    def __init__(self, ask: Callable[[str], Any], users: int = 2) -> None:
        self.ask = ask
        self.users = users
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.answered: dict[str, int] = {}  # messages answered per user, to check in the store
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self, user: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.ask(user)
                self.latencies.append(time.monotonic() - started)
                self.answered[user] = self.answered.get(user, 0) + 1
            except Exception as exc:  # counted, printed and asserted on by the test
                self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.2)

    def __enter__(self) -> Bystanders:
        for i in range(self.users):
            t = threading.Thread(
                target=self._run, args=(f"bystander-{i}-{time.time_ns()}",), daemon=True
            )
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(120)

    def report(self, what: str) -> str:
        if not self.latencies:
            line = f"{what}: other users got no answer ({len(self.errors)} errors)"
        else:
            lat = sorted(self.latencies)
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            line = (
                f"{what}: other users {len(lat)} answers, median {statistics.median(lat) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms, {len(self.errors)} errors"
            )
        print(line)
        return line


PG_BIN = Path("/usr/lib/postgresql")


def _pg_bin(name: str) -> str:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    if not found:
        pytest.skip(f"PostgreSQL's {name} is not installed (Debian's postgresql package)")
    return str(found[-1])


class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb in a temporary folder, a free loopback port), so it can
    be restarted without touching the shared one. Runs as the `postgres` user when the tests run as root."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> PrivatePostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        if not self.data.exists():
            self._run(
                _pg_bin("initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            )
        self._ctl("start", "-w")
        return self

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            *args,
        )

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast", "-w")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._ctl("stop", "-m", "immediate", "-w")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port (no persistence), to kill and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def stored_events_sql(url: str, sender: str) -> list[dict]:
    """The stored events of one conversation in any SQLAlchemy database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select data from events where sender_id = :s order by id"), {"s": sender}
            ).scalars()
            return [json.loads(r) for r in rows]
    finally:
        engine.dispose()
