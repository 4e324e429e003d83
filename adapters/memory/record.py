"""One stored element and the lifecycle state it is in."""

from __future__ import annotations

import attrs

from redis_message_queue.core.lifecycle import Move, State, apply_move


@attrs.define(eq=False)
class MessageRecord:
    """An element of a queue, tracked through the lifecycle table.

    Records compare by identity: two publishes of equal foreign values are two
    elements, as they are in a Redis list.

    Attributes:
        value: The element exactly as stored (UTF-8 for our envelopes).
        state: Where the element is now; only :meth:`move` changes it.
    """

    value: bytes
    state: State = State.PENDING

    def move(self, move: Move) -> None:
        """Apply ``move`` to the record's state.

        Raises:
            LifecycleError: The move is not legal in the current state; the state
                is left as it was.
        """
        self.state = apply_move(self.state, move)
