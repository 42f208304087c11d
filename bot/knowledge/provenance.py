"""Provenance rules shared by validation and answers, for every kind of knowledge record.

Three separate things are recorded, and answers never mix them up:

* what a source says and when: ``source`` (page addresses or document titles, each tagged [OFF], [MEDIA]
  or [3P]) and ``source_date``;
* a staff confirmation: ``verified_on`` together with ``verified_by``, written only by the person who
  checked the record (for example by phone);
* which Chinese texts we translated ourselves: ``translated`` lists field paths (``name.zh``,
  ``address.zh``, ``locations[1].address.zh``); answers present them as our translation, never as the
  official name or address.

A new kind of record gets all of this from the common fields (``schema.COMMON``); it only has to say,
in its ``Kind.confirm_hotline`` (bot/knowledge/kinds/), which hotline answers for it when the record has
no phone of its own (12345 when it says nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core import hotlines

IMMIGRATION_HOTLINE = hotlines.IMMIGRATION
CITY_HOTLINE = hotlines.CITY

# "english.beijing.gov.cn/livinginbeijing/..." or "https://...": a host name followed by a path.
PAGE_ADDRESS_RE = re.compile(
    r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/[^\s\]]*[a-z0-9?=&_%-][^\s\]]*", re.I
)
# A document title in quotes: "A Guide to Working and Living in China (2024)", “...”, «...», 《...》.
TITLE_RE = re.compile(r"\"[^\"]{3,}\"|“[^”]{3,}”|«[^»]{3,}»|《[^》]{2,}》")
# The source type as the reference writes it: [OFF], [MEDIA], [3P], also "[3P – university page]",
# "[OFF via mirror]". "[OFF?]" (official origin not proven) counts as third party.
TAG_RE = re.compile(r"\[(OFF|MEDIA|3P)(\?)?(?=[\s\]\-–,;/])")
OFFICIAL = "OFF"

# The research files as citable documents, for the facts they cite by a site or outlet name only
# (written: <research file>, which names only: <what it names> [tag]). Answers list them last.
RESEARCH_FILE = (
    '"Beijing reference facts for foreign residents" (research file beijing_facts.md, 2026-11-22)'
)
RESEARCH_ADDITIONS = (
    '"Beijing reference facts - additions" (research file beijing_facts_additions.md, 2026-12-06)'
)


def is_research_file(source: str) -> bool:
    """A citation of our research files rather than of a page a reader can open."""
    return source.startswith((RESEARCH_FILE, RESEARCH_ADDITIONS))


NAMES_ONLY = ", which names only: "


def named_in_research_file(source: str) -> str | None:
    """What a research-file citation names ("beijing-kids [3P]"), the short form of the source for a
    reader; None for other sources."""
    if not is_research_file(source) or NAMES_ONLY not in source:
        return None
    return source.split(NAMES_ONLY, 1)[1].strip() or None


def source_type(source: str) -> str | None:
    """OFF, MEDIA or 3P from the source's tag; None when the tag is missing."""
    m = TAG_RE.search(source)
    if not m:
        return None
    return "3P" if m.group(2) else m.group(1)


def is_citable(source: str) -> bool:
    """True when a person can find the source again: it gives a page address or a document title."""
    return bool(PAGE_ADDRESS_RE.search(source) or TITLE_RE.search(source))


def third_party_only(sources: list[str]) -> bool:
    """True when no source of a record is official ([OFF]): every fact rests on media or third parties."""
    return bool(sources) and all(source_type(s) != OFFICIAL for s in sources)


def is_confirmed(record: Mapping[str, Any]) -> bool:
    """True only when a named person or office confirmed the record on a date."""
    return bool(record.get("verified_on") and record.get("verified_by"))


# ------------------------------------------------------------------------------ translated paths

PATH_PART_RE = re.compile(r"([a-z_][a-z0-9_]*)((?:\[\d+\])*)")


def resolve(record: Any, path: str) -> Any:
    """The value at ``locations[1].address.zh`` (1-based indexes, as validate prints them);
    raises KeyError when the path does not lead to a value."""
    node = record
    for part in path.split("."):
        m = PATH_PART_RE.fullmatch(part)
        if not m or not isinstance(node, dict) or m.group(1) not in node:
            raise KeyError(path)
        node = node[m.group(1)]
        for index in re.findall(r"\[(\d+)\]", m.group(2)):
            i = int(index) - 1
            if not isinstance(node, list) or not 0 <= i < len(node):
                raise KeyError(path)
            node = node[i]
    return node


def is_translated(record: Mapping[str, Any], path: str) -> bool:
    return path in (record.get("translated") or [])


# ------------------------------------------------------------------------------ whom to call


def _own_phone(record: Mapping[str, Any]) -> str | None:
    """The record's own phone, unless its phones are themselves marked uncertain."""
    unc = record.get("uncertain") or {}
    if record.get("phones") and "phones" not in unc:
        return str(record["phones"][0]["number"])
    if "locations" not in unc and not any(k.startswith("locations") for k in unc):
        for loc in record.get("locations") or []:
            if loc.get("phones"):
                return str(loc["phones"][0]["number"])
    return None


def ask_phone(kind: str, record: Mapping[str, Any]) -> str:
    """Who to ask about a fact the knowledge base does not hold (issue 13, honest gaps): the place itself.
    Its own phone, even one staff marked uncertain, then the hotline its kind names as well ("5927 7000 /
    12345"); a record with no phone of its own: that hotline (`confirm_phone`)."""
    sure = _own_phone(record)
    if sure:
        return sure
    hotline = confirm_phone(kind, record)
    number = next(iter(_any_phones(record)), None)
    return f"{number} / {hotline}" if number and number != hotline else hotline


def _any_phones(record: Mapping[str, Any]) -> list[str]:
    """Every phone the record holds, its own first, then its locations' (whatever staff marked uncertain)."""
    found = [str(p["number"]) for p in record.get("phones") or [] if p.get("number")]
    for loc in record.get("locations") or []:
        found += [str(p["number"]) for p in loc.get("phones") or [] if p.get("number")]
    return found


def confirm_phone(kind: str, record: Mapping[str, Any]) -> str:
    """The number to call to confirm an uncertain fact: the record's own phone, else the hotline its
    kind names (`Kind.confirm_hotline` in bot/knowledge/kinds/), else the city hotline 12345. Schools
    and hospitals are not immigration matters: they are never sent to 12367."""
    from bot.knowledge.kinds import KINDS  # here: the kinds import the schema, which imports this

    own = _own_phone(record)
    if own:
        return own
    registered = KINDS.get(kind)
    rule = registered.confirm_hotline if registered else None
    return rule(record) if rule else CITY_HOTLINE
