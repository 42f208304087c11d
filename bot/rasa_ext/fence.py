"""The fence around every change to Rasa's internals: one checked Rasa version, one switch.

Everything in `bot/rasa_ext/` that replaces or bypasses Rasa code (the speed-ups, the tracker
store's queries and connection pool, the intent classifier's scoring path) asks `enabled()` first.
It is False, and Rasa runs as shipped, when

* `BJ_RASA_PATCHES=0` (or `false`, `no`, `off`) is set, e.g. to rule the patches out when chasing
  a bug, or
* the installed Rasa is not the version the patches were checked against (CHECKED_RASA_VERSION):
  each patch copies or relies on code of that version, so on another one they refuse, and say so
  in the log.

With the patches off the assistant gives the same answers, only slower
(tests/e2e/test_rasa_patches_off_e2e.py checks it against real servers).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

CHECKED_RASA_VERSION = "3.6.21"
SWITCH = "BJ_RASA_PATCHES"
_OFF = {"0", "false", "no", "off"}

_warned: set[str] = set()


def rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def switched_off(variable: str) -> bool:
    """Whether the environment variable says off (`0`, `false`, `no`, `off`; read on every call)."""
    return os.environ.get(variable, "").strip().lower() in _OFF


def enabled() -> bool:
    """Whether the patches of Rasa internals may be used (read on every call: tests switch it)."""
    if switched_off(SWITCH):
        return False
    version = rasa_version()
    if version != CHECKED_RASA_VERSION:
        if version not in _warned:
            _warned.add(version)
            logger.warning(
                "Rasa %s is installed; the patches in bot/rasa_ext were checked against Rasa %s "
                "only, so they are not used (Rasa runs as shipped, slower). Re-check them "
                "(tests/rasa_ext/test_speedups.py) and update CHECKED_RASA_VERSION.",
                version,
                CHECKED_RASA_VERSION,
            )
        return False
    return True


_MISSING = object()


@dataclass
class Patches:
    """Attributes replaced on Rasa's classes and modules, remembered so they can be put back."""

    replaced: list[tuple[Any, str, Any]] = field(default_factory=list)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        # The owner's own attribute (not an inherited one), so that undo restores exactly what was
        # there.
        original = vars(owner).get(name, _MISSING)
        self.replaced.append((owner, name, original))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self.replaced:
            owner, name, original = self.replaced.pop()
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
