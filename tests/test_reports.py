"""`beijing-assistant report` on a conversation store with constructed conversations (figures known).

The end-to-end test (test_conversations_e2e.py) runs the same report on conversations held with the real
assistant; tests/test_conversations_postgres.py runs this one on PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conversation_events import Store

from bot.cli import main
from bot.conversations import aggregate, csvfiles, html, text, turns
from bot.conversations.period import Period, make_period, parse_day
from bot.conversations.store import open_store
from bot.core.config import TIMEZONE

FIRST, LAST = dt.date(2026, 11, 16), dt.date(2026, 11, 22)
PERIOD = Period(FIRST, LAST)
A, B, C, D, E, F = (f"SENDER-{x}-0123456789" for x in "ABCDEF")
SECRETS = ["SENDER-", "13800138000", "Marie", "Dubois", "marie.dubois@example.fr", "E98765432"]


def at(day: int, hour: int = 10, minute: int = 0) -> float:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TIMEZONE).timestamp()


FALLBACK = {
    "confidence": 0.45,
    "ranking": [("nlu_fallback", 0.45), ("work_permit", 0.31), ("visa", 0.2)],
}


def fill(s: Store) -> None:
    """Six users; what each did is what the tests below expect."""
    # A, English, REST: an answer, rated 👎, then the "talk to a person" button.
    s.t = at(16)
    s.session(A)
    s.turn(A, "hello", "greet", "utter_greet", language="en")
    s.turn(
        A,
        "where do I renew my residence permit in Chaoyang?",
        "find_service_point",
        "action_find_service_point",
        topic="find_service_point",
    )
    s.turn(
        A,
        '/rate_answer{"rating":"down"}',
        "rate_answer",
        "action_rate_answer",
        entities={"rating": "down"},
    )
    s.turn(A, "/human_handoff", "human_handoff", "action_human_handoff")
    # B, WeChat: Chinese since the day before the period (the slot is not set again); three questions
    # the assistant did not understand, a topic picked from its guesses, a typed 👍.
    s.t = at(15)
    s.session(B)
    s.turn(B, "你好", "greet", "utter_greet", language="zh", channel="wechat")
    s.t = at(17)
    s.turn(
        B, "怎么交个人所得税", "nlu_fallback", "action_offer_topics", channel="wechat", **FALLBACK
    )
    s.turn(
        B, "怎么交个人所得税？", "nlu_fallback", "action_offer_topics", channel="wechat", **FALLBACK
    )
    s.turn(
        B,
        "我的电话13800138000，怎么交税",
        "nlu_fallback",
        "action_offer_topics",
        channel="wechat",
        **FALLBACK,
    )
    s.turn(
        B,
        "/work_permit",
        "work_permit",
        "action_answer_procedure",
        topic="work_permit",
        channel="wechat",
    )
    s.turn(
        B,
        "这个回答很有帮助",
        "rate_answer",
        "action_rate_answer",
        entities={"rating": "up"},
        channel="wechat",
    )
    # C, French, website widget: personal data out of scope, an unsure answer rated 👎.
    s.t = at(18)
    s.session(C)
    s.turn(
        C,
        "je m'appelle Marie Dubois, écrivez à marie.dubois@example.fr",
        "out_of_scope",
        "utter_out_of_scope",
        language="fr",
        channel="socketio",
    )
    s.turn(
        C,
        "et pour les impôts, passeport E98765432 ?",
        "visa",
        "action_answer_procedure",
        confidence=0.52,
        topic="visa",
        channel="socketio",
    )
    s.turn(
        C,
        "👎",
        "rate_answer",
        "action_rate_answer",
        entities={"rating": "down"},
        channel="socketio",
    )
    # D: understood, but the dialogue found no next step (core fallback).
    s.t = at(19)
    s.session(D)
    s.turn(D, "bonjour", "greet", "action_offer_topics", language="fr")
    # E: Monday 01:00 in Beijing is still Sunday in UTC, but after the period.
    s.t = at(23, 1)
    s.session(E)
    s.turn(E, "blorp", "out_of_scope", "utter_out_of_scope", language="en")
    # F: Sunday 23:50 in Beijing (15:50 UTC): inside.
    s.t = at(22, 23, 50)
    s.session(F)
    s.turn(
        F,
        "where is the nearest hospital",
        "healthcare",
        "action_find_hospital",
        language="en",
        topic="healthcare",
    )


@pytest.fixture()
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    s = Store(url, 0.0)
    fill(s)
    s.dispose()
    return url


def build(url: str, **options: float) -> aggregate.Report:
    engine = open_store(url)
    try:
        return aggregate.build(
            turns.read_conversations(engine, PERIOD.start, PERIOD.end),
            PERIOD,
            aggregate.Options(**options),
        )
    finally:
        engine.dispose()


def column(table: aggregate.Table, name: str) -> list:
    i = table.columns.index(name)
    return [row[i] for row in table.rows]


def row(table: aggregate.Table, **match: object) -> list:
    found = [r for r in table.rows if all(r[table.columns.index(k)] == v for k, v in match.items())]
    assert len(found) == 1, (match, table.rows)
    return found[0]


def check_figures(report: aggregate.Report) -> None:
    """The figures of `fill`, in any output."""
    overview = dict(report.overview)
    assert overview["Conversations"] == "5 (from 5 users)"
    assert overview["Messages users typed"] == "11"
    assert overview["Buttons users clicked"] == "3"
    assert overview["Questions not answered"].startswith("5 (45 %")
    assert overview["Handoffs to a person"] == "1"

    unanswered = report.table("unanswered")
    taxes = row(unanswered, Why="Not understood")
    assert (
        taxes[1] == "Work permit (work_permit)"
        and taxes[2] == 3
        and taxes[3] == 1
        and taxes[4] == "zh 3"
    )
    assert taxes[5].split("\n") == ["怎么交个人所得税  (×2)", "我的电话[phone],怎么交税"]
    assert row(unanswered, Why="Out of scope")[2:5] == [1, 1, "fr 1"]
    assert row(unanswered, Why="No answer chosen")[1:5] == ["Hello (greet)", 1, 1, "fr 1"]
    assert sum(column(report.table("unanswered_questions"), "Times")) == 5

    (low,) = report.table("low_confidence").rows
    assert low[0] == "Visa extension / visas (visa)" and low[1] == 1 and low[2] == "0.52"

    intents = dict(
        zip(
            column(report.table("intents"), "Intent"),
            column(report.table("intents"), "Messages"),
            strict=True,
        )
    )
    assert intents == {
        "Not understood (nlu_fallback)": 3,
        "Hello (greet)": 2,
        "Rated an answer (rate_answer)": 2,
        "Find a service office (find_service_point)": 1,
        "Something else (out_of_scope)": 1,
        "Visa extension / visas (visa)": 1,
        "Hospitals and doctors (healthcare)": 1,
    }

    channels = report.table("channels")
    assert row(channels, Channel="REST API")[1:6] == [3, 3, 4, 2, 1]
    assert row(channels, Channel="WeChat")[1:6] == [1, 1, 4, 1, 3]
    assert row(channels, Channel="Website widget")[1:6] == [1, 1, 3, 0, 1]

    languages = report.table("languages")
    assert row(languages, Code="zh")[2:5] == [
        1,
        4,
        3,
    ]  # the slot set before the period still counts
    assert row(languages, Code="fr")[2:5] == [2, 4, 2]
    assert row(languages, Code="en")[2:5] == [2, 3, 0]

    ratings = report.table("ratings")
    assert row(ratings, Answer="Where to go (service points)")[1:5] == [
        "Find a service office",
        0,
        1,
        "0 %",
    ]
    assert row(ratings, Answer="Procedure (documents, fees, steps)", Topic="Work permit")[2:5] == [
        1,
        0,
        "100 %",
    ]
    assert row(
        ratings, Answer="Procedure (documents, fees, steps)", Topic="Visa extension / visas"
    )[2:5] == [0, 1, "0 %"]
    questions = column(report.table("rated_down"), "Question")
    assert sorted(questions) == [
        "et pour les impôts, passeport [id] ?",
        "where do I renew my residence permit in Chaoyang?",
    ]

    (handoff,) = report.table("handoffs").rows
    assert handoff == ["REST API", "Find a service office", 1, 1, 0]

    daily = {r[0]: r[1:] for r in report.table("daily").rows}
    assert daily["Mon 2026-11-16"] == [1, 2, 0]
    assert daily["Tue 2026-11-17"] == [1, 4, 3]
    assert daily["Sun 2026-11-22"] == [1, 1, 0]
    assert len(daily) == 7


def test_report_figures(store_url: str) -> None:
    check_figures(build(store_url))


def test_low_confidence_threshold_is_configurable(store_url: str) -> None:
    assert build(store_url, low_confidence=0.5).table("low_confidence").rows == []
    everything = build(store_url, low_confidence=0.99).table("low_confidence")
    assert sum(column(everything, "Questions")) == 6  # every answered typed message (0.95 or 0.52)


def test_outputs_never_show_sender_ids_or_personal_data(store_url: str, tmp_path: Path) -> None:
    report = build(store_url)
    outputs = [text.render(report, "test store", top=None), html.render(report, "test store")]
    for path in csvfiles.write_dir(report, tmp_path / "csv"):
        outputs.append(path.read_text(encoding="utf-8-sig"))
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output
    assert "[email]" in outputs[0] and "[name]" in outputs[0] and "[phone]" in outputs[0]


def test_csv_files_are_one_per_table(store_url: str, tmp_path: Path) -> None:
    report = build(store_url)
    written = csvfiles.write_dir(report, tmp_path / "csv")
    assert {p.name for p in written} == {"overview.csv"} | {f"{t.key}.csv" for t in report.tables}
    raw = (tmp_path / "csv" / "unanswered_questions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a byte-order mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == report.table("unanswered_questions").columns
    assert [r[0] for r in rows[1:]][:1] == ["怎么交个人所得税"] and rows[1][1] == "2"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def test_html_page_is_self_contained_with_charts(store_url: str) -> None:
    report = build(store_url)
    page = html.render(report, "test store")
    parser = _Tags()
    parser.feed(page)
    assert parser.tags.count("svg") == 5  # per day, unanswered, intents, languages, ratings
    assert "script" not in parser.tags and "img" not in parser.tags and "link" not in parser.tags
    assert "http://" not in page.replace("http://www.w3.org/", "") and "https://" not in page
    assert "怎么交个人所得税" in page
    assert "et pour les impôts, passeport [id] ?" in page


def test_html_escapes_what_users_typed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    s = Store(url, at(17))
    s.session(A)
    s.turn(
        A,
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "out_of_scope",
        "utter_out_of_scope",
        language="en",
    )
    s.dispose()
    page = html.render(build(url), "test store")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_near_identical_questions_are_one_group() -> None:
    group = aggregate.Group("not_understood", None)
    for i, question in enumerate(
        [
            "how can I pay my taxes in Beijing?",
            "how can i pay my taxes in bejing",
            "How can I pay my taxes in Beijing",
            "where is the zoo",
        ]
    ):
        group.add(question, "en", i, float(i), 0.85)
    assert [(c.example, c.count) for c in group.top(3)] == [
        ("how can I pay my taxes in Beijing?", 3),
        ("where is the zoo", 1),
    ]


def test_cli_report_text_csv_and_html(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    period = [
        "--since",
        FIRST.isoformat(),
        "--until",
        LAST.isoformat(),
        "--database-url",
        store_url,
    ]
    assert (
        main(
            ["report", *period, "--csv", str(tmp_path / "csv"), "--html", str(tmp_path / "r.html")]
        )
        == 0
    )
    out = capsys.readouterr()
    assert (
        "Questions the assistant could not answer" in out.out
        and "怎么交个人所得税  (×2)" in out.out
    )
    assert "Mon 2026-11-16 to Sun 2026-11-22 (Beijing time)" in out.out
    assert (tmp_path / "csv" / "unanswered.csv").exists() and (tmp_path / "r.html").exists()
    assert "r.html" in out.err

    assert main(["report", *period, "--table", "unanswered"]) == 0
    only = capsys.readouterr().out
    assert "Questions the assistant could not answer" in only and "Channels" not in only

    assert main(["report", *period, "--format", "csv", "--table", "handoffs"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        [
            "Channel",
            "Topic of the conversation",
            "Handoffs",
            "After a 👎",
            "Asked in their own words",
        ],
        ["REST API", "Find a service office", "1", "1", "0"],
    ]


def test_cli_report_explains_a_missing_store_and_a_bad_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--database-url", f"sqlite:///{tmp_path / 'nothing.db'}"]) == 1
    assert "No conversations" in capsys.readouterr().err
    assert not (tmp_path / "nothing.db").exists()
    assert main(["report", "--since", "16/11/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["report", "--database-url", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    assert (
        "Cannot open the conversation store postgresql://nobody@127.0.0.1:1/none"
        in capsys.readouterr().err
    )


def test_period_is_whole_beijing_days() -> None:
    week = make_period(None, None, 7, now=LAST)
    assert (week.first, week.last) == (FIRST, LAST)
    assert at(16, 0, 0) in week and at(22, 23, 59) in week
    assert at(15, 23, 59) not in week and at(23, 0, 0) not in week
    assert make_period("yesterday", "today", now=LAST) == Period(LAST - dt.timedelta(days=1), LAST)
    assert parse_day("2026-11-01") == dt.date(2026, 11, 1)
    with pytest.raises(ValueError, match="after the end"):
        make_period("2026-11-30", "2026-11-01")


def test_report_cli_starts_without_rasa() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bot.cli, bot.conversations.aggregate, bot.conversations.turns, bot.conversations.purge; "
        "print('rasa' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False False"
