"""Non-blocking calls to WeChat's API with aiohttp: the access token and customer-service messages.

Nothing here logs a URL (it would carry the access_token) or the AppSecret. A call that fails with a
token error (40001/40014/42001) refreshes the token once and is retried once; every other error is
returned to the caller to log, never retried in a loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.wechat.tokens import AccessTokenCache, shared_cache

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Customer-service errors that mean "this user cannot receive more now": log and stop.
WINDOW_CLOSED = 45015  # outside the 48 h window, or the user unfollowed
QUOTA_EXCEEDED = 45047  # more messages than the window allows
ERRORS = {
    -1: "system busy",
    40001: "invalid credential or stale access_token",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40125: "invalid AppSecret",
    40164: "server IP not in the account's IP whitelist",
    42001: "access_token expired",
    44004: "empty message",
    45002: "content too long",
    45009: "API call frequency limit",
    45015: "reply time exceeded (outside the 48-hour window or user unfollowed)",
    45047: "customer-service message quota exceeded",
    48001: "API not authorised for this account",
}
TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


@dataclass(frozen=True)
class ApiResult:
    errcode: int
    errmsg: str
    data: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.errcode == 0

    def describe(self) -> str:
        return f"{self.errcode} ({ERRORS.get(self.errcode, self.errmsg[:80])})"


class ApiError(RuntimeError):
    """The token could not be obtained (the message says why, never with secrets)."""


class WeChatApi:
    def __init__(
        self, api_base: str, appid: str, secret: str, tokens: AccessTokenCache | None = None
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.tokens = tokens or shared_cache(self.api_base, appid, self.fetch_token)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch_token(self) -> tuple[str, int]:
        """POST /cgi-bin/stable_token (client_credential). Raises ApiError without revealing the secret.

        The stable endpoint, not the classic GET /cgi-bin/token: it returns the same token to every caller
        while that token is valid (and renews it five minutes early), so several Rasa servers, or one
        restarted, never invalidate each other's token. No force_refresh: a rejected token is fetched again
        normally, which gives the current one.
        """
        payload = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": False,
        }
        try:
            async with self._client().post(
                f"{self.api_base}/cgi-bin/stable_token", json=payload
            ) as resp:
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise ApiError(f"access_token request failed: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            code = data.get("errcode") if isinstance(data, dict) else None
            raise ApiError(
                f"access_token refused: errcode {code} ({ERRORS.get(code or 0, 'see WeChat docs')})"
            )
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    async def _post(self, path: str, token: str, payload: dict[str, Any]) -> ApiResult:
        # ensure_ascii=False: WeChat shows \uXXXX escapes literally instead of decoding them.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            async with self._client().post(
                f"{self.api_base}{path}",
                params={"access_token": token},
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            ) as resp:
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            return ApiResult(-2, f"request failed: {type(exc).__name__}", {})
        if not isinstance(data, dict):
            return ApiResult(-2, "unexpected response", {})
        return ApiResult(int(data.get("errcode") or 0), str(data.get("errmsg") or ""), data)

    async def call(self, path: str, payload: dict[str, Any]) -> ApiResult:
        """POST `payload` to `path` with the shared token; one refresh and retry on a token error."""
        try:
            token = await self.tokens.get()
            result = await self._post(path, token, payload)
            if result.errcode in TOKEN_ERRORS:
                logger.info("WeChat access_token rejected (%s); refreshing once", result.errcode)
                self.tokens.invalidate(token)
                result = await self._post(path, await self.tokens.get(), payload)
        except ApiError as exc:
            return ApiResult(-3, str(exc), {})
        return result

    async def send_text(self, openid: str, content: str) -> ApiResult:
        """A customer-service text message."""
        return await self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
        )
