"""Our SQL tracker store reads and writes exactly what Rasa's own SQLTrackerStore does, on the same tables."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def turns(sessions: int) -> list[list]:
    """Events of each turn, as the processor adds them: session starts, questions, answers."""
    out: list[list] = []
    t = 1_700_000_000.0
    for s in range(sessions):
        t += 10_000
        out.append(
            [
                ActionExecuted("action_session_start", timestamp=t),
                SessionStarted(timestamp=t),
                ActionExecuted("action_listen", timestamp=t + 0.1),
            ]
        )
        for turn in range(3):
            ts = t + 1 + turn
            out.append(
                [
                    UserUttered(
                        f"question {s}.{turn}", {"name": "visa", "confidence": 0.9}, timestamp=ts
                    ),
                    SlotSet("language", "fr", timestamp=ts + 0.1),
                    ActionExecuted("action_answer_procedure", timestamp=ts + 0.2),
                    BotUttered(f"answer {s}.{turn}", timestamp=ts + 0.3),
                    ActionExecuted("action_listen", timestamp=ts + 0.4),
                ]
            )
    return out


def dump(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [e.as_dict() for e in tracker.events]


@pytest.mark.parametrize("patches", ["on", "off"])
@pytest.mark.parametrize("writer", ["ours", "rasa"])
def test_same_events_as_rasas_store(
    tmp_path: Path, domain: Domain, writer: str, patches: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the fence's switch off (BJ_RASA_PATCHES=0) our store uses Rasa's own queries and engine."""
    if patches == "off":
        monkeypatch.setenv("BJ_RASA_PATCHES", "0")
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    ours = UrlSQLTrackerStore(domain=domain, url=url)
    assert ours._fast == (patches == "on")
    rasa = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store = ours if writer == "ours" else rasa
    everything = turns(sessions=3)
    for sender in ("u1", "u2"):
        for events in everything:  # as the processor does: retrieve, add the turn's events, save
            tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(
                sender, domain.slots
            )
            for e in events:
                tracker.update(e)
            asyncio.run(store.save(tracker))
    for sender in ("u1", "u2"):
        for retrieve in ("retrieve", "retrieve_full_tracker"):
            assert dump(asyncio.run(getattr(ours, retrieve)(sender))) == dump(
                asyncio.run(getattr(rasa, retrieve)(sender))
            )
    latest = dump(asyncio.run(ours.retrieve("u1")))
    assert latest[0]["event"] == "action" and latest[0]["name"] == "action_session_start"
    assert [e["text"] for e in latest if e["event"] == "user"] == [
        "question 2.0",
        "question 2.1",
        "question 2.2",
    ]
    assert asyncio.run(ours.retrieve("nobody")) is None


def test_saving_twice_writes_nothing_twice(tmp_path: Path, domain: Domain) -> None:
    store = UrlSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = DialogueStateTracker("u", domain.slots)
    for events in turns(sessions=1):
        for e in events:
            tracker.update(e)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))
    assert dump(asyncio.run(store.retrieve_full_tracker("u"))) == dump(tracker)


@pytest.mark.parametrize("patches", ["on", "off"])
def test_the_nlu_sentence_vector_is_not_stored(
    tmp_path: Path, domain: Domain, patches: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The NLU's vector of a message (bot/nlu/text_vector.py) serves its turn's actions only."""
    from bot.nlu.text_vector import TEXT_VECTOR, pack

    if patches == "off":
        monkeypatch.setenv("BJ_RASA_PATCHES", "0")
    store = UrlSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = DialogueStateTracker("u", domain.slots)
    vector = pack("hi", "use", np.ones(4, dtype=np.float32))
    intent = {"name": "greet", "confidence": 0.9}
    tracker.update(UserUttered("hi", intent, parse_data={"intent": intent, TEXT_VECTOR: vector}))
    tracker.update(ActionExecuted("action_listen"))
    assert TEXT_VECTOR in tracker.latest_message.parse_data  # what the turn's actions receive
    asyncio.run(store.save(tracker))
    stored = dump(asyncio.run(store.retrieve_full_tracker("u")))
    (user,) = [e for e in stored if e["event"] == "user"]
    assert TEXT_VECTOR not in user["parse_data"]
    assert user["parse_data"]["intent"] == intent and user["text"] == "hi"


def _write(
    store: UrlSQLTrackerStore | SQLTrackerStore, sender: str, everything: list[list]
) -> None:
    for events in everything:  # as the processor does: retrieve, add the turn's events, save
        tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(
            sender, Domain.empty().slots
        )
        for e in events:
            tracker.update(e)
        asyncio.run(store.save(tracker))


def _no_session_turns() -> list[list]:
    """A conversation without a session start (Rasa's first save of a new conversation is like this)."""
    return [
        [ActionExecuted("action_listen", timestamp=1_700_000_000.0)],
        [
            UserUttered("hi", {"name": "greet", "confidence": 0.9}, timestamp=1_700_000_001.0),
            BotUttered("hello", timestamp=1_700_000_001.5),
            ActionExecuted("action_listen", timestamp=1_700_000_002.0),
        ],
    ]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_one_statement_reads_and_counts_as_rasas_queries(
    tmp_path: Path, domain: Domain, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read and the save's count, one statement each, give what Rasa's own queries give, with and
    without a session start, on SQLite and PostgreSQL (written by ours, read by ours and by Rasa's)."""
    from contextlib import ExitStack

    from databases import throwaway_postgres

    with ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{tmp_path / 'tracker.db'}"
        else:
            url = stack.enter_context(throwaway_postgres("tracker_store"))
        ours = UrlSQLTrackerStore(domain=domain, url=url)
        stack.callback(ours.engine.dispose)
        assert ours._fast
        _write(ours, "sessions", turns(sessions=3))
        _write(ours, "no-session", _no_session_turns())
        # the same once more: nothing is stored twice
        for sender in ("sessions", "no-session"):
            asyncio.run(ours.save(asyncio.run(ours.retrieve(sender))))
        monkeypatch.setenv("BJ_RASA_PATCHES", "0")
        rasa = UrlSQLTrackerStore(domain=domain, url=url)
        stack.callback(rasa.engine.dispose)
        assert not rasa._fast
        for sender in ("sessions", "no-session", "nobody"):
            for retrieve in ("retrieve", "retrieve_full_tracker"):
                mine = asyncio.run(getattr(ours, retrieve)(sender))
                theirs = asyncio.run(getattr(rasa, retrieve)(sender))
                assert (mine is None) == (theirs is None) == (sender == "nobody")
                if mine is not None:
                    assert dump(mine) == dump(theirs), (sender, retrieve)
        assert [
            e["text"]
            for e in dump(asyncio.run(ours.retrieve("no-session")))
            if e["event"] == "user"
        ] == ["hi"]


def test_reads_and_counts_stay_within_the_latest_session(tmp_path: Path, domain: Domain) -> None:
    """SQLite's work for the latest session does not grow with the conversation's earlier sessions
    (a condition the planner cannot use as an index range would read every stored event)."""
    import sqlite3

    path = tmp_path / "tracker.db"
    store = UrlSQLTrackerStore(domain=domain, url=f"sqlite:///{path}")
    _write(store, "short", turns(sessions=2))
    _write(store, "long", turns(sessions=60))
    _write(store, "no-session", _no_session_turns())
    store.engine.dispose()

    conn = sqlite3.connect(path)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def work(statement: sa.sql.Select, sender: str) -> int:
        compiled = statement.compile(dialect=sqlite_dialect())
        params = compiled.construct_params({"sender_id": sender})
        steps[0] = 0
        conn.set_progress_handler(count, 1)
        conn.execute(str(compiled), tuple(params[k] for k in compiled.positiontup)).fetchall()
        conn.set_progress_handler(None, 1)
        return steps[0]

    for statement in (store._select_latest, store._count_stored):
        short, long = work(statement, "short"), work(statement, "long")
        assert long <= short + 20, (statement, short, long)  # 60 sessions of 16 events vs 2
        assert work(statement, "no-session") <= short + 20
    conn.close()
