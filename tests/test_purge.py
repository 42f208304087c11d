"""`beijing-assistant purge`: retention and per-user deletion on a store with constructed conversations.

The end-to-end test (test_conversations_e2e.py) purges a store filled by the real assistant while it runs.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest
from conversation_events import DAY, Store
from sqlalchemy import create_engine, select

from bot.cli import main
from bot.conversations import purge
from bot.conversations.store import events

OLD, ACTIVE, RECENT, NO_SESSION = "user-old", "user-active", "user-recent", "user-no-session"
ROOT = Path(__file__).resolve().parent.parent


def fill(s: Store, now: float) -> None:
    s.t = now - 200 * DAY  # silent for 200 days
    s.session(OLD)
    s.turn(OLD, "hello", "greet", "utter_greet", language="en")
    s.turn(OLD, "visa?", "visa", "action_answer_procedure", topic="visa")
    s.t = now - 120 * DAY  # an old session 120 days ago, and the current one since yesterday
    s.session(ACTIVE)
    s.turn(ACTIVE, "bonjour", "greet", "utter_greet", language="fr")
    s.turn(
        ACTIVE,
        "où renouveler mon titre de séjour",
        "residence_permit",
        "action_answer_procedure",
        topic="residence_permit",
    )
    s.t = now - DAY
    s.session(ACTIVE)
    s.slot(ACTIVE, "language", "fr")  # carried over into the new session
    s.slot(ACTIVE, "last_topic", "residence_permit")
    s.turn(ACTIVE, "merci", "thank", "utter_thank")
    s.t = now - 2 * DAY
    s.session(RECENT)
    s.turn(RECENT, "你好", "greet", "utter_greet", language="zh")
    s.t = (
        now - 100 * DAY
    )  # no session start at all: Rasa reads its whole history, so nothing may go
    s.turn(NO_SESSION, "hi", "greet", "utter_greet", language="en")
    s.t = now - DAY
    s.turn(NO_SESSION, "hi again", "greet", "utter_greet")


@pytest.fixture()
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    s = Store(url, 0.0)
    fill(s, time.time())
    s.dispose()
    return url


def rows(url: str, sender: str | None = None) -> list[tuple]:
    engine = create_engine(url, future=True)
    statement = select(events).order_by(events.c.id)
    if sender:
        statement = statement.where(events.c.sender_id == sender)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(statement)]
    engine.dispose()
    return found


def latest_session_start(url: str, sender: str) -> float:
    return max(r[3] for r in rows(url, sender) if r[2] == "session_started")


def test_retention_plan_counts_what_purge_deletes(store_url: str) -> None:
    engine = create_engine(store_url, future=True)
    cutoff = purge.cutoff_for(90)
    # ACTIVE's events older than 90 days and before its current session (which Rasa rebuilds it from).
    limit = min(cutoff, latest_session_start(store_url, ACTIVE))
    before_session = [r for r in rows(store_url, ACTIVE) if r[3] < limit]
    plan = purge.plan_retention(engine, cutoff)
    assert (plan.conversations, plan.events_whole) == (1, len(rows(store_url, OLD)))
    assert (plan.trimmed, plan.events_trimmed) == (1, len(before_session))

    keep = {s: rows(store_url, s) for s in (RECENT, NO_SESSION)}
    current = [r for r in rows(store_url, ACTIVE) if r[3] >= limit]
    done = purge.purge_retention(engine, cutoff)
    engine.dispose()
    assert done == plan
    assert rows(store_url, OLD) == []
    assert rows(store_url, ACTIVE) == current  # the current session, untouched
    assert any(r[2] == "session_started" for r in current)
    assert {s: rows(store_url, s) for s in keep} == keep
    engine = create_engine(store_url, future=True)
    assert purge.plan_retention(engine, cutoff).events == 0
    engine.dispose()


def test_rasa_rebuilds_the_current_session_after_retention(store_url: str) -> None:
    from rasa.shared.core.domain import Domain

    from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

    domain = Domain.load(str(ROOT / "domain.yml"))
    store = UrlSQLTrackerStore(domain=domain, url=store_url)
    before = asyncio.run(store.retrieve(ACTIVE))
    engine = create_engine(store_url, future=True)
    purge.purge_retention(engine, purge.cutoff_for(90))
    engine.dispose()
    after = asyncio.run(store.retrieve(ACTIVE))
    store.engine.dispose()
    assert [e.as_dict() for e in after.events] == [e.as_dict() for e in before.events]
    assert after.get_slot("language") == "fr"


def test_purge_one_user_leaves_everyone_else(store_url: str) -> None:
    others = [r for r in rows(store_url) if r[1] != ACTIVE]
    theirs = len(rows(store_url, ACTIVE))
    engine = create_engine(store_url, future=True)
    assert [u.events for u in purge.plan_users(engine, [ACTIVE, "nobody"])] == [theirs, 0]
    assert purge.purge_users(engine, [ACTIVE]) == theirs
    engine.dispose()
    assert rows(store_url) == others


def test_cli_dry_run_changes_nothing(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = rows(store_url)
    assert main(["purge", "--dry-run", "--database-url", store_url]) == 0
    assert main(["purge", "--dry-run", "--user", OLD, "--database-url", store_url]) == 0
    out = capsys.readouterr().out
    assert "Keeping 90 days" in out and "1 conversation(s) with no message since then" in out
    assert out.count("Dry run: nothing was deleted.") == 2
    assert rows(store_url) == before


def test_cli_asks_first_and_refuses_without_anyone_to_confirm(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = rows(store_url)
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("yes\n")
    )  # not a terminal (cron): no answer counts
    assert main(["purge", "--database-url", store_url]) == 1
    assert "--yes" in capsys.readouterr().err
    assert rows(store_url) == before

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["purge", "--database-url", store_url]) == 1
    assert rows(store_url) == before
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert main(["purge", "--database-url", store_url]) == 0
    assert rows(store_url, OLD) == [] and rows(store_url, RECENT)
    assert "✓ Deleted" in capsys.readouterr().out


def test_cli_retention_days_from_the_environment(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    active = rows(store_url, ACTIVE)
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "150")
    assert main(["purge", "--yes", "--database-url", store_url]) == 0
    assert rows(store_url, OLD) == [] and rows(store_url, ACTIVE) == active  # 120 days old: kept
    assert main(["purge", "--older-than", "30", "--yes", "--database-url", store_url]) == 0
    assert len(rows(store_url, ACTIVE)) < len(active)
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "ninety")
    assert main(["purge", "--dry-run", "--database-url", store_url]) == 2
    assert "whole number of days" in capsys.readouterr().err


def test_cli_purge_user(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    others = [r for r in rows(store_url) if r[1] != RECENT]
    assert main(["purge", "--user", RECENT, "--yes", "--database-url", store_url]) == 0
    assert rows(store_url) == others
    assert main(["purge", "--user", RECENT, "--yes", "--database-url", store_url]) == 0
    assert "Nothing stored about this user" in capsys.readouterr().out
