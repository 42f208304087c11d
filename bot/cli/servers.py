"""`beijing-assistant serve` (one action server and one Rasa server) and `cluster` (several, behind nginx)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.core import config


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime.serve import run_forever

    model = Path(args.model)
    if not model.exists():
        print(
            f"error: no trained model at {model}; run `make train` (or `make run`, which trains when needed)",
            file=sys.stderr,
        )
        return 1
    return run_forever(model, args.host, args.rasa_port, args.actions_port)


def cmd_cluster(args: argparse.Namespace) -> int:
    from bot.runtime.cluster import run_forever

    model = Path(args.model)
    if not model.exists():
        print(f"error: no trained model at {model}; run `make train`", file=sys.stderr)
        return 1
    if args.replicas < 1:
        print("error: --replicas must be at least 1", file=sys.stderr)
        return 1
    return run_forever(model, args.replicas, args.host, args.port, args.first_port)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="start the action server and the Rasa server (REST + Socket.IO) until Ctrl-C",
        description="Start the action server and the Rasa server on this machine (what `make run` does after\n"
        "setting up), print where to talk to the assistant, and stop both on Ctrl-C.",
        epilog="example:\n  beijing-assistant serve --rasa-port 5105 --actions-port 5155",
    )
    p.add_argument(
        "--model",
        default=str(config.ROOT / "models" / "current.tar.gz"),
        help="trained model (default models/current.tar.gz)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--rasa-port", type=int, default=5005, help="port of the Rasa server (default 5005)"
    )
    p.add_argument(
        "--actions-port", type=int, default=5055, help="port of the action server (default 5055)"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "cluster",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="production layout on one machine: N Rasa servers and N action servers behind nginx",
        description=(
            "Start N action servers, N Rasa servers and nginx (which keeps each conversation on one Rasa\n"
            "server). Needs PostgreSQL and Redis: set TRACKER_STORE_URL and KB_DATABASE_URL (PostgreSQL URLs)\n"
            "and, if not local defaults, REDIS_HOST, REDIS_PORT, REDIS_DB, REDIS_PASSWORD, LOCK_STORE_KEY_PREFIX.\n"
            "See docs/deployment.md."
        ),
        epilog="example:\n"
        "  export TRACKER_STORE_URL=postgresql://postgres@127.0.0.1/assistant\n"
        "  export KB_DATABASE_URL=postgresql://postgres@127.0.0.1/assistant\n"
        "  beijing-assistant sync && beijing-assistant cluster --replicas 2",
    )
    p.add_argument(
        "--model",
        default=str(config.ROOT / "models" / "current.tar.gz"),
        help="trained model (default models/current.tar.gz)",
    )
    p.add_argument(
        "--replicas",
        type=int,
        default=2,
        help="how many Rasa servers and action servers (default 2)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8080, help="nginx, where clients connect (default 8080)"
    )
    p.add_argument(
        "--first-port",
        type=int,
        default=5101,
        help="first port of the servers behind nginx (default 5101)",
    )
    p.set_defaults(func=cmd_cluster)
