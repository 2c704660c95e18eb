"""The WebSocket under the real-time endpoint: the upgrade's answer, and RFC 6455 framing by wsproto.

wsproto is sans-IO: it turns bytes into events and events into bytes, and leaves the socket to us. That fits the
local stack's ThreadingHTTPServer, which has already read the upgrade request and owns a blocking socket per
connection (an asyncio server such as `websockets` would want the socket to itself). Each connection runs in its
server thread, reading; a writer thread sends what the protocol (local/appsync/realtime.py) and the publishers
queue, in order, and ticks the keep-alives. No frame is written by hand.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from email.message import Message
from http import HTTPStatus
from typing import Any, Protocol

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import ProtocolError, generate_accept_token

from local.appsync.realtime import SUBPROTOCOL

logger = logging.getLogger("local.appsync.websocket")

# Bigger than any subscription request (AppSync limits a request to 1 MB); a bigger message closes the socket.
MAX_MESSAGE_BYTES = 1024 * 1024
READ_CHUNK = 64 * 1024
# After our close frame, how long the client has to answer with its own before the socket is shut.
CLOSE_GRACE_SECONDS = 2.0
MESSAGE_TOO_BIG = 1009
UNSUPPORTED_DATA = 1003
PROTOCOL_ERROR = 1002
GOING_AWAY = 1001


class ConnectionProtocol(Protocol):
    """What the channel drives: the real-time protocol of one connection (realtime.Connection)."""

    def received(self, text: str) -> None: ...

    def tick(self) -> None: ...

    def gone(self) -> None: ...


def _tokens(headers: Message, name: str) -> list[str]:
    """A comma-separated header's tokens, over every line of it."""
    return [token.strip() for line in headers.get_all(name, []) for token in str(line).split(",") if token.strip()]


def upgrade(headers: Message) -> tuple[HTTPStatus, str] | dict[str, str]:
    """The headers of a 101 answer to a real-time upgrade request, or the refusal (status, why)."""
    if "websocket" not in (token.lower() for token in _tokens(headers, "Upgrade")):
        return HTTPStatus.UPGRADE_REQUIRED, "The real-time endpoint is a WebSocket: send Upgrade: websocket"
    if "upgrade" not in (token.lower() for token in _tokens(headers, "Connection")):
        return HTTPStatus.BAD_REQUEST, "A WebSocket upgrade needs Connection: Upgrade"
    if headers.get("Sec-WebSocket-Version") != "13" or not headers.get("Sec-WebSocket-Key"):
        return HTTPStatus.BAD_REQUEST, "A WebSocket upgrade needs Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key"
    if SUBPROTOCOL not in subprotocols(headers):
        return HTTPStatus.BAD_REQUEST, f"The real-time endpoint speaks the {SUBPROTOCOL} subprotocol (Sec-WebSocket-Protocol)"
    return {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": generate_accept_token(str(headers["Sec-WebSocket-Key"]).encode()).decode(),
        "Sec-WebSocket-Protocol": SUBPROTOCOL,
    }


def subprotocols(headers: Message) -> list[str]:
    return _tokens(headers, "Sec-WebSocket-Protocol")


class WebSocketChannel:
    """One upgraded connection: reads frames in the calling thread, writes from its own."""

    def __init__(self, sock: socket.socket, reader: io.BufferedIOBase, keepalive_seconds: float) -> None:
        self._socket = sock
        self._reader = reader
        self._keepalive_seconds = keepalive_seconds
        self._websocket = Connection(ConnectionType.SERVER)
        self._lock = threading.Lock()
        self._outgoing: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._closing = False
        self._read_ended = threading.Event()

    # --- Outbound (what realtime.Connection calls, from any thread) --------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        with self._lock:
            if not self._closing and self._websocket.state is ConnectionState.OPEN:
                self._outgoing.put(self._websocket.send(TextMessage(data=json.dumps(message, separators=(",", ":")))))

    def close(self, code: int, reason: str) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._websocket.state is ConnectionState.OPEN:
                self._outgoing.put(self._websocket.send(CloseConnection(code=code, reason=reason)))
            self._outgoing.put(None)

    # --- running ----------------------------------------------------------------------------------------------

    def serve(self, connect: Callable[[WebSocketChannel], ConnectionProtocol]) -> None:
        """Run the connection until either side closes it."""
        protocol = connect(self)
        writer = threading.Thread(target=self._write, args=(protocol,), name="websocket-writer", daemon=True)
        writer.start()
        try:
            self._read(protocol)
        finally:
            self._read_ended.set()
            protocol.gone()
            self.close(GOING_AWAY, "")
            writer.join(timeout=CLOSE_GRACE_SECONDS + 1)
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _read(self, protocol: ConnectionProtocol) -> None:
        parts: list[str] = []
        size = 0
        while True:
            try:
                data = self._reader.read1(READ_CHUNK)
            except OSError:
                return
            with self._lock:
                try:
                    self._websocket.receive_data(data or None)
                    events = list(self._websocket.events())
                except ProtocolError:
                    events = []
                    self._fail_locked(PROTOCOL_ERROR, "protocol error")
            for event in events:
                if isinstance(event, TextMessage):
                    parts.append(event.data)
                    size += len(event.data)
                    if size > MAX_MESSAGE_BYTES:
                        self.close(MESSAGE_TOO_BIG, "message too big")
                        return
                    if event.message_finished:
                        protocol.received("".join(parts))
                        parts, size = [], 0
                elif isinstance(event, BytesMessage):
                    self.close(UNSUPPORTED_DATA, "graphql-ws messages are text")
                elif isinstance(event, Ping):
                    with self._lock:
                        if self._websocket.state is ConnectionState.OPEN:
                            self._outgoing.put(self._websocket.send(event.response()))
                elif isinstance(event, CloseConnection):
                    with self._lock:
                        if self._websocket.state is ConnectionState.REMOTE_CLOSING:
                            self._outgoing.put(self._websocket.send(event.response()))
                        self._closing = True
                        self._outgoing.put(None)
                    return
            if not data:
                return

    def _fail_locked(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            if self._websocket.state is ConnectionState.OPEN:
                self._outgoing.put(self._websocket.send(CloseConnection(code=code, reason=reason)))
            self._outgoing.put(None)

    def _write(self, protocol: ConnectionProtocol) -> None:
        next_tick = time.monotonic() + self._keepalive_seconds
        while True:
            try:
                chunk = self._outgoing.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                next_tick = time.monotonic() + self._keepalive_seconds
                protocol.tick()
                continue
            if chunk is None:
                break
            try:
                self._socket.sendall(chunk)
            except OSError:
                break
        # Our close frame went out: give the client a moment to answer with its own, then shut the socket.
        self._read_ended.wait(CLOSE_GRACE_SECONDS)
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

