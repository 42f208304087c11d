"""Rasa's messages as WeChat text.

WeChat text has no buttons, so quick replies become numbered options (the user answers "2" or the
option's text; see `match_option`). Links become `<a href>` (WeChat renders them in text messages).
A text message may carry at most 2048 UTF-8 bytes, so a turn's messages are joined and cut into parts at
paragraph boundaries, then lines, and only for an overlong line at characters (never inside a link or a
UTF-8 sequence). Fewer parts means fewer customer-service messages, which are scarce (5 per 48 h).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_BYTES = 2048
_URL = re.compile(r"(?<![\w\"'=/])https?://[^\s<>\"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+")
_TRAILING = ".,;:!?)]}"
_LINK = re.compile(r"<a href=\"[^\"]*\">.*?</a>", re.DOTALL)


@dataclass(frozen=True)
class Option:
    """A quick reply: what the user sees and what Rasa receives when they choose it."""

    title: str
    payload: str


@dataclass
class RenderedTurn:
    blocks: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)

    def parts(self, limit: int = MAX_TEXT_BYTES) -> list[str]:
        return pack(self.blocks, limit)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _link(url: str) -> str:
    return f'<a href="{url}">{url}</a>'


def linkify(text: str) -> str:
    """http(s) URLs as `<a href>` links (trailing punctuation stays outside the link)."""

    def repl(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            tail = url[-1] + tail
            url = url[:-1]
        return _link(url) + tail

    return _URL.sub(repl, text)


def render_messages(messages: Iterable[dict[str, Any]], choose_hint: str) -> RenderedTurn:
    """One turn's messages (Rasa's CollectingOutputChannel format) as text blocks and numbered options."""
    turn = RenderedTurn()
    for message in messages:
        lines: list[str] = []
        if message.get("text"):
            lines.append(linkify(str(message["text"])))
        if isinstance(message.get("image"), str):
            lines.append(_link(message["image"]))
        attachment = message.get("attachment")
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            lines.append(_link(attachment))
        for button in message.get("buttons") or message.get("quick_replies") or []:
            title = str(button.get("title") or "").strip()
            url = button.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                lines.append(f'• <a href="{url}">{title or url}</a>')
                continue
            payload = str(button.get("payload") or title)
            if not title:
                continue
            turn.options.append(Option(title, payload))
            lines.append(f"{len(turn.options)}. {title}")
        if lines:
            turn.blocks.append("\n".join(lines))
    if turn.options:
        turn.blocks[-1] += "\n" + choose_hint
    return turn


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().rstrip(".。、)）").strip().casefold()


def match_option(text: str, options: list[Option]) -> Option | None:
    """The option a reply picks: its number ("2", "２", "②", "2.") or its title, case-insensitively."""
    if not options:
        return None
    answer = _normal(text)
    if answer.isascii() and answer.isdigit():
        index = int(answer)
        return options[index - 1] if 1 <= index <= len(options) else None
    return next((o for o in options if _normal(o.title) == answer), None)


def _hard_split(line: str, limit: int) -> list[str]:
    """Cut an overlong line at character boundaries, preferring a space, never inside a link."""
    pieces: list[str] = []
    while utf8_len(line) > limit:
        cut, size = 0, 0
        for ch in line:
            size += utf8_len(ch)
            if size > limit:
                break
            cut += 1
        space = line.rfind(" ", max(1, cut - 200), cut)
        if space > 0:
            cut = space
        for link in _LINK.finditer(line):
            if link.start() < cut < link.end() and link.start() > 0:
                cut = link.start()
                break
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    if line:
        pieces.append(line)
    return pieces


def _pieces(text: str, limit: int) -> list[tuple[str, str]]:
    """(separator before it, piece) — paragraphs, or lines/fragments of paragraphs too long for one part."""
    out: list[tuple[str, str]] = []
    for paragraph in text.split("\n\n"):
        if not paragraph.strip():
            continue
        if utf8_len(paragraph) <= limit:
            out.append(("\n\n", paragraph))
            continue
        sep = "\n\n"
        for line in paragraph.split("\n"):
            for piece in _hard_split(line, limit) if utf8_len(line) > limit else [line]:
                out.append((sep, piece))
                sep = "\n"
    return out


def _is_heading(piece: str) -> bool:
    return piece.rstrip().endswith((":", "：")) and utf8_len(piece) < 200


def pack(texts: Iterable[str], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Join texts into as few parts as possible, each at most `limit` UTF-8 bytes.

    A short heading ending in a colon ("Where to go:") starts a new part with what it introduces
    rather than being left alone at the end of the previous part.
    """
    pieces = [p for text in texts for p in _pieces(text, limit)]
    parts: list[str] = []
    current = ""
    for i, (sep, piece) in enumerate(pieces):
        fits = bool(current) and utf8_len(current) + utf8_len(sep) + utf8_len(piece) <= limit
        if fits and _is_heading(piece) and i + 1 < len(pieces):
            nxt_sep, nxt = pieces[i + 1]
            together = (
                utf8_len(current)
                + utf8_len(sep)
                + utf8_len(piece)
                + utf8_len(nxt_sep)
                + utf8_len(nxt)
            )
            fits = together <= limit or utf8_len(piece) + utf8_len(nxt_sep) + utf8_len(nxt) > limit
        if fits:
            current += sep + piece
        else:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def truncate_bytes(text: str, limit: int) -> str:
    out, size = [], 0
    for ch in text:
        size += utf8_len(ch)
        if size > limit:
            break
        out.append(ch)
    return "".join(out)


def fit(parts: list[str], count: int, note: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """At most `count` parts; when some must go, the last kept part says the answer was shortened."""
    if count <= 0:
        return []
    if len(parts) <= count:
        return parts
    kept = parts[:count]
    room = limit - utf8_len(note) - 2
    kept[-1] = truncate_bytes(kept[-1], room).rstrip() + "\n\n" + note
    return kept
