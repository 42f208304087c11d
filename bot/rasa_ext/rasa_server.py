"""`python -m bot.rasa_ext.rasa_server run ...`: Rasa's command line, bot/rasa_ext/speedups.py first.

The launcher (bot/runtime/serve.py) starts the Rasa server this way; every argument is Rasa's
(`rasa run --help`). The speed-ups are fenced (bot/rasa_ext/fence.py); the first line of the server's
log says whether they are on. A failed save of a conversation is made an error of the turn instead of
Rasa's silent in-memory fallback (`tracker_store.refuse_in_memory_fallback`, fenced the same way), and
Sanic reads request bodies of at most SANIC_REQUEST_MAX_SIZE bytes.

Sanic's response timeout is Rasa's (`--response-timeout`, one hour) also when the HTTP API is off. Rasa
applies its timeout only to the app it builds with the API; without it (production: the API is off unless
RASA_API_TOKEN is set) the app kept Sanic's default of 60 seconds, and Sanic cancels a request handler
after that while the connection stays open. Rasa's REST route catches that cancellation
(`rest.message.received.timeout`) and answers 200 with the replies collected so far, although the turn was
never saved: a turn that waited for its conversation's lock (a killed server's ticket lives
TICKET_LOCK_LIFETIME seconds) on a busy server was answered and then lost (issue 17, found by
tests/e2e/test_scale_out.py). nginx's read timeout (deploy/) bounds a request in production.
"""

from __future__ import annotations

import os
import sys

# Sanic's default body limit is 100 MB. Each channel checks its own (REST 256 KB, WeChat 64 KB, Socket.IO
# packets 256 KB, see bot/channels/common.py); this bounds what Sanic reads before any of them runs.
DEFAULT_REQUEST_MAX_SIZE = 1024 * 1024


def configure_environment() -> None:
    """Sanic's limits and the math libraries' threads, unless the environment sets them already."""
    # Math libraries on one thread unless told otherwise (bot/runtime/serve.py sets the same for the
    # processes it starts); this must happen before numpy is first imported.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from rasa.core.constants import DEFAULT_RESPONSE_TIMEOUT

    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(DEFAULT_REQUEST_MAX_SIZE))
    os.environ.setdefault("SANIC_RESPONSE_TIMEOUT", str(DEFAULT_RESPONSE_TIMEOUT))


def main() -> None:
    configure_environment()
    from bot.rasa_ext import fence, speedups
    from bot.rasa_ext.tracker_store import refuse_in_memory_fallback

    if speedups.install():
        state = f"installed (Rasa {fence.rasa_version()})"
    else:
        state = f"off, Rasa runs as shipped ({fence.SWITCH}, Rasa {fence.rasa_version()})"
    # Rasa configures logging only once it starts, so this goes straight to the log.
    print(f"Rasa speed-ups: {state}", file=sys.stderr, flush=True)
    if not refuse_in_memory_fallback():
        print(
            "Rasa's in-memory fallback for conversations that cannot be saved is on (patches off)",
            file=sys.stderr,
            flush=True,
        )
    from bot.rasa_ext import faults, sessions

    # Behaviour under faults and bounded sessions (issue 17), fenced like the speed-ups.
    handled = faults.install() and sessions.install()
    print(
        f"Faults answered, sessions bounded: {'on' if handled else 'off, Rasa as shipped'}",
        file=sys.stderr,
        flush=True,
    )
    from bot.knowledge import names

    # The names of schools, hospitals, offices and procedures that the NLU and the reply language use on
    # the event loop, every message: built now in a background thread (while Rasa loads the model), held
    # in memory and refreshed off the loop after a sync (bot/knowledge/names.py, `held`).
    if sys.argv[1:2] == ["run"]:
        names.hold()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
