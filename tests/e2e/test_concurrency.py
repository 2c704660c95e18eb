"""Many clients at once: every connection is served, nothing is lost, duplicated or sent twice.

Deterministic by construction: a fixed number of sends, all awaited, and assertions on counts only
(speed figures live in `make bench`: bench/load.py).
"""

from __future__ import annotations

import http.client
import json
import threading

from local.operations import SEND_MESSAGE
from tests.e2e.conftest import LocalApi

CONNECTIONS = 64


def test_sixty_four_connections_opened_at_once_are_each_served_and_every_send_recorded_once(api: LocalApi, fresh_email: str) -> None:
    # GIVEN 64 clients, each opening its own connection at the same moment
    start = threading.Barrier(CONNECTIONS)
    replies: list[tuple[int, dict]] = []
    failures: list[str] = []
    lock = threading.Lock()
    output_before = len(api.output)

    def client(index: int) -> None:
        start.wait()
        connection = api.connect(timeout=120)
        try:
            to = f"{index}.{fresh_email}"
            body = json.dumps({"query": SEND_MESSAGE, "variables": {"input": {"to": to, "body": f"burst {index}", "deliveryMethod": "EMAIL"}}})
            connection.request("POST", "/graphql", body=body, headers={"content-type": "application/json", "x-api-key": api.api_key})
            reply = connection.getresponse()
            with lock:
                replies.append((reply.status, json.loads(reply.read())))
        except (OSError, http.client.HTTPException) as error:
            with lock:
                failures.append(f"{index}: {type(error).__name__}: {error}")
        finally:
            connection.close()

    # WHEN each sends one message
    threads = [threading.Thread(target=client, args=(index,)) for index in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN no connection was reset or refused, and every request succeeded
    assert failures == []
    assert [status for status, _ in replies] == [200] * CONNECTIONS
    assert [body.get("errors") for _, body in replies] == [None] * CONNECTIONS
    ids = {body["data"]["sendMessage"]["id"] for _, body in replies}
    assert len(ids) == CONNECTIONS
    # AND each message was delivered exactly once
    bodies = sorted(entry["body"] for entry in api.outbox() if entry["to"][0].endswith(f".{fresh_email}"))
    assert bodies == sorted(f"burst {index}" for index in range(CONNECTIONS))
    # AND no client connection pool overflowed on the way (urllib3 warns when it discards a connection)
    assert not [line for line in api.output[output_before:] if "Connection pool is full" in line]
