"""Sync time: the texts of each entry that are embedded, and the vector cache keyed by content.

An entry is found through its sample questions (in any language) and its answer (English and Chinese,
and any other language written). Each text's vector is stored under sha256(encoder id + text), so a sync
encodes only texts it has not seen before, and vectors of texts no entry uses any more are dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from bot.faq import encoder
from bot.knowledge.kinds.faq import FaqVector

_CHUNK = 400


@dataclass(frozen=True)
class EntryText:
    entry_id: str
    role: str  # "question" or "answer"
    lang: str
    text: str

    @property
    def key(self) -> str:
        return text_hash(self.text)


def text_hash(text: str) -> str:
    return hashlib.sha256(f"{encoder.ENCODER_ID}\0{text}".encode()).hexdigest()


def entry_texts(entry: dict[str, Any]) -> list[EntryText]:
    """The texts an entry is found by: every sample question and every language of the answer staff
    wrote in the entry. The answer's translations merged from the overlays (knowledge/translations/,
    machine-assisted until reviewed) are shown, not matched: the matcher was calibrated without them."""
    out = [
        EntryText(entry["id"], "question", lang, q)
        for lang, questions in (entry.get("questions") or {}).items()
        for q in questions
    ]
    out += [
        EntryText(entry["id"], "answer", lang, a)
        for lang, a in (entry.get("answer") or {}).items()
        if "answer" not in ((entry.get("translations") or {}).get(lang) or {})
    ]
    return out


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def stored_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(keys))):
        found.update(
            conn.execute(
                select(FaqVector.text_hash).where(FaqVector.text_hash.in_(chunk))
            ).scalars()
        )
    return found


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def encode_missing(conn: Connection, entries: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Vectors of the texts of `entries` that the cache does not hold yet (encoded now)."""
    texts = {t.key: t.text for e in entries for t in entry_texts(e)}
    missing = sorted(set(texts) - stored_keys(conn, texts))
    vectors = encoder.encode([texts[k] for k in missing])
    return dict(zip(missing, vectors, strict=True))


def store(conn: Connection, entries: list[dict[str, Any]], new: dict[str, np.ndarray]) -> int:
    """Inside the sync's transaction: add the new vectors, drop those no entry uses. Returns how many
    were added (a concurrent sync may have stored some of them meanwhile)."""
    used = {t.key for e in entries for t in entry_texts(e)}
    have = stored_keys(conn, new)
    rows = [{"text_hash": k, "vector": to_bytes(v)} for k, v in new.items() if k not in have]
    for chunk in _chunks(rows):
        conn.execute(insert(FaqVector), chunk)
    stale = [k for k in conn.execute(select(FaqVector.text_hash)).scalars() if k not in used]
    for chunk in _chunks(stale):
        conn.execute(delete(FaqVector).where(FaqVector.text_hash.in_(chunk)))
    return len(rows)
