"""What the console follows live (`GET /local/stream`): each email and SMS the outbox captures, each clear of the
outbox, and a count of writes to the DynamoDB table (a message recorded or moved on by a report, a channel paused
or resumed).

Readers wait on one condition until any of them changes (or the stack closes), so a stream costs nothing while
nothing happens, and writes that come in a burst reach a reader as one change.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

from local.providers.outbox import Outbox

# Every DynamoDB call that writes, as the resolvers' data source and the handlers make them.
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


class Activity:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._changed = threading.Condition()
        self._writes = 0
        self._closed = False
        outbox.subscribe(self._notify, on_clear=self._notify)

    def attach(self, session: boto3.Session) -> None:
        """Count the writes of every client made from `session` (call before they are created)."""
        for operation in WRITES:
            session.events.register(f"after-call.dynamodb.{operation}", self._written)

    @property
    def writes(self) -> int:
        with self._changed:
            return self._writes

    @property
    def closed(self) -> bool:
        return self._closed

    def wait(self, sent: int, clears: int, writes: int, timeout: float) -> bool:
        """Until the outbox holds more than `sent` entries or was cleared more than `clears` times, the table has
        had more than `writes` writes, or the stack closes; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._closed or len(self.outbox) > sent or self.outbox.clears > clears or self._writes > writes, timeout
            )

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _written(self, **_: Any) -> None:
        with self._changed:
            self._writes += 1
            self._changed.notify_all()

    def _notify(self, _entry: dict[str, Any] | None = None) -> None:
        with self._changed:
            self._changed.notify_all()
