"""bench/partitions.py: the load per partition key comes from the pipeline's real writes, and the sharded ceiling's
simulation draws shards as limitChannel does, exactly. No timing is asserted."""

from __future__ import annotations

import random
import statistics

import pytest

from bench import partitions
from local.appsync.js_engine import JsEngine


def test_limitchannel_picks_the_counter_and_its_share_as_the_model_does(engine: JsEngine) -> None:
    # GIVEN the resolver, answering fixed ULIDs WHEN it counts a send under each ceiling modelled
    checked = partitions.check_rule(engine, partitions.CEILINGS, 80, random.Random(7))
    # THEN it picks shard_of's counter and allows channel_shards' share, every time
    assert checked["agrees"], checked["mismatches"]


def test_a_ceiling_is_split_into_counters_that_never_add_up_to_more() -> None:
    assert partitions.channel_shards(30_000) == (1, 30_000)
    assert partitions.channel_shards(30_001) == (2, 15_000)
    assert partitions.channel_shards(150_000) == (5, 30_000)
    assert partitions.channel_shards(1_000_000) == (34, 29_411)
    for ceiling in (1, 30_001, 99_999, 600_001, 1_000_000):
        shards, each = partitions.channel_shards(ceiling)
        assert shards * each <= ceiling < shards * (each + 1)


def test_four_characters_spread_evenly_where_one_does_not() -> None:
    # GIVEN 20 shards (a 600,000 ceiling) THEN four base-32 characters give each its share within 20 / 2^20
    four = partitions.shard_probabilities(20)
    assert sum(four) == pytest.approx(1.0) and max(four) - min(four) <= 1 / 2**20
    # AND one character gives twelve shards twice the chance of the other eight, and 34 shards' last two none
    one = partitions.shard_probabilities(20, characters=1)
    assert one == [2 / 32] * 12 + [1 / 32] * 8
    assert partitions.shard_probabilities(34, characters=1)[32:] == [0.0, 0.0]


def test_the_binomial_draw_has_the_binomials_mean_and_spread() -> None:
    rng = random.Random(3)
    draws = [partitions.binomial(rng, 1_000, 0.3) for _ in range(4_000)]
    assert abs(statistics.fmean(draws) - 300) < 4 * (210 / 4_000) ** 0.5  # four standard errors
    assert statistics.pvariance(draws) == pytest.approx(210, rel=0.1)
    assert partitions.binomial(rng, 50, 0.0) == 0 and partitions.binomial(rng, 50, 1.0) == 50


def one_at_a_time(rng: random.Random, probabilities: list[float], each: int) -> int:
    """The first refusal by sending one at a time: the sends accepted before a shard's (each + 1)-th."""
    counts = [0] * len(probabilities)
    shards = range(len(probabilities))
    while True:
        shard = rng.choices(shards, probabilities)[0]
        if counts[shard] == each:
            return sum(counts)
        counts[shard] += 1


@pytest.mark.parametrize("characters", [1, 4])
def test_the_exact_draw_matches_sending_one_at_a_time(characters: int) -> None:
    # GIVEN five counters of 30 sends each, drawn as limitChannel draws them (unevenly with one character)
    probabilities, each, trials = partitions.shard_probabilities(5, characters), 30, 3_000
    # WHEN the first refusal is found by the Gamma/Binomial draw and by sending one at a time, seeded
    exact = [partitions.accepted_before_first_refusal(random.Random(11 + trial), probabilities, each) for trial in range(trials)]
    direct = [one_at_a_time(random.Random(90_000 + trial), probabilities, each) for trial in range(trials)]
    # THEN both have one distribution: mean within four standard errors, and the same quartiles within a send or two
    spread = (statistics.pvariance(exact) / trials + statistics.pvariance(direct) / trials) ** 0.5
    assert abs(statistics.fmean(exact) - statistics.fmean(direct)) < 4 * spread
    for low, high in zip(statistics.quantiles(exact, n=4), statistics.quantiles(direct, n=4), strict=True):
        assert abs(low - high) <= 2
    # AND no draw accepts more than the counters hold, nor fewer than one full counter
    assert all(each <= accepted <= 5 * each for accepted in exact)


def test_the_load_per_partition_key_comes_from_the_pipelines_own_writes() -> None:
    # GIVEN a small sample: 12 sends over 4 clients, each with a senderId and an idempotency key, and its DELIVERY
    figures = partitions.measure_partitions(sample=12, client_count=4)
    families = {(row["where"], row["family"]): row for row in figures["write_families"]}
    # THEN each send writes its claim, three counters, its record and outcome, the DELIVERY, and bySender three times
    assert figures["writes_per_send"] == 10 and figures["failed_conditional_writes"] == 0
    per_send = {family: row["per_send"] for family, row in families.items()}
    assert per_send == {
        ("table", "SCOPE#<client>#LIVE#IDEMPOTENCY#<sender>#<idempotency key>"): 1.0,
        ("table", "LIMIT#LIVE#EMAIL#<shard>"): 1.0,
        ("table", "LIMIT#CLIENT#<client>"): 1.0,
        ("table", "LIMIT#LIVE#EMAIL#MINUTE#<shard>"): 1.0,
        ("table", "MESSAGE#<to>"): 3.0,
        ("index bySender", "SCOPE#<client>#LIVE#SENDER#<sender>"): 3.0,
        # the authorizer's last-use write: once per key per cache period, as a share of a second's sends
        ("table", "CLIENT#<client>"): pytest.approx(4 / figures["authorizer_cache_seconds"] / partitions.RATE, abs=1e-4),
    }
    # AND scaled to RATE: a client's day counter takes its share, and the channel's counters split the rate
    assert families[("table", "LIMIT#CLIENT#<client>")]["busiest_per_second"] == partitions.RATE / 4
    # (so one client alone could send 1,000 a second before its day counter reaches a partition's limit)
    assert families[("table", "LIMIT#CLIENT#<client>")]["one_owner_at_partition_limit"] == partitions.PARTITION_WRITE_UNITS
    assert families[("table", "LIMIT#LIVE#EMAIL#MINUTE#<shard>")]["one_owner_at_partition_limit"] is None
    assert families[("table", "CLIENT#<client>")]["one_owner_at_partition_limit"] is None  # not written per send
    assert families[("table", "LIMIT#LIVE#EMAIL#MINUTE#<shard>")]["keys"] <= partitions.channel_shards(partitions.CHANNEL_CEILING)[0]
    # AND every send reads the CONFIG partition (a Query) and the CLIENTS partition (its client) once
    assert {partition: counts["per_second"] for partition, counts in figures["shared_reads"].items()} == {"CONFIG": partitions.RATE, "CLIENTS": partitions.RATE}
    assert figures["top_writes"][0]["units_per_second"] == figures["busiest_write_units_per_second"]
