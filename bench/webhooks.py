"""Webhook delivery latency on the local stack: a delivery queued until its receiver holds it, beside a bare
dispatcher's on the same queue service, in one run; and the sizes the cost model reads.

A local stack (local/launcher.py) with one endpoint of its local client, at a receiver in this process. Each
delivery is queued on the webhook queue in the event publisher's shape, one at a time, and timed until the
receiver has it: the sender's own work (the endpoint's lookup, the address check, the secret, the signature, the
POST, the attempt's record) on top of the queue's polling. Side by side, a bare dispatcher in this process does
the least any queue-fed sender does: the same moto, a queue of its own polled as the local event source polls
(local/aws/event_sources.py), an unsigned POST of the message to the same receiver, the delete. The ratio says
what the sender adds to the hop every such design pays.

The event publisher (a status change recorded, read from the table's stream) is not part of this stack yet: the
figure starts when the delivery is queued, not when the status changed.
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
from bench.stats import measure_side_by_side, ratio
from local.aws.event_sources import POLL_SECONDS
from local.launcher import LocalStackProcess, running_stack
from local.manifest import load_manifest
from local.operations import CREATE_WEBHOOK

API_KEY = "bench-webhooks-key"
TIMEOUT_SECONDS = 15
COUNT, QUICK_COUNT = 200, 10
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
        self.sizes: dict[str, int] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                arrived = time.perf_counter()
                delivery = self.headers.get("webhook-id") or self.headers.get("x-delivery-id") or ""
                if self.headers.get("webhook-id"):
                    receiver.sizes = {"request_body_bytes": len(body), "request_header_bytes": len(bytes(self.headers))}
                self.send_response(204)
                self.end_headers()
                with receiver.changed:
                    receiver.arrived[delivery] = arrived
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
    count, rounds = (QUICK_COUNT, QUICK_ROUNDS) if quick else (COUNT, ROUNDS)
    receiver = _Receiver()
    try:
        with running_stack(API_KEY) as stack:
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
        "deliveries_per_side": count,
        "poll_seconds": POLL_SECONDS,
        "queued_to_received": {name: result.as_dict() for name, result in figures.items()},
        "sender_over_bare_p50": ratio(figures["sender"].p50_ms, figures["bare"].p50_ms),
        "sizes": sizes,
    }


def report(results: dict[str, Any]) -> str:
    lines = [f"{results['deliveries_per_side']} deliveries a side, one at a time; both queues polled every {results['poll_seconds']} s when empty"]
    for name, label in (("sender", "webhook sender (signed, recorded)"), ("bare", "bare dispatcher (POST as is)")):
        figures = results["queued_to_received"][name]
        lines.append(f"  {label:36} p50 {figures['p50_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms")
    lines.append(f"  sender p50 / bare p50: {results['sender_over_bare_p50']}")
    lines.append("  sizes: " + ", ".join(f"{name} {value}" for name, value in results["sizes"].items()))
    return "\n".join(lines)
