"""Rasa's messages as WeChat text.

WeChat text has no buttons, so quick replies become numbered options (the user answers "2" or the
option's text; see `match_option`). Links become `<a href>` (WeChat renders them in text messages).
A text message may carry at most 2048 UTF-8 bytes, so a turn's messages are joined and cut into parts at
paragraph boundaries, then lines, and only for an overlong line at characters (never inside a link or a
UTF-8 sequence). Fewer parts means fewer customer-service messages, which are scarce (5 per 48 h).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.common import is_card

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


def _a(url: str, text: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{text}</a>'


def _digits(phone: dict[str, Any]) -> str:
    """A phone as the plain digits WeChat makes tappable (from the card's tel: URI), with its note."""
    tel = str(phone.get("tel") or "")
    digits = tel.removeprefix("tel:") if tel else str(phone.get("number") or "")
    return f"{digits} ({phone['note']})" if phone.get("note") else digits


def _pair(field: dict[str, Any] | None) -> list[str]:
    if not field:
        return []
    return [" ".join(x for x in (field.get("label"), field.get("value")) if x)]


def _source_lines(card: dict[str, Any]) -> list[str]:
    """The source line (with its date) with each source as a link, and the notes after it."""
    notes = [str(x) for x in card.get("source_notes") or []]
    if not notes:
        return []
    first = notes[0]
    for source in card.get("source") or []:
        text, url = str(source.get("text") or ""), source.get("url")
        if url and text and text in first:
            first = first.replace(text, _a(str(url), text), 1)
    return [first, *notes[1:]]


def card_text(card: dict[str, Any]) -> str:
    """A reply's card (bot/dialogue/cards.py, docs/cards.md) as compact WeChat text: the answer, the
    numbers and addresses one per line, ⚠ and the source; the background the widget folds away is
    left out, except for an emergency's interpreting line."""
    kind = card.get("type")
    lines: list[str] = []
    if kind in ("emergency", "contacts"):
        lines.append(str(card.get("lead") or ""))
        lines += [
            f"☎ {_digits({'tel': n.get('tel'), 'number': n.get('number')})} {n.get('name', '')}"
            for n in card.get("numbers") or []
        ]
        if kind == "emergency":
            lines += [str(x) for x in (card.get("details") or [])[:1]]
            return "\n".join(x for x in lines if x)
    elif kind == "place":
        lines.append(f"📍 {card.get('name', '')}")
        if card.get("name_zh"):
            lines.append(str(card["name_zh"]))
        for key in ("driver_address", "address", "address_zh_note"):
            lines += _pair(card.get(key))
        if card.get("phones"):
            phones = "; ".join(_digits(p) for p in card["phones"])
            lines.append(f"{card.get('phones_label', '')} {phones}".strip())
        for fact in card.get("facts") or []:
            lines += _pair(fact)
        lines += [str(card[k]) for k in ("open_now", "distance") if card.get(k)]
    elif kind == "procedure":
        lines.append(f"📋 {card.get('title', '')}")
        lines.append(str(card.get("lead") or ""))
        for fact in card.get("facts") or []:
            lines += _pair(fact)
        for section in card.get("sections") or []:
            lines.append(str(section.get("title") or ""))
            numbered = section.get("numbered")
            lines += [
                f"{i}. {x}" if numbered else f"• {x}"
                for i, x in enumerate(section.get("items") or [], 1)
            ]
        lines += [
            _a(str(x["url"]), str(x.get("text") or x["url"])) for x in card.get("links") or []
        ]
    else:
        lines.append(str(card.get("lead") or ""))
    lines += [str(x) for x in card.get("uncertain") or []]
    lines += _source_lines(card)
    return "\n".join(x for x in lines if x)


def render_messages(
    messages: Iterable[dict[str, Any]], choose_hint: str, rate_ask: str | None = None
) -> RenderedTurn:
    """One turn's messages (Rasa's CollectingOutputChannel format) as text blocks and numbered options.

    A message with a card (`custom`, bot/dialogue/cards.py) is rendered from the card (`card_text`);
    when the card carries the 👍 / 👎, `rate_ask` ("Was this answer helpful?") introduces them."""
    turn = RenderedTurn()
    for message in messages:
        lines: list[str] = []
        card = message.get("custom")
        if is_card(card):
            lines.append(card_text(card))
            if card.get("rate") and rate_ask:
                lines.append(rate_ask)
        elif message.get("text"):
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
