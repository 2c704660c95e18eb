"""The real-time endpoint's handshake and messages, spoken by hand with the `websockets` client (no AppSync client
would send these malformed requests)."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local.launcher import LocalStackProcess
from tests.realtime.conftest import API_KEY, ON_MESSAGE_STATUS, host_of, realtime_url


def _b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def _open(api: LocalStackProcess, header: Any = None, *, query: str | None = None, subprotocols: list[str] | None = None) -> ClientConnection:
    header = {"host": host_of(api), "x-api-key": API_KEY} if header is None else header
    query = f"header={_b64(header)}&payload=e30=" if query is None else query
    return connect(f"{realtime_url(api)}?{query}", subprotocols=subprotocols or ["graphql-ws"], open_timeout=10)  # type: ignore[arg-type]


def _next(websocket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(websocket.recv(timeout=10))
    return message


def _start(api: LocalStackProcess, websocket: ClientConnection, query: str, authorization: dict[str, str] | None = None) -> dict[str, Any]:
    data = json.dumps({"query": query, "variables": {}})
    authorization = {"host": host_of(api), "x-api-key": API_KEY} if authorization is None else authorization
    websocket.send(json.dumps({"id": "s1", "type": "start", "payload": {"data": data, "extensions": {"authorization": authorization}}}))
    return _next(websocket)


def _connection_error(websocket: ClientConnection) -> dict[str, Any]:
    websocket.send(json.dumps({"type": "connection_init"}))
    answer = _next(websocket)
    assert answer["type"] == "connection_error"
    # AppSync closes a refused connection.
    with pytest.raises(ConnectionClosed):
        websocket.recv(timeout=10)
    error: dict[str, Any] = answer["payload"]["errors"][0]
    return error


def test_connection_ack_then_keepalives(api: LocalStackProcess) -> None:
    with _open(api) as websocket:
        assert websocket.subprotocol == "graphql-ws"
        websocket.send(json.dumps({"type": "connection_init"}))
        assert _next(websocket) == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
        # The stack under test sends a `ka` every 0.5 s (REALTIME_KEEPALIVE_SECONDS).
        assert [_next(websocket)["type"] for _ in range(3)] == ["ka", "ka", "ka"]


def test_a_subscription_is_acknowledged_and_stop_completes_it(api: LocalStackProcess) -> None:
    with _open(api) as websocket:
        websocket.send(json.dumps({"type": "connection_init"}))
        _next(websocket)
        answer = _start(api, websocket, ON_MESSAGE_STATUS)
        while answer["type"] == "ka":
            answer = _next(websocket)
        assert answer == {"id": "s1", "type": "start_ack"}
        # The same id again is refused while the first runs.
        duplicate = _start(api, websocket, ON_MESSAGE_STATUS)
        while duplicate["type"] == "ka":
            duplicate = _next(websocket)
        assert duplicate["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"
        websocket.send(json.dumps({"id": "s1", "type": "stop"}))
        answer = _next(websocket)
        while answer["type"] == "ka":
            answer = _next(websocket)
        assert answer == {"id": "s1", "type": "complete"}


def test_the_amplify_form_of_the_handshake_header_is_accepted(api: LocalStackProcess) -> None:
    # Amplify sends the header object as a `header-<base64url, unpadded>` subprotocol, and no query parameters.
    encoded = base64.urlsafe_b64encode(json.dumps({"host": host_of(api), "x-api-key": API_KEY}).encode()).decode().rstrip("=")
    with _open(api, query="", subprotocols=["graphql-ws", f"header-{encoded}"]) as websocket:
        websocket.send(json.dumps({"type": "connection_init"}))
        assert _next(websocket)["type"] == "connection_ack"


@pytest.mark.parametrize(
    ("query", "header", "error_type", "code"),
    [
        ("payload=e30=", None, "UnauthorizedException", 401),
        ("header=not-base64!&payload=e30=", None, "BadRequestException", 400),
        (f"header={_b64(['a list'])}&payload=e30=", None, "BadRequestException", 400),
        (None, {"host": "127.0.0.1", "x-api-key": "wrong"}, "UnauthorizedException", 401),
        (None, {"host": "evil.example", "x-api-key": API_KEY}, "UnauthorizedException", 401),
        (None, {"host": "127.0.0.1", "authorization": "sm_live_not-a-key"}, "UnauthorizedException", 401),
    ],
)
def test_a_malformed_or_unauthorized_handshake_gets_a_connection_error(api: LocalStackProcess, query: str | None, header: Any, error_type: str, code: int) -> None:
    if header is not None:
        header = {**header, "host": host_of(api)} if header["host"] == "127.0.0.1" else header
    with _open(api, header, query=query) as websocket:
        error = _connection_error(websocket)
    assert (error["errorType"], error["errorCode"]) == (error_type, code)


def test_a_wrong_payload_parameter_is_refused(api: LocalStackProcess) -> None:
    with _open(api, query=f"header={_b64({'host': host_of(api), 'x-api-key': API_KEY})}&payload={_b64({'a': 1})}") as websocket:
        assert _connection_error(websocket)["errorType"] == "BadRequestException"


def test_without_the_graphql_ws_subprotocol_the_upgrade_is_refused(api: LocalStackProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _open(api, subprotocols=["graphql-transport-ws"])
    assert refused.value.response.status_code == 400


def test_a_non_loopback_host_is_refused_before_the_upgrade(api: LocalStackProcess) -> None:
    request = urllib.request.Request(realtime_url(api).replace("ws://", "http://"), headers={"Host": "evil.example", "Upgrade": "websocket", "Connection": "Upgrade"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


@pytest.mark.parametrize(
    ("query", "authorization", "error_type"),
    [
        (ON_MESSAGE_STATUS, {"x-api-key": API_KEY}, "UnauthorizedException"),  # no host
        (ON_MESSAGE_STATUS, {"host": "", "x-api-key": "wrong"}, "UnauthorizedException"),
        ("query { webhooks { id } }", None, "UnsupportedOperation"),
        # AppSync words a validation error in its message and gives no errorType.
        ("subscription { onMessageStatus { nothing } }", None, None),
    ],
)
def test_a_start_that_cannot_run_gets_an_error_for_its_id(api: LocalStackProcess, query: str, authorization: dict[str, str] | None, error_type: str | None) -> None:
    if authorization is not None and authorization.get("host") == "":
        authorization = {**authorization, "host": host_of(api)}
    with _open(api) as websocket:
        websocket.send(json.dumps({"type": "connection_init"}))
        _next(websocket)
        answer = _start(api, websocket, query, authorization)
        while answer["type"] == "ka":
            answer = _next(websocket)
    assert answer["type"] == "error"
    assert answer["id"] == "s1"
    [error] = answer["payload"]["errors"][:1]
    assert error.get("errorType") == error_type
    if error_type is None:
        assert error["message"].startswith("Validation error of type FieldUndefined: Field 'nothing' in type 'MessageEvent' is undefined")


def test_an_unknown_message_type_is_refused(api: LocalStackProcess) -> None:
    with _open(api) as websocket:
        websocket.send(json.dumps({"type": "subscribe", "id": "1"}))
        answer = _next(websocket)
    assert answer == {"type": "error", "payload": {"errors": [{"errorType": "UnsupportedOperation", "message": "subscribe not supported through the realtime channel"}]}}


def test_subscriptions_are_refused_over_http(api: LocalStackProcess) -> None:
    reply = api.graphql(ON_MESSAGE_STATUS)
    assert reply.errors[0]["errorType"] == "UnsupportedOperation"
