"""What each WeChat message or event means for the assistant.

`interpret` is pure: it turns the fields of an inbound XML document into one decision, which the channel
then carries out (ask the assistant, say a channel text, remember something, purge the user, or nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.channels.rest import clean_text
from bot.channels.wechat import quota
from bot.core import languages

# Custom-menu CLICK keys: an intent name, optionally prefixed with MENU_ (e.g. MENU_RESIDENCE_PERMIT).
MENU_INTENTS = frozenset(
    {
        "help",
        "residence_permit",
        "visa",
        "accommodation_registration",
        "lost_passport",
        "work_permit",
        "talent_services",
        "permanent_residence",
        "international_school",
        "healthcare",
        "emergency",
        "find_service_point",
        "opening_hours",
        "human_handoff",
    }
)
LANGUAGES = frozenset(languages.CODES)
UNSUPPORTED_TYPES = frozenset(
    {"image", "video", "shortvideo", "link", "file", "miniprogrampage", "music"}
)


@dataclass(frozen=True)
class Ask:
    """Send `text` to the assistant as the user's message."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    window: tuple[int, float] = quota.MESSAGE_WINDOW
    # Typed text may pick a numbered option; payloads made by the channel may not.
    typed: bool = False


@dataclass(frozen=True)
class Say:
    """Answer with one of the channel's own texts (see texts.py)."""

    key: str


@dataclass(frozen=True)
class Remember:
    """A location report or a language hint to keep for the user's next messages; no reply."""

    location: tuple[float, float] | None = None
    language: str | None = None


@dataclass(frozen=True)
class Purge:
    """The user unfollowed: delete everything stored about them."""


@dataclass(frozen=True)
class Nothing:
    """No reply (WeChat gets "success")."""


Decision = Ask | Say | Remember | Purge | Nothing


def dedup_key(fields: dict[str, str]) -> str:
    """WeChat's retry identity: MsgId for messages, sender + CreateTime for events.

    The event type is part of the event key because WeChat can push two different events for one user
    in the same second (e.g. subscribe and LOCATION); their retries repeat the same type.
    """
    if fields.get("MsgId"):
        return "msg:" + fields["MsgId"]
    return f"event:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"


def _coordinates(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    try:
        la, lo = float(lat or ""), float(lon or "")
    except ValueError:
        return None
    if math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180:
        return la, lo
    return None


def _scene_language(event_key: str) -> str | None:
    """A QR code whose scene is `lang_fr` (subscribe: `qrscene_lang_fr`) tells the user's language."""
    scene = event_key.removeprefix("qrscene_").lower()
    lang = scene.removeprefix("lang_") if scene.startswith("lang_") else None
    return lang if lang in LANGUAGES else None


def _event(fields: dict[str, str]) -> Decision:
    event = fields.get("Event", "")
    kind = event.lower()
    key = fields.get("EventKey", "")
    if kind == "subscribe":
        lang = _scene_language(key)
        return Ask("/help", {"language": lang} if lang else {}, quota.EVENT_WINDOW)
    if kind == "unsubscribe":
        return Purge()
    if kind == "scan":
        lang = _scene_language(key)
        return Remember(language=lang) if lang else Nothing()
    if kind == "click":
        intent = key.strip().lower().removeprefix("menu_")
        return Ask(f"/{intent}", {}, quota.EVENT_WINDOW) if intent in MENU_INTENTS else Nothing()
    if kind == "location":
        where = _coordinates(fields.get("Latitude"), fields.get("Longitude"))
        return Remember(location=where) if where else Nothing()
    return Nothing()


def interpret(fields: dict[str, str]) -> Decision:
    msg_type = fields.get("MsgType", "").lower()
    if msg_type == "event":
        return _event(fields)
    if msg_type == "text":
        text = clean_text(fields.get("Content", ""))
        return Ask(text, typed=True) if text else Nothing()
    if msg_type == "voice":
        text = clean_text(fields.get("Recognition", ""))
        return Ask(text, typed=True) if text else Say("voice_unrecognized")
    if msg_type == "location":
        where = _coordinates(fields.get("Location_X"), fields.get("Location_Y"))
        if where is None:
            return Say("unsupported")
        return Ask("/find_service_point", {"location": {"lat": where[0], "lon": where[1]}})
    if msg_type in UNSUPPORTED_TYPES:
        return Say("unsupported")
    return Nothing()
