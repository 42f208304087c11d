"""`python -m bot.rasa_ext.rasa_server run ...`: Rasa's command line, bot/rasa_ext/speedups.py first.

The launcher (bot/runtime/serve.py) starts the Rasa server this way; every argument is Rasa's
(`rasa run --help`). The speed-ups are fenced (bot/rasa_ext/fence.py); the first line of the server's
log says whether they are on.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    # Math libraries on one thread unless told otherwise (bot/runtime/serve.py sets the same for the
    # processes it starts); this must happen before numpy is first imported.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from bot.rasa_ext import fence, speedups

    if speedups.install():
        state = f"installed (Rasa {fence.rasa_version()})"
    else:
        state = f"off, Rasa runs as shipped ({fence.SWITCH}, Rasa {fence.rasa_version()})"
    # Rasa configures logging only once it starts, so this goes straight to the log.
    print(f"Rasa speed-ups: {state}", file=sys.stderr, flush=True)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
