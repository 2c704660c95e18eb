"""The guardrail against emulated DynamoDB and SES v2: it pauses a channel before AWS does, and only an
operator resumes it."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import (
    ACCOUNT_ID,
    CONFIGURATION_SET,
    MESSAGES_TABLE,
    SES_REGION,
    SNS_REGION,
    TABLE_REGION,
)

TOPIC_ARN = f"arn:aws:sns:{SES_REGION}:{ACCOUNT_ID}:test-messenger-alarms"
STATE_REASON = "Threshold Crossed: 1 datapoint [0.08 (29/11/26 19:00:00)] was greater than the threshold (0.07)."


def alarm(name: str, state: str = "ALARM", *, region: str = SES_REGION, account: str = ACCOUNT_ID) -> dict[str, Any]:
    """A CloudWatch alarm's state change as its SNS topic hands it to Lambda."""
    message = {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
        "AWSAccountId": account,
        "Region": region,
        "NewStateValue": state,
        "OldStateValue": "OK",
        "NewStateReason": STATE_REASON,
    }
    return notification(json.dumps(message))


def notification(message: str) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "TopicArn": TOPIC_ARN, "MessageId": "5f0c5a0e-0000-4000-8000-000000000001", "Message": message}}]}


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture):
    """The guardrail's log records so far (it logs from INFO, as in Lambda), each as its message and extra keys."""
    caplog.set_level(logging.INFO)
    standard = set(vars(logging.makeLogRecord({})))
    return lambda: [
        {"message": record.getMessage(), **{key: value for key, value in vars(record).items() if key not in standard}}
        for record in caplog.records
        if record.name == "guardrail"
    ]


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
    states = guardrail.handler(alarm("test-messenger-sms-spend-critical", region=SNS_REGION), lambda_context)
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


@pytest.mark.parametrize(
    "event",
    [
        alarm("test-messenger-ses-bounce-rate-critical", account="210987654321"),  # the same name in another account
        alarm("test-messenger-ses-bounce-rate-critical", region="eu-central-1"),  # ... or in another region
        alarm("test-messenger-sms-spend-critical", region=SES_REGION),  # not where that alarm lives
        notification(json.dumps({"AlarmName": "test-messenger-ses-bounce-rate-critical", "NewStateValue": "ALARM"})),  # no ARN
        notification("pause EMAIL now"),  # no alarm's notification at all
        notification(json.dumps(["test-messenger-ses-bounce-rate-critical"])),
        {"Records": [{"EventSource": "aws:sns", "Sns": "not a notification"}]},
    ],
    ids=["other account", "other region", "wrong region", "no ARN", "not JSON", "not an object", "no SNS envelope"],
)
def test_only_this_stacks_guardrail_alarms_pause_anything(guardrail, lambda_context, log_lines, event) -> None:
    # GIVEN a notification that is not one of this stack's guardrail alarms, by ARN
    # WHEN it reaches the guardrail
    states = guardrail.handler(event, lambda_context)
    # THEN nothing is paused, and the guardrail does not fail (no retries, nothing in the dead-letter queue)
    assert states == {"EMAIL": {"paused": False}, "SMS": {"paused": False}}
    assert channels_item() == {} and ses_sending_enabled()
    # AND it says so in one line that holds the SNS envelope only, not what the message claimed
    [ignored] = [line for line in log_lines() if line["message"] == "alarm notification ignored"]
    assert ignored["guardrail_alarm"] is False
    assert "test-messenger-ses-bounce-rate-critical" not in json.dumps(ignored, default=str) and "pause EMAIL" not in json.dumps(ignored, default=str)


def test_an_ignored_notification_is_logged_with_its_topic_and_message_id_only(guardrail, lambda_context, log_lines) -> None:
    guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical", state="OK"), lambda_context)
    [ignored] = [line for line in log_lines() if line["message"] == "alarm notification ignored"]
    assert {key: ignored[key] for key in ("topic", "sns_message_id", "guardrail_alarm")} == {
        "topic": TOPIC_ARN,
        "sns_message_id": "5f0c5a0e-0000-4000-8000-000000000001",
        "guardrail_alarm": True,
    }
    assert STATE_REASON not in json.dumps(ignored, default=str)


def test_a_guardrail_alarm_pauses_with_its_name_as_the_reason(guardrail, lambda_context, log_lines) -> None:
    guardrail.handler(alarm("test-messenger-ses-bounce-rate-critical"), lambda_context)
    [acted] = [line for line in log_lines() if line["message"] == "guardrail alarm"]
    assert (acted["alarm"], acted["channel"]) == ("test-messenger-ses-bounce-rate-critical", "EMAIL")
