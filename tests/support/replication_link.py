"""A loopback link between a replica and its primary that can hold back the stream.

The replica is started with ``replicaof`` pointing at this link, which forwards
both ways until :meth:`ReplicationLink.hold` is called: from then on nothing the
primary sends reaches the replica, as on a slow or cut network. The primary still
acknowledges every write to its clients, which is the window asynchronous
replication leaves open.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

_CHUNK = 65536


class ReplicationLink:
    """Forwards ``127.0.0.1:<port>`` to a primary; can stop the way back.

    Args:
        primary_port: The primary's port on 127.0.0.1.
    """

    def __init__(self, primary_port: int) -> None:
        self._primary = ("127.0.0.1", primary_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = [self._listener]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def hold(self) -> None:
        """From now on, nothing the primary sends reaches the replica."""
        self._flowing.clear()

    def close(self) -> None:
        """Close every socket; what was held back is dropped."""
        self._closed.set()
        self._flowing.set()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                replica, _ = self._listener.accept()
            except OSError:
                return
            primary = socket.create_connection(self._primary)
            self._sockets += [replica, primary]
            for source, target, gated in (
                (replica, primary, False),
                (primary, replica, True),
            ):
                thread = threading.Thread(
                    target=self._pump, args=(source, target, gated), daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, target: socket.socket, gated: bool) -> None:
        while True:
            try:
                data = source.recv(_CHUNK)
            except OSError:
                return
            if not data:
                return
            if gated:
                self._flowing.wait()
            if self._closed.is_set() or (gated and not self._flowing.is_set()):
                return
            with contextlib.suppress(OSError):
                target.sendall(data)

    def __enter__(self) -> ReplicationLink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
