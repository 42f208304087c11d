"""Speed-ups for the Rasa server, installed before Rasa starts (see bot/rasa_ext/rasa_server.py).

Each one keeps Rasa 3.6.21's behaviour and only removes work found by profiling the server under load
(bench/load.py with py-spy); see docs/measurements.md for the profiles and figures. They replace Rasa
code, so they are fenced (fence.py): only on the Rasa version they were checked against, and not with
BJ_RASA_PATCHES=0. `uninstall()` puts Rasa's code back.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from bot.rasa_ext import fence
from bot.rasa_ext.fence import Patches

logger = logging.getLogger(__name__)


def _compiled_action_result_validation(patches: Patches) -> None:
    """Validate action-server responses against validators built once, event by event.

    Rasa calls `jsonschema.validate(result, schema)` for every custom-action response. That function first
    checks the schema itself against the JSON-Schema meta-schema (a quarter of the server's CPU per turn),
    then tries each event against all 23 event schemas of a `oneOf`, building an error object for each
    of the 22 that fail. Every event schema requires its own `"event"` constant, so an event can only
    match the one schema named by its `"event"` value: checking that one (and the common part) gives the
    same verdict. Valid responses pass that fast check; anything else is validated exactly as Rasa does,
    so an invalid response raises the same ValidationError with the same message.
    """
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    def compiled(schema: dict[str, Any]) -> Any:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    schema = RemoteAction.action_response_format_spec()
    full = compiled(schema)
    envelope = compiled(
        {**schema, "properties": {k: v for k, v in schema["properties"].items() if k != "events"}}
    )
    common = compiled({k: v for k, v in EVENT_SCHEMA.items() if k != "oneOf"})
    by_name = {sub["properties"]["event"]["const"]: compiled(sub) for sub in EVENT_SCHEMA["oneOf"]}
    if len(by_name) != len(
        EVENT_SCHEMA["oneOf"]
    ):  # a Rasa upgrade broke the premise: validate fully
        by_name = {}

    def quick_check(result: Any) -> bool:
        if not by_name or not envelope.is_valid(result):
            return False
        events = result.get("events") if isinstance(result, dict) else None
        if events is None:
            return not (isinstance(result, dict) and "events" in result)
        if not isinstance(events, list):
            return False
        for event in events:
            if not common.is_valid(event):
                return False
            specific = by_name.get(event["event"])
            if specific is None or not specific.is_valid(event):
                return False
        return True

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if quick_check(result):
            return True
        error = exceptions.best_match(full.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    patches.replace(RemoteAction, "_validate_action_result", _validate_action_result)


def _cached_event_types(patches: Patches) -> None:
    """Resolve event type names through a dictionary.

    Rebuilding a tracker from the conversation store resolves each stored event's type by walking every
    subclass of Event (and checking each for abstractness) once per event. The class hierarchy does not
    change while the server runs, so the same first match is remembered; an unknown name walks the
    hierarchy again (a class imported later) and fails exactly as before.
    """
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type
    known: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        cls = known.get(type_name)
        if cls is None:
            for candidate in all_subclasses(Event):
                known.setdefault(candidate.type_name, candidate)
            cls = known.get(type_name)
        return cls if cls is not None else original(type_name, default)

    patches.replace(Event, "resolve_by_type", staticmethod(resolve_by_type))


def _kept_alive_endpoint_connections(patches: Patches) -> None:
    """Reuse TCP connections to the action server.

    Rasa opens a new aiohttp session, and with it a new TCP connection, for every call to the action
    server (two per turn here). Sessions now share one connection pool per event loop that they do not
    own, so closing a session leaves its kept-alive connections for the next call.
    """
    import asyncio
    import weakref

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    # Weak keys: a finished event loop (tests run several) takes its pool with it.
    pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
        weakref.WeakKeyDictionary()
    )

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        pool = pools.get(loop)
        if pool is None or pool.closed:
            pool = pools[loop] = aiohttp.TCPConnector(limit=100, keepalive_timeout=30)
        auth = (
            aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth
            else None
        )
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=pool,
            connector_owner=False,
        )

    patches.replace(EndpointConfig, "session", session)


def _direct_sparse_feature_combination(patches: Patches) -> None:
    """Join two featurizers' sparse features by concatenating their coordinates.

    Rasa joins the features of the two count-vector featurizers for every message with SciPy's general
    block-matrix `hstack`, whose bookkeeping costs far more than the join of two small rows. The result is
    the same COO matrix (same entries in the same order, same shape), built directly.
    """
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    def _combine_sparse_features(self: Features, additional_features: Features) -> None:
        if self.features.shape[0] != additional_features.features.shape[0]:
            raise ValueError(
                f"Cannot combine sparse features as sequence dimensions do not "
                f"match: {self.features.shape[0]} != {additional_features.features.shape[0]}."
            )
        a, b = self.features.tocoo(), additional_features.features.tocoo()
        self.features = scipy.sparse.coo_matrix(
            (
                np.concatenate([a.data, b.data.astype(np.result_type(a.data, b.data), copy=False)]),
                (np.concatenate([a.row, b.row]), np.concatenate([a.col, b.col + a.shape[1]])),
            ),
            shape=(a.shape[0], a.shape[1] + b.shape[1]),
        )
        self._cached_fingerprint = None

    patches.replace(Features, "_combine_sparse_features", _combine_sparse_features)


def _planned_graph_runs(patches: Patches) -> None:
    """Run Rasa's model graph from a plan made once per set of targets.

    For every message Rasa runs its NLU graph, and for every predicted action its policy graph, through
    `dask.get` with dask's synchronous scheduler: each run it cuts the graph down to the targets, builds
    a dask graph, lets dask order the tasks and track their state, and formats a debug line containing
    all inputs. The graph never changes while the server runs, so the cut and the order are remembered per
    set of targets and the nodes are called in that order with the same arguments dask would pass (each
    node's result, or the input placeholder's value). Errors propagate as before.
    """
    import logging

    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def plan(self: DaskGraphRunner, targets: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        plans = self.__dict__.setdefault("_bot_plans", {})
        if targets not in plans:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            needs = {name: list(node.needs.values()) for name, node in schema.nodes.items()}
            order: list[str] = []
            done: set[str] = set()

            def visit(name: str, path: tuple[str, ...] = ()) -> None:
                if name in done or name not in needs:
                    return
                if name in path:
                    raise GraphRunError(f"Cycle in the graph at '{name}'.")
                for dependency in needs[name]:
                    visit(dependency, (*path, name))
                done.add(name)
                order.append(name)

            for name in sorted(needs):
                visit(name)
            plans[targets] = [(name, needs[name]) for name in order]
        return plans[targets]

    def run(
        self: DaskGraphRunner,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        steps = plan(self, run_targets)
        results: dict[str, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            if isinstance(input_value, str) and input_value in self._instantiated_nodes:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema."
                )
            results[input_name] = (input_name, input_value)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} and {self._execution_context}."
            )
        try:
            for name, needs in steps:
                # dask passes a dependency's result, or the name itself when nothing produces it.
                results[name] = self._instantiated_nodes[name](
                    *(results.get(dep, dep) for dep in needs)
                )
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[t] for t in run_targets)

    # Rasa's own, kept for tests/rasa_ext/test_speedups.py
    patches.replace(DaskGraphRunner, "dask_run", DaskGraphRunner.run)
    patches.replace(DaskGraphRunner, "run", run)


# Modules whose every `copy.deepcopy` call only prepares an argument of a `structlogger.debug` call
# (checked in Rasa 3.6.21's source; tests/rasa_ext/test_speedups.py checks it again).
DEBUG_ONLY_DEEPCOPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
)


def _no_deep_copies_for_silent_debug_logs(patches: Patches) -> None:
    """Skip the deep copies Rasa makes of events, slots and dialogue states for debug log lines.

    Python evaluates the arguments of `structlogger.debug(..., events=copy.deepcopy(events))` even when
    debug logging is off and the line is thrown away; each turn paid for several deep copies of its
    events and states. In the modules above, `copy.deepcopy` now returns its argument unchanged unless
    Rasa's debug logging is on (`--debug`, LOG_LEVEL=DEBUG), in which case it copies as before.
    """
    import copy
    import importlib
    import logging
    import types

    rasa_logger = logging.getLogger("rasa")

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return copy.deepcopy(value, memo) if rasa_logger.isEnabledFor(logging.DEBUG) else value

    shim = types.SimpleNamespace(copy=copy.copy, deepcopy=deepcopy)
    for name in DEBUG_ONLY_DEEPCOPY_MODULES:
        patches.replace(importlib.import_module(name), "copy", shim)


def _domain_emptiness_compared_once(patches: Patches) -> None:
    """Compare the domain with an empty one built once, not once per message.

    For every parsed message Rasa checks `domain.is_empty()` (processor `_check_for_unseen_features`), and
    `Domain.is_empty` builds a new empty Domain (`Domain.from_dict({})`, with its default slots and
    actions) each time only to compare dictionaries with it: about 1.4 % of the Rasa server's CPU per
    turn. An empty domain's dictionary is always the same, so it is built once (a copy nobody else holds)
    and the comparison is Rasa's own.
    """
    import copy

    from rasa.shared.core.domain import Domain

    empty = copy.deepcopy(Domain.empty().as_dict())

    def is_empty(self: Domain) -> bool:
        return bool(self.as_dict() == empty)

    patches.replace(Domain, "is_empty", is_empty)


def _language_slot(tracker: Any) -> list[Any]:
    """The events `action_set_language` would return for the tracker's latest message."""
    from rasa.shared.core.events import SlotSet

    from bot.dialogue.language import conversation_language

    latest = tracker.latest_message
    # What the action server's Tracker.latest_message holds (Rasa's `_latest_message_data`).
    message = {**latest.parse_data, "entities": latest.entities} if latest is not None else {}
    current = tracker.get_slot("language")
    lang = conversation_language(current, message)
    return [] if lang == current else [SlotSet("language", lang)]


# Custom slot mappings computed in the Rasa server: the action's name, and a function of the tracker
# returning the SlotSet events the action server's action of that name returns (the same code runs there).
IN_PROCESS_SLOT_ACTIONS = {"action_set_language": _language_slot}


def _in_process_slot_mappings(patches: Patches) -> None:
    """Fill the `language` slot in the Rasa server instead of calling the action server for it.

    Its custom mapping (domain.yml) made `action_extract_slots` call `action_set_language` on the action
    server for every user message: a second HTTP round trip per turn carrying the whole conversation as
    JSON, each way serialised and parsed, for a decision that needs only the slot and the latest message.
    The decision is one function (`bot.dialogue.language.conversation_language`) that the action runs
    too; here Rasa's `_run_custom_action` calls it directly for that action and returns the same SlotSet
    event the action server would. Every other custom mapping still calls the action server. With the
    patches off (fence.py) the action server is called as before.
    """
    from rasa.core.actions.action import ActionExtractSlots

    original = ActionExtractSlots._run_custom_action

    async def _run_custom_action(
        self: ActionExtractSlots,
        custom_action: str,
        output_channel: Any,
        nlg: Any,
        tracker: Any,
        domain: Any,
    ) -> list[Any]:
        in_process = IN_PROCESS_SLOT_ACTIONS.get(custom_action)
        if in_process is None:
            return await original(self, custom_action, output_channel, nlg, tracker, domain)
        return in_process(tracker)

    patches.replace(ActionExtractSlots, "_run_custom_action", _run_custom_action)


def _count_rows(vectorizer: Any, documents: list[str]) -> Any:
    """`vectorizer.transform(documents)` with sorted indices, as COO: what Rasa keeps of it.

    scikit-learn's `CountVectorizer._count_vocab` for a fitted vocabulary: each document's n-grams
    (the vectorizer's own analyzer, built once per vectorizer) counted per vocabulary index, unknown ones
    skipped; `binary` makes every count 1; the matrix has the vectorizer's dtype and one column per
    vocabulary entry. Rasa then sorts each row's indices and converts to COO (row-major, 32-bit indices).
    """
    import numpy as np
    import scipy.sparse

    analyze = vectorizer.__dict__.get("_bj_analyzer")
    if analyze is None:
        analyze = vectorizer.__dict__["_bj_analyzer"] = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    rows: list[int] = []
    cols: list[int] = []
    counts: list[int] = []
    for i, document in enumerate(documents):
        counter: dict[int, int] = {}
        for feature in analyze(document):
            index = vocabulary.get(feature)
            if index is not None:
                counter[index] = counter.get(index, 0) + 1
        for index in sorted(counter):
            rows.append(i)
            cols.append(index)
            counts.append(counter[index])
    data = np.array(counts, dtype=np.intc).astype(vectorizer.dtype)
    if vectorizer.binary:
        data.fill(1)
    shape = (len(documents), len(vocabulary))
    return scipy.sparse.coo_matrix(
        (data, (np.array(rows, dtype=np.int32), np.array(cols, dtype=np.int32))), shape=shape
    )


def _direct_count_vectors(patches: Patches) -> None:
    """Count a message's n-grams without scikit-learn's and SciPy's per-call machinery.

    Rasa's CountVectorsFeaturizer calls `transform` twice per message and featurizer (the tokens for
    the sequence features, the joined tokens for the sentence features), and converts each result to
    COO; the validation, CSR construction and conversions cost more than counting a message's n-grams.
    `_count_rows` builds the same COO matrices (same entries, order, dtypes and shape) from the same
    analyzer and vocabulary. A vectorizer that is not fitted goes through Rasa's code (and its error).
    """
    from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )

    original = CountVectorsFeaturizer._create_features

    def _create_features(
        self: CountVectorsFeaturizer, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[Any], list[Any]]:
        vectorizer = (self.vectorizers or {}).get(attribute)
        if not vectorizer or not hasattr(vectorizer, "vocabulary_"):
            return original(self, attribute, all_tokens)
        sequence_features: list[Any] = []
        sentence_features: list[Any] = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(_count_rows(vectorizer, tokens))
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(_count_rows(vectorizer, [" ".join(tokens)]))
            else:
                sentence_features.append(None)
        return sequence_features, sentence_features

    # Rasa's own, kept for tests/rasa_ext/test_speedups.py
    patches.replace(CountVectorsFeaturizer, "rasa_create_features", original)
    patches.replace(CountVectorsFeaturizer, "_create_features", _create_features)


# Inside one prediction (`MessageProcessor._predict_next_with_tracker`): the dialogue states already built
# from its tracker, by the arguments of `past_states`.
_PREDICTION_STATES: ContextVar[dict[tuple[Any, ...], tuple[Any, Any, list[Any]]] | None] = (
    ContextVar("bj_prediction_states", default=None)
)


def _copy_states(states: list[dict[str, dict[str, Any]]]) -> list[dict[str, dict[str, Any]]]:
    """A copy that callers may change: a state maps each part (user, prev_action, slots, active_loop) to
    a dictionary of strings and tuples, which are not changed in place."""
    return [{part: dict(sub) for part, sub in state.items()} for state in states]


def _past_states_once_per_prediction(patches: Patches) -> None:
    """Build a tracker's dialogue states once per prediction and set of arguments.

    Predicting one action, the policies turn the same tracker into its list of past states several times
    (`DialogueStateTracker.past_states`: MemoizationPolicy once, RulePolicy once for text and once for
    intents, each replaying every event of the session on a fresh copy of the tracker). Within one
    prediction the tracker does not change, so a second call with the same arguments gets a copy of the
    first call's states (the featurizers edit the states they get). The cache lives only during
    `MessageProcessor._predict_next_with_tracker` and is keyed by the tracker object, its number of events
    and the arguments; outside a prediction Rasa's code runs as shipped.
    """
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    original_states = DialogueStateTracker.past_states
    original_predict = MessageProcessor._predict_next_with_tracker

    def past_states(
        self: DialogueStateTracker,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[Any]:
        cache = _PREDICTION_STATES.get()
        if cache is None:
            return original_states(
                self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
        key = (
            id(self),
            len(self.events),
            id(domain),
            bool(omit_unset_slots),
            bool(ignore_rule_only_turns),
            # The policies get the one dictionary the model's rule-only-data provider holds (a copy
            # with the same content would only miss the cache, never share another one's states).
            id(rule_only_data),
        )
        hit = cache.get(key)
        if hit is None or hit[0] is not self or hit[1] is not rule_only_data:
            states = original_states(
                self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
            # the tracker and the rule-only data are kept with the states, so their ids cannot be
            # reused during the prediction
            cache[key] = (self, rule_only_data, _copy_states(states))
            return states
        return _copy_states(hit[2])

    def _predict_next_with_tracker(self: MessageProcessor, tracker: Any) -> Any:
        token = _PREDICTION_STATES.set({})
        try:
            return original_predict(self, tracker)
        finally:
            _PREDICTION_STATES.reset(token)

    patches.replace(DialogueStateTracker, "past_states", past_states)
    patches.replace(MessageProcessor, "_predict_next_with_tracker", _predict_next_with_tracker)


def _sentence_encoder_in_a_worker(patches: Patches) -> None:
    """Encode each user message in the encoder worker process while the event loop serves others.

    Rasa runs its NLU graph synchronously on the event loop (`MessageProcessor.parse_message` calls
    `_parse_message_with_graph`), so the sentence encoder's ~3 ms per message stopped every other
    conversation. Before Rasa's own `parse_message` runs, the message text is sent to the worker
    (bot/nlu/encoder_worker.py) and awaited; the featurizer then takes that vector (bit for bit what it
    would compute) and encodes in process only when the worker gave none. Rasa's parse runs unchanged.
    """
    from rasa.core.processor import MessageProcessor

    from bot.nlu import encoder_worker

    if fence.switched_off(encoder_worker.SWITCH):
        logger.info("Sentence encoder worker off (%s)", encoder_worker.SWITCH)
        return
    original = MessageProcessor.parse_message

    async def parse_message(
        self: MessageProcessor,
        message: Any,
        tracker: Any = None,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        text = message.text
        if self.http_interpreter or not isinstance(text, str) or not text or text.startswith("/"):
            return await original(self, message, tracker, only_output_properties)
        with encoder_worker.handed_over(await encoder_worker.precompute(text)):
            return await original(self, message, tracker, only_output_properties)

    patches.replace(MessageProcessor, "parse_message", parse_message)
    encoder_worker.enable()


_installed: Patches | None = None


def install() -> bool:
    """Install every speed-up (idempotent); False when the fence says no (see fence.py)."""
    global _installed
    if _installed is not None:
        return True
    if not fence.enabled():
        logger.info("Rasa speed-ups not installed (%s)", fence.SWITCH)
        return False
    patches = Patches()
    _compiled_action_result_validation(patches)
    _cached_event_types(patches)
    _kept_alive_endpoint_connections(patches)
    _direct_sparse_feature_combination(patches)
    _no_deep_copies_for_silent_debug_logs(patches)
    _planned_graph_runs(patches)
    _in_process_slot_mappings(patches)
    _domain_emptiness_compared_once(patches)
    _past_states_once_per_prediction(patches)
    _direct_count_vectors(patches)
    _sentence_encoder_in_a_worker(patches)
    _installed = patches
    logger.debug("Rasa speed-ups installed")
    return True


def uninstall() -> None:
    """Put Rasa's own code back (tests install the speed-ups for their module only)."""
    global _installed
    if _installed is not None:
        _installed.undo()
        _installed = None
        from bot.nlu import encoder_worker

        encoder_worker.disable()


def installed() -> bool:
    return _installed is not None
