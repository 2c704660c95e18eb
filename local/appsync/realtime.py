"""AppSync's real-time endpoint, locally: the GraphQL subscriptions protocol over a WebSocket, with no socket in it.

The WebSocket itself (the upgrade, framing, threads) is local/appsync/websocket.py's; this module is the protocol
and the subscriptions, as AWS documents them ("Building a real-time WebSocket client in AWS AppSync", "Defining
enhanced subscriptions filters", "Unsubscribing WebSocket connections using filters") and as the clients made for
AppSync speak it (gql's AppSyncWebsocketsTransport, Amplify's AWSAppSyncRealTimeProvider):

- the handshake: subprotocol `graphql-ws`; the caller's header object (`host` plus its credentials) as the
  `header` query parameter (base64 JSON; gql) or as a `header-<base64url JSON>` subprotocol (Amplify); an
  optional `payload` parameter, `e30=` (`{}`). Credentials as over HTTP: `Authorization` for a client key (the
  Lambda authorizer), `x-api-key`, or the SigV4 headers of a signed `POST <http url>/connect` with body `{}`;
- `connection_init` -> `connection_ack` (`connectionTimeoutMs`), then `ka` keep-alives; a refused connection
  gets `connection_error` and is closed;
- `start` (`payload.data`: the JSON of `{query, variables}`; `payload.extensions.authorization`: a header object
  authorizing this subscription, SigV4 over `POST <http url>` with `data` as body) runs the subscription's
  resolver -> `start_ack`, or `error`; then `data` for each published payload that passes the subscription's
  filter, rendered with the subscription's own selection set;
- `stop` -> `complete`;
- a mutation's `extensions.invalidateSubscriptions` whose payload passes a subscription's invalidation filter
  ends it with `complete` ("Subscription complete.") and closes its connection.

What AWS does not document is chosen here and listed in docs/local-stack.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qs

from local.appsync.auth import Authorizer, Caller, Refusal
from local.appsync.host import GraphQLHost, Invalidation, Published, SubscriptionStart
from local.appsync.subscription_filters import (
    FilterError,
    matches,
    matches_arguments,
    validate,
)
from local.config import host_is_loopback

logger = logging.getLogger("local.appsync.realtime")

SUBPROTOCOL = "graphql-ws"
HEADER_SUBPROTOCOL_PREFIX = "header-"
# What connection_ack tells a client: the longest it may wait for a `ka` before it gives the connection up.
CONNECTION_TIMEOUT_MS = 300_000
# How often a `ka` is sent. AWS documents none; Amplify warns when none came for 65 s, so AppSync sends one
# within a minute.
KEEPALIVE_SECONDS = 60.0
INVALIDATED = {"message": "Subscription complete."}
NORMAL_CLOSURE = 1000


@dataclass(frozen=True)
class RealtimeError:
    """An error as the real-time endpoint sends it (its `errorCode` only on connection errors, as AppSync)."""

    error_type: str
    message: str
    code: int | None = None

    def payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {"errorType": self.error_type, "message": self.message}
        if self.code is not None:
            error["errorCode"] = self.code
        return {"errors": [error]}


def _refusal(refusal: Refusal) -> RealtimeError:
    return RealtimeError(refusal.error_type, refusal.message, int(refusal.status))


UNAUTHORIZED = RealtimeError("UnauthorizedException", "You are not authorized to make this call.", int(HTTPStatus.UNAUTHORIZED))


def _bad_request(message: str) -> RealtimeError:
    return RealtimeError("BadRequestException", message, int(HTTPStatus.BAD_REQUEST))


def _decode_json_base64(text: str) -> Any:
    """JSON from base64, standard or URL-safe, with or without padding; ValueError otherwise."""
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as error:
        raise ValueError(str(error)) from error


@dataclass(frozen=True)
class Handshake:
    """What the upgrade request carried: the caller's header object, or why it cannot be used."""

    header: dict[str, str] | None
    problem: RealtimeError | None = None


def read_handshake(query_string: str, subprotocols: list[str]) -> Handshake:
    """The header object from the `header` query parameter or a `header-...` subprotocol, and the payload check."""
    parameters = parse_qs(query_string, keep_blank_values=True)
    encoded = parameters.get("header", [None])[0]
    if encoded is None:
        encoded = next((protocol.removeprefix(HEADER_SUBPROTOCOL_PREFIX) for protocol in subprotocols if protocol.startswith(HEADER_SUBPROTOCOL_PREFIX)), None)
    if encoded is None:
        return Handshake(None, UNAUTHORIZED)
    try:
        header = _decode_json_base64(encoded)
        payload = _decode_json_base64(parameters["payload"][0]) if "payload" in parameters else {}
    except ValueError:
        return Handshake(None, _bad_request("The header and payload query parameters must be base64-encoded JSON"))
    if not isinstance(header, dict) or not all(isinstance(value, str) for value in header.values()):
        return Handshake(None, _bad_request("The header must be a JSON object of strings"))
    if payload != {}:
        return Handshake(None, _bad_request("The payload query parameter must be the base64 of {}"))
    return Handshake({name.lower(): value for name, value in header.items()})


class Outbound(Protocol):
    """How a connection's messages leave: each a JSON text frame; `close` ends the WebSocket after what was sent."""

    def send(self, message: dict[str, Any]) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


@dataclass
class Subscription:
    connection: Connection
    id: str
    caller: Caller
    start: SubscriptionStart
    filter_groups: list[list[dict[str, Any]]] | None
    invalidation_groups: list[list[dict[str, Any]]] | None

    def wants(self, payload: dict[str, Any]) -> bool:
        if self.filter_groups is not None:
            return matches(self.filter_groups, payload)
        return matches_arguments(self.start.arguments, payload)


@dataclass
class Realtime:
    """Every open connection's subscriptions, and the fan-out of what mutations publish and invalidate."""

    host: GraphQLHost
    authorizer: Authorizer
    # Bounds how many requests run at once (the stack's `executing`): a subscription's resolver counts as one.
    executing: AbstractContextManager[Any] = field(default_factory=nullcontext)
    keepalive_seconds: float = KEEPALIVE_SECONDS
    _subscriptions: dict[tuple[int, str], Subscription] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Payloads delivered so far (the benchmark reads it).
    delivered: int = 0

    def __post_init__(self) -> None:
        self.host.realtime = self

    def connect(self, handshake: Handshake, outbound: Outbound) -> Connection:
        caller: Caller | RealtimeError
        if handshake.problem is not None or handshake.header is None:
            caller = handshake.problem or UNAUTHORIZED
        else:
            caller = self.authenticate(handshake.header, "/graphql/connect", b"{}")
        return Connection(self, outbound, caller)

    def authenticate(self, header: dict[str, str], path: str, body: bytes) -> Caller | RealtimeError:
        """The caller a header object names, checked as AppSync checks a request to `path` with `body`."""
        host = header.get("host")
        if not host_is_loopback(host):
            return RealtimeError("UnauthorizedException", "The header's host must be the local stack's loopback host", int(HTTPStatus.UNAUTHORIZED))
        checked = self.authorizer.authenticate("POST", f"http://{host}{path}", header, body)
        return _refusal(checked) if isinstance(checked, Refusal) else checked

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def _add(self, subscription: Subscription) -> bool:
        key = (id(subscription.connection), subscription.id)
        with self._lock:
            if key in self._subscriptions:
                return False
            self._subscriptions[key] = subscription
            return True

    def _remove(self, connection: Connection, subscription_id: str | None = None) -> list[Subscription]:
        with self._lock:
            keys = [key for key, found in self._subscriptions.items() if found.connection is connection and subscription_id in (None, found.id)]
            return [self._subscriptions.pop(key) for key in keys]

    # --- what mutations do (GraphQLHost calls this after each mutation request) -------------------------------

    def mutation_completed(self, published: list[Published], invalidations: list[Invalidation]) -> None:
        subscriptions = self.subscriptions()
        for change in published:
            for subscription in subscriptions:
                if change.mutation_field in self.host.subscribed_mutations.get(subscription.start.field_name, ()) and subscription.wants(change.payload):
                    rendered = self.host.render(subscription.start, change.payload, subscription.caller)
                    subscription.connection.outbound.send({"id": subscription.id, "type": "data", "payload": rendered})
                    with self._lock:
                        self.delivered += 1
        for invalidation in invalidations:
            ended = [
                subscription
                for subscription in subscriptions
                if subscription.start.field_name == invalidation.subscription_field
                and subscription.invalidation_groups is not None
                and matches(subscription.invalidation_groups, invalidation.payload)
            ]
            for connection in {id(subscription.connection): subscription.connection for subscription in ended}.values():
                connection.invalidate([subscription.id for subscription in ended if subscription.connection is connection])


@dataclass
class Connection:
    """One WebSocket's protocol state. The adapter hands it each text message and ticks it for keep-alives."""

    realtime: Realtime
    outbound: Outbound
    # The caller the handshake authenticated, or why the connection is refused (told on the first message).
    handshake: Caller | RealtimeError
    acknowledged: bool = False
    closed: bool = False

    def _error(self, problem: RealtimeError, subscription_id: str | None = None) -> None:
        message: dict[str, Any] = {"type": "error", "payload": problem.payload()}
        if subscription_id is not None:
            message["id"] = subscription_id
        self.outbound.send(message)

    def received(self, text: str) -> None:
        if self.closed:
            return
        if isinstance(self.handshake, RealtimeError):
            self.outbound.send({"type": "connection_error", "payload": self.handshake.payload()})
            self.end("connection refused")
            return
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):
            self._error(RealtimeError("BadRequestException", "A message must be a JSON object"))
            return
        kind = message.get("type")
        if kind == "connection_init":
            self.outbound.send({"type": "connection_ack", "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}})
            self.acknowledged = True
            self.outbound.send({"type": "ka"})
        elif kind == "start":
            self._start(message)
        elif kind == "stop":
            subscription_id = message.get("id")
            if isinstance(subscription_id, str):
                self.realtime._remove(self, subscription_id)
                self.outbound.send({"id": subscription_id, "type": "complete"})
            else:
                self._error(RealtimeError("BadRequestException", "stop needs the id of a subscription"))
        else:
            self._error(RealtimeError("UnsupportedOperation", f"{kind} not supported through the realtime channel"))

    def _start(self, message: dict[str, Any]) -> None:
        subscription_id = message.get("id")
        if not isinstance(subscription_id, str) or not subscription_id:
            self._error(RealtimeError("BadRequestException", "start needs an id"))
            return
        payload = message.get("payload")
        data = payload.get("data") if isinstance(payload, dict) else None
        extensions = payload.get("extensions") if isinstance(payload, dict) else None
        authorization = extensions.get("authorization") if isinstance(extensions, dict) else None
        if not isinstance(authorization, dict) or not all(isinstance(value, str) for value in authorization.values()):
            self._error(UNAUTHORIZED, subscription_id)
            return
        if not isinstance(data, str):
            self._error(RealtimeError("BadRequestException", "payload.data must be the JSON text of {query, variables}"), subscription_id)
            return
        header = {name.lower(): value for name, value in authorization.items()}
        caller = self.realtime.authenticate(header, "/graphql", data.encode())
        if isinstance(caller, RealtimeError):
            self._error(caller, subscription_id)
            return
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            self._error(RealtimeError("BadRequestException", "payload.data must be the JSON text of {query, variables}"), subscription_id)
            return
        with self.realtime.executing:
            started = self.realtime.host.start_subscription(body, header, caller)
        if isinstance(started, list):
            self.outbound.send({"id": subscription_id, "type": "error", "payload": {"errors": started}})
            return
        try:
            filter_groups = validate(started.extensions.subscription_filter) if started.extensions.subscription_filter is not None else None
            invalidation_groups = validate(started.extensions.invalidation_filter) if started.extensions.invalidation_filter is not None else None
        except FilterError as error:
            self._error(RealtimeError("BadRequestException", f"The subscription's filter is not valid: {error}"), subscription_id)
            return
        subscription = Subscription(self, subscription_id, caller, started, filter_groups, invalidation_groups)
        if not self.realtime._add(subscription):
            self._error(RealtimeError("DuplicatedOperationError", "Duplicate subscriptionId"), subscription_id)
            return
        self.outbound.send({"id": subscription_id, "type": "start_ack"})

    def tick(self) -> None:
        """Time for a keep-alive (the adapter calls this every `keepalive_seconds`)."""
        if self.acknowledged and not self.closed:
            self.outbound.send({"type": "ka"})

    def invalidate(self, subscription_ids: list[str]) -> None:
        for subscription_id in subscription_ids:
            self.realtime._remove(self, subscription_id)
            self.outbound.send({"id": subscription_id, "type": "complete", "payload": INVALIDATED})
        self.end("subscription invalidated")

    def end(self, reason: str) -> None:
        """Close the WebSocket (after what was sent) and forget its subscriptions."""
        if not self.closed:
            self.closed = True
            self.realtime._remove(self)
            self.outbound.close(NORMAL_CLOSURE, reason)

    def gone(self) -> None:
        """The WebSocket closed (the client left, or the socket failed)."""
        self.closed = True
        self.realtime._remove(self)

