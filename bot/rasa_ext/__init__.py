"""Extensions of Rasa 3.6 through its own hooks, and the few fenced patches of its internals.

Every patch checks the Rasa version it was written against (`guard`) and is installed once, before Rasa
starts (bot/rasa_server.py).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6."


def guard(what: str) -> bool:
    """True when the installed Rasa is the version the patch `what` was written for; else a warning."""
    import rasa

    if rasa.__version__.startswith(SUPPORTED_RASA):
        return True
    logger.warning(
        "%s not installed: written for Rasa %sx, this is Rasa %s",
        what,
        SUPPORTED_RASA,
        rasa.__version__,
    )
    return False
