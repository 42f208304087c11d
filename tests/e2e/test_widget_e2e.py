"""The website chat widget in a real browser (Debian's Chromium, headless, driven by Playwright) against the
real servers: demo page, knowledge-base answers, quick replies, reload persistence, Arabic RTL, inert
rendering of hostile text, the Socket.IO origin allowlist, a Rasa restart mid-conversation, axe-core.

Needs the trained model (`make test` trains it), `/usr/bin/chromium` (apt package `chromium`) and the
`playwright` Python package (its own driver; no `playwright install`: the system Chromium is used).
Screenshots and axe results go to test-output/.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from ruamel.yaml import YAML
from servers import MODEL, assistant_env, free_port

from bot.channels import socketio as sio_channel
from bot.channels.widget import (
    DEMO_KEYS,
    LANGUAGES,
    PAGE_KEYS,
    content_security_policy,
    i18n_payload,
)
from bot.dialogue import i18n
from bot.runtime import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
WIDGET_JS = ROOT / "bot" / "webchat" / "static" / "widget.js"
AXE_JS = ROOT / "bot" / "webchat" / "test-vendor" / "axe.min.js"
OUTPUT = ROOT / "test-output"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_MS = 240_000  # generous: CI has 2 cores and Rasa may be busy
RESTART_MS = 420_000

slow = pytest.mark.slow

# A knowledge-base record full of markup and script URLs: the widget must show all of it as plain text.
HOSTILE_POINT = """\
service_points:
  - id: e2e_hostile_hall
    kind: exit_entry_hall
    name: {en: "Huairou <img src=x onerror=alert(1)> Test Hall", zh: "怀柔<img src=x onerror=alert(1)>测试大厅"}
    district: huairou
    address: {en: "1 Test Road <script>alert(2)</script>, Huairou", zh: 怀柔区测试路1号}
    phones: []
    hours:
      open_24h: true
      note: {en: "Book first: [click me](javascript:alert(3)) or javascript:alert(4)"}
    services: [visa_extension]
    notes: {en: "More: [details](javascript:alert(5)) and [safe](https://example.org/ok)"}
    source: ["example.gov.cn/test-fixture.html [OFF]"]
    source_date: "2026-11-22"
"""


# ---------------------------------------------------------------------------------------------------------
# Fast checks (no server, no browser)
# ---------------------------------------------------------------------------------------------------------


def locale_messages(lang: str) -> dict[str, Any]:
    return YAML(typ="safe").load(
        (ROOT / "bot" / "locales" / f"{lang}.yml").read_text(encoding="utf-8")
    )["messages"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_widget_gets_topics_person_and_rating_texts_of_every_language(lang: str) -> None:
    """The chips, "talk to a person" and the rating question come from the catalogue (/webchat/i18n.json);
    replies are rendered from their cards, never by matching labels in their text."""
    chat = i18n_payload()["chat"][lang]
    assert chat["person"] == {
        "title": i18n.name("intents", "human_handoff", lang),
        "payload": "/human_handoff",
    }
    assert chat["rate_ask"] == i18n.t("rate_ask", lang)
    assert all(c["title"] and c["payload"].startswith("/") for c in chat["topics"])
    source = WIDGET_JS.read_text(encoding="utf-8")
    assert "ADDRESS_LABELS" not in source and "address_labels" not in source
    assert locale_messages(lang)["address_zh"]  # still the label of the card's driver address


def test_widget_has_every_interface_string_in_every_language() -> None:
    strings = i18n_payload()["strings"]
    assert set(strings) == set(LANGUAGES)
    for lang in LANGUAGES:
        own = YAML(typ="safe").load(
            (ROOT / "bot" / "locales" / f"{lang}.yml").read_text(encoding="utf-8")
        )["widget"]
        assert set(own) == set(strings["en"]) | set(DEMO_KEYS) | set(PAGE_KEYS), (
            f"{lang}: widget texts differ"
        )
        assert all(strings[lang].values()), lang
    source = WIDGET_JS.read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\("(\w+)"\)""", source))
    assert used and used <= set(strings["en"]), used - set(strings["en"])


def test_origin_allowlist() -> None:
    channel = sio_channel.OriginCheckedSocketIOInput(session_persistence=True)

    class Conn:
        server_port = 5005

    class Req:
        conn_info = Conn()

    environ = {"sanic.request": Req()}
    assert channel.origin_allowed("http://127.0.0.1:5005", environ)
    assert channel.origin_allowed("http://localhost:5005/", environ)
    assert not channel.origin_allowed("http://localhost:5006", environ)
    assert not channel.origin_allowed("https://evil.example", environ)
    assert not channel.origin_allowed("null", environ)
    channel.allowed_origins = sio_channel.parse_origins(
        "https://www.Example.gov.cn, http://intranet:8080/"
    )
    assert channel.origin_allowed("https://www.example.gov.cn", environ)
    assert channel.origin_allowed("http://intranet:8080", environ)
    assert not channel.origin_allowed(
        "http://127.0.0.1:5005", environ
    )  # the list replaces the default


def test_origins_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sio_channel.ORIGINS_ENV, "https://a.example,https://b.example")
    channel = sio_channel.OriginCheckedSocketIOInput.from_credentials(
        {"allowed_origins": ["https://c.example"]}
    )
    assert channel.allowed_origins == ["https://a.example", "https://b.example"]
    monkeypatch.delenv(sio_channel.ORIGINS_ENV)
    channel = sio_channel.OriginCheckedSocketIOInput.from_credentials(
        {"allowed_origins": ["https://c.example"]}
    )
    assert channel.allowed_origins == ["https://c.example"]


def test_history_shows_button_titles_and_splits_like_the_channel() -> None:
    payload = '/residence_permit{"permit_type":"work"}'
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "documents for a residence permit"},
        {
            "event": "bot",
            "text": "Which one?",
            "data": {"buttons": [{"title": "Work", "payload": payload}]},
        },
        {"event": "user", "text": payload},
        {"event": "bot", "text": "Part one\n\nPart two", "data": {}},
        {"event": "bot", "text": None, "data": {"image": "https://example.org/a.png"}},
    ]
    assert sio_channel.history_messages(events) == [
        {"sender": "user", "text": "documents for a residence permit"},
        {
            "sender": "bot",
            "text": "Which one?",
            "quick_replies": [{"content_type": "text", "title": "Work", "payload": payload}],
        },
        {"sender": "user", "text": "Work"},
        {"sender": "bot", "text": "Part one"},
        {"sender": "bot", "text": "Part two"},
        {
            "sender": "bot",
            "attachment": {"type": "image", "payload": {"src": "https://example.org/a.png"}},
        },
    ]


def test_history_keeps_a_card_reply_whole() -> None:
    """A reply with a card is one widget message in the history too (text unsplit, card as `custom`)."""
    card = {"type": "text", "version": 1, "lead": "Part one", "rate": []}
    buttons = [{"title": "👍 Yes", "payload": '/rate_answer{"rating":"up"}'}]
    events = [
        {
            "event": "bot",
            "text": "Part one\n\nPart two",
            "data": {"custom": card, "buttons": buttons},
        },
    ]
    assert sio_channel.history_messages(events) == [
        {
            "sender": "bot",
            "text": "Part one\n\nPart two",
            "custom": card,
            "quick_replies": [{"content_type": "text", **buttons[0]}],
        }
    ]


def test_socketio_sends_a_card_reply_as_one_event() -> None:
    sent: list[tuple[str, Any, str]] = []

    class Sio:
        async def emit(self, event: str, data: Any, room: str) -> None:
            sent.append((event, data, room))

    output = sio_channel.NamespacedSocketIOOutput(Sio(), "bot_uttered")  # type: ignore[arg-type]
    card = {"type": "place", "version": 1, "name": "Hall"}
    message = {"text": "A\n\nB", "buttons": [{"title": "T", "payload": "/p"}], "custom": card}
    asyncio.run(output.send_response("socketio:0123456789abcdef0123456789abcdef", message))
    assert sent == [
        (
            "bot_uttered",
            {
                "text": "A\n\nB",
                "custom": card,
                "quick_replies": [{"content_type": "text", "title": "T", "payload": "/p"}],
            },
            "0123456789abcdef0123456789abcdef",
        )
    ]
    # Without a card, Rasa's own behaviour: the text split at blank lines.
    sent.clear()
    asyncio.run(output.send_response("0123456789abcdef0123456789abcdef", {"text": "A\n\nB"}))
    assert [data["text"] for _, data, _ in sent] == ["A", "B"]


def test_session_ids_must_look_server_issued() -> None:
    assert sio_channel.is_session_id("0123456789abcdef0123456789abcdef")
    for bad in (None, "", "x" * 32, "0123456789ABCDEF0123456789ABCDEF", "a" * 33, 12, "../../etc"):
        assert not sio_channel.is_session_id(bad)


def test_demo_page_policy_has_no_unsafe_sources() -> None:
    csp = content_security_policy("127.0.0.1:5005")
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert "require-trusted-types-for 'script'" in csp
    assert "connect-src 'self' ws://127.0.0.1:5005" in csp


# ---------------------------------------------------------------------------------------------------------
# Real servers and a real browser
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Running:
    """The servers of this module; `current` changes when a test restarts them."""

    env: dict[str, str]
    rasa_port: int
    actions_port: int
    current: serve.Servers | None = None
    log_dir: Path = field(default_factory=Path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> None:
        self.current = serve.start(
            MODEL,
            rasa_port=self.rasa_port,
            actions_port=self.actions_port,
            env=self.env,
            log_dir=self.log_dir,
        )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    var = tmp_path_factory.mktemp("widget-var")
    env = {
        **assistant_env(var, {"zz_hostile.yml": HOSTILE_POINT}),
        "WIDGET_ALLOWED_ORIGINS": "",  # the default: the assistant's own origin only
    }
    servers = Running(env, free_port(), free_port(), log_dir=var / "logs")
    servers.start()
    yield servers
    if servers.current is not None:
        servers.current.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the playwright package is missing: pip install playwright (never `playwright install`)"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The widget's state, read from its shadow root.
STATE_JS = """() => {
  const r = document.getElementById('bj-assistant-widget')?.shadowRoot;
  if (!r || !r.querySelector('.log')) return null;
  const bots = [...r.querySelectorAll('.msg.bot:not(.welcome)')];
  return {
    bots: bots.length,
    typing: !r.querySelector('.typing').hidden,
    state: r.querySelector('.status').dataset.state,
    open: !r.querySelector('.panel').hidden,
    log: r.querySelector('.log').innerText,
    lastBots: bots.map(b => b.innerText),
  };
}"""


class Widget:
    """A page with the widget, and what happened in it (dialogs, console errors)."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("dialog", self._dialog)
        page.on(
            "console",
            lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, lang: str = "en") -> Widget:
        self.page.goto(f"{self.base}/webchat/?lang={lang}")
        self.page.locator("#bj-assistant-widget .launcher").wait_for()
        return self

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(STATE_JS)

    def open(self) -> None:
        if not self.state()["open"]:
            self.page.locator("#bj-assistant-widget .launcher").click()
        self.wait_online()

    def wait_online(self, timeout: float = 60_000) -> None:
        self.page.wait_for_function(
            "() => document.getElementById('bj-assistant-widget').shadowRoot"
            ".querySelector('.status').dataset.state === 'online'",
            timeout=timeout,
        )

    def wait_turn(self, before: int, timeout: float = ANSWER_MS) -> list[str]:
        """Wait until new bot messages came and the turn ended; return the new messages' texts."""
        self.page.wait_for_function(
            f"(before) => {{ const s = ({STATE_JS})(); return s && s.bots > before && !s.typing; }}",
            arg=before,
            timeout=timeout,
        )
        return self.state()["lastBots"][before:]

    def more_details(self, timeout: float = ANSWER_MS) -> str:
        """Press the last answer's More details quick reply (issue 13: a short answer first, the
        whole page on request); return the page's texts."""
        before = self.state()["bots"]
        name = i18n.t("more_details", "en")
        self.page.get_by_role("button", name=name, exact=True).last.click()
        return "\n".join(self.wait_turn(before, timeout))

    def ask(self, text: str, timeout: float = ANSWER_MS) -> str:
        before = self.state()["bots"]
        self.page.locator("#bj-input").fill(text)
        self.page.locator("#bj-input").press("Enter")
        return "\n".join(self.wait_turn(before, timeout))

    def csp_errors(self) -> list[str]:
        return [
            m
            for m in self.console
            if re.search(r"Content Security Policy|Trusted Type|Refused to", m)
        ]


@pytest.fixture()
def widget(browser: Any, running: Running) -> Iterator[Widget]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield Widget(context.new_page(), running.base)
    context.close()


def session_id(widget: Widget) -> str | None:
    return widget.page.evaluate(f"() => localStorage.getItem('bj-assistant:{widget.base}:session')")


@slow
def test_demo_page_and_widget_files_are_served(running: Running) -> None:
    page = requests.get(f"{running.base}/webchat/", timeout=30)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp
        and "require-trusted-types-for" in csp
    )
    assert '<script src="widget.js" data-server="' in page.text
    for path, kind in [
        ("widget.js", "javascript"),
        ("widget.css", "css"),
        ("vendor/socket.io.min.js", "javascript"),
    ]:
        r = requests.get(f"{running.base}/webchat/{path}", timeout=30)
        assert r.status_code == 200 and kind in r.headers["Content-Type"], path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        again = requests.get(
            f"{running.base}/webchat/{path}",
            headers={"If-None-Match": r.headers["ETag"]},
            timeout=30,
        )
        assert again.status_code == 304
    assert requests.get(f"{running.base}/webchat/../credentials.yml", timeout=30).status_code == 404


@slow
def test_ask_a_question_and_see_the_knowledge_base_answer(widget: Widget) -> None:
    widget.goto("en")
    launcher = widget.page.locator("#bj-assistant-widget .launcher")
    # Keyboard: the launcher is a real button; Enter opens the panel and puts the focus in the input.
    launcher.focus()
    widget.page.keyboard.press("Enter")
    widget.wait_online()
    assert (
        widget.page.evaluate(
            "() => document.getElementById('bj-assistant-widget').shadowRoot.activeElement.id"
        )
        == "bj-input"
    )
    assert launcher.get_attribute("aria-expanded") == "true"
    log = widget.page.locator("#bj-assistant-widget .log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"

    answer = widget.ask("where can I renew my residence permit in Chaoyang?")
    if "酒仙桥" not in answer:  # asked for the permit type first
        before = widget.state()["bots"]
        widget.page.get_by_role("button", name="Work", exact=True).click()
        answer = "\n".join(widget.wait_turn(before))
    assert "酒仙桥" in answer, answer
    # The Chaoyang hall's Chinese address is our translation (issue 16): shown as such, not offered to the
    # driver. The main hall's address, as found in a source, is its own block with a copy button.
    assert "our translation, not the official address" in answer
    assert widget.page.locator("#bj-assistant-widget .addr", has_text="酒仙桥").count() == 0
    # The short answer names the nearest places; the full page, with every hall's card, is behind
    # More details (issue 13), a quick reply under the answer.
    main_hall = widget.page.locator("#bj-assistant-widget .addr", has_text="安定门东街2号")
    if main_hall.count() == 0:
        answer = widget.more_details()
    block = widget.page.locator("#bj-assistant-widget .addr", has_text="安定门东街2号").first
    assert block.locator(".addr-text").get_attribute("lang") == "zh-CN"
    # The answer came as cards (Socket.IO `custom`): the hall's phone is a tel: link.
    card = widget.page.locator("#bj-assistant-widget .card-place", has_text="安定门东街2号").first
    assert card.locator("a[href^='tel:']").count() >= 1
    widget.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=widget.base)
    block.get_by_role("button", name="Copy the Chinese address").click()
    # The status is set when the clipboard promise resolves: wait for it (up to 10 s).
    from playwright.sync_api import expect

    expect(block.get_by_role("status")).to_have_text("Copied", timeout=10_000)
    assert "安定门东街2号" in widget.page.evaluate("navigator.clipboard.readText()")
    OUTPUT.mkdir(exist_ok=True)
    widget.page.screenshot(path=str(OUTPUT / "widget.png"))

    # Escape closes the panel and gives the focus back to the launcher.
    widget.page.locator("#bj-input").focus()
    widget.page.keyboard.press("Escape")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert widget.page.evaluate("() => document.activeElement.id") == "bj-assistant-widget"
    assert not widget.dialogs and not widget.csp_errors(), widget.console


@slow
def test_quick_reply_then_reload_and_navigation_keep_the_conversation(widget: Widget) -> None:
    widget.goto("en").open()
    asked = widget.ask("what documents do I need for a residence permit")
    assert "?" in asked
    replies = widget.page.locator("#bj-assistant-widget .replies button")
    assert replies.count() == 4
    before = widget.state()["bots"]
    widget.page.get_by_role("button", name="Work", exact=True).click()
    widget.wait_turn(before)
    users = widget.page.locator("#bj-assistant-widget .msg.user")
    assert users.last.inner_text().endswith("Work")
    # The short answer first; its More details quick reply gives the whole page (issue 13).
    answer = widget.more_details()
    assert "安定门东街2号" in answer, answer
    # The fees are in the procedure card's folded "Fees" list.
    fees = widget.page.locator("#bj-assistant-widget details.section", has_text="CNY").first
    assert not fees.evaluate("d => d.open") and not fees.locator("li").first.is_visible()
    fees.locator("summary").click()
    assert "CNY" in fees.locator("li").first.inner_text()
    # The user's bubble shows the button's title, not its payload; the permit buttons are gone and the
    # knowledge answer's last reply carries 👍 / 👎 inline (no message of their own).
    assert users.last.inner_text().endswith(i18n.t("more_details", "en"))
    assert replies.count() == 0
    rate = widget.page.locator("#bj-assistant-widget .msg.bot").last.locator(".rate button")
    assert rate.count() == 2
    assert widget.page.get_by_role("button", name="Work", exact=True).count() == 0
    assert i18n.t("rate_ask", "en") in widget.state()["lastBots"][-1]
    before = widget.state()["bots"]
    widget.page.get_by_role("button", name=i18n.t("rate_up", "en"), exact=True).click()
    assert i18n.t("rate_thanks", "en") in "\n".join(widget.wait_turn(before))
    assert users.last.inner_text().endswith(i18n.t("rate_up", "en"))
    assert replies.count() == 0 and rate.count() == 0
    sid = session_id(widget)
    assert sid and re.fullmatch(r"[0-9a-f]{32}", sid)

    widget.page.reload()
    widget.wait_online()
    state = widget.state()
    assert state["open"], "the chat stays open across a reload"
    assert "what documents do I need for a residence permit" in state["log"]
    assert "安定门东街2号" in state["log"]
    assert (
        widget.page.locator("#bj-assistant-widget .msg.user")
        .last.inner_text()
        .endswith(i18n.t("rate_up", "en"))
    )
    assert session_id(widget) == sid

    # Another page of the site (here: the French version): same conversation.
    widget.page.locator("a[hreflang=fr]").click()
    widget.page.wait_for_url("**lang=fr")
    widget.wait_online()
    assert "安定门东街2号" in widget.state()["log"]
    assert session_id(widget) == sid

    # "New conversation" starts afresh with a new server-issued id.
    widget.page.get_by_role("button", name="Nouvelle conversation").click()
    widget.page.wait_for_function(
        f"(old) => {{ const id = localStorage.getItem('bj-assistant:{widget.base}:session'); return id && id !== old; }}",
        arg=sid,
        timeout=60_000,
    )
    assert "安定门东街2号" not in widget.state()["log"]
    assert not widget.dialogs and not widget.csp_errors(), widget.console


@slow
def test_emergency_answer_starts_with_a_tel_120_link(widget: Widget) -> None:
    widget.goto("en").open()
    before = widget.state()["bots"]
    widget.ask("my friend collapsed, we need an ambulance")
    first_bubble = widget.page.locator("#bj-assistant-widget .msg.bot:not(.welcome)").nth(before)
    first = first_bubble.locator(".content a, .content p, .content li, .content .text").first
    link = first.locator("a").first if first.evaluate("n => n.tagName") == "LI" else first
    assert link.get_attribute("href") == "tel:120", first_bubble.inner_html()
    box = link.bounding_box()
    assert box and box["height"] >= 44
    OUTPUT.mkdir(exist_ok=True)
    widget.page.screenshot(path=str(OUTPUT / "widget-emergency.png"))
    assert not widget.dialogs and not widget.csp_errors(), widget.console


@slow
def test_two_tabs_of_one_conversation_stay_in_step(widget: Widget) -> None:
    widget.goto("en").open()
    widget.ask("hello")
    other = Widget(
        widget.page.context.new_page(), widget.base
    )  # same browser storage: same conversation
    other.goto("en").open()
    assert "hello" in other.state()["log"]
    before = other.state()["bots"]
    widget.ask("thanks")
    other.wait_turn(before)
    assert other.page.locator("#bj-assistant-widget .msg.user").last.inner_text().endswith("thanks")
    assert session_id(other) == session_id(widget)


@slow
def test_arabic_page_is_right_to_left_and_answered_in_arabic(
    widget: Widget, running: Running
) -> None:
    widget.goto("ar").open()
    root = widget.page.locator("#bj-assistant-widget .root")
    assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
    assert widget.page.locator("#bj-input").get_attribute("placeholder") == "اكتب سؤالك…"
    answer = widget.ask("أين يمكنني تجديد تصريح الإقامة في تشاويانغ؟")
    assert re.search(r"[\u0600-\u06ff]{3}", answer), answer
    # The page language went to Rasa as message metadata.
    sid = session_id(widget)
    db = running.env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select data from events where sender_id = ? and type_name = 'user'",
            ("socketio:" + sid,),  # conversation ids are namespaced per channel
        ).fetchall()
    metadata = [json.loads(data).get("metadata") or {} for (data,) in rows]
    assert metadata and all(m.get("language") == "ar" for m in metadata), metadata
    # Bubbles follow their own text's direction.
    assert (
        widget.page.locator("#bj-assistant-widget .msg.bot .text").first.get_attribute("dir")
        == "auto"
    )
    OUTPUT.mkdir(exist_ok=True)
    widget.page.screenshot(path=str(OUTPUT / "widget-ar.png"))


@slow
def test_hostile_knowledge_base_text_and_user_text_render_inert(widget: Widget) -> None:
    widget.goto("en").open()
    answer = widget.ask("where can I extend my visa in huairou")
    if "[click me]" not in answer:  # the place's notes are on its full page (issue 13)
        answer += "\n" + widget.more_details()
    assert "<img src=x onerror=alert(1)>" in answer, answer
    assert "[click me](javascript:alert(3))" in answer
    typed = "<img src=x onerror=alert(6)> [y](javascript:alert(7)) <b>bold</b>"
    widget.ask(typed)
    assert (
        widget.page.locator("#bj-assistant-widget .msg.user", has_text="onerror=alert(6)")
        .inner_text()
        .endswith(typed)
    )

    shadow_html = widget.page.evaluate(
        "() => document.getElementById('bj-assistant-widget').shadowRoot.querySelector('.log').outerHTML"
    )
    assert "<img" not in shadow_html and "<script" not in shadow_html and "<b>" not in shadow_html
    assert widget.page.locator("#bj-assistant-widget img").count() == 0
    assert widget.page.locator("img").count() == 0  # nothing leaked into the page either
    hrefs = widget.page.evaluate(
        "() => [...document.getElementById('bj-assistant-widget').shadowRoot.querySelectorAll('a')]"
        ".map(a => a.getAttribute('href'))"
    )
    assert "https://example.org/ok" in hrefs  # the one safe link in the note is a link
    assert all(h.startswith(("https:", "http:", "tel:", "mailto:")) for h in hrefs), hrefs
    assert not widget.dialogs, widget.dialogs
    assert not widget.csp_errors(), widget.console


@slow
def test_local_messages_images_and_links(widget: Widget) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    # Served by Playwright itself: no request leaves the machine.
    widget.page.route(
        "https://images.test/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=png),
    )
    widget.goto("en").open()
    widget.page.evaluate("""() => {
      const w = window.BeijingAssistantWidget;
      w.addBotMessage({attachment: {type: 'image', payload: {src: 'https://images.test/map.png', alt: 'Map'}}});
      w.addBotMessage({attachment: {type: 'image', payload: {src: 'javascript:alert(8)'}}});
      w.addBotMessage({text: '[ok](https://example.org/) [bad](javascript:alert(9)) [mail](mailto:a@b.example) '
        + '[call](tel:12345) [data](data:text/html,x) **bold** https://example.org/bare.'});
      w.addBotMessage({text: 'Pick one', quick_replies: [{title: 'A', payload: '/a'},
        {title: 'Site', type: 'web_url', url: 'javascript:alert(10)'}]});
    }""")
    images = widget.page.locator("#bj-assistant-widget .log img")
    assert images.count() == 1
    assert (
        images.get_attribute("src") == "https://images.test/map.png"
        and images.get_attribute("alt") == "Map"
    )
    widget.page.wait_for_function(
        "() => document.getElementById('bj-assistant-widget').shadowRoot.querySelector('.log img').naturalWidth === 1"
    )
    hrefs = widget.page.evaluate(
        "() => [...document.getElementById('bj-assistant-widget').shadowRoot.querySelectorAll('.log a')]"
        ".map(a => a.getAttribute('href'))"
    )
    assert hrefs == [
        "https://example.org/",
        "mailto:a@b.example",
        "tel:12345",
        "https://example.org/bare",
    ]
    log = widget.state()["log"]
    assert "[bad](javascript:alert(9))" in log and "[data](data:text/html,x)" in log
    assert widget.page.locator("#bj-assistant-widget .log strong", has_text="bold").count() == 1
    buttons = widget.page.locator("#bj-assistant-widget .replies button")
    assert (
        buttons.count() == 1 and buttons.inner_text() == "A"
    )  # the javascript: "link" button is dropped
    assert not widget.dialogs and not widget.csp_errors(), widget.console


@slow
def test_foreign_origin_is_refused(running: Running) -> None:
    handshake = f"{running.base}/socket.io/?EIO=4&transport=polling"
    own = requests.get(handshake, headers={"Origin": running.base}, timeout=30)
    assert own.status_code == 200 and own.text.startswith("0{"), own.text
    assert own.headers.get("Access-Control-Allow-Origin") == running.base
    local = requests.get(
        handshake, headers={"Origin": f"http://localhost:{running.rasa_port}"}, timeout=30
    )
    assert local.status_code == 200
    for origin in ("https://evil.example", "http://127.0.0.1:1", "null"):
        refused = requests.get(handshake, headers={"Origin": origin}, timeout=30)
        assert refused.status_code == 400, (origin, refused.text)
        assert "Access-Control-Allow-Origin" not in refused.headers

    def websocket_upgrade(origin: str) -> int:
        """Status of a raw WebSocket upgrade request (101 = accepted)."""
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{running.rasa_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", running.rasa_port), timeout=30) as conn:
            conn.sendall(request.encode())
            status_line = conn.recv(4096).split(b"\r\n")[0]
        return int(status_line.split()[1])

    assert websocket_upgrade("https://evil.example") == 400
    assert websocket_upgrade(running.base) == 101


@slow
def test_phone_layout_is_full_screen(browser: Any, running: Running) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        widget = Widget(context.new_page(), running.base)
        widget.goto("en").open()
        widget.ask("what documents do I need for a residence permit")
        before = widget.state()["bots"]
        widget.page.get_by_role("button", name="Work", exact=True).click()
        widget.wait_turn(before)
        widget.more_details()
        widget.page.locator("#bj-assistant-widget .card-place").first.evaluate(
            "n => n.scrollIntoView({block: 'start'})"
        )
        box = widget.page.locator("#bj-assistant-widget .panel").bounding_box()
        assert (
            box and box["x"] == 0 and box["y"] == 0 and box["width"] == 390 and box["height"] == 844
        )
        OUTPUT.mkdir(exist_ok=True)
        widget.page.screenshot(path=str(OUTPUT / "widget-phone.png"))
    finally:
        context.close()


@slow
def test_no_serious_accessibility_violations(browser: Any, running: Running) -> None:
    # axe-core is injected as a page script, which the demo page's CSP rightly forbids: bypass it here only.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    results: dict[str, Any] = {}
    try:
        widget = Widget(context.new_page(), running.base)

        def check(name: str) -> None:
            widget.page.add_script_tag(path=str(AXE_JS))
            outcome = widget.page.evaluate("""async () => {
              const r = await axe.run(document);
              const brief = (list) => list.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                      nodes: v.nodes.map(n => JSON.stringify(n.target))}));
              return {violations: brief(r.violations), incomplete: brief(r.incomplete), passes: r.passes.length,
                      axe: axe.version};
            }""")
            results[name] = outcome

        widget.goto("en")
        check("closed, English")
        widget.open()
        widget.ask("what documents do I need for a residence permit")  # quick replies on screen
        check("open with quick replies, English")
        before = widget.state()["bots"]
        widget.page.get_by_role("button", name="Work", exact=True).click()
        widget.wait_turn(before)
        check("open with an answer and addresses, English")
        widget.goto("ar")
        widget.wait_online()
        check("open after navigation, Arabic")
    finally:
        context.close()
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "axe-results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    serious = {
        name: [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
        for name, found in results.items()
    }
    assert not any(serious.values()), json.dumps(serious, indent=2, ensure_ascii=False)


@slow
def test_rasa_killed_and_restarted_the_conversation_goes_on(
    widget: Widget, running: Running
) -> None:
    widget.goto("en").open()
    widget.ask("hello")
    sid = session_id(widget)
    assert running.current is not None
    rasa = running.current.processes[-1]
    rasa.kill()  # a crash, not a graceful stop
    rasa.wait()
    widget.page.wait_for_function(
        "() => document.getElementById('bj-assistant-widget').shadowRoot.querySelector('.status').dataset.state === 'offline'",
        timeout=60_000,
    )
    assert widget.page.locator("#bj-assistant-widget .offline-note").is_visible()
    # Typed while offline: shown as not sent yet, sent by itself when the server is back.
    widget.page.locator("#bj-input").fill("where can I renew my residence permit in Chaoyang?")
    widget.page.locator("#bj-input").press("Enter")
    assert widget.page.locator("#bj-assistant-widget .msg.user.pending").count() == 1
    OUTPUT.mkdir(exist_ok=True)
    widget.page.screenshot(path=str(OUTPUT / "widget-offline.png"))
    bots_before = widget.state()["bots"]
    running.current.stop()  # the action server too: both come back on the same ports
    running.start()
    widget.wait_online(timeout=RESTART_MS)
    answer = "\n".join(widget.wait_turn(bots_before, timeout=RESTART_MS))
    if "酒仙桥" not in answer:
        before = widget.state()["bots"]
        widget.page.get_by_role("button", name="Work", exact=True).click()
        answer = "\n".join(widget.wait_turn(before))
    assert "酒仙桥" in answer, answer
    assert widget.page.locator("#bj-assistant-widget .msg.user.pending").count() == 0
    assert "hello" in widget.state()["log"]  # the conversation before the crash is still there
    assert session_id(widget) == sid
