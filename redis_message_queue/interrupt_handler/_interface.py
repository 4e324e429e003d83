"""The interface the queue asks whether it should stop waiting and retrying."""

from __future__ import annotations

import abc


class BaseGracefulInterruptHandler(abc.ABC):
    """Anything that can tell the queue to stop: subclass and implement one method.

    The queue checks it before each claim poll and stops retrying a failed server
    call once it answers True.
    """

    @abc.abstractmethod
    def is_interrupted(self) -> bool:
        """Whether a stop was requested."""


def require_interrupt_handler(
    value: object, name: str = "interrupt"
) -> BaseGracefulInterruptHandler | None:
    """Accept ``None`` or a :class:`BaseGracefulInterruptHandler`.

    Raises:
        TypeError: ``value`` is something else.
    """
    if value is None or isinstance(value, BaseGracefulInterruptHandler):
        return value
    raise TypeError(
        f"'{name}' must be a BaseGracefulInterruptHandler or None, got "
        f"{type(value).__name__}"
    )
