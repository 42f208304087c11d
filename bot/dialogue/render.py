"""Render knowledge records as chat answers in the user's language.

Every answer about a place carries its Chinese name and address (for a taxi driver or a counter), and
every answer ends with its provenance (bot/knowledge/provenance.py): what the source says and when, a staff
confirmation only where one was made (else a short "not yet confirmed"), and, when a fact is uncertain,
the fact named and the number to call: the record's own phone, else the hotline of its kind. A Chinese
name or address we translated ourselves is shown as our translation, never as the official one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast

from bot.core import vocab
from bot.dialogue import hours as hours_mod
from bot.dialogue.i18n import catalog, local, name, t, weekday
from bot.knowledge import provenance as prov
from bot.knowledge.queries import Place
from bot.knowledge.records import Phone, Record


def format_days(days: list[str], lang: str) -> str:
    """['mon',...,'sat'] -> 'Mon–Sat'; non-contiguous days are listed."""
    idx = sorted(vocab.WEEKDAYS.index(d) for d in days)
    groups: list[list[int]] = []
    for i in idx:
        if groups and i == groups[-1][-1] + 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    parts = [
        weekday(g[0], lang, short=True)
        if len(g) == 1
        else f"{weekday(g[0], lang, True)}–{weekday(g[-1], lang, True)}"
        for g in groups
    ]
    return ", ".join(parts)


def format_ranges(ranges: list[str]) -> str:
    return ", ".join(r.replace("-", "–") for r in ranges)


def weekly_text(h: dict[str, Any], lang: str) -> str:
    """The weekly schedule alone: 'Mon–Sat 09:00–17:00' (or 'open 24 hours')."""
    if h.get("open_24h"):
        return t("open_24h", lang)
    return "; ".join(
        f"{format_days(rule['days'], lang)} {format_ranges(rule['ranges'])}"
        for rule in h.get("weekly") or []
    )


def format_hours(h: dict[str, Any] | None, lang: str) -> str:
    if not h:
        return t("hours_unknown", lang)
    text = weekly_text(h, lang)
    extra = []
    if h.get("public_holidays") in ("closed", "open") and not h.get("open_24h"):
        extra.append(t(f"public_holidays_{h['public_holidays']}", lang))
    today = hours_mod.now_beijing().date().isoformat()
    for p in h.get("closed_periods", []):
        if p["to"] >= today:
            extra.append(
                t(
                    "closed_period",
                    lang,
                    start=p["from"],
                    end=p["to"],
                    reason=local(p.get("reason"), lang),
                )
            )
    if h.get("note"):
        extra.append(local(h["note"], lang))
    return t("hours", lang, text="; ".join([text, *extra]))


def format_moment(moment: dt.datetime, lang: str, now: dt.datetime) -> str:
    clock = moment.strftime("%H:%M")
    if moment.date() == now.date():
        return clock
    return f"{weekday(moment.weekday(), lang, short=True)} {moment.strftime('%Y-%m-%d')} {clock}"


def format_holiday(h: dict[str, Any] | None, lang: str, holiday: str) -> str:
    """The place's rule for a public holiday asked by name ("open during Spring Festival?"), whatever the
    year's dates: its weekly hours with "closed/open on public holidays" and the closed period staff
    gave for that holiday (its dates, even when past: the latest the sources give); with no rule,
    "I don't have that" (holiday hours) and the regular hours, never a guess."""
    if not h:
        return t("hours_unknown", lang)
    weekly = weekly_text(h, lang)
    policy = h.get("public_holidays", "unknown")
    if h.get("open_24h"):
        rule = [t("public_holidays_open", lang)] if policy == "open" else []
        return t("hours", lang, text="; ".join([weekly, *rule]))
    label = hours_mod.HOLIDAYS.get(holiday)
    periods = [
        p
        for p in h.get("closed_periods", [])
        if label is None
        or label.casefold() in str((p.get("reason") or {}).get("en", "")).casefold()
    ]
    parts = [weekly]
    if policy in ("closed", "open"):
        parts.append(t(f"public_holidays_{policy}", lang))
    parts += [
        t("closed_period", lang, start=p["from"], end=p["to"], reason=local(p.get("reason"), lang))
        for p in periods[-1:]
    ]
    text = t("hours", lang, text="; ".join(parts))
    if policy in ("closed", "open") or periods:
        return text
    return t("fact_unknown", lang, what=name("facet_names", "holiday_hours", lang)) + " " + text


def format_status(h: dict[str, Any] | None, lang: str, when: dt.datetime | None = None) -> str:
    """One sentence: open now / closed and when it opens next."""
    holiday = hours_mod.asked_holiday(when)
    if holiday:
        return format_holiday(h, lang, holiday)
    now = hours_mod.to_beijing(when)
    st = hours_mod.status(h, now)
    nxt = format_moment(st.next_open, lang, now) if st.next_open else None
    if st.reason == "open_24h":
        return t("now_open_24h", lang)
    if st.state == "open":
        return t("now_open", lang, time=st.closes_at.strftime("%H:%M") if st.closes_at else "")
    if st.reason == "hours_unknown":
        return t("now_unknown", lang)
    if st.reason == "holiday_unknown":
        return t("holiday_unknown", lang)
    if st.reason == "lunch_break" and nxt:
        return t("now_lunch", lang, next=nxt)
    if st.reason == "public_holiday" and nxt:
        return t("now_holiday", lang, name=st.holiday_name or "", next=nxt)
    if st.reason == "closed_period" and nxt:
        return t("now_period", lang, reason=local(st.period_reason, lang), next=nxt)
    return t("now_closed", lang, next=nxt) if nxt else t("now_closed_no_next", lang)


def format_day(h: dict[str, Any] | None, lang: str, moment: dt.datetime) -> str:
    """The schedule of one day: 'On Saturday 2026-11-28: open 09:00–17:00.'"""
    if not h:
        return t("hours_unknown", lang)
    holiday = hours_mod.asked_holiday(moment)
    if holiday:
        return format_holiday(h, lang, holiday)
    day = moment.date()
    label = f"{weekday(day.weekday(), lang)} {day.isoformat()}"
    ranges, why = hours_mod.day_ranges(h, day)
    # Closed that day: when it is open instead (its weekly hours), not only "closed".
    regular = " " + t("hours", lang, text=weekly_text(h, lang)) if h.get("weekly") else ""
    if why == "public_holiday":
        text = t("day_holiday", lang, day=label, name=hours_mod.public_holiday(day)[1] or "")
        return text + regular
    if why == "closed_period":
        period = hours_mod._closed_period(h, day) or {}
        return t("day_period", lang, day=label, reason=local(period.get("reason"), lang)) + regular
    if not ranges:
        return t("day_closed", lang, day=label) + regular
    text = t(
        "day_open",
        lang,
        day=label,
        ranges=", ".join(f"{s.strftime('%H:%M')}–{e.strftime('%H:%M')}" for s, e in ranges),
    )
    if why == "holiday_unknown":
        text += " " + t("holiday_unknown", lang)
    return text


# Thousands separators as each language writes them (a comma is a decimal mark in ru/fr/de/es).
THOUSANDS = {"ru": "\u202f", "fr": "\u202f", "de": ".", "es": "."}


def format_amount(amount: float, lang: str) -> str:
    text = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    sep = THOUSANDS.get(lang)
    if sep:
        text = text.replace(",", "\0").replace(".", "," if sep == "." else ".").replace("\0", sep)
    return text


def format_phones(phones: Sequence[Phone], lang: str) -> str:
    parts = []
    for p in phones:
        lab = local(p.get("label"), lang)
        parts.append(f"{p['number']} ({lab})" if lab else p["number"])
    return "; ".join(parts)


# The reference's source tags, said in the reader's language.
SOURCE_KIND_KEYS = {
    "OFF": "source_kind_official",
    "MEDIA": "source_kind_media",
    "3P": "source_kind_third",
}
SOURCE_TAG_RE = re.compile(r"\s*\[(?:OFF|MEDIA|3P)\??\]")


def source_kind(source: str, lang: str) -> str | None:
    """What kind of site a source is ("official", "news", "third party"), from its tag; None untagged."""
    key = SOURCE_KIND_KEYS.get(prov.source_type(source) or "")
    return t(key, lang) if key else None


def source_in_words(source: str, lang: str) -> str:
    """The source with its tag said in words: "x.gov.cn/a.html [OFF]" -> "x.gov.cn/a.html (official)".
    The tags ([OFF], [MEDIA], [3P]) are the research files' shorthand and mean nothing to a reader."""
    kind = source_kind(source, lang)
    if not kind:
        return source
    said = t("source_kind_tag", lang, kind=kind)
    return SOURCE_TAG_RE.sub(lambda _: said, source, count=1)


_DATE_CLAUSES = re.compile(r"(\s*[;/]\s*)")
_LATIN_WORD = re.compile(r"[A-Za-z]")


@cache
def _date_words(lang: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """The catalogue's `source_date_words` of `lang` as one pattern (longest phrase first)."""
    words = {
        str(k).casefold(): str(v) for k, v in (catalog(lang).get("source_date_words") or {}).items()
    }
    if lang == "en" or not words:
        return None
    alternatives = "|".join(re.escape(k) for k in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE), words


def source_date_in_words(date: str, lang: str) -> str:
    """A record's `source_date` (free English text staff write: "undated (current pages); fees 2020") in
    `lang`, clause by clause: a clause whose every word the catalogue's `source_date_words` holds is
    translated ("non datée (pages actuelles) ; frais 2020"); a clause with any other word stays as staff
    wrote it, rather than half translated. Dates and years are kept as they are."""
    found = _date_words(lang)
    if found is None:
        return date
    pattern, words = found
    parts = _DATE_CLAUSES.split(date)
    for i in range(0, len(parts), 2):  # the clauses; odd indexes are the separators
        clause = parts[i]
        if _LATIN_WORD.search(pattern.sub("", clause)):
            continue
        parts[i] = pattern.sub(lambda m: words[m.group(0).casefold()], clause)
    return "".join(parts)


def provenance(
    record: Record, lang: str, kind: str | None = None, reasons: bool | None = None
) -> list[str]:
    """Uncertainty warning, source and date, staff confirmation (or its absence), translation note.

    `kind` (service_points, procedures, ...) chooses the hotline to confirm with when the record has no
    phone of its own; without it the city hotline 12345 is named, never the immigration hotline.
    `reasons`: whether staff's (English) reasons follow the fields named; default in English only
    (`doubted_fields`), also after a text shown in English for want of a translation."""
    lines = []
    unc = record.get("uncertain") or {}
    if unc:
        what = "; ".join(doubted_fields(unc, lang, reasons))
        lines.append(
            t("uncertain", lang, text=what, hotline=prov.confirm_phone(kind or "", record))
        )
    sources = list(record.get("source") or [])
    # Pages a reader can open first; the research file (which names only a site) last.
    sources.sort(key=prov.is_research_file)
    shown = "; ".join(source_in_words(s, lang) for s in sources[:2]) + (
        " …" if len(sources) > 2 else ""
    )
    date = record.get("source_date")
    lines.append(
        t("source_dated", lang, text=shown, date=source_date_in_words(str(date), lang))
        if date
        else t("source_undated", lang, text=shown)
    )
    return lines + review_lines(record, lang)


def doubted_fields(
    uncertain: Mapping[str, Any], lang: str, reasons: bool | None = None
) -> list[str]:
    """The uncertain fields as the ⚠ line names them: with staff's reason in English; in another
    language by their names only, each once (the reasons are staff's English notes, which no translation
    overlay holds: an English sentence inside a French or Arabic answer is not read; the catalogue's
    "Not confirmed ... confirm by phone" line says the rest in the user's language)."""
    if lang == "en" if reasons is None else reasons:
        return [f"{field_label(field, lang)} ({reason})" for field, reason in uncertain.items()]
    return list(dict.fromkeys(field_label(field, lang) for field in uncertain))


def review_lines(record: Mapping[str, Any], lang: str) -> list[str]:
    """Whether staff confirmed the record (and who, when), and the note when its texts in `lang` are
    a machine translation: the end of every provenance, long or short."""
    if prov.is_confirmed(record):
        lines = [t("confirmed", lang, office=record["verified_by"], date=record["verified_on"])]
    else:
        lines = [t("not_confirmed", lang)]
    if lang in (record.get("machine_translated") or []):
        lines.append(t("machine_translated", lang))
    return lines


def faq_entry(entry: Mapping[str, Any], lang: str) -> str:
    """A questions-and-answers entry: the answer in `lang` (or in English after a lead-in saying so),
    then its provenance as every other kind shows it (`provenance`): what is uncertain, named by field,
    with the hotline of the entry's topic, the source and its date, and that no staff member has
    confirmed it."""
    answer = entry["answer"]
    lines = [answer[lang]] if lang in answer else [t("faq_in_english", lang), answer["en"]]
    # Staff's English reasons beside an English answer (no translation yet), not inside a translated one.
    lines += provenance(cast(Record, entry), lang, "faq", reasons=lang not in answer or None)
    return "\n".join(lines)


def faq_question(entry: Mapping[str, Any], lang: str) -> str:
    """The entry's first sample question in `lang` (English, or any, when it has none): a button title."""
    questions = entry["questions"]
    return str((questions.get(lang) or questions.get("en") or next(iter(questions.values())))[0])


def field_label(field: str, lang: str) -> str:
    """The name of a field as users read it; an item of a list keeps its number ("steps 2")."""
    top = field.split(".", 1)[0]
    base, _, rest = top.partition("[")
    label = name("fields", base, lang)
    return f"{label} {rest.split(']', 1)[0]}" if rest else label


def zh_text(record: Mapping[str, Any], path: str, text: str, lang: str) -> str:
    """A Chinese text of the record, marked when we translated it ourselves."""
    return t("our_translation", lang, text=text) if prov.is_translated(record, path) else text


def zh_name(record: Mapping[str, Any], lang: str) -> str:
    """The Chinese name, marked when it is our translation (for headings that show it in brackets)."""
    return (
        zh_text(record, "name.zh", record["name"]["zh"], lang) if record["name"].get("zh") else ""
    )


def address_lines(
    address: dict[str, str] | None, lang: str, record: Mapping[str, Any], path: str
) -> list[str]:
    if not address:
        return [t("address_unknown", lang)]
    lines = []
    translated = prov.is_translated(record, f"{path}.zh")
    if lang == "zh":
        # One line: the Chinese address is the address (marked when it is our translation).
        return [
            t("address_zh_translated" if translated else "address_zh", lang, text=address["zh"])
        ]
    lines.append(t("address", lang, text=local(address, lang)))
    if translated:
        # Not for the driver: a translation may not be what is written on the building.
        lines.append(t("address_zh_translated", lang, text=address["zh"]))
    else:
        lines.append(t("address_zh", lang, text=address["zh"]))
    return lines


def _name_lines(record: Mapping[str, Any], lang: str, path: str = "name") -> list[str]:
    names = prov.resolve(record, path)
    main = local(names, lang)
    zh = names.get("zh")
    if zh and main == zh:
        return [f"📍 {zh_text(record, f'{path}.zh', zh, lang)}"]
    lines = [f"📍 {main}"]
    if zh:
        lines.append(zh_text(record, f"{path}.zh", zh, lang))
    return lines


def _distance_line(place: Place[Any], lang: str) -> list[str]:
    if place.distance_km is None:
        return []
    km = f"{place.distance_km:.0f}" if place.distance_km >= 10 else f"{place.distance_km:.1f}"
    return [t("distance_approx" if place.approximate else "distance", lang, km=km)]


def district_name(code: str, lang: str) -> str:
    return name("districts", code, lang)


def _location_lines(rec: Mapping[str, Any], lang: str, district: str | None) -> list[str]:
    lines: list[str] = []
    locs = list(enumerate(rec["locations"], 1))
    if district:
        locs = sorted(locs, key=lambda il: il[1].get("district") != district)
    for i, loc in locs:
        head = local(loc.get("name"), lang) if loc.get("name") else None
        dname = district_name(loc["district"], lang) if loc.get("district") else None
        if head or (dname and len(locs) > 1):
            lines.append("• " + " · ".join(x for x in (head, dname) if x))
        lines += address_lines(loc.get("address"), lang, rec, f"locations[{i}].address")
        if loc.get("phones"):
            lines.append(t("phone", lang, text=format_phones(loc["phones"], lang)))
    return lines


# Each kind's renderer is in its module in bot/knowledge/kinds/ (`render`); the old names still work.
_MOVED = {
    "service_point": ("service_points", "render"),
    "service_points_intro": ("service_points", "intro"),
    "procedure": ("procedures", "render"),
    "school": ("schools", "render"),
    "hospital": ("hospitals", "render"),
    "hotline": ("hotlines", "render"),
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        module, attr = _MOVED[name]
        return getattr(importlib.import_module(f"bot.knowledge.kinds.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
