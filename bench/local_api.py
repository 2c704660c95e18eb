"""Local sendMessage and getMessages, next to the AWS calls each request makes replayed raw, in one run.

The local side: requests over HTTP to the local stack, one client and then 8. The raw side: the AWS calls
that a local request made, recorded in the stack's own process from a real sendMessage (an email) and a
real getMessages (`first: 10`) of this run (bench/recording_stack.py), and made again through boto3 from
this process against the same moto server, each time with a fresh recipient and message id so that the
request's conditions hold again (a new record's key; a PENDING record for the outcome). Nothing about the
calls is written down here: when the pipeline changes, the raw side changes with it. So the throughput
ratio, local / raw, says what the local GraphQL host, the QuickJS resolvers and the in-process Lambda add
on top of the emulated AWS calls the request makes.

The two sides take turns in blocks (local, raw, raw, local, ...), so that a change in the machine's load
during the run weighs on both alike. The stack raises the sending limits (the run sends more a minute
than their defaults allow), and is not recording while it is timed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ulid import ULID

from bench.aws_calls import ApiCall, Replayer, describe, prepare, text_forms
from bench.recording_stack import RecorderControl, recording_stack
from bench.stats import measure_side_by_side, ratio
from local.launcher import GENEROUS_LIMITS, LocalStackProcess, Response
from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

MESSAGE_PREFIX = load_manifest().storage.key_prefixes["message"]

SENDS = int(os.environ.get("BENCH_SENDS", "300"))
READS = int(os.environ.get("BENCH_READS", "300"))
QUICK_COUNT = 40
CONCURRENCY = 8
ROUNDS, QUICK_ROUNDS = 6, 2
WARM_UP = 10
# Each side sends a series' messages to count / SENDS_PER_RECIPIENT recipients of its own, so that after the
# two series every recipient has more than a page of messages (PAGE_SIZE + 1) to read.
SENDS_PER_RECIPIENT = 6
PAGE_SIZE = 10
API_KEY = "bench-key"
# Addresses of one length, so that the records of both sides are of one size.
CAPTURED = "captured@example.com"
BODY = "message {index:06d}"


def local_recipient(index: int, recipients: int) -> str:
    return f"local-{index % recipients:02d}@example.com"


def raw_recipient(index: int, recipients: int) -> str:
    return f"replay{index % recipients:02d}@example.com"


def _call(stack: LocalStackProcess, document: str, variables: dict[str, Any]) -> Response:
    response = stack.graphql(document, variables)
    if response.status != 200 or response.errors:
        raise RuntimeError(f"HTTP {response.status}: {response.errors}")
    return response


def capture_send(stack: LocalStackProcess, recorder: RecorderControl) -> tuple[list[ApiCall], str]:
    """The calls one local sendMessage (an email to CAPTURED) makes, and the ULID of the message it recorded."""
    with recorder.recording() as calls:
        response = _call(stack, SEND_MESSAGE, {"input": {"to": CAPTURED, "body": BODY.format(index=999_999), "deliveryMethod": "EMAIL"}})
    return calls, response.data["sendMessage"]["id"].removeprefix(MESSAGE_PREFIX)


def capture_read(stack: LocalStackProcess, recorder: RecorderControl, to: str) -> list[ApiCall]:
    """The calls one local getMessages of `to`'s first page makes."""
    with recorder.recording() as calls:
        _call(stack, GET_MESSAGES, {"filter": {"to": to}, "first": PAGE_SIZE})
    return calls


def fresh_ulid() -> str:
    """A new ULID: now, and 80 random bits."""
    return str(ULID.from_int((time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")))


def send_replays(captured: list[ApiCall], ulid: str, indices: range, recipients: int) -> list[list[ApiCall]]:
    """The captured send's calls, for each index: to that index's raw recipient, with a fresh message id."""
    return [prepare(captured, {**text_forms(CAPTURED, raw_recipient(index, recipients)), ulid: fresh_ulid()}) for index in indices]


def read_replays(captured: list[ApiCall], captured_to: str, indices: range, recipients: int) -> list[list[ApiCall]]:
    """The captured read's calls, for each index: reading that index's raw recipient instead."""
    return [prepare(captured, text_forms(captured_to, raw_recipient(index, recipients))) for index in indices]


def replaying(replayer: Replayer, prepared: list[list[ApiCall]]) -> Callable[[int], object]:
    """The raw side's request `index`: its calls, prepared before the clock starts."""
    return lambda index: replayer.make(prepared[index])


def run(quick: bool = False) -> dict[str, Any]:
    sends, reads = (QUICK_COUNT, QUICK_COUNT) if quick else (SENDS, READS)
    rounds = QUICK_ROUNDS if quick else ROUNDS
    recipients = max(1, min(100, sends // SENDS_PER_RECIPIENT))
    with recording_stack(API_KEY, GENEROUS_LIMITS) as (stack, recorder):
        replayer = Replayer(stack.aws_endpoint, max_pool_connections=CONCURRENCY + 2)

        def local_send(index: int) -> None:
            to = local_recipient(index, recipients)
            _call(stack, SEND_MESSAGE, {"input": {"to": to, "body": BODY.format(index=index), "deliveryMethod": "EMAIL"}})

        def local_read(index: int) -> None:
            _call(stack, GET_MESSAGES, {"filter": {"to": local_recipient(index, recipients)}, "first": PAGE_SIZE})

        # Warm the local path (imports, connections, first-call caches), then record a send.
        for index in range(WARM_UP):
            local_send(index)
            local_read(index)
        captured_send, ulid = capture_send(stack, recorder)
        # The raw warm-up mirrors the local one: each side's recipients get as many messages.
        for calls in send_replays(captured_send, ulid, range(WARM_UP), recipients):
            replayer.make(calls)
        results: dict[str, Any] = {
            # From spawning the stack to its ready banner (the target is under 3 s).
            "startup_seconds": round(stack.startup_seconds, 2),
            "rounds": rounds,
            "replayed": {"sendMessage": [describe(call) for call in captured_send]},
        }
        for concurrency in (1, CONCURRENCY):
            raw_send = replaying(replayer, send_replays(captured_send, ulid, range(sends), recipients))
            figures = measure_side_by_side({"local": local_send, "raw": raw_send}, sends, concurrency, rounds)
            results[f"sendMessage x{concurrency}"] = _compare(figures["local"].as_dict(), figures["raw"].as_dict())

        # Every recipient of either side now has more than a page of messages: record a read of one.
        captured_to = local_recipient(0, recipients)
        captured_read = capture_read(stack, recorder, captured_to)
        results["replayed"]["getMessages"] = [describe(call) for call in captured_read]
        _check_pages_alike(stack, replayer, captured_read, captured_to, recipients)
        for calls in read_replays(captured_read, captured_to, range(WARM_UP), recipients):
            replayer.make(calls)
        for concurrency in (1, CONCURRENCY):
            raw_read = replaying(replayer, read_replays(captured_read, captured_to, range(reads), recipients))
            figures = measure_side_by_side({"local": local_read, "raw": raw_read}, reads, concurrency, rounds)
            results[f"getMessages x{concurrency}"] = _compare(figures["local"].as_dict(), figures["raw"].as_dict())
        return results


def _check_pages_alike(stack: LocalStackProcess, replayer: Replayer, captured: list[ApiCall], captured_to: str, recipients: int) -> None:
    """Both sides read a full page and the proof of a next one: as many items, of one shape."""
    page = _call(stack, GET_MESSAGES, {"filter": {"to": captured_to}, "first": PAGE_SIZE}).data["getMessages"]
    [replayed] = read_replays(captured, captured_to, range(1), recipients)
    counts = [answer.get("Count") for answer in replayer.make(replayed) if "Items" in answer]
    if len(page["data"]) != PAGE_SIZE or not page["pageInfo"]["hasNextPage"] or counts != [PAGE_SIZE + 1]:
        raise RuntimeError(f"the two sides read different pages: local {len(page['data'])} items shown, raw {counts} read")


def _compare(local: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "local": local,
        "raw_replay": raw,
        "p50_ratio": ratio(local["p50_ms"], raw["p50_ms"]),
        "p99_ratio": ratio(local["p99_ms"], raw["p99_ms"]),
        "throughput_ratio": ratio(local["per_second"], raw["per_second"]),
    }


def report(results: dict[str, Any]) -> str:
    lines = [f"the raw side replays what one local request made ({results['rounds']} alternating blocks a side):"]
    for name, calls in results["replayed"].items():
        lines.append(f"  {name}: " + "; ".join(calls))
    lines += [
        "",
        "| request (clients) | local req/s | p50 ms | p99 ms | raw req/s | p50 ms | p99 ms | p50 ratio | throughput ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results.items():
        if not name.endswith(("x1", f"x{CONCURRENCY}")):
            continue
        local, raw = figures["local"], figures["raw_replay"]
        lines.append(
            f"| {name} | {local['per_second']:.1f} | {local['p50_ms']:.1f} | {local['p99_ms']:.1f} | "
            f"{raw['per_second']:.1f} | {raw['p50_ms']:.1f} | {raw['p99_ms']:.1f} | {figures['p50_ratio']}x | {figures['throughput_ratio']}x |"
        )
    lines.append(f"\nlocal stack ready in {results['startup_seconds']} s (spawn to banner)")
    return "\n".join(lines)
