"""Import path of the defaults and the stored-message prefix, kept from 6.0.0.

The Lua sources are the files the Redis adapter runs (read-only; they are not the
scripts of 6.0.0, whose bookkeeping differs).
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from redis_message_queue.adapters.redis.script_library import script_source
from redis_message_queue.core.envelope import ENVELOPE_PREFIX
from redis_message_queue.core.keys import DEFAULT_KEY_SEPARATOR
from redis_message_queue.core.retry import (
    DEFAULT_RETRY_BUDGET_SECONDS,
    DEFAULT_RETRY_INITIAL_DELAY_SECONDS,
    DEFAULT_RETRY_MAX_DELAY_SECONDS,
)
from redis_message_queue.core.settings import (
    DEFAULT_BLOCK_TIMEOUT_SECONDS,
    DEFAULT_DEDUPLICATION_TTL_SECONDS,
    DEFAULT_HISTORY_LENGTH,
    DEFAULT_MAX_DELIVERY_COUNT,
    DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    DEFAULT_WAIT_SECONDS,
    OverloadPolicy,
)

__all__ = [
    "DEFAULT_KEY_SEPARATOR",
    "DEFAULT_MAX_COMPLETED_LENGTH",
    "DEFAULT_MAX_DELIVERY_COUNT",
    "DEFAULT_MAX_FAILED_LENGTH",
    "DEFAULT_MESSAGE_DEDUPLICATION_LOG_TTL_SECONDS",
    "DEFAULT_MESSAGE_WAIT_INTERVAL_SECONDS",
    "DEFAULT_PENDING_OVERLOAD_BLOCK_TIMEOUT_SECONDS",
    "DEFAULT_PENDING_OVERLOAD_POLICY",
    "DEFAULT_RETRY_BUDGET_SECONDS",
    "DEFAULT_RETRY_INITIAL_DELAY_SECONDS",
    "DEFAULT_RETRY_MAX_DELAY_SECONDS",
    "DEFAULT_VISIBILITY_TIMEOUT_SECONDS",
    "LUA_SCRIPTS",
    "PENDING_OVERLOAD_POLICIES",
    "STORED_MESSAGE_PREFIX",
]

DEFAULT_MAX_COMPLETED_LENGTH = DEFAULT_HISTORY_LENGTH
DEFAULT_MAX_FAILED_LENGTH = DEFAULT_HISTORY_LENGTH
DEFAULT_MESSAGE_DEDUPLICATION_LOG_TTL_SECONDS = DEFAULT_DEDUPLICATION_TTL_SECONDS
DEFAULT_MESSAGE_WAIT_INTERVAL_SECONDS = DEFAULT_WAIT_SECONDS
DEFAULT_PENDING_OVERLOAD_POLICY = OverloadPolicy.RAISE.value
DEFAULT_PENDING_OVERLOAD_BLOCK_TIMEOUT_SECONDS = DEFAULT_BLOCK_TIMEOUT_SECONDS
PENDING_OVERLOAD_POLICIES = tuple(policy.value for policy in OverloadPolicy)
STORED_MESSAGE_PREFIX = ENVELOPE_PREFIX

LUA_SCRIPTS: Mapping[str, str] = types.MappingProxyType(
    {name: script_source(name) for name in ("publish", "claim", "settle", "renew")}
)
"""The Lua source of each server-side operation, by name (read-only)."""
