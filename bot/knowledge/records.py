"""Typed records: what validation returns, the loader stores (JSON) and answers render.

Each kind's record type (in bot/knowledge/kinds/) extends `Record` with its own fields; mypy then
catches a misspelt field where it is read, instead of a KeyError during a user's turn.
tests/knowledge/test_kinds.py checks that each record type names exactly the fields of its schema.
"""

from __future__ import annotations

from typing import Any, TypedDict

LocalText = dict[str, str]  # language code -> text; "en" always present
Address = dict[str, str]  # en and zh always present


class Coordinates(TypedDict):
    lat: float
    lon: float


class Phone(TypedDict, total=False):
    number: str
    label: LocalText | None


class Location(TypedDict):
    name: LocalText | None
    district: str | None
    address: Address | None
    coordinates: Coordinates | None
    phones: list[Phone]


class _RecordRequired(TypedDict):
    id: str
    source: list[str]


class Record(_RecordRequired, total=False):
    """The fields every record has (schema.COMMON)."""

    source_date: str
    verified_on: (
        str  # only with verified_by: a person confirmed the record (bot/knowledge/provenance.py)
    )
    verified_by: str
    translated: list[str]  # paths of the Chinese texts we translated ourselves, e.g. "name.zh"
    uncertain: dict[str, str]
    notes: LocalText | None
    machine_translated: list[str]


Hours = dict[str, Any]  # see schema.check_hours and docs/knowledge-schema.md
