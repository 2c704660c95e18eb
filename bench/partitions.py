"""DynamoDB load per partition key at 2,000 sends a second, and how early a sharded channel ceiling refuses.

DynamoDB serves about 1,000 write units and 3,000 read units a second per partition key: a key that every send
writes caps the stack's rate whatever the table's capacity. Two parts:

1. Measured, then scaled. In-process (bench/dynamodb_cost.py's in_process_stack: the real schema, resolvers and
   handlers under moto), 100 clients are made through the operators' function, each with a LIVE key. Then one
   second of traffic at RATE is sent through the real pipeline: RATE emails (the sample; fewer with --quick,
   scaled up), round-robin over the clients, each to a recipient of its own, each with its client's senderId
   (which puts the record in the bySender index, one partition per sender) and an idempotency key (one more
   write): the heaviest path an email takes. Each is followed by SES's DELIVERY event through the status
   function. Every DynamoDB write of the process is kept with its partition key (bench/dynamodb_cost.py's
   CallLog: PutItem, UpdateItem, DeleteItem, each item of a transaction or a batch, each index entry, and a
   conditional write whose condition failed, which DynamoDB charges too), and every read. The authorizer is
   invoked once per key, and counted once per key per cache period (AppSync caches its answer per key). Scaled
   to RATE, that gives each partition key's writes and write units a second (the goal: none above 1,000), and
   the reads of the partitions every send reads (CONFIG and CLIENTS).
2. Computed and simulated. limitChannel splits a ceiling C above 30,000 a minute over n = ceil(C / 30,000)
   counters that each allow floor(C / n), and counts a send on one drawn at random (from a fresh ULID's last
   characters). At worst a send is refused when its counter is full while the total is only floor(C / n); never
   do more than n * floor(C / n) <= C pass. The simulation draws the shards with the resolver's own probabilities
   (its rule is checked against the resolver on fixed ULIDs) and reports, over many seeded trials, the total
   accepted when the first send is refused, as a share of C.
"""

from __future__ import annotations

import base64
import contextlib
import math
import random
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3

from bench.dynamodb_cost import (
    BODY,
    REGION,
    SUBJECT,
    execute,
    in_process_stack,
    stack_call_log,
)
from local.appsync import js_engine
from local.appsync.auth import AWS_LAMBDA, Caller
from local.appsync.datasources import load_lambda_module
from local.manifest import REPO_ROOT, load_manifest
from local.operations import SEND_MESSAGE

MANIFEST = load_manifest()
RATE = 2_000  # sends a second, all email
CLIENTS = 100
# The stack-wide email ceiling for the run: 2,000 a second is 120,000 a minute; a quarter more leaves room for the
# random spread over its shards (5 counters of 30,000).
CHANNEL_CEILING = 150_000
SAMPLE, QUICK_SAMPLE = RATE, 200
# What DynamoDB serves per partition key and second.
PARTITION_WRITE_UNITS = 1_000
PARTITION_READ_UNITS = 3_000
TOP = 12
OPERATOR = "arn:aws:iam::000000000000:user/bench"

# limitChannel.js: its counter capacity (graphql/manifest.json) and how it draws a shard.
TABLE = MANIFEST.tables["messages"]
SHARD_CAPACITY = int(TABLE["limitShards"]["channelMinuteCapacity"])
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHARD_CHARACTERS = 4  # the last characters of a fresh ULID: 20 random bits
CEILINGS = (30_001, 120_000, CHANNEL_CEILING, 600_000, 1_000_000)
TRIALS, QUICK_TRIALS = 10_000, 500
RULE_CHECKS, QUICK_RULE_CHECKS = 400, 60
SEED = 20261207


# --- 1. Writes and reads per partition key -----------------------------------------------------


def _operators() -> Any:
    source = MANIFEST.data_sources["operatorsFunction"]
    return load_lambda_module(REPO_ROOT, source["source"], source["handler"].rsplit(".", 1)[0])


def make_clients(count: int, emails_per_day: int) -> list[dict[str, str]]:
    """`count` clients, made as an operator makes them (the operators' function), each with a LIVE key."""
    operators, now = _operators(), datetime.now(UTC)
    made = []
    for index in range(count):
        client = operators.create_client(f"bench client {index}", {"emailPerDay": emails_per_day}, OPERATOR, now)
        key = operators.create_key(client["id"], "LIVE", None, OPERATOR, now)
        made.append({"clientId": client["id"], "keyId": key["key"]["id"], "secret": key["secret"], "senderId": f"shop-{index:03d}"})
    return made


def _caller(client: dict[str, str]) -> Caller:
    """What AppSync hands the resolvers for a request with this client's LIVE key (the authorizer's answer)."""
    return Caller(AWS_LAMBDA, {"resolverContext": {"clientId": client["clientId"], "keyId": client["keyId"], "mode": "LIVE"}})


def recipient(index: int) -> str:
    return f"person{index:06d}@example.com"


def send_second(stack: Any, clients: list[dict[str, str]], sends: int) -> None:
    """`sends` emails round-robin over the clients, each to a recipient of its own, and SES's DELIVERY of each."""
    for index in range(sends):
        client = clients[index % len(clients)]
        message_input = {
            "to": recipient(index), "deliveryMethod": "EMAIL", "subject": SUBJECT, "body": BODY,
            "senderId": client["senderId"], "idempotencyKey": f"order-{index:06d}",
        }
        sent = execute(stack, SEND_MESSAGE, {"input": message_input}, caller=_caller(client))["sendMessage"]
        if sent["deliveryStatus"] != "ACCEPTED":
            raise RuntimeError(f"send {index} was not accepted: {sent['deliveryStatus']}")
        stack.reporter.report({"to": recipient(index), "messageId": sent["id"], "event": "DELIVERY"})


def authorize_each(stack: Any, clients: list[dict[str, str]]) -> None:
    """The authorizer once per key, as AppSync invokes it when a key's cached answer has run out."""
    authorizer = stack.authorizer.lambda_authorizer
    for client in clients:
        if authorizer.authorize(client["secret"], b"{}", {}) is None:
            raise RuntimeError("the authorizer refused a key the operators' function made")


class Families:
    """Partition keys with what varies from send to send, client to client, or shard to shard named instead."""

    def __init__(self, clients: list[dict[str, str]]) -> None:
        names = {client["clientId"]: "<client>" for client in clients}
        names |= {client["keyId"]: "<key id>" for client in clients}
        for client in clients:
            names[client["senderId"]] = "<sender>"
            names[base64.b64encode(client["senderId"].encode()).decode()] = "<sender>"
        self._known = re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)))
        self._names = names

    def __call__(self, partition: str) -> str:
        named = self._known.sub(lambda match: self._names[match.group(0)], partition)
        named = re.sub(r"person\d{6}@example\.com", "<to>", named)
        named = re.sub(r"order-\d{6}", "<idempotency key>", named)
        return re.sub(r"#\d+$", "#<shard>", named)


def _tally(calls: list[dict[str, Any]], kind: str) -> dict[tuple[str, str], dict[str, float]]:
    """Per (table or index, partition key): how many `kind` (writes or reads) and their units."""
    totals: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: {"requests": 0, "units": 0.0})
    for call in calls:
        for entry in call.get(kind, []):
            where = f"index {entry['index']}" if entry["index"] else "table"
            totals[(where, entry["partition"])]["requests"] += 1
            totals[(where, entry["partition"])]["units"] += entry["units"]
    return totals


def per_second(
    sends: dict[tuple[str, str], dict[str, float]], authorizer: dict[tuple[str, str], dict[str, float]], scale: float, authorizer_scale: float
) -> dict[tuple[str, str], dict[str, float]]:
    """The sample's counts as rates: the sends' scaled to RATE, the authorizer's to its invocations a second."""
    rates: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: {"requests": 0.0, "units": 0.0})
    for tally, factor in ((sends, scale), (authorizer, authorizer_scale)):
        for key, counts in tally.items():
            rates[key]["requests"] += counts["requests"] * factor
            rates[key]["units"] += counts["units"] * factor
    return rates


def _rows(rates: dict[tuple[str, str], dict[str, float]], family: Families, limit: int) -> list[dict[str, Any]]:
    ordered = sorted(rates.items(), key=lambda item: (-item[1]["units"], -item[1]["requests"], item[0]))
    return [
        {"where": where, "partition": partition, "family": family(partition), "per_second": round(counts["requests"], 1), "units_per_second": round(counts["units"], 1)}
        for (where, partition), counts in ordered[:limit]
    ]


def _families(rates: dict[tuple[str, str], dict[str, float]], family: Families, sends: float, client_count: int) -> list[dict[str, Any]]:
    """Each family: how many of its keys the sample touched, its requests and units per send, its busiest key, the
    rate (spread as here) at which that key would reach a partition's limit, and for a family with one key per
    client or sender, how fast one client (or sender) may send before its own key does."""
    grouped: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for (where, partition), counts in rates.items():
        grouped[(where, family(partition))].append(counts)
    rows = []
    for (where, name), members in grouped.items():
        busiest = max(member["units"] for member in members)
        # Every client sends RATE / client_count a second, and owns one key of a family keyed by client or sender
        # alone that every send writes.
        per_send = sum(member["requests"] for member in members) / sends
        owners_own = ("<client>" in name or "<sender>" in name) and "<idempotency key>" not in name and per_send >= 1
        rows.append({
            "where": where,
            "family": name,
            "keys": len(members),
            "per_send": round(per_send, 4),
            "units_per_send": round(sum(member["units"] for member in members) / sends, 4),
            "busiest_per_second": round(max(member["requests"] for member in members), 1),
            "busiest_units_per_second": round(busiest, 1),
            "rate_at_partition_limit": round(sends * PARTITION_WRITE_UNITS / busiest) if busiest else None,
            "one_owner_at_partition_limit": round(PARTITION_WRITE_UNITS / (busiest / (sends / client_count))) if owners_own and busiest else None,
        })
    return sorted(rows, key=lambda row: (-row["busiest_units_per_second"], row["family"]))


def measure_partitions(sample: int, client_count: int = CLIENTS) -> dict[str, Any]:
    """One second of traffic at RATE, from `sample` sends over `client_count` clients, per partition key."""
    # Each client's daily quota holds a day at its share of RATE, and some more.
    emails_per_day = math.ceil(RATE / CLIENTS * 86_400 * 1.2)
    with in_process_stack(email_per_minute=CHANNEL_CEILING) as stack:
        clients = make_clients(client_count, emails_per_day)
        log = stack_call_log(stack, boto3.client("dynamodb", region_name=REGION))
        with log.recorder().installed():
            send_second(stack, clients, sample)
            sent = log.clear()
            authorize_each(stack, clients)
            authorized = log.clear()
        cache_seconds = stack.settings.authorizer_cache_seconds
    family = Families(clients)
    scale = RATE / sample
    # Each key's answer is cached for cache_seconds: its invocation's calls happen once per period.
    authorizer_scale = 1 / cache_seconds if cache_seconds else 0.0
    writes = per_second(_tally(sent, "writes"), _tally(authorized, "writes"), scale, authorizer_scale)
    reads = per_second(_tally(sent, "reads"), _tally(authorized, "reads"), scale, authorizer_scale)
    busiest = max(writes.values(), key=lambda counts: counts["units"])
    busiest_requests = max(counts["requests"] for counts in writes.values())
    shared_reads = {partition: reads[("table", partition)] for partition in (TABLE["configItem"]["PK"], TABLE["clientsItem"]["PK"])}
    failed = sum(1 for call in sent for entry in call["writes"] if entry["failed"])
    return {
        "rate_per_second": RATE,
        "clients": client_count,
        "channel_ceiling_per_minute": CHANNEL_CEILING,
        "channel_shards": channel_shards(CHANNEL_CEILING),
        "client_emails_per_day": emails_per_day,
        "sample_sends": sample,
        "authorizer_cache_seconds": cache_seconds,
        "send": "an email with its client's senderId and an idempotency key, then SES's DELIVERY event",
        "writes_per_send": round(sum(len(call["writes"]) for call in sent) / sample, 3),
        "write_units_per_send": round(sum(entry["units"] for call in sent for entry in call["writes"]) / sample, 3),
        "read_units_per_send": round(sum(entry["units"] for call in sent for entry in call["reads"]) / sample, 3),
        "failed_conditional_writes": failed,
        "partition_keys_written": len(writes),
        "top_writes": _rows(writes, family, TOP),
        "write_families": _families(writes, family, RATE, client_count),
        "top_reads": _rows(reads, family, 4),
        "shared_reads": {
            partition: {
                "per_second": round(counts["requests"], 1),
                "units_per_second": round(counts["units"], 1),
                "share_of_partition": round(counts["units"] / PARTITION_READ_UNITS, 3),
                "sends_per_second_at_partition_limit": round(PARTITION_READ_UNITS / (counts["units"] / RATE)) if counts["units"] else None,
            }
            for partition, counts in shared_reads.items()
        },
        "busiest_write_units_per_second": round(busiest["units"], 1),
        "busiest_writes_per_second": round(busiest_requests, 1),
        "goal": f"no partition key takes more than {PARTITION_WRITE_UNITS:,} writes (or write units) a second at {RATE:,} sends a second",
        "goal_met": busiest["units"] <= PARTITION_WRITE_UNITS and busiest_requests <= PARTITION_WRITE_UNITS,
    }


# --- 2. The sharded ceiling's early refusal ------------------------------------------------------


def channel_shards(ceiling: int) -> tuple[int, int]:
    """limitChannel's split of a ceiling: how many counters, and how many sends each allows."""
    shards = max(1, math.ceil(ceiling / SHARD_CAPACITY))
    return shards, ceiling // shards


def shard_of(ulid: str, shards: int, characters: int = SHARD_CHARACTERS) -> int:
    """limitChannel's draw: the last `characters` of a fresh ULID as a base-32 number, modulo the shards."""
    value = 0
    for symbol in ulid[-characters:]:
        value = value * 32 + CROCKFORD_BASE32.index(symbol)
    return value % shards


def shard_probabilities(shards: int, characters: int = SHARD_CHARACTERS) -> list[float]:
    """Each shard's chance under shard_of, the characters being uniformly random (a ULID's last 80 bits are)."""
    values = 32**characters
    each, more = divmod(values, shards)
    return [(each + (shard < more)) / values for shard in range(shards)]


@contextlib.contextmanager
def fixed_ulids(ulids: list[str]) -> Iterator[None]:
    """util.autoUlid() in the local runtime answers these, in order."""
    pending = iter(ulids)
    with mock.patch.object(js_engine, "ULID", lambda: next(pending)):
        yield


def check_rule(engine: Any, ceilings: tuple[int, ...], checks: int, rng: random.Random) -> dict[str, Any]:
    """limitChannel's request, on fixed ULIDs, against channel_shards and shard_of: the counter it picks and the
    count that counter allows. A mismatch means the resolver's rule changed: the simulation would be of another."""
    mismatches = []
    for ceiling in ceilings:
        shards, each = channel_shards(ceiling)
        ulids = ["01J" + "".join(rng.choice(CROCKFORD_BASE32) for _ in range(23)) for _ in range(checks)]
        stash = {"config": {"limits": {"emailPerMinute": ceiling}}, "caller": {"clientId": "bench", "mode": "LIVE", "scope": f"{MANIFEST.storage.key_prefixes['scope']}bench#LIVE#"}}
        context = {"args": {}, "stash": stash, "prev": {"result": {"deliveryMethod": "EMAIL"}}}
        with fixed_ulids(ulids):
            for ulid in ulids:
                request = engine.invoke("function:limitChannel", "request", context).value
                picked = int(request["key"]["PK"]["S"].rsplit("#", 1)[1])
                allowed = int(request["condition"]["expressionValues"][":ceiling"]["N"])
                if (picked, allowed) != (shard_of(ulid, shards), each):
                    mismatches.append({"ceiling": ceiling, "ulid": ulid, "resolver": [picked, allowed], "model": [shard_of(ulid, shards), each]})
    return {"ceilings": list(ceilings), "ulids_each": checks, "mismatches": mismatches[:5], "agrees": not mismatches}


def binomial(rng: random.Random, trials: int, chance: float) -> int:
    """A Binomial(trials, chance) draw, exactly: the k-th smallest of n uniforms is Beta(k, n - k + 1), which
    splits the draw into a smaller one on one side of it (the standard library has no binomial before 3.12)."""
    count = 0
    while trials > 0 and 0.0 < chance < 1.0:
        if trials <= 16:
            return count + sum(rng.random() < chance for _ in range(trials))
        k = (trials + 1) // 2
        kth = rng.betavariate(k, trials - k + 1)
        if kth < chance:  # the k smallest fall below: the rest are uniform above kth
            count, trials, chance = count + k, trials - k, (chance - kth) / (1 - kth)
        else:  # at most k - 1 fall below: those are uniform below kth
            trials, chance = k - 1, chance / kth
    return count + (trials if chance >= 1.0 else 0)


def accepted_before_first_refusal(rng: random.Random, probabilities: list[float], each: int) -> int:
    """One minute's sends until the first is refused, drawn exactly: how many were accepted before it.

    The sends as a Poisson stream of rate 1, split by shard into independent streams of rate p: the first
    refusal is the earliest (each + 1)-th arrival of any shard, a Gamma(each + 1, 1 / p) time. Another shard's
    first `each` arrivals, given its own (each + 1)-th at time t, are uniform on (0, t): how many came before
    the refusal is Binomial(each, refusal / t). The order of a Poisson stream's arrivals is the order of
    independent draws, so this is the discrete process itself, not an approximation of it.
    """
    times = [rng.gammavariate(each + 1, 1 / chance) if chance > 0 else math.inf for chance in probabilities]
    first = min(range(len(times)), key=times.__getitem__)
    refused_at = times[first]
    return each + sum(binomial(rng, each, refused_at / time) for shard, time in enumerate(times) if shard != first and time < math.inf)


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def early_refusal(ceiling: int, trials: int, rng: random.Random, characters: int = SHARD_CHARACTERS) -> dict[str, Any]:
    shards, each = channel_shards(ceiling)
    probabilities = shard_probabilities(shards, characters)
    shares = sorted(accepted_before_first_refusal(rng, probabilities, each) / ceiling for _ in range(trials)) if shards > 1 else [each / ceiling]
    return {
        "ceiling": ceiling,
        "shards": shards,
        "each_allows": each,
        "never_usable": ceiling - shards * each,  # floor's remainder: fewer than `shards` sends
        "shard_chance_min_max": [round(min(probabilities), 6), round(max(probabilities), 6)],
        "earliest_possible_share": round(each / ceiling, 4),  # every send so far on one shard
        "trials": len(shares),
        "first_refusal_share": {name: round(_percentile(shares, fraction), 4) for name, fraction in (("min", 0.0), ("p1", 0.01), ("p5", 0.05), ("p50", 0.5), ("p95", 0.95), ("max", 1.0))},
        "first_refusal_mean": round(statistics.fmean(shares), 4),
    }


def measure_early_refusal(engine: Any, trials: int, checks: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    rule = check_rule(engine, CEILINGS, checks, rng)
    return {
        "shard_characters": SHARD_CHARACTERS,
        "rule_check": rule,
        "ceilings": [early_refusal(ceiling, trials, rng) for ceiling in CEILINGS],
        # The rule with one character (5 random bits), for comparison: 32 values cannot spread evenly over a
        # number of shards that does not divide 32, and none reach a shard past the 32nd.
        "one_character": [early_refusal(ceiling, trials, rng, characters=1) for ceiling in CEILINGS if channel_shards(ceiling)[0] > 1],
    }


def run(quick: bool = False) -> dict[str, Any]:
    partitions = measure_partitions(QUICK_SAMPLE if quick else SAMPLE)
    engine = js_engine.JsEngine()
    unit = "function:limitChannel"
    engine.load_file(unit, MANIFEST.code_units()[unit])
    try:
        refusal = measure_early_refusal(engine, QUICK_TRIALS if quick else TRIALS, QUICK_RULE_CHECKS if quick else RULE_CHECKS)
    finally:
        engine.close()
    return {"partitions": partitions, "channel_ceiling": refusal, "goal_met": partitions["goal_met"] and refusal["rule_check"]["agrees"]}


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def report(results: dict[str, Any]) -> str:
    figures = results["partitions"]
    shards, each = figures["channel_shards"]
    lines = [
        (f"{figures['rate_per_second']:,} emails a second over {figures['clients']} clients (sample {figures['sample_sends']:,}, scaled); "
         f"channel ceiling {figures['channel_ceiling_per_minute']:,} a minute = {shards} counters of {each:,}; the authorizer once per key per "
         f"{figures['authorizer_cache_seconds']} s"),
        (f"per send ({figures['send']}): {figures['writes_per_send']} writes, {figures['write_units_per_send']} write units, "
         f"{figures['read_units_per_send']} read units; {figures['partition_keys_written']:,} partition keys written"),
        "",
        "busiest partition keys (writes):",
        "| where | partition key | family | writes/s | write units/s |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {row['where']} | {row['partition']} | {row['family']} | {row['per_second']} | {row['units_per_second']} |" for row in figures["top_writes"]]
    lines += [
        "",
        "| where | family | keys in the sample | writes per send | units per send | busiest key writes/s | units/s | sends/s at the key's limit | one client's or sender's |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {row['where']} | {row['family']} | {row['keys']:,} | {row['per_send']} | {row['units_per_send']} | {row['busiest_per_second']} | {row['busiest_units_per_second']} | "
        f"{_count(row['rate_at_partition_limit'])} | {_count(row['one_owner_at_partition_limit'])} |"
        for row in figures["write_families"]
    ]
    lines += ["", "reads of the partitions every send reads:", "| partition | reads/s | read units/s | share of 3,000 | sends/s at the partition's limit |", "|---|---|---|---|---|"]
    lines += [
        f"| {partition} | {counts['per_second']} | {counts['units_per_second']} | {counts['share_of_partition']:.0%} | {counts['sends_per_second_at_partition_limit']:,} |"
        for partition, counts in figures["shared_reads"].items()
    ]
    lines.append(
        f"goal ({figures['goal']}): {'met' if figures['goal_met'] else 'missed'} (busiest: {figures['busiest_write_units_per_second']} write units/s, "
        f"{figures['busiest_writes_per_second']} writes/s)"
    )
    refusal = results["channel_ceiling"]
    rule = refusal["rule_check"]
    lines += [
        "",
        (f"sharded ceiling: limitChannel's draw (the last {refusal['shard_characters']} characters of a ULID, modulo the shards) checked on "
         f"{rule['ulids_each']} fixed ULIDs per ceiling: {'agrees' if rule['agrees'] else 'DIFFERS: ' + str(rule['mismatches'])}"),
        "",
        "| ceiling C | shards n | each allows | never usable | earliest possible | first refusal p1 | p5 | p50 | p95 | trials |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in (("", refusal["ceilings"]), (" (one character)", refusal["one_character"])):
        for row in rows:
            share = row["first_refusal_share"]
            lines.append(
                f"| {row['ceiling']:,}{name} | {row['shards']} | {row['each_allows']:,} | {row['never_usable']} | {row['earliest_possible_share']:.1%} | "
                f"{share['p1']:.2%} | {share['p5']:.2%} | {share['p50']:.2%} | {share['p95']:.2%} | {row['trials']:,} |"
            )
    return "\n".join(lines)

