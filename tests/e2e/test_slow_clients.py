"""A client that sends part of a request and then nothing holds a connection of the local stack for
READ_TIMEOUT_SECONDS at most, then gets a 408 and a closed connection; a complete request is answered as before."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from local.launcher import LocalStackProcess, running_stack
from tests.e2e.conftest import API_KEY

READ_TIMEOUT_SECONDS = 2
# How long a test waits for the stack's answer before calling it held: far past the timeout.
PATIENCE_SECONDS = 20


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStackProcess]:
    with running_stack(API_KEY, {"READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS)}) as started:
        yield started


def raw_connection(stack: LocalStackProcess) -> socket.socket:
    address = urlsplit(stack.base_url)
    connection = socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=PATIENCE_SECONDS)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def post_head(stack: LocalStackProcess, length: int) -> bytes:
    host = urlsplit(stack.base_url).netloc
    return (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nx-api-key: {stack.api_key}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def test_half_a_body_then_silence_is_answered_408_and_closed_after_the_read_timeout(stack: LocalStackProcess) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    connection = raw_connection(stack)
    try:
        # GIVEN a client that sends the headers and half of its body, then nothing
        connection.sendall(post_head(stack, len(body)) + body[: len(body) // 2])
        started = time.monotonic()
        # WHEN it waits
        answer = read_until_closed(connection)
        held = time.monotonic() - started
    finally:
        connection.close()
    # THEN the stack answered 408 and closed the connection once the timeout had passed, not before or long after
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"][0]["errorType"] == "RequestTimeoutException"
    assert READ_TIMEOUT_SECONDS - 0.5 <= held < READ_TIMEOUT_SECONDS + 5


def test_a_body_dribbled_a_byte_at_a_time_meets_one_deadline_for_all_of_it(stack: LocalStackProcess) -> None:
    body = json.dumps({"query": "{ __typename }", "padding": "x" * 40}).encode()
    connection = raw_connection(stack)
    started = time.monotonic()
    try:
        connection.sendall(post_head(stack, len(body)))
        answer = b""
        # GIVEN a client that sends a byte every 0.3 s (each read alone would be well inside the timeout)
        for byte in body:
            try:
                connection.sendall(bytes([byte]))
            except OSError:  # the stack closed the connection: it stopped waiting
                break
            time.sleep(0.3)
            if time.monotonic() - started > PATIENCE_SECONDS:
                break
        answer = read_until_closed(connection)
    except OSError:
        pass
    finally:
        connection.close()
    # THEN the stack stopped waiting once the whole body's deadline had passed
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS + 5


def test_headers_that_never_end_do_not_hold_the_connection(stack: LocalStackProcess) -> None:
    connection = raw_connection(stack)
    try:
        connection.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        read_until_closed(connection)
        assert time.monotonic() - started < READ_TIMEOUT_SECONDS + 5
    finally:
        connection.close()


def test_a_complete_request_sent_in_two_parts_within_the_timeout_is_answered(stack: LocalStackProcess) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    connection = raw_connection(stack)
    try:
        connection.sendall(post_head(stack, len(body)) + body[:10])
        time.sleep(READ_TIMEOUT_SECONDS / 4)
        connection.sendall(body[10:])
        answer = read_until_closed(connection)
    finally:
        connection.close()
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"__typename": "Query"' in answer
