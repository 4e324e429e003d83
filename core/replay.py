"""What lets a repeated call find the result of an earlier one whose reply was lost.

A call can run on the server and lose its reply when the connection drops. The
caller cannot tell, so it repeats the call with the same arguments, and each
operation leaves a trace from which the repeat reads the first run's result:

- a claim derives its lease tokens from a claim id chosen once per claim, so a
  repeat finds the messages the first run took under those tokens;
- a publication's dedup marker holds the publication's envelope id, so a repeat
  whose marker is already set by that very id knows it was enqueued;
- a settle that succeeds leaves a short-lived record under its lease token
  (``QueueKeyManager.settled``), so a repeat that finds the token gone can tell
  "settled by me" from "taken back after the lease expired".
"""

from __future__ import annotations

import uuid

from redis_message_queue.core.envelope import MessageData, decode

_LONGEST_MARKER_VALUE = 64
"""Markers stay small: an envelope id is 32 hex digits; longer ids are not kept."""


def new_claim_id() -> str:
    """A fresh claim id: 32 random hex digits."""
    return uuid.uuid4().hex


def lease_tokens(claim_id: str, count: int) -> tuple[str, ...]:
    """The lease tokens a claim with ``claim_id`` hands out, in delivery order.

    Token ``i`` is ``f"{claim_id}:{i}"``: unique as long as claim ids are, and
    known before the claim runs.
    """
    return tuple(f"{claim_id}:{index}" for index in range(count))


def marker_value(stored: MessageData) -> str:
    """What a publication's dedup marker holds: its envelope id.

    A value that is not our envelope (or whose id is unusually long) gets an
    empty marker, which no repeat can claim as its own: such a publication is
    reported as a duplicate when repeated.
    """
    message_id = decode(stored).message_id
    if message_id is None or len(message_id) > _LONGEST_MARKER_VALUE:
        return ""
    return message_id
