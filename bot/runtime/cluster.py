"""Several Rasa servers and action servers behind nginx on one machine: the production layout, runnable here.

`start_cluster` renders deploy/nginx.conf.template, starts N action servers and N Rasa servers (with
deploy/endpoints.yml: conversations in PostgreSQL, Redis lock store) using bot.runtime.serve's pieces, then nginx,
and waits until everything accepts connections. `beijing-assistant cluster` runs it until Ctrl-C, and
tests/test_scale_out.py uses it to kill a server in the middle of a conversation load.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import config
from bot.runtime import serve

DEPLOY_DIR = config.ROOT / "deploy"
NGINX_TEMPLATE = DEPLOY_DIR / "nginx.conf.template"
ENDPOINTS = DEPLOY_DIR / "endpoints.yml"
# Debian's libnginx-mod-http-js; NGINX_JS_MODULE overrides it.
DEFAULT_NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
# Environment deploy/endpoints.yml reads, with the defaults the launcher fills in (see _rasa_env).
LOCK_STORE_DEFAULTS = {
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
    "REDIS_PASSWORD": "",
    "LOCK_STORE_KEY_PREFIX": "beijingassistant",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def render_template(template: str, values: Mapping[str, object]) -> str:
    """Replace every {{name}} in `template`; a placeholder without a value (or a value never used) is an error."""
    used: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"no value for {{{{{name}}}}} in the nginx template")
        used.add(name)
        return str(values[name])

    rendered = _PLACEHOLDER.sub(substitute, template)
    unused = set(values) - used
    if unused:
        raise ValueError(f"values not used by the nginx template: {sorted(unused)}")
    return rendered


def nginx_config(
    prefix: Path,
    host: str,
    port: int,
    actions_port: int,
    rasa_ports: Sequence[int],
    action_ports: Sequence[int],
    read_timeout_s: int = 120,
    max_body: str = "1m",
    worker_processes: int = 1,
    replica_header: bool = False,
    njs_module: str | None = None,
) -> str:
    """The nginx configuration for these ports; `replica_header` adds X-Assistant-Replica (the upstream
    address that answered) to responses, for tests and debugging only."""

    def servers(ports: Sequence[int]) -> str:
        return "\n".join(f"        server {host}:{p};" for p in ports)

    header = (
        "        add_header X-Assistant-Replica $upstream_addr always;"
        if replica_header
        else "        # (no replica header)"
    )
    return render_template(
        NGINX_TEMPLATE.read_text(encoding="utf-8"),
        {
            "njs_module": njs_module or os.environ.get("NGINX_JS_MODULE") or DEFAULT_NJS_MODULE,
            "worker_processes": worker_processes,
            "prefix": prefix,
            "deploy_dir": DEPLOY_DIR,
            "max_body": max_body,
            "rasa_servers": servers(rasa_ports),
            "action_servers": servers(action_ports),
            "read_timeout": f"{read_timeout_s}s",
            "listen": f"{host}:{port}",
            "actions_listen": f"{host}:{actions_port}",
            "replica_header": header,
        },
    )


def nginx_binary() -> str:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise RuntimeError(
            "nginx is not installed: `make nginx` installs Debian's nginx and libnginx-mod-http-js"
        )
    return found


@dataclass
class Cluster:
    """Handles of the running processes; `url` is nginx, where clients talk to the assistant."""

    host: str
    port: int
    actions_port: int
    rasa_ports: list[int]
    action_ports: list[int]
    prefix: Path
    rasa: list[subprocess.Popen] = field(default_factory=list)
    actions: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def rasa_address(self, index: int) -> str:
        return f"{self.host}:{self.rasa_ports[index]}"

    def kill_rasa(self, index: int) -> None:
        """SIGKILL one Rasa server: no clean-up, like a crashed machine or an OOM kill."""
        proc = self.rasa[index]
        proc.kill()
        proc.wait()

    def stop(self, timeout: float = 20) -> None:
        """nginx first (no new requests), then the Rasa servers, then the action servers; SIGKILL stragglers."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        for group in (self.rasa, self.actions):
            serve.Servers(self.host, 0, 0, [p for p in group if p.poll() is None]).stop(timeout)
        if self.nginx is not None:
            try:
                self.nginx.wait(timeout)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()

    def all_processes(self) -> list[subprocess.Popen]:
        return [*self.actions, *self.rasa, *([self.nginx] if self.nginx else [])]


def _rasa_env(env: Mapping[str, str], host: str, actions_port: int) -> dict[str, str]:
    """What deploy/endpoints.yml needs: the action servers' load balancer, and the lock store defaults."""
    missing = [name for name in ("TRACKER_STORE_URL", "KB_DATABASE_URL") if not env.get(name)]
    if missing:
        raise RuntimeError(
            f"set {' and '.join(missing)} (e.g. postgresql://user@host/db): every server must share "
            "one conversation store and one knowledge base"
        )
    return {
        **LOCK_STORE_DEFAULTS,
        **dict(env),
        "ACTION_ENDPOINT_URL": f"http://{host}:{actions_port}/webhook",
    }


def check_redis(env: Mapping[str, str]) -> None:
    """Fail early and clearly when the lock store is not reachable (Rasa would fail on the first message)."""
    import redis

    client = redis.Redis(
        host=env["REDIS_HOST"],
        port=int(env["REDIS_PORT"]),
        db=int(env["REDIS_DB"]),
        password=env.get("REDIS_PASSWORD") or None,
        socket_timeout=5,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"Redis (the lock store) is not reachable at {env['REDIS_HOST']}:{env['REDIS_PORT']}: {exc}"
        ) from exc
    finally:
        client.close()


def start_cluster(
    model: Path,
    rasa_ports: Sequence[int],
    action_ports: Sequence[int],
    port: int,
    actions_port: int,
    prefix: Path,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    timeout: float = 300,
    read_timeout_s: int = 120,
    replica_header: bool = False,
) -> Cluster:
    """Start everything (servers concurrently: a Rasa server needs 20-40 s and ~1 GB to load the model)
    and return when nginx and every server accept connections. `prefix` holds nginx's files."""
    if len(rasa_ports) < 1 or len(action_ports) < 1:
        raise ValueError("at least one Rasa server and one action server")
    serve.ensure_free(host, port, actions_port, *rasa_ports, *action_ports)
    base_env = serve.process_env(env, host)
    if not base_env.get("WIDGET_ALLOWED_ORIGINS"):
        # Browsers reach the widget's Socket.IO through nginx, so its origin is nginx's, not a Rasa port's.
        base_env["WIDGET_ALLOWED_ORIGINS"] = f"http://{host}:{port},http://localhost:{port}"
    rasa_env = _rasa_env(base_env, host, actions_port)
    check_redis(rasa_env)
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        nginx_config(
            prefix,
            host,
            port,
            actions_port,
            rasa_ports,
            action_ports,
            read_timeout_s,
            replica_header=replica_header,
        ),
        encoding="utf-8",
    )
    credentials = serve.runtime_credentials(rasa_env, prefix / "credentials.yml")
    cluster = Cluster(host, port, actions_port, list(rasa_ports), list(action_ports), prefix)
    try:
        for i, p in enumerate(action_ports):
            cluster.actions.append(
                serve.spawn(serve.actions_command(p), f"actions-{i}", base_env, log_dir)
            )
        for i, p in enumerate(rasa_ports):
            args = serve.rasa_command(
                model, ENDPOINTS, credentials, host, p, rasa_env.get("RASA_API_TOKEN")
            )
            cluster.rasa.append(serve.spawn(args, f"rasa-{i}", rasa_env, log_dir))
        nginx_args = [
            nginx_binary(),
            "-p",
            str(prefix),
            "-c",
            str(conf),
            "-e",
            str(prefix / "error.log"),
        ]
        test = subprocess.run([*nginx_args, "-t", "-q"], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration {conf}:\n{test.stderr}")
        cluster.nginx = subprocess.Popen(
            nginx_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        serve.wait_for(host, port, cluster.nginx, "nginx", 30)
        for i, (p, proc) in enumerate(zip(action_ports, cluster.actions, strict=True)):
            serve.wait_for(host, p, proc, f"action server {i}", timeout)
        for i, (p, proc) in enumerate(zip(rasa_ports, cluster.rasa, strict=True)):
            serve.wait_for(host, p, proc, f"Rasa server {i}", timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def run_forever(model: Path, replicas: int, host: str, port: int, first_port: int) -> int:
    """`beijing-assistant cluster`: nginx on host:port; Rasa servers on first_port, first_port+1, ...,
    action servers after them, nginx's port for the action servers after those."""
    rasa_ports = [first_port + i for i in range(replicas)]
    action_ports = [first_port + replicas + i for i in range(replicas)]
    actions_port = first_port + 2 * replicas
    prefix = config.var_dir() / "cluster"
    print(
        f"Starting {replicas} action servers, {replicas} Rasa servers and nginx on {host}:{port} "
        "(loading the model takes a minute) ...",
        flush=True,
    )
    try:
        cluster = start_cluster(
            model,
            rasa_ports,
            action_ports,
            port,
            actions_port,
            prefix,
            dict(os.environ),
            host,
            log_dir=prefix / "logs",
        )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"\nThe assistant is running behind nginx: {cluster.url}/webhooks/rest/webhook (REST), "
        f"{cluster.url}/webchat/ (web chat).\n"
        f"Rasa servers: {', '.join(str(p) for p in rasa_ports)}; action servers: "
        f"{', '.join(str(p) for p in action_ports)}; logs in {prefix / 'logs'}.\n"
        "Press Ctrl-C to stop everything.\n",
        flush=True,
    )

    def nginx_exited() -> bool:
        dead = [p for p in cluster.all_processes() if p.poll() is not None]
        if dead:
            print(f"warning: {len(dead)} process(es) exited; the others carry on", file=sys.stderr)
            for proc in dead:
                for group in (cluster.rasa, cluster.actions):
                    if proc in group:
                        group.remove(proc)
            if cluster.nginx in dead:
                print("error: nginx exited; stopping", file=sys.stderr)
                return True
        return False

    serve.supervise(nginx_exited, cluster.stop)
    return 0
