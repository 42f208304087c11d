"""Shared fixtures: a private knowledge database per test session, synced from the real knowledge/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite knowledge base synced from knowledge/, used by every query/action test."""
    from bot.knowledge.loader import sync

    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
    sync(ROOT / "knowledge", url)
    return url


@pytest.fixture()
def use_kb(kb_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point bot.core.config at the session knowledge base (what actions read by default)."""
    monkeypatch.setenv("KB_DATABASE_URL", kb_url)
    return kb_url


@pytest.fixture()
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of knowledge/ to break in tests."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target, ignore=shutil.ignore_patterns("*.md"))
    return target


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
