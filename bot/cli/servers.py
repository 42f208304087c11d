"""`beijing-assistant serve`: start the action server and the Rasa server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import config


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import run_forever

    model = Path(args.model)
    if not model.exists():
        print(f"error: no trained model at {model}; run `make train` (or `make run`, which trains when needed)", file=sys.stderr)
        return 1
    return run_forever(model, args.host, args.rasa_port, args.actions_port)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the action server and the Rasa server (REST + Socket.IO) until Ctrl-C")
    p.add_argument("--model", default=str(config.ROOT / "models" / "current.tar.gz"), help="trained model (default models/current.tar.gz)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--rasa-port", type=int, default=5005, help="port of the Rasa server (default 5005)")
    p.add_argument("--actions-port", type=int, default=5055, help="port of the action server (default 5055)")
    p.set_defaults(func=cmd_serve)
