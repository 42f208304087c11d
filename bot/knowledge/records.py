"""Typed records: what validation returns, the loader stores (JSON) and answers render.

Each kind's record type (in bot/knowledge/kinds/) extends `Record` with its own fields; mypy then
catches a misspelt field where it is read, instead of a KeyError during a user's turn.
tests/test_kinds.py checks that each record type names exactly the fields of its schema.
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
    verified_on: str


class Record(_RecordRequired, total=False):
    """The fields every record has (schema.COMMON)."""

    source_date: str | None
    uncertain: dict[str, str]
    notes: LocalText | None
    machine_translated: list[str]


Hours = dict[str, Any]  # see schema.check_hours and docs/knowledge-schema.md
