"""SES's mailbox simulator, locally.

In AWS, mail to success@, bounce@, ooto@, complaint@ and suppressionlist@simulator.amazonses.com (each with an
optional +label, such as bounce+test1@) is not delivered: SES answers as the named mailbox would and publishes
the matching events, which count against the sending quota but not against the bounce and complaint rates.

Here, once SES (moto) has accepted such an email, the simulator plays the same events for it after
SES_SIMULATOR_DELAY_SECONDS, through the same code as `POST /local/events` (StatusReporter.play), so the real
status handler moves the record. It runs on one thread of its own: a send never waits for it. A failed event is
logged with the message's id (never the address); events still waiting when the stack stops are counted in
the log, not played.

SNS documents no simulator phone numbers. End User Messaging SMS documents some, but only for its own
SendTextMessage from a simulator origination number, not for SNS Publish, which this stack uses; so no SMS is
simulated.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.providers.status_reports import ReportError

logger = logging.getLogger("local.providers.ses_simulator")

SIMULATOR_DOMAIN = "simulator.amazonses.com"
# The events SES publishes for mail to each simulator mailbox, in order.
SCENARIOS: dict[str, tuple[str, ...]] = {
    "success": ("DELIVERY",),
    "bounce": ("BOUNCE",),
    "ooto": ("DELIVERY",),  # the out-of-office auto-reply to the sender is not modelled
    "complaint": ("DELIVERY", "COMPLAINT"),
    "suppressionlist": ("BOUNCE",),  # a permanent bounce, as for an address on SES's suppression list
}
# A permanent bounce's sub-type, where it is not "General".
BOUNCE_SUB_TYPES = {"suppressionlist": "Suppressed"}

# play(to, message_id, event, bounce_sub_type=...): StatusReporter.play.
Play = Callable[..., Any]


def mailbox(address: str) -> str | None:
    """The simulator mailbox an address names (`bounce+label@...` names `bounce`), or None for any other address."""
    local_part, _, domain = address.strip().lower().rpartition("@")
    name = local_part.split("+", 1)[0]
    return name if domain == SIMULATOR_DOMAIN and name in SCENARIOS else None


@dataclass(frozen=True)
class _Due:
    at: float  # time.monotonic()
    to: str
    message_id: str
    mailbox: str


class MailboxSimulator:
    def __init__(self, play: Play, delay_seconds: float) -> None:
        self._play = play
        self._delay = delay_seconds
        self._queue: queue.Queue[_Due | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ses-mailbox-simulator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def on_sent(self, entry: dict[str, Any]) -> None:
        """An outbox subscriber: schedule the events for an email SES accepted for a simulator address."""
        if entry.get("channel") != "EMAIL" or not entry.get("messageId"):
            return
        for to in entry.get("to", []):
            if (name := mailbox(to)) is not None:
                self._queue.put(_Due(time.monotonic() + self._delay, to, entry["messageId"], name))

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        # One delay for every message, so the queue is in order of due time.
        while (due := self._queue.get()) is not None:
            if self._stopping.wait(max(0.0, due.at - time.monotonic())):
                self._queue.put(due)
                break
            self._play_scenario(due)
        waiting = 0
        while not self._queue.empty():
            waiting += self._queue.get_nowait() is not None
        if waiting:
            logger.warning("SES mailbox simulator stopped: the events of %d message(s) were not played", waiting)

    def _play_scenario(self, due: _Due) -> None:
        sub_type = BOUNCE_SUB_TYPES.get(due.mailbox, "General")
        for event in SCENARIOS[due.mailbox]:
            try:
                self._play(due.to, due.message_id, event, bounce_sub_type=sub_type)
            except Exception as error:  # noqa: BLE001 - logged, and the next event still plays
                # The reporter's own errors say what is wrong without naming the recipient; others by type only.
                detail = str(error) if isinstance(error, ReportError) else type(error).__name__
                logger.error("SES mailbox simulator: %s for %s was not played: %s", event, due.message_id, detail)
