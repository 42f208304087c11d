"""The REST channel, hardened: malformed requests get a 4xx, never a 5xx, and odd text is cleaned.

Rasa's own `rest` channel (`RestInput`, same URL and protocol: POST /webhooks/rest/webhook with
{"sender": ..., "message": ..., "metadata": {...}}, and `?stream=true` for one JSON line per reply), extended
through its hooks: a blueprint middleware checks each request before Rasa's route reads it, and the hooks
`_extract_sender`, `_extract_message`, `_extract_input_channel` and `get_metadata` return the checked values.

- the body is at most `MAX_REST_BODY_BYTES` (413 otherwise, refused before it is read when the client
  declares its length), JSON nested however deep gives 400;
- `sender` follows `common.sender_problem` (400 otherwise), `metadata` `common.metadata_problem`;
- a text over `MAX_MESSAGE_CHARS` and a sender over the rate limit get a polite reply in their language
  (the latter with HTTP 429 and `Retry-After`);
- the input channel is always `rest` (Rasa lets the client name it).

Optional `"message_id"`: a client-chosen id of the message, unique within the conversation. A message
re-sent with an id the conversation already has is not processed again: the replies stored for it are
returned (see `exactly_once`). Clients that retry after errors or timeouts should send one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import common
from bot.channels.common import MAX_MESSAGE_CHARS, clean_text  # noqa: F401  (re-exported)
from bot.channels.exactly_once import handle_once

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = common.MAX_SENDER_CHARS
MAX_MESSAGE_ID_CHARS = 128
MAX_REST_BODY_BYTES = common.MAX_REST_BODY_BYTES

# The request being handled, for the `on_new_message` wrapper (Rasa's route builds the UserMessage
# without the request). Sanic runs a request's middleware and handler in one task.
_REQUEST: ContextVar[Request | None] = ContextVar("rest_request", default=None)


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(body, None) for a well-formed request body, else (None, reason for the client)."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return None, 'the body must be JSON: {"sender": "...", "message": "..."}'
    except RecursionError:
        return None, "the body is nested too deeply"
    if not isinstance(body, dict):
        return None, 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    sender = body.get("sender", "default")
    problem = common.sender_problem(sender)
    if problem:
        return None, problem
    message = body.get("message")
    if not isinstance(message, str):
        return None, '"message" must be a string'
    metadata = body.get("metadata")
    problem = common.metadata_problem(metadata)
    if problem:
        return None, problem
    message_id = body.get("message_id")
    if message_id is not None:
        if not isinstance(message_id, str | int) or isinstance(message_id, bool):
            return None, '"message_id" must be a string'
        message_id = str(message_id)
        if (
            not message_id.strip()
            or clean_text(message_id) != message_id.strip()
            or len(message_id) > MAX_MESSAGE_ID_CHARS
        ):
            return None, f'"message_id" must be 1 to {MAX_MESSAGE_ID_CHARS} printable characters'
    return {
        "sender": str(sender),
        "message": message,
        "metadata": metadata,
        "message_id": message_id,
    }, None


def _body(request: Request) -> dict[str, Any]:
    body: dict[str, Any] = request.ctx.rest_body
    return body


class SafeRestInput(RestInput):
    """Rasa's REST channel with input validation (mounted at /webhooks/rest/webhook)."""

    def __init__(self) -> None:
        super().__init__()
        self.limiter = common.RateLimiter()

    @classmethod
    def name(cls) -> str:
        return "rest"

    # Rasa's hooks, reading what `_check` validated.
    async def _extract_sender(self, req: Request) -> str | None:
        return str(_body(req)["sender"])

    def _extract_message(self, req: Request) -> str | None:
        return str(_body(req)["text"])

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata: dict[str, Any] | None = _body(request)["metadata"]
        return metadata

    async def _check(self, request: Request) -> HTTPResponse | None:
        """None when Rasa's route may handle the request, else the answer (4xx or a polite reply)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_REST_BODY_BYTES:
            return response.json(
                {"error": f"the body must be at most {MAX_REST_BODY_BYTES} bytes"}, status=413
            )
        if not request.body:
            await request.receive_body()
        if len(request.body) > MAX_REST_BODY_BYTES:
            return response.json(
                {"error": f"the body must be at most {MAX_REST_BODY_BYTES} bytes"}, status=413
            )
        body, problem = parse_body(request.body)
        if body is None:
            return response.json({"error": problem}, status=400)
        sender, text = body["sender"], clean_text(body["message"])
        body["text"] = text
        request.ctx.rest_body = body
        lang_hint = (body["metadata"] or {}).get("language")
        if len(text) > MAX_MESSAGE_CHARS:
            lang = common.reply_language(text, lang_hint)
            return response.json(
                [{"recipient_id": sender, "text": common.too_long_reply(text, lang)}]
            )
        if not self.limiter.allow(common.conversation_id(self.name(), sender)):
            lang = common.reply_language(text, lang_hint)
            logger.warning("REST sender %s is over the rate limit", common.shorten(sender, 20))
            return response.json(
                [{"recipient_id": sender, "text": common.rate_limited_reply(lang)}],
                status=429,
                headers={"Retry-After": "60"},
            )
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            collected = message.output_channel
            if type(collected) is CollectingOutputChannel:
                # One message per reply even with a card (the response reads the same list).
                output = common.CardCollectingOutputChannel()
                output.messages = collected.messages
                message.output_channel = output
            request = _REQUEST.get()
            body = _body(request) if request is not None else {}
            message.message_id = body.get("message_id") or message.message_id
            agent = getattr(request.app.ctx, "agent", None) if request is not None else None
            try:
                if body.get("message_id") is not None and agent is not None and agent.is_ready():
                    await handle_once(agent, message)
                else:
                    await on_new_message(message)
            except BaseException:
                # An error, or the turn cut short (Sanic cancels a handler after its response timeout):
                # either way the turn was not saved, whatever replies it collected before.
                if request is not None:
                    request.ctx.rest_failed = True
                raise

        webhook = super().blueprint(handle)

        @webhook.on_request
        async def check(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            _REQUEST.set(request)
            request.ctx.rest_failed = False
            try:
                return await self._check(request)
            except Exception:  # anything unforeseen in parsing is the client's 400, never a 500
                logger.exception("REST request could not be read")
                return response.json({"error": "the request could not be read"}, status=400)

        @webhook.on_response
        async def failed(request: Request, resp: HTTPResponse) -> HTTPResponse | None:
            # Rasa's route answers 200 with the replies collected so far when the turn raised or was
            # cancelled (`rest.message.received.failure` / `.timeout`). Rasa saves a turn at its very end,
            # so such a turn is not stored: answering its replies would let the client believe it was
            # (issue 17: answered, never stored). The client learns that it failed and may send the
            # message again with its message_id; the turn is then processed once.
            if getattr(request.ctx, "rest_failed", False):
                return response.json(
                    {"error": "the assistant could not answer; please try again"}, status=503
                )
            return None

        return webhook
