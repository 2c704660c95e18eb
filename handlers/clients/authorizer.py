"""AppSync's Lambda authorizer: a client's key, looked up and checked.

A key is `sm_live_<key id>_<secret>` or `sm_test_<key id>_<secret>` (the prefixes let secret scanners find a
leaked one; the secret holds 256 random bits). AppSync refuses anything else before invoking this function
(the API's identity validation expression, graphql/manifest.json: clients). The function reads the key's
pointer (APIKEY#<key id>: its client) and the key itself (CLIENT#<client>/KEY#<key id>: the SHA-256 of the whole
key, its mode, validity and revocation), compares the hashes in constant time, and hands the resolvers the
client, the key and its mode through resolverContext. An unknown, revoked or expired key, or a fault here, is
refused (AppSync answers 401 UnauthorizedException): nothing is let through by default.

AppSync caches the answer per key for AUTHORIZER_CACHE_SECONDS, never past the key's expiry, so a revoked key
stops working within that time. Logs carry the key id at most, never a key or a hash.
"""

from __future__ import annotations

import functools
import hmac
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.appsync_authorizer_event import (
    AppSyncAuthorizerEvent,
    AppSyncAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clients_common import (
    API_KEY_PREFIX,
    CLIENT_KEY_PREFIX,
    CLIENT_PREFIX,
    KEY_FORM,
    iso,
    key_hash,
)

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's runtime has boto3 alone
    from mypy_boto3_dynamodb import DynamoDBClient

MESSAGES_TABLE = os.environ["MESSAGES_TABLE"]
MESSAGES_TABLE_REGION = os.environ["MESSAGES_TABLE_REGION"]
# AppSync's result cache for this API (authorizer_result_ttl_in_seconds): 0 turns it off.
CACHE_SECONDS = int(os.environ["AUTHORIZER_CACHE_SECONDS"])
# lastUsedAt is kept to the minute: at most one write a minute per key, whatever the cache.
LAST_USED_RESOLUTION = timedelta(minutes=1)

logger = Logger(service="authorizer")
_client_creation = threading.Lock()  # boto3's default session is not safe to build clients from concurrently


@functools.cache
def dynamodb() -> DynamoDBClient:
    with _client_creation:
        return boto3.client("dynamodb", region_name=MESSAGES_TABLE_REGION)


@dataclass(frozen=True)
class Grant:
    client_id: str
    key_id: str
    mode: str
    cache_seconds: int


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value and "S" in value else None


def touch(client_id: str, key_id: str, now: datetime) -> None:
    """Record when the key was last accepted; a failure here refuses nothing."""
    try:
        dynamodb().update_item(
            TableName=MESSAGES_TABLE,
            Key={"PK": {"S": f"{CLIENT_PREFIX}{client_id}"}, "SK": {"S": f"{CLIENT_KEY_PREFIX}{key_id}"}},
            UpdateExpression="SET lastUsedAt = :now",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":now": {"S": iso(now)}},
        )
    except Exception as error:  # noqa: BLE001 - the key was accepted; only its last-use time is late
        logger.warning("last use not recorded", extra={"key_id": key_id, "error": type(error).__name__})


def authorize(token: str, now: datetime) -> Grant | None:
    """The grant a key carries, or None for a key that is malformed, unknown, revoked or expired."""
    form = KEY_FORM.fullmatch(token)
    if form is None:
        return None
    key_id, mode = form["key_id"], form["mode"].upper()
    pointer = dynamodb().get_item(TableName=MESSAGES_TABLE, Key={"PK": {"S": f"{API_KEY_PREFIX}{key_id}"}, "SK": {"S": "APIKEY"}}).get("Item")
    client_id = _text(pointer or {}, "clientId")
    if client_id is None:
        logger.info("key refused", extra={"key_id": key_id, "reason": "unknown"})
        return None
    key = dynamodb().get_item(
        TableName=MESSAGES_TABLE,
        Key={"PK": {"S": f"{CLIENT_PREFIX}{client_id}"}, "SK": {"S": f"{CLIENT_KEY_PREFIX}{key_id}"}},
        ConsistentRead=True,
    ).get("Item") or {}
    stored = _text(key, "secretHash") or ""
    if not hmac.compare_digest(stored.encode(), key_hash(token).encode()) or _text(key, "mode") != mode:
        logger.info("key refused", extra={"key_id": key_id, "reason": "mismatch"})
        return None
    valid_until = datetime.fromisoformat(_text(key, "validUntil") or "1970-01-01T00:00:00Z")
    if _text(key, "revokedAt") is not None or valid_until <= now:
        logger.info("key refused", extra={"key_id": key_id, "reason": "revoked" if _text(key, "revokedAt") else "expired"})
        return None
    last_used = _text(key, "lastUsedAt")
    if last_used is None or now - datetime.fromisoformat(last_used) >= LAST_USED_RESOLUTION:
        touch(client_id, key_id, now)
    # Never cached past the key's expiry.
    cache_seconds = max(0, min(CACHE_SECONDS, int((valid_until - now).total_seconds())))
    return Grant(client_id=client_id, key_id=key_id, mode=mode, cache_seconds=cache_seconds)


def response(grant: Grant | None) -> dict[str, Any]:
    if grant is None:
        return AppSyncAuthorizerResponse(authorize=False).asdict()
    return AppSyncAuthorizerResponse(
        authorize=True,
        max_age=grant.cache_seconds,
        # Flat string values: AppSync supports no nesting here.
        resolver_context={"clientId": grant.client_id, "keyId": grant.key_id, "mode": grant.mode},
    ).asdict()


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=AppSyncAuthorizerEvent)
def handler(event: AppSyncAuthorizerEvent, context: LambdaContext) -> dict[str, Any]:
    # A fault (DynamoDB unreachable, a malformed item) raises: AppSync then refuses the request.
    return response(authorize(event.authorization_token, datetime.now(UTC)))
