"""Read `knowledge/*.yml`, validate everything, and sync it into the database in one transaction.

A sync either applies every file or nothing: when any file has a problem the database keeps its previous
content and the caller gets every problem found, each naming the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot import config
from bot.kb import db, models
from bot.kb.schema import KINDS, Checker, Problem, check_record, line_of


@dataclass
class Knowledge:
    """Validated records by kind, plus every problem found while reading them."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    content_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self) -> int:
        return sum(len(v) for v in self.records.values())


class KnowledgeError(Exception):
    """Raised when a sync is refused; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the knowledge files; nothing was changed:\n{lines}")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(config.ROOT))
    except ValueError:
        return str(path)


def read_knowledge(directory: Path | None = None, files: Iterable[Path] | None = None) -> Knowledge:
    """Parse and validate every YAML file in `directory` (or the given files)."""
    directory = directory or config.knowledge_dir()
    paths = sorted(files) if files is not None else sorted(
        p for p in directory.glob("*.y*ml") if p.suffix in (".yml", ".yaml")
    )
    result = Knowledge()
    digest = hashlib.sha256()
    first_seen: dict[tuple[str, str], tuple[str, int | None]] = {}
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
            doc = YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = " ".join(filter(None, [exc.context, exc.problem])) or "YAML syntax error"
            checker.error(line, "", f"YAML syntax error: {what} (check indentation, colons and quotes)")
            result.problems.extend(checker.problems)
            continue
        except YAMLError as exc:
            checker.error(None, "", f"YAML syntax error: {exc}")
            result.problems.extend(checker.problems)
            continue
        if doc is None:
            continue  # an empty file holds no records
        if not isinstance(doc, dict) or len(doc) != 1 or next(iter(doc)) not in KINDS:
            keys = ", ".join(map(str, doc)) if isinstance(doc, dict) else type(doc).__name__
            checker.error(1, "", f"the file must start with exactly one of {', '.join(KINDS)}: (found {keys})")
            result.problems.extend(checker.problems)
            continue
        kind = next(iter(doc))
        items = doc[kind]
        if items is None:
            continue
        if not isinstance(items, list):
            checker.error(line_of(doc, kind), kind, "must be a list of records, each starting with '- id: ...'")
            result.problems.extend(checker.problems)
            continue
        for i, node in enumerate(items):
            line = line_of(items, i)
            record = check_record(checker, kind, node, i, line)
            rid = node.get("id") if isinstance(node, dict) else None
            if isinstance(rid, str):
                id_line = line_of(node, "id", line)
                if (kind, rid) in first_seen:
                    other_file, other_line = first_seen[(kind, rid)]
                    checker.error(
                        id_line,
                        f"{kind[:-1]} '{rid}'.id",
                        f"{kind[:-1]} '{rid}' is listed twice: {other_file} line {other_line} and {name} line {id_line}",
                    )
                    record = None
                else:
                    first_seen[(kind, rid)] = (name, id_line)
            if record is not None:
                record["_file"] = name
                record["_line"] = line
                result.records[kind].append(record)
        result.problems.extend(checker.problems)
    result.content_hash = digest.hexdigest()
    return result


def _rows(kind: str, rec: dict[str, Any]) -> list[Any]:
    """ORM rows for one validated record."""
    data = {k: v for k, v in rec.items() if not k.startswith("_")}
    rid = rec["id"]
    if kind == "service_points":
        coords = rec.get("coordinates") or {}
        rows: list[Any] = [
            models.ServicePoint(
                id=rid, kind=rec["kind"], district=rec.get("district"),
                lat=coords.get("lat"), lon=coords.get("lon"), data=data,
            )
        ]
        rows += [models.ServicePointService(point_id=rid, service=s) for s in dict.fromkeys(rec["services"])]
        return rows
    if kind == "procedures":
        return [models.Procedure(id=rid, topic=rec["topic"], permit_type=rec.get("permit_type"), data=data)]
    districts = dict.fromkeys(loc["district"] for loc in rec.get("locations", []) if loc.get("district"))
    if kind == "schools":
        rows = [models.School(id=rid, status=rec["status"], age_min=rec.get("age_min"), age_max=rec.get("age_max"), data=data)]
        rows += [models.SchoolCurriculum(school_id=rid, curriculum=c) for c in dict.fromkeys(rec["curricula"])]
        rows += [models.SchoolDistrict(school_id=rid, district=d) for d in districts]
        return rows
    if kind == "hospitals":
        rows = [
            models.Hospital(
                id=rid, kind=rec["kind"], emergency_24h=rec.get("emergency_24h"),
                international_department=rec["international_department"], data=data,
            )
        ]
        rows += [models.HospitalDistrict(hospital_id=rid, district=d) for d in districts]
        rows += [models.HospitalLanguage(hospital_id=rid, language=lang) for lang in dict.fromkeys(rec["languages"])]
        return rows
    if kind == "hotlines":
        return [models.Hotline(id=rid, number=rec["number"], category=rec["category"], data=data)]
    raise ValueError(kind)


def apply(session: Session, knowledge: Knowledge) -> None:
    """Replace the knowledge tables' content with `knowledge` inside the caller's transaction."""
    for table in models.CLEAR_ORDER:
        session.execute(delete(table))
    # Parents before children so foreign keys hold at every statement.
    for kind, records in knowledge.records.items():
        rows = [row for rec in records for row in _rows(kind, rec)]
        session.add_all([r for r in rows if not _is_link(r)])
        session.flush()
        session.add_all([r for r in rows if _is_link(r)])
    session.flush()
    counts = {k: len(v) for k, v in knowledge.records.items()}
    session.add(
        models.SyncRun(
            synced_at=dt.datetime.now(dt.timezone.utc),
            content_hash=knowledge.content_hash,
            record_count=knowledge.count(),
            summary=json.dumps(counts),
        )
    )


def _is_link(row: Any) -> bool:
    return isinstance(
        row,
        models.ServicePointService | models.SchoolCurriculum | models.SchoolDistrict
        | models.HospitalDistrict | models.HospitalLanguage,
    )


def sync(directory: Path | None = None, url: str | None = None) -> Knowledge:
    """Validate all knowledge files and, only if every one is valid, load them in one transaction.

    Raises KnowledgeError (database untouched) when any problem is found.
    """
    knowledge = read_knowledge(directory)
    if not knowledge.ok:
        raise KnowledgeError(knowledge.problems)
    with db.session_factory(url).begin() as session:
        apply(session, knowledge)
    return knowledge
