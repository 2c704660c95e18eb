"""Warm invocations: the handlers' own time per call with stubbed AWS clients, and their log bytes.

The delivery handler is called through its public `handler(event, context)` thousands of times per
method, after a warm-up, in two set-ups:

- "Stubber": the module's real botocore clients under botocore.stub.Stubber. Parameter validation,
  serialization and botocore's event hooks run; only the HTTP call is replaced by a canned reply.
- "fake clients": the module's `ses`/`sns` replaced by objects whose send_email/publish return
  {"MessageId": ...} at once: the handler's own code and its logging, nothing of botocore.

The status functions (SES events through SNS, SMS delivery logs through CloudWatch Logs), each its own
module, run with a fake DynamoDB client, for their time and log bytes. Everything the handlers log is counted (bytes,
lines) instead of printed: those are the bytes CloudWatch Logs would ingest, less Lambda's own
platform lines.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
from botocore.stub import Stubber

from bench.cold_start import HANDLERS
from bench.stats import summary
from local.appsync.datasources import load_lambda_module
from local.aws.lambda_context import LambdaContext as Context
from local.manifest import load_manifest

MANIFEST = load_manifest()
MESSAGE_PREFIX = MANIFEST.storage.key_prefixes["message"]

REPO_ROOT = Path(__file__).resolve().parent.parent
GOAL_P99_US = 1000
SES_MESSAGE_ID = "010701936c4a3e5f-7c3b2a1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0-000000"
SNS_MESSAGE_ID = "5e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"
BODY = "Your order 12345 has shipped and will arrive on Thursday. Track it at https://example.com/t/12345. Thank you for shopping with us!"


class CountingSink(io.TextIOBase):
    """A stdout stand-in that counts what is written, keeping only the first few lines."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0
        self.samples: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        self.lines += text.count("\n")
        if len(self.samples) < 4:
            self.samples.append(text.rstrip("\n"))
        return len(text)

    def reset(self) -> None:
        self.bytes = self.lines = 0




@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench", "AWS_REGION": "eu-central-1"}


def load_handler_module(name: str, sink: CountingSink) -> ModuleType:
    """Import a function's handler module afresh under its own name, with its Lambda environment and logs into `sink`."""
    handler = HANDLERS[name]
    with environment({**DUMMY_AWS, **handler["env"]}), contextlib.redirect_stdout(sink):
        module = load_lambda_module(REPO_ROOT, str(handler["dir"].relative_to(REPO_ROOT)), handler["module"])
    # Powertools keeps the stream it found at import; make sure it is the sink.
    registered = getattr(getattr(module, "logger", None), "registered_handler", None)
    if registered is not None and hasattr(registered, "setStream") and registered.stream is not sink:
        registered.setStream(sink)
    return module


def time_calls(call: Callable[[int], Any], count: int, warm_up: int) -> list[float]:
    for index in range(warm_up):
        call(index)
    latencies = []
    for index in range(count):
        started = time.perf_counter_ns()
        call(index)
        latencies.append((time.perf_counter_ns() - started) / 1000)
    return latencies


def _figures(latencies: list[float], sink: CountingSink, count: int) -> dict[str, Any]:
    return {
        "latency_us": summary(latencies, digits=1),
        "log_bytes_per_call": round(sink.bytes / count, 1),
        "log_lines_per_call": round(sink.lines / count, 2),
    }


def delivery_events() -> dict[str, dict[str, Any]]:
    """What the deliverMessage resolver sends: the stored record's id, to, from, subject, body, method and key, and the key's mode."""
    return {
        "EMAIL": {
            "message": {
                "id": f"{MESSAGE_PREFIX}01KBENCH0000000000000000E1",
                "to": "alice@example.com",
                "from": "no-reply@example.com",
                "subject": "Your order has shipped",
                "body": BODY,
                "deliveryMethod": "EMAIL",
                "key": {"PK": f"{MESSAGE_PREFIX}alice@example.com", "SK": f"{MESSAGE_PREFIX}01KBENCH0000000000000000E1"},
            },
            "mode": "LIVE",
        },
        "SMS": {
            "message": {
                "id": f"{MESSAGE_PREFIX}01KBENCH0000000000000000S1",
                "to": "+14155550100",
                "from": None,
                "subject": None,
                "body": BODY,
                "deliveryMethod": "SMS",
                "key": {"PK": f"{MESSAGE_PREFIX}+14155550100", "SK": f"{MESSAGE_PREFIX}01KBENCH0000000000000000S1"},
            },
            "mode": "LIVE",
        },
    }


class _FakeSes:
    def send_email(self, **request: Any) -> dict[str, str]:
        return {"MessageId": SES_MESSAGE_ID}


class _FakeSns:
    def publish(self, **request: Any) -> dict[str, str]:
        return {"MessageId": SNS_MESSAGE_ID}


def bench_delivery(count: int, warm_up: int) -> dict[str, Any]:
    sink = CountingSink()
    module = load_handler_module("delivery", sink)
    with environment({**DUMMY_AWS, **HANDLERS["delivery"]["env"]}):  # the clients are made on first use
        real = {"ses": module.ses_client(), "sns": module.sns_client(), "dynamodb": module.dynamodb_client()}
    events = delivery_events()
    results: dict[str, Any] = {}
    # What each send calls: the provider, and for an SMS also the record's provider id update.
    for method, calls in {
        "EMAIL": [("ses", "send_email", {"MessageId": SES_MESSAGE_ID})],
        "SMS": [("sns", "publish", {"MessageId": SNS_MESSAGE_ID}), ("dynamodb", "update_item", {})],
    }.items():
        event = events[method]

        def call(index: int, event: dict[str, Any] = event) -> Any:
            return module.handler(event, Context(function_name="bench-messenger-delivery"))

        # Real botocore clients, the HTTP call replaced by a canned reply.
        with contextlib.ExitStack() as stubs, contextlib.redirect_stdout(sink):
            stubbers = []
            for client_name, operation, reply in calls:
                stubber = stubs.enter_context(Stubber(real[client_name]))
                for _ in range(warm_up + count):
                    stubber.add_response(operation, reply)
                stubbers.append(stubber)
            outcome = call(-1)
            sink.reset()
            latencies = time_calls(call, count, warm_up - 1)
            for stubber in stubbers:
                stubber.assert_no_pending_responses()
        if outcome.get("deliveryStatus") != "ACCEPTED":
            raise RuntimeError(f"the delivery handler did not accept the stubbed {method}: {outcome}")
        results[f"{method} (Stubber)"] = _figures(latencies, sink, count + warm_up - 1)
        # The handler's own code: clients that answer at once.
        fakes = {"ses": _FakeSes(), "sns": _FakeSns(), "dynamodb": _FakeDynamoDB()}
        for client_name, _, _ in calls:
            setattr(module, f"{client_name}_client", lambda fake=fakes[client_name]: fake)
        try:
            with contextlib.redirect_stdout(sink):
                sink.reset()
                latencies = time_calls(call, count, warm_up)
        finally:
            for client_name, _, _ in calls:
                setattr(module, f"{client_name}_client", lambda client=real[client_name]: client)
        results[f"{method} (fake clients)"] = _figures(latencies, sink, count + warm_up)
    results["sample_log_line"] = next((line for line in sink.samples if line.startswith("{")), None)
    return results


class _FakeDynamoDB:
    """Answers the status handler's calls: the record exists and the change is forward."""

    class exceptions:
        class ConditionalCheckFailedException(Exception):
            pass

    def update_item(self, **request: Any) -> dict[str, Any]:
        return {}

    def query(self, **request: Any) -> dict[str, Any]:
        key = {"PK": {"S": f"{MESSAGE_PREFIX}+14155550100"}, "SK": {"S": f"{MESSAGE_PREFIX}01KBENCH0000000000000000S1"}}
        return {"Items": [key], "Count": 1}


def status_events() -> dict[str, dict[str, Any]]:
    """One SES DELIVERY event in an SNS notification, one SMS delivery log in a CloudWatch Logs payload."""
    from local.providers import (
        provider_events,  # the builders the local stack's /local/events uses
    )

    now = datetime.now(UTC)
    sent = {
        "to": ["alice@example.com"],
        "from": "no-reply@example.com",
        "subject": "Your order has shipped",
        "providerMessageId": SES_MESSAGE_ID,
        "tags": {"message": "01KBENCH0000000000000000E1", "recipient": "YWxpY2VAZXhhbXBsZS5jb20"},
    }
    ses = provider_events.ses_event("DELIVERY", sent, "eu-west-1", "bench-messenger-messages", now)
    topic = "arn:aws:sns:eu-west-1:123456789012:bench-messenger-email-events"
    sms = provider_events.sms_delivery_log("SMS_SUCCESS", SNS_MESSAGE_ID, "+14155550100", now)
    return {
        "ses_event_handler (SES DELIVERY via SNS)": provider_events.sns_notification(ses, topic, now),
        "sms_delivery_log_handler (SMS_SUCCESS via CloudWatch Logs)": provider_events.cloudwatch_logs_payload(
            sms, provider_events.sms_log_group("us-east-1", True), now
        ),
        "_sizes": {"ses_event_json_bytes": len(json.dumps(ses)), "sms_delivery_log_json_bytes": len(json.dumps(sms))},
    }


def _status_function(function_name: str) -> str:
    """The manifest's name of the status function whose handler is `function_name`."""
    [name] = [name for name, handler in MANIFEST.event_handlers.items() if handler.handler.endswith(f".{function_name}")]
    return name


def bench_status(count: int, warm_up: int) -> dict[str, Any]:
    sink = CountingSink()
    events = status_events()
    sizes = events.pop("_sizes")
    results: dict[str, Any] = {}
    for name, event in events.items():
        function_name = name.split(" ", 1)[0]
        module = load_handler_module(_status_function(function_name), sink)
        function = getattr(module, function_name)

        def call(index: int, function: Any = function, event: dict[str, Any] = event) -> Any:
            return function(event, Context(function_name="bench-messenger-status"))

        # The functions make their one client on first use and keep it: the first call's is the fake.
        fake = _FakeDynamoDB()
        with contextlib.redirect_stdout(sink), mock.patch.object(boto3, "client", return_value=fake):
            summary_ = call(-1)
        with contextlib.redirect_stdout(sink):
            if summary_.get("changed") != 1:
                raise RuntimeError(f"{name} did not record the change: {summary_}")
            sink.reset()
            latencies = time_calls(call, count, warm_up)
        results[name] = _figures(latencies, sink, count + warm_up)
    results["provider_payload_bytes"] = sizes
    return results


def run(quick: bool = False) -> dict[str, Any]:
    count = 500 if quick else int(os.environ.get("BENCH_WARM_CALLS", "5000"))
    warm_up = 50 if quick else 500
    delivery = bench_delivery(count, warm_up)
    goal = {
        method: {
            "p99_us": delivery[f"{method} (Stubber)"]["latency_us"]["p99"],
            "goal": f"p99 < {GOAL_P99_US} us",
            "goal_met": delivery[f"{method} (Stubber)"]["latency_us"]["p99"] < GOAL_P99_US,
        }
        for method in ("EMAIL", "SMS")
    }
    return {
        "calls_per_case": count,
        "warm_up_calls": warm_up,
        "python": sys.version.split()[0],
        "delivery": delivery,
        "delivery_goal": goal,
        "status": bench_status(max(count // 2, 100), warm_up),
    }


def report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['calls_per_case']} calls per case after {results['warm_up_calls']} warm-up calls",
        "| handler (clients) | p50 us | p99 us | max us | log bytes/call | log lines/call |",
        "|---|---|---|---|---|---|",
    ]
    for group in ("delivery", "status"):
        for name, figures in results[group].items():
            if not isinstance(figures, dict) or "latency_us" not in figures:
                continue
            latency = figures["latency_us"]
            lines.append(
                f"| {group} {name} | {latency['p50']} | {latency['p99']} | {latency['max']} | "
                f"{figures['log_bytes_per_call']} | {figures['log_lines_per_call']} |"
            )
    for method, goal in results["delivery_goal"].items():
        lines.append(f"delivery {method} with Stubber: p99 {goal['p99_us']} us, goal {goal['goal']}: {'met' if goal['goal_met'] else 'missed'}")
    if results["delivery"].get("sample_log_line"):
        lines.append(f"a delivery log line: {results['delivery']['sample_log_line']}")
    return "\n".join(lines)
