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


@pytest.mark.parametrize(
    ("block", "generate"),
    [
        ("per_million_emails", lambda: cost.table(cost.per_million_emails())),
        ("target", cost.target),
        ("authorizer_share", cost.authorizer_share),
        ("sensitivity", cost.sensitivity),
        ("options", cost.options),
        ("per_million_webhook_events", lambda: cost.table(cost.per_million_webhook_events())),
        ("webhook_sensitivity", cost.webhook_sensitivity),
    ],
)
def test_the_cost_page_shows_what_the_model_computes_from_the_measured_results(block: str, generate) -> None:
    assert shown(block) == generate()


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
    assert cost.TARGET == 10.00
    assert ("under it" in cost.target()) == (spent <= cost.TARGET)
    assert f"${spent:.2f}" in shown("target")


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
