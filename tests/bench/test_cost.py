"""docs/cost.md shows the arithmetic bench/cost.py does from the measured results, and nothing else."""

from __future__ import annotations

import re

import pytest

from bench import cost
from tests.conftest import REPO_ROOT

COST_PAGE = REPO_ROOT / "docs/cost.md"


def shown(block: str) -> str:
    found = re.findall(rf"<!-- bench\.cost: {block} -->\n(.*?)\n<!-- /bench\.cost -->", COST_PAGE.read_text(), re.DOTALL)
    assert len(found) == 1, f"docs/cost.md should hold one {block} block"
    return str(found[0])


BLOCKS = {
    "per_million_emails": lambda: cost.table(cost.per_million_emails()),
    "target": cost.target,
    "authorizer_share": cost.authorizer_share,
    "sensitivity": cost.sensitivity,
    "options": cost.options,
    "per_million_webhook_events": lambda: cost.table(cost.per_million_webhook_events()),
    "webhook_sensitivity": cost.webhook_sensitivity,
    "event_feed": lambda: cost.table(cost.event_feed()),
    "event_feed_per_million_emails": lambda: cost.table(cost.event_feed_per_million_emails()),
    "event_feed_sensitivity": cost.event_feed_sensitivity,
    "event_feed_storage": cost.event_feed_storage,
    "subscriptions": lambda: cost.table(cost.subscriptions()),
    "subscription_sensitivity": cost.subscription_sensitivity,
    "subscriber_month": cost.subscriber_month,
    "floor": lambda: cost.table(cost.floor()),
    "floor_verdict": cost.floor_verdict,
}


@pytest.mark.parametrize(("block", "generate"), BLOCKS.items())
def test_the_cost_page_shows_what_the_model_computes_from_the_measured_results(block: str, generate) -> None:
    assert shown(block) == generate()


def test_every_generated_block_on_the_page_is_checked() -> None:
    assert set(re.findall(r"<!-- bench\.cost: (\w+) -->", COST_PAGE.read_text())) == set(BLOCKS)


def in_short() -> str:
    found = re.search(r"^\*\*In short\.\*\*(.*?)\n\n", COST_PAGE.read_text(), re.MULTILINE | re.DOTALL)
    assert found, "docs/cost.md should open with an In short paragraph"
    return " ".join(found.group(1).split())


def test_every_line_follows_the_measured_usage() -> None:
    # GIVEN measured results where a message took one more write unit and logged 100 bytes more per call
    dynamodb = cost._load("dynamodb_cost")
    dynamodb["writes_per_message"]["email"]["per_message"]["write_units"] += 1
    logs = cost._load("warm_invoke")
    for figures in (logs["delivery"]["EMAIL (fake clients)"], logs["status"]["ses_event_handler (SES DELIVERY via SNS)"]):
        figures["log_bytes_per_call"] += 100
    # WHEN the bill is worked out THEN it rises by one write unit and 200 bytes of logs per message
    before = {line.component: line.dollars for line in cost.per_million_emails()}
    after = {line.component: line.dollars for line in cost.per_million_emails(dynamodb, logs)}
    assert after["DynamoDB writes"] - before["DynamoDB writes"] == pytest.approx(cost.PRICE["dynamodb_per_million_wru"])
    assert after["CloudWatch Logs (one EMF line per function call)"] - before["CloudWatch Logs (one EMF line per function call)"] == pytest.approx(200 * cost.PRICE["logs_per_gb"] / 1000)


def test_the_page_says_whether_the_stack_stays_under_a_tenth_of_sess_fee() -> None:
    # SES charges $100 per million emails; the target is at most $10 on top, with the stated assumptions. The page's
    # verdict is the model's (the target block above), whichever way it goes.
    spent = cost.total(cost.per_million_emails())
    with_feed = round(spent, 2) + round(cost.total(cost.event_feed_per_million_emails()), 2)
    assert cost.TARGET == 10.00
    sending, feed = shown("target").split(" The event feed")
    assert ("under it" in sending) == (spent <= cost.TARGET)
    assert ("under it" in feed) == (with_feed <= cost.TARGET)
    assert f"**${spent:.2f}**" in sending
    assert f"**${with_feed:.2f}**" in feed


def test_the_summary_says_what_the_event_feed_adds_per_million_emails_and_the_total_with_it() -> None:
    # GIVEN the model's sending path and event feed per million emails, each as the page rounds it
    spent = round(cost.total(cost.per_million_emails()), 2)
    feed = round(cost.total(cost.event_feed_per_million_emails()), 2)
    pushes = cost.total(cost.subscriptions(cost.EVENT_ASSUMPTION["events_per_email"] * 1_000_000))
    # THEN the In short paragraph names each, and the total with the feed, and what it is over or under the target
    summary = in_short()
    assert f"${spent:.2f} per million emails" in summary
    assert f"${feed:.2f} per million emails" in summary
    assert f"${spent + feed:.2f} in all" in summary
    assert f"${abs(spent + feed - cost.TARGET):.2f} {'over' if spent + feed > cost.TARGET else 'under'} the target" in summary
    assert f"${pushes:.2f} more per million emails" in summary
    # AND the floor the design cannot go under, and that it leaves the target out of reach with the feed
    bottom = round(cost.total(cost.floor()), 2)
    assert f"[at least ${bottom:.2f}]" in summary
    assert (spent + feed > cost.TARGET) == ("cannot get under the target" in summary)


def test_the_authorizer_runs_once_per_key_per_cache_period_and_never_more_than_once_per_email() -> None:
    # GIVEN a month of 30 days WHEN one key sends all month THEN it runs once a minute
    assert cost.authorizer_invocations() == 43_200
    # WHEN 100 keys do, or nothing is cached THEN every email runs it, and no more
    assert cost.authorizer_invocations({**cost.ASSUMPTION, "authorizer_keys": 100}) == 1_000_000
    assert cost.authorizer_invocations({**cost.ASSUMPTION, "authorizer_cache_seconds": 0}) == 1_000_000
    # AND its lines follow the measured work of one run
    dynamodb = cost._load("dynamodb_cost")
    dynamodb["authorizer"]["write_units"] += 1
    before = {line.component: line.dollars for line in cost.per_million_emails()}
    after = {line.component: line.dollars for line in cost.per_million_emails(dynamodb)}
    component = "DynamoDB for the authorizer (the key, its last use)"
    assert after[component] - before[component] == pytest.approx(43_200 * cost.PRICE["dynamodb_per_million_wru"] / 1_000_000)


def test_every_option_saves_something_and_says_what_it_gives_up() -> None:
    spent = cost.total(cost.per_million_emails())
    for label, assumption, price, saved in cost.OPTIONS:
        changed = cost.total(cost.per_million_emails(None, None, {**cost.ASSUMPTION, **assumption}, {**cost.PRICE, **price}, write_units_saved=saved))
        assert changed < spent, label


def test_every_webhook_line_follows_the_measured_sizes() -> None:
    # GIVEN measured results where an attempt's record took one more write unit and its log line 1,000 bytes more
    webhooks = cost._load("webhooks")
    webhooks["sizes"]["attempt_write_units"] += 1
    webhooks["sizes"]["log_bytes_per_attempt"] += 1000
    # WHEN the bill is worked out THEN it rises by one write unit and a kilobyte of logs per delivery
    before = {line.component: line.dollars for line in cost.per_million_webhook_events()}
    after = {line.component: line.dollars for line in cost.per_million_webhook_events(webhooks)}
    assert after["DynamoDB writes (the attempt)"] - before["DynamoDB writes (the attempt)"] == pytest.approx(cost.PRICE["dynamodb_per_million_wru"])
    assert after["CloudWatch Logs (one line per attempt)"] - before["CloudWatch Logs (one line per attempt)"] == pytest.approx(cost.PRICE["logs_per_gb"])
    assert {name: dollars for name, dollars in after.items() if name not in ("DynamoDB writes (the attempt)", "CloudWatch Logs (one line per attempt)")} == {
        name: dollars for name, dollars in before.items() if name not in ("DynamoDB writes (the attempt)", "CloudWatch Logs (one line per attempt)")
    }


def test_every_event_feed_line_follows_the_measured_event_size() -> None:
    # GIVEN a stored event measured one write unit larger
    feed = cost._load("event_feed")
    feed["sizes"]["event_write_units"] += 1
    # WHEN the feed is priced per million events THEN only its write rises, by a million write units
    before = {line.component.split(" (the event")[0]: line.dollars for line in cost.event_feed()}
    after = {line.component.split(" (the event")[0]: line.dollars for line in cost.event_feed(1_000_000, feed)}
    assert after.pop("DynamoDB writes") - before.pop("DynamoDB writes") == pytest.approx(cost.PRICE["dynamodb_per_million_wru"])
    assert after == before


def test_the_event_feed_counts_every_stream_record_and_reads_the_marker_at_most_once_per_cache_period() -> None:
    # GIVEN one record a batch WHEN a million emails (two events each, the two records the filter passes) are priced
    lines = {line.component: line for line in cost.event_feed_per_million_emails()}
    # THEN every record passed is an invocation, and Lambda's stream reads cost nothing
    assert cost.EVENT_ASSUMPTION["records_per_email"] == cost.EVENT_ASSUMPTION["events_per_email"] == 2
    assert lines["Lambda requests (the publisher, one per batch)"].dollars == pytest.approx(2 * cost.PRICE["lambda_per_million_requests"])
    # AND were the PENDING record and TTL's deletion passed too, the requests would double
    unfiltered = {line.component: line.dollars for line in cost.event_feed(2_000_000, None, {**cost.EVENT_ASSUMPTION, "records_per_email": 4})}
    assert unfiltered["Lambda requests (the publisher, one per batch)"] == pytest.approx(4 * cost.PRICE["lambda_per_million_requests"])
    assert lines["DynamoDB Streams reads by the publisher's mapping"].dollars == 0
    # AND the marker is read once per 5 s all month (30 days), not once per event
    assert cost.marker_reads(2_000_000) == 30 * 24 * 3600 / 5
    assert cost.marker_reads(100) == 100
    # AND full batches of 25 need 25 times fewer invocations
    busy = {line.component: line.dollars for line in cost.event_feed(2_000_000, None, {**cost.EVENT_ASSUMPTION, "records_per_batch": 25})}
    assert busy["Lambda requests (the publisher, one per batch)"] == pytest.approx(lines["Lambda requests (the publisher, one per batch)"].dollars / 25)


def test_pushes_cost_one_mutation_per_event_and_one_update_per_subscriber_per_5_kb() -> None:
    one = {line.component: line.dollars for line in cost.subscriptions()}
    ten = {line.component: line.dollars for line in cost.subscriptions(1_000_000, None, {**cost.EVENT_ASSUMPTION, "subscribers": 10})}
    updates = next(name for name in one if name.startswith("AppSync real-time updates"))
    # GIVEN a 326-byte update: one 5 KB increment per subscriber, and the mutation once whatever the subscribers
    assert one[updates] == pytest.approx(cost.PRICE["appsync_per_million_realtime_updates"])
    assert ten[updates] == pytest.approx(10 * one[updates])
    mutation = "AppSync (publishMessageEvent, IAM-signed by the publisher)"
    assert one[mutation] == ten[mutation] == pytest.approx(cost.PRICE["appsync_per_million"])
    # WHEN an update were measured past 5 KB THEN it would count twice
    feed = cost._load("event_feed")
    feed["sizes"]["update_bytes"] = 5 * 1024 + 1
    larger = {line.component.split(" (")[0]: line.dollars for line in cost.subscriptions(1_000_000, feed)}
    assert larger["AppSync real-time updates"] == pytest.approx(2 * cost.PRICE["appsync_per_million_realtime_updates"])
