"""Surface forms of every entity value we understand, in the scripts users type them in
(bot/nlu/forms/<lang>.yml; en.yml declares the entities and values).

The NLU gazetteer component turns these into canonical entity values (朝阳 / 朝陽 / 차오양 / Чаоян /
Chaoyang -> chaoyang). Latin forms match on word boundaries, case-insensitively, and district names also
match with one typo; CJK forms match anywhere.
"""

from __future__ import annotations

import array
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs
from ruamel.yaml import YAML

FORMS_DIR = Path(__file__).resolve().parent / "forms"


def _load_forms() -> dict[str, dict[str, list[str]]]:
    """Every language's forms ({entity: {value: [forms]}}) from `forms/<lang>.yml`: en.yml first, which
    declares every entity and value, then the others (in name order), which add forms to them."""
    paths = sorted(FORMS_DIR.glob("*.yml"), key=lambda p: (p.stem != "en", p.stem != "zh", p.stem))
    merged: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        for entity, values in doc.items():
            if entity not in merged:
                if path.stem != "en":
                    raise ValueError(
                        f"{path.name}: unknown entity {entity!r} (declare it in en.yml)"
                    )
                merged[entity] = {}
            for value, forms in (values or {}).items():
                if value not in merged[entity]:
                    if path.stem != "en":
                        raise ValueError(
                            f"{path.name}: unknown {entity} value {value!r} (declare it in en.yml)"
                        )
                    merged[entity][value] = []
                merged[entity][value].extend(
                    f for f in forms or [] if f not in merged[entity][value]
                )
    return merged


ENTITY_FORMS = _load_forms()
DISTRICT_FORMS = ENTITY_FORMS["district"]

AGE_PATTERNS = [
    re.compile(r"\b(\d{1,2})\s*(?:-|\s)?(?:years?|yrs?)(?:[\s-]*old)?\b", re.IGNORECASE),
    re.compile(r"\b(\d{1,2})\s*(?:y/?o)\b", re.IGNORECASE),
    re.compile(r"(\d{1,2})\s*(?:周岁|岁|歳|살)"),
    re.compile(
        r"\b(\d{1,2})\s*(?:ans?|jahre?|j\.|años?|anos?|лет|года?|سنوات|سنة)\b", re.IGNORECASE
    ),
    re.compile(r"\b(\d{1,2})\s*-?\s*jährige[nr]?\b", re.IGNORECASE),
    re.compile(r"\b(?:aged?|age of)\s+(\d{1,2})\b", re.IGNORECASE),
    re.compile(
        r"\b(?:son|daughter|kid|child|boy|girl|kids|children)\s+(?:is|are|turns?)\s+(\d{1,2})\b",
        re.IGNORECASE,
    ),
]

# A child's age in months (nine languages): "6-month-old", "18 months", "6 mois", "8 Monate", "10 meses",
# "9 месяцев", "6 أشهر", "6个月", "6ヶ月", "6개월".
MONTH_PATTERNS = [
    re.compile(
        r"\b(\d{1,2})\s*-?\s*(?:months?|mos?|mois|monate?n?|meses|mes|месяц(?:а|ев)?|мес|"
        r"أشهر|شهرا|شهور|شهر)(?:[\s-]*old)?(?!\w)",
        re.IGNORECASE,
    ),
    re.compile(r"(\d{1,2})\s*(?:个月|個月|ヶ月|か月|カ月|ケ月|개월)"),
]

_CJK_CHARS = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHARS}]")
# A Latin (or Cyrillic, Arabic) form must not touch another letter or digit of such a script; touching
# Chinese is fine ("IB学校"). A "letter" is what the regex class [^\W_<CJK>] matches: a Unicode word
# character other than "_" and CJK. It is checked in Python around each match rather than with
# look-arounds in every pattern: compiling 2,700 case-insensitive patterns that each contain this large
# class took 14 s of the server's start-up, plain patterns take a twentieth of a second.


def _is_letter(ch: str) -> bool:
    return ch.isalnum() and not _CJK.match(ch)


def _bounded(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of `pattern` that touch no letter on either side, leftmost first, not overlapping
    (what finditer gives for the pattern wrapped in the negative look-behind and look-ahead)."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        start, end = m.span()
        if (start == 0 or not _is_letter(text[start - 1])) and (
            end == len(text) or not _is_letter(text[end])
        ):
            yield m
            pos = end if end > start else start + 1
        else:
            pos = start + 1


_WORDISH = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Match:
    entity: str
    value: str
    start: int
    end: int
    text: str
    fuzzy: bool = False


# Bare words such as "work" or "study" name a permit type only in a permit context ("work type",
# "study residence permit") or as a short answer to "which permit?" - not in "how does it work".
_BARE_PERMIT_FORMS = {
    "work",
    "working",
    "job",
    "study",
    "studying",
    "student",
    "students",
    "family",
    "private",
    "工作",
    "学习",
    "学生",
    "家属",
}
_PERMIT_CONTEXT = re.compile(
    r"residen|permit|\brp\b|type|visa|categor|séjour|sejour|titre|aufenthalt|visum|permiso|visado|居留|签证|类",
    re.IGNORECASE,
)


def _permit_type_in_context(text: str, m: re.Match[str]) -> bool:
    if m.group(0).lower() not in _BARE_PERMIT_FORMS:
        return True
    if _PERMIT_CONTEXT.search(text[m.end() : m.end() + 30]) or _PERMIT_CONTEXT.search(
        text[max(0, m.start() - 25) : m.start()]
    ):
        return True
    rest = re.findall(r"[\w']+", (text[: m.start()] + " " + text[m.end() :]).lower())
    return all(w in _FILLERS for w in rest)


_FILLERS = {
    "pls",
    "please",
    "plz",
    "one",
    "it's",
    "its",
    "it",
    "is",
    "for",
    "a",
    "the",
    "i",
    "am",
    "i'm",
    "im",
    "my",
    "mine",
    "oh",
    "ah",
    "uh",
    "ok",
    "okay",
    "yes",
    "yeah",
    "我",
    "的",
    "是",
    "我是",
    "啊",
    "吧",
    "呢",
}


def _edit_distance_le1(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or transposition."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _fold_table(alphabet: set[str]) -> dict[int, int]:
    """str.translate table: every character that Python's regex engine treats as equal under IGNORECASE
    to a character of `alphabet` maps to one representative of those characters (s/S/ſ alike, k/K/K,
    i/I/İ/ı, ...); other characters stay as they are. Built from the regex engine itself (public `re`),
    one pass over all of Unicode, so it agrees with how the patterns match on any Python version."""
    codes = array.array("I", range(0xD800))  # every code point but the surrogates
    codes.extend(range(0xE000, 0x110000))
    every_char = codes.tobytes().decode("utf-32-le")
    any_of = re.compile(
        "[" + "".join(re.escape(ch) for ch in sorted(alphabet)) + "]", re.IGNORECASE
    )
    equal = "".join(sorted({m.group() for m in any_of.finditer(every_char)}))
    table: dict[int, int] = {}
    for ch in sorted(alphabet):
        if ord(ch) in table:
            continue  # equal to a character seen before: same representative
        for m in re.finditer(re.escape(ch), equal, re.IGNORECASE):
            table.setdefault(ord(m.group()), ord(ch))
    return table


@dataclass(frozen=True)
class _Form:
    entity: str
    value: str
    pattern: re.Pattern[str]
    cjk: bool


@dataclass(frozen=True)
class _Forms:
    """Every surface form, longest first, and an Aho-Corasick automaton over their literals.

    A form's literal is text every match contains: the form itself (CJK, matched as is), or its first
    word (other scripts, matched ignoring case). The automaton finds, in one pass over the case-folded
    message, which literals occur; only the forms of those literals run their regex. Exact, because
    folding maps characters the regex treats as equal to the same character (and a CJK form that occurs
    as is also occurs folded)."""

    forms: list[_Form]
    fold: dict[int, int]
    literals: list[str]  # folded, each once
    automaton: ahocorasick_rs.AhoCorasick
    forms_of_literal: list[list[int]]  # literal index -> indexes into `forms`

    def candidates(self, text: str) -> list[int]:
        """Indexes of the forms whose literal occurs in `text`, in `forms` order."""
        found = self.automaton.find_matches_as_indexes(text.translate(self.fold), overlapping=True)
        return sorted({i for literal, _, _ in found for i in self.forms_of_literal[literal]})


def _is_cjk_form(form: str) -> bool:
    return bool(_CJK.search(form))


def build_index(
    entries: Iterable[tuple[str, str, str]], substring: Callable[[str], bool] = _is_cjk_form
) -> _Forms:
    """An index over (entity, value, surface form) entries, longest forms first.

    Forms for which `substring(form)` is true (default: CJK forms) match anywhere, as they are; the
    others match whole words, ignoring case, with any spaces between their words. A non-substring
    form ending in "*" is a stem: it matches any word that starts with it ("fee*": fee, fees)."""
    items: list[tuple[int, _Form, str]] = []
    for entity, value, form in entries:
        if substring(form):
            pattern = re.compile(re.escape(form))
            items.append((len(form), _Form(entity, value, pattern, True), form))
        else:
            stem = form.endswith("*") and len(form) > 1
            parts = (form[:-1] if stem else form).split()
            body = r"\s+".join(re.escape(part) for part in parts)
            pattern = re.compile(body + (r"\w*" if stem else ""), re.IGNORECASE)
            items.append((len(form), _Form(entity, value, pattern, False), parts[0]))
    items.sort(key=lambda x: -x[0])
    fold = _fold_table({ch for _, _, literal in items for ch in literal})
    literals: dict[str, int] = {}
    forms_of_literal: list[list[int]] = []
    for index, (_, _, literal) in enumerate(items):
        key = literal.translate(fold)
        if key not in literals:
            literals[key] = len(forms_of_literal)
            forms_of_literal.append([])
        forms_of_literal[literals[key]].append(index)
    keys = list(literals)
    automaton = ahocorasick_rs.AhoCorasick(keys)
    return _Forms([form for _, form, _ in items], fold, keys, automaton, forms_of_literal)


def match_index(
    index: _Forms,
    text: str,
    entities: set[str] | None = None,
    accept: Callable[[_Form, re.Match[str]], bool] | None = None,
    taken: list[tuple[int, int]] | None = None,
) -> list[Match]:
    """Non-overlapping matches of the index's forms in `text`, longest form first (spans already in
    `taken` are not matched again; `taken` is extended with the new matches)."""
    taken = [] if taken is None else taken
    found: list[Match] = []
    for i in index.candidates(text):
        form = index.forms[i]
        if entities is not None and form.entity not in entities:
            continue
        for m in form.pattern.finditer(text) if form.cjk else _bounded(form.pattern, text):
            if accept is not None and not accept(form, m):
                continue
            if all(m.end() <= ts or m.start() >= te for ts, te in taken):
                taken.append((m.start(), m.end()))
                found.append(Match(form.entity, form.value, m.start(), m.end(), m.group(0)))
    return found


@lru_cache(maxsize=1)
def _patterns() -> _Forms:
    """Every surface form, longest forms first, with the index of their literals."""
    return build_index(
        (entity, value, form)
        for entity, values in ENTITY_FORMS.items()
        for value, forms in values.items()
        for form in forms
    )


def warm_up() -> None:
    """Compile every surface form now (otherwise on the first message)."""
    _patterns()


def find_entities(text: str, entities: set[str] | None = None) -> list[Match]:
    """All non-overlapping entity mentions in `text` (longest match wins)."""
    taken: list[tuple[int, int]] = []
    found: list[Match] = []

    def free(s: int, e: int) -> bool:
        return all(e <= ts or s >= te for ts, te in taken)

    found.extend(
        match_index(
            _patterns(),
            text,
            entities,
            lambda form, m: form.entity != "permit_type" or _permit_type_in_context(text, m),
            taken,
        )
    )
    if entities is None or "district" in entities:
        # One typo in a Latin district name ("chaoyan", "haidain") still counts.
        for m in _WORDISH.finditer(text):
            word = m.group(0).lower()
            if len(word) < 6 or not free(m.start(), m.end()):
                continue
            for value in DISTRICT_FORMS:
                # "changing" is not a typo of changping, nor "dating" of daxing.
                if word.endswith("ing") and word[-4:] != value[-4:]:
                    continue
                if _edit_distance_le1(word, value):
                    taken.append((m.start(), m.end()))
                    found.append(
                        Match("district", value, m.start(), m.end(), m.group(0), fuzzy=True)
                    )
                    break
    if entities is None or "age" in entities:
        for pattern in MONTH_PATTERNS:
            for m in pattern.finditer(text):
                # "a 6-month-old", "18 months", "生后6个月": ages are whole years (knowledge/README.md:
                # a school "from 18 months" is stored as age_min 1), so the months in whole years.
                months = int(m.group(1))
                if 0 < months < 48 and free(m.start(1), m.end(1)):
                    taken.append((m.start(1), m.end(1)))
                    found.append(Match("age", str(months // 12), m.start(1), m.end(1), m.group(1)))
        for pattern in AGE_PATTERNS:
            for m in pattern.finditer(text):
                age = int(m.group(1))
                if 0 < age < 25 and free(m.start(1), m.end(1)):
                    taken.append((m.start(1), m.end(1)))
                    found.append(Match("age", str(age), m.start(1), m.end(1), m.group(1)))
    return sorted(found, key=lambda x: x.start)
