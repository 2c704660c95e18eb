"""Who is calling, the keys that belong to them, and the limits a send counts against, one handler at a time."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.resolvers.conftest import CONFIG, DEFAULT_CALLER, Run

CLIENT_ID = "01JCLIENTAAAAAAAAAAAAAAAAA"
CLIENT_CALLER = {"clientId": CLIENT_ID, "mode": "LIVE", "scope": f"SCOPE#{CLIENT_ID}#LIVE#"}
RECORD = {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#1", "id": "MESSAGE#1", "to": "a@b.co", "body": "x", "deliveryMethod": "EMAIL", "createdAt": "2026-11-18T11:06:40.000Z"}
CONDITION_FAILED = {"type": "DynamoDB:ConditionalCheckFailedException", "message": "The conditional request failed"}


def identify(run: Run, field: str, identity: dict | None, items: list[dict] | None = None, args: dict | None = None):
    """identifyCaller's request, and its response when the request read the CONFIG partition."""
    info = {"fieldName": field, "parentTypeName": "Mutation" if field == "sendMessage" else "Query"}
    arguments = args if args is not None else ({"input": {"deliveryMethod": "EMAIL"}} if field == "sendMessage" else {})
    request = run("function:identifyCaller", "request", args=arguments, identity=identity, info=info, stash={"caller": None}, prev={"result": {"kept": True}})
    if request.kind != "value" or items is None:
        return request
    return run(
        "function:identifyCaller", "response", args=arguments, identity=identity, info=info, stash=request.stash, result={"items": items}, prev={"result": {"kept": True}}
    )


CONFIG_ITEMS = [{**CONFIG, "iamClients": {"arn:aws:sts::123456789012:assumed-role/shop-backend/": CLIENT_ID, "arn:aws:iam::123456789012:user/ci": "ci"}}]


def test_the_api_key_is_the_default_clients_live_key_whose_records_have_no_scope(run: Run) -> None:
    outcome = identify(run, "getMessages", None)
    assert outcome.kind == "earlyReturn" and outcome.stash["caller"] == DEFAULT_CALLER


@pytest.mark.parametrize("mode", ["LIVE", "TEST"])
def test_a_clients_key_scopes_every_key_by_client_and_mode(run: Run, mode: str) -> None:
    outcome = identify(run, "getMessages", {"resolverContext": {"clientId": CLIENT_ID, "keyId": "k", "mode": mode}})
    assert outcome.stash["caller"] == {"clientId": CLIENT_ID, "mode": mode, "scope": f"SCOPE#{CLIENT_ID}#{mode}#"}


def test_the_default_clients_test_key_has_a_scope_of_its_own(run: Run) -> None:
    outcome = identify(run, "getMessages", {"resolverContext": {"clientId": "default", "keyId": "k", "mode": "TEST"}})
    assert outcome.stash["caller"]["scope"] == "SCOPE#default#TEST#"


@pytest.mark.parametrize("context", [{}, {"clientId": CLIENT_ID}, {"clientId": CLIENT_ID, "mode": "PROD"}, {"mode": "LIVE"}])
def test_an_authorization_without_a_client_and_mode_is_refused(run: Run, context: dict) -> None:
    outcome = identify(run, "getMessages", {"resolverContext": context})
    assert outcome.kind == "error" and outcome.error["errorType"] == "Unauthorized"
    assert outcome.error["message"] == "Not Authorized to access getMessages on type Query"


def test_an_emails_sendmessage_reads_the_config_in_one_eventually_consistent_query_without_the_sms_numbering(run: Run) -> None:
    request = identify(run, "sendMessage", None, args={"input": {"deliveryMethod": "EMAIL"}})
    assert request.kind == "value" and request.value["operation"] == "Query" and not request.value.get("consistentRead")
    assert request.value["query"]["expressionValues"] == {
        ":PK_eq": {"S": "CONFIG"},
        ":SK_between_start": {"S": "CHANNELS"},
        ":SK_between_end": {"S": "DELIVERY"},
    }
    channels = {"PK": "CONFIG", "SK": "CHANNELS", "SMS": {"paused": True, "reason": "spend"}}
    outcome = identify(run, "sendMessage", None, [channels, CONFIG], args={"input": {"deliveryMethod": "EMAIL"}})
    assert outcome.stash["config"] == CONFIG
    assert outcome.stash["channels"] == channels and outcome.value == {"kept": True}


def test_an_sms_reads_the_countries_and_their_numbering_too(run: Run) -> None:
    request = identify(run, "sendMessage", None, args={"input": {"deliveryMethod": "SMS"}})
    assert request.value["query"]["expressionValues"] == {":PK_eq": {"S": "CONFIG"}, ":SK_le": {"S": "SMS"}}
    sms = {"PK": "CONFIG", "SK": "SMS", "smsAllowedCountries": ["US"], "smsNumbering": {"1": "[]"}}
    outcome = identify(run, "sendMessage", None, [CONFIG, sms], args={"input": {"deliveryMethod": "SMS"}})
    assert outcome.stash["config"]["smsAllowedCountries"] == ["US"] and outcome.stash["config"]["smsNumbering"] == {"1": "[]"}
    assert outcome.stash["config"]["defaultEmailFrom"] == CONFIG["defaultEmailFrom"]


def test_a_missing_config_item_stops_the_send(run: Run) -> None:
    outcome = identify(run, "sendMessage", None, [])
    assert outcome.kind == "error" and outcome.error["errorType"] == "ConfigurationMissing"


@pytest.mark.parametrize(
    ("user_arn", "client_id"),
    [
        ("arn:aws:sts::123456789012:assumed-role/shop-backend/i-0abc", CLIENT_ID),
        ("arn:aws:iam::123456789012:user/ci", "ci"),
    ],
)
def test_an_iam_caller_acts_as_the_client_its_role_or_user_is_mapped_to(run: Run, user_arn: str, client_id: str) -> None:
    outcome = identify(run, "getMessages", {"userArn": user_arn, "accountId": "123456789012"}, CONFIG_ITEMS)
    assert outcome.kind == "value" and outcome.stash["caller"] == {"clientId": client_id, "mode": "LIVE", "scope": f"SCOPE#{client_id}#LIVE#"}


@pytest.mark.parametrize(
    "user_arn",
    [
        "arn:aws:sts::123456789012:assumed-role/shop-backend-2/i-0abc",  # another role whose name starts the same
        "arn:aws:sts::999999999999:assumed-role/shop-backend/i-0abc",  # the same name in another account
        "arn:aws:iam::123456789012:user/ci-2",
    ],
)
def test_an_unmapped_iam_caller_may_not_use_the_clients_fields(run: Run, user_arn: str) -> None:
    outcome = identify(run, "sendMessage", {"userArn": user_arn, "accountId": "123456789012"}, CONFIG_ITEMS)
    assert outcome.kind == "error" and outcome.error["errorType"] == "Unauthorized"


def test_the_client_is_read_and_a_missing_one_sends_nothing(run: Run) -> None:
    request = run("function:loadClient", "request", stash={"caller": CLIENT_CALLER}).value
    assert request == {"operation": "GetItem", "key": {"PK": {"S": "CLIENTS"}, "SK": {"S": f"CLIENT#{CLIENT_ID}"}}}
    missing = run("function:loadClient", "response", result=None)
    assert missing.kind == "error" and missing.error["errorType"] == "ClientNotFound"


def test_an_idempotency_key_is_claimed_for_the_message_before_any_limit(run: Run, clock) -> None:
    # GIVEN a validated message with an idempotency key, from a client
    record = {**RECORD, "senderId": "shop-1", "idempotencyKey": "order-42"}
    # WHEN its key is claimed
    outcome = run("function:claimKey", "request", prev={"result": record}, stash={"caller": CLIENT_CALLER})
    # THEN the claim is a conditional write naming the message, keyed by the client's scope, sender and key
    request = outcome.value
    now = clock.fixed_millis // 1000
    assert request["operation"] == "PutItem"
    assert request["key"] == {"PK": {"S": f"SCOPE#{CLIENT_ID}#LIVE#IDEMPOTENCY#c2hvcC0x#order-42"}, "SK": {"S": "IDEMPOTENCY"}}
    assert request["attributeValues"] == {"messagePK": {"S": "MESSAGE#a@b.co"}, "messageSK": {"S": "MESSAGE#1"}, "claimedAt": {"N": now}, "expiresAt": {"N": now + 86400}}
    assert request["condition"]["expression"] == "((attribute_not_exists(#PK)) OR (#expiresAt < :or_1_expiresAt_lt))"
    taken = run("function:claimKey", "response", prev={"result": record}, stash=outcome.stash, result=request)
    assert taken.stash["claim"]["taken"] is True and "original" not in taken.stash


def test_the_default_clients_claims_keep_their_key(run: Run) -> None:
    record = {**RECORD, "senderId": "shop-1", "idempotencyKey": "order-42"}
    request = run("function:claimKey", "request", prev={"result": record}).value
    assert request["key"]["PK"] == {"S": "IDEMPOTENCY#c2hvcC0x#order-42"}


def test_a_claimed_key_makes_this_request_a_replay_with_nothing_to_give_back(run: Run) -> None:
    record = {**RECORD, "idempotencyKey": "order-42"}
    outcome = run("function:claimKey", "request", prev={"result": record})
    held = {"PK": "IDEMPOTENCY##order-42", "SK": "IDEMPOTENCY", "messagePK": "MESSAGE#a@b.co", "messageSK": "MESSAGE#0", "claimedAt": 1}
    replay = run("function:claimKey", "response", prev={"result": record}, stash=outcome.stash, error=CONDITION_FAILED, result=held)
    assert replay.kind == "value" and replay.stash["original"] == {"key": {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#0"}, "claimedAt": 1}
    assert replay.stash["claim"] is None


def test_keys_are_scoped_by_sender(run: Run) -> None:
    def claim_of(sender_id: str, key: str) -> str:
        record = {**RECORD, "senderId": sender_id, "idempotencyKey": key}
        return run("function:claimKey", "request", prev={"result": record}).value["key"]["PK"]["S"]

    assert claim_of("shop-1", "order-42") == "IDEMPOTENCY#c2hvcC0x#order-42"
    # A '#' in either part cannot make two different pairs share a claim.
    assert claim_of("a#b", "c") != claim_of("a", "b#c")


@pytest.mark.parametrize("function", ["limitRecipient", "limitClient", "limitChannel"])
def test_a_replay_or_an_earlier_refusal_counts_against_no_limit(run: Run, function: str) -> None:
    stashes: list[dict[str, Any]] = [{"original": {"key": {}}}, {"refusal": {"message": "m"}}]
    for stash in stashes:
        outcome = run(f"function:{function}", "request", prev={"result": RECORD}, stash={"mailbox": "a@b.co", **stash})
        assert outcome.kind == "earlyReturn" and outcome.value == RECORD


def limit_request(run: Run, function: str, caller: dict = DEFAULT_CALLER):
    return run(f"function:{function}", "request", prev={"result": RECORD}, stash={"mailbox": "a@b.co", "caller": caller})


def test_a_recipients_counter_is_on_the_mailbox_in_its_shard_by_hour_with_the_records_time(run: Run) -> None:
    request = limit_request(run, "limitRecipient").value
    partition, sort = request["key"]["PK"]["S"], request["key"]["SK"]["S"]
    hour = sort.split("#")[1]
    assert partition.startswith("LIMIT#LIVE#EMAIL#") and 0 <= int(partition.rsplit("#", 1)[1]) < 16
    assert sort == f"HOUR#{hour}#a@b.co" and int(hour) % 3600 == 0
    update = request["update"]
    assert "#firstSentAt = if_not_exists(#firstSentAt, :sentAt)" in update["expression"] and "#lastSentAt = :sentAt" in update["expression"]
    assert update["expressionValues"][":sentAt"] == {"S": RECORD["createdAt"]}
    # AND it records which clients sent, so the sweep reads their scopes
    assert "ADD #sends :one, #clients :client" in update["expression"] and update["expressionValues"][":client"] == {"SS": ["default"]}


def test_one_mailbox_always_counts_in_the_same_shard_and_mailboxes_spread(run: Run) -> None:
    def shard(mailbox: str) -> str:
        request = run("function:limitRecipient", "request", prev={"result": RECORD}, stash={"mailbox": mailbox, "caller": DEFAULT_CALLER}).value
        partition: str = request["key"]["PK"]["S"]
        return partition

    assert shard("a@b.co") == shard("a@b.co")
    assert len({shard(f"person{n}@example.com") for n in range(200)}) == 16


def test_a_test_keys_sends_count_apart_from_live_ones(run: Run) -> None:
    test_caller = {**CLIENT_CALLER, "mode": "TEST"}
    for function in ("limitRecipient", "limitClient", "limitChannel"):
        live = limit_request(run, function, CLIENT_CALLER).value["key"]
        test = limit_request(run, function, test_caller).value["key"]
        assert live != test


def test_a_clients_day_is_counted_against_its_own_limit(run: Run, clock) -> None:
    request = limit_request(run, "limitClient", CLIENT_CALLER).value
    now = clock.fixed_millis // 1000
    day = now - now % 86400
    assert request["key"] == {"PK": {"S": f"LIMIT#CLIENT#{CLIENT_ID}"}, "SK": {"S": f"DAY#{day}#LIVE#EMAIL"}}
    assert request["condition"]["expressionValues"][":limit"] == {"N": 1000}


def test_a_ceiling_beyond_one_counters_capacity_is_split_over_shards_that_never_add_up_to_more(run: Run) -> None:
    limits = cast(dict[str, Any], CONFIG["limits"])
    config = {**CONFIG, "limits": {**limits, "emailPerMinute": 100_001}}
    requests = [run("function:limitChannel", "request", prev={"result": RECORD}, stash={"config": config}).value for _ in range(60)]
    shards = {request["key"]["PK"]["S"] for request in requests}
    assert shards == {f"LIMIT#LIVE#EMAIL#MINUTE#{n}" for n in range(4)}
    per_shard = {request["condition"]["expressionValues"][":ceiling"]["N"] for request in requests}
    assert per_shard == {25_000} and 4 * 25_000 <= 100_001
    small = limit_request(run, "limitChannel").value
    assert small["key"]["PK"]["S"] == "LIMIT#LIVE#EMAIL#MINUTE#0" and small["condition"]["expressionValues"][":ceiling"] == {"N": 1000}


def test_a_ceiling_of_zero_is_none_and_writes_no_counter(run: Run) -> None:
    # GIVEN email's default: no stack-wide ceiling (0), and SMS's ceiling kept
    limits = cast(dict[str, Any], CONFIG["limits"])
    config = {**CONFIG, "limits": {**limits, "emailPerMinute": 0}}
    # WHEN limitChannel runs for an email
    outcome = run("function:limitChannel", "request", prev={"result": RECORD}, stash={"config": config})
    # THEN it returns the message as it came, with no request to DynamoDB and nothing pending or refused
    assert outcome.kind == "earlyReturn" and outcome.value == RECORD
    assert "pendingLimit" not in outcome.stash and "refusal" not in outcome.stash
    # AND a ceiling of 1 still counts (0 is none, not "closed")
    one = run("function:limitChannel", "request", prev={"result": RECORD}, stash={"config": {**config, "limits": {**limits, "emailPerMinute": 1}}})
    assert one.kind == "value" and one.value["condition"]["expressionValues"][":ceiling"] == {"N": 1}


@pytest.mark.parametrize(("function", "limit"), [("limitRecipient", "recipientPerHour"), ("limitClient", "clientPerDay"), ("limitChannel", "channelPerMinute")])
def test_a_refusal_is_kept_for_recordmessage_and_taken_counters_are_remembered(run: Run, function: str, limit: str) -> None:
    request = limit_request(run, function)
    taken = run(f"function:{function}", "response", prev={"result": RECORD}, stash={**request.stash, "taken": [{"PK": "earlier"}]}, result={})
    assert taken.stash["taken"] == [{"PK": "earlier"}, request.stash["pendingLimit"]["key"]] and "refusal" not in taken.stash
    refused = run(f"function:{function}", "response", prev={"result": RECORD}, stash=request.stash, error=CONDITION_FAILED, result={})
    assert refused.kind == "value" and refused.stash["refusal"]["errorInfo"]["limit"] == limit
    assert refused.stash["refusal"]["errorInfo"]["retryAfterSeconds"] > 0


def test_a_refused_send_gives_back_its_counts_and_its_claim_in_one_transaction(run: Run) -> None:
    stash = {
        "refusal": {"message": "no", "errorInfo": {"limit": "clientPerDay", "retryAfterSeconds": 5}},
        "taken": [{"PK": "LIMIT#LIVE#EMAIL#3", "SK": "HOUR#0#a@b.co"}],
        "claim": {"key": {"PK": "IDEMPOTENCY##k", "SK": "IDEMPOTENCY"}, "taken": True},
    }
    request = run("function:recordMessage", "request", prev={"result": RECORD}, stash=stash).value
    assert request["operation"] == "TransactWriteItems"
    counter, claim = request["transactItems"]
    assert (counter["operation"], counter["key"], counter["table"]) == ("UpdateItem", {"PK": {"S": "LIMIT#LIVE#EMAIL#3"}, "SK": {"S": "HOUR#0#a@b.co"}}, "local-messages")
    assert counter["update"]["expression"] == "SET #expName_1 = #expName_1 - :expValue_1" and counter["condition"]["expression"] == "(attribute_exists(#sends))"
    assert (claim["operation"], claim["key"]) == ("DeleteItem", {"PK": {"S": "IDEMPOTENCY##k"}, "SK": {"S": "IDEMPOTENCY"}})
    answer = run("function:recordMessage", "response", stash=stash, result={})
    assert answer.kind == "error" and answer.error["errorType"] == "RateLimited" and answer.error["errorInfo"] == {"limit": "clientPerDay", "retryAfterSeconds": 5}


def test_a_send_refused_by_its_first_limit_has_nothing_to_give_back(run: Run) -> None:
    stash = {"refusal": {"message": "no", "errorInfo": {"limit": "recipientPerHour", "retryAfterSeconds": 5}}}
    outcome = run("function:recordMessage", "request", prev={"result": RECORD}, stash=stash)
    assert outcome.kind == "error" and outcome.error["errorType"] == "RateLimited"


def test_a_limit_that_could_not_be_checked_sends_nothing(run: Run) -> None:
    request = limit_request(run, "limitClient")
    failed = run("function:limitClient", "response", prev={"result": RECORD}, stash=request.stash, error={"type": "DynamoDB:InternalServerError", "message": "x"}, result=None)
    outcome = run("function:recordMessage", "request", prev={"result": RECORD}, stash=failed.stash)
    assert outcome.kind == "error" and outcome.error["errorType"] == "LimitCheckFailed"


def test_record_is_written_only_if_new(run: Run) -> None:
    request = run("function:recordMessage", "request", prev={"result": RECORD}).value
    assert request["operation"] == "PutItem" and request["key"] == {"PK": {"S": "MESSAGE#a@b.co"}, "SK": {"S": "MESSAGE#1"}}
    assert "PK" not in request["attributeValues"] and request["condition"]["expression"] == "(attribute_not_exists(#PK))"


ORIGINAL = {**RECORD, "id": "MESSAGE#0", "SK": "MESSAGE#0", "from": "f@b.co", "subject": "Message", "deliveryStatus": "ACCEPTED"}
REPLAY = {"original": {"key": {"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#0"}, "claimedAt": 1_795_000_000 - 5}}


def test_a_replay_reads_the_original_and_skips_delivery(run: Run) -> None:
    request = run("function:recordMessage", "request", prev={"result": RECORD}, stash=REPLAY).value
    assert request == {"operation": "GetItem", "key": {"PK": {"S": "MESSAGE#a@b.co"}, "SK": {"S": "MESSAGE#0"}}, "consistentRead": True}
    attempted = {**ORIGINAL, "id": "MESSAGE#1", "SK": "MESSAGE#1", "deliveryStatus": "PENDING"}
    outcome = run("function:recordMessage", "response", result=ORIGINAL, stash={**REPLAY, "message": attempted})
    assert outcome.value == ORIGINAL and outcome.stash["replayed"] is True
    skipped = run("function:deliverMessage", "request", prev={"result": ORIGINAL}, stash={"replayed": True})
    assert (skipped.kind, skipped.skip_to, skipped.value) == ("earlyReturn", "END", ORIGINAL)


@pytest.mark.parametrize("change", [{"body": "y"}, {"to": "b@b.co"}, {"subject": "Other"}, {"senderId": "shop-2"}, {"deliveryMethod": "SMS"}])
def test_a_different_input_under_a_used_key_is_an_error(run: Run, change: dict) -> None:
    attempted = {**ORIGINAL, "id": "MESSAGE#1", **change}
    outcome = run("function:recordMessage", "response", result=ORIGINAL, stash={**REPLAY, "message": attempted})
    assert outcome.kind == "error" and outcome.error["errorInfo"] == {"field": "input.idempotencyKey", "rule": "sameInput"}
    assert f"({next(iter(change))} differ)" in outcome.error["message"]


def test_a_key_whose_message_is_not_recorded_yet_is_in_flight_then_failed(run: Run) -> None:
    in_flight = run("function:recordMessage", "response", result=None, stash={**REPLAY, "message": RECORD})
    assert in_flight.kind == "error" and in_flight.error["errorType"] == "IdempotencyKeyInFlight"
    stale = {"original": {**REPLAY["original"], "claimedAt": 1_795_000_000 - 31}}
    failed = run("function:recordMessage", "response", result=None, stash={**stale, "message": RECORD})
    assert failed.kind == "error" and failed.error["errorType"] == "ReplayFailed"


def test_a_test_keys_message_goes_to_the_delivery_function_in_test_mode(run: Run) -> None:
    request = run("function:deliverMessage", "request", prev={"result": RECORD}, stash={"caller": {**CLIENT_CALLER, "mode": "TEST"}}).value
    assert request["payload"]["mode"] == "TEST"


def test_a_test_keys_record_is_kept_for_the_test_retention(run: Run, clock) -> None:
    from tests.resolvers.conftest import validate_input

    email = {"to": "a@b.co", "body": "x", "deliveryMethod": "EMAIL"}
    record = validate_input(run, "sendMessage", {"input": email}, stash={"caller": {**CLIENT_CALLER, "mode": "TEST", "scope": f"SCOPE#{CLIENT_ID}#TEST#"}}).value["payload"]
    assert record["expiresAt"] == clock.fixed_millis // 1000 + 7 * 86400
    assert record["SK"] == f"SCOPE#{CLIENT_ID}#TEST#{record['id']}" and record["PK"] == "MESSAGE#a@b.co"
