"""Graceful interruption: let consumers finish the current message, then stop."""

from redis_message_queue.interrupt_handler._implementation import (
    EventDrivenInterruptHandler,
    GracefulInterruptHandler,
)
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)

__all__ = [
    "BaseGracefulInterruptHandler",
    "EventDrivenInterruptHandler",
    "GracefulInterruptHandler",
]
