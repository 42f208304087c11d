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
