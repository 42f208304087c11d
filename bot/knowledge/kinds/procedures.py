"""Procedures: what to do for a permit, a visa, a registration (documents, steps, fees,
deadlines)."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import Column, String, select

from bot.core import vocab
from bot.dialogue.i18n import local, t
from bot.dialogue.render import format_amount, provenance
from bot.knowledge.kinds.base import Kind, Rows
from bot.knowledge.orm import Base, data_column
from bot.knowledge.provenance import CITY_HOTLINE, IMMIGRATION_HOTLINE
from bot.knowledge.queries import snapshot
from bot.knowledge.records import LocalText, Record
from bot.knowledge.schema import (
    SERVICE_CODE,
    Checker,
    Spec,
    check_aliases,
    check_fee,
    check_link,
    check_local_text,
    line_of,
    list_of,
    one_of,
)


class Fee(TypedDict):
    item: LocalText | None
    amount_cny: float | None
    note: LocalText | None


class Link(TypedDict):
    label: LocalText | None
    url: str


class ProcedureRecord(Record, total=False):
    topic: str
    permit_type: str | None
    title: LocalText
    summary: LocalText
    who: LocalText | None
    documents: list[LocalText]
    steps: list[LocalText]
    fees: list[Fee]
    processing_time: LocalText | None
    validity: LocalText | None
    deadlines: list[LocalText]
    services: list[str]
    links: list[Link]
    aliases: list[str]
    order: int | None
    deadline: LocalText | None


def check_order(c: Checker, v: Any, path: str, line: int | None) -> int | None:
    """The position among a newcomer's first steps: a whole number, 1 first."""
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 99:
        return v
    c.error(line, path, f"{v!r} must be a whole number from 1 (first) to 99")
    return None


def check(c: Checker, record: ProcedureRecord, node: Any, label: str, line: int | None) -> None:
    """A first step says its deadline, and a deadline belongs to a first step."""
    if record.get("order") is not None and not record.get("deadline"):
        c.error(
            line_of(node, "order", line),
            f"{label}.deadline",
            "a procedure with order needs its deadline",
        )
    if record.get("deadline") and record.get("order") is None:
        c.error(
            line_of(node, "deadline", line),
            f"{label}.order",
            "deadline is for first steps: add order",
        )


FIELDS: Spec = {
    "topic": (True, one_of(vocab.PROCEDURE_TOPICS, "topic")),
    "permit_type": (False, one_of(vocab.PERMIT_TYPES, "permit type", nullable=True)),
    "title": (True, check_local_text),
    "summary": (True, check_local_text),
    "who": (False, check_local_text),
    "documents": (False, list_of(check_local_text)),
    "steps": (False, list_of(check_local_text)),
    "fees": (False, list_of(check_fee)),
    "processing_time": (False, check_local_text),
    "validity": (False, check_local_text),
    "deadlines": (False, list_of(check_local_text)),
    "services": (True, list_of(SERVICE_CODE)),
    "links": (False, list_of(check_link)),
    "aliases": (False, check_aliases),
    "order": (False, check_order),
    "deadline": (False, check_local_text),
}


class Procedure(Base):
    __tablename__ = "procedures"
    id = Column(String(80), primary_key=True)
    topic = Column(String(40), nullable=False, index=True)
    permit_type = Column(String(30), index=True)
    data = data_column()


def rows(rec: ProcedureRecord) -> Rows:
    return {"topic": rec["topic"], "permit_type": rec.get("permit_type")}, {}


# Topics of the immigration administration: confirm with 12367; the others (work permit, talent
# services) with the city hotline 12345.
IMMIGRATION_TOPICS = {
    "residence_permit",
    "visa",
    "accommodation_registration",
    "lost_passport",
    "permanent_residence",
}
KIND = Kind(
    "procedures",
    ProcedureRecord,
    FIELDS,
    Procedure,
    rows,
    check=check,
    confirm_hotline=lambda rec: (
        IMMIGRATION_HOTLINE if rec.get("topic") in IMMIGRATION_TOPICS else CITY_HOTLINE
    ),
    translatable=(
        "title",
        "summary",
        "who",
        "documents",
        "steps",
        "fees",
        "processing_time",
        "validity",
        "deadlines",
        "links",
        "notes",
        "deadline",
    ),
)


def get_procedures(
    topic: str, permit_type: str | None = None, url: str | None = None
) -> list[ProcedureRecord]:
    """Procedures on `topic`; narrowed to `permit_type` when one matches."""
    with snapshot(url) as session:
        rows = (
            session.execute(
                select(Procedure).where(Procedure.topic == topic).order_by(Procedure.id)
            )
            .scalars()
            .all()
        )
        records = [r.data for r in rows]
    if permit_type:
        typed = [r for r in records if r.get("permit_type") == permit_type]
        if typed:
            return typed
    return records


def render(rec: ProcedureRecord, lang: str) -> str:
    lines = [f"📋 {local(rec['title'], lang)}", local(rec["summary"], lang)]
    if rec.get("who"):
        lines.append(local(rec["who"], lang))

    def section(key: str, items: list[Any]) -> None:
        if items:
            lines.append(t(key, lang))
            lines.extend(f"{i}. {local(x, lang)}" for i, x in enumerate(items, 1))

    section("documents", rec.get("documents") or [])
    section("steps", rec.get("steps") or [])
    if rec.get("fees"):
        lines.append(t("fees", lang))
        for fee in rec["fees"]:
            item = local(fee["item"], lang)
            amount = fee.get("amount_cny")
            text = (
                t("fee_line", lang, item=item, amount=format_amount(amount, lang))
                if amount is not None
                else t("fee_line_no_amount", lang, item=item)
            )
            if fee.get("note"):
                text += f" ({local(fee['note'], lang)})"
            lines.append(f"• {text}")
    if rec.get("processing_time"):
        lines.append(t("processing_time", lang, text=local(rec["processing_time"], lang)))
    if rec.get("validity"):
        lines.append(t("validity", lang, text=local(rec["validity"], lang)))
    if rec.get("deadlines"):
        lines.append(t("deadlines", lang))
        lines.extend(f"• {local(x, lang)}" for x in rec["deadlines"])
    for link in rec.get("links") or []:
        lines.append(f"🔗 {local(link['label'], lang)}: {link['url']}")
    if rec.get("notes"):
        lines.append(local(rec["notes"], lang))
    lines += provenance(rec, lang, "procedures")
    return "\n".join(lines)
