"""A local stack for the real-time tests, and helpers: a subscriber through gql's AppSyncWebsocketsTransport (an
unmodified third-party AppSync client), and publishMessageEvent signed as the event publisher signs it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.credentials import Credentials
from gql import Client, gql
from gql.transport.appsync_auth import (
    AppSyncApiKeyAuthentication,
    AppSyncAuthentication,
    AppSyncIAMAuthentication,
    AppSyncJWTAuthentication,
)
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

from local.config import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from local.launcher import LocalStackProcess, Response, running_stack
from tests.e2e.conftest import signed, signed_as_publisher

API_KEY = "realtime-secret-key"
REGION = "eu-central-1"
# The stack's IAM principal acts as the default client (the API key's), as a backend's role would (iam_clients).
IAM_CLIENTS = json.dumps({"arn:aws:iam::000000000000:user/local": "default"})
KEEPALIVE_SECONDS = "0.5"

ON_MESSAGE_STATUS = """
subscription OnStatus($senderId: String, $messageId: ID) {
  onMessageStatus(senderId: $senderId, messageId: $messageId) { id messageId senderId status clientId mode }
}
"""
PUBLISH = """
mutation Publish($event: MessageEventInput!) {
  publishMessageEvent(event: $event) { id messageId senderId status reason at clientId mode }
}
"""
CREATE_CLIENT = "mutation($input: CreateClientInput!) { createClient(input: $input) { id } }"
CREATE_KEY = "mutation($clientId: ID!, $mode: KeyMode!) { createClientKey(clientId: $clientId, mode: $mode) { secret key { id } } }"
REVOKE_KEY = "mutation($keyId: ID!) { revokeClientKey(keyId: $keyId) { id revokedAt } }"

_ids = iter(range(1_000_000))


@pytest.fixture(scope="session")
def api() -> Iterator[LocalStackProcess]:
    # No authorizer cache, so a revoked key is refused at once (the revocation test's reconnection).
    env = {"IAM_CLIENTS": IAM_CLIENTS, "REALTIME_KEEPALIVE_SECONDS": KEEPALIVE_SECONDS, "AUTHORIZER_CACHE_SECONDS": "0"}
    with running_stack(API_KEY, env) as stack:
        yield stack


def host_of(api: LocalStackProcess) -> str:
    return api.base_url.removeprefix("http://")


def realtime_url(api: LocalStackProcess) -> str:
    return f"ws://{host_of(api)}/graphql/realtime"


def api_key_auth(api: LocalStackProcess, key: str = API_KEY) -> AppSyncAuthentication:
    return AppSyncApiKeyAuthentication(host=host_of(api), api_key=key)


def client_key_auth(api: LocalStackProcess, secret: str) -> AppSyncAuthentication:
    # gql has no class named for AWS_LAMBDA: its JWT class sends {host, Authorization: <token>}, which is exactly
    # the header object AppSync's Lambda mode reads.
    return AppSyncJWTAuthentication(host=host_of(api), jwt=secret)


def iam_auth(api: LocalStackProcess, secret: str = LOCAL_SECRET_ACCESS_KEY) -> AppSyncAuthentication:
    return AppSyncIAMAuthentication(host=host_of(api), credentials=Credentials(LOCAL_ACCESS_KEY_ID, secret), region_name=REGION)


def event(client_id: str, mode: str = "LIVE", **overrides: Any) -> dict[str, Any]:
    number = next(_ids)
    values = {
        "id": f"01EVENT{number:019d}",
        "messageId": f"MESSAGE#01MSG{number:021d}",
        "senderId": "shop",
        "status": "DELIVERED",
        "reason": "Delivered to the recipient's mail server",
        "at": "2026-01-01T00:00:00.000Z",
        "clientId": client_id,
        "mode": mode,
    }
    return {**values, **overrides}


def publish(api: LocalStackProcess, published: dict[str, Any]) -> Response:
    """publishMessageEvent as the event publisher calls it: signed with SigV4 by the functions' role."""
    reply = signed_as_publisher(api, PUBLISH, {"event": published})
    assert not reply.errors, reply.errors
    return reply


@dataclass
class NewClient:
    id: str
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # mode -> (key id, secret)


def new_client(api: LocalStackProcess, name: str) -> NewClient:
    created = signed(api, CREATE_CLIENT, {"input": {"name": name}})
    assert not created.errors, created.errors
    client = NewClient(created.data["createClient"]["id"])
    for mode in ("LIVE", "TEST"):
        made = signed(api, CREATE_KEY, {"clientId": client.id, "mode": mode}).data["createClientKey"]
        client.keys[mode] = (made["key"]["id"], made["secret"])
    return client


PROBE_PREFIX = "01PROBE"


@dataclass
class Subscriber:
    """A gql subscription running in a thread of its own: what it received (probes aside), and how it ended."""

    received: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None
    probed: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline and not self.ended.is_set():
            time.sleep(0.01)
        return self.received


def probe(client_id: str, mode: str, variables: dict[str, Any]) -> dict[str, Any]:
    """An event the subscriber must receive (its client, mode, sender and message), told apart by its id."""
    return event(client_id, mode, id=f"{PROBE_PREFIX}{next(_ids):019d}", **{name: value for name, value in variables.items() if value is not None})


@contextmanager
def subscribed(api: LocalStackProcess, auth: AppSyncAuthentication, owner: tuple[str, str], variables: dict[str, Any] | None = None) -> Iterator[Subscriber]:
    """A subscriber to onMessageStatus until the block ends (or the server ends it). gql yields data only, never
    start_ack, so the subscription is known to be held once a probe (an event of `owner`, its client and mode)
    has come back; probes are left out of `received`."""
    variables = variables or {}
    subscriber = Subscriber()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def listen() -> None:
        transport = AppSyncWebsocketsTransport(url=realtime_url(api), auth=auth)
        try:
            async with Client(transport=transport) as session:
                request = gql(ON_MESSAGE_STATUS)
                request.variable_values = variables
                reader = asyncio.ensure_future(_collect(session.subscribe(request), subscriber))
                stopped = asyncio.ensure_future(stop.wait())
                await asyncio.wait([reader, stopped], return_when=asyncio.FIRST_COMPLETED)
                reader.cancel()
                stopped.cancel()
        except BaseException as error:  # noqa: BLE001 - the test reads how the subscription ended
            subscriber.error = error
        finally:
            subscriber.ended.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(listen(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not subscriber.probed.is_set() and not subscriber.ended.is_set() and time.monotonic() < deadline:
        publish(api, probe(*owner, variables))
        subscriber.probed.wait(0.1)
    try:
        yield subscriber
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        loop.close()


async def _collect(stream: Any, subscriber: Subscriber) -> None:
    try:
        async for result in stream:
            received = result["onMessageStatus"]
            if received["id"].startswith(PROBE_PREFIX):
                subscriber.probed.set()
            else:
                subscriber.received.append(received)
    except asyncio.CancelledError:  # the block ended: the subscriber stops listening
        raise
    except BaseException as error:  # noqa: BLE001 - the test reads how the subscription ended
        subscriber.error = error
    finally:
        subscriber.ended.set()
