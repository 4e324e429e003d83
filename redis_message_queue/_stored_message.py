"""Import path of the stored-message helpers, kept from 6.0.0.

A stored message is ``"\\x1eRMQ1:"`` followed by compact JSON
``{"id": <hex id>, "payload": <text>}``; see ``core/envelope.py``.
"""

from __future__ import annotations

from redis_message_queue.adapters.gateway.claimed_message import ClaimedMessage
from redis_message_queue.core import envelope
from redis_message_queue.core.envelope import MessageData

__all__ = [
    "ClaimedMessage",
    "MessageData",
    "decode_stored_message",
    "encode_stored_message",
]


def encode_stored_message(payload: str, message_id: str | None = None) -> str:
    """Wrap ``payload`` in the envelope that ``pending`` stores.

    Args:
        payload: The text a consumer will receive.
        message_id: The envelope id; a fresh random one when omitted.

    Returns:
        The stored form.
    """
    return envelope.encode(payload, message_id)


def decode_stored_message(stored: MessageData) -> MessageData:
    """The payload inside a stored message, of the same type (str or bytes).

    A value that is not an envelope (pushed by another program) comes back as is.
    """
    return envelope.decode(stored).payload
