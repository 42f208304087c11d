"""SQLAlchemy models of the knowledge base: the audit log and the schema version here, each kind's tables
in its module in bot/knowledge/kinds/ (re-exported below).

Each record keeps its full validated content in a JSON column (what answers render) and the fields that
queries filter on in indexed columns or link tables. Written in the SQLAlchemy 2.0 style (1.4 with
``future=True``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String

from bot.knowledge.kinds import REGISTRY
from bot.knowledge.kinds.faq import FaqEntry, FaqVector
from bot.knowledge.kinds.hospitals import Hospital, HospitalLanguage
from bot.knowledge.kinds.hotlines import Hotline
from bot.knowledge.kinds.landmarks import LandmarkRow
from bot.knowledge.kinds.procedures import Procedure
from bot.knowledge.kinds.schools import School, SchoolCurriculum
from bot.knowledge.kinds.service_points import ServicePoint, ServicePointService
from bot.knowledge.orm import Base


class AuditEntry(Base):
    """One sync that changed the knowledge: who published it, when, and what changed (record by record)."""

    __tablename__ = "kb_audit_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    synced_at = Column(DateTime(timezone=True), nullable=False, index=True)
    actor = Column(String(200), nullable=False)
    content_hash = Column(String(64), nullable=False)
    added = Column(Integer, nullable=False)
    removed = Column(Integer, nullable=False)
    changed = Column(Integer, nullable=False)
    unchanged = Column(Integer, nullable=False)
    changes = Column(JSON, nullable=False)


class Meta(Base):
    """Facts about the database itself (the schema version of the knowledge tables)."""

    __tablename__ = "kb_meta"
    key = Column(String(40), primary_key=True)
    value = Column(String(200), nullable=False)


# Bump when a knowledge table changes: the knowledge tables (never the audit log) are then rebuilt
# empty, and the next sync fills them from the files, which are the source of truth.
SCHEMA_VERSION = "3"  # 3: the never-read school_districts and hospital_districts tables removed
# Knowledge tables of earlier versions: dropped (if there) when the tables are rebuilt.
RETIRED_TABLES = ("school_districts", "hospital_districts")

# Per kind of record: its table and its link tables with the column that names the record.
KIND_TABLES: dict[str, tuple[type[Any], tuple[tuple[type[Any], str], ...]]] = {
    kind.name: (kind.table, kind.links) for kind in REGISTRY
}

KNOWLEDGE_TABLES = [
    t.__table__
    for table, links in KIND_TABLES.values()
    for t in (table, *(link for link, _ in links))
]

__all__ = [
    "SCHEMA_VERSION",
    "RETIRED_TABLES",
    "KIND_TABLES",
    "KNOWLEDGE_TABLES",
    "AuditEntry",
    "FaqEntry",
    "FaqVector",
    "Base",
    "Hospital",
    "HospitalLanguage",
    "Hotline",
    "LandmarkRow",
    "Meta",
    "Procedure",
    "School",
    "SchoolCurriculum",
    "ServicePoint",
    "ServicePointService",
]
