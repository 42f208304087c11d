"""The pieces every kind's `facet_text` uses: one fact of a record, in the user's language, with the doubts
staff marked on it (issue 13).

A facet is what a question asks about a record (the NLU entity `facet`: address, hours, phone, fee, ...).
Each kind (bot/knowledge/kinds/) says which facets its records can hold (`FACETS`) and writes the fact in one
or two sentences (`facet_text(record, facet, lang, when=None)`), or returns None when the record does not
hold it: the answer then says so honestly instead of sending the whole page. Texts come from the record
(translations already merged by the loader) and labels from bot/locales/<lang>.yml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.core import vocab
from bot.dialogue.i18n import local, t
from bot.dialogue.render import address_lines, district_name, field_label, format_phones
from bot.knowledge import provenance as prov

#: Every facet of the NLU contract.
ALL_FACETS: frozenset[str] = frozenset(vocab.FACETS)
#: Facets asked of places that no record holds (parking, a school bus, meals, doctors' names and
#: specialties): always answered "I don't have that", with whom to ask, even beside facts shown.
UNHELD: frozenset[str] = frozenset(vocab.UNHELD_FACETS)


def marked_doubts(record: Mapping[str, Any], fields: Iterable[str]) -> list[tuple[str, str]]:
    """The record's uncertain marks (key, staff's reason) on `fields`: top-level fields, so that
    "steps[2]" and "address.zh" count for steps and address."""
    wanted = set(fields)
    return [
        (key, reason)
        for key, reason in (record.get("uncertain") or {}).items()
        if key.split(".", 1)[0].split("[", 1)[0] in wanted
    ]


def doubts(kind: str, record: Mapping[str, Any], fields: Iterable[str], lang: str) -> str | None:
    """The ⚠ line for the uncertain marks on `fields` (top-level fields; "steps[2]" counts for steps)."""
    marked = marked_doubts(record, fields)
    if not marked:
        return None
    # The reasons are staff's English notes: said in English only (a Chinese or Korean answer names the
    # doubted facts; "More details" has the page with every reason).
    what = "; ".join(
        f"{field_label(key, lang)} ({reason})" if lang == "en" else field_label(key, lang)
        for key, reason in marked
    )
    return t("uncertain", lang, text=what, hotline=prov.confirm_phone(kind, record))


def with_doubts(
    text: str | None, kind: str, record: Mapping[str, Any], fields: Iterable[str], lang: str
) -> str | None:
    """`text` followed by the doubts on `fields`; None stays None (nothing to doubt)."""
    if text is None:
        return None
    warning = doubts(kind, record, fields, lang)
    return f"{text}\n{warning}" if warning else text


def numbered(items: Sequence[dict[str, str]], lang: str) -> str:
    return "\n".join(f"{i}. {local(x, lang)}" for i, x in enumerate(items, 1))


def location_addresses(record: Mapping[str, Any], lang: str) -> str | None:
    """The addresses of a school's or hospital's locations (Chinese for the driver); None when none is known."""
    lines: list[str] = []
    locations = list(enumerate(record.get("locations") or [], 1))
    known = [(i, loc) for i, loc in locations if loc.get("address")]
    if not known:
        return None
    for i, loc in known:
        if len(locations) > 1:
            head = local(loc.get("name"), lang) if loc.get("name") else None
            dname = district_name(loc["district"], lang) if loc.get("district") else None
            if head or dname:
                lines.append("• " + " · ".join(x for x in (head, dname) if x))
        lines += address_lines(loc["address"], lang, record, f"locations[{i}].address")
    return "\n".join(lines)


def all_phones(record: Mapping[str, Any], lang: str) -> str | None:
    """The record's phones and its locations' phones; None when it has none."""
    phones = list(record.get("phones") or [])
    for loc in record.get("locations") or []:
        phones += [p for p in loc.get("phones") or [] if p not in phones]
    return t("phone", lang, text=format_phones(phones, lang)) if phones else None


def web_and_email(record: Mapping[str, Any], lang: str) -> str | None:
    """A place's web address and e-mail (the `website` facet: "their website?", "email for admissions");
    None when it has neither."""
    lines = [t(key, lang, text=record[key]) for key in ("website", "email") if record.get(key)]
    return "\n".join(lines) or None


def located_fact(
    record: Mapping[str, Any], facet: str, lang: str
) -> tuple[str | None, tuple[str, ...]] | None:
    """A located record's (a school's, a hospital's) address or phone over its locations, or its web
    address and e-mail, and the fields its doubts are marked on; None for any other facet (the kind's
    own `facet_text` writes it)."""
    if facet == "address":
        return location_addresses(record, lang), ("locations",)
    if facet == "phone":
        return all_phones(record, lang), ("phones", "locations")
    if facet == "website":
        return web_and_email(record, lang), ("website", "email")
    return None


def facets_of(kind: str) -> frozenset[str]:
    """The facets records of `kind` can hold (empty for a kind without facet facts, or no kind)."""
    from bot.knowledge.kinds import KINDS  # the kinds' modules import this one

    found = KINDS.get(kind)
    return found.facets if found else frozenset()


def fact(
    kind: str, record: Mapping[str, Any], facet: str, lang: str, when: Any = None
) -> str | None:
    """The kind's `facet_text`: the one fact `facet` of `record`, or None when the record (or its kind)
    does not hold it."""
    from bot.knowledge.kinds import KINDS

    found = KINDS.get(kind)
    if found is None or found.facet_text is None or facet not in found.facets:
        return None
    return found.facet_text(record, facet, lang, when)
