"""Helpers for tests that start the real servers: free loopback ports and an isolated environment."""

from __future__ import annotations

import shutil
import socket
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.knowledge.loader import sync
from bot.runtime import serve

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assistant_env(var: Path, extra_knowledge: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for `bot.runtime.serve.start` with its own copy of knowledge/ (plus `extra_knowledge` files,
    name -> YAML text), synced into its own SQLite database, and its own conversation store."""
    assert MODEL.exists(), "no trained model: run `make train` (make test does it)"
    knowledge = var / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.md"))
    for name, text in (extra_knowledge or {}).items():
        (knowledge / name).write_text(textwrap.dedent(text), encoding="utf-8")
    kb_url = f"sqlite:///{var / 'knowledge.db'}"
    sync(knowledge, kb_url)
    return {
        "ASSISTANT_VAR_DIR": str(var),
        "KNOWLEDGE_DIR": str(knowledge),
        "KB_DATABASE_URL": kb_url,
        "TRACKER_STORE_URL": f"sqlite:///{var / 'tracker.db'}",
        "RASA_API_TOKEN": "",
        # Tests and benchmarks send faster than a person: the per-sender limit is tested where it is the
        # subject (test_bounds_e2e.py sets its own).
        "RATE_LIMIT_PER_MINUTE": "0",
    }


def start_assistant(env: dict[str, str], log_dir: Path | None = None) -> serve.Servers:
    """The action and Rasa servers (`bot.runtime.serve.start`, the trained model) on free loopback ports,
    with `env` (from `assistant_env`), logs in `log_dir` (default: <ASSISTANT_VAR_DIR>/logs)."""
    return serve.start(
        MODEL,
        rasa_port=free_port(),
        actions_port=free_port(),
        env=env,
        log_dir=log_dir or Path(env["ASSISTANT_VAR_DIR"]) / "logs",
    )


@contextmanager
def running_assistant(env: dict[str, str], log_dir: Path | None = None) -> Iterator[serve.Servers]:
    """`start_assistant`, stopped at the end: a module's fixture is `with running_assistant(env) as
    servers: yield servers`."""
    servers = start_assistant(env, log_dir)
    try:
        yield servers
    finally:
        servers.stop()
