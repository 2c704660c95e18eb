"""What a million emails cost in AWS, besides SES's own fee, a million webhook deliveries, and the event feed and the
subscriptions a million status changes feed: the arithmetic behind docs/cost.md.

    python -m bench.cost

The usage per message comes from the measured results (bench/results/dynamodb_cost.json: capacity units;
warm_invoke.json: log bytes; webhooks.json: what a delivery queues, reads, writes, logs and sends; event_feed.json: a
stored event's size and its real-time update's); the prices and the few things no benchmark here can measure (billed Lambda
durations, the cold-start share, the trace rate) are the stated inputs below. tests/bench/test_cost.py checks
that docs/cost.md shows exactly these lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"

# us-east-1 list prices (docs/cost.md names the sources and the date).
PRICE: dict[str, float] = {
    "appsync_per_million": 4.00,
    "waf_per_million_requests": 0.60,
    "sns_per_million_publishes": 0.50,
    "lambda_per_million_requests": 0.20,
    "lambda_arm64_per_gb_second": 0.0000133334,
    "dynamodb_per_million_wru": 0.625,
    "dynamodb_per_million_rru": 0.125,
    "logs_per_gb": 0.50,
    "xray_per_million_traces": 5.00,
    "kms_per_10k_requests": 0.03,
    "sqs_per_million_requests": 0.40,
    "data_transfer_out_per_gb": 0.09,
    "appsync_per_million_realtime_updates": 2.00,  # each update metered in 5 KB increments
    "appsync_per_million_connection_minutes": 0.08,
    "dynamodb_storage_per_gb_month": 0.25,
    "dynamodb_pitr_per_gb_month": 0.20,
    # Provisioned capacity, for the options below: per capacity unit-hour.
    "dynamodb_per_wcu_hour": 0.00065,
    "dynamodb_per_rcu_hour": 0.00013,
}

# What cannot be measured without AWS: stated, and varied in docs/cost.md's sensitivity table.
ASSUMPTION: dict[str, float] = {
    "delivery_billed_seconds": 0.080,  # one SES SendEmail round trip, warm
    "status_billed_seconds": 0.040,  # one DynamoDB UpdateItem
    "cold_start_share": 0.01,
    "init_billed_seconds": 0.7,
    "delivery_memory_gb": 0.25,  # terraform/variables.tf delivery_function.memory_mb = 256
    "status_memory_gb": 0.125,  # status_functions.memory_mb = 128
    "traced_share": 0.01,  # tracing.fixed_rate; the functions trace only what AppSync sampled (PassThrough)
    "log_event_overhead_bytes": 26,  # what CloudWatch Logs counts per event on top of the message
    # The sweep reads a whole hour's recipient counters (~140 B each) in every run whose window touches that
    # hour: about 8 of the 5-minute runs read a given counter, 8 × 140 B / 4 KB × 0.5 unit.
    "sweep_counter_read_units_per_message": 0.14,
    # The Lambda authorizer runs when a key's cached answer has expired: at most once per key per cache period
    # (terraform/variables.tf authorizer_cache_seconds, 60), and never more often than the key sends. Here a
    # million emails a month come from one key sending steadily (about 23 a minute).
    "authorizer_keys": 1,
    "authorizer_cache_seconds": 60,
    "month_seconds": 30 * 24 * 3600,
    "authorizer_billed_seconds": 0.030,  # two GetItems and an UpdateItem, warm
    "authorizer_memory_gb": 0.25,  # terraform/main.tf clients_functions.authorizer.memory_mb = 256
    # Components that the options below take away (1: deployed).
    "waf": 1.0,
    "ses_events_through_sns": 1.0,
}

MILLION = 1_000_000
GB = 1_000_000_000


@dataclass(frozen=True)
class Line:
    component: str
    arithmetic: str
    dollars: float


def _load(name: str) -> dict[str, Any]:
    results: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text())["results"]
    return results


def authorizer_invocations(assumption: dict[str, float] = ASSUMPTION) -> float:
    """The authorizer's runs for a million emails a month: once per key per cache period, at most once per email."""
    a = assumption
    if not a["authorizer_cache_seconds"]:
        return MILLION  # no cache: every request
    return min(MILLION, a["authorizer_keys"] * a["month_seconds"] / a["authorizer_cache_seconds"])


def per_million_emails(
    dynamodb: dict[str, Any] | None = None,
    logs: dict[str, Any] | None = None,
    assumption: dict[str, float] = ASSUMPTION,
    price: dict[str, float] = PRICE,
    write_units_saved: int = 0,
) -> list[Line]:
    """One email without senderId or idempotencyKey, with one SES event (DELIVERY); `write_units_saved` for an
    option that writes less per email."""
    dynamodb = dynamodb or _load("dynamodb_cost")
    logs = logs or _load("warm_invoke")
    a, p = assumption, price
    email = dict(dynamodb["writes_per_message"]["email"]["per_message"])
    email["write_units"] -= write_units_saved
    authorizer = dynamodb["authorizer"]
    invocations = authorizer_invocations(a)
    sweep_read = dynamodb["sweep"]["read_units_per_message"] + a["sweep_counter_read_units_per_message"]
    delivery_bytes = logs["delivery"]["EMAIL (fake clients)"]["log_bytes_per_call"] + a["log_event_overhead_bytes"]
    status_bytes = logs["status"]["ses_event_handler (SES DELIVERY via SNS)"]["log_bytes_per_call"] + a["log_event_overhead_bytes"]
    cold = a["cold_start_share"] * MILLION

    def lambda_seconds(billed: float, memory: float) -> float:
        return (MILLION * billed + cold * a["init_billed_seconds"]) * memory

    delivery_gbs = lambda_seconds(a["delivery_billed_seconds"], a["delivery_memory_gb"])
    status_gbs = lambda_seconds(a["status_billed_seconds"], a["status_memory_gb"])
    authorizer_gbs = (invocations * a["authorizer_billed_seconds"] + invocations * a["cold_start_share"] * a["init_billed_seconds"]) * a["authorizer_memory_gb"]
    authorizer_units = f"{authorizer['write_units']} WRU × ${p['dynamodb_per_million_wru']:.3g} + {authorizer['read_units']} RRU × ${p['dynamodb_per_million_rru']:.3g}"
    reads = email["read_units"] + sweep_read
    log_gb = (delivery_bytes + status_bytes) * MILLION / GB
    traces = a["traced_share"] * MILLION
    lines = [
        Line("AppSync (sendMessage)", f"1M × ${p['appsync_per_million']:.2f} / 1M", p["appsync_per_million"]),
        Line("WAF requests", f"1M × ${p['waf_per_million_requests']:.2f} / 1M", p["waf_per_million_requests"] * a["waf"]),
        Line(
            "SNS (the SES event to its topic; delivery to Lambda is free)",
            f"1M × ${p['sns_per_million_publishes']:.2f} / 1M",
            p["sns_per_million_publishes"] * a["ses_events_through_sns"],
        ),
        Line("Lambda requests (delivery, emailEvents)", f"2 × 1M × ${p['lambda_per_million_requests']:.2f} / 1M", 2 * p["lambda_per_million_requests"]),
        Line(
            "Lambda delivery duration + INIT (arm64)",
            f"(1M × {a['delivery_billed_seconds']} s + {cold:,.0f} × {a['init_billed_seconds']} s) × {a['delivery_memory_gb']} GB = {delivery_gbs:,.0f} GB-s",
            delivery_gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line(
            "Lambda emailEvents duration + INIT (arm64)",
            f"(1M × {a['status_billed_seconds']} s + {cold:,.0f} × {a['init_billed_seconds']} s) × {a['status_memory_gb']} GB = {status_gbs:,.0f} GB-s",
            status_gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line("DynamoDB writes", f"{email['write_units']} WRU × 1M × ${p['dynamodb_per_million_wru']:.3g} / 1M", email["write_units"] * p["dynamodb_per_million_wru"]),
        Line(
            "DynamoDB reads (config Query, the client's record; the sweep: the status, and the limit counters that point to it)",
            f"({email['read_units']} + {sweep_read}) RRU × 1M × ${p['dynamodb_per_million_rru']:.3g} / 1M",
            reads * p["dynamodb_per_million_rru"],
        ),
        Line(
            "Lambda authorizer requests and duration (arm64)",
            f"{invocations:,.0f} runs × ${p['lambda_per_million_requests']:.2f} / 1M + {authorizer_gbs:,.0f} GB-s",
            invocations * p["lambda_per_million_requests"] / MILLION + authorizer_gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line("DynamoDB for the authorizer (the key, its last use)", f"{invocations:,.0f} runs × ({authorizer_units}) / 1M", invocations * (authorizer["write_units"] * p["dynamodb_per_million_wru"] + authorizer["read_units"] * p["dynamodb_per_million_rru"]) / MILLION),
        Line(
            "CloudWatch Logs (one EMF line per function call)",
            f"({delivery_bytes:.0f} + {status_bytes:.0f}) B × 1M = {log_gb:.2f} GB × ${p['logs_per_gb']:.2f}",
            log_gb * p["logs_per_gb"],
        ),
        Line("X-Ray", f"{traces:,.0f} traces × ${p['xray_per_million_traces']:.2f} / 1M", traces * p["xray_per_million_traces"] / MILLION),
        Line("KMS (Lambda environment decrypt at each cold start)", f"{2 * cold:,.0f} requests × ${p['kms_per_10k_requests']} / 10,000", 2 * cold * p["kms_per_10k_requests"] / 10_000),
    ]
    return [line for line in lines if line.dollars or not line.component.startswith(("WAF", "SNS"))]


# Webhooks: what bench/webhooks.py cannot measure without AWS and the internet.
WEBHOOK_ASSUMPTION = {
    "records_per_batch": 10,  # the sender's event source hands it up to 10 deliveries at once (fewer when traffic is thin)
    "publisher_messages_per_batch": 10,  # the event publisher queues them with SendMessageBatch
    "batch_billed_seconds": 0.4,  # a batch's attempts side by side: the slowest endpoint's answer over the internet, TLS included
    "sender_memory_gb": 0.25,  # terraform/webhooks.tf: 256 MB
    "key_cache_miss_share": 0.01,  # attempts whose secret a warm sender has not decrypted in the last 5 minutes
    "tls_handshake_out_bytes": 600,  # what this side sends to open a TLS connection (one per attempt)
    "log_event_overhead_bytes": 26,
}


def per_million_webhook_events(webhooks: dict[str, Any] | None = None, assumption: dict[str, float] = WEBHOOK_ASSUMPTION) -> list[Line]:
    """A million status changes, each delivered to one endpoint at the first attempt (the sender's side: the queue,
    the sender, its reads and writes; the event publisher's own work is counted with the event feed)."""
    sizes = (webhooks or _load("webhooks"))["sizes"]
    a, p = assumption, PRICE
    batches = MILLION / a["records_per_batch"]
    sqs_requests = MILLION / a["publisher_messages_per_batch"] + 2 * batches  # SendMessageBatch; ReceiveMessage and DeleteMessageBatch
    sender_gbs = batches * a["batch_billed_seconds"] * a["sender_memory_gb"]
    log_bytes = sizes["log_bytes_per_attempt"] + a["log_event_overhead_bytes"]
    out_bytes = sizes["request_body_bytes"] + sizes["request_header_bytes"] + a["tls_handshake_out_bytes"]
    decrypts = a["key_cache_miss_share"] * MILLION
    return [
        Line(
            "SQS requests (queued in batches, received and deleted in batches; each message under 64 KB)",
            f"{sqs_requests / MILLION:.1f}M × ${p['sqs_per_million_requests']:.2f} / 1M",
            sqs_requests * p["sqs_per_million_requests"] / MILLION,
        ),
        Line("Lambda requests (the sender, one per batch)", f"{batches:,.0f} × ${p['lambda_per_million_requests']:.2f} / 1M", batches * p["lambda_per_million_requests"] / MILLION),
        Line(
            "Lambda sender duration (arm64)",
            f"{batches:,.0f} × {a['batch_billed_seconds']} s × {a['sender_memory_gb']} GB = {sender_gbs:,.0f} GB-s",
            sender_gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line(
            "DynamoDB reads (the endpoint, eventually consistent)",
            f"{sizes['endpoint_read_units']} RRU × 1M × ${p['dynamodb_per_million_rru']} / 1M",
            sizes["endpoint_read_units"] * p["dynamodb_per_million_rru"],
        ),
        Line(
            "DynamoDB writes (the attempt)",
            f"{sizes['attempt_write_units']} WRU × 1M × ${p['dynamodb_per_million_wru']} / 1M",
            sizes["attempt_write_units"] * p["dynamodb_per_million_wru"],
        ),
        Line(
            "KMS (a secret decrypted on a cache miss)",
            f"{decrypts:,.0f} requests × ${p['kms_per_10k_requests']} / 10,000",
            decrypts * p["kms_per_10k_requests"] / 10_000,
        ),
        Line(
            "CloudWatch Logs (one line per attempt)",
            f"{log_bytes:.0f} B × 1M = {log_bytes * MILLION / GB:.2f} GB × ${p['logs_per_gb']:.2f}",
            log_bytes * MILLION / GB * p["logs_per_gb"],
        ),
        Line(
            "Data transfer out (the POST, and opening its TLS connection)",
            f"{out_bytes:.0f} B × 1M = {out_bytes * MILLION / GB:.2f} GB × ${p['data_transfer_out_per_gb']:.2f}",
            out_bytes * MILLION / GB * p["data_transfer_out_per_gb"],
        ),
    ]


# The event feed and the subscriptions: what no benchmark here can measure without AWS.
EVENT_ASSUMPTION = {
    # The records of the table's stream that the mapping's filter passes (graphql/manifest.json: a message record's
    # MODIFY, or a REMOVE that TTL did not make): for an email, its outcome (ACCEPTED) and the provider's report
    # (DELIVERED). Its PENDING record (an INSERT) and TTL's deletion at the end of its retention, neither an
    # event, are left out.
    "records_per_email": 2,
    "events_per_email": 2,
    # terraform/events.tf: batch_size 25 (var.event_publisher), no batching window, one batch per shard at a time.
    # Lambda polls the shard 4 times a second and hands over what it holds: a million emails a month from one key
    # (about 23 a minute) come a change at a time, so a batch of one record (the most invocations; 25 under load).
    "records_per_batch": 1,
    "event_billed_seconds": 0.025,  # a record with an event: its conditional PutItem and the endpoints Query, warm
    "quiet_record_billed_seconds": 0.002,  # a record that changes no status, read and dropped (none passes the filter)
    "publisher_memory_gb": 0.25,  # terraform/events.tf: memory_mb = 256
    # The publisher reads a client and mode's subscriber marker at most once per SUBSCRIBERS_CACHE_SECONDS
    # (handlers/clients/publisher.py) in a warm instance: one client and mode, one shard, one instance here.
    "client_modes": 1,
    "subscribers_cache_seconds": 5,
    # Its one line per invocation with events ("stream records processed"): printed through Powertools with a
    # Lambda context and the tally it is 466 bytes; the X-Ray trace id Lambda's environment adds makes about 520.
    "log_bytes_per_invocation": 520,
    "log_event_overhead_bytes": 26,
    "item_overhead_bytes": 100,  # what DynamoDB adds to each item's stored size
    # Subscriptions: how many subscribers get each event, how long the publication waits for AppSync, how long a
    # subscriber stays connected (one connection all month, 730 hours) and how often it reconnects (AppSync closes
    # a connection after 24 hours: each reconnection is a connect and a subscription start, and a marker write).
    "subscribers": 1,
    "publish_billed_seconds": 0.040,
    "connection_minutes_per_subscriber": 730 * 60,
    "reconnections_per_subscriber": 30,
    "update_increment_bytes": 5 * 1024,
}


def marker_reads(events: float, assumption: dict[str, float] = EVENT_ASSUMPTION) -> float:
    """The subscriber marker's reads in a month of `events`: once per client and mode per cache period, at most once per event."""
    a = assumption
    return min(events, a["client_modes"] * ASSUMPTION["month_seconds"] / a["subscribers_cache_seconds"])


def event_feed(events: float = MILLION, feed: dict[str, Any] | None = None, assumption: dict[str, float] = EVENT_ASSUMPTION) -> list[Line]:
    """A month of `events` status changes (email's, one per record that has one) stored by the publisher, without
    subscribers or webhooks: the stream's records, the publisher's runs, its reads and write, its logs."""
    sizes = (feed or _load("event_feed"))["sizes"]
    a, p = assumption, PRICE
    records = events * a["records_per_email"] / a["events_per_email"]
    quiet = records - events
    invocations = records / a["records_per_batch"]
    with_events = events / a["records_per_batch"]
    cold = ASSUMPTION["cold_start_share"] * invocations
    gbs = (events * a["event_billed_seconds"] + quiet * a["quiet_record_billed_seconds"] + cold * ASSUMPTION["init_billed_seconds"]) * a["publisher_memory_gb"]
    markers = marker_reads(events, a)
    log_bytes = a["log_bytes_per_invocation"] + a["log_event_overhead_bytes"]
    log_gb = with_events * log_bytes / GB

    def count(value: float) -> str:
        return f"{value / MILLION:g}M" if value >= MILLION else f"{value:,.0f}"

    return [
        Line("DynamoDB Streams reads by the publisher's mapping", f"{count(records)} records ({a['records_per_email']:g} per email, {a['events_per_email']:g} of them events): free for Lambda", 0.0),
        Line("Lambda requests (the publisher, one per batch)", f"{count(invocations)} × ${p['lambda_per_million_requests']:.2f} / 1M", invocations * p["lambda_per_million_requests"] / MILLION),
        Line(
            "Lambda publisher duration + INIT (arm64)",
            f"({count(events)} × {a['event_billed_seconds']} s + {count(quiet)} × {a['quiet_record_billed_seconds']} s + {cold:,.0f} × {ASSUMPTION['init_billed_seconds']} s) × {a['publisher_memory_gb']} GB = {gbs:,.0f} GB-s",
            gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line(
            f"DynamoDB writes (the event's conditional put, {sizes['event_item_bytes']} B)",
            f"{sizes['event_write_units']} WRU × {count(events)} × ${p['dynamodb_per_million_wru']:.3g} / 1M",
            sizes["event_write_units"] * events * p["dynamodb_per_million_wru"] / MILLION,
        ),
        Line(
            "DynamoDB reads (the subscriber marker, at most once per client and mode every 5 s)",
            f"{markers:,.0f} × 0.5 RRU × ${p['dynamodb_per_million_rru']:.3g} / 1M",
            markers * 0.5 * p["dynamodb_per_million_rru"] / MILLION,
        ),
        Line(
            "DynamoDB reads (the client's webhook endpoints, once per batch with events)",
            f"{count(with_events)} × 0.5 RRU × ${p['dynamodb_per_million_rru']:.3g} / 1M",
            with_events * 0.5 * p["dynamodb_per_million_rru"] / MILLION,
        ),
        Line("KMS (Lambda environment decrypt at each cold start)", f"{cold:,.0f} requests × ${p['kms_per_10k_requests']} / 10,000", cold * p["kms_per_10k_requests"] / 10_000),
        Line(
            "CloudWatch Logs (one line per invocation with events)",
            f"{log_bytes:.0f} B × {count(with_events)} = {log_gb:.2f} GB × ${p['logs_per_gb']:.2f}",
            log_gb * p["logs_per_gb"],
        ),
    ]


def event_feed_storage(feed: dict[str, Any] | None = None, assumption: dict[str, float] = EVENT_ASSUMPTION) -> str:
    """What a million emails' events cost a month while kept (they expire with their message)."""
    sizes = (feed or _load("event_feed"))["sizes"]
    a, p = assumption, PRICE
    stored = sizes["event_item_bytes"] + a["item_overhead_bytes"]
    gb = a["events_per_email"] * MILLION * stored / GB
    per_gb = p["dynamodb_storage_per_gb_month"] + p["dynamodb_pitr_per_gb_month"]
    return (
        f"Kept, a million emails' events take {a['events_per_email']:g}M × ({sizes['event_item_bytes']} + {a['item_overhead_bytes']:g}) B = {gb:.2f} GB: "
        f"× (${p['dynamodb_storage_per_gb_month']:.2f} storage + ${p['dynamodb_pitr_per_gb_month']:.2f} PITR) = **${gb * per_gb:.2f} a month** while their messages are kept "
        "(TTL deletes them with their message, at no charge)."
    )


def subscriptions(events: float = MILLION, feed: dict[str, Any] | None = None, assumption: dict[str, float] = EVENT_ASSUMPTION) -> list[Line]:
    """What a month of `events` costs on top of the feed when their client and mode has live subscribers: the
    publishing mutation (once per event, whatever the number of subscribers), the read that checks its caller is the
    publisher, and one update per subscriber."""
    sizes = (feed or _load("event_feed"))["sizes"]
    a, p = assumption, PRICE
    increments = max(1, -(-sizes["update_bytes"] // int(a["update_increment_bytes"])))
    updates = events * a["subscribers"] * increments
    gbs = events * a["publish_billed_seconds"] * a["publisher_memory_gb"]
    out_gb = events * a["subscribers"] * sizes["update_bytes"] / GB
    traces = ASSUMPTION["traced_share"] * events

    def count(value: float) -> str:
        return f"{value / MILLION:g}M"

    return [
        Line("AppSync (publishMessageEvent, IAM-signed by the publisher)", f"{count(events)} × ${p['appsync_per_million']:.2f} / 1M", events * p["appsync_per_million"] / MILLION),
        Line(
            "DynamoDB read (authorizePublisher: the publisher's name in the config item, eventually consistent)",
            f"{count(events)} × 0.5 RRU × ${p['dynamodb_per_million_rru']:.3g} / 1M",
            events * 0.5 * p["dynamodb_per_million_rru"] / MILLION,
        ),
        Line("WAF requests (the publication passes the API's web ACL)", f"{count(events)} × ${p['waf_per_million_requests']:.2f} / 1M", events * p["waf_per_million_requests"] * ASSUMPTION["waf"] / MILLION),
        Line(
            f"AppSync real-time updates ({sizes['update_bytes']} B each: {increments} × 5 KB)",
            f"{count(events)} × {a['subscribers']:g} subscriber{'s' if a['subscribers'] != 1 else ''} × {increments} × ${p['appsync_per_million_realtime_updates']:.2f} / 1M",
            updates * p["appsync_per_million_realtime_updates"] / MILLION,
        ),
        Line(
            "Lambda publisher duration (the signed POST, arm64)",
            f"{count(events)} × {a['publish_billed_seconds']} s × {a['publisher_memory_gb']} GB = {gbs:,.0f} GB-s",
            gbs * p["lambda_arm64_per_gb_second"],
        ),
        Line("X-Ray (the API's sampling rule)", f"{traces:,.0f} traces × ${p['xray_per_million_traces']:.2f} / 1M", traces * p["xray_per_million_traces"] / MILLION),
        Line(
            "Data transfer out (the updates)",
            f"{sizes['update_bytes']} B × {count(events * a['subscribers'])} = {out_gb:.2f} GB × ${p['data_transfer_out_per_gb']:.2f}",
            out_gb * p["data_transfer_out_per_gb"],
        ),
    ]


def subscriber_month(assumption: dict[str, float] = EVENT_ASSUMPTION) -> str:
    """A subscriber's own cost a month, whatever the traffic: its connection, its daily reconnection and marker write."""
    a, p = assumption, PRICE
    minutes = a["connection_minutes_per_subscriber"]
    connection = minutes * p["appsync_per_million_connection_minutes"] / MILLION
    reconnecting = a["reconnections_per_subscriber"] * (2 * p["appsync_per_million_realtime_updates"] + p["dynamodb_per_million_wru"]) / MILLION
    return (
        f"A subscriber connected all month: {minutes:,.0f} connection-minutes × ${p['appsync_per_million_connection_minutes']:.2f} / 1M = ${connection:.4f}, "
        f"and {a['reconnections_per_subscriber']:g} reconnections (a connect and a subscription start, each a real-time operation at ${p['appsync_per_million_realtime_updates']:.2f} / 1M, "
        f"and a marker write of 1 WRU) = ${reconnecting:.6f}: **${connection + reconnecting:.4f} a month per subscriber**."
    )


SUBSCRIPTION_SENSITIVITY: list[tuple[str, dict[str, float]]] = [
    ("1 subscriber", {}),
    ("10 subscribers (each gets every event)", {"subscribers": 10}),
]


def events_sensitivity(
    header: str, cases: list[tuple[str, dict[str, float]]], pricing: Callable[[float, dict[str, Any], dict[str, float]], list[Line]],
) -> str:
    """A table of what `pricing` costs per million events and per million emails, one row per case's assumptions."""
    feed = _load("event_feed")
    rows = [f"| {header} | per 1M events $ | per 1M emails $ |", "|---|---|---|"]
    for label, overrides in cases:
        assumption = {**EVENT_ASSUMPTION, **overrides}
        per_events = total(pricing(MILLION, feed, assumption))
        per_emails = total(pricing(assumption["events_per_email"] * MILLION, feed, assumption))
        rows.append(f"| {label} | {per_events:.2f} | {per_emails:.2f} |")
    return "\n".join(rows)


def subscription_sensitivity() -> str:
    return events_sensitivity("subscribers of the client and mode", SUBSCRIPTION_SENSITIVITY, subscriptions)


EVENT_FEED_SENSITIVITY: list[tuple[str, dict[str, float]]] = [
    ("the filter passes every write to a message (4 records an email: its PENDING and TTL's deletion too)", {"records_per_email": 4}),
    ("busy: full batches of 25 records", {"records_per_batch": 25}),
    ("an event bills 50 ms, not 25", {"event_billed_seconds": 0.050}),
]


def event_feed_sensitivity() -> str:
    return events_sensitivity("if", EVENT_FEED_SENSITIVITY, event_feed)


def event_feed_per_million_emails() -> list[Line]:
    return event_feed(EVENT_ASSUMPTION["events_per_email"] * MILLION)


# What the total becomes when one assumption is otherwise.
SENSITIVITY: list[tuple[str, dict[str, float]]] = [
    ("the delivery function bills 50 ms, not 80", {"delivery_billed_seconds": 0.050}),
    ("the delivery function bills 150 ms", {"delivery_billed_seconds": 0.150}),
    ("the delivery function gets 512 MB", {"delivery_memory_gb": 0.5}),
    ("5% of calls are cold starts, not 1%", {"cold_start_share": 0.05}),
    ("no request is traced (tracing.fixed_rate = 0)", {"traced_share": 0.0}),
    ("5% of requests are traced", {"traced_share": 0.05}),
    ("10 keys share the million, each sending all month", {"authorizer_keys": 10}),
    ("100 keys, or keys that send less than once a minute: every email runs the authorizer", {"authorizer_keys": 100}),
    ("the authorizer's answer cached 300 s, not 60", {"authorizer_cache_seconds": 300}),
    ("the authorizer's answer not cached (0 s)", {"authorizer_cache_seconds": 0}),
]

# SES's fee per million emails, and the target: the stack adds at most a tenth of it.
SES_PER_MILLION = 100.00
TARGET = SES_PER_MILLION / 10

# Provisioned capacity billed per unit-hour, with auto scaling keeping it this busy (its default target).
PROVISIONED_UTILISATION = 0.7


def _provisioned_per_million(unit_hour: float) -> float:
    return unit_hour / (3600 * PROVISIONED_UTILISATION) * MILLION


# Ways to spend less per email, each with what it gives up: (label, assumption overrides, price overrides, write units saved).
OPTIONS: list[tuple[str, dict[str, float], dict[str, float], int]] = [
    ("no WAF: AppSync, the key check and the sending limits left to stand in front of the API", {"waf": 0.0}, {}, 0),
    ("SES events to EventBridge instead of SNS, if EventBridge bills them as free AWS events", {"ses_events_through_sns": 0.0}, {}, 0),
    ("the delivery function at 128 MB (it waits on SES; measure its latency first)", {"delivery_memory_gb": 0.125}, {}, 0),
    (
        f"provisioned capacity with auto scaling at {PROVISIONED_UTILISATION:.0%} busy, for steady traffic",
        {},
        {"dynamodb_per_million_wru": _provisioned_per_million(PRICE["dynamodb_per_wcu_hour"]), "dynamodb_per_million_rru": _provisioned_per_million(PRICE["dynamodb_per_rcu_hour"])},
        0,
    ),
]


def total(lines: list[Line]) -> float:
    return sum(line.dollars for line in lines)


# A setting that writes more per email than the defaults measured: (label, write units added).
EXTRA_WRITES: list[tuple[str, int]] = [
    ("a stack-wide email ceiling is set (send_limits.email_per_minute above 0: its minute counter)", 1),
]


def sensitivity() -> str:
    dynamodb, logs = _load("dynamodb_cost"), _load("warm_invoke")
    rows = ["| if | total $ |", "|---|---|"]
    for label, overrides in SENSITIVITY:
        lines = per_million_emails(dynamodb, logs, {**ASSUMPTION, **overrides})
        rows.append(f"| {label} | {total(lines):.2f} |")
    for label, added in EXTRA_WRITES:
        rows.append(f"| {label} | {total(per_million_emails(dynamodb, logs, write_units_saved=-added)):.2f} |")
    return "\n".join(rows)


def verdict(spent: float) -> str:
    return f"under it by ${TARGET - spent:.2f}" if spent <= TARGET else f"**over it by ${spent - TARGET:.2f}**"


def target() -> str:
    """The total against the target, without and with the event feed every email's status changes feed."""
    # Each figure as shown, so that the sum reads right.
    spent = round(total(per_million_emails()), 2)
    feed = round(total(event_feed_per_million_emails()), 2)
    return (
        f"The stack adds **${spent:.2f}** per million emails on the sending path; the target is ${TARGET:.2f} (a tenth of SES's ${SES_PER_MILLION:.0f}): {verdict(spent)}. "
        f"The event feed, which stores every status change, adds ${feed:.2f} on top ([below](#per-1-million-status-events-the-event-feed)): "
        f"**${spent + feed:.2f}** per million emails in all, {verdict(spent + feed)}."
    )


def floor(dynamodb: dict[str, Any] | None = None) -> list[Line]:
    """What any design that keeps the stack's promises pays per million emails, before a function runs a
    millisecond, logs a line or reads an item: the API request, the WAF in front of it, SES's event into the stack,
    the two functions that must run (the send, and the report that records its outcome), the measured writes of
    the sending path and one stored event per status change (the event feed, a write unit each at least)."""
    dynamodb = dynamodb or _load("dynamodb_cost")
    p = PRICE
    writes = dynamodb["writes_per_message"]["email"]["per_message"]["write_units"]
    events = EVENT_ASSUMPTION["events_per_email"]
    return [
        Line("AppSync (sendMessage)", f"1M × ${p['appsync_per_million']:.2f} / 1M", p["appsync_per_million"]),
        Line("WAF requests", f"1M × ${p['waf_per_million_requests']:.2f} / 1M", p["waf_per_million_requests"]),
        Line("SNS (SES's event: the cheapest destination priced here)", f"1M × ${p['sns_per_million_publishes']:.2f} / 1M", p["sns_per_million_publishes"]),
        Line("Lambda requests (the send, the report)", f"2 × 1M × ${p['lambda_per_million_requests']:.2f} / 1M", 2 * p["lambda_per_million_requests"]),
        Line(
            "DynamoDB writes (the sending path's, and one per event)",
            f"({writes} + {events:g}) WRU × 1M × ${p['dynamodb_per_million_wru']:.3g} / 1M",
            (writes + events) * p["dynamodb_per_million_wru"],
        ),
    ]


def floor_verdict() -> str:
    bottom = round(total(floor()), 2)
    deployed = round(total(per_million_emails()), 2) + round(total(event_feed_per_million_emails()), 2)
    return (
        f"**${bottom:.2f}** before any function's duration, log line, read, trace or key: against the target of "
        f"${TARGET:.2f}, {verdict(bottom)} if all of those cost nothing. They do: as deployed they add ${deployed - bottom:.2f} "
        f"(**${deployed:.2f}** in all)."
    )


# How many keys send the million emails (each all month), for the authorizer's share.
AUTHORIZER_CASES = [
    (1, "1, sending steadily (about 23 a minute: each minute's first request runs it)"),
    (10, "10, each sending all month"),
    (100, "100, or keys that send less than once a minute"),
]


def authorizer_share() -> str:
    dynamodb, logs = _load("dynamodb_cost"), _load("warm_invoke")
    rows = ["| keys sending a million emails in a month | authorizer runs | authorizer + its DynamoDB $ |", "|---|---|---|"]
    for keys, label in AUTHORIZER_CASES:
        assumption = {**ASSUMPTION, "authorizer_keys": keys}
        lines = per_million_emails(dynamodb, logs, assumption)
        runs = authorizer_invocations(assumption)
        rows.append(f"| {label} | {runs:,.0f}{' (every email)' if runs == MILLION else ''} | {sum(line.dollars for line in lines if 'authorizer' in line.component):.2f} |")
    return "\n".join(rows)


def options() -> str:
    dynamodb, logs = _load("dynamodb_cost"), _load("warm_invoke")
    spent = total(per_million_emails(dynamodb, logs))
    rows = ["| option | total $ | saves $ |", "|---|---|---|"]
    for label, assumption, price, saved in OPTIONS:
        changed = total(per_million_emails(dynamodb, logs, {**ASSUMPTION, **assumption}, {**PRICE, **price}, write_units_saved=saved))
        rows.append(f"| {label} | {changed:.2f} | {spent - changed:.2f} |")
    return "\n".join(rows)


def table(lines: list[Line]) -> str:
    rows = ["| component | arithmetic | $ |", "|---|---|---|"]
    rows += [f"| {line.component} | {line.arithmetic} | {line.dollars:.2f} |" for line in lines]
    rows.append(f"| **total** | | **{total(lines):.2f}** |")
    return "\n".join(rows)


WEBHOOK_SENSITIVITY: list[tuple[str, dict[str, float]]] = [
    ("deliveries come one at a time (one per batch)", {"records_per_batch": 1, "publisher_messages_per_batch": 1}),
    ("endpoints take 2 s to answer", {"batch_billed_seconds": 2.0}),
    ("every attempt decrypts its secret (no warm cache)", {"key_cache_miss_share": 1.0}),
]


def webhook_sensitivity() -> str:
    webhooks = _load("webhooks")
    rows = ["| if | total $ |", "|---|---|"]
    for label, overrides in WEBHOOK_SENSITIVITY:
        lines = per_million_webhook_events(webhooks, {**WEBHOOK_ASSUMPTION, **overrides})
        rows.append(f"| {label} | {sum(line.dollars for line in lines):.2f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(per_million_emails()))
    print()
    print(table(event_feed()))
    print()
    print(table(event_feed_per_million_emails()))
    print()
    print(event_feed_sensitivity())
    print()
    print(event_feed_storage())
    print()
    print(table(subscriptions()))
    print()
    print(subscription_sensitivity())
    print()
    print(subscriber_month())
    print()
    print(target())
    print()
    print(authorizer_share())
    print()
    print(sensitivity())
    print()
    print(table(per_million_webhook_events()))
    print()
    print(webhook_sensitivity())
    print()
    print(options())
