"""A loopback TCP proxy in front of a test server that can lose a reply on purpose.

``cut_after_next_command()`` makes the proxy forward the next command it sees to
the server, then drop the server's reply and close that connection: the server ran
the command, and the client sees a dropped connection. That is the ambiguous case
the retry rules are about. Everything else is forwarded unchanged, both ways.

Threads do the forwarding, so the proxy serves sync and asyncio clients alike.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType

logger = logging.getLogger(__name__)

_CHUNK = 65536


class _Link:
    """One client connection and its upstream twin."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.doomed = False

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class CuttingProxy:
    """Forwards ``127.0.0.1:<port>`` to a server; can cut one reply at a time.

    Args:
        target_port: The server's port on ``target_host``.
        target_host: The server's address.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._armed = 0
        self._links: set[_Link] = set()
        self._threads: list[threading.Thread] = []
        self._cut = threading.Condition(self._lock)
        self.cuts = 0

    @property
    def url(self) -> str:
        """A ``redis://`` URL that reaches the server through the proxy."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> CuttingProxy:
        """Start accepting connections."""
        self._spawn(self._accept_loop)
        return self

    def cut_after_next_command(self, times: int = 1) -> None:
        """Lose the reply to the next ``times`` commands (on any connection)."""
        with self._lock:
            self._armed += times

    def wait_for_cuts(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` replies in total have been cut."""
        with self._cut:
            return self._cut.wait_for(lambda: self.cuts >= count, timeout)

    def drop_connections(self) -> None:
        """Close every open connection at once (no command is sent)."""
        with self._lock:
            links = list(self._links)
            self._links.clear()
        for link in links:
            link.close()

    def close(self) -> None:
        """Stop accepting, close every connection and wait for the threads."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.drop_connections()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> CuttingProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- forwarding -------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self._lock:
                self._links.add(link)
            self._spawn(self._forward_commands, link)
            self._spawn(self._forward_replies, link)

    def _forward_commands(self, link: _Link) -> None:
        while data := _receive(link.client):
            with self._lock:
                if self._armed and not link.doomed:
                    self._armed -= 1
                    link.doomed = True
            try:
                link.upstream.sendall(data)
            except OSError:
                break
        self._forget(link)

    def _forward_replies(self, link: _Link) -> None:
        while data := _receive(link.upstream):
            with self._lock:
                doomed = link.doomed
            if doomed:
                self._cut_reply(link)
                return
            try:
                link.client.sendall(data)
            except OSError:
                break
        self._forget(link)

    def _cut_reply(self, link: _Link) -> None:
        # The server answered, so it ran the command; the client never hears.
        self._forget(link)
        with self._cut:
            self.cuts += 1
            self._cut.notify_all()
        logger.debug("cut a reply on proxy port %d", self.port)

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)
        link.close()


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(_CHUNK)
    except OSError:
        return b""
