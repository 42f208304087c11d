"""End to end: real conversations with the running assistant, then `beijing-assistant report` and `purge`
(as staff run them, in a subprocess) on the conversation store those conversations filled.

Both servers run on free loopback ports with their own var/ directory and SQLite conversation store; the
report is also run on a PostgreSQL copy of that store. Needs the trained model.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from databases import throwaway_postgres
from servers import assistant_env, running_assistant
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from test_e2e_rest import Chat, response_text

from bot.conversations.store import events, metadata
from bot.dialogue import i18n
from bot.runtime import serve

pytestmark = pytest.mark.slow

TOKEN = "e2e-report-token-not-a-secret"
CLI = str(Path(sys.executable).parent / "beijing-assistant")
PHONE, EMAIL = "13800138000", "li.wei@example.com"

# Who says what. Sender ids carry a marker that must never appear in a report.
EN, ZH, DE, JA, UNKNOWN, UNSURE, PERSON = (
    f"e2e-sender-{name}" for name in ("en", "zh", "de", "ja", "unknown", "unsure", "person")
)
UNSURE_TEXT = f"{EMAIL} here, how long does the residence permit take"
ZH_QUESTION = f"我的电话是{PHONE}，朝阳区哪里办工作类居留许可"


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def rating_payload(messages: list[dict], value: str) -> str:
    found = [p for p in payloads(messages) if p.startswith("/rate_answer") and f'"{value}"' in p]
    assert len(found) == 1, f"no {value} rating button in {messages}"
    return found[0]


def answered(chat: Chat, sender: str, question: str) -> list[dict]:
    """Ask; when the assistant asks for the residence-permit type first, answer "work"."""
    messages = chat.say(sender, question)
    work = [p for p in payloads(messages) if '"permit_type":"work"' in p]
    return chat.say(sender, work[0]) if work else messages


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**assistant_env(tmp_path_factory.mktemp("conv-var")), "RASA_API_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[serve.Servers]:
    with running_assistant(env) as running:
        yield running


@pytest.fixture(scope="module")
def chat(servers: serve.Servers) -> Chat:
    return Chat(servers.rasa_url)


def parse(chat: Chat, message: str) -> dict:
    response = requests.post(
        f"{chat.base}/model/parse", params={"token": TOKEN}, json={"text": message}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def conversations(chat: Chat) -> dict:
    """The conversations the report must describe; returns what the assistant's model made of the unsure one."""
    # English: an answer, rated 👍 with the button.
    answer = answered(chat, EN, "where can I renew my residence permit in chaoyang?")
    assert "酒仙桥" in "\n".join(m.get("text", "") for m in answer)
    thanks = chat.say(EN, rating_payload(answer, "up"))
    assert thanks[0]["text"] == i18n.t("rate_thanks", "en")

    # Chinese with a phone number: rated 👎, then the "talk to a person" button.
    answer = answered(chat, ZH, ZH_QUESTION)
    sorry = chat.say(ZH, rating_payload(answer, "down"))
    assert sorry[0]["text"] == i18n.t("rate_sorry", "zh")
    (person,) = payloads(sorry)
    handoff = chat.say(ZH, person)
    assert "12367" in handoff[0]["text"]
    assert not payloads(handoff)  # just rated: not asked again

    # German and Japanese knowledge questions.
    assert "酒仙桥" in "\n".join(
        m.get("text", "")
        for m in answered(
            chat, DE, "Wo kann ich meine Aufenthaltserlaubnis in Chaoyang verlängern?"
        )
    )
    assert answered(chat, JA, "朝陽区で病院を探しています")

    # One it cannot answer, one it answers unsure (with an e-mail address), a typed handoff.
    chat.say(UNKNOWN, "blorp fizzle quantum")
    unsure = parse(chat, UNSURE_TEXT)
    assert unsure["intent"]["name"] not in ("nlu_fallback", "out_of_scope"), (
        f"the model no longer answers {UNSURE_TEXT!r}; pick another text it answers with some doubt"
    )
    chat.say(UNSURE, UNSURE_TEXT)
    assert "12367" in chat.text(PERSON, "can i speak to a real human")
    return {"unsure": unsure}


def report(url: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [CLI, "report", "--database-url", url, *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def csv_table(url: str, table: str, *args: str) -> list[dict[str, str]]:
    out = report(url, "--format", "csv", "--table", table, *args).stdout
    return list(csv.DictReader(io.StringIO(out)))


def test_store_holds_the_raw_texts(conversations: dict, env: dict[str, str]) -> None:
    """The point of redaction: the store has the phone number and e-mail address (until purged)."""
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        data = "\n".join(
            r[0] for r in conn.execute("select data from events where type_name = 'user'")
        )
    assert PHONE in data and EMAIL in data


def test_report_figures(conversations: dict, env: dict[str, str]) -> None:
    url = env["TRACKER_STORE_URL"]
    overview = {r["Figure"]: r["Value"] for r in csv_table_overview(url)}
    assert overview["Conversations"] == "7 (from 7 users)"
    assert overview["Handoffs to a person"] == "2"
    assert overview["Answers rated"].startswith("👍 1   👎 1")

    (channel,) = csv_table(url, "channels")
    assert channel["Channel"] == "REST API" and channel["Conversations"] == "7"
    languages = {
        r["Code"]: int(r["Conversations (main language)"]) for r in csv_table(url, "languages")
    }
    assert languages["zh"] == languages["de"] == languages["ja"] == 1
    assert languages["en"] >= 3  # "blorp fizzle quantum" may be read as any Latin-script language
    assert sum(languages.values()) == 7

    unanswered = csv_table(url, "unanswered_questions")
    assert [r["Question"] for r in unanswered] == ["blorp fizzle quantum"]

    ratings = csv_table(url, "ratings")
    assert sum(int(r["👍"]) for r in ratings) == 1 and sum(int(r["👎"]) for r in ratings) == 1
    (down,) = csv_table(url, "rated_down")
    assert down["Question"] == ZH_QUESTION.replace(PHONE, "[phone]").replace("，", ",")
    assert down["Language"] == "Chinese" and down["Topic"] == i18n.name(
        "intents", "residence_permit", "en"
    )

    handoffs = csv_table(url, "handoffs")
    assert sum(int(r["Handoffs"]) for r in handoffs) == 2
    assert sum(int(r["After a 👎"]) for r in handoffs) == 1
    assert sum(int(r["Asked in their own words"]) for r in handoffs) == 1

    intents = {r["Intent"]: int(r["Messages"]) for r in csv_table(url, "intents")}
    assert (
        intents["Talk to a person (human_handoff)"] == 1
    )  # typed; the button click is not "asked"


def csv_table_overview(url: str) -> list[dict[str, str]]:
    directory = Path(make_url(url).database).parent / f"csv-{uuid.uuid4().hex[:6]}"
    report(url, "--csv", str(directory), "--quiet")
    with (directory / "overview.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_low_confidence_threshold(conversations: dict, env: dict[str, str]) -> None:
    unsure = conversations["unsure"]
    confidence = unsure["intent"]["confidence"]
    shown = UNSURE_TEXT.replace(EMAIL, "[email]")
    above = csv_table(
        env["TRACKER_STORE_URL"],
        "low_confidence",
        "--low-confidence",
        f"{min(confidence + 0.005, 1):.4f}",
    )
    assert any(
        shown in r["Examples [confidence]"] and f"({unsure['intent']['name']})" in r["Answered as"]
        for r in above
    )
    below = csv_table(
        env["TRACKER_STORE_URL"], "low_confidence", "--low-confidence", f"{confidence - 0.005:.4f}"
    )
    assert not any(shown in r["Examples [confidence]"] for r in below)


def test_text_csv_and_html_never_show_personal_data_or_ids(
    conversations: dict, env: dict[str, str], tmp_path: Path
) -> None:
    url = env["TRACKER_STORE_URL"]
    result = report(
        url,
        "--all",
        "--low-confidence",
        "1",
        "--csv",
        str(tmp_path / "csv"),
        "--html",
        str(tmp_path / "r.html"),
    )
    outputs = {"text": result.stdout, "html": (tmp_path / "r.html").read_text(encoding="utf-8")}
    outputs |= {p.name: p.read_text(encoding="utf-8-sig") for p in (tmp_path / "csv").glob("*.csv")}
    assert (
        "[phone]" in outputs["text"] and "[email]" in outputs["text"]
    )  # the messages are shown, redacted
    assert "[phone]" in outputs["html"] and "[email]" in outputs["html"]
    for name, output in outputs.items():
        assert PHONE not in output and EMAIL not in output, name
        assert "e2e-sender" not in output, name
    assert "<svg" in outputs["html"] and "blorp fizzle quantum" in outputs["html"]


@pytest.fixture(scope="module")
def pg_copy(conversations: dict, env: dict[str, str]) -> Iterator[str]:
    """A throw-away PostgreSQL database holding a copy of the conversation store."""
    with throwaway_postgres("assistant_conv") as url:
        source, target = (
            create_engine(env["TRACKER_STORE_URL"], future=True),
            create_engine(url, future=True),
        )
        metadata.create_all(target)
        with source.connect() as src, target.begin() as dst:
            dst.execute(insert(events), [dict(r._mapping) for r in src.execute(select(events))])
        source.dispose()
        target.dispose()
        yield url


@pytest.mark.parametrize(
    "table",
    [
        "unanswered_questions",
        "intents",
        "channels",
        "languages",
        "ratings",
        "rated_down",
        "handoffs",
        "daily",
    ],
)
def test_same_report_from_postgres(pg_copy: str, env: dict[str, str], table: str) -> None:
    assert csv_table(pg_copy, table) == csv_table(env["TRACKER_STORE_URL"], table)


def test_purge_on_postgres(pg_copy: str) -> None:
    engine = create_engine(pg_copy, future=True)
    with engine.connect() as conn:
        before = {
            s: n
            for s, n in conn.execute(
                text("select sender_id, count(*) from events group by sender_id")
            )
        }
    result = subprocess.run(
        [CLI, "purge", "--user", JA, "--yes", "--database-url", pg_copy],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    nothing = subprocess.run(
        [CLI, "purge", "--older-than", "1", "--yes", "--database-url", pg_copy],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert nothing.returncode == 0 and "Nothing to delete" in nothing.stdout, (
        nothing.stdout + nothing.stderr
    )
    with engine.connect() as conn:
        after = {
            s: n
            for s, n in conn.execute(
                text("select sender_id, count(*) from events group by sender_id")
            )
        }
    engine.dispose()
    assert after == {s: n for s, n in before.items() if s != JA}


# ----------------------------------------------------------------------------------------- purge, live


def all_rows(env: dict[str, str]) -> list[tuple]:
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute("select * from events order by id").fetchall()


def purge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [CLI, "purge", "--database-url", env["TRACKER_STORE_URL"], *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def shift_back(env: dict[str, str], sender: str, days: float) -> None:
    """Move a conversation into the past: the timestamp column and the one inside each event (Rasa's)."""
    seconds = days * 86400
    with sqlite3.connect(env["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as conn:
        for row_id, data in conn.execute(
            "select id, data from events where sender_id = ?", (sender,)
        ).fetchall():
            event = json.loads(data)
            event["timestamp"] -= seconds
            conn.execute(
                "update events set timestamp = timestamp - ?, data = ? where id = ?",
                (seconds, json.dumps(event), row_id),
            )


@pytest.fixture(scope="module")
def before_purges(conversations: dict, pg_copy: str) -> None:
    """The report tests (and the PostgreSQL copy) see the store before anything is purged."""


def test_dry_run_changes_nothing(before_purges: None, env: dict[str, str]) -> None:
    before = all_rows(env)
    purge(env, "--dry-run")
    purge(env, "--dry-run", "--user", EN)
    assert all_rows(env) == before


def test_purge_one_user_while_running(before_purges: None, env: dict[str, str], chat: Chat) -> None:
    others = [r for r in all_rows(env) if r[1] != JA]
    assert len(others) < len(all_rows(env))
    out = purge(env, "--user", JA, "--yes").stdout
    assert "✓ Deleted" in out
    assert all_rows(env) == others
    # Everyone else goes on as before: the German conversation still answers in German.
    assert chat.text(DE, "hallo") == response_text("utter_greet", "de")
    # And the forgotten user starts afresh.
    assert chat.text(JA, "hello") == response_text("utter_greet", "en")


def test_retention_keeps_the_current_session(
    before_purges: None, env: dict[str, str], chat: Chat
) -> None:
    shift_back(env, UNKNOWN, 200)  # silent for 200 days
    shift_back(env, DE, 100)  # its old session 100 days ago ...
    assert chat.text(DE, "danke") == response_text(
        "utter_thank", "de"
    )  # ... a new one today, still German
    untouched = [r for r in all_rows(env) if r[1] not in (UNKNOWN, DE)]
    german = [r for r in all_rows(env) if r[1] == DE]

    out = purge(env, "--older-than", "90", "--yes").stdout
    assert (
        "1 conversation(s) with no message since then" in out
        and "1 conversation(s) still active" in out
    )
    rows = all_rows(env)
    assert not [r for r in rows if r[1] == UNKNOWN]
    kept = [r for r in rows if r[1] == DE]
    assert 0 < len(kept) < len(german) and any(r[2] == "session_started" for r in kept)
    assert [r for r in rows if r[1] not in (UNKNOWN, DE)] == untouched
    # Rasa rebuilds the German conversation from its current session: still German.
    assert chat.text(DE, "hallo") == response_text("utter_greet", "de")
