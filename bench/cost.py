"""What a million emails cost in AWS, besides SES's own fee, and a million webhook deliveries: the arithmetic
behind docs/cost.md.

    python -m bench.cost

The usage per message comes from the measured results (bench/results/dynamodb_cost.json: capacity units;
warm_invoke.json: log bytes; webhooks.json: what a delivery queues, reads, writes, logs and sends); the prices and the few things no benchmark here can measure (billed Lambda
durations, the cold-start share, the trace rate) are the stated inputs below. tests/bench/test_cost.py checks
that docs/cost.md shows exactly these lines.
"""

from __future__ import annotations

import json
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
    ("no channel minute counter: the stack-wide ceiling dropped, the clients' daily quotas left to guard spend", {}, {}, 1),
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


def sensitivity() -> str:
    dynamodb, logs = _load("dynamodb_cost"), _load("warm_invoke")
    rows = ["| if | total $ |", "|---|---|"]
    for label, overrides in SENSITIVITY:
        lines = per_million_emails(dynamodb, logs, {**ASSUMPTION, **overrides})
        rows.append(f"| {label} | {total(lines):.2f} |")
    return "\n".join(rows)


def target() -> str:
    """The total against the target, in one sentence."""
    spent = total(per_million_emails())
    verdict = f"under it by ${TARGET - spent:.2f}" if spent <= TARGET else f"**over it by ${spent - TARGET:.2f}**"
    return f"The stack adds **${spent:.2f}** per million emails; the target is ${TARGET:.2f} (a tenth of SES's ${SES_PER_MILLION:.0f}): {verdict}."


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
