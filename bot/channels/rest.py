"""The REST channel, hardened: malformed requests get a 4xx, never a 5xx, and odd text is cleaned.

Same URL and protocol as Rasa's own `rest` channel (POST /webhooks/rest/webhook with
{"sender": ..., "message": ..., "metadata": {...}}), so clients need no change.

Optional `"message_id"`: a client-chosen id of the message, unique within the conversation. A message
re-sent with an id the conversation already has is not processed again: the replies stored for it are
returned (see `exactly_once`). Clients that retry after errors or timeouts should send one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.exactly_once import handle_once
from bot.dialogue import i18n
from bot.dialogue.language import answer_language, detect_language

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_MESSAGE_ID_CHARS = 128
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and surrounding whitespace."""
    return _CONTROL.sub("", text).strip()


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(body, None) for a well-formed request body, else (None, reason for the client)."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return None, 'the body must be JSON: {"sender": "...", "message": "..."}'
    if not isinstance(body, dict):
        return None, 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    sender = body.get("sender", "default")
    if not isinstance(sender, str | int) or isinstance(sender, bool) or not str(sender).strip():
        return None, '"sender" must be a non-empty string'
    if len(str(sender)) > MAX_SENDER_CHARS:
        return None, f'"sender" must be at most {MAX_SENDER_CHARS} characters'
    message = body.get("message")
    if not isinstance(message, str):
        return None, '"message" must be a string'
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return None, '"metadata" must be a JSON object'
    message_id = body.get("message_id")
    if message_id is not None:
        if not isinstance(message_id, str | int) or isinstance(message_id, bool):
            return None, '"message_id" must be a string'
        message_id = str(message_id)
        if (
            not message_id.strip()
            or _CONTROL.search(message_id)
            or len(message_id) > MAX_MESSAGE_ID_CHARS
        ):
            return None, f'"message_id" must be 1 to {MAX_MESSAGE_ID_CHARS} printable characters'
    return {
        "sender": str(sender),
        "message": message,
        "metadata": metadata,
        "message_id": message_id,
    }, None


class SafeRestInput(RestInput):
    """Rasa's REST channel with input validation (mounted at /webhooks/rest/webhook)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("safe_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body, problem = parse_body(request.body)
            if body is None:
                return response.json({"error": problem}, status=400)
            sender, text = body["sender"], clean_text(body["message"])
            if len(text) > MAX_MESSAGE_CHARS:
                lang = answer_language(detect_language(text[:500]))
                reply = i18n.text("too_long", lang).format(n=len(text), limit=MAX_MESSAGE_CHARS)
                return response.json([{"recipient_id": sender, "text": reply}])
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                metadata=body["metadata"],
                message_id=body["message_id"],
            )
            agent = getattr(request.app.ctx, "agent", None)
            try:
                if body["message_id"] is not None and agent is not None and agent.is_ready():
                    await handle_once(agent, message)
                else:
                    await on_new_message(message)
            except Exception:
                logger.exception("REST message from %s failed", sender)
                if not collector.messages:
                    return response.json(
                        {"error": "the assistant could not answer; please try again"}, status=503
                    )
            return response.json(collector.messages)

        return webhook
