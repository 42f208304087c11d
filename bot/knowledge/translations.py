"""Translations of knowledge texts into the seven languages beyond English and Chinese.

The facts live in `knowledge/<kind>.yml` with English and Chinese texts. Translations into ja, ko, ru, fr,
de, es and ar live apart, in overlay files `knowledge/translations/<lang>/<kind>.yml`, so that translators
and reviewers never edit the record files, and a record file can change without touching them.

Each translated field carries the fingerprint of the English text it was made from (`from`, the first
8 hex digits of its SHA-256). When the English text changes, the fingerprint no longer matches: the
translation is *stale*, the answer shows the English text instead (never an outdated translation), and
`validate` / `stale` name the field. A translation is machine-assisted until a named member of staff
reviews it (`reviewed_by` and `reviewed_on`, on the record for all its fields or on one field).

The loader merges every current translation into the records' texts ({en, zh} + {ru, ...}), so the
renderer's `local(text, lang)` finds it, and records which fields of which languages were merged, with
their review, under the record's `translations` key.

Numbers, dates, phone numbers, web addresses and Chinese names are copied, never translated: `validate`
refuses a translation that loses or changes one of them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.core import languages
from bot.knowledge.kinds import KINDS
from bot.knowledge.schema import Checker, Problem, check_date, line_of, parse_yaml, singular

#: The languages the records are written in (staff write both; the buttons under a translated answer
#: show these originals).
ORIGINAL_LANGUAGES: tuple[str, ...] = ("en", "zh")
#: Every other language of the registry is translated through overlays.
LANGUAGES: tuple[str, ...] = tuple(c for c in languages.CODES if c not in ORIGINAL_LANGUAGES)

#: The fields people read, by kind (each kind declares them: `translatable` in bot/knowledge/kinds/).
TRANSLATABLE: dict[str, tuple[str, ...]] = {name: kind.translatable for name, kind in KINDS.items()}

# Inside a translatable field, keys that are never translated (names, addresses, urls, numbers).
_NOT_TEXT = {"name", "address", "url", "number", "coordinates", "district", "weekly"}

FINGERPRINT_RE = re.compile(r"^[0-9a-f]{8}$")


def _record_files(kind: str) -> str:
    """Where the records of `kind` are written (the questions and answers are spread over several files)."""
    return "knowledge/faq_*.yml" if kind == "faq" else f"knowledge/{kind}.yml"


def fingerprint(text: str) -> str:
    """The short hash of an English original that a translation records in `from`."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:8]


def _is_local_text(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("en"), str)


def _walk(value: Any, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    if _is_local_text(value):
        yield path, value
    elif isinstance(value, dict):
        for key, sub in value.items():
            if key not in _NOT_TEXT:
                yield from _walk(sub, f"{path}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value, 1):
            yield from _walk(sub, f"{path}[{i}]")


def fields(kind: str, record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every translatable text of a validated record, by field path (lists 1-based, as in `validate`):
    {"summary": {...}, "documents[2]": {...}, "fees[1].note": {...}, "hours.note": {...}}."""
    out: dict[str, dict[str, str]] = {}
    for key in TRANSLATABLE.get(kind, ()):
        if record.get(key) is not None:
            out.update(_walk(record[key], key))
    return out


# ---------------------------------------------------------------------------------------------
# Checking a translation against its original
# ---------------------------------------------------------------------------------------------

_URL_RE = re.compile(
    r"(?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:cn|com|org|net|gov|edu|int|hk)(?:/[^\s,;)\]“”\"'，。]*)?"
)
_DIGITS_RE = re.compile(r"\d+")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=8192)
def _must_copy(original: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Web addresses, digit runs (outside the addresses) and Chinese texts of an English original, in
    order and without repeats (cached: every original is checked once per language)."""
    urls = tuple(dict.fromkeys(u.rstrip(".") for u in _URL_RE.findall(original)))
    digits = tuple(dict.fromkeys(_DIGITS_RE.findall(_URL_RE.sub(" ", original))))
    han = tuple(dict.fromkeys(_HAN_RE.findall(original)))
    return urls, digits, han


def copied_parts(original: str, translation: str) -> list[str]:
    """What a translation changed of the parts that must be copied from its English original: numbers
    (also inside dates, times, phone numbers and fees), web addresses and Chinese names. One message
    per problem; empty when the translation keeps them all. A translation may add digits: Japanese,
    Korean and Chinese write months as numbers ("August 2015" -> 2015年8月), and "one photo" as 1枚.
    A changed number is caught as missing (7 -> 17 loses the 7)."""
    urls, digits, han = _must_copy(original)
    problems = [
        f"the web address {url} of the English original is missing"
        for url in urls
        if url not in translation
    ]
    rest = translation
    for url in urls:  # digits inside the addresses are checked with the address
        rest = rest.replace(url, " ")
    present = set(_DIGITS_RE.findall(rest))  # whole digit runs: 17 does not contain 7
    problems += [
        f"the number {number} of the English original is missing"
        for number in digits
        if number not in present
    ]
    problems += [
        f"the Chinese text {text} of the English original is missing"
        for text in han
        if text not in translation
    ]
    return problems


# ---------------------------------------------------------------------------------------------
# Reading the overlays
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleTranslation:
    """A translation made from an English text that has changed since: not shown until redone."""

    file: str
    line: int | None
    kind: str
    id: str
    path: str
    lang: str
    made_from: str
    current: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {singular(self.kind)} '{self.id}'.{self.path} ({self.lang}): the English original "
            f"changed since this translation (made from {self.made_from}, now {self.current}); "
            "English is shown until the translation is updated"
        )


@dataclass
class Coverage:
    """How much is translated, for messages: merged (current) and stale fields by language."""

    merged: dict[str, int] = field(default_factory=lambda: {lang: 0 for lang in LANGUAGES})
    reviewed: dict[str, int] = field(default_factory=lambda: {lang: 0 for lang in LANGUAGES})
    records: dict[str, set[tuple[str, str]]] = field(
        default_factory=lambda: {lang: set() for lang in LANGUAGES}
    )
    total_fields: int = 0

    def summary(self) -> str:
        parts = [
            f"{lang} {self.merged[lang]}/{self.total_fields}"
            + (f" ({self.reviewed[lang]} reviewed)" if self.reviewed[lang] else "")
            for lang in LANGUAGES
        ]
        return "translated fields: " + ", ".join(parts)


@dataclass
class OverlayResult:
    problems: list[Problem] = field(default_factory=list)
    stale: list[StaleTranslation] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    files: list[tuple[str, str]] = field(default_factory=list)  # (display name, text) for the hash


def overlay_files(directory: Path) -> list[Path]:
    """knowledge/translations/<lang>/<kind>.yml, every one of them (also misnamed ones, to report)."""
    root = directory / "translations"
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*.y*ml") if p.suffix in (".yml", ".yaml") and p.is_file())


def _suggest(value: str, choices: Any) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f": did you mean {close[0]}?" if close else ""


def _review(c: Checker, node: dict, path: str, line: int | None) -> dict[str, str | None] | None:
    """reviewed_by + reviewed_on, both or neither; None after reporting a problem."""
    by, on = node.get("reviewed_by"), node.get("reviewed_on")
    if by is None and on is None:
        return {"reviewed_by": None, "reviewed_on": None}
    if by is None or not isinstance(by, str) or not by.strip():
        c.error(
            line_of(node, "reviewed_on", line),
            f"{path}.reviewed_by",
            "reviewed_on needs reviewed_by: the name of the member of staff who reviewed the translation",
        )
        return None
    if on is None:
        c.error(
            line_of(node, "reviewed_by", line),
            f"{path}.reviewed_on",
            "reviewed_by needs reviewed_on: the day of the review, e.g. 2026-12-01",
        )
        return None
    day = check_date(c, on, f"{path}.reviewed_on", line_of(node, "reviewed_on", line))
    if day is None:
        return None
    return {"reviewed_by": by.strip(), "reviewed_on": day}


def apply_overlays(
    directory: Path,
    records: dict[str, list[dict[str, Any]]],
    known_ids: set[tuple[str, str]],
    display: Any = str,
) -> OverlayResult:
    """Check every overlay file under `directory`/translations and merge the current translations into
    `records` (validated records, changed in place). `known_ids` holds every (kind, id) written in the
    record files, also of records refused for other problems (their translations are not reported)."""
    result = OverlayResult()
    by_id = {(kind, rec["id"]): rec for kind, recs in records.items() for rec in recs}
    result.coverage.total_fields = sum(
        len(fields(kind, rec)) for kind, recs in records.items() for rec in recs
    )
    for path in overlay_files(directory):
        name = display(path)
        c = Checker(name)
        lang, kind = path.parent.name, path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            c.error(None, "", f"cannot read the file ({exc}); save it as UTF-8 text")
            result.problems.extend(c.problems)
            continue
        result.files.append((name, text))
        if lang not in LANGUAGES:
            c.error(
                None,
                "",
                f"'{lang}' is not a translated language{_suggest(lang, LANGUAGES)}: put the file in "
                f"knowledge/translations/<language>/ with one of {', '.join(LANGUAGES)}",
            )
        if kind not in KINDS:
            c.error(
                None,
                "",
                f"'{path.name}' is not a kind of knowledge{_suggest(kind, KINDS)}: name the file "
                f"after the record file it translates ({', '.join(k + '.yml' for k in KINDS)})",
            )
        if c.problems:
            result.problems.extend(c.problems)
            continue
        doc = parse_yaml(text, c)
        if doc is None:
            result.problems.extend(c.problems)
            continue
        for dup in doc.duplicates:
            c.error(
                dup.line,
                str(dup.key),
                f"'{dup.key}' is written twice (lines {dup.first_line} and {dup.line}): keep one",
            )
        data = doc.data
        if data is None:
            result.problems.extend(c.problems)
            continue
        if not isinstance(data, dict) or list(data) != [kind]:
            c.error(1, "", f"the file must start with {kind}: (the kind of the file it translates)")
            result.problems.extend(c.problems)
            continue
        entries = data[kind] or []
        if not isinstance(entries, list):
            c.error(
                line_of(data, kind),
                kind,
                "must be a list of records, each starting with '- id: ...'",
            )
            result.problems.extend(c.problems)
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            _apply_entry(c, result, kind, lang, entry, line_of(entries, i), by_id, known_ids, seen)
        result.problems.extend(c.problems)
    return result


def _apply_entry(
    c: Checker,
    result: OverlayResult,
    kind: str,
    lang: str,
    entry: Any,
    line: int | None,
    by_id: dict[tuple[str, str], dict[str, Any]],
    known_ids: set[tuple[str, str]],
    seen: set[str],
) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        c.error(line, kind, "each entry must start with '- id: <the id of the record translated>'")
        return
    rid = entry["id"]
    label = f"{singular(kind)} '{rid}'"
    id_line = line_of(entry, "id", line)
    if rid in seen:
        c.error(id_line, f"{label}.id", f"'{rid}' is translated twice in this file: keep one")
        return
    seen.add(rid)
    for key in entry:
        if key not in ("id", "reviewed_by", "reviewed_on", "fields"):
            c.error(
                line_of(entry, key, line),
                f"{label}.{key}",
                f"unknown field '{key}'{_suggest(str(key), ('reviewed_by', 'reviewed_on', 'fields'))}"
                " (an entry has id, fields and, once reviewed, reviewed_by and reviewed_on)",
            )
    if (kind, rid) not in known_ids:
        ids = sorted(r for k, r in by_id if k == kind)
        c.error(
            id_line,
            f"{label}.id",
            f"there is no {singular(kind)} '{rid}' in {_record_files(kind)}{_suggest(rid, ids)}"
            " (if the record was removed, remove this entry too)",
        )
        return
    record = by_id.get((kind, rid))
    if record is None:
        return  # the record itself has problems, reported in its own file
    before = len(c.problems)
    record_review = _review(c, entry, label, line)
    texts = fields(kind, record)
    given = entry.get("fields")
    fline = line_of(entry, "fields", line)
    if not isinstance(given, dict) or not given:
        c.error(
            fline, f"{label}.fields", "must map field paths to {from: <fingerprint>, text: ...}"
        )
        return
    merged: dict[str, dict[str, str | None]] = {}
    for fpath, item in given.items():
        fpath = str(fpath)
        where = f"{label}.{fpath}"
        iline = line_of(given, fpath, fline)
        original = texts.get(fpath)
        if original is None:
            c.error(
                iline,
                where,
                f"'{fpath}' is not a translatable field of this record{_suggest(fpath, texts)}"
                f" (translatable here: {', '.join(texts) or 'none'}; if the field was removed, "
                "remove its translation too)",
            )
            continue
        if not isinstance(item, dict) or set(item) - {"from", "text", "reviewed_by", "reviewed_on"}:
            c.error(
                iline,
                where,
                "must be {from: <fingerprint of the English text>, text: <the translation>}, "
                "optionally with reviewed_by and reviewed_on",
            )
            continue
        text, made_from = item.get("text"), item.get("from")
        if not isinstance(text, str) or not text.strip():
            c.error(line_of(item, "text", iline), f"{where}.text", "must be a non-empty text")
            continue
        if text.lstrip().startswith("TODO"):
            c.error(
                line_of(item, "text", iline),
                f"{where}.text",
                "still the TODO of a stub: write the translation (or remove the field)",
            )
            continue
        if not isinstance(made_from, str) or not FINGERPRINT_RE.match(made_from):
            c.error(
                line_of(item, "from", iline),
                f"{where}.from",
                f"'{made_from}' is not a fingerprint: write the 8 characters of the English text's "
                f'fingerprint in double quotes, e.g. from: "{fingerprint(original["en"])}" '
                "(`beijing-assistant translations --stub` prints them)",
            )
            continue
        review = _review(c, item, where, iline)
        if review is None or record_review is None:
            continue
        if review["reviewed_by"] is None:
            review = record_review
        current = fingerprint(original["en"])
        if made_from != current:
            result.stale.append(
                StaleTranslation(c.file, iline, kind, rid, fpath, lang, made_from, current)
            )
            continue
        lost = copied_parts(original["en"], text)
        if lost:
            c.error(
                line_of(item, "text", iline),
                f"{where}.text ({lang})",
                "; ".join(lost)
                + ": copy numbers, dates, phone numbers, web addresses and Chinese names exactly as in the English text",
            )
            continue
        merged[fpath] = {"text": text.strip(), **review}
    if len(c.problems) > before:
        return  # an entry with problems is not merged at all (and sync refuses the files)
    for fpath, item in merged.items():
        texts[fpath][lang] = str(item["text"])
        review_of = {"reviewed_by": item["reviewed_by"], "reviewed_on": item["reviewed_on"]}
        record.setdefault("translations", {}).setdefault(lang, {})[fpath] = review_of
        result.coverage.merged[lang] += 1
        if item["reviewed_by"]:
            result.coverage.reviewed[lang] += 1
        result.coverage.records[lang].add((kind, rid))


# ---------------------------------------------------------------------------------------------
# What answers need
# ---------------------------------------------------------------------------------------------


def status(records: Iterable[Mapping[str, Any]], lang: str) -> str | None:
    """How the records shown in `lang` are translated: None (not at all, or en/zh), "machine" (some
    field is machine-assisted) or "reviewed" (every translated field was reviewed by staff)."""
    if lang not in LANGUAGES:
        return None
    found = [
        review
        for rec in records
        for review in ((rec.get("translations") or {}).get(lang) or {}).values()
    ]
    if not found:
        return None
    return "reviewed" if all(r.get("reviewed_by") for r in found) else "machine"


# ---------------------------------------------------------------------------------------------
# Writing an overlay (for translators: `beijing-assistant translations`, and for tests)
# ---------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(text, ensure_ascii=False)


def overlay_text(
    kind: str,
    lang: str,
    records: list[dict[str, Any]],
    texts: dict[str, dict[str, str]],
    header: str = "",
) -> str:
    """An overlay file for `kind` in `lang`: for every record id in `texts` ({id: {path: translation}})
    the fields in record order, each with the fingerprint of its English original and, as a comment,
    the English original itself for the reviewer."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [f"{kind}:"]
    for rec in records:
        wanted = texts.get(rec["id"])
        if not wanted:
            continue
        lines += ["", f"  - id: {rec['id']}", "    fields:"]
        for fpath, original in fields(kind, rec).items():
            if fpath not in wanted:
                continue
            lines.append(f"      {fpath}:")
            lines.append(f"        # en: {' '.join(original['en'].split())}")
            lines.append(f'        from: "{fingerprint(original["en"])}"')
            lines.append(f"        text: {_quote(wanted[fpath])}")
    return "\n".join(lines) + "\n"
