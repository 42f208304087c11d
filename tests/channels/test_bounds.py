"""Issue 17, bounds without servers: the YAML reader, validation, channel helpers, the tracker store, CSVs.

The reproductions of issue 17 that need no network (the numbers are the issue's defects); the channels'
refusals over real servers are in test_bounds_e2e.py.
"""

from __future__ import annotations

import asyncio
import csv
import io
import resource
import textwrap
from pathlib import Path

import pytest

from bot.knowledge import yamlio
from bot.knowledge.loader import read_knowledge

# ------------------------------------------------------------------- defect 3: YAML aliases


def alias_bomb(levels: int) -> str:
    """The issue's 580-byte file: each anchor a list of ten aliases of the one before."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_3_alias_expansion_beyond_the_budget_is_refused_while_parsing() -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as caught:
        yamlio.load(alias_bomb(9))
    assert "aliases" in caught.value.message and caught.value.line is not None


def test_3_a_few_aliases_still_work() -> None:
    doc = yamlio.load("base: &b {en: a, zh: b}\none: *b\ntwo: *b\n")
    assert doc.data["one"] == {"en": "a", "zh": "b"} and doc.data["two"] is doc.data["one"]


def test_3_a_self_referencing_alias_is_refused() -> None:
    with pytest.raises(yamlio.YamlSyntaxError):
        yamlio.load("a: &a [1, *a]\n")


def test_3_sync_of_the_alias_bomb_stays_small(tmp_path: Path) -> None:
    """The issue's reproduction: a knowledge file whose id is a 10**7-item alias (2.8 GB before)."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    lines = ["hospitals:", "  - f0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 8):
        lines.append(f"    f{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines.append("    id: *a7")
    (folder / "bomb.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len((folder / "bomb.yml").read_bytes()) < 700
    before = peak_mb()
    result = read_knowledge(folder)
    problems = [str(p) for p in result.problems]
    assert problems and all(len(p) < 600 for p in problems), problems[:3]
    assert any("aliases" in p for p in problems), problems
    assert peak_mb() - before < 200


def test_3_error_messages_truncate_the_values_they_quote(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    long_id = "Bad-" + "x" * 100_000
    (folder / "hospitals.yml").write_text(
        textwrap.dedent(
            f"""\
            hospitals:
              - id: {long_id}
                unknown_{"y" * 5000}: 1
            """
        ),
        encoding="utf-8",
    )
    problems = [str(p) for p in read_knowledge(folder).problems]
    assert problems and all(len(p) < 1000 for p in problems), [len(p) for p in problems]


def test_3_control_characters_and_oversized_texts_are_refused_with_file_line_field(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "knowledge"
    source = Path(__file__).resolve().parents[2] / "knowledge" / "hospitals.yml"
    folder.mkdir()
    text = source.read_text(encoding="utf-8")
    # The first English name gets an ESC and a BEL; a note gets 50,000 characters.
    first = text.index("name:")
    start = text.index("en: ", first) + 4
    end = text.index("\n", start)
    # YAML's escapes \e (ESC) and \a (BEL) in a double-quoted text, as a terminal paste would have them.
    text = text[:start] + '"\\e[31mRed\\a ' + text[start:end].replace('"', "") + '"' + text[end:]
    (folder / "hospitals.yml").write_text(text, encoding="utf-8")
    problems = [str(p) for p in read_knowledge(folder).problems]
    line = text[:start].count("\n") + 1
    assert any(
        f"hospitals.yml:{line}:" in p and "U+001B" in p and ".name.en" in p for p in problems
    ), problems

    long_text = "word " * 10_000
    text = source.read_text(encoding="utf-8")
    start = text.index("en: ", text.index("name:")) + 4
    end = text.index("\n", start)
    text = text[:start] + long_text.strip() + text[end:]
    (folder / "hospitals.yml").write_text(text, encoding="utf-8")
    problems = [str(p) for p in read_knowledge(folder).problems]
    assert any("characters long" in p and ".name.en" in p for p in problems), problems


def test_3_the_real_knowledge_files_pass() -> None:
    knowledge = Path(__file__).resolve().parents[2] / "knowledge"
    assert [str(p) for p in read_knowledge(knowledge).problems] == []


# ------------------------------------------------------------------- channel input helpers


@pytest.mark.parametrize(
    "sender", ["leak\ud800", "nul\x00", "", "x" * 129, "wechat:oX", "a b", "ü", True, None, 1.5]
)
def test_1_bad_sender_ids(sender: object) -> None:
    from bot.channels import common

    assert common.sender_problem(sender)


@pytest.mark.parametrize(
    "sender", ["u-1", "alice@example.org", "5f2a9c0e7b1d4e3fa1b2c3d4e5f60718", 42, "x" * 128]
)
def test_1_good_sender_ids(sender: object) -> None:
    from bot.channels import common

    assert common.sender_problem(sender) is None


def test_clean_text_drops_lone_surrogates_and_controls() -> None:
    from bot.channels import common

    assert common.clean_text(" a\ud800b\x1b[0m\x07 c\n ") == "ab[0m c"


def test_2_metadata_limits() -> None:
    from bot.channels import common

    assert common.metadata_problem(None) is None
    assert common.metadata_problem({"location": {"lat": 39.9, "lon": 116.4}}) is None
    assert common.metadata_problem({"x": "y" * (common.MAX_METADATA_BYTES + 1)})
    assert common.metadata_problem([1])
    deep: list = []
    node = deep
    for _ in range(100_000):  # no recursion: a depth the size check could not even serialise
        node.append([])
        node = node[0]
    assert "levels" in (common.metadata_problem({"d": deep}) or "")


def test_2_rate_limiter_window() -> None:
    from bot.channels import common

    limiter = common.RateLimiter(per_minute=3, max_senders=2)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3)
    assert limiter.allow("a", now=60.5)  # the first message left the window
    limiter.allow("c", now=61)
    assert len(limiter._seen) == 2  # bounded memory
    assert common.RateLimiter(per_minute=0).allow("a")


def test_9_conversation_ids_are_namespaced_per_channel() -> None:
    from bot.channels import common

    assert common.conversation_id("rest", "alice") == "alice"
    assert common.conversation_id("wechat", "oABC") == "wechat:oABC"
    assert common.conversation_id("socketio", "f" * 32) == "socketio:" + "f" * 32
    assert common.channel_sender("socketio", "socketio:" + "f" * 32) == "f" * 32
    # No REST sender can name a namespaced conversation.
    assert common.sender_problem("wechat:oABC") and common.sender_problem("socketio:x")


def test_7_socketio_packets_that_cannot_be_decoded_become_an_event() -> None:
    from bot.channels.socketio import MALFORMED_EVENT, GuardedPacket

    deep = '2["user_uttered",' + "[" * 100_000 + "]" * 100_000 + "]"
    packet = GuardedPacket(encoded_packet=deep)
    assert packet.data == [MALFORMED_EVENT]
    good = GuardedPacket(encoded_packet='2["user_uttered",{"message":"hi"}]')
    assert good.data == ["user_uttered", {"message": "hi"}]


def test_7_rest_parse_body_never_raises() -> None:
    from bot.channels.rest import parse_body

    body, problem = parse_body(b"[" * 100_000 + b"]" * 100_000)
    assert body is None and problem


# ------------------------------------------------------- defect 1 and 2: the tracker store


def _tracker(sender: str, metadata: dict | None = None):  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]\n")
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(SlotSet("session_started_metadata", metadata))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("session_started_metadata", metadata))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered(
            "hi",
            {"name": "greet", "confidence": 1.0},
            parse_data={
                "intent": {"name": "greet", "confidence": 1.0},
                "entities": [],
                "text": "hi",
                "metadata": metadata,
            },
            metadata=metadata,
        )
    )
    return domain, tracker


def test_1_a_conversation_that_cannot_be_saved_is_not_kept_in_memory(tmp_path: Path) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    from bot.rasa_ext.tracker_store import (
        ConversationNotSaved,
        UrlSQLTrackerStore,
        refuse_in_memory_fallback,
    )

    domain, tracker = _tracker("leak\ud800")
    inner = UrlSQLTrackerStore(domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    store = FailSafeTrackerStore(inner)
    assert refuse_in_memory_fallback()
    with pytest.raises(ConversationNotSaved):
        asyncio.run(store.save(tracker))
    assert store._fallback_tracker_store is None  # nothing went to an InMemoryTrackerStore


def test_2_metadata_is_stored_once(tmp_path: Path) -> None:
    from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

    marker = "MARK" * 1000
    domain, tracker = _tracker("meta-once", {"blob": marker})
    store = UrlSQLTrackerStore(domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    asyncio.run(store.save(tracker))
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("select data from events").scalars().all()
    assert sum(row.count(marker) for row in rows) == 1
    again = asyncio.run(store.retrieve("meta-once"))
    assert again is not None and again.latest_message.metadata == {"blob": marker}


# ---------------------------------------------------------------- defect 12: CSV formulas


def test_12_report_csv_cells_are_neutralised_against_formulas() -> None:
    from bot.conversations.aggregate import Table
    from bot.conversations.csvfiles import write_table

    cells = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "fine", 7, -3]
    table = Table(key="t", title="t", columns=["what"], rows=[[c] for c in cells])
    out = io.StringIO()
    write_table(table, out)
    written = out.getvalue()
    read = [row[0] for row in csv.reader(io.StringIO(written.replace("\r", "")))][1:]
    assert read[:4] == ["'" + str(c) for c in cells[:4]]
    assert "'\tx" in written and "'\rx" in written
    assert read[6:] == ["fine", "7", "-3"]  # text as typed, numbers stay numbers


def test_9_stored_conversations_migrate_into_their_namespace(tmp_path: Path) -> None:
    import json

    from sqlalchemy import create_engine, insert, select

    from bot.conversations import namespace
    from bot.conversations.store import events, metadata

    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", future=True)
    metadata.create_all(engine)
    sid = "f" * 32
    rows = [
        ("oLEGACY", "user", "wechat"),
        ("oLEGACY", "bot", None),
        ("alice", "user", "rest"),
        (sid, "user", "socketio"),
        ("wechat:oNEW", "user", "wechat"),
    ]
    with engine.begin() as conn:
        for sender, kind, channel in rows:
            data = {"event": kind, **({"input_channel": channel} if channel else {})}
            conn.execute(
                insert(events).values(sender_id=sender, type_name=kind, data=json.dumps(data))
            )
    found = namespace.plan(engine)
    assert found.moves == {"oLEGACY": "wechat:oLEGACY", sid: "socketio:" + sid}
    assert namespace.migrate(engine, found.moves) == 3
    with engine.connect() as conn:
        senders = sorted(s for (s,) in conn.execute(select(events.c.sender_id)))
    assert senders == sorted(
        ["wechat:oLEGACY", "wechat:oLEGACY", "alice", "socketio:" + sid, "wechat:oNEW"]
    )
    assert namespace.plan(engine).moves == {}  # a second run changes nothing
    engine.dispose()
