"""The report and purge on a conversation store in PostgreSQL (production), same figures as on SQLite.

Uses TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) to create a throw-away
database per test and drops it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import test_purge
import test_reports
from conversation_events import Store
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.conversations import purge

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    name = f"assistant_conv_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say clearly what is missing
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it or set TEST_POSTGRES_URL")
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
