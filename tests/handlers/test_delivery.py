"""The delivery handler against emulated SES v2 and SNS."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from botocore.exceptions import (
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from local.appsync.datasources import load_lambda_module
from tests.aws_errors import client_error
from tests.conftest import REPO_ROOT
from tests.handlers.conftest import CONFIGURATION_SET, SES_REGION, SNS_REGION


def sent_emails(region: str) -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages


def sent_sms(region: str) -> dict:
    return sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages


def test_email_goes_out_through_ses_v2_in_the_ses_region(delivery, event, lambda_context) -> None:
    # GIVEN a recorded email message
    request = event("deliver_email")
    # WHEN the handler delivers it
    outcome = delivery.handler(request, lambda_context)
    # THEN SES in SES_REGION (only) sent it with the right sender, subject and both bodies
    assert outcome["deliveryStatus"] == "ACCEPTED" and outcome["providerMessageId"]
    [mail] = sent_emails(SES_REGION)
    assert mail.source == "no-reply@example.com"
    assert mail.destinations["ToAddresses"] == ["alice@example.com"]
    assert mail.subject == "Your order"
    assert sent_emails(SNS_REGION) == []


def test_email_html_is_the_escaped_text(delivery, event) -> None:
    arguments = delivery.email_request(event("deliver_email")["message"])
    body = arguments["Content"]["Simple"]["Body"]
    assert body["Text"]["Data"] == "Hello <Alice> & friends\nsecond line"
    assert "Hello &lt;Alice&gt; &amp; friends<br>" in body["Html"]["Data"]


def test_every_email_goes_through_the_configuration_set(delivery, event) -> None:
    assert delivery.email_request(event("deliver_email")["message"])["ConfigurationSetName"] == CONFIGURATION_SET


def test_the_function_refuses_to_start_without_its_configuration_set(messages_table, monkeypatch) -> None:
    # GIVEN no configuration set (whose TLS policy REQUIRE every email must go through)
    monkeypatch.delenv("SES_CONFIGURATION_SET")
    # WHEN the function starts THEN it fails at once, naming what is missing
    with pytest.raises(KeyError, match="SES_CONFIGURATION_SET"):
        load_lambda_module(REPO_ROOT, "handlers/delivery", "app")


@pytest.mark.parametrize("missing", ["from", "subject"])
def test_an_email_without_sender_or_subject_is_refused_and_nothing_is_sent(delivery, event, lambda_context, missing: str) -> None:
    # GIVEN an email whose sender or subject the resolvers did not decide (they always do)
    message = {**event("deliver_email")["message"], missing: None}
    # WHEN it is delivered
    outcome = delivery.handler({"message": message}, lambda_context)
    # THEN it is FAILED, saying why, and SES got nothing
    assert outcome == {"deliveryStatus": "FAILED", "statusReason": "The message has no sender or subject, so nothing was sent"}
    assert sent_emails(SES_REGION) == []


def test_sms_goes_out_through_sns_in_the_sns_region_as_transactional(delivery, event, lambda_context) -> None:
    outcome = delivery.handler(event("deliver_sms"), lambda_context)
    assert outcome["deliveryStatus"] == "ACCEPTED"
    assert [(number, text) for number, text, *_ in sent_sms(SNS_REGION).values()] == [("+14155550100", "Your code is 123456")]
    assert sent_sms(SES_REGION) == {}
    attributes = delivery.sms_request(event("deliver_sms")["message"])["MessageAttributes"]
    assert attributes["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
    assert attributes["AWS.SNS.SMS.SenderID"]["StringValue"] == "Messenger"


def test_a_provider_refusal_is_a_failed_outcome_with_its_reason(delivery, event, lambda_context) -> None:
    # GIVEN a sender SES has not verified
    request = event("deliver_email")
    request["message"]["from"] = "unverified@example.com"
    # WHEN the handler tries to deliver
    outcome = delivery.handler(request, lambda_context)
    # THEN nothing is sent and the outcome says why
    assert outcome["deliveryStatus"] == "FAILED"
    assert outcome["statusReason"].startswith("SES refused the message: MessageRejected")
    assert "providerMessageId" not in outcome
    assert sent_emails(SES_REGION) == []


def test_logs_hold_no_address_or_body(delivery, event, lambda_context, caplog, capsys) -> None:
    # The service logs at INFO; botocore DEBUG wire logs (which echo request bodies) are never on in Lambda.
    caplog.set_level(logging.INFO)
    request = event("deliver_email")
    delivery.handler(request, lambda_context)
    request["message"]["from"] = "unverified@example.com"
    delivery.handler(request, lambda_context)
    logs = capsys.readouterr().out + caplog.text
    assert '"Outcome":"ACCEPTED"' in logs.replace(" ", "") and "delivery refused" in logs
    for secret in ("alice@example.com", "unverified@example.com", "no-reply@example.com", "Hello <Alice>"):
        assert secret not in logs


@pytest.mark.parametrize(
    ("error", "retryable", "ambiguous"),
    [
        (client_error("ThrottlingException", "SendEmail", 400), True, False),
        (client_error("TooManyRequestsException", "SendEmail", 429), True, False),
        (client_error("Throttled", "Publish", 429), True, False),
        (EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com"), True, False),
        (client_error("MessageRejected", "SendEmail", 400), False, False),
        (client_error("InvalidParameter", "Publish", 400), False, False),
        (client_error("InternalFailure", "SendEmail", 500), False, True),
        (ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"), False, True),
        (HTTPClientError(error="the connection broke after the request"), False, True),
        (client_error("Odd", "SendEmail"), False, True),  # no status: cannot tell
        (ParamValidationError(report="Missing required parameter"), False, False),
    ],
)
def test_errors_are_retried_only_when_nothing_was_sent(delivery, error, retryable: bool, ambiguous: bool) -> None:
    assert (delivery.is_retryable(error), delivery.is_ambiguous(error)) == (retryable, ambiguous)


def test_backoff_is_jittered_and_capped(delivery) -> None:
    waits = [delivery.backoff_seconds(attempt) for attempt in range(1, 12) for _ in range(50)]
    assert min(waits) >= 0 and max(waits) <= delivery.MAX_BACKOFF_SECONDS
    assert len(set(waits)) > 100  # random, so that throttled senders do not retry in step


def test_retries_stop_at_the_attempt_limit_or_the_time_budget(delivery) -> None:
    throttled = client_error("Throttled", "Publish", 429)

    def refuse() -> str:
        raise throttled

    slept: list[float] = []
    # GIVEN plenty of time, THEN it gives up after MAX_ATTEMPTS, having waited between them
    error, attempts = delivery.send_with_retries(refuse, lambda: 60_000, slept.append)
    assert (error, attempts, len(slept)) == (throttled, delivery.MAX_ATTEMPTS, delivery.MAX_ATTEMPTS - 1)
    # GIVEN less time than the reserve, THEN it does not wait at all
    error, attempts = delivery.send_with_retries(refuse, lambda: delivery.RESERVE_MILLIS, slept.append)
    assert attempts == 1


def test_an_accepted_sms_puts_the_provider_id_on_its_record_at_once(delivery, event, lambda_context, messages_table) -> None:
    # GIVEN the PENDING record of an SMS
    message = event("deliver_sms")["message"]
    messages_table.put_item(Item={"PK": f"MESSAGE#{message['to']}", "SK": message["id"], "deliveryStatus": "PENDING"})
    # WHEN SNS accepts it
    outcome = delivery.handler(event("deliver_sms"), lambda_context)
    # THEN the record already carries SNS's id, which SMS delivery reports are found by
    stored = messages_table.get_item(Key={"PK": f"MESSAGE#{message['to']}", "SK": message["id"]})["Item"]
    assert stored["providerMessageId"] == outcome["providerMessageId"]


def test_a_missing_record_is_not_created_by_the_provider_id_write(delivery, event, lambda_context, messages_table) -> None:
    outcome = delivery.handler(event("deliver_sms"), lambda_context)
    assert outcome["deliveryStatus"] == "ACCEPTED" and messages_table.scan()["Items"] == []


# --- Metrics: CloudWatch EMF lines, with dimensions that never hold an address or a number ---------


def test_each_delivery_is_counted_by_channel_and_outcome(delivery, event, lambda_context, emitted_metrics) -> None:
    # GIVEN an email SES accepts, one it refuses, and an SMS
    delivery.handler(event("deliver_email"), lambda_context)
    refused = event("deliver_email")
    refused["message"]["from"] = "unverified@example.com"
    delivery.handler(refused, lambda_context)
    delivery.handler(event("deliver_sms"), lambda_context)
    # THEN each is one Messages count, by channel and outcome, in the configured namespace; no retries, no Retries line
    metrics = emitted_metrics()
    assert [(m["name"], m["value"], m["dimensions"]) for m in metrics] == [
        ("Messages", 1, {"service": "delivery", "Channel": "EMAIL", "Outcome": "ACCEPTED"}),
        ("Messages", 1, {"service": "delivery", "Channel": "EMAIL", "Outcome": "FAILED"}),
        ("Messages", 1, {"service": "delivery", "Channel": "SMS", "Outcome": "ACCEPTED"}),
    ]
    assert {m["namespace"] for m in metrics} == {"serverless-messenger/test"}
    # AND the line names the message by id only
    assert {m["properties"]["message_id"] for m in metrics} == {event("deliver_email")["message"]["id"], event("deliver_sms")["message"]["id"]}
    for secret in ("alice@example.com", "unverified@example.com", "+14155550100", "Hello <Alice>"):
        assert secret not in json.dumps(metrics)


def test_retries_are_counted_by_channel(delivery, event, lambda_context, emitted_metrics, monkeypatch) -> None:
    # GIVEN SES throttling twice, then accepting
    monkeypatch.setattr(delivery, "backoff_seconds", lambda attempt: 0)
    answers = iter([client_error("ThrottlingException", "SendEmail", 400), client_error("ThrottlingException", "SendEmail", 400)])
    real_send = delivery.ses_client().send_email

    def flaky_send(**arguments):
        error = next(answers, None)
        if error is not None:
            raise error
        return real_send(**arguments)

    monkeypatch.setattr(delivery.ses_client(), "send_email", flaky_send)
    # WHEN the email is delivered
    assert delivery.handler(event("deliver_email"), lambda_context)["deliveryStatus"] == "ACCEPTED"
    # THEN the two retries are counted for EMAIL, beside the one ACCEPTED message
    assert [(m["name"], m["value"], m["dimensions"]) for m in emitted_metrics()] == [
        ("Retries", 2, {"service": "delivery", "Channel": "EMAIL"}),
        ("Messages", 1, {"service": "delivery", "Channel": "EMAIL", "Outcome": "ACCEPTED"}),
    ]


def test_a_configuration_set_paused_in_ses_fails_the_email_with_why(delivery, event, lambda_context) -> None:
    # GIVEN the guardrail turned the configuration set's sending off (the pipeline checks first; SES is the backstop)
    boto3.client("sesv2", region_name=SES_REGION).put_configuration_set_sending_options(ConfigurationSetName=CONFIGURATION_SET, SendingEnabled=False)
    # WHEN an email is delivered THEN SES refuses it, nothing is sent, and the reason says so
    outcome = delivery.handler(event("deliver_email"), lambda_context)
    assert outcome == {"deliveryStatus": "FAILED", "statusReason": "SES refused the message: SendingPausedException (sending is paused for the configuration set or the account)"}
    assert sent_emails(SES_REGION) == []
