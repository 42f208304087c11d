"""The few texts the WeChat channel says by itself (everything else comes from the assistant). They
are in the locale catalogue, section `wechat` of bot/locales/<lang>.yml; English when the user's
language is not known."""

from __future__ import annotations

from bot.dialogue import i18n


def text(key: str, lang: str | None) -> str:
    return i18n.entry("wechat", key, lang)
