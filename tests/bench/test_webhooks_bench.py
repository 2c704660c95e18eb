"""bench/webhooks.py runs, in a bounded way, and what it measures holds the cost model's premises."""

from __future__ import annotations

from bench import cost, webhooks


def test_the_webhook_benchmark_runs_and_a_delivery_stays_within_its_units() -> None:
    # WHEN the benchmark runs with its quick counts
    results = webhooks.run(quick=True)
    # THEN both sides delivered every delivery, and the sizes the cost model reads are there
    assert {name: figures["requests"] for name, figures in results["queued_to_received"].items()} == {"sender": 10, "bare": 10}
    sizes = results["sizes"]
    assert set(sizes) == set(cost._load("webhooks")["sizes"])
    # AND a delivery is one SQS request's worth (64 KB), an attempt's record one write unit, the endpoint half a
    # read unit, and the POST carries the signed headers
    assert sizes["queue_message_bytes"] < 64 * 1024
    assert (sizes["attempt_write_units"], sizes["endpoint_read_units"]) == (1, 0.5)
    assert sizes["request_body_bytes"] > 0 and sizes["request_header_bytes"] > len("webhook-signature: v1,") + 44
