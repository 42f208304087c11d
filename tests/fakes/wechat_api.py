"""A local fake of WeChat's servers, for tests: the API side and the push side.

`FakeWeChatApi` is an aiohttp server on a free loopback port that speaks the real protocol of the parts
the channel uses (JSON shapes, errcode/errmsg, query-string access_token):

- GET  /cgi-bin/token?grant_type=client_credential&appid=..&secret=..  -> {"access_token", "expires_in"}
  Like the real /cgi-bin/token, a new fetch invalidates the previous token (old one -> 40001); tokens
  expire (42001); queued errors can be injected (`token_errors`).
- POST /cgi-bin/stable_token {"grant_type": "client_credential", "appid", "secret", "force_refresh"}
  -> {"access_token", "expires_in"}. Like the real stable_token endpoint: while the current token has
  more than 5 minutes left every caller gets that same token (so several processes never invalidate each
  other); in its last 5 minutes a new one is issued and the old stays valid until its own expiry;
  force_refresh issues a new one at once (at most 20 a day, 30 s apart: 45009 / 45011 otherwise). Isolated
  from /cgi-bin/token: neither invalidates the other's tokens.
- POST /cgi-bin/message/custom/send?access_token=..  {"touser","msgtype":"text","text":{"content"}}
  Enforces the customer-service window: 5 messages within 48 h after a user message (3 within a minute
  after a click/follow) -> 45047 beyond, 45015 outside; 45002 over 2048 bytes; 44004 empty; 40003 unknown
  user; records every delivered message (and every attempt).

`WeChatPush` plays WeChat calling the account's server: it signs requests, encrypts them in compatible
or safe mode and decrypts encrypted replies. Its crypto is written independently of the channel's (on
`cryptography` directly), so the end-to-end tests check interoperability, not the code against itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import struct
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import requests
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from servers import free_port

MESSAGE_WINDOW = (5, 48 * 3600)
EVENT_WINDOW = (3, 60)


@dataclass
class Sent:
    touser: str
    msgtype: str
    content: str
    raw: bytes
    at: float


@dataclass
class _Window:
    left: int
    until: float


@dataclass
class FakeWeChatApi:
    appid: str
    secret: str
    expires_in: int = 7200
    token_errors: list[int] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (touser, errcode) of every send
    token_fetches: int = 0
    port: int = 0
    _tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time)
    _current: str | None = None
    _stable: dict[str, float] = field(default_factory=dict)  # stable_token tokens -> expiry
    _stable_current: str | None = None
    _forced: list[float] = field(default_factory=list)  # times of force_refresh fetches
    stable_fetches: int = 0
    _windows: dict[str, list[_Window]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -------------------------------------------------------------------------------- control

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def interaction(self, openid: str, kind: str = "message") -> None:
        """WeChat's record that the user wrote (or clicked/followed), which opens a window."""
        limit, seconds = MESSAGE_WINDOW if kind == "message" else EVENT_WINDOW
        with self._lock:
            self._windows.setdefault(openid, []).append(_Window(limit, time.time() + seconds))

    def unfollow(self, openid: str) -> None:
        with self._lock:
            self._windows.pop(openid, None)

    def consume(self, openid: str, n: int) -> None:
        """Use up `n` messages of the user's open windows (as if sent by another process)."""
        with self._lock:
            for window in self._windows.get(openid, []):
                window.left = max(0, window.left - n)

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0
            for token in self._stable:
                self._stable[token] = 0.0

    def messages_to(self, openid: str) -> list[Sent]:
        with self._lock:
            return [m for m in self.sent if m.touser == openid]

    def wait_for_messages(self, openid: str, count: int = 1, timeout: float = 60.0) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(openid)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        return self.messages_to(openid)

    # ------------------------------------------------------------------------------- handlers

    @staticmethod
    def _error(code: int, msg: str) -> web.Response:
        return web.json_response({"errcode": code, "errmsg": f"{msg} rid: {secrets.token_hex(4)}"})

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        if q.get("appid") != self.appid:
            return self._error(40013, "invalid appid")
        if q.get("secret") != self.secret:
            return self._error(40125, "invalid appsecret")
        with self._lock:
            if self.token_errors:
                code = self.token_errors.pop(0)
                return self._error(code, "injected error")
            self.token_fetches += 1
            # A new token invalidates the previous one (classic /cgi-bin/token behaviour).
            self._tokens.clear()
            token = base64.urlsafe_b64encode(os.urandom(96)).decode().rstrip("=")
            self._tokens[token] = time.time() + self.expires_in
            self._current = token
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def stable_token(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return self._error(47001, "data format error")
        if not isinstance(body, dict) or body.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        if body.get("appid") != self.appid:
            return self._error(40013, "invalid appid")
        if body.get("secret") != self.secret:
            return self._error(40125, "invalid appsecret")
        force = bool(body.get("force_refresh"))
        now = time.time()
        with self._lock:
            if self.token_errors:
                code = self.token_errors.pop(0)
                return self._error(code, "injected error")
            if force:
                recent = [t for t in self._forced if now - t < 86400]
                if len(recent) >= 20:
                    return self._error(45009, "reach max api daily quota limit")
                if recent and now - recent[-1] < 30:
                    return self._error(45011, "api minute-quota reach limit")
                self._forced = [*recent, now]
            current = self._stable_current
            expiry = self._stable.get(current, 0.0) if current else 0.0
            if force or current is None or expiry - now <= 300:
                self.token_fetches += 1
                self.stable_fetches += 1
                current = base64.urlsafe_b64encode(os.urandom(96)).decode().rstrip("=")
                self._stable[current] = now + self.expires_in
                self._stable_current = current
                if force:  # a forced refresh ends the previous token at once
                    for token in self._stable:
                        if token != current:
                            self._stable[token] = 0.0
            expires_in = int(self._stable[current] - now)
        return web.json_response({"access_token": current, "expires_in": expires_in})

    def _check_token(self, token: str | None) -> tuple[int, str] | None:
        if not token:
            return 41001, "access_token missing"
        expiry = self._tokens.get(token, self._stable.get(token))
        if expiry is None:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if time.time() >= expiry:
            return 42001, "access_token expired"
        return None

    async def custom_send(self, request: web.Request) -> web.Response:
        raw = await request.read()
        with self._lock:
            problem = self._check_token(request.query.get("access_token"))
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
            touser = body.get("touser", "") if isinstance(body, dict) else ""
            code, msg = self._send(problem, body, raw)
            self.attempts.append((touser, code))
        if code:
            return self._error(code, msg)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _send(self, problem: tuple[int, str] | None, body: Any, raw: bytes) -> tuple[int, str]:
        if problem:
            return problem
        if not isinstance(body, dict):
            return 47001, "data format error"
        touser, msgtype = body.get("touser"), body.get("msgtype")
        if not touser or touser not in self._windows:
            return 40003, "invalid openid"
        if msgtype != "text":
            return 40008, "invalid message type"
        content = (body.get("text") or {}).get("content")
        if not content:
            return 44004, "empty content"
        if len(content.encode("utf-8")) > 2048:
            return 45002, "content size out of limit"
        now = time.time()
        windows = [w for w in self._windows[touser] if w.until > now]
        if not windows:
            return 45015, "response out of time limit or subscription is canceled"
        if max(w.left for w in windows) <= 0:
            return 45047, "out of response count limit"
        for w in windows:
            w.left = max(0, w.left - 1)
        self.sent.append(Sent(touser, msgtype, content, raw, now))
        return 0, "ok"

    # -------------------------------------------------------------------------------- serving

    def start(self) -> FakeWeChatApi:
        self.port = self.port or free_port()
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            app = web.Application()
            app.router.add_get("/cgi-bin/token", self.token)
            app.router.add_post("/cgi-bin/stable_token", self.stable_token)
            app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-wechat-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake WeChat API did not start")
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# ------------------------------------------------------------------------------------ push side


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class Envelope:
    """WeChat's message crypto, written from the protocol description (independent of the channel)."""

    def __init__(self, encoding_aes_key: str, appid: str) -> None:
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.appid = appid.encode()

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, text: str, random: bytes | None = None, pad_byte: int | None = None) -> str:
        """Encrypt as WeChat does; `pad_byte` forces a wrong padding value (for negative tests)."""
        body = text.encode()
        plain = (random or os.urandom(16)) + struct.pack("!I", len(body)) + body + self.appid
        n = 32 - len(plain) % 32
        plain += bytes([n if pad_byte is None else pad_byte]) * n
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        dec = self._cipher().decryptor()
        plain = dec.update(base64.b64decode(encrypted)) + dec.finalize()
        n = plain[-1]
        assert 1 <= n <= 32 and plain[-n:] == bytes([n]) * n, "bad padding in reply"
        content = plain[16:-n]
        length = struct.unpack("!I", content[:4])[0]
        assert content[4 + length :] == self.appid, "reply for another appid"
        return content[4 : 4 + length].decode()


def xml_fields(text: str | bytes) -> dict[str, str]:
    root = ET.fromstring(text)
    return {child.tag: child.text or "" for child in root}


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class WeChatPush:
    """WeChat's side of the callback: builds signed (and encrypted) requests to the account's server."""

    url: str
    token: str
    appid: str
    account: str = "gh_0123456789ab"
    api: FakeWeChatApi | None = None

    def message(
        self,
        openid: str,
        msg_type: str,
        create_time: int | None = None,
        msg_id: int | None = None,
        **extra: str,
    ) -> str:
        parts = [
            f"<ToUserName>{cdata(self.account)}</ToUserName>",
            f"<FromUserName>{cdata(openid)}</FromUserName>",
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
            f"<MsgType>{cdata(msg_type)}</MsgType>",
        ]
        for key, value in extra.items():
            parts.append(
                f"<{key}>{value if key.startswith(('Location_', 'Scale', 'Latitude', 'Longitude', 'Precision')) else cdata(value)}</{key}>"
            )
        if msg_type != "event":
            parts.append(f"<MsgId>{msg_id or secrets.randbits(62)}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, openid: str, content: str, **kw: Any) -> str:
        return self.message(openid, "text", Content=content, **kw)

    def event(self, openid: str, event: str, **extra: str) -> str:
        return self.message(openid, "event", Event=event, **extra)

    def request(
        self,
        xml: str,
        mode: str = "plain",
        key: str | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
        encrypt: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Query parameters and body as WeChat sends them in plain, compat(ible) or safe mode."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {"signature": sha1_sorted(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if mode == "plain":
            return params, xml.encode()
        params["openid"] = xml_fields(xml).get("FromUserName", "")
        encrypted = encrypt or Envelope(key or "", self.appid).encrypt(xml)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = sha1_sorted(self.token, ts, nonce, encrypted)
        if mode == "safe":
            body = f"<xml><ToUserName>{cdata(self.account)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
        else:  # compatible: the plaintext fields and the Encrypt field side by side
            body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>")
        return params, body.encode()

    def post(self, params: dict[str, str], body: bytes, timeout: float = 5.0) -> requests.Response:
        """POST with WeChat's own deadline: no answer within 5 s is a failure (requests raises)."""
        return requests.post(
            self.url,
            params=params,
            data=body,
            headers={"Content-Type": "text/xml"},
            timeout=timeout,
        )

    def send(
        self,
        xml: str,
        mode: str = "plain",
        key: str | None = None,
        kind: str = "message",
        timeout: float = 5.0,
        **kw: Any,
    ) -> requests.Response:
        fields = xml_fields(xml)
        if self.api is not None:
            if fields.get("Event") == "unsubscribe":
                self.api.unfollow(fields["FromUserName"])
            elif kind:
                self.api.interaction(
                    fields["FromUserName"],
                    "message" if fields.get("MsgType") != "event" else "event",
                )
        params, body = self.request(xml, mode, key, **kw)
        return self.post(params, body, timeout)

    def open_reply(self, body: str, key: str) -> dict[str, str]:
        """Check an encrypted reply's MsgSignature and decrypt it; returns the reply's fields."""
        envelope = xml_fields(body)
        expected = sha1_sorted(
            self.token, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]
        )
        assert envelope["MsgSignature"] == expected, "reply MsgSignature does not verify"
        return xml_fields(Envelope(key, self.appid).decrypt(envelope["Encrypt"]))
