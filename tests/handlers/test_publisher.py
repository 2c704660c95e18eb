"""The event publisher (handlers/clients/publisher.py) on DynamoDB Streams records as Lambda delivers them, and
erasure of the events it stores, against an emulated table and queue and a recording stand-in for AppSync."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from ulid import ULID

from local.appsync.auth import AWS_IAM, Authorizer, Caller
from local.aws.lambda_context import LambdaContext
from tests.handlers.conftest import TABLE_REGION, clients_module

CLIENT = "01JCQ7ZK3V5N8R2T4W6Y8A0C2E"
OTHER_CLIENT = "01JCR0000000000000000000ZZ"
WEBHOOK_QUEUE = "test-messenger-webhook-deliveries"
OPERATOR = "arn:aws:iam::123456789012:user/operator"
_serializer = TypeSerializer()
_sequence = iter(range(1, 1_000_000))


@dataclass
class FakeAppSync:
    """The API's GraphQL endpoint: checks each request's SigV4 signature as the local stack does (botocore's
    signer, local/appsync/auth.py) and records what was published."""

    url: str
    authorizer: Authorizer
    published: list[dict[str, Any]] = field(default_factory=list)
    callers: list[Caller | Any] = field(default_factory=list)
    answer: tuple[int, dict[str, Any]] | None = None


@pytest.fixture
def appsync() -> Iterator[FakeAppSync]:
    state: dict[str, FakeAppSync] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            fake = state["fake"]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            fake.callers.append(fake.authorizer.authenticate("POST", fake.url, headers, body))
            fake.published.append(json.loads(body))
            status, answer = fake.answer or (200, {"data": {"publishMessageEvent": json.loads(body)["variables"]["event"]}})
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
    state["fake"] = FakeAppSync(url, Authorizer("unused", "", "", TABLE_REGION))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["fake"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def publisher(messages_table, appsync: FakeAppSync, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The publisher's module, imported fresh against this test's table, queue and API, as a new Lambda instance."""
    queue_url = boto3.client("sqs", region_name=TABLE_REGION).create_queue(QueueName=WEBHOOK_QUEUE)["QueueUrl"]
    # The API accepts the credentials the function signs with (the emulated account's).
    credentials = boto3.Session().get_credentials()
    assert credentials is not None
    appsync.authorizer = Authorizer("unused", credentials.access_key, credentials.secret_key, TABLE_REGION)
    monkeypatch.setenv("GRAPHQL_API_URL", appsync.url)
    monkeypatch.setenv("GRAPHQL_API_REGION", TABLE_REGION)
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", queue_url)
    return clients_module("publisher")


def typed(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def message(history: list[tuple[str, str]], *, client: str | None = CLIENT, mode: str = "LIVE", ulid: str = "01M88FN0F4JBQYHKMCVXGCJMHG", **extra: Any) -> dict[str, Any]:
    """A message record as the pipeline and the status functions leave it: (status, recordedAt) pairs make its
    history (the provider's `at` a second earlier than the recording, as a provider's report is)."""
    scope = "" if client is None else f"SCOPE#{client}#{mode}#"
    entries = [{"status": "PENDING", "reason": "Recorded", "at": "2026-11-18T20:00:00.000Z"}]
    for status, recorded in history:
        at = (datetime.fromisoformat(recorded) - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entries.append({"status": status, "reason": f"{status} for the test", "at": at, "recordedAt": recorded})
    return {
        "PK": "MESSAGE#recipient@example.com",
        "SK": f"{scope}MESSAGE#{ulid}",
        "id": f"MESSAGE#{ulid}",
        "to": "recipient@example.com",
        "body": "Your code is 1234",
        "senderId": "shop-1",
        "deliveryStatus": entries[-1]["status"],
        "statusHistory": entries,
        "expiresAt": 1802776000,
        **extra,
    }


def record(old: dict[str, Any] | None, new: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """A stream record of one item's change, shaped as dynamodb_stream_modify.json (typed images)."""
    image = new if new is not None else old
    assert image is not None
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": 1795000001,
        "Keys": typed({"PK": image["PK"], "SK": image["SK"]}),
        "SequenceNumber": f"{next(_sequence):028d}",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = typed(new)
    if old is not None:
        change["OldImage"] = typed(old)
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return {"eventID": f"id{change['SequenceNumber']}", "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": TABLE_REGION, "dynamodb": change, **extra}


Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def invoke(publisher: Any) -> Invoke:
    def run(*records: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = publisher.handler({"Records": list(records)}, LambdaContext(function_name="test-messageEvents"))
        return response

    return run


def feed(table: Any, client: str = CLIENT, mode: str = "LIVE") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = table.query(KeyConditionExpression=Key("PK").eq(f"EVENT#{client}#{mode}"), ConsistentRead=True)["Items"]
    return items


def queued() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=TABLE_REGION)
    url = sqs.get_queue_url(QueueName=WEBHOOK_QUEUE)["QueueUrl"]
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(received["Body"]) for received in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": received["ReceiptHandle"]} for n, received in enumerate(messages)])
    return bodies


def marker(table: Any, expires_in: int, client: str = CLIENT, mode: str = "LIVE") -> None:
    table.put_item(Item={"PK": f"SUBSCRIBERS#{client}#{mode}", "SK": "SUBSCRIBERS", "expiresAt": int(time.time()) + expires_in})


def webhook(table: Any, webhook_id: str, events: list[str] | None = None, *, client: str = CLIENT, mode: str = "LIVE", disabled: bool = False) -> None:
    item: dict[str, Any] = {"PK": f"WEBHOOK#{client}#{mode}", "SK": f"WEBHOOK#{webhook_id}", "id": webhook_id, "url": "https://example.com/hook", "secret": "encrypted"}
    if events is not None:
        item["events"] = events
    if disabled:
        item["disabledAt"] = "2026-11-18T19:00:00.000Z"
    table.put_item(Item=item)


# --- events ----------------------------------------------------------------------------------------------------


def test_a_grown_history_is_one_event_in_its_clients_feed(invoke: Invoke, messages_table, event) -> None:
    # GIVEN the documented stream record of a message moving from ACCEPTED to DELIVERED
    stream_event = event("dynamodb_stream_modify")
    # WHEN the publisher gets it
    response = invoke(*stream_event["Records"])
    # THEN one event is in the client's LIVE feed, with the message's id, sender and expiry, and no address
    assert response == {"batchItemFailures": []}
    [stored] = feed(messages_table)
    new = stream_event["Records"][0]["dynamodb"]["NewImage"]
    assert {name: value for name, value in stored.items() if name not in ("PK", "SK", "id")} == {
        "messageId": "MESSAGE#01M88FN0F4JBQYHKMCVXGCJMHG",
        "senderId": "shop-1",
        "status": "DELIVERED",
        "reason": new["statusReason"]["S"],
        "at": "2026-11-18T20:00:00.900Z",
        "clientId": CLIENT,
        "mode": "LIVE",
        "expiresAt": 1802776000,
    }
    assert stored["SK"] == stored["id"] and "recipient@example.com" not in json.dumps(stored, default=str)
    # AND its id is a ULID of the time the change was recorded (not the provider's earlier `at`)
    assert ULID.from_str(stored["id"]).datetime == datetime(2026, 11, 18, 20, 0, 1, 300000, tzinfo=UTC)


def test_each_entry_a_write_adds_is_one_event_and_pending_is_none(invoke: Invoke, messages_table) -> None:
    # GIVEN a message recorded PENDING, then a write that added two statuses at once (a test key's outcome)
    pending = message([])
    delivered = message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")])
    # WHEN the publisher gets the insert and the change
    assert invoke(record(None, pending)) == {"batchItemFailures": []}
    assert feed(messages_table) == []
    invoke(record(pending, delivered))
    # THEN the PENDING record made none, the change one per added status, in the order they were recorded
    assert [item["status"] for item in feed(messages_table)] == ["ACCEPTED", "DELIVERED"]


def test_a_replayed_record_stores_nothing_new(invoke: Invoke, messages_table) -> None:
    # GIVEN a change whose event was stored, and then altered in the table
    before, after = message([("ACCEPTED", "2026-11-18T20:00:01.000Z")]), message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")])
    change = record(before, after)
    invoke(change)
    [first] = feed(messages_table)
    messages_table.update_item(Key={"PK": first["PK"], "SK": first["SK"]}, UpdateExpression="SET reason = :mark", ExpressionAttributeValues={":mark": "as stored"})
    # WHEN the same record comes again (a retried batch), and a later write that carries the same history
    invoke(copy.deepcopy(change))
    invoke(record(after, {**after, "providerMessageId": "abc"}))
    # THEN there is still exactly one event, not rewritten
    [again] = feed(messages_table)
    assert again["id"] == first["id"] and again["reason"] == "as stored"


def test_ids_sort_by_recording_and_are_the_ones_erasure_computes(invoke: Invoke, messages_table) -> None:
    # GIVEN two messages whose statuses were recorded interleaved, one report carrying a provider time older
    # than the other message's recording
    first = message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:04.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH1")
    second = message([("ACCEPTED", "2026-11-18T20:00:03.500Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH2")
    # WHEN the publisher gets their changes in any order
    invoke(record(message([], ulid="01M88FN0F4JBQYHKMCVXGCJMH2"), second), record(message([], ulid="01M88FN0F4JBQYHKMCVXGCJMH1"), first))
    # THEN the feed's order (by id) is the order of recording
    events = feed(messages_table)
    assert [(item["messageId"][-2:], item["status"]) for item in events] == [("H1", "ACCEPTED"), ("H2", "ACCEPTED"), ("H1", "DELIVERED")]
    # AND erasure's computation from each message's history names exactly these events
    common = clients_module("clients_common")
    computed = [key for stored in (first, second) for key in common.event_keys(stored["SK"], stored["statusHistory"])]
    assert sorted((key["PK"], key["SK"]) for key in computed) == [(item["PK"], item["SK"]) for item in events]


def test_records_that_are_not_a_message_or_change_no_status_make_nothing(invoke: Invoke, messages_table) -> None:
    # GIVEN writes of a limit counter, a client, an event, and a message whose history did not grow
    counter = {"PK": "LIMIT#LIVE#EMAIL#3", "SK": "HOUR#1795000000#recipient@example.com", "sends": 1}
    client = {"PK": "CLIENTS", "SK": f"CLIENT#{CLIENT}", "statusHistory": [{"status": "DELIVERED", "reason": "x", "at": "2026-11-18T20:00:00.000Z"}]}
    an_event = {"PK": f"EVENT#{CLIENT}#LIVE", "SK": "01M88FN0F4JBQYHKMCVXGCJMHG", "status": "DELIVERED"}
    accepted = message([("ACCEPTED", "2026-11-18T20:00:01.000Z")])
    # WHEN the publisher gets their records
    response = invoke(record(None, counter), record({**counter, "sends": 0}, counter), record(None, client), record(None, an_event), record(accepted, {**accepted, "updatedAt": "later"}))
    # THEN nothing is stored or queued
    assert response == {"batchItemFailures": []}
    assert [item for item in messages_table.scan()["Items"] if str(item["PK"]).startswith("EVENT#")] == []
    assert queued() == []


def test_the_default_clients_legacy_records_go_to_its_live_feed(invoke: Invoke, messages_table) -> None:
    before = message([], client=None)
    invoke(record(before, message([("ACCEPTED", "2026-11-18T20:00:01.000Z")], client=None)))
    assert [(item["clientId"], item["mode"]) for item in feed(messages_table, "default", "LIVE")] == [("default", "LIVE")]


def test_an_address_or_number_in_a_reason_is_masked(publisher: Any) -> None:
    reason = "Permanent bounce (General): smtp; 550 5.1.1 <Jane.Doe+x@mail.example.co.uk>: user unknown; +14155550123 unreachable"
    assert publisher.without_addresses(reason) == "Permanent bounce (General): smtp; 550 5.1.1 <[address]>: user unknown; [number] unreachable"
    # Status codes, dates and counts are kept.
    kept = "Delivery delayed: TransientCommunicationFailure; SES keeps trying until 2026-11-19T20:00:00.000Z (421 4.4.2, 3 tries)"
    assert publisher.without_addresses(kept) == kept


# --- subscribers -----------------------------------------------------------------------------------------------


def change_to_delivered(ulid: str = "01M88FN0F4JBQYHKMCVXGCJMHG", mode: str = "LIVE") -> dict[str, Any]:
    before = message([("ACCEPTED", "2026-11-18T20:00:01.000Z")], ulid=ulid, mode=mode)
    return record(before, message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")], ulid=ulid, mode=mode))


def test_events_are_published_only_while_the_client_and_mode_has_subscribers(invoke: Invoke, messages_table, appsync: FakeAppSync, publisher: Any, monkeypatch) -> None:
    # GIVEN no marker for the client's LIVE mode, an expired one, and a live one for its TEST mode
    marker(messages_table, expires_in=-60)
    marker(messages_table, expires_in=600, mode="TEST")
    # WHEN a LIVE event is stored
    invoke(change_to_delivered())
    # THEN nothing is published
    assert appsync.published == []
    # WHEN a subscriber's marker appears and the function's memory of the last check has passed
    marker(messages_table, expires_in=600)
    monkeypatch.setattr(publisher, "SUBSCRIBERS_CACHE_SECONDS", 0.0)
    invoke(change_to_delivered(ulid="01M88FN0F4JBQYHKMCVXGCJMH9"))
    # THEN the event is published once, with every field of MessageEvent, signed with SigV4 for AppSync
    [request] = appsync.published
    assert "publishMessageEvent(event: $event) { id messageId senderId status reason at clientId mode }" in request["query"]
    [stored] = [item for item in feed(messages_table) if item["messageId"].endswith("H9")]
    assert request["variables"]["event"] == {name: stored[name] for name in ("id", "messageId", "senderId", "status", "reason", "at", "clientId", "mode")}
    [caller] = appsync.callers
    assert isinstance(caller, Caller) and caller.mode == AWS_IAM


def test_a_marker_read_is_remembered_briefly(invoke: Invoke, messages_table, appsync: FakeAppSync, publisher: Any) -> None:
    # GIVEN the function learnt that nobody listens
    invoke(change_to_delivered())
    # WHEN a subscriber arrives within the cache time
    marker(messages_table, expires_in=600)
    invoke(change_to_delivered(ulid="01M88FN0F4JBQYHKMCVXGCJMH9"))
    # THEN the function has not read the marker again (the subscriber catches up from the feed)
    assert publisher.SUBSCRIBERS_CACHE_SECONDS <= 10 and appsync.published == []


def test_a_failed_publication_is_counted_and_holds_nothing_back(invoke: Invoke, messages_table, appsync: FakeAppSync, emitted_metrics) -> None:
    # GIVEN subscribers, and an API that refuses the publication
    marker(messages_table, expires_in=600)
    webhook(messages_table, "wh1")
    appsync.answer = (200, {"data": None, "errors": [{"errorType": "Unauthorized", "message": "Not Authorized"}]})
    # WHEN an event is stored
    response = invoke(change_to_delivered())
    # THEN the record succeeds: the event is stored and queued, and the failure is a metric
    assert response == {"batchItemFailures": []} and len(feed(messages_table)) == 1 and len(queued()) == 1
    assert [metric["name"] for metric in emitted_metrics()] == ["EventPublishFailures"]


# --- webhooks --------------------------------------------------------------------------------------------------


def test_a_delivery_is_queued_for_each_enabled_endpoint_that_wants_the_status(invoke: Invoke, messages_table) -> None:
    # GIVEN endpoints of the client's LIVE mode for DELIVERED, for every status, for BOUNCED, and a disabled one,
    # and endpoints of its TEST mode and of another client
    webhook(messages_table, "wh-delivered", ["DELIVERED"])
    webhook(messages_table, "wh-all")
    webhook(messages_table, "wh-bounced", ["BOUNCED"])
    webhook(messages_table, "wh-disabled", disabled=True)
    webhook(messages_table, "wh-test", mode="TEST")
    webhook(messages_table, "wh-other", client=OTHER_CLIENT)
    # WHEN a change adds ACCEPTED and DELIVERED
    invoke(record(message([]), message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")])))
    # THEN one delivery per wanting endpoint and event, in the shape the webhook sender reads
    accepted, delivered = feed(messages_table)
    fields = ("id", "messageId", "senderId", "status", "reason", "at", "clientId", "mode")
    deliveries = sorted(queued(), key=lambda body: (body["eventId"], body["webhookId"]))
    assert deliveries == [
        {"webhookId": "wh-all", "eventId": accepted["id"], "event": {name: accepted[name] for name in fields}, "attempt": 1},
        {"webhookId": "wh-all", "eventId": delivered["id"], "event": {name: delivered[name] for name in fields}, "attempt": 1},
        {"webhookId": "wh-delivered", "eventId": delivered["id"], "event": {name: delivered[name] for name in fields}, "attempt": 1},
    ]


# --- failures --------------------------------------------------------------------------------------------------


def test_a_failed_record_is_retried_and_the_records_after_it_wait(invoke: Invoke, messages_table, publisher: Any, monkeypatch) -> None:
    # GIVEN a batch of three changes, the second of which cannot be queued for its endpoint
    webhook(messages_table, "wh-all")
    batch = [change_to_delivered(ulid) for ulid in ("01M88FN0F4JBQYHKMCVXGCJMH1", "01M88FN0F4JBQYHKMCVXGCJMH2", "01M88FN0F4JBQYHKMCVXGCJMH3")]
    enqueue = publisher.enqueue

    def failing_for_the_second(events: list[Any], endpoints_of: Any) -> int:
        if any(event.fields["messageId"].endswith("H2") for event in events):
            raise ConnectionError("SQS is unreachable")
        result: int = enqueue(events, endpoints_of)
        return result

    monkeypatch.setattr(publisher, "enqueue", failing_for_the_second)
    # WHEN the publisher gets the batch
    response = invoke(*batch)
    # THEN the second and third are reported (Lambda resumes from the second), the third untouched
    assert response == {"batchItemFailures": [{"itemIdentifier": batch[1]["dynamodb"]["SequenceNumber"]}, {"itemIdentifier": batch[2]["dynamodb"]["SequenceNumber"]}]}
    assert {item["messageId"][-2:] for item in feed(messages_table)} == {"H1", "H2"}
    assert [body["event"]["messageId"][-2:] for body in queued()] == ["H1"]
    # WHEN Lambda retries from the second, and queuing works again
    monkeypatch.setattr(publisher, "enqueue", enqueue)
    assert invoke(*batch[1:]) == {"batchItemFailures": []}
    # THEN every event is stored once and every delivery queued
    assert sorted(item["messageId"][-2:] for item in feed(messages_table)) == ["H1", "H2", "H3"]
    assert sorted(body["event"]["messageId"][-2:] for body in queued()) == ["H2", "H3"]


# --- erasure ---------------------------------------------------------------------------------------------------


def test_an_operators_deletion_of_a_message_deletes_its_events_and_ttl_leaves_them(invoke: Invoke, messages_table) -> None:
    # GIVEN two messages with stored events
    first = message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH1")
    second = message([("ACCEPTED", "2026-11-18T20:00:03.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH2")
    invoke(record(None, first), record(None, second))
    assert len(feed(messages_table)) == 3
    # WHEN the first is deleted by an operator (erasure) and the second by DynamoDB's TTL
    ttl = {"userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}}
    assert invoke(record(first, None), record(second, None, **ttl)) == {"batchItemFailures": []}
    # THEN the first's events are gone; the second's stay for TTL to delete (they expire with it)
    assert [item["messageId"][-2:] for item in feed(messages_table)] == ["H2"]


def test_erasure_deletes_the_events_of_every_erased_message(invoke: Invoke, configured_table) -> None:
    # GIVEN a mailbox's messages of two clients and modes and of the default client's legacy records, with more
    # events than one batch deletes, and another mailbox's message
    erased = [
        message([("ACCEPTED", "2026-11-18T20:00:01.000Z"), ("DELIVERED", "2026-11-18T20:00:02.000Z")], ulid=f"01M88FN0F4JBQYHKMCVXGCJM{n:02d}") for n in range(12)
    ] + [
        message([("ACCEPTED", "2026-11-18T20:00:03.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH2", client=OTHER_CLIENT, mode="TEST"),
        message([("FAILED", "2026-11-18T20:00:04.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH3", client=None),
    ]
    kept = {**message([("ACCEPTED", "2026-11-18T20:00:05.000Z")], ulid="01M88FN0F4JBQYHKMCVXGCJMH4"), "PK": "MESSAGE#other@example.com"}
    for item in [*erased, kept]:
        configured_table.put_item(Item=item)
    invoke(*(record(None, item) for item in [*erased, kept]))
    # WHEN the mailbox is erased
    answer = clients_module("erasure").handler({"recipient": "recipient@example.com", "address": "recipient@example.com", "actor": OPERATOR}, LambdaContext(function_name="test-erasure"))
    # THEN its messages and all their events are gone; the other mailbox's message keeps its event
    assert answer == {"messagesErased": 14}
    remaining = [item for item in configured_table.scan()["Items"] if str(item["PK"]).startswith(("EVENT#", "MESSAGE#"))]
    assert sorted((item["PK"], item.get("messageId", item.get("id"))) for item in remaining) == [
        (f"EVENT#{CLIENT}#LIVE", "MESSAGE#01M88FN0F4JBQYHKMCVXGCJMH4"),
        ("MESSAGE#other@example.com", "MESSAGE#01M88FN0F4JBQYHKMCVXGCJMH4"),
    ]
