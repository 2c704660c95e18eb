"""The operators' API: clients, their keys and limits, and the audit log of what operators did.

Invoked by the AppSync `operatorAction` pipeline function for the operators' fields (IAM callers only, by the
schema's directives) with the field, its arguments and the operator's IAM ARN. It answers `{"result": ...}` in
the schema's shapes, or `{"error": {...}}` for input it refuses, which the resolver turns into a GraphQL error;
bad input changes nothing.

- A key's secret is made here (256 bits from `secrets`), returned once, and only its SHA-256 is stored; the key
  is `sm_live_<key id>_<secret>` or `sm_test_...`, so secret scanners can find a leaked one.
- Every change writes an audit record in the same transaction: who (the IAM ARN), what and when. No secret and
  no address is ever in one.
- Logs carry ids and actions, never a secret or a hash.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from clients_common import (
    API_KEY_PREFIX,
    AUDIT_PK,
    CLIENT_KEY_PREFIX,
    CLIENT_PREFIX,
    CLIENTS_PK,
    KEY_FORM,
    KEY_PREFIXES,
    audit_item,
    iso,
    key_hash,
    new_key,
    new_ulid,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# The storage contract (graphql/manifest.json, tables.messages; tests/test_storage_contract.py pins these copies).
CONFIG_PK = "CONFIG"
CONFIG_SK = "DELIVERY"
MAX_NAME_CHARACTERS = 100
# Far above any real sender's day; keeps a typo from meaning "unlimited".
MAX_DAILY_LIMIT = 10_000_000
MAX_PAGE_SIZE = 100
ULID_FORM = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
CLIENT_ID_FORM = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}|[a-z][a-z0-9-]{0,31}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

logger = Logger(service="operators")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


Mode = Literal["LIVE", "TEST"]


class OperatorRequest(TypedDict):
    field: str
    arguments: dict[str, Any]
    actor: str


class Refused(Exception):
    """Input the API refuses: a GraphQL error with this type and errorInfo; nothing was changed."""

    def __init__(self, message: str, error_type: str = "ValidationError", field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.info = {"field": field, "rule": rule} if field else None


@dataclass(frozen=True)
class Settings:
    """What CONFIG/DELIVERY says about clients (Terraform writes it from the environment's variables)."""

    default_limits: dict[str, int]
    key_max_days: int


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value and "S" in value else None


def settings() -> Settings:
    item = dynamodb().get_item(TableName=MESSAGES_TABLE, Key={"PK": _s(CONFIG_PK), "SK": _s(CONFIG_SK)}).get("Item") or {}
    clients = item.get("clients", {}).get("M", {})
    limits = clients.get("defaultLimits", {}).get("M", {})
    if not limits or "keyMaxDays" not in clients:
        raise RuntimeError("the delivery configuration has no client settings")
    return Settings(
        default_limits={name: int(value["N"]) for name, value in limits.items()},
        key_max_days=int(clients["keyMaxDays"]["N"]),
    )


# --- reading ------------------------------------------------------------------------------


def client_view(item: dict[str, Any], keys: list[dict[str, Any]]) -> dict[str, Any]:
    limits = item["limits"]["M"]
    return {
        "id": item["clientId"]["S"],
        "name": item["name"]["S"],
        "limits": {name: int(value["N"]) for name, value in limits.items()},
        "keys": keys,
        "createdAt": item["createdAt"]["S"],
    }


def key_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["keyId"]["S"],
        "mode": item["mode"]["S"],
        "createdAt": item["createdAt"]["S"],
        "expiresAt": item["validUntil"]["S"],
        "revokedAt": _text(item, "revokedAt"),
        "lastUsedAt": _text(item, "lastUsedAt"),
    }


def client_item(client_id: str) -> dict[str, Any] | None:
    key = {"PK": _s(CLIENTS_PK), "SK": _s(f"{CLIENT_PREFIX}{client_id}")}
    return dynamodb().get_item(TableName=MESSAGES_TABLE, Key=key, ConsistentRead=True).get("Item")


def keys_of(client_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "TableName": MESSAGES_TABLE,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :keys)",
        "ExpressionAttributeValues": {":pk": _s(f"{CLIENT_PREFIX}{client_id}"), ":keys": _s(CLIENT_KEY_PREFIX)},
        "ProjectionExpression": "keyId, #mode, createdAt, validUntil, revokedAt, lastUsedAt",
        "ExpressionAttributeNames": {"#mode": "mode"},
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb().query(**arguments)
        found.extend(key_view(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def existing_client(client_id: str) -> dict[str, Any]:
    if not CLIENT_ID_FORM.fullmatch(client_id) or (item := client_item(client_id)) is None:
        raise Refused("clientId: no client has this id", "NotFound", "clientId", "exists")
    return item


def page_size(first: int | None) -> int:
    size = MAX_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise Refused(f"first: must be between 1 and {MAX_PAGE_SIZE}", field="first", rule="range")
    return size


def page(
    partition: str, sort_prefix: str, first: int | None, after: str | None, newest_first: bool, cursor_form: re.Pattern[str] = ULID_FORM
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One page of a partition's items whose sort keys are `<sort_prefix><id>`; the cursor is the last id shown."""
    size = page_size(first)
    if after is not None and not cursor_form.fullmatch(after):
        raise Refused("after: is not a cursor returned by this field", field="after", rule="cursor")
    condition = "PK = :pk AND begins_with(SK, :prefix)" if sort_prefix else "PK = :pk"
    values: dict[str, Any] = {":pk": _s(partition)} | ({":prefix": _s(sort_prefix)} if sort_prefix else {})
    if after is not None:
        condition = "PK = :pk AND SK " + ("<" if newest_first else ">") + " :after"
        values = {":pk": _s(partition), ":after": _s(f"{sort_prefix}{after}")}
    items = dynamodb().query(
        TableName=MESSAGES_TABLE,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ScanIndexForward=not newest_first,
        Limit=size + 1,
        ConsistentRead=True,
    ).get("Items", [])
    # A cursor past the prefix's run (a newest-first page stops at the prefix's start).
    items = [item for item in items if item["SK"]["S"].startswith(sort_prefix)]
    shown = items[:size]
    last = shown[-1]["SK"]["S"].removeprefix(sort_prefix) if shown else None
    return shown, {"hasNextPage": len(items) > size, "endCursor": last}


# --- changing -----------------------------------------------------------------------------


def audit_put(
    actor: str, action: str, now: datetime, client_id: str | None = None, key_id: str | None = None, details: dict[str, Any] | None = None
) -> TransactWriteItemTypeDef:
    """The audit record of one operator action, as a transaction's Put."""
    item = audit_item(actor, action, now, client_id, key_id, details)
    return {"Put": {"TableName": MESSAGES_TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def checked_limits(given: dict[str, Any] | None, base: dict[str, int]) -> dict[str, int]:
    limits = dict(base)
    for name, value in (given or {}).items():
        if value is None:
            continue
        if name not in base or not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DAILY_LIMIT:
            raise Refused(f"limits.{name}: must be a whole number from 0 to {MAX_DAILY_LIMIT}", field=f"limits.{name}", rule="range")
        limits[name] = value
    return limits


def _limits_attribute(limits: dict[str, int]) -> dict[str, Any]:
    return {"M": {name: {"N": str(value)} for name, value in sorted(limits.items())}}


def create_client(name: Any, limits: dict[str, Any] | None, actor: str, now: datetime, client_id: str | None = None) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARACTERS or CONTROL_CHARACTERS.search(name):
        raise Refused(f"input.name: must be 1 to {MAX_NAME_CHARACTERS} characters, not blank, without control characters", field="input.name", rule="format")
    chosen = checked_limits(limits, settings().default_limits)
    client_id = client_id or new_ulid(now)
    item = {
        "PK": _s(CLIENTS_PK),
        "SK": _s(f"{CLIENT_PREFIX}{client_id}"),
        "clientId": _s(client_id),
        "name": _s(name.strip()),
        "limits": _limits_attribute(chosen),
        "createdAt": _s(iso(now)),
    }
    dynamodb().transact_write_items(
        TransactItems=[
            {"Put": {"TableName": MESSAGES_TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            audit_put(actor, "clientCreated", now, client_id, details={"limits": chosen}),
        ]
    )
    logger.info("client created", extra={"client_id": client_id})
    return client_view(item, [])


def create_key(client_id: str, mode: Any, expires_at: str | None, actor: str, now: datetime, secret: str | None = None) -> dict[str, Any]:
    """A new key of the client; its secret made here (the API never passes one: only the local stack's fixed
    development keys are given theirs)."""
    existing_client(client_id)
    if mode not in KEY_PREFIXES:
        raise Refused("mode: must be LIVE or TEST", field="mode", rule="enum")
    longest = now + timedelta(days=settings().key_max_days)
    valid_until = longest
    if expires_at is not None:
        try:
            valid_until = datetime.fromisoformat(expires_at)
        except ValueError:
            raise Refused("expiresAt: must be an ISO 8601 date and time", field="expiresAt", rule="format") from None
        if valid_until.tzinfo is None:
            raise Refused("expiresAt: must name its time zone (e.g. Z)", field="expiresAt", rule="format")
        if not now < valid_until <= longest:
            raise Refused(f"expiresAt: must be in the future and at most {settings().key_max_days} days away", field="expiresAt", rule="range")
    form = KEY_FORM.fullmatch(secret) if secret is not None else None
    if secret is not None and (form is None or form["mode"].upper() != mode):
        raise ValueError("a given secret must be a key of the given mode")
    key_id = form["key_id"] if form is not None else new_ulid(now)
    secret = secret if secret is not None else new_key(mode, key_id)
    item = {
        "PK": _s(f"{CLIENT_PREFIX}{client_id}"),
        "SK": _s(f"{CLIENT_KEY_PREFIX}{key_id}"),
        "keyId": _s(key_id),
        "mode": _s(mode),
        "secretHash": _s(key_hash(secret)),
        "createdAt": _s(iso(now)),
        "validUntil": _s(iso(valid_until)),
    }
    pointer = {"PK": _s(f"{API_KEY_PREFIX}{key_id}"), "SK": _s("APIKEY"), "clientId": _s(client_id)}
    dynamodb().transact_write_items(
        TransactItems=[
            {"Put": {"TableName": MESSAGES_TABLE, "Item": pointer, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": MESSAGES_TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            audit_put(actor, "clientKeyCreated", now, client_id, key_id, {"mode": mode, "expiresAt": iso(valid_until)}),
        ]
    )
    logger.info("key created", extra={"client_id": client_id, "key_id": key_id, "mode": mode})
    return {"secret": secret, "key": key_view(item)}


def revoke_key(key_id: str, actor: str, now: datetime) -> dict[str, Any]:
    """Revoke a key; revoking it again changes nothing (its first revocation time stays)."""
    pointer = None
    if ULID_FORM.fullmatch(key_id):
        pointer = dynamodb().get_item(TableName=MESSAGES_TABLE, Key={"PK": _s(f"{API_KEY_PREFIX}{key_id}"), "SK": _s("APIKEY")}).get("Item")
    if pointer is None:
        raise Refused("keyId: no key has this id", "NotFound", "keyId", "exists")
    client_id = pointer["clientId"]["S"]
    key = {"PK": _s(f"{CLIENT_PREFIX}{client_id}"), "SK": _s(f"{CLIENT_KEY_PREFIX}{key_id}")}
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": MESSAGES_TABLE,
                        "Key": key,
                        "UpdateExpression": "SET revokedAt = :now",
                        "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(revokedAt)",
                        "ExpressionAttributeValues": {":now": _s(iso(now))},
                    }
                },
                audit_put(actor, "clientKeyRevoked", now, client_id, key_id),
            ]
        )
        logger.info("key revoked", extra={"client_id": client_id, "key_id": key_id})
    except dynamodb().exceptions.TransactionCanceledException:
        pass  # already revoked: nothing to do, nothing to audit
    item = dynamodb().get_item(TableName=MESSAGES_TABLE, Key=key, ConsistentRead=True)["Item"]
    return {**key_view(item), "clientId": client_id}


def update_limits(client_id: str, limits: dict[str, Any], actor: str, now: datetime) -> dict[str, Any]:
    item = existing_client(client_id)
    current = {name: int(value["N"]) for name, value in item["limits"]["M"].items()}
    chosen = checked_limits(limits, current)
    dynamodb().transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": MESSAGES_TABLE,
                    "Key": {"PK": item["PK"], "SK": item["SK"]},
                    "UpdateExpression": "SET limits = :limits",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": {":limits": _limits_attribute(chosen)},
                }
            },
            audit_put(actor, "clientLimitsUpdated", now, client_id, details={"limits": chosen}),
        ]
    )
    logger.info("client limits updated", extra={"client_id": client_id})
    return client_view({**item, "limits": _limits_attribute(chosen)}, keys_of(client_id))


def get_client(client_id: str) -> dict[str, Any] | None:
    if not CLIENT_ID_FORM.fullmatch(client_id) or (item := client_item(client_id)) is None:
        return None
    return client_view(item, keys_of(client_id))


def list_clients(first: int | None, after: str | None) -> dict[str, Any]:
    items, page_info = page(CLIENTS_PK, CLIENT_PREFIX, first, after, newest_first=False, cursor_form=CLIENT_ID_FORM)
    return {"data": [client_view(item, keys_of(item["clientId"]["S"])) for item in items], "pageInfo": page_info}


def audit_events(first: int | None, after: str | None) -> dict[str, Any]:
    items, page_info = page(AUDIT_PK, "", first, after, newest_first=True)
    return {
        "data": [
            {
                "id": item["id"]["S"],
                "actor": item["actor"]["S"],
                "action": item["action"]["S"],
                "clientId": _text(item, "clientId"),
                "keyId": _text(item, "keyId"),
                "details": _text(item, "details"),
                "at": item["at"]["S"],
            }
            for item in items
        ],
        "pageInfo": page_info,
    }


def act(request: OperatorRequest, now: datetime) -> Any:
    """The field's answer, in the schema's shape."""
    arguments, actor = request["arguments"], request["actor"]
    match request["field"]:
        case "createClient":
            given = arguments["input"]
            return create_client(given.get("name"), given.get("limits"), actor, now)
        case "createClientKey":
            return create_key(arguments["clientId"], arguments["mode"], arguments.get("expiresAt"), actor, now)
        case "revokeClientKey":
            return revoke_key(arguments["keyId"], actor, now)
        case "updateClientLimits":
            return update_limits(arguments["clientId"], arguments["limits"], actor, now)
        case "client":
            return get_client(arguments["id"])
        case "clients":
            return list_clients(arguments.get("first"), arguments.get("after"))
        case "auditEvents":
            return audit_events(arguments.get("first"), arguments.get("after"))
    raise ValueError(f"no operator field {request['field']!r}")


@logger.inject_lambda_context(clear_state=True)
def handler(event: OperatorRequest, context: LambdaContext) -> dict[str, Any]:
    try:
        return {"result": act(event, datetime.now(UTC))}
    except Refused as refused:
        return {"error": {"message": str(refused), "type": refused.error_type, "info": refused.info}}
