"""Settings of the WeChat channel, read from environment variables (secrets never from files or logs)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_BASE = "https://api.weixin.qq.com"
# WeChat drops the request after 5 s; the reply must leave well before that.
DEFAULT_PASSIVE_BUDGET = 4.0
MAX_PASSIVE_BUDGET = 4.5


class ConfigError(ValueError):
    """The WECHAT_* settings are incomplete or malformed."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WeChatConfig:
    """Everything the channel needs. Secrets are excluded from repr() so they never reach a log line."""

    token: str = field(repr=False)
    appid: str
    secret: str = field(default="", repr=False)
    aes_key: str | None = field(default=None, repr=False)
    aes_key_previous: str | None = field(default=None, repr=False)
    api_base: str = DEFAULT_API_BASE
    human_handoff: bool = False
    encrypted_only: bool = False
    passive_budget: float = DEFAULT_PASSIVE_BUDGET

    @property
    def aes_keys(self) -> list[str]:
        """The current EncodingAESKey first, then the previous one (key rotation)."""
        return [k for k in (self.aes_key, self.aes_key_previous) if k]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WeChatConfig:
        env = os.environ if env is None else env
        token = (env.get("WECHAT_TOKEN") or "").strip()
        if not token:
            raise ConfigError("WECHAT_TOKEN is not set")
        appid = (env.get("WECHAT_APPID") or "").strip()
        aes_key = (env.get("WECHAT_AES_KEY") or "").strip() or None
        if aes_key and not appid:
            raise ConfigError(
                "WECHAT_APPID is required with WECHAT_AES_KEY (decrypted messages carry the appid)"
            )
        try:
            budget = float(env.get("WECHAT_PASSIVE_BUDGET") or DEFAULT_PASSIVE_BUDGET)
        except ValueError as exc:
            raise ConfigError("WECHAT_PASSIVE_BUDGET must be a number of seconds") from exc
        return cls(
            token=token,
            appid=appid,
            secret=(env.get("WECHAT_SECRET") or "").strip(),
            aes_key=aes_key,
            aes_key_previous=(env.get("WECHAT_AES_KEY_PREVIOUS") or "").strip() or None,
            api_base=(env.get("WECHAT_API_BASE") or DEFAULT_API_BASE).strip().rstrip("/"),
            human_handoff=_flag(env.get("WECHAT_HUMAN_HANDOFF")),
            encrypted_only=_flag(env.get("WECHAT_ENCRYPTED_ONLY")),
            passive_budget=min(max(budget, 0.5), MAX_PASSIVE_BUDGET),
        )
