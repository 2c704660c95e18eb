"""The sendMessage pipeline functions, one handler at a time."""

from __future__ import annotations

import pytest

from tests.resolvers.conftest import Run, validate_input

EMAIL = {"to": "alice@example.com", "body": "Hello world", "deliveryMethod": "EMAIL"}
SMS = {"to": "+14155550100", "body": "Hello world", "deliveryMethod": "SMS"}


def validate(run: Run, message_input: dict):
    return validate_input(run, "sendMessage", {"input": message_input})


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (" Alice@Example.COM ", "alice@example.com"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44.20.7946.0958", "+442079460958"),
    ],
)
def test_recipient_is_canonical_however_typed(run: Run, typed: str, canonical: str) -> None:
    outcome = validate(run, {**(EMAIL if "@" in typed else SMS), "to": typed})
    assert (outcome.stash["recipient"], outcome.value["payload"]["to"]) == (canonical, canonical)


def test_filter_recipient_is_normalised_the_same_way(run: Run) -> None:
    outcome = validate_input(run, "getMessages", {"filter": {"to": "ALICE@example.com"}})
    assert outcome.value == {"payload": "alice@example.com"}
    assert outcome.stash["recipient"] == "alice@example.com"


def test_the_recipient_to_erase_is_normalised_the_same_way(run: Run) -> None:
    outcome = validate_input(run, "eraseRecipient", {"to": " +1 (415) 555-0100 "})
    assert outcome.value == {"payload": "+14155550100"}
    assert outcome.stash["recipient"] == "+14155550100"


def test_a_sender_filter_leaves_no_recipient(run: Run) -> None:
    outcome = validate_input(run, "getMessages", {"filter": {"senderId": "shop-1"}})
    assert outcome.value == {"payload": None} and "recipient" not in outcome.stash


def test_only_sendmessage_keeps_the_record_in_the_stash(run: Run) -> None:
    # The NONE data source hands the payload back as the result.
    record = {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1"}
    sent = run("function:validateInput", "response", result=record, info={"fieldName": "sendMessage"})
    read = run("function:validateInput", "response", result="a@b.co", info={"fieldName": "getMessages"})
    assert (sent.value, sent.stash["message"]) == (record, record)
    assert read.value == "a@b.co" and "message" not in read.stash


def test_a_field_without_input_rules_is_a_code_error(run: Run) -> None:
    outcome = validate_input(run, "messageEvents", {"after": None})
    assert outcome.kind == "error" and outcome.error["errorType"] == "Code"


def test_a_valid_email_becomes_a_pending_record_with_defaults(run: Run, clock) -> None:
    # GIVEN an email with no subject and no sender
    # WHEN it is validated
    outcome = validate(run, EMAIL)
    # THEN the record to store has its keys, the default sender and subject, and PENDING
    message = outcome.value["payload"]
    assert outcome.kind == "value"
    assert message["PK"] == "MESSAGE#alice@example.com"
    assert message["SK"] == message["id"] and message["id"].startswith("MESSAGE#") and len(message["id"]) == 34
    assert (message["from"], message["subject"], message["deliveryStatus"]) == ("no-reply@example.com", "Message", "PENDING")
    assert message["createdAt"] == message["updatedAt"] == "2026-11-18T11:06:40.000Z"
    assert "senderId" not in message and "recipientId" not in message and "senderKey" not in message
    assert message["statusHistory"] == [{"status": "PENDING", "reason": message["statusReason"], "at": message["createdAt"]}]


def test_a_sender_puts_the_message_in_the_sparse_sender_index(run: Run) -> None:
    message = validate(run, {**EMAIL, "senderId": "shop-1"}).value["payload"]
    assert (message["senderId"], message["senderKey"]) == ("shop-1", "SENDER#shop-1")


def test_an_allowed_sender_is_accepted_case_insensitively(run: Run) -> None:
    # Sent as configured: SES identities, and the IAM ARNs naming them, keep their case.
    outcome = validate(run, {**EMAIL, "from": "billing@example.com"})
    assert outcome.value["payload"]["from"] == "Billing@Example.com"


def test_an_sms_has_no_subject_and_may_carry_an_allowed_sender_id(run: Run) -> None:
    message = validate(run, {**SMS, "from": "Messenger"}).value["payload"]
    assert message["from"] == "Messenger" and "subject" not in message


@pytest.mark.parametrize(
    ("message_input", "field", "rule"),
    [
        ({**EMAIL, "to": "not-an-address"}, "input.to", "email"),
        ({**EMAIL, "to": "alice@example"}, "input.to", "email"),
        ({**EMAIL, "to": "a..b@example.com"}, "input.to", "email"),
        ({**EMAIL, "to": "   "}, "input.to", "required"),
        ({**SMS, "to": "4155550100"}, "input.to", "e164"),
        ({**SMS, "to": "+1 415 555 0100 999 999"}, "input.to", "e164"),
        ({**SMS, "to": "+0123456789"}, "input.to", "e164"),
        ({**EMAIL, "body": ""}, "input.body", "notBlank"),
        ({**EMAIL, "body": " \n\t "}, "input.body", "notBlank"),
        ({**SMS, "body": "x" * 1601}, "input.body", "maxLength"),
        ({**EMAIL, "body": "x" * (256 * 1024 + 1)}, "input.body", "maxBytes"),
        ({**EMAIL, "body": "é" * (128 * 1024 + 1)}, "input.body", "maxBytes"),
        ({**EMAIL, "body": "bell\u0007"}, "input.body", "noControlCharacters"),
        ({**SMS, "subject": "Hi"}, "input.subject", "emailOnly"),
        ({**EMAIL, "subject": "Hi\r\nBcc: x@example.com"}, "input.subject", "noControlCharacters"),
        ({**EMAIL, "subject": "x" * 257}, "input.subject", "maxLength"),
        ({**EMAIL, "from": "ceo@example.com"}, "input.from", "allowedSender"),
        ({**SMS, "from": "Bank"}, "input.from", "allowedSender"),
        ({**SMS, "from": "Not a sender id"}, "input.from", "smsSenderId"),
        ({**SMS, "from": "12345678"}, "input.from", "smsSenderId"),
        ({**EMAIL, "senderId": ""}, "input.senderId", "notBlank"),
        ({**EMAIL, "recipientId": "x" * 257}, "input.recipientId", "maxLength"),
        ({**EMAIL, "idempotencyKey": ""}, "input.idempotencyKey", "format"),
        ({**EMAIL, "idempotencyKey": "has space"}, "input.idempotencyKey", "format"),
        ({**EMAIL, "idempotencyKey": "k" * 129}, "input.idempotencyKey", "format"),
        ({**EMAIL, "idempotencyKey": "clé"}, "input.idempotencyKey", "format"),
    ],
)
def test_bad_input_is_a_validation_error_naming_field_and_rule(run: Run, message_input: dict, field: str, rule: str) -> None:
    outcome = validate(run, message_input)
    assert outcome.kind == "error"
    assert outcome.error["errorType"] == "ValidationError"
    assert outcome.error["errorInfo"] == {"field": field, "rule": rule}
    assert outcome.error["message"].startswith(f"{field}: ")


def test_limits_are_inclusive(run: Run) -> None:
    assert validate(run, {**SMS, "body": "x" * 1600}).kind == "value"
    assert validate(run, {**EMAIL, "body": "x" * (256 * 1024)}).kind == "value"


def test_record_is_written_only_if_new(run: Run) -> None:
    record = {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1", "id": "MESSAGE#1", "body": "x"}
    request = run("function:recordMessage", "request", prev={"result": record}).value
    assert request["operation"] == "PutItem"
    assert request["key"] == {"PK": {"S": "MESSAGE#a@b.co"}, "SK": {"S": "MESSAGE#1"}}
    assert "PK" not in request["attributeValues"]
    assert request["condition"]["expression"] == "(attribute_not_exists(#PK))"


def test_a_failed_record_stops_the_pipeline_before_delivery(run: Run) -> None:
    outcome = run("function:recordMessage", "response", error={"type": "DynamoDB:ProvisionedThroughputExceededException", "message": "slow down"})
    assert outcome.kind == "error" and outcome.error["errorType"] == "RecordFailed"


def test_delivery_gets_only_what_it_needs(run: Run) -> None:
    record = {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1", "id": "MESSAGE#1", "to": "a@b.co", "body": "x", "deliveryMethod": "EMAIL", "from": "f@b.co", "subject": "s", "createdAt": "t"}
    request = run("function:deliverMessage", "request", prev={"result": record}).value
    assert request == {
        "operation": "Invoke",
        "payload": {
            "message": {"id": "MESSAGE#1", "to": "a@b.co", "from": "f@b.co", "subject": "s", "body": "x", "deliveryMethod": "EMAIL", "key": {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1"}},
            "mode": "LIVE",
        },
    }


def test_a_failed_invocation_is_an_unknown_outcome(run: Run) -> None:
    # A timeout may strike after the provider took the message: FAILED would claim too much.
    outcome = run("function:deliverMessage", "response", error={"type": "Lambda:Unhandled", "message": "Task timed out"})
    assert outcome.value == {"deliveryStatus": "UNKNOWN", "statusReason": "The delivery function failed, so the message may or may not have been sent"}


@pytest.mark.parametrize("error_type", ["Lambda:TooManyRequestsException", "Lambda:ResourceNotFoundException", "Lambda:AccessDeniedException"])
def test_an_invocation_the_lambda_service_refused_sent_nothing(run: Run, error_type: str) -> None:
    outcome = run("function:deliverMessage", "response", error={"type": error_type, "message": "Rate Exceeded."})
    assert outcome.value == {"deliveryStatus": "FAILED", "statusReason": "The delivery function could not be invoked, so nothing was sent"}


def test_outcome_update_only_moves_a_pending_record(run: Run) -> None:
    request = run(
        "function:recordOutcome",
        "request",
        stash={"message": {"PK": "MESSAGE#+14155550100", "SK": "MESSAGE#1", "deliveryMethod": "SMS"}},
        prev={"result": {"deliveryStatus": "ACCEPTED", "statusReason": "ok", "providerMessageId": "p-1"}},
    ).value
    assert request["operation"] == "UpdateItem"
    assert request["condition"]["expression"] == "(#deliveryStatus = :deliveryStatus_eq)"
    assert request["condition"]["expressionValues"] == {":deliveryStatus_eq": {"S": "PENDING"}}
    assert set(request["update"]["expressionNames"].values()) == {"deliveryStatus", "statusReason", "statusHistory", "providerMessageId", "updatedAt"}
    assert "list_append(#expName_3, :expValue_3)" in request["update"]["expression"]
    assert request["update"]["expressionValues"][":expValue_3"]["L"][0]["M"]["status"] == {"S": "ACCEPTED"}


def test_an_emails_provider_id_is_kept_out_of_the_index(run: Run) -> None:
    # GIVEN SES accepted an email (its events find the record by the email's tags, not by this id)
    request = run(
        "function:recordOutcome",
        "request",
        stash={"message": {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1", "deliveryMethod": "EMAIL"}},
        prev={"result": {"deliveryStatus": "ACCEPTED", "statusReason": "ok", "providerMessageId": "ses-1"}},
    ).value
    # THEN SES's id is kept under an unindexed name: no byProviderMessageId write for an email
    names = request["update"]["expressionNames"].values()
    assert "sesMessageId" in names and "providerMessageId" not in names
    assert {"S": "ses-1"} in request["update"]["expressionValues"].values()


def test_a_failed_outcome_sets_no_provider_message_id(run: Run) -> None:
    # The byProviderMessageId index refuses a NULL key, so the attribute is left out.
    request = run(
        "function:recordOutcome",
        "request",
        stash={"message": {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1"}},
        prev={"result": {"deliveryStatus": "FAILED", "statusReason": "refused"}},
    ).value
    assert "providerMessageId" not in request["update"]["expressionNames"].values()


@pytest.mark.parametrize(
    ("error_type", "current", "expected"),
    [
        # The status handler recorded DELIVERED first: the later status stands, no error.
        ("DynamoDB:ConditionalCheckFailedException", {"deliveryStatus": "DELIVERED"}, ("value", "DELIVERED")),
        # The update itself failed: an error that carries the id and the outcome.
        ("DynamoDB:ProvisionedThroughputExceededException", None, ("error", "OutcomeNotRecorded")),
    ],
)
def test_an_outcome_update_that_fails(run: Run, error_type: str, current: dict | None, expected: tuple) -> None:
    outcome = run(
        "function:recordOutcome",
        "response",
        stash={"message": {"id": "MESSAGE#1"}},
        prev={"result": {"deliveryStatus": "ACCEPTED", "statusReason": "ok"}},
        error={"type": error_type, "message": "refused"},
        result=current,
    )
    assert (outcome.kind, outcome.value["deliveryStatus"] if outcome.value else outcome.error["errorType"]) == expected
    if outcome.kind == "error":
        assert outcome.error["errorInfo"] == {"id": "MESSAGE#1", "deliveryStatus": "ACCEPTED"}


@pytest.mark.parametrize("method", ["EMAIL", "SMS"])
def test_a_paused_channel_records_failed_with_a_fixed_reason_and_invokes_nothing(run: Run, method: str) -> None:
    message = {"id": "MESSAGE#1", "to": "x", "body": "b", "deliveryMethod": method}
    channels = {method: {"paused": True, "reason": "alarm dev-messenger-ses-bounce-critical", "since": "2026-11-29T00:00:00.000Z"}}
    outcome = run("function:deliverMessage", "request", prev={"result": message}, stash={"channels": channels})
    assert outcome.kind == "earlyReturn" and outcome.skip_to is None
    # The pause's reason (an alarm's name, an operator's words) stays with the operators: callers see it fixed.
    assert outcome.value == {"deliveryStatus": "FAILED", "statusReason": f"{method} sending is paused"}
    other = run("function:deliverMessage", "request", prev={"result": {**message, "deliveryMethod": "SMS" if method == "EMAIL" else "EMAIL"}}, stash={"channels": channels})
    assert other.kind == "value" and other.value["operation"] == "Invoke"
