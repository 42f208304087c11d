"""Reply-language detection that is reliable on short chat messages.

langdetect alone is wrong on most short messages ("hi" -> Swahili, "ok" -> Slovak), so it is the last
step here: script rules decide non-Latin text, a table of common short words and greetings decides the
usual one- and two-word messages, words that belong to no language (place names, "ok", "visa") keep the
conversation's language, and langdetect (fixed seed, restricted to our Latin-script languages) only
decides when it is confident.

Han characters alone do not tell Chinese from Japanese: a Han-only message is Japanese when it holds a
Japanese-only kanji word (病院, 救急車, 旅券, 在留許可… built from the training data and a word list by
`python -m bot.dialogue.language_words` into bot/dialogue/language_data/words.yml) and no Chinese-only character, or
when the conversation is already Japanese and nothing in it is Chinese-only. Han place names (朝阳,
三里屯) inside text of another script are ignored, so they never switch the language; a message that is
only a place name keeps the conversation's language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from bot.core import languages
from bot.core.vocab import DISTRICTS, LANGUAGES

# Characters that decide a script, in the order they are tried: Kana before Han (Japanese is written
# with both), Han last. Latin text is left to the word lists and langdetect below.
SCRIPT_CHARACTERS: tuple[tuple[languages.Script, re.Pattern[str]], ...] = (
    ("Kore", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("Jpan", re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")),
    ("Arab", re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("Cyrl", re.compile(r"[\u0400-\u04ff]")),
    ("Hans", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")),
)
# The language of each non-Latin script (the registry's first language written in it).
_SCRIPTS = tuple(
    (lang, pattern)
    for script, pattern in SCRIPT_CHARACTERS
    for lang in [next((x.code for x in languages.REGISTRY if x.script == script), None)]
    if lang is not None
)
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿœß]+(?:['-][a-zà-öø-ÿœß]+)*", re.IGNORECASE)
_ELONGATED = re.compile(r"(\w)\1{2,}")
# Letters that only some of our Latin-script languages use.
ACCENTS: dict[str, str] = {
    **dict.fromkeys("ñ¿¡áíóú", "es"),
    **dict.fromkeys("çèêàâùûôîïëœ", "fr"),
    **dict.fromkeys("äöüß", "de"),
}

# Words that say nothing about the language: loanwords, place names, abbreviations.
NEUTRAL = (
    {
        "ok",
        "okay",
        "k",
        "kk",
        "visa",
        "visas",
        "hotel",
        "taxi",
        "wechat",
        "alipay",
        "ib",
        "ap",
        "a",
        "rp",
        "beijing",
        "peking",
        "china",
        "cbd",
        "sanlitun",
        "wangjing",
        "shuangjing",
        "guomao",
        "wudaokou",
        "zhongguancun",
        "lido",
        "pinyin",
        "hukou",
        "ufh",
        "isb",
        "wab",
        "bcis",
        "pumch",
        "sos",
        "e-town",
        "etown",
        "bye",
        "lol",
        "haha",
        "hmm",
        "x",
        "z",
        "m",
        "f",
        "l",
        "q",
        "r",
        "s",
        "j",
        "tel",
    }
    | set(DISTRICTS)
    | {d + "qu" for d in DISTRICTS}
)

# Words people of every language use in chat: they decide nothing once a conversation has a language.
INTERNATIONAL = {
    "hi",
    "hey",
    "hello",
    "bye",
    "ok",
    "okay",
    "thanks",
    "thx",
    "sorry",
    "cool",
    "super",
    "perfect",
    "sure",
    "yes",
    "no",
    "please",
    "pls",
    "wow",
    "oops",
    "lol",
    "xd",
}


# Common words of each Latin-script language: greetings, courtesies, function words and the everyday
# words of this assistant's topics. A word listed for several languages counts for each in part.
def _words(text: str) -> set[str]:
    return set(text.split())


MARKERS: dict[str, set[str]] = {
    "en": _words(
        """
        a about afternoon an and application apply appointment are at bank be been but by bye call can card
        cheers clinic closed cool cost could did do doctor documents does emergency evening extend extension
        find fine for free from get go good goodbye great has have he hello help here hey hi hospital
        hospitals hours how i in insurance is it know later long lost many me mine morning much my near
        nearest need night no nope not now number of office on open opening or our passport perfect permit
        pharmacy please pls plz police renew residence school schools see she should show soon sorry sure tell
        thank thanks that the there they this thx to today tomorrow ty understand visa want was we welcome
        what when where which who why will with work would yeah yep yes you your yup
        """
    ),
    "fr": _words(
        """
        t'es slt bjr nan dsl exactement
        accord acheter aide aidez aller anglais appeler assurance au aujourd'hui aux avec besoin bientot
        bientôt bon bonjour bonne bonsoir bureau ca carte ce ces cette chercher chez clinique combien comment
        coucou coute coûte dans de demain des desole documents dsl du désolé ecole elle enregistrement est et
        faut francais français genial gratuit génial hopital horaires hôpital il ils j'ai je journee journée
        la le les ma maintenant mais marche medecin merci mercii mes mon médecin ne non nous nuit numero
        numéro ou ouais oui ouvert ouverte ouverture où papiers pardon parfait parle parlez pas passeport
        payer perdu permis peut pharmacie pour pourquoi pouvez pres prix probleme problème proche prolongation
        prolonger près puis quand que quel quelle quelles quels qui quoi rendez-vous renouveler renouvellement
        repeter residence revoir répéter résidence salut sejour soiree soirée sont souci stp suis super sur
        svp séjour ta titre ton travail trouver tu un une urgence urgences veux vos votre voudrais vous ça
        école écoles
        """
    ),
    "de": _words(
        """
        nee bist stimmt jap
        telefon telefonnummer notfallnummer webseite vom krankenhauses
        abend aber alles am anmelden anmeldung apotheke arbeitserlaubnis arzt auf aufenthaltserlaubnis
        aufenthaltstitel aus bald beantragen bei bezahlen bin bis bitte brauche buero büro dank danke dankee
        dankeschön das dein dem den der des deutsch die dort du ein eine einem einen einer englisch
        entschuldigung er es fur für genau geöffnet gibt gut gute guten habe haben hallo hat heute hier hilfe
        ich ihr im in ist ja jetzt jo kann kaufen kein keine kinderarzt klar klinik kosten kostenlos kostet
        krankenhaus krankenwagen können lange mein meine mit moin morgen muss möchte müssen nach nacht
        naechste nein nicht noetig notfall notruf notrufnummer nächste nähe nö nötig oder offen pass passt
        perfekt polizei prima reisepass schule schulen servus sie sind sorry spaeter sprechen später suchen
        super tag termin tschau tschuss tschüss und unterlagen verlaengern verloren verlängern verlängerung
        versicherung viel vielen visum visumverlängerung von wann warum was welche welcher wer wie wiedersehen
        will wir wo wohnsitz zum zur ärztin öffnungszeiten
        """
    ),
    "es": _words(
        """
        q xq porfa eres nop sip chao holaa saludos dale exacto
        abierta abierto acuerdo adios adiós ahora al ambulancia ayuda buenas bueno buenos buscar cerca cercana
        cercano cita claro clinica clínica colegio como comprar con cual cuando cuanto cuesta cuestan cuál
        cuándo cuánta cuánto cómo de del dias disculpa documentos domicilio donde días dónde el emergencia en
        entiendo es escuela espanol español esta estoy está extension extensión farmacia favor genial gracias
        graciass gratis habla hablas hasta hay hola horario horarios hospital hoy ingles inglés la las llamar
        los luego manana mas mañana medico mi mis momento muchas más médico necesito no noches nosotros numero
        número o oficina pagar papeles para pasaporte perdi perdon perdí perdón perfecto permiso pero policia
        policía por porfa pronto prorroga prórroga puede puedo que quiero qué registro renovacion renovación
        renovar residencia seguro si sin sobre son su sé sí tarda tardes tarjeta tengo tiene trabajo tu tú un
        una unas unos urgencia urgencias usted vale vemos visa visado y yo
        """
    ),
}

LATIN_LANGUAGES = languages.LATIN
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _word_lists() -> dict[str, Any]:
    """bot/dialogue/language_data/words.yml and the hand-written Chinese-only characters of lists.yml."""
    from bot.dialogue import language_words

    words = yaml.safe_load(language_words.WORDS.read_text(encoding="utf-8")) or {}
    lists = language_words.load_lists()
    learned = {lang: set(str(ws).split()) for lang, ws in (words.get("latin") or {}).items()}
    markers = {lang: set(ws) for lang, ws in MARKERS.items()}
    for lang, ws in (lists.get("latin") or {}).items():
        markers[lang] |= set(str(ws).split())
    return {
        "ja_kanji": tuple(sorted(words.get("ja_kanji") or [], key=len, reverse=True)),
        "zh_chars": frozenset(str(lists.get("zh_chars", "")).replace(" ", "")),
        "learned": learned,
        "markers": markers,
    }


@lru_cache(maxsize=1)
def _han_places() -> re.Pattern[str]:
    """Han spellings of the district and area names of the gazetteer, with an optional 区."""
    from bot.nlu.gazetteer import DISTRICT_FORMS

    forms = {f for fs in DISTRICT_FORMS.values() for f in fs if _HAN.search(f)}
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?:{alternation})[区區]?")


def han_language(text: str, current: str | None = None, hint: str | None = None) -> str:
    """ "ja" or "zh" for text whose only letters are Han characters (no kana).

    Japanese when a Japanese-only kanji word is there, or when the conversation or the channel is
    Japanese; Chinese when a Chinese-only character is there, or else.
    """
    lists = _word_lists()
    chinese_only = any(ch in lists["zh_chars"] for ch in text)
    if chinese_only:
        return "zh"
    if "ja" in (current, hint) or any(word in text for word in lists["ja_kanji"]):
        return "ja"
    return "zh"


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


def detect_language(text: str, current: str | None = None, hint: str | None = None) -> str:
    """The language to answer `text` in: one of the nine codes.

    `current` is the conversation's language (chosen by the user or detected before), `hint` the
    channel's language (the widget's or WeChat's `metadata.language`), which decides where `current`
    is missing and breaks ties after it.

    Returns `current` (or "en" when there is none) when the text does not decide it: empty, emoji or
    digits only, names and loanwords only, a place name alone, or too short and too uncertain; a
    one- or two-word message in the conversation's Latin-script language is only switched by words,
    never by langdetect's guess.
    """
    if current not in LANGUAGES:
        current = hint if hint in LANGUAGES else None
    fallback = current if current in LANGUAGES else "en"
    if not text or not text.strip():
        return fallback
    if _HAN.search(text):
        without_places = _han_places().sub(" ", text)
        if not _ANY_LETTER.search(without_places):
            # Only a place name ("朝阳?"): it names a place, not a language.
            return current if current in LANGUAGES else "zh"
        if not _HAN.search(without_places):
            text = without_places  # "where to renew RP in 朝阳": the rest decides
    by_script = script_language(text)
    if by_script == "zh":
        return han_language(text, current, hint)
    if by_script:
        return by_script
    words = [w.lower() for w in _LATIN_WORD.findall(_without_place_names(text))]
    informative = [w for w in words if w not in NEUTRAL]
    if not informative:
        return fallback  # nothing but neutral words, or a place's name alone ("Lycée Français?")
    if current in LANGUAGES and all(w in INTERNATIONAL for w in informative):
        return current  # "hi" or "thanks" in a German conversation stays German
    return _latin_language(text.lower(), informative, current, hint) or fallback


def _without_place_names(text: str) -> str:
    """`text` with the names and aliases of the schools, hospitals and offices it names blanked out:
    a place's name says which place, not the writer's language ("lycee francais website" is English,
    "Deutsche Botschaftsschule phone?" too). The names held in memory (`names.held`: no database read,
    this runs on the Rasa server's event loop for every message); unchanged while none are held."""
    from bot.knowledge import names

    held = names.held()
    if held is None:
        return text
    matcher = held.records
    places = set(names.PLACE_KINDS)
    spans = [
        (start, end)
        for i, start, end in matcher.find(text)
        if any(kind in places for kind, _ in matcher.owners[i])
    ]
    for start, end in reversed(spans):
        text = f"{text[:start]} {text[end:]}"
    return text


def _latin_language(
    text: str, informative: list[str], current: str | None = None, hint: str | None = None
) -> str | None:
    """Weigh the evidence for en/fr/de/es; None when it does not clearly point to one language.

    The conversation's language wins a tie: "police" or "hospital" in a French or Spanish conversation
    stays French or Spanish.
    """
    scores = dict.fromkeys(LATIN_LANGUAGES, 0.0)
    lists = _word_lists()
    learned, markers = lists["learned"], lists["markers"]
    for word in informative:
        word = _ELONGATED.sub(r"\1", word)  # "merciii" -> "merci"
        parts = {word, word.rstrip("s"), *word.split("'")[1:]}  # "d'accord" -> "accord"
        owners = [lang for lang, ws in markers.items() if parts & ws]
        weight = 1.0
        if not owners:  # words only the training data shows count half
            owners = [lang for lang, ws in learned.items() if parts & ws]
            weight = 0.5
        for lang in owners:
            scores[lang] += weight / len(owners)
    for ch in set(text):
        if ch in ACCENTS:
            scores[ACCENTS[ch]] += 1.0
    for preferred in (current, hint):
        if (
            preferred in scores
            and scores[preferred] > 0
            and scores[preferred] == max(scores.values())
        ):
            return preferred
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] >= 1.0 and ranked[0] - ranked[1] >= 1.0:
        return max(scores, key=scores.__getitem__)  # the words alone decide
    if current in scores and len(informative) <= 2:
        return None  # a short message does not switch a Latin-script conversation on a guess
    if sum(len(w) for w in informative) >= 4:
        # langdetect is a tie-breaker on short text, not the judge.
        for lang, prob in _langdetect_probabilities(" ".join(informative)).items():
            scores[lang] += 0.6 * prob
    ranking = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranking[0], ranking[1]
    if top >= 1.0 and top - second >= 0.5:
        return best
    return None


def answer_language(code: str | None) -> str:
    """The reply language for a detected code: itself when the assistant has texts in it, else English."""
    from bot.dialogue import i18n

    return code if code in i18n.available() else "en"


def conversation_language(current: str | None, message: Mapping[str, Any]) -> str:
    """The conversation's reply language after the user message `message` (its parse data with the
    channel's metadata, as custom actions see `tracker.latest_message`), `current` being the `language`
    slot before it.

    A language the user asks for (intent `change_language`, the last `language` entity named: "i don't
    read chinese, english pls") wins; a button payload ("/greet") keeps the conversation's language (or
    the channel's hint when there is none); any other text is detected (`detect_language`). The result
    is always one the assistant has texts in (`answer_language`).

    The `language` slot's custom mapping: run by the action server's `action_set_language`, and by the
    Rasa server itself when its patches are on (bot/rasa_ext/speedups.py), so both give the same value.
    """
    intent = (message.get("intent") or {}).get("name")
    # Rasa SDK's Tracker.get_latest_entity_values("language"): entities without a role or group.
    named = [
        e.get("value")
        for e in message.get("entities") or []
        if e.get("entity") == "language" and e.get("group") is None and e.get("role") is None
    ]
    requested = named[-1] if named else None
    if intent == "change_language" and requested in LANGUAGES:
        lang = requested
    else:
        meta = message.get("metadata") or {}
        hint = meta.get("language") if isinstance(meta, dict) else None
        # The channel's language hint stands in for a missing conversation language and breaks
        # ties after it (kanji-only text in a Japanese widget stays Japanese).
        text = message.get("text") or ""
        if text.startswith("/"):
            lang = current or (hint if hint in LANGUAGES else None)
        else:
            lang = detect_language(text, current, hint=hint)
    return answer_language(lang)
