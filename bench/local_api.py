"""Local sendMessage and getMessages, next to the AWS calls each request makes replayed raw, in one run.

The local side: requests over HTTP to the local stack, one client and then 8, with the local client's LIVE key
(the Authorization header), so the Lambda authorizer is in the path as in AWS: it runs when the key's cached
answer has expired (once a minute) and the cache answers in between. The raw side: the AWS calls that a local
request made, recorded in the stack's own process from a real sendMessage (an email) and a real getMessages
(`first: 10`) of this run (bench/recording_stack.py), and made again through boto3 from this process against
the same moto server, each time with a fresh recipient and message id so that the request's conditions hold
again (a new record's key; a PENDING record for the outcome). Nothing about the calls is written down here:
when the pipeline changes, the raw side changes with it. So the throughput ratio, local / raw, says what the
local GraphQL host, the authorizer's cache, the QuickJS resolvers and the in-process Lambda add on top of the
emulated AWS calls the request makes. A third side sends the same requests with the API key (the `default`
client), which skips the authorizer: its ratio beside the key's shows what the authorizer's path adds.

The sides take turns in blocks (local, API key, raw, raw, API key, local, ...), so that a change in the machine's
load during the run weighs on each alike. The stack raises the sending limits (the run sends more a minute
than their defaults allow), and is not recording while it is timed.

Then the same requests against two stacks side by side, one holding 10 messages and one 10,000 (the 9,990 more
seeded in a few seconds: copies of a record the pipeline wrote, put straight into the emulated table, over
hundreds of recipients and senders): getMessages of one recipient's page and of one sender's (a Query of the
table, and of the bySender index), and sendMessage, whose config read is a Query too. The p50 at 10,000 over
the p50 at 10 says whether a request's cost grows with the table (goal: at most 1.3x).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import boto3
from ulid import ULID

from bench.aws_calls import ApiCall, Replayer, describe, prepare, substitute, text_forms
from bench.dynamodb_cost import seed, ulids
from bench.recording_stack import RecorderControl, recording_stack
from bench.stats import measure_side_by_side, ratio
from local.config import Settings
from local.launcher import GENEROUS_LIMITS, LocalStackProcess, Response, running_stack
from local.manifest import load_manifest
from local.operations import GET_MESSAGES, SEND_MESSAGE

KEY_PREFIXES = load_manifest().storage.key_prefixes
MESSAGE_PREFIX = KEY_PREFIXES["message"]

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
# The sending limits (local/config.py) raised: the run sends more a minute, and more a day per client, than their
# defaults allow, and measures speed, not refusals.
STACK_ENV = {**GENEROUS_LIMITS, "CLIENT_EMAIL_PER_DAY": "1000000", "CLIENT_SMS_PER_DAY": "1000000"}
# Table sizes compared, and how many requests of each kind at each (in alternating blocks).
SMALL_TABLE, LARGE_TABLE, QUICK_LARGE_TABLE = 10, 10_000, 500
SIZE_REQUESTS = int(os.environ.get("BENCH_SIZE_REQUESTS", "150"))
SIZE_ROUNDS, QUICK_SIZE_REQUESTS = 6, 12
# The recipient and sender whose pages are read: 10 messages each in both stacks.
READ_TO, READ_SENDER = "page-reader@example.com", "page-shop"
SEED_RECIPIENTS, SEED_SENDERS = 500, 100
# Addresses of one length, so that the records of both sides are of one size.
CAPTURED = "captured@example.com"
BODY = "message {index:06d}"


def local_recipient(index: int, recipients: int) -> str:
    return f"local-{index % recipients:02d}@example.com"


def api_key_recipient(index: int, recipients: int) -> str:
    return f"apikey{index % recipients:02d}@example.com"


def raw_recipient(index: int, recipients: int) -> str:
    return f"replay{index % recipients:02d}@example.com"


def _call(stack: LocalStackProcess, document: str, variables: dict[str, Any], key: str | None = None) -> Response:
    """A request with a client's key, or with the API key when `key` is None."""
    response = stack.graphql(document, variables, key=key)
    if response.status != 200 or response.errors:
        raise RuntimeError(f"HTTP {response.status}: {response.errors}")
    return response


def _recorded_with_the_key_cached(stack: LocalStackProcess, recorder: RecorderControl, request: Callable[[], Response]) -> tuple[list[ApiCall], Response]:
    """The calls of `request` (with the stack's LIVE key) when the key's answer is cached, as it is for all but one
    request a minute: a request just before makes sure, and a recording that read a key anyway is refused."""
    _call(stack, GET_MESSAGES, {"filter": {"to": CAPTURED}, "first": 1}, key=stack.live_key)
    with recorder.recording() as calls:
        response = request()
    authorizer_reads = [call for call in calls if call.operation == "GetItem" and KEY_PREFIXES["apiKey"] in str(call.params.get("Key"))]
    if authorizer_reads:
        raise RuntimeError("the recorded request ran the authorizer: its calls are not every request's")
    return calls, response


def capture_send(stack: LocalStackProcess, recorder: RecorderControl) -> tuple[list[ApiCall], str]:
    """The calls one local sendMessage (an email to CAPTURED, with the LIVE key) makes, and the ULID of its message."""
    message_input = {"to": CAPTURED, "body": BODY.format(index=999_999), "deliveryMethod": "EMAIL"}
    calls, response = _recorded_with_the_key_cached(stack, recorder, lambda: _call(stack, SEND_MESSAGE, {"input": message_input}, key=stack.live_key))
    return calls, response.data["sendMessage"]["id"].removeprefix(MESSAGE_PREFIX)


def capture_read(stack: LocalStackProcess, recorder: RecorderControl, to: str) -> list[ApiCall]:
    """The calls one local getMessages of `to`'s first page (with the LIVE key) makes."""
    calls, _ = _recorded_with_the_key_cached(stack, recorder, lambda: _call(stack, GET_MESSAGES, {"filter": {"to": to}, "first": PAGE_SIZE}, key=stack.live_key))
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
    with recording_stack(API_KEY, STACK_ENV) as (stack, recorder):
        replayer = Replayer(stack.aws_endpoint, stack.access_key_id, stack.secret_access_key, max_pool_connections=CONCURRENCY + 2)

        def local_send(index: int) -> None:
            to = local_recipient(index, recipients)
            _call(stack, SEND_MESSAGE, {"input": {"to": to, "body": BODY.format(index=index), "deliveryMethod": "EMAIL"}}, key=stack.live_key)

        def local_read(index: int) -> None:
            _call(stack, GET_MESSAGES, {"filter": {"to": local_recipient(index, recipients)}, "first": PAGE_SIZE}, key=stack.live_key)

        def api_key_send(index: int) -> None:
            to = api_key_recipient(index, recipients)
            _call(stack, SEND_MESSAGE, {"input": {"to": to, "body": BODY.format(index=index), "deliveryMethod": "EMAIL"}})

        def api_key_read(index: int) -> None:
            _call(stack, GET_MESSAGES, {"filter": {"to": api_key_recipient(index, recipients)}, "first": PAGE_SIZE})

        # Warm the local paths (imports, connections, first-call caches), then record a send.
        for index in range(WARM_UP):
            for warm in (local_send, local_read, api_key_send, api_key_read):
                warm(index)
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
            figures = measure_side_by_side({"local": local_send, "API key": api_key_send, "raw": raw_send}, sends, concurrency, rounds)
            results[f"sendMessage x{concurrency}"] = _compare(figures["local"].as_dict(), figures["raw"].as_dict(), figures["API key"].as_dict())

        # Every recipient of either side now has more than a page of messages: record a read of one.
        captured_to = local_recipient(0, recipients)
        captured_read = capture_read(stack, recorder, captured_to)
        results["replayed"]["getMessages"] = [describe(call) for call in captured_read]
        _check_pages_alike(stack, replayer, captured_read, captured_to, recipients)
        for calls in read_replays(captured_read, captured_to, range(WARM_UP), recipients):
            replayer.make(calls)
        for concurrency in (1, CONCURRENCY):
            raw_read = replaying(replayer, read_replays(captured_read, captured_to, range(reads), recipients))
            figures = measure_side_by_side({"local": local_read, "API key": api_key_read, "raw": raw_read}, reads, concurrency, rounds)
            results[f"getMessages x{concurrency}"] = _compare(figures["local"].as_dict(), figures["raw"].as_dict(), figures["API key"].as_dict())
    # After the replay's stack has stopped: two more run side by side.
    results["table size"] = run_table_sizes(quick)
    return results


def run_table_sizes(quick: bool = False) -> dict[str, Any]:
    """p50 of getMessages (by recipient, by sender) and sendMessage on a stack holding SMALL_TABLE messages and
    one holding LARGE_TABLE, side by side."""
    large_size = QUICK_LARGE_TABLE if quick else LARGE_TABLE
    count = QUICK_SIZE_REQUESTS if quick else SIZE_REQUESTS
    rounds = QUICK_ROUNDS if quick else SIZE_ROUNDS
    with running_stack(API_KEY, STACK_ENV) as small, running_stack(API_KEY, STACK_ENV) as large:
        stacks = {SMALL_TABLE: small, large_size: large}
        template = None
        for stack in stacks.values():
            for index in range(SMALL_TABLE):
                sent = _call(stack, SEND_MESSAGE, {"input": {"to": READ_TO, "body": BODY.format(index=index), "deliveryMethod": "EMAIL", "senderId": READ_SENDER}})
                template = template or (stack, sent.data["sendMessage"]["id"])
        assert template is not None
        started = time.monotonic()
        seeded = _seed_copies(large, large_size - SMALL_TABLE, template)
        results: dict[str, Any] = {"table_sizes": list(stacks), "seeded": seeded, "seed_seconds": round(time.monotonic() - started, 1), "rounds": rounds}

        def reader(stack: LocalStackProcess, message_filter: dict[str, str]) -> Callable[[int], object]:
            return lambda _index: _call(stack, GET_MESSAGES, {"filter": message_filter, "first": PAGE_SIZE})

        def sender(stack: LocalStackProcess, size: int) -> Callable[[int], object]:
            return lambda index: _call(stack, SEND_MESSAGE, {"input": {"to": local_recipient(index, 50).replace("local-", f"size{size}-"), "body": BODY.format(index=index), "deliveryMethod": "EMAIL"}})

        operations = {
            "getMessages by recipient": {size: reader(stack, {"to": READ_TO}) for size, stack in stacks.items()},
            "getMessages by sender": {size: reader(stack, {"senderId": READ_SENDER}) for size, stack in stacks.items()},
            # Last: each send adds a message to its table (the smaller ends at SMALL_TABLE + count).
            "sendMessage": {size: sender(stack, size) for size, stack in stacks.items()},
        }
        for name, by_size in operations.items():
            for operation in by_size.values():
                for index in range(WARM_UP):
                    operation(-1 - index)
            figures = measure_side_by_side({str(size): operation for size, operation in by_size.items()}, count, 1, rounds)
            small_figures, large_figures = figures[str(SMALL_TABLE)].as_dict(), figures[str(large_size)].as_dict()
            results[name] = {
                str(SMALL_TABLE): small_figures,
                str(large_size): large_figures,
                "p50_ratio": ratio(large_figures["p50_ms"], small_figures["p50_ms"]),
            }
        return results


def _seed_copies(stack: LocalStackProcess, count: int, template_of: tuple[LocalStackProcess, str]) -> int:
    """`count` copies of a record the pipeline wrote (to READ_TO, from READ_SENDER), each to one of
    SEED_RECIPIENTS recipients from one of SEED_SENDERS senders with an id of its own, put straight into
    `stack`'s table: how many were written."""
    settings = Settings()
    table_name = settings.table_names["messages"]

    def client(of: LocalStackProcess) -> Any:
        return boto3.client("dynamodb", region_name=settings.table_region, endpoint_url=of.aws_endpoint, aws_access_key_id=of.access_key_id, aws_secret_access_key=of.secret_access_key)

    source, message_id = template_of
    key = {"PK": {"S": f"{MESSAGE_PREFIX}{READ_TO}"}, "SK": {"S": message_id}}
    template = client(source).get_item(TableName=table_name, Key=key, ConsistentRead=True)["Item"]
    ulid = message_id.removeprefix(MESSAGE_PREFIX)
    copies = [
        substitute(template, {**text_forms(READ_TO, f"seed{index % SEED_RECIPIENTS:04d}@example.com"), ulid: new_ulid, READ_SENDER: f"seed-shop-{index % SEED_SENDERS:03d}"})
        for index, new_ulid in enumerate(ulids(count, int(time.time() * 1000) - 86_400_000))
    ]
    seed(client(stack), table_name, copies)
    return len(copies)


def _check_pages_alike(stack: LocalStackProcess, replayer: Replayer, captured: list[ApiCall], captured_to: str, recipients: int) -> None:
    """Both sides read a full page and the proof of a next one: as many items, of one shape."""
    page = _call(stack, GET_MESSAGES, {"filter": {"to": captured_to}, "first": PAGE_SIZE}, key=stack.live_key).data["getMessages"]
    [replayed] = read_replays(captured, captured_to, range(1), recipients)
    counts = [answer.get("Count") for answer in replayer.make(replayed) if "Items" in answer]
    if len(page["data"]) != PAGE_SIZE or not page["pageInfo"]["hasNextPage"] or counts != [PAGE_SIZE + 1]:
        raise RuntimeError(f"the two sides read different pages: local {len(page['data'])} items shown, raw {counts} read")


def _compare(local: dict[str, Any], raw: dict[str, Any], api_key: dict[str, Any]) -> dict[str, Any]:
    return {
        "local": local,
        "raw_replay": raw,
        "local_api_key": api_key,
        "p50_ratio": ratio(local["p50_ms"], raw["p50_ms"]),
        "p99_ratio": ratio(local["p99_ms"], raw["p99_ms"]),
        "throughput_ratio": ratio(local["per_second"], raw["per_second"]),
        "api_key_throughput_ratio": ratio(api_key["per_second"], raw["per_second"]),
    }


def report(results: dict[str, Any]) -> str:
    lines = [f"the raw side replays what one local request made ({results['rounds']} alternating blocks a side):"]
    for name, calls in results["replayed"].items():
        lines.append(f"  {name}: " + "; ".join(calls))
    lines += [
        "",
        "| request (clients) | local req/s (client key) | p50 ms | p99 ms | raw req/s | p50 ms | p99 ms | p50 ratio | throughput ratio | API key req/s | its throughput ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results.items():
        if not name.endswith(("x1", f"x{CONCURRENCY}")):
            continue
        local, raw, api_key = figures["local"], figures["raw_replay"], figures["local_api_key"]
        lines.append(
            f"| {name} | {local['per_second']:.1f} | {local['p50_ms']:.1f} | {local['p99_ms']:.1f} | "
            f"{raw['per_second']:.1f} | {raw['p50_ms']:.1f} | {raw['p99_ms']:.1f} | {figures['p50_ratio']}x | {figures['throughput_ratio']}x | "
            f"{api_key['per_second']:.1f} | {figures['api_key_throughput_ratio']}x |"
        )
    lines.append(f"\nlocal stack ready in {results['startup_seconds']} s (spawn to banner)")
    sizes = results["table size"]
    small, large = (str(size) for size in sizes["table_sizes"])
    lines += [
        "",
        f"one client, a table of {small} messages beside one of {large} ({sizes['seeded']} seeded in {sizes['seed_seconds']} s; {sizes['rounds']} alternating blocks a side):",
        "",
        f"| request | p50 ms at {small} | p50 ms at {large} | p50 ratio (goal <= 1.3x) | req/s at {small} | req/s at {large} |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in sizes.items():
        if isinstance(figures, dict) and "p50_ratio" in figures:
            lines.append(
                f"| {name} | {figures[small]['p50_ms']:.1f} | {figures[large]['p50_ms']:.1f} | {figures['p50_ratio']}x | "
                f"{figures[small]['per_second']:.1f} | {figures[large]['per_second']:.1f} |"
            )
    return "\n".join(lines)
