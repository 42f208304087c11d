"""`python -m bot.rasa_server run ...`: Rasa's own command line, with bot/speedups.py installed first.

The launcher (bot/serve.py) starts the Rasa server this way; every argument is Rasa's (`rasa run --help`).
"""

from __future__ import annotations


def main() -> None:
    from bot import speedups

    speedups.install()
    from bot.rasa_ext import faults, sessions

    faults.install()
    sessions.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
