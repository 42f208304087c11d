"""Serves the website chat widget and a demo page from the Rasa server itself, under /webchat/.

    GET /webchat/                         demo page embedding the widget (?lang=xx: page language), strict CSP
    GET /webchat/widget.js                the widget (the one file a page embeds with a <script> tag)
    GET /webchat/widget.css               its styles (loaded by widget.js into the widget's shadow root)
    GET /webchat/vendor/socket.io.min.js  the vendored Socket.IO client (loaded by widget.js)
    GET /webchat/i18n.json                the language registry, for the widget (bot/core/languages.py)
    GET /webchat/privacy                  what the chat stores and for how long (?lang=xx), linked from the widget

The widget talks to the `socketio` channel (bot/channels/socketio.py), which only accepts configured origins.
This channel handles no messages itself. Files come from bot/webchat/static/ (see bot/webchat/vendor.sh for the
vendored ones); they are read on each request so edits show without a restart, with an ETag for caching.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.conversations import purge
from bot.core import languages
from bot.dialogue import i18n

STATIC_DIR = Path(__file__).resolve().parent.parent / "webchat" / "static"

# The only files served, with their content types (no path from the request ever reaches the file system).
ASSETS: dict[str, str] = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "vendor/socket.io.min.js": "text/javascript; charset=utf-8",
}

# A Host header as browsers send it (name or [IPv6], optional port): anything else is not echoed into the page.
HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")

LANGUAGES = languages.CODES
RTL = languages.RTL

DEMO_KEYS = ("demo_title", "demo_intro", "demo_example", "language_menu")
# Texts of the privacy page only (not needed by the widget itself).
PAGE_KEYS = ("privacy_title", "privacy_text")

# The topics the empty chat offers as chips (intent payloads, titled with the intents' names).
TOPIC_CHIPS = (
    "residence_permit",
    "visa",
    "work_permit",
    "find_service_point",
    "international_school",
    "healthcare",
    "emergency",
)
HANDOFF_INTENT = "human_handoff"


def widget_strings(lang: str) -> dict[str, str]:
    """The `widget` section of bot/locales/<lang>.yml, with the retention period filled in."""
    days = purge.retention_days()
    return {k: str(v).replace("{days}", str(days)) for k, v in i18n.section("widget", lang).items()}


def chat_payload(lang: str) -> dict[str, Any]:
    """What the widget sends for the user: topic chips and "talk to a person" (intent payloads titled
    with the intents' names), and the rating question that introduces 👍 / 👎."""

    def chip(intent: str) -> dict[str, str]:
        return {"title": i18n.name("intents", intent, lang), "payload": f"/{intent}"}

    return {
        "topics": [chip(intent) for intent in TOPIC_CHIPS],
        "person": chip(HANDOFF_INTENT),
        "rate_ask": i18n.t("rate_ask", lang),
    }


def i18n_payload() -> dict[str, Any]:
    """What the widget reads from /webchat/i18n.json: the language registry, its interface texts in every
    language (section `widget` of bot/locales/<lang>.yml) and the chips and labels it sends or shows for
    the assistant (`chat_payload`). Replies are rendered from their cards (bot/dialogue/cards.py)."""
    return {
        "languages": languages.as_json(),
        "strings": {
            code: {
                k: v
                for k, v in widget_strings(code).items()
                if k not in DEMO_KEYS and k not in PAGE_KEYS
            }
            for code in languages.CODES
        },
        "chat": {code: chat_payload(code) for code in languages.CODES},
    }


def privacy_page(lang: str) -> str:
    """What the chat stores and for how long, in `lang` (the widget's privacy note links here)."""
    texts = widget_strings(lang)
    e = html.escape
    return f"""<!doctype html>
<html lang="{lang}" dir="{"rtl" if lang in RTL else "ltr"}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(texts["privacy_title"])}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="demo.css">
</head>
<body>
  <main>
    <h1>{e(texts["privacy_title"])}</h1>
    <p>{e(texts["privacy_text"])}</p>
  </main>
</body>
</html>
"""


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def content_security_policy(host: str) -> str:
    """The demo page's CSP: scripts, styles and the socket only from this server; no inline code, no sinks.

    `require-trusted-types-for 'script'` makes Chromium refuse any HTML-string sink (innerHTML & co.), so the
    widget's promise of building DOM nodes only is enforced by the browser on this page; the only policy allowed
    is the widget's own, which accepts nothing but the URL of the vendored Socket.IO client.
    """
    ws = f"ws://{host} wss://{host}" if host else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' https: data:",
            f"connect-src 'self' {ws}".strip(),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "require-trusted-types-for 'script'",
            # The widget loads its Socket.IO client through this one policy (exact URL only).
            "trusted-types bj-assistant-widget",
        ]
    )


def demo_page(lang: str, server: str) -> str:
    """The demo page in `lang`; every interpolated value is escaped."""
    texts = i18n.section("widget", lang)
    title, intro, example = texts["demo_title"], texts["demo_intro"], texts["demo_example"]
    e = html.escape
    current = ' aria-current="page"'
    links = "\n".join(
        f'      <li><a href="?lang={code}" lang="{code}" hreflang="{code}"'
        f"{current if code == lang else ''}>{e(languages.BY_CODE[code].native)}</a></li>"
        for code in LANGUAGES
    )
    return f"""<!doctype html>
<html lang="{lang}" dir="{"rtl" if lang in RTL else "ltr"}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="demo.css">
</head>
<body>
  <header class="site-header">
    <p class="site-name">{e(title)}</p>
    <nav aria-label="{e(texts["language_menu"])}">
      <ul class="languages">
{links}
      </ul>
    </nav>
  </header>
  <main>
    <h1>{e(title)}</h1>
    <p>{e(intro)}</p>
    <p class="example">{e(example)}</p>
  </main>
  <script src="widget.js" data-server="{e(server)}" defer></script>
</body>
</html>
"""


DEMO_CSS = """\
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
       color: #1f2933; background: #f5f7fa; }
.site-header { background: #0b4f6c; color: #fff; padding: 0.75rem 1.5rem; display: flex; flex-wrap: wrap;
               gap: 0.5rem 1.5rem; align-items: center; justify-content: space-between; }
.site-name { margin: 0; font-weight: 600; }
.languages { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; }
.languages a { color: #fff; }
.languages a[aria-current="page"] { font-weight: 700; text-decoration: none; }
.languages a:focus-visible { outline: 3px solid #ffd166; outline-offset: 2px; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.75rem; line-height: 1.25; color: #0b4f6c; }
.example { background: #fff; border-inline-start: 4px solid #0b4f6c; padding: 0.75rem 1rem; }
"""


class WebchatWidgetInput(InputChannel):
    """Serves the chat widget's files and a demo page at /webchat/ (handles no messages itself)."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def url_prefix(self) -> str:
        # Absolute: Rasa joins it onto "/webhooks/", and an absolute path replaces that prefix.
        return "/webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebchatWidgetInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("webchat_widget", __name__)

        def static(name: str, request: Request) -> HTTPResponse:
            path: Path = STATIC_DIR / name
            try:
                data = path.read_bytes()
            except OSError:
                return response.text("not found", status=404)
            return cached(
                request, data, ASSETS[name], {"Cross-Origin-Resource-Policy": "cross-origin"}
            )

        def cached(
            request: Request, data: bytes, content_type: str, extra: dict[str, str] | None = None
        ) -> HTTPResponse:
            tag = etag_of(data)
            headers = {
                "ETag": tag,
                "Cache-Control": "no-cache",  # revalidate every time: embedders always get the current widget
                "X-Content-Type-Options": "nosniff",
                **(extra or {}),
            }
            if request.headers.get("if-none-match") == tag:
                return HTTPResponse(status=304, headers=headers)
            return HTTPResponse(body=data, status=200, headers=headers, content_type=content_type)

        @bp.route("/widget.js", methods=["GET"])
        async def widget_js(request: Request) -> HTTPResponse:
            return static("widget.js", request)

        @bp.route("/widget.css", methods=["GET"])
        async def widget_css(request: Request) -> HTTPResponse:
            return static("widget.css", request)

        @bp.route("/vendor/socket.io.min.js", methods=["GET"])
        async def socketio_client(request: Request) -> HTTPResponse:
            return static("vendor/socket.io.min.js", request)

        @bp.route("/i18n.json", methods=["GET"])
        async def i18n_json(request: Request) -> HTTPResponse:
            # Public data the widget reads wherever it is embedded: any origin may fetch it (no credentials).
            return cached(
                request,
                json.dumps(i18n_payload(), ensure_ascii=False, sort_keys=True).encode(),
                "application/json; charset=utf-8",
                {
                    "Access-Control-Allow-Origin": "*",
                    "Cross-Origin-Resource-Policy": "cross-origin",
                },
            )

        @bp.route("/demo.css", methods=["GET"])
        async def demo_css(request: Request) -> HTTPResponse:
            return cached(request, DEMO_CSS.encode(), "text/css; charset=utf-8")

        @bp.route("/privacy", methods=["GET"])
        async def privacy(request: Request) -> HTTPResponse:
            lang = request.args.get("lang", "en")
            return response.html(
                privacy_page(lang if lang in LANGUAGES else "en"),
                headers={
                    "Content-Security-Policy": content_security_policy(""),
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer",
                },
            )

        @bp.route("/", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            lang = request.args.get("lang", "en")
            lang = lang if lang in LANGUAGES else "en"
            host = request.headers.get("host", "")
            host = host if HOST.match(host) else ""
            server = f"{request.scheme}://{host}" if host else ""
            page = demo_page(lang, server)
            return response.html(
                page,
                headers={
                    "Content-Security-Policy": content_security_policy(host),
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store",
                },
            )

        return bp
