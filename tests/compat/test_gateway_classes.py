"""The gateway classes of 6.0.0 (rules G4-G7): signatures, defaults, validation."""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any, cast

import pytest
import redis
import redis.asyncio
import redis.sentinel
import valkey.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import ConfigurationError, GracefulInterruptHandler
from redis_message_queue.interrupt_handler import EventDrivenInterruptHandler
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.compat.gateways import AsyncListGateway, ListGateway
from tests.conftest import SERVER_FLAVOURS

PORT = 1  # nothing is sent: construction never talks to the server
EMPTY = inspect.Parameter.empty
POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
KEYWORD = inspect.Parameter.KEYWORD_ONLY

ABSTRACT_METHODS = {
    "publish_message": [
        ("queue", POSITIONAL, EMPTY),
        ("message", POSITIONAL, EMPTY),
        ("dedup_key", POSITIONAL, EMPTY),
    ],
    "add_message": [("queue", POSITIONAL, EMPTY), ("message", POSITIONAL, EMPTY)],
    "move_message": [
        ("from_queue", POSITIONAL, EMPTY),
        ("to_queue", POSITIONAL, EMPTY),
        ("message", POSITIONAL, EMPTY),
        ("lease_token", KEYWORD, None),
    ],
    "remove_message": [
        ("queue", POSITIONAL, EMPTY),
        ("message", POSITIONAL, EMPTY),
        ("lease_token", KEYWORD, None),
    ],
    "renew_message_lease": [
        ("queue", POSITIONAL, EMPTY),
        ("message", POSITIONAL, EMPTY),
        ("lease_token", POSITIONAL, EMPTY),
        ("is_interrupted", KEYWORD, None),
    ],
    "wait_for_message_and_move": [
        ("from_queue", POSITIONAL, EMPTY),
        ("to_queue", POSITIONAL, EMPTY),
    ],
    "trim_queue": [("queue", POSITIONAL, EMPTY), ("max_length", POSITIONAL, EMPTY)],
}

GATEWAY_DEFAULTS = {
    "redis_client": EMPTY,
    "retry_budget_seconds": 120,
    "retry_max_delay_seconds": 5.0,
    "retry_initial_delay_seconds": 0.01,
    "message_deduplication_log_ttl_seconds": None,
    "message_wait_interval_seconds": None,
    "message_visibility_timeout_seconds": None,
    "max_delivery_count": None,
    "dead_letter_queue": None,
    "max_pending_length": None,
    "pending_overload_policy": "raise",
    "pending_overload_block_timeout_seconds": 1.0,
    "interrupt": None,
}

FLAVOURS = [redis_message_queue, redis_message_queue.asyncio]


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(function)
    return [
        (parameter.name, parameter.kind, parameter.default)
        for parameter in signature.parameters.values()
        if parameter.name != "self"
    ]


@pytest.mark.parametrize("package", FLAVOURS)
def test_interface_has_the_seven_abstract_methods_of_6_0_0(package: Any) -> None:
    """G4: exactly seven abstract methods, with 6.0.0's parameters and defaults."""
    interface = package.AbstractRedisGateway

    assert interface.__abstractmethods__ == frozenset(ABSTRACT_METHODS)
    for name, expected in ABSTRACT_METHODS.items():
        assert _parameters(getattr(interface, name)) == expected, name
    with pytest.raises(TypeError):
        interface()


@pytest.mark.parametrize("package", FLAVOURS)
def test_interface_methods_are_async_only_in_the_asyncio_flavour(package: Any) -> None:
    """G4: the asyncio interface's methods are coroutines; the sync ones are not."""
    for name in ABSTRACT_METHODS:
        method = getattr(package.AbstractRedisGateway, name)
        expected = package is redis_message_queue.asyncio
        assert inspect.iscoroutinefunction(method) is expected, name


@pytest.mark.parametrize("kind", [ListGateway, AsyncListGateway])
def test_interface_properties_have_the_6_0_0_defaults(kind: Any) -> None:
    """G4: is_redis_cluster False, max_delivery_count None, dead_letter_queue None,
    and no message_visibility_timeout_seconds on the interface."""
    gateway = kind(cast(Any, None))

    assert gateway.is_redis_cluster is False
    assert gateway.max_delivery_count is None
    assert gateway.dead_letter_queue is None
    assert not hasattr(gateway, "message_visibility_timeout_seconds")


@pytest.mark.parametrize("package", FLAVOURS)
def test_redis_gateway_signature_is_keyword_only_with_6_0_0_defaults(
    package: Any,
) -> None:
    """G5: every argument is keyword-only, with 6.0.0's defaults in its order."""
    parameters = _parameters(package.RedisGateway.__init__)

    assert [name for name, _, _ in parameters] == list(GATEWAY_DEFAULTS)
    assert all(kind is KEYWORD for _, kind, _ in parameters)
    assert {name: default for name, _, default in parameters} == GATEWAY_DEFAULTS


def _sync_gateway(**options: Any) -> Any:
    options.setdefault("redis_client", redis.Redis(port=PORT))
    return redis_message_queue.RedisGateway(**options)


def _async_gateway(**options: Any) -> Any:
    options.setdefault("redis_client", redis.asyncio.Redis(port=PORT))
    return redis_message_queue.asyncio.RedisGateway(**options)


BUILDERS = [_sync_gateway, _async_gateway]
LEASED = {"message_visibility_timeout_seconds": 30}
DEAD_LETTERING = {**LEASED, "max_delivery_count": 3, "dead_letter_queue": "dead"}


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"interrupt": 5}, TypeError),
        ({"interrupt": "stop"}, TypeError),
        ({"message_deduplication_log_ttl_seconds": 0}, ConfigurationError),
        ({"message_deduplication_log_ttl_seconds": -5}, ConfigurationError),
        ({"message_deduplication_log_ttl_seconds": 1.5}, TypeError),
        ({"message_deduplication_log_ttl_seconds": True}, TypeError),
        ({"message_wait_interval_seconds": -1}, ConfigurationError),
        ({"message_wait_interval_seconds": 0.5}, TypeError),
        ({"message_wait_interval_seconds": False}, TypeError),
        ({"message_visibility_timeout_seconds": 0}, ConfigurationError),
        ({"message_visibility_timeout_seconds": 1.5}, TypeError),
        ({"message_visibility_timeout_seconds": True}, TypeError),
        ({"retry_budget_seconds": -1}, ConfigurationError),
        ({"retry_budget_seconds": 1.5}, TypeError),
        ({"retry_budget_seconds": None}, TypeError),
        ({"retry_max_delay_seconds": 0}, ConfigurationError),
        ({"retry_max_delay_seconds": math.inf}, ConfigurationError),
        ({"retry_max_delay_seconds": math.nan}, ConfigurationError),
        ({"retry_max_delay_seconds": "5"}, TypeError),
        ({"retry_initial_delay_seconds": 0}, ConfigurationError),
        ({"retry_initial_delay_seconds": True}, TypeError),
        ({"retry_initial_delay_seconds": 6.0}, ConfigurationError),
        (
            {**LEASED, "max_delivery_count": 0, "dead_letter_queue": "d"},
            ConfigurationError,
        ),
        ({**LEASED, "max_delivery_count": 2.0, "dead_letter_queue": "d"}, TypeError),
        ({"max_delivery_count": 3, "dead_letter_queue": "dead"}, ConfigurationError),
        ({**LEASED, "max_delivery_count": 3}, ConfigurationError),
        ({**LEASED, "dead_letter_queue": "dead"}, ConfigurationError),
        ({**DEAD_LETTERING, "dead_letter_queue": 5}, TypeError),
        ({**DEAD_LETTERING, "dead_letter_queue": "  "}, ConfigurationError),
        ({"max_pending_length": 0}, ConfigurationError),
        ({"max_pending_length": True}, TypeError),
        ({"pending_overload_policy": "explode"}, ConfigurationError),
        ({"pending_overload_policy": 1}, TypeError),
        ({"pending_overload_policy": "block"}, ConfigurationError),
        ({"pending_overload_block_timeout_seconds": -1}, ConfigurationError),
        ({"pending_overload_block_timeout_seconds": math.inf}, ConfigurationError),
        ({"pending_overload_block_timeout_seconds": True}, TypeError),
    ],
)
def test_redis_gateway_refuses_wrong_arguments(
    build: Any, options: dict[str, Any], error: type[Exception]
) -> None:
    """G5: wrong types raise TypeError, wrong values and conflicts ConfigurationError
    (max_delivery_count needs the visibility timeout and comes with
    dead_letter_queue; a policy other than raise needs a cap)."""
    with pytest.raises(error):
        build(**options)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"retry_budget_seconds": 0},
        {"retry_initial_delay_seconds": 5.0, "retry_max_delay_seconds": 5},
        {"message_wait_interval_seconds": 0},
        {"message_deduplication_log_ttl_seconds": 1},
        DEAD_LETTERING,
        {"max_pending_length": 5, "pending_overload_policy": "drop_oldest"},
        {"max_pending_length": 5, "pending_overload_policy": "block"},
        {"pending_overload_block_timeout_seconds": 0},
        {"interrupt": EventDrivenInterruptHandler(threading.Event())},
    ],
)
def test_redis_gateway_accepts_valid_arguments(
    build: Any, options: dict[str, Any]
) -> None:
    """G5: the boundary values of each rule are accepted."""
    build(**options)


@pytest.mark.parametrize("build", BUILDERS)
def test_redis_gateway_properties(build: Any) -> None:
    """G7: the properties report the gateway's settings; no leases by default."""
    plain = build()
    assert plain.message_visibility_timeout_seconds is None
    assert plain.max_delivery_count is None
    assert plain.dead_letter_queue is None
    assert plain.is_redis_cluster is False

    configured = build(**DEAD_LETTERING)
    assert configured.message_visibility_timeout_seconds == 30
    assert configured.max_delivery_count == 3
    assert configured.dead_letter_queue == "dead"


def test_interrupt_handler_is_accepted_as_6_0_0_documents() -> None:
    """G5: any BaseGracefulInterruptHandler works as interrupt=."""
    handler = GracefulInterruptHandler(verbose=False)
    try:
        _sync_gateway(interrupt=handler)
        _async_gateway(interrupt=handler)
    finally:
        handler.reset()


@pytest.mark.parametrize(
    ("build", "client", "match"),
    [
        (_sync_gateway, redis.asyncio.Redis(port=PORT), "asyncio"),
        (_sync_gateway, valkey.asyncio.Valkey(port=PORT), "asyncio"),
        (_async_gateway, redis.Redis(port=PORT), "sync client"),
        (_sync_gateway, redis.Redis(port=PORT).pipeline(), "pipeline"),
        (_async_gateway, redis.asyncio.Redis(port=PORT).pipeline(), "pipeline"),
        (_sync_gateway, redis.sentinel.Sentinel([("127.0.0.1", PORT)]), "master_for"),  # type: ignore[no-untyped-call]
        (_async_gateway, redis.asyncio.Sentinel([("127.0.0.1", PORT)]), "master_for"),  # type: ignore[no-untyped-call]
        (_sync_gateway, "redis://localhost", "redis.Redis"),
    ],
)
def test_redis_gateway_refuses_unusable_clients(
    build: Any, client: object, match: str
) -> None:
    """G6: another flavour, a pipeline, a Sentinel manager or a URL is refused."""
    with pytest.raises(TypeError, match=match):
        build(redis_client=client)


def test_redis_gateway_refuses_single_connection_clients_on_both_flavours(
    servers: dict[ServerFlavour, LocalServer],
) -> None:
    """G6: a pinned socket is refused by the sync and (unlike 6.0.0) the asyncio
    gateway."""
    port = servers[SERVER_FLAVOURS[0]].port
    sync_client = redis.Redis(port=port, single_connection_client=True)
    try:
        with pytest.raises(TypeError, match="single_connection_client"):
            _sync_gateway(redis_client=sync_client)
    finally:
        sync_client.close()

    async_client = redis.asyncio.Redis(port=port, single_connection_client=True)
    with pytest.raises(TypeError, match="single_connection_client"):
        _async_gateway(redis_client=async_client)
