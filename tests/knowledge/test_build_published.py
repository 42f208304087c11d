"""What is built from the published knowledge (names matcher, questions-and-answers index) can be built
ahead of the first question: the action server does it when it starts, before it listens."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.faq import index as faq_index
from bot.knowledge import db, names


def test_build_published_builds_what_the_first_question_would(kb_url: str) -> None:
    for published in (names._NAMES, faq_index._INDEX):
        published._cache.pop(kb_url, None)
    assert db.build_published(kb_url) == []
    built_names = names._NAMES._cache[kb_url][1]
    built_index = faq_index._INDEX._cache[kb_url][1]
    assert len(built_index) > 0
    # The first question finds them built (same objects, no second build).
    assert names.current(kb_url) is built_names
    assert faq_index.current(kb_url) is built_index


def test_prepare_published_builds_and_logs_and_errors_are_lines(
    kb_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names._NAMES._cache.pop(kb_url, None)
    with caplog.at_level(logging.INFO, logger="bot.knowledge.db"):
        db.prepare_published(kb_url)
    assert kb_url in names._NAMES._cache
    assert "Knowledge prepared at start" in caplog.text
    assert "not prepared" not in caplog.text
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    errors = db.build_published(f"sqlite:///{blocker}/kb.db")  # cannot be created
    assert errors and all(": " in line for line in errors)
