"""The local stack's HTTP endpoint: AppSync's /graphql, the console, and the developer's /local/* tools."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import console
from local.appsync.auth import Refusal
from local.appsync.realtime import read_handshake
from local.config import Settings, host_is_loopback
from local.providers.status_reports import ReportError
from local.stack import WORKERS, LocalStack

logger = logging.getLogger("local.server")

# Bigger than any valid request (a 256 KB email body, JSON-escaped); stops memory abuse.
MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_DISCARDED_BYTES = 64 * 1024 * 1024
DISCARD_PAUSE_SECONDS = 0.5
UNAUTHORIZED = {"errors": [{"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}
# A live stream with nothing to tell sends a comment this often, so a dead connection is noticed.
STREAM_KEEPALIVE_SECONDS = 15


class _RequestHandler(BaseHTTPRequestHandler):
    """The routes of the local stack. Each request passes the same gates first: a loopback Host (no DNS
    rebinding); then, per route, AppSync's authorization (/graphql) or the API key and a JSON body (/local/*).
    Only /graphql speaks CORS, and only to loopback origins and those in CORS_ORIGINS. The console's page and
    files (/, /console/*, /vendor/*) need no key, and speak no CORS: no other origin can read them."""

    stack: LocalStack
    server_version = "serverless-messenger-local"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines only (method, path, status): never bodies, which hold addresses.
        logger.debug("%s %s", self.address_string(), format % args)

    # --- answering ----------------------------------------------------------------------------

    def _send_json(self, status: HTTPStatus, payload: Any, cors: bool = False) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if cors:
            self._cors_headers()
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: HTTPStatus, error_type: str, message: str, cors: bool = False) -> None:
        self._send_json(status, {"errors": [{"errorType": error_type, "message": message}]}, cors)

    def _cors_headers(self) -> None:
        origin = self.headers.get("Origin")
        if origin and self.stack.settings.origin_allowed(origin):
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")

    # --- reading ------------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a request whose length is missing, wrong or too big, or
        whose body did not arrive within READ_TIMEOUT_SECONDS (a client sending part of a body and then nothing,
        or a byte at a time, holds no connection and no thread for longer)."""
        declared = self.headers.get("Content-Length") or "0"
        if not declared.isdigit():
            self._error(HTTPStatus.BAD_REQUEST, "MalformedHttpRequestException", "Content-Length must be a whole number of bytes")
            self.close_connection = True
            return None
        length = int(declared)
        if length > MAX_REQUEST_BYTES:
            self._discard(length)
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge", f"The request is larger than {MAX_REQUEST_BYTES} bytes")
            self.close_connection = True
            return None
        body = self._read_within(length, time.monotonic() + self.stack.settings.read_timeout_seconds)
        if body is None:
            self._error(HTTPStatus.REQUEST_TIMEOUT, "RequestTimeoutException", f"The request body did not arrive within {self.stack.settings.read_timeout_seconds:g} s")
            self.close_connection = True
        return body

    def _read_within(self, length: int, deadline: float) -> bytes | None:
        """`length` bytes of the body, or None if they have not all arrived by `deadline` (or the client left)."""
        chunks, remaining = [], length
        try:
            while remaining > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    return None
                chunks.append(chunk)
                remaining -= len(chunk)
        except TimeoutError:
            return None
        finally:
            self.connection.settimeout(self.timeout)
        return b"".join(chunks)

    def _discard(self, length: int) -> None:
        # Read what the client is still sending (up to a bound, and only while it keeps sending), so that
        # it sees the 413 rather than a reset; a client that sent only the headers gets it after a pause.
        remaining = min(length, MAX_DISCARDED_BYTES)
        self.connection.settimeout(DISCARD_PAUSE_SECONDS)
        try:
            while remaining > 0:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:  # the client paused: it is not sending the rest
            pass

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        """The JSON value of a body; raises ValueError for anything that is not (including absurd nesting)."""
        try:
            return json.loads(raw or b"null")
        except RecursionError as error:
            raise ValueError("the JSON is nested too deeply") from error
        except UnicodeDecodeError as error:
            raise ValueError(error.reason) from error
        except json.JSONDecodeError as error:
            raise ValueError(error.msg) from error

    @property
    def _path(self) -> str:
        return urlsplit(self.path).path

    # --- dispatch -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        if not host_is_loopback(self.headers.get("Host")):
            self._read_body()
            self._error(HTTPStatus.FORBIDDEN, "ForbiddenHost", "The local stack answers only to a loopback host name (localhost, 127.0.0.1, [::1])")
            return
        route = ROUTES.get((self.command, self._path))
        if route is None and self.command == "GET" and self._path.startswith(console.FILE_PREFIXES):
            route = _RequestHandler._console_file
        if route is not None:
            route(self)
        elif any(path == self._path for _, path in ROUTES):
            self._read_body()
            allowed = ", ".join(method for method, path in ROUTES if path == self._path)
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", f"{self.command} is not supported here: use {allowed}")
        else:
            self._read_body()
            self._error(HTTPStatus.NOT_FOUND, "NotFound", f"No route {self._path}")

    do_GET = do_POST = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method, whatever its name, gets a JSON 405 rather than http.server's HTML 501.
        # (HEAD keeps http.server's answer, which correctly has no body.)
        if name.startswith("do_") and name != "do_HEAD":
            return self._dispatch
        raise AttributeError(name)

    # --- /graphql -----------------------------------------------------------------------------

    def _preflight(self) -> None:
        origin = self.headers.get("Origin") or ""
        if not self.stack.settings.origin_allowed(origin):
            self._error(HTTPStatus.FORBIDDEN, "ForbiddenOrigin", "This origin may not call the local stack (see CORS_ORIGINS)")
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors_headers()
        self.send_header("Access-Control-Allow-Headers", ", ".join(CORS_REQUEST_HEADERS))
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _graphql(self) -> None:
        raw = self._read_body()
        if raw is None:
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        caller = self.stack.authorizer.authenticate("POST", f"http://{self.headers['Host']}{self.path}", headers, raw)
        if isinstance(caller, Refusal):
            self._send_json(caller.status, caller.body(), cors=True)
            return
        # AppSync's answers to a body that holds no GraphQL request (https://github.com/graphql/graphql-over-http/issues/81).
        if not raw.strip():
            self._error(HTTPStatus.BAD_REQUEST, "MalformedHttpRequestException", "Request body is empty.", cors=True)
            return
        try:
            body = self._parse_json(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            self._error(HTTPStatus.BAD_REQUEST, "MalformedHttpRequestException", "Unable to parse GraphQL query.", cors=True)
            return
        with self.stack.executing:
            result = self.stack.graphql.execute(body, headers, caller)
        self._send_json(HTTPStatus.OK, result, cors=True)

    def _realtime(self) -> None:
        """AppSync's real-time endpoint: a WebSocket (local/appsync/websocket.py) speaking AppSync's protocol
        (local/appsync/realtime.py) until either side closes it. Its credentials travel inside the protocol."""
        # Imported at the first upgrade, not at start-up: wsproto and h11 would cost every start CPU (about 0.1 s),
        # and most stacks never open a WebSocket.
        from local.appsync.websocket import WebSocketChannel, subprotocols, upgrade

        answer = upgrade(self.headers)
        if not isinstance(answer, dict):
            self._read_body()
            status, message = answer
            self._error(status, status.phrase.replace(" ", "").replace("-", ""), message)
            return
        handshake = read_handshake(urlsplit(self.path).query, subprotocols(self.headers))
        self.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
        for name, value in answer.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        realtime = self.stack.realtime
        channel = WebSocketChannel(self.connection, self.rfile, realtime.keepalive_seconds)
        channel.serve(lambda outbound: realtime.connect(handshake, outbound))

    def _graphql_page(self) -> None:
        """A browser opening /graphql is taken to the console's explorer; any other GET is refused as before."""
        self._read_body()
        if "text/html" not in (self.headers.get("Accept") or ""):
            message = "GET is not supported here: use POST (a browser's GET, Accept: text/html, leads to the console's explorer)"
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", message)
            return
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", "/#explorer")
        self.send_header("Content-Length", "0")
        self.end_headers()

    # --- the console: /, /console/*, /vendor/* ----------------------------------------------------

    def _send_file(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _console_page(self) -> None:
        self._read_body()
        page = console.page(self.stack.settings, self.stack.local_keys)
        self._send_file(HTTPStatus.OK, page, "text/html; charset=utf-8", console.PAGE_HEADERS)

    def _console_file(self) -> None:
        self._read_body()
        found = console.static_file(self._path)
        if found is None:
            self._error(HTTPStatus.NOT_FOUND, "NotFound", f"No file {self._path}" + console.missing_hint(self._path))
            return
        body, content_type = found
        self._send_file(HTTPStatus.OK, body, content_type, {"Cache-Control": "no-cache"})

    # --- /local/* and /health -----------------------------------------------------------------

    def _key_refused(self) -> bool:
        """True after answering 401 to a request without the API key in `x-api-key`."""
        supplied = self.headers.get("x-api-key") or ""
        if hmac.compare_digest(supplied.encode(), self.stack.settings.api_key.encode()):
            return False
        self._send_json(HTTPStatus.UNAUTHORIZED, UNAUTHORIZED)
        return True

    def _local_tool(self, run: Callable[[Any], Any]) -> None:
        """A developer's tool: the API key, a JSON body (for POST), and no CORS, so no web page can call it."""
        raw = self._read_body()
        if raw is None or self._key_refused():
            return
        if self.command == "POST" and (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", "Send the request as application/json")
            return
        try:
            request = self._parse_json(raw) if raw else None
        except ValueError:
            request = None
        try:
            with self.stack.executing:
                answer = run(request)
            self._send_json(HTTPStatus.OK, answer)
        except ReportError as error:
            self._send_json(error.status, {"errors": [{"errorType": error.status.phrase.replace(" ", ""), "message": str(error)}]})

    def _outbox(self) -> None:
        self._local_tool(lambda _: {"messages": self.stack.outbox.entries()})

    def _clear_outbox(self) -> None:
        self._local_tool(lambda _: {"cleared": self.stack.outbox.clear()})

    def _outbox_statuses(self) -> None:
        since = parse_qs(urlsplit(self.path).query).get("since", [None])[0]
        self._local_tool(lambda _: console.outbox_statuses(self.stack, since))

    def _events(self) -> None:
        self._local_tool(self.stack.reporter.report)

    def _sweep(self) -> None:
        self._local_tool(self.stack.reporter.sweep)

    def _channels(self) -> None:
        self._local_tool(self.stack.reporter.channels)

    def _alarms(self) -> None:
        self._local_tool(self.stack.reporter.alarm)

    def _expire(self) -> None:
        self._local_tool(lambda _: {"deleted": self.stack.expire()})

    def _stream(self) -> None:
        """Server-sent events, for as long as the client stays: `outbox` (each captured send, from the
        `after`-th on; its `id` is its position), `table` (the table was written; data: the count of writes),
        and `reset` (the outbox was cleared, or `after` is past its end because the client followed a stack that
        was restarted: the client forgets what it had, and the entries follow from the first).
        The API key comes as a header, so the console reads it with fetch() rather than EventSource."""
        if self._read_body() is None or self._key_refused():
            return
        after = parse_qs(urlsplit(self.path).query).get("after", ["0"])[0]
        sent = int(after) if after.isdigit() else 0
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        activity, outbox, writes = self.stack.activity, self.stack.outbox, -1
        clears = outbox.clears
        try:
            if sent > len(outbox):
                # The client saw more than this stack has sent: it follows a stack that was restarted.
                self.wfile.write(b"event: reset\ndata: {}\n\n")
                sent = 0
            while not activity.closed:
                changed = activity.wait(sent, clears, writes, STREAM_KEEPALIVE_SECONDS)
                events = []
                if outbox.clears != clears:
                    clears, sent = outbox.clears, 0
                    events.append("event: reset\ndata: {}\n\n")
                entries = [f"id: {index}\nevent: outbox\ndata: {json.dumps(entry)}\n\n" for index, entry in enumerate(outbox.entries(sent), sent + 1)]
                sent += len(entries)
                events += entries
                if activity.writes != writes:
                    writes = activity.writes
                    events.append(f"event: table\ndata: {writes}\n\n")
                if not changed:
                    events.append(": nothing new\n\n")
                if events:
                    self.wfile.write("".join(events).encode())
                    self.wfile.flush()
        except OSError:  # the client went away
            pass

    def _health(self) -> None:
        self._read_body()
        self._send_json(HTTPStatus.OK, {"status": "ok"})


ROUTES: dict[tuple[str, str], Callable[[_RequestHandler], None]] = {
    ("GET", "/"): _RequestHandler._console_page,
    ("OPTIONS", "/graphql"): _RequestHandler._preflight,
    ("POST", "/graphql"): _RequestHandler._graphql,
    ("GET", "/graphql"): _RequestHandler._graphql_page,
    ("GET", "/graphql/realtime"): _RequestHandler._realtime,
    ("GET", "/local/stream"): _RequestHandler._stream,
    ("GET", "/health"): _RequestHandler._health,
    ("GET", "/local/outbox"): _RequestHandler._outbox,
    ("DELETE", "/local/outbox"): _RequestHandler._clear_outbox,
    ("GET", "/local/outbox/statuses"): _RequestHandler._outbox_statuses,
    ("POST", "/local/events"): _RequestHandler._events,
    ("POST", "/local/sweep"): _RequestHandler._sweep,
    ("POST", "/local/expire"): _RequestHandler._expire,
    ("GET", "/local/channels"): _RequestHandler._channels,
    ("POST", "/local/channels"): _RequestHandler._channels,
    ("POST", "/local/alarms"): _RequestHandler._alarms,
}
# What a browser may send to /graphql: the API key, or a SigV4 signature.
CORS_REQUEST_HEADERS = ["content-type", "x-api-key", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]


class LocalServer(ThreadingHTTPServer):
    """Binds first (so a busy port fails fast), serves once a stack is attached."""

    daemon_threads = True
    # The listen backlog (socketserver's default is 5): a burst of new connections is queued, not reset.
    request_queue_size = 2 * WORKERS

    def __init__(self, settings: Settings) -> None:
        # The socket timeout bounds every wait for the client: the request line and headers, and an idle
        # keep-alive connection; the body has one deadline for all of it (_read_body).
        self.handler_class: type[_RequestHandler] = type("RequestHandler", (_RequestHandler,), {"timeout": settings.read_timeout_seconds})
        super().__init__((settings.host, settings.port), self.handler_class)

    def attach(self, stack: LocalStack) -> None:
        self.handler_class.stack = stack
