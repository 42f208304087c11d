"""Development examples for the facet rules (bot/nlu/facets.py), written for them (not taken from
bench/data): (language, message, is it a follow-up, facets asked, ordinal picked)."""

from __future__ import annotations

Example = tuple[str, str, bool, frozenset[str], str | None]


def _e(lang: str, text: str, follow: bool, facets: str = "", ordinal: str | None = None) -> Example:
    return (lang, text, follow, frozenset(facets.split()), ordinal)


FOLLOW_UPS: list[Example] = [
    # English
    _e("en", "what about in Haidian?", True),
    _e("en", "and on Saturday?", True),
    _e("en", "how much?", True, "fee"),
    _e("en", "how much does it cost?", True, "fee"),
    _e("en", "is it free?", True, "fee"),
    _e("en", "which documents?", True, "documents"),
    _e("en", "its phone?", True, "phone"),
    _e("en", "the second one", True, "", "2"),
    _e("en", "and how long does it take?", True, "processing_time"),
    _e("en", "what's the address?", True, "address"),
    _e("en", "and in the afternoon?", True),
    _e("en", "ok and the last one?", True, "", "last"),
    _e("en", "do they speak English there?", True, "languages"),
    _e("en", "how long is it valid?", True, "validity"),
    _e("en", "what's the deadline?", True, "deadline"),
    _e("en", "can I book an appointment?", True, "booking"),
    _e("en", "what ages?", True, "ages"),
    _e("en", "is it still open?", True, "status"),
    _e("en", "number 3 please", True, "", "3"),
    _e("en", "where is it?", True, "address"),
    # Chinese
    _e("zh", "海淀呢？", True),
    _e("zh", "那周六呢", True),
    _e("zh", "多少钱？", True, "fee"),
    _e("zh", "要带什么材料？", True, "documents"),
    _e("zh", "它的电话是多少", True, "phone"),
    _e("zh", "第二个", True, "", "2"),
    _e("zh", "要多久？", True, "processing_time"),
    _e("zh", "免费吗", True, "fee"),
    _e("zh", "地址呢？", True, "address"),
    _e("zh", "那个几点开门？", True, "hours"),
    _e("zh", "最后一个呢", True, "", "last"),
    _e("zh", "有效期多久", True, "validity"),
    _e("zh", "下午呢？", True),
    _e("zh", "可以预约吗", True, "booking"),
    # Japanese
    _e("ja", "海淀区は？", True),
    _e("ja", "土曜日は？", True),
    _e("ja", "いくらですか", True, "fee"),
    _e("ja", "それは無料ですか？", True, "fee"),
    _e("ja", "2番目", True, "", "2"),
    _e("ja", "電話番号は？", True, "phone"),
    _e("ja", "必要書類は？", True, "documents"),
    _e("ja", "どのくらいかかりますか", True, "processing_time"),
    _e("ja", "では朝陽区では？", True),
    _e("ja", "住所を教えてください", True, "address"),
    # Korean
    _e("ko", "하이뎬은요?", True),
    _e("ko", "토요일에는요?", True),
    _e("ko", "얼마예요?", True, "fee"),
    _e("ko", "두 번째", True, "", "2"),
    _e("ko", "전화번호는요?", True, "phone"),
    _e("ko", "서류는 뭐가 필요해요?", True, "documents"),
    _e("ko", "그거 무료인가요?", True, "fee"),
    _e("ko", "얼마나 걸려요?", True, "processing_time"),
    _e("ko", "주소는요?", True, "address"),
    # Russian
    _e("ru", "а в Хайдяне?", True),
    _e("ru", "а в субботу?", True),
    _e("ru", "сколько стоит?", True, "fee"),
    _e("ru", "какие документы нужны?", True, "documents"),
    _e("ru", "второй", True, "", "2"),
    _e("ru", "а его телефон?", True, "phone"),
    _e("ru", "это бесплатно?", True, "fee"),
    _e("ru", "сколько времени это занимает?", True, "processing_time"),
    _e("ru", "а где это?", True, "address"),
    _e("ru", "последний", True, "", "last"),
    # French
    _e("fr", "et à Haidian ?", True),
    _e("fr", "et ça coûte combien ?", True, "fee"),
    _e("fr", "et le samedi ?", True),
    _e("fr", "le deuxième", True, "", "2"),
    _e("fr", "c'est gratuit ?", True, "fee"),
    _e("fr", "quels documents ?", True, "documents"),
    _e("fr", "son numéro de téléphone ?", True, "phone"),
    _e("fr", "combien de temps ça prend ?", True, "processing_time"),
    _e("fr", "l'adresse ?", True, "address"),
    # German
    _e("de", "und in Haidian?", True),
    _e("de", "und am Samstag?", True),
    _e("de", "was kostet das?", True, "fee"),
    _e("de", "der zweite", True, "", "2"),
    _e("de", "ist es kostenlos?", True, "fee"),
    _e("de", "welche Unterlagen?", True, "documents"),
    _e("de", "wie lange dauert es?", True, "processing_time"),
    _e("de", "und die Telefonnummer?", True, "phone"),
    _e("de", "wo ist das?", True, "address"),
    # Spanish
    _e("es", "¿y en Haidian?", True),
    _e("es", "¿y el sábado?", True),
    _e("es", "¿cuánto cuesta?", True, "fee"),
    _e("es", "el segundo", True, "", "2"),
    _e("es", "¿es gratis?", True, "fee"),
    _e("es", "¿qué documentos?", True, "documents"),
    _e("es", "¿cuánto tarda?", True, "processing_time"),
    _e("es", "¿y su teléfono?", True, "phone"),
    _e("es", "¿dónde está?", True, "address"),
    # Arabic
    _e("ar", "وماذا عن هايديان؟", True),
    _e("ar", "ويوم السبت؟", True),
    _e("ar", "كم التكلفة؟", True, "fee"),
    _e("ar", "الثاني", True, "", "2"),
    _e("ar", "هل هو مجاني؟", True, "fee"),
    _e("ar", "ما هي الوثائق؟", True, "documents"),
    _e("ar", "ورقم هاتفه؟", True, "phone"),
    _e("ar", "كم من الوقت يستغرق؟", True, "processing_time"),
    _e("ar", "أين العنوان؟", True, "address"),
]

# Complete questions: they name a topic, keep their intent and carry the facets they ask.
QUESTIONS: list[Example] = [
    _e("en", "how much does a work residence permit cost?", False, "fee"),
    _e("en", "which documents do I need for the work permit?", False, "documents"),
    _e("en", "where is the nearest hospital?", False, "address"),
    _e("en", "what curriculum does the school follow?", False, "curriculum"),
    _e("en", "what do I do first, registration or residence permit?", False, "order"),
    _e("zh", "工作许可多少钱？", False, "fee"),
    _e("zh", "居留许可需要什么材料", False, "documents"),
    _e("zh", "医院呢？", False),
    _e("ja", "就労ビザの費用はいくらですか", False, "fee"),
    _e("ja", "学校の住所は？", False, "address"),
    _e("ko", "거류증 연장 비용이 얼마예요?", False, "fee"),
    _e("ko", "국제학교 학비는 얼마예요?", False, "fee"),
    _e("ru", "сколько стоит вид на жительство?", False, "fee"),
    _e("ru", "какие документы нужны для разрешения на работу?", False, "documents"),
    _e("fr", "combien coûte le permis de séjour ?", False, "fee"),
    _e("fr", "quels documents pour le permis de travail ?", False, "documents"),
    _e("de", "was kostet die Aufenthaltserlaubnis?", False, "fee"),
    _e("de", "welche Unterlagen brauche ich für die Arbeitserlaubnis?", False, "documents"),
    _e("es", "¿cuánto cuesta el permiso de residencia?", False, "fee"),
    _e("es", "¿qué documentos necesito para el permiso de trabajo?", False, "documents"),
    _e("ar", "كم تكلفة تصريح الإقامة؟", False, "fee"),
    _e("ar", "ما هي الوثائق المطلوبة لتصريح العمل؟", False, "documents"),
]

# Neither follow-ups nor facet questions.
OTHERS: list[Example] = [
    _e("en", "yes", False),
    _e("en", "thanks", False),
    _e("en", "ok", False),
    _e("en", "hello", False),
    _e("en", "and?", False),
    _e("zh", "谢谢", False),
    _e("zh", "好的", False),
    _e("ja", "ありがとう", False),
    _e("ko", "감사합니다", False),
    _e("ru", "спасибо", False),
    _e("fr", "merci", False),
    _e("de", "danke", False),
    _e("es", "gracias", False),
    _e("ar", "شكرا", False),
]

# Acute danger is never a follow-up, however short.
EMERGENCIES: list[str] = [
    "and now he is not breathing!",
    "他晕倒了，在海淀",
    "а в Хайдяне пожар!",
    "et là il saigne beaucoup",
]
