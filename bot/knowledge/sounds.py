"""School and hospital names written in another script: "덜위치 칼리지", "Хэрроу", "مدرسة هارو", "キーストーン".

People write a foreign school's or hospital's name the way it sounds in their own script, and staff cannot
list every spelling as an alias. This matcher turns the message's Hangul, Cyrillic, Arabic and kana words
into Latin letters (anyascii: one maintained, dependency-free transliteration table for every script,
ISC licence) and compares how they sound with the records' Latin names and aliases.

How they sound is a consonant skeleton: vowels, w, y and v are left out (Hangul and kana add vowels
between consonants, Arabic script leaves most out, Russian writes English w as "в"), and consonants are
folded into classes that the scripts confuse (l/r, b/p/f, k/g/c/q, t/d, s/z/j/sh/ch). "Dulwich",
"덜위치" (deolwichi), "Дульвич" (dul'vich) and "دولويتش" (dwlwytsh) all give "TRS".

Strict, so that nothing unrelated matches:

* only schools and hospitals, only their distinctive words (never "International School", never a
  district or the city), only words in those four scripts (Chinese characters and Latin text are the
  exact matcher's business, bot/knowledge/names.py), and only when the exact matcher found no place;
* the name must stand next to a word saying the kind of place in the message's language ("해로우
  국제학교", "школы Хэрроу", "مدرسة هارو", "キーストーン・アカデミー");
* a skeleton of four consonants or more must be nearly the same (ratio >= 0.9) and have four or more;
  a shorter one ("Harrow": "HR") exactly the same, with vowels where the name has them; a name of
  one consonant ("OASIS") only with the same vowels and consonants in the same places ("오아시스");
* one record only: two records matching equally well name none.

What it cannot tell apart: a two-consonant name and an everyday word with the same sounds next to the
kind of place ("하루 학교", "a day at school", sounds like "Harrow school"); the question's facet still
has to be a fact of the record, and the answer names the record it is about.

Built with the names matcher when a sync publishes (names.py), so a new alias is known at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from anyascii import anyascii

from bot.core import function_words

# The kinds matched by sound: their names are foreign proper names people transcribe.
KINDS = ("schools", "hospitals")

# Words of the four scripts (a run of letters of one of them; Han characters excluded).
_WORD = re.compile(
    r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+"  # Hangul
    r"|[\u0400-\u04ff]+"  # Cyrillic
    r"|[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]+"  # Arabic letters (no diacritics, no digits)
    r"|[\u30a1-\u30fa\u30fc]+"  # katakana (and the long-vowel mark)
)

# Words saying the kind of place, in the scripts matched (a prefix of the word: case forms, particles).
CUES: dict[str, tuple[str, ...]] = {
    "schools": (
        "학교", "스쿨", "칼리지", "아카데미", "학원",
        "школ", "скул", "колледж", "академи", "лицей", "гимнази",
        "مدرس", "أكاديمي", "اكاديمي", "كلية",
        "スクール", "カレッジ", "アカデミー", "学校",
    ),
    "hospitals": (
        "병원", "의원", "클리닉", "메디컬",
        "больниц", "клиник", "госпитал", "хоспитал", "медцентр",
        "مستشف", "عيادة",
        "クリニック", "ホスピタル", "病院", "医院",
    ),
}  # fmt: skip

# Words of Latin names that are no name of their own (kind of place, the city, function words).
GENERIC = frozenset(
    [
        "international",
        "school",
        "schools",
        "college",
        "academy",
        "hospital",
        "clinic",
        "center",
        "centre",
        "medical",
        "department",
        "services",
        "service",
        "main",
        "campus",
        "beijing",
        "peking",
        "pekin",
        "of",
        "the",
        "and",
        "de",
        "der",
        "des",
        "du",
        "la",
        "le",
        "in",
        "for",
        "at",
        "bilingual",
    ]
)
# Words that people translate or say in Chinese rather than transcribe (districts, nationalities,
# everyday words): a name made only of them is not matched by sound ("Chaoyang Hospital" would be
# any "hospital in Chaoyang"), though they stay in a longer name ("United Family Jianguomen").
_SAID_OTHERWISE = frozenset(
    [
        "british",
        "american",
        "french",
        "german",
        "japanese",
        "korean",
        "canadian",
        "university",
        "city",
        "world",
        "youth",
        "embassy",
        "china",
        "japan",
        "friendship",
        "union",
        "assistance",
        "sos",
        "general",
        "administration",
        "customs",
        "travel",
        "health",
        "care",
        "early",
        "childhood",
        "life",
        "science",
        "park",
        "chaoyang",
        "haidian",
        "dongcheng",
        "xicheng",
        "shunyi",
        "fengtai",
        "tongzhou",
        "changping",
        "daxing",
        "huairou",
        "shijingshan",
        "sanlitun",
        "jianguomen",
        "wangjing",
        "yizhuang",
        "houshayu",
        "liangmaqiao",
    ]
)
# Arabic script's alif, which the transliteration leaves out: a written long vowel ("هارو" -> "harw").
_ALIF = str.maketrans(dict.fromkeys("اأإ", "a"))
# Korean particles after a name ("해로우에서", "덜위치는"), longest first.
_KO_PARTICLES = tuple(
    sorted(
        [
            "은",
            "는",
            "이",
            "가",
            "을",
            "를",
            "의",
            "에",
            "에서",
            "에게",
            "한테",
            "도",
            "로",
            "으로",
            "까지",
            "부터",
            "랑",
            "이랑",
            "와",
            "과",
            "하고",
            "이에요",
            "예요",
            "인가요",
        ],
        key=len,
        reverse=True,
    )
)
_KO_INTERNATIONAL = (
    "국제"  # "해로우국제학교": "international" written between the name and the kind
)
_AR_PREFIXES = ("وال", "بال", "فال", "لل", "ال")
_DIGRAPHS = (("tsh", "s"), ("sch", "s"), ("sh", "s"), ("ch", "s"), ("zh", "s"), ("kh", "h"),
             ("ph", "p"), ("th", "t"), ("ck", "k"), ("ng", "n"), ("ts", "s"), ("dz", "s"))  # fmt: skip
_CLASSES = str.maketrans(
    {
        **dict.fromkeys("bpf", "P"),
        **dict.fromkeys("kgcq", "K"),
        **dict.fromkeys("td", "T"),
        **dict.fromkeys("szjx", "S"),
        **dict.fromkeys("lr", "R"),
        "m": "M",
        "n": "N",
        "h": "H",
    }
)
LONG = 4  # consonants from which a near match is enough
RATIO = 0.9
SEEN = 256  # messages whose result is kept
SHORT_RATIO = 0.85  # of the vowel-marked forms, when the skeletons are short and equal


def skeleton(latin: str, vowels: bool = False) -> str:
    """The consonant classes of a Latin (or transliterated) text, repeats folded: "Dulwich" -> "TRS";
    `vowels`: with a "V" where vowels (and w, y, v) are, a last one left out ("TVRVS")."""
    text = re.sub(r"[^a-z]", "", latin.lower())
    for a, b in _DIGRAPHS:
        text = text.replace(a, b)
    out = [c if c.isupper() else "V" for c in text.translate(_CLASSES)]
    if not vowels:
        out = [c for c in out if c != "V"]
    folded = "".join(c for i, c in enumerate(out) if i == 0 or c != out[i - 1])
    return folded[:-1] if vowels and folded.endswith("V") else folded


def _spelled(word: str) -> bool:
    """An abbreviation said letter by letter ("WAB", "ITHCC"), not a name in capitals said as a word
    ("OASIS": five letters or more, two vowels or more)."""
    return word.isupper() and (len(word) < 5 or sum(ch in "AEIOU" for ch in word) < 2)


def distinctive(name: str) -> str | None:
    """The words of a Latin name that name it ("Harrow International School Beijing" -> "Harrow"); None
    for names in other scripts, abbreviations ("WAB") and names made only of generic words."""
    if not name.isascii():
        return None
    head = re.sub(r"\s*\([^)]*\)", "", name.split(" - ", 1)[0])
    words = [w for w in re.findall(r"[A-Za-z]+", head) if w.lower() not in GENERIC]
    if not words or all(_spelled(w) or w.lower() in _SAID_OTHERWISE for w in words):
        return None
    return " ".join(words)


def spoken(name: str, translated: bool = False) -> list[str]:
    """The ways a name's distinctive words are heard: as written, and without an r after a vowel and
    before a consonant or the end ("Daystar" as "데이스타", "Western" as "웨스턴": Korean and Japanese write
    English r only before a vowel). `translated`: the same without the words people translate ("Saint
    Paul American" as "세인트폴 미국"); none when no word is translated."""
    words = distinctive(name)
    if words and translated:
        kept = " ".join(w for w in words.split() if w.lower() not in _SAID_OTHERWISE)
        words = kept if kept != words else None
    if not words:
        return []
    non_rhotic = re.sub(r"(?<=[aeiou])r(?![aeiouy])", "", words, flags=re.IGNORECASE)
    return [words] if non_rhotic == words else [words, non_rhotic]


def _forms(word: str) -> list[str]:
    """A message word and the same without a Korean particle or an Arabic article."""
    forms = [word]
    for p in _KO_PARTICLES:
        if word.endswith(p) and len(word) > len(p) + 1:
            forms.append(word[: -len(p)])
            break
    for p in _AR_PREFIXES:
        if word.startswith(p) and len(word) > len(p) + 2:
            forms.append(word[len(p) :])
            break
    return forms


@dataclass(frozen=True)
class SoundMatch:
    kind: str
    id: str
    start: int
    end: int


@dataclass
class SoundIndex:
    """The distinctive names' skeletons of the schools and hospitals."""

    entries: list[tuple[str, str, str, str]]  # (kind, id, skeleton, with vowels)
    # The last messages' results: a turn asks for the names of one message several times.
    _seen: dict[str, SoundMatch | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, named: Iterable[tuple[str, str, Iterable[str]]]) -> SoundIndex:
        entries: list[tuple[str, str, str, str]] = []
        named = [(kind, rid, list(names)) for kind, rid, names in named if kind in KINDS]
        # A name without its translated words is heard only when it is no other record's name
        # ("United Family Jianguomen" without "Jianguomen" is the main hospital's "United Family").
        own = {
            (kind, skeleton(form)) for kind, _, names in named for n in names for form in spoken(n)
        }
        for kind, rid, names in named:
            forms = [form for name in names for form in spoken(name)]
            forms += [
                form
                for name in names
                for form in spoken(name, translated=True)
                if (kind, skeleton(form)) not in own
            ]
            for words in forms:
                key = skeleton(words)
                entry = (kind, rid, key, skeleton(words, vowels=True))
                # Two consonants only ("Harrow"): one word, else "Yew Chung", "Chao-Yang" sound like
                # everyday words.
                one_word = " " not in words
                # One consonant ("OASIS": "S"), one word: only its whole sound ("VSVS", four or more).
                heard = len(key) == 1 and one_word and len(entry[3]) >= LONG
                if (
                    len(key) >= 3 or (len(key) == 2 and one_word) or heard
                ) and entry not in entries:
                    entries.append(entry)
        return cls(entries)

    def find(self, text: str) -> SoundMatch | None:
        """The one school or hospital `text` names by sound next to a word saying its kind, or None."""
        if not self.entries:
            return None
        if text not in self._seen:
            if len(self._seen) >= SEEN:
                self._seen.clear()
            self._seen[text] = self._find(text)
        return self._seen[text]

    def _find(self, text: str) -> SoundMatch | None:
        # A function word ("توجد", "is there", next to "مدرسة") is never a name, however it sounds.
        words = [w for w in _WORD.finditer(text) if not function_words.is_function_word(w.group())]
        kinds = [_cue_kind(w.group()) for w in words]
        # (kind, start, end, surface) of the word runs next to a word of that kind.
        candidates: list[tuple[str, int, int, str]] = []
        for c, kind in enumerate(kinds):
            if kind is None:
                continue
            word = words[c].group()
            low = word.lower()  # "Школа", "Скул" at the start of a sentence
            cue_at = min(low.find(cue) for cue in CUES[kind] if cue in low)
            head = word[:cue_at]
            head = head[: -len(_KO_INTERNATIONAL)] if head.endswith(_KO_INTERNATIONAL) else head
            if head:  # "해로우국제학교": the name written together with the kind
                start = words[c].start()
                candidates.append((kind, start, start + len(head), head))
            for step in (-1, 1):  # "해로우 국제학교", "مدرسة هارو"
                run: list[int] = []
                i = c + step
                while 0 <= i < len(words) and kinds[i] is None and len(run) < 3:
                    left, right = sorted((words[i], words[i - step]), key=lambda w: w.start())
                    if text[left.end() : right.start()].strip(" ・·-"):
                        break
                    run.append(i)
                    span = sorted(run)
                    first, last = words[span[0]], words[span[-1]]
                    for form in _forms(last.group()):
                        head = text[first.start() : last.start()]
                        candidates.append((kind, first.start(), last.end(), head + form))
                    i += step
        best: dict[tuple[str, str], tuple[float, int, int]] = {}
        for kind, start, end, surface in candidates:
            latin = anyascii(surface.translate(_ALIF))
            key, voiced = skeleton(latin), skeleton(latin, vowels=True)
            for e_kind, rid, name_key, name_voiced in self.entries:
                score = self._score(key, voiced, name_key, name_voiced) if e_kind == kind else 0.0
                if score > best.get((kind, rid), (0.0, 0, 0))[0]:
                    best[(kind, rid)] = (score, start, end)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        if len(ranked) > 1 and ranked[1][1][0] == ranked[0][1][0]:
            return None
        (kind, rid), (_, start, end) = ranked[0]
        return SoundMatch(kind, rid, start, end)

    @staticmethod
    def _score(key: str, voiced: str, name_key: str, name_voiced: str) -> float:
        if len(name_key) >= LONG:
            if len(key) < LONG or 2 * min(len(key), len(name_key)) < RATIO * (
                len(key) + len(name_key)
            ):
                return 0.0  # too different in length to reach RATIO
            ratio = difflib.SequenceMatcher(None, key, name_key).ratio()
            return ratio if ratio >= RATIO else 0.0
        if key != name_key:
            return 0.0
        if len(name_key) == 1:
            return 1.0 if voiced == name_voiced else 0.0
        # Short and equal ("TRS"): the vowels must be where the name has them too ("تدرس", "teaches",
        # is "TRS" as well, with no vowel at all).
        ratio = difflib.SequenceMatcher(None, voiced, name_voiced).ratio()
        return ratio if ratio > SHORT_RATIO else 0.0


def _cue_kind(word: str) -> str | None:
    """The kind of place a message word says ("학교", "больницы", "Школа", "بمدرسة"), or None."""
    word = word.lower()
    for kind, cues in CUES.items():
        if any(cue in word for cue in cues):
            return kind
    return None
