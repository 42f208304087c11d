"""Chinese names read in Korean: "화목가" (和睦家), "협화병원" (协和医院), "경서국제학교" (京西国际学校).

Korean speakers often say a Chinese place name by the Korean reading of its characters (한자음) rather than
by its Mandarin sound: United Family (和睦家) is "화목가", Keystone (鼎石学校) "정석학교". The records' Chinese
names and Chinese aliases are read here character by character, so every record whose Chinese name is
known is also known by its Korean reading, without an alias per record.

The table gives one common Korean reading per character (simplified and traditional forms alike) for the
characters of place names; a name with a character not in it gets no reading. The first syllable of a word
follows the initial-sound rule (두음법칙: 리 -> 이, 락 -> 낙), as Korean writes it, and both forms are kept;
in a name of five syllables or more (several words) so does, in a third form, every syllable: 国际旅行
is 국제여행.

Strict, so that ordinary Korean words are not taken for names (`forms`): a reading is matched only when it
has three syllables or more; messages are compared without their spaces ("화목가 병원", "경서 국제학교"),
names without the city ("北京" is said 베이징, not 북경).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# One Korean reading per character (place-name characters; simplified and traditional forms).
_READINGS: dict[str, str] = {}
for _group in (
    "一일 二이 三삼 四사 五오 六륙 七칠 八팔 九구 十십 百백 千천 万만 萬만",
    "东동 東동 西서 南남 北북 中중 上상 下하 内내 內내 外외 前전 后후 後후 左좌 右우",
    "世세 丰풍 豐풍 久구 义의 義의 乐락 樂락 京경 人인 仙선 会회 會회 作작 使사 保보 健건 入입 公공",
    "关관 關관 兴흥 興흥 出출 分분 利리 副부 力력 办판 辦판 加가 务무 務무 助조 区구 區구 医의 醫의",
    "华화 華화 协협 協협 卫위 衛위 厅청 廳청 及급 友우 双쌍 雙쌍 发발 發발 受수 口구 可가 台대 臺대",
    "启계 啓계 命명 和화 哈합 嘉가 回회 园원 園원 国국 國국 圣성 聖성 场장 場장 境경 夏하 大대 好호",
    "威위 子자 学학 學학 安안 定정 家가 尔이 爾이 局국 居거 属속 屬속 屯둔 山산 岸안 州주 工공 已이",
    "市시 平평 年년 庄장 莊장 店점 府부 建건 开개 開개 式식 待대 徳덕 德덕 心심 怀회 懷회 总총 總총",
    "成성 戴대 所소 才재 技기 拿나 接접 援원 政정 旅려 日일 昌창 明명 易역 星성 景경 服복 望망 朝조",
    "本본 术술 術술 机기 機기 村촌 柔유 校교 桥교 橋교 梭사 永영 法법 济제 濟제 海해 淀정 清청 源원",
    "点점 點점 王왕 理리 生생 界계 留류 疗료 療료 病병 登등 睦목 石석 社사 科과 窑요 窯요 窗창 站참",
    "签첨 簽첨 管관 组조 組조 织직 織직 经경 經경 罗라 羅라 署서 美미 耀요 英영 蒙몽 行행 街가 观관",
    "觀관 谊의 誼의 警경 记기 記기 许허 許허 证증 證증 诊진 診진 试시 試시 语어 語어 贸무 貿무 资자",
    "資자 通통 道도 部부 都도 酒주 里리 门문 門문 闭폐 閉폐 阳양 陽양 附부 际제 際제 院원 障장 青청",
    "韩한 韓한 顺순 順순 馆관 館관 首수 高고 麦맥 麥맥 鼎정 龙룡 龍룡 民민 第제 新신 天천 地지 长장",
    "長장 光광 文문 化화 城성 河하 湖호 花화 儿아 兒아 童동 妇부 婦부 幼유 产산 產산 腔강 眼안 齿치",
    "齒치 牙아 药약 藥약 楼루 樓루 室실 司사 团단 團단 体체 體체 育육 教교 师사 師사 范범 言언 交교",
    "航항 空공 港항 铁철 鐵철 路로 津진 冀기 湾만 灣만 俄아 意의 泰태 越월 印인 澳오 仁인 爱애 愛애",
    "慈자 善선 福복 寿수 壽수 康강 宁녕 寧녕 协협 联련 聯련 合합 维유 維유 达달 達달 博박 士사 亚아",
    "亞아 洲주 诺낙 諾낙 金금 银은 銀은 泉천 水수 木목 林림 春춘 秋추 冬동 井정 坊방 门문 桥교 庙묘 廟묘",
):
    for _pair in _group.split():
        _READINGS[_pair[0]] = _pair[1:]

# A Chinese name starts with the city; Korean speakers say 베이징 for it, or leave it out.
_CITY_PREFIXES = ("北京市", "北京")
# Korean says 병원 for a hospital (医院 reads 의원) and 센터 for a centre (中心 reads 중심).
_SPOKEN = (("의원", "병원"), ("중심", "센터"))
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL_BASE, _MEDIALS, _FINALS = 0xAC00, 21, 28
_INITIAL_RIEUL, _INITIAL_NIEUN, _INITIAL_IEUNG = 5, 2, 11
# Medial vowels before which an initial ㄹ or ㄴ becomes silent (ㅑ ㅕ ㅖ ㅛ ㅠ ㅣ).
_Y_VOWELS = frozenset({2, 6, 7, 12, 17, 20})
MIN_SYLLABLES = 3
# A reading this long is several words, each of which starts under the initial-sound rule.
COMPOUND_SYLLABLES = 5
# Words saying the kind of place, read ("...국제학교", "...의원"), and names of countries: a reading that is
# only a country and a kind of place ("영국학교", 北京英国学校) says what people look for ("a British
# school"), not which one, and is no name.
_KIND_READINGS = (
    "국제학교",
    "학교",
    "국제의원",
    "국제병원",
    "의원",
    "병원",
    "국제부",
    "센터",
    "중심",
)
_COUNTRIES = frozenset(
    {"영국", "미국", "한국", "일본", "일본인", "독일", "덕국", "법국", "중국", "가나대"}
)


def _initial_sound_rule(syllable: str) -> str:
    """The first syllable of a word as Korean writes it: 리 -> 이, 량 -> 양, 락 -> 낙, 녀 -> 여."""
    code = ord(syllable) - _HANGUL_BASE
    if not 0 <= code < 11172:
        return syllable
    initial, rest = divmod(code, _MEDIALS * _FINALS)
    medial = rest // _FINALS
    if initial == _INITIAL_RIEUL:
        initial = _INITIAL_IEUNG if medial in _Y_VOWELS else _INITIAL_NIEUN
    elif initial == _INITIAL_NIEUN and medial in _Y_VOWELS:
        initial = _INITIAL_IEUNG
    return chr(_HANGUL_BASE + initial * _MEDIALS * _FINALS + rest)


def reading(name: str) -> str | None:
    """The Korean reading of a Chinese name (non-Han characters kept, spaces dropped), None when a
    character has no reading in the table or the name has no Chinese character."""
    text = "".join(name.split())
    if not _HAN.search(text):
        return None
    out = []
    for ch in text:
        if _HAN.match(ch):
            if ch not in _READINGS:
                return None
            out.append(_READINGS[ch])
        else:
            out.append(ch)
    return "".join(out)


def forms(names: Iterable[str]) -> list[str]:
    """The Korean readings people say of a record's Chinese names: the name without the city, as read
    and with its first syllable under the initial-sound rule, with 병원 for 의원 and 센터 for 중심; only
    forms of at least MIN_SYLLABLES Hangul syllables."""
    out: list[str] = []
    for name in names:
        if not _HAN.search(name):
            continue
        for prefix in _CITY_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix) + 1:
                name = name[len(prefix) :]
                break
        read = reading(name)
        if read is None:
            continue
        # Inside a name each word starts again: 国际旅行 is written 국제여행 (국제 + 여행), not 국제려행.
        variants = [read, _initial_sound_rule(read[0]) + read[1:]]
        if _hangul(read) >= COMPOUND_SYLLABLES:
            variants.append("".join(_initial_sound_rule(ch) for ch in read))
        for a, b in _SPOKEN:
            variants += [v.replace(a, b) for v in variants if a in v]
        for v in variants:
            if _hangul(v) >= MIN_SYLLABLES and not _only_kind(v) and v not in out:
                out.append(v)
    return out


def _hangul(text: str) -> int:
    return sum("\uac00" <= ch <= "\ud7a3" for ch in text)


def _only_kind(read: str) -> bool:
    """A reading that names no place: a country (or nothing) and the kind of place ("영국학교")."""
    rest = read
    cut = True
    while cut:
        cut = False
        for kind in _KIND_READINGS:
            if rest.endswith(kind) and len(rest) > len(kind) - 1:
                rest, cut = rest[: -len(kind)], True
                break
    return _hangul(rest) < 2 or rest in _COUNTRIES
