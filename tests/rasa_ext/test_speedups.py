"""Each Rasa speed-up in bot/rasa_ext/speedups.py behaves exactly as the Rasa code it replaces."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import numpy as np
import pytest
import scipy.sparse
from aiohttp import web
from jsonschema import ValidationError

from bot.rasa_ext import speedups


@pytest.fixture(scope="module", autouse=True)
def installed() -> Iterator[None]:
    """The speed-ups for this module's tests only: the rest of the session runs Rasa as shipped."""
    assert speedups.install(), "the fence refused the speed-ups (BJ_RASA_PATCHES=0 or another Rasa)"
    yield
    speedups.uninstall()


def test_action_responses_are_still_validated() -> None:
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]}
    )
    for bad in (
        {"events": "not a list"},
        {"responses": [1]},
        {"events": [{"event": "no_such_event"}]},
    ):
        with pytest.raises(ValidationError) as err:
            action._validate_action_result(bad)
        assert "Failed to validate Action server response from API" in err.value.message


def _candidate_responses(n: int) -> list:
    """Action responses, valid and invalid in many ways, from a fixed seed."""
    import random

    rng = random.Random(7)
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    names = [sub["properties"]["event"]["const"] for sub in EVENT_SCHEMA["oneOf"]]
    values: list = [None, 1, 1.5, "x", True, [], {}, [1], {"a": 1}]

    def event() -> object:
        e: dict = {"event": rng.choice([*names, "nope", 3, None])}
        for key in rng.sample(
            [
                "timestamp",
                "metadata",
                "name",
                "value",
                "text",
                "policy",
                "confidence",
                "entities",
                "parse_data",
                "input_channel",
                "hide_rule_turn",
            ],
            rng.randint(0, 5),
        ):
            if key == "entities":
                e[key] = rng.choice([[], [{"entity": "x", "value": 1}], [{"entity": 3}], "no"])
            elif key == "parse_data":
                e[key] = rng.choice(
                    [
                        {},
                        {"intent": {"name": "a", "confidence": 0.5}},
                        {"intent": {"name": 3}},
                        {"entities": [{"value": 1}]},
                        "no",
                    ]
                )
            else:
                e[key] = rng.choice(values)
        if rng.random() < 0.05:
            return rng.choice(values)  # not even an object
        return e

    out = []
    for _ in range(n):
        r: dict = {}
        if rng.random() < 0.9:
            r["events"] = (
                [event() for _ in range(rng.randint(0, 4))]
                if rng.random() < 0.95
                else rng.choice(values)
            )
        if rng.random() < 0.8:
            r["responses"] = [
                rng.choice([{"text": "hi"}, {"text": 3}, "no", {}])
                for _ in range(rng.randint(0, 3))
            ]
        out.append(r if rng.random() < 0.98 else rng.choice(values))
    return out


def test_action_response_verdicts_are_jsonschemas() -> None:
    """The fast event-by-event check accepts and refuses exactly what jsonschema.validate does."""
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    schema = RemoteAction.action_response_format_spec()
    # What jsonschema.validate(response, schema) does, without re-checking the schema each time.
    reference = validators.validator_for(schema)(schema)
    accepted = refused = 0
    for response in _candidate_responses(3000):
        error = exceptions.best_match(reference.iter_errors(response))
        expected = error is None
        if not expected:
            with pytest.raises(ValidationError) as err:
                action._validate_action_result(response)
            assert err.value.message.startswith(error.message)
        if expected:
            assert action._validate_action_result(response)
        accepted += expected
        refused += not expected
    assert accepted > 300 and refused > 300  # both kinds were exercised


def test_event_types_resolve_as_before() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        first = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is first
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("nope", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'nope'"):
        Event.resolve_by_type("nope")


@pytest.mark.parametrize(
    "shapes", [((1, 5), (1, 7)), ((3, 40), (3, 2)), ((4, 10), (4, 0)), ((2, 0), (2, 6))]
)
def test_sparse_features_combine_like_scipy(shapes: tuple) -> None:
    from rasa.shared.nlu.training_data.features import Features

    (ra, ca), (rb, cb) = shapes
    a = scipy.sparse.random(ra, ca, density=0.4, format="coo", random_state=1)
    b = scipy.sparse.random(rb, cb, density=0.4, format="coo", random_state=2).astype(np.float32)
    expected = scipy.sparse.hstack([a, b])
    f = Features(copy.deepcopy(a), "sentence", "text", "one")
    f.combine_with_features(Features(b, "sentence", "text", "two"))
    assert f.features.shape == expected.shape and f.features.dtype == expected.dtype
    assert (f.features != expected).nnz == 0
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        f.combine_with_features(
            Features(scipy.sparse.coo_matrix((ra + 1, 2)), "sentence", "text", "three")
        )


@contextlib.asynccontextmanager
async def loopback_webhook(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """A stand-in action server on a free loopback port: yields its webhook URL."""
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


def test_action_server_connections_are_kept_alive() -> None:
    from rasa.utils.endpoints import EndpointConfig

    async def scenario() -> set:
        peers: set = set()

        async def webhook(request: web.Request) -> web.Response:
            peers.add(request.transport.get_extra_info("peername"))
            return web.json_response({"events": [], "responses": []})

        async with loopback_webhook(webhook) as url:
            endpoint = EndpointConfig(url)
            for _ in range(5):
                assert await endpoint.request(json={"x": 1}, method="post") == {
                    "events": [],
                    "responses": [],
                }
        return peers

    assert len(asyncio.run(scenario())) == 1  # five calls, one TCP connection


@pytest.mark.parametrize("module", speedups.DEBUG_ONLY_DEEPCOPY_MODULES)
def test_deep_copies_are_skipped_only_where_they_feed_debug_logs(module: str) -> None:
    """Every `copy.deepcopy(` in these modules is an argument of a structlogger.debug call (a Rasa upgrade
    that uses one elsewhere fails here), and copies still happen when debug logging is on."""
    import importlib
    import inspect
    import logging
    import re

    source = inspect.getsource(importlib.import_module(module))
    calls = [m.start() for m in re.finditer(r"copy\.deepcopy\(", source)]
    assert calls
    for start in calls:
        opening = source.rfind("structlogger.debug(", 0, start)
        assert (
            opening != -1
            and source[opening:start].count("(") - source[opening:start].count(")") >= 1
        ), source[start - 200 : start]
    shim = importlib.import_module(module).copy
    value = {"a": [1, 2]}
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert shim.deepcopy(value) is value
        rasa_logger.setLevel(logging.DEBUG)
        copied = shim.deepcopy(value)
        assert copied == value and copied is not value
    finally:
        rasa_logger.setLevel(level)


def test_planned_graph_runs_give_what_dask_gives() -> None:
    """NLU parses and policy predictions with the planned runner equal those of Rasa's dask runner."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    model = Path(__file__).resolve().parents[2] / "models" / "current.tar.gz"
    assert model.exists(), "no trained model: run `make train` (make test does it)"
    agent = Agent.load(str(model))
    processor = agent.processor
    runner = processor.graph_runner
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target
    tracker = DialogueStateTracker("t", agent.domain.slots)
    for text in [
        "hi",
        "where can I renew my residence permit in Chaoyang?",
        "朝阳区哪里可以办居留许可？",
        "",
        "🙂",
        '/residence_permit{"permit_type": "work"}',
        "Где продлить визу в Хайдяне?",
        "blorp",
    ]:
        inputs = {"__message__": [UserMessage(text)], "__tracker__": tracker}
        planned = runner.run(inputs=inputs, targets=[nlu])[nlu][0].as_dict()
        reference = runner.dask_run(inputs=inputs, targets=[nlu])[nlu][0].as_dict()
        assert planned == reference, text
        tracker.update(UserUttered(text, planned.get("intent"), planned.get("entities", [])))
        prediction = runner.run(inputs={"__tracker__": tracker}, targets=[core])[core]
        expected = runner.dask_run(inputs={"__tracker__": tracker}, targets=[core])[core]
        assert (
            prediction.max_confidence_index,
            prediction.policy_name,
            prediction.probabilities,
        ) == (expected.max_confidence_index, expected.policy_name, expected.probabilities), text
        tracker.update(
            ActionExecuted(agent.domain.action_names_or_texts[prediction.max_confidence_index])
        )
        tracker.update(ActionExecuted("action_listen"))


# Messages of several kinds: the cases of tests/actions/test_actions.py test_set_language and others.
LANGUAGE_CASES = [
    ("朝阳区哪里办居留", "residence_permit", [], None, None),
    ("ok", "affirm", [], "zh", None),
    ("hello", "greet", [], "zh", None),
    ("where is the nearest hospital", "healthcare", [], "zh", None),
    ("说中文", "change_language", [{"entity": "language", "value": "zh"}], "en", None),
    (
        "i dont read chinese, english pls",
        "change_language",
        [{"entity": "language", "value": "zh"}, {"entity": "language", "value": "en"}],
        "zh",
        None,
    ),
    (
        "english please",
        "change_language",
        [{"entity": "language", "value": "en", "role": "spoken"}],
        "zh",
        None,
    ),
    (
        "hospital that speaks arabic",
        "healthcare",
        [{"entity": "language", "value": "ar"}],
        "en",
        None,
    ),
    ("ok", "affirm", [], None, {"language": "zh"}),
    ("/greet", "greet", [], "zh", None),
    ("/greet", "greet", [], None, {"language": "ja"}),
    ("/greet", "greet", [], None, None),
    ("警察", "emergency", [], "en", {"language": "ja"}),
    ("救急車", "emergency", [], None, None),
    ("病院", "healthcare", [], "ja", {"language": "ja"}),
    ("hola, ¿dónde renuevo el permiso de residencia?", "residence_permit", [], "en", None),
    ("", "nlu_fallback", [], "fr", None),
    ("hi", "greet", [], "xx", {"language": 3}),
]


@pytest.mark.parametrize(("text", "intent", "entities", "current", "metadata"), LANGUAGE_CASES)
def test_language_slot_is_filled_in_process_as_the_action_fills_it(
    text: str, intent: str, entities: list, current: str | None, metadata: dict | None
) -> None:
    """action_extract_slots fills `language` without calling the action server, with the events that
    the action server's action_set_language returns for the same conversation (sent as Rasa sends it)."""
    import json
    from pathlib import Path

    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk import Tracker
    from rasa_sdk.events import SlotSet as SdkSlotSet
    from rasa_sdk.executor import CollectingDispatcher

    from actions.actions import ActionSetLanguage

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    tracker = DialogueStateTracker("t", domain.slots)
    if current is not None:
        tracker.update(SlotSet("language", current))
    tracker.update(
        UserUttered(
            text,
            {"name": intent, "confidence": 0.9},
            entities,
            metadata=metadata,
            parse_data={"text_vector": "AAAA"},
        )
    )
    # Nothing listens there: a call to the action server would fail and fill nothing.
    extract = ActionExtractSlots(EndpointConfig("http://127.0.0.1:9/webhook"))
    events = asyncio.run(
        extract.run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, domain
        )
    )
    in_process = [
        (e.key, e.value) for e in events if isinstance(e, SlotSet) and e.key == "language"
    ]

    state = json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))
    sdk_events = asyncio.run(
        ActionSetLanguage().run(CollectingDispatcher(), Tracker.from_dict(state), {})
    )
    remote = [(e["name"], e["value"]) for e in sdk_events if e == SdkSlotSet(e["name"], e["value"])]
    assert in_process == remote


def test_other_custom_mappings_still_call_the_action_server() -> None:
    from rasa.core.actions.action import ActionExtractSlots

    calls: list[str] = []

    async def scenario() -> list:
        async def webhook(request: web.Request) -> web.Response:
            calls.append((await request.json())["next_action"])
            return web.json_response({"events": [{"event": "slot", "name": "x", "value": 1}]})

        from rasa.core.channels.channel import CollectingOutputChannel
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.utils.endpoints import EndpointConfig

        async with loopback_webhook(webhook) as url:
            extract = ActionExtractSlots(EndpointConfig(url))
            domain, tracker = Domain.empty(), DialogueStateTracker("t", [])
            args = (
                CollectingOutputChannel(),
                TemplatedNaturalLanguageGenerator({}),
                tracker,
                domain,
            )
            return await extract._run_custom_action("action_other", *args) + (
                await extract._run_custom_action("action_set_language", *args)
            )

    events = asyncio.run(scenario())
    assert calls == ["action_other"]
    assert [(e.key, e.value) for e in events] == [("x", 1), ("language", "en")]


def test_domain_emptiness_is_rasas() -> None:
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    assert Domain.empty().is_empty()
    assert Domain.from_dict({}).is_empty()
    assert not Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml")).is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()
    assert Domain.empty().is_empty()  # the first comparison changed nothing


def test_past_states_are_built_once_per_prediction_with_the_same_result() -> None:
    """Predictions with states remembered within the prediction equal Rasa's, and the remembered states
    are handed out as copies that callers may change."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    model = Path(__file__).resolve().parents[2] / "models" / "current.tar.gz"
    assert model.exists(), "no trained model: run `make train` (make test does it)"
    agent = Agent.load(str(model))
    processor = agent.processor
    runner, domain = processor.graph_runner, agent.domain
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target
    tracker = DialogueStateTracker("t", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    calls: list[int] = []
    original = speedups._copy_states

    def counting(states: list) -> list:
        calls.append(len(states))
        return original(states)

    for text in [
        "hi",
        "where can I renew my residence permit in Chaoyang?",
        "is it open on saturday?",
        "朝阳区哪里可以办居留许可？",
        "emergency! my friend is unconscious",
        "",
        "blorp",
        "thanks",
    ]:
        parsed = runner.run(inputs={"__message__": [UserMessage(text)]}, targets=[nlu])[nlu][0]
        parse = parsed.as_dict()
        tracker.update(UserUttered(text, parse.get("intent"), parse.get("entities", []), parse))
        tracker.update(SlotSet("language", "en"))
        for _ in range(3):  # the answer, then listen (more if a rule chains actions)
            speedups._copy_states = counting  # type: ignore[assignment]
            try:
                mine = processor._predict_next_with_tracker(tracker)
            finally:
                speedups._copy_states = original  # type: ignore[assignment]
            theirs = runner.run(inputs={"__tracker__": tracker}, targets=[core])[core]
            assert (mine.max_confidence_index, mine.policy_name, mine.probabilities) == (
                theirs.max_confidence_index,
                theirs.policy_name,
                theirs.probabilities,
            ), text
            assert [
                {k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in mine.events
            ] == [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in theirs.events]
            action = domain.action_names_or_texts[mine.max_confidence_index]
            tracker.update(ActionExecuted(action))
            if action == "action_listen":
                break
    assert calls, "no prediction asked for the same states twice"

    # inside a prediction, a caller's change to the states it got does not reach the next caller
    reference = domain.states_for_tracker_history(tracker)
    token = speedups._PREDICTION_STATES.set({})
    try:
        first = tracker.past_states(domain)
        first[-1].clear()
        second = tracker.past_states(domain)
        second[0].setdefault("user", {})["intent"] = "changed"
        assert tracker.past_states(domain) == reference
    finally:
        speedups._PREDICTION_STATES.reset(token)
    assert tracker.past_states(domain) == reference


def test_count_vectors_are_the_ones_scikit_learn_counts() -> None:
    """Both featurizers of the model give the same COO matrices (entries, order, dtypes, shape) as Rasa's
    `_create_features` through scikit-learn, for the tokens of messages in several scripts."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import MultilingualTokenizer

    model = Path(__file__).resolve().parents[2] / "models" / "current.tar.gz"
    assert model.exists(), "no trained model: run `make train` (make test does it)"
    nodes = Agent.load(str(model)).processor.graph_runner._instantiated_nodes
    components = [node._component for node in nodes.values()]
    tokenizer = next(c for c in components if isinstance(c, MultilingualTokenizer))
    featurizers = [c for c in components if isinstance(c, CountVectorsFeaturizer)]
    assert len(featurizers) == 2

    def same(a: scipy.sparse.coo_matrix | None, b: scipy.sparse.coo_matrix | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return (
            (a.shape, a.dtype, a.row.dtype, a.col.dtype)
            == (b.shape, b.dtype, b.row.dtype, b.col.dtype)
            and a.row.tolist() == b.row.tolist()
            and a.col.tolist() == b.col.tolist()
            and a.data.tobytes() == b.data.tobytes()
        )

    for text in [
        "where can I renew my residence permit in Chaoyang?",
        "朝阳区哪里可以办居留许可？",
        "英語が通じる病院はどこですか",
        "차오양구에서 거류허가 연장은 어디서 해요?",
        "Где продлить визу в Хайдяне?",
        "أين يمكنني تجديد تصريح الإقامة في تشاويانغ؟",
        "Gibt es internationale Schulen mit IB in Shunyi? IB IB ib",
        "hi hi hi",
        "zzqxj",  # no known word
        "🙂🙂🙂",
        "",
    ]:
        message = Message(data={"text": text})
        tokenizer.process([message])
        for featurizer in featurizers:
            tokens = featurizer._get_processed_message_tokens_by_attribute(message, "text")
            mine = featurizer._create_features("text", [tokens])
            theirs = featurizer.rasa_create_features("text", [tokens])  # type: ignore[attr-defined]
            assert same(mine[0][0], theirs[0][0]) and same(mine[1][0], theirs[1][0]), text
