"""Validation of knowledge records read from YAML.

Each problem names the file, the line and the field, with a plain-language fix, so that staff who are not
programmers can correct the file themselves. Validation collects every problem instead of stopping at
the first one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core import vocab
from bot.knowledge import provenance, yamlio

MAX_MESSAGE_CHARS = 2000  # a backstop: values are quoted with q(), lists of choices cut at 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class Checker:
    """Collects problems for one file while records are checked."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int | None, path: str, message: str) -> None:
        if (
            len(message) > MAX_MESSAGE_CHARS
        ):  # values are quoted with q(); this bounds everything else
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        if len(path) > MAX_MESSAGE_CHARS:
            path = path[: MAX_MESSAGE_CHARS - 1] + "…"
        self.problems.append(Problem(self.file, line, path, message))


def line_of(node: Any, key: Any = None, default: int | None = None) -> int | None:
    """1-based line of a ruamel node, or of one key/item inside it."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        if key is None:
            return lc.line + 1
        if isinstance(key, int):
            return lc.item(key)[0] + 1
        return lc.key(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return lc.line + 1 if lc.line is not None else default


MAX_QUOTED_CHARS = 60
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, MAX_QUOTED_CHARS, MAX_QUOTED_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4


def parse_yaml(text: str, checker: Checker) -> yamlio.Document | None:
    """The parsed file, or None after reporting its syntax error on `checker` (line and a hint): the one
    way record files and translation files are read."""
    try:
        return yamlio.load(text)
    except yamlio.YamlSyntaxError as exc:
        checker.error(
            exc.line,
            "",
            f"YAML syntax error: {exc.message} (check indentation, colons and quotes)",
        )
        return None


def q(value: Any, quote: bool = True) -> str:
    """`value` quoted for an error message, at most about 60 characters however large it is.

    reprlib stops at a small depth and width, so a value built from nested YAML aliases (each level
    repeating the one below) costs nothing to quote.
    """
    text = value if isinstance(value, str) else _REPR.repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
    return f"'{text}'" if quote else text


def _suggest(value: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(value)[:100], list(choices), n=1, cutoff=0.6)
    return f": did you mean {close[0]}?" if close else ""


def _choices(choices: Any) -> str:
    items = list(choices)
    return ", ".join(items) if len(items) <= 20 else ", ".join(items[:20]) + ", ..."


# --------------------------------------------------------------------------------------------
# Field checkers. Each returns the cleaned value (plain Python types) or None after reporting.
# --------------------------------------------------------------------------------------------

Check = Callable[[Checker, Any, str, "int | None"], Any]

ID_RE = re.compile(r"^[a-z0-9_]+$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{1,22}( ext\.? ?[0-9]+)?$")
TIME_RANGE_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
DAY_RANGE_RE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$")


# Knowledge texts are answers in a chat: the longest written so far is under 1,000 characters.
MAX_TEXT_CHARS = 4000
# Control characters (ESC, BEL, NUL, ...) would reach the clients raw; newline and tab are text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be published (None when it can): too long, or a control character in it."""
    if len(text) > MAX_TEXT_CHARS:
        return f"is {len(text)} characters long; keep it under {MAX_TEXT_CHARS}"
    bad = _CONTROL_RE.search(text)
    if bad:
        return (
            f"contains the control character U+{ord(bad.group()):04X} at position {bad.start() + 1}"
            " (often pasted from a terminal or a Word file): delete it"
        )
    return None


def check_str(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    if isinstance(v, str) and v.strip():
        problem = text_problem(v)
        if problem:
            c.error(line, path, problem)
            return None
        return v.strip()
    c.error(line, path, "must be a non-empty text")
    return None


def check_id(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    if isinstance(v, str) and ID_RE.match(v):
        return v
    c.error(
        line,
        path,
        f"{q(v)} is not a valid id: use lowercase letters, digits and _ (e.g. chaoyang_exit_entry_hall)",
    )
    return None


def check_local_text(c: Checker, v: Any, path: str, line: int | None) -> dict[str, str] | None:
    if not isinstance(v, dict):
        c.error(line, path, "must be texts by language, e.g. {en: English text, zh: 中文}")
        return None
    out: dict[str, str] = {}
    for lang, text in v.items():
        if lang not in vocab.LANGUAGES:
            if text is None and isinstance(lang, str) and (len(lang) > 3 or not lang.isalpha()):
                # {en: IB PYP, MYP and DP}: the comma ended the text and began a new "key".
                c.error(
                    line_of(v, lang, line),
                    path,
                    f'the text is cut at a comma before {q(lang)}: put the whole text in double quotes, e.g. {{en: "..., {q(lang, quote=False)}"}}',
                )
            else:
                c.error(
                    line_of(v, lang, line),
                    f"{path}.{lang}",
                    f"unknown language code {q(lang)}{_suggest(lang, vocab.LANGUAGES)} (use {_choices(vocab.LANGUAGES)})",
                )
            continue
        if not isinstance(text, str) or not text.strip():
            c.error(line_of(v, lang, line), f"{path}.{lang}", "must be a non-empty text")
            continue
        problem = text_problem(text)
        if problem:
            c.error(line_of(v, lang, line), f"{path}.{lang}", problem)
            continue
        out[lang] = text.strip()
    if "en" not in out and "en" not in v:
        c.error(line, f"{path}.en", "the English text is missing")
    return out if "en" in out else None


def check_address(c: Checker, v: Any, path: str, line: int | None) -> dict[str, str] | None:
    if v is None:
        return None
    out = check_local_text(c, v, path, line)
    if out is not None and "zh" not in out:
        c.error(
            line, f"{path}.zh", "the Chinese address is missing (it is what a taxi driver reads)"
        )
    return out


def check_date(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()).isoformat()
        except ValueError:
            pass
    c.error(line, path, f"{q(v)} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-22")
    return None


def check_bool(c: Checker, v: Any, path: str, line: int | None) -> bool | None:
    if isinstance(v, bool):
        return v
    c.error(line, path, f"{q(v)} must be true or false")
    return None


def check_optional_bool(c: Checker, v: Any, path: str, line: int | None) -> bool | None:
    if v is None:
        return None
    return check_bool(c, v, path, line)


def check_int_or_null(c: Checker, v: Any, path: str, line: int | None) -> int | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 120:
        return v
    c.error(line, path, f"{q(v)} must be a whole number of years (or null when unknown)")
    return None


def one_of(choices: Any, what: str, nullable: bool = False) -> Check:
    def check(c: Checker, v: Any, path: str, line: int | None) -> Any:
        if v is None and nullable:
            return None
        if isinstance(v, str) and v in choices:
            return v
        c.error(
            line,
            path,
            f"{what} {q(v)} is unknown{_suggest(v, choices)} (use one of: {_choices(choices)})",
        )
        return None

    return check


def list_of(item: Check, non_empty: bool = False) -> Check:
    def check(c: Checker, v: Any, path: str, line: int | None) -> list[Any] | None:
        if v is None and not non_empty:
            return []
        if not isinstance(v, list):
            c.error(line, path, "must be a list (lines starting with '- ')")
            return None
        if non_empty and not v:
            c.error(line, path, "must list at least one entry")
            return None
        out = []
        for i, x in enumerate(v):
            cleaned = item(c, x, f"{path}[{i + 1}]", line_of(v, i, line))
            if cleaned is not None:
                out.append(cleaned)
        return out

    return check


def check_source(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    """One source: a page address or a document title, and its type tag."""
    text = check_str(c, v, path, line)
    if text is None:
        return None
    if not provenance.is_citable(text):
        c.error(
            line,
            path,
            f"'{text}' gives no page address or document title: write the address of the page "
            "(e.g. english.beijing.gov.cn/livinginbeijing/lossofpassports/index.html) or the "
            'document\'s title in quotes (e.g. "A Guide to Working and Living in China (2024)")',
        )
        return None
    if provenance.source_type(text) is None:
        c.error(
            line,
            path,
            f"'{text}' does not say what kind of source it is: end it with [OFF] (official site), "
            "[MEDIA] (news media) or [3P] (anyone else)",
        )
        return None
    return text


def check_sources(c: Checker, v: Any, path: str, line: int | None) -> list[str] | None:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v:
        c.error(line, path, "every record needs at least one source (web address or page title)")
        return None
    return list_of(check_source)(c, v, path, line)


def check_source_date(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()[:10]
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    return check_str(c, v, path, line)


def check_verified_on(c: Checker, v: Any, path: str, line: int | None) -> str | None:
    day = check_date(c, v, path, line)
    if day and day > dt.date.today().isoformat():
        c.error(line, path, f"{day} is in the future: write the day the record was confirmed")
        return None
    return day


MAX_ALIAS_CHARS = 120


def check_aliases(c: Checker, v: Any, path: str, line: int | None) -> list[str] | None:
    """Other names people use for a record ("Andingmen hall", "WAB", "和睦家"), in any language: a list
    of short texts, never translated (bot/knowledge/names.py recognises them in messages)."""
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        c.error(
            line, path, 'must be a list of names, e.g. aliases: [WAB, "Andingmen hall", 和睦家]'
        )
        return None
    out: list[str] = []
    for i, item in enumerate(v):
        ipath, iline = f"{path}[{i + 1}]", line_of(v, i, line)
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        text = check_str(c, item, ipath, iline)
        if text is None:
            continue
        if len(text) > MAX_ALIAS_CHARS:
            c.error(
                iline, ipath, f"is {len(text)} characters long; a name is at most {MAX_ALIAS_CHARS}"
            )
            continue
        if len(text) < 2:
            c.error(
                iline,
                ipath,
                f"{q(text)} is too short to recognise as a name (2 characters at least)",
            )
            continue
        if text.casefold() in (x.casefold() for x in out):
            c.error(iline, ipath, f"{q(text)} is listed twice")
            continue
        out.append(text)
    return out


def check_field_paths(c: Checker, v: Any, path: str, line: int | None) -> list[str] | None:
    if not isinstance(v, list):
        c.error(line, path, "must be a list of field paths, e.g. [name.zh, address.zh]")
        return None
    return [str(x).strip() for x in v]


def check_phone(c: Checker, v: Any, path: str, line: int | None) -> dict[str, Any] | None:
    if not isinstance(v, dict) or "number" not in v:
        c.error(line, path, 'must be {number: "010-8402 0101", label: {en: ..., zh: ...}}')
        return None
    number = v.get("number")
    nline = line_of(v, "number", line)
    if not isinstance(number, str | int) or not PHONE_RE.match(str(number).strip()):
        c.error(
            nline,
            f"{path}.number",
            f"phone {q(number)} must look like 010-8402 0101 or +86 10 8402 0101 (digits, spaces, hyphens)",
        )
        return None
    out: dict[str, Any] = {"number": str(number).strip()}
    if v.get("label") is not None:
        out["label"] = check_local_text(c, v["label"], f"{path}.label", line_of(v, "label", line))
    _unknown_keys(c, v, {"number", "label"}, path, line)
    return out


def check_coordinates(c: Checker, v: Any, path: str, line: int | None) -> dict[str, float] | None:
    if v is None:
        return None
    if not isinstance(v, dict) or not {"lat", "lon"} <= set(v):
        c.error(line, path, "must be {lat: 39.95, lon: 116.41}")
        return None
    lat, lon = v["lat"], v["lon"]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (lat, lon)):
        c.error(line, path, "lat and lon must be numbers, e.g. {lat: 39.95, lon: 116.41}")
        return None
    (lat_lo, lat_hi), (lon_lo, lon_hi) = vocab.BEIJING_BOUNDS["lat"], vocab.BEIJING_BOUNDS["lon"]
    if not (lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi):
        hint = (
            " (latitude and longitude swapped?)"
            if lat_lo <= lon <= lat_hi and lon_lo <= lat <= lon_hi
            else ""
        )
        c.error(line, path, f"lat {lat}, lon {lon} is outside Beijing{hint}")
        return None
    return {"lat": float(lat), "lon": float(lon)}


def _minutes(h: str, m: str) -> int:
    return int(h) * 60 + int(m)


def check_days(c: Checker, v: Any, path: str, line: int | None) -> list[str] | None:
    items = v if isinstance(v, list) else [v]
    days: list[str] = []
    for item in items:
        m = DAY_RANGE_RE.match(str(item).strip().lower()) if isinstance(item, str) else None
        if not m:
            c.error(
                line,
                path,
                f"{q(item)} is not a day or day range: write mon-fri, sat, or [mon, wed]",
            )
            return None
        start = vocab.WEEKDAYS.index(m.group(1))
        end = vocab.WEEKDAYS.index(m.group(2) or m.group(1))
        if end < start:
            c.error(
                line, path, f"{q(item)} goes backwards: write the earlier day first, e.g. mon-sat"
            )
            return None
        days.extend(d for d in vocab.WEEKDAYS[start : end + 1] if d not in days)
    return days


def check_ranges(c: Checker, v: Any, path: str, line: int | None) -> list[str] | None:
    if not isinstance(v, list) or not v:
        c.error(line, path, 'must list opening times, e.g. ["09:00-12:00", "13:30-17:00"]')
        return None
    out, last_end = [], -1
    for i, r in enumerate(v):
        m = TIME_RANGE_RE.match(r.strip()) if isinstance(r, str) else None
        valid = (
            m is not None
            and int(m.group(1)) < 24
            and int(m.group(3)) <= 24
            and int(m.group(2)) < 60
            and int(m.group(4)) < 60
        )
        if not valid or not m:
            c.error(
                line_of(v, i, line),
                f"{path}[{i + 1}]",
                f'hours {q(r, quote=False)} is not a time range: write it as "09:00-17:00"',
            )
            return None
        start, end = _minutes(m.group(1), m.group(2)), _minutes(m.group(3), m.group(4))
        if end <= start:
            c.error(
                line_of(v, i, line),
                f"{path}[{i + 1}]",
                f"hours {q(r, quote=False)} ends before it starts",
            )
            return None
        if start < last_end:
            c.error(
                line_of(v, i, line),
                f"{path}[{i + 1}]",
                f"hours {q(r, quote=False)} overlaps the previous range; list ranges in order",
            )
            return None
        last_end = end
        out.append(r.strip())
    return out


def check_hours(c: Checker, v: Any, path: str, line: int | None) -> dict[str, Any] | None:
    if v is None:
        return None
    if not isinstance(v, dict):
        c.error(
            line,
            path,
            "must describe opening hours (see knowledge/README.md), or be null when unknown",
        )
        return None
    _unknown_keys(
        c, v, {"weekly", "open_24h", "public_holidays", "closed_periods", "note"}, path, line
    )
    out: dict[str, Any] = {
        "open_24h": False,
        "weekly": [],
        "public_holidays": "unknown",
        "closed_periods": [],
    }
    if "open_24h" in v:
        out["open_24h"] = (
            check_bool(c, v["open_24h"], f"{path}.open_24h", line_of(v, "open_24h", line)) or False
        )
    weekly = v.get("weekly")
    if not out["open_24h"]:
        wline = line_of(v, "weekly", line)
        if not isinstance(weekly, list) or not weekly:
            c.error(
                wline, f"{path}.weekly", "list the opening days and times, or set open_24h: true"
            )
        else:
            seen: set[str] = set()
            for i, rule in enumerate(weekly):
                rpath, rline = f"{path}.weekly[{i + 1}]", line_of(weekly, i, wline)
                if not isinstance(rule, dict) or "days" not in rule or "ranges" not in rule:
                    c.error(
                        rline,
                        rpath,
                        'each entry needs days and ranges, e.g. {days: mon-fri, ranges: ["09:00-17:00"]}',
                    )
                    continue
                days = check_days(c, rule["days"], f"{rpath}.days", line_of(rule, "days", rline))
                ranges = check_ranges(
                    c, rule["ranges"], f"{rpath}.ranges", line_of(rule, "ranges", rline)
                )
                if days and ranges:
                    twice = seen.intersection(days)
                    if twice:
                        c.error(
                            rline,
                            f"{rpath}.days",
                            f"{', '.join(sorted(twice))} already has hours in an earlier entry",
                        )
                    seen.update(days)
                    out["weekly"].append({"days": days, "ranges": ranges})
    ph = v.get("public_holidays", "unknown")
    out["public_holidays"] = (
        one_of(("closed", "open", "unknown"), "public_holidays value")(
            c, ph, f"{path}.public_holidays", line_of(v, "public_holidays", line)
        )
        or "unknown"
    )
    periods = v.get("closed_periods") or []
    pline = line_of(v, "closed_periods", line)
    if not isinstance(periods, list):
        c.error(
            pline,
            f"{path}.closed_periods",
            "must be a list of {from: date, to: date, reason: {en: ...}}",
        )
    else:
        for i, p in enumerate(periods):
            ppath, pl = f"{path}.closed_periods[{i + 1}]", line_of(periods, i, pline)
            if not isinstance(p, dict) or "from" not in p or "to" not in p:
                c.error(pl, ppath, "must be {from: 2026-02-15, to: 2026-02-23, reason: {en: ...}}")
                continue
            start = check_date(c, p["from"], f"{ppath}.from", pl)
            end = check_date(c, p["to"], f"{ppath}.to", pl)
            if start and end and end < start:
                c.error(pl, ppath, f"the period ends ({end}) before it starts ({start})")
                continue
            reason = (
                check_local_text(c, p["reason"], f"{ppath}.reason", pl) if p.get("reason") else None
            )
            if start and end:
                out["closed_periods"].append({"from": start, "to": end, "reason": reason})
    if v.get("note") is not None:
        out["note"] = check_local_text(c, v["note"], f"{path}.note", line_of(v, "note", line))
    return out


def check_location(c: Checker, v: Any, path: str, line: int | None) -> dict[str, Any] | None:
    if not isinstance(v, dict):
        c.error(line, path, "must be {name: ..., district: ..., address: {en: ..., zh: ...}}")
        return None
    _unknown_keys(c, v, {"name", "district", "address", "coordinates", "phones"}, path, line)
    for required in ("district", "address"):
        if required not in v:
            c.error(
                line, f"{path}.{required}", f"{required} is missing (write null if it is unknown)"
            )
    return {
        "name": check_local_text(c, v["name"], f"{path}.name", line_of(v, "name", line))
        if v.get("name") is not None
        else None,
        "district": _check_district(
            c, v.get("district"), f"{path}.district", line_of(v, "district", line)
        ),
        "address": check_address(
            c, v.get("address"), f"{path}.address", line_of(v, "address", line)
        ),
        "coordinates": check_coordinates(
            c, v.get("coordinates"), f"{path}.coordinates", line_of(v, "coordinates", line)
        ),
        "phones": list_of(check_phone)(
            c, v.get("phones"), f"{path}.phones", line_of(v, "phones", line)
        )
        or [],
    }


_check_district = one_of(vocab.DISTRICTS, "district", nullable=True)


def check_fee(c: Checker, v: Any, path: str, line: int | None) -> dict[str, Any] | None:
    if not isinstance(v, dict) or "item" not in v:
        c.error(line, path, "must be {item: {en: ...}, amount_cny: 400, note: {en: ...}}")
        return None
    amount = v.get("amount_cny")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
    ):
        c.error(
            line_of(v, "amount_cny", line),
            f"{path}.amount_cny",
            f"{q(amount)} must be an amount in yuan, e.g. 400 (or null)",
        )
        amount = None
    return {
        "item": check_local_text(c, v["item"], f"{path}.item", line_of(v, "item", line)),
        "amount_cny": amount,
        "note": check_local_text(c, v["note"], f"{path}.note", line_of(v, "note", line))
        if v.get("note") is not None
        else None,
    }


def check_link(c: Checker, v: Any, path: str, line: int | None) -> dict[str, Any] | None:
    if not isinstance(v, dict) or not isinstance(v.get("url"), str):
        c.error(line, path, "must be {label: {en: ...}, url: https://...}")
        return None
    if not re.match(r"^https?://", v["url"]):
        c.error(
            line_of(v, "url", line),
            f"{path}.url",
            f"{q(v['url'])} must start with https:// or http://",
        )
        return None
    label = check_local_text(c, v.get("label"), f"{path}.label", line_of(v, "label", line))
    return {"label": label, "url": v["url"]}


def check_uncertain(c: Checker, v: Any, path: str, line: int | None) -> dict[str, str] | None:
    if v is None:
        return {}
    if not isinstance(v, dict):
        c.error(
            line,
            path,
            "must map field names to the reason, e.g. {phone: only found in a 2012 guide}",
        )
        return None
    return {str(k): str(r) for k, r in v.items()}


# --------------------------------------------------------------------------------------------
# Fields every record has. The fields of each kind are in its module in bot/knowledge/kinds/.
# --------------------------------------------------------------------------------------------

# field -> (required, checker). "required" means the key must be present (its value may be null
# where the checker allows it).
Spec = dict[str, tuple[bool, Check]]

COMMON: Spec = {
    "id": (True, check_id),
    "source": (True, check_sources),
    "source_date": (True, check_source_date),
    "verified_on": (False, check_verified_on),
    "verified_by": (False, check_str),
    "translated": (False, check_field_paths),
    "uncertain": (False, check_uncertain),
    "notes": (
        False,
        lambda c, v, p, line: check_local_text(c, v, p, line) if v is not None else None,
    ),
    "machine_translated": (False, list_of(one_of(vocab.LANGUAGES, "language code"))),
}


def check_questions(c: Checker, v: Any, path: str, line: int | None) -> dict[str, list[str]] | None:
    """Sample questions of a questions-and-answers entry: {language: [question, ...]}, any of the nine
    languages, at least one question in all."""
    if not isinstance(v, dict) or not v:
        c.error(
            line,
            path,
            'must list sample questions by language, e.g. {en: ["Can I ...?"], zh: ["可以……吗？"]}',
        )
        return None
    out: dict[str, list[str]] = {}
    for lang, items in v.items():
        lline = line_of(v, lang, line)
        if lang not in vocab.LANGUAGES:
            c.error(
                lline,
                f"{path}.{lang}",
                f"unknown language code '{lang}'{_suggest(str(lang), vocab.LANGUAGES)} (use {_choices(vocab.LANGUAGES)})",
            )
            continue
        if isinstance(items, str):
            items = [items]
        cleaned = list_of(check_str, non_empty=True)(c, items, f"{path}.{lang}", lline)
        if cleaned:
            out[str(lang)] = cleaned
    return out or None


def check_answer(c: Checker, v: Any, path: str, line: int | None) -> dict[str, str] | None:
    """The answer of a questions-and-answers entry: English and Chinese required, other languages optional."""
    out = check_local_text(c, v, path, line)
    if out is not None and "zh" not in out:
        c.error(
            line, f"{path}.zh", "the Chinese answer is missing (English and Chinese are required)"
        )
    return out


SERVICE_CODE = one_of(vocab.SERVICES, "service")
LANGUAGE_CODE = one_of(vocab.LANGUAGES, "language code")


def singular(kind: str) -> str:
    """How messages name one record of `kind` ("procedure 'x'", "faq entry 'y'")."""
    return "faq entry" if kind == "faq" else kind[:-1]


def _unknown_keys(c: Checker, node: dict, allowed: set[str], path: str, line: int | None) -> None:
    for key in node:
        if key not in allowed:
            prefix = f"{path}." if path else ""
            c.error(
                line_of(node, key, line),
                f"{prefix}{key}",
                f"unknown field {q(key)}{_suggest(str(key), allowed)}",
            )


def check_record(
    c: Checker, kind: str, node: Any, index: int, line: int | None
) -> dict[str, Any] | None:
    """Validate one record of `kind`; returns the cleaned record or None when it has errors."""
    label = f"{kind}[{index + 1}]"
    if not isinstance(node, dict):
        c.error(line, label, "each record must be a mapping of fields (key: value)")
        return None
    rid = node.get("id")
    name = f"{singular(kind)} {q(rid)}" if isinstance(rid, str) else label
    from bot.knowledge.kinds import KINDS  # the kinds import this module

    spec = {**COMMON, **KINDS[kind].fields}
    before = len(c.problems)
    _unknown_keys(c, node, set(spec), name, line)
    record: dict[str, Any] = {}
    for key, (required, check) in spec.items():
        if key not in node:
            if required:
                c.error(
                    line,
                    f"{name}.{key}",
                    f"{key} is missing"
                    + (" (write null if it is unknown)" if key in _NULLABLE else ""),
                )
            continue
        record[key] = check(c, node[key], f"{name}.{key}", line_of(node, key, line))
    unc = record.get("uncertain") or {}
    for key in unc:
        top = re.split(r"[.\[]", key, maxsplit=1)[0]
        if top not in spec:
            c.error(
                line_of(node, "uncertain", line),
                f"{name}.uncertain.{key}",
                f"{q(key)} is not a field of this record{_suggest(top, spec)}",
            )
    _check_provenance(c, node, record, name, line)
    extra = KINDS[kind].check
    if extra is not None:
        extra(c, record, node, name, line)
    return record if len(c.problems) == before else None


_NULLABLE = {"district", "address", "hours", "age_min", "age_max", "emergency_24h"}


def _check_provenance(
    c: Checker, node: dict, record: dict[str, Any], name: str, line: int | None
) -> None:
    """The rules of honest provenance, the same for every kind (see bot/knowledge/provenance.py)."""
    has_on, has_by = "verified_on" in node, "verified_by" in node
    if has_on and not has_by:
        c.error(
            line_of(node, "verified_on", line),
            f"{name}.verified_on",
            "verified_on needs verified_by: write who confirmed the record (e.g. verified_by: "
            "Chaoyang exit-entry office, by phone); if nobody has checked it, remove verified_on",
        )
    elif has_by and not has_on:
        c.error(
            line_of(node, "verified_by", line),
            f"{name}.verified_by",
            "verified_by needs verified_on: write the day of the confirmation (YYYY-MM-DD)",
        )
    sources = record.get("source") or []
    if (
        sources
        and len(sources) == len(node.get("source") or [])
        and provenance.third_party_only(sources)
        and "source" not in (record.get("uncertain") or {})
    ):
        c.error(
            line_of(node, "source", line),
            f"{name}.source",
            "every source of this record is third-party or media ([3P]/[MEDIA]), none official "
            "([OFF]): mark it uncertain, e.g. uncertain: {source: only found on a school directory}",
        )
    elif (
        sources
        and len(sources) == len(node.get("source") or [])
        and all(provenance.is_research_file(s) for s in sources)
        and "source" not in (record.get("uncertain") or {})
    ):
        c.error(
            line_of(node, "source", line),
            f"{name}.source",
            "every source of this record is known only by a site name from the research file, "
            "no page or document: mark it uncertain, e.g. uncertain: {source: the research file "
            "names only the site; the page was not recorded}",
        )
    paths = node.get("translated")
    if isinstance(paths, list):
        tline = line_of(node, "translated", line)
        for i, p in enumerate(paths):
            try:
                value = provenance.resolve(node, str(p).strip())
            except KeyError:
                value = None
            if not isinstance(value, str):
                c.error(
                    line_of(paths, i, tline),
                    f"{name}.translated[{i + 1}]",
                    f"'{p}' is not a text of this record: write the path of a translated text, "
                    "e.g. name.zh, address.zh or locations[1].address.zh",
                )
