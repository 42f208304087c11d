"""The WeChat Official Account input channel (mounted at /webhooks/wechat/webhook).

A request goes through: body-size cap -> `signature` -> timestamp window (and, in plain mode, the
nonce/body binding) -> `msg_signature` and decryption when `encrypt_type=aes` -> safe XML parsing ->
`inbound.interpret` -> deduplication by MsgId -> the turn.

The 5-second rule: WeChat waits 5 s for the HTTP answer and then retries. The turn runs as its own task;
if it finishes within the passive budget (about 4 s from the request's arrival) its first part is the
passive reply (encrypted when the request was) and any further parts follow through the customer-service
API; otherwise the request is answered "success" at once (WeChat then neither retries nor shows an error)
and the whole answer goes through the customer-service API when the turn ends. Either way exactly once:
retries of the same message share one outcome (see `dedup`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import common
from bot.channels.common import MAX_MESSAGE_CHARS
from bot.channels.wechat import api as wechat_api
from bot.channels.wechat import inbound, texts, xmlcodec
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.crypto import CryptoError, MessageCrypto, check_signature
from bot.channels.wechat.dedup import Deduplicator
from bot.channels.wechat.delivery import CustomerService, user_ref
from bot.channels.wechat.purge import purge_conversation
from bot.channels.wechat.quota import SendQuota
from bot.channels.wechat.render import match_option, render_messages
from bot.channels.wechat.replay import ReplayError, ReplayGuard
from bot.channels.wechat.state import SafeState, StateStore
from bot.channels.wechat.state import from_env as state_from_env
from bot.channels.wechat.users import UserMemory
from bot.dialogue import i18n
from bot.dialogue.feedback import HANDOFF_ACTION

logger = logging.getLogger(__name__)

# How long the shared store keeps a user's memory (the customer-service window is the longest part of it)
# and a finished message's outcome (WeChat retries within seconds; the in-process dedup keeps 10 minutes).
USER_STATE_TTL = 48 * 3600.0
OUTCOME_TTL = 600.0
# Pause between a passive reply and the customer-service parts that follow it, so they arrive in order.
FOLLOW_UP_DELAY = 0.5


# OpenIDs are 28 characters of base64url; the pattern leaves room for other account types' ids.
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def conversation_id(openid: str) -> str:
    """Where a WeChat user's conversation is stored: `wechat:<OpenID>` (see channels/common.py)."""
    return common.conversation_id(WeChatInput.name(), openid)


class Rejected(Exception):
    """A request that is not from WeChat (or not for us); `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    """What every request for one message gets: a passive reply XML (plaintext) or None for "success"."""

    xml: str | None = None


@dataclass
class TurnResult:
    parts: list[str] = field(default_factory=list)
    language: str | None = None
    transfer: bool = False


class WeChatInput(InputChannel):
    """WeChat Official Account channel; configuration from WECHAT_* environment variables."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Secrets stay in the environment, never in credentials.yml.
        return cls(WeChatConfig.from_env())

    def __init__(self, config: WeChatConfig, state: StateStore | None = None) -> None:
        self.config = config
        self._state = state
        self.crypto = (
            MessageCrypto(config.token, config.appid, config.aes_keys) if config.aes_keys else None
        )
        self.replay = ReplayGuard()
        self.dedup: Deduplicator[Outcome] = Deduplicator()
        self.memory = UserMemory()
        self.quota = SendQuota()
        self.customer_service = CustomerService(self.quota)
        self.limiter = common.RateLimiter()
        self._api: wechat_api.WeChatApi | None = None

    # ----------------------------------------------------------------------------------- plumbing

    @property
    def state(self) -> SafeState:
        """The shared store of per-user memory and finished outcomes (Redis or var/wechat_state.db)."""
        if not isinstance(self._state, SafeState):
            self._state = SafeState(self._state or state_from_env())
        return self._state

    async def restore(self, user: str) -> None:
        """Load the user's memory and window from the shared store (another replica, or before a restart,
        may have written them)."""
        data = await self.state.get("user:" + user)
        if isinstance(data, dict):
            self.memory.load(user, data.get("memory"))
            self.quota.load(user, data.get("quota"))

    async def persist(self, user: str) -> None:
        memory, quota = self.memory.export(user), self.quota.export(user)
        if memory is None and quota is None:
            return
        await self.state.set("user:" + user, {"memory": memory, "quota": quota}, USER_STATE_TTL)

    @property
    def api(self) -> wechat_api.WeChatApi:
        if self._api is None:
            self._api = wechat_api.WeChatApi(
                self.config.api_base, self.config.appid, self.config.secret
            )
        return self._api

    # ---------------------------------------------------------------------- request authentication

    def authenticate(
        self, args: Mapping[str, Any], body: bytes
    ) -> tuple[dict[str, str], int | None]:
        """The message fields of a genuine, fresh request and the AES key index (None: plaintext).

        Raises Rejected: 403 for anything not from WeChat (signatures, replay, appid, padding),
        400 for a body that is not a plain WeChat XML document.
        """
        timestamp, nonce = args.get("timestamp") or "", args.get("nonce") or ""
        if not check_signature(args.get("signature"), self.config.token, timestamp, nonce):
            raise Rejected(403, "bad signature")
        encrypted = (args.get("encrypt_type") or "raw").lower() == "aes"
        if not encrypted and self.config.encrypted_only:
            raise Rejected(403, "plaintext messages are not accepted (WECHAT_ENCRYPTED_ONLY)")
        try:
            # Plain mode: the signature does not cover the body, so bind (timestamp, nonce) to this body.
            self.replay.check(
                timestamp, nonce, None if encrypted else hashlib.sha256(body).digest()
            )
        except ReplayError as exc:
            raise Rejected(403, str(exc)) from None
        try:
            outer = xmlcodec.parse(body)
        except xmlcodec.XmlError as exc:
            raise Rejected(400, str(exc)) from None
        if not encrypted:
            return outer, None
        if self.crypto is None:
            raise Rejected(403, "encrypted message but WECHAT_AES_KEY is not set")
        try:
            opened = self.crypto.verify_and_decrypt(
                args.get("msg_signature"), timestamp, nonce, outer.get("Encrypt", "")
            )
            return xmlcodec.parse(opened.message), opened.key_index
        except CryptoError as exc:
            raise Rejected(403, str(exc)) from None
        except xmlcodec.XmlError as exc:
            raise Rejected(400, f"decrypted body: {exc}") from None

    def verify_url(self, args: Mapping[str, Any]) -> str:
        """The echostr to return for WeChat's server-URL check (GET); raises Rejected otherwise."""
        timestamp, nonce = args.get("timestamp") or "", args.get("nonce") or ""
        echostr = args.get("echostr") or ""
        try:
            self.replay.check_timestamp(timestamp)
        except ReplayError as exc:
            raise Rejected(403, str(exc)) from None
        if args.get("msg_signature") and self.crypto is not None:
            # Encrypted echostr (Tencent's samples); Official Accounts normally send it in plain, so a
            # failure here falls through to the plain check.
            try:
                opened = self.crypto.verify_and_decrypt(
                    args.get("msg_signature"), timestamp, nonce, echostr
                )
                return opened.message.decode("utf-8")
            except (CryptoError, UnicodeDecodeError):
                pass
        if echostr and check_signature(args.get("signature"), self.config.token, timestamp, nonce):
            return echostr
        raise Rejected(403, "bad signature")

    def reply_body(self, outcome: Outcome, key_index: int | None, nonce: str) -> tuple[str, str]:
        """(body, content type) of the HTTP answer: "success", the reply XML, or its encrypted envelope."""
        if outcome.xml is None:
            return "success", "text/plain"
        if key_index is None or self.crypto is None:
            return outcome.xml, "application/xml"
        timestamp = str(int(time.time()))
        nonce = nonce if nonce.isalnum() and len(nonce) <= 32 else str(secrets.randbelow(10**9))
        encrypted = self.crypto.encrypt(outcome.xml, key_index)
        signature = self.crypto.msg_signature(timestamp, nonce, encrypted)
        return xmlcodec.encrypted_envelope(
            encrypted, signature, timestamp, nonce
        ), "application/xml"

    # --------------------------------------------------------------------------------- the routes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_api(app: Any, loop: Any) -> None:
            if self._api is not None:
                await self._api.close()
            if self._state is not None:
                await self.state.close()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                return response.text(self.verify_url(request.args))
            except Rejected as exc:
                logger.warning("WeChat URL verification refused: %s", exc.reason)
                return response.text("forbidden", status=exc.status)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            body = await self._read_body(request)
            if body is None:
                return response.text("body too large", status=413)
            try:
                fields, key_index = self.authenticate(request.args, body)
            except Rejected as exc:
                logger.warning("WeChat request refused (%d): %s", exc.status, exc.reason)
                return response.text(
                    "forbidden" if exc.status == 403 else "bad request", status=exc.status
                )
            except (
                Exception
            ):  # anything unforeseen in reading the request: the sender's 400, never a 500
                logger.exception("WeChat request could not be read")
                return response.text("bad request", status=400)
            user = fields.get("FromUserName", "")
            if not OPENID.fullmatch(user):
                logger.warning("WeChat request refused (400): FromUserName is not an OpenID")
                return response.text("bad request", status=400)
            agent = getattr(request.app.ctx, "agent", None)
            key = inbound.dedup_key(fields)
            outcome = await self._finished(key)
            if outcome is None:
                try:
                    outcome = await self.dedup.outcome(
                        key, user, lambda: self._handle(fields, key, on_new_message, agent, started)
                    )
                except Exception:
                    logger.exception("WeChat message of user %s failed", user_ref(user))
                    outcome = Outcome()
                else:
                    await self.state.set("done:" + key, {"xml": outcome.xml}, OUTCOME_TTL)
            body_text, content_type = self.reply_body(
                outcome, key_index, request.args.get("nonce") or ""
            )
            return response.text(body_text, content_type=content_type)

        return webhook

    async def _finished(self, key: str) -> Outcome | None:
        """The outcome of a message finished earlier (by this process before a restart, or by another
        replica), so a late retry is answered the same way instead of running the turn again."""
        if key in self.dedup:
            return None  # this process has it (finished or in flight): the deduplicator answers
        stored = await self.state.get("done:" + key)
        if isinstance(stored, dict):
            logger.info("WeChat retry of a message finished earlier: same answer again")
            xml = stored.get("xml")
            return Outcome(xml if isinstance(xml, str) else None)
        return None

    @staticmethod
    async def _read_body(request: Request) -> bytes | None:
        """The request body, or None as soon as it exceeds the cap (never buffering more)."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > xmlcodec.MAX_BODY_BYTES:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await request.stream.read() if request.stream else None
            if chunk is None:
                break
            size += len(chunk)
            if size > xmlcodec.MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    # ------------------------------------------------------------------------------ one message

    async def _handle(
        self,
        fields: dict[str, str],
        key: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
        started: float,
    ) -> Outcome:
        """Carry out one message (runs once per dedup key) and decide the outcome all its retries get."""
        user = fields["FromUserName"]
        await self.restore(user)
        try:
            return await self._decide(fields, key, on_new_message, agent, started)
        finally:
            await self.persist(user)

    async def _decide(
        self,
        fields: dict[str, str],
        key: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
        started: float,
    ) -> Outcome:
        user, account = fields["FromUserName"], fields.get("ToUserName", "")
        decision = inbound.interpret(fields)
        if fields.get("MsgType", "").lower() != "event":
            self.quota.grant(user)  # a user message opens the 48-hour window
        if isinstance(decision, inbound.Nothing):
            return Outcome()
        if isinstance(decision, inbound.Remember):
            if decision.location:
                self.memory.set_location(user, *decision.location)
            if decision.language:
                self.memory.set_language(user, decision.language)
            return Outcome()
        if isinstance(decision, inbound.Purge):
            await self.purge_user(user, agent, keep_key=key)
            return Outcome()
        if isinstance(decision, inbound.Say):
            lang = await self._language(agent, user)
            return Outcome(xmlcodec.text_reply(user, account, texts.text(decision.key, lang)))

        self.quota.grant(user, decision.window)
        text, metadata = self._prepare(user, decision)
        if len(text) > MAX_MESSAGE_CHARS:
            lang = await self._language(agent, user)
            reply = common.too_long_reply(text, lang or "en")
            return Outcome(xmlcodec.text_reply(user, account, reply))
        if not self.limiter.allow(conversation_id(user)):
            logger.warning("WeChat user %s is over the rate limit", user_ref(user))
            lang = await self._language(agent, user) or common.reply_language(text)
            return Outcome(xmlcodec.text_reply(user, account, common.rate_limited_reply(lang)))
        turn = asyncio.ensure_future(
            self._run_turn(user, text, metadata, fields.get("MsgId"), on_new_message, agent)
        )
        budget = self.config.passive_budget - (time.monotonic() - started)
        try:
            result = await asyncio.wait_for(asyncio.shield(turn), timeout=max(budget, 0.0))
        except asyncio.TimeoutError:
            logger.info(
                "WeChat turn of user %s exceeds the passive budget; answering through the API",
                user_ref(user),
            )
            self.customer_service.spawn(self._deliver_late(user, turn))
            return Outcome()
        if result.transfer:
            return Outcome(xmlcodec.transfer_reply(user, account))
        if not result.parts:
            return Outcome()
        if len(result.parts) > 1:
            self.customer_service.spawn(
                self.customer_service.deliver(
                    self.api, user, result.parts[1:], result.language, delay=FOLLOW_UP_DELAY
                )
            )
        return Outcome(xmlcodec.text_reply(user, account, result.parts[0]))

    def _prepare(self, user: str, decision: inbound.Ask) -> tuple[str, dict[str, Any]]:
        """The text for Rasa (a chosen option becomes its payload) and the metadata (location, language)."""
        text, metadata = decision.text, dict(decision.metadata)
        if decision.typed:
            option = match_option(text, self.memory.options(user))
            if option is not None:
                text = option.payload
        location = metadata.get("location")
        if location:
            self.memory.set_location(user, location["lat"], location["lon"])
        else:
            remembered = self.memory.location(user)
            if remembered:
                metadata["location"] = {"lat": remembered[0], "lon": remembered[1]}
        hint = self.memory.language(user)
        if hint and "language" not in metadata:
            metadata["language"] = hint
        metadata["channel"] = "wechat"
        return text, metadata

    async def _run_turn(
        self,
        user: str,
        text: str,
        metadata: dict[str, Any],
        msg_id: str | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
    ) -> TurnResult:
        collector = common.CardCollectingOutputChannel()
        failed = False
        try:
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    conversation_id(user),
                    input_channel=self.name(),
                    message_id=msg_id,
                    metadata=metadata,
                )
            )
        except Exception:
            failed = True
            logger.exception("Rasa turn of WeChat user %s failed", user_ref(user))
        lang, handoff = await self._after_turn(agent, user)
        rendered = render_messages(
            collector.messages, texts.text("choose_option", lang), i18n.t("rate_ask", lang or "en")
        )
        self.memory.set_options(user, rendered.options)
        parts = rendered.parts()
        if failed and not parts:
            parts = [texts.text("error", lang)]
        return TurnResult(parts, lang, transfer=handoff and self.config.human_handoff)

    async def _after_turn(self, agent: Any, user: str) -> tuple[str | None, bool]:
        """The conversation's language and whether this turn handed over to a human."""
        tracker = await self._tracker(agent, user)
        if tracker is None:
            return self.memory.language(user), False
        handoff = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                break
            if isinstance(event, ActionExecuted) and event.action_name == HANDOFF_ACTION:
                handoff = True
        return tracker.get_slot("language") or self.memory.language(user), handoff

    @staticmethod
    async def _tracker(agent: Any, user: str) -> Any:
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return None
        try:
            return await store.retrieve(conversation_id(user))
        except Exception:
            logger.exception("could not read the conversation of WeChat user %s", user_ref(user))
            return None

    async def _language(self, agent: Any, user: str) -> str | None:
        tracker = await self._tracker(agent, user)
        lang = tracker.get_slot("language") if tracker is not None else None
        return lang or self.memory.language(user)

    # ------------------------------------------------------------------------------ unsubscribe

    async def purge_user(self, user: str, agent: Any, keep_key: str | None = None) -> None:
        """Delete everything stored about a user who unfollowed: the conversation in the tracker store
        and this channel's memory of them (options, location, language hint, window, finished retries)."""
        self.memory.forget(user)
        self.quota.forget(user)
        self.dedup.forget_owner(user, keep=keep_key)
        await self.state.delete("user:" + user)
        await purge_conversation(agent, conversation_id(user))

    async def _deliver_late(self, user: str, turn: asyncio.Future[TurnResult]) -> None:
        try:
            result = await turn
        except Exception:
            logger.exception("late WeChat turn of user %s failed", user_ref(user))
            return
        await self.customer_service.deliver(self.api, user, result.parts, result.language)
        await self.persist(user)
