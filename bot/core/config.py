"""Runtime configuration, read from environment variables with embedded defaults (SQLite, no services)."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
TIMEZONE = ZoneInfo("Asia/Shanghai")


def var_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_VAR_DIR", ROOT / "var"))


def knowledge_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_DIR", ROOT / "knowledge"))


def kb_database_url() -> str:
    """SQLAlchemy URL of the knowledge base (KB_DATABASE_URL), default a SQLite file under var/."""
    return os.environ.get("KB_DATABASE_URL") or f"sqlite:///{var_dir() / 'knowledge.db'}"


def tracker_store_url() -> str:
    """SQLAlchemy URL of Rasa's conversation store (TRACKER_STORE_URL), default a SQLite file under var/."""
    return os.environ.get("TRACKER_STORE_URL") or f"sqlite:///{var_dir() / 'tracker.db'}"


def knowledge_max_age_days() -> int:
    """Records not verified for longer than this many days are listed by `beijing-assistant stale`."""
    value = os.environ.get("KNOWLEDGE_MAX_AGE_DAYS", "").strip()
    return int(value) if value.isdigit() else 180


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


# --- Faults and bounds (issue 17) ---------------------------------------------------------------


def action_server_timeout() -> float:
    """Seconds the Rasa server waits for the action server before answering politely (ACTION_SERVER_TIMEOUT)."""
    return _env_float("ACTION_SERVER_TIMEOUT", 10.0)


def action_server_retry_after() -> float:
    """Seconds after an action-server timeout during which calls fail at once (ACTION_SERVER_RETRY_AFTER)."""
    return _env_float("ACTION_SERVER_RETRY_AFTER", 5.0)


def kb_lock_timeout() -> float:
    """Seconds a knowledge read waits for a locked database before the polite reply (KB_LOCK_TIMEOUT)."""
    return _env_float("KB_LOCK_TIMEOUT", 1.0)


def names_refresh_seconds() -> float:
    """Seconds between checks, off the event loop, whether a sync published new names for the names the
    Rasa server holds in memory (KB_NAMES_REFRESH; bot/knowledge/names.py, `held`)."""
    return _env_float("KB_NAMES_REFRESH", 2.0)


def action_threads() -> int:
    """Threads of the action server that run knowledge reads off its event loop (ACTION_THREADS)."""
    return _env_int("ACTION_THREADS", 16)


def session_max_turns() -> int:
    """User messages after which a new session starts, keeping the slots (SESSION_MAX_TURNS)."""
    return _env_int("SESSION_MAX_TURNS", 20)


def redis_url() -> str | None:
    """Redis for state shared by several Rasa servers (REDIS_URL); None: a local store under var/."""
    return os.environ.get("REDIS_URL", "").strip() or None
