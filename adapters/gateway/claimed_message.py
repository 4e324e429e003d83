"""What a lease-giving gateway returns for a claimed message."""

from __future__ import annotations

import dataclasses

from redis_message_queue.core.envelope import MessageData


@dataclasses.dataclass(frozen=True)
class ClaimedMessage:
    """A message a gateway moved to ``processing``, with the lease that holds it.

    Attributes:
        stored_message: The element exactly as stored, envelope included; it is the
            handle for settling and renewing.
        lease_token: The token of the lease; settling or renewing with it fails
            once another consumer has taken the message back.

    Raises:
        TypeError: ``lease_token`` is not a str or ``stored_message`` is neither
            str nor bytes.
        ValueError: ``lease_token`` is empty.
    """

    stored_message: MessageData
    lease_token: str

    def __post_init__(self) -> None:
        """Check the field types (dataclasses do not)."""
        if not isinstance(self.lease_token, str):
            raise TypeError(
                "ClaimedMessage.lease_token must be a str, got "
                f"{type(self.lease_token).__name__}"
            )
        if not self.lease_token:
            raise ValueError("ClaimedMessage.lease_token must not be empty")
        if not isinstance(self.stored_message, str | bytes):
            raise TypeError(
                "ClaimedMessage.stored_message must be str or bytes, got "
                f"{type(self.stored_message).__name__}"
            )
