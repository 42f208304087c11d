"""Each Rasa speed-up in bot/speedups.py behaves exactly as the Rasa code it replaces."""

from __future__ import annotations

import asyncio
import copy

import numpy as np
import pytest
import scipy.sparse
from aiohttp import web
from jsonschema import ValidationError

from bot import speedups

speedups.install()


def test_action_responses_are_still_validated() -> None:
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]})
    for bad in ({"events": "not a list"}, {"responses": [1]}, {"events": [{"event": "no_such_event"}]}):
        with pytest.raises(ValidationError) as err:
            action._validate_action_result(bad)
        assert "Failed to validate Action server response from API" in err.value.message


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


@pytest.mark.parametrize("shapes", [((1, 5), (1, 7)), ((3, 40), (3, 2)), ((4, 10), (4, 0)), ((2, 0), (2, 6))])
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
        f.combine_with_features(Features(scipy.sparse.coo_matrix((ra + 1, 2)), "sentence", "text", "three"))


def test_action_server_connections_are_kept_alive() -> None:
    from rasa.utils.endpoints import EndpointConfig

    async def scenario() -> set:
        peers: set = set()

        async def webhook(request: web.Request) -> web.Response:
            peers.add(request.transport.get_extra_info("peername"))
            return web.json_response({"events": [], "responses": []})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        for _ in range(5):
            assert await endpoint.request(json={"x": 1}, method="post") == {"events": [], "responses": []}
        await runner.cleanup()
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
        assert opening != -1 and source[opening:start].count("(") - source[opening:start].count(")") >= 1, source[start - 200 : start]
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
