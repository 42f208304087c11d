"""`python -m bot.rasa_ext.rasa_server run ...`: Rasa's command line, bot/rasa_ext/speedups.py first.

The launcher (bot/runtime/serve.py) starts the Rasa server this way; every argument is Rasa's (`rasa run --help`).
Besides the speed-ups, a failed save of a conversation is made an error of the turn instead of Rasa's
silent in-memory fallback (`tracker_store.refuse_in_memory_fallback`), and Sanic reads bodies of at most
SANIC_REQUEST_MAX_SIZE bytes.
"""

from __future__ import annotations

import os

# Sanic's default body limit is 100 MB. Each channel checks its own (REST 256 KB, WeChat 64 KB, Socket.IO
# packets 256 KB, see bot/channels/common.py); this bounds what Sanic reads before any of them runs.
DEFAULT_REQUEST_MAX_SIZE = 1024 * 1024


def main() -> None:
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(DEFAULT_REQUEST_MAX_SIZE))
    from bot.rasa_ext import speedups
    from bot.rasa_ext.tracker_store import refuse_in_memory_fallback

    speedups.install()
    refuse_in_memory_fallback()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
