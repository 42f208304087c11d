"""The report and purge on a conversation store in PostgreSQL (production), same figures as on SQLite.

Uses a throw-away database per test (tests/databases.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import test_purge
import test_reports
from conversation_events import Store
from databases import throwaway_postgres
from sqlalchemy import create_engine

from bot.cli import main
from bot.conversations import purge

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    with throwaway_postgres("assistant_conv") as url:
        yield url


def test_report_on_postgres(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(pg_url, 0.0)
    test_reports.fill(store)
    store.dispose()
    test_reports.check_figures(test_reports.build(pg_url))
    period = ["--since", test_reports.FIRST.isoformat(), "--until", test_reports.LAST.isoformat()]
    assert main(["report", *period, "--database-url", pg_url, "--table", "unanswered"]) == 0
    out = capsys.readouterr().out
    assert "怎么交个人所得税  (×2)" in out and "postgresql://postgres@127.0.0.1" in out


def test_purge_on_postgres(pg_url: str) -> None:
    store = Store(pg_url, 0.0)
    test_purge.fill(store, time.time())
    store.dispose()

    def rows(sender: str | None = None) -> list[tuple]:
        return test_purge.rows(pg_url, sender)

    recent, no_session = rows(test_purge.RECENT), rows(test_purge.NO_SESSION)
    engine = create_engine(pg_url, future=True)
    cutoff = purge.cutoff_for(90)
    plan = purge.plan_retention(engine, cutoff)
    assert (plan.conversations, plan.trimmed) == (1, 1)
    assert purge.purge_retention(engine, cutoff) == plan
    assert rows(test_purge.OLD) == []
    session_start = test_purge.latest_session_start(pg_url, test_purge.ACTIVE)
    kept = rows(test_purge.ACTIVE)
    assert kept and all(r[3] >= min(cutoff, session_start) for r in kept)
    assert rows(test_purge.RECENT) == recent and rows(test_purge.NO_SESSION) == no_session
    others = [r for r in rows() if r[1] != test_purge.RECENT]
    assert purge.purge_users(engine, [test_purge.RECENT]) == len(recent)
    engine.dispose()
    assert rows() == others
