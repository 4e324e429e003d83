"""The message lifecycle as a table of states and legal moves.

A message is published into ``PENDING``. A claim moves it to ``PROCESSING`` under a
lease, or, once it has used up its deliveries, to ``DEAD_LETTER``. From
``PROCESSING`` it is acknowledged (``COMPLETED``), failed by its handler (``FAILED``),
or it comes back to ``PENDING`` when its lease expires. Dead letters can be redriven
back to ``PENDING``. A full queue with the ``drop_oldest`` policy drops pending
messages (``DROPPED``), and so does purging ``pending``. A claim whose consumer
never got the message (its reply was lost) is released back to ``PENDING``. Whether
a completed or failed message is kept in a history list or not is a storage choice;
the state is the same.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from redis_message_queue.core.errors import LifecycleError


class State(enum.Enum):
    """Where a message is."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    DEAD_LETTER = "dead_letter"
    DROPPED = "dropped"


class Move(enum.Enum):
    """What can happen to a message."""

    CLAIM = "claim"
    RENEW = "renew"
    ACK = "ack"
    NACK = "nack"
    EXPIRE = "expire"
    DEAD_LETTER = "dead_letter"
    REDRIVE = "redrive"
    DROP = "drop"
    RELEASE = "release"


TRANSITIONS: MappingProxyType[tuple[State, Move], State] = MappingProxyType(
    {
        (State.PENDING, Move.CLAIM): State.PROCESSING,
        (State.PENDING, Move.DEAD_LETTER): State.DEAD_LETTER,
        (State.PENDING, Move.DROP): State.DROPPED,
        (State.PROCESSING, Move.RENEW): State.PROCESSING,
        (State.PROCESSING, Move.ACK): State.COMPLETED,
        (State.PROCESSING, Move.NACK): State.FAILED,
        (State.PROCESSING, Move.EXPIRE): State.PENDING,
        (State.PROCESSING, Move.RELEASE): State.PENDING,
        (State.DEAD_LETTER, Move.REDRIVE): State.PENDING,
    }
)
"""Every legal move: (state before, move) -> state after."""

TERMINAL_STATES = frozenset({State.COMPLETED, State.FAILED, State.DROPPED})


def apply_move(state: State, move: Move) -> State:
    """Return the state a message reaches when ``move`` happens in ``state``.

    Raises:
        LifecycleError: The move is not legal in that state.
    """
    try:
        return TRANSITIONS[state, move]
    except KeyError:
        detail = f"{move.value!r} is not allowed for a message in {state.value!r}"
        raise LifecycleError(detail, operation=move.value) from None


def mermaid_diagram() -> str:
    """Draw the transition table as a Mermaid state diagram for the docs."""
    lines = ["stateDiagram-v2", "    [*] --> pending: publish"]
    for (before, move), after in TRANSITIONS.items():
        lines.append(f"    {before.value} --> {after.value}: {move.value}")
    lines.extend(
        f"    {state.value} --> [*]"
        for state in sorted(TERMINAL_STATES, key=lambda s: s.value)
    )
    return "\n".join(lines)
