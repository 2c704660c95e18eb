"""handlers/clients: the webhook endpoints' API and the sender, against emulated DynamoDB, SQS and KMS and real
HTTP(S) receivers on loopback. Every delivery's signature is checked with the reference library
(`standardwebhooks`), as a receiver checks it."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from local.aws.lambda_context import LambdaContext
from tests.conftest import REPO_ROOT
from tests.handlers.conftest import TABLE_REGION, clients_module
from tests.markdown import code_blocks
from tests.webhook_receivers import (
    HostsResolver,
    Receiver,
    always,
    failing_first,
    receiving,
    tls_contexts,
)

QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/test-messenger-webhook-deliveries"
DEAD_LETTER_QUEUE_URL = f"{QUEUE_URL}-dlq"
KEY_ALIAS = "alias/test-messenger"
SHOP = {"clientId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "mode": "LIVE"}
SHOP_TEST = {"clientId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "mode": "TEST"}
OTHER = {"clientId": "01JBBBBBBBBBBBBBBBBBBBBBBB", "mode": "LIVE"}
PUBLIC = "93.184.216.34"
# Events happened an hour ago: their attempts come after them.
EVENT_AT = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def webhook_aws(messages_table, monkeypatch, manifest) -> Any:
    """The table, the webhook queue and its dead-letter queue, and the stack's key under its alias."""
    schedule = ",".join(str(wait) for wait in manifest.webhooks["retryScheduleSeconds"])
    for name, value in {
        "WEBHOOK_KMS_KEY_ID": KEY_ALIAS,
        "WEBHOOK_QUEUE_URL": QUEUE_URL,
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": DEAD_LETTER_QUEUE_URL,
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": schedule,
        "WEBHOOK_ATTEMPT_RETENTION_DAYS": "30",
        "WEBHOOK_ALLOWED_PORTS": "8443",
        "WEBHOOK_LOOPBACK_ALLOWED": "true",  # the receivers listen on loopback, as in the local stack
    }.items():
        monkeypatch.setenv(name, value)
    sqs = boto3.client("sqs", region_name=TABLE_REGION)
    for url in (QUEUE_URL, DEAD_LETTER_QUEUE_URL):
        sqs.create_queue(QueueName=url.rsplit("/", 1)[1])
    kms = boto3.client("kms", region_name=TABLE_REGION)
    kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    return messages_table


@pytest.fixture
def endpoints(webhook_aws) -> Any:
    return clients_module("webhook_endpoints")


@pytest.fixture
def sender(webhook_aws) -> Any:
    return clients_module("webhooks")


@pytest.fixture(scope="module")
def rules() -> Iterator[Any]:
    """webhook_common's address rules alone: pure functions, whose module needs its settings only to import."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEBHOOK_ALLOWED_PORTS", "")
        patch.setenv("WEBHOOK_LOOPBACK_ALLOWED", "false")
        yield clients_module("webhook_common")


@pytest.fixture
def resolver(monkeypatch) -> HostsResolver:
    return HostsResolver(monkeypatch)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


@pytest.fixture
def queued(sender, monkeypatch) -> list[dict[str, Any]]:
    """Every message the sender queues (again, or to the dead-letter queue), as it sends it."""
    sent: list[dict[str, Any]] = []
    client = sender.sqs()
    original = client.send_message

    def recording(**arguments: Any) -> Any:
        sent.append(arguments)
        return original(**arguments)

    monkeypatch.setattr(client, "send_message", recording)
    return sent


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every log record so far, with every field it carries."""
    return "\n".join(json.dumps(record.__dict__, default=repr) for record in caplog.records)


def call(endpoints: Any, caller: dict[str, str], field: str, **arguments: Any) -> dict[str, Any]:
    answer: dict[str, Any] = endpoints.handler({"field": field, "arguments": arguments, "caller": caller}, LambdaContext(function_name="test-webhook-endpoints"))
    return answer


def create(endpoints: Any, caller: dict[str, str], url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = call(endpoints, caller, "createWebhook", input={"url": url, "events": events})
    assert "result" in answer, answer
    created: dict[str, Any] = answer["result"]
    return created


def stored(table: Any, partition: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = table.query(KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": partition}, ConsistentRead=True)["Items"]
    return items


def event_of(caller: dict[str, str], number: int = 1, status: str = "DELIVERED") -> dict[str, Any]:
    return {
        "id": f"01KBQ8Z3X4V5W6Y7Z8A9B0C{number:03d}",
        "messageId": f"MESSAGE#01KBQ8Z3X4V5W6Y7Z8A9B1C{number:03d}",
        "senderId": "shop-1",
        "status": status,
        "reason": "Delivered to the recipient's mail server",
        "at": EVENT_AT,
        "clientId": caller["clientId"],
        "mode": caller["mode"],
    }


def message_of(webhook_id: str, event: dict[str, Any], attempt: int = 1) -> str:
    """A queue message as the event publisher writes it."""
    return json.dumps({"webhookId": webhook_id, "eventId": event["id"], "event": event, "attempt": attempt})


def attempt(sender: Any, body: str, now: datetime | None = None) -> str:
    delivery = sender.parse_delivery(body)
    assert delivery is not None
    outcome: str = sender.attempt(delivery, now or datetime.now(UTC))
    return outcome


def attempts_of(table: Any, webhook_id: str) -> list[dict[str, Any]]:
    return sorted(stored(table, f"ATTEMPT#{webhook_id}"), key=lambda item: int(item["attempt"]))


def dead_letters() -> list[dict[str, Any]]:
    messages: list[Any] = boto3.client("sqs", region_name=TABLE_REGION).receive_message(
        QueueUrl=DEAD_LETTER_QUEUE_URL, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


# --- where an endpoint may be -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/", "must use https://"),
        ("ftp://hooks.example.com/", "must use https://"),
        ("https://user:password@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com:8080/", "must use port 443, 8443"),
        ("https://hooks.example.com/#top", "fragment"),
        ("https:///path", "has no host"),
        ("https://hooks.example.com:99999/", "is not a URL"),
        ("https://hooks example.com/", "without spaces"),
        ("https://127.1/", "neither a DNS name"),
        ("https://0x7f.0.0.1/", "neither a DNS name"),
        ("https://2130706433/", "neither a DNS name"),
        ("https://0177.0.0.1/", "neither a DNS name"),
        ("https://intranet/", "neither a DNS name"),
        ("https://hooks.exämple.com/", "neither a DNS name"),
        ("https://[fe80::1%25eth0]/", "network interface"),
        ("https://example.com/" + "a" * 2048, "at most 2048 characters"),
        (None, "must be an https:// URL"),
    ],
)
def test_only_https_urls_on_an_allowed_port_pass(rules, url: Any, why: str) -> None:
    with pytest.raises(rules.AddressRefused, match=why):
        rules.check_url(url, lambda host, port: [PUBLIC], allowed_ports=frozenset({8443}), loopback_allowed=False)


REFUSED_ADDRESSES = {
    "127.0.0.1": "a loopback",
    "127.8.9.10": "a loopback",
    "10.1.2.3": "a private",
    "172.16.5.4": "a private",
    "192.168.1.1": "a private",
    "100.64.0.1": "a shared (CGNAT)",
    "169.254.169.254": "a cloud metadata",
    "169.254.10.10": "a link-local",
    "0.0.0.0": "an unspecified",
    "224.0.0.251": "a multicast",
    "255.255.255.255": "a reserved",
    "198.18.0.1": "a non-public",
    "192.0.2.10": "a non-public",
    "::1": "a loopback",
    "::": "an unspecified",
    "fe80::1": "a link-local",
    "fc00::1": "a unique-local",
    "fd12:3456::1": "a unique-local",
    "fd00:ec2::254": "a cloud metadata",
    "fec0::1": "a site-local",
    "ff02::1": "a multicast",
    "::ffff:127.0.0.1": "an IPv4-mapped",
    "::ffff:169.254.169.254": "an IPv4-mapped",
    "::ffff:8.8.8.8": "an IPv4-mapped",
    "::127.0.0.1": "an IPv4-compatible",
    "64:ff9b::a00:1": "a NAT64",
    "2002:7f00:1::1": "a 6to4",
    "2001:0:4136:e378::1": "a Teredo",
    "2001:db8::1": "a non-public",
}


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED_ADDRESSES.items()))
def test_an_ip_literal_that_is_not_public_is_refused(rules, address: str, reason: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(rules.AddressRefused, match=re.escape(f"is {reason} address")):
        rules.check_url(f"https://{host}/hooks", lambda host, port: pytest.fail("an IP literal is never resolved"), loopback_allowed=False)


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED_ADDRESSES.items()))
def test_a_name_that_resolves_to_an_address_that_is_not_public_is_refused(rules, address: str, reason: str) -> None:
    # GIVEN a name with a public address and one that is not (a resolver may answer both)
    answers = {"hooks.example.com": [PUBLIC, address]}
    # THEN the name is refused for the one
    with pytest.raises(rules.AddressRefused, match=re.escape(f"resolves to {reason} address")):
        rules.check_url("https://hooks.example.com/hooks", lambda host, port: answers[host], loopback_allowed=False)


@given(address=st.ip_addresses())
def test_no_address_python_calls_non_global_ever_passes(rules, address: Any) -> None:
    # The refusals are checked against Python's own reading of IANA's special-purpose registries.
    refused = rules.address_refusal(str(address)) is not None
    if not address.is_global or address.is_multicast:
        assert refused, address
    if address.version == 6 and (address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None):
        assert refused, address


def test_public_addresses_pass_and_are_the_addresses_connected_to(rules) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]

    target = rules.check_url("https://Hooks.Example.com:8443/in?x=1", resolve, allowed_ports=frozenset({8443}), loopback_allowed=False)
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.com", 8443, "/in?x=1")
    assert target.addresses == (PUBLIC, "2606:2800:220:1:248:1893:25c8:1946")
    assert target.host_header == "hooks.example.com:8443"
    assert lookups == ["hooks.example.com"]


def test_plain_http_to_loopback_only_where_the_local_stack_allows_it(rules) -> None:
    never = lambda host, port: pytest.fail("a loopback name is never resolved")
    for url in ("http://127.0.0.1:9000/hooks", "http://localhost:9000/hooks", "http://localhost/hooks"):
        assert rules.check_url(url, never, loopback_allowed=True).addresses == ("127.0.0.1",)
        with pytest.raises(rules.AddressRefused):
            rules.check_url(url, never, loopback_allowed=False)
    # Locally too: HTTPS to loopback, and any name that merely resolves to it, are refused.
    with pytest.raises(rules.AddressRefused, match="loopback"):
        rules.check_url("https://127.0.0.1/", never, loopback_allowed=True)
    with pytest.raises(rules.AddressRefused, match="must use https"):
        rules.check_url("http://hooks.example.com:9000/", lambda host, port: ["127.0.0.1"], loopback_allowed=True)


# --- the endpoints' API --------------------------------------------------------------------------------


def test_the_secret_is_shown_once_and_kept_only_encrypted_for_its_endpoint(caplog, endpoints, webhook_aws, receiver) -> None:
    # WHEN a client creates an endpoint
    created = create(endpoints, SHOP, receiver.url, ["DELIVERED", "BOUNCED"])
    secret, webhook = created["secret"], created["webhook"]
    # THEN the secret is whsec_ and 32 random bytes, and the endpoint takes the statuses asked for
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert webhook["url"] == receiver.url and webhook["events"] == ["DELIVERED", "BOUNCED"] and webhook["disabledAt"] is None
    # AND only a KMS ciphertext is stored, which decrypts under this endpoint's encryption context alone
    [item] = stored(webhook_aws, f"WEBHOOK#{SHOP['clientId']}#LIVE")
    ciphertext = bytes(item["secrets"][0]["key"])
    assert secret not in json.dumps(item, default=repr) and base64.b64decode(secret[6:]) not in ciphertext
    kms = boto3.client("kms", region_name=TABLE_REGION)
    context = {"purpose": "webhook-signing-secret", "clientId": SHOP["clientId"], "mode": "LIVE", "webhookId": webhook["id"]}
    assert kms.decrypt(CiphertextBlob=ciphertext, KeyId=KEY_ALIAS, EncryptionContext=context)["Plaintext"] == base64.b64decode(secret[6:])
    for other in ({**context, "webhookId": "01JCCCCCCCCCCCCCCCCCCCCCCC"}, {**context, "clientId": OTHER["clientId"]}, {**context, "mode": "TEST"}):
        with pytest.raises(kms.exceptions.InvalidCiphertextException):
            kms.decrypt(CiphertextBlob=ciphertext, KeyId=KEY_ALIAS, EncryptionContext=other)
    # AND listing shows the endpoint, never a secret; the logs name neither the secret nor the URL
    assert call(endpoints, SHOP, "webhooks")["result"] == [webhook]
    logs = logged(caplog)
    assert "webhook created" in logs and secret not in logs and "receiver-secret-token" not in logs and "127.0.0.1" not in logs


@pytest.mark.parametrize(
    ("given", "field", "rule"),
    [
        ({"url": "https://10.0.0.8/hooks"}, "input.url", "address"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "input.url", "address"),
        ({"url": "http://hooks.example.com/"}, "input.url", "address"),
        ({"url": "https://hooks.example.com/", "events": ["PENDING"]}, "input.events", "enum"),
        ({"url": "https://hooks.example.com/", "events": []}, "input.events", "format"),
        ({"url": "https://hooks.example.com/", "events": ["SENT"]}, "input.events", "enum"),
    ],
)
def test_bad_input_creates_nothing(endpoints, webhook_aws, resolver, given: dict[str, Any], field: str, rule: str) -> None:
    resolver.answers["hooks.example.com"] = [PUBLIC]
    answer = call(endpoints, SHOP, "createWebhook", input=given)
    assert answer["error"]["type"] == "ValidationError" and answer["error"]["info"] == {"field": field, "rule": rule}
    assert stored(webhook_aws, f"WEBHOOK#{SHOP['clientId']}#LIVE") == []


def test_a_name_that_resolves_to_a_private_address_is_refused_at_creation(endpoints, webhook_aws, resolver) -> None:
    # GIVEN names that resolve (in the test resolver) to loopback and to a private address
    resolver.answers |= {"loopback.example.com": ["127.0.0.1"], "intranet.example.com": ["10.20.30.40"]}
    for name, reason in (("loopback.example.com", "loopback"), ("intranet.example.com", "private")):
        # WHEN a client asks for an endpoint there, THEN it is refused, and nothing is stored
        answer = call(endpoints, SHOP, "createWebhook", input={"url": f"https://{name}/hooks"})
        assert answer["error"]["message"] == f"input.url: resolves to a {reason} address, which webhooks may not reach"
        assert resolver.lookups[name] == 1
    assert stored(webhook_aws, f"WEBHOOK#{SHOP['clientId']}#LIVE") == []


def test_a_client_and_mode_has_at_most_ten_endpoints(endpoints, receiver) -> None:
    for _ in range(10):
        create(endpoints, SHOP, receiver.url)
    refused = call(endpoints, SHOP, "createWebhook", input={"url": receiver.url})
    assert refused["error"]["type"] == "LimitExceeded"
    # Another mode of the same client counts apart.
    create(endpoints, SHOP_TEST, receiver.url)


def test_a_caller_reaches_only_its_own_endpoints_and_events(endpoints, webhook_aws, receiver) -> None:
    # GIVEN an endpoint of a client's LIVE mode, and an event of that client
    webhook = create(endpoints, SHOP, receiver.url)["webhook"]
    event = event_of(SHOP)
    webhook_aws.put_item(Item={"PK": f"EVENT#{SHOP['clientId']}#LIVE", "SK": event["id"], **event})
    # WHEN another client, or the same client's TEST mode, names them
    for caller in (OTHER, SHOP_TEST):
        assert call(endpoints, caller, "webhooks")["result"] == []
        # THEN every field answers NotFound and changes nothing
        for field, arguments in (
            ("deleteWebhook", {"id": webhook["id"]}),
            ("rotateWebhookSecret", {"id": webhook["id"]}),
            ("webhookAttempts", {"webhookId": webhook["id"]}),
            ("replayWebhookEvent", {"webhookId": webhook["id"], "eventId": event["id"]}),
        ):
            assert call(endpoints, caller, field, **arguments)["error"]["type"] == "NotFound", (caller, field)
    # AND a caller's own endpoint cannot replay another's event
    own = create(endpoints, OTHER, receiver.url)["webhook"]
    refused = call(endpoints, OTHER, "replayWebhookEvent", webhookId=own["id"], eventId=event["id"])
    assert refused["error"] == {"message": "eventId: no event of yours has this id", "type": "NotFound", "info": {"field": "eventId", "rule": "exists"}}
    assert call(endpoints, SHOP, "webhooks")["result"] == [webhook]
    assert boto3.client("sqs", region_name=TABLE_REGION).receive_message(QueueUrl=QUEUE_URL).get("Messages", []) == []


def test_deleting_an_endpoint_stops_its_deliveries(endpoints, sender, webhook_aws, receiver) -> None:
    webhook = create(endpoints, SHOP, receiver.url)["webhook"]
    assert call(endpoints, SHOP, "deleteWebhook", id=webhook["id"])["result"] == webhook
    assert call(endpoints, SHOP, "deleteWebhook", id=webhook["id"])["error"]["type"] == "NotFound"
    assert attempt(sender, message_of(webhook["id"], event_of(SHOP))) == "noEndpoint"
    assert receiver.received == [] and attempts_of(webhook_aws, webhook["id"]) == []


# --- the sender ------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_as_the_standard_webhooks_library_verifies(caplog, endpoints, sender, webhook_aws, receiver) -> None:
    # GIVEN an endpoint and an event of its client
    created = create(endpoints, SHOP, receiver.url)
    event = event_of(SHOP)
    # WHEN the publisher's message is handled
    assert attempt(sender, message_of(created["webhook"]["id"], event)) == "delivered"
    # THEN the receiver got one POST to its URL that the reference library verifies, carrying the event
    [request] = receiver.received
    assert request.path == "/hooks/messages?token=receiver-secret-token"
    assert request.verified(created["secret"]) == {"type": "message.status", "timestamp": event["at"], "data": event}
    assert request.webhook_id == event["id"] and request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    # AND a forged signature, or another secret, does not verify
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(b"x" * 32).decode()).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(request.body.replace(b"DELIVERED", b"BOUNCED"), request.headers)
    # AND the attempt is recorded, kept for the retention, and the logs hold no URL, secret or body
    [recorded] = attempts_of(webhook_aws, created["webhook"]["id"])
    assert (recorded["outcome"], int(recorded["statusCode"]), int(recorded["attempt"]), recorded["eventId"]) == ("delivered", 200, 1, event["id"])
    assert 29 * 86400 < int(recorded["expiresAt"]) - time.time() <= 30 * 86400
    logs = logged(caplog)
    assert "webhook attempt" in logs and created["secret"] not in logs and "receiver-secret-token" not in logs and event["reason"] not in logs


def test_a_failing_receiver_gets_the_same_webhook_id_each_time_with_fresh_signatures(endpoints, sender, webhook_aws, queued) -> None:
    with receiving(failing_first(2)) as receiver:
        created = create(endpoints, SHOP, receiver.url)
        webhook_id, event = created["webhook"]["id"], event_of(SHOP)
        # WHEN the first attempt fails, and each re-queued message is handled a few seconds later
        start = datetime.now(UTC) - timedelta(seconds=10)
        body = message_of(webhook_id, event)
        outcomes = []
        for seconds in (0, 5, 10):
            outcomes.append(attempt(sender, body, start + timedelta(seconds=seconds)))
            body = queued[-1]["MessageBody"] if outcomes[-1] != "delivered" else body
        # THEN three requests came, with one webhook-id, each signed afresh at its own time and verified
        assert outcomes == ["failed", "failed", "delivered"]
        assert [request.webhook_id for request in receiver.received] == [event["id"]] * 3
        assert len({request.headers["webhook-signature"] for request in receiver.received}) == 3
        assert [int(request.headers["webhook-timestamp"]) for request in receiver.received] == [int((start + timedelta(seconds=s)).timestamp()) for s in (0, 5, 10)]
        for request in receiver.received:
            assert request.verified(created["secret"])["data"] == event
    # AND the retries were queued after the schedule's waits, as attempts 2 and 3
    assert [(json.loads(sent["MessageBody"])["attempt"], sent["DelaySeconds"]) for sent in queued] == [(2, 5), (3, 300)]
    assert [(item["outcome"], item.get("error")) for item in attempts_of(webhook_aws, webhook_id)] == [
        ("failed", "the endpoint answered 500"),
        ("failed", "the endpoint answered 500"),
        ("delivered", None),
    ]


def test_waits_longer_than_sqs_allows_are_queued_in_steps(endpoints, sender, webhook_aws, queued) -> None:
    with receiving(always(503)) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        now = datetime.now(UTC)
        # GIVEN the fourth attempt fails: the fifth is due two hours later
        assert attempt(sender, message_of(webhook_id, event_of(SHOP), attempt=4), now) == "failed"
        first = json.loads(queued[-1]["MessageBody"])
        assert (first["attempt"], queued[-1]["DelaySeconds"], first["notBefore"]) == (5, 900, now.timestamp() + 7200)
        # WHEN the message comes back after 15 minutes, THEN it is queued again for the rest, and nothing is sent
        assert attempt(sender, queued[-1]["MessageBody"], now + timedelta(seconds=900)) == "waiting"
        assert (json.loads(queued[-1]["MessageBody"]), queued[-1]["DelaySeconds"]) == (first, 900)
        assert attempt(sender, queued[-1]["MessageBody"], now + timedelta(seconds=7000)) == "waiting"
        assert queued[-1]["DelaySeconds"] == 200
        assert len(receiver.received) == 1
        # AND once due, the fifth attempt is made
        assert attempt(sender, queued[-1]["MessageBody"], now + timedelta(seconds=7200)) == "failed"
        assert len(receiver.received) == 2 and json.loads(queued[-1]["MessageBody"])["attempt"] == 6


@pytest.mark.parametrize(("retry_after", "delay", "not_before"), [("120", 120, None), ("86400", 900, 3600), ("soon", 5, None), (None, 5, None)])
def test_a_429s_retry_after_is_honoured_up_to_an_hour(endpoints, sender, queued, retry_after: str | None, delay: int, not_before: int | None) -> None:
    headers = {"retry-after": retry_after} if retry_after else {}
    with receiving(always(429, headers)) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        now = datetime.now(UTC)
        assert attempt(sender, message_of(webhook_id, event_of(SHOP)), now) == "failed"
    again = json.loads(queued[-1]["MessageBody"])
    assert queued[-1]["DelaySeconds"] == delay and again.get("notBefore") == (None if not_before is None else now.timestamp() + not_before)


def test_a_retry_after_date_is_read_too(sender) -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert sender.retry_after_seconds("Sun, 06 Dec 2026 12:02:00 GMT", now) == 120
    assert sender.retry_after_seconds("Sun, 06 Dec 2026 11:00:00 GMT", now) == 0


def test_a_410_disables_the_endpoint_at_once(endpoints, sender, webhook_aws, queued) -> None:
    with receiving(always(410)) as receiver:
        created = create(endpoints, SHOP, receiver.url)
        webhook_id = created["webhook"]["id"]
        # WHEN the endpoint answers 410 Gone
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 1))) == "gaveUp"
        # THEN it is disabled, the attempt is the last, and the message went to the dead-letter queue
        [webhook] = call(endpoints, SHOP, "webhooks")["result"]
        assert webhook["disabledAt"] is not None
        assert [(item["outcome"], item["error"]) for item in attempts_of(webhook_aws, webhook_id)] == [("gaveUp", "the endpoint answered 410 Gone: it is disabled")]
        [dead] = dead_letters()
        assert json.loads(dead["Body"])["eventId"] == event_of(SHOP, 1)["id"]
        assert dead["MessageAttributes"]["reason"]["StringValue"] == "the endpoint answered 410 Gone: it is disabled"
        # AND nothing more is sent to it, and it cannot be replayed to
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 2))) == "disabled"
        assert len(receiver.received) == 1 and [sent["QueueUrl"] for sent in queued] == [DEAD_LETTER_QUEUE_URL]
        webhook_aws.put_item(Item={"PK": f"EVENT#{SHOP['clientId']}#LIVE", "SK": event_of(SHOP, 1)["id"], **event_of(SHOP, 1)})
        assert call(endpoints, SHOP, "replayWebhookEvent", webhookId=webhook_id, eventId=event_of(SHOP, 1)["id"])["error"]["type"] == "WebhookDisabled"


def test_five_days_of_failures_disable_the_endpoint_and_a_success_resets_the_count(endpoints, sender, webhook_aws) -> None:
    answers = {"status": 500}
    with receiving(lambda request, nth: (answers["status"], {})) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        key = {"PK": f"WEBHOOK#{SHOP['clientId']}#LIVE", "SK": f"WEBHOOK#{webhook_id}"}
        start = datetime.now(UTC)
        # GIVEN a failure: the endpoint is failing since then
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 1)), start) == "failed"
        assert webhook_aws.get_item(Key=key)["Item"]["failingSince"] == start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        # WHEN it succeeds, THEN the failures are forgotten
        answers["status"] = 200
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 2)), start + timedelta(days=1)) == "delivered"
        assert "failingSince" not in webhook_aws.get_item(Key=key)["Item"]
        # WHEN it then fails for five days
        answers["status"] = 500
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 3)), start + timedelta(days=2)) == "failed"
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 4)), start + timedelta(days=6, seconds=-1)) == "failed"
        assert attempt(sender, message_of(webhook_id, event_of(SHOP, 5)), start + timedelta(days=7)) == "gaveUp"
    # THEN it is disabled
    assert "disabledAt" in webhook_aws.get_item(Key=key)["Item"]
    assert attempts_of(webhook_aws, webhook_id)[-1]["error"] == "the endpoint answered 500; the endpoint has failed for five days: it is disabled"


def test_after_the_last_attempt_the_message_goes_to_the_dead_letter_queue(endpoints, sender, webhook_aws, queued, manifest) -> None:
    last = len(manifest.webhooks["retryScheduleSeconds"])
    with receiving(always(500)) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        assert attempt(sender, message_of(webhook_id, event_of(SHOP), attempt=last)) == "gaveUp"
    [dead] = dead_letters()
    assert json.loads(dead["Body"])["attempt"] == last and [sent["QueueUrl"] for sent in queued] == [DEAD_LETTER_QUEUE_URL]
    # The endpoint stays enabled: another event is tried from its first attempt.
    assert call(endpoints, SHOP, "webhooks")["result"][0]["disabledAt"] is None


def test_an_address_that_changes_after_creation_is_refused_at_the_attempt(endpoints, sender, webhook_aws, resolver, queued, monkeypatch) -> None:
    # GIVEN an endpoint whose name resolved to a public address when it was created
    resolver.answers["rebind.example.com"] = lambda lookup: [PUBLIC] if lookup == 1 else ["10.0.0.7"]
    webhook_id = create(endpoints, SHOP, "https://rebind.example.com/hooks")["webhook"]["id"]
    connections: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda address, *args, **kwargs: connections.append(address))
    # WHEN the name now resolves to a private address
    # THEN the attempt connects nowhere, is recorded as refused, and is tried again later
    assert attempt(sender, message_of(webhook_id, event_of(SHOP))) == "refused"
    assert connections == []
    [recorded] = attempts_of(webhook_aws, webhook_id)
    assert (recorded["outcome"], recorded["error"], "statusCode" in recorded) == ("refused", "the URL resolves to a private address, which webhooks may not reach", False)
    assert json.loads(queued[-1]["MessageBody"])["attempt"] == 2


def test_the_address_checked_is_the_address_connected_to(endpoints, sender, webhook_aws, resolver, monkeypatch, receiver) -> None:
    # GIVEN a name whose answer changes after the check to the loopback receiver (DNS rebinding)
    resolver.answers["flip.example.com"] = lambda lookup: [PUBLIC] if lookup <= 2 else ["127.0.0.1"]
    webhook_id = create(endpoints, SHOP, "https://flip.example.com/hooks")["webhook"]["id"]
    connections: list[Any] = []

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connections.append(address)
        raise ConnectionRefusedError("no route here")

    monkeypatch.setattr(socket, "create_connection", connect)
    # WHEN an attempt is made
    assert attempt(sender, message_of(webhook_id, event_of(SHOP))) == "failed"
    # THEN the name was looked up once for it, and the connection went to the address checked, never to loopback
    assert resolver.lookups["flip.example.com"] == 2
    assert connections == [(PUBLIC, 443)] and receiver.received == []


def test_https_is_verified_for_the_urls_host_name_and_sent_as_sni(sender) -> None:
    server, client = tls_contexts("hooks.example.com")
    with receiving(always(204), tls=server) as receiver:
        target = sender.Target("https", "hooks.example.com", receiver.port, "/in", ("127.0.0.1",))
        answer = sender.post(target, b"{}", {"content-type": "application/json"}, context=client)
        assert (answer.status, answer.error) == (204, None)
        [request] = receiver.received
        assert request.server_name == "hooks.example.com" and request.headers["host"] == f"hooks.example.com:{receiver.port}"
        # A certificate for another name, or one the trust store does not trust, is not accepted: nothing is sent.
        other = sender.Target("https", "other.example.com", receiver.port, "/in", ("127.0.0.1",))
        assert sender.post(other, b"{}", {}, context=client).error == "the endpoint's TLS certificate could not be verified for its host name"
        assert sender.post(target, b"{}", {}).error == "the endpoint's TLS certificate could not be verified for its host name"
        assert len(receiver.received) == 1


def test_no_redirect_is_followed_and_the_answer_is_never_kept(endpoints, sender, webhook_aws) -> None:
    with receiving(always(302, {"location": "http://127.0.0.1:9/elsewhere"})) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        assert attempt(sender, message_of(webhook_id, event_of(SHOP))) == "failed"
        assert len(receiver.received) == 1
    [recorded] = attempts_of(webhook_aws, webhook_id)
    assert recorded["error"] == "the endpoint answered 302 (a redirect, which webhooks do not follow)"
    assert "own words" not in json.dumps(recorded, default=str)


@pytest.mark.parametrize("behaviour", ["silent", "dribbling"])
def test_an_attempt_ends_at_its_timeout_whatever_the_endpoint_does(sender, behaviour: str) -> None:
    # GIVEN an endpoint that accepts the connection, then never answers (or answers a byte at a time)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        if behaviour == "dribbling":
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.05):
            if behaviour == "dribbling":
                try:
                    connection.sendall(b"X")
                except OSError:
                    break
        connection.close()

    threading.Thread(target=serve, daemon=True).start()
    target = sender.Target("http", "127.0.0.1", listener.getsockname()[1], "/", ("127.0.0.1",))
    started = time.monotonic()
    answer = sender.post(target, b"{}", {}, timeout=0.5)
    elapsed = time.monotonic() - started
    stop.set()
    listener.close()
    # THEN it gives up at the deadline, in our words
    assert (answer.status, answer.error) == (None, "no answer within 0.5 s")
    assert elapsed < 2.5


def test_an_unreachable_endpoint_is_a_failed_attempt(endpoints, sender, webhook_aws) -> None:
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    webhook_id = create(endpoints, SHOP, f"http://127.0.0.1:{port}/hooks")["webhook"]["id"]
    assert attempt(sender, message_of(webhook_id, event_of(SHOP))) == "failed"
    [recorded] = attempts_of(webhook_aws, webhook_id)
    assert recorded["error"] == "the endpoint could not be reached (the connection was refused or failed)"


def test_a_message_naming_another_clients_endpoint_sends_nothing(endpoints, sender, webhook_aws, receiver) -> None:
    # GIVEN a client's endpoint, and a message pairing it with another client's event
    webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
    for forged in (event_of(OTHER), event_of(SHOP_TEST)):
        # THEN the sender finds no such endpoint of that client and mode, and sends nothing
        assert attempt(sender, message_of(webhook_id, forged)) == "noEndpoint"
    assert receiver.received == [] and attempts_of(webhook_aws, webhook_id) == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"webhookId": "01JAAAAAAAAAAAAAAAAAAAAAAA"}),
        json.dumps({"webhookId": "x", "eventId": "01KBQ8Z3X4V5W6Y7Z8A9B0C001", "event": event_of(SHOP), "attempt": 1}),
        json.dumps({"webhookId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "eventId": "01KBQ8Z3X4V5W6Y7Z8A9B0C999", "event": event_of(SHOP), "attempt": 1}),
        json.dumps({"webhookId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "eventId": "01KBQ8Z3X4V5W6Y7Z8A9B0C001", "event": {**event_of(SHOP), "mode": "PROD"}, "attempt": 1}),
        json.dumps({"webhookId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "eventId": "01KBQ8Z3X4V5W6Y7Z8A9B0C001", "event": {**event_of(SHOP), "clientId": "a#b"}, "attempt": 1}),
        json.dumps({"webhookId": "01JAAAAAAAAAAAAAAAAAAAAAAA", "eventId": "01KBQ8Z3X4V5W6Y7Z8A9B0C001", "event": event_of(SHOP), "attempt": 0}),
    ],
)
def test_a_message_that_is_no_delivery_goes_to_the_dead_letter_queue(sender, body: str) -> None:
    assert sender.parse_delivery(body) is None
    assert sender.handle(body, "m-1") == "malformed"
    [dead] = dead_letters()
    assert dead["Body"] == body and dead["MessageAttributes"]["reason"]["StringValue"] == "not a webhook delivery message"


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(endpoints, sender, webhook_aws, receiver) -> None:
    # GIVEN an endpoint whose secret was rotated
    created = create(endpoints, SHOP, receiver.url)
    rotated = call(endpoints, SHOP, "rotateWebhookSecret", id=created["webhook"]["id"])["result"]
    assert rotated["secret"] != created["secret"] and rotated["webhook"] == created["webhook"]
    # WHEN an event is delivered within the day, THEN it carries two signatures, and each secret verifies it
    now = datetime.now(UTC)
    assert attempt(sender, message_of(created["webhook"]["id"], event_of(SHOP, 1)), now) == "delivered"
    request = receiver.received[-1]
    assert len(request.signatures) == 2
    assert request.verified(created["secret"]) == request.verified(rotated["secret"])
    # WHEN a day has passed, THEN only the new secret signs
    assert attempt(sender, message_of(created["webhook"]["id"], event_of(SHOP, 2)), now + timedelta(days=1, seconds=1)) == "delivered"
    request = receiver.received[-1]
    assert len(request.signatures) == 1
    signed_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    assert request.signatures == [Webhook(rotated["secret"]).sign(request.webhook_id, signed_at, request.body)]


def test_a_replay_queues_one_more_attempt_of_the_same_event(endpoints, sender, webhook_aws, receiver) -> None:
    # GIVEN an event that was delivered once
    created = create(endpoints, SHOP, receiver.url)
    webhook_id, event = created["webhook"]["id"], event_of(SHOP)
    webhook_aws.put_item(Item={"PK": f"EVENT#{SHOP['clientId']}#LIVE", "SK": event["id"], **event})
    assert attempt(sender, message_of(webhook_id, event)) == "delivered"
    # WHEN the caller replays it
    queued = call(endpoints, SHOP, "replayWebhookEvent", webhookId=webhook_id, eventId=event["id"])["result"]
    assert (queued["attempt"], queued["outcome"], queued["eventId"], queued["statusCode"]) == (2, "queued", event["id"], None)
    [message] = boto3.client("sqs", region_name=TABLE_REGION).receive_message(QueueUrl=QUEUE_URL).get("Messages", [])
    # THEN the queued attempt is made with the same webhook-id, and recorded under the id the caller was given
    assert attempt(sender, message["Body"]) == "delivered"
    assert [request.webhook_id for request in receiver.received] == [event["id"], event["id"]]
    assert receiver.received[-1].verified(created["secret"])["data"] == event
    listed = call(endpoints, SHOP, "webhookAttempts", webhookId=webhook_id)["result"]["data"]
    assert [(entry["id"] == queued["id"], entry["attempt"], entry["outcome"]) for entry in listed] == [(True, 2, "delivered"), (False, 1, "delivered")]


def test_a_failed_replay_is_not_retried(endpoints, sender, webhook_aws, queued) -> None:
    with receiving(always(500)) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        event = event_of(SHOP)
        replay = json.dumps({"webhookId": webhook_id, "eventId": event["id"], "event": event, "attempt": 3, "attemptId": "01KBQ8Z3X4V5W6Y7Z8A9B0CZZZ", "replay": True})
        assert attempt(sender, replay) == "failed"
    assert queued == [] and [item["id"] for item in attempts_of(webhook_aws, webhook_id)] == ["01KBQ8Z3X4V5W6Y7Z8A9B0CZZZ"]


def test_attempts_are_listed_newest_first_in_pages(endpoints, sender, webhook_aws) -> None:
    with receiving(always(500)) as receiver:
        webhook_id = create(endpoints, SHOP, receiver.url)["webhook"]["id"]
        start = datetime.now(UTC)
        for number in range(1, 6):
            attempt(sender, message_of(webhook_id, event_of(SHOP, number)), start + timedelta(seconds=number))
    seen, after = [], None
    while True:
        page = call(endpoints, SHOP, "webhookAttempts", webhookId=webhook_id, first=2, after=after)["result"]
        seen += [entry["eventId"] for entry in page["data"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [event_of(SHOP, number)["id"] for number in range(5, 0, -1)]
    for bad in ({"first": 0}, {"first": 101}, {"after": "not-a-cursor"}):
        assert call(endpoints, SHOP, "webhookAttempts", webhookId=webhook_id, **bad)["error"]["type"] == "ValidationError"


def test_only_the_records_that_could_not_be_handled_come_back(sender, monkeypatch) -> None:
    # GIVEN a batch in which one record's handling fails (an AWS call failed)
    def handle(body: str, message_id: str) -> str:
        if body == "boom":
            raise RuntimeError("DynamoDB is unavailable")
        return "delivered"

    monkeypatch.setattr(sender, "handle", handle)
    records: list[dict[str, Any]] = [
        {"messageId": name, "receiptHandle": name, "body": name, "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:q", "awsRegion": "eu-central-1"}
        for name in ("fine", "boom", "fine too")
    ]
    # THEN only that one is reported, for SQS to hand out again
    assert sender.handler({"Records": records}, LambdaContext(function_name="test-webhooks")) == {"batchItemFailures": [{"itemIdentifier": "boom"}]}



def test_the_receiver_in_the_api_docs_verifies_and_handles_a_delivery_once(endpoints, sender) -> None:
    # GIVEN the receiver docs/api.md shows, with an endpoint's secret in its placeholder's place, on a free port
    [example] = code_blocks((REPO_ROOT / "docs" / "api.md").read_text(), "A receiver", "python")
    *program, serve = example.rstrip().splitlines()
    assert serve == 'HTTPServer(("", 8000), Receiver).serve_forever()' and program.count('webhook = Webhook("whsec_...")  # createWebhook\'s secret, from your secret store') == 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    created = create(endpoints, SHOP, f"http://127.0.0.1:{server.server_address[1]}/hooks")
    namespace: dict[str, Any] = {}
    exec("\n".join(program).replace('"whsec_..."', repr(created["secret"])), namespace)  # noqa: S102 - the documentation's own code, run as a reader would
    handled: list[dict[str, Any]] = []
    namespace["handle"] = handled.append
    server.RequestHandlerClass = namespace["Receiver"]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        event = event_of(SHOP)
        # WHEN an event is delivered, and the same event comes again (a retry or a replay)
        for _ in range(2):
            assert attempt(sender, message_of(created["webhook"]["id"], event)) == "delivered"
        # THEN it verified the signature and handled the change once
        assert handled == [event]
        # AND a delivery signed with another secret is refused, and handled not at all
        namespace["webhook"] = Webhook(base64.b64encode(b"another secret, 32 bytes long...").decode())
        assert attempt(sender, message_of(created["webhook"]["id"], event_of(SHOP, 2))) == "failed"
        assert handled == [event]
    finally:
        server.shutdown()
        server.server_close()
