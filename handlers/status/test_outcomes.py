"""The testOutcomes function: what a provider would have reported for a TEST key's messages, played from the
queue the delivery function filled (handlers/delivery/app.py: simulate), one status change per queue message.

A TEST key's message reaches no provider; its outcome follows SES's mailbox simulator for its addresses and the
documented test numbers for SMS (graphql/manifest.json: testMode), and is recorded like a provider's report, so a
TEST key sees the statuses a LIVE key would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recording import (
    STATUS_RANK,
    MessageKey,
    StatusChange,
    apply,
    iso_time,
    logger,
    summary,
)

TEST = "test"
# Each simulated outcome's reason, as a provider's report would give one.
REASONS = {
    "DELIVERED": "Delivered (simulated for a TEST key: nothing was sent)",
    "BOUNCED": "Permanent bounce (simulated for a TEST key: nothing was sent)",
    "COMPLAINED": "The recipient marked the email as spam (simulated for a TEST key: nothing was sent)",
    "FAILED": "The carrier could not deliver it (simulated for a TEST key: nothing was sent)",
}


def simulated_change(body: str, now: datetime) -> tuple[MessageKey, StatusChange] | None:
    """The record and status a queue message names; None for one that names neither (logged, never retried)."""
    try:
        outcome = json.loads(body)
        key = MessageKey(outcome["key"]["PK"], outcome["key"]["SK"])
        status = outcome["status"]
    except (ValueError, KeyError, TypeError):
        return None
    if status not in REASONS or status not in STATUS_RANK:
        return None
    return key, StatusChange(status, REASONS[status], iso_time(now))


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=SQSEvent)
def test_outcomes_handler(event: SQSEvent, context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    for record in event.records:
        change = simulated_change(record.body, datetime.now(UTC))
        if change is None:
            logger.error("a TEST outcome that names no record and status was dropped", extra={"sqs_message_id": record.message_id})
            outcomes.append("malformed")
            continue
        outcomes.append(apply(TEST, *change))
    return summary(outcomes)
