"""Conversation commands for staff and operators: `report`, `purge` and `migrate-conversation-ids`."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core import config

REPORT_EXAMPLES = """\
examples:
  beijing-assistant report
      this week (the last 7 days up to today): what users asked, what the assistant could not
      answer, how they rated the answers, handoffs
  beijing-assistant report --table unanswered
      only this week's unanswered questions
  beijing-assistant report --since 2026-11-01 --until 2026-11-30 --html november.html
      November as a web page with charts (open it in a browser, or mail it)
  beijing-assistant report --days 30 --csv reports/
      the last 30 days as spreadsheets: one CSV file per table in the folder reports/
  beijing-assistant report --format csv --table unanswered_questions > unanswered.csv
      every unanswered question of this week as one CSV

Days are Beijing days (Asia/Shanghai). Reports never show phone numbers, e-mail addresses, ID or passport
numbers, names users typed, or user ids.
"""

PURGE_EXAMPLES = """\
examples:
  beijing-assistant purge --dry-run
      show what the retention rule would delete, delete nothing
  beijing-assistant purge
      delete conversations with no message for CONVERSATION_RETENTION_DAYS days (default 90),
      after asking for confirmation
  beijing-assistant purge --older-than 30 --yes
      the same with 30 days, without asking (for cron or a systemd timer)
  beijing-assistant purge --user 5f2a9c0e7b1d4e3fa1b2c3d4e5f60718
      delete everything stored about one user (their conversation id), e.g. on their request
  beijing-assistant purge --user wechat:oAbC123xyz
      the same for a WeChat user (conversation ids are per channel: wechat:<OpenID>,
      socketio:<session id>, or the REST sender id)

Everything is deleted in one step: all of it, or nothing.
"""

MIGRATE_EXAMPLES = """\
examples:
  beijing-assistant migrate-conversation-ids --dry-run
      how many WeChat and widget conversations would move into their namespace
  beijing-assistant migrate-conversation-ids
      move them, in one transaction (stop the Rasa servers first)
"""

TABLES = (
    "unanswered",
    "unanswered_questions",
    "low_confidence",
    "intents",
    "channels",
    "languages",
    "ratings",
    "rated_down",
    "handoffs",
    "daily",
    "unconfirmed",
)


def _store_url(args: argparse.Namespace) -> str:
    return args.database_url or config.tracker_store_url()


def _open(url: str) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.conversations.store import StoreMissing, describe, open_store

    try:
        return open_store(url)
    except StoreMissing as exc:
        print(f"No conversations to work on: {exc}.", file=sys.stderr)
        print(
            "Check TRACKER_STORE_URL (or --database-url); the assistant creates the store with the first message.",
            file=sys.stderr,
        )
    except SQLAlchemyError as exc:
        print(
            f"Cannot open the conversation store {describe(url)}: {_reason(exc)}", file=sys.stderr
        )
    return None


def _reason(exc: Exception) -> str:
    """The database's own words, without SQLAlchemy's statement dump."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _faq_closest(args: argparse.Namespace) -> Callable[[list[str]], list[Any]] | None:
    """Each unanswered question's closest questions-and-answers entry (None: the knowledge base or the
    encoder cannot be used here; the report is still written, without those two columns)."""
    if getattr(args, "no_faq", False):
        return None

    def closest(questions: list[str]) -> list[tuple[str, float] | None]:
        from bot.faq import encoder, index

        idx = index.current(getattr(args, "kb_database_url", None))
        if not len(idx) or not questions:
            return [None] * len(questions)
        out: list[tuple[str, float] | None] = []
        for question, vector in zip(questions, encoder.encode(questions), strict=True):
            # With the text, as the assistant scores it (the lexical part counts in the threshold).
            best = idx.search(vector, k=1, text=question)
            out.append((best[0].entry_id, best[0].score) if best else None)
        return out

    def safe(questions: list[str]) -> list[tuple[str, float] | None]:
        try:
            return closest(questions)
        except Exception as exc:  # noqa: BLE001 - the report must not fail because of this column
            print(f"note: closest Q&A entries not shown ({_reason(exc)})", file=sys.stderr)
            return [None] * len(questions)

    return safe


def cmd_report(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.conversations import aggregate, period, store, turns

    try:
        when = period.make_period(args.since, args.until, args.days)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.low_confidence <= 1:
        print("error: --low-confidence must be between 0 and 1, e.g. 0.6", file=sys.stderr)
        return 2
    url = _store_url(args)
    engine = _open(url)
    if engine is None:
        return 1
    source = store.describe(url)
    options = aggregate.Options(
        low_confidence=args.low_confidence, examples=args.examples, closest=_faq_closest(args)
    )
    try:
        report = aggregate.build(
            turns.read_conversations(engine, when.start, when.end), when, options
        )
    except SQLAlchemyError as exc:
        print(f"Cannot read the conversation store {source}: {_reason(exc)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()

    report.tables.append(_unconfirmed_table())
    keys = args.table or None
    if args.format == "csv":
        from bot.conversations import csvfiles

        csvfiles.write_table(report.table(keys[0] if keys else "unanswered"), sys.stdout)
    elif not args.quiet:
        from bot.conversations import text

        sys.stdout.write(text.render(report, source, top=None if args.all else args.top, keys=keys))
    if args.csv:
        from bot.conversations import csvfiles

        written = csvfiles.write_dir(report, Path(args.csv))
        print(
            f"✓ Wrote {len(written)} CSV files to {args.csv}/ (open them with Excel or LibreOffice).",
            file=sys.stderr,
        )
    if args.html:
        from bot.conversations import html

        target = Path(args.html)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html.render(report, source), encoding="utf-8")
        print(f"✓ Wrote the web page {target} (open it in a browser).", file=sys.stderr)
    return 0


def _unconfirmed_table():  # type: ignore[no-untyped-def]
    """Knowledge records no staff member has confirmed: every answer from them says so."""
    from bot.conversations.aggregate import Table
    from bot.knowledge.loader import read_knowledge
    from bot.knowledge.stale import UNCONFIRMED_COLUMNS, unconfirmed_rows

    knowledge = read_knowledge(config.knowledge_dir())
    return Table(
        "unconfirmed",
        "Knowledge records never confirmed by staff",
        UNCONFIRMED_COLUMNS,
        unconfirmed_rows(knowledge.records),
        "Answers from these records say they are not yet confirmed. Confirm a record (e.g. by phone), "
        "then set verified_on and verified_by in its file and sync.",
    )


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(
            "Not deleting: nobody can confirm here. Add --yes (e.g. in cron) or --dry-run to only count.",
            file=sys.stderr,
        )
        return False
    answer = input(f"{question} Type yes to delete: ").strip().lower()
    return answer in ("yes", "y")


def _day(timestamp: float | None) -> str:
    from bot.conversations.period import to_beijing

    return to_beijing(timestamp).strftime("%Y-%m-%d") if timestamp else "—"


def cmd_purge(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.conversations import store

    url = _store_url(args)
    engine = _open(url)
    if engine is None:
        return 1
    source = store.describe(url)
    try:
        return _purge(engine, source, args)
    except SQLAlchemyError as exc:
        print(
            f"Nothing was deleted: the conversation store {source} said: {_reason(exc)}",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()


def cmd_migrate_ids(args: argparse.Namespace) -> int:
    """Move conversations stored under bare WeChat OpenIDs / widget session ids into their namespace."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.conversations import namespace, store

    url = _store_url(args)
    engine = _open(url)
    if engine is None:
        return 1
    source = store.describe(url)
    try:
        found = namespace.plan(engine)
        print(f"Conversation store: {source}")
        print(
            f"  {len(found.moves)} conversation(s) of WeChat or the widget to move into their namespace"
        )
        for sender in found.mixed:
            print(
                f"  note: {sender[:12]}… was used by several channels; moved with most of its messages"
            )
        for sender in found.taken:
            print(f"  skipped: {sender[:12]}… (its namespaced id is already in use)")
        if args.dry_run or not found.moves:
            print("Nothing was changed." if args.dry_run else "✓ Nothing to move.")
            return 0
        moved = namespace.migrate(engine, found.moves)
        print(f"✓ Moved {moved} event(s) of {len(found.moves)} conversation(s).")
        return 0
    except SQLAlchemyError as exc:
        print(f"Nothing was changed: {source} said: {_reason(exc)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _purge(engine: Any, source: str, args: argparse.Namespace) -> int:
    from bot.conversations import purge

    if args.user:
        return _purge_users(engine, source, args)
    try:
        days = args.older_than if args.older_than is not None else purge.retention_days()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if days < 1:
        print("error: --older-than must be 1 day or more", file=sys.stderr)
        return 2
    cutoff = purge.cutoff_for(days)
    plan = purge.plan_retention(engine, cutoff)
    print(f"Conversation store: {source}")
    print(f"Keeping {days} days: everything before {purge.describe_cutoff(cutoff)} goes.")
    print(
        f"  {plan.conversations} conversation(s) with no message since then: {plan.events_whole} event(s), deleted entirely"
    )
    print(
        f"  {plan.trimmed} conversation(s) still active: {plan.events_trimmed} older event(s) deleted, "
        "their current session kept"
    )
    if args.dry_run:
        print("Dry run: nothing was deleted.")
        return 0
    if plan.events == 0:
        print("✓ Nothing to delete.")
        return 0
    if not _confirm(f"Delete {plan.events} event(s)?", args.yes):
        return 1
    started = time.monotonic()
    done = purge.purge_retention(engine, cutoff)
    print(
        f"✓ Deleted {done.events} event(s): {done.conversations} whole conversation(s), older parts of "
        f"{done.trimmed} ({time.monotonic() - started:.1f} s)."
    )
    return 0


def _purge_users(engine: Any, source: str, args: argparse.Namespace) -> int:
    from bot.conversations import purge

    found = purge.plan_users(engine, args.user)
    print(f"Conversation store: {source}")
    for user in found:
        if user.events:
            print(
                f"  {user.sender_id}: {user.events} event(s), {_day(user.first)} to {_day(user.last)}"
            )
        else:
            print(f"  {user.sender_id}: nothing stored")
    total = sum(u.events for u in found)
    if args.dry_run:
        print("Dry run: nothing was deleted.")
        return 0
    if total == 0:
        print("✓ Nothing stored about this user; nothing to delete.")
        return 0
    if not _confirm(
        f"Delete all {total} event(s) of {sum(1 for u in found if u.events)} user(s)?", args.yes
    ):
        return 1
    deleted = purge.purge_users(engine, args.user)
    print(
        f"✓ Deleted {deleted} event(s). If the user was chatting at this very moment, run the command once more."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "report",
        help="what users asked, what the assistant could not answer, ratings and handoffs (this week by default)",
        description=textwrap.fill(
            "A report of real conversations for a period: conversations and messages per channel and language, "
            "the questions the assistant could not answer (grouped, with examples), answers given with low "
            "confidence, the intents most asked, how users rated the answers, and handoffs to a person.",
            100,
        ),
        epilog=REPORT_EXAMPLES,
        formatter_class=raw,
    )
    p.add_argument(
        "--since",
        metavar="DAY",
        help="first day, YYYY-MM-DD or 'today'/'yesterday' (default: the last --days days)",
    )
    p.add_argument("--until", metavar="DAY", help="last day, included (default: today)")
    p.add_argument(
        "--days",
        type=int,
        default=7,
        metavar="N",
        help="without --since: the last N days (default 7)",
    )
    p.add_argument(
        "--format",
        choices=("text", "csv"),
        default="text",
        help="text tables (default), or csv: one table as CSV on the screen (--table, default unanswered)",
    )
    p.add_argument(
        "--table",
        action="append",
        choices=TABLES,
        metavar="NAME",
        help="show only this table (repeatable): " + ", ".join(TABLES),
    )
    p.add_argument("--csv", metavar="DIR", help="also write every table as DIR/<table>.csv")
    p.add_argument("--html", metavar="FILE", help="also write a web page with charts for managers")
    p.add_argument(
        "--low-confidence",
        type=float,
        default=0.6,
        metavar="X",
        help="list answered messages whose intent confidence is below X (default 0.6)",
    )
    p.add_argument(
        "--examples", type=int, default=3, metavar="N", help="examples per group (default 3)"
    )
    p.add_argument(
        "--top", type=int, default=20, metavar="N", help="rows per table on the screen (default 20)"
    )
    p.add_argument("--all", action="store_true", help="every row on the screen")
    p.add_argument(
        "--quiet", action="store_true", help="no text on the screen (with --csv or --html)"
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="conversation store (default: TRACKER_STORE_URL or var/tracker.db)",
    )
    p.add_argument(
        "--kb-database-url",
        metavar="URL",
        help="knowledge base whose questions and answers are matched against the unanswered questions "
        "(default: KB_DATABASE_URL or var/knowledge.db)",
    )
    p.add_argument(
        "--no-faq",
        action="store_true",
        help="leave out the closest question-and-answer entry of each unanswered question",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "purge",
        help="delete conversations older than the retention period, or everything about one user",
        description=textwrap.fill(
            "Delete old conversations (no message for --older-than days; default CONVERSATION_RETENTION_DAYS "
            "or 90) and the older parts of active ones, or with --user everything stored about one user. Shows "
            "what will be deleted and asks first.",
            100,
        ),
        epilog=PURGE_EXAMPLES,
        formatter_class=raw,
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="keep this many days (default: CONVERSATION_RETENTION_DAYS, else 90)",
    )
    which.add_argument(
        "--user",
        action="append",
        metavar="SENDER_ID",
        help="delete everything about this user (their conversation id; repeatable)",
    )
    p.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    p.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (for cron / systemd timers)"
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="conversation store (default: TRACKER_STORE_URL or var/tracker.db)",
    )
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser(
        "migrate-conversation-ids",
        help="move conversations stored before per-channel ids into their channel's namespace",
        description=textwrap.fill(
            "Conversations are stored per channel: WeChat under wechat:<OpenID>, the widget under "
            "socketio:<session id>, REST under the sender id. This moves conversations stored earlier under "
            "the bare id (found by the channel of their messages). Run it once with the Rasa servers stopped; "
            "running it again changes nothing.",
            100,
        ),
        epilog=MIGRATE_EXAMPLES,
        formatter_class=raw,
    )
    p.add_argument("--dry-run", action="store_true", help="only show what would move")
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="conversation store (default: TRACKER_STORE_URL or var/tracker.db)",
    )
    p.set_defaults(func=cmd_migrate_ids)
