"""The stored form of a message: a marked JSON envelope around the payload.

A published payload is stored in ``pending`` as ``ENVELOPE_PREFIX`` followed by compact
JSON ``{"id": <hex id>, "payload": <text>}``. The id makes every publish a distinct
element, so equal payloads never collide in a list. Values without the prefix were put
there by another program; they are delivered unchanged and identified by their bytes.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TypeAlias

import attrs

ENVELOPE_PREFIX = "\x1eRMQ1:"
_PREFIX_BYTES = ENVELOPE_PREFIX.encode("ascii")
_ID_PREFIX = re.compile(re.escape(ENVELOPE_PREFIX) + r'\{"id":"([^"]+)"')
_ID_PREFIX_BYTES = re.compile(re.escape(_PREFIX_BYTES) + rb'\{"id":"([^"]+)"')

MessageData: TypeAlias = str | bytes
"""A stored element as the client returns it: bytes, or str if the client decodes."""


@attrs.frozen
class Envelope:
    """A decoded stored message.

    Attributes:
        message_id: The envelope id, or ``None`` for a foreign value.
        payload: What the producer published, as the client type (str or bytes).
    """

    message_id: str | None
    payload: MessageData


def new_message_id() -> str:
    """Return a fresh envelope id (a random UUID as 32 hex digits)."""
    return uuid.uuid4().hex


def encode(payload: str, message_id: str | None = None) -> str:
    """Wrap ``payload`` in an envelope with ``message_id`` (a fresh one if omitted)."""
    body = {"id": message_id or new_message_id(), "payload": payload}
    return ENVELOPE_PREFIX + json.dumps(body, separators=(",", ":"))


def decode(stored: MessageData) -> Envelope:
    """Unwrap a stored element; a value that is not our envelope comes back as is.

    The payload keeps the type of ``stored``: bytes in, bytes out.
    """
    text = _envelope_text(stored)
    if text is None:
        return Envelope(message_id=None, payload=stored)

    body = _parse_body(text)
    if body is None:
        return Envelope(message_id=None, payload=stored)

    message_id, payload = body
    if isinstance(stored, bytes):
        return Envelope(message_id=message_id, payload=payload.encode("utf-8"))
    return Envelope(message_id=message_id, payload=payload)


def delivery_field(stored: MessageData) -> str | bytes:
    """The field under which a stored element's delivery count is kept.

    The id at the start of an envelope (``\x1eRMQ1:{"id":"<id>"``); the whole value
    otherwise. Server-side scripts apply this same prefix rule, so both sides agree
    even on a malformed value that merely starts like an envelope.
    """
    if isinstance(stored, bytes):
        match = _ID_PREFIX_BYTES.match(stored)
        return match.group(1).decode("ascii") if match else stored
    text_match = _ID_PREFIX.match(stored)
    return text_match.group(1) if text_match else stored


def _envelope_text(stored: MessageData) -> str | None:
    if isinstance(stored, bytes):
        if not stored.startswith(_PREFIX_BYTES):
            return None
        # Python writes ASCII-escaped JSON; a server-side script may write UTF-8.
        try:
            return stored[len(_PREFIX_BYTES) :].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not stored.startswith(ENVELOPE_PREFIX):
        return None
    return stored[len(ENVELOPE_PREFIX) :]


def _parse_body(text: str) -> tuple[str, str] | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None

    message_id = body.get("id")
    payload = body.get("payload")
    if not isinstance(message_id, str) or not isinstance(payload, str):
        return None
    return message_id, payload
