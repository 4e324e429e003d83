"""Small checks shared by every configuration object.

Wrong types raise ``TypeError``; wrong values raise :class:`ConfigurationError`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

from redis_message_queue.core.errors import ConfigurationError


def require_bool(name: str, value: object) -> bool:
    """Accept only a real ``bool`` (ints such as 1 are refused)."""
    if not isinstance(value, bool):
        raise TypeError(f"'{name}' must be a bool, got {type(value).__name__}")
    return value


def require_int(name: str, value: object) -> int:
    """Accept only a real ``int`` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'{name}' must be an int, got {type(value).__name__}")
    return value


def optional_positive_int(name: str, value: object) -> int | None:
    """Accept ``None`` or an int greater than zero."""
    if value is None:
        return None
    number = require_int(name, value)
    if number <= 0:
        raise ConfigurationError(f"'{name}' must be greater than 0, got {number}")
    return number


def positive_int(name: str, value: object) -> int:
    """Accept an int greater than zero."""
    number = optional_positive_int(name, value)
    if number is None:
        raise TypeError(f"'{name}' must be an int, got None")
    return number


def finite_number(name: str, value: object, *, minimum: float = 0.0) -> float:
    """Accept a finite int or float (not bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"'{name}' must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ConfigurationError(f"'{name}' must be finite, got {value!r}")
    if value < minimum:
        raise ConfigurationError(f"'{name}' must be >= {minimum}, got {value!r}")
    return float(value)


def positive_number(name: str, value: object) -> float:
    """Accept a finite int or float (not bool) greater than zero."""
    number = finite_number(name, value)
    if number <= 0:
        raise ConfigurationError(f"'{name}' must be greater than 0, got {value!r}")
    return number


def text_without_control_characters(name: str, value: object) -> str:
    """Accept a non-blank str with no control characters (they corrupt logs)."""
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ConfigurationError(f"'{name}' must not be empty or whitespace-only")
    if "\x00" in value:
        raise ConfigurationError(f"'{name}' must not contain NUL characters")
    if any(_is_control(character) for character in value):
        raise ConfigurationError(
            f"'{name}' must not contain control characters, got {value!r}"
        )
    return value


def optional_callable(
    name: str, value: object, *, asynchronous: bool, async_required: bool = False
) -> Callable[..., object] | None:
    """Accept ``None`` or a callable that suits the queue's flavour.

    A sync queue refuses coroutine functions: it could never await them. With
    ``async_required``, the asyncio queue accepts only coroutine functions.
    """
    if value is None:
        return None
    if not callable(value):
        raise TypeError(f"'{name}' must be callable, got {type(value).__name__}")
    if not asynchronous and is_async_callable(value):
        raise TypeError(f"'{name}' must be a regular function on the sync queue")
    if asynchronous and async_required and not is_async_callable(value):
        raise TypeError(f"'{name}' must be an async function on the asyncio queue")
    return value


def is_async_callable(value: object) -> bool:
    """Whether calling ``value`` returns a coroutine (functions or callables)."""
    if inspect.iscoroutinefunction(value):
        return True
    call = getattr(value, "__call__", None)  # noqa: B004 - callable objects count too
    return inspect.iscoroutinefunction(call)


def _is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code < 0xA0
