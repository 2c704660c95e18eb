"""moto's SQS as the local stack runs it: `quicken_sqs` in place on the installed moto and deciding as moto does,
`MotoQueueWaiter` waking when a message can be received, and both refusing a moto whose internals they do not
find."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs import models

from local.aws.emulator import MotoQueueWaiter, quicken_sqs

REGION = "us-east-1"
MESSAGES = 300
# Only ever reached if a wait is not woken: a woken wait returns at once.
UNREACHED_SECONDS = 30.0
JOIN_SECONDS = 5.0
DUE_SECONDS = 1.0  # time enough for the waiting thread to start on a busy machine


class WatchedCondition(threading.Condition):
    """moto's queue condition, recording each wait's timeout and whether it was notified (True) or timed out."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[tuple[float | None, bool]] = []
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        notified = super().wait(timeout)
        self.waits.append((timeout, notified))
        return notified


@pytest.fixture
def sqs() -> Iterator[Any]:
    quicken_sqs()
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def moto_queue(queue_url: str) -> Any:
    account_id, name = queue_url.rsplit("/", 2)[1:]
    return models.sqs_backends[account_id][REGION].get_queue(name)


def watched_waiter(queue_url: str) -> tuple[MotoQueueWaiter, WatchedCondition]:
    condition = WatchedCondition()
    moto_queue(queue_url)._messages_lock = condition
    return MotoQueueWaiter(queue_url), condition


def wait_in_thread(waiter: MotoQueueWaiter, events: list[str]) -> threading.Thread:
    def wait() -> None:
        waiter.wait(UNREACHED_SECONDS, threading.Event())
        events.append("woke")

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


def bodies(sqs: Any, queue_url: str, delete: bool = True) -> list[str]:
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    if delete and received:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)])
    return [message["Body"] for message in received]


# --- quicken_sqs -------------------------------------------------------------------------------------------


def test_quicken_sqs_replaces_moto_s_retention_check_and_clock() -> None:
    # WHEN the stack quickens the installed moto's SQS
    quicken_sqs()
    # THEN the method and clocks it replaces are its own
    assert models.SQSBackend.is_message_valid_based_on_retention_period.__qualname__.startswith("quicken_sqs.")
    assert models.unix_time.__qualname__.startswith("quicken_sqs.")
    assert models.unix_time_millis.__qualname__.startswith("quicken_sqs.")


def test_a_queue_of_many_messages_hands_each_out_once_through_the_patched_check(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a queue holding many messages, and a count of moto's calls to the retention check quicken_sqs replaced
    checks: list[str] = []
    patched = models.SQSBackend.is_message_valid_based_on_retention_period

    def counted(self: Any, queue_name: str, message: Any) -> bool:
        checks.append(queue_name)
        return patched(self, queue_name, message)

    monkeypatch.setattr(models.SQSBackend, "is_message_valid_based_on_retention_period", counted)
    queue_url = sqs.create_queue(QueueName="many")["QueueUrl"]
    for first in range(0, MESSAGES, 10):
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[{"Id": str(n), "MessageBody": str(first + n)} for n in range(10)])
    # WHEN ten are received and deleted
    first_batch = bodies(sqs, queue_url)
    # THEN they are ten distinct messages, gone from the queue, none left in flight
    assert len(set(first_batch)) == 10
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (str(MESSAGES - 10), "0")
    # AND draining the queue hands every other message out exactly once, each through the patched check
    rest: list[str] = []
    while batch := bodies(sqs, queue_url):
        rest.extend(batch)
    assert sorted(first_batch + rest, key=int) == [str(n) for n in range(MESSAGES)]
    assert checks.count("many") >= MESSAGES


def test_a_message_past_its_queue_s_retention_period_is_not_handed_out(sqs: Any) -> None:
    # GIVEN a queue keeping messages 60 s (not SQS's default 4 days), a fresh message and one sent 61 s ago
    queue_url = sqs.create_queue(QueueName="retention", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="fresh")
    sqs.send_message(QueueUrl=queue_url, MessageBody="old")
    old = next(message for message in moto_queue(queue_url)._messages if message.body == "old")
    old.sent_timestamp -= 61_000
    # WHEN the queue is read
    # THEN only the fresh one is handed out: the retention period is the queue's own
    assert bodies(sqs, queue_url, delete=False) == ["fresh"]


# --- MotoQueueWaiter ---------------------------------------------------------------------------------------


def test_an_idle_wait_returns_at_its_timeout(sqs: Any) -> None:
    # GIVEN a waiter on an empty queue
    waiter, condition = watched_waiter(sqs.create_queue(QueueName="idle")["QueueUrl"])
    # WHEN it waits a short while
    waiter.wait(DUE_SECONDS, threading.Event())
    # THEN it waited once, for its timeout, and was not notified
    assert condition.waits == [(DUE_SECONDS, False)]


def test_the_waiter_wakes_when_a_message_is_sent(sqs: Any) -> None:
    # GIVEN a waiter waiting on an empty queue for far longer than the test runs
    queue_url = sqs.create_queue(QueueName="sent")["QueueUrl"]
    waiter, condition = watched_waiter(queue_url)
    events: list[str] = []
    thread = wait_in_thread(waiter, events)
    assert condition.waiting.wait(JOIN_SECONDS)
    # WHEN a message is sent
    events.append("sent")
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    # THEN the wait ends, notified by the send, and the message can be received
    thread.join(JOIN_SECONDS)
    assert events == ["sent", "woke"]
    assert condition.waits == [(UNREACHED_SECONDS, True)]
    assert bodies(sqs, queue_url) == ["hello"]


@pytest.mark.parametrize("hidden_by", ["delay", "visibility timeout"])
def test_the_waiter_wakes_when_a_hidden_message_becomes_visible(sqs: Any, hidden_by: str) -> None:
    # GIVEN a message hidden for a moment: sent with a delay, or received and still in flight (moto counts both in
    # whole seconds; the moment is brought closer to keep the test short)
    queue_url = sqs.create_queue(QueueName="hidden")["QueueUrl"]
    if hidden_by == "delay":
        sqs.send_message(QueueUrl=queue_url, MessageBody="hello", DelaySeconds=1)
    else:
        sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=1)["Messages"]] == ["hello"]
    (message,) = moto_queue(queue_url)._messages

    def hide_for(seconds: float) -> None:
        due = time.time() * 1000 + seconds * 1000
        if hidden_by == "delay":
            message.delayed_until = due
        else:
            message.visible_at = due

    # (hidden far off while it is checked, so that a slow receive cannot outlast the moment)
    hide_for(UNREACHED_SECONDS)
    assert bodies(sqs, queue_url, delete=False) == []
    waiter, condition = watched_waiter(queue_url)
    events: list[str] = []
    # WHEN its moment is brought close and a waiter waits, with nothing sent meanwhile
    hide_for(DUE_SECONDS)
    thread = wait_in_thread(waiter, events)
    thread.join(JOIN_SECONDS)
    # THEN it timed out at the moment the message is due, not its own far timeout, and the message is received
    events.append("received" if bodies(sqs, queue_url) == ["hello"] else "not received")
    assert events == ["woke", "received"]
    ((timeout, notified),) = condition.waits
    assert notified is False
    assert timeout is not None and 0 < timeout <= DUE_SECONDS + 0.001


# --- a moto without what they expect ---------------------------------------------------------------------------


def test_quicken_sqs_refuses_a_moto_without_the_clock_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a moto whose SQS models no longer hold the clock quicken_sqs replaces, not quickened yet
    monkeypatch.setattr(models.SQSBackend, "_quickened", False, raising=False)
    monkeypatch.delattr(models, "unix_time_millis")
    check = models.SQSBackend.is_message_valid_based_on_retention_period
    # WHEN the stack starts THEN it stops, naming what it expected, and patches nothing
    with pytest.raises(RuntimeError, match=r"moto\.sqs\.models\.unix_time_millis"):
        quicken_sqs()
    assert models.SQSBackend.is_message_valid_based_on_retention_period is check


def test_quicken_sqs_and_the_waiter_refuse_a_queue_without_its_lock(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a moto whose queues keep their messages under another name
    made_as_moto_5_2 = models.Queue.__init__

    def made_renamed(self: Any, *args: Any, **kwargs: Any) -> None:
        made_as_moto_5_2(self, *args, **kwargs)
        self._lock_renamed, self._messages_in_order = self.__dict__.pop("_messages_lock"), self.__dict__.pop("_messages")

    queue_url = sqs.create_queue(QueueName="renamed")["QueueUrl"]
    monkeypatch.setattr(models.Queue, "__init__", made_renamed)
    monkeypatch.setattr(models.SQSBackend, "_quickened", False, raising=False)
    # WHEN the stack starts THEN both stop, naming what they expected
    for start in (quicken_sqs, lambda: MotoQueueWaiter(queue_url)):
        with pytest.raises(RuntimeError, match=r"Queue\._messages_lock \(a threading\.Condition\), Queue\._messages \(a list\)"):
            start()
