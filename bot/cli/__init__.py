"""`beijing-assistant`: the command line for staff and operators.

Each group of commands lives in its own module and adds its sub-commands with `register(subparsers)`:

    knowledge.py      validate, diff, sync, stale, history   (the knowledge files and the database)
    servers.py        serve, cluster                         (the action and Rasa servers, one or several)
    conversations.py  report, purge                          (what users asked; privacy and retention)
    translations.py   translations                           (knowledge texts in ja ko ru fr de es ar)

Every command has `--help`; output is written for staff who are not programmers.
"""

from __future__ import annotations

import argparse
import signal
import sys

from bot.cli import conversations, knowledge, servers, translations

GROUPS = (knowledge, translations, servers, conversations)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beijing-assistant",
        description="Beijing foreign-residents assistant: keep its knowledge correct, run it, and see how it does.",
        epilog="Run `beijing-assistant COMMAND --help` for what a command does, with examples.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    previous = None
    if hasattr(signal, "SIGPIPE"):
        # `beijing-assistant stale | head` ends quietly instead of with a traceback. Restored after
        # the command: a process that calls main() in-process (the tests do) must not die later of
        # SIGPIPE on a socket whose peer went away (seen: pytest killed in the scale-out test).
        previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    finally:
        if previous is not None:
            signal.signal(signal.SIGPIPE, previous)


if __name__ == "__main__":
    sys.exit(main())
