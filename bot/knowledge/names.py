"""Records and landmarks named in a message: "when is the Andingmen hall open?", "WAB 的学费", "near Sanlitun".

The names come from the published knowledge base, never from training data:

* every record's names in each language (`name`, a procedure's `title`), the name without its
  bracketed parts or its " - " suffix ("Western Academy of Beijing"), and the short names written in
  its brackets ("WAB", "ITHCC");
* the staff's `aliases:` of service points, schools, hospitals and procedures (any language, never
  translated);
* a hotline's number of five digits or more ("12367"): hotline names ("Police") are common words, and
  three-digit numbers are as often counts ("120 days");
* landmarks and neighbourhoods from `knowledge/landmarks.yml` (`find_landmarks`).

Matching is case-insensitive; Latin, Cyrillic and other spaced scripts match whole words only ("ISB" not
inside "ISBN"), Chinese, Japanese and Korean anywhere in the text. The longest name wins where two overlap;
a name shared by two records (the health-check centre is a service point and a hospital) gives one
mention per record at the same place; a short name said with the other words of a longer name, in any
order, is the longer name's record ("United Family Klinik am Jianguomen": the clinic). Korean names are also
found without their spaces, and places and procedures by the Korean reading of their Chinese names
("화목가" 和睦家, "영구거류" 永久居留; bot/knowledge/sino_korean.py).

One Aho-Corasick automaton (ahocorasick-rs) over every name finds them all in one pass. It is built from
the knowledge base and rebuilt when a sync publishes a new version (a new audit entry, the check
bot/faq/index.py uses): the running assistant knows a new alias at once, without retraining or restart.

The Rasa server's NLU and reply language use the names on its event loop, every message: they take the
names held in memory (`held`), never a database read there (a locked knowledge database would hold every
conversation up to KB_LOCK_TIMEOUT). The Rasa server starts building them when it starts (`hold`); a
background thread checks the published version at most every KB_NAMES_REFRESH seconds while messages
come, and rebuilds after a sync; a failed check keeps the names held.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import ahocorasick_rs
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.core import config
from bot.knowledge import db, sino_korean, sounds, translated_names

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mention:
    """A record named in a message: its kind and id, and where (`text[start:end] == surface`)."""

    kind: str
    id: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class Landmark:
    """A landmark or neighbourhood (knowledge/landmarks.yml): its names, district and, where a source
    gives them, coordinates."""

    id: str
    name: dict[str, str]
    district: str | None
    lat: float | None = None
    lon: float | None = None
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    surface: str = field(default="", compare=False)


# The kinds of places (as bot/dialogue/context.py's PLACE_KINDS).
PLACE_KINDS = ("service_points", "schools", "hospitals")
# The kinds also known by the Korean reading of their Chinese names and by their Hangul names without
# spaces: places, and procedures ("영구거류", 永久居留).
READ_KINDS = (*PLACE_KINDS, "procedures")
# The kinds whose records are named in messages, and the fields holding their names.
NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "service_points": ("name",),
    "schools": ("name",),
    "hospitals": ("name",),
    "procedures": ("title",),
}

_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"
)
# The prefix of official Chinese names ("Beijing Municipal ...") that people leave out.
CITY_PREFIX = "北京市"
_BRACKETS = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9]+$")
# Characters folded to one form so that "St Paul’s" and "St Paul's", "E–Town" and "E-Town" match.
# Hyphens and dashes are folded to a space: a German compound joins the words of a name with hyphens
# ("des United-Family-Krankenhauses", "die Chao-Yang-Klinik"), and "E-Town" is also written "E Town".
_FOLD = {ord(a): b for a, b in zip("’‘`´-‐‑‒–—―", "''''       ", strict=True)}
_FOLD[0x3000] = " "  # ideographic space
# Japanese (shinjitai) and traditional forms of the simplified characters in place names, folded to the
# simplified one: "楽成国際学校" is 乐成国际学校, "豊台分局" 丰台分局, "亦荘" 亦庄, "北京明徳医院" 北京明德医院.
# One character for one character; names and messages are folded alike.
_KANJI = (
    "際國楽樂豊豐荘莊華徳誼協門陽順義関關園東療務総館聯爾蘭龍韓漢経經済濟開発發衛検査證証広廣場"
    "営業長鎮県縣戸單単辺橋亜賓飯貿懐懷価費電話時間興運動帰書線区區厳嚴鉄鐵歳紹紀醫学學"
)
_SIMPLIFIED = (
    "际国乐乐丰丰庄庄华德谊协门阳顺义关关园东疗务总馆联尔兰龙韩汉经经济济开发发卫检查证证广广场"
    "营业长镇县县户单单边桥亚宾饭贸怀怀价费电话时间兴运动归书线区区严严铁铁岁绍纪医学学"
)
_FOLD.update({ord(a): b for a, b in zip(_KANJI, _SIMPLIFIED, strict=True)})


def _fold(text: str) -> str:
    """Lower case and, in Latin letters, without accents ("lycee francais" names the "Lycée Français
    ..."), one character for one character (positions stay those of the message)."""
    out = []
    for ch in text.translate(_FOLD):
        low = ch.lower()
        out.append(_LATIN_BASE.get(low, low) if len(low) == 1 else ch)
    return "".join(out)


def _latin_base(ch: str) -> str:
    """The letter without its accent ("é" -> "e"), when it is one Latin letter and a mark."""
    decomposed = unicodedata.normalize("NFD", ch)
    return decomposed[0] if len(decomposed) > 1 and decomposed[0].isascii() else ch


# Accented Latin letters (Latin-1 Supplement and Latin Extended-A/B) and their bases.
_LATIN_BASE = {ch: _latin_base(ch) for ch in map(chr, range(0xC0, 0x250)) if _latin_base(ch) != ch}


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _word_char(ch: str) -> bool:
    """A letter or digit of a spaced script: a Latin name must not touch one."""
    return (ch.isalnum() or unicodedata.category(ch) == "Mn") and not _CJK.match(ch)


# A German genitive (or an English plural or possessive without its apostrophe) on a name: "die
# Öffnungszeiten des Regierungsdienstzentrums", "Dulwichs Adresse"; only on names this long.
_GENITIVE_MIN = 5


def _rest_of_word(folded: str, end: int) -> str:
    """The letters that follow a name found ending at `end`, up to the end of their word."""
    stop = end
    while stop < len(folded) and _word_char(folded[stop]):
        stop += 1
    return folded[end:stop]


def _genitive_s(folded: str, start: int, end: int) -> bool:
    """The name found at `start:end` is followed by one "s" that ends the word."""
    return (
        end - start >= _GENITIVE_MIN
        and folded[end - 1] != "s"
        and _rest_of_word(folded, end) == "s"
    )


# A Russian case ending on a Cyrillic name ("телефон Дульвича", "в Дульвиче", "с Кистоуном"): one or two
# letters, only on names this long; names that do not decline ("Хэрроу", "Сехэ") are unaffected.
_RU_ENDINGS = frozenset(["а", "я", "у", "ю", "е", "ы", "и", "ом", "ем", "ой", "ей", "ам", "ах"])
_RU_ENDING_MIN = 5
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def _russian_ending(folded: str, start: int, end: int) -> bool:
    """The Cyrillic name found at `start:end` is followed by a Russian case ending that ends the word."""
    if end - start < _RU_ENDING_MIN or not _CYRILLIC.match(folded[end - 1]):
        return False
    return _rest_of_word(folded, end) in _RU_ENDINGS


def derived_names(name: Mapping[str, str]) -> list[str]:
    """The names a record's `name` (or title) gives in each language: the whole name, the name without
    its bracketed parts and without a " - " suffix, and abbreviations written in its brackets
    ("Western Academy of Beijing (WAB)" -> the same, "Western Academy of Beijing", "WAB"). English and
    Chinese only."""
    out: list[str] = []
    for lang, text in name.items():
        # English and Chinese: the names sources give. Translated titles (ko, ar, ...) are descriptions
        # whose words ("비자", "تصريح") are no names.
        if lang not in ("en", "zh") or not isinstance(text, str):
            continue
        head = text.split(" - ", 1)[0].strip()
        candidates = [text.strip(), head, _BRACKETS.sub("", head).strip()]
        if head.lower().startswith("the "):
            candidates.append(_BRACKETS.sub("", head[4:]).strip())
        if lang == "zh":
            # 北京协和医院 国际医疗部 -> 北京协和医院; 北京法国国际学校（北京夏尔·戴高乐法国国际学校）-> both
            words = _BRACKETS.sub("", text).split()
            if words and _is_cjk(words[0]) and len(words[0]) >= 4:
                candidates.append(words[0])
            # 北京市政务服务中心 -> 政务服务中心: "Beijing Municipality" is left out in speech.
            candidates += [
                c[len(CITY_PREFIX) :]
                for c in list(candidates)
                if c.startswith(CITY_PREFIX) and len(c) - len(CITY_PREFIX) >= 4
            ]
            candidates += [
                inner for inner in _BRACKETS.findall(text) if len(inner) >= 4 and _is_cjk(inner)
            ]
        else:
            for inner in _BRACKETS.findall(text):
                for part in inner.split(","):
                    part = part.strip()
                    if any(_ABBREVIATION.match(word) for word in part.split()):
                        candidates.append(part)
        for c in candidates:
            if len(c) >= 2 and c not in out:
                out.append(c)
    return out


def record_names(kind: str, record: Mapping[str, Any]) -> list[str]:
    """Every name a message may use for `record` of `kind`."""
    names: list[str] = []
    if kind == "hotlines":
        number = str(record.get("number") or "")
        # 12367, 12345, 6525 5486; not 110 or 120, which are as often a count ("120 days").
        return [number] if sum(ch.isdigit() for ch in number) >= 5 else []
    for key in NAME_FIELDS.get(kind, ()):
        value = record.get(key)
        if isinstance(value, Mapping):
            names += derived_names(value)
    for alias in record.get("aliases") or []:
        if isinstance(alias, str) and alias.strip() and alias.strip() not in names:
            names.append(alias.strip())
    for name in list(names):
        names += [form for form in spoken_forms(name) if form not in names]
    return names


# How people shorten a place's name when they say it (`spoken_forms`).
# The word for a hospital in Korean, Japanese and Chinese is written either way ("협화의원" / "협화병원").
_HOSPITAL_WORDS = (("의원", "병원"), ("病院", "医院"))
# The city said in a name ("... der Stadt Beijing", "of Beijing", "Beijing ..."), which people leave out.
_CITY_QUALIFIER = re.compile(
    r"^(?:beijing|peking)\s+|\s+(?:of\s+beijing|der\s+stadt\s+beijing|beijings|de\s+beijing|de\s+p[eé]kin|"
    r"in\s+beijing|beijing|in\s+peking|peking)$",
    re.IGNORECASE,
)
# The city written before a Chinese, Japanese or Korean name ("北京和睦家医院", "베이징시 정무서비스센터").
_CJK_CITY_PREFIXES = ("北京市", "北京", "베이징시", "베이징")
_CJK_GENERIC = frozenset(
    {
        "国际学校",
        "学校",
        "医院",
        "国际医院",
        "诊所",
        "国际部",
        "英国学校",
        "美国学校",
        "국제학교",
        "병원",
    }
)
# A kind of place said last ("... Clinic"): "United Family Jianguomen" names the clinic.
_PLACE_WORD = re.compile(r"\s+(?:clinic|hospital|school|hall|cent(?:er|re))$", re.IGNORECASE)
# Words that name no place on their own: a form made only of them is no name ("International School").
_GENERIC = frozenset(
    [
        "international",
        "school",
        "schools",
        "hospital",
        "clinic",
        "center",
        "centre",
        "service",
        "services",
        "hall",
        "office",
        "academy",
        "college",
        "medical",
        "department",
        "government",
        "the",
        "of",
        "and",
        "for",
        "in",
    ]
)


# A German adjective in a name ("Deutsche Botschaftsschule", "Internationale SOS") takes a case ending
# in a sentence: "die Adresse der Deutschen Botschaftsschule", "des Internationalen SOS", "ein
# Internationales ...". Only capitalised adjectives (-sche, -ale, -ige, -liche) before the last word
# (the noun, which keeps its form), in names of at most four words.
_GERMAN_ADJECTIVE = re.compile(r"^[A-ZÄÖÜ]\w*(?:sch|al|ig|lich)e$")
_GERMAN_ENDINGS = ("n", "r", "s", "m")
_DECLINED_MAX_WORDS = 4


def _declined(name: str) -> list[str]:
    """`name` with its German adjectives in each case ending ("Deutsche Botschaftsschule" ->
    "Deutschen Botschaftsschule", "Deutscher ...", ...); none when it has no such adjective."""
    words = name.split()
    if not 2 <= len(words) <= _DECLINED_MAX_WORDS:
        return []
    which = [i for i, w in enumerate(words[:-1]) if _GERMAN_ADJECTIVE.match(w)]
    if not which:
        return []
    return [
        " ".join(w + ending if i in which else w for i, w in enumerate(words))
        for ending in _GERMAN_ENDINGS
    ]


def spoken_forms(name: str) -> list[str]:
    """Shorter or variant forms of a name that people write: the other word for "hospital" in Korean,
    Japanese and Chinese; without the city ("Regierungsdienstzentrum der Stadt Beijing" ->
    "Regierungsdienstzentrum", "베이징시 정무서비스센터" -> "정무서비스센터"); without a last word saying the kind of place when two words or more
    are left ("United Family Jianguomen Clinic" -> "United Family Jianguomen"); with the case endings of
    its German adjectives ("der Deutschen Botschaftsschule"; `_declined`). Never a form made only of
    generic words ("International School")."""
    forms: list[str] = []
    for a, b in _HOSPITAL_WORDS:
        for old, new in ((a, b), (b, a)):
            if name.endswith(old) and len(name) > len(old) + 1:
                forms.append(name[: -len(old)] + new)
    # A Cyrillic name ending in a soft sign or й declines by replacing it ("Андинмэнь" -> "на Андинмэне"):
    # its stem, which takes the case ending (`_russian_ending`).
    if name[-1:] in ("ь", "й") and _CYRILLIC.match(name[-2:-1] or " "):
        forms.append(name[:-1])
    if _is_cjk(name):
        for prefix in _CJK_CITY_PREFIXES:
            rest = name[len(prefix) :].strip()
            if name.startswith(prefix) and len(rest) >= 3 and rest not in _CJK_GENERIC:
                forms.append(rest)
                break
    else:
        short = _CITY_QUALIFIER.sub("", name).strip()
        if short != name:
            forms.append(short)
        for base in (name, short):
            cut = _PLACE_WORD.sub("", base).strip()
            if cut != base and len(cut.split()) >= 2:
                forms.append(cut)
        for base in (name, short):
            forms += _declined(base)
    return [
        f
        for f in dict.fromkeys(forms)
        if len(f) >= 4 and (_is_cjk(f) or set(f.lower().split()) - _GENERIC)
    ]


@dataclass
class Matcher:
    """Every name, folded, with the records it names; one automaton over them."""

    keys: list[str]
    owners: list[list[tuple[str, str]]]  # per key: (kind, id) of the records it names
    cjk: list[bool]
    automaton: ahocorasick_rs.AhoCorasick | None

    @classmethod
    def build(cls, named: Iterable[tuple[str, str, Iterable[str]]]) -> Matcher:
        """From (kind, id, names) triples."""
        index: dict[str, int] = {}
        keys: list[str] = []
        owners: list[list[tuple[str, str]]] = []
        for kind, rid, names in named:
            for name in names:
                key = " ".join(_fold(name).split())
                if len(key) < 2:
                    continue
                if key not in index:
                    index[key] = len(keys)
                    keys.append(key)
                    owners.append([])
                if (kind, rid) not in owners[index[key]]:
                    owners[index[key]].append((kind, rid))
        automaton = ahocorasick_rs.AhoCorasick(keys) if keys else None
        return cls(keys, owners, [_is_cjk(k) for k in keys], automaton)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(key index, start, end) of the longest non-overlapping names in `text`, in text order."""
        if self.automaton is None or not text:
            return []
        folded = _fold(text)
        found = []
        for i, start, end in self.automaton.find_matches_as_indexes(folded, overlapping=True):
            if not self.cjk[i]:
                if start > 0 and _word_char(folded[start - 1]) and _word_char(folded[start]):
                    continue
                if (
                    end < len(folded)
                    and _word_char(folded[end])
                    and _word_char(folded[end - 1])
                    and not _genitive_s(folded, start, end)
                    and not _russian_ending(folded, start, end)
                ):
                    continue
            found.append((i, start, end))
        # Longest first; at equal length the earlier one.
        found.sort(key=lambda m: (-(m[2] - m[1]), m[1]))
        taken: list[tuple[int, int]] = []
        chosen = []
        for i, start, end in found:
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                chosen.append((i, start, end))
        return sorted(chosen, key=lambda m: m[1])


def mentions(matcher: Matcher, text: str) -> list[Mention]:
    return [
        Mention(kind, rid, start, end, text[start:end])
        for i, start, end in matcher.find(text)
        for kind, rid in matcher.owners[i]
    ]


# --------------------------------------------------------------------------------------------
# From the published knowledge base, rebuilt when a sync publishes
# --------------------------------------------------------------------------------------------


@dataclass
class _Names:
    records: Matcher
    landmarks: Matcher
    landmark_records: dict[str, dict[str, Any]]
    sounds: sounds.SoundIndex = field(default_factory=lambda: sounds.SoundIndex([]))
    # Korean names: Chinese names read in Korean ("화목가") and the Hangul names and aliases, matched in a
    # message without its spaces ("화목가 병원", "정부 서비스 센터").
    readings: Matcher = field(default_factory=lambda: Matcher.build([]))
    # Schools and hospitals named with translated words ("больница Дружбы"; translated_names.py).
    translated: translated_names.TranslatedIndex = field(
        default_factory=translated_names.TranslatedIndex
    )


def _version(conn: Connection) -> Any:
    """Changes whenever a sync publishes (a new audit entry): one indexed query."""
    from bot.knowledge.models import AuditEntry

    return conn.execute(select(func.max(AuditEntry.id))).scalar()


def _load(conn: Connection) -> _Names:
    from bot.knowledge.kinds import KINDS

    named: list[tuple[str, str, list[str]]] = []
    for kind in (*NAME_FIELDS, "hotlines"):
        table = KINDS[kind].table
        for rid, data in conn.execute(select(table.id, table.data).order_by(table.id)):
            named.append((kind, rid, record_names(kind, data)))
    landmark_records: dict[str, dict[str, Any]] = {}
    landmark_names: list[tuple[str, str, list[str]]] = []
    if "landmarks" in KINDS:
        table = KINDS["landmarks"].table
        for rid, data in conn.execute(select(table.id, table.data).order_by(table.id)):
            landmark_records[rid] = data
            names = derived_names(data.get("name") or {})
            names += [a for a in data.get("aliases") or [] if a not in names]
            landmark_names.append(("landmarks", rid, names))
    return _Names(
        Matcher.build(named),
        Matcher.build(landmark_names),
        landmark_records,
        sounds.SoundIndex.build(named),
        Matcher.build(
            (kind, rid, [*sino_korean.forms(names), *_hangul_names(names)])
            for kind, rid, names in named
            if kind in READ_KINDS
        ),
        translated_names.TranslatedIndex.build(named),
    )


_NAMES = db.Published(_version, _load)


def current(url: str | None = None) -> _Names:
    """The names of what is published now (rebuilt only after a sync)."""
    return _NAMES.get(url)


# --------------------------------------------------------------------------------------------
# Held in memory, for code on an event loop (the Rasa server's NLU and reply language)
# --------------------------------------------------------------------------------------------


class _Held:
    """The names as last built, per knowledge base: what `held` returns. A refresh (the published
    version checked, the names rebuilt when a sync changed it: `current`, the action server's check) runs
    in one background thread, at most once per KB_NAMES_REFRESH seconds and only while messages come; a
    refresh that fails (a locked or unreachable database) keeps the names held before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, _Names] = {}
        self._checked: dict[str, float] = {}
        self._pending: dict[str, Future[None]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def get(self, url: str) -> _Names | None:
        names = self._names.get(url)
        if names is None and not _on_event_loop():
            # Off an event loop (tests, the action server's threads): the caller may wait.
            self.refresh(url)
            return self._names.get(url)
        if time.monotonic() - self._checked.get(url, 0.0) >= config.names_refresh_seconds():
            self.refresh_later(url)
        return names

    def refresh(self, url: str) -> None:
        """Check the published version now, on this thread, and rebuild on a change; on an error the
        names held stay."""
        self._checked[url] = time.monotonic()
        try:
            self._names[url] = current(url)
        except Exception as error:  # locked, unreachable, not synced: the next check tries again
            logger.warning("Names not refreshed (the names held stay): %s", error)

    def refresh_later(self, url: str) -> Future[None]:
        """`refresh` in the background thread; one at a time per knowledge base."""
        with self._lock:
            pending = self._pending.get(url)
            if pending is not None and not pending.done():
                return pending
            self._checked[url] = time.monotonic()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="names")
            future = self._pool.submit(self.refresh, url)
            self._pending[url] = future
            return future

    def forget(self) -> None:
        """Drop every name held (tests)."""
        with self._lock:
            self._names.clear()
            self._checked.clear()


def _on_event_loop() -> bool:
    """The calling thread runs an asyncio event loop (the Rasa server's, whose NLU runs on it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_HELD = _Held()


def held(url: str | None = None) -> _Names | None:
    """The names held in memory, for code that runs on an event loop and must never wait on the
    database: the Rasa server's NLU (`bot.nlu.facets`) and reply language (`bot.dialogue.language`),
    every message. On an event loop this never reads the knowledge base: the names come from memory,
    and when they were last checked KB_NAMES_REFRESH seconds ago or more, a check (one indexed query,
    the rebuild only after a sync) is started in a background thread for the next messages. None while
    none were built yet (the Rasa server starts building them at start, `hold`) or none could be: the
    callers then read the message as they do when the knowledge base is down. Off an event loop the
    first call builds them on the calling thread."""
    return _HELD.get(url or config.kb_database_url())


def hold(url: str | None = None) -> Future[None]:
    """Start building the names to hold, in the background (the Rasa server, at start)."""
    return _HELD.refresh_later(url or config.kb_database_url())


def find_held_mentions(text: str, url: str | None = None) -> list[Mention]:
    """`find_mentions` with the names held in memory (`held`): no database read on an event loop;
    nothing found while no names are held."""
    if not text.strip():
        return []
    names = held(url)
    return _mentions_in(names, text) if names is not None else []


def find_mentions(text: str, url: str | None = None) -> list[Mention]:
    """Records named in `text`, in text order (longest names win; see the module docstring). Within
    one answer (`db.one_answer`) a text is looked at once (several rules ask of the same message)."""
    if not text.strip():
        return []
    url = url or config.kb_database_url()
    return list(db.per_answer(("find_mentions", text, url), lambda: _find_mentions(text, url)))


def _find_mentions(text: str, url: str) -> list[Mention]:
    return _mentions_in(current(url), text)


def _mentions_in(names: _Names, text: str) -> list[Mention]:
    found = _more_specific(names.records, mentions(names.records, text), text)
    # A Korean name with other spaces, or the Chinese name read in Korean ("화목가 병원": 和睦家医院;
    # "영구거류": 永久居留, permanent residence): for a kind not named in its own spelling.
    named_kinds = {m.kind for m in found}
    read = [
        m
        for m in _read_mentions(names.readings, text)
        if m.kind not in named_kinds
        and not (m.kind in PLACE_KINDS and named_kinds & set(PLACE_KINDS))
    ]
    if any(m.kind in PLACE_KINDS for m in found):
        return sorted([*found, *read], key=lambda m: m.start) if read else found
    if any(m.kind in PLACE_KINDS for m in read):
        return sorted([*found, *read], key=lambda m: m.start)
    if read:
        found = sorted([*found, *read], key=lambda m: m.start)
    # A school or hospital named with translated words ("hôpital de l'amitié", "больница Дружбы";
    # bot/knowledge/translated_names.py).
    said = names.translated.find(text)
    if said is not None:
        mention = Mention(said.kind, said.id, said.start, said.end, text[said.start : said.end])
        return sorted([*found, mention], key=lambda m: m.start)
    # A school or hospital written as it sounds in another
    # script ("덜위치 칼리지", "مدرسة هارو"; bot/knowledge/sounds.py).
    heard = names.sounds.find(text)
    if heard is None:
        return found
    mention = Mention(heard.kind, heard.id, heard.start, heard.end, text[heard.start : heard.end])
    return sorted([*found, mention], key=lambda m: m.start)


_TOKEN = re.compile(r"[^\W_]+")


def _tokens(folded: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(folded))


def _more_specific(matcher: Matcher, found: list[Mention], text: str) -> list[Mention]:
    """A place named by a short name that another place's longer name contains, when every other
    distinctive word of that longer name is in the message too, in any order: the longer one ("United
    Family Klinik am Jianguomen", "the Jianguomen clinic of United Family": the United Family
    Jianguomen Clinic, not the United Family hospital its short name "United Family" names)."""
    if not any(m.kind in PLACE_KINDS for m in found):
        return found
    words = _tokens(_fold(text))
    out = []
    for m in found:
        said = _tokens(_fold(m.surface)) - _GENERIC
        better = None
        if m.kind in PLACE_KINDS and said and not _is_cjk(m.surface):
            for i, key in enumerate(matcher.keys):
                if matcher.cjk[i]:
                    continue
                wanted = _tokens(key) - _GENERIC
                if said < wanted <= words:
                    owners = [o for o in matcher.owners[i] if o[0] == m.kind and o[1] != m.id]
                    if len(owners) == 1 and (better is None or len(wanted) > better[0]):
                        better = (len(wanted), owners[0][1])
        out.append(replace(m, id=better[1]) if better else m)
    return out


def _hangul_names(names: Iterable[str]) -> list[str]:
    """The Hangul names among `names`, without their spaces (Korean spacing varies: "정무 서비스 센터")."""
    out = []
    for n in names:
        compact = "".join(n.split())
        if len(compact) >= sino_korean.MIN_SYLLABLES and all(
            "\uac00" <= ch <= "\ud7a3" for ch in compact
        ):
            out.append(compact)
    return out


def _read_mentions(matcher: Matcher, text: str) -> list[Mention]:
    """Records named by a Korean name or the Korean reading of their Chinese name, found in `text`
    without its spaces ("경서 국제학교"); positions are those of `text`."""
    if not any("\uac00" <= ch <= "\ud7a3" for ch in text):
        return []
    kept = [i for i, ch in enumerate(text) if not ch.isspace()]
    joined = "".join(text[i] for i in kept)
    return [
        Mention(kind, rid, kept[start], kept[end - 1] + 1, text[kept[start] : kept[end - 1] + 1])
        for i, start, end in matcher.find(joined)
        for kind, rid in matcher.owners[i]
    ]


def find_landmarks(text: str, url: str | None = None) -> list[Landmark]:
    """Landmarks and neighbourhoods named in `text`, in text order."""
    if not text.strip():
        return []
    names = current(url)
    out = []
    for m in mentions(names.landmarks, text):
        rec = names.landmark_records[m.id]
        coords = rec.get("coordinates") or {}
        out.append(
            Landmark(
                m.id,
                dict(rec["name"]),
                rec.get("district"),
                coords.get("lat"),
                coords.get("lon"),
                m.start,
                m.end,
                m.surface,
            )
        )
    return out


def record(kind: str, rid: str, url: str | None = None) -> dict[str, Any] | None:
    """The published record a mention names (None when it is gone since)."""
    from bot.knowledge.kinds import KINDS

    registered = KINDS.get(kind)
    if registered is None:
        return None
    with db.read_session(url or config.kb_database_url()) as session:
        row = session.get(registered.table, rid)
        return dict(row.data) if row is not None else None
