"""Start a throw-away primary with replicas and Sentinels on loopback, for tests.

One primary, its replicas (``replicaof``) and Sentinels watching them, every
process a :class:`~redis_message_queue.local_server.LocalServer` of the same
flavour: a Sentinel is the same server binary run with ``--sentinel`` and a
generated config file. With ``sentinels=0`` it is a replicated primary alone, for
trying durable mode. Stopping it stops exactly its own processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import redis

from redis_message_queue.local_server import LocalServer, ServerFlavour

logger = logging.getLogger(__name__)

_READY_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.05
_SERVER_ARGUMENTS = (
    # A diskless full sync would wait 5 s for more replicas by default.
    "--repl-diskless-sync", "yes",
    "--repl-diskless-sync-delay", "0",
)  # fmt: skip


class SentinelProcess(LocalServer):
    """One Sentinel: the server binary with ``--sentinel`` and its own config.

    Args:
        flavour: Which server binary to run.
        config_lines: The ``sentinel ...`` lines of its config file; the port,
            address, directory and log file are added.
    """

    def __init__(self, flavour: ServerFlavour, config_lines: list[str]) -> None:
        super().__init__(flavour)
        self._config_lines = config_lines

    @property
    def config_path(self) -> Path:
        """The config file; the Sentinel rewrites it as it learns the topology."""
        return self.directory / "sentinel.conf"

    def command(self) -> list[str]:
        """The command line that starts this Sentinel."""
        return [str(self.binary), str(self.config_path), "--sentinel"]

    def start(self) -> SentinelProcess:
        """Write the config file (first start only), then start the process."""
        if not self.config_path.exists():
            header = [
                f"port {self.port}",
                f"bind {self.host}",
                f"dir {self.directory}",
                f"logfile {self.directory / 'server.log'}",
                "protected-mode no",
            ]
            text = "\n".join([*header, *self._config_lines]) + "\n"
            self.config_path.write_text(text, encoding="utf-8")
        super().start()
        return self


class LocalSentinel:
    """A primary, its replicas and the Sentinels that fail it over, on 127.0.0.1.

    Args:
        flavour: Which server to run for every process.
        replicas: How many replicas follow the primary.
        sentinels: How many Sentinels watch it (0: none).
        service_name: The name the Sentinels know the primary by.
        down_after_ms: How long the primary may be silent before a Sentinel
            considers it down.
        failover_timeout_ms: Sentinel's ``failover-timeout``.

    Raises:
        ServerNotFoundError: No server binary of ``flavour`` is installed.
        ValueError: ``replicas`` or ``sentinels`` is negative.
    """

    def __init__(
        self,
        flavour: ServerFlavour = "valkey",
        *,
        replicas: int = 1,
        sentinels: int = 3,
        service_name: str = "rmq-primary",
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 10_000,
    ) -> None:
        if replicas < 0 or sentinels < 0:
            raise ValueError("replicas and sentinels cannot be negative")
        self.flavour = flavour
        self.host = "127.0.0.1"
        self.service_name = service_name
        self.primary = LocalServer(flavour, extra_arguments=_SERVER_ARGUMENTS)
        self.replicas = [
            LocalServer(flavour, extra_arguments=self._replica_arguments())
            for _ in range(replicas)
        ]
        quorum = sentinels // 2 + 1
        monitor = [
            f"sentinel monitor {service_name} {self.host} {self.primary.port} {quorum}",
            f"sentinel down-after-milliseconds {service_name} {down_after_ms}",
            f"sentinel failover-timeout {service_name} {failover_timeout_ms}",
            f"sentinel parallel-syncs {service_name} 1",
        ]
        self.sentinels = [SentinelProcess(flavour, monitor) for _ in range(sentinels)]

    @property
    def servers(self) -> list[LocalServer]:
        """The primary it started with, then the replicas."""
        return [self.primary, *self.replicas]

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every Sentinel, for ``Sentinel(...)``."""
        return [(sentinel.host, sentinel.port) for sentinel in self.sentinels]

    def start(self) -> LocalSentinel:
        """Start every process and wait until the set is ready.

        Returns when every replica's link to the primary is up and every
        Sentinel knows the primary, every replica and every other Sentinel.

        Raises:
            RuntimeError: A process did not start or the set did not get ready
                in time; the message says which step stalled.
        """
        try:
            for server in self.servers:
                server.start()
            _wait_until(lambda: self._replicas_linked(self.primary), "replica link")
            for sentinel in self.sentinels:
                sentinel.start()
            _wait_until(self._sentinels_ready, "Sentinels that know the whole set")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process and remove its directory."""
        for process in [*self.sentinels, *self.servers]:
            process.stop()

    def current_primary(self) -> LocalServer:
        """The server the Sentinels name as primary now (or the first one).

        Raises:
            RuntimeError: The Sentinels name a server this set did not start.
        """
        port = self.primary.port
        for sentinel in self.sentinels:
            if not sentinel.ping():
                continue
            with _client(sentinel) as client:
                reply = client.execute_command(  # type: ignore[no-untyped-call]
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service_name
                )
            port = int(reply[1])
            break
        for server in self.servers:
            if server.port == port:
                return server
        raise RuntimeError(f"the Sentinels name an unknown primary on port {port}")

    def wait_for_new_primary(
        self, old: LocalServer, timeout_seconds: float = _READY_TIMEOUT_SECONDS
    ) -> LocalServer:
        """Wait until the Sentinels promoted another server than ``old``.

        Returns:
            The new primary, once it answers as one.

        Raises:
            RuntimeError: No failover within ``timeout_seconds``.
        """

        def promoted() -> bool:
            candidate = self.current_primary()
            return candidate is not old and _role(candidate) == "master"

        _wait_until(promoted, "failover", timeout_seconds)
        return self.current_primary()

    def _replica_arguments(self) -> tuple[str, ...]:
        primary = ("--replicaof", self.host, str(self.primary.port))
        return (*_SERVER_ARGUMENTS, *primary)

    def _replicas_linked(self, primary: LocalServer) -> bool:
        with _client(primary) as client:
            info = client.info("replication")
        linked = [
            value
            for name, value in info.items()
            if name.startswith("slave") and isinstance(value, dict)
        ]
        return sum(1 for slave in linked if slave.get("state") == "online") == len(
            self.replicas
        )

    def _sentinels_ready(self) -> bool:
        for sentinel in self.sentinels:
            with _client(sentinel) as client:
                fields = client.execute_command(  # type: ignore[no-untyped-call]
                    "SENTINEL", "MASTER", self.service_name
                )
            state = _pairs(fields)
            if int(state.get("num-slaves", 0)) < len(self.replicas):
                return False
            if int(state.get("num-other-sentinels", 0)) < len(self.sentinels) - 1:
                return False
        return True

    def __enter__(self) -> LocalSentinel:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def local_sentinel(flavour: ServerFlavour = "valkey") -> Iterator[LocalSentinel]:
    """Run a :class:`LocalSentinel` for the duration of a ``with`` block."""
    with LocalSentinel(flavour) as running:
        yield running


@contextmanager
def _client(server: LocalServer) -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=server.host, port=server.port, decode_responses=True, socket_timeout=2
    )
    try:
        yield client
    finally:
        client.close()


def _pairs(fields: object) -> dict[str, str]:
    # SENTINEL MASTER answers a flat list of names and values (RESP2) or a map.
    if isinstance(fields, dict):
        return {str(name): str(value) for name, value in fields.items()}
    items = [str(item) for item in fields] if isinstance(fields, list) else []
    return dict(zip(items[::2], items[1::2], strict=True))


def _role(server: LocalServer) -> str:
    try:
        with _client(server) as client:
            return str(client.info("replication").get("role", ""))
    except redis.RedisError:
        return ""


def _wait_until(
    done: Callable[[], bool], what: str, timeout: float = _READY_TIMEOUT_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if done():
                return
        except redis.RedisError as error:
            logger.debug("waiting for %s: %s", what, error)
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} in time")
        time.sleep(_POLL_SECONDS)
