"""handlers/clients: the Lambda authorizer, the operators' API and erasure, against an emulated table."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from local.aws.lambda_context import LambdaContext
from tests.handlers.conftest import clients_module

OPERATOR = "arn:aws:sts::123456789012:assumed-role/operator/alice"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def operators(configured_table) -> Any:
    return clients_module("operators")


@pytest.fixture
def authorizer(configured_table) -> Any:
    return clients_module("authorizer")


class Recorder(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def call(operators: Any, field: str, **arguments: Any) -> dict[str, Any]:
    answer: dict[str, Any] = operators.handler({"field": field, "arguments": arguments, "actor": OPERATOR}, LambdaContext(function_name="test-operators"))
    return answer


def new_client(operators: Any, name: str = "shop", **limits: int) -> dict[str, Any]:
    client: dict[str, Any] = call(operators, "createClient", input={"name": name, "limits": limits or None})["result"]
    return client


def new_key(operators: Any, client_id: str, mode: str = "LIVE", **extra: Any) -> dict[str, Any]:
    key: dict[str, Any] = call(operators, "createClientKey", clientId=client_id, mode=mode, **extra)["result"]
    return key


# --- the operators' API ---------------------------------------------------------------------------------


def test_a_client_takes_the_environments_default_limits_where_none_are_given(operators) -> None:
    client = new_client(operators, emailPerDay=7)
    assert client["limits"] == {"emailPerDay": 7, "smsPerDay": 50} and client["keys"] == [] and client["name"] == "shop"
    assert call(operators, "client", id=client["id"])["result"] == client


@pytest.mark.parametrize(
    ("name", "limits", "field"),
    [("", None, "input.name"), ("x" * 101, None, "input.name"), ("bad\nname", None, "input.name"), ("ok", {"emailPerDay": -1}, "limits.emailPerDay"), ("ok", {"smsPerDay": 10**9}, "limits.smsPerDay")],
)
def test_bad_input_creates_nothing(operators, configured_table, name: str, limits: Any, field: str) -> None:
    answer = call(operators, "createClient", input={"name": name, "limits": limits})
    assert answer["error"]["type"] == "ValidationError" and answer["error"]["info"]["field"] == field
    assert configured_table.query(KeyConditionExpression=Key("PK").eq("CLIENTS"))["Items"] == []
    assert configured_table.query(KeyConditionExpression=Key("PK").eq("AUDIT"))["Items"] == []


def test_a_keys_secret_is_returned_once_and_only_its_hash_is_stored(operators, configured_table) -> None:
    # GIVEN a client
    client = new_client(operators)
    # WHEN a LIVE key is created (with every log record of the function kept, whatever its level)
    records: list[logging.LogRecord] = []
    watcher = Recorder(records)
    logging.getLogger("operators").addHandler(watcher)
    try:
        created = new_key(operators, client["id"])
    finally:
        logging.getLogger("operators").removeHandler(watcher)
    logged = json.dumps([record.__dict__ for record in records], default=str)
    secret, key = created["secret"], created["key"]
    # THEN the secret has its prefix and 256 bits of randomness, and nothing stored holds it
    prefix = f"sm_live_{key['id']}_"
    random_part = secret.removeprefix(prefix)
    assert secret.startswith(prefix) and len(base64.urlsafe_b64decode(random_part + "=")) == 32
    stored = json.dumps(configured_table.scan()["Items"], default=str)
    assert secret not in stored and random_part not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    # AND no log line carries the secret or its hash
    assert "key created" in logged and secret not in logged and hashlib.sha256(secret.encode()).hexdigest() not in logged
    # AND listing the client shows the key, never its secret or hash
    listed = call(operators, "client", id=client["id"])["result"]
    assert listed["keys"] == [key] and "secret" not in json.dumps(listed)


def test_a_key_lives_at_most_the_environments_longest_lifetime(operators) -> None:
    client = new_client(operators)
    default = new_key(operators, client["id"])["key"]
    lifetime = datetime.fromisoformat(default["expiresAt"]) - datetime.fromisoformat(default["createdAt"])
    assert lifetime == timedelta(days=90)
    too_long = (datetime.now(UTC) + timedelta(days=91)).isoformat()
    assert call(operators, "createClientKey", clientId=client["id"], mode="TEST", expiresAt=too_long)["error"]["info"] == {"field": "expiresAt", "rule": "range"}
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert call(operators, "createClientKey", clientId=client["id"], mode="TEST", expiresAt=past)["error"]["info"] == {"field": "expiresAt", "rule": "range"}
    assert call(operators, "createClientKey", clientId="01JNOSUCHCLIENTAAAAAAAAAAA", mode="LIVE")["error"]["type"] == "NotFound"


def test_revoking_twice_keeps_the_first_time_and_audits_once(operators) -> None:
    client = new_client(operators)
    key = new_key(operators, client["id"])["key"]
    first = call(operators, "revokeClientKey", keyId=key["id"])["result"]
    second = call(operators, "revokeClientKey", keyId=key["id"])["result"]
    assert first["revokedAt"] and second["revokedAt"] == first["revokedAt"]
    actions = [event["action"] for event in call(operators, "auditEvents")["result"]["data"]]
    assert actions.count("clientKeyRevoked") == 1


def test_every_operator_action_is_audited_newest_first_without_secrets(operators) -> None:
    client = new_client(operators)
    secret = new_key(operators, client["id"], "TEST")["secret"]
    call(operators, "updateClientLimits", clientId=client["id"], limits={"smsPerDay": 3})
    events = call(operators, "auditEvents", first=10)["result"]
    assert [event["action"] for event in events["data"]] == ["clientLimitsUpdated", "clientKeyCreated", "clientCreated"]
    assert all(event["actor"] == OPERATOR and event["clientId"] == client["id"] for event in events["data"])
    assert json.loads(events["data"][0]["details"]) == {"limits": {"emailPerDay": 500, "smsPerDay": 3}}
    assert secret not in json.dumps(events) and secret[-43:] not in json.dumps(events)
    first_page = call(operators, "auditEvents", first=2)["result"]
    rest = call(operators, "auditEvents", first=2, after=first_page["pageInfo"]["endCursor"])["result"]
    assert [e["action"] for e in first_page["data"] + rest["data"]] == [e["action"] for e in events["data"]]
    assert first_page["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]


def test_clients_are_listed_in_pages(operators) -> None:
    made = [new_client(operators, f"shop-{n}")["id"] for n in range(3)]
    first = call(operators, "clients", first=2)["result"]
    rest = call(operators, "clients", first=2, after=first["pageInfo"]["endCursor"])["result"]
    assert [c["id"] for c in first["data"] + rest["data"]] == made
    assert call(operators, "clients", first=0)["error"]["info"] == {"field": "first", "rule": "range"}


# --- the authorizer ---------------------------------------------------------------------------------------


def test_a_live_key_grants_its_client_and_mode_for_the_cache_time(operators, authorizer) -> None:
    client = new_client(operators)
    created = new_key(operators, client["id"])
    grant = authorizer.authorize(created["secret"], datetime.now(UTC))
    assert (grant.client_id, grant.key_id, grant.mode, grant.cache_seconds) == (client["id"], created["key"]["id"], "LIVE", 60)
    answer = authorizer.response(grant)
    assert answer == {"isAuthorized": True, "ttlOverride": 60, "resolverContext": {"clientId": client["id"], "keyId": created["key"]["id"], "mode": "LIVE"}}


def test_an_authorization_is_never_cached_past_the_keys_expiry(operators, authorizer) -> None:
    client = new_client(operators)
    expires = datetime.now(UTC) + timedelta(seconds=20)
    created = new_key(operators, client["id"], expiresAt=expires.isoformat())
    assert 18 <= authorizer.authorize(created["secret"], datetime.now(UTC)).cache_seconds <= 20
    assert authorizer.authorize(created["secret"], expires + timedelta(seconds=1)) is None


def test_last_use_is_kept_to_the_minute(operators, authorizer, configured_table) -> None:
    client = new_client(operators)
    created = new_key(operators, client["id"])
    authorizer.authorize(created["secret"], NOW + timedelta(days=1))
    authorizer.authorize(created["secret"], NOW + timedelta(days=1, seconds=30))
    listed = call(operators, "client", id=client["id"])["result"]["keys"][0]
    assert listed["lastUsedAt"] == "2026-12-07T12:00:00.000Z"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # another secret
        lambda key: key.replace("sm_live_", "sm_test_"),  # the same key in another mode
        lambda key: "sm_live_01JNGSVCHKEYAAAAAAAAAAAAAA_" + key[-43:],  # another (unknown) id
        lambda key: key + "A",  # malformed
        lambda key: "Bearer " + key,
        lambda key: "",
    ],
)
def test_a_key_that_is_not_exactly_a_live_one_is_refused(operators, authorizer, tamper) -> None:
    client = new_client(operators)
    secret = new_key(operators, client["id"])["secret"]
    assert authorizer.authorize(tamper(secret), datetime.now(UTC)) is None
    assert authorizer.response(None) == {"isAuthorized": False}


def test_a_revoked_key_is_refused(operators, authorizer) -> None:
    client = new_client(operators)
    created = new_key(operators, client["id"])
    call(operators, "revokeClientKey", keyId=created["key"]["id"])
    assert authorizer.authorize(created["secret"], datetime.now(UTC)) is None


def test_a_fault_refuses_rather_than_lets_through(operators, authorizer, monkeypatch) -> None:
    client = new_client(operators)
    secret = new_key(operators, client["id"])["secret"]

    def unreachable(**_: Any) -> Any:
        raise ConnectionError("DynamoDB is unreachable")

    monkeypatch.setattr(authorizer.dynamodb(), "get_item", unreachable)
    with pytest.raises(ConnectionError):
        authorizer.handler({"authorizationToken": secret, "requestContext": {}, "requestHeaders": {}}, LambdaContext(function_name="test-authorizer"))


# --- erasure ----------------------------------------------------------------------------------------------


def test_erasure_removes_every_clients_messages_of_the_mailbox_and_audits_a_digest(configured_table) -> None:
    # GIVEN a mailbox with messages of the default client, of another client in TEST mode with a claim, and of
    # the typed address's old partition, and another mailbox's message
    configured_table.put_item(Item={"PK": "MESSAGE#a@b.co", "SK": "MESSAGE#01", "id": "MESSAGE#01"})
    configured_table.put_item(Item={"PK": "MESSAGE#a@b.co", "SK": "SCOPE#01JC#TEST#MESSAGE#02", "id": "MESSAGE#02", "idempotencyKey": "k"})
    configured_table.put_item(Item={"PK": "SCOPE#01JC#TEST#IDEMPOTENCY##k", "SK": "IDEMPOTENCY", "messagePK": "MESSAGE#a@b.co", "messageSK": "SCOPE#01JC#TEST#MESSAGE#02"})
    configured_table.put_item(Item={"PK": "MESSAGE#a+tag@b.co", "SK": "MESSAGE#03", "id": "MESSAGE#03"})
    configured_table.put_item(Item={"PK": "MESSAGE#c@b.co", "SK": "MESSAGE#04", "id": "MESSAGE#04"})
    erasure = clients_module("erasure")
    # WHEN the mailbox is erased, typed with a tag
    erased = erasure.handler({"recipient": "a@b.co", "address": "a+tag@b.co", "actor": OPERATOR}, LambdaContext(function_name="test-erasure"))
    # THEN all three messages and the claim are gone, the other mailbox's message stays
    assert erased == {"messagesErased": 3}
    remaining = {item["PK"] for item in configured_table.scan()["Items"]} - {"CONFIG", "AUDIT"}
    assert remaining == {"MESSAGE#c@b.co"}
    # AND the audit record names the operator and a digest, never the mailbox
    [audit] = configured_table.query(KeyConditionExpression=Key("PK").eq("AUDIT"))["Items"]
    assert audit["actor"] == OPERATOR and audit["action"] == "recipientErased" and "a@b.co" not in json.dumps(audit, default=str)
    assert json.loads(audit["details"]) == {"mailboxSha256": hashlib.sha256(b"a@b.co").hexdigest(), "messagesErased": 3}
