"""Personal data out of what users typed, before a report shows any of it.

Replaced by a label in brackets:
  [email]    e-mail addresses
  [id]       ID card, passport and permit numbers (letters with digits, 15/18-digit Chinese IDs), messenger
             IDs after "WeChat", "微信号", "QQ", "WhatsApp", ...
  [phone]    phone numbers in any common notation (+86 138 0013 8000, (010) 6532-1234, 13800138000)
  [number]   any other run of 6 or more digits (bank cards, postcodes, order numbers)
  [name]     a name after "my name is", "call me", "我叫", "私の名前は", "제 이름은", "меня зовут",
             "je m'appelle", "ich heiße", "me llamo", "اسمي", ... (and before "と申します", "라고 합니다")
  [address]  flat, room and building numbers ("apt 1203", "3号楼2单元1203室")
  [link]     the path and query of a web address (the site is kept: https://example.com/[link])

Dates and times (2026-11-23, 9:00-17:00), hotlines (12367) and small numbers stay: staff need them to
understand the question. Names typed without such a phrase cannot be recognised reliably in nine
languages and are not; the reports only show the short questions the assistant could not answer or that
users rated down, and the conversation store itself is emptied by `beijing-assistant purge`.

Why our own code: the well-kept PII libraries (Microsoft Presidio, scrubadub) rely on English-centred
models or recognisers and would add spaCy models per language; for the patterns above regular
expressions in every script are simpler, faster and fully tested (tests/conversations/test_redact.py).
"""

from __future__ import annotations

import re
import unicodedata

# ----------------------------------------------------------------------------------------- shapes

# Letters and digits of any script may touch a number ("电话13800138000"); Latin ones may not.
_A = r"(?<![A-Za-z0-9])"
_Z = r"(?![A-Za-z0-9])"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b((?:https?://|www\.)[^\s/?#<>\"']+)([/?#][^\s<>\"']*)?", re.IGNORECASE)
_URL_KEPT = re.compile(r"(?:https?://|www\.)[^\s/?#<>\"']+(?:/\[link\])?", re.IGNORECASE)

# Messenger IDs: only after the messenger's name, since such IDs are ordinary words otherwise.
_MESSENGER_ID = re.compile(
    r"(?P<lead>(?:wechat|weixin|wx|微信号?|微信號|qq号?|line\s*id|whatsapp|telegram|skype|kakao(?:talk)?|카톡|카카오톡)"
    r"\s*(?:id|号|號|아이디)?\s*(?:is|:|：|是|为|為|=)?\s*)"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9_.@+-]{4,29})" + _Z,
    re.IGNORECASE,
)

# Chinese resident ID (18 characters, the last may be X; the old 15-digit form too).
_CN_ID = re.compile(_A + r"(?:\d{17}[\dXx]|\d{15})" + _Z)
# Passport / permit / document numbers: a token of letters and at least 5 digits (E12345678, G1234567,
# AB1234567, P1234567A, the German C01X00T47).
_MIXED_ID = re.compile(
    _A + r"(?=(?:[A-Za-z-]*\d){5})(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{5,24}" + _Z
)

# Dates and times are kept: protected before the digit rules run.
_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?"
    r"|" + _A + r"\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})" + _Z + r"|\d{1,2}:\d{2}(?::\d{2})?"
)
# A run of digits with the separators phone numbers use; how many digits decides what it is.
_DIGIT_RUN = re.compile(_A + r"\+?\(?\d[\d\s().\-–/]*\d\)?" + _Z)
_ADDRESS = re.compile(
    r"\b(?:apt|apartment|flat|room|rm|unit|suite|wohnung|appartement|appt|chambre|piso|habitaci[oó]n|"
    r"квартира|кв|комната|дом|корпус)\.?\s*(?:no\.?|#|№)?\s*\d+[A-Za-z]?"
    + _Z
    + r"|\d+\s*(?:号楼|號樓|栋|棟|幢|单元|單元|号院|號院|号室|号棟|室)(?:\s*\d+\s*(?:单元|單元|室|层|層|号|號))*"
    r"|\d{2,}\s*동\s*\d{2,}\s*호",
    re.IGNORECASE,
)

# ----------------------------------------------------------------------------------------- names

# Words that end a name (so "my name is John and I need a visa" keeps "and I need a visa").
_STOP_WORDS = {
    # en
    "and",
    "but",
    "i",
    "i'm",
    "im",
    "i'd",
    "from",
    "my",
    "please",
    "pls",
    "how",
    "where",
    "what",
    "when",
    "can",
    "could",
    "need",
    "want",
    "would",
    "live",
    "living",
    "work",
    "working",
    "am",
    "is",
    "are",
    "was",
    "the",
    "a",
    "an",
    "with",
    "to",
    "in",
    "at",
    "for",
    "of",
    "here",
    "thanks",
    "thank",
    "hi",
    "hello",
    "on",
    "back",
    "later",
    "now",
    "if",
    "tomorrow",
    "today",
    "asap",
    "again",
    "or",
    "by",
    "so",
    "not",
    "it",
    "that",
    "this",
    "you",
    # fr
    "et",
    "mais",
    "je",
    "j'ai",
    "de",
    "du",
    "des",
    "le",
    "la",
    "les",
    "pour",
    "à",
    "avec",
    "merci",
    "où",
    "comment",
    # de
    "und",
    "aber",
    "ich",
    "aus",
    "bitte",
    "wo",
    "wie",
    "mit",
    "für",
    "der",
    "die",
    "das",
    "danke",
    "habe",
    # es
    "y",
    "pero",
    "yo",
    "soy",
    "necesito",
    "quiero",
    "dónde",
    "donde",
    "cómo",
    "como",
    "con",
    "para",
    "el",
    "los",
    "las",
    "gracias",
    "vivo",
    # ru
    "и",
    "а",
    "но",
    "я",
    "из",
    "мне",
    "хочу",
    "нужно",
    "нужен",
    "где",
    "как",
    "спасибо",
    "живу",
    "с",
    "в",
    # ar
    "و",
    "أنا",
    "انا",
    "من",
    "أريد",
    "اريد",
    "أين",
    "اين",
    "كيف",
    "شكرا",
    "في",
}

_WORD = re.compile(r"([^\W\d_][\w'’.\-]*)(\s*)")


def _name_length(rest: str, limit: int = 3) -> int:
    """How many characters at the start of `rest` (the text after "my name is") are the name: up to
    `limit` words, ending at punctuation or before a stop word ("call me on ..." names nobody)."""
    pos = end = taken = 0
    while taken < limit:
        m = _WORD.match(rest, pos)
        if not m:
            break
        token = m.group(1)
        core = token.rstrip(".-'’")
        lower = core.lower()
        # Arabic joins "and" (و) to the next word: "وأريد" is "and I want".
        if lower in _STOP_WORDS or (lower.startswith("و") and lower[1:] in _STOP_WORDS):
            break
        end = m.start(1) + len(core)
        taken += 1
        if len(core) < len(token) or (not m.group(2) and m.end() < len(rest)):
            break  # punctuation right after the word ends the name
        pos = m.end()
    return end


# Phrases a name follows, in Latin, Cyrillic and Arabic script (case-insensitive).
_NAME_BEFORE = re.compile(
    r"\b(?:my\s+(?:full\s+|first\s+|last\s+|sur)?name\s*(?:is|'s|:)|call\s+me|i\s+am\s+called|"
    r"(?<![\w-])name\s*:|"
    r"je\s+m['’]\s*appelle|mon\s+(?:pr[ée]nom|nom)\s+(?:est|c['’]est)|"
    r"ich\s+hei(?:ß|ss)e|mein\s+(?:vor|nach)?name\s+ist|"
    r"me\s+llamo|mi\s+nombre\s+es|mi\s+apellido\s+es|"
    r"меня\s+зовут|мо[её]\s+имя|моя\s+фамилия)"
    r"|(?:(?<=\s)|^)(?:أنا\s+)?(?:اسمي|إسمي|أسمي)",
    re.IGNORECASE,
)

_KANA_HAN_HANGUL = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af·・ー"
_LATIN_NAME = r"[A-Za-z][A-Za-z'’.\-]*(?:\s+[A-Za-z][A-Za-z'’.\-]*){0,2}"
# zh: a name of up to 4 characters (or Latin words) after "我叫", "我的名字是", "姓名：", "我姓".
_ZH_NAME = re.compile(
    rf"(?P<lead>我叫(?![了个個车車])|我的名字(?:是|叫)|我名字(?:是|叫)|本人姓名|姓名\s*[:：是]|我姓(?!名))(?P<gap>\s*)"
    rf"(?P<name>{_LATIN_NAME}|[\u3400-\u9fff·]{{1,4}})"
)
# ja / ko: a name after "私の名前は", "氏名：", "제 이름은" (it may end with です / 입니다, kept).
_JA_KO_NAME = re.compile(
    rf"(?P<lead>(?:私|僕|わたし|ぼく|俺)の名前は|氏名\s*[:：]|(?:제|내|저의|나의)\s*이름은)(?P<gap>\s*)"
    rf"(?P<name>{_LATIN_NAME}|[{_KANA_HAN_HANGUL}]{{1,10}})"
)
# ja / ko: the name comes before the phrase ("スミスと申します", "김민수라고 합니다").
_NAME_AFTER = re.compile(
    rf"(?P<name>{_LATIN_NAME}|[{_KANA_HAN_HANGUL}]{{1,10}}?)"
    rf"\s*(?P<tail>と申します|といいます|と言います|(?:이)?라고\s*합니다|(?:이)?라고\s*해요)"
)
_SUFFIX = re.compile(r"(입니다|이에요|예요|이고|です|で)$")


def _names(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _NAME_BEFORE.finditer(text):
        if m.start() < pos:
            continue
        rest = text[m.end() :]
        gap = len(rest) - len(rest.lstrip())
        length = _name_length(rest[gap:])
        if not length:
            continue
        out.append(text[pos : m.end() + gap] + "[name]")
        pos = m.end() + gap + length
    text = "".join(out) + text[pos:]

    def before(m: re.Match[str]) -> str:
        suffix = _SUFFIX.search(m.group("name"))
        return m.group("lead") + m.group("gap") + "[name]" + (suffix.group(1) if suffix else "")

    text = _ZH_NAME.sub(before, text)
    text = _JA_KO_NAME.sub(before, text)
    return _NAME_AFTER.sub(lambda m: "[name]" + m.group("tail"), text)


# ----------------------------------------------------------------------------------------- numbers


def _digit_run(m: re.Match[str]) -> str:
    token = m.group(0)
    digits = sum(ch.isdigit() for ch in token)
    if digits >= 16:
        return "[number]"
    if digits >= 7 and (token[0] in "+(1" or re.search(r"[\s().\-–/]", token)):
        return "[phone]"
    if digits >= 6:
        return "[number]"
    return token


def _protect(pattern: re.Pattern[str], text: str, kept: list[str]) -> str:
    """Swap matches for private-use placeholders that no other rule touches; `_restore` puts them back."""

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    return pattern.sub(keep, text)


def _restore(text: str, kept: list[str]) -> str:
    return re.sub("\ue000(\\d+)\ue001", lambda m: kept[int(m.group(1))], text)


def redact(text: str) -> str:
    """`text` with personal data replaced by [email], [phone], [id], [number], [name], [address], [link].

    The text is first normalised (NFKC: full-width digits and letters become ordinary ones, so
    "１３８００１３８０００" is found too); control characters and surrounding spaces go.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub(
        lambda m: m.group(1) + ("/[link]" if m.group(2) and len(m.group(2)) > 1 else ""), text
    )
    kept: list[str] = []
    text = _protect(_URL_KEPT, text, kept)
    text = _MESSENGER_ID.sub(lambda m: m.group("lead") + "[id]", text)
    text = _CN_ID.sub("[id]", text)
    text = _MIXED_ID.sub("[id]", text)
    text = _protect(_DATE, text, kept)
    text = _ADDRESS.sub("[address]", text)
    text = _DIGIT_RUN.sub(_digit_run, text)
    text = _names(text)
    return _restore(text, kept)


_PLACEHOLDER = re.compile(r"\[(?:email|id|phone|number|name|address|link)\]")
_NOT_WORD = re.compile(r"[^\w#]+")


def normalise(redacted: str) -> str:
    """A grouping key for near-identical questions: case, width, punctuation, emoji and spacing ignored;
    personal-data labels and other numbers unified."""
    text = unicodedata.normalize("NFKC", redacted).casefold()
    text = _PLACEHOLDER.sub(" # ", text)
    text = re.sub(r"\d+", "#", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())
