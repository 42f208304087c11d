"""Knowledge commands for staff: validate, diff, sync, stale, history.

The usual order after editing `knowledge/*.yml`: `validate` (is every file correct?), `diff` (what would
change?), `sync` (publish it). `stale` lists what to re-check; `history` shows who published what.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from pathlib import Path

from bot.cli.output import beijing_time, database_name, plural, print_problems, progress
from bot.core import config
from bot.knowledge.diff import KnowledgeDiff, RecordChange

KIND_TITLES = {
    "service_points": "Service points",
    "procedures": "Procedures",
    "schools": "Schools",
    "hospitals": "Hospitals",
    "hotlines": "Hotlines",
}
MARK = {"added": "+ added  ", "removed": "- removed", "changed": "~ changed"}


def _folder(args: argparse.Namespace) -> Path | None:
    return Path(args.knowledge_dir) if args.knowledge_dir else None


def _refused(problems: list) -> int:
    print_problems(problems)
    print(
        "Nothing was changed in the database. Fix the lines above and run the command again.",
        file=sys.stderr,
    )
    return 1


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import read_knowledge

    knowledge = read_knowledge(_folder(args), progress=progress)
    if not knowledge.ok:
        print_problems(knowledge.problems)
        print("Fix the lines above and run `beijing-assistant validate` again.", file=sys.stderr)
        return 1
    print(f"✓ {plural(len(knowledge.files), 'file')} checked, no problems: {knowledge.counts()}.")
    return 0


def _where(change: RecordChange) -> str:
    return f" ({change.file} line {change.line})" if change.file else ""


def print_changes(changes: KnowledgeDiff, limit: int | None) -> None:
    """Record by record and field by field, at most `limit` records of each kind (None: all)."""
    for kind, title in KIND_TITLES.items():
        of_kind = [c for c in changes.changes if c.kind == kind]
        if not of_kind:
            continue
        print(f"\n{title}")
        for change in of_kind[:limit]:
            print(f"  {MARK[change.change]}  {change.id} — {change.name}{_where(change)}")
            for f in change.fields:
                print(f"        {f.describe()}")
        if limit is not None and len(of_kind) > limit:
            print(
                f"  … and {len(of_kind) - limit} more {title.lower()} (add --all to list every one)"
            )


def cmd_diff(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import plan

    result = plan(_folder(args), args.database_url, progress=progress)
    if not result.knowledge.ok:
        print_problems(result.knowledge.problems)
        print(
            "A sync would be refused until these are fixed. Changes of the valid records:",
            file=sys.stderr,
        )
    print(f"Compared the knowledge files with the database {database_name(args.database_url)}.")
    if result.diff.empty:
        print("No differences: the assistant already answers from exactly these files.")
    else:
        print_changes(result.diff, None if args.all else args.limit)
        print(f"\nSummary: {result.diff.summary()}.")
        if result.knowledge.ok:
            print(
                "Nothing has been written. Run `beijing-assistant sync` to publish these changes."
            )
    return 0 if result.knowledge.ok else 1


def cmd_sync(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import KnowledgeError, sync

    try:
        result = sync(_folder(args), args.database_url, actor=args.by, progress=progress)
    except KnowledgeError as exc:
        return _refused(exc.problems)
    if result.diff.empty:
        print(
            f"✓ Nothing to publish: the database already matches the files ({result.knowledge.counts()})."
        )
        return 0
    print_changes(result.diff, None if args.all else args.limit)
    print(
        f"\n✓ Published: {result.diff.summary()} (audit entry #{result.audit_id}).\n"
        f"  The assistant answers from the new data now: {result.knowledge.counts()}."
    )
    return 0


def _today(args: argparse.Namespace) -> dt.date:
    return args.as_of or dt.datetime.now(config.TIMEZONE).date()


def cmd_stale(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import read_knowledge
    from bot.knowledge.stale import by_file, review_list

    knowledge = read_knowledge(_folder(args), progress=progress)
    if not knowledge.ok:
        print(
            f"Note: {plural(len(knowledge.problems), 'problem')} in the files (run `beijing-assistant validate`); "
            "records with problems are not listed below.\n",
            file=sys.stderr,
        )
    today = _today(args)
    items = review_list(knowledge.records, args.older_than, today)
    if args.only == "old":
        items = [i for i in items if i.too_old]
    elif args.only == "uncertain":
        items = [i for i in items if i.uncertain]
    print(
        f"Records to re-check on {today}: not verified for more than {args.older_than} days, or with facts marked uncertain."
    )
    wrap = textwrap.TextWrapper(width=100, initial_indent=" " * 14, subsequent_indent=" " * 16)
    for file, file_items in by_file(items).items():
        print(f"\n{file} ({plural(len(file_items), 'record')})")
        for item in file_items:
            line = f"line {item.line}" if item.line else ""
            age = f"verified {item.verified_on} ({plural(item.age_days, 'day')} ago)"
            flag = "  ← NOT VERIFIED FOR TOO LONG" if item.too_old else ""
            print(f"  {line:<10}  {item.id} — {item.name}")
            print(f"              {age}{flag}")
            if args.brief and item.uncertain:
                print(f"              uncertain: {', '.join(item.uncertain)}")
            elif item.uncertain:
                for fieldname, reason in item.uncertain.items():
                    print(wrap.fill(f"uncertain {fieldname}: {reason}"))
    old = sum(1 for i in items if i.too_old)
    unsure = sum(1 for i in items if i.uncertain)
    print(
        f"\nSummary: {plural(old, 'record')} not verified for more than {args.older_than} days, "
        f"{plural(unsure, 'record')} with uncertain facts, out of {knowledge.count()}."
    )
    if items:
        print(
            "After re-checking a record against its sources, set its verified_on to that day and sync."
        )
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.knowledge import db, models

    with db.read_session(args.database_url) as session:
        if args.show is not None:
            entry = session.get(models.AuditEntry, args.show)
            if entry is None:
                print(f"error: there is no audit entry #{args.show}", file=sys.stderr)
                return 1
            print(
                f"Audit entry #{entry.id}: published {beijing_time(entry.synced_at)} (Beijing time) by {entry.actor}"
            )
            changes = KnowledgeDiff(
                [
                    RecordChange(
                        c["kind"],
                        c["id"],
                        c["change"],
                        c.get("name", ""),
                        c.get("file"),
                        c.get("line"),
                        _fields(c),
                    )
                    for c in entry.changes
                ],
                entry.unchanged,
            )
            print_changes(changes, None)
            print(f"\nSummary: {changes.summary()}.")
            return 0
        entries = (
            session.execute(
                select(models.AuditEntry).order_by(models.AuditEntry.id.desc()).limit(args.limit)
            )
            .scalars()
            .all()
        )
    if not entries:
        print(f"No sync has changed the database {database_name(args.database_url)} yet.")
        return 0
    print(f"Latest publications to {database_name(args.database_url)} (Beijing time):")
    for e in entries:
        print(
            f"  #{e.id:<5} {beijing_time(e.synced_at)}  {e.actor:<28}  {e.added} added, {e.removed} removed, {e.changed} changed"
        )
    print("`beijing-assistant history --show N` lists every change of entry N.")
    return 0


def _fields(change: dict) -> list:
    from bot.knowledge.diff import FieldChange

    return [
        FieldChange(
            f["path"],
            f.get("old"),
            f.get("new"),
            was_absent="old" not in f,
            now_absent="new" not in f,
        )
        for f in change.get("fields", [])
    ]


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a date: write it as YYYY-MM-DD"
        ) from exc


def _change_listing_arguments(p: argparse.ArgumentParser, folder_help: str, db_help: str) -> None:
    """What `diff` and `sync` share: which files, which database, how many changed records to list."""
    p.add_argument("--knowledge-dir", help=folder_help)
    p.add_argument("--database-url", help=db_help)
    p.add_argument(
        "--limit",
        type=int,
        default=50,
        help="list at most this many changed records of each kind (default 50)",
    )
    p.add_argument("--all", action="store_true", help="list every changed record")


def register(sub: argparse._SubParsersAction) -> None:
    folder_help = (
        f"folder of knowledge YAML files (default: KNOWLEDGE_DIR or {config.knowledge_dir()})"
    )
    db_help = (
        "database to publish to, as a SQLAlchemy URL (default: KB_DATABASE_URL or var/knowledge.db)"
    )
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "validate",
        formatter_class=raw,
        help="check every knowledge file and list every problem (file, line, field)",
        description="Check every knowledge file and list every problem at once, each with its file, line,\n"
        "field and how to fix it. Changes nothing. Exit code 0 when every file is valid, 1 otherwise.",
        epilog="example:\n  beijing-assistant validate\n  beijing-assistant validate --knowledge-dir /path/to/copy/of/knowledge",
    )
    p.add_argument("--knowledge-dir", help=folder_help)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "diff",
        formatter_class=raw,
        help="show what a sync would change in the database, record by record and field by field",
        description="Compare the knowledge files with what the assistant answers from now (the database)\n"
        "and list the records a sync would add, remove or change, field by field. Writes nothing.",
        epilog="example:\n  beijing-assistant diff\n  beijing-assistant diff --all     # list every record even when there are many",
    )
    _change_listing_arguments(p, folder_help, db_help)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "sync",
        formatter_class=raw,
        help="validate, then publish the knowledge files to the database in one step",
        description="Validate every file; if all are valid, publish the changes in one transaction and record\n"
        "who published what in the audit log. If anything is wrong, nothing changes. The running\n"
        "assistant answers from the new data at once: no retraining, no restart.",
        epilog="example:\n  beijing-assistant diff    # first look at what will change\n"
        "  beijing-assistant sync --by 'Li Na, Chaoyang office'",
    )
    _change_listing_arguments(p, folder_help, db_help)
    p.add_argument(
        "--by", help="who publishes, for the audit log (default: your login name @ this computer)"
    )
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser(
        "stale",
        formatter_class=raw,
        help="list records to re-check: not verified for too long, or with facts marked uncertain",
        description="List, file by file, the records whose verified_on is older than a number of days and\n"
        "the records with facts marked uncertain, so you know what to check against the sources.",
        epilog="example:\n  beijing-assistant stale\n  beijing-assistant stale --older-than 90 --only old\n"
        "The default age is KNOWLEDGE_MAX_AGE_DAYS (180 when unset).",
    )
    p.add_argument("--knowledge-dir", help=folder_help)
    p.add_argument(
        "--older-than",
        type=int,
        default=config.knowledge_max_age_days(),
        metavar="DAYS",
        help="a record not verified for more than DAYS days needs re-checking (default %(default)s)",
    )
    p.add_argument(
        "--only",
        choices=("old", "uncertain"),
        help="only records not verified for too long, or only uncertain ones",
    )
    p.add_argument(
        "--brief", action="store_true", help="name the uncertain fields without their reasons"
    )
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="count ages from this day instead of today",
    )
    p.set_defaults(func=cmd_stale)

    p = sub.add_parser(
        "history",
        formatter_class=raw,
        help="show the audit log: who published which changes, and when",
        description="Every sync that changed the database is kept in its audit log: when, by whom, and\n"
        "which records and fields changed.",
        epilog="example:\n  beijing-assistant history\n  beijing-assistant history --show 12",
    )
    p.add_argument("--database-url", help=db_help)
    p.add_argument(
        "--limit", type=int, default=20, help="how many of the latest entries (default 20)"
    )
    p.add_argument("--show", type=int, metavar="N", help="every change of entry N")
    p.set_defaults(func=cmd_history)
