"""Reply-language detection that is reliable on short chat messages.

langdetect alone is wrong on most short messages ("hi" -> Swahili, "ok" -> Slovak), so it is the last
step here: script rules decide non-Latin text, a table of common short words and greetings decides the
usual one- and two-word messages, words that belong to no language (place names, "ok", "visa") keep the
conversation's language, and langdetect (fixed seed, restricted to our Latin-script languages) only
decides when it is confident.
"""

from __future__ import annotations

import re
import threading

from bot.kb.vocab import DISTRICTS, LANGUAGES

_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("ja", re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")),
)
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿœß]+(?:'[a-z]+)?", re.IGNORECASE)

# Words that say nothing about the language: loanwords, place names, abbreviations.
NEUTRAL = {
    "ok", "okay", "k", "kk", "visa", "visas", "hotel", "taxi", "wechat", "alipay", "ib", "ap", "a", "rp",
    "beijing", "peking", "china", "cbd", "sanlitun", "wangjing", "shuangjing", "guomao", "wudaokou",
    "zhongguancun", "lido", "pinyin", "hukou", "ufh", "isb", "wab", "bcis", "pumch", "sos", "e-town",
    "etown", "bye", "lol", "haha", "hmm", "x", "z", "m", "f", "l", "q", "r", "s", "j", "tel",
} | set(DISTRICTS) | {d + "qu" for d in DISTRICTS}

# High-precision markers: greetings, courtesies and function words typical of one language.
MARKERS: dict[str, set[str]] = {
    "en": {
        "hi", "hello", "hey", "thanks", "thank", "thx", "please", "pls", "plz", "yes", "yeah", "yep", "no", "nope",
        "the", "where", "what", "how", "when", "is", "are", "my", "i", "need", "can", "help", "good", "morning",
        "evening", "renew", "permit", "residence", "school", "hospital", "doctor", "open", "now", "today",
        "lost", "passport", "work", "nearest", "office", "do", "you", "speak", "english", "cheers", "sure",
        "and", "of", "to", "for", "in", "it", "me", "find", "get", "who", "which", "near", "with", "sorry",
    },
    "fr": {
        "bonjour", "salut", "merci", "oui", "non", "bonsoir", "svp", "stp", "est", "je", "le", "la", "les",
        "où", "ou", "comment", "quand", "pour", "avec", "vous", "une", "des", "du", "mon", "ma", "mes",
        "besoin", "carte", "séjour", "titre", "permis", "travail", "école", "hôpital", "médecin", "ouvert",
        "aujourd'hui", "français", "parlez", "renouveler", "perdu", "beaucoup", "coucou", "d'accord", "au",
        "revoir", "aide", "aidez", "moi", "c'est", "qu'est", "ce", "que", "quoi", "trouver",
    },
    "de": {
        "hallo", "danke", "bitte", "ja", "nein", "guten", "tag", "morgen", "abend", "tschüss", "tschuss",
        "servus", "moin", "ich", "ist", "die", "der", "das", "und", "wo", "wie", "wann", "mein", "meine",
        "brauche", "aufenthaltstitel", "aufenthaltserlaubnis", "verlängern", "arbeitserlaubnis", "schule",
        "krankenhaus", "arzt", "geöffnet", "offen", "heute", "deutsch", "sprechen", "sie", "reisepass",
        "verloren", "schön", "vielen", "hilfe", "nicht", "ein", "eine", "kann", "gibt", "es", "mit", "für",
    },
    "es": {
        "hola", "gracias", "sí", "si", "buenos", "buenas", "días", "dias", "tardes", "noches", "adiós", "adios",
        "dónde", "donde", "cómo", "como", "cuándo", "cuando", "el", "los", "las", "mi", "necesito", "permiso",
        "residencia", "renovar", "trabajo", "escuela", "colegio", "hospital", "médico", "medico", "abierto",
        "hoy", "español", "habla", "hablas", "pasaporte", "perdí", "perdi", "muchas", "ayuda", "por", "favor",
        "qué", "que", "quiero", "puedo", "está", "esta", "hay", "una", "un", "del", "con", "para",
    },
}
# Words shared by several languages count for none of them.
_AMBIGUOUS = {w for lang, ws in MARKERS.items() for w in ws if sum(w in other for other in MARKERS.values()) > 1}

LATIN_LANGUAGES = ("en", "fr", "de", "es")
_lock = threading.Lock()
_factory_ready = False


def _langdetect_probabilities(text: str) -> dict[str, float]:
    """langdetect's probabilities restricted to our Latin-script languages (deterministic seed)."""
    global _factory_ready
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    with _lock:
        if not _factory_ready:
            DetectorFactory.seed = 0
            detector_factory.init_factory()
            _factory_ready = True
        detector = detector_factory._factory.create()
        detector.set_max_text_length(2000)
    detector.append(text)
    try:
        probs = detector.get_probabilities()
    except LangDetectException:
        return {}
    return {p.lang: p.prob for p in probs if p.lang in LATIN_LANGUAGES}


def script_language(text: str) -> str | None:
    """The language a non-Latin script decides (Hangul, Kana, Arabic, Cyrillic, Han), if any."""
    for lang, pattern in _SCRIPTS:
        if pattern.search(text):
            return lang
    return None


def detect_language(text: str, current: str | None = None) -> str:
    """The language to answer `text` in: one of the nine codes.

    Returns `current` (or "en" when there is none) when the text does not decide it: empty, emoji or
    digits only, names and loanwords only, or too short and too uncertain.
    """
    fallback = current if current in LANGUAGES else "en"
    if not text or not text.strip():
        return fallback
    by_script = script_language(text)
    if by_script:
        return by_script
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    informative = [w for w in words if w not in NEUTRAL]
    if not informative:
        return fallback
    votes = {lang: sum(w in ws and w not in _AMBIGUOUS for w in informative) for lang, ws in MARKERS.items()}
    best = max(votes, key=votes.__getitem__)
    ranked = sorted(votes.values(), reverse=True)
    if ranked[0] > 0 and ranked[0] > ranked[1] and len(informative) <= 3:
        return best
    probs = _langdetect_probabilities(" ".join(informative))
    if probs:
        lang, prob = max(probs.items(), key=lambda kv: kv[1])
        # Markers agree with langdetect, or langdetect is confident on a long enough text.
        if votes.get(lang, 0) == ranked[0] and ranked[0] > 0:
            return lang
        if prob >= 0.9 and len(informative) >= 4:
            return lang
    if ranked[0] > 0 and ranked[0] > ranked[1]:
        return best
    return fallback


# Languages the assistant's replies are written in so far; others are detected but answered in English
# until their texts exist (adding a language = adding its texts and listing it here).
ANSWER_LANGUAGES: tuple[str, ...] = ("en", "zh")


def answer_language(code: str | None) -> str:
    """The reply language for a detected language code."""
    return code if code in ANSWER_LANGUAGES else "en"
