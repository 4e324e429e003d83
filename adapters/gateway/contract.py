"""The checks a queue makes on what a user's gateway returns.

A gateway is user code: a wrong return type would otherwise surface far from its
cause, so each result is checked where it arrives and refused with
:class:`GatewayContractError`, naming the method and what it returned.
"""

from __future__ import annotations

from redis_message_queue.adapters.gateway.claimed_message import ClaimedMessage
from redis_message_queue.core.errors import GatewayContractError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports.types import Claim

NO_LEASE = ""
"""The lease token of a claim whose gateway gave none (a plain str or bytes)."""

UNKNOWN_DELIVERY_COUNT = 0
"""A gateway does not report delivery counts."""


def require_bool(result: object, method: str, queue: QueueKeyManager) -> bool:
    """Accept a gateway method's result only if it is a bool.

    Raises:
        GatewayContractError: It is not.
    """
    if not isinstance(result, bool):
        raise _contract_error(f"{method}() must return a bool", result, method, queue)
    return result


def require_none(result: object, method: str, queue: QueueKeyManager) -> None:
    """Accept a gateway method's result only if it is None.

    Raises:
        GatewayContractError: It is not.
    """
    if result is not None:
        raise _contract_error(f"{method}() must return None", result, method, queue)


def claim_from_result(
    result: object, *, lease_capable: bool, queue: QueueKeyManager
) -> Claim | None:
    """Turn what ``wait_for_message_and_move()`` returned into a claim.

    Args:
        result: ``None``, a :class:`ClaimedMessage`, or (from a gateway without
            leases) the stored str or bytes.
        lease_capable: Whether the gateway gives leases, so that it must return a
            :class:`ClaimedMessage`.
        queue: The queue's key names, for the error.

    Returns:
        The claim, or None when nothing was claimed.

    Raises:
        GatewayContractError: The result has another type, or a lease-giving
            gateway returned no lease token.
    """
    method = "wait_for_message_and_move"
    if result is None:
        return None
    if isinstance(result, ClaimedMessage):
        return Claim(
            stored=result.stored_message,
            lease_token=result.lease_token,
            delivery_count=UNKNOWN_DELIVERY_COUNT,
        )
    if not isinstance(result, str | bytes):
        raise _contract_error(
            f"{method}() must return a ClaimedMessage, str, bytes or None",
            result,
            method,
            queue,
        )
    if lease_capable:
        raise _contract_error(
            f"{method}() must return a ClaimedMessage: the gateway sets "
            "'message_visibility_timeout_seconds', so every claim needs a lease token",
            result,
            method,
            queue,
        )
    return Claim(
        stored=result, lease_token=NO_LEASE, delivery_count=UNKNOWN_DELIVERY_COUNT
    )


def lease_token_or_none(lease_token: str) -> str | None:
    """The token to hand back to the gateway: None for a claim without a lease."""
    return lease_token or None


def _contract_error(
    detail: str, result: object, method: str, queue: QueueKeyManager
) -> GatewayContractError:
    return GatewayContractError(
        f"{detail}, got {type(result).__name__}: {result!r:.80}",
        queue=queue.queue_name,
        operation=method,
    )
