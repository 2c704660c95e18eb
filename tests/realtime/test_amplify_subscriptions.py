"""onMessageStatus with Amplify's JavaScript client (aws-amplify's generateClient), run by node."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local.launcher import LocalStackProcess
from local.manifest import REPO_ROOT
from tests.realtime.conftest import (
    API_KEY,
    ON_MESSAGE_STATUS,
    PROBE_PREFIX,
    event,
    new_client,
    probe,
    publish,
)

SUBSCRIBER = REPO_ROOT / "tests" / "realtime" / "node" / "amplify_subscriber.mjs"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "aws-amplify").is_dir(), reason="node and aws-amplify (make install) are needed"
)


@contextmanager
def amplify_subscriber(api: LocalStackProcess, owner: tuple[str, str], auth: dict[str, Any], variables: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
    """Amplify subscribed until the block ends; yields what it received (probes aside: see conftest.subscribed)."""
    variables = variables or {}
    options = {"endpoint": api.graphql_url, "region": "eu-central-1", "apiKey": API_KEY, "query": ON_MESSAGE_STATUS, "variables": variables, **auth}
    process = subprocess.Popen(["node", str(SUBSCRIBER), json.dumps(options)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    received: list[dict[str, Any]] = []
    probed = threading.Event()

    def read() -> None:
        for line in process.stdout or ():
            message = json.loads(line)
            if "data" in message and message["data"]["onMessageStatus"]["id"].startswith(PROBE_PREFIX):
                probed.set()
            else:
                received.append(message)

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        while not probed.is_set() and time.monotonic() < deadline and process.poll() is None:
            publish(api, probe(*owner, variables))
            probed.wait(0.2)
        assert probed.is_set(), f"Amplify's subscription did not start: {received}"
        yield received
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def _wait(received: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return received


def test_amplify_with_the_api_key_receives_the_default_clients_events(api: LocalStackProcess) -> None:
    with amplify_subscriber(api, ("default", "LIVE"), {"authMode": "apiKey"}) as received:
        published = event("default", senderId="amplify")
        publish(api, published)
        (message,) = _wait(received, 1)
    assert message["data"]["onMessageStatus"] == {name: published[name] for name in ("id", "messageId", "senderId", "status", "clientId", "mode")}


def test_amplify_with_a_client_key_receives_its_own_clients_events_only(api: LocalStackProcess) -> None:
    # GIVEN client B subscribed through Amplify's Lambda mode with its key, asking for A's sender
    client_a, client_b = new_client(api, "amplify A"), new_client(api, "amplify B")
    auth = {"authMode": "lambda", "authToken": client_b.keys["LIVE"][1]}
    with amplify_subscriber(api, (client_b.id, "LIVE"), auth, {"senderId": "shop"}) as received:
        # WHEN A's event and then B's are published
        publish(api, event(client_a.id, senderId="shop"))
        own = event(client_b.id, senderId="shop")
        publish(api, own)
        # THEN B receives only its own (in publishing order, A's would have come first)
        messages = _wait(received, 1)
    assert [message["data"]["onMessageStatus"]["id"] for message in messages] == [own["id"]]
