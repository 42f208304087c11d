"""SQLAlchemy models of the knowledge base.

Each record keeps its full validated content in a JSON column (what answers render) and the fields that
queries filter on in indexed columns or link tables. Written in the SQLAlchemy 2.0 style (1.4 with
``future=True``).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class ServicePoint(Base):
    __tablename__ = "service_points"
    id = Column(String(80), primary_key=True)
    kind = Column(String(40), nullable=False, index=True)
    district = Column(String(20), index=True)
    lat = Column(Float, index=True)
    lon = Column(Float)
    # What ranking needs, so that thousands of candidates are ranked without decoding their JSON.
    name_en = Column(String(300), nullable=False)
    has_address = Column(Boolean, nullable=False)
    service_count = Column(Integer, nullable=False)
    uncertain_count = Column(Integer, nullable=False)
    data = Column(JSON, nullable=False)


class ServicePointService(Base):
    __tablename__ = "service_point_services"
    point_id = Column(
        String(80), ForeignKey("service_points.id", ondelete="CASCADE"), primary_key=True
    )
    service = Column(String(60), primary_key=True, index=True)


class Procedure(Base):
    __tablename__ = "procedures"
    id = Column(String(80), primary_key=True)
    topic = Column(String(40), nullable=False, index=True)
    permit_type = Column(String(30), index=True)
    data = Column(JSON, nullable=False)


class School(Base):
    __tablename__ = "schools"
    id = Column(String(80), primary_key=True)
    status = Column(String(10), nullable=False)
    age_min = Column(Integer)
    age_max = Column(Integer)
    data = Column(JSON, nullable=False)


class SchoolCurriculum(Base):
    __tablename__ = "school_curricula"
    school_id = Column(String(80), ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    curriculum = Column(String(30), primary_key=True, index=True)


class SchoolDistrict(Base):
    __tablename__ = "school_districts"
    school_id = Column(String(80), ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    district = Column(String(20), primary_key=True, index=True)


class Hospital(Base):
    __tablename__ = "hospitals"
    id = Column(String(80), primary_key=True)
    kind = Column(String(30), nullable=False)
    emergency_24h = Column(Boolean)
    international_department = Column(Boolean, nullable=False)
    data = Column(JSON, nullable=False)


class HospitalDistrict(Base):
    __tablename__ = "hospital_districts"
    hospital_id = Column(
        String(80), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    district = Column(String(20), primary_key=True, index=True)


class HospitalLanguage(Base):
    __tablename__ = "hospital_languages"
    hospital_id = Column(
        String(80), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    language = Column(String(5), primary_key=True, index=True)


class Hotline(Base):
    __tablename__ = "hotlines"
    id = Column(String(80), primary_key=True)
    number = Column(String(40), nullable=False)
    category = Column(String(20), nullable=False, index=True)
    data = Column(JSON, nullable=False)


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
SCHEMA_VERSION = "2"

# Per kind of record: its table and its link tables with the column that names the record.
KIND_TABLES: dict[str, tuple[type, tuple[tuple[type, str], ...]]] = {
    "service_points": (ServicePoint, ((ServicePointService, "point_id"),)),
    "procedures": (Procedure, ()),
    "schools": (School, ((SchoolCurriculum, "school_id"), (SchoolDistrict, "school_id"))),
    "hospitals": (Hospital, ((HospitalDistrict, "hospital_id"), (HospitalLanguage, "hospital_id"))),
    "hotlines": (Hotline, ()),
}

KNOWLEDGE_TABLES = [
    t.__table__
    for table, links in KIND_TABLES.values()
    for t in (table, *(link for link, _ in links))
]
