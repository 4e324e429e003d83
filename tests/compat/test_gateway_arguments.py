"""The ``gateway=`` argument of the queue (rules G9-G11, G13, G15); no server I/O."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

import pytest
import redis
import redis.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import (
    ConfigurationError,
    GatewayContractError,
    GracefulInterruptHandler,
)
from redis_message_queue.adapters.memory import MemoryBackend
from tests.compat.gateways import (
    AsyncLeasedListGateway,
    AsyncListGateway,
    LeasedListGateway,
    ListGateway,
)

PORT = 1  # nothing is sent: every check happens before any I/O


def _custom(flavour: str, *, leased: bool = False) -> Any:
    if flavour == "sync":
        return (LeasedListGateway if leased else ListGateway)(cast(Any, None))
    return (AsyncLeasedListGateway if leased else AsyncListGateway)(cast(Any, None))


def _ours(flavour: str, **options: Any) -> Any:
    if flavour == "sync":
        return redis_message_queue.RedisGateway(
            redis_client=redis.Redis(port=PORT), **options
        )
    return redis_message_queue.asyncio.RedisGateway(
        redis_client=redis.asyncio.Redis(port=PORT), **options
    )


def _queue(flavour: str, name: str = "orders", **options: Any) -> Any:
    if flavour == "sync":
        return redis_message_queue.RedisMessageQueue(name, **options)
    return redis_message_queue.asyncio.RedisMessageQueue(name, **options)


FLAVOURS = ["sync", "asyncio"]
GATEWAYS: list[Callable[..., Any]] = [_custom, _ours]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize(
    ("argument", "value", "gateway_argument"),
    [
        ("visibility_timeout_seconds", 300, "message_visibility_timeout_seconds"),
        ("visibility_timeout_seconds", None, "message_visibility_timeout_seconds"),
        ("visibility_timeout_seconds", 30, "message_visibility_timeout_seconds"),
        ("max_delivery_count", 10, "max_delivery_count"),
        ("max_delivery_count", None, "max_delivery_count"),
        ("max_pending_length", None, "max_pending_length"),
        ("max_pending_length", 5, "max_pending_length"),
        ("pending_overload_policy", "raise", "pending_overload_policy"),
        ("pending_overload_block_timeout_seconds", 1.0, "pending_overload_block"),
        ("message_wait_interval_seconds", None, "message_wait_interval_seconds"),
    ],
)
def test_settings_the_gateway_owns_are_refused_even_at_their_defaults(
    flavour: str, gateway: Any, argument: str, value: object, gateway_argument: str
) -> None:
    """G9: naming a setting the gateway decides is refused, whatever its value
    (6.0.0 could not tell 300 or 10 from the default and silently ignored them)."""
    options: dict[str, Any] = {argument: value}
    with pytest.raises(ConfigurationError, match="configure the gateway") as caught:
        _queue(flavour, gateway=gateway(flavour), **options)

    assert argument in str(caught.value)
    assert gateway_argument in str(caught.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_refused_setting_is_named_at_once(flavour: str) -> None:
    """G9: the error lists each refused argument with the gateway's name for it."""
    with pytest.raises(ConfigurationError) as caught:
        _queue(
            flavour,
            gateway=_custom(flavour),
            visibility_timeout_seconds=300,
            max_delivery_count=10,
        )

    assert "message_visibility_timeout_seconds" in str(caught.value)
    assert "max_delivery_count" in str(caught.value)


def test_queue_signature_keeps_its_visible_defaults() -> None:
    """G9: telling given from default does not change the signature users see."""
    for queue in (
        redis_message_queue.RedisMessageQueue,
        redis_message_queue.asyncio.RedisMessageQueue,
    ):
        parameters = inspect.signature(queue).parameters
        assert parameters["visibility_timeout_seconds"].default == 300
        assert parameters["max_delivery_count"].default == 10
        assert parameters["max_pending_length"].default is None
        assert parameters["pending_overload_policy"].default == "raise"
        assert parameters["pending_overload_block_timeout_seconds"].default == 1.0
        assert parameters["gateway"].default is None


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_gateway_cannot_be_combined_with_client_backend_or_interrupt(
    flavour: str,
) -> None:
    """G9: gateway= excludes client=, backend= and interrupt=."""
    client = redis.Redis(port=PORT) if flavour == "sync" else redis.asyncio.Redis()
    with pytest.raises(ConfigurationError, match="client"):
        _queue(flavour, gateway=_custom(flavour), client=client)
    with pytest.raises(ConfigurationError, match="backend"):
        _queue(flavour, gateway=_custom(flavour), backend=MemoryBackend())

    handler = GracefulInterruptHandler(verbose=False)
    try:
        with pytest.raises(ConfigurationError, match="interrupt"):
            _queue(flavour, gateway=_custom(flavour), interrupt=handler)
    finally:
        handler.reset()


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_queue_settings_are_accepted_with_a_gateway(flavour: str, gateway: Any) -> None:
    """G9: every setting the queue itself owns stays available with gateway=."""
    _queue(
        flavour,
        gateway=gateway(flavour),
        deduplication=False,
        enable_completed_queue=True,
        enable_failed_queue=True,
        max_completed_length=5,
        max_failed_length=5,
        key_separator="/",
        max_payload_bytes=1000,
    )


@pytest.mark.parametrize(
    ("flavour", "other"),
    [("sync", "asyncio"), ("asyncio", "sync")],
)
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_gateway_of_the_other_flavour_is_a_contract_error(
    flavour: str, other: str, gateway: Any
) -> None:
    """G10: an asyncio gateway given to the sync queue, or the reverse, raises
    GatewayContractError naming both flavours."""
    with pytest.raises(GatewayContractError, match=other) as caught:
        _queue(flavour, gateway=gateway(other))

    assert flavour in str(caught.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("gateway", [5, "gateway", redis.Redis(port=PORT)])
def test_an_object_that_is_no_gateway_is_a_type_error(
    flavour: str, gateway: object
) -> None:
    """G10: anything that is not a gateway is a TypeError (not a contract error)."""
    with pytest.raises(TypeError) as caught:
        _queue(flavour, gateway=gateway)

    assert not isinstance(caught.value, GatewayContractError)


def test_a_gateway_shaped_class_must_subclass_the_interface() -> None:
    """G10: methods alone do not make a gateway; the interface must be subclassed."""

    class Lookalike:
        def wait_for_message_and_move(self, from_queue: str, to_queue: str) -> None:
            del from_queue, to_queue

    with pytest.raises(GatewayContractError, match="subclass"):
        redis_message_queue.RedisMessageQueue("orders", gateway=Lookalike())


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_our_gateway_decides_the_dead_letter_key(flavour: str) -> None:
    """G11: key.dead_letter names the gateway's dead-letter list."""
    dead_lettering = _ours(
        flavour,
        message_visibility_timeout_seconds=30,
        max_delivery_count=3,
        dead_letter_queue="orders::graveyard",
    )
    assert _queue(flavour, gateway=dead_lettering).key.dead_letter == (
        "orders::graveyard"
    )
    assert _queue(flavour, gateway=_ours(flavour)).key.dead_letter == "orders::dlq"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("30", GatewayContractError),
        (1.5, GatewayContractError),
        (True, GatewayContractError),
        (0, ConfigurationError),
        (-5, ConfigurationError),
    ],
)
def test_gateway_visibility_timeout_must_be_a_positive_int(
    flavour: str, value: object, error: type[Exception]
) -> None:
    """G13: a duck-typed message_visibility_timeout_seconds that is not an int is a
    contract error; one that is not above 0 a ConfigurationError."""
    gateway = _custom(flavour, leased=True)
    gateway.message_visibility_timeout_seconds = value

    with pytest.raises(error):
        _queue(flavour, gateway=gateway)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_heartbeat_must_fit_the_gateways_lease(flavour: str, gateway: Any) -> None:
    """G13: the heartbeat is checked against the gateway's lease, not the queue's."""
    if gateway is _custom:
        leased = _custom(flavour, leased=True)
    else:
        leased = _ours(flavour, message_visibility_timeout_seconds=30)

    with pytest.raises(ConfigurationError, match="half"):
        _queue(flavour, gateway=leased, heartbeat_interval_seconds=15)
    _queue(flavour, name="fits", gateway=leased, heartbeat_interval_seconds=10)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_heartbeat_without_a_lease_warns_when_built(flavour: str, gateway: Any) -> None:
    """G13: a heartbeat on a gateway without leases is accepted (as in 6.0.0) with a
    RuntimeWarning, since nothing can be renewed."""
    with pytest.warns(RuntimeWarning, match="no heartbeat"):
        _queue(flavour, gateway=gateway(flavour), heartbeat_interval_seconds=10)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_dead_lettering_gateway_stays_with_its_first_queue(flavour: str) -> None:
    """G15: a gateway with max_delivery_count is bound to the first queue's pending
    key; the same queue name may bind again, another one may not."""
    gateway = _ours(
        flavour,
        message_visibility_timeout_seconds=30,
        max_delivery_count=3,
        dead_letter_queue="dead",
    )
    _queue(flavour, "first", gateway=gateway)
    _queue(flavour, "first", gateway=gateway)

    assert gateway._rmq_bound_pending_queue == "first::pending"
    with pytest.raises(ConfigurationError, match="another gateway"):
        _queue(flavour, "second", gateway=gateway)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_custom_dead_lettering_gateway_is_bound_too(flavour: str) -> None:
    """G15: the binding rule reads max_delivery_count from any gateway."""
    gateway = _custom(flavour)
    type(gateway).max_delivery_count = property(lambda self: 5)
    try:
        _queue(flavour, "first", gateway=gateway)
        with pytest.raises(ConfigurationError):
            _queue(flavour, "second", gateway=gateway)
    finally:
        del type(gateway).max_delivery_count


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_gateway_without_dead_letters_serves_many_queues(flavour: str) -> None:
    """G15: without max_delivery_count a gateway is not bound to a queue."""
    gateway = _ours(flavour)
    _queue(flavour, "first", gateway=gateway)
    _queue(flavour, "second", gateway=gateway)

    assert not hasattr(gateway, "_rmq_bound_pending_queue")


class _ClusterGateway(ListGateway):
    """A sync gateway that says it talks to a cluster."""

    dead_letter: str | None = None

    @property
    def is_redis_cluster(self) -> bool:
        return True

    @property
    def dead_letter_queue(self) -> str | None:
        return self.dead_letter


@pytest.mark.parametrize(
    ("name", "dead_letter", "allowed"),
    [
        ("orders", None, False),
        ("{}orders", None, False),
        ("{orders}", None, True),
        ("{orders}.eu", None, True),
        ("{orders}", "{orders}::graveyard", True),
        ("{orders}", "graveyard", False),
    ],
)
def test_cluster_gateway_needs_one_hash_slot(
    name: str, dead_letter: str | None, allowed: bool
) -> None:
    """G15: on a cluster, the dedup prefix needs a hash tag and every key of the
    queue, the dead-letter list included, one slot."""
    gateway = _ClusterGateway(cast(Any, None))
    gateway.dead_letter = dead_letter

    if allowed:
        redis_message_queue.RedisMessageQueue(name, gateway=gateway)
        return
    with pytest.raises(ConfigurationError):
        redis_message_queue.RedisMessageQueue(name, gateway=gateway)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("interrupt", [5, "stop", object()])
def test_interrupt_must_be_an_interrupt_handler(
    flavour: str, interrupt: object
) -> None:
    """G18: a client= queue's interrupt must be a BaseGracefulInterruptHandler."""
    client = redis.Redis(port=PORT) if flavour == "sync" else redis.asyncio.Redis()

    with pytest.raises(TypeError, match="BaseGracefulInterruptHandler"):
        _queue(flavour, client=client, interrupt=interrupt)
