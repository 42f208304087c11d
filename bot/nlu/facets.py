"""What a message asks about (the `facet` entity), which item of a list it picks (the `ordinal` entity),
and whether it is an elliptical follow-up (the `follow_up` intent), in the nine languages.

Rules, not a model: the words are data, one staff-readable YAML file per language in `facet_rules/`
(en.yml explains the format, README.md lists the facets), matched with the gazetteer's machinery
(bot/nlu/gazetteer.py: one Aho-Corasick pass, whole words for Latin, Cyrillic and Arabic, anywhere for
CJK). Adding a word needs a restart, never a retraining. Every language's words apply to every message.

A message is elliptical when, after taking away its facet, ordinal, time, marker (connective, question
frame), pronoun and filler words and its districts and weekdays, nothing is left that could name a
topic, and it asks something: a facet or an ordinal, or a district, weekday or time after a marker. "and on Saturday?", "海淀呢？", "its phone?", "the second one" are;
"how much is a work permit?" is not ("work permit" is left) and keeps its intent, with its facets.
Written the way newcomers write: Arabic vowel marks are ignored, Arabic "and" is found on any word, and a
Latin or Cyrillic word one letter away from a rule word is read as it ("adress", "how mcuh").

`FacetExtractor` runs after the FallbackClassifier (a rule's follow-up is certain, and the classifier's
ranking must not make it "ambiguous") and before the SafetyLayer, which stays last: a message with acute
danger never becomes `follow_up`. A follow-up keeps every district and weekday it names, whatever
config.yml's `entity_intents` allows the gazetteer for the classifier's intent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.core import vocab
from bot.nlu import gazetteer, safety

RULES_DIR = Path(__file__).with_name("facet_rules")
FACETS = vocab.FACETS
KINDS = ("facet", "alone", "ordinal", "time", "person", "marker", "pronoun", "noun", "filler")
# `person`: words for a family member the writer asks for ("my wife", "제 아내", "mon enfant"): like a
# district they name no topic and make a follow-up after a marker ("and for my wife?", "아내는요?"); the
# dialogue reads whose permit is asked from them (bot/dialogue/family_words.py).
# `noun`: words for a kind of place ("офис", "사무소", "больница"): after an ordinal or a pronoun they
# only repeat what it points at ("второй офис где?", "두 번째 병원 전화번호", "этой больницы"), so they
# name nothing; elsewhere they name a topic ("больница рядом?") and the message is a complete one.
# `alone`: words that ask a facet only when the message asks nothing else and names nothing else
# (Russian "сколько?", "а сколько?": how much; in "сколько сим-карт можно?" or "сколько месяцев в
# году?" they ask no fee and, like fillers, name nothing).
# Between an ordinal and its noun ("2番目の病院", "第二家医院", "the second school's"): only these.
_ORDINAL_NOUN_GAP = re.compile(r"[\s'’の的个家-]{0,3}")
# Facets that alone do not make a follow-up: "where do I start?", "how does it work?" are as often
# questions about the assistant; after a marker they are ("and the steps?").
WEAK_FACETS = frozenset({"order", "steps"})
# Facets that take a "how long" along: with one of them, no processing time is asked.
ABSORB_HOW_LONG = frozenset({"validity", "deadline"})
# Validity words that only tell when something expires ("expires on 3 March", "만료되는데", "vence el
# 20"): next to a deadline asked, the deadline is the question (folded forms' beginnings).
EXPIRY_STEMS = (
    "expir",
    "истек",
    "vence",
    "vencim",
    "caduc",
    "lauft ab",
    "laeuft ab",
    "abgelaufen",
    "만료",
    "过期",
    "到期",
    "期限切れ",
    "ينته",
    "تنته",
    "انتهاء",
)
# "Until when" without a verb ("until when?", "bis wann", "hasta cuándo", "jusqu'à quand", "до какого
# времени", "到什么时候", "いつまで", "언제까지", "حتى متى") asks the opening hours only of a place asked
# about as open ("bis wann hat das Amt offen?", "until when on Saturday?"); of a validity named beside it
# ("bis wann ist die Bescheinigung gültig?") the validity; otherwise the deadline ("muss ich mich
# anmelden und bis wann?", "¿hasta cuándo dura la exención?"). Folded forms; the whole rule match only.
UNTIL_WHEN = frozenset(
    {
        "until when",
        "till when",
        "bis wann",
        "hasta cuando",
        "jusqu'a quand",
        "jusqu’a quand",
        "до какого времени",
        "до каких пор",
        "до какого срока",
        "到什么时候",
        "到何时",
        "いつまで",
        "언제까지",
        "حتي متي",
    }
)
FOLLOW_UP_INTENT = "follow_up"
FALLBACK_INTENT = "nlu_fallback"
# Intents whose own questions are made of facet words only ("when are you open?", "opening hours",
# "how do I get there?"), with the facets they answer: without a marker or an ordinal, such a message
# keeps the classifier's intent (with its facets) unless it asks another facet ("its phone?").
STANDALONE_INTENTS: dict[str, frozenset[str]] = {
    "opening_hours": frozenset({"hours", "status"}),
    "find_service_point": frozenset({"address"}),
}
# "speak English please" asks for a reply language, not for the languages spoken somewhere.
NEVER_FOLLOW_UP = frozenset({"change_language"})
# Unless it asks for a hotline that answers in a language ("is there a hotline in Russian?"): a question
# outside the topics, which the dialogue answers with the hotlines that speak it.
HOTLINE_INTENT = "out_of_scope"
# Small talk whose fixed reply never answers a message naming a record ("and Harrow?") or asking a fine
# (its short words "no", "don't", "ok", "fine": "and the fine if I don't?" is no "no, thanks"): such a
# message is a follow-up.
SMALL_TALK = frozenset({"greet", "bot_challenge", "goodbye", "thank", "affirm", "deny"})
# Unless a pronoun points back to what was shown: "do they speak English there?", "거기 영어 돼요?",
# "на каком языке там говорят?" ask about a place; "where is it?", "its address?" for its address.
# (Opening hours keep their intent: the dialogue answers "is it open on Sunday?" from the places shown.)
PRONOUN_REFERS = frozenset({"change_language", "find_service_point"})
# A newcomer asking what to do first ("I just arrived for work, what should I do first?") is often read
# as `help`, whose rule sends the fixed help text; such a message asks for the newcomers' steps in order,
# which the dialogue gives to a message outside the topics (asked.out_of_scope_turn), so it becomes
# `out_of_scope` (bot/dialogue/newcomer_words.py has the words).
NEWCOMER_FROM = frozenset({"help"})
NEWCOMER_INTENT = "out_of_scope"
# Longer messages are complete questions, whatever words they use.
MAX_CHARS = 80
# A gapped form ("wie lange … bleiben"): its last words count only after its first ones in the same
# clause, so that "bleiben" asks the validity in "wie lange darf ich mit dem Visum bleiben?" but not
# in "ich will für immer bleiben, wie lange dauert der Antrag?".
GAP = "…"
GAP_MAX_CHARS = 60

_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_ARABIC = re.compile("[\u0600-\u06ff]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه"})
# Arabic writes "and", "the", "with", "for" and "its" on the word: "والعنوان" (and the address),
# "رقمه" (its number). Short forms get these clitics; forms of five letters or more match anywhere.
_AR_PREFIXES = ("", "و", "ف", "ب", "ل", "ال", "وال", "فال", "بال", "لل", "وب", "ول", "وبال", "ولل")
_AR_PREFIXES_DEFINITE = ("", "و", "ف", "ب", "وب")  # for forms that start with ال
_AR_SUFFIXES = ("", "ه", "ها", "هم")
_AR_SUBSTRING_MIN = 5
# What a long form matched inside a word leaves of it ("ال" of "الوثائق"): not a word.
_AR_CLITICS = frozenset({*_AR_PREFIXES, *_AR_SUFFIXES} - {""})
# "و"/"ف" (and) written on a word before a day, a district or a rule word is a marker: "ويوم السبت؟"
# (and on Saturday?), "طيب والسبت؟" (ok, and Saturday?); not the first letter of "وثائق" or "وين".
_AR_AND = frozenset("وف")
_AR_WORD = re.compile("[\u0620-\u064a]+")
# Arabic short vowels, shadda, sukun and tatweel: written or not ("كَمْ السِّعْر" = "كم السعر").
_AR_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")
_RESIDUE = re.compile(rf"[{_CJK_CLASS}]|[^\W_{_CJK_CLASS}]+")
# Words that may be misspellings of a rule word ("adress", "mcuh"): Latin and Cyrillic letters only.
_SPELLABLE = re.compile("[a-z\u00df-\u024f\u0430-\u044f]+")
# A misspelled word is corrected to the one rule word within one edit (insertion, deletion,
# substitution) when both have at least this many letters; a swap of two neighbouring letters
# ("mcuh") from four letters on.
_SPELL_MIN = 5
_SWAP_MIN = 4
_CJK_CHAR = re.compile(rf"[{_CJK_CLASS}]")
# What ends a clause (as in a gapped form).
_CLAUSE_END = re.compile(r"[,.;:!?¿¡]")
# A Korean verb joined to the next clause with -고 ("신청해야 하고 최대 며칠까지 연장돼요?"): "and".
_KO_AND = re.compile("[\uac00-\ud7af]고\\s")
# The words of a message, for telling its language by the rule words it uses.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Ordinals written with a digit: "number 2", "#3", "第2", "2番目", "2번째", or the digit alone.
_DIGIT_ORDINALS = (
    re.compile(r"(?:#|№|\bno\.?|\bnr\.?|\bnumber|\boption|\bnumero|\bnummer|\bномер)\s*([1-9])\b"),
    re.compile(r"第\s*([1-9])"),
    re.compile(r"([1-9])\s*(?:番目|番|つ目|번째|번(?![\uac00-\ud7af]))"),
    re.compile(r"^\W*([1-9])\W*$"),
)

# A length of time ("5 лет", "3 years", "3년", "半年" not): after a marker it narrows what was asked
# ("а на 5 лет?", "and for 3 years?", "3년짜리는요?" after a fee), like a district or a weekday.
# A small number written as a word counts as its digit ("а на два года?", "and for two years?").
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|ten|один|одного|одну|два|две|двух|три|трех|четыре|пять|шесть|десять|"
    r"un|une|deux|trois|quatre|cinq|six|dix|ein|einen|einem|eine|zwei|drei|vier|funf|sechs|zehn|"
    r"uno|dos|tres|cuatro|cinco|seis|diez"
)
_DURATION = re.compile(
    rf"(?<!\w)(?:\d{{1,3}}|{_NUMBER_WORDS})\s*(?:years?|yrs?|months?|weeks?|days?|лет|года?|месяц\w*|недел\w*|дн\w*|"
    r"ans?|mois|semaines?|jours?|jahre?n?|monate?n?|wochen?|tage?n?|anos?|mes(?:es)?|semanas?|dias?|"
    r"سنوات|سنة|سنه|أشهر|اشهر|شهر|أسابيع|أيام|ايام|يوم)(?!\w)"
    r"|\d{1,3}\s*(?:년|개월|달|주|일|年|个月|個月|ヶ月|か月|カ月|週間|周|天)"
    # Korean hours as a length ("240시간 무비자", "72시간"): not the opening hours its "시간" would ask;
    # "24시간" is round-the-clock ("응급실은 24시간 해요?") and stays.
    r"|(?<!\d)(?!24\s*시간)\d{1,3}\s*시간"
)


class LexiconError(ValueError):
    """A facet rule file that cannot be used: names the file and the key."""


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) != 1:
        folded = ch
    folded = folded.lower()
    if len(folded) != 1:
        folded = ch.lower() if len(ch.lower()) == 1 else ch
    if ord(folded) < 0x0530:  # Latin and Cyrillic: no accents (é -> e, ü -> u, ё -> е, й -> и)
        folded = unicodedata.normalize("NFD", folded)[0]
    return folded.translate(_ARABIC_LETTERS)


def fold(text: str) -> str:
    """Lower case, no accents, full-width forms and Arabic letter variants unified, one character for
    one character (offsets in the folded text are offsets in the text)."""
    return "".join(_fold_char(ch) for ch in text)


def _arabic_variants(form: str) -> list[str]:
    """The form with Arabic clitics ("و", "ال", "ه", ...) when it is short; long forms match anywhere."""
    if " " not in form and len(form) >= _AR_SUBSTRING_MIN:
        return [form]
    first, _, rest = form.partition(" ")
    if form.startswith("ال"):
        prefixes = [*_AR_PREFIXES_DEFINITE, "لل"]
        firsts = [p + first if p != "لل" else "لل" + first[2:] for p in prefixes]
    else:
        firsts = [p + first for p in _AR_PREFIXES]
    variants: list[str] = []
    for head in firsts:
        whole = f"{head} {rest}" if rest else head
        variants.extend(whole + s for s in _AR_SUFFIXES)
    return variants


# The kinds whose spaced Hangul forms also count typed without spaces ("몇시간안에", "해야돼요"); not
# markers and pronouns, whose short forms would be found inside other words once joined.
_COMPACTED_KINDS = ("facet", "alone", "ordinal", "filler")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
_HANGUL_FORM = re.compile(r"[\uac00-\ud7a3]+(?: [\uac00-\ud7a3]+)+")
# At least this many syllables once joined ("문 열" stays as it is: "문열" is inside other words).
_COMPACT_MIN = 3


def _spaced_hangul(form: str) -> bool:
    """A form of Hangul words with spaces between them, at least `_COMPACT_MIN` syllables long."""
    return _HANGUL_FORM.fullmatch(form) is not None and len(form.replace(" ", "")) >= _COMPACT_MIN


def _is_substring_form(form: str) -> bool:
    if _CJK_CHAR.search(form):
        return True
    return bool(_ARABIC.search(form)) and " " not in form and len(form) >= _AR_SUBSTRING_MIN


def load_entries(directory: Path = RULES_DIR) -> list[tuple[str, str, str]]:
    """(kind, value, folded form) for every word of every language's file; kind is one of KINDS, the
    value a facet, an ordinal ("1".., "last") or the kind itself."""
    return [(kind, value, form) for _, kind, value, form in _language_entries(directory)]


def _language_entries(directory: Path = RULES_DIR) -> list[tuple[str, str, str, str]]:
    """(language, kind, value, folded form) for every word of every file; the language is the
    file's name ("de" for de.yml)."""
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise LexiconError(f"{directory}: no facet rule files")
    entries: list[tuple[str, str, str, str]] = []
    for path in files:
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except YAMLError as exc:
            raise LexiconError(f"{path.name}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise LexiconError(f"{path.name}: expected the keys {', '.join(KINDS)}")
        for kind, body in data.items():
            if kind not in KINDS:
                raise LexiconError(
                    f"{path.name}: unknown key {kind!r} (allowed: {', '.join(KINDS)})"
                )
            groups: dict[str, Any]
            if kind in ("facet", "alone", "ordinal"):
                if not isinstance(body, dict):
                    raise LexiconError(
                        f"{path.name}: {kind}: expected a mapping of values to lists"
                    )
                groups = body
            else:
                groups = {kind: body}
            for value, forms in groups.items():
                value = str(value)
                if kind in ("facet", "alone") and value not in FACETS:
                    raise LexiconError(
                        f"{path.name}: unknown facet {value!r} (allowed: {', '.join(FACETS)})"
                    )
                if kind == "ordinal" and not (value == "last" or value.isdigit()):
                    raise LexiconError(f"{path.name}: ordinal {value!r}: a number or last")
                if not isinstance(forms, list):
                    raise LexiconError(f"{path.name}: {kind}: {value}: expected a list of words")
                for form in forms:
                    folded = fold(" ".join(str(form).split()))
                    if not folded.strip("*"):
                        raise LexiconError(f"{path.name}: {kind}: {value}: empty word")
                    for variant in _arabic_variants(folded) if _ARABIC.search(folded) else [folded]:
                        entries.append((path.stem, kind, value, variant))
                    if kind in _COMPACTED_KINDS and _spaced_hangul(folded):
                        # Koreans often type without spaces: "몇시간안에" is "몇 시간 안에".
                        entries.append((path.stem, kind, value, folded.replace(" ", "")))
    return entries


@lru_cache(maxsize=4)
def lexicon(directory: Path = RULES_DIR) -> gazetteer._Forms:
    """The gazetteer index over every language's facet rules (not the gapped forms: `_gapped`)."""
    entries = {e for e in load_entries(directory) if GAP not in e[2]}
    return gazetteer.build_index(sorted(entries), _is_substring_form)


@lru_cache(maxsize=4)
def _gapped(directory: Path = RULES_DIR) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """The rules' gapped forms ("wie lange … bleiben"), as (kind, value, pattern): the last part
    counts only after the first one in the same clause (no punctuation between, at most
    `GAP_MAX_CHARS` characters); the pattern's group 1 is the first part, group 2 the last."""

    def words(part: str) -> str:
        return r"\s+".join(re.escape(w) for w in part.split())

    out: list[tuple[str, str, re.Pattern[str]]] = []
    for kind, value, form in sorted(set(load_entries(directory))):
        if GAP not in form:
            continue
        first, _, last = (p.strip() for p in form.partition(GAP))
        if not first or not last or GAP in last:
            raise LexiconError(f"{kind}: {value}: {form!r}: expected 'words {GAP} words'")
        out.append(
            (
                kind,
                value,
                re.compile(
                    rf"(?<!\w)({words(first)})(?!\w)[^,.;:!?¿¡]{{0,{GAP_MAX_CHARS}}}?"
                    rf"(?<!\w)({words(last)})(?!\w)"
                ),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Analysis:
    """What the rules found in one message."""

    facets: list[gazetteer.Match]  # one per facet, first mention
    ordinals: list[gazetteer.Match]
    # Districts and weekdays (the gazetteer's), and permit types after a marker.
    places: list[gazetteer.Match]
    times: int
    markers: int  # connectives and question frames
    pronouns: int
    leftover: list[str]  # what names something else: words, or single CJK characters
    # Where the leftover words are (start, end), for the spelling correction.
    leftover_spans: tuple[tuple[int, int], ...] = field(default=(), compare=False, repr=False)
    durations: int = 0  # lengths of time ("5 лет", "3년")
    persons: int = 0  # family members the writer asks for ("my wife", "제 아내")
    # Later mentions of the facets asked ("위치" in "덜위치 칼리지", then "주소"): when the dialogue drops a
    # facet whose first word is inside a record's name, a later one still asks it
    # (bot/dialogue/asked.py facets_outside_names).
    repeats: list[gazetteer.Match] = field(default_factory=list, compare=False, repr=False)

    @property
    def asks(self) -> bool:
        """It asks for a fact or an item of a list ("how much?", "the second one"), or for a place, a
        day, a time, a length of time, a family member, the order or the steps after a marker ("and
        on Saturday?", "海淀呢？", "а на 5 лет?", "and for my wife?")."""
        if self.ordinals or any(f.value not in WEAK_FACETS for f in self.facets):
            return True
        return bool(
            self.markers
            and (self.facets or self.places or self.times or self.durations or self.persons)
        )

    @property
    def elliptical(self) -> bool:
        """It asks, and nothing else is left that could name a topic: a follow-up, if it is short."""
        return self.asks and not self.leftover


def prepare(rules: Path = RULES_DIR) -> None:
    """Build every index `analyse` uses now (about 1 s), not in the first messages: the action server
    calls it when it starts, because its many threads would otherwise each build them at once in the
    first turns (the caches do not make a thread wait for another's build)."""
    lexicon(rules)
    _gapped(rules)
    _spelling(rules)
    _word_languages(rules)
    _rule_forms(rules)
    _real_words()
    analyse("warm up", rules)


def analyse(text: str, rules: Path = RULES_DIR) -> Analysis:
    """Facets, ordinals, districts, weekdays and what else the message contains (by the rule files
    in `rules`). Arabic vowel marks are ignored, and a Latin or Cyrillic word that is in no list but
    one edit away from exactly one rule word is read as that word ("adress", "how mcuh"); the
    matches' offsets and texts are those of `text`."""
    plain, where = _without_marks(text)
    a = _analyse(plain, rules)
    respelled = _respell(plain, a, rules)
    if respelled is not None:
        plain, moved = respelled
        where = [where[i] for i in moved]
        a = _analyse(plain, rules)
    if len(where) == len(text) and plain == text:
        return a

    def back(m: gazetteer.Match) -> gazetteer.Match:
        start, end = where[m.start], where[m.end - 1] + 1
        return replace(m, start=start, end=end, text=text[start:end])

    return replace(
        a,
        facets=[back(m) for m in a.facets],
        ordinals=[back(m) for m in a.ordinals],
        places=[back(m) for m in a.places],
    )


def _without_marks(text: str) -> tuple[str, list[int]]:
    """The text without Arabic vowel marks and tatweel, and where each of its characters was."""
    if not _AR_MARKS.search(text):
        return text, list(range(len(text)))
    where = [i for i, ch in enumerate(text) if not _AR_MARKS.match(ch)]
    return "".join(text[i] for i in where), where


@lru_cache(maxsize=4)
def _spelling(
    rules: Path,
) -> tuple[dict[str, frozenset[tuple[str, str]]], dict[str, frozenset[str]]]:
    """Every word of the rules and of the gazetteer's weekdays (as folded) with the (kind, value)s
    of the forms it is in, and the Latin and Cyrillic ones by themselves and by each form with one
    letter deleted: the index of `_respell`."""
    meaning: dict[str, set[tuple[str, str]]] = {}
    for kind, value, form in load_entries(rules):
        for w in form.rstrip("*").split():
            meaning.setdefault(w, set()).add((kind, value))
    for value, forms in gazetteer.ENTITY_FORMS["weekday"].items():
        for form in forms:
            for w in fold(form).split():
                meaning.setdefault(w, set()).add(("weekday", value))
    words = set(meaning)
    index: dict[str, set[str]] = {}
    for word in words:
        if len(word) < _SWAP_MIN or not _SPELLABLE.fullmatch(word):
            continue
        for key in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
            index.setdefault(key, set()).add(word)
    known = {w: frozenset(m) for w, m in meaning.items()}
    return known, {k: frozenset(v) for k, v in index.items()}


@lru_cache(maxsize=4)
def _word_languages(rules: Path) -> dict[str, frozenset[str]]:
    """Every word of the rules (as folded) with the languages whose files hold it ("de" for de.yml)."""
    langs: dict[str, set[str]] = {}
    for lang, _, _, form in _language_entries(rules):
        for w in form.rstrip("*").split():
            langs.setdefault(w, set()).add(lang)
    return {w: frozenset(ls) for w, ls in langs.items()}


def language_entries() -> list[tuple[str, str, str, str]]:
    """(language, kind, value, folded form) for every word of the rule files (RULES_DIR)."""
    return _language_entries(RULES_DIR)


def message_languages(folded: str) -> frozenset[str]:
    """The languages whose rule words the (folded) message uses most; empty when it uses none."""
    return _message_languages(folded, RULES_DIR)


def _message_languages(folded: str, rules: Path) -> frozenset[str]:
    """The languages whose rule words the message uses most ("Unser Baby ist letzte Woche …": de);
    empty when it uses none ("adress?")."""
    langs = _word_languages(rules)
    votes: dict[str, int] = {}
    for w in _WORD.findall(folded):
        for lang in langs.get(w, ()):
            votes[lang] = votes.get(lang, 0) + 1
    top = max(votes.values(), default=0)
    return frozenset(lang for lang, n in votes.items() if n == top)


@lru_cache(maxsize=1)
def _real_words() -> frozenset[str]:
    """The words of our en, fr, de and es training examples (the reply-language word lists,
    bot/dialogue/language_data/words.yml, built from data/nlu), as folded: words people write, so
    words of their own rather than misspellings ("nicht", "Woche", "suchen", "femme", "route")."""
    from bot.dialogue import language_words

    data = _yaml_mapping(language_words.WORDS)
    return frozenset(fold(w) for ws in (data.get("latin") or {}).values() for w in str(ws).split())


def _yaml_mapping(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) if path.exists() else None
    return data if isinstance(data, dict) else {}


def _respell(text: str, a: Analysis, rules: Path) -> tuple[str, list[int]] | None:
    """`text` with its misspelled leftover words replaced by the rule word they are one edit away
    from (when exactly one is), and where each character came from; None when nothing changed.

    A misspelling is of a word of the message's own language: the rule word must be in the file of
    a language whose words the message uses most ("nicht" in German text is not English "night",
    "Woche" not Spanish "noche", "cartes" not "martes"), when it uses any (a weekday, whose language
    the gazetteer does not say, only then: the gazetteer reads misspelled weekdays itself). And a word that people write in our training
    examples is a word of its own, not a misspelling ("femme" is not "ferme", "suchen" not
    "buchen"), unless it is a rule word's plural ("numbers", "precios")."""
    known, index = _spelling(rules)
    folded = fold(text)
    langs = _message_languages(folded, rules)
    of_language = _word_languages(rules)
    real = _real_words()
    changes: list[tuple[int, int, str]] = []
    for start, end in a.leftover_spans:
        word = folded[start:end]
        if not _SPELLABLE.fullmatch(word) or len(word) < _SWAP_MIN or word in known:
            continue
        keys = {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}
        near = {
            c
            for k in keys
            for c in index.get(k, ())
            if gazetteer._edit_distance_le1(word, c)
            and (min(len(word), len(c)) >= _SPELL_MIN or len(word) == len(c) and _swapped(word, c))
            and (not langs or langs & of_language.get(c, frozenset()))
            and (word not in real or word == c + "s")
        }
        # One word, or words of one meaning ("adress": address, adresse).
        if near and len({known[c] for c in near}) == 1:
            changes.append((start, end, min(near)))
    if not changes:
        return None
    out: list[str] = []
    where: list[int] = []
    last = 0
    for start, end, word in changes:
        out.append(text[last:start])
        where.extend(range(last, start))
        out.append(word)
        where.extend(start + min(j, end - start - 1) for j in range(len(word)))
        last = end
    out.append(text[last:])
    where.extend(range(last, len(text)))
    return "".join(out), where


def _swapped(a: str, b: str) -> bool:
    """a and b (of one length) differ by two neighbouring letters swapped."""
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1


@lru_cache(maxsize=4)
def _rule_forms(rules: Path) -> frozenset[str]:
    return frozenset(form for _, _, form in load_entries(rules))


def _and_on(folded: str, m: gazetteer.Match, rules: Path) -> bool:
    """The match is a word with Arabic "and" on it: "و"/"ف" before "ال" (والسبت), a rule word
    (وفي) or a district or day (وهايديان), not a word that starts with these letters (وثائق, وين,
    ووداوكو)."""
    if folded[m.start] not in _AR_AND or m.start > 0 and folded[m.start - 1].isalnum():
        return False
    rest = folded[m.start + 1 : m.end]
    if rest.startswith("ال") or rest in _rule_forms(rules):
        return True
    again = gazetteer.find_entities(rest, {m.entity}) if m.entity in ("district", "weekday") else []
    return any(x.start == 0 and x.end == len(rest) and x.value == m.value for x in again)


def _analyse(text: str, rules: Path) -> Analysis:
    folded = fold(text)
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    ordinals: list[gazetteer.Match] = []
    for pattern in _DIGIT_ORDINALS:
        for digit in pattern.finditer(folded):
            if free(digit.start(), digit.end()):
                taken.append((digit.start(), digit.end()))
                ordinals.append(
                    gazetteer.Match(
                        "ordinal",
                        digit.group(1),
                        digit.start(),
                        digit.end(),
                        text[digit.start() : digit.end()],
                    )
                )
    places = [
        m for m in gazetteer.find_entities(text, {"district", "weekday"}) if free(m.start, m.end)
    ]
    taken.extend((m.start, m.end) for m in places)
    durations = [d.span() for d in _DURATION.finditer(folded) if free(*d.span())]
    taken.extend(durations)
    # A day or district with Arabic "and" on it that the gazetteer does not list ("وغدا", "فالسبت"):
    # the day or district, after the marker.
    clitic_and = 0
    for w in _AR_WORD.finditer(folded):
        if w.group(0)[0] not in _AR_AND or not free(w.start(), w.end()):
            continue
        rest = text[w.start() + 1 : w.end()]
        inner = [
            m
            for m in gazetteer.find_entities(rest, {"district", "weekday"})
            if m.start == 0 and m.end == len(rest)
        ]
        if inner:
            m = inner[0]
            start = w.start() + 1
            places.append(gazetteer.Match(m.entity, m.value, start, w.end(), rest, m.fuzzy))
            taken.append((start, w.end()))
            clitic_and += 1
    found = gazetteer.match_index(lexicon(rules), folded, taken=taken)
    for kind, value, pattern in _gapped(rules):
        for g in pattern.finditer(folded):
            start, end = g.span(2)
            # Its last words may also be a word of its own facet ("open" in "how long … open").
            same = any(
                (m.entity, m.value, m.start, m.end) == (kind, value, start, end) for m in found
            )
            if not free(start, end) and not same:
                continue
            if any(
                m.entity == kind == "facet"
                and m.value != value
                and m.start <= g.start(1)
                and g.end(1) <= m.end
                and m.end - m.start > g.end(1) - g.start(1)
                for m in found
            ):
                # A longer phrase holds its first words and asks another facet, as the longest phrase
                # wins elsewhere: "كم يوم ياخذ تصريح الإقامة" (how many days does the permit take) asks
                # the processing time; its "كم يوم" does not open "كم يوم … الإقامة" (how long a stay).
                continue
            # The gapped phrase owns its first words: "how long … open" asks the hours, so its
            # "how long" no longer asks the processing time.
            found = [
                m
                for m in found
                if not (m.entity == kind == "facet" and m.value != value)
                or not (g.start(1) <= m.start and m.end <= g.end(1))
            ]
            if not same:
                taken.append((start, end))
                found.append(gazetteer.Match(kind, value, start, end, text[start:end]))
    # A noun naming a kind of place ("school", "医院", "病院", "офис", "병원") names nothing next to an
    # ordinal ("the second school", "第二家医院", "두 번째 병원") or in a follow-up whose pronoun points
    # back ("а телефон этой больницы?": a marker, then a pronoun); anywhere else it names a topic
    # ("больница рядом?", and "这家医院说英语吗？" is as often asked with no list shown) and stays.
    picks = [(o.start, o.end) for o in ordinals]
    picks += [(m.start, m.end) for m in found if m.entity == "ordinal"]
    pronouns = [m.start for m in found if m.entity == "pronoun"]
    pointed = bool(pronouns) and any(
        m.entity == "marker" and m.start < min(pronouns) for m in found
    )
    for noun in [m for m in found if m.entity == "noun"]:
        found.remove(noun)
        if not pointed and not any(_next_to(folded, noun.start, noun.end, s, e) for s, e in picks):
            taken.remove((noun.start, noun.end))
    if clitic_and or any(m.entity == "marker" for m in found):
        # A permit type after a marker ("학생은요?", "und für Studenten?", "и для работы?"): another
        # type, the same fact asked again, like a district. Without a marker it names a topic ("welche
        # Unterlagen für das Arbeitsvisum?" is a complete question).
        for m in gazetteer.find_entities(text, {"permit_type"}):
            inside = [f for f in found if f.start < m.end and m.start < f.end]
            if inside and all(f.entity == "filler" for f in inside):
                # A particle read inside the type's word ("가" in "가족은?"): the type wins.
                for f in inside:
                    found.remove(f)
                    if (f.start, f.end) in taken:
                        taken.remove((f.start, f.end))
            if free(m.start, m.end):
                taken.append((m.start, m.end))
                places.append(m)
    if any(m.entity == "facet" and m.value == "languages" for m in found):
        # "do they speak English?": the language spoken is part of what is asked.
        for m in gazetteer.find_entities(text, {"language"}):
            if free(m.start, m.end):
                taken.append((m.start, m.end))
    found = _until_when(folded, found, places, text)
    facets: list[gazetteer.Match] = []
    for m in sorted(found, key=lambda x: x.start):
        original = gazetteer.Match(m.entity, m.value, m.start, m.end, text[m.start : m.end])
        if m.entity == "facet" and all(f.value != m.value for f in facets):
            facets.append(original)
        elif m.entity == "ordinal":
            ordinals.append(original)
    alone = [m for m in found if m.entity == "alone"]
    blanked = list(text)
    for start, end in taken:
        blanked[start:end] = " " * (end - start)
    # A number names no topic: "und für 3 Jahre?", "ça coûte cmb pour 3 ans ?" (its unit is a filler).
    residue = [
        m
        for m in _RESIDUE.finditer("".join(blanked))
        if m.group(0) not in _AR_CLITICS and not m.group(0).isdecimal()
    ]
    if alone and not facets and not residue:
        # "сколько?", "а сколько?": the message asks nothing else, so its word asks the facet.
        first = min(alone, key=lambda x: x.start)
        facets.append(
            gazetteer.Match(
                "facet", first.value, first.start, first.end, text[first.start : first.end]
            )
        )
    deadlines = [m for m in found if m.entity == "facet" and m.value == "deadline"]
    validities = [m for m in found if m.entity == "facet" and m.value == "validity"]
    if deadlines and not any(
        not fold(m.text).startswith(EXPIRY_STEMS) and _joined(folded, m, deadlines, found)
        for m in validities
    ):
        # "my permit expires on 3 March, when must I apply?", "만료되는데 언제까지", "до какого числа
        # действует безвиз?": the expiry tells, the deadline asks; "on how long can I extend it, and how
        # many days before must I apply?" asks both.
        facets = [f for f in facets if f.value != "validity"]
    others = [f for f in facets if f.value != "validity"]
    if others and validities and all(fold(m.text).startswith(EXPIRY_STEMS) for m in validities):
        # "我的签证快到期了，怎么延期？", "거류허가가 곧 만료되는데 어떻게 연장해요?", "mon permis expire
        # bientôt, comment le renouveler ?": the expiry only tells the situation; what else is asked
        # (the steps, the fee, the documents) is the question, unless joined to it by an "and".
        facets = [f for f in facets if f.value != "validity" or _joined(folded, f, others, found)]
    if any(f.value in ABSORB_HOW_LONG for f in facets):
        # "how long is it valid?", "有效期是多久", "wie lange gilt das?": the "how long" asks the
        # validity (or the deadline: "며칠 안에"), not the processing time; unless it is asked after
        # an "and" ("valable combien de temps, et il faut combien de temps pour l'obtenir ?").
        absorbing = [f for f in facets if f.value in ABSORB_HOW_LONG]
        own = any(
            _joined(folded, m, absorbing, found)
            for m in found
            if m.entity == "facet" and m.value == "processing_time"
        )
        facets = [f for f in facets if f.value != "processing_time" or own]
    elif _how_long_open(folded, found):
        # "wie lange hat das Amt am Samstag offen?", "how long is it open?": the hours.
        facets = [f for f in facets if f.value != "processing_time"]
    # "و"/"ف" (and) written on a day, a district or a facet after the first word ("طيب والسبت؟").
    joined = sum(_and_on(folded, m, rules) for m in [*places, *found])
    amounts = [f for f in facets if f.value in ("fee", "processing_time")]
    if amounts:
        # "combien de temps dure la procédure ?", "how much is the application?": the procedure named
        # after "how long" or "how much" in the same clause is what they are asked of, not its steps
        # ("how much is it, and what are the steps?" asks both).
        facets = [
            f
            for f in facets
            if f.value != "steps"
            or not any(
                a.end <= f.start and not _CLAUSE_END.search(folded, a.end, f.start) for a in amounts
            )
            or _joined(folded, f, amounts, found)
        ]
    asked = {f.value: (f.start, f.end) for f in facets}
    repeats = [
        gazetteer.Match(m.entity, m.value, m.start, m.end, text[m.start : m.end])
        for m in found
        if m.entity == "facet" and m.value in asked and asked[m.value] != (m.start, m.end)
    ]
    return Analysis(
        repeats=sorted(repeats, key=lambda x: x.start),
        facets=facets,
        ordinals=sorted(ordinals, key=lambda x: x.start),
        places=places,
        times=sum(1 for m in found if m.entity == "time"),
        markers=sum(1 for m in found if m.entity == "marker") + bool(joined or clitic_and),
        pronouns=sum(1 for m in found if m.entity == "pronoun"),
        leftover=[m.group(0) for m in residue],
        leftover_spans=tuple((m.start(), m.end()) for m in residue),
        durations=len(durations),
        persons=sum(1 for m in found if m.entity == "person"),
    )


def _until_when(
    folded: str, found: list[gazetteer.Match], places: list[gazetteer.Match], text: str
) -> list[gazetteer.Match]:
    """`found` with each bare "until when" (UNTIL_WHEN) read as the hours, the validity or the deadline
    by what the message says beside it."""
    bare = [
        m
        for m in found
        if m.entity == "facet" and folded[m.start : m.end].strip(" ?？") in UNTIL_WHEN
    ]
    if not bare:
        return found
    rest = [m for m in found if m not in bare and m.entity in ("facet", "time")]
    if any(m.entity == "time" or m.value in ("hours", "status") for m in rest) or any(
        p.entity == "weekday" and p.value != "now" for p in places
    ):
        value = "hours"
    elif any(m.value == "validity" and not fold(m.text).startswith(EXPIRY_STEMS) for m in rest):
        value = "validity"
    else:
        value = "deadline"
    return [
        gazetteer.Match(m.entity, value, m.start, m.end, m.text, m.fuzzy) if m in bare else m
        for m in found
    ]


def _joined(
    folded: str,
    asked: gazetteer.Match,
    others: list[gazetteer.Match],
    found: list[gazetteer.Match],
) -> bool:
    """An "and" stands between `asked` and each of `others`: a marker ("и", "et", "y", "and"), or a
    Korean verb joined with -고 ("신청해야 하고 최대 며칠까지"), so `asked` is a question of its own ("на
    сколько лет дают визу и сколько дней её оформляют?"), not a part of their phrase ("valable combien
    de temps", "за сколько дней?" after "когда пора подавать,")."""

    def apart(a: gazetteer.Match, b: gazetteer.Match) -> bool:
        first, second = (a, b) if a.start < b.start else (b, a)
        if second.start < first.end:
            return False
        return bool(_KO_AND.search(folded, first.end, second.start)) or any(
            m.entity == "marker" and first.end <= m.start and m.end <= second.start for m in found
        )

    return bool(others) and all(apart(asked, o) for o in others)


def _how_long_open(folded: str, found: list[gazetteer.Match]) -> bool:
    """The message's one processing-time phrase ("wie lange", "how long") comes before an hours word
    in the same clause, with no "and" between ("wie lange hat es offen"): it asks how long the place
    is open, not how long a procedure takes ("bis wann hat es offen und wie lange dauert es?", "how
    long does it take and are they open on Saturday?" ask both)."""
    taking = [m for m in found if m.entity == "facet" and m.value == "processing_time"]
    if len(taking) != 1:
        return False
    how_long = taking[0]

    def joined(start: int, end: int) -> bool:
        return any(m.entity == "marker" and start <= m.start < end for m in found)

    return any(
        m.entity == "facet"
        and m.value == "hours"
        and 0 < m.start - how_long.end <= GAP_MAX_CHARS
        and folded[how_long.end : m.start].strip()  # words between ("どのくらい時間": one phrase)
        and not _CLAUSE_END.search(folded, how_long.end, m.start)
        and not joined(how_long.end, m.start)
        for m in found
    )


def _next_to(folded: str, start: int, end: int, other_start: int, other_end: int) -> bool:
    """The spans are neighbours: only spaces, an apostrophe or a particle (の, 的, 个, 家) between them."""
    gap = folded[end:other_start] if end <= other_start else folded[other_end:start]
    return _ORDINAL_NOUN_GAP.fullmatch(gap) is not None


# Opening punctuation before the first word is skipped: Spanish "¿y en …?", "¡y …!", a quote or a bracket.
_FIRST_WORD = re.compile(r"[\s¿¡\"'«“‘(（「]*([^\s,.;:!?¿¡،؟]+)")


def continues(text: str) -> bool:
    """A short message that opens with a marker ("und mit F-Visum?", "а для студентов?", "and for
    students?"), or in Korean ends with one ("가족 거류허가는요?"): it goes on with what was asked
    before, though a word of it names something new."""
    if len(text.strip()) > MAX_CHARS:
        return False
    first = _FIRST_WORD.match(text)
    if first is not None and analyse(first[1]).markers > 0:
        return True
    words = text.split()
    last = words[-1].rstrip("?？!.。") if words else ""
    return _HANGUL_WORD.fullmatch(last) is not None and analyse(last).markers > 0


def is_follow_up(text: str, intent: str | None = None, analysis: Analysis | None = None) -> bool:
    """The message is an elliptical follow-up: short, nothing but what is asked and words referring
    back, no acute danger, and not a question of an intent that is asked in such words (opening hours,
    service points) unless a marker or an ordinal refers back (for service points and reply languages
    also a pronoun: "where is it?", "do they speak English there?") or it asks a facet that intent
    does not answer ("is it open now?" stays opening_hours, "its phone?" is a follow-up)."""
    a = analysis or analyse(text)
    if len(text.strip()) > MAX_CHARS or not a.elliptical:
        return False
    refers = bool(a.pronouns) and intent in PRONOUN_REFERS
    if intent in NEVER_FOLLOW_UP and not (
        refers or _spoken_not_reply(text, a) or _spoken_too(text, a) or _spoken_own(text, a)
    ):
        return False
    own = STANDALONE_INTENTS.get(intent or "")
    if own is not None and not (a.markers or a.ordinals or refers):
        return any(f.value not in own for f in a.facets) and safety.check(text).acute is None
    return safety.check(text).acute is None


def newcomer_first_steps(text: str, a: Analysis) -> bool:
    """A newcomer's words and a first-steps facet (`order`, `steps`): "I just arrived, what do I do first?"."""
    from bot.dialogue import newcomer_words  # the dialogue's word list (it reads `fold` from here)

    return newcomer_words.asks_first_steps(text, [f.value for f in a.facets])


def names_a_record(text: str) -> bool:
    """A short message read as small talk names a record of the knowledge base ("and Harrow?",
    "키스톤은요?", "오아시스는요?"): it asks about that record (the dialogue answers it by name)."""
    from bot.knowledge import names  # the names held in memory: no database read on the event loop

    if len(text.strip()) > MAX_CHARS:
        return False
    # None held (none built yet, the knowledge base down at start): the classifier's small talk stands.
    return bool(names.find_held_mentions(text))


def _asks_a_hotline(text: str) -> bool:
    """The message says a word for "hotline" (bot/dialogue/language_data/hotlines.yml): a language it
    names is the one the line should answer in."""
    from bot.dialogue import hotline_words  # the dialogue's word list (it imports `fold` from here)

    return hotline_words.says_hotline(text)


def _spoken_not_reply(text: str, a: Analysis) -> bool:
    """The message asks which languages are spoken and names none ("무슨 언어 돼요?", "на каких языках
    говорят?"): it cannot ask for a reply language (it names no language to switch to), so it asks
    about the places shown."""
    return any(f.value == "languages" for f in a.facets) and not gazetteer.find_entities(
        text, {"language"}
    )


# A language named in its own script ("한국어", "日本語", "русский", "العربية"): a writer who names only
# the language they write in already gets replies in it.
_OWN_SCRIPT = {
    "ko": re.compile("[\uac00-\ud7af]"),
    "ja": re.compile("[\u3040-\u30ff]|日本語"),
    "ru": re.compile("[\u0400-\u04ff]"),
    "ar": re.compile("[\u0600-\u06ff]"),
}
# The words of a languages facet that ask the assistant itself ("한국어 돼요?", "can you do Korean?"):
# with them the request for a reply language stays.
_ASKS_ASSISTANT = re.compile("돼|되|가능|できます|できる")


def _spoken_own(text: str, a: Analysis) -> bool:
    """The message asks whether the language it is written in is spoken there, in other words than
    "can you do it" ("한국어 통역 있어?", "한국어 하는 의사 있어요?"): about the places shown, not a
    request for the reply language it already gets."""
    asked = [f for f in a.facets if f.value == "languages"]
    said = gazetteer.find_entities(text, {"language"})
    if not asked or not said:
        return False
    if any(_ASKS_ASSISTANT.search(f.text) for f in asked):
        return False
    return all(m.value in _OWN_SCRIPT and _OWN_SCRIPT[m.value].search(m.text) for m in said)


# "Too", "also" in a message that asks whether a language is spoken ("일본어도 돼요?", "do they speak
# Japanese too?", "日本語も話せますか", "英语也可以吗"): the languages of the place shown, one more than
# was said; a request for a reply language has no "too".
_ALSO = re.compile(r"(?<![^\W_])(?:too|also|auch|aussi|tambien|тоже|также|ايضا)(?![^\W_])|[도も也]")


def _spoken_too(text: str, a: Analysis) -> bool:
    """The message asks whether a language is spoken too: about the places shown, not a request."""
    return any(f.value == "languages" for f in a.facets) and bool(_ALSO.search(fold(text)))


def _language_in_a_name(text: str) -> bool:
    """Every language the message names is part of a record's name it gives ("lycee francais
    website", "Deutsche Schule Peking"): it asks about that place, not for a reply language."""
    from bot.knowledge import names  # the names held in memory (refreshed after a sync), no read

    said = gazetteer.find_entities(text, {"language"})
    if not said:
        return False
    # No names held (the knowledge base down at start): no span, the request stays.
    spans = [(m.start, m.end) for m in names.find_held_mentions(text)]
    return all(any(s <= m.start and m.end <= e for s, e in spans) for m in said)


def _asks_penalty(text: str) -> bool:
    from bot.dialogue import word_lists  # the dialogue's word lists (they read `fold` from here)

    return len(text.strip()) <= MAX_CHARS and word_lists.asks_penalty(text)


def _set_intent(message: Message, name: str, ranking: list[dict[str, Any]]) -> None:
    """Make `name` the message's intent, certain, ahead of the classifier's ranking."""
    top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top, *rest], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class FacetExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `facet` and `ordinal` entities and sets the intent `follow_up` on elliptical messages (and
    `out_of_scope` on a newcomer's "what do I do first?" read as `help`).

    Put it after the FallbackClassifier and before the SafetyLayer.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FacetExtractor:
        return cls(config)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        lexicon()  # read and compile the rules while the model loads; a broken file fails here

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            a = analyse(text)
            entities = [
                {
                    ENTITY_ATTRIBUTE_TYPE: m.entity,
                    ENTITY_ATTRIBUTE_VALUE: m.value,
                    ENTITY_ATTRIBUTE_START: m.start,
                    ENTITY_ATTRIBUTE_END: m.end,
                    "confidence_entity": 1.0,
                }
                for m in sorted([*a.facets, *a.ordinals], key=lambda x: x.start)
            ]
            if entities:
                entities = self.add_extractor_name(entities)
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            # The classifier's own guess, also when the FallbackClassifier put nlu_fallback first.
            intent = next(
                (
                    r.get(INTENT_NAME_KEY)
                    for r in ranking
                    if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT
                ),
                (message.get(INTENT) or {}).get(INTENT_NAME_KEY),
            )
            if intent in NEWCOMER_FROM and newcomer_first_steps(text, a):
                _set_intent(message, NEWCOMER_INTENT, ranking)
                continue
            if intent == FOLLOW_UP_INTENT:
                continue
            if intent in SMALL_TALK and _asks_penalty(text):
                # "and the fine if I don't?" read as thanks or "no": a fine asked of what was shown.
                _set_intent(message, FOLLOW_UP_INTENT, ranking)
                continue
            if intent in NEVER_FOLLOW_UP and _asks_a_hotline(text):
                # "Есть ли горячая линия, где отвечают по-русски?", "هل يوجد خط ساخن يجيب باللغة
                # العربية؟": a hotline asked by the language it answers in, not a request to switch
                # the reply's language (the dialogue finds the hotlines that speak it).
                _set_intent(message, HOTLINE_INTENT, ranking)
                continue
            if intent in NEVER_FOLLOW_UP and _language_in_a_name(text):
                # A language named only inside a place's name: the classifier's next guess.
                following = [
                    r for r in ranking if r.get(INTENT_NAME_KEY) not in (intent, FALLBACK_INTENT)
                ]
                if following:
                    _set_intent(message, str(following[0][INTENT_NAME_KEY]), following)
                    continue
            # "which languages do they speak at OASIS?", read as a request for a reply language: it
            # names no language to switch to, so it asks which languages are spoken at the place it
            # names (the dialogue finds the place by name; a follow-up's answer starts there).
            spoken = intent in NEVER_FOLLOW_UP and (
                _spoken_not_reply(text, a) or _spoken_too(text, a)
            )
            # "and Harrow?", "키스톤은요?" read as a greeting or "are you a bot?": a record named.
            named = intent in SMALL_TALK and names_a_record(text)
            if not spoken and not named and not is_follow_up(text, intent, a):
                continue
            _set_intent(message, FOLLOW_UP_INTENT, ranking)
            if a.times and not a.facets and not a.ordinals and not a.places:
                # "and in the afternoon?", "и вечером?", "주말에도요?": a time of day, the weekend or
                # holidays alone asks when the places shown are open.
                hours = {
                    ENTITY_ATTRIBUTE_TYPE: "facet",
                    ENTITY_ATTRIBUTE_VALUE: "hours",
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: len(text),
                    "confidence_entity": 1.0,
                }
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name([hours]),
                    add_to_output=True,
                )
            # The gazetteer extracts some entities only in some intents (config.yml's
            # entity_intents); a follow-up keeps every district and weekday it names.
            present = {
                (e.get(ENTITY_ATTRIBUTE_TYPE), e.get(ENTITY_ATTRIBUTE_START))
                for e in message.get(ENTITIES, [])
            }
            places = [
                {
                    ENTITY_ATTRIBUTE_TYPE: m.entity,
                    ENTITY_ATTRIBUTE_VALUE: m.value,
                    ENTITY_ATTRIBUTE_START: m.start,
                    ENTITY_ATTRIBUTE_END: m.end,
                    "confidence_entity": 0.8 if m.fuzzy else 1.0,
                }
                for m in a.places
                if (m.entity, m.start) not in present
            ]
            if places:
                places = self.add_extractor_name(places)
                message.set(ENTITIES, message.get(ENTITIES, []) + places, add_to_output=True)
        return messages
