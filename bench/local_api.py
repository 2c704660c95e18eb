"""Local sendMessage and getMessages, next to the raw moto calls each request makes, in one run.

sendMessage = GetItem (the delivery settings) + PutItem + SES SendEmail + UpdateItem; getMessages =
one Query of first+1 items (bench/dynamodb_cost.py counts the calls each request really makes).
The ratio says what the local GraphQL host, QuickJS resolvers and in-process handler add on top
of the emulated AWS calls themselves.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from ulid import ULID

from bench.stats import measure, ratio
from local.launcher import LocalStackProcess, running_stack
from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

STORAGE = load_manifest().storage
MESSAGE_PREFIX = STORAGE.key_prefixes["message"]

SENDS = int(os.environ.get("BENCH_SENDS", "300"))
READS = int(os.environ.get("BENCH_READS", "300"))
QUICK_COUNT = 40
CONCURRENCY = 8
PAGE_SIZE = 10
REGION = "eu-central-1"
TABLE = "local-messages"
API_KEY = "bench-key"


def _call(stack: LocalStackProcess, document: str, variables: dict[str, Any]) -> None:
    response = stack.graphql(document, variables)
    if response.status != 200 or response.errors:
        raise RuntimeError(f"HTTP {response.status}: {response.errors}")


def _raw_clients(endpoint: str) -> tuple[Any, Any]:
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)
    return (
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("sesv2", endpoint_url=endpoint),
    )


def run(quick: bool = False) -> dict[str, Any]:
    sends, reads = (QUICK_COUNT, QUICK_COUNT) if quick else (SENDS, READS)
    with running_stack(API_KEY) as stack:
        dynamodb, ses = _raw_clients(stack.aws_endpoint)

        def local_send(index: int) -> None:
            _call(stack, SEND_MESSAGE, {"input": {"to": f"bench{index % 50}@example.com", "body": f"message {index}", "deliveryMethod": "EMAIL"}})

        def raw_send(index: int) -> None:
            dynamodb.get_item(TableName=TABLE, Key={name: {"S": value} for name, value in STORAGE.config_item.items()})
            ulid = str(ULID())
            key = {"PK": {"S": f"{MESSAGE_PREFIX}raw{index % 50}@example.com"}, "SK": {"S": f"{MESSAGE_PREFIX}{ulid}"}}
            item = {**key, "id": key["SK"], "body": {"S": f"message {index}"}, "deliveryStatus": {"S": "PENDING"}}
            dynamodb.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(PK)")
            ses.send_email(
                FromEmailAddress="no-reply@example.com",
                Destination={"ToAddresses": [f"raw{index % 50}@example.com"]},
                Content={"Simple": {"Subject": {"Data": "Message"}, "Body": {"Text": {"Data": f"message {index}"}}}},
            )
            dynamodb.update_item(
                TableName=TABLE, Key=key, UpdateExpression="SET deliveryStatus = :s",
                ConditionExpression="deliveryStatus = :p",
                ExpressionAttributeValues={":s": {"S": "ACCEPTED"}, ":p": {"S": "PENDING"}},
            )

        def local_read(index: int) -> None:
            _call(stack, GET_MESSAGES, {"filter": {"to": f"bench{index % 50}@example.com"}, "first": PAGE_SIZE})

        def raw_read(index: int) -> None:
            dynamodb.query(
                TableName=TABLE, Limit=PAGE_SIZE + 1,
                KeyConditionExpression="PK = :pk AND SK > :after",
                ExpressionAttributeValues={":pk": {"S": f"{MESSAGE_PREFIX}raw{index % 50}@example.com"}, ":after": {"S": MESSAGE_PREFIX}},
            )

        # Warm both paths (imports, connections, first-call caches) before timing.
        for warm in (local_send, raw_send, local_read, raw_read):
            for index in range(10):
                warm(index)
        # From spawning `python -m local` to its ready banner (the target is under 3 s).
        results: dict[str, Any] = {"startup_seconds": round(stack.startup_seconds, 2)}
        for name, local, raw, count in (("sendMessage", local_send, raw_send, sends), ("getMessages", local_read, raw_read, reads)):
            for concurrency in (1, CONCURRENCY):
                local_figures = measure(local, count, concurrency)
                raw_figures = measure(raw, count, concurrency)
                results[f"{name} x{concurrency}"] = {
                    "local": local_figures.as_dict(),
                    "raw_moto": raw_figures.as_dict(),
                    "p50_ratio": ratio(local_figures.p50_ms, raw_figures.p50_ms),
                    "p99_ratio": ratio(local_figures.p99_ms, raw_figures.p99_ms),
                    "throughput_ratio": ratio(local_figures.per_second, raw_figures.per_second),
                }
        return results


def report(results: dict[str, Any]) -> str:
    lines = [
        "| request (clients) | local req/s | p50 ms | p99 ms | raw moto req/s | p50 ms | p99 ms | p50 ratio | throughput ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results.items():
        if name == "startup_seconds":
            continue
        local, raw = figures["local"], figures["raw_moto"]
        lines.append(
            f"| {name} | {local['per_second']:.0f} | {local['p50_ms']:.1f} | {local['p99_ms']:.1f} | "
            f"{raw['per_second']:.0f} | {raw['p50_ms']:.1f} | {raw['p99_ms']:.1f} | {figures['p50_ratio']}x | {figures['throughput_ratio']}x |"
        )
    lines.append(f"\nlocal stack ready in {results['startup_seconds']} s (spawn to banner)")
    return "\n".join(lines)
