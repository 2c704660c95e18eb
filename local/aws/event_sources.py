"""Lambda's SQS event source mapping, locally: a queue's messages handed to its function in batches.

As in AWS, a message is hidden while its delay lasts (moto honours DelaySeconds), handed to the function in an
SQS event with up to ten records, and deleted once the function returns; a failed invocation leaves the batch
on the queue, to come back after its visibility timeout. A function that reports some records as failed
(`{"batchItemFailures": [{"itemIdentifier": <messageId>}]}`, as with ReportBatchItemFailures) leaves those alone.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from local.appsync.datasources import LambdaDataSource

logger = logging.getLogger("local.aws.event_sources")

BATCH_SIZE = 10
# Without a QueueWaiter, short polls keep a simulated outcome's delay close to the one asked for.
POLL_SECONDS = 0.2
VISIBILITY_TIMEOUT_SECONDS = 30


class QueueWaiter(Protocol):
    """Blocks until a message of the queue may be received (or `timeout` passes); `wake` ends a wait early. A wait
    returns at once if `stopping` is set: checked where a `wake` cannot slip between the check and the wait."""

    def wait(self, timeout: float, stopping: threading.Event) -> None: ...

    def wake(self) -> None: ...


class Polling:
    """Waits a fixed time between polls: for a queue this process cannot watch."""

    def __init__(self, seconds: float = POLL_SECONDS) -> None:
        self.seconds = seconds
        self._woken = threading.Event()

    def wait(self, timeout: float, stopping: threading.Event) -> None:
        if not stopping.is_set():
            self._woken.wait(min(timeout, self.seconds))

    def wake(self) -> None:
        self._woken.set()


class SqsEventSource:
    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, functions: list[LambdaDataSource], waiter: QueueWaiter | None = None) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.functions = functions
        self.waiter = waiter or Polling()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{queue_url.rsplit('/', 1)[-1]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.waiter.wake()
        self._thread.join(timeout=5)

    def poll_once(self) -> int:
        """Hand every visible message to the functions, in batches; how many were handled."""
        handled = 0
        while True:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=BATCH_SIZE, VisibilityTimeout=VISIBILITY_TIMEOUT_SECONDS, AttributeNames=["All"]
            ).get("Messages", [])
            if not received:
                return handled
            event = {"Records": [self._record(message) for message in received]}
            answers = {function.function_name: function.invoke({"operation": "Invoke", "payload": event}) for function in self.functions}
            failed = [name for name, (_, error) in answers.items() if error is not None]
            if failed:
                logger.error("%s failed on a batch of %d: it stays on the queue", ", ".join(failed), len(received))
                return handled
            kept = {failure["itemIdentifier"] for result, _ in answers.values() if isinstance(result, dict) for failure in result.get("batchItemFailures") or []}
            done = [message for message in received if message["MessageId"] not in kept]
            if done:
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url, Entries=[{"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)]
                )
            handled += len(done)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.queue_arn.split(":")[3],
        }

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                logger.exception("polling %s failed", self.queue_url)
                self._stopping.wait(POLL_SECONDS)  # not a busy loop while the queue service is down
            self.waiter.wait(VISIBILITY_TIMEOUT_SECONDS, self._stopping)
