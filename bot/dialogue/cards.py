"""Replies as structured cards: what a reply says, split into the parts channels show differently.

A card travels with the reply's plain text: actions send `utter_message(text=fallback, buttons=...,
json_message=card.to_json())`, so channels that know the structure (the website widget, WeChat's
renderer) show it, and the others (REST, `rasa shell`) still read the text. The JSON format is versioned
and documented in docs/cards.md; `to_text` is the plain-text form of a card.

Every label is a text of the locale catalogue (bot/locales/<lang>.yml), already in the reply's
language; values are kept apart from their labels so that right-to-left channels can isolate each one.
Source and uncertainty are fields of their own: a channel may fold the source away, never the ⚠.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, cast

from bot.core import hotlines as hotlines_mod
from bot.dialogue import hours as hours_mod
from bot.dialogue import render
from bot.dialogue.i18n import catalog, local, name, t
from bot.knowledge import provenance as prov
from bot.knowledge.kinds import hospitals, procedures
from bot.knowledge.kinds import hotlines as hotline_kind
from bot.knowledge.queries import Place

VERSION = 1
_ISOLATES = re.compile("[\u2066-\u2069\u200e\u200f]")
# A source that names a page or site without a scheme ("nia.gov.cn/n741440/index.html [OFF]").
_SITE = re.compile(r"^(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s\[\]]*)?)", re.IGNORECASE)


def plain(value: str) -> str:
    """A value without the directional isolates `t` adds for Arabic (a card isolates values itself)."""
    return _ISOLATES.sub("", value)


def label(key: str, lang: str) -> str:
    """The label of a "Label: {text}" message (address, phone, hours, ...) without its value."""
    messages = catalog(lang).get("messages") or {}
    template = str(messages.get(key) or catalog("en")["messages"][key])
    return template.partition("{")[0].strip()


def tel(number: str) -> str | None:
    """A tel: URI for a Beijing number as written in the knowledge base ("010-8402 0101", "120")."""
    main = number.split("(")[0].split("/")[0].split("转")[0].split(";")[0].strip()
    main = re.sub(r"(\d{7,8})\s*-\s*\d{1,4}$", r"\1", main)  # "69156699-2": extension 2
    digits = re.sub(r"[^\d+]", "", main)
    return f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else None


@dataclass
class Field:
    """One label/value pair ("Hours:" "Mon–Fri 09:00–17:00")."""

    label: str
    value: str


@dataclass
class Phone:
    number: str
    tel: str | None
    note: str | None = None


@dataclass
class Source:
    text: str
    url: str | None


@dataclass
class Section:
    """A titled list (documents, steps, fees, deadlines); `numbered` for an order that matters."""

    title: str
    items: list[str]
    numbered: bool = False


@dataclass
class Card:
    """Fields every card has. `lead`: the answer in one or two sentences, shown first; `details`:
    background a channel folds away; `uncertain`: the ⚠ lines, never folded; `source`: where it is
    from and how current; `rate`: the widget offers 👍 / 👎 under this reply."""

    TYPE: ClassVar[str] = "text"
    lead: str = ""
    details: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    # The sources as links (their `text` as written in the source line) and the source line with its
    # date first in `source_notes`, then the staff confirmation (or its absence), the translation note.
    source: list[Source] = field(default_factory=list)
    source_notes: list[str] = field(default_factory=list)
    # The 👍 / 👎 buttons when the widget shows them under this reply (they are also the reply's
    # buttons, for channels that show buttons as such).
    rate: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {"type": self.TYPE, "version": VERSION, **asdict(self)}
        return data

    def body_lines(self) -> list[str]:
        return []

    def to_text(self, lang: str) -> str:
        """The card as plain text, in the order a reader needs it."""
        lines = [self.lead] if self.lead else []
        lines += self.body_lines()
        lines += self.details
        lines += self.uncertain
        lines += self.source_notes  # the source line (with its date) first
        return "\n".join(x for x in lines if x)


@dataclass
class PlaceCard(Card):
    """An office, hall, hospital or school: what a visitor needs to get there and be let in."""

    TYPE: ClassVar[str] = "place"
    name: str = ""
    name_zh: str | None = None
    address: Field | None = None
    # For the taxi driver; None when the Chinese address is our translation (then it is in `address_zh_note`).
    driver_address: Field | None = None
    address_zh_note: Field | None = None
    phones_label: str = ""
    phones: list[Phone] = field(default_factory=list)
    open_state: str | None = None  # open | closed | unknown
    open_now: str | None = None
    distance: str | None = None
    facts: list[Field] = field(default_factory=list)

    def body_lines(self) -> list[str]:
        lines = [f"📍 {self.name}"]
        if self.name_zh:
            lines.append(self.name_zh)
        for f in (self.address, self.driver_address, self.address_zh_note):
            if f:
                lines.append(f"{f.label} {f.value}")
        if self.phones:
            lines.append(f"{self.phones_label} " + "; ".join(_phone_text(p) for p in self.phones))
        lines += [f"{f.label} {f.value}" for f in self.facts]
        lines += [x for x in (self.open_now, self.distance) if x]
        return lines


@dataclass
class ProcedureCard(Card):
    TYPE: ClassVar[str] = "procedure"
    title: str = ""
    facts: list[Field] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    links: list[Source] = field(default_factory=list)

    def body_lines(self) -> list[str]:
        lines = [f"📋 {self.title}", *(f"{f.label} {f.value}" for f in self.facts)]
        for section in self.sections:
            lines.append(section.title)
            lines += [
                f"{i}. {x}" if section.numbered else f"• {x}"
                for i, x in enumerate(section.items, 1)
            ]
        lines += [f"🔗 {link.text}: {link.url}" for link in self.links]
        return lines


@dataclass
class EmergencyNumber:
    number: str
    tel: str | None
    name: str


@dataclass
class EmergencyCard(Card):
    """The numbers an emergency needs, the one to call first first, one line each; what they do and
    when they answer in `details`."""

    TYPE: ClassVar[str] = "emergency"
    numbers: list[EmergencyNumber] = field(default_factory=list)

    def body_lines(self) -> list[str]:
        return [f"☎ {n.number} — {n.name}" for n in self.numbers]


def _phone_text(phone: Phone) -> str:
    return f"{phone.number} ({phone.note})" if phone.note else phone.number


# ---------------------------------------------------------------------------------------------- builders


def sources(record: Mapping[str, Any], lang: str = "en") -> list[Source]:
    """The record's sources, pages a reader can open first; a page named without a scheme gets one.
    Each `text` is written as the source line writes it (its tag in words), for the widget to link."""
    found = sorted(record.get("source") or [], key=prov.is_research_file)
    out = []
    for text in found[:2]:
        site = _SITE.match(text.strip())
        url = None
        if site and not prov.is_research_file(text):
            url = site.group(0) if site.group(0).startswith("http") else f"https://{site.group(1)}"
        out.append(Source(render.source_in_words(text, lang), url))
    return out


def provenance_fields(record: Mapping[str, Any], lang: str, kind: str) -> dict[str, Any]:
    """`uncertain`, `source` and `source_notes` of a card, from the lines every answer ends with
    (`render.provenance`): the ⚠ line apart, the source line as links, the rest as notes."""
    lines = render.provenance(record, lang, kind)  # type: ignore[arg-type]
    uncertain = lines[:1] if record.get("uncertain") else []
    notes = lines[len(uncertain) + 1 :]
    return {
        "uncertain": uncertain,
        "source": sources(record, lang),
        "source_notes": [*lines[len(uncertain) : len(uncertain) + 1], *notes],
    }


def phones(items: Sequence[Mapping[str, Any]], lang: str) -> list[Phone]:
    return [
        Phone(str(p["number"]), tel(str(p["number"])), local(p.get("label"), lang) or None)
        for p in items
    ]


def _names(record: Mapping[str, Any], lang: str) -> tuple[str, str | None]:
    names = prov.resolve(record, "name")
    main = local(names, lang)
    zh = names.get("zh")
    if not zh:
        return main, None
    shown = render.zh_text(record, "name.zh", zh, lang)
    return (shown, None) if main == zh else (main, shown)


def _address_fields(
    address: Mapping[str, str] | None, lang: str, record: Mapping[str, Any], path: str
) -> dict[str, Any]:
    """`address`, `driver_address` and `address_zh_note` of a place card."""
    if not address:
        return {"address": Field("", t("address_unknown", lang))}
    translated = prov.is_translated(record, f"{path}.zh")
    local_address = (
        Field(label("address", lang), local(dict(address), lang))
        if lang != "zh" or translated
        else None
    )
    zh = Field(label("address_zh_translated" if translated else "address_zh", lang), address["zh"])
    return {
        "address": local_address,
        "driver_address": None if translated else zh,
        "address_zh_note": zh if translated else None,
    }


def _distance(place: Place[Any], lang: str) -> str | None:
    lines = render._distance_line(place, lang)
    return (lines[0]) if lines else None


def service_point_card(
    place: Place[Any], lang: str, when: dt.datetime | None = None, show_distance: bool = False
) -> PlaceCard:
    rec = place.record
    main, zh = _names(rec, lang)
    hours = rec.get("hours")
    facts = [
        Field(label("hours", lang), _value_of("hours", render.format_hours(hours, lang), lang))
    ]
    details = []
    if district := rec.get("district"):
        details.append(t("district", lang, name=render.district_name(district, lang)))
    if rec.get("appointment"):
        details.append(local(rec["appointment"], lang))
    if rec.get("notes"):
        details.append(local(rec["notes"], lang))
    return PlaceCard(
        name=main,
        name_zh=zh,
        **_address_fields(rec.get("address"), lang, rec, "address"),
        phones_label=label("phone", lang),
        phones=phones(rec.get("phones") or [], lang),
        open_state=hours_mod.status(hours, hours_mod.to_beijing(when)).state,
        open_now=(render.format_status(hours, lang, when)),
        distance=_distance(place, lang) if show_distance else None,
        facts=facts if rec.get("phones") else [*facts, Field("", t("phone_unknown", lang))],
        details=details,
        **provenance_fields(rec, lang, "service_points"),
    )


def _value_of(key: str, rendered: str, lang: str) -> str:
    """The value part of a rendered "Label: {text}" message."""
    head = label(key, lang)
    return rendered[len(head) :].strip() if plain(rendered).startswith(head) else rendered


def located_card(
    place: Place[Any],
    lang: str,
    kind: str,
    district: str | None,
    facts: list[str],
    shown: list[Field] | None = None,
) -> PlaceCard:
    """A hospital or school: its first location (the one in `district` first) on the card, the
    others in the details with `facts`; `shown`: label/value facts shown on the card."""
    rec = place.record
    main, zh = _names(rec, lang)
    locations = list(enumerate(rec.get("locations") or [], 1))
    if district:
        locations.sort(key=lambda il: il[1].get("district") != district)
    first = locations[0] if locations else None
    own_phones = list(rec.get("phones") or [])
    if first and first[1].get("phones"):
        own_phones = list(first[1]["phones"]) + own_phones
    details = list(facts)
    for i, loc in locations[1:]:
        head = local(loc.get("name"), lang) if loc.get("name") else ""
        lines = render.address_lines(loc.get("address"), lang, rec, f"locations[{i}].address")
        details.append(" · ".join(x for x in [head, *lines] if x))
    address = (
        _address_fields(first[1].get("address"), lang, rec, f"locations[{first[0]}].address")
        if first
        else _address_fields(None, lang, rec, "")
    )
    if first and first[1].get("name"):
        details.insert(0, local(first[1]["name"], lang))
    return PlaceCard(
        name=main,
        name_zh=zh,
        **address,
        phones_label=label("phone", lang),
        phones=phones(own_phones, lang),
        distance=_distance(place, lang),
        facts=shown or [],
        details=[x for x in details if x],
        **provenance_fields(rec, lang, kind),
    )


def hospital_card(place: Place[Any], lang: str, district: str | None = None) -> PlaceCard:
    return located_card(place, lang, "hospitals", district, hospitals.facts(place.record, lang))


def school_card(place: Place[Any], lang: str, district: str | None = None) -> PlaceCard:
    rec = place.record
    curricula = ", ".join(name("curricula", c, lang) for c in rec["curricula"])
    shown = [Field(label("curricula", lang), curricula)]
    lo, hi = rec.get("age_min"), rec.get("age_max")
    if lo is not None or hi is not None:
        ages = t(
            "ages_range", lang, lo=lo if lo is not None else "?", hi=hi if hi is not None else "?"
        )
        shown.append(Field(label("ages", lang), ages))
    elif rec.get("grades"):
        shown.append(Field(label("ages", lang), local(rec["grades"], lang)))
    if rec.get("website"):
        shown.append(Field(label("website", lang), rec["website"]))
    facts = [local(rec["programmes"], lang)]
    if rec.get("email"):
        facts.append(t("email", lang, text=rec["email"]))
    if rec.get("eligibility"):
        facts.append(t("eligibility", lang, text=local(rec["eligibility"], lang)))
    facts.append(local(rec.get("notes"), lang))
    return located_card(place, lang, "schools", district, facts, shown)


@dataclass
class ContactsCard(EmergencyCard):
    """The people to call (hotlines, the office shown last): numbers as for an emergency, smaller."""

    TYPE: ClassVar[str] = "contacts"


def contacts_card(
    lead: str,
    records: Sequence[Mapping[str, Any]],
    office: tuple[str, Sequence[Mapping[str, Any]]] | None,
    lang: str,
) -> ContactsCard:
    """The hotlines to call, then the office's phones (`office`: its name and phones)."""
    numbers, details = [], []
    for rec in records:
        number = str(rec["number"])
        # Named as the text names it: in the reader's language where the name is not translated.
        label = hotline_kind.number_label(cast(hotline_kind.HotlineRecord, rec), lang)
        numbers.append(EmergencyNumber(number, tel(number), label))
        about = local(rec.get("description"), lang)
        details.append(
            f"{number} — {about}" + (f" ({local(rec['hours'], lang)})" if rec.get("hours") else "")
        )
    if office:
        for phone in office[1]:
            numbers.append(
                EmergencyNumber(str(phone["number"]), tel(str(phone["number"])), office[0])
            )
    source = provenance_fields(records[0], lang, "hotlines") if records else {}
    return ContactsCard(lead=lead, numbers=numbers, details=details, **source)


def procedure_card(rec: Mapping[str, Any], lang: str) -> ProcedureCard:
    """Title and summary first; fees, time and validity as facts; documents, steps and deadlines as
    sections (a channel may fold them)."""
    facts = []
    if rec.get("processing_time"):
        facts.append(Field(label("processing_time", lang), local(rec["processing_time"], lang)))
    if rec.get("validity"):
        facts.append(Field(label("validity", lang), local(rec["validity"], lang)))
    sections = []
    for key, numbered in (("documents", True), ("steps", True)):
        if rec.get(key):
            sections.append(Section(t(key, lang), [local(x, lang) for x in rec[key]], numbered))
    if rec.get("fees"):
        items = []
        for fee in rec["fees"]:
            items.append(procedures.fee_text(fee, lang))
        sections.insert(0, Section(t("fees", lang), items))
    if rec.get("deadlines"):
        sections.append(Section(t("deadlines", lang), [local(x, lang) for x in rec["deadlines"]]))
    lead = local(rec["summary"], lang)
    details = [local(rec["who"], lang)] if rec.get("who") else []
    if rec.get("notes"):
        details.append(local(rec["notes"], lang))
    return ProcedureCard(
        lead=lead,
        title=local(rec["title"], lang),
        facts=facts,
        sections=sections,
        links=[
            Source(local(x.get("label"), lang) or x["url"], x["url"])
            for x in rec.get("links") or []
        ],
        details=details,
        **provenance_fields(rec, lang, "procedures"),
    )


def emergency_card(
    intro: str, records: Sequence[Mapping[str, Any]], lang: str, interpreting: str
) -> EmergencyCard:
    """The numbers in the order the emergency needs them; what each does, and the interpreting
    line, behind the details."""
    numbers, details = [], []
    for rec in records:
        number = str(rec["number"])
        # Named as the text names it: in the reader's language where the name is not translated.
        label = hotline_kind.number_label(cast(hotline_kind.HotlineRecord, rec), lang)
        numbers.append(EmergencyNumber(number, tel(number), label))
        about = local(rec.get("description"), lang)
        if rec.get("hours"):
            about += f" ({local(rec['hours'], lang)})"
        details.append(f"{number} — {about}")
    return EmergencyCard(lead=(intro), numbers=numbers, details=[(interpreting), *details])


def fallback_emergency_card(template: str, order: Sequence[str]) -> EmergencyCard:
    """The emergency numbers of the locale's `emergency_fallback` line ("🚨 Ambulance {ambulance} ·
    Police {police} · …", for when the knowledge base cannot be read), in the order `order` (hotline
    categories) needs them."""
    parts = template.strip().lstrip("🚨").split("·")
    numbers = []
    for part in parts:
        found = re.search(r"\{(\w+)\}", part)
        if found and found.group(1) in hotlines_mod.NUMBERS:
            number = hotlines_mod.NUMBERS[found.group(1)]
            label = (part[: found.start()] + part[found.end() :]).strip()
            numbers.append(EmergencyNumber(number, tel(number), label))
    rank = {hotlines_mod.NUMBERS.get(c): i for i, c in enumerate(order)}
    numbers.sort(key=lambda n: rank.get(n.number, len(rank)))
    return EmergencyCard(numbers=numbers)


def faq_card(entry: Mapping[str, Any], lang: str) -> Card:
    answer = entry["answer"]
    lead = answer[lang] if lang in answer else t("faq_in_english", lang) + "\n" + answer["en"]
    return Card(lead=lead, **provenance_fields(entry, lang, "faq"))


def text_card(text: str) -> Card:
    """A reply without structure (an answer built as text only), e.g. to carry the 👍 / 👎."""
    return Card(lead=text)
