"""HTTP between nodes: a pooled connection the peer's server drops as a request leaves on it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from iprisk.link.errors import PeerUnreachable
from iprisk.link.http import CLIENT_KEEP_ALIVE_S, SERVER_KEEP_ALIVE_S, HttpTransport
from iprisk.settings import Settings


class _DroppingServer:
    """A peer whose server closes each connection, without a word, when the second request arrives on it:
    what a server does whose keep-alive ends just as the client reuses the connection (or a proxy's). The
    first request on each connection is answered (a receipt naming the request's number)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            self.connections += 1
            threading.Thread(target=self._answer_once, args=(connection,), daemon=True).start()

    def _answer_once(self, connection: socket.socket) -> None:
        with connection:
            for number in (1, 2):
                if not _read_request(connection):
                    return
                self.requests += 1
                if number == 2:
                    return  # closed without an answer
                body = f"receipt-{self.requests}".encode()
                head = f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n\r\n".encode()
                connection.sendall(head + body)

    def close(self) -> None:
        self.listener.close()


def _read_request(connection: socket.socket) -> bool:
    """Read one request (headers and a content-length body); False if the client closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        body += connection.recv(65536)
    return True


@pytest.fixture
def dropping() -> Iterator[_DroppingServer]:
    server = _DroppingServer()
    try:
        yield server
    finally:
        server.close()


def test_a_delivery_dropped_on_a_reused_connection_is_sent_again_on_a_new_one(
    dropping: _DroppingServer,
) -> None:
    transport = HttpTransport(lambda: {"CN": dropping.url}, Settings(), timeout_s=5)
    try:
        assert transport.send("CN", "sealed-1") == "receipt-1"
        # the pooled connection is reused, dropped by the server: sent again on a new connection
        assert transport.send("CN", "sealed-2") == "receipt-3"
        assert (dropping.connections, dropping.requests) == (2, 3)
    finally:
        transport.close()


def test_a_peer_that_is_down_is_not_tried_again_within_the_request() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
    transport = HttpTransport(lambda: {"CN": url}, Settings(), timeout_s=5)  # nothing listens there now
    try:
        with pytest.raises(PeerUnreachable, match="ConnectError"):
            transport.send("CN", "sealed")
    finally:
        transport.close()


def test_the_client_gives_up_an_idle_connection_before_the_peers_server_closes_it() -> None:
    assert 0 < CLIENT_KEEP_ALIVE_S < SERVER_KEEP_ALIVE_S
    transport = HttpTransport(lambda: {}, Settings(), timeout_s=5)
    try:
        pool = transport.client._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == CLIENT_KEEP_ALIVE_S
    finally:
        transport.close()
