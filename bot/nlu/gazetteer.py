"""Surface forms of every entity value we understand, in the scripts users type them in.

The NLU gazetteer component turns these into canonical entity values (朝阳 / 朝陽 / 차오양 / Чаоян /
Chaoyang -> chaoyang). Latin forms match on word boundaries, case-insensitively, and district names also
match with one typo; CJK forms match anywhere.
"""

from __future__ import annotations

import array
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs
from ruamel.yaml import YAML

DISTRICT_FORMS: dict[str, list[str]] = {
    "dongcheng": ["dongcheng", "dong cheng", "东城", "東城", "둥청", "Дунчэн"],
    "xicheng": ["xicheng", "xi cheng", "西城", "시청구", "Сичэн"],
    "chaoyang": [
        "chaoyang",
        "chao yang",
        "朝阳",
        "朝陽",
        "차오양",
        "Чаоян",
        "Чаояне",
        "Чаояна",
        "sanlitun",
        "三里屯",
        "wangjing",
        "望京",
        "guomao",
        "国贸",
        "cbd",
        "lido",
        "丽都",
        "shuangjing",
        "双井",
    ],
    "haidian": [
        "haidian",
        "hai dian",
        "海淀",
        "하이뎬",
        "Хайдянь",
        "Хайдяне",
        "zhongguancun",
        "中关村",
        "wudaokou",
        "五道口",
        "z-park",
    ],
    "fengtai": ["fengtai", "feng tai", "丰台", "豐台", "펑타이", "Фэнтай"],
    "shijingshan": ["shijingshan", "shi jing shan", "石景山", "스징산", "Шицзиншань"],
    "mentougou": ["mentougou", "men tou gou", "门头沟", "門頭溝", "먼터우거우", "Мэньтоугоу"],
    "fangshan": ["fangshan", "fang shan", "房山", "팡산", "Фаншань"],
    "tongzhou": ["tongzhou", "tong zhou", "通州", "퉁저우", "Тунчжоу"],
    "shunyi": ["shunyi", "shun yi", "顺义", "順義", "순이", "Шуньи", "houshayu", "后沙峪"],
    "changping": ["changping", "chang ping", "昌平", "창핑", "Чанпин"],
    "daxing": [
        "daxing",
        "da xing",
        "大兴",
        "大興",
        "다싱",
        "Дасин",
        "e-town",
        "etown",
        "亦庄",
        "yizhuang",
    ],
    "huairou": ["huairou", "huai rou", "怀柔", "懷柔", "화이러우", "Хуайжоу"],
    "pinggu": ["pinggu", "ping gu", "平谷", "핑구", "Пингу"],
    "miyun": ["miyun", "mi yun", "密云", "密雲", "미윈", "Миюнь"],
    "yanqing": ["yanqing", "yan qing", "延庆", "延慶", "옌칭", "Яньцин"],
}

PERMIT_TYPE_FORMS: dict[str, list[str]] = {
    "work": ["work", "working", "employment", "job", "工作", "就业", "工作类"],
    "study": ["study", "studying", "student", "students", "学习", "留学", "学生", "学习类"],
    "family": [
        "family",
        "family reunion",
        "reunion",
        "spouse",
        "wife",
        "husband",
        "团聚",
        "家属",
        "家庭团聚",
        "配偶",
    ],
    "private_affairs": [
        "private affairs",
        "private affair",
        "private matters",
        "private",
        "dependent",
        "dependant",
        "accompanying family",
        "私人事务",
        "私人事务类",
        "随行家属",
    ],
}

CURRICULUM_FORMS: dict[str, list[str]] = {
    "ib": [
        "ib",
        "i.b.",
        "international baccalaureate",
        "ibdp",
        "ib diploma",
        "ib dp",
        "国际文凭",
        "ib课程",
    ],
    "a_level": ["a-level", "a-levels", "a level", "a levels", "alevel", "alevels", "a-level课程"],
    "ap": ["ap", "advanced placement", "ap课程"],
    "american": ["american", "us curriculum", "us school", "usa", "美式", "美国"],
    "british": [
        "british",
        "uk curriculum",
        "uk school",
        "english national curriculum",
        "英式",
        "英国",
    ],
    "french": ["french", "lycée", "lycee", "法国", "法式", "法语学校"],
    "german": ["german", "deutsche", "德国", "德式"],
    "japanese": ["japanese", "日本人学校", "日本学校", "日式学校", "日本课程"],
    "korean": ["korean", "韩国", "韩式"],
    "canadian": ["canadian", "canada", "加拿大"],
    "igcse": ["igcse", "gcse"],
}

LANGUAGE_FORMS: dict[str, list[str]] = {
    "en": [
        "english",
        "inglés",
        "anglais",
        "englisch",
        "英文",
        "英语",
        "英語",
        "영어",
        "английский",
        "английском",
        "الإنجليزية",
    ],
    "zh": [
        "chinese",
        "mandarin",
        "中文",
        "汉语",
        "普通话",
        "中国語",
        "중국어",
        "китайский",
        "китайском",
        "chinois",
        "chinesisch",
        "chino",
        "الصينية",
    ],
    "ja": [
        "japanese",
        "日语",
        "日文",
        "日本語",
        "일본어",
        "японский",
        "японском",
        "japonais",
        "japanisch",
        "japonés",
        "اليابانية",
    ],
    "ko": [
        "korean",
        "韩语",
        "韩文",
        "韓国語",
        "한국어",
        "корейский",
        "корейском",
        "coréen",
        "koreanisch",
        "coreano",
        "الكورية",
    ],
    "ru": [
        "russian",
        "俄语",
        "俄文",
        "ロシア語",
        "러시아어",
        "русский",
        "русском",
        "по-русски",
        "russe",
        "russisch",
        "ruso",
        "الروسية",
    ],
    "fr": [
        "french",
        "法语",
        "法文",
        "フランス語",
        "프랑스어",
        "французский",
        "французском",
        "français",
        "francais",
        "französisch",
        "francés",
        "الفرنسية",
    ],
    "de": [
        "german",
        "德语",
        "德文",
        "ドイツ語",
        "독일어",
        "немецкий",
        "немецком",
        "allemand",
        "deutsch",
        "alemán",
        "الألمانية",
    ],
    "es": [
        "spanish",
        "西班牙语",
        "西班牙文",
        "スペイン語",
        "스페인어",
        "испанский",
        "испанском",
        "espagnol",
        "spanisch",
        "español",
        "espanol",
        "الإسبانية",
    ],
    "ar": [
        "arabic",
        "阿拉伯语",
        "阿拉伯文",
        "アラビア語",
        "아랍어",
        "арабский",
        "арабском",
        "arabe",
        "arabisch",
        "árabe",
        "العربية",
    ],
}

SERVICE_FORMS: dict[str, list[str]] = {
    "residence_permit": [
        "residence permit",
        "residence permits",
        "resident permit",
        "residency permit",
        "rp",
        "居留",
        "居留许可",
        "居留证",
        "居留证件",
    ],
    "visa_extension": [
        "visa extension",
        "extend visa",
        "extend my visa",
        "visa renewal",
        "renew visa",
        "renew my visa",
        "extend my stay",
        "stay permit",
        "签证延期",
        "延签",
        "续签",
        "签证续签",
        "停留证",
    ],
    "work_permit": [
        "work permit",
        "work permits",
        "working permit",
        "工作许可",
        "工作证",
        "工作许可证",
    ],
    "permanent_residence": [
        "permanent residence",
        "permanent residency",
        "green card",
        "pr card",
        "five-star card",
        "five star card",
        "5 star card",
        "5-star card",
        "永久居留",
        "永居",
        "绿卡",
        "永居证",
        "五星卡",
    ],
    "lost_passport_certificate": [
        "lost passport",
        "lost my passport",
        "passport lost",
        "passport loss",
        "stolen passport",
        "护照丢",
        "丢了护照",
        "护照丢失",
        "护照遗失",
        "护照报失",
        "丢护照",
    ],
    "accommodation_registration": [
        "accommodation registration",
        "registration of residence",
        "register my address",
        "register address",
        "address registration",
        "住宿登记",
        "临时住宿登记",
        "住宿登记表",
    ],
    "talent_services": [
        "talent services",
        "talent service",
        "talent centre",
        "talent center",
        "r visa",
        "人才服务",
        "人才中心",
        "人才签证",
        "r字签证",
        "高层次人才确认函",
        "高端人才确认函",
    ],
    "medical_examination": [
        "medical exam",
        "medical examination",
        "health check",
        "health exam",
        "physical exam",
        "体检",
        "健康检查",
    ],
    "port_visa": ["port visa", "landing visa", "visa on arrival", "口岸签证", "落地签"],
}

MEDICAL_NEED_FORMS: dict[str, list[str]] = {
    "emergency_room": [
        "emergency room",
        "emergency department",
        "a&e",
        "24h",
        "24 h",
        "24 hour",
        "24 hours",
        "24-hour",
        "24/7",
        "急诊",
        "24小时",
    ],
    "international_department": [
        "international department",
        "international dept",
        "international clinic",
        "international hospital",
        "international medical",
        "international wing",
        "foreigners department",
        "foreigner department",
        "vip",
        "国际部",
        "国际医疗",
        "外宾门诊",
        "国际医疗部",
        "特需",
        "国际门诊",
        "国际医院",
    ],
    "english_speaking": [
        "english speaking",
        "english-speaking",
        "speaks english",
        "speak english",
        "english",
        "英语",
        "英文",
        "说英语",
        "会英语",
        "外语",
    ],
}

WEEKDAY_FORMS: dict[str, list[str]] = {
    "monday": ["monday", "周一", "星期一", "礼拜一"],
    "tuesday": ["tuesday", "tue", "tues", "周二", "星期二", "礼拜二"],
    "wednesday": ["wednesday", "wed", "周三", "星期三", "礼拜三"],
    "thursday": ["thursday", "thu", "thur", "thurs", "周四", "星期四", "礼拜四"],
    "friday": ["friday", "fri", "周五", "星期五", "礼拜五"],
    "saturday": ["saturday", "sat", "saturdays", "周六", "星期六", "礼拜六"],
    "sunday": ["sunday", "sundays", "周日", "周天", "星期日", "星期天", "礼拜天", "礼拜日"],
    "today": ["today", "2day", "tonight", "今天", "今日", "今儿"],
    "tomorrow": ["tomorrow", "tmr", "tmrw", "tomorow", "明天", "明日", "明儿"],
    "now": [
        "now",
        "rn",
        "right now",
        "at the moment",
        "currently",
        "现在",
        "目前",
        "此刻",
        "这会儿",
    ],
}

# A typed rating of the last answer (buttons send the value directly); only read in rate_answer messages.
# Negated forms are longer than the positive ones they contain, so they win ("not helpful").
RATING_FORMS: dict[str, list[str]] = {
    "up": [
        "👍",
        "helpful",
        "useful",
        "very helpful",
        "it helped",
        "that helped",
        "this helped",
        "good answer",
        "great answer",
        "有帮助",
        "很有帮助",
        "有用",
        "很有用",
        "好评",
        "帮到我了",
    ],
    "down": [
        "👎",
        "not helpful",
        "unhelpful",
        "not useful",
        "useless",
        "didn't help",
        "did not help",
        "didnt help",
        "doesn't help",
        "does not help",
        "bad answer",
        "wrong answer",
        "没帮助",
        "没有帮助",
        "没用",
        "没有用",
        "不太有用",
        "没什么用",
        "没啥用",
        "没帮上",
        "差评",
        "答非所问",
        "不对",
    ],
}

BASE_FORMS: dict[str, dict[str, list[str]]] = {
    "district": DISTRICT_FORMS,
    "permit_type": PERMIT_TYPE_FORMS,
    "curriculum": CURRICULUM_FORMS,
    "language": LANGUAGE_FORMS,
    "service": SERVICE_FORMS,
    "medical_need": MEDICAL_NEED_FORMS,
    "weekday": WEEKDAY_FORMS,
    "rating": RATING_FORMS,
}

FORMS_DIR = Path(__file__).resolve().parent / "forms"


def _load_forms() -> dict[str, dict[str, list[str]]]:
    """The forms above plus those of each language in `forms/<lang>.yml` ({entity: {value: [forms]}})."""
    merged = {
        entity: {value: list(forms) for value, forms in values.items()}
        for entity, values in BASE_FORMS.items()
    }
    for path in sorted(FORMS_DIR.glob("*.yml")):
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        for entity, values in doc.items():
            if entity not in merged:
                raise ValueError(f"{path.name}: unknown entity {entity!r}")
            for value, forms in (values or {}).items():
                if value not in merged[entity]:
                    raise ValueError(f"{path.name}: unknown {entity} value {value!r}")
                merged[entity][value].extend(f for f in forms if f not in merged[entity][value])
    return merged


ENTITY_FORMS = _load_forms()

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


@lru_cache(maxsize=1)
def _patterns() -> _Forms:
    """Every surface form, longest forms first, with the index of their literals."""
    items: list[tuple[int, _Form, str]] = []
    for entity, values in ENTITY_FORMS.items():
        for value, forms in values.items():
            for form in forms:
                if _CJK.search(form):
                    pattern = re.compile(re.escape(form))
                    items.append((len(form), _Form(entity, value, pattern, True), form))
                else:
                    parts = form.split()
                    body = r"\s+".join(re.escape(part) for part in parts)
                    pattern = re.compile(body, re.IGNORECASE)
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


def warm_up() -> None:
    """Compile every surface form now (otherwise on the first message)."""
    _patterns()


def find_entities(text: str, entities: set[str] | None = None) -> list[Match]:
    """All non-overlapping entity mentions in `text` (longest match wins)."""
    taken: list[tuple[int, int]] = []
    found: list[Match] = []

    def free(s: int, e: int) -> bool:
        return all(e <= ts or s >= te for ts, te in taken)

    index = _patterns()
    for i in index.candidates(text):
        form = index.forms[i]
        entity, value = form.entity, form.value
        if entities is not None and entity not in entities:
            continue
        for m in form.pattern.finditer(text) if form.cjk else _bounded(form.pattern, text):
            if entity == "permit_type" and not _permit_type_in_context(text, m):
                continue
            if free(m.start(), m.end()):
                taken.append((m.start(), m.end()))
                found.append(Match(entity, value, m.start(), m.end(), m.group(0)))
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
        for pattern in AGE_PATTERNS:
            for m in pattern.finditer(text):
                age = int(m.group(1))
                if 0 < age < 25 and free(m.start(1), m.end(1)):
                    taken.append((m.start(1), m.end(1)))
                    found.append(Match("age", str(age), m.start(1), m.end(1), m.group(1)))
    return sorted(found, key=lambda x: x.start)
