"""Who may do what, how much and for how long, over HTTP on the local stack: one message per request, the
sending limits, SMS destinations, IAM callers, erasure, retention, and a local stack closed to web pages."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.launcher import LocalStackProcess, Response, running_stack
from local.operations import GET_MESSAGES, SEND_MESSAGE
from tests.e2e.conftest import (
    API_KEY,
    GENEROUS_LIMITS,
    LocalApi,
    counters_of,
    history,
    items_of,
    send,
    signed,
    table,
    wait_for_window,
)

REGION = "eu-central-1"
ERASE = "mutation erase($to: String!) { eraseRecipient(to: $to) { to messagesErased } }"


def in_parallel(count: int, call: Any) -> list[Any]:
    start, results, lock = threading.Barrier(count), [], threading.Lock()

    def run(index: int) -> None:
        start.wait()
        result = call(index)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def error_types(response: Response) -> list[str | None]:
    return [error.get("errorType") for error in response.errors]


# --- One message per request --------------------------------------------------------------------------


def test_a_request_selecting_send_message_twice_sends_one_message(default_api: LocalApi, fresh_email: str) -> None:
    # GIVEN one request with two aliased sendMessage selections
    query = """mutation($a: MessageInput!, $b: MessageInput!) {
      first: sendMessage(input: $a) { id }
      second: sendMessage(input: $b) { id }
    }"""
    message = {"to": fresh_email, "body": "twice?", "deliveryMethod": "EMAIL"}
    # WHEN it is sent
    response = default_api.graphql(query, {"a": message, "b": message})
    # THEN the second is refused with AppSync's limit error (sendMessage is non-null, so the whole answer is
    # null, as in AppSync), and one email left: the first's
    assert response.data is None
    assert error_types(response) == ["ResolverExecutionLimitReached"]
    assert [entry["body"] for entry in default_api.outbox() if entry["to"] == [fresh_email]] == ["twice?"]
    assert len(history(default_api, fresh_email)) == 1


# --- Sending limits --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_api() -> Iterator[LocalStackProcess]:
    """A stack with small limits per recipient, SMS only to the US and the UK, and generous channel ceilings; it also
    answers CORS to one origin of CORS_ORIGINS, which none of the limits' tests sends."""
    env = {
        "SMS_PER_RECIPIENT_PER_HOUR": "3",
        "EMAIL_PER_RECIPIENT_PER_HOUR": "3",
        "SMS_PER_MINUTE": "1000",
        "EMAIL_PER_MINUTE": "1000",
        "SMS_ALLOWED_COUNTRIES": "US,GB",
        "CORS_ORIGINS": "http://dev.example:8080",
    }
    with running_stack(API_KEY, env) as stack:
        yield stack


def test_the_send_past_a_recipients_hourly_limit_is_refused_and_records_and_sends_nothing(limited_api: LocalApi, fresh_email: str) -> None:
    wait_for_window(3600, 30)
    # GIVEN a recipient who was sent the limit (3) this hour
    for number in range(3):
        assert not send(limited_api, to=fresh_email, body=f"m{number}", deliveryMethod="EMAIL").errors
    # WHEN one more is sent, the address typed differently
    refused = send(limited_api, to=fresh_email.upper(), body="one too many", deliveryMethod="EMAIL")
    # THEN it is RateLimited, saying when to retry, and nothing was recorded or sent
    [error] = refused.errors
    assert error["errorType"] == "RateLimited" and error["errorInfo"]["limit"] == "recipientPerHour"
    assert 0 < error["errorInfo"]["retryAfterSeconds"] <= 3600
    assert [m["body"] for m in history(limited_api, fresh_email)] == ["m0", "m1", "m2"]
    assert sorted(e["body"] for e in limited_api.outbox() if e["to"] == [fresh_email]) == ["m0", "m1", "m2"]
    # AND the other channel and other recipients are not limited by it
    assert not send(limited_api, to="+14155550177", body="sms", deliveryMethod="SMS").errors
    assert not send(limited_api, to=f"other.{fresh_email}", body="other", deliveryMethod="EMAIL").errors


def test_parallel_sends_against_a_limit_of_k_deliver_exactly_k(limited_api: LocalApi) -> None:
    wait_for_window(3600, 60)
    number = f"+447400{uuid.uuid4().int % 10**6:06d}"  # a UK mobile number
    # WHEN 12 clients send an SMS to one number at the same moment (limit 3)
    responses = in_parallel(12, lambda index: send(limited_api, to=number, body=f"race {index}", deliveryMethod="SMS"))
    # THEN exactly 3 were recorded and delivered; the other 9 were refused as RateLimited
    assert sorted(str(error_types(r)[0]) if r.errors else "ok" for r in responses) == ["RateLimited"] * 9 + ["ok"] * 3
    assert len(history(limited_api, number)) == 3
    assert len([e for e in limited_api.outbox() if e["to"] == number]) == 3


def test_a_retry_with_its_idempotency_key_is_answered_even_past_the_limit(limited_api: LocalApi, fresh_email: str) -> None:
    wait_for_window(3600, 30)
    first = send(limited_api, to=fresh_email, body="m0", deliveryMethod="EMAIL", idempotencyKey="k-0").data["sendMessage"]
    for number in (1, 2):
        send(limited_api, to=fresh_email, body=f"m{number}", deliveryMethod="EMAIL")
    # WHEN the first is retried with its key, the recipient's limit reached
    retry = send(limited_api, to=fresh_email, body="m0", deliveryMethod="EMAIL", idempotencyKey="k-0")
    # THEN the original comes back (a replay sends nothing, so it is not counted)
    assert not retry.errors and retry.data["sendMessage"]["id"] == first["id"]


def refused_sms_left_no_trace(api: LocalApi, number: str) -> bool:
    """Nothing stored under the number (no record, no limit counter) and nothing sent to it."""
    items = table(api).scan(ConsistentRead=True)["Items"]
    return history(api, number) == [] and not [item for item in items if number in json.dumps(item, default=str)] and not [e for e in api.outbox() if e["to"] == number]


def test_sms_go_only_to_the_allowed_countries(limited_api: LocalApi) -> None:
    # GIVEN SMS_ALLOWED_COUNTRIES=US,GB, WHEN a French number is sent an SMS
    refused = send(limited_api, to="+33 6 12 34 56 78", body="bonjour", deliveryMethod="SMS")
    # THEN it is a ValidationError on input.to, nothing stored or sent
    [error] = refused.errors
    assert (error["errorType"], error["errorInfo"]) == ("ValidationError", {"field": "input.to", "rule": "allowedCountry"})
    assert refused_sms_left_no_trace(limited_api, "+33612345678")
    assert not send(limited_api, to="+44 (0) 7400 123456", body="hello", deliveryMethod="SMS").errors


@pytest.mark.parametrize(("typed", "canonical"), [("+1 876 210 1234", "+18762101234"), ("+1 (809) 234-5678", "+18092345678"), ("+1 268 464 1234", "+12684641234")])
def test_a_caribbean_number_under_plus_1_is_refused_where_the_us_is_allowed(limited_api: LocalApi, typed: str, canonical: str) -> None:
    # GIVEN US allowed, WHEN a Jamaican (Dominican, Antiguan) number, which shares +1 with the US, is sent an SMS
    refused = send(limited_api, to=typed, body="pump", deliveryMethod="SMS")
    # THEN it is refused as a number of a country SMS may not go to, and nothing was stored or sent
    [error] = refused.errors
    assert (error["errorType"], error["errorInfo"]) == ("ValidationError", {"field": "input.to", "rule": "allowedCountry"})
    assert error["message"] == "input.to: must be a number in a country this service sends SMS to (GB, US)"
    assert refused_sms_left_no_trace(limited_api, canonical)


def test_a_number_that_is_not_valid_is_refused_and_leaves_no_trace(limited_api: LocalApi) -> None:
    # 07700 900xxx is the UK's range for drama, which libphonenumber calls invalid.
    [error] = send(limited_api, to="+44 (0) 7700 900123", body="hello", deliveryMethod="SMS").errors
    assert (error["errorType"], error["errorInfo"]) == ("ValidationError", {"field": "input.to", "rule": "validNumber"})
    assert refused_sms_left_no_trace(limited_api, "+447700900123")


def emails_sent(stack: LocalStackProcess) -> list[dict[str, Any]]:
    """The outbox's emails (an email's `to` is SES's list of addresses; an SMS's, its number)."""
    return [entry for entry in stack.outbox() if isinstance(entry["to"], list)]


@pytest.fixture(scope="module")
def prefixes_and_ceiling_api() -> Iterator[LocalStackProcess]:
    """A stack started with the deprecated SMS_ALLOWED_PREFIXES=+1 and a stack-wide ceiling of 5 emails a minute: the
    prefixes' test sends only SMS, the ceiling's only email, so neither setting reaches the other's test."""
    with running_stack(API_KEY, {**GENEROUS_LIMITS, "SMS_ALLOWED_PREFIXES": "+1", "EMAIL_PER_MINUTE": "5"}) as stack:
        yield stack


def test_the_deprecated_prefixes_still_apply_and_the_stack_says_so_at_start_up(prefixes_and_ceiling_api: LocalStackProcess) -> None:
    # GIVEN a stack started with the old setting
    stack = prefixes_and_ceiling_api
    # THEN it logged the deprecation, and +1 still reaches what it reached, valid numbers only
    assert "SMS_ALLOWED_PREFIXES is deprecated" in "".join(stack.output)
    assert not send(stack, to="+1 876 210 1234", body="still allowed", deliveryMethod="SMS").errors
    [error] = send(stack, to="+44 20 7946 0958", body="not +1", deliveryMethod="SMS").errors
    assert error["errorInfo"] == {"field": "input.to", "rule": "allowedCountry"}


def test_the_stack_wide_ceiling_per_minute_holds_under_concurrency(prefixes_and_ceiling_api: LocalStackProcess) -> None:
    # GIVEN a ceiling of 5 emails a minute for the whole stack, no email sent yet
    stack = prefixes_and_ceiling_api
    assert emails_sent(stack) == []
    wait_for_window(60, 20)
    # WHEN 12 clients send to 12 different recipients at once
    recipients = [f"ceiling{index}@example.com" for index in range(12)]
    responses = in_parallel(12, lambda index: send(stack, to=recipients[index], body="x", deliveryMethod="EMAIL"))
    # THEN exactly 5 were delivered, the rest refused by the channel's ceiling, with a wait under a minute
    refusals = [r.errors[0] for r in responses if r.errors]
    assert len(refusals) == 7 and {e["errorInfo"]["limit"] for e in refusals} == {"channelPerMinute"}
    assert all(0 < e["errorInfo"]["retryAfterSeconds"] <= 60 for e in refusals)
    assert len(emails_sent(stack)) == 5


# --- IAM callers -----------------------------------------------------------------------------------------


def test_a_backend_may_call_every_operation_with_sigv4_instead_of_the_key(api: LocalApi, fresh_email: str) -> None:
    sent = signed(api, SEND_MESSAGE, {"input": {"to": fresh_email, "body": "signed", "deliveryMethod": "EMAIL"}})
    assert sent.status == 200 and not sent.errors and sent.data["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    read = signed(api, GET_MESSAGES, {"filter": {"to": fresh_email}})
    assert [m["body"] for m in read.data["getMessages"]["data"]] == ["signed"]


@pytest.mark.parametrize(
    ("case", "status", "error_type"),
    [
        ("wrong secret", 403, "InvalidSignatureException"),
        ("stale", 403, "InvalidSignatureException"),
        ("unsigned", 401, "UnauthorizedException"),
    ],
)
def test_an_unsigned_wrongly_signed_or_stale_request_is_refused_as_appsync_refuses_it(api: LocalApi, fresh_email: str, case: str, status: int, error_type: str) -> None:
    variables = {"input": {"to": fresh_email, "body": "refused", "deliveryMethod": "EMAIL"}}
    if case == "wrong secret":
        response = signed(api, SEND_MESSAGE, variables, secret="not-the-secret")
    elif case == "stale":
        response = signed(api, SEND_MESSAGE, variables, signed_at=datetime.now(UTC) - timedelta(minutes=6))
    else:
        response = api.post("/graphql", {"query": SEND_MESSAGE, "variables": variables})
    assert (response.status, error_types(response)) == (status, [error_type])
    assert history(api, fresh_email) == []


def test_erasure_is_for_iam_callers_only(api: LocalApi, fresh_email: str) -> None:
    send(api, to=fresh_email, body="kept", deliveryMethod="EMAIL")
    response = api.graphql(ERASE, {"to": fresh_email})
    assert response.data is None or response.data.get("eraseRecipient") is None
    [error] = response.errors
    assert (error["errorType"], error["message"]) == ("Unauthorized", "Not Authorized to access eraseRecipient on type Mutation")
    assert [m["body"] for m in history(api, fresh_email)] == ["kept"]


# --- Erasure ---------------------------------------------------------------------------------------------


def test_erasure_deletes_every_message_and_claim_of_a_recipient_however_typed_and_keeps_the_limit(api: LocalApi, fresh_email: str) -> None:
    # GIVEN a recipient with messages from a sender, one under an idempotency key, and a message to someone else
    sender = f"shop-{uuid.uuid4()}"
    for number in range(3):
        send(api, to=fresh_email, body=f"m{number}", deliveryMethod="EMAIL", senderId=sender, **({"idempotencyKey": "key-1"} if number == 0 else {}))
    send(api, to=f"someone.else.{fresh_email}", body="not theirs", deliveryMethod="EMAIL", senderId=sender)
    [counter] = counters_of(api, fresh_email)
    assert counter["sends"] == 3
    # WHEN an operator erases the recipient, typing the address differently
    erased = signed(api, ERASE, {"to": f"  {fresh_email.upper()} "})
    # THEN every message is gone, by recipient and by sender; so is the key's claim
    assert not erased.errors and erased.data["eraseRecipient"] == {"to": fresh_email, "messagesErased": 3}
    assert history(api, fresh_email) == []
    by_sender = api.graphql(GET_MESSAGES, {"filter": {"senderId": sender}}).data["getMessages"]["data"]
    assert [m["body"] for m in by_sender] == ["not theirs"]
    # AND the limit that protects the person still counts what was sent to them: erasure does not reset it
    assert [item["sends"] for item in counters_of(api, fresh_email)] == [3]
    again = send(api, to=fresh_email, body="m0", deliveryMethod="EMAIL", senderId=sender, idempotencyKey="key-1")
    assert not again.errors and [m["id"] for m in history(api, fresh_email)] == [again.data["sendMessage"]["id"]]  # a new message
    # AND erasing again (after that new message is erased) erases nothing more
    assert signed(api, ERASE, {"to": fresh_email}).data["eraseRecipient"]["messagesErased"] == 1
    assert signed(api, ERASE, {"to": fresh_email}).data["eraseRecipient"]["messagesErased"] == 0


def test_erasure_handles_thousands_of_messages_and_a_call_short_of_time_is_finished_by_the_next(api: LocalApi) -> None:
    # GIVEN a recipient with 2,500 messages (written straight into the emulated table, as the API would store them)
    recipient = f"many.{uuid.uuid4()}@example.com"
    with table(api).batch_writer() as batch:
        for number in range(2500):
            message_id = f"MESSAGE#01KMANY{number:019d}"
            batch.put_item(Item={"PK": f"MESSAGE#{recipient}", "SK": message_id, "id": message_id, "to": recipient, "body": "x"})
    # WHEN the recipient is erased: in one call, or (on a machine slow enough that the function's 25 s run out)
    # in a few, each failing with ErasureFailed having erased part, as the API promises
    remaining = [2500]
    for _ in range(10):
        erased = signed(api, ERASE, {"to": recipient})
        if not erased.errors:
            break
        assert [error["errorType"] for error in erased.errors] == ["ErasureFailed"]
        remaining.append(len(items_of(api, f"MESSAGE#{recipient}")))
        assert remaining[-1] < remaining[-2], "a call short of time still erases part"
    # THEN all of them are gone, and the call that finished counted what was left
    assert not erased.errors and erased.data["eraseRecipient"]["messagesErased"] == remaining[-1]
    assert history(api, recipient) == [] and items_of(api, f"MESSAGE#{recipient}") == []


# --- Retention -------------------------------------------------------------------------------------------


def test_a_record_expires_after_the_retention_and_the_local_stack_deletes_it_as_ttl_would(api: LocalApi, fresh_email: str) -> None:
    sent = send(api, to=fresh_email, body="short-lived", deliveryMethod="EMAIL").data["sendMessage"]
    [item] = items_of(api, f"MESSAGE#{fresh_email}")
    created = datetime.fromisoformat(sent["createdAt"]).timestamp()
    assert abs(int(item["expiresAt"]) - (created + 90 * 86400)) <= 2  # MESSAGE_RETENTION_DAYS, 90 by default
    # WHEN its time is up (moved into the past here) and the TTL pass runs
    table(api).update_item(Key={"PK": item["PK"], "SK": item["SK"]}, UpdateExpression="SET expiresAt = :past", ExpressionAttributeValues={":past": int(time.time()) - 1})
    deleted = api.local("expire", {})
    # THEN the record is gone
    assert deleted.status == 200 and deleted.body["deleted"] >= 1
    assert history(api, fresh_email) == []


# --- A local stack closed to web pages --------------------------------------------------------------------


def test_graphql_answers_cors_only_to_loopback_origins(api: LocalApi) -> None:
    query = {"query": "{ __typename }"}
    local_app = api.post("/graphql", query, {"x-api-key": api.api_key, "Origin": "http://localhost:3000"})
    assert local_app.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"
    foreign = api.post("/graphql", query, {"x-api-key": api.api_key, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    preflight = api.request("OPTIONS", "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    allowed = api.request("OPTIONS", "/graphql", headers={"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST"})
    assert allowed.status == 204 and allowed.headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:5173"


def test_an_origin_listed_in_cors_origins_is_answered_too(limited_api: LocalStackProcess) -> None:
    response = limited_api.post("/graphql", {"query": "{ __typename }"}, {"x-api-key": API_KEY, "Origin": "http://dev.example:8080"})
    assert response.headers.get("Access-Control-Allow-Origin") == "http://dev.example:8080"


@pytest.mark.parametrize(("method", "path"), [("GET", "/local/outbox"), ("POST", "/local/events"), ("POST", "/local/sweep"), ("POST", "/local/expire")])
def test_local_tools_need_the_key_and_json_and_never_speak_cors(api: LocalApi, method: str, path: str) -> None:
    origin = {"Origin": "http://localhost:3000"}
    without_key = api.request(method, path, {} if method == "POST" else None, origin)
    assert without_key.status == 401 and "Access-Control-Allow-Origin" not in without_key.headers
    if method == "POST":
        # A page's "simple" request (text/plain, no preflight) is refused before anything runs.
        as_text = api.request(method, path, b'{"staleAfterSeconds": 0}', {**origin, "x-api-key": api.api_key, "Content-Type": "text/plain"})
        assert as_text.status == 415
    keyed = api.request(method, path, {} if method == "POST" else None, {**origin, "x-api-key": api.api_key})
    assert keyed.status != 401 and "Access-Control-Allow-Origin" not in keyed.headers


@pytest.mark.parametrize("path", ["/graphql", "/local/outbox", "/health"])
def test_every_route_refuses_a_host_that_is_not_a_loopback_name(api: LocalApi, path: str) -> None:
    # A DNS-rebinding page reaches the stack under its own host name.
    response = api.request("GET" if path != "/graphql" else "POST", path, None if path != "/graphql" else {"query": "{ __typename }"}, {"Host": "evil.example", "x-api-key": api.api_key})
    assert (response.status, error_types(response)) == (403, ["ForbiddenHost"])


def test_the_emulated_aws_does_not_speak_cors_either(api: LocalApi) -> None:
    import urllib.error
    import urllib.request

    # (A page's request carries no signature by the stack's credentials: the emulated AWS refuses it outright.)
    request = urllib.request.Request(f"{api.aws_endpoint}/moto-api/data.json", headers={"Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403 and refused.value.headers.get("Access-Control-Allow-Origin") is None
