"""`python -m bot.rasa_ext.rasa_server run ...`: Rasa's command line, bot/rasa_ext/speedups.py first.

The launcher (bot/runtime/serve.py) starts the Rasa server this way; every argument is Rasa's (`rasa run --help`).
"""

from __future__ import annotations

import os


def main() -> None:
    # Math libraries on one thread unless told otherwise (bot/runtime/serve.py sets the same for the
    # processes it starts); this must happen before numpy is first imported.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from bot.rasa_ext import speedups

    speedups.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
