"""The SQLAlchemy declarative base every knowledge table derives from (2.0 style on 1.4)."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def data_column() -> Column:
    """The whole validated record (what answers render), in every kind's table."""
    return Column(JSON, nullable=False)
