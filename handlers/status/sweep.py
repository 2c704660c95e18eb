"""The stalePending function: on a schedule, marks UNKNOWN the messages whose outcome was never recorded (the
request failed after the record was written), found through the recipients' hourly limit counters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from recording import (
    MESSAGE_PREFIX,
    MESSAGES_TABLE,
    SWEEP,
    MessageKey,
    StatusChange,
    apply,
    dynamodb,
    emit,
    iso_time,
    logger,
    summary,
)

# Longer than any sendMessage can run (AppSync stops a request after 30 s).
STALE_AFTER_SECONDS = int(os.environ["STALE_AFTER_SECONDS"])
STALE_REASON = "The delivery outcome was never recorded (the request failed after the message was recorded): it may have been sent"

# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
# Every send first counts against its recipient's hourly limit: the counter LIMIT#<mode>#<channel>#<shard> /
# HOUR#<hour start>#<mailbox> (graphql/functions/limitRecipient.js) keeps the record's time of the hour's
# first and last send, and which clients sent. The sweep reads each stretch of time once, from where its last
# run stopped (SWEEP/SWEEP): the counters tell it whose partitions, and which clients' scopes in them, hold
# messages of that stretch, and it reads only their status. So the sweep needs no index, and a message costs
# it no write.
LIMIT_PREFIX = "LIMIT#"
RECIPIENT_HOUR_PREFIX = "HOUR#"
RECIPIENT_SHARDS = 16
SCOPE_PREFIX = "SCOPE#"
DEFAULT_CLIENT_ID = "default"
SWEEP_PK = "SWEEP"
SWEEP_SK = "SWEEP"
CHANNELS = ("EMAIL", "SMS")
MODES = ("LIVE", "TEST")
# ULIDs are written in Crockford's base32.
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# One run covers at most this stretch of time, so a sweep catching up after an outage stays well inside the
# function's timeout (three times as fast as time passes, at the default 5-minute schedule). A first run (no
# SWEEP/SWEEP yet) looks back as far.
SWEEP_WINDOW = timedelta(minutes=15)
# A counter's times are its records' own, written by the same request a moment later, and concurrent sends may
# write them out of order: a request lasts at most 30 s, so this margin covers both.
COUNTER_MARGIN = timedelta(seconds=60)
HOUR_SECONDS = 3600
# A recipient's counter lives until this long after its hour began (graphql/functions/limitRecipient.js:
# KEPT_SECONDS; tests/test_storage_contract.py pins the two), so a sweep can catch up after a day's outage.
RECIPIENT_COUNTER_KEPT = timedelta(hours=26)
# Recipients' partitions read at once, and the invocation time kept back to record how far a run got.
SWEEP_READERS = 16
SWEEP_RESERVE_MILLIS = 5000


def ulid_time_prefix(moment: datetime) -> str:
    """The first 10 characters of any ULID made at `moment`: its milliseconds in Crockford base32."""
    millis = int(moment.timestamp() * 1000)
    return "".join(CROCKFORD_BASE32[(millis >> shift) & 31] for shift in range(45, -1, -5))


def swept_until() -> datetime | None:
    """Where the last sweep stopped: every message recorded before it has been checked."""
    item = dynamodb().get_item(
        TableName=MESSAGES_TABLE, Key={"PK": {"S": SWEEP_PK}, "SK": {"S": SWEEP_SK}}, ProjectionExpression="sweptUntil", ConsistentRead=True
    ).get("Item")
    return datetime.fromisoformat(item["sweptUntil"]["S"]) if item else None


def record_swept_until(moment: datetime, previous: datetime | None) -> None:
    """Move the mark forward, unless an overlapping run already moved it (both did the same, harmless work)."""
    condition = "attribute_not_exists(sweptUntil)" if previous is None else "sweptUntil = :previous"
    values = {":until": {"S": iso_time(moment)}} | ({} if previous is None else {":previous": {"S": iso_time(previous)}})
    try:
        dynamodb().update_item(
            TableName=MESSAGES_TABLE,
            Key={"PK": {"S": SWEEP_PK}, "SK": {"S": SWEEP_SK}},
            UpdateExpression="SET sweptUntil = :until",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        logger.info("another sweep moved the mark first")


def _pages(arguments: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        page = dynamodb().query(**arguments)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        arguments = {**arguments, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _hour_start(moment: datetime) -> int:
    seconds = int(moment.timestamp())
    return seconds - seconds % HOUR_SECONDS


def scope_of(client_id: str, mode: str) -> str:
    """The start of a client's sort keys in a mailbox's partition (graphql/functions/identifyCaller.js): none for
    the default client's LIVE records, which keep the keys they had before clients existed."""
    return "" if client_id == DEFAULT_CLIENT_ID and mode == "LIVE" else f"{SCOPE_PREFIX}{client_id}#{mode}#"


def _counters(partition: str, low: datetime, high: datetime) -> list[dict[str, Any]]:
    return list(
        _pages(
            {
                "TableName": MESSAGES_TABLE,
                "KeyConditionExpression": "PK = :counters AND SK BETWEEN :low AND :high",
                # '$' follows '#': the high bound takes in every recipient of the last hour.
                "ExpressionAttributeValues": {
                    ":counters": {"S": partition},
                    ":low": {"S": f"{RECIPIENT_HOUR_PREFIX}{_hour_start(low)}#"},
                    ":high": {"S": f"{RECIPIENT_HOUR_PREFIX}{_hour_start(high)}$"},
                },
                "Select": "SPECIFIC_ATTRIBUTES",
                "ProjectionExpression": "SK, firstSentAt, lastSentAt, clients",
            }
        )
    )


Scoped = tuple[str, str]  # a mailbox's partition, and a client's scope in it


def recipients_sent_to_between(start: datetime, end: datetime) -> dict[Scoped, datetime]:
    """The message partitions (MESSAGE#<mailbox>), and the clients' scopes in them, that may hold a message
    recorded in [start, end), from the hourly limit counters of the hours around it whose first and last sends
    bracket it; each with its earliest first send, so no message of it in the stretch is older than that less
    the margin."""
    low, high = start - COUNTER_MARGIN, end + COUNTER_MARGIN
    shards = [(mode, f"{LIMIT_PREFIX}{mode}#{channel}#{shard}") for mode in MODES for channel in CHANNELS for shard in range(RECIPIENT_SHARDS)]
    earliest: dict[Scoped, datetime] = {}
    with ThreadPoolExecutor(max_workers=SWEEP_READERS) as readers:
        for (mode, _), counters in zip(shards, readers.map(lambda shard: _counters(shard[1], low, high), shards), strict=True):
            for counter in counters:
                first = datetime.fromisoformat(counter["firstSentAt"]["S"])
                if datetime.fromisoformat(counter["lastSentAt"]["S"]) < low or first >= high:
                    continue
                partition = MESSAGE_PREFIX + counter["SK"]["S"].split("#", 2)[2]
                for client_id in counter.get("clients", {}).get("SS", []):
                    scoped = (partition, scope_of(client_id, mode))
                    earliest[scoped] = min(first, earliest.get(scoped, first))
    return earliest


def pending_in(scoped: Scoped, start: datetime, end: datetime) -> list[MessageKey]:
    """A client's messages in a partition recorded in [start, end), by their ULID's time, that are still
    PENDING (eventually consistent: a stale read can only show an earlier status, and the conditional update
    that follows checks again)."""
    partition, scope = scoped
    low, high = f"{scope}{MESSAGE_PREFIX}{ulid_time_prefix(start)}", f"{scope}{MESSAGE_PREFIX}{ulid_time_prefix(end)}"
    records = _pages(
        {
            "TableName": MESSAGES_TABLE,
            "KeyConditionExpression": "PK = :partition AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":partition": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}},
            "Select": "SPECIFIC_ATTRIBUTES",
            "ProjectionExpression": "PK, SK, deliveryStatus",
        }
    )
    # BETWEEN includes its upper bound: a ULID of exactly `end`'s millisecond is the next window's.
    return [
        MessageKey(record["PK"]["S"], record["SK"]["S"])
        for record in records
        if record["SK"]["S"] < high and record.get("deliveryStatus", {}).get("S") == "PENDING"
    ]


def stale_pending_keys(start: datetime, end: datetime, remaining_millis: Callable[[], int]) -> tuple[list[MessageKey], datetime]:
    """The messages recorded in [start, end) still PENDING, and how far the sweep got: to `end`, or, when the
    invocation's time runs short, to just before the earliest first send of the recipients it did not read
    (every message older than that less the margin belongs to one it read)."""
    recipients = sorted(recipients_sent_to_between(start, end).items(), key=lambda recipient: recipient[1])
    found: list[MessageKey] = []
    with ThreadPoolExecutor(max_workers=SWEEP_READERS) as readers:
        for batch_start in range(0, len(recipients), SWEEP_READERS):
            if batch_start and remaining_millis() < SWEEP_RESERVE_MILLIS:
                return found, max(start, min(end, recipients[batch_start][1] - COUNTER_MARGIN))
            batch = recipients[batch_start : batch_start + SWEEP_READERS]
            for keys in readers.map(lambda recipient: pending_in(recipient[0], start, end), batch):
                found.extend(keys)
    return found, end


@logger.inject_lambda_context(clear_state=True)
def stale_pending_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Scheduled; the event may set `staleAfterSeconds` (default STALE_AFTER_SECONDS)."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=int((event or {}).get("staleAfterSeconds", STALE_AFTER_SECONDS)))
    previous = swept_until()
    start = previous or cutoff - SWEEP_WINDOW
    # The counters point to a stretch's messages only while they live: after a longer outage (which the
    # sweep's missing-data alarm has reported), say which stretch cannot be checked, and go on from there.
    checkable = now - RECIPIENT_COUNTER_KEPT + timedelta(seconds=HOUR_SECONDS) + COUNTER_MARGIN
    if start < checkable:
        logger.error("the sweep fell behind its limit counters: messages recorded in this stretch were not checked", extra={"unchecked_from": iso_time(start), "unchecked_until": iso_time(checkable)})
        start = checkable
    end = min(cutoff, start + SWEEP_WINDOW)
    keys, swept_to = stale_pending_keys(start, end, context.get_remaining_time_in_millis) if start < end else ([], start)
    change = StatusChange("UNKNOWN", STALE_REASON, iso_time(now))
    outcomes = summary([apply(SWEEP, key, change) for key in keys])
    if previous is None or swept_to > previous:
        record_swept_until(swept_to, previous)
    # Every run, 0 included, so an alarm on it has data: anything above 0 is a request that failed mid-way.
    emit("StalePendingFound", outcomes["changed"], {})
    return outcomes
