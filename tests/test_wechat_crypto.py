"""Unit tests of the WeChat protocol layer: every published crypto vector, signatures, padding, appid, key
rotation, XML attacks and size caps, replay window, deduplication of interleaved retries, the access-token
cache, the 5-second rule, rendering for WeChat text, and the unsubscribe purge of the tracker store."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fakes.wechat_api import Envelope, FakeWeChatApi, WeChatPush, xml_fields

from bot.channels.wechat import inbound, xmlcodec
from bot.channels.wechat.api import ApiResult, WeChatApi
from bot.channels.wechat.channel import Outcome, Rejected, WeChatInput
from bot.channels.wechat.config import ConfigError, WeChatConfig
from bot.channels.wechat.crypto import (
    AppIdMismatch,
    CryptoError,
    MessageCrypto,
    aes_key,
    check_signature,
    pkcs7_pad,
    pkcs7_unpad,
    sha1_signature,
)
from bot.channels.wechat.dedup import Deduplicator
from bot.channels.wechat.delivery import CustomerService
from bot.channels.wechat.quota import EVENT_WINDOW, SendQuota
from bot.channels.wechat.render import (
    MAX_TEXT_BYTES,
    Option,
    fit,
    linkify,
    match_option,
    pack,
    render_messages,
    utf8_len,
)
from bot.channels.wechat.replay import ReplayError, ReplayGuard
from bot.channels.wechat.tokens import AccessTokenCache

# The published vectors, copied from shared/reference/wechat_test_vectors.json (see channels.md A7).
VECTORS = json.loads(
    (Path(__file__).resolve().parent / "data" / "wechat_test_vectors.json").read_text(
        encoding="utf-8"
    )
)
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APPID = "wxb11529c136998cb6"


def raw_encrypt(key: str, plain: bytes) -> str:
    """AES-256-CBC of exactly `plain` (no padding added), to craft malformed ciphertexts."""
    k = base64.b64decode(key + "=")
    enc = Cipher(algorithms.AES(k), modes.CBC(k[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


# ------------------------------------------------------------------------------------ vectors


@pytest.mark.parametrize("v", VECTORS["plain_signature"], ids=lambda v: v["token"])
def test_plain_signature_vectors(v: dict[str, str]) -> None:
    assert sha1_signature(v["token"], v["timestamp"], v["nonce"]) == v["signature"]
    assert check_signature(v["signature"], v["token"], v["timestamp"], v["nonce"])
    assert check_signature(v["signature"].upper(), v["token"], v["timestamp"], v["nonce"])


@pytest.mark.parametrize("v", VECTORS["encrypt"], ids=lambda v: v["ciphertext"][:12])
def test_encrypt_vectors(v: dict[str, str]) -> None:
    crypto = MessageCrypto(v.get("token", "t"), v["appid"], [v["encoding_aes_key"]])
    ciphertext = crypto.encrypt(v["msg"], random=v["random"].encode())
    assert ciphertext == v["ciphertext"]
    if "msg_signature" in v:
        assert crypto.msg_signature(v["timestamp"], v["nonce"], ciphertext) == v["msg_signature"]
    assert crypto.decrypt(ciphertext).message.decode() == v["msg"]


@pytest.mark.parametrize("v", VECTORS["decrypt"], ids=lambda v: v["msg_signature"][:12])
def test_decrypt_vectors(v: dict[str, str]) -> None:
    crypto = MessageCrypto(v["token"], v["appid"], [v["encoding_aes_key"]])
    opened = crypto.verify_and_decrypt(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert opened.message.decode() == v["plaintext"] and opened.key_index == 0


@pytest.mark.parametrize("v", VECTORS["decrypt"], ids=lambda v: v["msg_signature"][:12])
def test_decrypt_vectors_reject_a_wrong_signature_and_a_wrong_appid(v: dict[str, str]) -> None:
    crypto = MessageCrypto(v["token"], v["appid"], [v["encoding_aes_key"]])
    with pytest.raises(CryptoError, match="msg_signature"):
        crypto.verify_and_decrypt("0" * 40, v["timestamp"], v["nonce"], v["encrypt"])
    with pytest.raises(CryptoError, match="msg_signature"):
        crypto.verify_and_decrypt(
            v["msg_signature"], v["timestamp"], str(int(v["nonce"]) + 1), v["encrypt"]
        )
    other = MessageCrypto(v["token"], "wx0000000000000000", [v["encoding_aes_key"]])
    with pytest.raises(AppIdMismatch):
        other.verify_and_decrypt(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])


# ------------------------------------------------------------------------------ signatures, keys


@pytest.mark.parametrize(
    "bad", [None, "", "0" * 40, "899cf89e464efb63f54ddac96b0a0a235f53aa7", "ü" * 40]
)
def test_bad_plain_signatures(bad: str | None) -> None:
    assert not check_signature(bad, "AAAAA", "1714037059", "486452656")


@pytest.mark.parametrize("key", ["short", KEY + "A", "!" * 43, "a" * 42 + "="])
def test_malformed_encoding_aes_keys(key: str) -> None:
    with pytest.raises(ValueError):
        aes_key(key)


def test_pkcs7_block_of_32() -> None:
    assert len(pkcs7_pad(b"x" * 32)) == 64 and pkcs7_pad(b"x" * 31)[-1] == 1
    for n in range(0, 70):
        assert pkcs7_unpad(pkcs7_pad(b"y" * n)) == b"y" * n


@pytest.mark.parametrize(
    "padded",
    [
        b"a" * 31 + b"\x00",  # pad value 0
        b"a" * 31 + b"\x21",  # 33 > block size
        b"a" * 28 + b"\x04\x04\x03\x04",  # one pad byte differs
        b"a" * 15 + b"\x01",  # 16 bytes: not a 32-byte multiple
        b"",
    ],
)
def test_bad_padding_is_rejected(padded: bytes) -> None:
    with pytest.raises(CryptoError):
        pkcs7_unpad(padded)


def test_tampered_ciphertexts_are_rejected() -> None:
    crypto = MessageCrypto("t", APPID, [KEY])
    good = crypto.encrypt("<xml/>")
    raw = bytearray(base64.b64decode(good))
    raw[-1] ^= 0x55  # garbles the last block, so its padding
    cases = [
        base64.b64encode(bytes(raw)).decode(),
        good[:-8],  # not base64 of whole blocks
        "not base64 at all!",
        "",
        raw_encrypt(
            KEY, b"\x00" * 16 + b"\x00\x00\x00\x05" + b"<xml>" + APPID.encode() + b"\x00" * 5
        ),  # pad 0
        raw_encrypt(
            KEY, b"r" * 16 + b"\xff\xff\xff\xff" + b"x" * 12
        ),  # length field past the data, bad pad
    ]
    for bad in cases:
        with pytest.raises(CryptoError):
            crypto.decrypt(bad)


def test_length_field_beyond_data_is_rejected() -> None:
    body = b"r" * 16 + (1000).to_bytes(4, "big") + b"<xml/>" + APPID.encode()
    with pytest.raises(CryptoError, match="length"):
        MessageCrypto("t", APPID, [KEY]).decrypt(raw_encrypt(KEY, pkcs7_pad(body)))


def test_key_rotation_uses_the_previous_key_and_reports_it() -> None:
    old = MessageCrypto("t", APPID, [OLD_KEY])
    rotating = MessageCrypto("t", APPID, [KEY, OLD_KEY])
    opened = rotating.decrypt(old.encrypt("<xml>old</xml>"))
    assert opened.message == b"<xml>old</xml>" and opened.key_index == 1
    assert rotating.decrypt(rotating.encrypt("<xml>new</xml>")).key_index == 0
    # The reply goes back encrypted with the key that worked.
    assert (
        old.decrypt(rotating.encrypt("<xml>reply</xml>", key_index=1)).message
        == b"<xml>reply</xml>"
    )
    with pytest.raises(CryptoError):
        MessageCrypto("t", APPID, [KEY]).decrypt(old.encrypt("<xml>old</xml>"))


def test_independent_implementation_agrees() -> None:
    """The fake's crypto (tests/fakes) and the channel's interoperate both ways."""
    ours = MessageCrypto("t", APPID, [KEY])
    theirs = Envelope(KEY, APPID)
    assert ours.decrypt(theirs.encrypt("中文 <xml>")).message.decode() == "中文 <xml>"
    assert theirs.decrypt(ours.encrypt("中文 <xml>")) == "中文 <xml>"


# ------------------------------------------------------------------------------------------ XML


def test_parse_plain_message() -> None:
    fields = xmlcodec.parse(VECTORS["decrypt"][0]["plaintext"].encode())
    assert (
        fields["MsgType"] == "text"
        and fields["Content"] == "abcdteT"
        and fields["MsgId"] == "6054768590064713728"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
        b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><C>&c;</C></xml>',
        b'<!doctype xml SYSTEM "http://example.invalid/x.dtd"><xml/>',
        b"<xml><Content>&undefined;</Content></xml>",
        b"<xml><Content>unclosed</xml>",
        b"<html><body/></html>",
        b"",
        b"\xff\xfe\x00garbage",
    ],
)
def test_xml_attacks_and_garbage_are_rejected(body: bytes) -> None:
    with pytest.raises(xmlcodec.XmlError):
        xmlcodec.parse(body)


def test_oversize_body_is_rejected_before_parsing() -> None:
    body = b"<xml><Content>" + b"x" * xmlcodec.MAX_BODY_BYTES + b"</Content></xml>"
    with pytest.raises(xmlcodec.XmlError, match="too large"):
        xmlcodec.parse(body)


@pytest.mark.parametrize(
    "content",
    ["a]]>b", "]]>", "x]]]]>y", '<a href="https://x.cn">x</a> & <b>', "nul\x00 bell\x07 ok"],
)
def test_reply_xml_survives_any_content(content: str) -> None:
    reply = xmlcodec.text_reply("oUser", "gh_1", content, 1700000000)
    fields = xmlcodec.parse(reply.encode())
    assert fields["Content"] == xmlcodec.xml_safe(content).strip()
    assert fields["ToUserName"] == "oUser" and fields["FromUserName"] == "gh_1"


# --------------------------------------------------------------------------------------- replay


def test_timestamp_window() -> None:
    guard = ReplayGuard(window=300, clock=lambda: 1_000_000.0)
    guard.check("1000000", "1")
    guard.check("999701", "2")
    for bad in ("999699", "1000301", "", None, "12a", "-5", "9" * 20):
        with pytest.raises(ReplayError):
            guard.check(bad, "3")


def test_same_nonce_with_another_body_is_a_replay() -> None:
    guard = ReplayGuard(window=300, clock=lambda: 1_000_000.0)
    guard.check("1000000", "42", b"body-1")
    guard.check("1000000", "42", b"body-1")  # WeChat's retry: same body
    with pytest.raises(ReplayError):
        guard.check("1000000", "42", b"forged")
    guard.check("1000000", "43", b"forged")


def test_replay_memory_is_bounded() -> None:
    now = [0.0]
    guard = ReplayGuard(window=10, clock=lambda: now[0], max_remembered=5)
    for i in range(20):
        guard.check("0", str(i), b"b")
    assert len(guard._seen) <= 5
    now[0] = 100.0
    guard.check("100", "x", b"b")
    assert len(guard._seen) == 1


# ---------------------------------------------------------------------------------------- dedup


def test_interleaved_retries_run_the_work_once_and_share_the_outcome() -> None:
    calls: list[str] = []

    async def scenario() -> list[str]:
        dedup: Deduplicator[str] = Deduplicator()

        async def work() -> str:
            calls.append("run")
            await asyncio.sleep(0.05)
            return "reply"

        async def request(delay: float) -> str:
            await asyncio.sleep(delay)
            return await dedup.outcome("msg:1", "oUser", work)

        first = await asyncio.gather(request(0), request(0.01), request(0.02), request(0.03))
        late = await request(0)  # a retry after the work finished
        assert dedup.hits("msg:1") == 5
        return [*first, late]

    assert asyncio.run(scenario()) == ["reply"] * 5
    assert calls == ["run"]


def test_a_dropped_retry_does_not_cancel_the_work() -> None:
    async def scenario() -> str:
        dedup: Deduplicator[str] = Deduplicator()

        async def work() -> str:
            await asyncio.sleep(0.05)
            return "done"

        waiting = asyncio.ensure_future(dedup.outcome("k", "u", work))
        await asyncio.sleep(0.01)
        waiting.cancel()  # the client went away
        return await dedup.outcome("k", "u", work)

    assert asyncio.run(scenario()) == "done"


def test_failure_is_shared_and_users_can_be_forgotten() -> None:
    async def scenario() -> None:
        dedup: Deduplicator[str] = Deduplicator()

        async def boom() -> str:
            raise RuntimeError("x")

        for _ in range(2):
            with pytest.raises(RuntimeError):
                await dedup.outcome("k", "oA", boom)
        assert dedup.hits("k") == 2
        assert dedup.forget_owner("oA") == 1 and len(dedup) == 0

    asyncio.run(scenario())


# ------------------------------------------------------------------------------- access token


def test_token_cache_fetches_once_for_concurrent_callers_and_per_expiry() -> None:
    now = [0.0]
    fetched: list[int] = []

    async def fetch() -> tuple[str, int]:
        fetched.append(1)
        await asyncio.sleep(0.01)
        return f"token-{len(fetched)}", 7200

    async def scenario() -> None:
        cache = AccessTokenCache(fetch, clock=lambda: now[0])
        tokens = await asyncio.gather(*(cache.get() for _ in range(20)))
        assert set(tokens) == {"token-1"} and len(fetched) == 1
        now[0] = 7200 - 61
        assert await cache.get() == "token-1"
        now[0] = 7200 - 59  # within the refresh margin
        assert await cache.get() == "token-2"
        cache.invalidate("token-1")  # a stale token reported late does not drop the new one
        assert await cache.get() == "token-2" and len(fetched) == 2
        cache.invalidate("token-2")
        assert await cache.get() == "token-3"

    asyncio.run(scenario())


@pytest.fixture()
def fake_api() -> Any:
    api = FakeWeChatApi("wxunit", "unit-secret").start()
    yield api
    api.stop()


def test_api_client_against_the_fake(fake_api: FakeWeChatApi) -> None:
    async def scenario() -> list[ApiResult]:
        client = WeChatApi(fake_api.base_url, "wxunit", "unit-secret", tokens=None)
        client.tokens = AccessTokenCache(client.fetch_token)
        try:
            fake_api.interaction("oA")
            results = list(
                await asyncio.gather(
                    *(client.send_text("oA", f"第{i}条 message") for i in range(7))
                )
            )
            assert fake_api.token_fetches == 1  # no stampede
            fake_api.expire_tokens()
            fake_api.interaction("oB")
            results.append(await client.send_text("oB", "after expiry"))
            results.append(await client.send_text("oNobody", "unknown user"))
            return results
        finally:
            await client.close()

    results = asyncio.run(scenario())
    codes = [r.errcode for r in results]
    assert codes[:7].count(0) == 5 and codes[:7].count(45047) == 2  # 5 per window
    assert codes[7] == 0 and fake_api.token_fetches == 2  # 42001 -> one refresh
    assert codes[8] == 40003
    assert all(b"\\u" not in m.raw for m in fake_api.sent) and "第0条 message" in {
        m.content for m in fake_api.sent
    }


def test_token_endpoint_errors_are_not_retried_in_a_loop(fake_api: FakeWeChatApi) -> None:
    fake_api.token_errors = [45009]  # API frequency limit on the token endpoint

    async def scenario() -> tuple[ApiResult, ApiResult]:
        client = WeChatApi(fake_api.base_url, "wxunit", "unit-secret")
        client.tokens = AccessTokenCache(client.fetch_token)
        fake_api.interaction("oA")
        try:
            return await client.send_text("oA", "first"), await client.send_text("oA", "second")
        finally:
            await client.close()

    first, second = asyncio.run(scenario())
    assert not first.ok and "45009" in first.errmsg  # reported, the message is not sent
    assert second.ok and fake_api.token_fetches == 1 and fake_api.attempts == [("oA", 0)]


def test_token_refusal_is_reported_without_the_secret(fake_api: FakeWeChatApi) -> None:
    async def scenario() -> ApiResult:
        client = WeChatApi(fake_api.base_url, "wxunit", "wrong-secret-value")
        client.tokens = AccessTokenCache(client.fetch_token)
        try:
            return await client.send_text("oA", "x")
        finally:
            await client.close()

    result = asyncio.run(scenario())
    assert not result.ok and "40125" in result.errmsg and "wrong-secret-value" not in result.errmsg


# ------------------------------------------------------------------------------------ rendering


def test_numbered_options_and_links() -> None:
    turn = render_messages(
        [
            {"text": "See https://www.nia.gov.cn/n741440/index.html. Thanks"},
            {
                "text": "Which one?",
                "buttons": [
                    {"title": "Work", "payload": "/a"},
                    {"title": "Study", "payload": "/b"},
                ],
            },
        ],
        "(Reply with a number.)",
    )
    assert (
        turn.blocks[0]
        == 'See <a href="https://www.nia.gov.cn/n741440/index.html">https://www.nia.gov.cn/n741440/index.html</a>. Thanks'
    )
    assert turn.blocks[1] == "Which one?\n1. Work\n2. Study\n(Reply with a number.)"
    assert turn.options == [Option("Work", "/a"), Option("Study", "/b")]


def test_linkify_leaves_plain_domains_and_chinese_punctuation() -> None:
    assert linkify("www.bjgaj.gov.cn") == "www.bjgaj.gov.cn"
    assert (
        linkify("网址：https://a.cn/x，谢谢")
        == '网址：<a href="https://a.cn/x">https://a.cn/x</a>，谢谢'
    )


@pytest.mark.parametrize(
    ("reply", "picked"),
    [
        ("2", "/b"),
        ("２", "/b"),
        (" 2. ", "/b"),
        ("study", "/b"),
        ("WORK", "/a"),
        ("3", None),
        ("0", None),
        ("work please", None),
    ],
)
def test_option_replies(reply: str, picked: str | None) -> None:
    option = match_option(reply, [Option("Work", "/a"), Option("Study", "/b")])
    assert (option.payload if option else None) == picked


def test_long_answers_split_at_paragraphs_under_2048_bytes() -> None:
    paragraphs = [f"段落{i} " + "中文内容" * 60 for i in range(12)]  # ~730 bytes each
    parts = pack(["\n\n".join(paragraphs)])
    assert all(utf8_len(p) <= MAX_TEXT_BYTES for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)  # cut only between paragraphs
    assert len(parts) == 6


def test_overlong_line_is_cut_without_breaking_characters_or_links() -> None:
    link = '<a href="https://example.cn/very/long/path">https://example.cn/very/long/path</a>'
    line = "字" * 650 + link + "字" * 700
    parts = pack([line])
    assert all(utf8_len(p) <= MAX_TEXT_BYTES for p in parts)
    assert "".join(parts) == line
    assert any(link in p for p in parts)


def test_a_heading_stays_with_what_it_introduces() -> None:
    parts = pack(["a" * 1500, "Where to go:", "📍 " + "b" * 1000])
    assert parts == ["a" * 1500, "Where to go:\n\n📍 " + "b" * 1000]
    assert pack(["a" * 100, "Where to go:", "📍 short"]) == [
        "a" * 100 + "\n\nWhere to go:\n\n📍 short"
    ]


def test_a_turn_is_merged_into_few_parts_and_shortened_to_the_quota() -> None:
    messages = [f"message {i}: " + "x" * 300 for i in range(10)]
    parts = pack(messages)
    assert len(parts) == 2
    shortened = fit(pack(["y" * 2000] * 4), 2, "(shortened)")
    assert (
        len(shortened) == 2
        and shortened[-1].endswith("(shortened)")
        and utf8_len(shortened[-1]) <= MAX_TEXT_BYTES
    )
    assert fit(parts, 0, "n") == []


def test_quota_window() -> None:
    now = [0.0]
    quota = SendQuota(clock=lambda: now[0])
    assert quota.remaining("u") == 0
    quota.grant("u")
    quota.use("u", 4)
    assert quota.remaining("u") == 1
    quota.grant("u", EVENT_WINDOW)
    assert quota.remaining("u") == 3
    now[0] = 61
    assert quota.remaining("u") == 1
    quota.close("u")
    assert quota.remaining("u") == 0
    now[0] = 48 * 3600 + 1
    quota.grant("u")
    assert quota.remaining("u") == 5


# --------------------------------------------------------------------------------------- inbound


def test_interpretation_of_messages_and_events() -> None:
    base = {"FromUserName": "oU", "ToUserName": "gh", "CreateTime": "1"}
    assert inbound.interpret({**base, "MsgType": "text", "Content": " hi "}) == inbound.Ask(
        "hi", typed=True
    )
    assert inbound.interpret({**base, "MsgType": "voice", "Recognition": "visa"}) == inbound.Ask(
        "visa", typed=True
    )
    assert inbound.interpret({**base, "MsgType": "voice", "Recognition": ""}) == inbound.Say(
        "voice_unrecognized"
    )
    located = inbound.interpret(
        {**base, "MsgType": "location", "Location_X": "39.9", "Location_Y": "116.4"}
    )
    assert located == inbound.Ask("/find_service_point", {"location": {"lat": 39.9, "lon": 116.4}})
    assert inbound.interpret(
        {**base, "MsgType": "location", "Location_X": "nan", "Location_Y": "1"}
    ) == inbound.Say("unsupported")
    for kind in ("image", "video", "link", "shortvideo"):
        assert inbound.interpret({**base, "MsgType": kind}) == inbound.Say("unsupported")
    event = {**base, "MsgType": "event"}
    assert inbound.interpret({**event, "Event": "subscribe"}).text == "/help"
    assert inbound.interpret(
        {**event, "Event": "subscribe", "EventKey": "qrscene_lang_ja"}
    ).metadata == {"language": "ja"}
    assert inbound.interpret({**event, "Event": "unsubscribe"}) == inbound.Purge()
    assert inbound.interpret({**event, "Event": "CLICK", "EventKey": "MENU_VISA"}).text == "/visa"
    assert (
        inbound.interpret({**event, "Event": "CLICK", "EventKey": "restart_everything"})
        == inbound.Nothing()
    )
    assert inbound.interpret(
        {**event, "Event": "LOCATION", "Latitude": "40.1", "Longitude": "116.6"}
    ) == inbound.Remember((40.1, 116.6))
    assert (
        inbound.interpret({**event, "Event": "VIEW", "EventKey": "https://x"}) == inbound.Nothing()
    )


def test_dedup_keys() -> None:
    assert inbound.dedup_key({"MsgId": "123", "FromUserName": "o"}) == "msg:123"
    a = inbound.dedup_key({"FromUserName": "o", "CreateTime": "5", "Event": "subscribe"})
    b = inbound.dedup_key({"FromUserName": "o", "CreateTime": "5", "Event": "LOCATION"})
    assert a != b and a == inbound.dedup_key(
        {"FromUserName": "o", "CreateTime": "5", "Event": "subscribe"}
    )


# ----------------------------------------------------------------------------- channel pieces


def channel(**overrides: Any) -> WeChatInput:
    settings = {
        "token": "tok",
        "appid": APPID,
        "secret": "s",
        "aes_key": KEY,
        "aes_key_previous": OLD_KEY,
        "api_base": "http://127.0.0.1:9",
    }
    return WeChatInput(WeChatConfig(**{**settings, **overrides}))


def push() -> WeChatPush:
    return WeChatPush("http://unused", "tok", APPID)


def test_authenticate_plain_compatible_safe_and_reply_encryption() -> None:
    ch, wx = channel(), push()
    xml = wx.text("oU", "hello ]]> world")
    for mode, key in (("plain", None), ("compat", KEY), ("safe", KEY), ("safe", OLD_KEY)):
        params, body = wx.request(xml, mode=mode, key=key)
        fields, key_index = ch.authenticate(params, body)
        assert fields["Content"] == "hello ]]> world"
        assert key_index == (None if mode == "plain" else 0 if key == KEY else 1)
        reply, _ = ch.reply_body(
            Outcome(xmlcodec.text_reply("oU", "gh", "answer")), key_index, params["nonce"]
        )
        opened = wx.open_reply(reply, key) if key else xml_fields(reply)
        assert opened["Content"] == "answer"
    assert ch.reply_body(Outcome(), 0, "1") == ("success", "text/plain")


def test_authenticate_refusals() -> None:
    ch, wx = channel(), push()
    xml = wx.text("oU", "hi")
    params, body = wx.request(xml, mode="safe", key=KEY)
    with pytest.raises(Rejected) as refused:
        ch.authenticate({**params, "signature": "0" * 40}, body)
    assert refused.value.status == 403
    strict = channel(encrypted_only=True)
    with pytest.raises(Rejected, match="plaintext"):
        strict.authenticate(*wx.request(xml))
    no_key = channel(aes_key=None, aes_key_previous=None)
    with pytest.raises(Rejected, match="AES"):
        no_key.authenticate(params, body)
    with pytest.raises(Rejected) as bad:
        ch.authenticate(*wx.request("<xml><a>1</a>", mode="plain"))
    assert bad.value.status == 400


def test_url_verification_plain_and_encrypted_echostr() -> None:
    v = VECTORS["decrypt"][2]  # Tencent's testVerifyUrl: an encrypted echostr
    ch = WeChatInput(
        WeChatConfig(token=v["token"], appid=v["appid"], aes_key=v["encoding_aes_key"])
    )
    ch.replay = ReplayGuard(clock=lambda: float(v["timestamp"]))
    args = {
        "msg_signature": v["msg_signature"],
        "timestamp": v["timestamp"],
        "nonce": v["nonce"],
        "echostr": v["encrypt"],
    }
    assert ch.verify_url(args) == v["plaintext"]
    # An Official Account's plain echostr is accepted even when a msg_signature comes along.
    signed = {
        "signature": sha1_signature(v["token"], v["timestamp"], v["nonce"]),
        "timestamp": v["timestamp"],
        "nonce": v["nonce"],
    }
    assert (
        ch.verify_url({**signed, "msg_signature": "0" * 40, "echostr": "plain-echo"})
        == "plain-echo"
    )
    with pytest.raises(Rejected):
        ch.verify_url({**args, "msg_signature": "0" * 40})
    p = VECTORS["plain_signature"][0]
    plain = WeChatInput(WeChatConfig(token=p["token"], appid=""))
    plain.replay = ReplayGuard(clock=lambda: float(p["timestamp"]))
    assert (
        plain.verify_url(
            {
                "signature": p["signature"],
                "timestamp": p["timestamp"],
                "nonce": p["nonce"],
                "echostr": "e1",
            }
        )
        == "e1"
    )
    with pytest.raises(Rejected):
        plain.verify_url(
            {
                "signature": p["signature"],
                "timestamp": p["timestamp"],
                "nonce": "1",
                "echostr": "e1",
            }
        )


def test_config_from_env_keeps_secrets_out_of_repr() -> None:
    config = WeChatConfig.from_env(
        {
            "WECHAT_TOKEN": "tok-secret",
            "WECHAT_APPID": "wx1",
            "WECHAT_SECRET": "app-secret",
            "WECHAT_AES_KEY": KEY,
        }
    )
    assert config.api_base == "https://api.weixin.qq.com" and config.aes_keys == [KEY]
    assert (
        "tok-secret" not in repr(config)
        and "app-secret" not in repr(config)
        and KEY not in repr(config)
    )
    with pytest.raises(ConfigError):
        WeChatConfig.from_env({})
    with pytest.raises(ConfigError):
        WeChatConfig.from_env({"WECHAT_TOKEN": "t", "WECHAT_AES_KEY": KEY})


class StubApi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, openid: str, content: str) -> ApiResult:
        self.sent.append((openid, content))
        return ApiResult(0, "ok", {})


def test_customer_service_delivery_respects_the_window_and_stops_on_45047() -> None:
    class Refusing(StubApi):
        async def send_text(self, openid: str, content: str) -> ApiResult:
            self.sent.append((openid, content))
            return ApiResult(45047, "out of response count limit", {})

    async def scenario() -> tuple[int, StubApi, int, Refusing, int]:
        quota = SendQuota()
        quota.grant("oU")
        quota.use("oU", 3)  # two left
        service = CustomerService(quota)
        stub = StubApi()
        delivered = await service.deliver(
            stub, "oU", ["a" * 2000, "b" * 2000, "c" * 2000, "d"], "de"
        )
        quota.grant("oV")
        refusing = Refusing()
        refused = await service.deliver(refusing, "oV", ["x", "y", "z"], None)
        return delivered, stub, refused, refusing, quota.remaining("oV")

    delivered, stub, refused, refusing, left = asyncio.run(scenario())
    assert delivered == 2 and stub.sent[-1][1].endswith("Fragen Sie noch einmal nach dem Rest.)")
    assert all(utf8_len(content) <= MAX_TEXT_BYTES for _, content in stub.sent)
    assert refused == 0 and len(refusing.sent) == 1 and left == 0  # logged once, not retried


def test_five_second_rule_passive_within_budget_else_success_then_api_once() -> None:
    """The protocol's own deadline: a turn longer than the passive budget is answered "success" within
    the budget, and its answer goes once through the customer-service API."""

    async def scenario(turn_seconds: float) -> tuple[Outcome, float, StubApi]:
        ch = channel(passive_budget=0.5)
        stub = StubApi()
        ch._api = stub  # type: ignore[assignment]

        async def on_new_message(message: Any) -> None:
            await asyncio.sleep(turn_seconds)
            await message.output_channel.send_text_message(message.sender_id, "the answer")

        fields = {
            "FromUserName": "oU",
            "ToUserName": "gh",
            "MsgType": "text",
            "Content": "q",
            "MsgId": "1",
            "CreateTime": "1",
        }
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(
                ch.dedup.outcome(
                    "msg:1",
                    "oU",
                    lambda: ch._handle(fields, "msg:1", on_new_message, None, started),
                )
                for _ in range(3)
            )
        )
        elapsed = time.monotonic() - started
        assert len(set(outcomes)) == 1
        await asyncio.sleep(turn_seconds + 0.5)
        return outcomes[0], elapsed, stub

    fast, _, stub = asyncio.run(scenario(0.0))
    assert fast.xml is not None and "the answer" in fast.xml and stub.sent == []
    slow, elapsed, stub = asyncio.run(scenario(1.5))
    assert slow.xml is None and elapsed < 1.0
    assert stub.sent == [("oU", "the answer")]


def test_delete_sender_removes_only_that_conversation(tmp_path: Path) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

    async def scenario() -> tuple[int, bool, bool]:
        store = UrlSQLTrackerStore(Domain.empty(), url=f"sqlite:///{tmp_path / 't.db'}")
        for sender in ("oGone", "oStays"):
            tracker = DialogueStateTracker(sender, [])
            tracker.update(UserUttered("hello"))
            await store.save(tracker)
        deleted = await store.delete_sender("oGone")
        return deleted, await store.exists("oGone"), await store.exists("oStays")

    deleted, gone_exists, stays_exists = asyncio.run(scenario())
    assert deleted >= 1 and not gone_exists and stays_exists


def test_runtime_credentials_mount_wechat_only_with_a_token(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    from bot.runtime import serve

    configured = set(
        YAML(typ="safe").load((serve.config.ROOT / "credentials.yml").read_text(encoding="utf-8"))
    )
    with_token = YAML(typ="safe").load(
        serve.runtime_credentials({"WECHAT_TOKEN": "t"}, tmp_path / "a.yml").read_text()
    )
    without = YAML(typ="safe").load(
        serve.runtime_credentials({"WECHAT_TOKEN": " "}, tmp_path / "b.yml").read_text()
    )
    assert set(with_token) == configured | {serve.WECHAT_CHANNEL}
    assert set(without) == configured - {serve.WECHAT_CHANNEL}
