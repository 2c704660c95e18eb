"""A queue poller's wait ends when its event source stops, whenever the stop comes: never a wait out to its timeout
(a stop that came between the poller's check and its wait would otherwise hold the stack's shutdown)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.aws.emulator import MotoQueueWaiter
from local.aws.event_sources import Polling, QueueWaiter

# Far longer than the join below: a wait that returns within the join did not wait out its timeout.
LONG_WAIT_SECONDS = 60.0
JOIN_SECONDS = 5.0


@pytest.fixture
def moto_queue_url() -> Iterator[str]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        yield sqs.create_queue(QueueName="waiter-stop")["QueueUrl"]


def waits_past_the_join(waiter: QueueWaiter, stopping: threading.Event) -> bool:
    thread = threading.Thread(target=waiter.wait, args=(LONG_WAIT_SECONDS, stopping), daemon=True)
    thread.start()
    thread.join(JOIN_SECONDS)
    return thread.is_alive()


def test_a_moto_queue_wait_begun_after_the_stop_returns_at_once(moto_queue_url: str) -> None:
    # GIVEN an empty queue, and a stop that came (its wake included) before the poller began to wait
    waiter = MotoQueueWaiter(moto_queue_url)
    stopping = threading.Event()
    stopping.set()
    waiter.wake()
    # WHEN the poller waits THEN the wait returns without waiting for a message or its timeout
    assert not waits_past_the_join(waiter, stopping)


def test_a_moto_queue_wait_under_way_ends_on_the_stop(moto_queue_url: str) -> None:
    # GIVEN a poller waiting on an empty queue
    waiter = MotoQueueWaiter(moto_queue_url)
    stopping = threading.Event()
    thread = threading.Thread(target=waiter.wait, args=(LONG_WAIT_SECONDS, stopping), daemon=True)
    thread.start()
    # WHEN its event source stops (as SqsEventSource.stop does: the flag, then the wake)
    stopping.set()
    waiter.wake()
    # THEN the wait ends
    thread.join(JOIN_SECONDS)
    assert not thread.is_alive()


def test_a_polling_wait_begun_after_the_stop_returns_at_once() -> None:
    stopping = threading.Event()
    stopping.set()
    assert not waits_past_the_join(Polling(seconds=LONG_WAIT_SECONDS), stopping)
