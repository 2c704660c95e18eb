"""Webhook delivery latency on the local stack: a status change until the endpoint holds it, through the real event
publisher; a delivery queued until the endpoint holds it, beside a bare dispatcher's on the same queue service; and
the sizes the cost model reads.

A local stack (local/launcher.py) with webhook endpoints of its local client at receivers in this process.

- Through the publisher: emails to SES's mailbox simulator, sent one at a time with the local client's LIVE key;
  each makes two status changes (ACCEPTED, then DELIVERED from the simulator), which the table's stream hands to
  the event publisher, which queues their deliveries. Each is timed from when its change was recorded (the time
  its event id carries) to when the receiver holds it, on the same clock, and split at the moment the sender began
  the attempt (its record's `at`): the stream, the publisher and the queue before it, the sender's attempt after.
- Queued to received: deliveries queued on the webhook queue one at a time, in the publisher's shape; each timed
  until the receiver has it: the sender's own work (the endpoint's lookup, the address check, the secret, the
  signature, the POST, the attempt's record) on top of the queue's polling. Side by side, a bare dispatcher in
  this process does the least any queue-fed sender does: the same moto, a queue of its own polled as the local
  event source polls (local/aws/event_sources.py), an unsigned POST of the message to the same receiver, the
  delete. The ratio says what the sender adds to the hop every such design pays.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from bench.dynamodb_cost import item_size, read_units, write_units
from bench.stats import measure_side_by_side, ratio, summary
from local.aws.event_sources import POLL_SECONDS
from local.launcher import LocalStackProcess, running_stack
from local.manifest import load_manifest
from local.operations import CREATE_WEBHOOK, SEND_MESSAGE

API_KEY = "bench-webhooks-key"
TIMEOUT_SECONDS = 15
COUNT, QUICK_COUNT = 200, 10
SENDS, QUICK_SENDS = 40, 4
SEND_SPACING_SECONDS = 0.5
ROUNDS, QUICK_ROUNDS = 4, 2
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIXES = load_manifest().storage.key_prefixes
BARE_QUEUE = "bench-bare-deliveries"


def _ulid() -> str:
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class _Receiver:
    """An HTTP receiver noting when each delivery (by webhook-id, or the bare dispatcher's id) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.arrived_at: dict[str, float] = {}  # wall clock, to set against the time an event id carries
        self.sizes: dict[str, int] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                arrived, arrived_at = time.perf_counter(), time.time()
                delivery = self.headers.get("webhook-id") or self.headers.get("x-delivery-id") or ""
                if self.headers.get("webhook-id"):
                    receiver.sizes = {"request_body_bytes": len(body), "request_header_bytes": len(bytes(self.headers))}
                self.send_response(204)
                self.end_headers()
                with receiver.changed:
                    receiver.arrived[delivery] = arrived
                    receiver.arrived_at[delivery] = arrived_at
                    receiver.changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait(self, delivery: str) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: delivery in self.arrived, TIMEOUT_SECONDS):
                raise TimeoutError(f"{delivery} never reached the receiver")

    def wait_for_count(self, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.arrived) >= count, 4 * TIMEOUT_SECONDS):
                raise TimeoutError(f"{len(self.arrived)} deliveries reached the receiver, not {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _BareDispatcher:
    """Polls its queue as the local event source does, and POSTs each message as it is to the receiver."""

    def __init__(self, sqs: Any, queue_url: str, receiver_url: str) -> None:
        self.sqs, self.queue_url, self.receiver_url = sqs, queue_url, receiver_url
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            while received := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", []):
                for message in received:
                    delivery = json.loads(message["Body"])["eventId"]
                    request = urllib.request.Request(self.receiver_url, message["Body"].encode(), {"content-type": "application/json", "x-delivery-id": delivery})
                    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
                        pass
                entries = [{"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(received)]
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(TIMEOUT_SECONDS)


def _ulid_seconds(ulid: str) -> float:
    """The time a ULID carries (its first 48 bits: milliseconds since the epoch), in seconds."""
    value = 0
    for character in ulid[:10]:
        value = value * 32 + CROCKFORD.index(character)
    return value / 1000


def _through_publisher(stack: LocalStackProcess, sends: int) -> dict[str, Any]:
    """Emails to the mailbox simulator, one at a time; each status change timed to its receipt (see the module)."""
    receiver = _Receiver()
    try:
        created = stack.graphql(CREATE_WEBHOOK, {"input": {"url": receiver.url}}, key=stack.live_key)
        if created.errors:
            raise RuntimeError(f"createWebhook failed: {created.errors}")
        webhook_id = created.data["createWebhook"]["webhook"]["id"]
        for number in range(sends):
            sent = stack.graphql(
                SEND_MESSAGE, {"input": {"to": f"success+bench{number}@simulator.amazonses.com", "body": "bench", "deliveryMethod": "EMAIL"}}, key=stack.live_key
            )
            if sent.errors:
                raise RuntimeError(f"sendMessage failed: {sent.errors}")
            time.sleep(SEND_SPACING_SECONDS)
        receiver.wait_for_count(2 * sends)
        dynamodb = boto3.client("dynamodb", **_reaching(stack))
        attempts = dynamodb.query(
            TableName="local-messages", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": f"{PREFIXES['webhookAttempt']}{webhook_id}"}}
        )["Items"]
        began = {item["eventId"]["S"]: datetime.fromisoformat(item["at"]["S"]).timestamp() for item in attempts}
    finally:
        receiver.close()
    changed = {event_id: _ulid_seconds(event_id) for event_id in receiver.arrived_at}
    return {
        "changes": len(changed),
        "change_to_received": summary([receiver.arrived_at[event] - changed[event] for event in changed], scale=1000),
        "change_to_attempt": summary([began[event] - changed[event] for event in changed], scale=1000),
        "attempt_to_received": summary([receiver.arrived_at[event] - began[event] for event in changed], scale=1000),
    }


def _delivery(webhook_id: str, client_id: str) -> str:
    event_id = _ulid()
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event = {
        "id": event_id,
        "messageId": f"{PREFIXES['message']}{_ulid()}",
        "senderId": "bench",
        "status": "DELIVERED",
        "reason": "Delivered to the recipient's mail server",
        "at": at,
        "clientId": client_id,
        "mode": "LIVE",
    }
    return json.dumps({"webhookId": webhook_id, "eventId": event_id, "event": event, "attempt": 1})


def _reaching(stack: LocalStackProcess) -> dict[str, Any]:
    """How a client reaches the stack's moto: its endpoint, with the stack's credentials."""
    return {"region_name": "eu-central-1", "endpoint_url": stack.aws_endpoint, "aws_access_key_id": stack.access_key_id, "aws_secret_access_key": stack.secret_access_key}


def _sizes(stack: LocalStackProcess, webhook_id: str, endpoint_key: dict[str, Any], message: str) -> dict[str, Any]:
    """What one delivered attempt stores, reads, queues and logs, for the cost model (bench/cost.py)."""
    dynamodb = boto3.client("dynamodb", **_reaching(stack))
    attempt = dynamodb.query(
        TableName="local-messages", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": f"{PREFIXES['webhookAttempt']}{webhook_id}"}}, Limit=1
    )["Items"][0]
    endpoint = dynamodb.get_item(TableName="local-messages", Key=endpoint_key)["Item"]
    logged = [len(line.encode()) for line in "".join(stack.output).splitlines() if '"message":"webhook attempt"' in line]
    return {
        "queue_message_bytes": len(message.encode()),
        "attempt_item_bytes": item_size(attempt),
        "attempt_write_units": write_units(item_size(attempt)),
        "endpoint_item_bytes": item_size(endpoint),
        "endpoint_read_units": read_units(item_size(endpoint), consistent=False),
        "log_bytes_per_attempt": round(sum(logged) / len(logged)),
    }


def run(quick: bool = False) -> dict[str, Any]:
    count, rounds, sends = (QUICK_COUNT, QUICK_ROUNDS, QUICK_SENDS) if quick else (COUNT, ROUNDS, SENDS)
    receiver = _Receiver()
    try:
        with running_stack(API_KEY) as stack:
            publisher = _through_publisher(stack, sends)
            created = stack.graphql(CREATE_WEBHOOK, {"input": {"url": receiver.url}}, key=stack.live_key)
            if created.errors:
                raise RuntimeError(f"createWebhook failed: {created.errors}")
            webhook_id = created.data["createWebhook"]["webhook"]["id"]
            sqs, dynamodb = boto3.client("sqs", **_reaching(stack)), boto3.client("dynamodb", **_reaching(stack))
            [endpoint] = dynamodb.scan(
                TableName="local-messages", FilterExpression="SK = :sk", ExpressionAttributeValues={":sk": {"S": f"{PREFIXES['webhook']}{webhook_id}"}}
            )["Items"]
            client_id = endpoint["PK"]["S"].removeprefix(PREFIXES["webhook"]).split("#")[0]
            queue_url = sqs.get_queue_url(QueueName="local-messenger-webhook-deliveries")["QueueUrl"]
            bare_url = sqs.create_queue(QueueName=BARE_QUEUE)["QueueUrl"]
            bare = _BareDispatcher(sqs, bare_url, receiver.url)
            try:

                def through(queue: str) -> Any:
                    def deliver(_: int) -> None:
                        message = _delivery(webhook_id, client_id)
                        sqs.send_message(QueueUrl=queue, MessageBody=message)
                        receiver.wait(json.loads(message)["eventId"])

                    return deliver

                operations = {"sender": through(queue_url), "bare": through(bare_url)}
                for operation in operations.values():  # warm: the sender's first attempt makes its clients
                    operation(0)
                figures = measure_side_by_side(operations, count, concurrency=1, rounds=rounds)
                sizes = _sizes(stack, webhook_id, {"PK": endpoint["PK"], "SK": endpoint["SK"]}, _delivery(webhook_id, client_id)) | receiver.sizes
            finally:
                bare.close()
    finally:
        receiver.close()
    return {
        "through_the_publisher": publisher,
        "deliveries_per_side": count,
        "poll_seconds": POLL_SECONDS,
        "queued_to_received": {name: result.as_dict() for name, result in figures.items()},
        "sender_over_bare_p50": ratio(figures["sender"].p50_ms, figures["bare"].p50_ms),
        "sizes": sizes,
    }


def report(results: dict[str, Any]) -> str:
    publisher = results["through_the_publisher"]
    lines = [f"{publisher['changes']} status changes (emails to the mailbox simulator), through the stream and the event publisher"]
    for name in ("change_to_received", "change_to_attempt", "attempt_to_received"):
        figures = publisher[name]
        lines.append(f"  {name.replace('_', ' '):36} p50 {figures['p50']:7.1f} ms   p99 {figures['p99']:7.1f} ms   max {figures['max']:7.1f} ms")
    lines.append(f"{results['deliveries_per_side']} deliveries a side, one at a time; both queues polled every {results['poll_seconds']} s when empty")
    for name, label in (("sender", "webhook sender (signed, recorded)"), ("bare", "bare dispatcher (POST as is)")):
        figures = results["queued_to_received"][name]
        lines.append(f"  {label:36} p50 {figures['p50_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms")
    lines.append(f"  sender p50 / bare p50: {results['sender_over_bare_p50']}")
    lines.append("  sizes: " + ", ".join(f"{name} {value}" for name, value in results["sizes"].items()))
    return "\n".join(lines)
