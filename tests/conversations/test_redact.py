"""Personal data never reaches a report: phone numbers, e-mails, ID numbers, names in nine languages."""

from __future__ import annotations

import re

import pytest

from bot.conversations.redact import normalise, redact

PHONES = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "+86-13800138000",
    "(010) 6532-1234",
    "010-65321234",
    "010 6532 1234",
    "+1 (415) 555-0100",
    "+7 495 123-45-67",
    "+33 1 23 45 67 89",
    "+49 30 1234567",
    "+82 10-1234-5678",
    "+81 90-1234-5678",
    "１３８００１３８０００",  # full-width digits
]


@pytest.mark.parametrize("phone", PHONES)
@pytest.mark.parametrize(
    "template",
    [
        "call me at {}",
        "我的电话是{}，请回电",
        "電話番号は{}です",
        "제 번호는 {} 입니다",
        "мой телефон {}.",
        "mon numéro : {}",
        "{}",
        "رقمي {} شكرا",
    ],
)
def test_phone_numbers_are_removed(phone: str, template: str) -> None:
    out = redact(template.format(phone))
    assert "[phone]" in out, out
    assert not re.search(r"\d{3}", out.replace("[phone]", "")), out


@pytest.mark.parametrize(
    "email",
    [
        "li.wei@example.com",
        "John.Smith+visa@mail.example.org",
        "zhang_san123@qq.com",
        "用户@例子.中国",
        "ｍａｉｌ＠ｅｘａｍｐｌｅ．ｃｎ",
    ],
)
def test_emails_are_removed(email: str) -> None:
    out = redact(f"my email is {email}, please write")
    assert out == "my email is [email], please write"


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("my passport number is E12345678", "E12345678"),
        ("passport G1234567 lost", "G1234567"),
        ("护照号E12345678请问怎么补办", "E12345678"),
        ("身份证号110101199003074514", "110101199003074514"),
        ("ID 11010119900307451X please", "11010119900307451X"),
        ("old ID 110101900307451", "110101900307451"),
        ("permit no. AB1234567", "AB1234567"),
        ("Reisepass C01X00T47 und", "C01X00T47"),
        ("my card 6222 0212 3456 7890 123", "6222"),
        ("order 8830021455", "8830021455"),
        ("postcode 100020", "100020"),
        ("my wechat is john_smith88", "john_smith88"),
        ("微信号：wxid_abc123 加我", "wxid_abc123"),
        ("WeChat ID: beijing.life", "beijing.life"),
        ("QQ 123456789", "123456789"),
        ("apt 1203 in Sanlitun", "1203"),
        ("朝阳区某小区3号楼2单元1203室", "1203"),
        ("101동 1203호", "1203"),
        ("квартира 45, дом 12", "45"),
        ("https://example.com/track?phone=13800138000&name=li", "13800138000"),
    ],
)
def test_ids_numbers_and_addresses_are_removed(text: str, gone: str) -> None:
    out = redact(text)
    assert gone not in out, out
    assert re.search(r"\[(id|number|phone|address|link)\]", out), out


NAMES = [
    ("my name is John Smith and I need a visa", ["John", "Smith"], "and I need a visa"),
    ("My name's Anna.", ["Anna"], "My name's"),
    ("hi, call me Pierre", ["Pierre"], "hi, call me"),
    ("我叫王小明，想问签证", ["王小明"], "想问签证"),
    ("我的名字是李华", ["李华"], "我的名字是"),
    ("我叫 Peter Smith，在朝阳工作", ["Peter", "Smith"], "在朝阳工作"),
    ("姓名：张伟", ["张伟"], "姓名"),
    ("私の名前は山田太郎です。ビザについて", ["山田太郎"], "ビザについて"),
    ("はじめまして、スミスと申します", ["スミス"], "と申します"),
    ("제 이름은 김민수입니다. 비자 문의", ["김민수"], "비자 문의"),
    ("박지은이라고 합니다", ["박지은"], "라고 합니다"),
    ("Меня зовут Иван Петров, нужна виза", ["Иван", "Петров"], "нужна виза"),
    (
        "je m'appelle Marie Dubois et je cherche une école",
        ["Marie", "Dubois"],
        "et je cherche une école",
    ),
    ("Mon nom est Lefèvre", ["Lefèvre"], "Mon nom est"),
    ("Ich heiße Anna Müller. Wo ist das Amt?", ["Anna", "Müller"], "Wo ist das Amt?"),
    ("Mein Name ist Klaus", ["Klaus"], "Mein Name ist"),
    ("me llamo Ana García y necesito ayuda", ["Ana", "García"], "y necesito ayuda"),
    ("Mi nombre es José", ["José"], "Mi nombre es"),
    ("اسمي محمد علي وأريد تأشيرة", ["محمد", "علي"], "وأريد تأشيرة"),
]


@pytest.mark.parametrize(("text", "names", "kept"), NAMES)
def test_names_after_introductions_are_removed(text: str, names: list[str], kept: str) -> None:
    out = redact(text)
    assert "[name]" in out, out
    for name in names:
        assert name not in out, out
    assert kept in out, out


@pytest.mark.parametrize(
    "text",
    [
        "where can I renew my residence permit in Chaoyang?",
        "call 12367 or 12345",
        "the fee is CNY 800",
        "open 9:00-17:00 on 2026-11-23?",
        "my visa expires on 15.01.2026",
        "签证2026年1月15日到期",
        "IB school for my 7 year old in Shunyi",
        "R visa for high-level talent",
        "my name is on the list?",
        "call me back tomorrow",
        "学校的名字是什么",
        "学校の名前は何ですか",
        "is line 10 open now",
        "I'm from the USA",
        "ich brauche ein Visum",
        "🙂🙂🙂",
        "<script>alert(1)</script>",
        "",
    ],
)
def test_ordinary_questions_are_unchanged(text: str) -> None:
    assert redact(text) == text


def test_control_characters_and_width_are_normalised() -> None:
    assert redact("\x00hello\x1b \u202e") == "hello"
    assert redact("ｗｈｅｒｅ ｉｓ ｔｈｅ ｏｆｆｉｃｅ") == "where is the office"


def test_links_keep_only_the_site() -> None:
    assert (
        redact("see https://example.com/a/b?c=d please") == "see https://example.com/[link] please"
    )
    assert redact("www.gov.cn is down") == "www.gov.cn is down"


def test_normalise_groups_near_identical_spellings() -> None:
    assert normalise(redact("How do I pay TAX??")) == normalise(redact("how do i pay tax"))
    assert normalise(redact("call 13800138000")) == normalise(redact("call +86 139 0000 1111"))
    assert normalise(redact("我叫王小明")) == normalise(redact("我叫李华"))
    assert normalise("visa") != normalise("tax")
