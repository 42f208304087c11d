"""School and hospital names whose words are translated: "hôpital d'amitié sino-japonaise", "Пекинской
больницы Дружбы", "el hospital de la amistad", "la escuela británica de Sanlitun".

People translate the common words of a foreign place's name (Friendship, British, China-Japan) and keep the
proper ones (Sanlitun). The words they write for the English ones are data (`name_words.yml`). A record is
named when every distinctive word of one of its English names (its `name`, the name without brackets or
" - " suffix, its Latin aliases; not the kind of place, not the city, not function words) is in the message,
as itself or as a translation of it, and at least one of them as a translation (otherwise the exact
matcher, bot/knowledge/names.py, has already found it).

Strict, like the sound matcher (bot/knowledge/sounds.py): only schools and hospitals, only when the message
also says the kind of place in words ("hôpital", "больница", "escuela"), and only one record: where several
are named, the one with the most words wins ("China-Japan Friendship" over "Beijing Friendship" for
"l'hôpital d'amitié sino-japonaise"), a tie names none. Used only when the exact matcher found no place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML

from bot.knowledge import sounds

WORDS_FILE = Path(__file__).with_name("name_words.yml")
KINDS = ("schools", "hospitals")

# Words of English names that name nothing on their own (kinds of place, the city, function words).
GENERIC = sounds.GENERIC
_TOKEN = re.compile(r"[^\W_]+")
# Words that are no part of a name made only of generic words ("International School of Beijing").
FUNCTION_WORDS = frozenset(
    {"of", "the", "and", "de", "der", "des", "du", "la", "le", "in", "for", "at"}
)
# A German compound whose last part says the kind of place, its first part hyphenated words
# ("chao-yang-krankenhauses", "yew-chung-schule"); the text is folded (lower case, no accents).
_HOSPITAL_PARTS = frozenset({"krankenhaus", "klinik", "spital", "hospital"})
_COMPOUND = re.compile(
    r"(?<![^\W_])((?:[^\W_]+-)+)(krankenhaus|klinik|spital|hospital|schule|gymnasium)[^\W_]*"
)
_LATIN_ACCENTS = str.maketrans("àáâãäåçèéêëìíîïñòóôõöùúûüýÿ", "aaaaaaceeeeiiiinooooouuuuyy")


def fold(text: str) -> str:
    """Lower case, Latin letters without accents, Russian ё as е, typographic apostrophes as "'"."""
    return text.lower().translate(_LATIN_ACCENTS).replace("ё", "е").replace("’", "'")


def _pattern(word: str) -> re.Pattern[str]:
    """A rule word as a whole-word pattern; `*` at its end: any ending; `*` at its start: any letters
    before it (the last part of a German compound, "*krankenhaus*"); `*` at the end of an inner word of a
    phrase: any ending of that word; spaces: any spaces."""
    stem = fold(word.strip())
    prefix = stem.endswith("*")
    suffix = stem.startswith("*")
    # In a phrase, `*` at the end of an inner word: any ending of that word ("западн* академи*").
    body = r"\s+".join(
        re.escape(part[:-1]) + r"[^\W_]*" if part.endswith("*") else re.escape(part)
        for part in stem.strip("*").split()
    )
    start = r"[^\W_]*" if suffix else r"(?<![^\W_])"
    return re.compile(start + body + (r"[^\W_]*" if prefix else r"(?![^\W_])"))


@dataclass(frozen=True)
class Rules:
    words: tuple[tuple[frozenset[str], re.Pattern[str]], ...]
    kinds: dict[str, tuple[re.Pattern[str], ...]]


@lru_cache(maxsize=1)
def rules(path: Path = WORDS_FILE) -> Rules:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    words = tuple(
        (frozenset(str(english).split()), _pattern(str(w)))
        for english, written in (data.get("words") or {}).items()
        for w in written or []
    )
    kinds = {
        str(kind): tuple(_pattern(str(w)) for w in written or [])
        for kind, written in (data.get("kinds") or {}).items()
    }
    return Rules(words, kinds)


@dataclass(frozen=True)
class NameMatch:
    kind: str
    id: str
    start: int
    end: int


@dataclass
class TranslatedIndex:
    """The distinctive words of the English names of every school and hospital."""

    # (kind, id, distinctive words, every word of the name)
    entries: list[tuple[str, str, frozenset[str], frozenset[str]]] = field(default_factory=list)

    @classmethod
    def build(cls, named: Iterable[tuple[str, str, Iterable[str]]]) -> TranslatedIndex:
        entries = []
        for kind, rid, names in named:
            if kind not in KINDS:
                continue
            for name in names:
                # Latin names, accents and all ("Lycée Français International de Pékin").
                if not fold(name).isascii():
                    continue
                tokens = frozenset(_TOKEN.findall(fold(name)))
                # A name made only of generic words ("International School of Beijing") is named by
                # those words, translated as one phrase (name_words.yml: "international school beijing").
                words = tokens - GENERIC or tokens - FUNCTION_WORDS
                if words:
                    entries.append((kind, rid, words, tokens))
        return cls(entries)

    def compound(self, folded: str) -> NameMatch | None:
        """The one school or hospital named by the first part of a German compound whose last part
        says the kind of place: "des Chao-Yang-Krankenhauses", "der Yew-Chung-Schule". Only the
        hyphenated words before the kind word count, and they must be the whole of a name's distinctive
        words, so "Krankenhaus in Chaoyang" names nothing."""
        found: set[tuple[str, str, int, int]] = set()
        for m in _COMPOUND.finditer(folded):
            said = frozenset(_TOKEN.findall(m.group(1))) - GENERIC
            kind = "hospitals" if m.group(2) in _HOSPITAL_PARTS else "schools"
            for entry_kind, rid, words, _ in self.entries:
                if entry_kind == kind and words == said:
                    found.add((kind, rid, m.start(), m.end()))
        if len({(k, r) for k, r, _, _ in found}) != 1:
            return None
        kind, rid, start, end = min(found, key=lambda f: f[2])
        return NameMatch(kind, rid, start, end)

    def find(self, text: str) -> NameMatch | None:
        """The one school or hospital the message names with translated words, or None."""
        folded = fold(text)
        compound = self.compound(folded)
        if compound is not None:
            return compound
        r = rules()
        said: set[str] = set()
        spans: list[tuple[frozenset[str], tuple[int, int]]] = []
        for english, pattern in r.words:
            for m in pattern.finditer(folded):
                said |= english
                spans.append((english, m.span()))
        if not said:
            return None
        kinds_said: dict[str, tuple[int, int]] = {}
        for kind, patterns in r.kinds.items():
            for pattern in patterns:
                kind_word = pattern.search(folded)
                if kind_word:
                    kinds_said.setdefault(kind, kind_word.span())
        present = set(_TOKEN.findall(folded)) | said
        best: dict[tuple[str, str], float] = {}
        used: dict[tuple[str, str], frozenset[str]] = {}
        for kind, rid, words, tokens in self.entries:
            # At least one word of the name said as a translation: a distinctive one ("hôpital de
            # l'amitié") or a generic one around the name's own words in another order ("l'école
            # Montessori internationale de Pékin": International Montessori School of Beijing, which
            # the exact matcher does not find; "écoles Montessori" names no school).
            if kind in kinds_said and words <= present and tokens & said:
                # A name of generic words only counts least: "Городская международная школа
                # Пекина" is the City International School, not the International School.
                score = len(words - GENERIC) or 0.5
                if score > best.get((kind, rid), 0):
                    best[(kind, rid)] = score
                    # The translated words the name needed: its distinctive ones, else the generic
                    # ones; a generic word said beside it ("… les assurances internationales") is
                    # no part of the name, so that the words around it keep what they ask.
                    used[(kind, rid)] = words & said or tokens & said
        if not best:
            return None
        top = max(best.values())
        winners = [key for key, n in best.items() if n == top]
        if len(winners) != 1:
            return None
        kind, rid = winners[0]
        named = [span for english, span in spans if english & used[(kind, rid)]]
        named.append(kinds_said[kind])
        return NameMatch(kind, rid, min(s for s, _ in named), max(e for _, e in named))
