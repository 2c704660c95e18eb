"""Faults injected into the real pipeline and handlers: every message keeps a truthful record.

After each fault: the record exists with a status and reason that tell the truth (FAILED only
when nothing was sent; UNKNOWN when it may have been), no message was sent without a record, and
a message is never left PENDING for good. What a retry with the same idempotency key does:

| fault                                   | the record                  | a retry with the same key            |
|-----------------------------------------|-----------------------------|--------------------------------------|
| DynamoDB fails reading the config       | none                        | sends normally (nothing was claimed) |
| DynamoDB fails checking the key's claim | none                        | sends normally (nothing was claimed) |
| DynamoDB fails counting a sending limit | none                        | sends normally (nothing was claimed) |
| DynamoDB fails writing the record       | none                        | sends normally (the claim rolled back)|
| the record's write reply is lost        | PENDING, then UNKNOWN (sweep)| returns that record, sends nothing  |
| DynamoDB fails reading the original     | the original, unchanged     | error now; returns it once readable  |
| provider refuses, or throttles too long | FAILED with the reason      | returns FAILED, sends nothing        |
| delivery function crashes or times out  | UNKNOWN                     | returns UNKNOWN, sends nothing       |
| DynamoDB fails recording the outcome    | PENDING, then UNKNOWN (sweep)| returns it, sends nothing           |

A key names one message, whatever became of it: to try a FAILED message again, use a new key.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.aws_errors import client_error
from tests.faults.conftest import SETTINGS, is_operation, records, send, sent, stored

EMAIL = {"to": "bob@example.com", "body": "hi", "deliveryMethod": "EMAIL"}
SMS = {"to": "+14155550100", "body": "hi", "deliveryMethod": "SMS"}


def provider_error(code: str, message: str, status: int = 400) -> ClientError:
    return client_error(code, "Send", status, message)


class FlakyCall:
    """Stands in for a client method: raises `error` for the first `failures` calls, then calls through."""

    def __init__(self, real: Any, error: Exception, failures: int | None = None) -> None:
        self.real, self.error, self.failures, self.calls = real, error, failures, 0

    def __call__(self, **arguments: Any) -> Any:
        self.calls += 1
        if self.failures is None or self.calls <= self.failures:
            raise self.error
        return self.real(**arguments)


@pytest.fixture
def delivery(stack, monkeypatch):
    """The delivery handler's module, with backoff short enough for tests."""
    import sys

    module = sys.modules[stack.executor.data_sources["deliveryFunction"].handler.__module__]
    monkeypatch.setattr(module, "FIRST_BACKOFF_SECONDS", 0.001)
    return module


@pytest.fixture
def flaky(delivery, monkeypatch):
    def install(client_name: str, method: str, error: Exception, failures: int | None = None) -> FlakyCall:
        client = getattr(delivery, f"{client_name}_client")()
        call = FlakyCall(getattr(client, method), error, failures)
        monkeypatch.setattr(client, method, call)
        return call

    return install


def assert_nothing_sent_without_a_record(stack) -> None:
    """Every email (by the record key in its tags) and every SMS (by SNS's id) belongs to a record of its own."""
    stored = records(stack)
    ulids = {item["id"].removeprefix("MESSAGE#") for item in stored}
    provider_ids = {item.get("providerMessageId") for item in stored} - {None}
    for entry in sent(stack):
        assert entry.get("tags", {}).get("message") in ulids or entry["providerMessageId"] in provider_ids, entry


def sweep(stack, stale_after_seconds: int = 0) -> dict[str, int]:
    return stack.reporter.sweep({"staleAfterSeconds": stale_after_seconds})["handled"]


# --- Provider faults ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("ThrottlingException", 400)])
def test_ses_throttling_is_retried_with_backoff_until_it_passes(stack, flaky, code: str, status: int) -> None:
    # GIVEN SES refuses twice with "Maximum sending rate exceeded" (SES v2 says TooManyRequestsException; v1 Throttling)
    call = flaky("ses", "send_email", provider_error(code, "Maximum sending rate exceeded.", status=status), failures=2)
    # WHEN a message is sent
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    # THEN the third attempt goes through: one email, ACCEPTED
    assert call.calls == 3 and message["deliveryStatus"] == "ACCEPTED"
    assert len(sent(stack)) == 1


def test_ses_throttling_that_persists_ends_in_failed_after_bounded_retries(stack, flaky, delivery) -> None:
    call = flaky("ses", "send_email", provider_error("TooManyRequestsException", "Maximum sending rate exceeded.", status=429))
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    assert call.calls == delivery.MAX_ATTEMPTS
    assert message["deliveryStatus"] == "FAILED"
    assert message["statusReason"] == f"SES refused the message: TooManyRequestsException (the sending rate is exceeded) (after {delivery.MAX_ATTEMPTS} attempts)"
    assert records(stack)[0]["deliveryStatus"] == "FAILED" and sent(stack) == []


def test_retries_stop_while_a_full_attempt_and_the_reserve_still_fit(stack, flaky, delivery, replace_delivery_function, monkeypatch) -> None:
    # GIVEN a function with a 9 s timeout, waits of 2 s, and attempts that may take 4 s each: a second attempt
    # fits (wait + attempt + the 1.5 s reserve) if the first ends within 1.5 s, and a third never can, as it
    # would start after two waits; wide margins, so that a busy machine's slow first attempt changes nothing
    monkeypatch.setattr(delivery, "backoff_seconds", lambda attempt: 2.0)
    replace_delivery_function(stack.executor.data_sources["deliveryFunction"].handler, timeout_seconds=9.0)
    call = flaky("ses", "send_email", provider_error("TooManyRequestsException", "Maximum sending rate exceeded.", status=429))
    # WHEN SES keeps throttling
    started = time.monotonic()
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    # THEN a third attempt would not leave 1.5 s after its worst case: it stops after two and reports FAILED
    # itself, well before its timeout
    assert call.calls == 2 and time.monotonic() - started < 9.0 - 1.5
    assert message["deliveryStatus"] == "FAILED" and message["statusReason"].endswith("(after 2 attempts)")


@pytest.mark.parametrize(
    ("code", "status"),
    [("InvalidParameter", "Invalid parameter: PhoneNumber Reason: +14155550100 is not valid to publish to")],
)
def test_an_sns_refusal_fails_at_once_with_its_reason_in_our_words(stack, flaky, code: str, status: str) -> None:
    # GIVEN SNS refusing with a text that names the number
    call = flaky("sns", "publish", provider_error(code, status))
    message = send(stack, **SMS)["data"]["sendMessage"]
    assert call.calls == 1
    # THEN the reason stored and returned gives the code and its meaning, never the provider's own text
    assert (message["deliveryStatus"], message["statusReason"]) == ("FAILED", f"SNS refused the message: {code} (a parameter was refused, such as the phone number)")
    assert SMS["to"] not in message["statusReason"]
    assert sent(stack) == []


def test_sns_throttling_is_retried(stack, flaky) -> None:
    call = flaky("sns", "publish", provider_error("Throttled", "Rate exceeded", status=429), failures=3)
    message = send(stack, **SMS)["data"]["sendMessage"]
    assert call.calls == 4 and message["deliveryStatus"] == "ACCEPTED" and len(sent(stack)) == 1


def test_an_opted_out_number_fails_with_the_carriers_reason(stack) -> None:
    # SNS takes an SMS to an opted-out number; its delivery log then reports the opt-out.
    message = send(stack, **SMS)["data"]["sendMessage"]
    stack.reporter.report({"to": SMS["to"], "messageId": message["id"], "event": "SMS_FAILURE", "providerResponse": "Phone number is opted out"})
    [record] = records(stack)
    assert record["deliveryStatus"] == "FAILED"
    assert record["statusReason"] == "The phone carrier did not deliver the SMS: Phone number is opted out"


def test_a_lost_provider_reply_is_unknown_not_failed(stack, flaky) -> None:
    # The request reached SES but its answer did not come back: SES may have sent the email.
    flaky("ses", "send_email", ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"))
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    assert message["deliveryStatus"] == "UNKNOWN"
    assert message["statusReason"].startswith("SES did not confirm the message, which may have been sent")


def test_a_provider_refusal_is_recorded_as_failed_with_its_reason(stack) -> None:
    import boto3

    # GIVEN an allowed sender whose SES identity is no longer verified
    boto3.client("sesv2", region_name=SETTINGS.ses_region).delete_email_identity(EmailIdentity="support@example.com")
    # WHEN a message is sent from it
    message = send(stack, **EMAIL, **{"from": "support@example.com"})["data"]["sendMessage"]
    # THEN the client and the record say FAILED, with SES's reason
    assert message["deliveryStatus"] == "FAILED"
    assert message["statusReason"].startswith("SES refused the message: MessageRejected")
    assert [r["deliveryStatus"] for r in records(stack)] == ["FAILED"] and sent(stack) == []


# --- The delivery function failing ---------------------------------------------------------


def test_a_crashing_delivery_function_leaves_unknown(stack, replace_delivery_function, caplog) -> None:
    def crash(event, context):
        raise RuntimeError("boom")

    replace_delivery_function(crash)
    message = send(stack, **SMS)["data"]["sendMessage"]
    assert message["deliveryStatus"] == "UNKNOWN"
    # The caller gets a fixed reason; the function's own error goes to the API's log only.
    assert message["statusReason"] == "The delivery function failed, so the message may or may not have been sent"
    assert "deliverMessage Lambda:Unhandled RuntimeError: boom" in caplog.text
    assert [change["status"] for change in message["statusHistory"]] == ["PENDING", "UNKNOWN"]


def test_a_timed_out_delivery_function_that_did_send_leaves_unknown(stack, replace_delivery_function, caplog) -> None:
    # GIVEN a function that hands the email to SES, then hangs past its timeout
    real = stack.executor.data_sources["deliveryFunction"].handler

    def send_then_hang(event, context):
        outcome = real(event, context)
        time.sleep(1.0)
        return outcome

    replace_delivery_function(send_then_hang, timeout_seconds=0.3)
    # WHEN a message is sent
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    # THEN it was sent, and the record does not claim otherwise
    assert message["deliveryStatus"] == "UNKNOWN" and "may or may not have been sent" in message["statusReason"]
    assert "Task timed out after 0.30 seconds" in caplog.text
    assert len(sent(stack)) == 1
    assert_nothing_sent_without_a_record(stack)


def test_an_invocation_the_lambda_service_throttled_is_failed_and_sent_nothing(stack, monkeypatch) -> None:
    class Throttled:
        def invoke(self, request):
            return None, {"type": "Lambda:TooManyRequestsException", "message": "Rate Exceeded."}

    monkeypatch.setitem(stack.executor.data_sources, "deliveryFunction", Throttled())
    message = send(stack, **EMAIL)["data"]["sendMessage"]
    assert message["deliveryStatus"] == "FAILED" and "could not be invoked" in message["statusReason"]
    assert sent(stack) == []


def test_a_retry_after_an_unknown_outcome_sends_nothing(stack, replace_delivery_function) -> None:
    def crash(event, context):
        raise RuntimeError("boom")

    replace_delivery_function(crash)
    first = send(stack, **EMAIL, idempotencyKey="k-1")["data"]["sendMessage"]
    stack.executor.data_sources.pop("deliveryFunction")  # a retry must not even reach delivery
    retry = send(stack, **EMAIL, idempotencyKey="k-1")["data"]["sendMessage"]
    assert (retry["id"], retry["deliveryStatus"]) == (first["id"], "UNKNOWN")


# --- DynamoDB failing at each step -----------------------------------------------------------


def test_dynamodb_failing_before_the_record_stores_and_sends_nothing(stack, fail_dynamodb) -> None:
    fail_dynamodb(is_operation("Query", "CONFIG"))
    response = send(stack, **EMAIL, idempotencyKey="k-2")
    assert response["data"] is None and response["errors"][0]["errorType"] == "ConfigurationUnavailable"
    assert records(stack) == [] and sent(stack) == []


# The steps between the config read and the record (graphql/functions), in the pipeline's order: the key's
# claim, then the recipient's, the client's and the channel's counters. Each one's DynamoDB request, and the error
# the caller gets when that request fails.
LIMITS_UNCHECKED = ("LimitCheckFailed", "The sending limits could not be checked, so the message was not sent")
CHECKS_BEFORE_THE_RECORD = {
    "claimKey": (is_operation("PutItem", "IDEMPOTENCY#"), "RecordFailed", "The idempotency key could not be checked, so the message was not sent"),
    "limitRecipient": (is_operation("UpdateItem", "LIMIT#", "HOUR#"), *LIMITS_UNCHECKED),
    "limitClient": (is_operation("UpdateItem", "LIMIT#CLIENT#"), *LIMITS_UNCHECKED),
    "limitChannel": (is_operation("UpdateItem", "LIMIT#", "MINUTE#"), *LIMITS_UNCHECKED),
}
# Each counter an email counts on, named as `counters` names it.
RECIPIENT_COUNTER = f"LIMIT#LIVE#EMAIL HOUR#{EMAIL['to']}"
CLIENT_COUNTER = "LIMIT#CLIENT#default DAY#LIVE#EMAIL"
CHANNEL_COUNTER = "LIMIT#LIVE#EMAIL#MINUTE MINUTE"
COUNTER_OF_STEP = {"limitRecipient": RECIPIENT_COUNTER, "limitClient": CLIENT_COUNTER, "limitChannel": CHANNEL_COUNTER}


def counters(stack) -> list[tuple[str, int]]:
    """Each counter with its count, named by its key without times and shards: `LIMIT#LIVE#EMAIL#MINUTE MINUTE`,
    `LIMIT#LIVE#EMAIL HOUR#<mailbox>`, `LIMIT#CLIENT#<client> DAY#LIVE#EMAIL`."""
    return sorted((f"{re.sub(r'#[0-9]+', '', str(item['PK']))} {re.sub(r'#[0-9]+', '', str(item['SK']))}", int(item["sends"])) for item in stored(stack, "LIMIT#"))


def counted(stack) -> list[str]:
    """The counters that hold a send: a refused send gives back what it took, leaving its counters at 0."""
    return [name for name, sends in counters(stack) if sends > 0]


@pytest.mark.parametrize("step", list(CHECKS_BEFORE_THE_RECORD))
def test_dynamodb_failing_in_a_check_before_the_record_stores_and_sends_nothing(stack, fail_dynamodb, monkeypatch, caplog, step: str) -> None:
    matches, error_type, message = CHECKS_BEFORE_THE_RECORD[step]
    # GIVEN DynamoDB fails the step's request (the key's claim, or one of the three limit counters)
    failing = fail_dynamodb(matches)
    # WHEN a message with an idempotency key (so that every check runs) is sent
    response = send(stack, **EMAIL, idempotencyKey="k-checks")
    # THEN the step's request was made, once, and failed
    assert len(failing.failures) == 1
    # AND the caller gets the step's fixed error, not DynamoDB's text, which goes to the API's log only
    assert response["data"] is None
    [error] = response["errors"]
    assert (error["errorType"], error["message"]) == (error_type, message)
    assert "injected" not in str(response)
    assert f"{step} DynamoDB:InternalServerError Internal server error (injected)" in caplog.text
    # AND nothing was recorded or sent; the claim and every count taken before the step were given back
    assert records(stack) == [] and stored(stack, "IDEMPOTENCY#") == [] and sent(stack) == []
    assert counted(stack) == []
    # AND once DynamoDB is back, the retry with the same key records and sends once, counted once on each limit
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    assert send(stack, **EMAIL, idempotencyKey="k-checks")["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert len(records(stack)) == 1 and len(stored(stack, "IDEMPOTENCY#")) == 1 and len(sent(stack)) == 1
    assert counters(stack) == sorted((name, 1) for name in COUNTER_OF_STEP.values())


@pytest.mark.parametrize("step", list(COUNTER_OF_STEP))
def test_a_limit_counter_whose_reply_was_lost_refuses_the_send(stack, fail_dynamodb, step: str) -> None:
    matches, error_type, _ = CHECKS_BEFORE_THE_RECORD[step]
    # GIVEN a limit counter's update lands but its reply is lost
    fail_dynamodb(matches, after_write=True)
    # WHEN a message is sent
    response = send(stack, **EMAIL)
    # THEN it is refused: nothing recorded or sent; the counts the pipeline knows it took are given back, and the
    # one whose reply was lost stays counted: the limits err on the side of refusing, never of sending more
    assert response["data"] is None and response["errors"][0]["errorType"] == error_type
    assert records(stack) == [] and sent(stack) == []
    assert counted(stack) == [COUNTER_OF_STEP[step]]


def test_dynamodb_failing_to_claim_the_key_of_a_retry_sends_nothing_more(stack, fail_dynamodb, monkeypatch) -> None:
    # GIVEN a message sent with a key
    original = send(stack, **EMAIL, idempotencyKey="k-retry")["data"]["sendMessage"]
    # WHEN its retry cannot claim or read the key
    failing = fail_dynamodb(is_operation("PutItem", "IDEMPOTENCY#"))
    response = send(stack, **EMAIL, idempotencyKey="k-retry")
    # THEN the retry fails with RecordFailed, and nothing more is recorded or sent
    assert response["data"] is None and response["errors"][0]["errorType"] == "RecordFailed"
    assert [r["id"] for r in records(stack)] == [original["id"]] and len(sent(stack)) == 1
    # AND once DynamoDB is back, the retry returns the original and sends nothing
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    assert send(stack, **EMAIL, idempotencyKey="k-retry")["data"]["sendMessage"]["id"] == original["id"]
    assert len(sent(stack)) == 1


def test_dynamodb_failing_to_record_sends_nothing_and_a_retry_sends_once(stack, fail_dynamodb, monkeypatch) -> None:
    # GIVEN the record's write fails
    failing = fail_dynamodb(is_operation("PutItem", "MESSAGE#"))
    response = send(stack, **EMAIL)
    # THEN the client learns it was not sent, and nothing was stored or sent
    assert response["errors"][0]["errorType"] == "RecordFailed" and failing.failures
    assert records(stack) == [] and sent(stack) == []
    # AND once DynamoDB is back, the retry records and sends once
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    assert send(stack, **EMAIL)["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert len(records(stack)) == 1 and len(sent(stack)) == 1


def test_a_key_whose_record_failed_is_never_sent_twice(stack, fail_dynamodb, monkeypatch) -> None:
    # GIVEN the record's write fails after the key was claimed: whether the write landed is unknown to the pipeline
    failing = fail_dynamodb(is_operation("PutItem", "MESSAGE#"))
    assert send(stack, **EMAIL, idempotencyKey="k-3")["errors"][0]["errorType"] == "RecordFailed"
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    # WHEN the caller retries with the same key at once
    response = send(stack, **EMAIL, idempotencyKey="k-3")
    # THEN the key stays claimed, so the retry can never send a second message: it is told the claim is in
    # flight (docs/api.md), and a new key sends once
    [error] = response["errors"]
    assert error["errorType"] == "IdempotencyKeyInFlight" and error["errorInfo"] == {"field": "input.idempotencyKey", "rule": "inFlight"}
    assert records(stack) == [] and sent(stack) == []
    assert send(stack, **EMAIL, idempotencyKey="k-3b")["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert len(records(stack)) == 1 and len(sent(stack)) == 1


def test_a_record_whose_write_reply_was_lost_is_swept_to_unknown(stack, fail_dynamodb) -> None:
    # GIVEN the record's write lands but its reply is lost
    fail_dynamodb(is_operation("PutItem", "MESSAGE#"), after_write=True)
    response = send(stack, **EMAIL)
    # THEN nothing is sent, and the record left behind is PENDING only until the sweep
    assert response["errors"][0]["errorType"] == "RecordFailed" and sent(stack) == []
    assert [r["deliveryStatus"] for r in records(stack)] == ["PENDING"]
    assert sweep(stack)["changed"] == 1
    [record] = records(stack)
    assert record["deliveryStatus"] == "UNKNOWN" and "never recorded" in record["statusReason"]


def test_dynamodb_failing_to_read_the_original_sends_nothing(stack, fail_dynamodb) -> None:
    original = send(stack, **EMAIL, idempotencyKey="k-4")["data"]["sendMessage"]
    fail_dynamodb(is_operation("GetItem", "MESSAGE#"))
    response = send(stack, **EMAIL, idempotencyKey="k-4")
    assert response["data"] is None and response["errors"][0]["errorType"] == "ReplayFailed"
    assert len(sent(stack)) == 1 and [r["id"] for r in records(stack)] == [original["id"]]


def test_dynamodb_failing_to_record_the_outcome_is_reported_then_swept_then_corrected(stack, fail_dynamodb, monkeypatch) -> None:
    # GIVEN the outcome update fails after SES took the email
    failing = fail_dynamodb(is_operation("UpdateItem", "MESSAGE#"))
    response = send(stack, **EMAIL, idempotencyKey="k-5")
    # THEN the client gets an error that carries the id and the outcome; the record is still PENDING
    [error] = response["errors"]
    assert error["errorType"] == "OutcomeNotRecorded" and error["errorInfo"]["deliveryStatus"] == "ACCEPTED"
    [record] = records(stack)
    assert record["deliveryStatus"] == "PENDING" and record["id"] == error["errorInfo"]["id"] and len(sent(stack)) == 1
    # AND a retry with the key returns that record and sends nothing more
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    retry = send(stack, **EMAIL, idempotencyKey="k-5")["data"]["sendMessage"]
    assert retry["id"] == record["id"] and len(sent(stack)) == 1
    # AND a sweep only takes records older than its threshold, then marks it UNKNOWN with why
    assert sweep(stack, stale_after_seconds=300)["changed"] == 0
    assert sweep(stack)["changed"] == 1
    [record] = records(stack)
    assert record["deliveryStatus"] == "UNKNOWN"
    # AND the next sweep does not take it again: each stretch of time is swept once
    assert sweep(stack) == {"changed": 0, "unchanged": 0, "unmatched": 0, "ignored": 0}
    # AND SES's own delivery report still moves it on
    stack.reporter.report({"to": EMAIL["to"], "messageId": record["id"], "event": "DELIVERY"})
    assert [change["status"] for change in records(stack)[0]["statusHistory"]] == ["PENDING", "UNKNOWN", "DELIVERED"]


def test_an_sms_whose_outcome_was_not_recorded_still_gets_its_carriers_report(stack, fail_dynamodb, monkeypatch) -> None:
    # GIVEN the pipeline's outcome update fails after SNS took the SMS
    failing = fail_dynamodb(is_operation("UpdateItem", "MESSAGE#"))
    assert send(stack, **SMS)["errors"][0]["errorType"] == "OutcomeNotRecorded"
    monkeypatch.setitem(stack.executor.data_sources, "messagesTable", failing.inner)
    # THEN the delivery function had put SNS's id on the record itself, so the carrier's report finds it
    [record] = records(stack)
    assert record["deliveryStatus"] == "PENDING" and record["providerMessageId"] == sent(stack)[0]["providerMessageId"]
    assert_nothing_sent_without_a_record(stack)
    stack.reporter.report({"to": SMS["to"], "messageId": record["id"], "event": "SMS_SUCCESS"})
    assert records(stack)[0]["deliveryStatus"] == "DELIVERED"


def test_a_settled_message_is_never_swept(stack) -> None:
    send(stack, **EMAIL)
    assert sweep(stack) == {"changed": 0, "unchanged": 0, "unmatched": 0, "ignored": 0}
    assert records(stack)[0]["deliveryStatus"] == "ACCEPTED"


def test_ses_and_sns_are_called_in_their_own_regions(stack) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    send(stack, **EMAIL)
    send(stack, **SMS)
    assert len(ses_backends[DEFAULT_ACCOUNT_ID][SETTINGS.ses_region].sent_messages) == 1
    assert len(sns_backends[DEFAULT_ACCOUNT_ID][SETTINGS.sns_region].sms_messages) == 1
    assert len(sns_backends[DEFAULT_ACCOUNT_ID][SETTINGS.ses_region].sms_messages) == 0
