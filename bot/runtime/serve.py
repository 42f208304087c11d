"""Start the action server and the Rasa server together, on loopback, and stop both cleanly.

Used by `make run` and by the end-to-end tests, so the tests exercise the same start-up path users get.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from bot.core import config

# Restart back-off of a crashed server: 1 s, 2 s, 4 s ... at most 60 s; back to 1 s after it has run for
# RESTART_RESET seconds.
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 60.0
RESTART_RESET = 60.0


@dataclass
class Child:
    """How to start one server again: its command, name (log file) and environment."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    log_dir: Path | None
    started: float = 0.0
    delay: float = RESTART_FIRST_DELAY
    restart_at: float | None = None
    restarts: int = 0


@dataclass
class Servers:
    """Handles of the two running processes (`processes[i]` is started by `children[i]`)."""

    host: str
    rasa_port: int
    actions_port: int
    processes: list[subprocess.Popen] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)

    def launch(self, child: Child) -> subprocess.Popen:
        proc = spawn(child.args, child.name, child.env, child.log_dir)
        child.started = time.monotonic()
        self.processes.append(proc)
        self.children.append(child)
        return proc

    def tend(self, now: float | None = None) -> list[str]:
        """Restart crashed servers with exponential back-off; the names of those restarted now.

        A server that exits is started again after `delay` (doubling up to RESTART_MAX_DELAY while it keeps
        crashing soon after starting); the other server keeps running meanwhile, so one crash does not stop
        the assistant and a crash loop does not spin.
        """
        now = time.monotonic() if now is None else now
        restarted = []
        for i, (proc, child) in enumerate(zip(self.processes, self.children, strict=True)):
            if proc.poll() is None:
                if now - child.started > RESTART_RESET:
                    child.delay = RESTART_FIRST_DELAY
                continue
            if child.restart_at is None:
                child.restart_at = now + child.delay
                print(
                    f"warning: the {child.name} server exited with code {proc.returncode}; "
                    f"restarting it in {child.delay:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            if now < child.restart_at:
                continue
            self.processes[i] = spawn(child.args, child.name, child.env, child.log_dir)
            child.started, child.restart_at = now, None
            child.restarts += 1
            child.delay = min(child.delay * 2, RESTART_MAX_DELAY)
            restarted.append(child.name)
            print(f"restarted the {child.name} server (restart {child.restarts})", flush=True)
        return restarted

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    def stop(self, timeout: float = 20) -> None:
        """SIGINT (Rasa's graceful stop) and then SIGKILL anything still alive."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for proc in self.processes:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for(host: str, port: int, proc: subprocess.Popen, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with code {proc.returncode} during start-up (see its log above)"
            )
        if port_open(host, port):
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not open {host}:{port} within {timeout:.0f} s")


def runtime_endpoints(
    host: str, actions_port: int, target: Path, env: Mapping[str, str] | None = None
) -> Path:
    """endpoints.yml with the action server URL pointing at the configured port, and Rasa's lock store in
    Redis when REDIS_URL is set (servers sharing conversations must share their locks)."""
    yaml = YAML()
    data = yaml.load((config.ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    data["action_endpoint"]["url"] = f"http://{host}:{actions_port}/webhook"
    redis_url = ((env or {}).get("REDIS_URL") or "").strip()
    if redis_url:
        data["lock_store"] = redis_lock_store(redis_url, (env or {}).get("LOCK_STORE_KEY_PREFIX"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return target


def redis_lock_store(url: str, key_prefix: str | None = None) -> dict[str, object]:
    """The lock-store endpoint for a redis:// URL (bot/rasa_ext/lock_store.py)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    db = parts.path.lstrip("/")
    endpoint: dict[str, object] = {
        "type": "bot.rasa_ext.lock_store.ResilientRedisLockStore",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(db) if db.isdigit() else 0,
    }
    if parts.password:
        endpoint["password"] = parts.password
    if key_prefix:
        endpoint["key_prefix"] = key_prefix
    return endpoint


WECHAT_CHANNEL = "bot.channels.wechat.channel.WeChatInput"


def runtime_credentials(env: Mapping[str, str], target: Path) -> Path:
    """credentials.yml plus the WeChat channel when WECHAT_TOKEN is set (its settings come from WECHAT_*)."""
    yaml = YAML()
    data = yaml.load((config.ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    if (env.get("WECHAT_TOKEN") or "").strip():
        data[WECHAT_CHANNEL] = None
    else:
        data.pop(WECHAT_CHANNEL, None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return target


MATH_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def process_env(env: Mapping[str, str] | None, host: str) -> dict[str, str]:
    """The environment of a server process: ours, plus `env`, plus what every server needs."""
    return {
        # One thread for the math libraries (numpy's OpenBLAS, MKL, OpenMP): a server handles one
        # message at a time per process, and the sentence encoder's small matrix products only lose
        # time to thread start-up and to the other processes on the machine. The environment may
        # override it.
        **MATH_THREADS,
        **os.environ,
        **(env or {}),
        "SANIC_HOST": host,
        "PYTHONUNBUFFERED": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }


def spawn(
    args: list[str], name: str, env: Mapping[str, str], log_dir: Path | None = None
) -> subprocess.Popen:
    """Start one server process in the project folder; its output goes to `log_dir/name.log` when given."""
    out = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        out = (log_dir / f"{name}.log").open("ab")
    try:
        return subprocess.Popen(
            args,
            cwd=config.ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
    finally:
        if out is not None:
            out.close()  # the child has its own copy of the descriptor


def actions_command(port: int) -> list[str]:
    """`rasa run actions` for this project's actions on `port`."""
    return [
        str(Path(sys.executable).parent / "rasa"),
        "run",
        "actions",
        "--actions",
        "actions",
        "--port",
        str(port),
    ]


def rasa_command(
    model: Path, endpoints: Path, credentials: Path, host: str, port: int, token: str | None
) -> list[str]:
    """`rasa run` serving `model` on host:port; the HTTP API is on only behind `token`."""
    args = [
        # `rasa run` with bot/rasa_ext/speedups.py installed first.
        sys.executable,
        "-m",
        "bot.rasa_ext.rasa_server",
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        "--interface",
        host,
        "--port",
        str(port),
    ]
    if token:
        # The HTTP API (tracker access, model replacement) is only ever on behind a token.
        args += ["--enable-api", "--auth-token", token]
    return args


def ensure_free(host: str, *ports: int) -> None:
    for port in ports:
        if port_open(host, port):
            raise RuntimeError(
                f"port {port} on {host} is already in use; stop the other server or choose another port"
            )


def start(
    model: Path,
    host: str = "127.0.0.1",
    rasa_port: int = 5005,
    actions_port: int = 5055,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    timeout: float = 180,
) -> Servers:
    """Start both servers and wait until they accept connections."""
    ensure_free(host, rasa_port, actions_port)
    env = process_env(env, host)
    var = Path(env.get("ASSISTANT_VAR_DIR") or config.var_dir())
    endpoints = runtime_endpoints(host, actions_port, var / f"endpoints.{rasa_port}.yml", env)
    credentials = runtime_credentials(env, var / f"credentials.{rasa_port}.yml")
    servers = Servers(host, rasa_port, actions_port)
    try:
        actions = servers.launch(Child("actions", actions_command(actions_port), env, log_dir))
        rasa_args = rasa_command(
            model, endpoints, credentials, host, rasa_port, env.get("RASA_API_TOKEN")
        )
        rasa = servers.launch(Child("rasa", rasa_args, env, log_dir))
        wait_for(host, actions_port, actions, "the action server", timeout)
        wait_for(host, rasa_port, rasa, "the Rasa server", timeout)
    except BaseException:
        servers.stop()
        raise
    return servers


def run_forever(model: Path, host: str, rasa_port: int, actions_port: int) -> int:
    """`make run`: start, print where to talk to the assistant, stop both on Ctrl-C."""
    print(
        f"Starting the action server on {host}:{actions_port} and the Rasa server on {host}:{rasa_port} ...",
        flush=True,
    )
    try:
        servers = start(model, host, rasa_port, actions_port)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    base = servers.rasa_url
    print(
        "\nThe assistant is running.\n"
        f"  REST:      curl -s {base}/webhooks/rest/webhook -H 'Content-Type: application/json' \\\n"
        '               -d \'{"sender": "me", "message": "where can I renew my residence permit in Chaoyang?"}\'\n'
        f'  Web chat:  {base}/webchat/   (demo page; embed with <script src="{base}/webchat/widget.js"'
        f' data-server="{base}"></script>)\n'
        f"  Socket.IO: {base}/socket.io (events user_uttered / bot_uttered)\n"
        f"  Terminal:  make shell   (in another terminal)\n"
        "Press Ctrl-C to stop both servers.\n"
        "A server that crashes is restarted (after 1 s, then 2 s, 4 s ... at most 60 s).\n",
        flush=True,
    )

    def never() -> bool:
        servers.tend()
        return False

    supervise(never, servers.stop)
    return 0


def supervise(should_stop: Callable[[], bool], stop: Callable[[], None]) -> None:
    """Wait until Ctrl-C, SIGTERM or `should_stop()` (checked twice a second), then `stop()`."""
    stopping = False

    def handle(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    try:
        while not stopping and not should_stop():
            time.sleep(0.5)
    finally:
        print("\nStopping ...", flush=True)
        stop()
        print("Stopped.", flush=True)
