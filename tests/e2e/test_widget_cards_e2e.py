"""The widget's rendering of reply cards (bot/dialogue/cards.py, docs/cards.md) in headless Chromium, at
desktop (1280×800) and phone (390×844) size, in English and Arabic.

The page, the widget's files and /webchat/i18n.json are served by Playwright from this checkout (the real
`demo_page`, `i18n_payload` and static files; no Rasa needed), and the cards are built from the real
knowledge files, then shown with the widget's `addBotMessage` exactly as a `bot_uttered` event carries
them. The answers coming over Socket.IO from the real servers are in test_widget_e2e.py.

axe-core: the vendored axe-core 4.10.3 (bot/webchat/test-vendor/, reproducible with vendor.sh from npm) is
injected into the page. It is Deque's maintained engine itself, with no Python wrapper in between
(axe-selenium-python is unmaintained and Selenium-only; Playwright has no built-in axe).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.widget import content_security_policy, demo_page, i18n_payload
from bot.core import hotlines as hotlines_mod
from bot.dialogue import answers, cards, i18n
from bot.knowledge.loader import read_knowledge
from bot.knowledge.queries import Place

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bot" / "webchat" / "static"
AXE_JS = ROOT / "bot" / "webchat" / "test-vendor" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
OUTPUT = ROOT / "test-output"
ORIGIN = "http://127.0.0.1:9"  # a secure context (clipboard); every request is answered by the test
KNOWLEDGE = read_knowledge()
HALL = next(r for r in KNOWLEDGE.records["service_points"] if r["id"] == "psb_exit_entry_main_hall")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
ROOT_JS = "document.getElementById('bj-assistant-widget').shadowRoot"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: make browser (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def serve(route: Any, lang: str) -> None:
    """The assistant's web files, from this checkout; the Socket.IO connection is refused."""
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    files = {
        "/webchat/widget.js": ("widget.js", "text/javascript"),
        "/webchat/widget.css": ("widget.css", "text/css"),
        "/webchat/vendor/socket.io.min.js": ("vendor/socket.io.min.js", "text/javascript"),
    }
    if path == "/webchat/":
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=demo_page(lang, ORIGIN),
            headers={"Content-Security-Policy": content_security_policy("127.0.0.1:9")},
        )
    elif path in files:
        name, kind = files[path]
        route.fulfill(status=200, content_type=kind, body=(STATIC / name).read_bytes())
    elif path == "/webchat/i18n.json":
        route.fulfill(status=200, content_type="application/json", body=json.dumps(i18n_payload()))
    elif path == "/webchat/demo.css":
        route.fulfill(status=200, content_type="text/css", body="")
    else:
        route.abort()


class Page:
    def __init__(self, page: Any, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "console", lambda m: self.errors.append(m.text) if "Trusted Type" in m.text else None
        )
        page.route(f"{ORIGIN}/**", lambda route: serve(route, lang))
        page.goto(f"{ORIGIN}/webchat/?lang={lang}")
        page.locator("#bj-assistant-widget .launcher").click()
        page.locator("#bj-input").wait_for()

    def show(self, message: dict[str, Any]) -> Any:
        """A bot_uttered message shown by the widget; the locator of its bubble."""
        self.page.evaluate("(m) => window.BeijingAssistantWidget.addBotMessage(m)", message)
        return self.page.locator("#bj-assistant-widget .msg.bot").last

    def box(self, locator: Any) -> dict[str, float]:
        found = locator.bounding_box()
        assert found, locator
        return dict(found)


@pytest.fixture(params=[(size, lang) for size in SIZES for lang in ("en", "ar")], ids=str)
def widget(browser: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    size, lang = request.param
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=False,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    try:
        yield Page(context.new_page(), lang)
    finally:
        context.close()


def place_message(lang: str) -> dict[str, Any]:
    reply = answers.rated(
        answers.Answer(
            [answers.Reply("fallback", card=cards.service_point_card(Place(HALL), lang).to_json())]
        ),
        lang,
    ).replies[0]
    return {
        "text": reply.text,
        "custom": reply.json_message(),
        "quick_replies": [{"content_type": "text", **b} for b in reply.buttons],
    }


def emergency_message(lang: str) -> dict[str, Any]:
    order = answers.EMERGENCY_ORDER["medical"]
    records = sorted(
        (r for r in KNOWLEDGE.records["hotlines"] if r["category"] in order),
        key=lambda r: (order.index(r["category"]), len(r["number"]), r["number"]),
    )
    card = cards.emergency_card(
        i18n.t("emergency_intro", lang), records, lang, i18n.t("emergency_interpreting", lang)
    )
    return {"text": "fallback", "custom": card.to_json()}


def test_place_card_copyable_chinese_address_and_tel_links(widget: Page) -> None:
    from playwright.sync_api import expect

    bubble = widget.show(place_message(widget.lang))
    assert "fallback" not in bubble.inner_text()  # rendered from the card, not the text
    block = bubble.locator(".addr")
    assert block.count() == 1
    address = block.locator(".addr-text")
    assert address.inner_text() == HALL["address"]["zh"]
    assert address.get_attribute("lang") == "zh-CN"
    block.locator("button").first.click()
    expect(block.get_by_role("status")).to_have_text(
        i18n.entry("widget", "copied", widget.lang), timeout=10_000
    )
    assert widget.page.evaluate("navigator.clipboard.readText()") == HALL["address"]["zh"]
    tels = bubble.locator("a[href^='tel:']")
    assert tels.first.get_attribute("href") == cards.tel(HALL["phones"][0]["number"])
    assert tels.count() == len(HALL["phones"])
    assert tels.first.is_visible()
    # Inline 👍 / 👎 under this answer, not a message of their own and not among the quick replies.
    rate = bubble.locator(".rate button")
    assert [rate.nth(i).inner_text() for i in range(rate.count())] == [
        i18n.t("rate_up", widget.lang),
        i18n.t("rate_down", widget.lang),
    ]
    assert bubble.locator(".replies").count() == 0
    assert widget.page.locator("#bj-assistant-widget .msg.bot").count() == 1
    rate.first.click()  # offline here: the rating waits as a pending message, shown by its title
    user = widget.page.locator("#bj-assistant-widget .msg.user").last
    assert i18n.t("rate_up", widget.lang) in user.inner_text()
    assert bubble.locator(".rate").count() == 0
    assert not widget.errors, widget.errors


def test_emergency_first_element_is_a_large_tel_120_link(widget: Page) -> None:
    bubble = widget.show(emergency_message(widget.lang))
    first = bubble.locator(".content a, .content button, .content p, .content li").first
    assert first.evaluate("n => n.tagName") == "LI"
    link = bubble.locator(".content a").first
    assert link.get_attribute("href") == f"tel:{hotlines_mod.AMBULANCE}"
    assert link.inner_text() == hotlines_mod.AMBULANCE
    size = widget.box(link)
    assert size["height"] >= 44 and size["width"] >= 44  # a finger-sized target
    # Nothing of the numbers' background is visible until the details are opened.
    assert "4,000" not in bubble.inner_text()
    assert not widget.errors, widget.errors


def test_details_and_source_open_and_close_with_the_keyboard(widget: Page) -> None:
    bubble = widget.show(place_message(widget.lang))
    for selector in ("details.more", "details.source"):
        details = bubble.locator(selector)
        summary = details.locator("summary")
        assert not details.evaluate("d => d.open")
        summary.focus()
        widget.page.keyboard.press("Enter")
        assert details.evaluate("d => d.open")
        widget.page.keyboard.press("Space")
        assert not details.evaluate("d => d.open")
    bubble.locator("details.source summary").focus()
    widget.page.keyboard.press("Enter")
    links = bubble.locator("details.source a[href^='https://']")
    assert links.count() >= 1 and links.first.is_visible()
    # Tab reaches the summaries: they are real controls.
    bubble.locator(".addr button").last.focus()
    seen = []
    for _ in range(8):
        widget.page.keyboard.press("Tab")
        seen.append(widget.page.evaluate(f"() => {ROOT_JS}.activeElement?.tagName || ''").lower())
    assert "summary" in seen, seen


def test_quick_replies_and_topic_chips_are_all_visible(widget: Page) -> None:
    log = widget.page.locator("#bj-assistant-widget .log")
    chips = widget.page.locator("#bj-assistant-widget .welcome .topics button")
    assert chips.count() >= 5
    person = widget.page.locator("#bj-assistant-widget .footer .person")
    assert person.is_visible()
    assert person.inner_text() == i18n.name("intents", "human_handoff", widget.lang)
    privacy = widget.page.locator("#bj-assistant-widget .footer .privacy a")
    assert privacy.get_attribute("href") == f"{ORIGIN}/webchat/privacy?lang={widget.lang}"
    frame = widget.box(log)

    def inside(locator: Any) -> None:
        for i in range(locator.count()):
            item = locator.nth(i)
            item.scroll_into_view_if_needed()
            box, frame_now = widget.box(item), widget.box(log)
            assert item.is_visible()
            assert box["x"] >= frame_now["x"] - 0.5, (i, box, frame_now)
            assert box["x"] + box["width"] <= frame_now["x"] + frame_now["width"] + 0.5, (i, box)

    inside(chips)
    question = answers.permit_type_question(widget.lang)
    widget.show(
        {
            "text": question.text,
            "quick_replies": [{"content_type": "text", **b} for b in question.buttons],
        }
    )
    replies = widget.page.locator("#bj-assistant-widget .replies button")
    assert replies.count() == 4
    inside(replies)
    assert frame["width"] > 0


def test_arabic_label_and_value_keep_their_order(widget: Page) -> None:
    bubble = widget.show(place_message(widget.lang))
    phones = bubble.locator(".field.phones")
    label, number = phones.locator(".label"), phones.locator("a[href^='tel:'] bdi").first
    assert label.inner_text() == cards.label("phone", widget.lang)
    # The number is one isolated run: its digits in their own order, whatever the bubble's direction.
    assert number.inner_text() == HALL["phones"][0]["number"]
    assert phones.inner_text().startswith(
        f"{cards.label('phone', widget.lang)} {HALL['phones'][0]['number']}"
    )
    left_to_right = widget.box(label)["x"] < widget.box(number)["x"]
    assert left_to_right == (widget.lang != "ar"), "label and value are on the wrong sides"
    # On screen, the number reads as written: its first group left of its last one.
    first, last = number.evaluate(
        """n => { const t = n.firstChild, r = document.createRange(), x = (a, b) => {
          r.setStart(t, a); r.setEnd(t, b); return r.getBoundingClientRect().x; };
          return [x(0, 3), x(t.data.length - 4, t.data.length)]; }"""
    )
    assert first < last, (first, last)
    # A Latin-script run inside an Arabic phone note is isolated too ("China Daily", "010-84020101").
    if widget.lang == "ar":
        runs = phones.locator(".note bdi").all_inner_texts()
        assert "010-84020101" in runs and any("China Daily" in r for r in runs), runs
    # Every label/value pair and Latin run is isolated.
    fields = bubble.locator(".field")
    for i in range(fields.count()):
        assert fields.nth(i).get_attribute("dir") == "auto"
    assert bubble.locator(".field bdi").count() >= fields.count() - 1
    hours = bubble.locator(".field", has_text=cards.label("hours", widget.lang))
    assert hours.locator(".label").inner_text() == cards.label("hours", widget.lang)


def test_no_serious_accessibility_violations(widget: Page) -> None:
    widget.show(emergency_message(widget.lang))
    widget.show(place_message(widget.lang))
    question = answers.permit_type_question(widget.lang)
    widget.show(
        {
            "text": question.text,
            "quick_replies": [{"content_type": "text", **b} for b in question.buttons],
        }
    )
    widget.page.locator("#bj-assistant-widget details.more summary").last.click()
    # axe-core is injected as a page script, which the page's CSP forbids: evaluate its source instead.
    widget.page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    found = widget.page.evaluate("""async () => {
      const r = await axe.run(document);
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 3).map(n => JSON.stringify(n.target))}));
    }""")
    OUTPUT.mkdir(exist_ok=True)
    size = widget.page.viewport_size["width"]
    (OUTPUT / f"axe-cards-{widget.lang}-{size}.json").write_text(
        json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=2, ensure_ascii=False)
