"""`beijing-assistant`: the command line for staff and operators.

    beijing-assistant validate   check every knowledge file, report every problem
    beijing-assistant sync       validate, then publish the knowledge to the database
    beijing-assistant serve      start the action server and the Rasa server
"""

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


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import run_forever

    model = Path(args.model)
    if not model.exists():
        print(f"error: no trained model at {model}; run `make train` (or `make run`, which trains when needed)", file=sys.stderr)
        return 1
    return run_forever(model, args.host, args.rasa_port, args.actions_port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beijing-assistant", description="Beijing foreign-residents assistant: knowledge and servers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check every knowledge file and list every problem (file, line, field)")
    p.add_argument("--knowledge-dir", help=f"folder of YAML files (default {config.knowledge_dir()})")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sync", help="validate, then publish the knowledge files to the database in one step")
    p.add_argument("--knowledge-dir", help=f"folder of YAML files (default {config.knowledge_dir()})")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: KB_DATABASE_URL or var/knowledge.db)")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("serve", help="start the action server and the Rasa server (REST + Socket.IO) until Ctrl-C")
    p.add_argument("--model", default=str(config.ROOT / "models" / "current.tar.gz"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--rasa-port", type=int, default=5005)
    p.add_argument("--actions-port", type=int, default=5055)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
