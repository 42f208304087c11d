"""The report's figures and tables, from conversations (see turns.py) and a period.

Only redacted user texts (redact.py) and counts leave this module: never sender ids, never metadata.
Every table is a plain `Table` (title, columns, rows) so the text, CSV and HTML outputs show the same.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from bot.conversations.period import Period, to_beijing
from bot.conversations.redact import normalise, redact
from bot.conversations.turns import Conversation, Turn
from bot.dialogue import feedback, i18n

FALLBACK_ACTIONS = {"action_offer_topics", "action_default_fallback"}

REASONS = {
    "not_understood": "Not understood",
    "no_answer": "No answer chosen",
    "out_of_scope": "Out of scope",
    "failed": "Assistant failed",
}
REASONS_NOTE = (
    "Not understood: the assistant was unsure what the user meant and offered its best guesses as buttons. "
    "No answer chosen: it recognised the topic but found no next step (dialogue fallback). "
    "Out of scope: it said this is not something it can help with. "
    "Assistant failed: part of the assistant (the action server) did not respond; the user got an apology "
    "with the hotlines (and the emergency numbers in an emergency)."
)

CHANNELS = {
    "rest": "REST API",
    "socketio": "Website widget",
    "wechat": "WeChat",
    "cmdline": "Terminal (rasa shell)",
}

ANSWERS = {
    "action_answer_procedure": "Procedure (documents, fees, steps)",
    "action_find_service_point": "Where to go (service points)",
    "action_opening_hours": "Opening hours",
    "action_find_school": "International schools",
    "action_find_hospital": "Hospitals and doctors",
    "action_follow_up": "Follow-up (from the conversation's context)",
    "action_more_details": "More details (the full page)",
    feedback.HANDOFF_ACTION: "People to call (talk to a person)",
    "unknown": "(the answer is no longer stored)",
}


# Staff see, for each unanswered question, the closest questions-and-answers entry and its score:
# (questions) -> one (entry id, score) or None per question. The CLI passes bot.faq's matcher.
Closest = Callable[[list[str]], list["tuple[str, float] | None"]]


@dataclass
class Options:
    low_confidence: float = 0.6  # answered messages below this intent confidence are listed
    examples: int = 3  # examples per group
    closest: Closest | None = (
        None  # the closest questions-and-answers entry of each unanswered question
    )
    similarity: float = (
        0.85  # texts at least this similar (after normalising) count as one question
    )


@dataclass
class Table:
    key: str  # short name: the CSV file is <key>.csv
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Report:
    period: Period
    overview: list[tuple[str, str]]
    tables: list[Table]
    options: Options
    daily: list[tuple[dt.date, int, int, int]] = field(
        default_factory=list
    )  # day, conversations, messages, unanswered

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


# ------------------------------------------------------------------------------------------ labels


def channel_label(code: str) -> str:
    return CHANNELS.get(code, code)


def language_label(code: str | None) -> str:
    return i18n.name("languages", code, "en") if code else "not detected yet"


def intent_label(code: str | None) -> str:
    """ "Work permit (work_permit)": the meaning for staff, the code for whoever edits the training data."""
    if not code:
        return "—"
    special = {"nlu_fallback": "Not understood", feedback.RATE_INTENT: "Rated an answer"}
    meaning = special.get(code) or i18n.name("intents", code, "en")
    return code if meaning == code.replace("_", " ") else f"{meaning} ({code})"


def topic_label(code: str | None) -> str:
    return i18n.name("intents", code, "en") if code else "—"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


# ------------------------------------------------------------------------------------------ grouping


@dataclass
class Cluster:
    """Near-identical questions: the first spelling seen is the example, `count` how often."""

    key: str
    example: str
    count: int = 0
    confidences: list[float] = field(default_factory=list)
    languages: Counter = field(default_factory=Counter)
    last: float = 0.0


@dataclass
class Group:
    reason: str
    guess: str | None
    count: int = 0
    conversations: set[int] = field(default_factory=set)
    languages: Counter = field(default_factory=Counter)
    clusters: list[Cluster] = field(default_factory=list)
    _by_key: dict[str, Cluster] = field(default_factory=dict)
    _blocks: dict[str, list[Cluster]] = field(default_factory=lambda: defaultdict(list))

    def add(
        self,
        text: str,
        language: str | None,
        conversation: int,
        when: float,
        similarity: float,
        confidence: float | None = None,
    ) -> None:
        self.count += 1
        self.conversations.add(conversation)
        self.languages[language or "?"] += 1
        key = normalise(text)
        cluster = self._by_key.get(key) or self._similar(key, similarity)
        if cluster is None:
            cluster = Cluster(key, text)
            self.clusters.append(cluster)
            for block in _blocks(key):
                self._blocks[block].append(cluster)
        self._by_key[key] = cluster
        cluster.count += 1
        cluster.languages[language or "?"] += 1
        cluster.last = max(cluster.last, when)
        if confidence is not None:
            cluster.confidences.append(confidence)

    def _similar(self, key: str, threshold: float) -> Cluster | None:
        """The most similar cluster at least `threshold` alike (difflib's ratio), among those that begin
        or end like `key`: near-identical texts rarely differ at both ends, and comparing every pair
        would take minutes for a month of a busy assistant."""
        best, best_ratio = None, threshold
        seen: set[int] = set()
        for block in _blocks(key):
            for cluster in self._blocks.get(block, ()):
                if id(cluster) in seen:
                    continue
                seen.add(id(cluster))
                longer = max(len(key), len(cluster.key)) or 1
                if abs(len(key) - len(cluster.key)) / longer > 1 - threshold:
                    continue
                matcher = SequenceMatcher(None, key, cluster.key, autojunk=False)
                if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                    continue
                ratio = matcher.ratio()
                if ratio >= best_ratio:
                    best, best_ratio = cluster, ratio
        return best

    def top(self, n: int) -> list[Cluster]:
        return sorted(self.clusters, key=lambda c: (-c.count, -c.last))[:n]


def _blocks(key: str) -> tuple[str, str]:
    """Where a normalised text is filed for the near-identical search: its first and its last 3 characters."""
    return "<" + key[:3], ">" + key[-3:]


def languages_cell(counter: Counter) -> str:
    return ", ".join(f"{code} {n}" for code, n in counter.most_common())


def example_cell(cluster: Cluster) -> str:
    return (cluster.example or "(empty message)") + (
        f"  (×{cluster.count})" if cluster.count > 1 else ""
    )


# ------------------------------------------------------------------------------------------ the report


@dataclass
class _Rated:
    action: str
    topic: str | None
    question: str | None  # the user's question (raw; redacted when shown)


def build(
    conversations: Iterable[Conversation], period: Period, options: Options | None = None
) -> Report:
    """Every figure of the report for the turns inside `period`."""
    options = options or Options()
    conv_by_channel: Counter = Counter()
    users_by_channel: dict[str, set[str]] = defaultdict(set)
    typed_by_channel: Counter = Counter()
    clicks_by_channel: Counter = Counter()
    unanswered_by_channel: Counter = Counter()
    conv_by_language: Counter = Counter()
    typed_by_language: Counter = Counter()
    unanswered_by_language: Counter = Counter()
    intents: Counter = Counter()
    intent_convs: dict[str, set[int]] = defaultdict(set)
    groups: dict[tuple[str, str | None], Group] = {}
    low: dict[str | None, Group] = {}
    ratings: dict[tuple[str, str | None], Counter] = defaultdict(Counter)
    rated_down: list[list[Any]] = []
    handoffs: dict[tuple[str, str | None], Counter] = defaultdict(Counter)
    days: dict[dt.date, list[Any]] = {d: [set(), 0, 0] for d in period.days}
    users: set[str] = set()

    sender: str | None = None
    last_answer: _Rated | None = None
    for conv_index, conversation in enumerate(conversations):
        if conversation.sender != sender:
            sender, last_answer = conversation.sender, None
        inside = [t for t in conversation.turns if t.timestamp in period]
        if inside:
            channel = inside[0].channel
            conv_by_channel[channel] += 1
            users_by_channel[channel].add(conversation.sender)
            users.add(conversation.sender)
            langs = Counter(t.language for t in inside if t.typed) or Counter(
                t.language for t in inside
            )
            conv_by_language[_main_language(langs, inside)] += 1
        last_typed: str | None = None
        previous: Turn | None = None
        for turn in conversation.turns:
            in_period = turn.timestamp in period
            if in_period:
                day = to_beijing(turn.timestamp).date()
                days[day][0].add(conv_index)
                if turn.typed:
                    days[day][1] += 1
                    typed_by_channel[turn.channel] += 1
                    typed_by_language[turn.language] += 1
                    intents[turn.intent or "?"] += 1
                    intent_convs[turn.intent or "?"].add(conv_index)
                    reason = _unanswered_reason(turn)
                    if reason:
                        guess = (
                            None
                            if reason == "out_of_scope"
                            else (turn.best_guess() if reason == "not_understood" else turn.intent)
                        )
                        group = groups.setdefault((reason, guess), Group(reason, guess))
                        group.add(
                            redact(turn.text),
                            turn.language,
                            conv_index,
                            turn.timestamp,
                            options.similarity,
                        )
                        days[day][2] += 1
                        unanswered_by_channel[turn.channel] += 1
                        unanswered_by_language[turn.language] += 1
                    elif turn.confidence is not None and turn.confidence < options.low_confidence:
                        group = low.setdefault(turn.intent, Group("low_confidence", turn.intent))
                        group.add(
                            redact(turn.text),
                            turn.language,
                            conv_index,
                            turn.timestamp,
                            options.similarity,
                            turn.confidence,
                        )
                else:
                    clicks_by_channel[turn.channel] += 1
                if turn.intent == feedback.RATE_INTENT:
                    value = turn.entity(feedback.RATING_ENTITY)
                    if value in feedback.RATINGS:
                        last_answer = last_answer or _Rated("unknown", None, None)
                        ratings[(last_answer.action, last_answer.topic)][value] += 1
                        if value == feedback.DOWN:
                            rated_down.append(
                                [
                                    to_beijing(turn.timestamp).strftime("%Y-%m-%d %H:%M"),
                                    channel_label(turn.channel),
                                    language_label(turn.language),
                                    ANSWERS.get(last_answer.action, last_answer.action),
                                    topic_label(last_answer.topic),
                                    redact(last_answer.question)
                                    if last_answer.question
                                    else "(a button)",
                                ]
                            )
                if feedback.HANDOFF_ACTION in turn.actions:
                    after_down = (
                        previous is not None
                        and previous.intent == feedback.RATE_INTENT
                        and previous.entity(feedback.RATING_ENTITY) == feedback.DOWN
                    )
                    counter = handoffs[(turn.channel, turn.topic)]
                    counter["all"] += 1
                    counter["after_down"] += int(after_down)
                    counter["typed"] += int(turn.typed)
            if turn.typed:
                last_typed = turn.text
            answered = [a for a in turn.actions if a in feedback.RATED_ACTIONS]
            if answered:
                last_answer = _Rated(
                    answered[-1], turn.topic, turn.text if turn.typed else last_typed
                )
            previous = turn

    typed_total = sum(typed_by_channel.values())
    clicks_total = sum(clicks_by_channel.values())
    unanswered_total = sum(g.count for g in groups.values())
    low_total = sum(g.count for g in low.values())
    ups = sum(c[feedback.UP] for c in ratings.values())
    downs = sum(c[feedback.DOWN] for c in ratings.values())
    handoff_total = sum(c["all"] for c in handoffs.values())
    conversations_total = sum(conv_by_channel.values())

    overview = [
        ("Period", period.label()),
        ("Conversations", f"{conversations_total} (from {len(users)} users)"),
        ("Messages users typed", str(typed_total)),
        ("Buttons users clicked", str(clicks_total)),
        (
            "Questions not answered",
            f"{unanswered_total} ({percent(unanswered_total, typed_total)} of typed messages)",
        ),
        (f"Answered, but unsure (confidence below {options.low_confidence:.2f})", str(low_total)),
        ("Answers rated", f"👍 {ups}   👎 {downs}   ({percent(ups, ups + downs)} 👍)"),
        ("Handoffs to a person", str(handoff_total)),
    ]

    tables = [
        _unanswered_summary(groups, options),
        _unanswered_all(groups, options.closest),
        _low_confidence(low, options),
        _intents(intents, intent_convs, typed_total),
        _channels(
            conv_by_channel,
            users_by_channel,
            typed_by_channel,
            clicks_by_channel,
            unanswered_by_channel,
        ),
        _languages(conv_by_language, typed_by_language, unanswered_by_language),
        _ratings(ratings),
        Table(
            "rated_down",
            "Answers rated 👎, with the question asked",
            ["When (Beijing)", "Channel", "Language", "Answer", "Topic", "Question"],
            sorted(rated_down),
            "What the user had asked before the answer they rated down (personal data removed).",
        ),
        _handoffs(handoffs),
    ]
    daily = [(day, len(v[0]), v[1], v[2]) for day, v in sorted(days.items())]
    tables.append(
        Table(
            "daily",
            "Day by day",
            ["Day", "Conversations", "Messages typed", "Not answered"],
            [[f"{d:%a} {d.isoformat()}", c, m, u] for d, c, m, u in daily],
        )
    )
    return Report(period, overview, tables, options, daily)


def _main_language(langs: Counter, turns: list[Turn]) -> str | None:
    """The language most of the conversation was in (ties: the later one)."""
    if not langs:
        return None
    best = max(langs.values())
    for turn in reversed(turns):
        if langs.get(turn.language) == best:
            return turn.language
    return langs.most_common(1)[0][0]


def _unanswered_reason(turn: Turn) -> str | None:
    if turn.faq_entry:
        return None  # a staff-written question and answer answered it
    if turn.failed:  # the action server could not be reached (bot/rasa_ext/faults.py): apologised
        return "failed"
    if turn.intent == "nlu_fallback":
        return "not_understood"
    if turn.intent == "out_of_scope":
        return "out_of_scope"
    if FALLBACK_ACTIONS & set(turn.actions):
        return "no_answer"
    return None


def _unanswered_summary(groups: dict[tuple[str, str | None], Group], options: Options) -> Table:
    rows = [
        [
            REASONS[g.reason],
            intent_label(g.guess) if g.guess else "—",
            g.count,
            len(g.conversations),
            languages_cell(g.languages),
            "\n".join(example_cell(c) for c in g.top(options.examples)),
        ]
        for g in sorted(groups.values(), key=lambda g: (-g.count, g.reason, g.guess or ""))
    ]
    return Table(
        "unanswered",
        "Questions the assistant could not answer",
        ["Why", "Assistant's best guess", "Questions", "Conversations", "Languages", "Examples"],
        rows,
        "Most frequent first. Add the missing knowledge, or the questions as training examples of the right "
        "topic. " + REASONS_NOTE,
    )


def _unanswered_all(
    groups: dict[tuple[str, str | None], Group], closest: Closest | None = None
) -> Table:
    rows: list[list[Any]] = []
    for g in groups.values():
        for c in g.clusters:
            rows.append(
                [
                    c.example or "(empty message)",
                    c.count,
                    REASONS[g.reason],
                    intent_label(g.guess) if g.guess else "—",
                    languages_cell(c.languages),
                    to_beijing(c.last).strftime("%Y-%m-%d"),
                ]
            )
    rows.sort(key=lambda r: (-r[1], r[2], r[0]))
    columns = ["Question", "Times", "Why", "Assistant's best guess", "Languages", "Last asked"]
    note = ""
    if closest is not None:
        found = closest([r[0] for r in rows])
        for row, match in zip(rows, found, strict=True):
            row += [match[0], f"{match[1]:.2f}"] if match else ["—", "—"]
        columns += ["Closest Q&A entry", "Score"]
        note = (
            "Closest Q&A entry: the staff-written question and answer (knowledge/faq_*.yml) nearest in "
            "meaning, and how near (1.00 = same meaning). A score just below the answering threshold: add "
            "the question to that entry's sample questions; a low score: write a new entry."
        )
    return Table(
        "unanswered_questions",
        "Every question not answered (near-identical ones counted together)",
        columns,
        rows,
        note,
    )


def _low_confidence(low: dict[str | None, Group], options: Options) -> Table:
    rows = []
    for g in sorted(low.values(), key=lambda g: (-g.count, g.guess or "")):
        confidences = [x for c in g.clusters for x in c.confidences]
        examples = "\n".join(
            f"{example_cell(c)}  [{min(c.confidences):.2f}]" for c in g.top(options.examples)
        )
        rows.append(
            [
                intent_label(g.guess),
                g.count,
                f"{statistics.median(confidences):.2f}",
                languages_cell(g.languages),
                examples,
            ]
        )
    return Table(
        "low_confidence",
        f"Answered, but unsure (intent confidence below {options.low_confidence:.2f})",
        ["Answered as", "Questions", "Median confidence", "Languages", "Examples [confidence]"],
        rows,
        "Check that these got the right answer; if not, add them as training examples of the right topic.",
    )


def _intents(intents: Counter, convs: dict[str, set[int]], total: int) -> Table:
    rows = [
        [intent_label(code), n, percent(n, total), len(convs[code])]
        for code, n in intents.most_common()
    ]
    return Table(
        "intents",
        "What users asked about (typed messages)",
        ["Intent", "Messages", "Share", "Conversations"],
        rows,
    )


def _channels(
    convs: Counter, users: dict[str, set[str]], typed: Counter, clicks: Counter, unanswered: Counter
) -> Table:
    rows = [
        [
            channel_label(ch),
            convs[ch],
            len(users[ch]),
            typed[ch],
            clicks[ch],
            unanswered[ch],
            percent(unanswered[ch], typed[ch]),
        ]
        for ch in sorted(set(convs) | set(typed) | set(clicks), key=lambda c: (-convs[c], c))
    ]
    return Table(
        "channels",
        "Channels",
        [
            "Channel",
            "Conversations",
            "Users",
            "Messages typed",
            "Buttons clicked",
            "Not answered",
            "Not answered share",
        ],
        rows,
    )


def _languages(convs: Counter, typed: Counter, unanswered: Counter) -> Table:
    rows = [
        [
            language_label(code),
            code or "—",
            convs[code],
            typed[code],
            unanswered[code],
            percent(unanswered[code], typed[code]),
        ]
        for code in sorted(set(convs) | set(typed), key=lambda c: (-typed[c], -convs[c], c or ""))
    ]
    return Table(
        "languages",
        "Languages",
        [
            "Language",
            "Code",
            "Conversations (main language)",
            "Messages typed",
            "Not answered",
            "Not answered share",
        ],
        rows,
        "The language the assistant answered in (detected per message).",
    )


def _ratings(ratings: dict[tuple[str, str | None], Counter]) -> Table:
    rows = []
    for (action, topic), c in sorted(
        ratings.items(), key=lambda kv: (-(kv[1][feedback.DOWN]), -(sum(kv[1].values())))
    ):
        up, down = c[feedback.UP], c[feedback.DOWN]
        rows.append(
            [ANSWERS.get(action, action), topic_label(topic), up, down, percent(up, up + down)]
        )
    return Table(
        "ratings",
        "Answers users rated",
        ["Answer", "Topic", "👍", "👎", "👍 share"],
        rows,
        "Each rating is about the last knowledge answer before it. Most 👎 first.",
    )


def _handoffs(handoffs: dict[tuple[str, str | None], Counter]) -> Table:
    rows = [
        [channel_label(ch), topic_label(topic), c["all"], c["after_down"], c["typed"]]
        for (ch, topic), c in sorted(
            handoffs.items(), key=lambda kv: (-kv[1]["all"], kv[0][0], kv[0][1] or "")
        )
    ]
    return Table(
        "handoffs",
        "Handoffs to a person",
        [
            "Channel",
            "Topic of the conversation",
            "Handoffs",
            "After a 👎",
            "Asked in their own words",
        ],
        rows,
        "The assistant gave the hotlines (on WeChat with WECHAT_HUMAN_HANDOFF=1: passed to customer service).",
    )
