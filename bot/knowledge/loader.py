"""Read `knowledge/*.yml`, validate everything, and sync it into the database in one transaction.

A sync either applies every file or nothing: when any file has a problem the database keeps its previous
content and the caller gets every problem found, each naming the file, line and field. A valid sync writes
only the records that changed, and records who published what in the audit log.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import getpass
import hashlib
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection

from bot.core import config
from bot.knowledge import db, diff, models, translations
from bot.knowledge.kinds import KINDS
from bot.knowledge.schema import (
    Checker,
    Problem,
    check_record,
    line_of,
    parse_yaml,
    q,
    singular,
)

# Rows per INSERT/DELETE statement: well below every database's limit on bound parameters.
_CHUNK = 400


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> Any: ...

    def close(self) -> Any: ...


# Called like tqdm: progress(total=..., desc=..., unit=...) -> a bar. The CLI passes tqdm.
Progress = Callable[..., ProgressBar]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _silent(**_: Any) -> ProgressBar:
    return _Silent()


@dataclass
class Knowledge:
    """Validated records by kind, plus every problem found while reading them."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    content_hash: str = ""
    # Translations (knowledge/translations/<lang>/<kind>.yml): stale ones are shown in English, not refused.
    stale_translations: list[translations.StaleTranslation] = field(default_factory=list)
    translation_coverage: translations.Coverage = field(default_factory=translations.Coverage)
    translation_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self) -> int:
        return sum(len(v) for v in self.records.values())

    def counts(self) -> str:
        """'23 service points, 16 procedures, ...' for messages."""
        label = {"faq": "questions and answers"}
        return ", ".join(
            f"{len(v)} {label.get(k, k.replace('_', ' '))}" for k, v in self.records.items()
        )


class KnowledgeError(Exception):
    """Raised when a sync is refused; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{len(problems)} problem(s) in the knowledge files; nothing was changed:\n{lines}"
        )


@dataclass
class SyncResult:
    knowledge: Knowledge
    diff: diff.KnowledgeDiff
    audit_id: int | None  # None when nothing changed (no audit entry is written)
    embedded: int = (
        0  # texts of questions-and-answers entries encoded by this sync (the rest were cached)
    )


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(config.ROOT))
    except ValueError:
        return str(path)


def knowledge_files(directory: Path | None = None) -> list[Path]:
    directory = directory or config.knowledge_dir()
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yml", ".yaml"))


def _where(file: str, line: int | None) -> str:
    return f"{file} line {line}"


def _record_at(data: Any, line: int, key: str) -> str:
    """`key` prefixed with the record written around `line` (1-based), as validation messages name fields."""
    if not (isinstance(data, dict) and len(data) == 1):
        return key
    kind, items = next(iter(data.items()))
    if kind not in KINDS or not isinstance(items, list) or not items:
        return key
    starts = [line_of(items, i) or 0 for i in range(len(items))]
    index = bisect.bisect_right(starts, line) - 1
    node = items[index] if index >= 0 else None
    rid = node.get("id") if isinstance(node, dict) else None
    return f"{singular(kind)} {q(rid)}.{key}" if isinstance(rid, str) else key


def read_knowledge(
    directory: Path | None = None, files: Iterable[Path] | None = None, progress: Progress = _silent
) -> Knowledge:
    """Parse and validate every YAML file in `directory` (or the given files); never raises for bad content."""
    paths = sorted(files) if files is not None else knowledge_files(directory)
    result = Knowledge()
    digest = hashlib.sha256()
    first_seen: dict[tuple[str, str], tuple[str, int | None]] = {}
    documents: list[tuple[str, Checker, str, Any]] = []
    related_at: list[tuple[str, int | None, dict[str, Any]]] = []  # (file, line, faq entry)

    bar = progress(
        total=sum(p.stat().st_size for p in paths if p.is_file()),
        desc="Reading",
        unit="B",
        unit_scale=True,
    )
    for path in paths:
        name = _display(path)
        result.files.append(name)
        checker = Checker(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            checker.error(None, "", f"cannot read the file ({exc}); save it as UTF-8 text")
            result.problems.extend(checker.problems)
            continue
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        try:
            doc = parse_yaml(text, checker)
        finally:
            bar.update(path.stat().st_size)
        if doc is None:
            result.problems.extend(checker.problems)
            continue
        data = doc.data
        for dup in doc.duplicates:
            checker.error(
                dup.line,
                _record_at(data, dup.line, str(dup.key)),
                f"{q(dup.key)} is written twice (lines {dup.first_line} and {dup.line}): keep one",
            )
        if data is None:
            result.problems.extend(checker.problems)
            continue  # an empty file holds no records
        if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in KINDS:
            keys = ", ".join(map(q, data)) if isinstance(data, dict) else type(data).__name__
            checker.error(
                1, "", f"the file must start with exactly one of {', '.join(KINDS)}: (found {keys})"
            )
            result.problems.extend(checker.problems)
            continue
        kind = next(iter(data))
        items = data[kind]
        if items is None:
            result.problems.extend(checker.problems)
            continue
        if not isinstance(items, list):
            checker.error(
                line_of(data, kind),
                kind,
                "must be a list of records, each starting with '- id: ...'",
            )
            result.problems.extend(checker.problems)
            continue
        documents.append((name, checker, kind, items))
    bar.close()

    bar = progress(
        total=sum(len(items) for *_, items in documents), desc="Checking", unit=" records"
    )
    for name, checker, kind, items in documents:
        for i, node in enumerate(items):
            line = line_of(items, i)
            record = check_record(checker, kind, node, i, line)
            rid = node.get("id") if isinstance(node, dict) else None
            related = node.get("related") if isinstance(node, dict) and kind == "faq" else None
            if isinstance(related, list) and isinstance(rid, str):
                # checked against every kind once all files are read, even if this entry has other problems
                entry = {"id": rid, "related": [r for r in related if isinstance(r, str)]}
                related_at.append((name, line_of(node, "related", line), entry))
            if isinstance(rid, str):
                id_line = line_of(node, "id", line)
                if (kind, rid) in first_seen:
                    other_file, other_line = first_seen[(kind, rid)]
                    both = (
                        f"{name} lines {other_line} and {id_line}"
                        if other_file == name
                        else f"{_where(other_file, other_line)} and {_where(name, id_line)}"
                    )
                    checker.error(
                        id_line,
                        f"{singular(kind)} {q(rid)}.id",
                        f"{singular(kind)} {q(rid)} is listed twice: {both}",
                    )
                    record = None
                else:
                    first_seen[(kind, rid)] = (name, id_line)

            if record is not None:
                record["_file"] = name
                record["_line"] = line
                result.records[kind].append(record)
        bar.update(len(items))
        result.problems.extend(checker.problems)
    bar.close()
    overlay_dir = directory or config.knowledge_dir()
    if files is not None:
        overlay_dir = paths[0].parent if paths else overlay_dir
    overlays = translations.apply_overlays(
        overlay_dir, result.records, set(first_seen), display=_display
    )
    for name, text in overlays.files:
        result.translation_files.append(name)
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    result.problems.extend(overlays.problems)
    result.stale_translations = overlays.stale
    result.translation_coverage = overlays.coverage
    result.problems.extend(_unknown_related(result, related_at))
    result.problems.sort(key=lambda p: (p.file, p.line or 0))
    result.content_hash = digest.hexdigest()
    return result


def _unknown_related(
    knowledge: Knowledge, related_at: list[tuple[str, int | None, dict[str, Any]]]
) -> list[Problem]:
    """A questions-and-answers entry may only name records that exist (in any other kind)."""
    known = {rec["id"] for kind, recs in knowledge.records.items() if kind != "faq" for rec in recs}
    problems = []
    for file, line, entry in related_at:
        for i, rid in enumerate(entry["related"]):
            if rid not in known:
                close = difflib.get_close_matches(rid, sorted(known), n=1, cutoff=0.6)
                hint = f": did you mean {close[0]}?" if close else ""
                problems.append(
                    Problem(
                        file,
                        line,
                        f"faq entry '{entry['id']}'.related[{i + 1}]",
                        f"'{rid}' is not the id of any record in knowledge/{hint}",
                    )
                )
    return problems


def _rows(
    kind: str, rec: dict[str, Any]
) -> tuple[dict[str, Any], dict[type, list[dict[str, Any]]]]:
    """The table row and the link-table rows of one validated record (the kind says which columns)."""
    columns, links = KINDS[kind].rows(rec)
    return {"id": rec["id"], **columns, "data": diff.content(rec)}, links


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def apply(
    conn: Connection,
    knowledge: Knowledge,
    changes: diff.KnowledgeDiff,
    progress: Progress = _silent,
) -> None:
    """Write `changes` (computed against what `conn` sees) inside the caller's transaction.

    Changed records are deleted and inserted again with their link rows; unchanged ones are not touched.
    """
    records = {(kind, rec["id"]): rec for kind, recs in knowledge.records.items() for rec in recs}
    bar = progress(total=len(changes.changes), desc="Writing", unit=" records")
    for kind, (table, links) in models.KIND_TABLES.items():
        gone = changes.ids(kind, "removed", "changed")
        for ids in _chunks(gone):
            for link, column in links:
                conn.execute(delete(link).where(getattr(link, column).in_(ids)))
            conn.execute(delete(table).where(table.id.in_(ids)))
        new = [_rows(kind, records[(kind, rid)]) for rid in changes.ids(kind, "added", "changed")]
        for chunk in _chunks(new):
            conn.execute(insert(table), [row for row, _ in chunk])
            for link, _column in links:
                link_rows = [r for _, by_link in chunk for r in by_link.get(link, [])]
                if link_rows:
                    conn.execute(insert(link), link_rows)
            bar.update(len(chunk))
        bar.update(len(gone) - len(changes.ids(kind, "changed")))
    bar.close()


def default_actor() -> str:
    """Who is publishing, for the audit log: the login name and the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def sync(
    directory: Path | None = None,
    url: str | None = None,
    *,
    actor: str | None = None,
    progress: Progress = _silent,
    knowledge: Knowledge | None = None,
) -> SyncResult:
    """Validate all knowledge files and, only if every one is valid, publish them in one transaction.

    Raises KnowledgeError (database untouched) when any problem is found. Concurrent syncs wait for each
    other; the comparison with the database is made after the wait, inside the same transaction.
    """
    knowledge = knowledge or read_knowledge(directory, progress=progress)
    if not knowledge.ok:
        raise KnowledgeError(knowledge.problems)
    from bot.faq import vectors  # the sentence encoder is loaded only when a text is new

    faq = knowledge.records.get("faq", [])
    # Encode new texts before taking the write lock (loading the encoder takes seconds).
    with db.get_engine(url).connect() as conn:
        new_vectors = vectors.encode_missing(conn, faq)
    with db.write_connection(url) as conn, conn.begin():
        db.write_lock(conn)
        embedded = vectors.store(conn, faq, new_vectors)
        changes = diff.compare(diff.published(conn), knowledge.records)
        if changes.empty:
            return SyncResult(knowledge, changes, None, embedded)
        apply(conn, knowledge, changes, progress)
        inserted = conn.execute(
            insert(models.AuditEntry),
            {
                "synced_at": dt.datetime.now(dt.timezone.utc),
                "actor": (actor or default_actor())[:200],
                "content_hash": knowledge.content_hash,
                "added": changes.count("added"),
                "removed": changes.count("removed"),
                "changed": changes.count("changed"),
                "unchanged": changes.unchanged,
                "changes": changes.to_json(),
            },
        )
        audit_id = int(inserted.inserted_primary_key[0])
    return SyncResult(knowledge, changes, audit_id, embedded)


def plan(
    directory: Path | None = None, url: str | None = None, progress: Progress = _silent
) -> SyncResult:
    """What `sync` would do now, without writing anything (`knowledge.ok` False: sync would refuse)."""
    knowledge = read_knowledge(directory, progress=progress)
    with db.read_session(url) as session:
        current = diff.published(session.connection())
    return SyncResult(knowledge, diff.compare(current, knowledge.records), None)
