/*!
 * Beijing assistant — website chat widget.
 *
 * Embed with one tag (the widget loads its styles and the vendored Socket.IO client from the same folder):
 *   <script src="http://HOST:PORT/webchat/widget.js" data-server="http://HOST:PORT" defer></script>
 * Optional attributes: data-lang="fr" (else <html lang>), data-socket-path="/socket.io",
 * data-privacy-url="https://..." (the site's privacy page; else the assistant's own /webchat/privacy).
 *
 * Replies with a card (Rasa custom payload `custom`, format in docs/cards.md) are rendered from the card's
 * structure: place cards with the Chinese address for the driver, phones as tel: links, emergency numbers
 * first, details and source folded away (<details>), 👍 / 👎 under the rated answer. Other replies are text.
 *
 * Talks to Rasa's Socket.IO channel (events session_request/session_confirm, user_uttered/bot_uttered, plus
 * bot_typing, bot_error, user_echo and history_request from bot/channels/socketio.py).
 *
 * Safety: every text from the user, the assistant or the knowledge base becomes DOM text nodes
 * (textContent); this file never assigns HTML strings. Links are made only from a tiny markdown subset and
 * only for http, https, tel and mailto URLs; anything else stays inert text.
 */
(function () {
  "use strict";

  if (window.BeijingAssistantWidget) return; // the tag was included twice

  var VERSION = "1.0.0";
  var script =
    document.currentScript ||
    document.querySelector('script[src*="/widget.js"][data-server]') ||
    document.querySelector('script[src*="/widget.js"]');
  if (!script) return;

  var ASSET_BASE = new URL(".", script.src).href; // folder of widget.js: widget.css, vendor/
  var SERVER = script.getAttribute("data-server") || new URL(script.src).origin;
  var SOCKET_PATH = script.getAttribute("data-socket-path") || "/socket.io";
  var STORAGE_KEY = "bj-assistant:" + SERVER + ":session";
  var OPEN_KEY = "bj-assistant:" + SERVER + ":open";
  var LINK_SCHEMES = ["http:", "https:", "tel:", "mailto:"];
  var IMAGE_SCHEMES = ["http:", "https:"];
  // Right-to-left languages among those the assistant speaks: from the server (/webchat/i18n.json, which
  // serves bot/core/languages.py). The panel's direction follows the language of its texts.
  var RTL_LANGUAGES = [];
  var TYPING_TIMEOUT_MS = 90000;

  // ---------------------------------------------------------------------------------------------------
  // Interface strings in every language the assistant speaks, from the server (/webchat/i18n.json, which
  // serves the `widget` section of bot/locales/<lang>.yml); filled in before the widget is mounted.
  // ---------------------------------------------------------------------------------------------------
  var STRINGS = { en: {} };

  // Per language: the topic chips and "talk to a person" (payloads the widget sends) and the rating
  // question (from /webchat/i18n.json, section `chat`: intent names and messages of bot/locales/*.yml).
  var CHAT = { en: { topics: [], person: null, rate_ask: "" } };
  var CARD_VERSION = 1; // the card format this widget renders (docs/cards.md)

  // ---------------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------------

  /** Primary language subtag of the page: data-lang, else <html lang>, else the browser's. */
  function pageLanguage() {
    var raw = script.getAttribute("data-lang") || document.documentElement.getAttribute("lang") ||
      navigator.language || "en";
    return String(raw).trim().toLowerCase().split(/[-_]/)[0] || "en";
  }

  function uiLanguage() {
    var lang = pageLanguage();
    return Object.prototype.hasOwnProperty.call(STRINGS, lang) ? lang : "en";
  }

  function t(key) {
    return STRINGS[uiLanguage()][key] || STRINGS.en[key];
  }

  /** document.createElement with attributes and children (strings become text nodes, never HTML). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else if (name === "onclick") node.addEventListener("click", value);
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";

  /** A decorative 24x24 icon from path data (aria-hidden; the button carries the name). */
  function icon(pathData) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm2 4v2h12V8H6zm0 4v2h8v-2H6z",
    close: "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z",
    send: "M3 20.5V14l9-2-9-2V3.5L22 12z",
    refresh: "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.75 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4z"
  };

  /** A URL made safe for a link or image, or null: absolute, and of an allowed scheme. */
  function safeUrl(raw, schemes) {
    if (typeof raw !== "string") return null;
    var url;
    try {
      url = new URL(raw.trim()); // no base: relative URLs are rejected
    } catch (e) {
      return null;
    }
    return schemes.indexOf(url.protocol) >= 0 ? url.href : null;
  }

  var storage = (function () {
    var memory = {};
    function get(area, key) {
      try { return window[area].getItem(key); } catch (e) { return memory[area + key] || null; }
    }
    function set(area, key, value) {
      try {
        if (value === null) window[area].removeItem(key); else window[area].setItem(key, value);
      } catch (e) {
        memory[area + key] = value;
      }
    }
    return { get: get, set: set };
  })();

  // ---------------------------------------------------------------------------------------------------
  // Rendering text: a tiny markdown subset, built as DOM nodes
  // ---------------------------------------------------------------------------------------------------

  // [label](url), bare http(s) URLs and **bold**. Everything else is text.
  var INLINE = /\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)|(https?:\/\/[^\s<>"'()\[\]]+[^\s<>"'()\[\].,;:!?。，；：！？）」])|\*\*([^*\n]{1,500})\*\*/g;

  var RTL_CHARS = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;
  // A run of Latin script, digits and the punctuation between them ("China Daily", "010-84020101").
  var LATIN_RUN = /[A-Za-z0-9+][A-Za-z0-9+\s.,:;!?'’"“”()\[\]\/&%#–—-]*[A-Za-z0-9%]|[A-Za-z0-9]/g;

  /** Text as nodes; in right-to-left text every Latin-script run is isolated (<bdi>), so that
   * "010-84020101" or "China Daily" keep their order inside an Arabic sentence. */
  function appendText(parent, text) {
    if (!RTL_CHARS.test(text)) {
      parent.appendChild(document.createTextNode(text));
      return;
    }
    var last = 0;
    var match;
    LATIN_RUN.lastIndex = 0;
    while ((match = LATIN_RUN.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      // A short run (a date, a time, a number) is never broken across lines.
      parent.appendChild(el("bdi", { dir: "ltr", "class": match[0].length <= 24 ? "run-short" : null, text: match[0] }));
      last = LATIN_RUN.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  /** Append `text` to `parent` with links (allowed schemes only) and bold; the rest as text nodes. */
  function appendInline(parent, text) {
    var last = 0;
    var match;
    INLINE.lastIndex = 0;
    while ((match = INLINE.exec(text)) !== null) {
      if (match.index > last) appendText(parent, text.slice(last, match.index));
      if (match[1] !== undefined) {
        var href = safeUrl(match[2], LINK_SCHEMES);
        // A link with another scheme (javascript:, data:, ...) stays exactly as it was written, inert.
        parent.appendChild(href ? link(href, match[1]) : document.createTextNode(match[0]));
      } else if (match[3] !== undefined) {
        var bare = safeUrl(match[3], LINK_SCHEMES);
        parent.appendChild(bare ? link(bare, match[3]) : document.createTextNode(match[0]));
      } else {
        parent.appendChild(el("strong", { text: match[4] }));
      }
      last = INLINE.lastIndex;
    }
    if (last < text.length) appendText(parent, text.slice(last));
  }

  function link(href, label) {
    var external = href.indexOf("http") === 0;
    return el("a", {
      href: href,
      target: external ? "_blank" : null,
      rel: external ? "noopener noreferrer nofollow" : null
    }, [label, external ? el("span", { "class": "sr-only", text: " " + t("new_tab") }) : null]);
  }

  function chat() {
    return CHAT[uiLanguage()] || CHAT.en;
  }

  function addressBlock(found) {
    var text = el("span", { "class": "addr-text", lang: "zh-CN", dir: "ltr", text: found.address });
    var status = el("span", { "class": "addr-status", role: "status" });
    var copy = el("button", {
      type: "button", "class": "small-button", "aria-label": t("copy_label")
    }, [t("copy")]);
    var large = el("button", { type: "button", "class": "small-button", "aria-pressed": "false" }, [t("show_large")]);
    var block = el("div", { "class": "addr" }, [
      el("span", { "class": "addr-label", dir: "auto", text: found.label + " " }), text,
      el("span", { "class": "addr-actions" }, [copy, large, status])
    ]);
    copy.addEventListener("click", function () {
      copyText(found.address, text).then(function (ok) {
        status.textContent = ok ? t("copied") : t("copy_failed");
        setTimeout(function () { status.textContent = ""; }, 4000);
      });
    });
    large.addEventListener("click", function () {
      var on = block.classList.toggle("addr-large");
      large.setAttribute("aria-pressed", on ? "true" : "false");
    });
    return block;
  }

  /** Clipboard API where allowed (secure contexts), else select the text and use execCommand. */
  function copyText(value, node) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value).then(function () { return true; }, function () {
        return fallbackCopy(node);
      });
    }
    return Promise.resolve(fallbackCopy(node));
  }

  function fallbackCopy(node) {
    try {
      var range = document.createRange();
      range.selectNodeContents(node);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  /** A bot text as nodes: one line per row. */
  function renderText(text) {
    var box = el("div", { "class": "text", dir: "auto" });
    String(text).split("\n").forEach(function (line, i) {
      if (i > 0) box.appendChild(el("br"));
      appendInline(box, line);
    });
    return box;
  }

  // ---------------------------------------------------------------------------------------------------
  // Cards (docs/cards.md): every value from the card becomes text nodes; labels and values are isolated
  // (dir="auto" on the pair, <bdi> around the value) so right-to-left bubbles never reorder them.
  // ---------------------------------------------------------------------------------------------------

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  /** A line of text with links, isolated from its neighbours. */
  function line(className, text) {
    var node = el("p", { "class": className, dir: "auto" });
    appendInline(node, str(text));
    return node;
  }

  /** "Label: value" with the value in a <bdi>. */
  function pair(field, className) {
    if (!field || typeof field !== "object" || !str(field.value)) return null;
    var value = el("bdi", { "class": "value" });
    appendInline(value, str(field.value));
    return el("p", { "class": "field " + (className || ""), dir: "auto" }, [
      str(field.label) ? el("span", { "class": "label", text: field.label }) : null,
      str(field.label) ? " " : null,
      value
    ]);
  }

  function telLink(phone, className) {
    var href = safeUrl(str(phone.tel), ["tel:"]);
    var number = el("bdi", { dir: "ltr", text: str(phone.number) });
    return href ? el("a", { href: href, "class": className || "tel" }, [number]) : number;
  }

  function phoneLine(card) {
    var phones = list(card.phones).filter(function (p) { return p && str(p.number); });
    if (!phones.length) return null;
    var node = el("p", { "class": "field phones", dir: "auto" }, [
      el("span", { "class": "label", text: str(card.phones_label) }), " "
    ]);
    phones.forEach(function (phone, i) {
      if (i > 0) node.appendChild(document.createTextNode("; "));
      node.appendChild(telLink(phone));
      if (str(phone.note)) {
        var note = el("bdi", { "class": "note" });
        appendText(note, " (" + phone.note + ")");
        node.appendChild(note);
      }
    });
    return node;
  }

  /** A folded area (<details>/<summary>: a real disclosure, opened with Enter or Space). */
  function folded(summary, className, nodes) {
    nodes = nodes.filter(Boolean);
    if (!nodes.length) return null;
    return el("details", { "class": className }, [el("summary", { dir: "auto", text: summary })].concat(nodes));
  }

  /** The source line (with its date) with each source as a link, then the other notes. */
  function sourceArea(card) {
    var notes = list(card.source_notes).map(str).filter(Boolean);
    if (!notes.length) return null;
    var first = el("p", { "class": "source-line", dir: "auto" });
    var rest = notes[0];
    list(card.source).forEach(function (source) {
      var text = str(source && source.text);
      var href = safeUrl(str(source && source.url), ["http:", "https:"]);
      var at = text ? rest.indexOf(text) : -1;
      if (!href || at < 0) return;
      first.appendChild(document.createTextNode(rest.slice(0, at)));
      first.appendChild(el("bdi", {}, [link(href, text)]));
      rest = rest.slice(at + text.length);
    });
    first.appendChild(document.createTextNode(rest));
    return folded(t("source"), "source", [first].concat(notes.slice(1).map(function (n) {
      return line("note", n);
    })));
  }

  function sectionNode(section) {
    var items = list(section.items).map(str).filter(Boolean);
    var listNode = el(section.numbered ? "ol" : "ul", { dir: "auto" }, items.map(function (item) {
      var li = el("li");
      appendInline(li, item);
      return li;
    }));
    return folded(str(section.title).replace(/[:：]\s*$/, ""), "section", [listNode]);
  }

  function placeBody(card, box) {
    var heading = el("h3", { "class": "card-title", dir: "auto" }, [el("bdi", { text: str(card.name) })]);
    box.appendChild(heading);
    if (str(card.name_zh)) box.appendChild(el("p", { "class": "name-zh", lang: "zh-CN", dir: "ltr", text: card.name_zh }));
    if (card.driver_address && str(card.driver_address.value)) {
      box.appendChild(addressBlock({ label: str(card.driver_address.label), address: card.driver_address.value }));
    }
    [pair(card.address), pair(card.address_zh_note, "translated"), phoneLine(card)].forEach(function (node) {
      if (node) box.appendChild(node);
    });
    list(card.facts).forEach(function (fact) {
      var node = pair(fact);
      if (node) box.appendChild(node);
    });
    if (str(card.open_now)) {
      var open = line("open-now", card.open_now);
      open.setAttribute("data-state", str(card.open_state) || "unknown");
      box.appendChild(open);
    }
    if (str(card.distance)) box.appendChild(line("distance", card.distance));
  }

  function procedureBody(card, box) {
    box.appendChild(el("h3", { "class": "card-title", dir: "auto", text: str(card.title) }));
    if (str(card.lead)) box.appendChild(line("lead", card.lead));
    list(card.facts).forEach(function (fact) {
      var node = pair(fact);
      if (node) box.appendChild(node);
    });
    list(card.sections).forEach(function (section) {
      if (section && typeof section === "object") {
        var node = sectionNode(section);
        if (node) box.appendChild(node);
      }
    });
    list(card.links).forEach(function (item) {
      var href = safeUrl(str(item && item.url), ["http:", "https:"]);
      if (href) box.appendChild(el("p", { "class": "link", dir: "auto" }, [link(href, str(item.text) || href)]));
    });
  }

  /** The numbers, one per line: an emergency's first, large and tappable, then what they are for;
   * the people to call (`contacts`) after the lead, as ordinary links. */
  function numbersBody(card, box) {
    var emergency = card.type === "emergency";
    if (!emergency && str(card.lead)) box.appendChild(renderText(card.lead));
    var numbers = list(card.numbers).filter(function (n) { return n && str(n.number); });
    box.appendChild(el("ul", { "class": emergency ? "emergency-numbers" : "contact-numbers" }, numbers.map(function (n) {
      return el("li", {}, [
        telLink(n, emergency ? "tel-big" : "tel"), " ", el("bdi", { "class": "number-name", text: str(n.name) })
      ]);
    })));
    if (emergency && str(card.lead)) box.appendChild(line("lead", card.lead));
  }

  /** 👍 / 👎 under a rated answer; the click sends the rating and the buttons go. */
  function rateGroup(buttons) {
    var group = el("div", { "class": "rate", role: "group", "aria-label": chat().rate_ask, dir: "auto" }, [
      el("span", { "class": "rate-ask", text: chat().rate_ask })
    ]);
    buttons.forEach(function (button) {
      group.appendChild(el("button", {
        type: "button", "class": "small-button",
        onclick: function () {
          group.remove();
          send(button.payload, button.title);
        }
      }, [button.title]));
    });
    return group;
  }

  function isCard(custom) {
    return custom && typeof custom === "object" && typeof custom.type === "string" &&
      custom.version === CARD_VERSION;
  }

  /** A reply's card as nodes; unknown types show their lead and the common parts. */
  function renderCard(card) {
    var box = el("div", { "class": "card-reply card-" + card.type, dir: "auto" });
    if (card.type === "place") placeBody(card, box);
    else if (card.type === "procedure") procedureBody(card, box);
    else if (card.type === "emergency" || card.type === "contacts") numbersBody(card, box);
    else if (str(card.lead)) box.appendChild(renderText(card.lead));
    list(card.uncertain).forEach(function (text) { box.appendChild(line("uncertain", text)); });
    var details = folded(t("details"), "more", list(card.details).map(function (text) {
      return line("detail", text);
    }));
    if (details) box.appendChild(details);
    var source = sourceArea(card);
    if (source) box.appendChild(source);
    return box;
  }

  function ratingButtons(card) {
    return list(card.rate).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // The widget's DOM (inside a shadow root, so the host page's CSS and ours do not meet)
  // ---------------------------------------------------------------------------------------------------
  var host = el("div", { id: "bj-assistant-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: ASSET_BASE + "widget.css" });
  var root = el("div", { "class": "root", hidden: true });
  stylesheet.addEventListener("load", function () { root.hidden = false; });
  stylesheet.addEventListener("error", function () { root.hidden = false; });

  // Closed: the visible label is the button's name. Open (desktop): an X icon named "Close the chat".
  var launcherLabel = el("span", { "class": "launcher-label" });
  var unreadText = el("span", { "class": "sr-only" });
  var unreadDot = el("span", { "class": "unread", hidden: true });
  var launcherOpenIcon = icon(ICONS.chat);
  launcherOpenIcon.setAttribute("class", "when-closed");
  var launcherCloseIcon = icon(ICONS.close);
  launcherCloseIcon.setAttribute("class", "when-open");
  var launcher = el("button", {
    type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "bj-panel"
  }, [launcherOpenIcon, launcherCloseIcon, launcherLabel, unreadText, unreadDot]);

  var title = el("h2", { id: "bj-title", "class": "title" });
  var statusText = el("span", { "class": "status-text" });
  var statusLine = el("p", { "class": "status", "data-state": "connecting" }, [
    el("span", { "class": "status-dot", "aria-hidden": "true" }), statusText
  ]);
  var newButton = el("button", { type: "button", "class": "icon-button" }, [icon(ICONS.refresh)]);
  var closeButton = el("button", { type: "button", "class": "icon-button" }, [icon(ICONS.close)]);
  var header = el("div", { "class": "header" }, [
    el("div", { "class": "header-text" }, [title, statusLine]),
    el("div", { "class": "header-actions" }, [newButton, closeButton])
  ]);

  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var typing = el("div", { "class": "typing", hidden: true }, [
    el("span", { "class": "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { "class": "sr-only typing-text" })
  ]);
  // Polite announcements that are not messages: typing, connection changes, new conversation.
  var announcer = el("div", { "class": "sr-only", role: "status" });
  var offlineNote = el("p", { "class": "offline-note", hidden: true });

  var inputLabel = el("label", { "for": "bj-input", "class": "sr-only" });
  var input = el("textarea", { id: "bj-input", rows: "1", maxlength: "2000", autocomplete: "off" });
  var sendButton = el("button", { type: "submit", "class": "send" }, [icon(ICONS.send)]);
  var form = el("form", { "class": "composer" }, [inputLabel, input, sendButton]);

  // Always visible under the composer: a person to talk to, and what happens to the messages.
  var personButton = el("button", {
    type: "button", "class": "small-button person",
    onclick: function () {
      var person = chat().person;
      if (person) send(person.payload, person.title);
    }
  });
  var privacyText = el("span");
  var privacyLink = el("a", { target: "_blank", rel: "noopener noreferrer" });
  var footer = el("div", { "class": "footer" }, [
    personButton, el("p", { "class": "privacy", dir: "auto" }, [privacyText, privacyLink])
  ]);

  var panel = el("div", {
    id: "bj-panel", "class": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "bj-title", hidden: true
  }, [header, offlineNote, log, typing, announcer, form, footer]);

  /** The site's privacy page (data-privacy-url), else the assistant's own in the page's language. */
  function privacyUrl() {
    var own = safeUrl(script.getAttribute("data-privacy-url") || "", ["http:", "https:"]);
    return own || SERVER + "/webchat/privacy?lang=" + encodeURIComponent(uiLanguage());
  }

  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(stylesheet);
  shadow.appendChild(root);

  /** (Re)apply language, direction and every interface string. */
  function applyLanguage() {
    var lang = uiLanguage();
    root.setAttribute("lang", lang);
    root.setAttribute("dir", RTL_LANGUAGES.indexOf(lang) >= 0 ? "rtl" : "ltr");
    launcherLabel.textContent = t("launcher");
    title.textContent = t("title");
    newButton.setAttribute("aria-label", t("new_conversation"));
    newButton.setAttribute("title", t("new_conversation"));
    closeButton.setAttribute("aria-label", t("close"));
    closeButton.setAttribute("title", t("close"));
    log.setAttribute("aria-label", t("log_label"));
    inputLabel.textContent = t("input_label");
    input.setAttribute("placeholder", t("placeholder"));
    sendButton.setAttribute("aria-label", t("send"));
    sendButton.setAttribute("title", t("send"));
    typing.querySelector(".typing-text").textContent = t("typing");
    offlineNote.textContent = t("offline_note");
    updateLauncher();
    renderStatus();
    var welcome = log.querySelector(".welcome");
    if (welcome) {
      welcome.remove();
      showWelcome();
    }
    var person = chat().person;
    personButton.textContent = person ? person.title : "";
    personButton.hidden = !person;
    privacyText.textContent = t("privacy_note") + " ";
    privacyLink.textContent = t("privacy_link");
    privacyLink.setAttribute("href", privacyUrl());
  }

  // ---------------------------------------------------------------------------------------------------
  // Messages in the log
  // ---------------------------------------------------------------------------------------------------

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // The first bot message of the current turn. Answers can be long and come in several messages: the
  // view follows them only until that first one reaches the top, so its beginning is never scrolled away.
  var turnAnchor = null;
  function followAnswer(bubble) {
    if (!turnAnchor) turnAnchor = bubble;
    log.scrollTop = Math.min(log.scrollHeight, turnAnchor.offsetTop - 12);
  }

  /** One bubble; `who` is "bot", "user" or "notice". */
  function addBubble(who, content, extraClass) {
    var bubble = el("div", { "class": "msg " + who + (extraClass ? " " + extraClass : "") }, [
      who === "notice" ? null : el("span", { "class": "sr-only", text: t(who === "bot" ? "bot" : "you") + " " })
    ]);
    bubble.appendChild(content);
    log.appendChild(bubble);
    if (who === "bot") followAnswer(bubble);
    else {
      turnAnchor = null;
      scrollToEnd();
    }
    if (panel.hidden && who === "bot" && !restoring) {
      unread = true;
      updateLauncher();
    }
    return bubble;
  }

  function addUserMessage(text) {
    removeQuickReplies();
    removeWelcome();
    return addBubble("user", el("div", { "class": "text", dir: "auto", text: text }));
  }

  function addNotice(text) {
    return addBubble("notice", el("div", { "class": "text", text: text }));
  }

  function removeQuickReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".replies, .topics"), function (node) { node.remove(); });
    removeRatings();
  }

  function removeRatings() {
    Array.prototype.forEach.call(log.querySelectorAll(".rate"), function (node) { node.remove(); });
  }

  function removeWelcome() {
    var welcome = log.querySelector(".welcome");
    if (welcome) welcome.remove();
  }

  function quickReplies(replies) {
    var group = el("div", { "class": "replies", role: "group", "aria-label": t("suggestions") });
    replies.forEach(function (reply) {
      if (!reply || typeof reply.title !== "string") return;
      var url = reply.type === "web_url" ? safeUrl(reply.url || reply.payload, ["http:", "https:"]) : null;
      if (url) {
        group.appendChild(link(url, reply.title));
        return;
      }
      if (typeof reply.payload !== "string") return;
      group.appendChild(el("button", {
        type: "button", "class": "reply",
        onclick: function () { send(reply.payload, reply.title); }
      }, [reply.title]));
    });
    return group;
  }

  function image(src, alt) {
    var url = safeUrl(src, IMAGE_SCHEMES);
    if (!url) return null;
    return el("img", { src: url, alt: typeof alt === "string" && alt ? alt : t("image"), loading: "lazy", referrerpolicy: "no-referrer" });
  }

  /** A Rasa bot_uttered payload as a bubble (text, quick replies, image, generic template). */
  function addBotMessage(message) {
    if (!message || typeof message !== "object") return;
    removeWelcome();
    var box = el("div", { "class": "content" });
    var card = isCard(message.custom) ? message.custom : null;
    var rating = card ? ratingButtons(card) : [];
    if (card) box.appendChild(renderCard(card));
    else if (typeof message.text === "string" && message.text) box.appendChild(renderText(message.text));
    var attachment = message.attachment;
    if (attachment && typeof attachment === "object") {
      var payload = attachment.payload || {};
      if (attachment.type === "image") {
        var img = image(payload.src, payload.alt || payload.title);
        if (img) box.appendChild(img);
      } else if (attachment.type === "template" && payload.elements) {
        [].concat(payload.elements).forEach(function (element) {
          if (!element || typeof element !== "object") return;
          var card = el("div", { "class": "card" });
          var pic = image(element.image_url, element.title);
          if (pic) card.appendChild(pic);
          if (typeof element.title === "string") card.appendChild(el("strong", { dir: "auto", text: element.title }));
          if (typeof element.subtitle === "string") card.appendChild(renderText(element.subtitle));
          if (Array.isArray(element.buttons)) card.appendChild(quickReplies(element.buttons));
          box.appendChild(card);
        });
      }
    }
    if (!box.childNodes.length) return; // nothing we know how to show (e.g. a custom payload)
    var bubble = addBubble("bot", box);
    if (rating.length) {
      removeRatings(); // a rating is about the latest answer
      bubble.appendChild(rateGroup(rating));
    }
    var rated = rating.map(function (b) { return b.payload; });
    var replies = list(message.quick_replies || message.buttons).filter(function (reply) {
      return !(reply && rated.indexOf(reply.payload) >= 0);
    });
    if (replies.length) {
      removeQuickReplies(); // only the latest message offers answers
      bubble.appendChild(quickReplies(replies));
    }
  }

  /** The empty chat: a welcome and the topics as chips (they send the topic's intent). */
  function showWelcome() {
    if (log.childNodes.length) return;
    var chips = el("div", { "class": "replies topics", role: "group", "aria-label": t("topics") },
      list(chat().topics).map(function (topic) {
        return el("button", {
          type: "button", "class": "reply",
          onclick: function () { send(topic.payload, topic.title); }
        }, [topic.title]);
      }));
    var welcome = el("div", { "class": "msg bot welcome" }, [
      el("div", { "class": "text", dir: "auto", text: t("welcome") }), chips
    ]);
    log.appendChild(welcome);
  }

  /** Replace the log with the server's history without announcing every old message again. */
  var restoring = false;
  function renderHistory(messages) {
    restoring = true;
    log.setAttribute("aria-live", "off");
    var pending = Array.prototype.slice.call(log.querySelectorAll(".msg.pending"));
    while (log.firstChild) log.removeChild(log.firstChild);
    (messages || []).forEach(function (m) {
      if (m && m.sender === "user") {
        removeQuickReplies(); // answered, as when it was clicked
        addBubble("user", el("div", { "class": "text", dir: "auto", text: String(m.text || "") }));
      }
      else addBotMessage(m);
    });
    pending.forEach(function (node) { log.appendChild(node); });
    showWelcome();
    restoring = false;
    turnAnchor = null;
    scrollToEnd();
    // Re-enable announcements after the browser has taken in the restored content.
    setTimeout(function () { log.setAttribute("aria-live", "polite"); }, 0);
  }

  // ---------------------------------------------------------------------------------------------------
  // Typing indicator, connection state, launcher
  // ---------------------------------------------------------------------------------------------------
  var typingTimer = null;
  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      if (!turnAnchor) scrollToEnd();
      typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
    }
  }

  var connection = "connecting"; // connecting | online | offline
  function setConnection(state) {
    var was = connection;
    connection = state;
    renderStatus();
    offlineNote.hidden = state !== "offline";
    if (state === "offline" && was !== "offline") announce(t("offline"));
    if (state === "online" && was === "offline") announce(t("reconnected"));
  }

  function renderStatus() {
    statusLine.setAttribute("data-state", connection);
    statusText.textContent = t(connection === "online" ? "online" : connection === "offline" ? "offline" : "connecting");
  }

  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  var unread = false;
  function updateLauncher() {
    unreadDot.hidden = !unread;
    unreadText.textContent = unread && panel.hidden ? " (" + t("unread") + ")" : "";
    if (panel.hidden) launcher.removeAttribute("aria-label");
    else launcher.setAttribute("aria-label", t("close"));
    launcher.setAttribute("title", panel.hidden ? t("open") : t("close"));
  }

  // ---------------------------------------------------------------------------------------------------
  // Socket.IO: session, history, messages, reconnection
  // ---------------------------------------------------------------------------------------------------
  var socket = null;
  var sessionId = storage.get("localStorage", STORAGE_KEY);
  var ready = false; // connected and the session confirmed
  var outbox = []; // messages typed while not ready: [{text, display, node}]

  /** Load the vendored Socket.IO client without leaving a global `io` (or AMD module) on the host page. */
  function loadSocketIo() {
    return new Promise(function (resolve, reject) {
      var url = ASSET_BASE + "vendor/socket.io.min.js";
      var hadIo = Object.prototype.hasOwnProperty.call(window, "io");
      var previousIo = window.io;
      var amd = typeof window.define === "function" && window.define.amd ? window.define : null;
      if (amd) window.define = undefined; // make the UMD build set window.io instead of calling define()
      var tag = document.createElement("script");
      // Pages with Trusted Types (like our demo page) only accept script URLs from a named policy.
      var policy = window.trustedTypes && window.trustedTypes.createPolicy
        ? window.trustedTypes.createPolicy("bj-assistant-widget", {
          createScriptURL: function (value) {
            if (value !== url) throw new Error("unexpected script URL");
            return value;
          }
        })
        : null;
      tag.src = policy ? policy.createScriptURL(url) : url;
      tag.async = true;
      tag.onload = function () {
        var io = window.io;
        if (amd) window.define = amd;
        if (hadIo) window.io = previousIo; else delete window.io;
        if (typeof io === "function") resolve(io); else reject(new Error("Socket.IO client did not load"));
      };
      tag.onerror = function () {
        if (amd) window.define = amd;
        reject(new Error("Socket.IO client could not be loaded from " + url));
      };
      document.head.appendChild(tag);
    });
  }

  function connect() {
    if (socket) return;
    socket = {}; // placeholder: connect() runs once
    loadSocketIo().then(function (io) {
      // The origin only: a path in data-server would be taken as a Socket.IO namespace.
      socket = io(new URL(SERVER).origin, {
        path: SOCKET_PATH,
        reconnection: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 8000,
        timeout: 10000
      });
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: sessionId });
      });
      socket.on("session_confirm", function (confirmed) {
        var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
        if (!id) return;
        var isNew = id !== sessionId;
        sessionId = id;
        storage.set("localStorage", STORAGE_KEY, id);
        socket.emit("history_request", { session_id: id }, function (reply) {
          if (reply && reply.session_id === sessionId) renderHistory(isNew ? [] : reply.messages);
          ready = true;
          setConnection("online");
          flushOutbox();
        });
      });
      socket.on("bot_uttered", function (message) {
        addBotMessage(message);
      });
      socket.on("bot_typing", function (state) {
        setTyping(Boolean(state && state.typing));
      });
      socket.on("bot_error", function () {
        setTyping(false);
        addNotice(t("error"));
      });
      socket.on("user_echo", function (message) {
        if (message && typeof message.text === "string") addUserMessage(message.text);
      });
      socket.on("disconnect", function () {
        ready = false;
        setTyping(false);
        setConnection("offline");
      });
      socket.on("connect_error", function () {
        // Refused (e.g. this page's origin is not on the server's list), or the server is down: the
        // client keeps retrying with backoff; say so honestly meanwhile.
        ready = false;
        setConnection("offline");
      });
    }, function (error) {
      setConnection("offline");
      if (window.console) console.error("[Beijing assistant widget]", error);
    });
  }

  // The browser knows first when the network is back: try at once instead of waiting for the backoff.
  window.addEventListener("online", function () {
    if (socket && socket.connect && !socket.connected) socket.connect();
  });
  window.addEventListener("offline", function () { setConnection("offline"); });

  function emitMessage(text, display) {
    var customData = { language: pageLanguage() };
    if (display && display !== text) customData.display = display;
    socket.emit("user_uttered", { message: text, session_id: sessionId, customData: customData });
    setTyping(true);
  }

  function flushOutbox() {
    var queued = outbox;
    outbox = [];
    queued.forEach(function (item) {
      item.node.classList.remove("pending");
      var note = item.node.querySelector(".pending-note");
      if (note) note.remove();
      emitMessage(item.text, item.display);
    });
  }

  /** Send a message (typed text, or a quick reply's payload shown as its title). */
  function send(text, display) {
    text = String(text || "").trim();
    if (!text) return;
    var node = addUserMessage(display || text);
    if (ready && socket && socket.connected) {
      emitMessage(text, display);
    } else {
      node.classList.add("pending");
      node.appendChild(el("span", { "class": "pending-note", text: t("pending") }));
      outbox.push({ text: text, display: display, node: node });
      connect();
    }
  }

  function newConversation() {
    storage.set("localStorage", STORAGE_KEY, null);
    sessionId = null;
    outbox = [];
    while (log.firstChild) log.removeChild(log.firstChild);
    showWelcome();
    setTyping(false);
    announce(t("new_started"));
    if (socket && socket.connected) {
      ready = false;
      socket.emit("session_request", { session_id: null });
    }
    input.focus();
  }

  // ---------------------------------------------------------------------------------------------------
  // Opening, closing, keyboard
  // ---------------------------------------------------------------------------------------------------
  function open() {
    panel.hidden = false;
    root.classList.add("is-open");
    launcher.setAttribute("aria-expanded", "true");
    unread = false;
    updateLauncher();
    storage.set("sessionStorage", OPEN_KEY, "1");
    showWelcome();
    connect();
    scrollToEnd();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove("is-open");
    launcher.setAttribute("aria-expanded", "false");
    updateLauncher();
    storage.set("sessionStorage", OPEN_KEY, null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  newButton.addEventListener("click", newConversation);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    autosize();
    send(text);
    input.focus();
  });
  // Enter sends, Shift+Enter starts a new line (not while an IME is composing, e.g. Chinese pinyin).
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else sendButton.click();
    }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }
  input.addEventListener("input", autosize);

  // Single-page sites may change <html lang> without a reload: follow it.
  new MutationObserver(applyLanguage).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  function mount() {
    document.body.appendChild(host);
    applyLanguage();
    // Reopen after a navigation if the chat was open; reconnect early when a conversation exists.
    if (storage.get("sessionStorage", OPEN_KEY) === "1") open();
    else if (sessionId) connect();
  }

  /** The server's language registry, interface texts and address labels (see STRINGS above). */
  function loadI18n(done) {
    var request = typeof fetch === "function"
      ? fetch(SERVER + "/webchat/i18n.json", { credentials: "omit" })
      : Promise.reject(new Error("no fetch"));
    request
      .then(function (res) { if (!res.ok) throw new Error("HTTP " + res.status); return res.json(); })
      .then(function (data) {
        (data.languages || []).forEach(function (lang) {
          if (lang && lang.direction === "rtl") RTL_LANGUAGES.push(String(lang.code));
        });
        if (data.strings && data.strings.en) STRINGS = data.strings;
        if (data.chat && data.chat.en) CHAT = data.chat;
        return true;
      }, function (error) {
        // The assistant's server is not reachable (or blocked): no chat without it.
        if (window.console) window.console.warn("Beijing assistant widget: no interface texts", error);
        return false;
      })
      .then(function (loaded) { if (loaded) done(); });
  }

  loadI18n(function () {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
    else mount();
  });

  /** A small API for the host page. */
  window.BeijingAssistantWidget = {
    version: VERSION,
    open: open,
    close: close,
    newConversation: newConversation,
    /** Show a message locally, in Rasa's bot_uttered format (e.g. a page-specific greeting). */
    addBotMessage: addBotMessage,
    /** Send a message as if the user typed it. */
    send: function (text) { send(text); }
  };
})();
