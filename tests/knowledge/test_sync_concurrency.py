"""Publishing while the assistant answers, and two staff members publishing at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databases import throwaway_postgres

from bot.dialogue import answers
from bot.knowledge import db, loader, models, queries

ROOT = Path(__file__).resolve().parents[2]
POINTS = ("psb_exit_entry_main_hall", "chaoyang_exit_entry_hall")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.db'}"
    else:
        with throwaway_postgres() as pg:
            yield pg


def version_of(tmp_path: Path, label: str) -> Path:
    """A copy of the real knowledge whose two main exit-entry halls carry `[label]` in their English name."""
    folder = tmp_path / f"knowledge_{label}"
    shutil.copytree(ROOT / "knowledge", folder, ignore=shutil.ignore_patterns("*.md"))
    points = folder / "service_points.yml"
    text = points.read_text(encoding="utf-8")
    for anchor in ("(main hall)\n", "Chaoyang Sub-bureau\n"):
        assert text.count(anchor) == 1
        text = text.replace(anchor, anchor[:-1] + f" [{label}]\n")
    points.write_text(text, encoding="utf-8")
    return folder


def label(record: dict) -> str:
    return record["name"]["en"].rsplit("[", 1)[1].rstrip("]")


def test_every_answer_reads_one_published_version_while_staff_publish(
    url: str, tmp_path: Path
) -> None:
    versions = {v: version_of(tmp_path, v) for v in "AB"}
    loaded = {v: loader.read_knowledge(folder) for v, folder in versions.items()}
    loader.sync(versions["A"], url)
    done = threading.Event()
    seen: list[tuple[str, str]] = []
    replies: list[str] = []
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            for i in range(30):
                loader.sync(url=url, knowledge=loaded["B" if i % 2 == 0 else "A"])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                with queries.snapshot(url):
                    first = queries.get_service_point(POINTS[0], url=url)
                    time.sleep(0.003)  # a sync may commit right here
                    second = queries.get_service_point(POINTS[1], url=url)
                seen.append((label(first), label(second)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def answer() -> None:
        # The real answer path (several queries in one snapshot), as the action server runs it.
        try:
            while not done.is_set():
                reply = answers.service_point_answer("residence_permit", "chaoyang")
                replies.append("\n".join(r.text for r in reply.replies))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (publish, read, read, answer)]
    monkey_url = pytest.MonkeyPatch()
    monkey_url.setenv("KB_DATABASE_URL", url)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        monkey_url.undo()
    assert not errors, errors
    assert seen and replies
    mixed = [pair for pair in seen if pair[0] != pair[1]]
    assert not mixed, f"{len(mixed)} of {len(seen)} reads mixed two versions"
    assert {pair[0] for pair in seen} == {"A", "B"}, "the reads never saw a publication happen"
    for text in replies:
        labels = {part.split("]", 1)[0] for part in text.split("[")[1:] if part[:2] in ("A]", "B]")}
        assert len(labels) <= 1, text


def test_two_syncs_at_once_are_applied_one_after_the_other(url: str, tmp_path: Path) -> None:
    base = version_of(tmp_path, "A")
    loader.sync(base, url)
    folders = {}
    for name in ("x", "y"):
        folder = tmp_path / f"knowledge_{name}"
        shutil.copytree(base, folder)
        text = (folder / "service_points.yml").read_text(encoding="utf-8")
        (folder / "service_points.yml").write_text(
            text.replace("[A]", f"[{name}]"), encoding="utf-8"
        )
        folders[name] = loader.read_knowledge(folder)
    barrier = threading.Barrier(2)
    results: dict[str, loader.SyncResult] = {}
    errors: list[BaseException] = []

    def publish(name: str) -> None:
        try:
            barrier.wait()
            results[name] = loader.sync(url=url, knowledge=folders[name], actor=name)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in folders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    first, second = sorted(results, key=lambda n: results[n].audit_id or 0)
    # The first changed A -> itself; the second changed the first's names -> its own, never A -> its own.
    old_values = {f.old for c in results[second].diff.changes for f in c.fields}
    assert any(f"[{first}]" in str(v) for v in old_values), old_values
    assert not any("[A]" in str(v) for v in old_values), old_values
    with db.read_session(url) as session:
        final = session.get(models.ServicePoint, POINTS[0]).data
        actors = [e.actor for e in session.query(models.AuditEntry).order_by(models.AuditEntry.id)]
    assert label(final) == second
    assert actors[-2:] == [first, second]


def test_one_answer_checks_the_published_version_once(tmp_path: Path) -> None:
    """Inside `db.one_answer` a Published thing checks the version at its first use only; the next
    answer sees a sync at once."""
    from sqlalchemy import literal, select

    kdb = db
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    state = {"version": 1, "checks": 0, "builds": 0}

    def version(conn: Any) -> int:
        state["checks"] += 1
        conn.execute(select(literal(1))).scalar()
        return state["version"]

    def build(conn: Any) -> str:
        state["builds"] += 1
        return f"built for version {state['version']}"

    thing = kdb.Published(version, build)
    with kdb.one_answer():
        assert thing.get(url) == "built for version 1"
        checks = state["checks"]
        state["version"] = 2  # a sync publishes while this answer is being made
        assert thing.get(url) == thing.get(url) == "built for version 1"
        assert state["checks"] == checks  # no further check in this answer
    with kdb.one_answer():  # the next answer
        assert thing.get(url) == "built for version 2"
    # Outside an answer: checked at every use, as before.
    before = state["checks"]
    thing.get(url)
    thing.get(url)
    assert state["checks"] == before + 2


def test_per_answer_computes_once_per_answer_and_things_share_a_version_check(
    tmp_path: Path,
) -> None:
    """`db.per_answer` keeps a result for the rest of one answer only (never across answers, nor
    outside one); two Published things with the same version function check it once per answer."""
    from sqlalchemy import literal, select

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    calls: list[str] = []

    def compute() -> str:
        calls.append("x")
        return f"result {len(calls)}"

    with db.one_answer():
        assert db.per_answer(("k", 1), compute) == db.per_answer(("k", 1), compute) == "result 1"
        assert db.per_answer(("k", 2), compute) == "result 2"  # another key
    with db.one_answer():  # the next answer computes again
        assert db.per_answer(("k", 1), compute) == "result 3"
    assert db.per_answer(("k", 1), compute) == "result 4"  # outside an answer: every call
    assert db.per_answer(("k", 1), compute) == "result 5"

    checks: list[int] = []

    def version(conn: Any) -> int:
        checks.append(1)
        return int(conn.execute(select(literal(1))).scalar())

    first, second = db.Published(version, lambda _: "a"), db.Published(version, lambda _: "b")
    with db.one_answer():
        assert (first.get(url), second.get(url)) == ("a", "b")
    assert len(checks) == 1 + 2  # one check per answer, plus the rebuild's own check of each
    with db.one_answer():
        assert (first.get(url), second.get(url)) == ("a", "b")
    assert len(checks) == 3 + 1


def test_procedures_ranked_from_records_decoded_once_per_version(tmp_path: Path) -> None:
    """The procedures are decoded once per published version, and a sync is seen by the next answer."""
    from bot.knowledge.kinds import procedures

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(version_of(tmp_path, "A"), url=url)
    with db.one_answer():
        first = procedures.rank_scored(None, "visa", url=url)
        assert procedures.rank_scored(None, "visa", url=url) == first
    with db.one_answer():
        again = procedures.rank_scored(None, "visa", url=url)
    assert [r for _, r in again][0] is [r for _, r in first][0]  # not decoded again
    changed = version_of(tmp_path, "B")
    loader.sync(changed, url=url)
    with db.one_answer():
        after = procedures.rank_scored(None, "visa", url=url)
    assert [r for _, r in after][0] is not [r for _, r in first][0]


def test_threads_that_find_it_missing_together_build_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    builds: list[int] = []
    started = threading.Barrier(8)

    def build(conn: Any) -> str:
        builds.append(1)
        time.sleep(0.2)  # the other threads arrive meanwhile and wait for the lock
        return "index"

    thing = db.Published(lambda conn: 1, build)
    db.get_engine(url)  # the database exists, as it does in the assistant
    got: list[str] = []

    def use() -> None:
        started.wait()
        got.append(thing.get(url))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["index"] * 8
    assert len(builds) == 1
