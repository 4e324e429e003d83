"""Turning what a producer publishes into the text that is stored and delivered.

A ``str`` is published as is. A ``dict`` becomes canonical JSON: keys sorted, the
default separators, ASCII escaping, and no NaN or infinities. That text is what the
consumer receives and what the default deduplication key hashes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from redis_message_queue.core.errors import PayloadTooDeepError, PayloadTooLargeError

PublishableMessage = str | dict[str, object]


def serialize(message: object) -> str:
    """Return the payload text for a published message.

    Raises:
        TypeError: The message is neither str nor dict, or a top-level dict key is
            not a str.
        ValueError: The dict holds NaN or an infinity, or the text holds a lone
            surrogate (it cannot be encoded as UTF-8).
    """
    if isinstance(message, str):
        _require_encodable(message)
        return message
    if isinstance(message, dict):
        _require_string_keys(message)
        try:
            text = json.dumps(message, sort_keys=True, allow_nan=False)
        except ValueError as exc:
            raise ValueError(
                f"dict message cannot be published as JSON: {exc} (NaN and "
                "infinities are not JSON)"
            ) from exc
        _require_encodable_strings(message)
        return text
    raise TypeError(f"message must be a str or dict, got {type(message).__name__}")


def check_limits(
    message: object, text: str, *, max_bytes: int | None, max_depth: int | None
) -> None:
    """Refuse a payload over the configured size or nesting limits, before any I/O.

    Raises:
        PayloadTooLargeError: The UTF-8 text is longer than ``max_bytes``.
        PayloadTooDeepError: The dict nests deeper than ``max_depth``.
    """
    if max_bytes is not None:
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise PayloadTooLargeError(
                f"payload is {size} bytes, over max_payload_bytes={max_bytes}",
                operation="publish",
            )
    if max_depth is not None and isinstance(message, dict):
        depth = _nesting_depth(message)
        if depth > max_depth:
            raise PayloadTooDeepError(
                f"payload nests {depth} levels, over max_payload_depth={max_depth}",
                operation="publish",
            )


def _require_string_keys(message: Mapping[object, object]) -> None:
    offending = [key for key in message if not isinstance(key, str)]
    if offending:
        shown = ", ".join(repr(key) for key in offending[:3])
        raise TypeError(f"dict message keys must be str; offending keys: {shown}")


def _require_encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"message text holds a lone surrogate at index {exc.start}; "
            "it cannot be stored as UTF-8"
        ) from exc


def _require_encodable_strings(value: object) -> None:
    # The JSON text escapes a lone surrogate, so only the decoded strings show it.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _require_encodable(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _nesting_depth(value: object) -> int:
    # Iterative so that a hostile payload cannot exhaust the Python stack here.
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest
