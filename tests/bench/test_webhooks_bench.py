"""bench/webhooks.py runs, in a bounded way, and what it measures holds the cost model's premises."""

from __future__ import annotations

from bench import cost, webhooks


def test_the_webhook_benchmark_runs_and_a_delivery_stays_within_its_units() -> None:
    # WHEN the benchmark runs with its quick counts
    results = webhooks.run(quick=True)
    # THEN every status change of the emails sent reached the receiver through the publisher, each timed from its
    # change through the sender's attempt, and both sides of the queue delivered every delivery
    publisher = results["through_the_publisher"]
    assert publisher["changes"] == 2 * webhooks.QUICK_SENDS
    assert all(publisher[part]["n"] == publisher["changes"] and publisher[part]["min"] >= 0 for part in ("change_to_attempt", "attempt_to_received"))
    assert {name: figures["requests"] for name, figures in results["queued_to_received"].items()} == {"sender": 10, "bare": 10}
    sizes = results["sizes"]
    assert set(sizes) == set(cost._load("webhooks")["sizes"])
    # AND a delivery is one SQS request's worth (64 KB), an attempt's record one write unit, the endpoint half a
    # read unit, and the POST carries the signed headers
    assert sizes["queue_message_bytes"] < 64 * 1024
    assert (sizes["attempt_write_units"], sizes["endpoint_read_units"]) == (1, 0.5)
    assert sizes["request_body_bytes"] > 0 and sizes["request_header_bytes"] > len("webhook-signature: v1,") + 44
