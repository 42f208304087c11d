"""Knowledge commands for staff: `validate` and `sync`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import config


def _print_problems(problems: list) -> None:
    print(f"Found {len(problems)} problem(s):", file=sys.stderr)
    for p in problems:
        print(f"  ✗ {p}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.kb.loader import read_knowledge

    knowledge = read_knowledge(Path(args.knowledge_dir) if args.knowledge_dir else None)
    if not knowledge.ok:
        _print_problems(knowledge.problems)
        print("Nothing was published. Fix the lines above and run the command again.", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in knowledge.records.items())
    print(f"✓ {len(knowledge.files)} file(s) are valid: {counts}.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from bot.kb.loader import KnowledgeError, sync

    try:
        knowledge = sync(Path(args.knowledge_dir) if args.knowledge_dir else None, args.database_url)
    except KnowledgeError as exc:
        _print_problems(exc.problems)
        print("Nothing was changed in the database. Fix the lines above and run the command again.", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in knowledge.records.items())
    print(f"✓ Published {knowledge.count()} records ({counts}). The assistant answers from them now.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check every knowledge file and list every problem (file, line, field)")
    p.add_argument("--knowledge-dir", help=f"folder of YAML files (default {config.knowledge_dir()})")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sync", help="validate, then publish the knowledge files to the database in one step")
    p.add_argument("--knowledge-dir", help=f"folder of YAML files (default {config.knowledge_dir()})")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: KB_DATABASE_URL or var/knowledge.db)")
    p.set_defaults(func=cmd_sync)
