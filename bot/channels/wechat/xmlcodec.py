"""Inbound XML parsing without DTDs or entities, and reply XML that no content can break.

Parsing goes through defusedxml with DTDs forbidden outright: WeChat never sends a DOCTYPE, so any
document with one (XXE, billion laughs) is an attack and is rejected before expat expands anything.
"""

from __future__ import annotations

import re
import time
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

# WeChat's messages are a few KB (compatible mode triples them); anything near this is not WeChat.
MAX_BODY_BYTES = 64 * 1024
_FORBIDDEN = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Characters XML 1.0 does not allow, even inside CDATA.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class XmlError(ValueError):
    """A body that is not a small, plain WeChat XML document."""


def parse(body: bytes) -> dict[str, str]:
    """The top-level fields of a WeChat `<xml>` document as {tag: text}."""
    if len(body) > MAX_BODY_BYTES:
        raise XmlError("body too large")
    if _FORBIDDEN.search(body):
        raise XmlError("DOCTYPE and ENTITY declarations are not accepted")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise XmlError(f"not well-formed XML ({type(exc).__name__})") from exc
    if root.tag != "xml":
        raise XmlError("the root element must be <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str) and child.tag not in fields:
            fields[child.tag] = (child.text or "").strip()
    return fields


def xml_safe(text: str) -> str:
    """Drop the characters XML cannot carry."""
    return _XML_ILLEGAL.sub("", text)


def cdata(value: str) -> str:
    """A CDATA section holding `value` verbatim; a `]]>` inside is split across two sections."""
    return "<![CDATA[" + xml_safe(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _now() -> int:
    return int(time.time())


def text_reply(to_user: str, from_user: str, content: str, create_time: int | None = None) -> str:
    """Passive text reply (To/From swapped relative to the request)."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time or _now()}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def transfer_reply(to_user: str, from_user: str, create_time: int | None = None) -> str:
    """Passive reply handing the conversation to the account's human customer service."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time or _now()}</CreateTime>"
        "<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>"
    )


def encrypted_envelope(encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode reply: the encrypted reply XML with its own signature, timestamp and nonce."""
    return (
        f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(msg_signature)}</MsgSignature>"
        f"<TimeStamp>{int(timestamp)}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )
