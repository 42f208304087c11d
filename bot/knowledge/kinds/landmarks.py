"""Landmarks and neighbourhoods (knowledge/landmarks.yml): names people use for where they are or want
to go ("near Sanlitun", "in Wangjing", "Daxing Airport"), with the district and, only where a source
gives them, coordinates. bot/knowledge/names.py finds them in messages (`find_landmarks`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, String

from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.records import Coordinates, LocalText, Record
from bot.knowledge.schema import (
    Checker,
    Spec,
    _check_district,
    check_aliases,
    check_coordinates,
    check_local_text,
    line_of,
)


class LandmarkRecord(Record, total=False):
    name: LocalText
    aliases: list[str]
    district: str | None
    coordinates: Coordinates | None


FIELDS: Spec = {
    "name": (True, check_local_text),
    "aliases": (False, check_aliases),
    "district": (True, _check_district),
    "coordinates": (False, check_coordinates),
}


def check(c: Checker, record: LandmarkRecord, node: Any, label: str, line: int | None) -> None:
    """A landmark is found by its Chinese name too; without a district or coordinates it locates nothing."""
    name = record.get("name") or {}
    if name and "zh" not in name:
        c.error(line_of(node, "name", line), f"{label}.name.zh", "the Chinese name is missing")
    if record.get("district") is None and not record.get("coordinates"):
        c.error(
            line_of(node, "district", line),
            f"{label}.district",
            "a landmark needs a district or coordinates (from a source) to locate anything",
        )


class LandmarkRow(Base):
    __tablename__ = "landmarks"
    id = Column(String(80), primary_key=True)
    district = Column(String(20))
    lat = Column(Float)
    lon = Column(Float)
    data = data_column()


def rows(rec: LandmarkRecord) -> Rows:
    coords = rec.get("coordinates")
    return {
        "district": rec.get("district"),
        "lat": coords.get("lat") if coords else None,
        "lon": coords.get("lon") if coords else None,
    }, {}


KIND = Kind(
    "landmarks",
    LandmarkRecord,
    FIELDS,
    LandmarkRow,
    rows,
    check=check,
    translatable=(),  # names and aliases are never translated
)
