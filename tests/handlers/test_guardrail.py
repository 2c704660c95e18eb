"""The guardrail against emulated DynamoDB and SES v2: it pauses a channel before AWS does, and only an
operator resumes it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import (
    CONFIGURATION_SET,
    MESSAGES_TABLE,
    SES_REGION,
    TABLE_REGION,
)


def alarm(name: str, state: str = "ALARM") -> dict[str, Any]:
    """A CloudWatch alarm's state change as its SNS topic hands it to Lambda."""
    message = {"AlarmName": name, "NewStateValue": state, "OldStateValue": "OK", "NewStateReason": "Threshold Crossed: 1 datapoint [0.08 (29/11/26 19:00:00)] was greater than the threshold (0.07)."}
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": json.dumps(message)}}]}


def ses_sending_enabled() -> bool:
    options = boto3.client("sesv2", region_name=SES_REGION).get_configuration_set(ConfigurationSetName=CONFIGURATION_SET)["SendingOptions"]
    return bool(options["SendingEnabled"])


def channels_item() -> dict[str, Any]:
    item = boto3.client("dynamodb", region_name=TABLE_REGION).get_item(TableName=MESSAGES_TABLE, Key={"PK": {"S": "CONFIG"}, "SK": {"S": "CHANNELS"}})
    return item.get("Item", {})


def test_a_critical_reputation_alarm_pauses_email_in_the_table_and_in_ses(guardrail, lambda_context) -> None:
    # GIVEN email flowing
    assert ses_sending_enabled()
    # WHEN the bounce-rate alarm goes critical
    states = guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical"), lambda_context)
    # THEN email is paused where the pipeline reads it, with why, and SES itself stops sending through the set
    assert states["EMAIL"]["paused"] is True and states["EMAIL"]["reason"] == "alarm test-messenger-ses-bounce-rate-critical"
    assert channels_item()["EMAIL"]["M"]["reason"]["S"] == "alarm test-messenger-ses-bounce-rate-critical"
    assert not ses_sending_enabled()
    # AND SMS goes on
    assert states["SMS"] == {"paused": False}


def test_the_spend_alarm_pauses_sms_only(guardrail, lambda_context) -> None:
    states = guardrail.handler(alarm("test-messenger-sms-spend-critical"), lambda_context)
    assert states["SMS"]["paused"] is True and states["EMAIL"] == {"paused": False}
    assert ses_sending_enabled()


@pytest.mark.parametrize(
    "event",
    [
        alarm("test-messenger-ses-bounce-rate-critical", state="OK"),  # back to OK: resuming is a person's decision
        alarm("test-messenger-ses-bounce-rate-warning"),  # a warning is for people
        alarm("test-messenger-delivery-errors"),
    ],
)
def test_other_alarm_changes_pause_nothing(guardrail, lambda_context, event) -> None:
    states = guardrail.handler(event, lambda_context)
    assert states == {"EMAIL": {"paused": False}, "SMS": {"paused": False}}
    assert channels_item() == {} and ses_sending_enabled()


def test_an_alarm_returning_to_ok_does_not_resume(guardrail, lambda_context) -> None:
    guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical"), lambda_context)
    states = guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical", state="OK"), lambda_context)
    assert states["EMAIL"]["paused"] is True and not ses_sending_enabled()


def test_an_operator_resumes_what_the_alarm_paused(guardrail, lambda_context) -> None:
    # GIVEN email paused by the alarm
    guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical"), lambda_context)
    # WHEN an operator resumes it
    states = guardrail.handler({"action": "resume", "channel": "EMAIL", "reason": "bounces cleaned up"}, lambda_context)
    # THEN the pipeline and SES both send again
    assert states["EMAIL"] == {"paused": False}
    assert "EMAIL" not in channels_item() and ses_sending_enabled()


def test_an_operator_pauses_with_a_reason_and_reads_the_state(guardrail, lambda_context) -> None:
    guardrail.handler({"action": "pause", "channel": "SMS", "reason": "carrier outage"}, lambda_context)
    states = guardrail.handler({"action": "status"}, lambda_context)
    assert states["SMS"]["paused"] is True and states["SMS"]["reason"] == "carrier outage" and states["SMS"]["since"].endswith("Z")


@pytest.mark.parametrize(
    "request_",
    [
        {"action": "pause"},
        {"action": "pause", "channel": "FAX"},
        {"action": "delete", "channel": "SMS"},
        {"action": "pause", "channel": "SMS", "reason": "x" * 201},
        {"action": "pause", "channel": "SMS", "reason": "   "},
        {"action": "pause", "channel": "SMS", "reason": 42},
    ],
)
def test_a_malformed_request_is_refused_and_changes_nothing(guardrail, lambda_context, request_) -> None:
    with pytest.raises(ValueError, match="expected|reason must be"):
        guardrail.handler(request_, lambda_context)
    assert channels_item() == {} and ses_sending_enabled()
